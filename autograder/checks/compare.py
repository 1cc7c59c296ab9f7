"""One comparison of a result with the expected one: the verdict and its numpy.testing-style description.

Pure numpy, no grader imports: the same module decides student-side checks. The verdict and the text come
from the same element-wise mask, so a failure can never be described as "0 of 8 elements differ".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

# Value tolerances. Float64 implementations in any order agree with the reference to about 1e-13 on the
# checks' inputs; computing in float32 anywhere costs at least 1e-8. Between the two, so the verdict does
# not depend on the submission's seed (tests/engine/test_tolerances.py measures both sides).
RTOL = 1e-9
ATOL = 1e-12


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing ``found`` with ``expected``: truthy when they agree within tolerance."""

    ok: bool
    found_shape: tuple[int, ...]
    expected_shape: tuple[int, ...]
    differ: int  # elements outside the tolerance (0 when the shapes differ: nothing was compared)
    size: int
    nonfinite: int  # elements of found that are nan or inf
    max_abs: float
    max_rel: float
    out_of_range: int = 0  # elements outside the valid range (probabilities outside [0, 1])

    def __bool__(self) -> bool:
        return self.ok

    def describe(self) -> str:
        """What differs, numpy.testing style, without showing either side's values."""
        if self.found_shape != self.expected_shape:
            return f"shape {self.found_shape} instead of {self.expected_shape}"
        if self.ok:
            return f"all {self.size} elements agree within tolerance"
        if self.out_of_range and not self.differ:
            return f"{self.out_of_range} of {self.size} values outside [0, 1]"
        verb = "differs" if self.differ == 1 else "differ"
        text = f"{self.differ} of {self.size} elements {verb}"
        if self.nonfinite:
            text += f" ({self.nonfinite} nan or inf)"
        return f"{text}; max absolute difference {self.max_abs:.2e}, max relative difference {self.max_rel:.2e}"


def compare(found: object, expected: object, rtol: float = RTOL, atol: float = ATOL) -> Comparison:
    """Element-wise ``|found - expected| <= atol + rtol * |expected|``; nan matches only nan, inf only itself.

    Never raises on numeric input of any shape, finite or not; inputs are not modified.
    """
    f = np.asarray(found, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    nonfinite = int(np.count_nonzero(~np.isfinite(f)))
    if f.shape != e.shape:
        return Comparison(False, f.shape, e.shape, 0, e.size, nonfinite, float("nan"), float("nan"))
    with np.errstate(all="ignore"):
        diff = np.abs(f - e)
        within = diff <= atol + rtol * np.abs(e)
        same = (f == e) | (np.isnan(f) & np.isnan(e))  # equal infinities have a nan difference
        agree = within | same
        differ = int(np.count_nonzero(~agree))
        bad = diff[~agree]
        max_abs = float(np.max(np.where(np.isnan(bad), np.inf, bad))) if bad.size else 0.0
        rel = diff / np.abs(e)
        rel_bad = rel[~agree & (e != 0)]
        max_rel = float(np.max(np.where(np.isnan(rel_bad), np.inf, rel_bad))) if rel_bad.size else (
            float("inf") if differ else 0.0)
    return Comparison(differ == 0, f.shape, e.shape, differ, e.size, nonfinite, max_abs, max_rel)


def close(found: object, expected: object, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Whether ``found`` has ``expected``'s shape and agrees with it element-wise within the tolerance."""
    return compare(found, expected, rtol, atol).ok


def mismatch(found: object, expected: object, rtol: float = RTOL, atol: float = ATOL) -> str:
    """How far apart two arrays are, numpy.testing style, without showing the expected values."""
    return compare(found, expected, rtol, atol).describe()


def probabilities(found: object, expected: object, rtol: float = RTOL, atol: float = 1e-15) -> Comparison:
    """Sigmoid values: probabilities, so an absolute error up to about 1e-15 is accepted (tiny values such as
    the tanh form's 1e-16 for exp(-40) are as good as exact), as long as every value is finite and in [0, 1]."""
    result = compare(found, expected, rtol, atol)
    f = np.asarray(found, dtype=np.float64)
    if f.shape != result.expected_shape:
        return result
    with np.errstate(invalid="ignore"):
        outside = int(np.count_nonzero(~((f >= 0) & (f <= 1))))
    if outside:
        return dataclasses.replace(result, ok=False, out_of_range=outside)
    return result


def describe_call(function: str, args: tuple | list) -> str:
    """A call as a student can read it, with shapes but no values (hidden inputs stay hidden); shared by the
    grader's messages and the student package's, so both name a call the same way."""
    parts = []
    for arg in args:
        if isinstance(arg, np.ndarray):
            parts.append(f"array of shape {arg.shape}")
        elif isinstance(arg, float):
            parts.append("a float")
        elif isinstance(arg, int):
            parts.append("an int")
        else:
            parts.append(type(arg).__name__)
    return f"{function}({', '.join(parts)})"
