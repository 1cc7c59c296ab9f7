"""The time limit of one cell or probe: the submission's own CPU time, with a wall-clock backstop.

Counting CPU time from the submission's cgroup means a busy machine (another notebook's spinners in the next
slot, another grader) cannot time an honest notebook out: only the work the notebook itself does counts.
A notebook that does nothing (sleeps, waits on a pipe) uses no CPU, so the wall clock still ends it, at
``BACKSTOP`` times the limit. Without a cgroup the limit is plain wall-clock time, as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable

BACKSTOP = 2.0  # the wall-clock limit, as a multiple of the CPU-time limit
POLL = 0.1  # seconds between reads of the CPU clock while waiting


class Deadline:
    """``expired()`` once the submission used ``seconds`` of CPU time, or ``BACKSTOP`` times that in wall time."""

    def __init__(self, seconds: float, cpu_seconds: Callable[[], float] | None = None) -> None:
        self.seconds = seconds
        self._cpu = cpu_seconds
        self._cpu_start = self._read()
        self._start = time.monotonic()
        counted = self._cpu_start is not None
        self.wall_deadline = self._start + seconds * (BACKSTOP if counted else 1.0)

    def _read(self) -> float | None:
        if self._cpu is None:
            return None
        try:
            return self._cpu()
        except (OSError, ValueError):
            return None

    def used(self) -> float:
        """CPU seconds used since the start (wall seconds without a CPU clock)."""
        now = self._read()
        if now is None or self._cpu_start is None:
            return time.monotonic() - self._start
        return now - self._cpu_start

    def expired(self) -> bool:
        return time.monotonic() >= self.wall_deadline or self.used() >= self.seconds

    def next_wait(self) -> float:
        """The monotonic time until which to wait for a reply before looking at the clock again."""
        if self._cpu_start is None:
            return self.wall_deadline
        return min(self.wall_deadline, time.monotonic() + POLL)
