"""The engine on honest notebooks: full marks for the solution, each typical mistake charged to its function."""

from __future__ import annotations

import json

import pytest

from gdkit.autograder.checks import CONTRACT, points_per_function
from gdkit.autograder.grade import grade_notebook
from gdkit.autograder.results.gradescope import results_json, validate

from solutions import SOLUTION, WRONG, solution_cells, write_notebook


@pytest.fixture(scope="module")
def solution_report(tmp_path_factory, student_user):
    path = write_notebook(tmp_path_factory.mktemp("sol") / "solution.ipynb", solution_cells())
    return grade_notebook(path, user=student_user)


def test_solution_gets_full_marks(solution_report):
    failed = [(o.check.title, o.message) for o in solution_report.outcomes if not o.passed]
    assert failed == []
    assert solution_report.score == solution_report.max_score == 20


def test_results_json_validates_against_gradescope_schema(solution_report):
    document = results_json(solution_report)
    validate(document)
    json.dumps(document, allow_nan=False)
    assert document["score"] == 20
    visibilities = {t["visibility"] for t in document["tests"]}
    assert visibilities == {"visible", "after_published"}
    assert document["extra_data"]["seed"] == solution_report.seed


def test_same_submission_graded_twice_is_identical(tmp_path, student_user):
    path = write_notebook(tmp_path / "s.ipynb", solution_cells(**{"sigmoid": WRONG["sigmoid"]}))
    first, second = (results_json(grade_notebook(path, user=student_user)) for _ in range(2))
    for doc in (first, second):
        doc.pop("execution_time")
    assert first == second


def test_seed_differs_between_submissions(tmp_path, student_user):
    a = write_notebook(tmp_path / "a.ipynb", solution_cells())
    b = write_notebook(tmp_path / "b.ipynb", solution_cells() + ["x = 1"])
    assert grade_notebook(a, user=student_user).seed != grade_notebook(b, user=student_user).seed


@pytest.mark.parametrize("function", CONTRACT)
def test_a_wrong_function_loses_points_on_that_function_only(tmp_path, student_user, function):
    path = write_notebook(tmp_path / f"wrong_{function}.ipynb", solution_cells(**{function: WRONG[function]}))
    scores = grade_notebook(path, user=student_user).function_scores()
    full = points_per_function()
    assert scores[function] < full[function], f"{function}: the wrong version scored full marks"
    others = {fn: s for fn, s in scores.items() if fn != function}
    assert others == {fn: p for fn, p in full.items() if fn != function}


def test_failure_messages_say_expected_found_and_likely_mistake(tmp_path, student_user):
    path = write_notebook(tmp_path / "w.ipynb", solution_cells(compute_gradients=WRONG["compute_gradients"]))
    report = grade_notebook(path, user=student_user)
    hidden = [o for o in report.outcomes
              if o.check.function == "compute_gradients" and not o.check.public and "shape" not in o.check.name]
    assert len(hidden) == 2 and all(not o.passed for o in hidden)
    for o in hidden:
        assert "Expected:" in o.message and "Found:" in o.message
        assert "m + 1" in o.message, o.message


def test_hidden_messages_do_not_reveal_inputs_or_expected_values(tmp_path, student_user):
    wrong = {fn: WRONG[fn] for fn in CONTRACT}
    report = grade_notebook(write_notebook(tmp_path / "w.ipynb", solution_cells(**wrong)), user=student_user)
    for o in report.outcomes:
        if not o.check.public:
            # numbers with many digits would be values; shapes, counts and tolerances are short
            assert not __import__("re").search(r"\d\.\d{5,}", o.message), (o.check.title, o.message)


