"""Gradient descent: exact update count, no mutation, read-only inputs, shape errors, convergence."""

import numpy as np
import pytest

import gdkit.reference as ref
from gdkit.reference import (
    compute_gradients,
    compute_logistic_gradients,
    gradient_descent,
    lin_reg_l2,
    linear_data,
    linear_descent_history,
    linear_lipschitz,
    linear_optimum,
    logistic_data,
    logistic_descent_history,
    logistic_gradient_descent,
    logistic_lipschitz,
    logistic_loss,
    logistic_optimum,
    make_linear_problem,
    make_logistic_problem,
)

KINDS = {
    "linear": (gradient_descent, linear_descent_history, lin_reg_l2, make_linear_problem),
    "logistic": (logistic_gradient_descent, logistic_descent_history, logistic_loss, make_logistic_problem),
}


def hand_loop(kind, X, y, lr, n, theta):
    m = len(y)
    for _ in range(n):
        if kind == "linear":
            g = (2 / m) * X.T @ (X @ theta - y)
        else:
            g = X.T @ (1 / (1 + np.exp(-(X @ theta))) - y) / m
        theta = theta - lr * g
    return theta


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [0, 1, 5])
@pytest.mark.parametrize("start", ["zeros", "given"])
def test_exact_number_of_updates(kind, n, start):
    gd, history, loss, make = KINDS[kind]
    rng = np.random.default_rng(7)
    X, y = make(rng, 7, 3)
    theta0 = rng.normal(size=(3, 1)) if start == "given" else None
    expected = hand_loop(kind, X, y, 0.3, n, np.zeros((3, 1)) if theta0 is None else theta0)
    theta = gd(X, y, 0.3, n, theta0)
    assert theta.shape == (3, 1) and theta.dtype == np.float64
    np.testing.assert_allclose(theta, expected, rtol=1e-14, atol=1e-15)
    theta_h, losses = history(X, y, 0.3, n, theta0)
    np.testing.assert_array_equal(theta_h, theta)
    assert losses.shape == (n,) and losses.dtype == np.float64
    # losses[i] is the loss after update i + 1
    for i in range(n):
        assert losses[i] == pytest.approx(loss(X, y, gd(X, y, 0.3, i + 1, theta0)), rel=1e-14)


def test_learning_rate_is_used_and_zero_rate_does_not_move():
    X, y = make_linear_problem(np.random.default_rng(0), 9, 2)
    a, b = gradient_descent(X, y, 0.1, 1), gradient_descent(X, y, 0.2, 1)
    np.testing.assert_allclose(b, 2 * a, rtol=1e-14)  # from zeros, one step is -lr * grad(0)
    theta0 = np.array([[1.0], [2.0]])
    np.testing.assert_array_equal(gradient_descent(X, y, 0.0, 10, theta0), theta0)


def test_matches_seed_code_bit_for_bit(capsys):
    # The seed's cells, verbatim except for `theta is None` (its `if not theta:` fails on arrays).
    def seed_compute_gradients(X, Y, W):
        m = len(Y)
        predictions = np.dot(X, W)
        errors = predictions - Y
        gradients = (2 / m) * np.dot(X.T, errors)
        return gradients

    def seed_lin_reg_l2(x, y, w):
        y_pred = np.dot(x, w)
        return np.sqrt(np.mean((y_pred - y) ** 2))

    def seed_gradient_descent(X, y, learn_rate, num_iters, theta=None):
        if theta is None:
            theta = np.zeros((X.shape[1], 1))
        for i in range(num_iters):
            gradients = seed_compute_gradients(X, y, theta)
            theta = theta - learn_rate * gradients
            loss = seed_lin_reg_l2(X, y, theta)
            print(f"{i}) loss: {loss}")
        return theta

    X, y = linear_data()
    seed_theta = seed_gradient_descent(X, y, 0.1, 400)
    printed = capsys.readouterr().out.splitlines()
    theta, losses = linear_descent_history(X, y, 0.1, 400)
    np.testing.assert_allclose(theta, seed_theta, rtol=1e-15, atol=0)
    assert printed == [f"{i}) loss: {float(v)!r}" for i, v in enumerate(losses)]


@pytest.mark.parametrize("kind", KINDS)
def test_theta_not_modified_and_not_returned_as_same_object(kind):
    gd, history, _, make = KINDS[kind]
    X, y = make(np.random.default_rng(1), 8, 3)
    theta0 = np.array([[0.5], [-0.25], [1.0]])
    keep = theta0.copy()
    out = gd(X, y, 0.1, 0, theta0)
    assert out is not theta0
    out[0, 0] = 99.0  # the result is a new array: writing to it leaves theta0 alone
    gd(X, y, 0.1, 5, theta0)
    history(X, y, 0.1, 5, theta0)
    np.testing.assert_array_equal(theta0, keep)


def _readonly(*arrays):
    out = []
    for a in arrays:
        a = np.array(a, dtype=float)
        a.setflags(write=False)
        out.append(a)
    return out


def test_read_only_inputs_everywhere():
    rng = np.random.default_rng(2)
    Xl, yl = make_linear_problem(rng, 9, 3)
    Xg, yg = make_logistic_problem(rng, 30, 3, finite_optimum=True)
    W = rng.normal(size=(3, 1))
    Xl, yl, Xg, yg, W = ro = _readonly(Xl, yl, Xg, yg, W)
    keep = [a.copy() for a in ro]
    for f in (ref.mse_loss, ref.compute_gradients, ref.lin_reg_l2):
        f(Xl, yl, W)
    for f in (ref.logistic_loss, ref.compute_logistic_gradients):
        f(Xg, yg, W)
    ref.sigmoid(W)
    for f in (gradient_descent, linear_descent_history):
        f(Xl, yl, 0.1, 3, W)
    for f in (logistic_gradient_descent, logistic_descent_history):
        f(Xg, yg, 0.1, 3, W)
    linear_optimum(Xl, yl)
    logistic_optimum(Xg, yg)
    linear_lipschitz(Xl)
    logistic_lipschitz(Xg)
    for a, k in zip(ro, keep, strict=True):
        np.testing.assert_array_equal(a, k)


