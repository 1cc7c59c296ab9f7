"""What a check is, how it asks the student process for values, and how it says what is wrong.

A check is a function ``run(ctx)`` that returns on success and raises :class:`CheckFailed` with a message
for the student. Checks run in the grading process; they reach student code only through ``ctx.call``,
which sends plain arrays to the student process and gets plain data back.
"""

from __future__ import annotations

import html
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import assert_never

import numpy as np

from gdkit.autograder.checks import substitutes as helpers
from gdkit.autograder.checks.compare import (  # noqa: F401 - re-exported: checks import these from framework
    ATOL,
    RTOL,
    Comparison,
    close,
    compare,
    describe_call,
    mismatch,
    probabilities,
)
from gdkit.autograder.executor.session import ExecutorSession
from gdkit.autograder.observations import Observation, observe_batch


class CheckFailed(Exception):
    """A check's verdict: the message says what was expected, what was found and the likely mistake."""


@dataclass(frozen=True)
class Check:
    function: str  # the contract function this check grades
    name: str
    points: float
    public: bool  # public checks are the ones students can run themselves (gdkit check)
    run: Callable[[Context], None]

    @property
    def title(self) -> str:
        return f"{self.function}: {self.name}"


#: Every check's code, by (function, name); its points and visibility come from the function's declaration.
REGISTRY: dict[tuple[str, str], Callable[[Context], None]] = {}


def check(function: str, name: str):
    """Register the code of the check ``name`` of ``function``, declared in assignment/contract/<function>.yaml
    (points, visibility, order); ``gdkit.autograder.checks`` refuses code without a declaration and back."""

    def register(run: Callable[[Context], None]) -> Callable[[Context], None]:
        if (function, name) in REGISTRY:
            raise ValueError(f"two checks of {function} are named {name!r}")
        REGISTRY[(function, name)] = run
        return run

    return register


def public_args(function: str) -> tuple:
    """The arguments of ``function``'s public check, as its declaration gives them (lists become float64
    arrays): the same inputs the notebook's ``grader.check`` uses."""
    from gdkit.autograder.checks.contract import current

    return current()[function].public_case.arguments()


def substitutes(function: str) -> tuple[str, ...]:
    """The helpers ``function``'s probes substitute, as its declaration says."""
    from gdkit.autograder.checks.contract import current

    return current()[function].substitutes


@dataclass(frozen=True)
class Call:
    """One call of a student function: its name and positional arguments (arrays or plain numbers)."""

    fn: str
    args: tuple

    def describe(self) -> str:
        """The call as a student can read it, with shapes but no values (hidden inputs stay hidden)."""
        return describe_call(self.fn, self.args)


def _encode(arg):
    if isinstance(arg, np.ndarray):
        arr = np.asarray(arg, dtype=np.float64)
        return {"__array__": arr.ravel().tolist(), "shape": list(arr.shape)}
    return arg


class Context:
    """What a check gets: a random generator of its own and a way to call the student's functions."""

    def __init__(self, session: ExecutorSession, seed: int, check_title: str,
                 proven: frozenset[str] = frozenset()) -> None:
        self.session = session
        # One stream per (submission seed, check): adding a check never changes another check's inputs.
        self.rng = np.random.default_rng([seed, zlib.crc32(check_title.encode())])
        self.proven = proven

    def call(self, calls: Sequence[Call], substitute: Sequence[str] = ()) -> list[Observation]:
        """Run the calls in one forked child of the student process (one wall-clock limit for them all), with
        the grader's correct versions of the helpers named in ``substitute`` in place of the student's (stubs
        that call back to this process: see :mod:`gdkit.autograder.checks.substitutes`).

        A helper in ``proven`` (every one of its checks ran in this grade and passed) stays the student's own:
        it gives the reference's values to rounding, without a round trip to the grader for each of a descent's
        hundreds of calls. A wrong helper is still substituted, so it is still charged once."""
        substitute = [name for name in substitute if name not in self.proven]
        payload = [{"fn": c.fn, "args": [_encode(a) for a in c.args]} for c in calls]
        outcome = self.session.probe(payload, substitute, helpers.Helpers())
        return observe_batch(outcome, len(calls))


# Small, odd, non-square shapes: each hides a different bug when it is the only one tested (numerics notes).
SHAPES = ((7, 3), (11, 2), (5, 4), (13, 5))


def value_cases(ctx: Context, make_problem: Callable, assignment_data: Callable | None = None) -> list[tuple]:
    """(X, Y, W) on fresh random problems of each of SHAPES, then on the assignment's data if given."""
    cases = []
    for m, d in SHAPES:
        X, Y = make_problem(ctx.rng, m, d)
        cases.append((X, Y, ctx.rng.normal(size=(d, 1))))
    if assignment_data is not None:
        X, Y = assignment_data()
        cases.append((X, Y, ctx.rng.normal(size=(X.shape[1], 1))))
    return cases


