"""The student package (``gdkit_student``) the hand-out carries, and the public check cells the build writes.

``gdkit_student`` is the student side of the public checks: its code (``student/gdkit_student/``), the grader's
comparison and judge (``autograder/checks/compare.py`` and ``public_judge.py``, pure numpy) and ``cases.json``:
per contract function the public case's inputs, the expected value, the declared mistakes' values and, for each
helper the grader substitutes, the values the correct computation needs (computed here from ``gdkit.reference``,
which never leaves the build). The grader's public checks judge with the same case (:func:`public_case`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from gdkit import reference as ref
from gdkit.autograder.checks.contract import Declaration
from gdkit.autograder.checks.public_judge import DIVISOR_IDS

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "student" / "gdkit_student"
# Pure modules of the grader the student package runs as they are: the comparison and the public checks' judge
SHARED = (REPO / "autograder" / "checks" / "compare.py", REPO / "autograder" / "checks" / "public_judge.py")
PACKAGE = "gdkit_student"
# Elementwise helpers: looked up value by value (sigmoid(z) and sigmoid(-z) both work)
ELEMENTWISE = {"sigmoid"}
DESCENTS = {"gradient_descent", "logistic_gradient_descent"}
REQUIREMENTS = "numpy>=2.0\nmatplotlib>=3.8\notter-grader==7.0.0\nipykernel>=6\n"
INSTALL = ("Install (once, Python 3.11+):  python -m pip install -r requirements.txt\n"
           "Then open gradient_descent.ipynb in Jupyter, run it top to bottom; grader.check(...) runs the public "
           "checks.\n")


def _plain(value: object) -> object:
    """JSON-ready: arrays as nested lists of floats, numpy scalars as floats."""
    if isinstance(value, np.ndarray):
        return value.astype(np.float64).tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _points(declaration: Declaration, args: tuple) -> list[tuple]:
    """The (X, Y, W) at which the correct computation of the public case calls its helpers."""
    if declaration.function in DESCENTS:
        X, y, lr, n = args[:4]
        descent = getattr(ref, declaration.function)
        return [(X, y, descent(X, y, lr, k)) for k in range(n + 1)]
    return [args[:3]]


def _tables(declaration: Declaration, args: tuple) -> dict:
    helpers = list(declaration.substitutes)
    points = _points(declaration, args)
    tables: dict = {}
    for helper in helpers:
        if helper in ELEMENTWISE:
            zs = np.concatenate([np.ravel(X @ W) for X, _, W in points])
            zs = np.unique(np.concatenate([zs, -zs]))
            correct = getattr(ref, helper)
            tables[helper] = {"elementwise": True, "inputs": zs.tolist(), "values": correct(zs).tolist()}
        else:
            correct = getattr(ref, helper)
            tables[helper] = {"elementwise": False, "entries": [
                {"args": [_plain(a) for a in point], "value": _plain(correct(*point))} for point in points]}
    return tables


def _mistakes(function: str, mistakes: tuple[tuple[str, str], ...], args: tuple) -> list[dict]:
    """What each declared wrong implementation returns on the public case (with the correct helpers)."""
    out = []
    for say, code in mistakes:
        namespace: dict = {"np": np, **{name: getattr(ref, name) for name in ref.__all__}}
        exec(compile(code, f"<mistake of {function}: {say}>", "exec"), namespace)  # the maintainer's own code
        out.append({"say": say, "value": np.asarray(namespace[function](*args), dtype=np.float64).tolist()})
    return out


def public_case(declaration: Declaration) -> dict:
    """One function's public case as the judge (``public_judge.judge``) reads it, with the values computed from
    the reference: what ``cases.json`` holds for it, and what the grader's public check judges with."""
    name, case = declaration.function, declaration.public_case
    args = case.arguments()
    expected = np.asarray(getattr(ref, name)(*args), dtype=np.float64)
    out = {
        "args": [_plain(a) for a in args],
        "returns": case.returns,
        "compare": case.compare,
        "expected": expected.tolist(),
        "shape": list(expected.shape) if case.returns == "array" else [],
        "substitutes": _tables(declaration, args),
        "mistakes": _mistakes(name, case.mistakes, args),
    }
    if case.mean_over_rows:  # (m, d) of X: a result scaled by m over another count is named, in these words
        out["rows"] = list(np.shape(args[0]))
        out["divisor"] = {diagnosis: declaration.diagnoses[diagnosis] for diagnosis in DIVISOR_IDS}
    return out


def cases(declarations: dict[str, Declaration]) -> dict:
    """``cases.json``'s content: each function's public case with the values computed from the reference."""
    return {name: public_case(declaration) for name, declaration in declarations.items()}


def write_package(target: Path, declarations: dict[str, Declaration]) -> Path:
    """Write ``target/gdkit_student/`` (code, comparison, cases); returns the package folder."""
    if not SOURCE.is_dir():
        raise FileNotFoundError(f"no {SOURCE}: build the hand-out from a gdkit source checkout")
    folder = Path(target) / PACKAGE
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for path in sorted(SOURCE.glob("*.py")):
        shutil.copy(path, folder / path.name)
    for path in SHARED:
        shutil.copy(path, folder / path.name)
    text = json.dumps(cases(declarations), indent=1, sort_keys=True)
    (folder / "cases.json").write_text(text + "\n", encoding="utf-8")
    return folder


def write_install_files(target: Path) -> None:
    """``requirements.txt`` and the two-line ``INSTALL.txt`` of the hand-out."""
    (Path(target) / "requirements.txt").write_text(REQUIREMENTS, encoding="utf-8")
    (Path(target) / "INSTALL.txt").write_text(INSTALL, encoding="utf-8")


def test_cell(function: str) -> str:
    """The public check cell of ``function``'s question (Otter's exception-based test format)."""
    return (f"def test_{function}({function}):\n"
            f"    from gdkit_student import check\n"
            f"    check({function!r}, {function})\n"
            f"\n"
            f"test_{function}({function})")