def test_integer_inputs_are_computed_in_float64():
    X = np.array([[1, 0], [1, 1], [1, 2]])
    y = np.array([[1], [2], [2]])
    W = np.array([[1], [1]])
    g = compute_gradients(X, y, W)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, [[2 / 3], [4 / 3]], rtol=1e-15)
    assert gradient_descent(X, y, 1, 1).dtype == np.float64  # int lr, int data: no integer truncation


GOOD = dict(X=np.ones((7, 3)), Y=np.ones((7, 1)), W=np.ones((3, 1)))
BAD = [
    ("W", np.ones(3), r"W must have shape \(3, 1\) \(d, 1\) to match X with d=3 columns; got \(3,\)"),
    ("W", np.ones((7, 1)), r"W must have shape \(3, 1\).*got \(7, 1\)"),
    ("W", np.ones((1, 3)), r"W must have shape \(3, 1\).*got \(1, 3\)"),
    ("Y", np.ones(7), r"Y must have shape \(7, 1\) \(m, 1\) to match X with m=7 rows; got \(7,\)"),
    ("Y", np.ones((6, 1)), r"Y must have shape \(7, 1\).*got \(6, 1\)"),
    ("X", np.ones(7), r"X must be a 2-D array of shape \(m, d\); got shape \(7,\)"),
    ("X", np.ones((7, 3, 1)), r"X must be a 2-D array of shape \(m, d\); got shape \(7, 3, 1\)"),
    ("X", np.ones((0, 3)), r"X must have at least one row"),
]


@pytest.mark.parametrize(
    "f",
    [ref.mse_loss, ref.compute_gradients, ref.lin_reg_l2, ref.logistic_loss, ref.compute_logistic_gradients],
)
@pytest.mark.parametrize("name,value,message", BAD)
def test_shape_errors_name_the_expected_shape(f, name, value, message):
    args = dict(GOOD, **{name: value})
    with pytest.raises(ValueError, match=message):
        f(args["X"], args["Y"], args["W"])


@pytest.mark.parametrize(
    "f", [gradient_descent, linear_descent_history, logistic_gradient_descent, logistic_descent_history]
)
def test_descent_argument_errors(f):
    X, Y = GOOD["X"], GOOD["Y"]
    with pytest.raises(ValueError, match=r"theta must have shape \(3, 1\) \(d, 1\).*got \(3,\)"):
        f(X, Y, 0.1, 1, np.zeros(3))
    with pytest.raises(ValueError, match=r"Y must have shape \(7, 1\)"):
        f(X, np.ones(7), 0.1, 1)
    with pytest.raises(ValueError, match="num_iters must be an integer"):
        f(X, Y, 0.1, 4.0)
    with pytest.raises(ValueError, match="num_iters must be >= 0"):
        f(X, Y, 0.1, -1)
    with pytest.raises(ValueError, match="learn_rate must be finite"):
        f(X, Y, np.nan, 1)
    f(X, Y, 0.1, np.int64(2))  # numpy integers are fine


def test_optimum_shape_errors():
    with pytest.raises(ValueError, match=r"Y must have shape \(7, 1\)"):
        linear_optimum(np.ones((7, 2)), np.ones(7))
    with pytest.raises(ValueError, match=r"Y must have shape \(7, 1\)"):
        logistic_optimum(np.ones((7, 2)), np.ones((1, 7)))
    with pytest.raises(ValueError, match="2-D"):
        linear_lipschitz(np.ones(3))


def test_linear_converges_to_optimum_at_one_over_L():
    X, y = linear_data()
    theta = gradient_descent(X, y, 1 / linear_lipschitz(X), 1000)
    np.testing.assert_allclose(theta, linear_optimum(X, y), rtol=0, atol=1e-6)
    # ...while the seed's 400 iterations at 0.1 are still ~3e-2 away (so allclose-to-optimum is no check).
    assert np.max(np.abs(gradient_descent(X, y, 0.1, 400) - linear_optimum(X, y))) > 1e-2


def test_logistic_converges_to_optimum_at_one_over_L():
    X, y = logistic_data()
    theta = logistic_gradient_descent(X, y, 1 / logistic_lipschitz(X), 300)
    np.testing.assert_allclose(theta, logistic_optimum(X, y), rtol=0, atol=1e-6)
    assert np.max(np.abs(compute_logistic_gradients(X, y, theta))) < 1e-6


@pytest.mark.parametrize("seed", range(3))
def test_random_problems_converge(seed):
    rng = np.random.default_rng(seed)
    X, y = make_linear_problem(rng, 25, 3)
    theta = gradient_descent(X, y, 1 / linear_lipschitz(X), 3000)
    np.testing.assert_allclose(theta, linear_optimum(X, y), rtol=0, atol=1e-6)
    X, y = make_logistic_problem(rng, 60, 3, finite_optimum=True)
    theta = logistic_gradient_descent(X, y, 1 / logistic_lipschitz(X), 20000)
    np.testing.assert_allclose(theta, logistic_optimum(X, y), rtol=0, atol=1e-6)


def test_linear_diverges_above_two_over_L():
    X, y = linear_data()
    L = linear_lipschitz(X)
    _, ok = linear_descent_history(X, y, 1.9 / L, 200)
    _, bad = linear_descent_history(X, y, 2.1 / L, 200)
    assert ok[-1] < ok[0] and bad[-1] > 1e3 * bad[0]
