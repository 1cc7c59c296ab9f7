"""``gdkit grade`` and ``gdkit check`` as an instructor and a student run them (the real command line)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from gdkit.autograder import batch
from gdkit.autograder.checks import CONTRACT, points_per_function
from gdkit.autograder.class_folder import Entry, folder_names
from gdkit.autograder.results.gradescope import validate

from solutions import WRONG, solution_cells, write_notebook


def gdkit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gdkit.cli", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A small class graded with -j 2: a solution, a wrong gradient, a corrupt file, and two notebooks that share
    a name in different folders."""
    root = tmp_path_factory.mktemp("class")
    (root / "b").mkdir()
    paths = [
        write_notebook(root / "alice.ipynb", solution_cells()),
        write_notebook(root / "bob.ipynb", solution_cells(compute_gradients=WRONG["compute_gradients"])),
        root / "carol.ipynb",
        write_notebook(root / "b" / "alice.ipynb", solution_cells(sigmoid=WRONG["sigmoid"])),
    ]
    paths[2].write_text('{"cells": [', encoding="utf-8")
    out = root / "grades"
    proc = gdkit("grade", *map(str, paths), "--out", str(out), "-j", "2")
    return proc, out


def test_grade_exits_0_and_writes_a_valid_results_json_per_submission(graded):
    proc, out = graded
    assert proc.returncode == 0, proc.stderr
    for name in ("alice", "bob", "carol", "alice-2"):
        document = json.loads((out / name / "results.json").read_text())
        validate(document)
    carol = json.loads((out / "carol" / "results.json").read_text())
    assert carol["score"] == 0 and "carol.ipynb is not valid notebook JSON" in carol["output"], carol


def test_grades_csv_has_one_column_per_contract_function(graded):
    _, out = graded
    rows = list(csv.reader((out / "grades.csv").read_text().splitlines()))
    assert rows[0] == ["student", "student_id", "submission", "status", "score", "max_score", *CONTRACT, "reason"]
    table = {(row[0], Path(row[2]).parent.name): dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert [key[0] for key in table] == ["alice", "alice", "bob", "carol"], "sorted by student"
    top = out.parent.name
    numbers = {key: {k: float(row[k]) for k in ("score", "max_score", *CONTRACT)} for key, row in table.items()}
    alice, alice_b = numbers[("alice", top)], numbers[("alice", "b")]
    bob, carol = numbers[("bob", top)], numbers[("carol", top)]
    full = points_per_function()
    assert alice == {"score": 20, "max_score": 20, **full}
    assert bob["compute_gradients"] < full["compute_gradients"]
    assert all(bob[fn] == full[fn] for fn in CONTRACT if fn != "compute_gradients")
    assert bob["score"] == sum(bob[fn] for fn in CONTRACT)
    assert carol["score"] == 0 and carol["max_score"] == 20
    assert table[("carol", top)]["status"] == "not graded"
    assert "not valid notebook JSON" in table[("carol", top)]["reason"]
    assert alice_b["sigmoid"] < full["sigmoid"]


@pytest.mark.parametrize("args, message", [
    (["grade", "nowhere.ipynb", "--out", "x"], "no such file or folder: nowhere.ipynb"),
    (["grade", "--out", "x"], "the following arguments are required"),
    (["grade", __file__, "--out", "x", "-j", "0"], "-j must be at least 1"),
])
def test_grade_usage_errors_exit_non_zero_with_a_message(tmp_path, args, message):
    proc = subprocess.run([sys.executable, "-m", "gdkit.cli", *args], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr, proc.stderr
    assert not (tmp_path / "x").exists()


def test_names_stay_unique_whatever_the_stems():
    entries = [Entry(Path(p), Path(p).stem) for p in ("x/a.ipynb", "a-2.ipynb", "y/a.ipynb", "z/a.ipynb")]
    names = folder_names(entries)
    assert len(set(names)) == len(names) == 4
    assert names[:2] == ["a", "a-2"]


def test_an_internal_error_is_a_zero_with_a_reason_and_the_batch_goes_on(tmp_path, monkeypatch):
    # Fault injection: the grader itself fails on one notebook (no real submission can make it do so).
    good = write_notebook(tmp_path / "good.ipynb", solution_cells())
    unlucky = write_notebook(tmp_path / "unlucky.ipynb", solution_cells())
    real = batch.grade_notebook

    def failing(path, **kwargs):
        if Path(path).stem == "unlucky":
            raise OSError("disk full")
        return real(path, **kwargs)

    monkeypatch.setattr(batch, "grade_notebook", failing)
    result = batch.grade_all([unlucky, good], tmp_path / "out", jobs=2)
    assert {o.folder: (o.status, o.score) for o in result.outcomes} == {"unlucky": ("internal error", 0),
                                                                        "good": ("graded", 20)}
    assert not result.ok
    document = json.loads((tmp_path / "out" / "unlucky" / "results.json").read_text())
    validate(document)
    assert "internal error" in document["output"] and "disk full" not in document["output"]
    assert document["extra_data"]["status"] == "internal error"
    assert "disk full" in (tmp_path / "out" / "unlucky" / "grading.log").read_text()
    assert (tmp_path / "out" / "grades.csv").read_text().count("\n") == 3


def test_check_prints_a_summary_and_exits_by_result(tmp_path):
    done = gdkit("check", str(write_notebook(tmp_path / "done.ipynb", solution_cells())))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Public checks: 3.5 / 3.5 points" in done.stdout
    wrong = gdkit("check", str(write_notebook(tmp_path / "wrong.ipynb",
                                              solution_cells(compute_gradients=WRONG["compute_gradients"]))))
    assert wrong.returncode == 1
    assert "[FAIL] compute_gradients: shape and a small known value" in wrong.stdout
    assert "Expected:" in wrong.stdout and "Found:" in wrong.stdout and "Likely mistake:" in wrong.stdout
