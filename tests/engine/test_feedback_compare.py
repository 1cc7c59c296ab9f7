"""One comparison gives both the verdict and its text: a failure always counts at least one differing element."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from gdkit.autograder.checks import compare as compare_module
from gdkit.autograder.checks.compare import compare, mismatch, probabilities
from gdkit.autograder.checks.framework import close


def _random_pairs(seed: int):
    rng = np.random.default_rng(seed)
    for _ in range(400):
        shape = tuple(rng.integers(1, 5, size=rng.integers(0, 3)))
        expected = rng.normal(scale=10.0 ** rng.integers(-20, 5), size=shape)
        kind = rng.integers(0, 6)
        noise = rng.normal(scale=10.0 ** rng.integers(-18, 0), size=shape)
        found = expected + noise if kind else expected.copy()
        if kind == 2:
            found = np.where(rng.random(shape) < 0.3, np.nan, found)
        if kind == 3:
            found = np.where(rng.random(shape) < 0.3, np.inf, found)
        rtol, atol = 10.0 ** rng.integers(-12, -3), 10.0 ** rng.integers(-300, -6)
        yield found, expected, rtol, atol


@pytest.mark.parametrize("seed", range(3))
def test_a_failure_never_says_zero_elements_differ(seed):
    for found, expected, rtol, atol in _random_pairs(seed):
        result = compare(found, expected, rtol, atol)
        text = result.describe()
        assert bool(result) == close(found, expected, rtol, atol)
        if not result:
            assert result.differ >= 1, text
            assert not text.startswith("0 of"), text
            assert text == mismatch(found, expected, rtol, atol)
        else:
            assert "differ" not in text


def test_the_tanh_sigmoid_case_that_used_to_read_0_of_8_differ():
    """The old message used the default tolerance, the verdict atol=1e-300: '0 of 8 elements differ', failed."""
    z = np.array([[-1000.0], [-750.0], [-40.0], [-5.5], [5.5], [40.0], [750.0], [1000.0]])
    exact = np.exp(-np.logaddexp(0, -z))
    tanh_form = 0.5 * (1 + np.tanh(0.5 * z))
    strict = compare(tanh_form, exact, rtol=1e-9, atol=1e-300)
    assert not strict and strict.describe().startswith("1 of 8 elements differs"), strict.describe()
    assert probabilities(tanh_form, exact)  # the sigmoid decision: absolute error up to 1e-15 is fine


def test_description_counts_nan_and_reports_shapes():
    text = compare(np.array([1.0, np.nan]), np.array([1.0, 2.0])).describe()
    assert text.startswith("1 of 2 elements differs (1 nan or inf)"), text
    assert compare(np.zeros(3), np.zeros((3, 1))).describe() == "shape (3,) instead of (3, 1)"
    assert compare(np.array([np.inf]), np.array([np.inf]))  # equal infinities agree
    assert compare(np.array([np.nan]), np.array([np.nan]))


def test_probabilities_must_be_in_the_unit_interval():
    inside = probabilities(np.array([0.0, 1.0]), np.array([0.0, 1.0]))
    outside = probabilities(np.array([-1e-16, 1.0 + 2e-16]), np.array([0.0, 1.0]))
    assert inside and not outside
    assert outside.describe() == "2 of 2 values outside [0, 1]"


def test_inputs_are_not_modified():
    found, expected = np.array([[1.0], [np.nan]]), np.array([[2.0], [3.0]])
    before = found.copy(), expected.copy()
    compare(found, expected).describe()
    np.testing.assert_array_equal(found, before[0])
    np.testing.assert_array_equal(expected, before[1])


def test_compare_is_pure_numpy():
    """It ships to students: no import of the grader, only the standard library and numpy."""
    tree = ast.parse(Path(compare_module.__file__).read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "dataclasses", "numpy"}, imported
