"""Run one public case on the student's function and judge it as the grader's public check does: the same
inputs (read-only, so an in-place update is caught), the same judge (``public_judge.py``, copied in by the
build: the verdict and the message are the grader's). Helpers the grader substitutes are replaced, for the call
only, by look-ups of the values the correct computation needs (computed at build time), so a wrong helper is
charged on its own question only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np

from .public_judge import Returned, arguments, judge, place

CASES = Path(__file__).with_name("cases.json")
LOOKUP_RTOL = 1e-12


class OffTheCorrectPath(Exception):  # noqa: N818 - the student reads this name in the error
    """A substituted helper was asked for a value the correct computation never needs."""


@lru_cache(maxsize=1)
def cases() -> dict:
    return json.loads(CASES.read_text(encoding="utf-8"))


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


def returned(result: object) -> Returned:
    """What a call returned, described as the grader's student process describes it (executor/runtime.py)."""
    if result is None:
        return Returned("none", type_name="NoneType")
    if isinstance(result, tuple) and not all(isinstance(v, int | float) for v in result):
        return Returned("sequence", type_name="tuple", length=len(result))
    try:
        raw = np.asarray(result)
        value = np.array(raw, dtype=np.float64)
    except Exception:  # noqa: BLE001 - anything that is not numbers
        return Returned("unconvertible", type_name=type(result).__name__[:60])
    return Returned("array", value, str(raw.dtype), type(result).__name__[:60], shape=value.shape)


def _where(exc: BaseException) -> str:
    """The line, in its notebook cell, where the student's code raised (as the grader says it), or ""."""
    line = 0
    tb = exc.__traceback__
    while tb is not None:  # the innermost frame in a notebook cell (IPython's cell files)
        name = tb.tb_frame.f_code.co_filename
        if "ipykernel_" in name or name.startswith("<ipython-input"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return place(line) if line else ""


def run(function: str, implementation: object, case: dict) -> Returned:
    """Call ``implementation`` on ``case``'s arguments, with the grader's substitutes; what came back."""
    if not callable(implementation):
        return Returned("missing", type_name="undefined" if implementation is None else
                        type(implementation).__name__[:60])
    with _substituted(implementation, function, case["substitutes"]), np.errstate(all="ignore"):
        try:
            result = implementation(*arguments(case))
        except Exception as exc:  # noqa: BLE001 - any error is the student's, reported as such
            mutated = isinstance(exc, ValueError) and "read-only" in str(exc)
            return Returned("mutated" if mutated else "error",
                            error=f"{type(exc).__name__}: {str(exc)[:300]}{_where(exc)}")
    return returned(result)


def check(function: str, implementation: object) -> None:
    """Run ``function``'s public case on ``implementation``; return if it passes, else raise an AssertionError
    (which Otter shows) saying what was expected, what was found and the likely mistake."""
    case = cases()[function]
    text = judge(function, case, run(function, implementation, case))
    if text is not None:
        raise AssertionError(text)
