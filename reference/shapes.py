"""Input validation shared by the reference functions.

Every reference function takes column-vector conventions from the course material:

* ``X``: 2-D design matrix, shape ``(m, d)`` (``m`` rows/examples, ``d`` columns/parameters),
* ``Y``: targets, shape ``(m, 1)``,
* ``W``: parameters, shape ``(d, 1)``.

The helpers return float64 views/copies made with :func:`numpy.asarray`; they never write to their
inputs, so read-only arrays are fine. Shapes are checked strictly: a 1-D ``(m,)`` target is rejected
rather than broadcast, because ``(m, 1) - (m,)`` silently broadcasts to ``(m, m)``.
"""

from __future__ import annotations

import operator

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["check_X", "check_XY", "check_XYW", "check_num_iters", "check_learn_rate"]


def _as_float64(a: ArrayLike, name: str) -> NDArray[np.float64]:
    try:
        # asarray copies only when the dtype differs; it never writes to ``a``.
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        msg = f"{name} must be a numeric array convertible to float64; got {type(a).__name__}"
        raise ValueError(msg) from exc


def check_X(X: ArrayLike) -> NDArray[np.float64]:
    """Validate the design matrix.

    Parameters
    ----------
    X : array_like, shape (m, d)
        Design matrix with at least one row and one column.

    Returns
    -------
    X : ndarray of float64, shape (m, d)

    Raises
    ------
    ValueError
        If ``X`` is not 2-D or has no rows or columns.
    """
    X = _as_float64(X, "X")
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array of shape (m, d); got shape {X.shape}")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one column, shape (m, d); got shape {X.shape}")
    return X


def _check_column(a: ArrayLike, name: str, n: int, symbol: str, what: str) -> NDArray[np.float64]:
    a = _as_float64(a, name)
    if a.shape != (n, 1):
        raise ValueError(
            f"{name} must have shape ({n}, 1) ({symbol}, 1) to match X with {symbol}={n} {what}; "
            f"got {a.shape}"
        )
    return a


def check_XY(X: ArrayLike, Y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate ``X`` of shape (m, d) and ``Y`` of shape (m, 1); return both as float64."""
    X = check_X(X)
    Y = _check_column(Y, "Y", X.shape[0], "m", "rows")
    return X, Y


def check_XYW(
    X: ArrayLike, Y: ArrayLike, W: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Validate ``X`` (m, d), ``Y`` (m, 1) and ``W`` (d, 1); return all three as float64.

    Examples
    --------
    >>> check_XYW(np.ones((5, 3)), np.ones((5, 1)), np.ones(3))
    Traceback (most recent call last):
    ...
    ValueError: W must have shape (3, 1) (d, 1) to match X with d=3 columns; got (3,)
    """
    X, Y = check_XY(X, Y)
    W = _check_column(W, "W", X.shape[1], "d", "columns")
    return X, Y, W


def check_num_iters(num_iters: int) -> int:
    """Return ``num_iters`` as a non-negative Python int (integers only: 400.0 is rejected)."""
    try:
        n = operator.index(num_iters)
    except TypeError as exc:
        raise ValueError(f"num_iters must be an integer; got {num_iters!r}") from exc
    if n < 0:
        raise ValueError(f"num_iters must be >= 0; got {n}")
    return n


def check_learn_rate(learn_rate: float) -> float:
    """Return ``learn_rate`` as a finite Python float."""
    try:
        lr = float(learn_rate)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"learn_rate must be a real number; got {learn_rate!r}") from exc
    if not np.isfinite(lr):
        raise ValueError(f"learn_rate must be finite; got {lr!r}")
    return lr
