"""Logistic regression by gradient descent: the reference for the homework.

Conventions as in :mod:`gdkit.reference.linear`: ``X`` (m, d), ``Y`` (m, 1) with labels 0/1,
``W``/``theta`` (d, 1), float64, inputs never modified.

The loss is the mean binary cross-entropy
``L(W) = (1/m) sum_i [ log(1 + exp(z_i)) - y_i z_i ]`` with ``z = XW``, which equals
``-(1/m) sum_i [ y_i log sigmoid(z_i) + (1 - y_i) log(1 - sigmoid(z_i)) ]`` but, written with
``logaddexp``, stays finite for confident predictions (``log(1 - sigmoid(z))`` is ``-inf`` from z ~ 37).
Its gradient is ``(1/m) X^T (sigmoid(XW) - Y)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .linear import _descend
from .shapes import check_XYW

__all__ = [
    "sigmoid",
    "logistic_loss",
    "compute_logistic_gradients",
    "logistic_gradient_descent",
    "logistic_descent_history",
]

Array = NDArray[np.float64]


def sigmoid(z: ArrayLike) -> Array | np.float64:
    """Numerically stable logistic function ``1 / (1 + exp(-z))``.

    Uses ``e = exp(-|z|)`` (never overflows) and returns ``1/(1+e)`` for ``z >= 0`` and ``e/(1+e)`` for
    ``z < 0``: accurate to a few ulps in relative terms on both tails, no overflow for any finite ``z``.
    ``exp(-|z|)`` underflows to 0 beyond |z| ~ 745; that underflow is the correctly rounded answer, so it
    is silenced locally (it would otherwise raise under ``np.errstate(all="raise")``).

    Parameters
    ----------
    z : array_like of any shape, or scalar

    Returns
    -------
    s : ndarray of float64, same shape as ``z``; a numpy float64 scalar when ``z`` is a scalar.
        ``sigmoid(1000) == 1.0``, ``sigmoid(-1000) == 0.0``.
    """
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
        out = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return out[()]  # 0-d -> scalar, otherwise the array itself


def _logistic_loss(X: Array, Y: Array, W: Array) -> float:
    z = X @ W
    with np.errstate(under="ignore"):  # logaddexp underflows internally for |z| > ~745: harmless
        return float(np.mean(np.logaddexp(0.0, z) - Y * z))


def _logistic_grad(X: Array, Y: Array, W: Array) -> Array:
    m = Y.shape[0]
    return (1 / m) * (X.T @ (sigmoid(X @ W) - Y))


def logistic_loss(X: ArrayLike, Y: ArrayLike, W: ArrayLike) -> float:
    """Mean binary cross-entropy with 0/1 labels, ``mean(logaddexp(0, z) - y*z)`` with ``z = XW``.

    Parameters
    ----------
    X : array_like, shape (m, d)
    Y : array_like, shape (m, 1)
        Labels in {0, 1} (values in [0, 1] are also meaningful; not checked).
    W : array_like, shape (d, 1)

    Returns
    -------
    loss : float
        Finite for every finite ``XW`` (e.g. ``z = +-1000``).
    """
    X, Y, W = check_XYW(X, Y, W)
    return _logistic_loss(X, Y, W)


def compute_logistic_gradients(X: ArrayLike, Y: ArrayLike, W: ArrayLike) -> Array:
    """Gradient of :func:`logistic_loss` with respect to ``W``: ``(1/m) X^T (sigmoid(XW) - Y)``.

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
    return _logistic_grad(X, Y, W)


def logistic_gradient_descent(
    X: ArrayLike,
    y: ArrayLike,
    learn_rate: float,
    num_iters: int,
    theta: ArrayLike | None = None,
) -> Array:
    """Batch gradient descent on :func:`logistic_loss`.

    Exactly ``num_iters`` updates ``theta <- theta - learn_rate * compute_logistic_gradients(X, y, theta)``
    from ``theta`` (zeros (d, 1) when None; the given array is never modified). Prints nothing.

    Parameters
    ----------
    X : array_like, shape (m, d)
    y : array_like, shape (m, 1), labels 0/1
    learn_rate : float
        ``learn_rate <= 1/L`` with ``L = logistic_lipschitz(X)`` is always safe.
    num_iters : int
    theta : array_like, shape (d, 1), optional

    Returns
    -------
    theta : ndarray of float64, shape (d, 1)
    """
    theta_out, _ = _descend(_logistic_grad, None, X, y, learn_rate, num_iters, theta)
    return theta_out


def logistic_descent_history(
    X: ArrayLike,
    y: ArrayLike,
    learn_rate: float,
    num_iters: int,
    theta: ArrayLike | None = None,
) -> tuple[Array, Array]:
    """:func:`logistic_gradient_descent` plus :func:`logistic_loss` after each update.

    Returns
    -------
    theta : ndarray of float64, shape (d, 1)
    losses : ndarray of float64, shape (num_iters,)
    """
    return _descend(_logistic_grad, _logistic_loss, X, y, learn_rate, num_iters, theta)
