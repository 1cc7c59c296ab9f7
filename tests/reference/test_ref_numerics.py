"""Stable sigmoid and cross-entropy: no warnings, no overflow, correct values on both tails."""

import warnings

import numpy as np
import pytest
from scipy.special import expit, log_expit

from gdkit.reference import compute_logistic_gradients, logistic_loss, sigmoid


@pytest.fixture
def strict():
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        yield


def test_sigmoid_extremes(strict):
    assert sigmoid(1000.0) == 1.0
    s = sigmoid(-1000.0)
    assert np.isfinite(s) and 0.0 <= s < 1e-300
    z = np.array([-1e6, -1000.0, -745.0, -709.0, 0.0, 36.8, 709.0, 1000.0, 1e6, np.finfo(float).max])
    out = sigmoid(z)
    assert out.shape == z.shape and np.all(np.isfinite(out))
    assert np.all((0 <= out) & (out <= 1))
    assert np.all(np.diff(out) >= 0)


def test_sigmoid_accuracy():
    z = np.linspace(-40, 40, 2001)
    np.testing.assert_allclose(sigmoid(z), 0.5 * (1 + np.tanh(z / 2)), rtol=1e-13, atol=1e-16)
    # Relative accuracy on the far negative tail, where 1 + tanh cancels: compare with scipy's expit.
    # (below ~ -708 results are subnormal, where expit flushes to 0 earlier than we do)
    z = np.linspace(-700, 740, 4001)
    np.testing.assert_allclose(sigmoid(z), expit(z), rtol=4e-16, atol=0)


def test_sigmoid_not_sign_flipped():
    # sigmoid(0) = 0.5 passes even for 1/(1+exp(z)); z != 0 catches it.
    assert sigmoid(0.0) == 0.5
    assert sigmoid(2.0) == pytest.approx(1 / (1 + np.exp(-2.0)), rel=1e-15)
    assert sigmoid(2.0) > 0.5 > sigmoid(-2.0)
    assert sigmoid(3.0) + sigmoid(-3.0) == pytest.approx(1.0, rel=1e-15)


def test_sigmoid_shapes_and_scalars():
    assert isinstance(sigmoid(0.3), np.floating) and np.ndim(sigmoid(0.3)) == 0
    assert sigmoid(1).dtype == np.float64  # integer input is computed in float64
    for shape in [(0,), (4,), (3, 1), (2, 3, 4)]:
        assert sigmoid(np.zeros(shape)).shape == shape
    z = np.array([[1.0], [-2.0]])
    z.setflags(write=False)
    sigmoid(z)
    np.testing.assert_array_equal(z, [[1.0], [-2.0]])


def test_logistic_loss_confident_predictions(strict):
    X = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    y = np.array([[1.0], [0.0], [0.0], [1.0]])
    W = np.array([[1000.0]])
    z = X @ W  # 1000, -1000, 1000, -1000: two right (loss ~0), two wrong (loss 1000 each)
    loss = logistic_loss(X, y, W)
    g = compute_logistic_gradients(X, y, W)
    assert np.isfinite(loss) and np.all(np.isfinite(g))
    with np.errstate(under="ignore"):
        expected = np.mean(np.logaddexp(0, z) - y * z)
        via_scipy = -np.mean(y * log_expit(z) + (1 - y) * log_expit(-z))
    assert loss == pytest.approx(expected, rel=1e-15)
    assert loss == pytest.approx(500.0, rel=1e-15)
    assert loss == pytest.approx(via_scipy, rel=1e-15)
    np.testing.assert_allclose(g, [[0.5]], rtol=1e-15)  # (1/4)(0 + 0 + 1 + 1)


def test_logistic_loss_matches_cross_entropy_in_moderate_range():
    rng = np.random.default_rng(0)
    X, W = rng.normal(size=(9, 3)), rng.normal(size=(3, 1))
    y = (rng.random((9, 1)) < 0.5).astype(float)
    p = 1 / (1 + np.exp(-(X @ W)))
    naive = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert logistic_loss(X, y, W) == pytest.approx(naive, rel=1e-13)
