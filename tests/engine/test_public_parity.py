"""The public checks are the same cases everywhere (issue 9, item 2 and its acceptance).

For the solution and each known mistake of the catalogue (``solutions.py``: WRONG, MISTAKES, SIGMOIDS) a
notebook is executed with nbclient next to the built hand-out's ``tests/`` and ``gdkit_student/``; the verdict of
each ``grader.check("q")`` must equal ``gdkit check``'s (the grader's public checks) and the public part of the
full grade, and so must the message of each failure: the AssertionError's text Otter shows equals the grader's
message as the terminal shows it (only the markup differs: Otter's indentation, the report's Markdown).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from gdkit.autograder.grade import grade_notebook, plain_text

from solutions import MISTAKES, SIGMOIDS, SOLUTION, WRONG, solution_cells, write_notebook

CATALOGUE = {"solution": {}}
CATALOGUE.update({f"wrong {fn}": {fn: source} for fn, source in WRONG.items()})
CATALOGUE.update({name: {fn: source} for name, (fn, source, _) in MISTAKES.items()})
CATALOGUE.update({f"sigmoid: {name}": {"sigmoid": source} for name, source in SIGMOIDS.items()})
# Outcomes that are not a value: an error inside the function (its place is worded the same on both sides) and a
# function never defined.
CATALOGUE["raises inside"] = {"compute_gradients": "def compute_gradients(X, Y, W):\n    m = len(Y)\n"
                                                   "    raise ValueError(f'not done for {m} rows')"}
CATALOGUE["not defined"] = {"lin_reg_l2": "rmse = None"}


def _in_notebook_verdicts(path: Path) -> dict[str, tuple[bool, str]]:
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    verdicts = {}
    for cell in nb.cells:
        source = cell.source.strip()
        if cell.cell_type == "code" and source.startswith('grader.check("'):
            name = source.split('"')[1]
            text = "".join(o.get("text", "") or str(o.get("data", {}).get("text/plain", "")) +
                           (o.get("evalue", "") if o.get("output_type") == "error" else "")
                           for o in cell.outputs)
            verdicts[name] = ("All test cases passed!" in text, text)
    return verdicts


def _assertion_text(otter_output: str) -> str:
    """The AssertionError's text in Otter's report of a failed check (Otter indents every line of it)."""
    _, found, rest = otter_output.partition("AssertionError: ")
    assert found, otter_output
    return _lines(rest)


def _lines(text: str) -> str:
    return "\n".join(line.strip() for line in text.strip().splitlines())


def _public_verdicts(report) -> dict[str, bool]:
    return {o.check.function: o.passed for o in report.outcomes if o.check.public}


def _public_messages(report) -> dict[str, str]:
    """The failed public checks' messages as the terminal shows them (gdkit check prints plain_text)."""
    return {o.check.function: _lines(plain_text(o.message)) for o in report.outcomes
            if o.check.public and not o.passed}


@pytest.mark.parametrize("case", list(CATALOGUE))
def test_notebook_check_equals_gdkit_check_and_the_public_grade(case, handout, tmp_path, student_user):
    folder = tmp_path / "student"
    folder.mkdir()
    shutil.copytree(handout.student_dir / "tests", folder / "tests")
    shutil.copytree(handout.student_dir / "gdkit_student", folder / "gdkit_student")
    notebook = write_notebook(folder / "hw.ipynb", solution_cells(**CATALOGUE[case]))

    in_notebook = _in_notebook_verdicts(notebook)
    assert set(in_notebook) == set(SOLUTION), in_notebook
    check_report = grade_notebook(notebook, public_only=True, user=student_user)
    grade_report = grade_notebook(notebook, user=student_user)
    check, grade = _public_verdicts(check_report), _public_verdicts(grade_report)
    notebook_verdicts = {name: passed for name, (passed, _) in in_notebook.items()}
    assert notebook_verdicts == check == grade, {n: t for n, (_, t) in in_notebook.items()}
    notebook_messages = {name: _assertion_text(text) for name, (passed, text) in in_notebook.items() if not passed}
    assert notebook_messages == _public_messages(check_report) == _public_messages(grade_report)
    if case == "solution":
        assert all(check.values())
    elif not case.startswith("sigmoid: "):
        # the public checks catch a mistake on its own function only, or not at all; never elsewhere
        [function] = CATALOGUE[case]
        assert all(passed for name, passed in check.items() if name != function), check
