"""Inputs as instructors have them: files, folders, Gradescope's export, nbgrader's layout; file names that
used to break the batch (`...ipynb`, `-j0.ipynb`); usage errors that must read as such."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from gdkit.autograder.executor import sandbox
from gdkit.autograder.grade import seed_for
from gdkit.autograder.results.gradescope import validate

from classroom import gdkit, read_csv, results
from solutions import WRONG, solution_cells, write_notebook

EXPORT_METADATA = """\
submission_409194023:
  :submitters:
  - :name: Ada Lovelace
    :sid: '1815'
    :email: ada@example.edu
  :created_at: 2026-04-26 17:34:00.861687000 Z
  :score: 0.0
submission_409194030:
  :submitters:
  - :name: Alan Turing
    :sid: '1912'
    :email: alan@example.edu
  - :name: Grace Hopper
    :sid: '1906'
    :email: grace@example.edu
  :created_at: 2026-04-26 18:01:12.000000000 Z
submission_409194031:
  :submitters:
  - :name: Nobody Home
    :sid: '2000'
    :email: nobody@example.edu
"""


@pytest.fixture(scope="module")
def gradescope_export():
    """A "Download Submissions" export: one folder per submission named by its id, and the metadata file; in
    a folder any user may read (pytest's tmp_path is under a 0700 folder, which would hide it by permissions)."""
    top = Path(tempfile.mkdtemp(prefix="gdkit-export-"))
    top.chmod(0o755)
    root = top / "assignment_7360081_export"
    (root / "submission_409194023").mkdir(parents=True)
    (root / "submission_409194030" / "nested").mkdir(parents=True)
    (root / "submission_409194031").mkdir()
    # Ada's notebook also tries to read the export's metadata (every classmate's name and email).
    peek = (f"try:\n    open({str(root / 'submission_metadata.yml')!r}).read()\n    print('PEEK read')\n"
            "except Exception as exc:\n    print('PEEK', type(exc).__name__)")
    write_notebook(root / "submission_409194023" / "gradient_descent.ipynb", [*solution_cells(), peek])
    write_notebook(root / "submission_409194030" / "nested" / "hw.ipynb",
                   solution_cells(sigmoid=WRONG["sigmoid"]))
    (root / "submission_409194031" / "answers.py").write_text("print('not a notebook')\n")
    (root / "submission_metadata.yml").write_text(EXPORT_METADATA)
    out = root.parent / "out"
    yield gdkit("grade", str(root), "--out", str(out), "-j", "2"), root, out
    shutil.rmtree(top)


def test_a_gradescope_export_is_graded_with_names_and_the_submission_ids_seeds(gradescope_export):
    proc, root, out = gradescope_export
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {row["student"]: row for row in read_csv(out / "grades.csv")}
    assert set(rows) == {"Ada Lovelace", "Alan Turing & Grace Hopper", "Nobody Home"}
    assert rows["Ada Lovelace"]["student_id"] == "ada@example.edu"
    assert rows["Ada Lovelace"]["status"] == "graded" and float(rows["Ada Lovelace"]["score"]) == 20
    assert rows["Alan Turing & Grace Hopper"]["status"] == "graded"
    assert float(rows["Alan Turing & Grace Hopper"]["sigmoid"]) < 4
    assert rows["Nobody Home"]["status"] == "not graded" and "no Jupyter notebook" in rows["Nobody Home"]["reason"]
    documents = {d["extra_data"]["student"]: d for d in results(out).values()}
    ada = documents["Ada Lovelace"]
    validate(ada)
    notebook = (root / "submission_409194023" / "gradient_descent.ipynb").read_bytes()
    import hashlib

    sha = hashlib.sha256(notebook).hexdigest()
    assert ada["extra_data"]["submission_id"] == "409194023"
    assert ada["extra_data"]["seed"] == seed_for(sha, "409194023") != seed_for(sha)
    folders = {d["extra_data"]["student"]: name for name, d in results(out).items()}
    assert "Ada_Lovelace" in folders["Ada Lovelace"] and "409194023" in folders["Ada Lovelace"]
    if sandbox.is_root():  # student code cannot read the export's metadata (hidden with the whole export)
        log = (out / folders["Ada Lovelace"] / "grading.log").read_text()
        assert "PEEK FileNotFoundError" in log, log[-2000:]


@pytest.fixture(scope="module")
def nbgrader_course(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    for student, cells in (("alice", solution_cells()),
                           ("bob", solution_cells(compute_gradients=WRONG["compute_gradients"]))):
        folder = course / "submitted" / student / "hw1"
        folder.mkdir(parents=True)
        write_notebook(folder / "gradient_descent.ipynb", cells)
    (course / "submitted" / "alice" / "hw1" / ".ipynb_checkpoints").mkdir()
    write_notebook(course / "submitted" / "alice" / "hw1" / ".ipynb_checkpoints" / "gradient_descent-checkpoint.ipynb",
                   solution_cells())
    out = course / "out"
    return gdkit("grade", str(course), "--out", str(out), "-j", "2"), course, out


def test_an_nbgrader_course_is_graded_by_student_folder(nbgrader_course):
    proc, course, out = nbgrader_course
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = read_csv(out / "grades.csv")
    assert [(r["student"], r["student_id"]) for r in rows] == [("alice", "alice"), ("bob", "bob")]
    assert float(rows[0]["score"]) == 20 and float(rows[1]["compute_gradients"]) < 4
    assert rows[0]["submission"].endswith("submitted/alice/hw1/gradient_descent.ipynb")
    assert sorted(results(out)) == ["alice", "bob"], "folder names from the student, checkpoints skipped"


def test_a_plain_folder_is_searched_and_never_called_missing(tmp_path):
    folder = tmp_path / "class"
    (folder / "carol").mkdir(parents=True)
    write_notebook(folder / "dave.ipynb", solution_cells())
    write_notebook(folder / "carol" / "gradient_descent.ipynb", solution_cells())
    proc = gdkit("grade", str(folder), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no such file" not in proc.stderr
    assert [r["student"] for r in read_csv(tmp_path / "out" / "grades.csv")] == ["carol", "dave"]


def test_dangerous_file_names_stay_inside_out_and_after_dashdash_are_files(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    write_notebook(folder / "...ipynb", solution_cells())
    write_notebook(folder / "-j0.ipynb", solution_cells())
    write_notebook(folder / "$(rm -rf) é.ipynb", solution_cells())
    parent = tmp_path / "parent"
    parent.mkdir()
    out = parent / "out"
    # As a shell expands `*.ipynb` in the class folder: `-j0.ipynb` comes first and looks like an option.
    names = sorted(p.name for p in folder.iterdir())
    proc = gdkit("grade", *names, "--out", str(out), cwd=folder)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in parent.iterdir()) == ["out"], "nothing written next to --out"
    documents = results(out)
    assert len(documents) == 3
    for name, document in documents.items():
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name), name
        assert document["extra_data"]["status"] == "graded" and document["score"] == 20
    again = gdkit("grade", "--out", str(tmp_path / "out2"), "--", "-j0.ipynb", cwd=folder)
    assert again.returncode == 0, again.stdout + again.stderr
    assert [r["student"] for r in read_csv(tmp_path / "out2" / "grades.csv")] == ["-j0"]


def test_out_naming_a_file_is_a_usage_error(tmp_path):
    notebook = write_notebook(tmp_path / "a.ipynb", solution_cells())
    (tmp_path / "taken").write_text("precious\n")
    proc = gdkit("grade", str(notebook), "--out", str(tmp_path / "taken"))
    assert proc.returncode == 2
    assert "--out" in proc.stderr and "is a file" in proc.stderr and "Traceback" not in proc.stderr
    assert (tmp_path / "taken").read_text() == "precious\n"


def test_results_json_carries_identity_status_and_cells(tmp_path):
    cells = solution_cells()
    cells.insert(1, "raise ValueError('oops')")
    notebook = write_notebook(tmp_path / "erin.ipynb", cells)
    proc = gdkit("grade", str(notebook), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    extra = json.loads((tmp_path / "out" / "erin" / "results.json").read_text())["extra_data"]
    assert extra["student"] == "erin" and extra["student_id"] == "" and extra["submission_id"] is None
    assert extra["submission"] == str(notebook) and extra["status"] == "graded" and extra["reason"] == ""
    assert extra["cells"] == [{"cell": 2, "status": "error", "error": extra["cells"][0]["error"]}]
    assert "ValueError" in extra["cells"][0]["error"] and "oops" in extra["cells"][0]["error"]
    assert extra["fingerprint"] and extra["seconds"] > 0 and len(extra["sha256"]) == 64


def test_arguments_that_name_no_submission_are_usage_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    for args, message in ((["empty"], "no notebooks (.ipynb) found in empty"),
                          (["/dev/null"], "not a notebook file or a folder: /dev/null"),
                          (["gone"], "no such file or folder: gone")):
        proc = gdkit("grade", *args, "--out", "out", cwd=tmp_path)
        assert proc.returncode == 2 and message in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and not (tmp_path / "out").exists()


def test_grade_turns_the_collector_back_on_whatever_way_it_returns(tmp_path):
    # gdkit grade turns garbage collection off for its imports; a usage error must not leave it off in a
    # process that goes on (main() called as a library).
    import gc

    from gdkit.cli import main

    missing = tmp_path / "nowhere"
    try:
        assert main(["grade", "--out", str(tmp_path / "out"), "--", str(missing)]) == 2
        assert gc.isenabled()
    finally:
        gc.enable()  # the rest of the suite runs with it on, whatever this test found
