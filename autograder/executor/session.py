"""The grader's handle on one submission's student process: run cells, ask probes, enforce time, clean up.

Everything that comes back is raw plain data (dicts of lists and numbers); turning it into checked values is
the job of :mod:`gdkit.autograder.observations`.
"""

from __future__ import annotations

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

from gdkit.autograder.executor import hiding, sandbox
from gdkit.autograder.executor.sandbox import Limits, StudentUser

RUNTIME = Path(__file__).with_name("runtime.py")
MAX_FRAME = 64 * 1024 * 1024
MAX_CALLBACKS = 1_000_000  # per probe: far above what a descent of the checks' sizes needs
_BAD = {"op": "bad_frame"}  # a frame too big or too deeply nested to read: skipped, the stream stays in step
START_TIMEOUT = 60.0
KILL_GRACE = 5.0


class ExecutorBroken(Exception):
    """The student process stopped answering sensibly; no more requests can be served."""


@dataclass
class CellOutcome:
    index: int
    status: str  # ok | error | timeout | died | skipped | over_budget
    error: str = ""


@dataclass
class ProbeOutcome:
    status: str  # ok | timeout | died | broken
    replies: list[dict] = field(default_factory=list)


class ExecutorSession:
    """One student process for one submission. Use as a context manager: leaving it kills everything."""

    def __init__(self, python: str | None = None, limits: Limits | None = None,
                 user: StudentUser | None = None, private: Sequence[Path] = ()) -> None:
        """``private``: files and folders student code must not read (hidden where a mount namespace is allowed)."""
        self.python = python or sys.executable
        self.limits = limits or Limits()
        self.user = user
        self.private = tuple(private)
        self.log: list[str] = []
        self._buffer = bytearray()
        self._skip = 0  # bytes still to drop of a frame too big to keep
        self._broken = False
        self._output = bytearray()
        self._output_dropped = 0

    # -- lifecycle -----------------------------------------------------------------------------------------

    def __enter__(self) -> ExecutorSession:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def start(self) -> None:
        sandbox.become_subreaper()
        self.workdir = Path(tempfile.mkdtemp(prefix="gdkit-run-"))
        runtime = self.workdir / "runtime.py"
        shutil.copyfile(RUNTIME, runtime)
        if self.user is not None:
            os.chown(self.workdir, self.user.uid, self.user.gid)
            os.chmod(runtime, 0o644)
            self.log.append(f"student code runs as user {self.user.name} (uid {self.user.uid})"
                            + ("" if sandbox.network_namespace_available() else "; no network namespace here"))
        else:
            self.log.append("not root: student code runs as the current user (no user switch, no network "
                            "isolation); OS limits and timeouts still apply")
        hidden = self._hidden()
        cmd_r, self._cmd_w = os.pipe()
        self._reply_r, reply_w = os.pipe()
        argv = sandbox.command(self.python, runtime, (cmd_r, reply_w), self.limits, self.user, hidden)
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(cmd_r, reply_w), cwd=self.workdir, env=sandbox.environment(self.workdir),
            start_new_session=True,
        )
        os.close(cmd_r)
        os.close(reply_w)
        self._drain = threading.Thread(target=self._drain_output, daemon=True)
        self._drain.start()
        ready = self._receive(time.monotonic() + START_TIMEOUT)
        if ready is None or ready.get("op") != "ready":
            self.close()
            who = f"user {self.user.name}" if self.user else "the current user"
            raise ExecutorBroken(
                f"the student process did not start: can {who} run {self.python} and import numpy? "
                f"Output: {self.output()[-500:]!r}"
            )

    def _hidden(self) -> list[Path]:
        if self.user is None or not self.private:
            return []
        if not hiding.mount_namespace_available():
            self.log.append("no mount namespace here: world-readable files of the grader are not hidden "
                            "(root-only files still are)")
            return []
        hidden = hiding.mount_plan(self.private, keep=[self.workdir, *hiding.interpreter_folders(self.python)])
        self.log.append(f"hidden from student code: {len(hidden)} paths under "
                        + ", ".join(str(p) for p in self.private))
        return hidden

    def close(self) -> None:
        if getattr(self, "proc", None) is None:
            return
        try:
            self._send({"op": "exit"})
        except ExecutorBroken:
            pass
        sandbox.kill_everything(self.user, self.proc.pid)
        try:
            self.proc.wait(timeout=KILL_GRACE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._drain.join(timeout=KILL_GRACE)
        for fd in (self._cmd_w, self._reply_r):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.workdir, ignore_errors=True)
        self.proc = None

    # -- requests ------------------------------------------------------------------------------------------

    def run_cell(self, index: int, source: str) -> CellOutcome:
        # The student sees cells numbered from 1, in messages and tracebacks alike.
        status, reply = self._forked({"op": "cell", "index": index + 1, "source": source},
                                     "cell_done", self.limits.cell_timeout)
        if status == "broken":
            return CellOutcome(index, "error", "the cell wrote an unreadable message into the grader's channel")
        if status != "ok":
            return CellOutcome(index, status)
        return CellOutcome(index, "ok" if reply.get("status") == "ok" else "error", str(reply.get("error", "")))

    def probe(self, calls: list[dict], substitutes: Sequence[str] = (),
              serve: Callable[[str, object], dict] | None = None) -> ProbeOutcome:
        """Run ``calls`` in a forked child where each name in ``substitutes`` is a stub calling back here.

        ``serve(name, args)`` answers one callback (``{"value": ...}`` or ``{"error": ...}``), in this process;
        at most MAX_CALLBACKS are served per probe, all within the probe's time limit.
        """
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

    def output(self) -> str:
        text = self._output.decode("utf-8", errors="replace")
        if self._output_dropped:
            text += f"\n[... {self._output_dropped} more bytes of output dropped]"
        return text

    # -- the fork-chain protocol ---------------------------------------------------------------------------

    def _forked(self, request: dict, done_op: str, timeout: float,
                serve: Callable[[str, object], dict] | None = None,
                allowed: set[str] | None = None) -> tuple[str, dict]:
        """Send a request served by a forked child; on timeout kill that child (the parent goes on).

        Frames until the head's ``ended`` or ``died``: ``started``, the child's reply, callbacks (answered
        here). A reply that is too big or too deep makes the request ``broken`` but keeps the session.
        """
        if self._broken:
            raise ExecutorBroken("executor already broken")
        self._send(request)
        deadline = time.monotonic() + timeout
        started = self._receive(deadline)
        if started is None or started.get("op") != "started":
            self._broken = True
            raise ExecutorBroken("the student process stopped answering")
        pid = started.get("pid")
        reply: dict | None = None
        bad = killed = False
        callbacks = 0
        while True:
            frame = self._receive(deadline)
            if frame is None:
                if killed or self._broken:
                    self._broken = True
                    raise ExecutorBroken("the student process did not recover from a timeout")
                if isinstance(pid, int) and sandbox.owned_by(pid, self.user, self.proc.pid):
                    os.kill(pid, 9)
                killed = True
                deadline = time.monotonic() + KILL_GRACE
                continue
            op = frame.get("op")
            if op == "callback":
                callbacks += 1
                name = frame.get("name")
                if serve is None or allowed is None or name not in allowed:
                    answer = {"error": f"{str(name)[:40]} is not served here"}
                elif callbacks > MAX_CALLBACKS:
                    answer = {"error": f"more than {MAX_CALLBACKS} calls of the grader's helpers in one check"}
                else:
                    answer = serve(name, frame.get("args"))
                self._send({"op": "answer", **answer})
            elif op == done_op and reply is None:
                reply = frame
            elif frame is _BAD or op not in ("died", "ended"):
                bad = True  # written by the student's code into the channel: this request fails, not the session
            elif op == "died":
                return ("timeout" if killed else "died"), frame
            elif op == "ended":
                if killed:
                    return "timeout", {}
                if bad or reply is None:
                    return "broken", {}
                return "ok", reply

    def _send(self, obj: dict) -> None:
        data = json.dumps(obj).encode("utf-8")
        try:
            os.write(self._cmd_w, b"%010d" % len(data))
            view = memoryview(data)
            while view:
                view = view[os.write(self._cmd_w, view):]
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
        while True:
            chunk = stream.read1(1 << 16) if hasattr(stream, "read1") else stream.read(1 << 16)
            if not chunk:
                return
            room = self.limits.output_cap - len(self._output)
            self._output += chunk[:max(room, 0)]
            self._output_dropped += max(len(chunk) - max(room, 0), 0)
