"""The one judge of a public check: given the public case and what came back from the student's function, the
failure text (Expected / Found / Likely mistake / note) or None.

Pure Python and numpy, no grader imports: ``gdkit build`` copies it into the student package next to
``compare.py``, so the notebook's ``grader.check`` and the grader's public checks (``gdkit check``, Gradescope)
word a result with the same code, from the same case (``gdkit/student_package.py`` computes it). The wording of
outcomes that are not a value (an error, None, a tuple...) and of shapes lives here too: the hidden checks use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, assert_never

import numpy as np

from .compare import close, compare, describe_call, probabilities

# A float64 computation agrees with the reference to ~1e-13; one done in float32 agrees to ~1e-7 only.
FLOAT32_RTOL = 1e-5


# What a call can give; the grader's observations (autograder/observations.py) have the same kinds, and mypy
# checks that every one is worded (outcome_problem ends in assert_never).
Kind = Literal["array", "none", "sequence", "error", "mutated", "missing", "timeout", "died", "unconvertible",
               "too_big", "broken"]


@dataclass(frozen=True)
class Returned:
    """What one call gave, as plain data (the grader's Observation, or the notebook's own call described).

    kind: ``array`` (``value`` holds it as float64, ``dtype`` the dtype returned), ``none``, ``sequence`` (a
    tuple of ``length`` items), ``error`` (``error``: "Type: text"), ``mutated`` (wrote into a read-only input),
    ``missing`` (``type_name`` of what the name holds, "undefined" if nothing), ``timeout``, ``died``,
    ``unconvertible`` (``type_name``), ``too_big`` (``shape``), ``broken``.
    """

    kind: Kind
    value: np.ndarray | None = None
    dtype: str = ""
    type_name: str = ""
    error: str = ""
    length: int = 0
    shape: tuple[int, ...] | None = None


# Where an error happened, as a public check words it: the grader's executor names the code cell and line
# ("(code cell 4, line 3)"), a notebook's kernel knows only the line in its cell, so both say only that.
_GRADER_PLACE = re.compile(r" \(code cell \d+, line (\d+)\)$")


def public_place(error: str) -> str:
    """The grader's error text with its place worded as the notebook's check words it (see :func:`place`)."""
    return _GRADER_PLACE.sub(lambda m: place(int(m.group(1))), error)


def place(line: int) -> str:
    return f" (line {line} of the cell where it happened)"


def student_text(text: str) -> str:
    """Text from the student's code as a message quotes it (no backticks, which would open Markdown code)."""
    return text.replace("`", "'")[:300]


def a_or_an(word: str) -> str:
    """``word`` with its indefinite article: "an Anything", "a Widget"."""
    return f"{'an' if word[:1].lower() in 'aeiou' and word[:1] else 'a'} {word}"


def error_likely(error: str) -> str:
    """The likely mistake behind an error raised inside the student's function."""
    if "truth value of an array" in error:
        return "`if not theta:` fails on arrays: write `if theta is None:`"
    if "not aligned" in error or "matmul" in error or "mismatch" in error:
        return "a matrix product with the wrong orientation: check X (m, d) @ W (d, 1) and X.T @ (m, 1)"
    if "OffTheCorrectPath" in error:  # the student package's own explanation says it all
        return ""
    return "read the error: it happened inside your function"


def outcome_problem(returned: Returned, function: str, where: str,
                    shown: Callable[[str], str] = student_text) -> tuple[str, str] | None:
    """(found, likely) for an outcome that is not a value at all; None for an array. ``where`` is the call as
    the student reads it, ``shown`` makes the student's own text safe for the message's format."""
    kind = returned.kind
    if kind == "missing":
        return (f"{function} is not defined" + ("" if returned.type_name == "undefined" else
                f" as a function (it is {a_or_an(shown(returned.type_name))})"),
                f"define `def {function}(...)` with exactly this name, and run its cell without errors")
    if kind == "none":
        return (f"{where} returned None",
                "it is not implemented yet (replace the ... with your code), or a `return` statement is missing")
    if kind == "error":
        return f"{where} raised {shown(returned.error)}", error_likely(returned.error)
    if kind == "mutated":
        return (f"{where} tried to modify one of its input arrays in place",
                "inputs must stay unchanged: write `theta = theta - learn_rate * gradients` (not `-=`) "
                "and copy an array before changing it")
    if kind == "timeout":
        return f"{where} did not return within the time limit", "an infinite loop, or far too much work per call"
    if kind == "died":
        return f"{where} crashed the Python process", "exit(), os._exit() or a crash inside the function"
    if kind == "sequence":
        return (f"{where} returned a tuple of {returned.length} items",
                "return only the requested value (gradient descent returns theta only)")
    if kind == "too_big":
        return (f"{where} returned an array of shape {returned.shape}",
                "a broadcast between an (m,) and an (m, 1) array made a huge (m, m) result")
    if kind == "unconvertible":
        return f"{where} returned {a_or_an(shown(returned.type_name))}, which is not a number or array", ""
    if kind == "broken":
        return (f"{where} gave no readable answer",
                "the notebook interfered with the grader (replaced print, json, os, or closed files) or left "
                "processes running that used up its process limit")
    if kind == "array":
        return None
    assert_never(kind)


