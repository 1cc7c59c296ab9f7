"""The sigmoid decision, measured on the checks' own inputs for many seeds (grader-side, no student process):
every usual float64 form is accepted, float32 work never is."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from gdkit import reference as ref
from gdkit.autograder.checks.compare import probabilities

SEEDS = range(60)
LARGE = np.array([[-1000.0], [-750.0], [-40.0], [-5.5], [5.5], [40.0], [750.0], [1000.0]])


def _textbook(z):
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-z))


def _where(z):
    ez = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + ez), ez / (1 + ez))


FLOAT64_FORMS = {
    "tanh": lambda z: 0.5 * (1 + np.tanh(0.5 * z)),
    "expit": expit,
    "np.where": _where,
    "textbook": _textbook,
    "logaddexp": lambda z: np.exp(-np.logaddexp(0, -z)),
}


def _inputs(seed: int) -> list[np.ndarray]:
    """What the values and large checks draw (same distributions)."""
    rng = np.random.default_rng(seed)
    zs = [rng.normal(scale=4, size=shape) for shape in ((7, 1), (5,), (3, 4))]
    return [*zs, LARGE * rng.uniform(0.95, 1.0, size=LARGE.shape)]


@pytest.mark.parametrize("form", FLOAT64_FORMS)
def test_every_float64_form_is_accepted_on_every_seed(form):
    for seed in SEEDS:
        for z in _inputs(seed):
            result = probabilities(FLOAT64_FORMS[form](z), ref.sigmoid(z))
            assert result, f"{form}, seed {seed}: {result.describe()}"


def test_float32_work_is_rejected_on_every_seed():
    def in_float32(z):
        return _textbook(z.astype(np.float32)).astype(np.float64)

    for seed in SEEDS:
        values_check = _inputs(seed)[:3]
        assert not all(probabilities(in_float32(z), ref.sigmoid(z)) for z in values_check), seed
