"""``gdkit demo``: the whole instructor path on bundled defaults.

1. both reference experiments (with their plots), 2. everything an instructor uploads: the hand-out
(``student.zip``) and the Gradescope autograder (``gradescope/autograder.zip``), 3. a sample class of named
students laid out like Gradescope's "Download Submissions" export, made from the bundled master notebook with
varied mistakes, 4. grading it, 5. the class report (HTML) and a gradebook export.

Otter Assign's own autograder zip is a by-product of the build that grades differently (tests inside the
student's kernel): it stays in a temporary folder, never in ``--out`` where an instructor would pick it up.
"""

from __future__ import annotations

import csv
import html
import io
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from gdkit.autograder.batch import grade_all
from gdkit.autograder.class_folder import find_submissions
from gdkit.autograder.results.collect import load_class
from gdkit.autograder.results.export import write_export
from gdkit.autograder.results.report import write_report
from gdkit.build import DEFAULT_MASTER, NOTEBOOK_NAME, OTTER_ZIP_NAME, BuildError, build_assignment, hidden_visibility
from gdkit.reference.experiment import run_experiment

FIRST_SUBMISSION_ID = 287_654_301

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

NO_TWO = '''
def compute_gradients(X, Y, W):
    return np.dot(X.T, np.dot(X, W) - Y) / len(Y)   # the 2 of d/dW (XW - Y)^2 is missing
'''

MSE = '''
def lin_reg_l2(x, y, w):
    return np.mean((x @ w - y) ** 2)   # MSE, not its square root
'''

SIGMOID_SIGN = '''
def sigmoid(z):
    return 1 / (1 + np.exp(z))
'''

NAIVE_LOGLOSS = '''
def logistic_loss(X, Y, W):
    p = sigmoid(X @ W)
    return -np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p))   # log(0) once |z| is large
'''

SUM_NOT_MEAN = '''
def compute_logistic_gradients(X, Y, W):
    return X.T @ (sigmoid(X @ W) - Y)   # a sum over examples, not a mean
'''

IN_PLACE = '''
def logistic_gradient_descent(X, y, learn_rate, num_iters, theta=None):
    theta = np.zeros((X.shape[1], 1)) if theta is None else theta
    for _ in range(num_iters):
        theta -= learn_rate * compute_logistic_gradients(X, y, theta)   # changes the caller's array
    return theta
'''

EXTRA_STEP = '''
def gradient_descent(X, y, learn_rate, num_iters, theta=None):
    if theta is None:
        theta = np.zeros((X.shape[1], 1))
    for i in range(num_iters + 1):   # one update too many
        theta = theta - learn_rate * compute_gradients(X, y, theta)
    return theta
'''

FLOAT32 = '''
def compute_logistic_gradients(X, Y, W):
    X, Y, W = (np.asarray(a, dtype=np.float32) for a in (X, Y, W))
    return X.T @ (sigmoid(X @ W) - Y) / len(Y)
'''

TYPO = "loss_history = run_experimnet(X, y)   # a typo: this cell raises NameError"

HOSTILE = [
    "import os\nos._exit(0)",
    "print(open('/etc/shadow').read())",
    "class Anything:\n    def __eq__(self, other):\n        return True\n"
    "def sigmoid(z):\n    return Anything()\n"
    "np.allclose = lambda *args, **kwargs: True",
]


@dataclass(frozen=True)
class Sample:
    name: str
    sid: str
    kind: str  # "solution", "handout" or "corrupt"
    extra: tuple[str, ...] = ()

    @property
    def email(self) -> str:
        return ".".join(self.name.lower().replace("-", " ").split()) + "@example.edu"


CLASS = (
    Sample("Ada Lovelace", "1001", "solution"),
    Sample("Alan Turing", "1002", "solution", (SEED_DEFECTS,)),
    Sample("Grace Hopper", "1003", "solution", (NO_TWO,)),
    Sample("Edsger Dijkstra", "1004", "solution", (SIGMOID_SIGN,)),
    Sample("Barbara Liskov", "1005", "solution", (NAIVE_LOGLOSS,)),
    Sample("Donald Knuth", "1006", "solution", (SUM_NOT_MEAN,)),
    Sample("Katherine Johnson", "1007", "solution", (IN_PLACE,)),
    Sample("John von Neumann", "1008", "solution", (EXTRA_STEP, MSE)),
    Sample("Margaret Hamilton", "1009", "handout"),
    Sample("Claude Shannon", "1010", "solution", (TYPO,)),
    Sample("Frances Allen", "1011", "corrupt"),
    Sample("Tim Berners-Lee", "1012", "solution", tuple(HOSTILE)),
    Sample("Radia Perlman", "1013", "solution", (FLOAT32,)),
    Sample("Hedy Lamarr", "1014", "solution", (SEED_DEFECTS, SIGMOID_SIGN)),
    Sample("Ken Thompson", "1015", "solution", (NO_TWO, MSE)),
    Sample("Barbara McClintock", "1016", "solution"),
)


