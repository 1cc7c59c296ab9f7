"""Grading latency of gdkit against Otter's own grading, side by side, on the same notebooks.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/grading_latency.py [--repeat 3]

Baseline: ``otter run -a <otter autograder zip> <notebook>`` (Otter 7's container-free grading, which runs
the tests inside the student's kernel). Candidate: ``gdkit grade`` of the same notebook (separate unprivileged
process, hidden checks). Both are timed as whole commands, start-up included, since that is what a student
waits for; the report gives medians and the ratio gdkit / otter.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gdkit.build import DEFAULT_MASTER, build_assignment


def timed(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        built = build_assignment(DEFAULT_MASTER, tmp / "dist")
        otter_zip = next(built.otter_autograder_dir.glob("*.zip"))
        notebooks = {
            "solution": built.otter_autograder_dir / built.student_notebook.name,
            "hand-out": built.student_notebook,
        }
        rows = []
        for label, notebook in notebooks.items():
            work = tmp / label
            work.mkdir()
            shutil.copy(notebook, work / "submission.ipynb")
            (work / "otter").mkdir()
            otter = [timed([str(bindir / "otter"), "run", "-a", str(otter_zip), "-o", str(work / "otter"),
                            "submission.ipynb"], work) for _ in range(args.repeat)]
            gdkit = [timed([str(bindir / "gdkit"), "grade", "submission.ipynb", "--out", str(work / "gdkit")], work)
                     for _ in range(args.repeat)]
            rows.append((label, statistics.median(otter), statistics.median(gdkit)))
    print(f"{'notebook':<10} {'otter run (s)':>14} {'gdkit grade (s)':>16} {'ratio gdkit/otter':>18}")
    for label, otter_s, gdkit_s in rows:
        print(f"{label:<10} {otter_s:>14.2f} {gdkit_s:>16.2f} {gdkit_s / otter_s:>18.2f}")
    print(f"(medians of {args.repeat} runs; gdkit runs {24} hidden+public checks, otter the 7 questions' public tests)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
