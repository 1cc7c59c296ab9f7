"""The course material's experiment (gradient descent vs. the exact optimum), for linear or logistic data.

``gdkit experiment linear`` reproduces the seed's printout (``0) loss: 3.9923695504740464`` ...,
"Parameters using normal equation:  [[2.04538199 2.99820939 4.01335274]]"), then says how far gradient
descent still is from the optimum and how many iterations this learning rate needs to get within 1e-6.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from .data import linear_data, logistic_data
from .linear import _mse_grad, _rmse, linear_descent_history
from .logistic import _logistic_grad, _logistic_loss, logistic_descent_history
from .optimum import linear_lipschitz, linear_optimum, logistic_lipschitz, logistic_optimum

__all__ = ["run_experiment", "run_experiment_cli", "DEFAULTS", "AGREE_TOL", "MAX_COUNT_ITERS"]

#: Default (learning rate, iterations) per kind. Logistic: lr 1.0 is below 1/L ~ 3.68 on logistic_data()
#: and reaches the optimum to 1e-6 in 388 iterations, so the default run ends converged.
DEFAULTS: dict[str, tuple[float, int]] = {"linear": (0.1, 400), "logistic": (1.0, 400)}
#: Max-abs agreement with the optimum that "iterations needed" refers to.
AGREE_TOL = 1e-6
#: Cap on the iterations spent counting how many are needed.
MAX_COUNT_ITERS = 200_000


def _iters_to_agree(
    grad: Callable, X: np.ndarray, y: np.ndarray, lr: float, optimum: np.ndarray
) -> int | None:
    """Updates from zeros until ``max|theta - optimum| <= AGREE_TOL``; None if not within the cap."""
    theta = np.zeros_like(optimum)
    for n in range(1, MAX_COUNT_ITERS + 1):
        theta = theta - lr * grad(X, y, theta)
        diff = np.max(np.abs(theta - optimum))
        if diff <= AGREE_TOL:
            return n
        if not np.isfinite(diff):
            return None
    return None


def run_experiment(
    kind: str,
    lr: float | None,
    iters: int | None,
    every: int = 1,
    plot: str | None = None,
    write: Callable[[str], Any] = print,
) -> dict[str, Any]:
    """Run gradient descent on the experiment data and compare it with the exact optimum.

    Parameters
    ----------
    kind : {"linear", "logistic"}
        ``linear``: :func:`linear_data`, loss printed = RMSE (as the seed prints), optimum by least squares.
        ``logistic``: :func:`logistic_data`, loss = mean cross-entropy, optimum by Newton/IRLS.
    lr, iters : float, int or None
        None selects the defaults: linear 0.1 and 400, logistic 1.0 and 400.
    every : int, default 1
        Print ``"{i}) loss: {loss!r}"`` for ``i % every == 0`` (i from 0 as the seed) and for the last i.
    plot : str, optional
        Save the loss curve (log y, the optimum's loss as a horizontal line) to this PNG file.
    write : callable, default print
        Receives each output line.

    Returns
    -------
    result : dict
        ``kind``, ``lr``, ``iters``, ``losses`` (ndarray (iters,)), ``theta`` (d, 1), ``optimum`` (d, 1),
        ``optimum_loss``, ``max_abs_diff``, ``lipschitz``, ``diverges`` (bool: lr > 2/L for linear),
        ``iters_to_1e-6`` (int, or None when diverging or not reached within ``MAX_COUNT_ITERS``),
        ``plot`` (path or None).
    """
    if kind not in DEFAULTS:
        raise ValueError(f"kind must be 'linear' or 'logistic'; got {kind!r}")
    default_lr, default_iters = DEFAULTS[kind]
    lr = default_lr if lr is None else float(lr)
    iters = default_iters if iters is None else int(iters)
    if not (np.isfinite(lr) and lr > 0):
        raise ValueError(f"learning rate must be a positive number; got {lr!r}")
    if iters < 0:
        raise ValueError(f"iterations must be >= 0; got {iters}")
    if every < 1:
        raise ValueError(f"every must be >= 1; got {every}")

    # One signature for both kinds' loss (the linear one names its arguments x, y, w as the seed does).
    loss_fn: Callable[[np.ndarray, np.ndarray, np.ndarray], float]
    if kind == "linear":
        X, y = linear_data()
        L = linear_lipschitz(X)
        optimum = linear_optimum(X, y)
        history, grad, loss_fn = linear_descent_history, _mse_grad, _rmse
        title, opt_label = "Linear regression", "Parameters using normal equation: "
        loss_name = "RMSE (what the seed prints as loss)"
    else:
        X, y = logistic_data()
        L = logistic_lipschitz(X)
        optimum = logistic_optimum(X, y)
        history, grad, loss_fn = logistic_descent_history, _logistic_grad, _logistic_loss
        title, opt_label = "Logistic regression", "Parameters at the optimum (Newton/IRLS): "
        loss_name = "mean cross-entropy"
    m, d = X.shape
    optimum_loss = loss_fn(X, y, optimum)
    # For the quadratic MSE, lr > 2/L diverges exactly; for logistic L is only an upper bound.
    diverges = kind == "linear" and lr > 2.0 / L

    write(f"{title}: m={m}, d={d}, learning rate {lr!r}, {iters} iterations; loss = {loss_name}")
    write(f"L = {L:.6g}: 1/L = {1 / L:.6g} is safe, 2/L = {2 / L:.6g} is the limit")
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run should print inf/nan, not crash
        theta, losses = history(X, y, lr, iters)
    for i, loss in enumerate(losses):
        if i % every == 0 or i == iters - 1:
            write(f"{i}) loss: {float(loss)!r}")

    # Same as the seed's print(label, theta.T), with numpy's default print options.
    write(f"{opt_label} {np.array2string(optimum.T)}")
    write(f"Parameters using gradient descent:  {np.array2string(theta.T)}")
    with np.errstate(over="ignore", invalid="ignore"):
        max_abs_diff = float(np.max(np.abs(theta - optimum)))
    write(f"Max abs difference to the optimum after {iters} iterations: {max_abs_diff:.3g}")

    if diverges:
        n_agree, what = None, "diverges (learning rate > 2/L)"
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            n_agree = _iters_to_agree(grad, X, y, lr, optimum)
        what = f"not within {MAX_COUNT_ITERS} iterations" if n_agree is None else str(n_agree)
    write(f"Iterations this learning rate needs to agree with the optimum to {AGREE_TOL:g} (max abs): {what}")

    if plot is not None:
        _plot(plot, losses, optimum_loss, f"{title}: gradient descent, learning rate {lr:g}", loss_name)
        write(f"Loss curve saved to {plot}")

    return {
        "kind": kind,
        "lr": lr,
        "iters": iters,
        "losses": losses,
        "theta": theta,
        "optimum": optimum,
        "optimum_loss": optimum_loss,
        "max_abs_diff": max_abs_diff,
        "lipschitz": L,
        "diverges": diverges,
        "iters_to_1e-6": n_agree,
        "plot": plot,
    }


def _plot(path: str, losses: np.ndarray, optimum_loss: float, title: str, loss_name: str) -> None:
    # A bare Figure with the Agg canvas: no pyplot, so no GUI backend and no global state is touched.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    it = np.arange(len(losses))
    ok = np.isfinite(losses) & (losses > 0)  # log scale: drop inf/nan of a diverging run
    ax.plot(it[ok], losses[ok], label="gradient descent")
    ax.axhline(optimum_loss, color="k", linestyle="--", label=f"optimum ({optimum_loss:.6g})")
    ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel(f"loss: {loss_name}")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def run_experiment_cli(args: Any) -> int:
    """Entry point for ``gdkit experiment``: ``args`` has ``kind``, ``lr``, ``iters``, ``every``, ``plot``.

    Returns 0 on success, 2 on invalid arguments (message on stderr).
    """
    try:
        run_experiment(args.kind, args.lr, args.iters, every=args.every, plot=args.plot)
    except (ValueError, OSError) as exc:
        print(f"gdkit experiment: error: {exc}", file=sys.stderr)
        return 2
    return 0
