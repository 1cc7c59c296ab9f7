"""The grader's handle on one submission's student process: run cells, ask probes, enforce time, clean up.

Everything that comes back is raw plain data (dicts of lists and numbers); turning it into checked values is
the job of :mod:`gdkit.autograder.observations`.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

from gdkit.autograder.executor import allowlist, cgroups, sandbox
from gdkit.autograder.executor.cpuclock import BACKSTOP, Deadline
from gdkit.autograder.executor.sandbox import Limits, StudentUser

RUNTIME = Path(__file__).with_name("runtime.py")
MAX_FRAME = 64 * 1024 * 1024
MAX_CALLBACKS = 1_000_000  # per probe: far above what a descent of the checks' sizes needs
_BAD = {"op": "bad_frame"}  # a frame too big or too deeply nested to read: skipped, the stream stays in step
START_TIMEOUT = 60.0
KILL_GRACE = 5.0


class ExecutorBroken(Exception):
    """The student process stopped answering sensibly; no more requests can be served."""


# What became of one cell / one probe batch. Literal types, so mypy checks that every consumer handles each one
# (see grade._cells_summary and framework._outcome_problem, which end in assert_never).
CellStatus = Literal["ok", "error", "timeout", "died", "skipped", "over_budget"]
ProbeStatus = Literal["ok", "timeout", "died", "broken"]


@dataclass
class CellOutcome:
    index: int
    status: CellStatus
    error: str = ""
    plot_stand_in: bool = False  # it raised after touching the plotting stand-in (see runtime.py)


@dataclass
class ProbeOutcome:
    status: ProbeStatus
    replies: list[dict] = field(default_factory=list)


class ProbeGroup(NamedTuple):
    """One check's probe, as :meth:`ExecutorSession.probe` takes it."""

    calls: list[dict]
    substitutes: Sequence[str] = ()
    serve: Callable[[str, object], dict] | None = None


