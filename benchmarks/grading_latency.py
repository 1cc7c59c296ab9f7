"""Grading latency of gdkit against Otter's own grading, side by side in one run, on the same notebooks.

Run on demand (not part of the test suite):

    .venv/bin/python benchmarks/grading_latency.py [--repeat 3] [--class-size 100]

Baseline: ``otter run -a <otter autograder zip> <notebook>`` (Otter 7's container-free grading, which runs
the tests inside the student's kernel). Candidate: ``gdkit grade`` of the same notebook (a fresh sandbox, the
hidden and public checks). Both are timed as whole commands, start-up included, since that is what a student
waits for, alternating baseline and candidate so that drift in the machine's speed hits both. Every notebook
carries the hand-out's ``otter`` metadata so Otter accepts it, and each Otter run is checked to have written
its results. Reported: medians, the ratio otter / gdkit (how many times faster gdkit is), where one notebook's
time goes (from gdkit's grading.log: the wait for the sandbox, cells, checks, clean-up; and, measured alone, the
grader's imports and a sandbox's start, which a grade overlaps), and a class of identical-in-kind notebooks
graded with ``-j 2``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from gdkit.build import DEFAULT_MASTER, build_assignment

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "engine"))
from solutions import SOLUTION  # noqa: E402

SHORT_EXPERIMENTS = [
    """
np.random.seed(0)
X = np.random.rand(100, 2)
y = 2 + np.dot(X, np.array([[3, 4]]).T) + 0.1 * np.random.rand(100, 1)
X = np.hstack((np.ones((X.shape[0], 1)), X))
theta_normal = np.linalg.lstsq(X, y, rcond=None)[0]
theta_gd = gradient_descent(X, y, 0.1, 400)
print("normal equation:", theta_normal.T, "gradient descent:", theta_gd.T)
""",
    """
rng = np.random.default_rng(1)
Xl = np.hstack([np.ones((200, 1)), rng.normal(size=(200, 2))])
yl = (rng.random((200, 1)) < sigmoid(Xl @ np.array([[-0.5], [2.0], [-1.0]]))).astype(float)
w = logistic_gradient_descent(Xl, yl, 1.0, 400)
print("logistic loss:", logistic_loss(Xl, yl, w), "weights:", w.T)
""",
]


def functions_notebook(handout: Path, path: Path, tag: str = "") -> Path:
    """The seven functions and two short experiments without plots, with the hand-out's Otter metadata."""
    nb = nbformat.read(handout, as_version=4)
    cells = ["import numpy as np\nimport otter\ngrader = otter.Notebook()" + (f"\n# {tag}" if tag else "")]
    cells += [source.strip() for source in SOLUTION.values()] + [s.strip() for s in SHORT_EXPERIMENTS]
    nb.cells = [nbformat.v4.new_code_cell(source, id=f"bench-{i}") for i, source in enumerate(cells)]
    path.write_text(nbformat.writes(nb), encoding="utf-8")
    return path


# As on an instructor's machine: Python caches compiled modules (a shell with PYTHONDONTWRITEBYTECODE=1 would make
# every run compile gdkit's own modules again, about 0.05 s, while the site-packages of both tools have theirs).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True, env=ENV)
    return time.perf_counter() - started


def otter_run(bindir: Path, otter_zip: Path, work: Path) -> float:
    out = work / "otter"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    seconds = timed([str(bindir / "otter"), "run", "-a", str(otter_zip), "-o", str(out), "submission.ipynb"], work)
    results = out / "results.json"
    if not results.is_file() or "tests" not in json.loads(results.read_text()):
        raise SystemExit(f"otter run wrote no results for {work}: the baseline would be meaningless")
    return seconds


def gdkit_grade(bindir: Path, work: Path) -> float:
    out = work / "gdkit"
    shutil.rmtree(out, ignore_errors=True)
    return timed([str(bindir / "gdkit"), "grade", "--force", "--out", str(out), "--", "submission.ipynb"], work)


