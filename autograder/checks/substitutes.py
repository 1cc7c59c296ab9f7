"""The grader's correct helpers for a function under test, computed here, in the grading process.

Grading ``gradient_descent`` with the correct ``compute_gradients`` charges a wrong gradient once, on its own
question. No correct code ever goes to the student's process: during such a probe the helper's name there is
a stub that sends its arguments back over the probe's channel; :func:`answer` validates them and computes the
result with :mod:`gdkit.reference`, and the stub returns it. A stub holds no formula, so there is nothing to
find, stash or print.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from gdkit.reference.linear import _mse_grad, _rmse
from gdkit.reference.logistic import _logistic_grad, _logistic_loss, sigmoid

MAX_ELEMENTS = 1_000_000  # per argument, as for a probe's reply
MAX_KEPT = 64  # arrays kept per probe for reuse by reference

# name -> (number of arguments, the reference's formula without its shape checks: a student's descent that
# passes a 1-D y gets what the formula gives, as it did with its own helper)
HELPERS: dict[str, tuple[int, Callable[..., Any]]] = {
    "compute_gradients": (3, _mse_grad),
    "lin_reg_l2": (3, _rmse),
    "sigmoid": (1, sigmoid),
    "logistic_loss": (3, _logistic_loss),
    "compute_logistic_gradients": (3, _logistic_grad),
}


def _argument(raw: object, kept: dict[int, np.ndarray]) -> np.ndarray:
    """One stub argument as a fresh float64 array; ValueError with the reason otherwise.

    ``{"ref": k}`` is an array the stub sent before in this probe with ``"keep": k`` (found in ``kept``).
    """
    if not isinstance(raw, dict):
        raise ValueError("an argument that is not an array")
    if "ref" in raw:
        ref = raw["ref"]
        if not isinstance(ref, int) or ref not in kept:
            raise ValueError("an argument that is not an array")
        return kept[ref]
    values, shape = raw.get("__array__"), raw.get("shape")
    if (not isinstance(shape, list) or len(shape) > 2
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)):
        raise ValueError("arrays of at most 2 dimensions")
    if math.prod(shape) > MAX_ELEMENTS:
        raise ValueError(f"an array of {math.prod(shape)} elements is too big")
    if not isinstance(values, list) or len(values) != math.prod(shape):
        raise ValueError("an argument that is not an array of numbers")
    try:
        arr = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("an argument that is not an array of numbers") from None
    if arr.shape != (len(values),):
        raise ValueError("an argument that is not an array of numbers")
    arr = arr.reshape(shape)
    if not np.all(np.isfinite(arr)):
        raise ValueError("an argument with nan or inf values (did the descent diverge?)")
    keep = raw.get("keep")
    if isinstance(keep, int) and len(kept) < MAX_KEPT:
        arr.setflags(write=False)
        kept[keep] = arr
    return arr


class Helpers:
    """The grader's side of one probe's stubs: answers their calls, keeping the arrays they send to reuse."""

    def __init__(self) -> None:
        self.kept: dict[int, np.ndarray] = {}

    def __call__(self, name: str, args: object) -> dict:
        return answer(name, args, self.kept)


def answer(name: str, args: object, kept: dict[int, np.ndarray] | None = None) -> dict:
    """The answer to one stub call: ``{"value": number or encoded array}`` or ``{"error": text}``.

    The error text is what the student's function sees raised; it names what was wrong with the arguments,
    never the formula or the expected numbers.
    """
    arity, formula = HELPERS[name]
    if not isinstance(args, list) or len(args) != arity:
        given = len(args) if isinstance(args, list) else "?"
        return {"error": f"{name}() takes {arity} argument{'s' * (arity > 1)} ({given} given)"}
    try:
        arrays = [_argument(a, {} if kept is None else kept) for a in args]
    except ValueError as exc:
        return {"error": f"{name}() expects {exc}"}
    try:
        with np.errstate(all="ignore"):
            value = formula(*arrays)
    except (ValueError, TypeError, IndexError) as exc:
        shapes = ", ".join(str(a.shape) for a in arrays)
        return {"error": f"{name}() got arrays of shapes {shapes}: {str(exc)[:200]}"}
    value = np.asarray(value, dtype=np.float64)
    if value.ndim == 0:
        return {"value": float(value)}
    return {"value": {"__array__": value.ravel().tolist(), "shape": list(value.shape)}}
