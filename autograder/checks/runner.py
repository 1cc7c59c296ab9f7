"""Running a submission's checks against its student process: all at once, each pass's probes in one child.

A check reaches student code through ``ctx.call``: a probe, served by a forked child of the student process.
A fork costs a few milliseconds (the child copies each page of the student's memory it writes to), more than
most checks' calls themselves, so the checks of a pass run each in a thread of its own up to their call, and
the pass's calls go to the student process together (:meth:`ExecutorSession.probe_groups`: one child, each
check's calls with its own substitutes, time limit and the names as the cells left them).

A helper whose every check passed stays the student's own in other checks' probes (``Context.proven``). The
first pass runs every check as if every helper had passed; a check that relied on a helper that then failed
(or had one substituted that then passed) runs again in the next pass with what is now known, until nothing
changes. The outcomes are those of running the checks helpers first, a round per level of helpers (:func:`rounds`),
and a notebook whose helpers pass has all its probes served by one child.
"""

from __future__ import annotations

import secrets
import threading
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gdkit.autograder.checks.framework import Check, CheckFailed, Context, substitutes
from gdkit.autograder.executor.session import ExecutorSession, ProbeGroup, ProbeOutcome


@dataclass
class CheckOutcome:
    check: Check
    passed: bool
    message: str

    @property
    def score(self) -> float:
        return self.check.points if self.passed else 0.0


def proven_functions(checks: Sequence[Check], outcomes: Sequence[CheckOutcome]) -> frozenset[str]:
    """The functions whose every check (of ``checks``) has run and passed: their own code may serve as a helper."""
    done = {o.check.title for o in outcomes if o.passed}
    functions = {c.function for c in checks}
    return frozenset(f for f in functions if all(c.title in done for c in checks if c.function == f))


def run_check(check: Check, session: ExecutorSession | _Port, seed: int, log: list[str],
              proven: frozenset[str] = frozenset(), asked: set[str] | None = None,
              draw: Sequence[int] = ()) -> CheckOutcome:
    """One check against a session whose cells have run; a bug in the check is logged, never raised.
    ``proven``: the helpers the check may leave as the student's own (see Context.call); ``asked`` gets the
    helpers the check's probes could substitute; ``draw``: which of its streams of hidden inputs (Context)."""
    context = Context(session, seed, check.title, proven, draw)  # type: ignore[arg-type]  # a _Port probes alike
    if asked is not None:
        context.asked = asked
    try:
        check.run(context)
    except CheckFailed as failure:
        return CheckOutcome(check, False, str(failure))
    except Exception:  # a bug in a check costs only that check, and is logged for the instructor
        log.append(f"internal error in check {check.title!r}:\n{traceback.format_exc()}")
        return CheckOutcome(check, False, "Not graded: the grader hit an internal error on this check "
                                          "(not your fault; your instructor has the details)")
    return CheckOutcome(check, True, "Passed.")


def rounds(checks: Sequence[Check], public_only: bool = False) -> list[list[int]]:
    """Indices of ``checks`` (contract order, helpers first) in rounds: a function's checks come a round after
    those of every helper it substitutes that has checks here. The public checks substitute always: one round."""
    present = {c.function for c in checks}
    level: dict[str, int] = {}
    for c in checks:
        if c.function not in level:
            helpers = [] if public_only else [h for h in substitutes(c.function) if h in present]
            level[c.function] = 1 + max((level[h] for h in helpers), default=-1)
    by_level: dict[int, list[int]] = {}
    for i, c in enumerate(checks):
        by_level.setdefault(level[c.function], []).append(i)
    return [by_level[k] for k in sorted(by_level)]


