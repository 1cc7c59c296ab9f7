"""The declaration of each contract function, read from ``assignment/contract/<function>.yaml``.

One YAML file per function is the one source of its question number, its checks (name, points, public or
hidden), the correct helpers its probes substitute, its public case and the wording of its known mistakes
(``diagnoses``: id -> text; the checks' code names the ids, see ``framework.diagnoses``). The grader's checks,
``gdkit grade``, ``gdkit check``, grades.csv, the notebook's question headers and Otter tests (``gdkit build``)
and the Gradescope zip all take their points from here. ``GDKIT_CONTRACT=<folder>`` grades with another folder
of declarations (the build puts the folder it used into the Gradescope zip's wheel).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

import gdkit
from gdkit.autograder.checks.public_judge import DIVISOR_IDS

# libyaml's safe loader when PyYAML was built with it (5x faster: every grade reads the declarations)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ENV = "GDKIT_CONTRACT"


class ContractError(ValueError):
    """A declaration is missing or malformed; ``str(error)`` is one line naming the file to change."""


@dataclass(frozen=True)
class CheckDeclaration:
    name: str
    points: float
    public: bool


@dataclass(frozen=True)
class PublicCase:
    """The public check's inputs (nested lists are arrays, numbers stay numbers) and how its result is judged."""

    args: tuple
    returns: str  # "array" (of the reference's shape) or "number"
    compare: str  # "values" or "probabilities"
    mistakes: tuple[tuple[str, str], ...] = ()  # (what the student reads, code of a wrong implementation)
    mean_over_rows: bool = False  # the result is a mean over X's rows: a result scaled by a wrong count is named
    mistake_ids: tuple[str, ...] = ()  # the diagnoses the mistakes name (their words are the diagnoses')

    def arguments(self) -> tuple:
        """The arguments as the function receives them: lists as fresh float64 arrays."""
        import numpy as np

        return tuple(np.array(a, dtype=np.float64) if isinstance(a, list) else a for a in self.args)


@dataclass(frozen=True)
class Declaration:
    """One contract function: its question, its checks in grading order and the helpers substituted."""

    function: str
    question: int
    checks: tuple[CheckDeclaration, ...]
    substitutes: tuple[str, ...]
    public_case: PublicCase
    diagnoses: dict[str, str] = field(default_factory=dict)  # id -> what a student with that mistake reads

    @property
    def points(self) -> float:
        return sum(c.points for c in self.checks)


def default_folder() -> Path:
    """``$GDKIT_CONTRACT`` if set, else the declarations shipped in the package (``assignment/contract``)."""
    if os.environ.get(ENV):
        return Path(os.environ[ENV])
    # Beside the package, not through importlib.resources (its import is 5 ms of every grade's start).
    return Path(gdkit.__file__).parent / "assignment" / "contract"


