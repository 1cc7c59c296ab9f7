"""Finding a class's submissions: names, Gradescope metadata edge cases, folder names (no grading here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gdkit.autograder.class_folder import Entry, InputError, find_submissions, folder_names, sanitise

from solutions import solution_cells, write_notebook


@pytest.mark.parametrize("text, name", [
    ("Ada Lovelace", "Ada_Lovelace"), ("..", "submission"), ("-j0", "j0"), ("../../etc", "etc"),
    ("$(rm -rf ~)", "rm_-rf"), ("Zoë", "Zo"), ("", "submission"), ("a" * 200, "a" * 60),
])
def test_sanitised_names_cannot_leave_out_or_read_as_options(text, name):
    assert sanitise(text) == name


def test_folder_names_are_unique_and_carry_the_gradescope_id():
    entries = [Entry(Path("a.ipynb"), "Ada"), Entry(Path("b.ipynb"), "Ada"), Entry(Path("c.ipynb"), "Ada", "", "77")]
    assert folder_names(entries) == ["Ada", "Ada-2", "Ada-77"]


def test_gradescope_metadata_that_points_outside_the_export_grades_nothing_there(tmp_path):
    export = tmp_path / "export"
    export.mkdir()
    write_notebook(tmp_path / "outside.ipynb", solution_cells())
    (export / "submission_metadata.yml").write_text(
        "../:\n  :submitters:\n  - :name: Mallory\nsubmission_5:\n  :submitters: []\n")
    entries = find_submissions([str(export)])
    assert [(e.student, bool(e.problem)) for e in entries] == [("Mallory", True), ("submission_5", True)]
    assert all(e.path.parent == export for e in entries)


@pytest.mark.parametrize("text", ["- just\n- a list\n", "{{{ not yaml"])
def test_unreadable_gradescope_metadata_is_a_usage_error(tmp_path, text):
    (tmp_path / "submission_metadata.yml").write_text(text)
    with pytest.raises(InputError, match="submission_metadata.yml"):
        find_submissions([str(tmp_path)])
