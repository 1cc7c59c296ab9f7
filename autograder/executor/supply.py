"""Student processes started ahead of need, one per submission, never shared.

Starting a student process is most of a short grade's fixed cost (bubblewrap, an interpreter, ``import numpy``:
about 0.12 s) and almost none of it is the grader's CPU: the grader only waits. So a :class:`Supply` starts
sessions in the background while the grader does something else (imports its checks, grades the slot's
current notebook) and hands each out once. A session is started blank (no submission's bytes, seed or path
reach it before it is handed out) in its own sandbox, cgroup and student user, exactly as a session started
on the spot; it serves exactly one submission and is killed after it, so starting early shares nothing
between two submissions. Sessions never handed out are killed by :meth:`Supply.close`.

This module is light on purpose (no numpy, no checks): ``gdkit grade`` starts its first sessions before it
imports the grader.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from gdkit.autograder.executor import sandbox
from gdkit.autograder.executor.session import ExecutorSession


@dataclass(frozen=True)
class Sandboxing:
    """How every notebook of a batch is isolated, the preflight's included."""

    isolation: str  # sandbox.SANDBOX, or with --unsafe-no-sandbox USER_SWITCH (root) / NONE
    limits: sandbox.Limits
    unsafe: bool = False
    python: str = sys.executable  # the interpreter student code runs in


def cores() -> int:
    """The cores this process may run on: the most slots worth having."""
    return len(os.sched_getaffinity(0))


def sandboxing(jobs: int, unsafe: bool = False, python: str | None = None) -> Sandboxing:
    """The sandbox for a batch of ``jobs`` slots (each its share of the cores); raises
    :class:`sandbox.SandboxUnavailable` when none can be made here and ``unsafe`` was not asked for."""
    how = planned_sandboxing(jobs, unsafe, python)
    verify(how)
    return how


def planned_sandboxing(jobs: int, unsafe: bool = False, python: str | None = None) -> Sandboxing:
    """:func:`sandboxing` without :func:`verify`'s trial run (``gdkit grade`` starts its first sessions instead,
    and verifies only when they do not come up); refuses at once when bubblewrap is not installed."""
    python = python or sys.executable
    limits = sandbox.Limits(cpu_cores=cores() / max(1, jobs))
    if unsafe:
        isolation = sandbox.USER_SWITCH if sandbox.is_root() else sandbox.NONE
    else:
        missing = sandbox.bwrap_missing()
        if missing:
            raise sandbox.SandboxUnavailable(missing)
        isolation = sandbox.SANDBOX
    return Sandboxing(isolation, limits, unsafe, python)


def verify(how: Sandboxing) -> None:
    """Raise :class:`sandbox.SandboxUnavailable` (what is wrong, and the fix) if ``how`` asks for a sandbox that
    cannot be made here: bubblewrap missing, namespaces forbidden, an interpreter the grading user cannot run."""
    if how.isolation != sandbox.SANDBOX:
        return
    if sandbox.is_root():
        with sandbox.exclusive_user() as user:
            problem = sandbox.sandbox_problem(how.python, user.uid, user.gid)
    else:
        problem = sandbox.sandbox_problem(how.python)
    if problem:
        raise sandbox.SandboxUnavailable(problem)


class Lease:
    """A started session and the student user it runs as (root), both let go when the ``with`` block ends."""

    def __init__(self, session: ExecutorSession, held: contextlib.ExitStack) -> None:
        self.session = session
        self._held = held

    def __enter__(self) -> ExecutorSession:
        return self.session

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._held.close()  # the session first, then its user's lock (an ExitStack unwinds in reverse)


def start_lease(how: Sandboxing, user: sandbox.StudentUser | None = None, *, wait: bool = True) -> Lease:
    """A session started now, as ``how`` says: as ``user`` if given, else (root) under a student user no other
    run is using. ``wait=False``: only launched; :func:`await_lease` waits for it to come up."""
    held = contextlib.ExitStack()
    try:
        if user is None and sandbox.is_root():
            user = held.enter_context(sandbox.exclusive_user())
        session = ExecutorSession(python=how.python, limits=how.limits, user=user, isolation=how.isolation)
        held.callback(session.close)
        session.launch()
        if wait:
            session.await_ready()
    except BaseException:
        held.close()
        raise
    return Lease(session, held)