def _points(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ContractError(f"{where}: points must be a number >= 0, got {value!r}")
    return float(value)


def _declaration(path: Path) -> Declaration:
    where = str(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ContractError(f"{where}: cannot be read as YAML: {' '.join(str(e).split())}") from None
    if not isinstance(data, dict) or set(data) - {"question", "checks", "substitutes", "public_case", "diagnoses"}:
        raise ContractError(f"{where}: must hold exactly the keys question, substitutes, public_case, diagnoses, "
                            "checks")
    question, checks, subs = data.get("question"), data.get("checks"), data.get("substitutes") or []
    if not isinstance(question, int) or isinstance(question, bool) or question < 1:
        raise ContractError(f"{where}: 'question' must be the question's number (1, 2, ...), got {question!r}")
    if not isinstance(checks, list) or not checks:
        raise ContractError(f"{where}: 'checks' must list the function's checks")
    declared = []
    for item in checks:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or set(item) - {"name", "points",
                                                                                              "public"}:
            raise ContractError(f"{where}: each check is {{name: ..., points: ..., public: true|false}}; "
                                f"got {item!r}")
        declared.append(CheckDeclaration(item["name"], _points(item.get("points"), f"{where}: {item['name']}"),
                                         bool(item.get("public", False))))
    names = [c.name for c in declared]
    if len(set(names)) != len(names):
        raise ContractError(f"{where}: two checks share a name")
    if not isinstance(subs, list) or not all(isinstance(s, str) for s in subs):
        raise ContractError(f"{where}: 'substitutes' must list function names")
    diagnoses = data.get("diagnoses") or {}
    if not isinstance(diagnoses, dict) or not all(isinstance(k, str) and k.isidentifier() and isinstance(v, str)
                                                  and v.strip() for k, v in diagnoses.items()):
        raise ContractError(f"{where}: 'diagnoses' maps ids (letters, digits, _) to the text a student reads")
    public_case = _public_case(data.get("public_case"), where, diagnoses)
    unworded = [i for i in DIVISOR_IDS if public_case.mean_over_rows and i not in diagnoses]
    if unworded:
        raise ContractError(f"{where}: public_case.mean_over_rows needs diagnoses: {', '.join(unworded)} (the "
                            "words of a mean divided by the wrong count)")
    return Declaration(path.stem, question, tuple(declared), tuple(subs), public_case, dict(diagnoses))


def _public_case(data: object, where: str, diagnoses: dict[str, str]) -> PublicCase:
    if not isinstance(data, dict) or not isinstance(data.get("args"), list) or set(data) - {
            "args", "returns", "compare", "mistakes", "mean_over_rows"}:
        raise ContractError(f"{where}: 'public_case' needs args: [...] (the public check's arguments)")
    returns, compare = data.get("returns"), data.get("compare", "values")
    if returns not in ("array", "number") or compare not in ("values", "probabilities"):
        raise ContractError(f"{where}: public_case needs returns: array|number and compare: values|probabilities")
    mistakes = data.get("mistakes") or []
    if not isinstance(mistakes, list) or not all(isinstance(m, dict) and set(m) == {"diagnosis", "code"}
                                                 and isinstance(m["diagnosis"], str) and isinstance(m["code"], str)
                                                 for m in mistakes):
        raise ContractError(f"{where}: public_case.mistakes is a list of {{diagnosis: an id of diagnoses:, "
                            "code: a wrong def}}")
    for m in mistakes:  # each mistake is worded once, under diagnoses:
        if m["diagnosis"] not in diagnoses:
            raise ContractError(f"{where}: public_case.mistakes names the diagnosis {m['diagnosis']!r}, which "
                                "diagnoses: does not word")
    if not isinstance(data.get("mean_over_rows", False), bool):
        raise ContractError(f"{where}: public_case.mean_over_rows is true or false")
    return PublicCase(tuple(data["args"]), returns, compare,
                      tuple((diagnoses[m["diagnosis"]], m["code"]) for m in mistakes),
                      data.get("mean_over_rows", False), tuple(m["diagnosis"] for m in mistakes))


def load(folder: Path | None = None) -> dict[str, Declaration]:
    """Every declaration in ``folder`` (default :func:`default_folder`), in question order, checked."""
    folder = Path(folder) if folder is not None else default_folder()
    paths = sorted(folder.glob("*.yaml"))
    if not paths:
        raise ContractError(f"no declarations (<function>.yaml) in {folder}")
    declarations = sorted((_declaration(p) for p in paths), key=lambda d: d.question)
    numbers = [d.question for d in declarations]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ContractError(f"{folder}: the questions must be numbered 1..{len(numbers)} once each; got "
                            f"{sorted(numbers)}")
    by_name = {d.function: d for d in declarations}
    for d in declarations:
        for helper in d.substitutes:
            # A substitute is sent to the student process only after that helper's own checks have run
            # (checks run in question order), so no cell can find a correct helper and pass it off as its own.
            if helper not in by_name or by_name[helper].question >= d.question:
                raise ContractError(f"{folder / (d.function + '.yaml')}: substitutes {helper}, which must be "
                                    f"declared as an earlier question (its own checks run before any probe "
                                    f"uses the correct one)")
    return by_name


@lru_cache(maxsize=4)
def _cached(folder: str) -> dict[str, Declaration]:
    return load(Path(folder))


def current() -> dict[str, Declaration]:
    """The declarations grading uses (:func:`default_folder`), read once per folder."""
    return _cached(str(default_folder()))
