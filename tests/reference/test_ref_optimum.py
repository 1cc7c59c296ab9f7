"""Exact optima and smoothness constants against hand solutions and independent libraries."""

import warnings

import numpy as np
import pytest

from gdkit.reference import (
    linear_data,
    linear_lipschitz,
    linear_optimum,
    logistic_data,
    logistic_lipschitz,
    logistic_loss,
    logistic_optimum,
    make_linear_problem,
    make_logistic_problem,
    mse_loss,
)


def test_linear_optimum_hand_solved():
    # Line through (0,1), (1,2), (2,2): slope 1/2, intercept 5/3 - 1/2 = 7/6.
    X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    y = np.array([[1.0], [2.0], [2.0]])
    W = linear_optimum(X, y)
    assert W.shape == (2, 1) and W.dtype == np.float64
    np.testing.assert_allclose(W, [[7 / 6], [1 / 2]], rtol=1e-14)


def test_linear_optimum_exact_fit():
    X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 5.0]])
    y = 1 + 2 * X[:, 1:]
    np.testing.assert_allclose(linear_optimum(X, y), [[1.0], [2.0]], rtol=1e-14)


def test_linear_optimum_matches_normal_equation_on_seed_data():
    X, y = linear_data()
    theta_normal = np.dot(np.dot(np.linalg.inv(np.dot(X.T, X)), X.T), y)  # the seed's formula
    np.testing.assert_allclose(linear_optimum(X, y), theta_normal, rtol=1e-12, atol=1e-12)


def test_linear_optimum_beats_normal_equation_when_ill_conditioned():
    # Degree-11 polynomial design: cond(X) ~ 1e8, so X^T X has cond ~ 1e16 and inv() loses everything.
    t = np.linspace(0, 1, 50)[:, None]
    X = t ** np.arange(12)
    w_true = np.ones((12, 1))
    y = X @ w_true
    lstsq_err = np.max(np.abs(linear_optimum(X, y) - w_true))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inv_err = np.max(np.abs(np.linalg.inv(X.T @ X) @ X.T @ y - w_true))
    assert lstsq_err < 1e-6
    assert inv_err > 1e3 * lstsq_err


@pytest.mark.parametrize("seed", range(3))
def test_linear_optimum_zero_gradient(seed):
    X, y = make_linear_problem(np.random.default_rng(seed), 9, 3)
    W = linear_optimum(X, y)
    np.testing.assert_allclose(X.T @ (X @ W - y), 0, atol=1e-12)


def _problems():
    yield "logistic_data", *logistic_data()
    for seed in range(3):
        yield f"random{seed}", *make_logistic_problem(np.random.default_rng(seed), 60, 4, finite_optimum=True)


@pytest.mark.parametrize("name,X,y", list(_problems()), ids=lambda v: v if isinstance(v, str) else "")
def test_logistic_optimum_matches_sklearn_and_statsmodels(name, X, y):
    from sklearn.linear_model import LogisticRegression
    from statsmodels.discrete.discrete_model import Logit

    W = logistic_optimum(X, y)
    assert W.shape == (X.shape[1], 1) and W.dtype == np.float64

    # Unpenalised: C=inf; X already has the ones column, so no extra intercept.
    clf = LogisticRegression(C=np.inf, fit_intercept=False, tol=1e-10, max_iter=100_000)
    clf.fit(X, y.ravel())
    np.testing.assert_allclose(W.ravel(), clf.coef_.ravel(), atol=1e-6)

    sm = Logit(y.ravel(), X).fit(disp=0)
    np.testing.assert_allclose(W.ravel(), sm.params, atol=1e-6)
    assert logistic_loss(X, y, W) == pytest.approx(-sm.llf / X.shape[0], rel=1e-12)


def test_logistic_optimum_zero_gradient():
    X, y = logistic_data()
    W = logistic_optimum(X, y)
    from gdkit.reference import compute_logistic_gradients

    assert np.max(np.abs(compute_logistic_gradients(X, y, W))) < 1e-14


def test_logistic_optimum_raises_on_separable_data():
    X = np.array([[1.0, -2.0], [1.0, -1.0], [1.0, 1.0], [1.0, 2.0]])
    y = np.array([[0.0], [0.0], [1.0], [1.0]])
    with pytest.raises(RuntimeError, match="separable"):
        logistic_optimum(X, y)


def test_logistic_optimum_raises_when_max_iter_too_small():
    X, y = logistic_data()
    with pytest.raises(RuntimeError, match="not converged in 1 Newton steps"):
        logistic_optimum(X, y, max_iter=1)


def test_lipschitz_constants():
    X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    lam = np.linalg.eigvalsh(X.T @ X).max()
    assert linear_lipschitz(X) == pytest.approx(2 * lam / 3, rel=1e-13)
    assert logistic_lipschitz(X) == pytest.approx(lam / 12, rel=1e-13)


def test_lipschitz_bounds_the_hessian():
    rng = np.random.default_rng(3)
    X, y = make_logistic_problem(rng, 40, 3)
    # MSE Hessian is (2/m) X^T X exactly.
    assert np.linalg.eigvalsh(2 / 40 * X.T @ X).max() == pytest.approx(linear_lipschitz(X), rel=1e-12)
    # Logistic Hessian at any W is below lambda_max/(4m).
    for _ in range(5):
        W = rng.normal(size=(3, 1))
        p = 1 / (1 + np.exp(-(X @ W)))
        H = (X * (p * (1 - p))).T @ X / 40
        assert np.linalg.eigvalsh(H).max() <= logistic_lipschitz(X) * (1 + 1e-12)


def test_linear_mse_at_optimum_is_minimal():
    X, y = linear_data()
    W = linear_optimum(X, y)
    rng = np.random.default_rng(0)
    base = mse_loss(X, y, W)
    for _ in range(10):
        assert mse_loss(X, y, W + 1e-3 * rng.normal(size=W.shape)) > base
