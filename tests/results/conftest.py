"""A small class graded for real by today's grade_all, and the same results rewritten to the results.json
contract (extra_data: student, student_id, status, reason, seconds, cells ...) with hostile names."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))
sys.path.insert(0, str(Path(__file__).parent))

from hostile_names import HOSTILE_ERROR, HOSTILE_NAME  # noqa: E402

from gdkit.autograder.batch import grade_all  # noqa: E402

from solutions import WRONG, solution_cells, write_notebook  # noqa: E402


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory) -> Path:
    """OUT of `grade_all` on four real notebooks: full marks, 1/(m+1), two mistakes and a raising cell, corrupt."""
    root = tmp_path_factory.mktemp("class")
    (root / "in").mkdir()
    notebooks = [
        write_notebook(root / "in" / "alice.ipynb", solution_cells()),
        write_notebook(root / "in" / "bob.ipynb", solution_cells(compute_gradients=WRONG["compute_gradients"])),
        write_notebook(root / "in" / "carol.ipynb",
                       solution_cells(lin_reg_l2=WRONG["lin_reg_l2"], compute_gradients=WRONG["compute_gradients"])
                       + ["raise ValueError('<b>boom</b>')"]),
    ]
    corrupt = root / "in" / "dan.ipynb"
    corrupt.write_text('{"cells": [', encoding="utf-8")
    grade_all([*notebooks, corrupt], root / "out", jobs=2)
    return root / "out"


def contract_document(source: Path, **extra) -> dict:
    """A real results.json with the contract's extra_data fields set."""
    doc = json.loads(source.read_text(encoding="utf-8"))
    doc["extra_data"] = {"seed": 1, "sha256": "0" * 64, "gdkit_version": "0.1.0", "fingerprint": "f",
                         "submission_id": None, "status": "graded", "reason": "", "cells": [], **extra}
    return doc


@pytest.fixture()
def contract_class(graded_class, tmp_path) -> Path:
    """A class written to the contract: names and ids in extra_data, folder names that say nothing."""
    out = tmp_path / "out"
    specs = [
        ("alice", "s-01", {"student": "Alice Archer", "student_id": "alice@u.edu", "seconds": 0.8,
                           "submission": "export/submission_11/gradient_descent.ipynb", "submission_id": "11"}),
        ("bob", "s-02", {"student": "Bob Baker", "student_id": "S0002", "seconds": 2.5,
                         "submission": "export/submission_12/gradient_descent.ipynb", "submission_id": "12",
                         "cells": [{"cell": 3, "status": "timeout", "error": ""},
                                   {"cell": 5, "status": "error", "error": HOSTILE_ERROR}]}),
        ("carol", "s-03", {"student": HOSTILE_NAME, "student_id": "evil@u.edu", "seconds": 1.1,
                           "submission": "export/submission_13/gradient_descent.ipynb", "submission_id": "13"}),
        ("carol", "s-04", {"student": "Dora Dunn & Eli Eames", "student_id": "dora@u.edu & eli@u.edu",
                           "seconds": 0.9, "submission": "export/submission_14/gradient_descent.ipynb"}),
        ("dan", "s-05", {"student": "Finn Fox", "student_id": "finn@u.edu", "status": "not graded",
                         "reason": "the notebook is not valid JSON", "seconds": 0.01}),
        ("alice", "s-06", {"student": "Gus Grey", "student_id": "gus@u.edu", "status": "internal error",
                           "reason": "the grader hit an internal error", "seconds": 0.3}),
        ("alice", "s-07", {"student": "Nobody Known", "student_id": "nobody@elsewhere.edu", "seconds": 0.7}),
    ]
    for source, folder, extra in specs:
        doc = contract_document(graded_class / source / "results.json", **extra)
        (out / folder).mkdir(parents=True)
        (out / folder / "results.json").write_text(json.dumps(doc), encoding="utf-8")
    return out


@pytest.fixture()
def copy_of(tmp_path):
    def copy(out: Path) -> Path:
        target = tmp_path / f"copy-{out.name}"
        shutil.copytree(out, target)
        return target
    return copy