def await_lease(lease: Lease) -> Lease:
    """A launched session's lease once the session is up (closed, and what went wrong raised, if it is not)."""
    try:
        lease.session.await_ready()
    except BaseException:
        lease.close()
        raise
    return lease


class Supply:
    """Keeps up to ``ahead`` sessions started ahead of :meth:`take`, and never more than ``expected`` in all.

    ``expected`` is how many sessions the caller will take at most (it may lower it with :meth:`expect` once
    it knows); taking more still works, the extra ones start on the spot. ``user``: the student user every
    session runs as (Gradescope's one); by default each takes one of the pool (root). Thread-safe; use as a
    context manager, or call :meth:`close`.
    """

    def __init__(self, how: Sandboxing, *, ahead: int, expected: int,
                 user: sandbox.StudentUser | None = None) -> None:
        self.how = how
        self._user = user
        self._ahead = max(0, ahead)
        self._expected = expected
        self._taken = 0
        self._closed = False
        self._lock = threading.Lock()
        self._ready: deque[Future[Lease]] = deque()
        self._starter = ThreadPoolExecutor(max_workers=max(1, self._ahead), thread_name_prefix="gdkit-start")
        try:
            with self._lock:
                self._refill(launch_here=True)
        except BaseException:  # Ctrl-C during a launch: what was launched already is killed, not left behind
            self.close()
            raise

    def __enter__(self) -> Supply:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def expect(self, expected: int) -> None:
        """At most ``expected`` more sessions will be taken: sessions started beyond that are killed now."""
        with self._lock:
            self._expected = self._taken + expected
            surplus = []
            while len(self._ready) > max(0, self._expected - self._taken):
                surplus.append(self._ready.pop())
            self._refill()
        for future in surplus:
            _discard(future)

    def take(self) -> Lease:
        """A started session for one submission (raises what starting it raised: ExecutorBroken ...)."""
        with self._lock:
            if self._closed:
                raise sandbox.SandboxUnavailable("the grading run is over")
            future = self._ready.popleft() if self._ready else None
            self._taken += 1
            self._refill()
        return future.result() if future is not None else start_lease(self.how, self._user)

    def first_failure(self) -> BaseException | None:
        """Wait for the first session started ahead: what its start raised, or None (also when none was)."""
        with self._lock:
            first = self._ready[0] if self._ready else None
        return first.exception() if first is not None else None

    def waiting(self) -> list[ExecutorSession]:
        """The sessions started ahead that are up and not yet taken."""
        with self._lock:
            ready = [f for f in self._ready if f.done() and f.exception() is None]
        return [f.result().session for f in ready]

    def close(self) -> None:
        """Kill every session started and never taken (waits for those still starting)."""
        with self._lock:
            self._closed = True
            unused = list(self._ready)
            self._ready.clear()
        for future in unused:
            _discard(future)
        self._starter.shutdown(wait=True)

    def _refill(self, launch_here: bool = False) -> None:
        # Under the lock: start sessions until ``ahead`` are on their way, never beyond what will be taken.
        # ``launch_here``: the first ones are launched in this thread and only waited for in the background, so
        # that their interpreters boot while this thread goes on (a background thread would compete with it for
        # the GIL before the launch: measured, the first launch came 45 ms later while the grader imported).
        while not self._closed and len(self._ready) < self._ahead and \
                self._taken + len(self._ready) < self._expected:
            if launch_here:
                future: Future[Lease] = Future()
                try:
                    lease = start_lease(self.how, self._user, wait=False)
                except Exception as exc:  # noqa: BLE001 - raised by take(), as a background start's would be
                    future.set_exception(exc)
                else:
                    future = self._starter.submit(await_lease, lease)
                self._ready.append(future)
            else:
                self._ready.append(self._starter.submit(start_lease, self.how, self._user))


def _discard(future: Future[Lease]) -> None:
    with contextlib.suppress(Exception):
        future.result().close()
