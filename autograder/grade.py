"""Grading one submission, end to end: notebook -> executor -> observations -> checks -> report.

Nothing here executes student code: the submission's cells run in the executor's separate process, and
every failure (a broken notebook, a dead student process, a bug in a check) becomes a zero with a reason
on what it touches, never an exception out of :func:`grade_notebook`.
"""

from __future__ import annotations

import hashlib
import html
import re
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import assert_never

from gdkit import __version__
from gdkit.autograder.checks import Check, all_checks
from gdkit.autograder.checks.runner import CheckOutcome, run_check, run_checks  # noqa: F401 - run_check re-exported
from gdkit.autograder.executor.sandbox import Limits, SandboxUnavailable, StudentUser
from gdkit.autograder.executor.session import CellOutcome, CellStatus, ExecutorBroken, ExecutorSession
from gdkit.autograder.submission import SubmissionError, load_submission

MAX_SEED = 2**32
KNOWN_GOOD = Path(__file__).with_name("known_good.ipynb")  # the seven functions done right, for the preflight

# Statuses of a report (results.json extra_data.status, grades.csv status).
GRADED, NOT_GRADED, INTERNAL_ERROR = "graded", "not graded", "internal error"


@dataclass
class GradeReport:
    path: Path
    seed: int | None
    sha256: str
    outcomes: list[CheckOutcome]
    summary: str
    seconds: float
    log: list[str] = field(default_factory=list)
    output: str = ""  # the student process's stdout (capped): for the instructor's log, never shown
    version: str = __version__
    cells: list[CellOutcome] = field(default_factory=list)  # every code cell's outcome, in order
    status: str = GRADED
    reason: str = ""  # one line when not graded or an internal error

    @property
    def score(self) -> float:
        return sum(o.score for o in self.outcomes)

    @property
    def max_score(self) -> float:
        return sum(o.check.points for o in self.outcomes)

    def function_scores(self) -> dict[str, float]:
        scores: dict[str, float] = {}
        for o in self.outcomes:
            scores[o.check.function] = scores.get(o.check.function, 0.0) + o.score
        return scores


def seed_for(sha256: str, submission_id: str | None = None) -> int:
    """The hidden inputs' seed: from the Gradescope submission id when there is one, else the notebook bytes."""
    basis = submission_id if submission_id else sha256
    return int(hashlib.sha256(f"gdkit:{basis}".encode()).hexdigest()[:8], 16) % MAX_SEED


def _cells_summary(cells: list[CellOutcome]) -> list[str]:
    lines = []
    for cell in cells:
        where = f"code cell {cell.index + 1}"
        if cell.status == "error":
            lines.append(f"- {where} raised `{_inline(cell.error)}`")
        elif cell.status == "timeout":
            lines.append(f"- {where} was stopped: it ran longer than the limit (an infinite loop?)")
        elif cell.status == "died":
            lines.append(f"- {where} ended the Python process (exit(), os._exit() or a crash); "
                         "grading went on with the notebook's state before that cell")
        elif cell.status == "over_budget":
            lines.append(f"- {where} and the cells after it were not run: the cells before them used up the "
                         "time allowed for the whole notebook")
        elif cell.status == "skipped":
            lines.append(f"- {where} and the cells after it were not run: the notebook stopped answering (an "
                         "earlier cell interfered with the grader or left processes running)")
        elif cell.status != "ok":
            assert_never(cell.status)
    return lines


def _inline(text: str) -> str:
    """Student text on one line, made safe for Markdown (see plain_text for the terminal)."""
    return html.escape(text.replace("`", "'").replace("\n", " ")[:300], quote=False).replace("*", "&#42;")


def plain_text(markdown: str) -> str:
    """A report's Markdown (results.json) as the terminal shows it: no bold markers, no HTML escapes. Student
    text has its ``*`` escaped (framework.shown, _inline), so every ``**`` here is ours."""
    return html.unescape(re.sub(r"\*\*(.+?)\*\*", r"\1", markdown))


def _not_graded(checks: list[Check], reason: str) -> list[CheckOutcome]:
    return [CheckOutcome(c, False, f"Not graded: {reason}") for c in checks]


def not_graded_report(path: Path, reason: str, started: float, *, public_only: bool = False,
                      log: list[str] | None = None, status: str = NOT_GRADED, sha256: str = "",
                      seed: int | None = None) -> GradeReport:
    """A zero on every check with the reason (Markdown, already safe), shaped like grade_notebook's reports."""
    return GradeReport(path, seed, sha256, _not_graded(all_checks(public_only), reason),
                       f"**Not graded:** {reason}", time.monotonic() - started, log or [], status=status,
                       reason=reason.splitlines()[0] if reason else "")