def dtype_problem(dtype: str, where: str) -> tuple[str, str, str] | None:
    """(expected, found, likely) for a result computed in a low-precision float type."""
    if dtype in ("float32", "float16"):
        return ("float64 values (numpy's default)", f"{where} returned dtype {dtype}",
                f"converting to {dtype} keeps only about 7 significant digits: leave the arrays as float64")
    return None


def shape_likely(shape: tuple[int, ...], wanted: tuple[int, ...]) -> str:
    """The likely mistake behind an array of ``shape`` where ``wanted`` was expected."""
    if len(wanted) == 2 and shape == (wanted[0],) and wanted[1] == 1:
        return f"a 1-D ({wanted[0]},) array instead of a ({wanted[0]}, 1) column: keep 2-D column vectors"
    if len(shape) == 2 and shape[0] == shape[1] and shape != wanted:
        return ("a square result comes from a broadcast between an (m,) and an (m, 1) array: keep y and "
                "predictions as (m, 1) columns")
    if len(wanted) == 2 and shape == wanted[::-1]:
        return "the result is transposed"
    if shape == () and wanted != ():
        return "a single number was returned where an array was expected"
    return ""


def size_likely(shape: tuple[int, ...]) -> str:
    """The likely mistake behind an array of ``shape`` where one number was expected."""
    if len(shape) == 2 and shape[0] == shape[1]:
        return "a broadcast between an (m,) and an (m, 1) array: keep y and predictions as (m, 1) columns"
    return "a mean over all elements gives one number: use np.mean on the whole array"


NONFINITE_ARRAY = "an overflow (np.exp of a large number, log of 0) or a division by zero"
NONFINITE_NUMBER = "an overflow (np.exp of a large number) or log of 0: use a numerically stable form"


