"""Data sets: the seed's linear example, the homework's logistic example, and random grading problems.

All functions return ``X`` of shape (m, d) float64 whose first column is ones (the intercept), and ``y``
of shape (m, 1) float64. None of them touches numpy's global random state.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .logistic import sigmoid

__all__ = ["linear_data", "logistic_data", "make_linear_problem", "make_logistic_problem"]

Array = NDArray[np.float64]

# How often make_logistic_problem may redraw before giving up (see its docstring).
_MAX_DRAWS = 1000


def linear_data() -> tuple[Array, Array]:
    """The course material's example, bit for bit.

    Equivalent to the seed's ``np.random.seed(0); X = np.random.rand(100, 2);
    y = 2 + X @ [[3], [4]] + 0.1 * np.random.rand(100, 1)`` followed by prepending a ones column, but
    drawn from ``np.random.RandomState(0)`` (the same stream) so the global RNG is left alone.

    Returns
    -------
    X : ndarray of float64, shape (100, 3)
        ``[1, x1, x2]`` with ``x1, x2 ~ U[0, 1)``.
    y : ndarray of float64, shape (100, 1)
        ``2 + 3 x1 + 4 x2 + 0.1 U[0, 1)``: the least-squares optimum is about ``[2.045, 2.998, 4.013]``.
    """
    rs = np.random.RandomState(0)
    X = rs.rand(100, 2)
    y = 2 + np.dot(X, np.array([[3, 4]]).T) + 0.1 * rs.rand(100, 1)
    X = np.hstack((np.ones((X.shape[0], 1)), X))
    return X, y


def logistic_data(m: int = 200, seed: int = 0) -> tuple[Array, Array]:
    """The homework's logistic-regression data: two Gaussian features and noisy 0/1 labels.

    ``x1, x2 ~ N(0, 1)`` independently, ``X = [1, x1, x2]``, true weights ``w_true = [-0.5, 2, -1]^T``
    (intercept first), and each label is drawn ``y ~ Bernoulli(sigmoid(X w_true))``. The label noise makes
    the classes overlap, so the unpenalised optimum is finite (checked for the defaults by an LP test).

    Parameters
    ----------
    m : int, default 200
        Number of examples.
    seed : int, default 0
        Seed for ``np.random.default_rng``.

    Returns
    -------
    X : ndarray of float64, shape (m, 3)
    y : ndarray of float64, shape (m, 1), values 0.0 / 1.0
    """
    rng = np.random.default_rng(seed)
    w_true = np.array([[-0.5], [2.0], [-1.0]])
    X = np.hstack((np.ones((m, 1)), rng.normal(size=(m, 2))))
    p = 1 / (1 + np.exp(-(X @ w_true)))  # P(y = 1 | x)
    y = (rng.random((m, 1)) < p).astype(float)
    return X, y


def _check_md(m: int, d: int, m_min: int) -> None:
    if int(d) != d or d < 1:
        raise ValueError(f"d must be an integer >= 1 (ones column + d-1 features); got {d!r}")
    if int(m) != m or m < m_min:
        raise ValueError(f"m must be an integer >= {m_min}; got {m!r}")


def _design(rng: np.random.Generator, m: int, d: int) -> Array:
    return np.hstack((np.ones((m, 1)), rng.normal(size=(m, d - 1))))


def make_linear_problem(rng: np.random.Generator, m: int, d: int) -> tuple[Array, Array]:
    """A random linear-regression problem, deterministic given the state of ``rng``.

    ``X = [1, N(0,1) features]`` (m, d); ``w ~ N(0, 1)`` (d, 1); ``y = X w + 0.1 N(0, 1)`` (m, 1).
    Draws from ``rng`` in this order: features, ``w``, noise.

    Parameters
    ----------
    rng : numpy.random.Generator
    m : int >= 1
    d : int >= 1

    Returns
    -------
    X : ndarray of float64, shape (m, d)
    y : ndarray of float64, shape (m, 1)
    """
    _check_md(m, d, 1)
    X = _design(rng, m, d)
    w = rng.normal(size=(d, 1))
    y = X @ w + 0.1 * rng.normal(size=(m, 1))
    return X, y


def make_logistic_problem(
    rng: np.random.Generator, m: int, d: int, *, finite_optimum: bool = False
) -> tuple[Array, Array]:
    """A random logistic-regression problem with both classes present, deterministic given ``rng``.

    ``X = [1, N(0,1) features]`` (m, d); ``w ~ N(0, 1)`` (d, 1); ``y ~ Bernoulli(sigmoid(X w))`` (m, 1).
    A draw (X, w, y) is repeated until both classes occur. With ``finite_optimum=True`` it is also
    repeated until the unpenalised optimum exists (Newton, :func:`~gdkit.reference.optimum.logistic_optimum`,
    converges), i.e. the classes overlap; small ``m`` relative to ``d`` then needs many draws.

    Parameters
    ----------
    rng : numpy.random.Generator
    m : int >= 2 (``> d`` when ``finite_optimum``)
    d : int >= 1
    finite_optimum : bool, default False

    Returns
    -------
    X : ndarray of float64, shape (m, d)
    y : ndarray of float64, shape (m, 1), values 0.0 / 1.0

    Raises
    ------
    RuntimeError
        If no acceptable draw is found in 1000 attempts.
    """
    # Points in general position with m <= d can always be separated: no finite optimum ever.
    _check_md(m, d, d + 1 if finite_optimum else 2)
    for _ in range(_MAX_DRAWS):
        X = _design(rng, m, d)
        w = rng.normal(size=(d, 1))
        p = sigmoid(X @ w)
        y = (rng.random((m, 1)) < p).astype(float)
        if 0 < y.sum() < m and (not finite_optimum or _has_finite_optimum(X, y)):
            return X, y
    raise RuntimeError(f"make_logistic_problem: no acceptable draw in {_MAX_DRAWS} attempts (m={m}, d={d})")


def _has_finite_optimum(X: Array, y: Array) -> bool:
    from .optimum import logistic_optimum  # local import: optimum does not need data

    try:
        logistic_optimum(X, y)
    except RuntimeError:
        return False
    return True