# Sessions being graded now, so that an interrupted batch can end them from another thread (see abort_all).
_LIVE: set[ExecutorSession] = set()
_LIVE_LOCK = threading.Lock()
_ABORTED = threading.Event()


def reset_abort() -> None:
    """Allow grading again after :func:`abort_all` (a new batch in the same process)."""
    _ABORTED.clear()


def abort_all() -> None:
    """End every student process being graded now, and any started after this call (Ctrl-C on a batch).

    The reports of notebooks graded at that moment are wrong (their processes were killed): the caller
    discards them."""
    _ABORTED.set()
    with _LIVE_LOCK:
        live = list(_LIVE)
    for session in live:
        session.kill(wait=2.0)


def grade_notebook(
    path: Path,
    *,
    public_only: bool = False,
    seed: int | None = None,
    submission_id: str | None = None,
    limits: Limits | None = None,
    user: StudentUser | None = None,
    python: str | None = None,
    isolation: str | None = None,
    sessions: Callable[[], AbstractContextManager[ExecutorSession]] | None = None,
) -> GradeReport:
    """Grade one notebook. Never raises for anything the submission does; the report says what happened.

    ``isolation``: how the student process is isolated (see :mod:`gdkit.autograder.executor.sandbox`).
    ``sessions``: where its student processes come from (a :class:`~gdkit.autograder.executor.supply.Supply`'s
    ``take``, started ahead); by default each is started here from ``python``, ``limits``, ``user``, ``isolation``.
    """
    started = time.monotonic()
    checks = all_checks(public_only)
    path = Path(path)
    try:
        submission = load_submission(path)
    except SubmissionError as exc:
        return not_graded_report(path, _inline(str(exc)), started, public_only=public_only)
    if seed is None:
        seed = seed_for(submission.sha256, submission_id)
    log: list[str] = []
    cells: list[CellOutcome] = []
    outcomes: list[CheckOutcome] = []
    output = ""

    def start_here() -> ExecutorSession:
        return ExecutorSession(python=python, limits=limits, user=user, isolation=isolation)

    marks = [("start", time.monotonic())]  # where one grade's time goes, for grading.log and the benchmark
    rerun = ""  # why the notebook runs a second time, with the real matplotlib
    probes = requests = 0
    try:
        for real_plots in (False, True):
            if _ABORTED.is_set():
                raise ExecutorBroken("the batch was interrupted")
            log = [rerun] if rerun else []
            with (sessions or start_here)() as session:
                marks.append(("sandbox start", time.monotonic()))
                with _LIVE_LOCK:
                    _LIVE.add(session)
                if _ABORTED.is_set():
                    abort_all()
                log.extend(session.log)
                if real_plots:
                    session.real_plots()
                # The rerun does not run again the cells that ran out of time: the budget is not paid twice.
                logged = len(session.log)
                cells = _run_cells(session, submission.cells,
                                   {c.index: c for c in cells if c.status == "timeout"} if real_plots else {})
                log.extend(session.log[logged:])  # a new student process after a cell that ended one
                marks.append(("cells", time.monotonic()))
                if not real_plots and any(cell.plot_stand_in for cell in cells):
                    # Plots are not graded, so matplotlib is a stand-in; this notebook needed the real one.
                    rerun = (f"plots: code cell {next(c for c in cells if c.plot_stand_in).index + 1} raised with "
                             "matplotlib's stand-in, so the notebook ran again with the real library (without "
                             "the cells that had run out of time)")
                    continue
                outcomes = run_checks(checks, session, seed, log, public_only=public_only, stop=_ABORTED.is_set)
                output = session.output()
                probes, requests = session.probes, session.requests
                marks.append(("checks", time.monotonic()))
            marks.append(("clean-up", time.monotonic()))
            break
        log.append("timing: " + ", ".join(f"{name} {t - marks[i - 1][1]:.3f} s"
                                          for i, (name, t) in enumerate(marks) if i)
                   + f" ({probes} probes; {requests} forked children served the cells and probes)")
    except (ExecutorBroken, SandboxUnavailable) as exc:  # the student process could not start: our problem
        log.append(f"executor failed to start: {exc}")
        reason = "the grader could not start Python for your notebook; this is not your fault, ask your instructor"
        return not_graded_report(path, reason, started, public_only=public_only, log=log, status=INTERNAL_ERROR,
                                 sha256=submission.sha256, seed=seed)
    finally:
        with _LIVE_LOCK:
            _LIVE.difference_update([s for s in _LIVE if getattr(s, "proc", None) is None])
    lines = [f"Graded {len(outcomes)} checks on {len(submission.cells)} code cells."]
    problems = _cells_summary(cells)
    if problems:
        lines += ["", "Some cells did not run cleanly (later cells still ran):", *problems]
    return GradeReport(path, seed, submission.sha256, outcomes, "\n".join(lines), time.monotonic() - started,
                       log, output, cells=cells)


