"""Grading one submission, end to end: notebook -> executor -> observations -> checks -> report.

Nothing here executes student code: the submission's cells run in the executor's separate process, and
every failure (a broken notebook, a dead student process, a bug in a check) becomes a zero with a reason
on what it touches, never an exception out of :func:`grade_notebook`.
"""

from __future__ import annotations

import hashlib
import html
import re
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gdkit import __version__
from gdkit.autograder.checks import Check, CheckFailed, Context, all_checks
from gdkit.autograder.executor.sandbox import Limits, StudentUser
from gdkit.autograder.executor.session import CellOutcome, ExecutorBroken, ExecutorSession
from gdkit.autograder.submission import SubmissionError, load_submission

MAX_SEED = 2**32


@dataclass
class CheckOutcome:
    check: Check
    passed: bool
    message: str

    @property
    def score(self) -> float:
        return self.check.points if self.passed else 0.0


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
                      log: list[str] | None = None) -> GradeReport:
    """A zero on every check with the reason (Markdown, already safe), shaped like grade_notebook's reports."""
    return GradeReport(path, None, "", _not_graded(all_checks(public_only), reason), f"**Not graded:** {reason}",
                       time.monotonic() - started, log or [])


def grade_notebook(
    path: Path,
    *,
    public_only: bool = False,
    seed: int | None = None,
    submission_id: str | None = None,
    limits: Limits | None = None,
    user: StudentUser | None = None,
    python: str | None = None,
    private: Sequence[Path] = (),
) -> GradeReport:
    """Grade one notebook. Never raises for anything the submission does; the report says what happened.

    ``private``: files and folders the student's code must not read, such as the class's other submissions
    (see :mod:`gdkit.autograder.executor.hiding`).
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
    try:
        with ExecutorSession(python=python, limits=limits, user=user, private=private) as session:
            log.extend(session.log)
            cells_deadline = time.monotonic() + session.limits.cells_budget
            for index, source in enumerate(submission.cells):
                if time.monotonic() > cells_deadline:
                    cells.append(CellOutcome(index, "over_budget"))
                    break
                try:
                    cells.append(session.run_cell(index, source))
                except ExecutorBroken:
                    cells.append(CellOutcome(index, "skipped"))
                    break
            for check in checks:
                outcomes.append(run_check(check, session, seed, log))
            output = session.output()
    except ExecutorBroken as exc:  # the student process could not even start: our environment's problem
        log.append(f"executor failed to start: {exc}")
        reason = "the grader could not start Python for your notebook; this is not your fault, ask your instructor"
        outcomes = _not_graded(checks, reason)
    lines = [f"Graded {len(outcomes)} checks on {len(submission.cells)} code cells."]
    problems = _cells_summary(cells)
    if problems:
        lines += ["", "Some cells did not run cleanly (later cells still ran):", *problems]
    return GradeReport(path, seed, submission.sha256, outcomes, "\n".join(lines), time.monotonic() - started,
                       log, output)


def run_check(check: Check, session: ExecutorSession, seed: int, log: list[str]) -> CheckOutcome:
    """One check against a session whose cells have run; a bug in the check is logged, never raised."""
    try:
        check.run(Context(session, seed, check.title))
    except CheckFailed as failure:
        return CheckOutcome(check, False, str(failure))
    except Exception:  # a bug in a check costs only that check, and is logged for the instructor
        log.append(f"internal error in check {check.title!r}:\n{traceback.format_exc()}")
        return CheckOutcome(check, False, "Not graded: the grader hit an internal error on this check "
                                          "(not your fault; your instructor has the details)")
    return CheckOutcome(check, True, "Passed.")