class ExecutorSession:
    """One student process for one submission. Use as a context manager: leaving it kills everything."""

    def __init__(self, python: str | None = None, limits: Limits | None = None,
                 user: StudentUser | None = None, isolation: str | None = None) -> None:
        """``isolation``: a mode of :mod:`.sandbox` (``sandbox``, ``user-switch``, ``none``); by default the
        sandbox when it works here, else the user switch as root, else none."""
        self.python = python or sys.executable
        self.limits = limits or Limits()
        self.user = user
        self.isolation = isolation
        self.log: list[str] = []
        self._buffer = bytearray()
        self._skip = 0  # bytes still to drop of a frame too big to keep
        self._broken = False
        self._killed = False  # by kill(), from outside: no restart
        self._real_plots = False
        self._output = bytearray()
        self._output_dropped = 0
        self._namespace: sandbox.Namespace | None = None
        self._cgroup: cgroups.Group | None = None
        self._info_r = -1  # bubblewrap's info pipe, read by await_ready
        self.requests = 0  # forked requests sent (each served by a child of its own): cells, probe batches
        self.probes = 0  # probes asked for (one per check's call), however many children served them

    # -- lifecycle -----------------------------------------------------------------------------------------

    def __enter__(self) -> ExecutorSession:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def start(self) -> None:
        self.launch()
        self.await_ready()

    def launch(self) -> None:
        """The first half of :meth:`start`: the student process is started, not yet up (see :meth:`await_ready`).
        The grader's own work in starting it is all here, the wait for its interpreter all in the other half."""
        sandbox.become_subreaper()
        if self.isolation is None:
            fallback = sandbox.USER_SWITCH if self.user is not None else sandbox.NONE
            self.isolation, line = sandbox.choose(self.python, self.user, fallback=fallback)
        elif self.isolation == sandbox.SANDBOX:
            # Asked for by name: the caller has checked that it works here (batch.sandboxing, the Gradescope
            # entry's choose); a sandbox that cannot start fails below like any student process that does not.
            line = sandbox.SANDBOX_LINE
        else:
            line = f"no sandbox: mode {self.isolation}"
        self.log.append(line)
        self.workdir = Path(tempfile.mkdtemp(prefix="gdkit-run-"))
        in_sandbox = self.isolation == sandbox.SANDBOX
        if in_sandbox:
            run, mask, etc = allowlist.prepare(self.workdir)
            home = allowlist.HOME
        else:
            run, home = self.workdir, self.workdir
        shutil.copyfile(RUNTIME, run / "runtime.py")
        os.chmod(run / "runtime.py", 0o644)
        mounts: list[str] = []
        if in_sandbox:
            (run / "runtime.pyc").write_bytes(sandbox.compiled_runtime(RUNTIME, home / "runtime.py"))
            os.chmod(run / "runtime.pyc", 0o644)
            mounts = allowlist.mounts(self.python, run, mask, etc)
        if self.user is not None:
            os.chown(run, self.user.uid, self.user.gid)
            self.log.append(f"student code runs as user {self.user.name} (uid {self.user.uid})")
        else:
            self.log.append("not root: student code runs as the current user"
                            + (" inside the sandbox" if in_sandbox else " (no isolation); OS limits still apply"))
        self._start_cgroup()
        cmd_r, self._cmd_w = os.pipe()
        os.set_blocking(self._cmd_w, False)  # see _send
        self._reply_r, reply_w = os.pipe()
        info_r, info_w = os.pipe() if in_sandbox else (-1, -1)
        argv = sandbox.command(self.isolation, self.python, home / "runtime.py", (cmd_r, reply_w), self.limits,
                               self.user, mounts=mounts, info_fd=info_w,
                               cgroup_procs=self._cgroup.procs_files() if self._cgroup else ())
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=tuple(fd for fd in (cmd_r, reply_w, info_w) if fd >= 0), cwd=run,
            env=sandbox.environment(home), start_new_session=True,
        )
        for fd in (cmd_r, reply_w, info_w):
            if fd >= 0:
                os.close(fd)
        self._drain = threading.Thread(target=self._drain_output, daemon=True)
        self._drain.start()
        self._info_r = info_r

    def await_ready(self) -> None:
        """The second half of :meth:`start`: wait until the student process is up; ExecutorBroken if it is not."""
        in_sandbox = self.isolation == sandbox.SANDBOX
        if in_sandbox:
            info_r, self._info_r = self._info_r, -1
            self._namespace = sandbox.Namespace.read_info(info_r, time.monotonic() + START_TIMEOUT)
        ready = self._receive(time.monotonic() + START_TIMEOUT)
        if ready is None or ready.get("op") != "ready" or (in_sandbox and self._namespace is None):
            self.close()
            who = f"user {self.user.name}" if self.user else "the current user"
            raise ExecutorBroken(
                f"the student process did not start: can {who} run {self.python} and import numpy? "
                f"Output: {self.output()[-500:]!r}"
            )

    def _start_cgroup(self) -> None:
        cores = self.limits.cpu_cores or float(len(os.sched_getaffinity(0)))
        group = cgroups.create(cores, self.limits.group_memory_mb, self.limits.processes)
        if isinstance(group, str):
            self.log.append(f"no cgroup for this submission: {group}; rlimits and wall-clock limits apply")
            return
        self._cgroup = group
        self.log.append(f"cgroup v{group.version}: {cores:g} cores, {self.limits.group_memory_mb} MB, "
                        f"{self.limits.processes} processes; time limits count its CPU time")

    def _deadline(self, seconds: float) -> Deadline:
        """The limit of one cell or probe: the submission's CPU time when it has a cgroup, else wall time."""
        return Deadline(seconds, self._cgroup.cpu_seconds if self._cgroup else None)

    def _kill_child(self, pid: object) -> None:
        """Kill a forked child the runtime reported (a pid inside the sandbox): never trust the number blindly."""
        if not isinstance(pid, int) or isinstance(pid, bool):
            return
        if self._namespace is not None:
            self._namespace.kill_process(pid)
        elif sandbox.owned_by(pid, self.user, self.proc.pid):
            os.kill(pid, 9)

    def close(self) -> None:
        """Kill everything of the submission, from outside, and remove its files and cgroup. Never blocks long."""
        if getattr(self, "proc", None) is None:
            return
        try:
            self._send({"op": "exit"})
        except ExecutorBroken:
            pass
        self._kill()
        try:
            self.proc.wait(timeout=KILL_GRACE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._drain.join(timeout=KILL_GRACE)
        for fd in (self._cmd_w, self._reply_r, self._info_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self._info_r = -1
        if self._cgroup is not None:
            self._remove_cgroup()
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.proc = None  # type: ignore[assignment]  # closed: every request after this is an error

    def restart(self) -> None:
        """A new student process, in a new sandbox, in place of one a request in the head ended (see
        :meth:`run_cells`); ExecutorBroken if :meth:`kill` ended the session (Ctrl-C) or the start fails."""
        if self._killed:
            raise ExecutorBroken("the session was ended")
        self.close()
        self._buffer, self._skip, self._broken, self._namespace = bytearray(), 0, False, None
        self.log.append("a cell hung or died in the student process that ran the cells in one go: a new one (a "
                        "new sandbox) runs the cells again, one by one")
        self.start()
        if self._killed:  # Ctrl-C while it started: the kill found nothing to end
            self._kill()
            raise ExecutorBroken("the session was ended")
        if self._real_plots:
            self.real_plots()

    def kill(self, wait: float = 10.0) -> None:
        """End every process of the submission now, from outside (also from another thread: Ctrl-C on a batch);
        :meth:`close` still tidies up."""
        self._killed = True
        self._kill(wait)

    def _kill(self, wait: float = 10.0) -> None:
        proc = getattr(self, "proc", None)
        if proc is None:
            return
        if self._namespace is not None:
            self._namespace.kill()
        elif self.isolation == sandbox.USER_SWITCH:
            sandbox.kill_everything(self.user, proc.pid, wait=wait)
        else:
            sandbox.kill_everything(None, proc.pid)

    def _remove_cgroup(self) -> None:
        group = self._cgroup
        if group is None:
            return
        deadline = time.monotonic() + KILL_GRACE
        while not group.remove():
            for pid in group.processes():  # only in a mode without a namespace to kill
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, 9)
            if time.monotonic() > deadline:
                self.log.append(f"could not remove cgroup {group.folders}")
                return
            time.sleep(0.01)
        self._cgroup = None

    # -- requests ------------------------------------------------------------------------------------------

    def run_cell(self, index: int, source: str) -> CellOutcome:
        # The student sees cells numbered from 1, in messages and tracebacks alike.
        status, reply = self._forked({"op": "cell", "index": index + 1, "source": source},
                                     "cell_done", self.limits.cell_timeout)
        return self._cell_outcome(index, status, reply)

    def run_cells(self, cells: Sequence[tuple[int, str]], budget: float, *,
                  in_head: bool = False) -> tuple[list[CellOutcome], str]:
        """Run ``cells`` ((index, source) pairs, in order) in one forked child, each within the cell time limit;
        the child stops before a cell that would start ``budget`` seconds after the first. ``in_head``: in the
        head itself, without a fork (for the first cells: the head holds nothing yet that a hang could lose).

        Returns (the outcomes, what became of the state):

        - ``kept``: the state after the reported cells is the session's now. Fewer outcomes than cells: the
          budget stopped the batch before the next one.
        - ``lost``: the child timed out or died, and the state of the reported cells went with it; the session
          holds the state from before ``cells``. The cell it happened in, if any, is last, with that status.
        - ``dead``: no more requests can be served (the channel broke); the outcomes are the cells that ran.
        - ``gone`` (``in_head`` only): as ``lost``, but the student process went with the cell: no more requests
          can be served until :meth:`restart`.
        """
        outcomes: list[CellOutcome] = []
        forged = False

        def reported(frame: dict) -> bool:
            nonlocal forged
            expected = cells[len(outcomes)][0] if len(outcomes) < len(cells) else None
            if forged or expected is None or frame.get("index") != expected + 1:
                forged = True  # written by a cell into the channel, not by the runtime
                return False
            outcomes.append(self._cell_outcome(expected, "ok", frame))
            return True

        request = {"op": "cells", "cells": [[index + 1, source] for index, source in cells], "budget": budget,
                   "here": in_head}
        limit = self.limits.cell_timeout
        try:
            status, _ = self._forked(request, "cells_done", limit, progress=("cell_done", reported),
                                     total=budget + limit * BACKSTOP, in_head=in_head)
        except ExecutorBroken:
            return outcomes, "dead"
        if status in ("timeout", "died"):
            culprit = [CellOutcome(cells[len(outcomes)][0], status)] if len(outcomes) < len(cells) else []
            return outcomes + culprit, "gone" if in_head else "lost"
        if status != "ok" or forged:  # the child finished and holds the state, but some reports are not ours
            unread = [self._cell_outcome(index, "broken", {}) for index, _ in cells[len(outcomes):]]
            return outcomes + unread, "kept"
        return outcomes, "kept"

    def _cell_outcome(self, index: int, status: ProbeStatus, reply: dict) -> CellOutcome:
        if status == "broken":
            return CellOutcome(index, "error", "the cell wrote an unreadable message into the grader's channel")
        if status != "ok":
            return CellOutcome(index, status)
        return CellOutcome(index, "ok" if reply.get("status") == "ok" else "error", str(reply.get("error", "")),
                           reply.get("plot_stand_in") is True)

    def real_plots(self) -> None:
        """Give the cells the real matplotlib instead of the stand-in (before the first cell; a restart keeps it)."""
        self._real_plots = True
        self._send({"op": "real_plots"})

    def probe(self, calls: list[dict], substitutes: Sequence[str] = (),
              serve: Callable[[str, object], dict] | None = None) -> ProbeOutcome:
        """Run ``calls`` in a forked child where each name in ``substitutes`` is a stub calling back here.

        ``serve(name, args)`` answers one callback (``{"value": ...}`` or ``{"error": ...}``), in this process;
        at most MAX_CALLBACKS are served per probe, all within the probe's time limit.
        """
        self.probes += 1
        if self._broken:
            return ProbeOutcome("broken")
        try:
            status, reply = self._forked({"op": "probe", "calls": calls, "substitutes": list(substitutes)},
                                         "probe_done", self.limits.probe_timeout, serve, set(substitutes))
        except ExecutorBroken:
            return ProbeOutcome("broken")
        replies = reply.get("replies") if status == "ok" else None
        if status == "ok" and (not isinstance(replies, list) or len(replies) != len(calls)):
            return ProbeOutcome("broken")
        return ProbeOutcome(status, replies or [])

    def probe_groups(self, groups: Sequence[ProbeGroup]) -> list[ProbeOutcome]:
        """Run several probes (each check's calls, substitutes and callback server), one after the other, in as
        few forked children as possible: one when all goes well. Each gets the outcome :meth:`probe` would give it.

        Each probe has its own time limit and callback count, and finds the names as the cells left them (see
        the runtime's ``answer_probes``). What happens after a probe's child would have ended (a timeout, a
        death, a message the runtime did not write) cannot be charged to the probes after it: the one it happened
        in gets the timeout or death, or runs again alone; the rest run in a new child.
        """
        outcomes: list[ProbeOutcome] = []
        while len(outcomes) < len(groups):
            rest = groups[len(outcomes):]
            if len(rest) == 1:
                outcomes.append(self.probe(*rest[0]))
                continue
            reported, status = self._probe_batch(rest)
            outcomes += reported
            self.probes += len(reported)
            if len(reported) < len(rest):
                if status in ("timeout", "died"):
                    self.probes += 1
                    outcomes.append(ProbeOutcome(status))
                else:
                    outcomes.append(self.probe(*rest[len(reported)]))
        return outcomes

    def _probe_batch(self, groups: Sequence[ProbeGroup]) -> tuple[list[ProbeOutcome], ProbeStatus]:
        """One child for ``groups``: the outcomes of those it reported in order before anything else happened,
        and how the child's request ended."""
        if self._broken:
            return [], "broken"
        reported: list[ProbeOutcome] = []
        trusted = True
        allowed = set(groups[0].substitutes)

        def accept(frame: dict) -> bool:
            nonlocal trusted
            n = len(reported)
            replies = frame.get("replies") if frame is not _BAD else None
            if (not trusted or n >= len(groups) or frame.get("group") != n or not isinstance(replies, list)
                    or len(replies) != len(groups[n].calls)):
                trusted = False  # written by the student's code, not the runtime: no later report is believed
                return False
            reported.append(ProbeOutcome("ok", replies))
            allowed.clear()
            allowed.update(groups[n + 1].substitutes if n + 1 < len(groups) else ())
            return True

        def junk() -> None:
            nonlocal trusted
            trusted = False

        def serve(name: str, args: object) -> dict:
            server = groups[len(reported)].serve
            return server(name, args) if server is not None else {"error": f"{str(name)[:40]} is not served here"}

        request = {"op": "probes", "groups": [{"calls": g.calls, "substitutes": list(g.substitutes)} for g in groups]}
        limit = self.limits.probe_timeout
        try:
            status, _ = self._forked(request, "probes_done", limit, serve, allowed, progress=("group_done", accept),
                                     total=limit * BACKSTOP * len(groups), on_junk=junk)
        except ExecutorBroken:
            return reported, "broken"
        # After a message the runtime did not write, a timeout or death may belong to a probe not yet reported.
        return reported, status if trusted else "broken"

    def output(self) -> str:
        text = self._output.decode("utf-8", errors="replace")
        if self._output_dropped:
            text += f"\n[... {self._output_dropped} more bytes of output dropped]"
        return text

    # -- the fork-chain protocol ---------------------------------------------------------------------------

    def _forked(self, request: dict, done_op: str, timeout: float,
                serve: Callable[[str, object], dict] | None = None,
                allowed: set[str] | None = None,
                progress: tuple[str, Callable[[dict], bool]] | None = None,
                total: float | None = None,
                on_junk: Callable[[], None] | None = None,
                in_head: bool = False) -> tuple[ProbeStatus, dict]:
        """Send a request served by a forked child; on timeout kill that child (the parent goes on).

        Frames until the head's ``ended`` or ``died``: ``started``, the child's reply, callbacks (answered
        here). A reply that is too big or too deep makes the request ``broken`` but keeps the session.
        ``progress`` (op, handler): frames of that op before the reply are handed to the handler, and each one
        it accepts starts the time limit and the callback count afresh (one limit per cell or probe of a batch);
        once it refuses one (forged by the code being run) no frame restarts them again. ``total`` caps the whole
        request's wall time all the same. ``on_junk`` hears of each frame the runtime did not write.
        ``in_head``: the head serves the request itself, so a timeout or death ends the student process: the
        status says which, and the session is broken (no exception).
        """
        if self._broken:
            raise ExecutorBroken("executor already broken")
        self._send(request)
        self.requests += not in_head
        clock = self._deadline(timeout)
        started = self._receive(clock.wall_deadline)
        if started is not None and started.get("op") == "died":  # the child died before it could say a word
            return "died", started
        if started is None or started.get("op") != "started":
            self._broken = True
            raise ExecutorBroken("the student process stopped answering")
        pid = started.get("pid")
        reply: dict | None = None
        bad = killed = False
        callbacks = 0
        grace = 0.0
        cap = time.monotonic() + total if total is not None else float("inf")
        look = clock.next_wait()  # when to read the CPU clock next: between frames too, a flood must not stop it
        while True:
            frame = self._receive(grace if killed else min(look, cap))
            now = time.monotonic()
            if killed and (frame is None or now >= grace):  # the grace after a kill is over, whatever arrives
                self._broken = True
                if in_head:
                    return "timeout", {}
                raise ExecutorBroken("the student process did not recover from a timeout")
            if frame is None and self._broken:  # the end of the stream: the student process is gone
                if in_head:
                    return "died", {}
                raise ExecutorBroken("the student process stopped answering")
            if not killed and now >= min(look, cap):
                if now >= cap or clock.expired():
                    self._kill_child(pid)
                    killed = True
                    grace = now + KILL_GRACE
                    continue  # what arrives from now on only ends the request
                look = clock.next_wait()
            if frame is None:
                continue
            op = frame.get("op")
            if op == "callback" and serve is not None:  # a cell's request serves none: its callbacks are junk
                callbacks += 1
                name = frame.get("name")
                if allowed is None or name not in allowed:
                    answer = {"error": f"{str(name)[:40]} is not served here"}
                elif callbacks > MAX_CALLBACKS:
                    answer = {"error": f"more than {MAX_CALLBACKS} calls of the grader's helpers in one check"}
                else:
                    answer = serve(name, frame.get("args"))
                self._send({"op": "answer", **answer})
            elif progress is not None and op == progress[0] and reply is None and not killed:
                if progress[1](frame):
                    clock = self._deadline(timeout)
                    look = clock.next_wait()
                    callbacks = 0
                else:
                    progress = None  # a forged report: the running cell's clock runs on, and so does every later one
            elif op == done_op and reply is None:
                reply = frame
            elif frame is _BAD or op not in ("died", "ended"):
                bad = True  # written by the student's code into the channel: this request fails, not the session
                if on_junk is not None:
                    on_junk()
            elif op == "died":
                return ("timeout" if killed else "died"), frame
            elif op == "ended":
                if killed:
                    return "timeout", {}
                if bad or reply is None:
                    return "broken", {}
                return "ok", reply

    def _send(self, obj: dict) -> None:
        """Write one frame to the command pipe, within KILL_GRACE: a student process that stops reading (a head
        stopped by a signal, a probe that floods callbacks and reads no answer) breaks the session instead of
        blocking the grader for good (the pipe is non-blocking)."""
        data = json.dumps(obj).encode("utf-8")
        deadline = time.monotonic() + KILL_GRACE
        try:
            # Header and body in one write: each write wakes the reader (a callback's round trip paid two).
            view = memoryview(b"%010d" % len(data) + data)
            while view:
                try:
                    view = view[os.write(self._cmd_w, view):]
                except BlockingIOError:
                    if not select.select([], [self._cmd_w], [], max(deadline - time.monotonic(), 0))[1]:
                        self._broken = True
                        raise ExecutorBroken("the student process stopped reading the grader's commands") from None
        except OSError as exc:  # the student process is gone
            self._broken = True
            raise ExecutorBroken(f"cannot send to the student process: {exc}") from exc

    def _next_frame(self) -> dict | None:
        """A whole frame from the buffer (or _BAD), or None when more bytes are needed. Linear in the input."""
        if self._skip:
            dropped = min(self._skip, len(self._buffer))
            del self._buffer[:dropped]
            self._skip -= dropped
            return None if self._skip else _BAD
        if len(self._buffer) < 10:
            return None
        head = bytes(self._buffer[:10])
        if not head.isdigit():
            raise ValueError("not a frame")
        size = int(head)
        if size > MAX_FRAME:
            del self._buffer[:10]
            self._skip = size
            return self._next_frame() if self._buffer or not size else None
        if len(self._buffer) < 10 + size:
            return None
        body = bytes(self._buffer[10:10 + size])
        del self._buffer[:10 + size]
        try:
            obj = json.loads(body)
        except (ValueError, RecursionError):  # garbage, or nested deeper than the parser goes
            return _BAD
        return obj if isinstance(obj, dict) else _BAD

    def _receive(self, deadline: float) -> dict | None:
        """One frame from the student process (_BAD for one that cannot be read), or None on timeout, end of
        stream or a stream that is not frames at all."""
        while True:
            try:
                frame = self._next_frame()
            except ValueError:
                self._broken = True
                return None
            if frame is not None:
                return frame
            # What already arrived is read even past the deadline: a reply is never mistaken for a hang.
            remaining = max(deadline - time.monotonic(), 0)
            ready, _, _ = select.select([self._reply_r], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(self._reply_r, 1 << 20)
            if not chunk:
                self._broken = True
                return None
            self._buffer += chunk

    def _drain_output(self) -> None:
        stream = self.proc.stdout
        assert stream is not None  # started with stdout=PIPE
        while True:
            chunk = stream.read1(1 << 16) if hasattr(stream, "read1") else stream.read(1 << 16)
            if not chunk:
                return
            room = self.limits.output_cap - len(self._output)
            self._output += chunk[:max(room, 0)]
            self._output_dropped += max(len(chunk) - max(room, 0), 0)
