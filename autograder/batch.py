"""Grading a class: many notebooks, optionally in parallel, each to its own results.json, plus grades.csv.

Results are always written: a provisional results.json before a submission is graded, the final one after,
and grades.csv at the end with one row per submission whatever happened to it.
"""

from __future__ import annotations

import csv
import io
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gdkit.autograder.checks import CONTRACT
from gdkit.autograder.executor import hiding, sandbox
from gdkit.autograder.grade import GradeReport, grade_notebook, not_graded_report, plain_text
from gdkit.autograder.results.gradescope import provisional_results, results_json, write_atomically


def output_names(paths: list[Path]) -> list[str]:
    """One folder name per submission: the notebook's stem, made unique (stem-2, stem-3 ...) when names collide."""
    used: set[str] = set()
    names = []
    for path in paths:
        stem = path.stem or "submission"
        name, n = stem, 1
        while name in used:
            n += 1
            name = f"{stem}-{n}"
        used.add(name)
        names.append(name)
    return names


INTERNAL_ERROR = "the grader hit an internal error on this notebook (not your fault; your instructor has the details)"


def grade_all(paths: list[Path], out: Path, *, jobs: int = 1, hidden_visibility: str = "after_published",
              public_only: bool = False, progress=None) -> list[GradeReport]:
    """Grade ``paths`` into ``out``; returns the reports in the order given."""
    out.mkdir(parents=True, exist_ok=True)
    names = output_names(paths)
    root = sandbox.is_root()
    # Student code reads none of gdkit, the class's submissions or the results (where the OS allows hiding).
    private = [*hiding.gdkit_files(), out.resolve(), *sorted({p.resolve().parent for p in paths})]

    def one(path: Path, name: str) -> GradeReport:
        folder = out / name
        write_atomically(folder / "results.json",
                         provisional_results("Grading did not complete: please resubmit or ask your instructor."))
        started = time.monotonic()
        try:
            if root:
                with sandbox.exclusive_user() as user:
                    report = grade_notebook(path, public_only=public_only, user=user, private=private)
            else:
                report = grade_notebook(path, public_only=public_only)
        except Exception:  # a grader bug costs this notebook a zero with a reason, never the batch
            report = not_graded_report(path, INTERNAL_ERROR, started, public_only=public_only,
                                       log=["internal error:", traceback.format_exc()])
        write_atomically(folder / "results.json", results_json(report, hidden_visibility))
        (folder / "grading.log").write_text(_log_text(report), encoding="utf-8")
        if progress:
            progress(f"{path}: {report.score:g} / {report.max_score:g} ({report.seconds:.2f} s)")
        return report

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        reports = list(pool.map(one, paths, names))
    write_csv(out / "grades.csv", names, reports)
    return reports


def _log_text(report: GradeReport) -> str:
    lines = [f"submission: {report.path}", f"sha256: {report.sha256}", f"seed: {report.seed}",
             f"score: {report.score:g} / {report.max_score:g}", f"seconds: {report.seconds:.3f}", *report.log,
             "--- student output (capped) ---", report.output]
    return "\n".join(lines) + "\n"


def write_csv(path: Path, names: list[str], reports: list[GradeReport]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["submission", "score", "max_score", *CONTRACT])
    for name, report in zip(names, reports, strict=True):
        scores = report.function_scores()
        writer.writerow([name, f"{report.score:g}", f"{report.max_score:g}",
                         *(f"{scores.get(fn, 0.0):g}" for fn in CONTRACT)])
    tmp = path.with_suffix(".csv.tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    tmp.replace(path)


def print_check_summary(report: GradeReport, stream=sys.stdout) -> None:
    """The student-facing summary of ``gdkit check``: one line per check, then what to fix (plain text)."""
    print(plain_text(report.summary), file=stream)
    print(file=stream)
    for outcome in report.outcomes:
        mark = "PASS" if outcome.passed else "FAIL"
        print(f"[{mark}] {outcome.check.title} ({outcome.score:g}/{outcome.check.points:g})", file=stream)
        if not outcome.passed:
            for line in plain_text(outcome.message).splitlines():
                print(f"       {line}", file=stream)
    print(f"\nPublic checks: {report.score:g} / {report.max_score:g} points. Hidden checks are run when you "
          "submit.", file=stream)