def run_checks(checks: Sequence[Check], session: ExecutorSession, seed: int, log: list[str], *,
               public_only: bool = False, stop: Callable[[], bool] = lambda: False) -> list[CheckOutcome]:
    """Every check's outcome, in the order of ``checks`` (see the module docstring); ``stop()`` true before a
    pass leaves out that pass's checks: the batch was interrupted. The public checks substitute always: one pass."""
    outcomes: dict[int, CheckOutcome] = {}
    ran_with: dict[int, tuple[frozenset[str], set[str], list[str]]] = {}  # the proven given, helpers asked, log
    proven = frozenset() if public_only else frozenset(c.function for c in checks)  # first pass: all assumed
    pending = list(range(len(checks)))
    # A check run again draws new hidden inputs from a secret of this grade: in an earlier pass, the student's
    # code may have called the grader's helpers (substituted in other checks' probes) on its old inputs, or on
    # inputs it predicted (the notebook's bytes seed them, and the cells can rebuild those), and kept the answers.
    secret = secrets.randbits(64)
    for n, _ in enumerate(rounds(checks, public_only)):  # level k settles in pass k + 1 at the latest
        if stop():
            break
        draw = (n, secret) if n else ()

        def judge(key: int, port: _Port, given: frozenset[str] = proven, draw: tuple = draw) -> CheckOutcome:
            asked: set[str] = set()
            lines: list[str] = []
            ran_with[key] = (given, asked, lines)
            return run_check(checks[key], port, seed, lines, given, asked, draw)

        outcomes.update(_Round(session, len(pending)).run(pending, judge))
        if public_only:
            pending = []
            break
        proven = proven_functions(checks, list(outcomes.values()))
        pending = [i for i, (given, asked, _) in ran_with.items() if asked & given != asked & proven]
        if not pending:
            break
    else:
        if pending:  # the helpers form no cycle (rounds() needs that too): this is a grader bug
            raise RuntimeError(f"checks still depend on their helpers after every pass: {pending}")
    for key in pending:  # interrupted: an outcome that relied on a guess is nobody's
        outcomes.pop(key, None)
    for key in sorted(outcomes):
        log.extend(ran_with[key][2])
    return [outcomes[i] for i in sorted(outcomes)]


class _Port:
    """What one check's Context holds in place of the session: its probe waits for the round's."""

    def __init__(self, round_: _Round, key: int) -> None:
        self._round, self._key = round_, key

    def probe(self, calls: list[dict], substitutes: Sequence[str] = (),
              serve: Callable[[str, object], dict] | None = None) -> ProbeOutcome:
        return self._round.wait_for_turn(self._key, ProbeGroup(calls, tuple(substitutes), serve))


class _Round:
    """Runs checks in threads; whenever every one still running waits in a probe, sends those probes together."""

    def __init__(self, session: ExecutorSession, size: int) -> None:
        self._session = session
        self._lock = threading.Lock()
        self._running = size  # threads neither waiting in a probe nor finished
        self._parked = threading.Event()  # set when _running reaches 0
        self._waiting: dict[int, tuple[ProbeGroup, threading.Event]] = {}
        self._answers: dict[int, ProbeOutcome] = {}

    def _park(self) -> None:
        with self._lock:
            self._running -= 1
            if self._running == 0:
                self._parked.set()

    def wait_for_turn(self, key: int, group: ProbeGroup) -> ProbeOutcome:
        # An event per check: the answer wakes only the thread it is for.
        answered = threading.Event()
        with self._lock:
            self._waiting[key] = (group, answered)
        self._park()
        answered.wait()
        return self._answers.pop(key)

    def run(self, work: Sequence[int], judge: Callable[[int, _Port], CheckOutcome]) -> dict[int, CheckOutcome]:
        """``judge(key, port)`` for each key of ``work``, each in a thread; their outcomes by key."""
        done: dict[int, CheckOutcome] = {}

        def one(key: int) -> None:
            try:
                done[key] = judge(key, _Port(self, key))
            finally:
                self._park()

        threads = [threading.Thread(target=one, args=(key,), daemon=True, name=f"check-{key}") for key in work]
        for thread in threads:
            thread.start()
        while True:
            self._parked.wait()
            with self._lock:
                self._parked.clear()
                batch = sorted(self._waiting.items())
                self._waiting.clear()
                self._running += len(batch)
            if not batch:
                break
            # In check order, so that each check's calls are served as they were when checks ran one by one.
            answers = self._session.probe_groups([group for _, (group, _) in batch])
            for (key, (_, answered)), answer in zip(batch, answers, strict=True):
                self._answers[key] = answer
                answered.set()
        for thread in threads:
            thread.join()
        return done
