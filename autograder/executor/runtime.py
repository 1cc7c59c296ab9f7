"""The student side of the grading engine: runs a submission's cells, then answers probes.

This file is run as a program of its own (``python -I runtime.py``), never imported by the grader for
execution: it is the only place where student code runs, in a process of an unprivileged user. It depends
on the standard library and numpy only, so it can be copied next to any interpreter that has numpy.

Protocol: commands arrive on file descriptor ``CMD_FD``, replies leave on ``REPLY_FD``; each message is a
frame of 10 ASCII digits (the length) followed by that many bytes of UTF-8 JSON. Nothing the student's code
can do here is trusted by the grader: replies are plain data that the grader validates.

Process structure: the first process (the *root*) never runs student code; it forks the *head*, the process
holding the cells' namespace, and reaps what exits (in the sandbox, its init is the root and reaps, and the
first process is the head). The grader sends all cells as one batch first, which the head runs itself (no fork:
it holds nothing else yet); if a cell of it hangs or dies, the head goes with it, and the grader starts a new
student process whose head runs the cells again one by one (see ``grade._run_cells``). For a cell of those (or
any later batch: ``cells``) the head forks a child that runs it. If the child dies or is killed (a hang the
grader stops), the head reports it and goes on with the state from before; if the child finishes, it becomes
the new head and the old head exits (the root adopts and reaps it): the number of processes never grows with
the number of cells. Each probe batch runs in a forked child of the head, so a call that hangs or crashes costs
only its batch.

Correct code never enters this process: a helper the grader substitutes during a probe is a stub that sends
its arguments to the grader (a ``callback`` frame) and returns the grader's answer, which the head relays
from the command pipe (only the head reads it, a whole frame at a time, so it stays in step).

Plots are not graded: ``import matplotlib`` (and any submodule) gives a recording stand-in whose every
attribute, call and operator returns another stand-in, which saves a grade the library's import, its font cache
and the drawing (about a second). A cell that raises after touching the stand-in says so in its reply, and the
grader then runs the whole notebook again in a fresh process with the real library (the ``real_plots`` command).

The cells run in a fresh ``__main__`` module of their own, and everything the runtime calls is a reference
taken at start: cells that rebind ``os.pipe``, ``json.dumps`` or module globals change nothing here.
"""

from __future__ import annotations

import binascii
import builtins
import ctypes
import functools
import gc
import json
import os
import select
import signal
import sys
import time
import traceback
import types
import warnings

import numpy

# Overridden from argv: ``runtime.py CMD_FD REPLY_FD`` (the grader passes its pipe ends through).
CMD_FD = 3
REPLY_FD = 4
MAX_FRAME = 64 * 1024 * 1024
MAX_ELEMENTS = 1_000_000

# Keep our own references: student code may rebind module attributes and builtins in the head process. The
# functions below look builtins up in this private copy, not in the builtins module the cells share.
__builtins__ = dict(builtins.__dict__)  # type: ignore[assignment]  # a private copy, see above
_numpy_at_start = types.SimpleNamespace(**vars(numpy))  # what the grader's helpers call, whatever cells patch
_np_array = numpy.array
_np_frombuffer = numpy.frombuffer
_a2b_base64 = binascii.a2b_base64
_np_asarray = numpy.asarray
_float64 = numpy.float64
_extract_tb = traceback.extract_tb
_DEVNULL = os.devnull
_write = os.write
_read = os.read
_fork = os.fork
_exit = os._exit
_waitpid = os.waitpid
_WNOHANG = os.WNOHANG
_pipe = os.pipe
_close = os.close
_select = select.select
_pidfd_open = getattr(os, "pidfd_open", None)
_listdir = os.listdir
_getpgid = os.getpgid
_getppid = os.getppid
_killpg = os.killpg
_kill = os.kill
_open = open
_new_module = types.ModuleType
_modules = sys.modules
_compile = compile
_exec = exec
_callable = callable
_isinstance = isinstance
_dict = dict
_gc = gc
_getpid = os.getpid
_setpgid = os.setpgid
_sleep = time.sleep
_set_signal = signal.signal
_SIGCHLD, _SIG_DFL = signal.SIGCHLD, signal.SIG_DFL
_monotonic = time.monotonic
try:
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: orphans go to the grader, which reaps them at the end
    _prctl = None  # type: ignore[assignment]
