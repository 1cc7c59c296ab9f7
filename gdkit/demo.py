"""``gdkit demo``: the whole instructor path on bundled defaults.

1. both reference experiments (with their plots), 2. the assignment build, 3. sample submissions made from
the bundled master notebook (a complete one, one with the seed's defects, the untouched hand-out, a hostile
one and a corrupt file), 4. grading them, 5. a short report.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from gdkit.autograder.batch import grade_all
from gdkit.autograder.checks import CONTRACT
from gdkit.build import DEFAULT_MASTER, BuildError, build_assignment
from gdkit.reference.experiment import run_experiment

SEED_DEFECTS = '''
# The seed's own code, defects included: 1/(m+1), MSE for RMSE, `if not theta`.
def compute_gradients(X, Y, W):
    m = len(Y)
    return (2 / (m + 1)) * np.dot(X.T, np.dot(X, W) - Y)

def lin_reg_l2(x, y, w):
    return np.mean((np.dot(x, w) - y) ** 2)

def gradient_descent(X, y, learn_rate, num_iters, theta=None):
    if not theta:
        theta = np.zeros((X.shape[1], 1))
    for i in range(num_iters):
        theta = theta - learn_rate * compute_gradients(X, y, theta)
    return theta
'''

HOSTILE = [
    "import os\nos._exit(0)",
    "while True:\n    pass",
    "print(open('/etc/shadow').read())",
    "class Anything:\n    def __eq__(self, other):\n        return True\n"
    "def sigmoid(z):\n    return Anything()\n"
    "np.allclose = lambda *args, **kwargs: True",
]


def _with_cells(source: Path, dest: Path, extra: list[str]) -> Path:
    nb = nbformat.read(source, as_version=4)
    # Fixed ids (nbformat's are random): the notebook's bytes seed its hidden inputs, so the demo's report
    # is the same on every run.
    nb.cells.extend(nbformat.v4.new_code_cell(cell.strip(), id=f"{dest.stem}-{i}") for i, cell in enumerate(extra))
    nbformat.write(nb, dest)
    return dest


def make_samples(solution: Path, handout: Path, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    samples = [
        _with_cells(solution, folder / "complete.ipynb", []),
        _with_cells(solution, folder / "seed_defects.ipynb", [SEED_DEFECTS]),
        _with_cells(handout, folder / "not_started.ipynb", []),
        _with_cells(solution, folder / "hostile.ipynb", HOSTILE),
    ]
    corrupt = folder / "corrupt.ipynb"
    corrupt.write_text('{"cells": [', encoding="utf-8")
    return [*samples, corrupt]


def write_report(path: Path, reports, names: list[str]) -> None:
    lines = ["# gdkit demo: grading report", "",
             "| submission | score | " + " | ".join(CONTRACT) + " |",
             "|---|---|" + "---|" * len(CONTRACT)]
    for name, report in zip(names, reports, strict=True):
        scores = report.function_scores()
        lines.append(f"| {name} | {report.score:g} / {report.max_score:g} | "
                     + " | ".join(f"{scores.get(fn, 0):g}" for fn in CONTRACT) + " |")
    for name, report in zip(names, reports, strict=True):
        lines += ["", f"## {name}", "", report.summary]
        failed = [o for o in report.outcomes if not o.passed]
        lines += [f"- {o.check.title}: {o.message.splitlines()[-1]}" for o in failed[:8]]
        if len(failed) > 8:
            lines.append(f"- ... and {len(failed) - 8} more failed checks")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run_demo(out: Path, write=print) -> int:
    out.mkdir(parents=True, exist_ok=True)
    for kind in ("linear", "logistic"):
        write(f"\n== Experiment: {kind} regression ==")
        run_experiment(kind, None, None, every=100, plot=str(out / f"{kind}.png"), write=write)
    write("\n== Build the assignment ==")
    try:
        built = build_assignment(DEFAULT_MASTER, out)
    except BuildError as exc:
        print(f"gdkit demo: build failed: {exc}", file=sys.stderr)
        return 1
    write(f"student notebook: {built.student_notebook}\nhand-out zip: {built.student_zip}")
    write("\n== Grade the sample submissions ==")
    solution = built.otter_autograder_dir / built.student_notebook.name
    samples = make_samples(solution, built.student_notebook, out / "samples")
    reports = grade_all(samples, out / "grades", jobs=2, force=True).reports
    for report in reports:
        write(f"{report.path}: {report.score:g} / {report.max_score:g} ({report.seconds:.2f} s)")
    report_path = out / "report.md"
    write_report(report_path, reports, [p.stem for p in samples])
    write(f"\nresults: {out / 'grades'}/<submission>/results.json, grades: {out / 'grades' / 'grades.csv'}")
    write(f"report: {report_path}")
    return 0
