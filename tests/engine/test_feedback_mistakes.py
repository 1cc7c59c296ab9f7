"""The mistakes students really make, each named by its own message, through the real grader; correct
sigmoids written any of the usual ways get full marks (the sigmoid decision of issue 9)."""

from __future__ import annotations

import re

import pytest

from gdkit.autograder.checks import points_per_function
from gdkit.autograder.grade import grade_notebook

from solutions import MISTAKES, SIGMOIDS, solution_cells, write_notebook

INTERNAL = "internal error"


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_known_mistake_has_its_own_message(tmp_path, student_user, mistake):
    function, source, phrase = MISTAKES[mistake]
    report = grade_notebook(write_notebook(tmp_path / "n.ipynb", solution_cells(**{function: source})),
                            user=student_user)
    failed = [o for o in report.outcomes if o.check.function == function and not o.passed]
    assert failed, f"{mistake}: no check of {function} failed"
    messages = [o.message for o in failed]
    assert not any(INTERNAL in m for m in messages), messages
    assert all("Likely mistake:" in m for m in messages), messages
    assert any(phrase in m for m in messages), messages
    for o in failed:  # hidden checks show no values: numbers with many digits would be values
        assert o.check.public or not re.search(r"\d\.\d{5,}", o.message), (o.check.title, o.message)
    scores, full = report.function_scores(), points_per_function()
    assert {fn: s for fn, s in scores.items() if fn != function} == {fn: p for fn, p in full.items() if fn != function}


@pytest.mark.parametrize("form", SIGMOIDS)
def test_correct_sigmoids_get_full_marks(tmp_path, student_user, form):
    report = grade_notebook(write_notebook(tmp_path / "s.ipynb", solution_cells(sigmoid=SIGMOIDS[form])),
                            user=student_user)
    assert report.score == report.max_score, [(o.check.title, o.message) for o in report.outcomes if not o.passed]


def test_a_clipped_sigmoid_is_not_told_about_nan(tmp_path, student_user):
    """The large-|z| check's likely mistake must be true for the case: clipping gives finite, wrong values."""
    function, source, _ = MISTAKES["sigmoid with z clipped"]
    report = grade_notebook(write_notebook(tmp_path / "n.ipynb", solution_cells(**{function: source})),
                            user=student_user)
    messages = [o.message for o in report.outcomes if o.check.function == "sigmoid" and not o.passed]
    assert messages and not any("nan" in m for m in messages), messages