def factor_of(found: object, expected: object) -> float | None:
    """The c with found ~= c * expected, when found is a scaled copy of expected; else None.

    Total: any shapes and any values (nan, inf, huge, zeros) give a number or None, never an exception.
    """
    f, e = np.asarray(found, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if f.shape != e.shape or not (np.all(np.isfinite(f)) and np.all(np.isfinite(e))):
        return None
    with np.errstate(all="ignore"):
        denom = float(np.sum(e * e))
        if not 0 < denom < np.inf:
            return None
        c = float(np.sum(f * e)) / denom
        residual = float(np.linalg.norm(f - c * e))
        scale = float(np.linalg.norm(f))
    if not (np.isfinite(c) and np.isfinite(residual) and np.isfinite(scale)):
        return None
    return c if residual <= 1e-6 * max(scale, 1e-300) else None


def precision_likely(found: object, expected: object) -> str:
    """The float32 hint when ``found`` is right to float32's ~7 digits but not to float64's; else ""."""
    f, e = np.asarray(found, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if f.shape != e.shape or not np.all(np.isfinite(e)) or e.size == 0:
        return ""
    scale = float(np.max(np.abs(e)))
    if close(f, e) or not close(f, e, rtol=FLOAT32_RTOL, atol=FLOAT32_RTOL * scale):
        return ""
    return ("the values are right to about 7 significant digits only, float32's precision: something is "
            "computed in float32 (astype(np.float32) or dtype=np.float32); keep every array float64")


# The diagnoses of a mean over the rows divided by the wrong count, worded in the function's declaration
# (diagnoses:; "{k}" stands for the count divided by). A public case with mean_over_rows carries their words.
DIVISOR_IDS = ("integer_division", "m_from_columns", "hard_coded_rows")


def divisor_mistake(c: float, rows: tuple[int, int], known: bool) -> tuple[str, int] | None:
    """(diagnosis id, count) for a result m / k times the correct one, k the count the student divided by
    instead of the m rows of X (d columns); ``known``: another diagnosis already explains c."""
    m, d = rows
    if c == 0:
        return "integer_division", 0
    k = m / c
    if not (np.isfinite(k) and k >= 1.5 and abs(k - round(k)) <= 1e-6 * k) or round(k) in (m, m + 1):
        return None
    if round(k) == d:
        return "m_from_columns", d
    return None if known else ("hard_coded_rows", round(k))


def divisor_likely(c: float, rows: tuple[int, int], known: list[str], words: dict[str, str]) -> list[str]:
    """Hints for a result divided by the wrong count, given the ``known`` mistakes that already match c (m from
    the columns gives the same c as some of them) and the ``words`` of DIVISOR_IDS."""
    mistake = divisor_mistake(c, rows, bool(known))
    if mistake is None:
        return known
    diagnosis, k = mistake
    text = words[diagnosis].replace("{k}", str(k))
    return [text, *known] if diagnosis == "m_from_columns" else [text]


def arguments(case: dict) -> list:
    """The public case's arguments as the function receives them: lists as read-only float64 arrays (writing
    into an input raises, as in the grader)."""
    args = []
    for arg in case["args"]:
        if isinstance(arg, list):
            arr = np.array(arg, dtype=np.float64)
            arr.setflags(write=False)
            args.append(arr)
        else:
            args.append(arg)
    return args


def _value_likely(case: dict, value: np.ndarray, expected: np.ndarray) -> str:
    """The likely mistake behind a wrong value: a declared mistake's result, float32 precision, or (for a
    function that divides by the number of rows m) a result scaled by m over a wrong count."""
    for mistake in case.get("mistakes", []):
        if close(value, np.array(mistake["value"], dtype=np.float64)):
            return str(mistake["say"])
    hint = precision_likely(value, expected)
    if hint:
        return hint
    rows = case.get("rows")
    c = factor_of(value, expected)
    if rows and c is not None and abs(c - 1) >= 1e-3:
        hints = divisor_likely(c, (int(rows[0]), int(rows[1])), [], case["divisor"])
        return "; or ".join(hints) if hints else f"your result is {c:.4g} times the correct one: check the " \
                                                 "constant factors"
    return ""


def _text(expected: str, found: str, likely: str, note: str) -> str:
    lines = [f"Expected: {expected}", f"Found: {found}"]
    if likely:
        lines.append(f"Likely mistake: {likely}")
    if note:
        lines.append(note)
    return "\n".join(lines)


def judge(function: str, case: dict, returned: Returned, shown: Callable[[str], str] = student_text) -> str | None:
    """None when ``returned`` passes ``function``'s public ``case`` (an entry of the student package's
    cases.json), else the failure text: what was expected, what was found, the likely mistake and, when the
    check substitutes correct helpers, a note saying so. ``shown`` formats text from the student's code (the
    grader escapes it for Markdown)."""
    helpers = sorted(case.get("substitutes") or {})  # cases.json keeps keys sorted
    note = (f"(This check uses the correct {', '.join(helpers)} in place of yours, as the grade does: "
            f"each function is graded on its own.)") if helpers else ""
    where = describe_call(function, arguments(case))
    wanted = tuple(case["shape"])
    number = case["returns"] == "number"
    what = "one number" if number else f"an array of shape {wanted}"
    problem = outcome_problem(returned, function, where, shown)
    if problem:
        return _text(what, *problem, note)
    value = np.asarray(returned.value, dtype=np.float64)
    low = dtype_problem(returned.dtype, where)
    if low:
        return _text(*low, note)
    if number:
        if value.size != 1:
            return _text(what, f"{where} returned an array of shape {value.shape}", size_likely(value.shape), note)
        value = value.reshape(())
        if not np.isfinite(value):
            return _text(f"{what}, finite", f"{where} returned {float(value)}", NONFINITE_NUMBER, note)
    else:
        if value.shape != wanted:
            return _text(what, f"{where} returned shape {value.shape}", shape_likely(value.shape, wanted), note)
        if not np.all(np.isfinite(value)):
            return _text(f"{what} with finite values", f"{where} returned nan or inf values", NONFINITE_ARRAY, note)
    expected = np.array(case["expected"], dtype=np.float64)
    verdict = (probabilities if case["compare"] == "probabilities" else compare)(value, expected)
    if verdict:
        return None
    return _text(np.array2string(expected.ravel(), precision=10),
                 f"{np.array2string(value.ravel(), precision=10)}: {verdict.describe()}",
                 _value_likely(case, value, expected), note)
