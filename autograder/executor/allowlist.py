"""What the student process sees of the filesystem: an allow-list, as bubblewrap mount arguments.

Visible, read-only: /usr (and /bin, /lib ... as the host has them: symlinks into /usr or folders), the
interpreter's installation and its venv (symlinks resolved: a venv's ``bin/python`` points at the base
interpreter), a few /etc files the C library reads, and synthesized /etc/passwd and /etc/group naming the
sandbox user. Private and empty, size-capped: /tmp, /var/tmp, /dev/shm. A minimal /dev, the sandbox's own
/proc. Writable: these and :data:`HOME`, a capped tmpfs holding a read-only copy of the runtime (nothing the
student writes reaches the machine's disks). Nothing else of the machine exists inside:
no home folders, /root, /srv, /opt, /mnt, checkouts, other submissions, results.

gdkit itself is masked wherever the student's interpreter could import it from (a wheel installed in the
venv holds ``gdkit/reference``, the solution): an installed ``gdkit`` folder is covered by one whose
``__init__.py`` raises ImportError. An editable install only points into the checkout, which is not mounted.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME = Path("/home/student")  # the run folder, as student code sees it
UID = GID = 1000  # the sandbox user, as student code sees it
TMPFS_MB = 64  # each of /tmp, /var/tmp, /dev/shm; counted against the submission's memory cgroup
HOME_MB = 256  # the home folder (matplotlib's cache, the student's own files)
ETC_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf", "/etc/hosts", "/etc/fonts")
TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
MASK_SOURCE = 'raise ImportError("gdkit is not available to the code being graded")\n'


def interpreter_folders(python: str) -> list[Path]:
    """The folders the student's interpreter needs: its real installation, and its venv if it runs from one."""
    real = Path(os.path.realpath(python))
    folders = [real.parent.parent]
    venv = Path(os.path.abspath(python)).parent.parent
    if (venv / "pyvenv.cfg").is_file():
        folders.append(venv)
    return folders


def installed_gdkit(folders: list[Path]) -> list[Path]:
    """Every importable ``gdkit`` package folder under ``folders`` (site-packages and dist-packages)."""
    found: list[Path] = []
    for folder in folders:
        for pattern in ("lib/python3*/site-packages/gdkit", "lib/python3*/dist-packages/gdkit",
                        "lib/python3/dist-packages/gdkit", "local/lib/python3*/dist-packages/gdkit"):
            found.extend(p for p in folder.glob(pattern) if p.is_dir())
    return sorted(set(found))


def prepare(workdir: Path, user_name: str = "student") -> tuple[Path, Path, Path]:
    """Under ``workdir`` (private to the grader): the run folder, the gdkit mask, the synthesized /etc files.

    Returns (run folder, mask folder, etc folder).
    """
    run, mask, etc = workdir / "home", workdir / "mask", workdir / "etc"
    for folder in (run, mask, etc):
        folder.mkdir()
    (mask / "__init__.py").write_text(MASK_SOURCE)
    (etc / "passwd").write_text(f"{user_name}:x:{UID}:{GID}::{HOME}:/usr/sbin/nologin\n"
                                "nobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n")
    (etc / "group").write_text(f"{user_name}:x:{GID}:\nnogroup:x:65534:\n")
    for path in (workdir, etc, *mask.iterdir(), *etc.iterdir()):
        path.chmod(0o755 if path.is_dir() else 0o644)
    mask.chmod(0o711)  # importable (its __init__ raises), not listable: student code sees no file name there
    return run, mask, etc


def mounts(python: str, run: Path, mask: Path, etc: Path) -> list[str]:
    """bubblewrap arguments building the student's filesystem (see the module's docstring)."""
    # The private folders first: binds made after them may lie below (a venv under /tmp stays visible).
    size = str(TMPFS_MB * 1024 * 1024)
    args = ["--proc", "/proc", "--dev", "/dev"]
    for tmp in ("/tmp", "/var/tmp", "/dev/shm"):
        args += ["--perms", "1777", "--size", size, "--tmpfs", tmp]
    args += ["--ro-bind", "/usr", "/usr"]
    for name in TOP_LEVEL:
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    binds = [(Path("/usr"), Path("/usr"))]  # (source, where it appears inside)
    for folder in interpreter_folders(python):
        real = Path(os.path.realpath(folder))
        if real == Path("/usr") or Path("/usr") in real.parents:
            continue
        binds += [(real, folder)] + ([(real, real)] if real != folder else [])
    for source, inside in binds[1:]:
        args += ["--ro-bind", str(source), str(inside)]
    for source, inside in binds:
        for package in installed_gdkit([source]):
            args += ["--ro-bind", str(mask), str(inside / package.relative_to(source))]
    for name in ETC_FILES:
        if os.path.exists(name):
            args += ["--ro-bind", name, name]
    args += ["--ro-bind", str(etc / "passwd"), "/etc/passwd", "--ro-bind", str(etc / "group"), "/etc/group"]
    # The home folder too is a capped tmpfs, so nothing the student writes reaches the machine's disks; the
    # runtime is mounted into it read-only.
    args += ["--perms", "1777", "--size", str(HOME_MB * 1024 * 1024), "--tmpfs", str(HOME),
             "--ro-bind", str(run / "runtime.py"), str(HOME / "runtime.py")]
    if (run / "runtime.pyc").is_file():  # its compiled code, see sandbox.INIT
        args += ["--ro-bind", str(run / "runtime.pyc"), str(HOME / "runtime.pyc")]
    return args + ["--chdir", str(HOME)]
