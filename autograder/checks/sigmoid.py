"""Checks of sigmoid: known values, shapes kept, accuracy, and stability for |z| up to 1000."""

from __future__ import annotations

import numpy as np

from gdkit import reference as ref
from gdkit.autograder.checks.framework import Call, Context, check, close, expect_array, fail, mismatch


def _likely(found: np.ndarray, z: np.ndarray) -> str:
    if close(found, ref.sigmoid(-z)):
        return "the sign is flipped: sigmoid(z) = 1 / (1 + exp(-z)), with a minus"
    if close(found, np.exp(-z)) or close(found, np.exp(z)):
        return "only the exponential: sigmoid(z) = 1 / (1 + exp(-z))"
    if close(found, np.tanh(z)):
        return "that is tanh: sigmoid(z) = 1 / (1 + exp(-z))"
    return "sigmoid(z) = 1 / (1 + exp(-z)), element-wise"


@check("sigmoid", "known values, same shape as z", 0.5, public=True)
def public(ctx: Context) -> None:
    z = np.array([[0.0], [2.0], [-1.0]])
    call = Call("sigmoid", (z,))
    [obs] = ctx.call([call])
    found = expect_array(obs, call, (3, 1), "an array the shape of z")
    expected = ref.sigmoid(z)
    if not close(found, expected):
        fail(f"{np.array2string(expected.ravel(), precision=10)}", f"{np.array2string(found.ravel(), precision=10)}",
             _likely(found, z))


@check("sigmoid", "values on arrays of several shapes", 0.75)
def values(ctx: Context) -> None:
    zs = [ctx.rng.normal(scale=4, size=shape) for shape in ((7, 1), (5,), (3, 4))]
    calls = [Call("sigmoid", (z,)) for z in zs]
    for call, obs, z in zip(calls, ctx.call(calls), zs, strict=True):
        found = expect_array(obs, call, z.shape, "an array the shape of z")
        expected = ref.sigmoid(z)
        if not close(found, expected, rtol=1e-9, atol=1e-15):
            fail("1 / (1 + exp(-z)) element-wise, within rtol 1e-9", f"{call.describe()}: {mismatch(found, expected)}",
                 _likely(found, z))


@check("sigmoid", "finite and accurate for |z| up to 1000", 0.75)
def large(ctx: Context) -> None:
    z = np.array([[-1000.0], [-750.0], [-40.0], [-5.5], [5.5], [40.0], [750.0], [1000.0]])
    z = z * ctx.rng.uniform(0.95, 1.0, size=z.shape)
    call = Call("sigmoid", (z,))
    [obs] = ctx.call([call])
    found = expect_array(obs, call, z.shape, "values in [0, 1] for every z")
    expected = ref.sigmoid(z)
    if not close(found, expected, rtol=1e-9, atol=1e-300):
        fail("values within rtol 1e-9 of 1 / (1 + exp(-z)), also for very large and very negative z",
             f"{call.describe()}: {mismatch(found, expected)}",
             "exp(z) / (1 + exp(z)) is nan for large z; 1 / (1 + np.exp(-z)) or "
             "np.exp(-np.logaddexp(0, -z)) stay correct")
