"""The engine on the real assignment: the master's solution gets full marks, the hand-out gets zero with
"not implemented yet" messages and no traceback."""

from __future__ import annotations

import pytest

from gdkit.autograder.grade import grade_notebook
from gdkit.build import DEFAULT_MASTER, build_assignment


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_assignment(DEFAULT_MASTER, tmp_path_factory.mktemp("dist"))


def test_master_solution_gets_full_marks(student_user):
    report = grade_notebook(DEFAULT_MASTER, user=student_user)
    assert [(o.check.title, o.message) for o in report.outcomes if not o.passed] == []
    assert report.score == 20
    assert "did not run cleanly" not in report.summary, report.summary


def test_otter_solution_notebook_gets_full_marks(built, student_user):
    solution = built.otter_autograder_dir / built.student_notebook.name
    assert grade_notebook(solution, user=student_user).score == 20


def test_handout_scores_zero_with_not_implemented_messages(built, student_user):
    report = grade_notebook(built.student_notebook, user=student_user)
    assert report.score == 0
    for outcome in report.outcomes:
        assert "not implemented yet" in outcome.message, (outcome.check.title, outcome.message)
        assert "Traceback" not in outcome.message