PR_SET_CHILD_SUBREAPER = 36
FORK_PATIENCE = 5.0  # seconds to wait for the process limit to free up (a fork bomb's copies exiting)
_dumps = json.dumps
_loads = json.loads


def write_frame(fd: int, *objs: object) -> None:
    """Frames in one write: for each object 10 ASCII digits of length, then the UTF-8 JSON."""
    parts = []
    for obj in objs:
        data = _dumps(obj, allow_nan=True).encode("utf-8")
        parts += [b"%010d" % len(data), data]
    view = memoryview(b"".join(parts))
    while view:
        n = _write(fd, view)
        view = view[n:]


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks = []
    while n:
        chunk = _read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> dict | None:
    """The next frame on ``fd``, or None at end of stream or on garbage."""
    head = _read_exact(fd, 10)
    if head is None or not head.isdigit() or int(head) > MAX_FRAME:
        return None
    body = _read_exact(fd, int(head))
    return None if body is None else _loads(body.decode("utf-8"))


# ---------------------------------------------------------------------------------------------------------
# Cells


class _Silent:
    """Stands in for Otter's ``grader``: every attribute is a no-op, so check/export cells cost nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        return _Silent()

    def __call__(self, *args, **kwargs):
        return None


def _otter_stub() -> types.ModuleType:
    mod = types.ModuleType("otter")
    mod.Notebook = _Silent  # type: ignore[attr-defined]  # a module built here, attributes set here
    mod.__getattr__ = lambda name: _Silent()  # type: ignore[method-assign]
    return mod


# Cell magics whose body is Python that IPython runs (once or more): the body runs once. Any other cell magic
# (%%bash, %%writefile, %%html ...) holds no Python, and its cell is skipped.
PYTHON_BODY_MAGICS = ("time", "timeit", "capture")


def prepare_source(source: str) -> str:
    """IPython syntax to plain Python: line magics and shell escapes become pass; see PYTHON_BODY_MAGICS."""
    if source.lstrip().startswith("%%"):
        first, _, body = source.lstrip().partition("\n")
        words = first[2:].split()
        if not words or words[0] not in PYTHON_BODY_MAGICS:
            return ""
        source = "\n" + body  # the magic's line stays a line, so tracebacks keep the student's line numbers
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            lines.append(line[: len(line) - len(stripped)] + "pass")
        else:
            lines.append(line)
    return "\n".join(lines)


def run_cell(ns: dict, index: int, source: str) -> dict:
    try:
        code = _compile(prepare_source(source), f"<cell {index}>", "exec")
    except SyntaxError as exc:
        return {"status": "error", "error": f"SyntaxError: {exc.msg} (line {exc.lineno})"}
    try:
        _exec(code, ns)
    except BaseException as exc:  # noqa: BLE001 - a cell's SystemExit or KeyboardInterrupt is its error too
        return {"status": "error", "error": _describe(exc)}
    finally:
        _flush()
    return {"status": "ok"}


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001, S110 - a replaced or closed stream is the student's business
            pass


def _describe(exc: BaseException) -> str:
    line = ""
    for frame in reversed(_extract_tb(exc.__traceback__)):
        if frame.filename.startswith("<cell"):
            line = f" (code {frame.filename[1:-1]}, line {frame.lineno})"  # "code cell N", as in the summary
            break
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001 - a hostile __str__
        text = "?"
    return f"{type(exc).__name__}: {text[:300]}{line}"


# ---------------------------------------------------------------------------------------------------------
# Plotting stand-in

PLOT_MODULES = ("matplotlib", "mpl_toolkits")  # and their submodules
_plot_uses = [0]  # how often the stand-in was touched: a cell that raises after touching it asks for the real one


class _Plot:
    """What every matplotlib name, call result and operation gives: another stand-in, counting each use.

    Iteration yields nothing and unpacking fails (so ``for ax in axes`` does nothing, and a cell that needs real
    values raises and is run again with the real library); ``plt.subplots`` gives ``(figure, axes)``.
    """

    _name: str

    def __init__(self, name: str = "matplotlib") -> None:
        object.__setattr__(self, "_name", name)

    def __getattr__(self, name: str) -> _Plot:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # copy, pickle, numpy and IPython probe dunders: they must not find one
        _plot_uses[0] += 1
        if name == "subplots":
            return _PlotSubplots(f"{self._name}.subplots")
        return _Plot(f"{self._name}.{name}")

    def __call__(self, *args, **kwargs) -> _Plot:
        _plot_uses[0] += 1
        return _Plot(f"{self._name}()")

    def __setattr__(self, name: str, value) -> None:
        _plot_uses[0] += 1

    def __getitem__(self, key) -> _Plot:
        _plot_uses[0] += 1
        return _Plot(f"{self._name}[]")

    def __setitem__(self, key, value) -> None:
        _plot_uses[0] += 1

    def __iter__(self):
        _plot_uses[0] += 1
        return iter(())

    def __len__(self) -> int:
        _plot_uses[0] += 1
        return 0

    def __bool__(self) -> bool:
        return True

    def __enter__(self) -> _Plot:
        _plot_uses[0] += 1
        return self

    def __exit__(self, *exc) -> None:
        return None

    def __repr__(self) -> str:
        return f"<{self._name} (plots are not drawn while grading)>"

    def _operator(self, *args) -> _Plot:
        _plot_uses[0] += 1
        return _Plot(self._name)

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _operator
    __pow__ = __neg__ = __lt__ = __le__ = __gt__ = __ge__ = __matmul__ = __rmatmul__ = _operator

    def __float__(self) -> float:
        _plot_uses[0] += 1
        raise TypeError("a plotting result has no value while grading")

    __int__ = __index__ = __float__


class _PlotSubplots(_Plot):
    def __call__(self, *args, **kwargs) -> tuple:  # type: ignore[override]  # (figure, axes), for unpacking
        _plot_uses[0] += 1
        return _Plot("figure"), _Plot("axes")


class _PlotModule(types.ModuleType):
    """A matplotlib module as the stand-in: a package (submodules import), every attribute a stand-in."""

    def __getattr__(self, name: str):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return getattr(_Plot(self.__name__), name)


class _PlotFinder:
    """On ``sys.meta_path`` while plots are stood in for: finds every matplotlib module before the real one."""

    @staticmethod
    def find_spec(name: str, path=None, target=None):
        if name.split(".")[0] not in PLOT_MODULES:
            return None
        import importlib.machinery

        return importlib.machinery.ModuleSpec(name, _PlotFinder, is_package=True)  # type: ignore[arg-type]

    @staticmethod
    def create_module(spec) -> types.ModuleType:
        module = _PlotModule(spec.name)
        module.__path__ = []  # a package: `import matplotlib.pyplot` finds its submodules here too
        return module

    @staticmethod
    def exec_module(module: types.ModuleType) -> None:
        pass


def stand_in_for_plots(on: bool) -> None:
    """Put the plotting stand-in in front of the real matplotlib, or take it away (before any cell ran)."""
    sys.meta_path[:] = [f for f in sys.meta_path if f is not _PlotFinder]
    if on:
        sys.meta_path.insert(0, _PlotFinder)


# ---------------------------------------------------------------------------------------------------------
# Probes


def _decode(obj):
    if isinstance(obj, dict) and "__f64__" in obj:  # the grader's arrays: float64 bytes in base64
        arr = _np_frombuffer(_a2b_base64(obj["__f64__"]), dtype="<f8").reshape(obj["shape"]).copy()  # owns its data
        arr.setflags(write=False)  # in-place mutation of an input raises, and is reported as such
        return arr
    return obj


def _encode(value) -> dict:
    info: dict = {"type": type(value).__name__[:60]}
    if value is None:
        info["kind"] = "none"
        return info
    if isinstance(value, tuple) and not all(isinstance(v, (int, float)) for v in value):
        # e.g. (theta, losses): the contract asks for theta only
        info["kind"] = "sequence"
        info["length"] = len(value)
        return info
    try:
        raw = _np_asarray(value)
        info["dtype"] = str(raw.dtype)
        info["shape"] = [int(s) for s in raw.shape]
        if raw.size > MAX_ELEMENTS:
            info["kind"] = "too_big"
            return info
        arr = _np_array(raw, dtype=_float64)
    except BaseException as exc:  # noqa: BLE001
        info["kind"] = "unconvertible"
        info["error"] = type(exc).__name__
        return info
    info["kind"] = "array"
    info["values"] = arr.ravel().tolist()
    return info


class CallbackRefused(Exception):
    """The grader would not compute a substituted helper for these arguments (its text says why)."""


def _callback_arg(value, sent: dict) -> dict:
    """A stub's argument as plain numbers; what numpy cannot read as float64 is the caller's TypeError.

    A read-only array already sent in this probe (the probe's own X and y, passed on every iteration) goes as
    a reference to what the grader kept: a descent's thousands of calls then send only W.
    """
    if _isinstance(value, numpy.ndarray) and not value.flags.writeable and value.base is None:
        key = id(value)
        if key in sent:
            return {"ref": sent[key][0]}
        sent[key] = (len(sent), value)  # keeping the array keeps its id from being reused
        return {"__array__": _np_array(value, dtype=_float64).ravel().tolist(),
                "shape": [int(s) for s in value.shape], "keep": sent[key][0]}
    try:
        arr = _np_array(value, dtype=_float64)
    except BaseException:  # noqa: BLE001 - a hostile __array__ or __float__
        raise TypeError(f"expected a numeric array, got {type(value).__name__[:60]}") from None
    if arr.size > MAX_ELEMENTS:
        raise ValueError(f"array of {arr.size} elements is too big (at most {MAX_ELEMENTS})")
    return {"__array__": arr.ravel().tolist(), "shape": [int(s) for s in arr.shape]}


def _stub(name: str, answers: int, sent: dict):
    """What stands for the grader's ``name`` in a probe: it forwards each call and returns the grader's answer.

    It holds no formula: its arguments go to the grader on the reply channel, the head relays the answer from
    the command pipe into ``answers``.
    """

    def helper(*args):
        if len(args) > 8:
            raise TypeError(f"{name}() takes at most 8 arguments ({len(args)} given)")
        write_frame(REPLY_FD, {"op": "callback", "name": name, "args": [_callback_arg(a, sent) for a in args]})
        answer = read_frame(answers)
        if answer is None:
            raise CallbackRefused(f"{name}: no answer from the grader")
        if "error" in answer:
            raise CallbackRefused(str(answer["error"])[:300])
        value = answer.get("value")
        if _isinstance(value, dict):
            return _np_array(value["__array__"], dtype=_float64).reshape(value["shape"])  # type: ignore[index]
        return _float64(value)

    helper.__name__ = helper.__qualname__ = name
    return helper


def _quiet() -> None:
    sys.stdout = sys.stderr = open(_DEVNULL, "w")  # noqa: SIM115 - printing in loops costs time, shows nothing
    warnings.simplefilter("ignore")


def answer_probe(ns: dict, cmd: dict, answers: int) -> dict:
    """Run the calls of one probe batch; each reply says what came back, or what went wrong."""
    _quiet()
    return _probe_reply(ns, cmd, answers)


def answer_probes(ns: dict, cmd: dict, answers: int) -> dict:
    """Run several probe batches (several checks' calls) in turn in this one process: one fork, not one each.

    Each batch finds the namespace as the cells left it: the names a batch bound (its substitutes' stubs, a
    global the student's code rebinds) are put back after it. Each batch's reply goes out in a frame of its own
    as soon as it is known; the grader starts the next batch's time limit from it.
    """
    _quiet()
    me = _getpid()
    groups: list = cmd["groups"] if _isinstance(cmd.get("groups"), list) else []
    for n, group in enumerate(groups):
        names = _dict(ns)
        reply = _probe_reply(ns, group, answers)
        if _getpid() != me:  # a copy the student's code forked: only the process the grader knows may answer
            _exit(0)
        ns.clear()
        ns.update(names)
        write_frame(REPLY_FD, {"op": "group_done", "group": n, "replies": reply["replies"]})
    return {"op": "probes_done", "groups": len(groups)}


def _probe_reply(ns: dict, cmd: dict, answers: int) -> dict:
    # The grader's helpers, for this probe only: stubs that call back to the grader, in place of the student's.
    sent: dict = {}  # read-only arrays the grader already has, shared by the stubs of this probe
    for name in cmd.get("substitutes", []):
        ns[name] = _stub(name, answers, sent)
    replies = []
    for call in cmd["calls"]:
        fn = ns.get(call["fn"])
        if not _callable(fn):
            replies.append({"kind": "missing", "type": type(fn).__name__ if call["fn"] in ns else "undefined"})
            continue
        args = [_decode(a) for a in call["args"]]
        try:
            value = fn(*args)
        except BaseException as exc:  # noqa: BLE001
            reply = {"kind": "error", "error": _describe(exc)}
            if _isinstance(exc, ValueError) and "read-only" in str(exc):
                reply["kind"] = "mutated"
            replies.append(reply)
            continue
        replies.append(_encode(value))
    return {"op": "probe_done", "replies": replies}


# ---------------------------------------------------------------------------------------------------------
# The fork chain


def _become_subreaper() -> None:
    """The head adopts the orphans of the student's code, so it can reap them: zombies count against nproc."""
    if _prctl is not None:
        _prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _oom_first() -> None:
    """Be the OOM killer's first choice (inherited by every fork), so that in a container with little memory
    (Gradescope: 768 MB) a memory-hungry notebook is killed instead of the grader that writes the results."""
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:  # not Linux
        pass


def _reap_children(watched: int = 0) -> int | None:
    """Reap every exited child; returns ``watched``'s wait status if it was among them."""
    status = None
    while True:
        try:
            pid, code = _waitpid(-1, _WNOHANG)
        except ChildProcessError:
            return status
        if pid == 0:
            return status
        if pid == watched:
            status = code


def _end_leftovers(me: int) -> None:
    """End the processes a cell left in its process group (a fork bomb's copies still forking, sleepers): they
    would hold the process limit and the CPU the next requests need. Cheap when the cell forked nothing."""
    try:
        _waitpid(-1, _WNOHANG)
    except ChildProcessError:
        return  # no child, no orphan adopted: nothing was left
    for _ in range(50):  # copies may fork while we look; each pass ends what it finds
        found = False
        try:
            names = _listdir("/proc")
        except OSError:
            return
        for name in names:
            if not name.isdigit() or int(name) == me:
                continue
            try:
                with _open(f"/proc/{name}/stat", "rb") as f:
                    fields = f.read().rpartition(b")")[2].split()
            except OSError:
                continue
            if len(fields) > 2 and int(fields[2]) == me:  # process group: ours (we lead it)
                found = True
                try:
                    _kill(int(name), 9)
                except OSError:
                    pass
        _reap_children()
        if not found:
            return


def _fork_when_allowed() -> int:
    """Fork, waiting a little while the student's exiting processes still fill the process limit."""
    deadline = _monotonic() + FORK_PATIENCE
    while True:
        _reap_children()
        try:
            return _fork()
        except BlockingIOError:
            if _monotonic() > deadline:
                raise
            _sleep(0.01)


def _relay_answer(answers_w: int) -> None:
    """Pass one frame from the grader to the probe child (a callback's answer); a gone child loses nothing."""
    frame = read_frame(CMD_FD)
    if frame is None:
        _exit(0)  # the grader is gone
    if frame.get("op") != "answer":
        _pending.append(frame)  # the next request, sent as soon as the child's reply arrived: served next
        return
    try:
        write_frame(answers_w, frame)
    except OSError:  # the child died or closed its end
        pass


def _wait_for(pid: int, done_r: int, answers_w: int) -> tuple[bool, int]:
    """Wait until child ``pid`` says it is done or exits, relaying callback answers meanwhile.

    Returns (said_done, wait status or -1 when it has not exited). Orphans adopted meanwhile are reaped.
    """
    try:
        exited = _pidfd_open(pid) if _pidfd_open is not None else -1
    except OSError:  # no pidfd here (old kernel, filtered syscall): poll instead
        exited = -1
    # Only a probe's child calls back: during a cell the command pipe is left for the next head to read.
    watch = [done_r] + ([CMD_FD] if answers_w >= 0 else []) + ([exited] if exited >= 0 else [])
    status = -1
    said_done = False
    try:
        while True:
            ready, _, _ = _select(watch, [], [], 0.2 if exited >= 0 else 0.01)
            if done_r in ready:
                said_done = bool(_read(done_r, 1))
                watch.remove(done_r)
                if said_done:
                    return True, -1
            if CMD_FD in ready and not _pending:
                _relay_answer(answers_w)
            reaped = _reap_children(pid)
            if reaped is not None:
                status = reaped
                # A last word written just before exiting is still in the pipe.
                return bool(_select([done_r], [], [], 0)[0] and _read(done_r, 1)), status
    finally:
        if exited >= 0:
            _close(exited)


def _in_child(work, becomes_head: bool) -> bool:
    """Fork; the child runs ``work(answers_fd)`` (its reply is written by it). True in a child that becomes head.

    The child reports its own pid before anything else (before any student code, so the number can be trusted;
    a report from the parent would cost a handshake per request), the parent waits for it and reports a death
    that happened before the child said its work was done. When a cell's child is done, it is the new head and
    the parent exits: only the root waits for heads, so processes do not pile up with cells.
    """
    # A cell that ignored SIGCHLD would make its children vanish unwaited, and our waitpid fail.
    _set_signal(_SIGCHLD, _SIG_DFL)
    done_r, done_w = _pipe()
    answers_r, answers_w = _pipe()
    pid = _fork_when_allowed()
    if pid == 0:
        _setpgid(0, 0)  # a process group of its own: a cell that signals its group (kill(0, ...)) ends only itself
        if becomes_head:
            _become_subreaper()  # not inherited across fork
        _close(done_r)
        _close(answers_w)
        me = _getpid()
        write_frame(REPLY_FD, {"op": "started", "pid": me})
        reply = work(answers_r)
        if _getpid() != me:  # a copy the student's code forked: only the process the grader knows may answer
            _exit(0)
        if becomes_head:
            try:  # leave our group for our parent's, then end the whole group at once (atomic against forks)
                _setpgid(0, _getpgid(_getppid()))
                _killpg(me, 9)
                _reap_children()
            except OSError:  # the parent is gone (the cell killed it): look for what is left one by one
                _end_leftovers(me)
        # The reply and the end of the request together: the old head may be gone (a cell can kill it).
        write_frame(REPLY_FD, reply, {"op": "ended"})
        try:
            _close(answers_r)
        except OSError:  # the cell closed it
            pass
        try:
            _write(done_w, b"D")
            _close(done_w)
        except OSError:  # the parent is gone (the cell killed it): nobody waits for this word
            pass
        if becomes_head:
            return True
        _exit(0)
    _close(done_w)
    _close(answers_r)
    said_done, status = _wait_for(pid, done_r, -1 if becomes_head else answers_w)
    _close(done_r)
    _close(answers_w)
    if not said_done:
        write_frame(REPLY_FD, {"op": "died", "status": status})
        return False
    if becomes_head:
        _exit(0)  # the child holds the state now; the root reaps us
    if status == -1:
        _waitpid(pid, 0)  # a probe's child exits right after its word
    return False


def _here(work) -> None:
    """Run ``work`` (a batch of cells) in the head itself, as :func:`_in_child` runs it in a child, without the
    fork: a fork and the pages its child then copies cost as much CPU as a notebook's cells. If a cell hangs or
    dies, the head goes with it, and the grader starts a new student process to run again the cells before it
    (``grade._run_cells``); so the grader asks for this only when the head holds nothing else yet."""
    me = _getpid()
    _set_signal(_SIGCHLD, _SIG_DFL)
    write_frame(REPLY_FD, {"op": "started", "pid": me})
    reply = work(-1)
    if _getpid() != me:  # a copy the student's code forked: only the process the grader knows may answer
        _exit(0)
    write_frame(REPLY_FD, reply, {"op": "ended"})  # _cells_reply ended what each cell left in our group


def _cell_reply(ns: dict, index: int, source: str, answers: int) -> dict:
    uses = _plot_uses[0]
    reply = {"op": "cell_done", **run_cell(ns, index, source)}
    if reply["status"] == "error" and _plot_uses[0] != uses:
        reply["plot_stand_in"] = True  # it may have needed real plotting results: the grader reruns with them
    return reply


def _cells_reply(ns: dict, cells: list, budget: float, answers: int) -> dict:
    """Run ``cells`` ([index, source] pairs) in order in this one process, each cell's outcome in a frame of its
    own as soon as it is known (the grader times each cell from the previous frame). Between cells, what a cell
    left running in our process group is ended, as a cell of its own would have it. Stops before a cell once
    ``budget`` seconds have passed since the first: the reply says where."""
    me = _getpid()
    started = _monotonic()
    for n, (index, source) in enumerate(cells):
        if _monotonic() - started > budget:
            return {"op": "cells_done", "ran": n}
        _set_signal(_SIGCHLD, _SIG_DFL)
        frame = {**_cell_reply(ns, index, source, answers), "index": index}
        if _getpid() != me:  # a copy the cell forked came back here: only the process the grader knows goes on
            _exit(0)
        _end_leftovers(me)
        write_frame(REPLY_FD, frame)
    return {"op": "cells_done", "ran": len(cells)}


_pending: list[dict] = []  # a request read while relaying answers


def _serve_as_head(ns: dict) -> None:
    while True:
        cmd = _pending.pop() if _pending else read_frame(CMD_FD)
        if cmd is None or cmd.get("op") == "exit":
            _exit(0)
        op = cmd.get("op")
        if op == "cell":
            _in_child(functools.partial(_cell_reply, ns, cmd["index"], cmd["source"]), becomes_head=True)
        elif op == "cells" and cmd.get("here") is True:  # the first cells, in this process: see _here
            _here(functools.partial(_cells_reply, ns, cmd["cells"], cmd["budget"]))
        elif op == "cells":  # every cell in one child (one fork, not one per cell); see session.run_cells
            _in_child(functools.partial(_cells_reply, ns, cmd["cells"], cmd["budget"]), becomes_head=True)
        elif op == "probe":
            _in_child(functools.partial(answer_probe, ns, cmd), becomes_head=False)
        elif op == "probes":  # several checks' probes in one child (see session.probe_groups)
            _in_child(functools.partial(answer_probes, ns, cmd), becomes_head=False)
        elif op == "real_plots":  # sent before the first cell, when the stand-in failed a cell: no reply
            stand_in_for_plots(False)
        # anything else (a callback answer that arrived after its probe ended) is dropped


def _reap_until_alone() -> None:
    """The root's whole job after start: reap exited heads and orphans; leave when nothing is left."""
    while True:
        try:
            _waitpid(-1, 0)
        except ChildProcessError:
            _exit(0)


def serve(init_reaps: bool = False) -> None:
    # The cells' own __main__: `import __main__` in a cell finds their namespace, not this runtime.
    main = _new_module("__main__")
    main.__builtins__ = builtins  # type: ignore[attr-defined]
    _modules["__main__"] = main
    ns = main.__dict__
    _modules["otter"] = _otter_stub()
    stand_in_for_plots(True)
    _become_subreaper()
    _oom_first()
    # What the start imported lives as long as the process: frozen, no collection scans it again (nor, in a
    # forked child, writes to its pages). The sandbox's init started us with collections off (numpy's hundreds
    # of modules make garbage to scan, not cycles); they resume for what the student's code makes.
    _gc.freeze()
    _gc.enable()
    write_frame(REPLY_FD, {"op": "ready", "pid": _getpid()})
    # In the sandbox, its init (pid 1) reaps exited heads and orphans: a root of our own would cost a fork of
    # this process (a few ms: it copies the page tables numpy's import filled) for nothing.
    if not init_reaps and _fork() != 0:
        _reap_until_alone()
    _setpgid(0, 0)  # the head leads a group of its own: what cells run in it leave there (see _end_leftovers)
    _become_subreaper()
    _serve_as_head(ns)


if __name__ == "__main__":
    CMD_FD, REPLY_FD = int(sys.argv[1]), int(sys.argv[2])
    serve(init_reaps=sys.argv[3:] == ["init-reaps"])
