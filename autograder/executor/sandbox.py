"""How the student process is started and ended: the sandbox, the user, the OS limits, the environment.

Three isolation modes, chosen by the caller (see :func:`choose`):

- ``sandbox``: bubblewrap (Debian's ``bubblewrap``, Flatpak's sandbox) gives the process fresh user, mount,
  PID, IPC, network, UTS and cgroup namespaces, no capabilities, no new privileges, a new session, and the
  allow-list filesystem of :mod:`.allowlist`. Run as root, bubblewrap itself runs as an unprivileged pool
  user (``setpriv``), so the sandbox's processes are that user outside too; not root, it runs as the
  current user through unprivileged user namespaces. Clean-up kills the namespace's init from outside it:
  the kernel then kills every process of the namespace, and nothing inside can see or reach the grader.
- ``user-switch`` (Gradescope's Docker, which forbids namespaces): today's fallback, the unprivileged user
  with rlimits, the grader's files root-only (``setup.sh``), clean-up by ``kill -1`` as that user.
- ``none``: the current user, rlimits only. Only for ``gdkit check`` on one's own notebook and for an
  explicit ``--unsafe-no-sandbox``.

rlimits are applied by ``prlimit`` rather than a ``preexec_fn`` so that submissions can be graded from
threads safely; a cgroup (:mod:`.cgroups`) is joined by a one-line shell wrapper for the same reason.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import importlib.machinery
import importlib.util
import json
import marshal
import os
import pwd
import select
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from gdkit.autograder.executor import allowlist

DEFAULT_USER = "gdkit-student"
PR_SET_CHILD_SUBREAPER = 36
SANDBOX, USER_SWITCH, NONE = "sandbox", "user-switch", "none"
SANDBOX_LINE = "sandbox: bubblewrap (user, mount, PID, IPC, network, UTS, cgroup namespaces)"
UNSAFE_MARK = "UNSAFE (--unsafe-no-sandbox: student code ran without a sandbox):"
INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`, Fedora: `dnf install "
                "bubblewrap`, Arch: `pacman -S bubblewrap`), or on macOS/Windows grade in a Linux VM; "
                "`--unsafe-no-sandbox` grades without any isolation (only for notebooks you trust)")


@dataclass(frozen=True)
class Limits:
    """OS, cgroup and time limits for one submission's student process (and each process it forks)."""

    memory_mb: int = 1024  # address space per process; numpy needs >= ~512 with one BLAS thread
    cpu_seconds: int = 120  # CPU time per process
    file_size_mb: int = 16
    open_files: int = 64
    processes: int = 256  # per uid (rlimit) and per submission (cgroup)
    cell_timeout: float = 30.0  # CPU time per notebook cell (wall clock without a cgroup), see cpuclock
    cells_budget: float = 150.0  # wall clock for all cells: many hanging cells stay under Gradescope's 10 min
    probe_timeout: float = 10.0  # CPU time per probe batch (one check's calls), see cpuclock
    output_cap: int = 64 * 1024  # bytes of the student's stdout kept for the log
    cpu_cores: float | None = None  # the submission's share of the cores (cgroup); None: all of them
    group_memory_mb: int = 2048  # all of the submission's processes and its tmpfs together (cgroup)


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

    A fixed pool, reused, as few users as slots: each run (a thread of ``-j``, or another ``gdkit grade``) takes
    the first of gdkit-student, gdkit-student1, ... whose lock is free. Users are not shared between slots at
    once, so one submission cannot signal another even in the user-switch fallback (clean-up by ``kill -1``).
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


def _prlimit(limits: Limits) -> list[str]:
    mb = 1024 * 1024
    return [
        shutil.which("prlimit") or "prlimit",
        f"--as={limits.memory_mb * mb}",
        f"--cpu={limits.cpu_seconds}",
        f"--fsize={limits.file_size_mb * mb}",
        f"--nofile={limits.open_files}",
        f"--nproc={limits.processes}",
        "--core=0",
        "--",
    ]


