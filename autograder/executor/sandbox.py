"""How the student process is started: which user, which OS limits, which environment.

Running as root, the runtime runs as an unprivileged user (``setpriv``), with rlimits (``prlimit``), without
network where the kernel allows a new network namespace (``unshare -n``), in its own session, with a
scrubbed environment and stdin closed. Not root (a student's laptop), the same command runs without the user
switch and the network namespace, and the log says so. The rlimits are applied by ``prlimit`` rather than a
``preexec_fn`` so that several submissions can be graded from threads safely.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import os
import pwd
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from gdkit.autograder.executor import hiding

DEFAULT_USER = "gdkit-student"
PR_SET_CHILD_SUBREAPER = 36


@dataclass(frozen=True)
class Limits:
    """OS and wall-clock limits for one submission's student process (and each process it forks)."""

    memory_mb: int = 1024  # address space per process; numpy needs >= ~512 with one BLAS thread
    cpu_seconds: int = 120  # CPU time per process
    file_size_mb: int = 16
    open_files: int = 64
    processes: int = 256  # per uid: the fork chain holds one process per cell
    cell_timeout: float = 30.0  # wall clock per notebook cell
    cells_budget: float = 150.0  # wall clock for all cells: many hanging cells stay under Gradescope's 10 min
    probe_timeout: float = 10.0  # wall clock per probe batch (one check's calls)
    output_cap: int = 64 * 1024  # bytes of the student's stdout kept for the log


@dataclass(frozen=True)
class StudentUser:
    name: str
    uid: int
    gid: int


def is_root() -> bool:
    return os.geteuid() == 0


def ensure_user(name: str = DEFAULT_USER) -> StudentUser:
    """The unprivileged user student code runs as; created (system user, no home, no shell) if missing."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        subprocess.run(
            [useradd, "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
             "/usr/sbin/nologin", "--user-group", name],
            check=True, capture_output=True, text=True,
        )
        entry = pwd.getpwnam(name)
    if entry.pw_uid == 0:
        raise RuntimeError(f"user {name!r} has uid 0: student code must run as an unprivileged user")
    return StudentUser(name, entry.pw_uid, entry.pw_gid)


LOCK_DIR = Path("/run/gdkit")
MAX_USERS = 64


@contextlib.contextmanager
def exclusive_user() -> Iterator[StudentUser]:
    """A student user no other grading run on this machine is using, for as long as the context lasts.

    Clean-up kills every process of the user, so two runs (threads of ``-j``, or two ``gdkit grade`` at once)
    must never share one: each takes the first of gdkit-student, gdkit-student1, ... whose lock is free.
    """
    LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
    for k in range(MAX_USERS):
        name = DEFAULT_USER if k == 0 else f"{DEFAULT_USER}{k}"
        fd = os.open(LOCK_DIR / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield ensure_user(name)
        finally:
            os.close(fd)  # releases the lock
        return
    raise RuntimeError(f"all {MAX_USERS} grading users are busy")


@functools.cache
def network_namespace_available() -> bool:
    """Docker (Gradescope) usually denies new namespaces; a root shell on a VM allows them."""
    unshare = shutil.which("unshare")
    if not unshare or not is_root():
        return False
    try:
        return subprocess.run([unshare, "-n", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def command(python: str, runtime: Path, fds: tuple[int, int], limits: Limits,
            user: StudentUser | None, hidden: Sequence[Path] = ()) -> list[str]:
    """The argv that starts the runtime under the limits (and the user switch when ``user`` is given).

    ``hidden``: paths covered by empty mounts in a new mount namespace (see :mod:`.hiding`); only with ``user``,
    since the mounts are made as root before the switch.
    """
    mb = 1024 * 1024
    argv = [
        shutil.which("prlimit") or "prlimit",
        f"--as={limits.memory_mb * mb}",
        f"--cpu={limits.cpu_seconds}",
        f"--fsize={limits.file_size_mb * mb}",
        f"--nofile={limits.open_files}",
        f"--nproc={limits.processes}",
        "--core=0",
        "--",
    ]
    if user is not None:
        namespaces = (["-n"] if network_namespace_available() else []) + (["-m", "--propagation", "private"]
                                                                         if hidden else [])
        if namespaces:
            argv += [shutil.which("unshare") or "unshare", *namespaces, "--"]
        if hidden:
            argv += ["/bin/sh", "-c", hiding.mount_script(list(hidden)), "gdkit-hide"]
        argv += [
            shutil.which("setpriv") or "setpriv",
            f"--reuid={user.uid}", f"--regid={user.gid}", "--clear-groups",
            "--inh-caps=-all", "--no-new-privs", "--pdeathsig=KILL", "--",
        ]
    return argv + [python, "-I", str(runtime), str(fds[0]), str(fds[1])]


def environment(workdir: Path) -> dict[str, str]:
    """A scrubbed environment: nothing of the grader's, one BLAS thread, a headless matplotlib."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "LANG": "C.UTF-8",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": str(workdir / ".matplotlib"),
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    # Some processors need these for a correct OpenBLAS; they carry no secret.
    for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def owned_by(pid: int, user: StudentUser | None, session: int) -> bool:
    """Whether ``pid`` is a student process we may kill: never trust a pid the student reported."""
    try:
        if user is not None:
            status = Path(f"/proc/{pid}/status").read_text()
            uids = next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1:]
            return all(int(u) == user.uid for u in uids)
        stat = Path(f"/proc/{pid}/stat").read_text()
        return int(stat.rsplit(")", 1)[1].split()[3]) == session  # fields: state ppid pgrp session
    except (OSError, StopIteration, ValueError, IndexError):
        return False


def processes_of(uid: int) -> list[tuple[int, int, bool]]:
    """(pid, parent pid, is a zombie) for every process of ``uid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = dict(line.split(":", 1) for line in (entry / "status").read_text().splitlines() if ":" in line)
            if int(fields["Uid"].split()[0]) == uid:
                found.append((int(entry.name), int(fields["PPid"]), fields["State"].strip().startswith("Z")))
        except (OSError, KeyError, ValueError):
            continue
    return found


def live_processes(uid: int) -> list[int]:
    """Pids of the processes of ``uid`` that still run (zombies are dead and only wait to be reaped)."""
    return [pid for pid, _, zombie in processes_of(uid) if not zombie]


def become_subreaper() -> None:
    """Orphaned student processes are re-parented to us, so we can reap them (zombies count against nproc)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _reap(uid: int) -> None:
    me = os.getpid()
    for pid, ppid, zombie in processes_of(uid):
        if zombie and ppid == me:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def kill_everything(user: StudentUser | None, session: int, wait: float = 10.0) -> None:
    """Leave nothing of the submission running, including processes that started a new session."""
    if user is not None:
        # kill(-1) as the student uid reaches every process of that uid, in one pass per call; repeated while
        # a fork loop can still slip a new process past a pass, and until every zombie is reaped.
        setpriv = shutil.which("setpriv") or "setpriv"
        deadline = time.monotonic() + wait
        while True:
            if live_processes(user.uid):
                subprocess.run(
                    [setpriv, f"--reuid={user.uid}", f"--regid={user.gid}", "--clear-groups", "--",
                     "/bin/kill", "-KILL", "-1"],
                    capture_output=True, timeout=10,
                )
            _reap(user.uid)
            if not processes_of(user.uid) or time.monotonic() > deadline:
                return
            time.sleep(0.01)
    else:
        try:
            os.killpg(session, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
