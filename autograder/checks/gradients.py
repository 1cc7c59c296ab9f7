"""Checks of the two gradient functions: compute_gradients (linear) and compute_logistic_gradients.

Both are held to the same tests: shape on small, odd, non-square inputs; values against the reference on
data the student never saw and on the assignment's data; and agreement with central finite differences of
the reference loss at random points away from the optimum.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gdkit import reference as ref
from gdkit.autograder.checks.framework import (
    DIVISOR_IDS,
    RTOL,
    Call,
    Context,
    check,
    close,
    compare,
    diagnoses,
    expect_array,
    factor_of,
    fail,
    judge_public,
    likely_from_factor,
    precision_likely,
    substitutes,
    value_cases,
)

FD_TOLERANCE = 1e-6

# The known mistakes these checks name, worded in each function's declaration (diagnoses:)
LINEAR = diagnoses("compute_gradients", "sigmoid_in_linear", "m_plus_1", "no_factor_2", "not_divided_by_m",
                   "not_divided_no_factor_2", "sign_flipped", "sign_flipped_no_factor_2", "not_the_derivative",
                   *DIVISOR_IDS)
LOGISTIC = diagnoses("compute_logistic_gradients", "sigmoid_missing", "linear_gradient", "extra_factor_2",
                     "not_divided_by_m", "m_plus_1", "sign_flipped", "not_the_derivative", *DIVISOR_IDS)
SAY = {"compute_gradients": LINEAR, "compute_logistic_gradients": LOGISTIC}


def _formula_mistakes(fn: str, X: np.ndarray, Y: np.ndarray, W: np.ndarray) -> dict[str, np.ndarray]:
    """What known wrong formulas give on (X, Y, W), by explanation."""
    m = len(Y)
    if fn == "compute_logistic_gradients":
        return {
            LOGISTIC("sigmoid_missing"): X.T @ (X @ W - Y) / m,
            LOGISTIC("linear_gradient"): 2 * X.T @ (X @ W - Y) / m,
        }
    return {LINEAR("sigmoid_in_linear"): 2 * X.T @ (ref.sigmoid(X @ W) - Y) / m}


def gradient_likely(fn: str, found: np.ndarray, X: np.ndarray, Y: np.ndarray, W: np.ndarray,
                    candidates: Callable[[int], dict[str, float]]) -> str:
    """The likely mistake behind a wrong gradient ``found`` of ``fn`` at (X, Y, W), or "".

    Total: a ``found`` of any shape or values (nan, inf, huge) gives a hint or "", never an exception.
    """
    found = np.asarray(found, dtype=np.float64)
    with np.errstate(all="ignore"):
        expected = (ref.compute_logistic_gradients if fn == "compute_logistic_gradients"
                    else ref.compute_gradients)(X, Y, W)
        if found.shape != expected.shape:
            return ""
        for explanation, value in _formula_mistakes(fn, X, Y, W).items():
            if close(found, value, rtol=1e-6, atol=1e-12):
                return explanation
        return precision_likely(found, expected) or likely_from_factor(
            factor_of(found, expected), candidates(X.shape[0]), rows=X.shape,
            words={diagnosis: SAY[fn](diagnosis) for diagnosis in DIVISOR_IDS})


def central_differences(loss: Callable, X: np.ndarray, Y: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Central finite differences of ``loss(X, Y, W)`` in each component of W (d, 1); step scaled to W."""
    grad = np.zeros_like(W)
    for j in range(W.shape[0]):
        h = 1e-6 * max(1.0, abs(float(W[j, 0])))
        step = np.zeros_like(W)
        step[j, 0] = h
        grad[j, 0] = (loss(X, Y, W + step) - loss(X, Y, W - step)) / (2 * h)
    return grad


