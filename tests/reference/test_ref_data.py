"""Data sets: the seed's numbers, non-separable logistic data, deterministic random problems."""

import numpy as np
import pytest
from scipy.optimize import linprog

from gdkit.reference import (
    linear_data,
    linear_descent_history,
    linear_optimum,
    logistic_data,
    make_linear_problem,
    make_logistic_problem,
)

SEED_LOSSES = [3.9923695504740464, 2.8107099480787543, 2.0042900376700956]


def strictly_separable(X, y):
    """LP feasibility: is there w with (2y-1) * (X w) >= 1 for every row? (status 2 = infeasible)."""
    s = 2 * y.ravel() - 1
    res = linprog(
        np.zeros(X.shape[1]),
        A_ub=-(s[:, None] * X),
        b_ub=-np.ones(len(s)),
        bounds=[(None, None)] * X.shape[1],
        method="highs",
    )
    assert res.status in (0, 2), res.message
    return res.status == 0


def test_linear_data_is_the_seed():
    np.random.seed(0)  # the seed's own code, for comparison
    X0 = np.random.rand(100, 2)
    y0 = 2 + np.dot(X0, np.array([[3, 4]]).T) + 0.1 * np.random.rand(100, 1)
    X0 = np.hstack((np.ones((X0.shape[0], 1)), X0))
    X, y = linear_data()
    assert X.shape == (100, 3) and y.shape == (100, 1)
    assert X.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_linear_data_leaves_global_rng_alone():
    np.random.seed(123)
    expected = np.random.rand()
    np.random.seed(123)
    linear_data()
    assert np.random.rand() == expected


def test_seed_table():
    _, losses = linear_descent_history(*linear_data(), 0.1, 400)
    assert losses.shape == (400,)
    np.testing.assert_allclose(losses[:3], SEED_LOSSES, rtol=1e-12, atol=0)


def test_seed_normal_equation_print():
    with np.printoptions():  # numpy defaults
        np.set_printoptions()
        assert str(linear_optimum(*linear_data()).T) == "[[2.04538199 2.99820939 4.01335274]]"


def test_logistic_data_shape_labels_and_determinism():
    X, y = logistic_data()
    assert X.shape == (200, 3) and y.shape == (200, 1)
    assert X.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(X[:, 0], 1.0)
    assert set(np.unique(y)) == {0.0, 1.0}
    X2, y2 = logistic_data()
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = logistic_data(m=50, seed=1)
    assert X3.shape == (50, 3) and not np.array_equal(X3, X[:50])


@pytest.mark.parametrize("m,seed", [(200, 0), (200, 1), (100, 2), (1000, 0)])
def test_logistic_data_not_separable(m, seed):
    X, y = logistic_data(m, seed)
    assert not strictly_separable(X, y)


def test_separability_check_detects_separable_data():
    X, _ = logistic_data()
    y = (X @ np.array([[-0.5], [2.0], [-1.0]]) > 0).astype(float)  # noiseless labels
    assert strictly_separable(X, y)


@pytest.mark.parametrize("m,d", [(7, 3), (11, 2), (5, 4), (1, 1), (30, 1)])
def test_make_linear_problem(m, d):
    X, y = make_linear_problem(np.random.default_rng(42), m, d)
    X2, y2 = make_linear_problem(np.random.default_rng(42), m, d)
    assert X.shape == (m, d) and y.shape == (m, 1) and X.dtype == y.dtype == np.float64
    np.testing.assert_array_equal(X[:, 0], 1.0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make_linear_problem(np.random.default_rng(43), m, d)
    assert not np.array_equal(X, X3) or d == 1


@pytest.mark.parametrize("m,d", [(7, 3), (11, 2), (5, 4), (2, 1), (40, 5)])
def test_make_logistic_problem(m, d):
    for seed in range(20):
        X, y = make_logistic_problem(np.random.default_rng(seed), m, d)
        assert X.shape == (m, d) and y.shape == (m, 1) and X.dtype == y.dtype == np.float64
        np.testing.assert_array_equal(X[:, 0], 1.0)
        assert set(np.unique(y)) == {0.0, 1.0}
    X2, y2 = make_logistic_problem(np.random.default_rng(seed), m, d)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


@pytest.mark.parametrize("m,d", [(20, 3), (40, 4), (8, 2)])
def test_make_logistic_problem_finite_optimum(m, d):
    for seed in range(5):
        X, y = make_logistic_problem(np.random.default_rng(seed), m, d, finite_optimum=True)
        assert not strictly_separable(X, y)


def test_make_problem_argument_errors():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="d must be"):
        make_linear_problem(rng, 5, 0)
    with pytest.raises(ValueError, match="m must be"):
        make_logistic_problem(rng, 1, 1)
    with pytest.raises(ValueError, match="m must be"):
        make_logistic_problem(rng, 3, 3, finite_optimum=True)
