"""The value checks' tolerances separate float64 work from float32 work on every seed.

Grader-side only (no student process): the checks' own inputs, a correct answer computed in other orders,
and the same answer computed in float32. A tolerance between the two means a float32 submission fails
whatever its seed, and no float64 one does.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from gdkit import reference as ref
from gdkit.autograder.checks.framework import close, value_cases

SEEDS = range(60)


def _in_float32(fn):
    return lambda *args: np.asarray(fn(*(a.astype(np.float32) for a in args)), dtype=np.float64)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _naive_logloss(X, Y, W):
    p = _sigmoid(X @ W)
    return -np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p))


FUNCTIONS = {
    "compute_gradients": (
        ref.compute_gradients, ref.make_linear_problem, ref.linear_data,
        lambda X, Y, W: sum(2 * X[i:i + 1].T * (X[i] @ W - Y[i]) for i in range(len(Y))) / len(Y),
        lambda X, Y, W: 2 * (X.T @ X @ W - X.T @ Y) / len(Y),
    ),
    "compute_logistic_gradients": (
        ref.compute_logistic_gradients, ref.make_logistic_problem, ref.logistic_data,
        lambda X, Y, W: sum(X[i:i + 1].T * (_sigmoid(X[i] @ W) - Y[i]) for i in range(len(Y))) / len(Y),
        lambda X, Y, W: np.mean(X * (_sigmoid(X @ W) - Y), axis=0).reshape(-1, 1),
    ),
    "lin_reg_l2": (
        ref.lin_reg_l2, ref.make_linear_problem, ref.linear_data,
        lambda X, Y, W: (sum((float(X[i] @ W[:, 0]) - Y[i, 0]) ** 2 for i in range(len(Y))) / len(Y)) ** 0.5,
        lambda X, Y, W: np.linalg.norm(X @ W - Y) / np.sqrt(len(Y)),
    ),
    "logistic_loss": (
        ref.logistic_loss, ref.make_logistic_problem, ref.logistic_data,
        _naive_logloss,
        lambda X, Y, W: np.mean(np.log1p(np.exp(-np.abs(X @ W))) + np.maximum(X @ W, 0) - Y * (X @ W)),
    ),
}


def _cases(seed, make_problem, assignment_data):
    return value_cases(SimpleNamespace(rng=np.random.default_rng(seed)), make_problem, assignment_data)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_float64_variants_pass_on_every_seed(function):
    reference, make_problem, assignment_data, *variants = FUNCTIONS[function]
    for seed in SEEDS:
        for case in _cases(seed, make_problem, assignment_data):
            expected = reference(*case)
            for variant in variants:
                found = variant(*case)
                assert close(found, expected), (
                    f"{function}, seed {seed}: a correct float64 variant is rejected; "
                    f"max |difference| {np.max(np.abs(np.asarray(found) - expected)):.3e}")


@pytest.mark.parametrize("function", FUNCTIONS)
def test_float32_work_fails_on_every_seed(function):
    reference, make_problem, assignment_data, *_ = FUNCTIONS[function]
    in_float32 = _in_float32(reference)
    passed = [seed for seed in SEEDS
              if all(close(in_float32(*case), reference(*case))
                     for case in _cases(seed, make_problem, assignment_data))]
    assert passed == [], f"{function}: float32 work passes every value case for seeds {passed}"
