"""Exact minimisers and smoothness constants: what gradient descent is compared against.

Conventions: ``X`` (m, d), ``y`` (m, 1), results (d, 1) float64; inputs are never modified.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .logistic import sigmoid
from .shapes import check_X, check_XY

__all__ = ["linear_optimum", "logistic_optimum", "linear_lipschitz", "logistic_lipschitz"]

Array = NDArray[np.float64]


def linear_optimum(X: ArrayLike, y: ArrayLike) -> Array:
    """Least-squares minimiser of ``||XW - y||^2`` via ``np.linalg.lstsq(X, y, rcond=None)``.

    The seed uses the normal equation ``inv(X^T X) X^T y``; forming ``X^T X`` squares the condition
    number of ``X`` (on an ill-conditioned design, e.g. a degree-11 polynomial with cond(X) ~ 1e8, it
    loses most digits). ``lstsq`` works on ``X`` itself (SVD). On the seed's well-conditioned data both agree
    to ~1e-14. For rank-deficient ``X`` the minimum-norm solution is returned.

    Parameters
    ----------
    X : array_like, shape (m, d)
    y : array_like, shape (m, 1)

    Returns
    -------
    W : ndarray of float64, shape (d, 1)
    """
    X, y = check_XY(X, y)
    W, *_ = np.linalg.lstsq(X, y, rcond=None)
    return np.asarray(W, dtype=np.float64)


def logistic_optimum(X: ArrayLike, y: ArrayLike, tol: float = 1e-12, max_iter: int = 50) -> Array:
    """Unpenalised logistic-regression maximum-likelihood estimate by Newton's method (IRLS).

    Starts from ``W = 0`` and iterates ``W <- W - H^{-1} g`` with ``g = (1/m) X^T (sigmoid(XW) - y)`` and
    ``H = (1/m) X^T diag(s(1-s)) X``. **Stopping rule:** returns right after the first step whose largest
    absolute component is ``< tol``. Newton converges quadratically, so 6-10 iterations are typical.

    Parameters
    ----------
    X : array_like, shape (m, d)
    y : array_like, shape (m, 1), labels 0/1
    tol : float, default 1e-12
        Threshold on ``max(abs(Newton step))``.
    max_iter : int, default 50

    Returns
    -------
    W : ndarray of float64, shape (d, 1)

    Raises
    ------
    RuntimeError
        If not converged within ``max_iter`` steps, or the Hessian becomes singular / non-finite. The
        likely cause is (quasi-)separable data: then no finite optimum exists and the weights grow without
        bound. (A design ``X`` with linearly dependent columns also makes the Hessian singular.)
    """
    X, y = check_XY(X, y)
    m, d = X.shape
    W = np.zeros((d, 1))
    cause = (
        "the classes are probably (quasi-)separable, so the unpenalised optimum is at infinity "
        "(or X has linearly dependent columns)"
    )
    step_size = np.inf
    for _ in range(max_iter):
        z = X @ W
        p = sigmoid(z)
        g = (1 / m) * (X.T @ (p - y))
        s = p * sigmoid(-z)  # = p(1-p) without the cancellation of 1-p near p = 1
        H = (1 / m) * ((X * s).T @ X)
        try:
            step = np.linalg.solve(H, g)
        except np.linalg.LinAlgError as exc:
            raise RuntimeError(f"logistic_optimum: singular Hessian; {cause}") from exc
        if not np.all(np.isfinite(step)):
            raise RuntimeError(f"logistic_optimum: non-finite Newton step; {cause}")
        W = W - step
        step_size = float(np.max(np.abs(step)))
        if step_size < tol:
            return W
    raise RuntimeError(
        f"logistic_optimum: not converged in {max_iter} Newton steps (last max-abs step {step_size:.3g}, "
        f"tol {tol:g}); {cause}"
    )


def _lambda_max_gram(X: Array) -> float:
    # lambda_max(X^T X) = sigma_max(X)^2; the SVD of X avoids forming X^T X.
    return float(np.linalg.norm(X, 2) ** 2)


def linear_lipschitz(X: ArrayLike) -> float:
    """Smoothness constant of :func:`~gdkit.reference.linear.mse_loss`: ``L = (2/m) lambda_max(X^T X)``.

    Gradient descent converges for ``0 < learn_rate < 2/L`` and diverges above ``2/L`` (exactly, since the
    loss is quadratic); ``learn_rate = 1/L`` is safe.

    Parameters
    ----------
    X : array_like, shape (m, d)

    Returns
    -------
    L : float
    """
    X = check_X(X)
    return 2.0 * _lambda_max_gram(X) / X.shape[0]


def logistic_lipschitz(X: ArrayLike) -> float:
    """Upper bound on the smoothness of :func:`~gdkit.reference.logistic.logistic_loss`:
    ``L = lambda_max(X^T X) / (4m)`` (since ``s(1-s) <= 1/4``).

    ``learn_rate = 1/L`` is safe; being an upper bound, exceeding ``2/L`` does not by itself imply
    divergence (the local curvature is usually smaller).

    Parameters
    ----------
    X : array_like, shape (m, d)

    Returns
    -------
    L : float
    """
    X = check_X(X)
    return _lambda_max_gram(X) / (4.0 * X.shape[0])