def register_gradient_checks(
    fn: str,
    reference: Callable,
    loss: Callable,
    make_problem: Callable,
    assignment_data: Callable,
    candidates: Callable[[int], dict[str, float]],
) -> None:
    """Register the public and hidden checks of one gradient function."""
    substitute = substitutes(fn)  # from assignment/contract/<fn>.yaml

    def judge(found: np.ndarray, expected: np.ndarray, call: Call, what: str) -> None:
        result = compare(found, expected)
        if not result:
            fail(f"{what} equal to {fn}'s formula within rtol {RTOL:g}", f"{call.describe()}: {result.describe()}",
                 gradient_likely(fn, found, call.args[0], call.args[1], call.args[2], candidates))

    @check(fn, "shape and a small known value")
    def public(ctx: Context) -> None:
        judge_public(ctx, fn)  # assignment/contract/<fn>.yaml: public_case, judged as in the notebook

    @check(fn, "shape on non-square inputs")
    def shape(ctx: Context) -> None:
        cases = value_cases(ctx, make_problem)
        calls = [Call(fn, case) for case in cases]
        for call, obs, (X, _, _) in zip(calls, ctx.call(calls, substitute), cases, strict=True):
            expect_array(obs, call, (X.shape[1], 1), "a gradient (d, 1), one entry per weight")

    @check(fn, "values on new data and on the assignment's data")
    def values(ctx: Context) -> None:
        cases = value_cases(ctx, make_problem, assignment_data)
        calls = [Call(fn, case) for case in cases]
        for call, obs, (X, Y, W) in zip(calls, ctx.call(calls, substitute), cases, strict=True):
            found = expect_array(obs, call, W.shape, "a gradient")
            judge(found, reference(X, Y, W), call, "a gradient")

    @check(fn, "agrees with finite differences of the loss")
    def finite_differences(ctx: Context) -> None:
        cases = value_cases(ctx, make_problem)
        calls = [Call(fn, case) for case in cases]
        for call, obs, (X, Y, W) in zip(calls, ctx.call(calls, substitute), cases, strict=True):
            found = expect_array(obs, call, W.shape, "a gradient")
            numeric = central_differences(loss, X, Y, W)
            rel = float(np.linalg.norm(found - numeric)) / max(float(np.linalg.norm(found)),
                                                                float(np.linalg.norm(numeric)), 1e-300)
            if not rel < FD_TOLERANCE:
                fail(f"the gradient of the loss: relative error below {FD_TOLERANCE:g} against central "
                     "finite differences",
                     f"{call.describe()}: relative error {rel:.2e}",
                     gradient_likely(fn, found, X, Y, W, candidates) or SAY[fn]("not_the_derivative"))


def linear_candidates(m: int) -> dict[str, float]:
    """Known mistakes of compute_gradients, by the factor they scale the gradient by on m rows."""
    return {
        LINEAR("m_plus_1"): m / (m + 1),
        LINEAR("no_factor_2"): 0.5,
        LINEAR("not_divided_by_m"): float(m),
        LINEAR("not_divided_no_factor_2"): m / 2,
        LINEAR("sign_flipped"): -1.0,
        LINEAR("sign_flipped_no_factor_2"): -0.5,
    }


def logistic_candidates(m: int) -> dict[str, float]:
    """Known mistakes of compute_logistic_gradients, by the factor they scale the gradient by on m rows."""
    return {
        LOGISTIC("extra_factor_2"): 2.0,
        LOGISTIC("not_divided_by_m"): float(m),
        LOGISTIC("m_plus_1"): m / (m + 1),
        LOGISTIC("sign_flipped"): -1.0,
    }


register_gradient_checks(
    "compute_gradients",
    ref.compute_gradients,
    ref.mse_loss,
    ref.make_linear_problem,
    ref.linear_data,
    linear_candidates,
)

register_gradient_checks(
    "compute_logistic_gradients",
    ref.compute_logistic_gradients,
    ref.logistic_loss,
    ref.make_logistic_problem,
    ref.logistic_data,
    logistic_candidates,
)