# -- Messages ------------------------------------------------------------------------------------------------


def shown(text: str) -> str:
    """Text that came from the student's process, made safe for Markdown output (messages are Markdown; the
    terminal gets them through grade.plain_text, which undoes exactly these escapes)."""
    return html.escape(text.replace("`", "'")[:300], quote=False).replace("*", "&#42;")


def a_or_an(word: str) -> str:
    """``word`` with its indefinite article: "an Anything", "a Widget"."""
    return f"{'an' if word[:1].lower() in 'aeiou' and word[:1] else 'a'} {word}"


def fail(expected: str, found: str, likely: str = "") -> None:
    lines = [f"Expected: {expected}", f"Found: {found}"]
    if likely:
        lines.append(f"Likely mistake: {likely}")
    raise CheckFailed("\n".join(lines))


def _outcome_problem(obs: Observation, call: Call) -> tuple[str, str] | None:
    """(found, likely) for outcomes that are not a value at all."""
    where = call.describe()
    if obs.kind == "missing":
        return (f"{call.fn} is not defined" + ("" if obs.type_name == "undefined" else
                f" as a function (it is {a_or_an(shown(obs.type_name))})"),
                f"define `def {call.fn}(...)` with exactly this name, and run its cell without errors")
    if obs.kind == "none":
        return (f"{where} returned None",
                "it is not implemented yet (replace the ... with your code), or a `return` statement is missing")
    if obs.kind == "error":
        likely = "read the error: it happened inside your function"
        if "truth value of an array" in obs.error:
            likely = "`if not theta:` fails on arrays: write `if theta is None:`"
        elif "not aligned" in obs.error or "matmul" in obs.error or "mismatch" in obs.error:
            likely = "a matrix product with the wrong orientation: check X (m, d) @ W (d, 1) and X.T @ (m, 1)"
        return f"{where} raised {shown(obs.error)}", likely
    if obs.kind == "mutated":
        return (f"{where} tried to modify one of its input arrays in place",
                "inputs must stay unchanged: write `theta = theta - learn_rate * gradients` (not `-=`) "
                "and copy an array before changing it")
    if obs.kind == "timeout":
        return f"{where} did not return within the time limit", "an infinite loop, or far too much work per call"
    if obs.kind == "died":
        return f"{where} crashed the Python process", "exit(), os._exit() or a crash inside the function"
    if obs.kind == "sequence":
        return (f"{where} returned a tuple of {obs.length} items",
                "return only the requested value (gradient descent returns theta only)")
    if obs.kind == "too_big":
        return (f"{where} returned an array of shape {obs.shape}",
                "a broadcast between an (m,) and an (m, 1) array made a huge (m, m) result")
    if obs.kind == "unconvertible":
        return f"{where} returned {a_or_an(shown(obs.type_name))}, which is not a number or array", ""
    if obs.kind == "broken":
        return (f"{where} gave no readable answer",
                "the notebook interfered with the grader (replaced print, json, os, or closed files) or left "
                "processes running that used up its process limit")
    if obs.kind == "array":
        return None
    assert_never(obs.kind)


def _expect_float64(obs: Observation, call: Call) -> None:
    if obs.dtype in ("float32", "float16"):
        fail("float64 values (numpy's default)", f"{call.describe()} returned dtype {obs.dtype}",
             f"converting to {obs.dtype} keeps only about 7 significant digits: leave the arrays as float64")


def expect_array(obs: Observation, call: Call, shape: tuple[int, ...], what: str) -> np.ndarray:
    """The returned array, of exactly ``shape`` and all finite; otherwise a failure that names the mistake."""
    problem = _outcome_problem(obs, call)
    if problem:
        fail(f"{what} of shape {shape}", *problem)
    value = obs.value
    assert value is not None
    _expect_float64(obs, call)
    if value.shape != shape:
        likely = ""
        if value.shape == (shape[0],) and len(shape) == 2 and shape[1] == 1:
            likely = f"a 1-D ({shape[0]},) array instead of a ({shape[0]}, 1) column: keep 2-D column vectors"
        elif value.ndim == 2 and value.shape[0] == value.shape[1] and value.shape != shape:
            likely = ("a square result comes from a broadcast between an (m,) and an (m, 1) array: "
                      "keep y and predictions as (m, 1) columns")
        elif len(shape) == 2 and value.shape == shape[::-1]:
            likely = "the result is transposed"
        elif value.shape == () and shape != ():
            likely = "a single number was returned where an array was expected"
        fail(f"{what} of shape {shape}", f"{call.describe()} returned shape {value.shape}", likely)
    if not np.all(np.isfinite(value)):
        fail(f"{what} with finite values", f"{call.describe()} returned nan or inf values",
             "an overflow (np.exp of a large number, log of 0) or a division by zero")
    return value