def _setpriv(user: StudentUser) -> list[str]:
    return [shutil.which("setpriv") or "setpriv", f"--reuid={user.uid}", f"--regid={user.gid}",
            "--clear-groups", "--inh-caps=-all", "--no-new-privs", "--pdeathsig=KILL", "--"]


def _bwrap(info_fd: int, mounts: Sequence[str]) -> list[str]:
    # --as-pid-1: our INIT is the namespace's init (bubblewrap's own ends the namespace when the first
    # process exits, and the runtime's fork chain may let its first process exit).
    return [shutil.which("bwrap") or "bwrap", "--unshare-all", "--as-pid-1", "--die-with-parent", "--new-session",
            "--uid", str(allowlist.UID), "--gid", str(allowlist.GID), "--cap-drop", "ALL",
            "--hostname", "notebook", "--info-fd", str(info_fd), *mounts, "--"]


# The sandbox's init (pid 1): starts the runtime with the argv it was given, lets go of the pipes (the grader
# sees end-of-stream when every runtime process is gone), then reaps orphans until the grader kills it.
# Processes inside cannot signal their namespace's init (the kernel drops signals it has no handler for; the
# init drops Python's SIGINT handler, the one it had), so nothing of the student can end it early.
# The runtime runs in the init's fork, not in a second interpreter started by exec: it does what -S left out
# (the interpreter's site-packages, as a plain start adds them) and runs the runtime's compiled code when the
# grader left it beside the source for this interpreter (runtime.pyc), else the source. One interpreter start
# and no compiling per submission, about 15 ms of its 0.15 s start.
# site.main() runs with the .pth files' "import" lines shadowed (the only exec in site): they are installers'
# start-up hooks, such as an editable install's finder (pathlib and more, 12 ms of every start) or setuptools'
# distutils shim, that no notebook needs; the .pth files' paths are still added.
INIT = ("import os, sys, time\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    try:\n"
        "        import gc, marshal, site, _frozen_importlib_external\n"
        "        gc.disable()\n"
        "        site.exec = lambda line: None\n"
        "        site.main()\n"
        "        del site.exec\n"
        "        sys.argv = sys.argv[1:]\n"
        "        path = sys.argv[0]\n"
        "        try:\n"
        "            with open(path + 'c', 'rb') as f:\n"
        "                data = f.read()\n"
        "        except OSError:\n"
        "            data = b''\n"
        "        if data[:4] == _frozen_importlib_external.MAGIC_NUMBER:\n"
        "            code = marshal.loads(data[16:])\n"
        "        else:\n"
        "            with open(path, 'rb') as f:\n"
        "                code = compile(f.read(), path, 'exec', dont_inherit=True)\n"
        "        exec(code, {'__name__': '__main__', '__file__': path, '__builtins__': __builtins__})\n"
        "    except BaseException:\n"
        "        import traceback\n"
        "        traceback.print_exc()\n"
        "        sys.stderr.flush()\n"
        "    os._exit(1)\n"
        "import signal\n"
        "signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
        "for fd in sys.argv[2:4]:\n"
        "    os.close(int(fd))\n"
        "while True:\n"
        "    try:\n"
        "        os.wait()\n"
        "    except ChildProcessError:\n"
        "        time.sleep(1)\n")


INIT_REAPS = "init-reaps"  # tells the runtime that the sandbox's init reaps what it leaves


@functools.cache
def compiled_runtime(runtime: Path, inside: Path) -> bytes:
    """``runtime`` compiled for this interpreter, as a .pyc file's bytes (named ``inside`` in tracebacks): the
    sandbox's init runs it when the student's interpreter has the same magic number, else the source.

    The code comes from the import system's cache beside the source when it is fresh (pip writes it at
    install, a first run otherwise): compiling the runtime cost 7 ms at the start of every ``gdkit grade``.
    """
    code = importlib.machinery.SourceFileLoader("gdkit_runtime", str(runtime)).get_code("gdkit_runtime")
    if code is None:  # only for a source-less loader; this one always has the source
        raise ImportError(f"no code for {runtime}")
    return importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(_renamed(code, str(inside)))