def _with_cells(source: Path, dest: Path, extra: tuple[str, ...], key: str) -> Path:
    nb = nbformat.read(source, as_version=4)
    # Fixed ids (nbformat's are random): the seed comes from the submission id, and the report is the same on
    # every run.
    nb.cells.extend(nbformat.v4.new_code_cell(cell.strip(), id=f"{key}-{i}") for i, cell in enumerate(extra))
    dest.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dest)
    return dest


def make_class(solution: Path, handout: Path, folder: Path) -> Path:
    """Write ``folder`` as Gradescope's "Download Submissions" export of :data:`CLASS`, plus ``roster.csv``
    (Gradescope's roster columns). Returns ``folder``."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    metadata = []
    for i, s in enumerate(CLASS):
        key = f"submission_{FIRST_SUBMISSION_ID + i}"
        dest = folder / key / NOTEBOOK_NAME
        if s.kind == "corrupt":
            dest.parent.mkdir(parents=True)
            dest.write_text('{"cells": [', encoding="utf-8")  # a notebook truncated by a bad upload
        else:
            _with_cells(solution if s.kind == "solution" else handout, dest, s.extra, key)
        metadata += [f"{key}:", "  :submitters:", f"  - :name: {s.name}", f"    :sid: '{s.sid}'",
                     f"    :email: {s.email}", f"  :created_at: 2026-11-20 1{i % 10}:00:00.000000000 -08:00",
                     "  :score: ", "  :status: processed"]
    (folder / "submission_metadata.yml").write_text("\n".join(metadata) + "\n", encoding="utf-8")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["First Name", "Last Name", "SID", "Email", "Role", "Sections"])
    for s in CLASS:
        first, last = s.name.split(" ", 1)
        writer.writerow([first, last, s.sid, s.email, "Student", "Lab A" if int(s.sid) % 2 else "Lab B"])
    (folder / "roster.csv").write_text(buffer.getvalue(), encoding="utf-8")
    return folder


def run_demo(out: Path, write=print) -> int:
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    for kind in ("linear", "logistic"):
        write(f"\n== Experiment: {kind} regression ==")
        run_experiment(kind, None, None, every=100, plot=str(out / f"{kind}.png"), write=write)

    write("\n== Build what you upload ==")
    from gdkit.autograder.gradescope.package import build_gradescope_zip

    with tempfile.TemporaryDirectory(prefix="gdkit-demo-") as tmp:
        try:
            built = build_assignment(DEFAULT_MASTER, Path(tmp))
            gradescope_zip = build_gradescope_zip(out / "gradescope",
                                                  hidden_visibility=hidden_visibility(DEFAULT_MASTER))
        except (BuildError, ValueError, OSError, subprocess.CalledProcessError) as exc:  # as `gdkit build` reports
            print(f"gdkit demo: build failed: {exc}", file=sys.stderr)
            return 1
        for name in ("student", "student.zip"):
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            target.unlink(missing_ok=True)
            shutil.move(str(Path(tmp) / name), target)
        stale = out / "otter-autograder"
        if (stale / OTTER_ZIP_NAME).is_file():  # left by an earlier demo: it is not what to upload
            shutil.rmtree(stale)
        write("\n== Make the sample class (Gradescope export layout) ==")
        solution = built.otter_autograder_dir / NOTEBOOK_NAME
        class_dir = make_class(solution, out / "student" / NOTEBOOK_NAME, out / "sample-class")
    write(f"{len(CLASS)} submissions of named students in {class_dir}/ (submission_metadata.yml, roster.csv)")

    write("\n== Grade the class ==")
    grades = out / "grades"
    if grades.is_dir():  # the demo's own output: a fresh class each run, no folder left from an older layout
        shutil.rmtree(grades)
    # The class folder is read as instructors have it (student names and submission ids from the metadata).
    grade_all(find_submissions([str(class_dir)]), grades, jobs=2)
    report = write_report(grades)
    exported = write_export(grades, "gradescope", roster=class_dir / "roster.csv")
    for s in load_class(grades):
        why = f"  ({s.status}: {html.unescape(s.reason)})" if s.reason else ""
        write(f"  {s.student:<22} {s.score:>5g} / {s.max_score:g}{why}")

    write(f"\n== Files (demo took {time.monotonic() - started:.0f} s) ==")
    files = [
        ("hand-out for students", out / "student.zip"),
        ("Gradescope autograder (upload this)", gradescope_zip),
        ("sample class (Gradescope export)", class_dir),
        ("results per student", grades / "<folder>" / "results.json"),
        ("grades", grades / "grades.csv"),
        ("class report (open in a browser)", report),
        ("Gradescope score upload", exported.path),
        ("experiment plots", out / "linear.png"),
        ("", out / "logistic.png"),
    ]
    for label, path in files:
        write(f"  {label:<38} {path}")
    for m in exported.unmatched + exported.not_exported:
        write(f"  left out of the export: {m.member or m.result.folder}: {m.problem}")
    return 0
