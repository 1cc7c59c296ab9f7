"""The hidden and public checks. Each contract function is declared in ``assignment/contract/<function>.yaml``
(question, checks with points and visibility, helpers substituted; read by ``contract.py``); the checks' code is
one module per kind of function:

- ``gradients.py``: compute_gradients, compute_logistic_gradients
- ``losses.py``: lin_reg_l2, logistic_loss
- ``sigmoid.py``: sigmoid
- ``descent.py``: gradient_descent, logistic_gradient_descent
- ``framework.py``: what a check is, how it calls student code, how it words a failure

- ``public_judge.py``: the public checks' one judge and wording, shipped to students as it is

Importing this package checks that code and declarations match one to one (a declared check without code, or
code without a declaration, is an error naming the file to change; so is a known mistake's id the code names
and the declaration's ``diagnoses:`` does not word, or back) and that every substituted helper, with what its
correct version calls, is an earlier question than the function whose probes use it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from gdkit.autograder.checks import descent, gradients, losses, sigmoid  # noqa: F401 - they register checks
from gdkit.autograder.checks import substitutes as _substitutes
from gdkit.autograder.checks.contract import ContractError, Declaration, current
from gdkit.autograder.checks.framework import DIAGNOSES, REGISTRY, Check, CheckFailed, Context


def checks_for(declarations: dict[str, Declaration]) -> list[Check]:
    """Every declared check with its code, in question order then declaration order; raises ContractError."""
    checks: list[Check] = []
    for d in declarations.values():
        for c in d.checks:
            run = REGISTRY.get((d.function, c.name))
            if run is None:
                raise ContractError(f"assignment/contract/{d.function}.yaml declares the check {c.name!r}, which "
                                    f"has no code in autograder/checks/ (@check({d.function!r}, {c.name!r}))")
            checks.append(Check(d.function, c.name, c.points, c.public, run))
        # The grader computes a substituted helper itself (substitutes.py): its correct version never enters the
        # student's process, which calls back for each value. Its own checks still run first, so a student's
        # helper is judged before anything is graded with the grader's in its place.
        for helper in d.substitutes:
            if helper not in declarations or declarations[helper].question >= d.question:
                raise ContractError(f"assignment/contract/{d.function}.yaml: its probes substitute {helper}, "
                                    "which must be an earlier question (its own checks run first)")
        unknown = [s for s in d.substitutes if s not in _substitutes.HELPERS]
        if unknown:
            raise ContractError(f"assignment/contract/{d.function}.yaml substitutes {', '.join(unknown)}, which "
                                "has no correct version in autograder/checks/substitutes.py")
        _diagnoses_match(d)
    unworded = sorted(set(DIAGNOSES) - set(declarations))
    if unworded:
        raise ContractError(f"autograder/checks/ names diagnoses of {unworded[0]}, which has no declaration "
                            f"(assignment/contract/{unworded[0]}.yaml)")
    undeclared = sorted(set(REGISTRY) - {(c.function, c.name) for c in checks})
    if undeclared:
        fn, name = undeclared[0]
        raise ContractError(f"the check {name!r} of {fn} has code but no declaration: add it to "
                            f"assignment/contract/{fn}.yaml")
    return checks


def _diagnoses_match(d: Declaration) -> None:
    """The ids of ``d``'s known mistakes that its checks' code or its public case names are exactly those its
    YAML words."""
    named, worded = DIAGNOSES.get(d.function, set()) | set(d.public_case.mistake_ids), set(d.diagnoses)
    if named - worded:
        raise ContractError(f"autograder/checks/ names the diagnosis {sorted(named - worded)[0]!r} of {d.function}, "
                            f"which assignment/contract/{d.function}.yaml does not word: add it under diagnoses:")
    if worded - named:
        raise ContractError(f"assignment/contract/{d.function}.yaml words the diagnosis "
                            f"{sorted(worded - named)[0]!r}, which no check in autograder/checks/ names: remove it "
                            f"or name it in the checks' code (framework.diagnoses) or in public_case.mistakes")


DECLARATIONS = current()
CHECKS = checks_for(DECLARATIONS)
CONTRACT = tuple(DECLARATIONS)


def all_checks(public_only: bool = False) -> list[Check]:
    """Every check in contract order (the order of the Gradescope tests)."""
    return [c for c in CHECKS if c.public or not public_only]


def points_per_function() -> dict[str, float]:
    return {d.function: d.points for d in DECLARATIONS.values()}


def assignment_fingerprint() -> str:
    """A hash of the assignment's declaration: every check's title, points and visibility, and the source of the
    checks and of the reference. Grading the same bytes under the same fingerprint gives the same result, so
    ``gdkit grade`` skips such notebooks on a rerun."""
    import gdkit.reference

    digest = hashlib.sha256()
    for check in all_checks():
        digest.update(f"{check.function}\0{check.title}\0{check.points!r}\0{check.public}\n".encode())
    from gdkit.autograder.checks.contract import default_folder

    sources = [(folder, pattern) for folder in (Path(__file__).parent, Path(gdkit.reference.__file__).parent)
               for pattern in ("*.py",)]
    sources.append((default_folder(), "*.yaml"))  # the declarations: public cases and mistakes as well as points
    for folder, pattern in sources:
        for source in sorted(folder.glob(pattern)):
            digest.update(f"{folder.name}/{source.name}\0".encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


__all__ = ["CONTRACT", "assignment_fingerprint", "Check", "CheckFailed", "Context", "all_checks", "points_per_function"]
