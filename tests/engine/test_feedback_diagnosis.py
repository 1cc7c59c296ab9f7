"""Every diagnosis helper is total: on any wrong output, finite or not, of any shape, it returns a hint or
nothing and never raises (a raise would turn a student's failure into "the grader hit an internal error").

Grader-side only: the helpers get random wrong outputs directly, on the checks' own kinds of inputs.
"""

from __future__ import annotations

import numpy as np
import pytest

from gdkit import reference as ref
from gdkit.autograder.checks import descent, gradients, losses, sigmoid
from gdkit.autograder.checks.framework import DIVISOR_IDS, factor_of, likely_from_factor, precision_likely

# The descent public check's case: 3 rows, separable, so the logistic optimum does not exist (its look-up raises).
X3 = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
Y3 = np.array([[0.0], [1.0], [1.0]])
WORDS = {diagnosis: gradients.LINEAR(diagnosis) for diagnosis in DIVISOR_IDS}  # as compute_gradients words them


def wrong_outputs(rng: np.random.Generator, like: np.ndarray, count: int = 40):
    """Random wrong outputs: other shapes, nan, inf, huge, tiny, zeros, and near-misses of ``like``."""
    specials = [np.nan, np.inf, -np.inf, 1e308, -1e308, 1e-320, 0.0]
    for _ in range(count):
        kind = rng.integers(0, 6)
        if kind == 0:  # any shape, including empty and 0-d
            shape = tuple(int(s) for s in rng.integers(0, 5, size=rng.integers(0, 4)))
            yield rng.normal(scale=10.0 ** rng.integers(-5, 5), size=shape)
        elif kind == 1:  # the right shape, special values sprinkled in
            out = like * rng.normal(size=like.shape)
            out[rng.random(like.shape) < 0.5] = rng.choice(specials)
            yield out
        elif kind == 2:
            yield np.full(like.shape, rng.choice(specials))
        elif kind == 3:  # a scaled or perturbed copy
            yield like * rng.choice([0.0, -1.0, 2.0, 1 + 1e-7, 1e300]) + rng.normal(scale=1e-12, size=like.shape)
        elif kind == 4:
            yield like.ravel()
        else:
            yield like.T.copy() if like.ndim == 2 else like[..., None]


@pytest.mark.parametrize("seed", range(4))
def test_framework_helpers_are_total(seed):
    rng = np.random.default_rng(seed)
    expected = rng.normal(size=(4, 1))
    for found in wrong_outputs(rng, expected):
        for exp in (expected, np.zeros_like(expected), np.full_like(expected, np.inf), np.zeros((0,))):
            c = factor_of(found, exp)
            assert c is None or np.isfinite(c)
            assert isinstance(likely_from_factor(c, gradients.linear_candidates(7), rows=(7, 4)), str)
            assert isinstance(likely_from_factor(c, gradients.linear_candidates(7), rows=(7, 4), words=WORDS), str)
            assert isinstance(precision_likely(found, exp), str)
        for c in (None, 0.0, np.nan, np.inf, -np.inf, 1e300, 7 / 3, 1e-300):
            assert isinstance(likely_from_factor(c, gradients.logistic_candidates(7), rows=(7, 3), words=WORDS), str)


@pytest.mark.parametrize("fn", ["compute_gradients", "compute_logistic_gradients"])
def test_gradient_hints_are_total(fn):
    rng = np.random.default_rng(1)
    candidates = gradients.linear_candidates if fn == "compute_gradients" else gradients.logistic_candidates
    for X, Y in ((X3, Y3), ref.make_logistic_problem(rng, 7, 3), ref.make_linear_problem(rng, 5, 4)):
        W = rng.normal(size=(X.shape[1], 1))
        for found in wrong_outputs(rng, ref.compute_gradients(X, Y, W)):
            assert isinstance(gradients.gradient_likely(fn, found, X, Y, W, candidates), str)


def test_sigmoid_hints_are_total():
    rng = np.random.default_rng(2)
    for z in (np.array([[-1000.0], [-40.0], [0.0], [40.0], [1000.0]]), rng.normal(scale=4, size=(3, 4))):
        for found in wrong_outputs(rng, ref.sigmoid(z)):
            assert isinstance(sigmoid._likely(found, z), str)


def test_loss_hints_are_total():
    rng = np.random.default_rng(3)
    for X, Y in ((X3, Y3), ref.make_logistic_problem(rng, 9, 3)):
        W = rng.normal(size=(X.shape[1], 1))
        for found in wrong_outputs(rng, np.array([[ref.logistic_loss(X, Y, W)]])):
            assert isinstance(losses._rmse_likely(found, X, Y, W), str)
            assert isinstance(losses._logloss_likely(found, X, Y, W), str)


@pytest.mark.parametrize("fn", ["gradient_descent", "logistic_gradient_descent"])
def test_descent_hints_are_total_also_where_no_optimum_exists(fn):
    reference, optimum = ((ref.gradient_descent, ref.linear_optimum) if fn == "gradient_descent"
                          else (ref.logistic_gradient_descent, ref.logistic_optimum))
    rng = np.random.default_rng(4)
    for X, Y in ((X3, Y3), ref.make_logistic_problem(rng, 9, 3, finite_optimum=True)):
        theta0 = rng.normal(size=(X.shape[1], 1))
        for n, t in ((1, None), (5, None), (5, theta0), (400, None)):
            for found in wrong_outputs(rng, reference(X, Y, 0.1, n, t), count=15):
                hint = descent.descent_likely(fn, reference, optimum, found, X, Y, 0.1, n, t)
                assert isinstance(hint, str)


def test_the_separable_case_gets_a_hint_not_an_exception():
    """What the public check of logistic_gradient_descent met: a wrong theta on X3, Y3 (no finite optimum)."""
    with pytest.raises(Exception):  # noqa: B017, PT011 - the look-up that used to escape really raises here
        ref.logistic_optimum(X3, Y3)
    found = ref.logistic_gradient_descent(X3, Y3, 0.1, 1) * 3.7
    hint = descent.descent_likely("logistic_gradient_descent", ref.logistic_gradient_descent, ref.logistic_optimum,
                                  found, X3, Y3, 0.1, 1, None)
    assert hint == descent.SAY["logistic_gradient_descent"]("update_rule")
