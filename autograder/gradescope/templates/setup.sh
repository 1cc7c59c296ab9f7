#!/usr/bin/env bash
# gdkit's Gradescope setup: run once, as root, when Gradescope builds the autograder image.
#
# Installs a Python >= 3.11 virtual environment with pinned packages (pip only: no conda, no browser, no LaTeX),
# installs gdkit from the wheel shipped in this zip, creates the unprivileged user that student code runs as,
# and makes the hidden checks and the reference solution readable by root only. Ends by checking, as that
# user, that the interpreter works and that gdkit cannot be read; any failure stops the build loudly.
#
# Overrides (used by gdkit's own tests; Gradescope sets neither):
#   GDKIT_PYTHON  interpreter the venv is built from (default: python3.11)
#   GDKIT_VENV    where the venv goes (default: /opt/gdkit-venv; run_autograder reads the same variable)
#   GDKIT_STUDENT the unprivileged user (default: gdkit-student; run_autograder reads the same variable)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${GDKIT_PYTHON:-python3.11}"
VENV="${GDKIT_VENV:-/opt/gdkit-venv}"
STUDENT="${GDKIT_STUDENT:-gdkit-student}"

fail() { echo "gdkit setup.sh: FAILED: $*" >&2; exit 1; }
say() { echo "gdkit setup.sh: $*"; }

[ "$(id -u)" -eq 0 ] || fail "must run as root (Gradescope runs setup.sh as root)"

# Gradescope's default image is Ubuntu 22.04, whose python3 is 3.10; gdkit needs 3.11. Ubuntu 22.04 has
# python3.11 and python3.11-venv as packages, so install them when no python3.11 (or no venv for it) is present.
if ! command -v "$PY" >/dev/null 2>&1 || ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    say "installing python3.11 and python3.11-venv with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
fi
command -v "$PY" >/dev/null 2>&1 || fail "$PY not found"
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || fail "$PY is older than Python 3.11"

say "creating the venv $VENV from $("$PY" -c 'import sys; print(sys.executable, sys.version.split()[0])')"
"$PY" -m venv "$VENV"
# The venv's own pip may be old (22.0 on Ubuntu 22.04): first move it to the pinned pip, then install the rest.
pip_pin="$(grep -E '^pip==' "$here/requirements.txt" || true)"
if [ -n "$pip_pin" ]; then
    "$VENV/bin/python" -I -m pip install --no-cache-dir --disable-pip-version-check --no-input "$pip_pin"
fi
"$VENV/bin/python" -I -m pip install --no-cache-dir --disable-pip-version-check --no-input \
    -r "$here/requirements.txt"
shopt -s nullglob
wheels=("$here"/gdkit-*.whl)
[ "${#wheels[@]}" -eq 1 ] || fail "expected exactly one gdkit wheel in $here, found ${#wheels[@]}"
"$VENV/bin/python" -I -m pip install --no-cache-dir --disable-pip-version-check --no-input --no-deps \
    --force-reinstall "${wheels[0]}"
"$VENV/bin/python" -I -c 'import gdkit.autograder.grade, gdkit.autograder.gradescope.run' \
    || fail "the grader does not import in $VENV"

# bubblewrap: the sandbox student code runs in (fresh namespaces, an allow-list filesystem). Docker may forbid
# the namespaces it needs; run_autograder then falls back to the user switch below, and its log says which.
if ! command -v bwrap >/dev/null 2>&1; then
    say "installing bubblewrap with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update && apt-get install -y --no-install-recommends bubblewrap; } \
        || say "could not install bubblewrap: student code will run with the user switch and root-only files only"
fi

# The student user: a system user with no home and no login shell.
if ! id -u "$STUDENT" >/dev/null 2>&1; then
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --user-group "$STUDENT"
fi
uid="$(id -u "$STUDENT")"
gid="$(id -g "$STUDENT")"
[ "$uid" -ne 0 ] || fail "$STUDENT has uid 0"

# The venv: readable and executable by everyone (student code runs its interpreter and imports numpy and
# matplotlib from it), writable by root only. Then gdkit itself (hidden checks, reference solution) and this
# folder (the zip's contents, the wheel among them) become root-only.
chmod -R go-w "$VENV"
chmod -R go+rX "$VENV"
pkg="$("$VENV/bin/python" -I -c 'import os, gdkit; print(os.path.dirname(os.path.abspath(gdkit.__file__)))')"
case "$pkg" in
    "$VENV"/*) ;;
    *) fail "gdkit was imported from $pkg, not from the venv $VENV" ;;
esac
chmod -R go= "$pkg"
chmod -R go= "$here"

# Check what the grader relies on, as the student user, from a neutral folder with a scrubbed environment.
mpl="$(mktemp -d)"
trap 'rm -rf "$mpl"' EXIT
chown "$uid:$gid" "$mpl"
as_student() {
    (cd / && env -i PATH=/usr/bin:/bin HOME=/nonexistent LANG=C.UTF-8 MPLBACKEND=Agg MPLCONFIGDIR="$mpl" \
        setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@")
}
as_student "$VENV/bin/python" -I -c 'import numpy, matplotlib, matplotlib.pyplot' \
    || fail "$STUDENT cannot run $VENV/bin/python and import numpy and matplotlib"
if as_student "$VENV/bin/python" -I -c 'import gdkit.autograder.checks' >/dev/null 2>&1; then
    fail "$STUDENT can import gdkit's checks"
fi
if as_student cat "$pkg/autograder/grade.py" >/dev/null 2>&1; then
    fail "$STUDENT can read $pkg"
fi
if as_student ls "$here" >/dev/null 2>&1; then
    fail "$STUDENT can list $here"
fi
say "ok: $STUDENT (uid $uid) runs $VENV/bin/python with numpy and matplotlib, and cannot read $pkg or $here"
if command -v bwrap >/dev/null 2>&1 && as_student bwrap --unshare-all --ro-bind /usr /usr --proc /proc true 2>/dev/null; then
    say "bubblewrap can make a sandbox here"
else
    say "bubblewrap cannot make a sandbox at build time; run_autograder decides again at grading time"
fi