def expect_scalar(obs: Observation, call: Call, what: str) -> float:
    """A single finite number (a Python float, a numpy scalar or a size-1 array)."""
    problem = _outcome_problem(obs, call)
    if problem:
        fail(what, *problem)
    value = obs.value
    assert value is not None
    _expect_float64(obs, call)
    if value.size != 1:
        likely = "a mean over all elements gives one number: use np.mean on the whole array"
        if value.ndim == 2 and value.shape[0] == value.shape[1]:
            likely = "a broadcast between an (m,) and an (m, 1) array: keep y and predictions as (m, 1) columns"
        fail(what, f"{call.describe()} returned an array of shape {value.shape}", likely)
    number = float(value.reshape(()))
    if not np.isfinite(number):
        fail(f"{what}, finite", f"{call.describe()} returned {number}",
             "an overflow (np.exp of a large number) or log of 0: use a numerically stable form")
    return number


def factor_of(found: np.ndarray, expected: np.ndarray) -> float | None:
    """The c with found ~= c * expected, when found is a scaled copy of expected; else None.

    Total: any shapes and any values (nan, inf, huge, zeros) give a number or None, never an exception.
    """
    found, expected = np.asarray(found, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if found.shape != expected.shape or not (np.all(np.isfinite(found)) and np.all(np.isfinite(expected))):
        return None
    with np.errstate(all="ignore"):
        denom = float(np.sum(expected * expected))
        if not 0 < denom < np.inf:
            return None
        c = float(np.sum(found * expected)) / denom
        residual = float(np.linalg.norm(found - c * expected))
        scale = float(np.linalg.norm(found))
    if not (np.isfinite(c) and np.isfinite(residual) and np.isfinite(scale)):
        return None
    return c if residual <= 1e-6 * max(scale, 1e-300) else None


# A float64 computation agrees with the reference to ~1e-13; one done in float32 agrees to ~1e-7 only.
FLOAT32_RTOL = 1e-5


def precision_likely(found: np.ndarray | float, expected: np.ndarray | float) -> str:
    """The float32 hint when ``found`` is right to float32's ~7 digits but not to float64's; else ""."""
    f, e = np.asarray(found, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if f.shape != e.shape or not np.all(np.isfinite(e)) or e.size == 0:
        return ""
    scale = float(np.max(np.abs(e)))
    if close(f, e) or not close(f, e, rtol=FLOAT32_RTOL, atol=FLOAT32_RTOL * scale):
        return ""
    return ("the values are right to about 7 significant digits only, float32's precision: something is "
            "computed in float32 (astype(np.float32) or dtype=np.float32); keep every array float64")


def _divisor_likely(c: float, rows: tuple[int, int], known: list[str]) -> list[str]:
    """Hints for a result divided by the wrong count, c = m / k for the k the student divided by, given the
    ``known`` mistakes that already match c (m from the columns gives the same c as some of them)."""
    m, d = rows
    if c == 0:
        return ["the result is all zeros: `2 // m` or `1 // m` is integer division (0 once m > 2); use `/`"]
    k = m / c
    if not (np.isfinite(k) and k >= 1.5 and abs(k - round(k)) <= 1e-6 * k) or round(k) in (m, m + 1):
        return known
    if round(k) == d:
        return ["m was taken from the number of columns (X.shape[1], the features); the number of examples is "
                "X.shape[0] or len(Y)", *known]
    if known:
        return known
    return [f"divided by {round(k)} whatever the data: a hard-coded number of rows; use m = len(Y), the "
            "rows of the X given to the function"]


def likely_from_factor(c: float | None, candidates: dict[str, float], rows: tuple[int, int] | None = None) -> str:
    """The known mistakes that scale the correct result by ``c`` (``rows``: the call's (m, d), for the hints
    about dividing by the wrong count); every match is named, since some mistakes give the same factor."""
    if c is None or not np.isfinite(c):
        return ""
    if abs(c - 1) < 1e-3:
        return "close but not within tolerance: a lower precision (float32) or an approximation somewhere"
    known = [explanation for explanation, value in candidates.items()
             if abs(c - value) <= 1e-6 * max(abs(value), 1.0)]
    hints = _divisor_likely(c, rows, known) if rows is not None else known
    if hints:
        return "; or ".join(hints)
    return f"your result is {c:.4g} times the correct one: check the constant factors"