SHAPE_BUGS = {
    "1-D gradient": ('''
def compute_gradients(X, Y, W):
    return ((2 / len(Y)) * X.T @ (X @ W - Y)).ravel()
''', "1-D"),
    "broadcast (m,) against (m, 1)": ('''
def lin_reg_l2(x, y, w):
    return np.sqrt(np.mean(((x @ w).ravel() - y) ** 2))
''', "broadcast"),
    "returns a tuple": ('''
def gradient_descent(X, y, learn_rate, num_iters, theta=None):
    theta = np.zeros((X.shape[1], 1)) if theta is None else theta
    losses = []
    for _ in range(num_iters):
        theta = theta - learn_rate * compute_gradients(X, y, theta)
        losses.append(lin_reg_l2(X, y, theta))
    return theta, losses
''', "tuple"),
    "seed's if not theta": ('''
def gradient_descent(X, y, learn_rate, num_iters, theta=None):
    if not theta:
        theta = np.zeros((X.shape[1], 1))
    for i in range(num_iters):
        theta = theta - learn_rate * compute_gradients(X, y, theta)
    return theta
''', "theta is None"),
    "not implemented": ('''
def sigmoid(z):
    ...
''', "not implemented yet"),
    "float32": ('''
def compute_logistic_gradients(X, Y, W):
    X, Y, W = (a.astype(np.float32) for a in (X, Y, W))
    return X.T @ (sigmoid(X @ W) - Y) / len(Y)
''', "float32"),
}


@pytest.mark.parametrize("bug", SHAPE_BUGS)
def test_specific_messages_for_common_mistakes(tmp_path, student_user, bug):
    source, words = SHAPE_BUGS[bug]
    function = source.split("def ")[1].split("(")[0]
    report = grade_notebook(write_notebook(tmp_path / "n.ipynb", solution_cells(**{function: source})),
                            user=student_user)
    messages = [o.message for o in report.outcomes if o.check.function == function and not o.passed]
    assert messages, f"{bug}: no check of {function} failed"
    assert any(words in m for m in messages), messages


def test_not_defined_is_reported(tmp_path, student_user):
    cells = [c for c in solution_cells() if "def sigmoid" not in c]
    report = grade_notebook(write_notebook(tmp_path / "n.ipynb", cells), user=student_user)
    sig = [o for o in report.outcomes if o.check.function == "sigmoid"]
    assert all(not o.passed and "sigmoid is not defined" in o.message for o in sig)
    assert report.function_scores()["logistic_loss"] == points_per_function()["logistic_loss"]


def test_solution_written_differently_also_passes(tmp_path, student_user):
    alternative = {
        "compute_gradients": "def compute_gradients(X, Y, W):\n    return 2 * X.T.dot(X.dot(W) - Y) / Y.shape[0]",
        "sigmoid": "def sigmoid(z):\n    return np.exp(-np.logaddexp(0, -z))",
        "logistic_loss": ("def logistic_loss(X, Y, W):\n    z = X @ W\n"
                          "    return float(np.mean(np.maximum(z, 0) - Y * z + np.log1p(np.exp(-np.abs(z)))))"),
    }
    report = grade_notebook(write_notebook(tmp_path / "alt.ipynb", solution_cells(**alternative)), user=student_user)
    assert report.score == report.max_score, [(o.check.title, o.message) for o in report.outcomes if not o.passed]


def test_solution_listing_matches_reference_contract():
    assert set(SOLUTION) == set(WRONG) == set(CONTRACT)


def _callbacks_served(monkeypatch) -> dict[str, int]:
    """Count the calls of substituted helpers the grader answers (in this process: the grader's side)."""
    from gdkit.autograder.checks import substitutes

    served: dict[str, int] = {}
    real = substitutes.Helpers.__call__

    def counting(self, name, args):
        served[name] = served.get(name, 0) + 1
        return real(self, name, args)

    monkeypatch.setattr(substitutes.Helpers, "__call__", counting)
    return served


def test_a_helper_proven_right_stays_the_students_own_and_a_wrong_one_is_substituted(tmp_path, student_user,
                                                                                     monkeypatch):
    served = _callbacks_served(monkeypatch)
    report = grade_notebook(write_notebook(tmp_path / "right.ipynb", solution_cells()), user=student_user)
    assert report.score == 20
    # Only the public checks' single update substitutes them (as the notebook's check does); the hidden checks'
    # descents, hundreds of updates each, call the student's own proven helpers.
    assert served and max(served.values()) == 1, f"helpers proven right were served by the grader: {served}"

    served.clear()
    wrong = grade_notebook(write_notebook(tmp_path / "wrong.ipynb",
                                          solution_cells(compute_gradients=WRONG["compute_gradients"])),
                           user=student_user)
    scores, full = wrong.function_scores(), points_per_function()
    assert scores["gradient_descent"] == full["gradient_descent"], "a wrong gradient was charged twice"
    assert served.get("compute_gradients", 0) > 400, served  # the assignment's experiment alone has 400 updates
    assert served.get("compute_logistic_gradients") == 1, served  # proven right: its public check only