def _run_cells(session: ExecutorSession, sources: tuple[str, ...],
               known: dict[int, CellOutcome] | None = None) -> list[CellOutcome]:
    """Every code cell in order, within the notebook's time budget; a dead process skips the rest. The cells in
    ``known`` are not run: they keep the outcome given (a rerun's cells that ran out of time the first time).

    All cells first run in the student process's head itself (no fork: it holds nothing else yet). Only if a
    cell hangs or dies is the state of the cells before it lost, with the process: a new one (a new sandbox)
    runs those again, one child each as in :func:`_one_by_one`, the culprit keeps the outcome it had (it is not
    run twice: an infinite loop would cost its time limit twice), and the cells after it follow one by one.
    """
    known = known or {}
    order = [index for index in range(len(sources)) if index not in known]
    deadline = time.monotonic() + session.limits.cells_budget
    batch, state = session.run_cells([(index, sources[index]) for index in order], session.limits.cells_budget,
                                     in_head=True)
    if state == "gone":  # the hang or death took the process and the state with it
        try:
            if _ABORTED.is_set():
                raise ExecutorBroken("the batch was interrupted")
            session.restart()
        except ExecutorBroken:
            state = "dead"  # the culprit's outcome stands, and the cells after it are skipped
    if state in ("kept", "dead"):
        stopped: CellStatus = "over_budget" if state == "kept" else "skipped"
        ran = batch + ([CellOutcome(order[len(batch)], stopped)] if len(batch) < len(order) else [])
        return _merged(ran, known)
    culprit = batch[-1] if batch and batch[-1].status in ("timeout", "died") else None
    before = order.index(culprit.index) if culprit else len(batch)
    ran = _one_by_one(session, sources, order[:before], deadline)
    if culprit is None or len(ran) < before or (ran and ran[-1].status in ("skipped", "over_budget")):
        return _merged(ran, known)  # the replay itself was stopped
    return _merged(ran + [culprit] + _one_by_one(session, sources, order[before + 1:], deadline), known)


def _merged(ran: list[CellOutcome], known: dict[int, CellOutcome]) -> list[CellOutcome]:
    """The outcomes of the cells run and of the ``known`` ones, in order, up to where the running stopped."""
    stop = ran[-1].index if ran and ran[-1].status in ("skipped", "over_budget") else None
    return sorted(ran + [o for index, o in known.items() if stop is None or index < stop], key=lambda o: o.index)


def _one_by_one(session: ExecutorSession, sources: tuple[str, ...], indices: Sequence[int],
                deadline: float) -> list[CellOutcome]:
    """The cells at ``indices``, each in a child of its own (a cell that hangs or dies loses only itself)."""
    cells: list[CellOutcome] = []
    for index in indices:
        if time.monotonic() > deadline:
            cells.append(CellOutcome(index, "over_budget"))
            break
        try:
            cells.append(session.run_cell(index, sources[index]))
        except ExecutorBroken:
            cells.append(CellOutcome(index, "skipped"))
            break
    return cells


def preflight_problem(report: GradeReport) -> str | None:
    """The known-good notebook's report (:data:`KNOWN_GOOD`, graded in the same kind of sandbox as the class)
    judged: None if it scored full marks, else the cause in a few lines (an interpreter the grading user cannot
    run, numpy missing, a broken sandbox). It ran in a sandbox of its own, killed afterwards like any
    submission's, so nothing of it reaches a student."""
    if report.score == report.max_score and report.max_score > 0:
        return None
    failed = [o for o in report.outcomes if not o.passed]
    lines = [f"the known-good notebook scored {report.score:g} / {report.max_score:g}"]
    causes = [line.strip() for line in report.log if line.startswith(("executor failed", "internal error"))][:3]
    lines += causes or [f"{o.check.title}: {o.message.splitlines()[0] if o.message else ''}" for o in failed[:3]]
    return "\n".join(lines)
