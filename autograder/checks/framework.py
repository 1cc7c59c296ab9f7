"""What a check is, how it asks the student process for values, and how it says what is wrong.

A check is a function ``run(ctx)`` that returns on success and raises :class:`CheckFailed` with a message
for the student. Checks run in the grading process; they reach student code only through ``ctx.call``,
which sends plain arrays to the student process and gets plain data back.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from gdkit.autograder.checks import public_judge
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
from gdkit.autograder.checks.public_judge import (  # noqa: F401 - re-exported: checks import these from framework
    DIVISOR_IDS,
    FLOAT32_RTOL,
    a_or_an,
    divisor_likely,
    factor_of,
    precision_likely,
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


#: The ids of the known mistakes each function's checks name, by function (registered by :func:`diagnoses` when
#: the check modules are imported); ``checks_for`` requires them to equal the ids the declarations word.
DIAGNOSES: dict[str, set[str]] = {}


def diagnoses(function: str, *ids: str) -> Callable[[str], str]:
    """Register the ids of ``function``'s known mistakes a module names; ``say(id)`` is their wording, from
    ``diagnoses:`` in assignment/contract/<function>.yaml (the one place a maintainer changes it)."""
    DIAGNOSES.setdefault(function, set()).update(ids)
    registered = frozenset(ids)

    def say(diagnosis: str) -> str:
        if diagnosis not in registered:  # a grader bug: the id must be registered, so that it is validated
            raise KeyError(f"the diagnosis {diagnosis!r} of {function} is not registered with diagnoses()")
        from gdkit.autograder.checks.contract import current

        return current()[function].diagnoses[diagnosis]

    return say


def check(function: str, name: str):
    """Register the code of the check ``name`` of ``function``, declared in assignment/contract/<function>.yaml
    (points, visibility, order); ``gdkit.autograder.checks`` refuses code without a declaration and back."""

    def register(run: Callable[[Context], None]) -> Callable[[Context], None]:
        if (function, name) in REGISTRY:
            raise ValueError(f"two checks of {function} are named {name!r}")
        REGISTRY[(function, name)] = run
        return run

    return register


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
        # The float64 bytes, in base64: exact as JSON's float lists are, and written many times faster.
        arr = np.ascontiguousarray(arg, dtype="<f8")
        return {"__f64__": base64.b64encode(arr.tobytes()).decode("ascii"), "shape": list(arr.shape)}
    return arg


class Context:
    """What a check gets: a random generator of its own and a way to call the student's functions."""

    def __init__(self, session: ExecutorSession, seed: int, check_title: str,
                 proven: frozenset[str] = frozenset(), draw: Sequence[int] = ()) -> None:
        self.session = session
        # One stream per (submission seed, check): adding a check never changes another check's inputs. A check
        # run again (``draw`` given, see runner) gets inputs of its own, unknown to the student's code: answers
        # it got from the grader's helpers in an earlier pass are useless to it.
        self.rng = np.random.default_rng([seed, zlib.crc32(check_title.encode()), *draw])
        self.proven = proven
        self.asked: set[str] = set()  # every helper a probe could substitute (proven or not): see runner

    def call(self, calls: Sequence[Call], substitute: Sequence[str] = (), *, always: bool = False) -> list[Observation]:
        """Run the calls in one forked child of the student process (one wall-clock limit for them all), with
        the grader's correct versions of the helpers named in ``substitute`` in place of the student's (stubs
        that call back to this process: see :mod:`gdkit.autograder.checks.substitutes`).

        A helper in ``proven`` (every one of its checks ran in this grade and passed) stays the student's own:
        it gives the reference's values to rounding, without a round trip to the grader for each of a descent's
        hundreds of calls. A wrong helper is still substituted, so it is still charged once. ``always``: substitute
        even proven helpers (the public checks, which must do what the notebook's check does)."""
        if not always:
            self.asked.update(substitute)
        substitute = [name for name in substitute if always or name not in self.proven]
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
    return html.escape(public_judge.student_text(text), quote=False).replace("*", "&#42;")


