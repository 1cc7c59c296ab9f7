"""Checks of sigmoid: known values, shapes kept, accuracy, and stability for |z| up to 1000."""

from __future__ import annotations

import numpy as np

from gdkit import reference as ref
from gdkit.autograder.checks.framework import (
    Call,
    Context,
    check,
    close,
    diagnoses,
    expect_array,
    fail,
    judge_public,
    precision_likely,
    probabilities,
    substitutes,
)

# Beyond this |z| the probability is within 1e-13 of 0 or 1: errors only there come from the tails' handling.
LARGE_Z = 30.0

# The known mistakes these checks name, worded in sigmoid's declaration (diagnoses:)
SAY = diagnoses("sigmoid", "overflow_nan", "outside_0_1", "sign_flipped", "only_exp", "tanh", "wrong_for_large_z",
                "formula")


def _likely(found: np.ndarray, z: np.ndarray) -> str:
    """The likely mistake behind wrong sigmoid values ``found`` for ``z``, or "".

    Total: a ``found`` of any shape or values (nan, inf, huge) gives a hint or "", never an exception.
    """
    found, z = np.asarray(found, dtype=np.float64), np.asarray(z, dtype=np.float64)
    if found.shape != z.shape:
        return ""
    with np.errstate(all="ignore"):
        expected = ref.sigmoid(z)
        if not np.all(np.isfinite(found)):
            return SAY("overflow_nan")
        outside = (found < 0) | (found > 1)
        if np.any(outside):
            return SAY("outside_0_1")
        hint = precision_likely(found, expected)
        if hint:
            return hint
        if close(found, ref.sigmoid(-z)):
            return SAY("sign_flipped")
        if close(found, np.exp(-z)) or close(found, np.exp(z)):
            return SAY("only_exp")
        if close(found, np.tanh(z)):
            return SAY("tanh")
        wrong = np.abs(found - expected) > 1e-15 + 1e-9 * np.abs(expected)
        if np.any(wrong) and np.all(np.abs(z[wrong]) >= LARGE_Z):
            return SAY("wrong_for_large_z")
    return SAY("formula")


@check("sigmoid", "known values, same shape as z")
def public(ctx: Context) -> None:
    judge_public(ctx, "sigmoid")  # assignment/contract/sigmoid.yaml: public_case, judged as in the notebook


# Sigmoid values are probabilities: any absolute error up to about 1e-15, values finite and in [0, 1], is as
# good as exact (the tanh form's 1e-16 where the exact value is 4e-18); see compare.probabilities.


@check("sigmoid", "values on arrays of several shapes")
def values(ctx: Context) -> None:
    zs = [ctx.rng.normal(scale=4, size=shape) for shape in ((7, 1), (5,), (3, 4))]
    calls = [Call("sigmoid", (z,)) for z in zs]
    for call, obs, z in zip(calls, ctx.call(calls, substitutes("sigmoid")), zs, strict=True):
        found = expect_array(obs, call, z.shape, "an array the shape of z")
        result = probabilities(found, ref.sigmoid(z))
        if not result:
            fail("1 / (1 + exp(-z)) element-wise, within an absolute 1e-15 or a relative 1e-9, all in [0, 1]",
                 f"{call.describe()}: {result.describe()}", _likely(found, z))


@check("sigmoid", "finite and accurate for |z| up to 1000")
def large(ctx: Context) -> None:
    z = np.array([[-1000.0], [-750.0], [-40.0], [-5.5], [5.5], [40.0], [750.0], [1000.0]])
    z = z * ctx.rng.uniform(0.95, 1.0, size=z.shape)
    call = Call("sigmoid", (z,))
    [obs] = ctx.call([call], substitutes("sigmoid"))
    found = expect_array(obs, call, z.shape, "values in [0, 1] for every z")
    result = probabilities(found, ref.sigmoid(z))
    if not result:
        fail("values within an absolute 1e-15 of 1 / (1 + exp(-z)), in [0, 1], also for very large and very "
             "negative z", f"{call.describe()}: {result.describe()}", _likely(found, z))
