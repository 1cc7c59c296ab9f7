"""Linear regression by gradient descent: the reference for the worked example of the course material.

Conventions (see :mod:`gdkit.reference.shapes`): ``X`` is (m, d), ``Y`` is (m, 1), ``W``/``theta`` is
(d, 1); everything is computed in float64 and no input is ever modified.

The loss that :func:`compute_gradients` differentiates is the mean squared error
``L(W) = (1/m) ||XW - Y||^2`` (:func:`mse_loss`). The course material's formula divides by ``m + 1``
(it sums ``i = 0..m``) while its code divides by ``m = len(Y)``; the code is right, the formula is the
defect. What the seed *prints* as "loss" is :func:`lin_reg_l2`, the root of that mean (RMSE).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .shapes import check_learn_rate, check_num_iters, check_XY, check_XYW

__all__ = [
    "mse_loss",
    "compute_gradients",
    "lin_reg_l2",
    "gradient_descent",
    "linear_descent_history",
]

Array = NDArray[np.float64]


def mse_loss(X: ArrayLike, Y: ArrayLike, W: ArrayLike) -> float:
    """Mean squared error ``(1/m) ||XW - Y||^2``, the loss whose gradient is :func:`compute_gradients`.

    Parameters
    ----------
    X : array_like, shape (m, d)
    Y : array_like, shape (m, 1)
    W : array_like, shape (d, 1)

    Returns
    -------
    loss : float
    """
    X, Y, W = check_XYW(X, Y, W)
    errors = X @ W - Y
    return float(np.mean(errors**2))


def compute_gradients(X: ArrayLike, Y: ArrayLike, W: ArrayLike) -> Array:
    """Gradient of :func:`mse_loss` with respect to ``W``: ``(2/m) X^T (XW - Y)``.

    Parameters
    ----------
    X : array_like, shape (m, d)
    Y : array_like, shape (m, 1)
    W : array_like, shape (d, 1)

    Returns
    -------
    grad : ndarray of float64, shape (d, 1)
    """
    X, Y, W = check_XYW(X, Y, W)
    return _mse_grad(X, Y, W)


def _mse_grad(X: Array, Y: Array, W: Array) -> Array:
    # Same operations in the same order as the seed, so trajectories match it to the last bit.
    m = Y.shape[0]
    errors = X @ W - Y
    return (2 / m) * (X.T @ errors)


def lin_reg_l2(x: ArrayLike, y: ArrayLike, w: ArrayLike) -> float:
    """Root mean squared error ``sqrt(mean((xw - y)^2))``: what the seed prints as ``i) loss:``.

    Defect in the seed: its comment says "mean square error" but it returns the *root* of the mean
    squared error (RMSE). It is therefore not the loss that :func:`compute_gradients` differentiates
    (that is :func:`mse_loss` = ``lin_reg_l2**2``); both have the same minimiser.

    Parameters
    ----------
    x : array_like, shape (m, d)
    y : array_like, shape (m, 1)
    w : array_like, shape (d, 1)

    Returns
    -------
    rmse : float
    """
    x, y, w = check_XYW(x, y, w)
    return _rmse(x, y, w)


def _rmse(x: Array, y: Array, w: Array) -> float:
    return float(np.sqrt(np.mean((x @ w - y) ** 2)))


def _initial_theta(X: Array, theta: ArrayLike | None) -> Array:
    """Zeros (d, 1) when ``theta`` is None, else a float64 *copy* of the given (d, 1) start."""
    d = X.shape[1]
    if theta is None:
        return np.zeros((d, 1))
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape != (d, 1):
        raise ValueError(
            f"theta must have shape ({d}, 1) (d, 1) to match X with d={d} columns; got {theta.shape}"
        )
    return theta.copy()


def _descend(
    grad: Callable[[Array, Array, Array], Array],
    loss: Callable[[Array, Array, Array], float] | None,
    X: ArrayLike,
    y: ArrayLike,
    learn_rate: float,
    num_iters: int,
    theta: ArrayLike | None,
) -> tuple[Array, Array]:
    """Shared loop: exactly ``num_iters`` updates ``theta <- theta - learn_rate * grad``.

    Returns the final theta and, when ``loss`` is given, the loss after each update (else an empty array).
    """
    X, y = check_XY(X, y)
    lr = check_learn_rate(learn_rate)
    n = check_num_iters(num_iters)
    theta = _initial_theta(X, theta)
    losses = np.empty(n if loss is not None else 0)
    for i in range(n):
        # Rebinding (not -=): every iterate is a fresh array, never an alias of an input.
        theta = theta - lr * grad(X, y, theta)
        if loss is not None:
            losses[i] = loss(X, y, theta)
    return theta, losses


def gradient_descent(
    X: ArrayLike,
    y: ArrayLike,
    learn_rate: float,
    num_iters: int,
    theta: ArrayLike | None = None,
) -> Array:
    """Batch gradient descent on :func:`mse_loss`.

    Performs exactly ``num_iters`` updates ``theta <- theta - learn_rate * compute_gradients(X, y, theta)``
    and returns the final parameters. Unlike the seed it prints nothing
    (use :func:`linear_descent_history` for the losses).

    Defect in the seed: ``if not theta:`` raises "truth value of an array ... is ambiguous" when an
    array with more than one element is passed (and treats a 1-element zero array as "no theta").
    Here ``theta is None`` selects the zero start.

    Parameters
    ----------
    X : array_like, shape (m, d)
    y : array_like, shape (m, 1)
    learn_rate : float
        Step size; the iteration converges for ``0 < learn_rate < 2/L`` with ``L = linear_lipschitz(X)``.
    num_iters : int
        Number of updates (>= 0).
    theta : array_like, shape (d, 1), optional
        Starting parameters; zeros (d, 1) when None. Never modified.

    Returns
    -------
    theta : ndarray of float64, shape (d, 1)
    """
    theta_out, _ = _descend(_mse_grad, None, X, y, learn_rate, num_iters, theta)
    return theta_out


def linear_descent_history(
    X: ArrayLike,
    y: ArrayLike,
    learn_rate: float,
    num_iters: int,
    theta: ArrayLike | None = None,
) -> tuple[Array, Array]:
    """:func:`gradient_descent` plus the RMSE (:func:`lin_reg_l2`) after each update.

    ``losses[i]`` is what the seed prints as ``{i}) loss: ...``.

    Returns
    -------
    theta : ndarray of float64, shape (d, 1)
    losses : ndarray of float64, shape (num_iters,)
    """
    return _descend(_mse_grad, _rmse, X, y, learn_rate, num_iters, theta)