def returned(obs: Observation) -> public_judge.Returned:
    """An observation as the public judge reads it (the notebook describes its own call the same way)."""
    return public_judge.Returned(obs.kind, obs.value, obs.dtype, obs.type_name, obs.error, obs.length, obs.shape)


def fail(expected: str, found: str, likely: str = "") -> None:
    lines = [f"Expected: {expected}", f"Found: {found}"]
    if likely:
        lines.append(f"Likely mistake: {likely}")
    raise CheckFailed("\n".join(lines))


def _outcome_problem(obs: Observation, call: Call) -> tuple[str, str] | None:
    """(found, likely) for outcomes that are not a value at all (worded by the public judge, for every check)."""
    return public_judge.outcome_problem(returned(obs), call.fn, call.describe(), shown)


def _expect_float64(obs: Observation, call: Call) -> None:
    low = public_judge.dtype_problem(obs.dtype, call.describe())
    if low:
        fail(*low)


def expect_array(obs: Observation, call: Call, shape: tuple[int, ...], what: str) -> np.ndarray:
    """The returned array, of exactly ``shape`` and all finite; otherwise a failure that names the mistake."""
    problem = _outcome_problem(obs, call)
    if problem:
        fail(f"{what} of shape {shape}", *problem)
    value = obs.value
    assert value is not None
    _expect_float64(obs, call)
    if value.shape != shape:
        fail(f"{what} of shape {shape}", f"{call.describe()} returned shape {value.shape}",
             public_judge.shape_likely(value.shape, shape))
    if not np.all(np.isfinite(value)):
        fail(f"{what} with finite values", f"{call.describe()} returned nan or inf values",
             public_judge.NONFINITE_ARRAY)
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
        fail(what, f"{call.describe()} returned an array of shape {value.shape}",
             public_judge.size_likely(value.shape))
    number = float(value.reshape(()))
    if not np.isfinite(number):
        fail(f"{what}, finite", f"{call.describe()} returned {number}", public_judge.NONFINITE_NUMBER)
    return number


@lru_cache(maxsize=16)
def _public_case(function: str, folder: str) -> dict:
    from gdkit.autograder.checks.contract import current
    from gdkit.student_package import public_case

    return public_case(current()[function])


def judge_public(ctx: Context, function: str) -> None:
    """``function``'s public check: its declared public case (assignment/contract/<function>.yaml), with the
    values the build computes for the student package, judged by the judge the notebook's check runs."""
    from gdkit.autograder.checks.contract import default_folder

    case = _public_case(function, str(default_folder()))
    call = Call(function, tuple(public_judge.arguments(case)))
    [obs] = ctx.call([call], substitutes(function), always=True)
    found = dataclasses.replace(returned(obs), error=public_judge.public_place(obs.error))
    text = public_judge.judge(function, case, found, shown)
    if text is not None:
        raise CheckFailed(text)


def likely_from_factor(c: float | None, candidates: dict[str, float], rows: tuple[int, int] | None = None,
                       words: dict[str, str] | None = None) -> str:
    """The known mistakes that scale the correct result by ``c`` (``rows``: the call's (m, d), and ``words``
    the wording of public_judge.DIVISOR_IDS, for the hints about dividing by the wrong count); every match is
    named, since some mistakes give the same factor."""
    if c is None or not np.isfinite(c):
        return ""
    if abs(c - 1) < 1e-3:
        return "close but not within tolerance: a lower precision (float32) or an approximation somewhere"
    known = [explanation for explanation, value in candidates.items()
             if abs(c - value) <= 1e-6 * max(abs(value), 1.0)]
    hints = divisor_likely(c, rows, known, words) if rows is not None and words is not None else known
    if hints:
        return "; or ".join(hints)
    return f"your result is {c:.4g} times the correct one: check the constant factors"
