"""Hide the grader's files from student code: empty mounts over them, in the student process's own mount namespace.

Unix permissions cannot protect what is world-readable, and on an instructor's machine that is most things: a
checkout's ``reference/`` (the solution), the master notebook, the class's other submissions and their results.
Where root may create a mount namespace (a VM or a workstation; not a Docker container such as Gradescope's,
where ``setup.sh`` makes the grader's files root-only instead), the student process sees those folders empty
and those files empty. The mounts live in the namespace only and vanish with its last process.
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

# Never covered, whatever is asked: the student's interpreter, its libraries and the OS need them.
SYSTEM = tuple(Path(p) for p in ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin", "/etc", "/dev",
                                   "/proc", "/sys", "/run", "/var", "/opt"))


def gdkit_files() -> list[Path]:
    """gdkit's own files: its package folders wherever installed, and the whole checkout when run from one."""
    import gdkit
    import gdkit.autograder
    import gdkit.reference

    folders = [Path(module.__file__).resolve().parent for module in (gdkit, gdkit.reference, gdkit.autograder)]
    checkout = folders[0].parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "reference").is_dir():
        folders.append(checkout)
    return folders


def interpreter_folders(python: str) -> list[Path]:
    """What the student's interpreter needs to start: its venv (if any) and its real installation."""
    folders = [Path(os.path.realpath(python)).parent.parent]
    venv = Path(os.path.abspath(python)).parent.parent
    if (venv / "pyvenv.cfg").is_file():
        folders.append(venv)
    return folders


def mount_plan(private: Iterable[Path], keep: Iterable[Path]) -> list[Path]:
    """The paths to cover so that nothing under ``private`` is visible except ``keep`` and the system folders.

    A private folder that holds something to keep (the venv inside a checkout, the run folder inside a private
    /tmp) is not covered itself: its other entries are, recursively. Symlinks are left alone (a mount would
    follow them to their target). Nested results are dropped, since covering a folder covers what is inside.
    """
    keep_set = {Path(os.path.realpath(k)) for k in (*keep, *SYSTEM)}
    targets: list[Path] = []

    def visit(path: Path) -> None:
        if path in keep_set or path.is_symlink() or not (path.is_dir() or path.is_file()):
            return
        if any(path in k.parents for k in keep_set):
            try:
                children = sorted(path.iterdir())
            except OSError:  # unlistable even for root (a FUSE mount): it cannot be covered without what it keeps
                return
            for child in children:
                visit(child)
        else:
            targets.append(path)

    for path in private:
        path = Path(os.path.realpath(path))
        if path.exists():
            visit(path)
    covered = sorted(set(targets), key=lambda p: len(p.parts))
    result: list[Path] = []
    for path in covered:
        if not any(parent in result for parent in path.parents):
            result.append(path)
    return result


def mount_script(targets: list[Path]) -> str:
    """A shell script that covers ``targets`` (run as root inside the new namespace), then execs its arguments."""
    lines = ["set -e"]
    for path in targets:
        quoted = shlex.quote(str(path))
        if path.is_dir():
            mount = f"mount -t tmpfs -o size=4k,nr_inodes=1,mode=0555 gdkit-hidden {quoted}"
        else:
            mount = f"mount --bind /dev/null {quoted}"
        # A path gone since the plan (another run's folder in /tmp, removed meanwhile) has nothing to hide.
        lines.append(f"{mount} 2>/dev/null || test ! -e {quoted}")
    lines.append('exec "$@"')
    return "\n".join(lines)


@functools.cache
def mount_namespace_available() -> bool:
    """Root on a VM may make a mount namespace and mount in it; a default Docker container may not."""
    unshare = shutil.which("unshare")
    if not unshare or os.geteuid() != 0:
        return False
    with tempfile.TemporaryDirectory() as probe:
        try:
            done = subprocess.run([unshare, "-m", "--propagation", "private", "--", "/bin/sh", "-c",
                                   mount_script([Path(probe)]), "probe", "true"],
                                  capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return False
    return done.returncode == 0
