"""What a student's function returned, turned from raw plain data into values the checks can trust.

Every value is rebuilt here, in the grading process, as a fresh float64 ndarray (never a subclass, never an
object of the student's): always-equal objects, ndarray subclasses and patched numpy cannot reach a check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from gdkit.autograder.executor.session import ProbeOutcome

ObservationKind = Literal["array", "none", "sequence", "error", "mutated", "missing", "timeout", "died",
                          "unconvertible", "too_big", "broken"]


@dataclass(frozen=True)
class Observation:
    """One call's outcome.

    kind: ``array`` (``value`` holds it), ``none``, ``sequence`` (a tuple returned), ``error`` (it raised),
    ``mutated`` (it wrote into a read-only input), ``missing`` (not defined or not callable), ``timeout``,
    ``died`` (the process crashed), ``unconvertible``, ``too_big``, ``broken`` (no sensible answer).
    """

    kind: ObservationKind
    value: np.ndarray | None = None
    type_name: str = ""
    dtype: str = ""
    shape: tuple[int, ...] | None = None
    error: str = ""
    length: int = 0


def _clean(text: object, limit: int = 300) -> str:
    return str(text)[:limit]


def observe(reply: object) -> Observation:
    """Coerce one raw reply; anything malformed becomes ``broken``."""
    if not isinstance(reply, dict):
        return Observation("broken")
    kind = reply.get("kind")
    type_name = _clean(reply.get("type", ""), 60)
    if kind == "array":
        shape, values = reply.get("shape"), reply.get("values")
        if (
            not isinstance(shape, list)
            or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s for s in shape)
            or not isinstance(values, list)
            or len(values) != math.prod(shape)
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        ):
            return Observation("broken", type_name=type_name)
        value = np.array(values, dtype=np.float64).reshape(shape)
        return Observation("array", value, type_name, _clean(reply.get("dtype", ""), 30), tuple(shape))
    if kind in ("none", "missing", "mutated", "unconvertible"):
        return Observation(kind, type_name=type_name, error=_clean(reply.get("error", "")))
    if kind == "error":
        return Observation("error", type_name=type_name, error=_clean(reply.get("error", "")))
    if kind == "sequence":
        length = reply.get("length")
        return Observation("sequence", type_name=type_name, length=length if isinstance(length, int) else 0)
    if kind == "too_big":
        shape = reply.get("shape")
        ok = isinstance(shape, list) and all(isinstance(s, int) for s in shape)
        return Observation("too_big", type_name=type_name, shape=tuple(shape) if ok and shape is not None else None)
    return Observation("broken", type_name=type_name)


def observe_batch(outcome: ProbeOutcome, n_calls: int) -> list[Observation]:
    """All calls of one probe batch; a batch that timed out or crashed gives that outcome for each call."""
    if outcome.status != "ok":
        return [Observation(outcome.status)] * n_calls
    return [observe(reply) for reply in outcome.replies]