def startup_parts(bindir: Path, repeat: int) -> str:
    """What a one-notebook grade starts with, each measured alone (medians): the interpreter with the grader's
    imports, and one student process's start in the sandbox (which ``gdkit grade`` overlaps with the imports)."""
    python = str(bindir / "python")
    bare = statistics.median(timed([python, "-c", "pass"], Path.cwd()) for _ in range(repeat))
    imports = statistics.median(timed([python, "-c", "import gdkit.autograder.batch"], Path.cwd())
                                for _ in range(repeat))
    boot = subprocess.run([python, "-c", SESSION_START, str(repeat)], check=True, capture_output=True, text=True,
                          env=ENV).stdout.strip()
    return (f"interpreter {bare:.3f} s, interpreter + grader imports {imports:.3f} s, one sandboxed student "
            f"process started (bubblewrap, interpreter, numpy) {boot} s")


SESSION_START = """
import statistics, sys, time
from gdkit.autograder.executor.supply import sandboxing, start_lease
how = sandboxing(1)
times = []
for _ in range(int(sys.argv[1])):
    started = time.perf_counter()
    with start_lease(how):
        times.append(time.perf_counter() - started)
print(f"{statistics.median(times):.3f}")
"""


def time_split(work: Path) -> str:
    """The ``timing:`` line gdkit writes into grading.log (sandbox start, cells, checks)."""
    for log in (work / "gdkit").rglob("grading.log"):
        match = re.search(r"^timing: (.*)$", log.read_text(), re.MULTILINE)
        if match:
            return match.group(1)
    return "(no timing line in grading.log)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--class-size", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        built = build_assignment(DEFAULT_MASTER, tmp / "dist")
        otter_zip = next(built.otter_autograder_dir.glob("*.zip"))
        notebooks = {
            "functions + short experiments": functions_notebook(built.student_notebook, tmp / "functions.ipynb"),
            "full solution (plots)": built.otter_autograder_dir / built.student_notebook.name,
        }
        rows = []
        for label, notebook in notebooks.items():
            work = tmp / re.sub(r"\W+", "-", label)
            work.mkdir()
            shutil.copy(notebook, work / "submission.ipynb")
            otter, gdkit = [], []
            for _ in range(args.repeat):  # alternating, so drift hits both
                otter.append(otter_run(bindir, otter_zip, work))
                gdkit.append(gdkit_grade(bindir, work))
            rows.append((label, statistics.median(otter), statistics.median(gdkit), time_split(work)))

        parts = startup_parts(bindir, max(args.repeat, 5))
        klass = tmp / "class"
        klass.mkdir()
        for i in range(args.class_size):
            functions_notebook(built.student_notebook, klass / f"student{i:03d}.ipynb", tag=f"student {i}")
        started = time.perf_counter()
        subprocess.run([str(bindir / "gdkit"), "grade", "-j", str(args.jobs), "--out", str(tmp / "class-out"),
                        "--", str(klass)], check=True, capture_output=True, env=ENV)
        class_seconds = time.perf_counter() - started

    print(f"{'notebook':<32} {'otter run (s)':>14} {'gdkit grade (s)':>16} {'otter/gdkit':>12}")
    for label, otter_s, gdkit_s, _ in rows:
        print(f"{label:<32} {otter_s:>14.2f} {gdkit_s:>16.2f} {otter_s / gdkit_s:>11.1f}x")
    print(f"(medians of {args.repeat} alternating runs; gdkit runs the hidden and public checks, otter the 7 "
          "questions' public tests)")
    for label, _, _, split in rows:
        print(f"one gdkit grade, {label}: {split}")
    print(f"measured alone: {parts}")
    print(f"class of {args.class_size} functions notebooks, gdkit grade -j {args.jobs}: {class_seconds:.1f} s "
          f"({class_seconds / args.class_size:.2f} s per notebook)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
