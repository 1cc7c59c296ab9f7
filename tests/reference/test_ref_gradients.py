"""Reference gradients against central finite differences of the matching reference loss."""

import numpy as np
import pytest

from gdkit.reference import compute_gradients, compute_logistic_gradients, logistic_loss, mse_loss

SHAPES = [(7, 3), (11, 2), (5, 4), (1, 1), (13, 5)]


def central_diff(loss, X, Y, W, h=1e-3):
    """Five-point central differences of ``loss`` w.r.t. each component of W (h scaled to the component).

    The fourth-order stencil allows a large step, so round-off (eps * loss / h) stays far below the 1e-8
    threshold even where the gradient happens to be small (measured worst case ~8e-10 over 1200 draws;
    the plain two-point stencil reaches ~6e-9 there).
    """
    g = np.zeros_like(W)
    for j in range(W.shape[0]):
        step = h * max(1.0, abs(W[j, 0]))
        f = []
        for k in (2, 1, -1, -2):
            V = W.copy()
            V[j, 0] += k * step
            f.append(loss(X, Y, V))
        g[j, 0] = (-f[0] + 8 * f[1] - 8 * f[2] + f[3]) / (12 * step)
    return g


def rel_err(a, n):
    return np.linalg.norm(a - n) / max(np.linalg.norm(a), np.linalg.norm(n), 1e-300)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", range(5))
def test_linear_gradient_matches_finite_differences(shape, seed):
    rng = np.random.default_rng(seed)
    m, d = shape
    X, Y, W = rng.normal(size=(m, d)), rng.normal(size=(m, 1)), rng.normal(size=(d, 1))
    g = compute_gradients(X, Y, W)
    assert g.shape == (d, 1) and g.dtype == np.float64
    assert rel_err(g, central_diff(mse_loss, X, Y, W)) < 1e-8


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", range(5))
def test_logistic_gradient_matches_finite_differences(shape, seed):
    rng = np.random.default_rng(seed)
    m, d = shape
    X, W = rng.normal(size=(m, d)), rng.normal(size=(d, 1))
    Y = (rng.random((m, 1)) < 0.5).astype(float)
    g = compute_logistic_gradients(X, Y, W)
    assert g.shape == (d, 1) and g.dtype == np.float64
    assert rel_err(g, central_diff(logistic_loss, X, Y, W)) < 1e-8


def test_finite_difference_check_rejects_wrong_gradients():
    # The check itself must tell the classic bugs apart (here: dividing by m + 1, and a sign error).
    rng = np.random.default_rng(5)
    X, Y, W = rng.normal(size=(7, 3)), rng.normal(size=(7, 1)), rng.normal(size=(3, 1))
    num = central_diff(mse_loss, X, Y, W)
    g = compute_gradients(X, Y, W)
    assert rel_err(g * 7 / 8, num) > 1e-2
    assert rel_err(-g, num) > 1


def test_loss_values_by_hand():
    X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    Y = np.array([[1.0], [2.0], [2.0]])
    W = np.array([[1.0], [1.0]])
    # residuals 0, 0, 1 -> MSE 1/3; gradient (2/3) X^T r = (2/3) [1, 2]
    assert mse_loss(X, Y, W) == pytest.approx(1 / 3, rel=1e-15)
    np.testing.assert_allclose(compute_gradients(X, Y, W), [[2 / 3], [4 / 3]], rtol=1e-15)
    # logistic at W = 0: loss log 2, gradient X^T (1/2 - y) / m
    Yb = np.array([[0.0], [1.0], [1.0]])
    Z = np.zeros((2, 1))
    assert logistic_loss(X, Yb, Z) == pytest.approx(np.log(2), rel=1e-15)
    np.testing.assert_allclose(compute_logistic_gradients(X, Yb, Z), [[-1 / 6], [-1 / 2]], rtol=1e-15)
