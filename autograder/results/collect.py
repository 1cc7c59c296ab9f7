"""Reading a graded class back: every ``OUT/<folder>/results.json`` -> one :class:`StudentResult` each.

The class report and the gradebook exports read results from disk, never from a grading run in memory, so
they describe every submission under OUT (also those graded by an earlier run) and can be rebuilt at any time.
Fields of the results.json contract (see ``extra_data``) are read with fallbacks, so results written before
that contract, provisional files of an interrupted run and unreadable files all give a row with a reason.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gdkit.autograder.checks import CONTRACT, points_per_function

GRADED, NOT_GRADED, INTERNAL_ERROR = "graded", "not graded", "internal error"
CELL_PROBLEMS = ("error", "timeout", "died", "over_budget", "skipped")

# The summary lines of autograder/grade.py, for results.json written before extra_data carried "cells".
_CELL_LINE = re.compile(r"^- code cell (\d+) (raised `(.*)`|was stopped|ended the Python process|"
                        r"and the cells after it were not run: the cells before them|"
                        r"and the cells after it were not run)")
_CELL_STATUS = {"raised": "error", "was stopped": "timeout", "ended the Python process": "died",
                "and the cells after it were not run: the cells before them": "over_budget",
                "and the cells after it were not run": "skipped"}


@dataclass
class TestResult:
    """One Gradescope test of one submission."""

    name: str
    function: str
    public: bool
    score: float
    max_score: float
    passed: bool
    output: str

    @property
    def check(self) -> str:
        """The check's name without its ``<function>: `` prefix."""
        prefix = f"{self.function}: "
        return self.name[len(prefix):] if self.name.startswith(prefix) else self.name

    @property
    def likely_mistake(self) -> str:
        """The diagnosed mistake of a failed test (its ``Likely mistake:`` line), or ""."""
        if self.passed:
            return ""
        for line in self.output.splitlines():
            if line.startswith("Likely mistake:"):
                return line[len("Likely mistake:"):].strip()
        return ""


@dataclass
class StudentResult:
    """One submission as its results.json describes it."""

    folder: str
    student: str
    student_id: str
    submission: str
    submission_id: str | None
    status: str
    reason: str
    score: float
    max_score: float
    seconds: float | None
    summary: str
    cells: list[dict] = field(default_factory=list)
    tests: list[TestResult] = field(default_factory=list)

    def function_scores(self) -> dict[str, float]:
        scores = dict.fromkeys(CONTRACT, 0.0)
        for t in self.tests:
            scores[t.function] = scores.get(t.function, 0.0) + t.score
        return scores


def full_marks() -> float:
    return float(sum(points_per_function().values()))


def load_class(out: Path) -> list[StudentResult]:
    """Every ``out/*/results.json``, sorted by student name then folder; never raises for a bad file."""
    out = Path(out)
    results = [load_one(path) for path in sorted(out.glob("*/results.json"))]
    return sorted(results, key=lambda r: (r.student.casefold(), r.folder))


def load_one(path: Path) -> StudentResult:
    """One results.json; an unreadable or malformed file is a "not graded" row that says so."""
    folder = path.parent.name
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
        return _from_document(folder, doc)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        return StudentResult(folder, folder, "", "", None, NOT_GRADED, f"results.json unreadable: {exc}",
                             0.0, full_marks(), None, "")


def _text(value, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _maybe_number(value) -> float | None:
    """A JSON number as a float; None for anything else (booleans included)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _number(value) -> float:
    number = _maybe_number(value)
    return 0.0 if number is None else number


def _from_document(folder: str, doc: dict) -> StudentResult:
    extra: dict[str, Any] = doc["extra_data"] if isinstance(doc.get("extra_data"), dict) else {}
    tests = [_test(t) for t in doc.get("tests", []) if isinstance(t, dict)]
    summary = _text(doc.get("output"))
    status, reason = _status(extra, summary, tests)
    max_score = sum(t.max_score for t in tests) if tests else full_marks()
    score = _maybe_number(doc.get("score"))
    if score is None:
        score = sum(t.score for t in tests)
    seconds = _maybe_number(extra.get("seconds"))
    if seconds is None:
        seconds = _maybe_number(doc.get("execution_time"))
    cells: list[Any] = extra["cells"] if isinstance(extra.get("cells"), list) else _cells_from_summary(summary)
    submission_id = extra.get("submission_id")
    return StudentResult(
        folder=folder,
        student=_text(extra.get("student")) or folder,
        student_id=_text(extra.get("student_id")),
        submission=_text(extra.get("submission")),
        submission_id=str(submission_id) if submission_id not in (None, "") else None,
        status=status,
        reason=reason,
        score=score,
        max_score=max_score,
        seconds=seconds,
        summary=summary,
        cells=[c for c in cells if isinstance(c, dict)],
        tests=tests,
    )


def _test(t: dict) -> TestResult:
    name = _text(t.get("name"), "?")
    tags = [x for x in t.get("tags", []) if isinstance(x, str)] if isinstance(t.get("tags"), list) else []
    function = next((x for x in tags if x in CONTRACT), name.split(":", 1)[0])
    score, max_score = _number(t.get("score")), _number(t.get("max_score"))
    status = t.get("status")
    passed = status == "passed" if status in ("passed", "failed") else score >= max_score
    return TestResult(name, function, "public" in tags, score, max_score, passed, _text(t.get("output")))


def _status(extra: dict, summary: str, tests: list[TestResult]) -> tuple[str, str]:
    status = extra.get("status")
    if status in (GRADED, NOT_GRADED, INTERNAL_ERROR):
        return status, _text(extra.get("reason"))
    # Before the contract: read what the summary says.
    if summary.startswith("**Not graded:**"):
        reason = summary.removeprefix("**Not graded:**").strip()
        return (INTERNAL_ERROR if reason.startswith("the grader hit an internal error") else NOT_GRADED), reason
    if not tests:  # the provisional file of a run that never finished this notebook
        return NOT_GRADED, summary or "no results"
    return GRADED, ""


def _cells_from_summary(summary: str) -> list[dict]:
    cells = []
    for line in summary.splitlines():
        m = _CELL_LINE.match(line.strip())
        if m:
            key = "raised" if m.group(2).startswith("raised") else m.group(2)
            cells.append({"cell": int(m.group(1)), "status": _CELL_STATUS[key], "error": m.group(3) or ""})
    return cells
