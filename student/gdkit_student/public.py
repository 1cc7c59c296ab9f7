"""Run one public case on the student's function and judge it as the grader's public check does: the same
inputs (read-only, so an in-place update is caught), the same shape, dtype and finiteness rules, the same
comparison. Helpers the grader substitutes are replaced, for the call only, by look-ups of the values the
correct computation needs (computed at build time), so a wrong helper is charged on its own question only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import compare as comparison

CASES = Path(__file__).with_name("cases.json")
LOOKUP_RTOL = 1e-12


class OffTheCorrectPath(Exception):  # noqa: N818 - the student reads this name in the error
    """A substituted helper was asked for a value the correct computation never needs."""


@lru_cache(maxsize=1)
def cases() -> dict:
    return json.loads(CASES.read_text(encoding="utf-8"))


def _arguments(case: dict) -> list:
    args = []
    for arg in case["args"]:
        if isinstance(arg, list):
            arr = np.array(arg, dtype=np.float64)
            arr.setflags(write=False)  # as in the grader: writing into an input raises
            args.append(arr)
        else:
            args.append(arg)
    return args


def _describe(function: str, args: list) -> str:
    return comparison.describe_call(function, args)


def _fail(expected: str, found: str, likely: str = "", note: str = "") -> None:
    lines = [f"Expected: {expected}", f"Found: {found}"]
    if likely:
        lines.append(f"Likely mistake: {likely}")
    if note:
        lines.append(note)
    raise AssertionError("\n".join(lines))  # what Otter shows for a failing check


def _matches(given: object, stored: object) -> bool:
    if isinstance(stored, list):
        try:
            found = np.asarray(given, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        expected = np.array(stored, dtype=np.float64)
        return found.shape == expected.shape and bool(np.allclose(found, expected, rtol=LOOKUP_RTOL, atol=1e-15))
    return given == stored


def _lookup(helper: str, function: str, table: dict) -> Callable:
    """The correct ``helper`` at the points the correct ``function`` visits, and nowhere else."""

    def off_path() -> OffTheCorrectPath:
        return OffTheCorrectPath(
            f"the correct {helper}, used in this check in place of yours, is known here only at the points the "
            f"correct {function} visits, and was asked at another one: check which theta you pass to {helper} "
            f"(the current one, before the update) and how many updates you make")

    if table["elementwise"]:
        zs = np.array(table["inputs"], dtype=np.float64)
        values = np.array(table["values"], dtype=np.float64)

        def elementwise(z: object) -> np.ndarray:
            z = np.asarray(z, dtype=np.float64)
            flat = z.ravel()
            out = np.empty_like(flat)
            for i, v in enumerate(flat):
                hit = np.flatnonzero(np.isclose(zs, v, rtol=LOOKUP_RTOL, atol=1e-15))
                if hit.size == 0:
                    raise off_path()
                out[i] = values[hit[0]]
            return out.reshape(z.shape)

        return elementwise

    def correct(*args: object) -> object:
        for entry in table["entries"]:
            if len(args) == len(entry["args"]) and all(map(_matches, args, entry["args"])):
                value = entry["value"]
                return np.array(value, dtype=np.float64) if isinstance(value, list) else value
        raise off_path()

    return correct


@contextmanager
def _substituted(implementation: Callable, function: str, tables: dict) -> Iterator[None]:
    """The helpers in ``tables`` replaced in the namespace ``implementation`` looks names up in, for the call."""
    namespace = getattr(implementation, "__globals__", None)
    if namespace is None or not tables:
        yield
        return
    missing = object()
    saved = {name: namespace.get(name, missing) for name in tables}
    try:
        for name, table in tables.items():
            namespace[name] = _lookup(name, function, table)
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


def _error_likely(text: str) -> str:
    if "truth value of an array" in text:
        return "`if not theta:` fails on arrays: write `if theta is None:`"
    if "not aligned" in text or "matmul" in text or "mismatch" in text:
        return "a matrix product with the wrong orientation: check X (m, d) @ W (d, 1) and X.T @ (m, 1)"
    if "OffTheCorrectPath" in text:
        return ""
    return "read the error: it happened inside your function"


def _shape_likely(shape: tuple, wanted: tuple) -> str:
    if shape == (wanted[0],) and len(wanted) == 2 and wanted[1] == 1:
        return f"a 1-D ({wanted[0]},) array instead of a ({wanted[0]}, 1) column: keep 2-D column vectors"
    if len(shape) == 2 and shape[0] == shape[1] and shape != wanted:
        return ("a square result comes from a broadcast between an (m,) and an (m, 1) array: keep y and "
                "predictions as (m, 1) columns")
    if len(wanted) == 2 and shape == wanted[::-1]:
        return "the result is transposed"
    if shape == () and wanted != ():
        return "a single number was returned where an array was expected"
    return ""


def check(function: str, implementation: object) -> None:
    """Run ``function``'s public case on ``implementation``; return if it passes, else raise an AssertionError
    (which Otter shows) saying what was expected, what was found and the likely mistake."""
    case = cases()[function]
    tables = case["substitutes"]
    note = (f"(This check uses the correct {', '.join(tables)} in place of yours, as the grade does: "
            f"each function is graded on its own.)") if tables else ""
    wanted = tuple(case["shape"])
    what = "one number" if case["returns"] == "number" else f"an array of shape {wanted}"
    if not callable(implementation):
        found = f"{function} is not defined" + ("" if implementation is None else
                                                f" as a function (it is a {type(implementation).__name__})")
        _fail(what, found, f"define `def {function}(...)` with exactly this name, and run its cell without errors")
    args = _arguments(case)
    call = _describe(function, args)
    assert callable(implementation)
    with _substituted(implementation, function, tables), np.errstate(all="ignore"):
        try:
            result = implementation(*args)
        except Exception as exc:  # noqa: BLE001 - any error is the student's, reported as such
            text = f"{type(exc).__name__}: {str(exc)[:300]}"
            if isinstance(exc, ValueError) and "read-only" in str(exc):
                _fail(what, f"{call} tried to modify one of its input arrays in place",
                      "inputs must stay unchanged: write `theta = theta - learn_rate * gradients` (not `-=`) "
                      "and copy an array before changing it", note)
            _fail(what, f"{call} raised {text}", _error_likely(text), note)
    _judge(case, result, call, what, wanted, note)


def _judge(case: dict, result: object, call: str, what: str, wanted: tuple, note: str) -> None:
    if result is None:
        _fail(what, f"{call} returned None",
              "it is not implemented yet (replace the ... with your code), or a `return` statement is missing")
    if isinstance(result, tuple) and not all(isinstance(v, int | float) for v in result):
        _fail(what, f"{call} returned a tuple of {len(result)} items",
              "return only the requested value (gradient descent returns theta only)", note)
    try:
        raw = np.asarray(result)
        value = np.array(raw, dtype=np.float64)
    except Exception:  # noqa: BLE001 - anything that is not numbers
        _fail(what, f"{call} returned a {type(result).__name__}, which is not a number or array", "", note)
    if raw.dtype in (np.float32, np.float16):
        _fail("float64 values (numpy's default)", f"{call} returned dtype {raw.dtype}",
              f"converting to {raw.dtype} keeps only about 7 significant digits: leave the arrays as float64", note)
    expected = np.array(case["expected"], dtype=np.float64)
    if case["returns"] == "number":
        if value.size != 1:
            _fail(what, f"{call} returned an array of shape {value.shape}",
                  "a mean over all elements gives one number: use np.mean on the whole array", note)
        value = value.reshape(())
        if not np.isfinite(value):
            _fail(f"{what}, finite", f"{call} returned {float(value)}",
                  "an overflow (np.exp of a large number) or log of 0: use a numerically stable form", note)
    else:
        if value.shape != wanted:
            _fail(what, f"{call} returned shape {value.shape}", _shape_likely(value.shape, wanted), note)
        if not np.all(np.isfinite(value)):
            _fail(f"{what} with finite values", f"{call} returned nan or inf values",
                  "an overflow (np.exp of a large number, log of 0) or a division by zero", note)
    judged = (comparison.probabilities if case["compare"] == "probabilities" else comparison.compare)(value, expected)
    if not judged:
        _fail(f"{np.array2string(expected.ravel(), precision=10)}",
              f"{np.array2string(value.ravel(), precision=10)}: {judged.describe()}", _known_mistake(case, value),
              note)


def _known_mistake(case: dict, value: np.ndarray) -> str:
    """The declared mistake whose result on this case equals the student's, if one does."""
    for mistake in case.get("mistakes", []):
        if comparison.close(value, np.array(mistake["value"], dtype=np.float64)):
            return mistake["say"]
    return ""
