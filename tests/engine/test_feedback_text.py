"""Messages as students read them: plain text on the terminal (no HTML escapes), Markdown in results.json,
English articles, and one number per cell."""

from __future__ import annotations

import re
import subprocess
import sys

from gdkit.autograder.grade import grade_notebook
from gdkit.autograder.results.gradescope import results_json

from solutions import solution_cells, write_notebook

RAISES_SYMBOLS = '''
def sigmoid(z):
    raise ValueError("need 0 < z & z > -1 for <this>")
'''

RETURNS_OBJECTS = {
    "sigmoid": '''
class Anything:
    pass

def sigmoid(z):
    return Anything()
''',
    "lin_reg_l2": '''
class Widget:
    pass

def lin_reg_l2(x, y, w):
    return Widget()
''',
}

# The cell defines sigmoid, then fails on its third line: the cell's own error and the function's error (raised
# from line 2 of the same cell) must name the cell by the same number.
BROKEN_CELL = '''
def sigmoid(z):
    raise ValueError("not yet")
undefined_name
'''


def test_terminal_output_is_plain_and_results_json_is_markdown(tmp_path):
    path = write_notebook(tmp_path / "n.ipynb", solution_cells(sigmoid=RAISES_SYMBOLS))
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "check", str(path)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "need 0 < z & z > -1 for <this>" in done.stdout, done.stdout
    assert not re.search(r"&(lt|gt|amp|quot|#\d+);", done.stdout), done.stdout
    assert "**" not in done.stdout


def test_results_json_keeps_student_text_markdown_safe(tmp_path, student_user):
    path = write_notebook(tmp_path / "n.ipynb", solution_cells(sigmoid=RAISES_SYMBOLS))
    document = results_json(grade_notebook(path, user=student_user))
    outputs = [t["output"] for t in document["tests"] if t["tags"][0] == "sigmoid"]
    assert all("need 0 &lt; z &amp; z &gt; -1 for &lt;this&gt;" in o for o in outputs), outputs


def test_articles_read_as_english(tmp_path, student_user):
    report = grade_notebook(write_notebook(tmp_path / "n.ipynb", solution_cells(**RETURNS_OBJECTS)),
                            user=student_user)
    sigmoid = [o.message for o in report.outcomes if o.check.function == "sigmoid"]
    rmse = [o.message for o in report.outcomes if o.check.function == "lin_reg_l2"]
    assert sigmoid and all("returned an Anything," in m for m in sigmoid), sigmoid
    assert rmse and all("returned a Widget," in m for m in rmse), rmse
    assert not any(re.search(r"\ba [AEIOUaeiou]", m) for m in sigmoid + rmse)


def test_a_failing_cell_is_named_by_one_number(tmp_path, student_user):
    cells = solution_cells(sigmoid=BROKEN_CELL)
    number = 1 + [i for i, c in enumerate(cells) if "undefined_name" in c][0]  # as Jupyter users count code cells
    report = grade_notebook(write_notebook(tmp_path / "n.ipynb", cells), user=student_user)
    assert f"code cell {number} raised" in report.summary, report.summary
    assert f"(code cell {number}, line 3)" in report.summary, report.summary
    sigmoid = [o.message for o in report.outcomes if o.check.function == "sigmoid"]
    hidden = [o.message for o in report.outcomes if o.check.function == "sigmoid" and not o.check.public]
    public = [o.message for o in report.outcomes if o.check.function == "sigmoid" and o.check.public]
    assert hidden and all(f"(code cell {number}, line 2)" in m for m in hidden), hidden
    # The public check words the place as the notebook's own check can (tests/engine/test_public_parity.py).
    assert public and all("(line 2 of the cell where it happened)" in m for m in public), public
    every_number = {int(n) for text in [report.summary, *sigmoid] for n in re.findall(r"cell (\d+)", text)}
    assert every_number == {number}, (report.summary, sigmoid)


def test_a_notebook_that_cannot_be_read_is_reported_in_plain_text(tmp_path):
    path = tmp_path / "broken & <odd>.ipynb"
    path.write_text('{"cells": [', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "gdkit.cli", "check", str(path)], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Not graded: broken & <odd>.ipynb is not valid notebook JSON" in done.stdout, done.stdout
    assert "**" not in done.stdout and not re.search(r"&(lt|gt|amp);", done.stdout), done.stdout
