"""A broken install stops the batch before anyone is graded (was: the whole class 0/20, exit 0)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gdkit.autograder import batch
from gdkit.autograder.batch import grade_all
from gdkit.autograder.executor import sandbox
from gdkit.autograder.grade import grade_notebook

from solutions import solution_cells, write_notebook


def test_an_interpreter_the_grading_user_cannot_run_stops_the_batch_before_grading(tmp_path):
    if not sandbox.is_root():
        pytest.fail("the grading user exists only when grading as root (the suite runs as root in CI)")
    # A working venv for root, in a 0700 folder (like a pyenv Python under /root): the grader runs, the
    # student user cannot execute its interpreter.
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    venv = Path(sys.prefix)
    (private / "venv" / "bin").mkdir(parents=True)
    (private / "venv" / "lib").mkdir()
    (private / "venv" / "pyvenv.cfg").write_text((venv / "pyvenv.cfg").read_text())
    os.symlink(os.path.realpath(sys.executable), private / "venv" / "bin" / "python")
    os.symlink(venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}",
               private / "venv" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}")
    os.chmod(private, 0o700)
    notebooks = [write_notebook(tmp_path / f"{n}.ipynb", solution_cells()) for n in ("max", "noa")]
    out = tmp_path / "out"
    proc = subprocess.run([str(private / "venv" / "bin" / "python"), "-m", "gdkit.cli", "grade",
                           *map(str, notebooks), "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    # The sandbox's own check, which runs before the known-good notebook, already finds the cause.
    assert "refusing to run other people's notebooks" in proc.stderr, proc.stderr
    assert "the grading user cannot reach the interpreter's files" in proc.stderr, "the cause is printed"
    assert str(private / "venv") in proc.stderr and "Permission denied" in proc.stderr, proc.stderr
    assert "cli.py" not in proc.stderr and "batch.py" not in proc.stderr, "no traceback of the grader's own"
    assert not list(out.glob("*/results.json")), "no student got a zero"


def test_a_student_python_without_numpy_fails_the_preflight_and_nobody_is_graded(tmp_path):
    # The sandbox works for this interpreter (Debian's own python3, readable by everyone), but it has no numpy:
    # only the known-good notebook finds that out, before any student gets a zero for it.
    system_python = "/usr/bin/python3"
    probe = subprocess.run([system_python, "-c", "import numpy"], capture_output=True)
    assert probe.returncode != 0, "this test needs a system python3 without numpy (Debian's has none)"
    notebooks = [write_notebook(tmp_path / f"{n}.ipynb", solution_cells()) for n in ("max", "noa")]
    out = tmp_path / "out"
    result = grade_all(notebooks, out, python=system_python)
    assert result.preflight_failure, "the batch graded with a student Python that cannot import numpy"
    assert "numpy" in result.preflight_failure, result.preflight_failure
    assert not result.outcomes and not list(out.glob("*/results.json")), "no student got a zero"


def test_a_notebook_with_full_public_marks_vouches_for_the_install(tmp_path, monkeypatch):
    # A known-good notebook that could never pass: were it run, nobody would be graded. A submission that
    # passes every public check has shown all the known-good notebook would show, so it is not run.
    broken = write_notebook(tmp_path / "known_good.ipynb", ["raise SystemExit('not the known-good notebook')"])
    monkeypatch.setattr(batch, "KNOWN_GOOD", broken)
    notebook = write_notebook(tmp_path / "max.ipynb", solution_cells())
    result = grade_all([notebook], tmp_path / "out")
    assert result.preflight_failure == "", "the known-good notebook ran although the submission vouched"
    assert [(o.status, o.score) for o in result.outcomes] == [("graded", 20)]


def test_a_notebook_short_of_full_public_marks_has_the_known_good_notebook_decide(tmp_path, monkeypatch):
    broken = write_notebook(tmp_path / "known_good.ipynb", ["raise SystemExit('not the known-good notebook')"])
    monkeypatch.setattr(batch, "KNOWN_GOOD", broken)
    wrong = write_notebook(tmp_path / "noa.ipynb", solution_cells(sigmoid="def sigmoid(z):\n    return z\n"))
    result = grade_all([wrong], tmp_path / "out")
    assert "known-good notebook scored 0" in result.preflight_failure, result.preflight_failure
    assert not result.outcomes and not list((tmp_path / "out").glob("*/results.json")), "a zero was written"
    # The stopped batch ended its student processes; it must not refuse grades after it in the same process.
    assert grade_notebook(wrong).status == "graded", "a grade after a stopped batch was refused"
