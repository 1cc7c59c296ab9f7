"""Checks of the two loss functions: lin_reg_l2 (RMSE) and logistic_loss (mean binary cross-entropy)."""

from __future__ import annotations

import numpy as np

from gdkit import reference as ref
from gdkit.autograder.checks.framework import (
    RTOL,
    Call,
    Context,
    check,
    close,
    diagnoses,
    expect_scalar,
    fail,
    judge_public,
    precision_likely,
    substitutes,
    value_cases,
)


def _matching(found: object, expected: float, variants: dict[str, float], otherwise: str) -> str:
    """The explanation of the first known mistake whose value ``found`` equals (float32 precision first),
    else ``otherwise``; "" for a ``found`` that is not one finite number (total: never raises)."""
    value = np.asarray(found, dtype=np.float64)
    if value.size != 1 or not np.all(np.isfinite(value)):
        return ""
    number = float(value.reshape(()))
    hint = precision_likely(number, expected)
    if hint:
        return hint
    for explanation, variant in variants.items():
        if close(number, variant):
            return explanation
    return otherwise


# The known mistakes these checks name, worded in each function's declaration (diagnoses:)
RMSE = diagnoses("lin_reg_l2", "mse", "sum_not_mean", "sum_of_squares", "m_plus_1", "broadcast", "mae", "formula")
LOGLOSS = diagnoses("logistic_loss", "sign_flipped", "sum_not_mean", "m_plus_1", "log10", "only_y1_term",
                    "labels_swapped", "formula", "unstable_for_confident")


# -- lin_reg_l2 -----------------------------------------------------------------------------------------------


def _rmse_likely(found: object, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> str:
    """The likely mistake behind a wrong RMSE ``found`` on (X, y, w), or ""."""
    r = X @ w - y
    m = len(y)
    variants = {
        RMSE("mse"): float(np.mean(r**2)),
        RMSE("sum_not_mean"): float(np.sqrt(np.sum(r**2))),
        RMSE("sum_of_squares"): float(np.sum(r**2)),
        RMSE("m_plus_1"): float(np.sqrt(np.sum(r**2) / (m + 1))),
        RMSE("broadcast"): float(np.sqrt(np.mean(((X @ w).ravel() - y) ** 2))),
        RMSE("mae"): float(np.mean(np.abs(r))),
    }
    return _matching(found, ref.lin_reg_l2(X, y, w), variants, RMSE("formula"))


@check("lin_reg_l2", "a small known value")
def rmse_public(ctx: Context) -> None:
    judge_public(ctx, "lin_reg_l2")  # assignment/contract/lin_reg_l2.yaml: public_case, judged as in the notebook


@check("lin_reg_l2", "values on new data and on the assignment's data")
def rmse_values(ctx: Context) -> None:
    cases = value_cases(ctx, ref.make_linear_problem, ref.linear_data)
    calls = [Call("lin_reg_l2", case) for case in cases]
    for call, obs, case in zip(calls, ctx.call(calls, substitutes("lin_reg_l2")), cases, strict=True):
        found = expect_scalar(obs, call, "one number, the root mean squared error")
        if not close(found, ref.lin_reg_l2(*case)):
            fail(f"the root mean squared error within rtol {RTOL:g}", f"{call.describe()} differs",
                 _rmse_likely(found, *case))


# -- logistic_loss ------------------------------------------------------------------------------------------


def _logloss_likely(found: object, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> str:
    """The likely mistake behind a wrong mean cross-entropy ``found`` on (X, y, w), or ""."""
    z = X @ w
    per_example = np.logaddexp(0, z) - y * z
    m = len(y)
    variants = {
        LOGLOSS("sign_flipped"): -float(np.mean(per_example)),
        LOGLOSS("sum_not_mean"): float(np.sum(per_example)),
        LOGLOSS("m_plus_1"): float(np.sum(per_example) / (m + 1)),
        LOGLOSS("log10"): float(np.mean(per_example) / np.log(10)),
        LOGLOSS("only_y1_term"): float(np.mean(-y * (z - np.logaddexp(0, z)))),
        LOGLOSS("labels_swapped"): float(np.mean(np.logaddexp(0, z) - (1 - y) * z)),
    }
    return _matching(found, ref.logistic_loss(X, y, w), variants, LOGLOSS("formula"))


@check("logistic_loss", "a small known value")
def logloss_public(ctx: Context) -> None:
    judge_public(ctx, "logistic_loss")  # assignment/contract/logistic_loss.yaml: public_case, as in the notebook


@check("logistic_loss", "values on new data and on the assignment's data")
def logloss_values(ctx: Context) -> None:
    cases = value_cases(ctx, ref.make_logistic_problem, ref.logistic_data)
    calls = [Call("logistic_loss", case) for case in cases]
    for call, obs, case in zip(calls, ctx.call(calls, substitutes("logistic_loss")), cases, strict=True):
        found = expect_scalar(obs, call, "one number, the mean binary cross-entropy")
        if not close(found, ref.logistic_loss(*case)):
            fail(f"the mean binary cross-entropy within rtol {RTOL:g}", f"{call.describe()} differs",
                 _logloss_likely(found, *case))


@check("logistic_loss", "finite and accurate for confident predictions (|z| up to 1000)")
def logloss_large(ctx: Context) -> None:
    m = 9
    X = np.hstack((np.ones((m, 1)), ctx.rng.normal(size=(m, 1))))
    X[:, 1] = np.sign(X[:, 1]) * (ctx.rng.uniform(200, 1000, size=m))  # |z| in the hundreds
    Y = (ctx.rng.random((m, 1)) < 0.5).astype(float)
    Y[0, 0], Y[1, 0] = 0.0, 1.0
    W = np.array([[0.0], [1.0]])
    call = Call("logistic_loss", (X, Y, W))
    [obs] = ctx.call([call], substitutes("logistic_loss"))
    found = expect_scalar(obs, call, "the loss for confident predictions")
    if not close(found, ref.logistic_loss(X, Y, W)):
        fail(f"the exact loss for confident predictions (rtol {RTOL:g})", f"{call.describe()} differs",
             LOGLOSS("unstable_for_confident"))
