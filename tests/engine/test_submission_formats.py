"""Notebook-format tricks and accidents: each is either graded as its code deserves or a zero with a reason."""

from __future__ import annotations

import json

import nbformat
import pytest

from gdkit.autograder.grade import grade_notebook
from gdkit.autograder.submission import MAX_BYTES, SubmissionError, load_submission

from solutions import SOLUTION, WRONG, solution_cells, write_notebook

# -- files that are not gradable notebooks: the reason, in words a student can act on -------------------------


def _unreadable(tmp_path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SubmissionError) as caught:
        load_submission(path)
    return str(caught.value)


def test_not_utf8(tmp_path):
    assert "not a text file (not UTF-8)" in _unreadable(tmp_path, "a.ipynb", b"\xff\xfe\x00{\x00")


def test_json_but_not_a_notebook(tmp_path):
    assert "JSON but not a Jupyter notebook" in _unreadable(tmp_path, "a.ipynb", b'{"cells": []}')


def test_nested_too_deeply(tmp_path):
    message = _unreadable(tmp_path, "a.ipynb", b"[" * 200_000 + b"]" * 200_000)
    assert "nested too deeply" in message


def test_too_large_says_how_to_fix_it(tmp_path):
    message = _unreadable(tmp_path, "big.ipynb", b" " * (MAX_BYTES + 1))
    assert "over the 20 MB limit" in message and "Clear Output" in message


def test_no_code_cells(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("my answers are in my head", id="m")]
    assert "has no code cells" in _unreadable(tmp_path, "a.ipynb", nbformat.writes(nb).encode())


# -- files that are notebooks, however they were saved ---------------------------------------------------------


def test_a_byte_order_mark_is_accepted(tmp_path):
    plain = write_notebook(tmp_path / "plain.ipynb", solution_cells())
    bom = tmp_path / "bom.ipynb"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert load_submission(bom).cells == load_submission(plain).cells


def test_nbformat_3_is_converted(tmp_path):
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"},
          "worksheets": [{"cells": [{"cell_type": "code", "language": "python", "outputs": [],
                                     "input": SOLUTION["sigmoid"].strip()},
                                    {"cell_type": "markdown", "source": "notes"}]}]}
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(v3))
    assert load_submission(path).cells == (SOLUTION["sigmoid"].strip(),)


# -- what a notebook claims is ignored; what its code does is graded ---------------------------------------


def test_tags_stored_outputs_and_kernelspec_change_nothing(tmp_path, student_user):
    nb = nbformat.reads(write_notebook(tmp_path / "x.ipynb", solution_cells(
        compute_logistic_gradients=WRONG["compute_logistic_gradients"])).read_text(), as_version=4)
    nb.metadata["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "bash"}
    for cell in nb.cells:
        cell.metadata["tags"] = ["skip-execution", "raises-exception"]  # nbclient would skip; the grader runs all
        cell.execution_count = 7
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="All tests passed! 20/20\n")]
    path = tmp_path / "claims.ipynb"
    path.write_text(nbformat.writes(nb))
    report = grade_notebook(path, user=student_user)
    scores = report.function_scores()
    assert scores["compute_logistic_gradients"] < 3, "a stored 'passed' output earned points"
    assert report.score == 20 - (3 - scores["compute_logistic_gradients"]), "a tag stopped a cell from running"


def test_magics_and_shell_lines_are_skipped(tmp_path, student_user):
    cells = solution_cells()
    cells.insert(1, "%matplotlib inline\n!pip install numpy\n%load_ext autoreload")
    cells[2] = "%%time\n" + cells[2].strip("\n")  # a cell magic whose body is Python: the body runs
    cells.insert(3, "%%bash\necho $HOME\nls -la /")  # a cell magic whose body is not Python: skipped
    report = grade_notebook(write_notebook(tmp_path / "magic.ipynb", cells), user=student_user)
    assert report.score == 20, [(o.check.title, o.message) for o in report.outcomes if not o.passed]
    assert "did not run cleanly" not in report.summary, report.summary


def test_reseeding_or_replacing_numpys_random_changes_no_hidden_input(tmp_path, student_user):
    rng_attack = ("np.random.seed(0)\nnp.random.default_rng = lambda *a, **k: None\n"
                  "np.random.normal = lambda *a, **k: 0.0")
    honest = grade_notebook(write_notebook(tmp_path / "h.ipynb", solution_cells()), user=student_user, seed=99)
    tricky = grade_notebook(write_notebook(tmp_path / "t.ipynb", solution_cells() + [rng_attack]),
                            user=student_user, seed=99)
    assert tricky.score == honest.score == 20
    assert [o.message for o in tricky.outcomes] == [o.message for o in honest.outcomes]


def test_filling_the_disk_is_stopped_and_costs_nothing_else(tmp_path, student_user):
    fill = "with open('fill.bin', 'wb') as f:\n    for _ in range(1000):\n        f.write(b'x' * 1_000_000)"
    cells = solution_cells()
    cells.insert(3, fill)
    report = grade_notebook(write_notebook(tmp_path / "fill.ipynb", cells), user=student_user)
    assert report.score == 20
    assert "code cell 4" in report.summary, report.summary  # the cell that hit the file-size limit is named