def _renamed(code: types.CodeType, filename: str) -> types.CodeType:
    consts = tuple(_renamed(c, filename) if isinstance(c, types.CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def _join_cgroup(procs_files: Sequence[Path]) -> list[str]:
    """A shell that moves itself into the cgroup, then execs the rest: everything after starts inside it."""
    writes = "".join(f"echo $$ > {shlex.quote(str(f))} && " for f in procs_files)
    return ["/bin/sh", "-c", writes + 'exec "$@"', "gdkit-cgroup"]


def command(mode: str, python: str, runtime: Path, fds: tuple[int, int], limits: Limits,
            user: StudentUser | None, *, mounts: Sequence[str] = (), info_fd: int = -1,
            cgroup_procs: Sequence[Path] = ()) -> list[str]:
    """The argv that starts the runtime in ``mode`` (see the module docstring).

    ``runtime`` is the path as the student process sees it; ``mounts`` and ``info_fd`` are bubblewrap's
    (sandbox mode); ``cgroup_procs`` the cgroup files to join first (root only).
    """
    argv = _join_cgroup(cgroup_procs) if cgroup_procs else []
    argv += _prlimit(limits)
    if mode == SANDBOX:
        argv += (_setpriv(user) if user is not None else []) + _bwrap(info_fd, mounts)
        argv += [python, "-I", "-S", "-c", INIT]
        return argv + [str(runtime), str(fds[0]), str(fds[1]), INIT_REAPS]
    elif mode == USER_SWITCH:
        if user is None:
            raise ValueError("the user-switch mode needs a student user (root)")
        if network_namespace_available():
            argv += [shutil.which("unshare") or "unshare", "-n", "--"]
        argv += _setpriv(user)
    return argv + [python, "-I", str(runtime), str(fds[0]), str(fds[1])]


_SANDBOX_WORKS: set[tuple[str, int | None, int | None]] = set()


def sandbox_problem(python: str, uid: int | None = None, gid: int | None = None) -> str | None:
    """None if the sandbox works here for ``python`` (run as ``uid`` when root), else what is wrong and the fix.

    A success is remembered for the process; a failure is tried once more and never remembered, so a moment
    of overload (fork failing) does not turn the sandbox off for the rest of a batch.
    """
    key = (python, uid, gid)
    if key in _SANDBOX_WORKS:
        return None
    problem = _probe(python, uid, gid)
    if problem is not None and shutil.which("bwrap") is not None:
        time.sleep(0.5)
        problem = _probe(python, uid, gid)
    if problem is None:
        _SANDBOX_WORKS.add(key)
    return problem


def bwrap_missing() -> str | None:
    """What to install when bubblewrap is not on the PATH (cheap: no process started), else None."""
    return None if shutil.which("bwrap") else f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}"


def _probe(python: str, uid: int | None, gid: int | None) -> str | None:
    missing = bwrap_missing()
    if missing:
        return missing
    bwrap = shutil.which("bwrap") or "bwrap"
    try:
        return _probe_in_folder(bwrap, python, uid, gid)
    except OSError as exc:  # the grader's temporary folder is full or unwritable: say where, not a traceback
        return (f"cannot prepare a sandbox in the temporary folder {tempfile.gettempdir()}: "
                f"{exc.strerror or exc} (free space there, or point TMPDIR elsewhere)")


def _probe_in_folder(bwrap: str, python: str, uid: int | None, gid: int | None) -> str | None:
    with tempfile.TemporaryDirectory(prefix="gdkit-probe-") as tmp:
        run, mask, etc = allowlist.prepare(Path(tmp))
        (run / "runtime.py").write_text("")
        os.chmod(tmp, 0o755)
        user = StudentUser("probe", uid, gid) if uid is not None and gid is not None else None
        if user is not None:
            os.chown(run, user.uid, user.gid)
        argv = (_setpriv(user) if user else []) + [
            bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--uid", str(allowlist.UID),
            "--gid", str(allowlist.GID), "--cap-drop", "ALL", *allowlist.mounts(python, run, mask, etc), "--",
            python, "-I", "-S", "-c", "pass"]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap could not run ({exc}): {INSTALL_HINT}"
    if done.returncode != 0 and "Can't find source path" in done.stderr:
        # The interpreter or its packages are unreachable for the grading user (a Python under /root, a venv in
        # a 0700 folder): the install's problem, not the kernel's.
        return (f"the grading user cannot reach the interpreter's files ({done.stderr.strip()[-300:]}): put the "
                f"venv where every user can read it (./dev builds it from the system's python3), or set "
                f"GDKIT_PYTHON")
    if done.returncode != 0:
        return (f"bubblewrap cannot create a sandbox here ({done.stderr.strip()[-300:]}); unprivileged user "
                "namespaces may be disabled (sysctl kernel.unprivileged_userns_clone=1, or the container forbids "
                f"them): {INSTALL_HINT}")
    return None


def choose(python: str, user: StudentUser | None, *, fallback: str | None) -> tuple[str, str]:
    """(mode, log line): the sandbox when it works, else ``fallback`` (None: the sandbox or nothing, raising)."""
    problem = sandbox_problem(python, *((user.uid, user.gid) if user else (None, None)))
    if problem is None:
        return SANDBOX, SANDBOX_LINE
    if fallback is None:
        raise SandboxUnavailable(problem)
    return fallback, f"no sandbox ({problem}); running in mode {fallback}"


class SandboxUnavailable(Exception):
    """No sandbox can be made here; the message says what to install or how to run."""


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


@dataclass(frozen=True)
class Namespace:
    """A running sandbox seen from outside: its init process (host pid) and its PID namespace (inode).

    Learnt from bubblewrap's ``--info-fd``, written by bubblewrap before student code starts, never from
    anything the student process says.
    """

    init_pid: int
    pid_namespace: int

    @classmethod
    def read_info(cls, fd: int, deadline: float) -> Namespace | None:
        """Parse bubblewrap's info JSON from ``fd`` (closed here); None if it never came (bwrap failed)."""
        data = b""
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
                if not ready:
                    break
                chunk = os.read(fd, 4096)
                if not chunk:
                    break
                data += chunk
        finally:
            os.close(fd)
        try:
            info = json.loads(data)
            return cls(int(info["child-pid"]), int(info["pid-namespace"]))
        except (ValueError, KeyError, TypeError):
            return None

    def host_pid(self, ns_pid: int) -> int | None:
        """The host pid of the sandbox's process numbered ``ns_pid`` inside, if it is (still) there."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = (entry / "status").read_text()
                nspid = next(line for line in status.splitlines() if line.startswith("NSpid:")).split()[1:]
                if len(nspid) < 2 or int(nspid[-1]) != ns_pid:
                    continue
                if os.stat(entry / "ns" / "pid").st_ino == self.pid_namespace:
                    return int(entry.name)
            except (OSError, StopIteration, ValueError):
                continue
        return None

    def kill_process(self, ns_pid: int) -> None:
        """SIGKILL one process of the sandbox, named by its pid inside."""
        pid = self.host_pid(ns_pid)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def kill(self) -> None:
        """End the whole sandbox: killing a PID namespace's init makes the kernel kill everything in it."""
        try:
            if os.stat(f"/proc/{self.init_pid}/ns/pid").st_ino != self.pid_namespace:
                return  # gone already, its pid reused by someone else
            os.kill(self.init_pid, signal.SIGKILL)
        except (ProcessLookupError, FileNotFoundError):
            pass
