"""The master notebook against the declarations (``assignment/contract/<function>.yaml``), and the points the
build writes into it.

The declarations are the one source of the questions and their points. The master names each question
(``# BEGIN QUESTION`` with ``name:``) but states no points: its markdown says ``{{points}}`` (the enclosing
question's points), ``{{total_points}}`` and ``{{points_table}}``, and the build fills them in, and the
``points:`` of each question header Otter reads, from the declarations. A master that disagrees (a question
without a declaration, a declaration without a question, another order, a number of points of its own) is
refused with one line naming what differs and where to change it.
"""

from __future__ import annotations

import copy
import re

import yaml

from gdkit.assignment_config import cell_text
from gdkit.autograder.checks.contract import Declaration

QUESTION_MARK = "# BEGIN QUESTION"
TESTS_MARK = "# BEGIN TESTS"
END_MARK = "# END QUESTION"
POINTS, TOTAL, TABLE = "{{points}}", "{{total_points}}", "{{points_table}}"
# A number of points written by hand: "(3 points)", "2 points", "1 point"
_LITERAL_POINTS = re.compile(r"\b\d+(?:\.\d+)?\s+points?\b", re.IGNORECASE)
WHERE = "assignment/contract/"


class MasterMismatch(ValueError):
    """The master disagrees with the declarations; ``str(error)`` is one line naming what and where."""


def _fmt(points: float) -> str:
    return f"{points:g}"


def _question_header(cell: dict, index: int) -> dict:
    try:
        header = yaml.safe_load(cell_text(cell).split("\n", 1)[1] if "\n" in cell_text(cell) else "") or {}
    except yaml.YAMLError as e:
        raise MasterMismatch(f"cell {index}: the {QUESTION_MARK} header is not valid YAML: "
                             f"{' '.join(str(e).split())}") from None
    if not isinstance(header, dict) or not isinstance(header.get("name"), str):
        raise MasterMismatch(f"cell {index}: the {QUESTION_MARK} header needs 'name: <function>'")
    return header


def questions(nb: dict) -> list[tuple[int, dict]]:
    """(cell index, header) of each ``# BEGIN QUESTION`` raw cell, in notebook order."""
    found = []
    for index, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "raw" and cell_text(cell).lstrip().startswith(QUESTION_MARK):
            found.append((index, _question_header(cell, index)))
    return found


def check(nb: dict, declarations: dict[str, Declaration], master_name: str = "master.ipynb") -> None:
    """Raise :class:`MasterMismatch` (one line) if the master's questions or points disagree with the
    declarations."""
    found = questions(nb)
    names = [h["name"] for _, h in found]
    for index, header in found:
        name = header["name"]
        if name not in declarations:
            raise MasterMismatch(f"{master_name} cell {index}: question {name!r} has no declaration: add "
                                 f"{WHERE}{name}.yaml, or rename the question to one of {', '.join(declarations)}")
        if "points" in header:
            raise MasterMismatch(
                f"{master_name} cell {index}: question {name} says points: {header['points']}, but points come "
                f"from {WHERE}{name}.yaml ({_fmt(declarations[name].points)} now): remove 'points:' from the "
                f"header and change the checks' points there")
    missing = [name for name in declarations if name not in names]
    if missing:
        raise MasterMismatch(f"{WHERE}{missing[0]}.yaml declares {missing[0]}, but {master_name} has no question "
                             f"named {missing[0]}: add its {QUESTION_MARK} cell or remove the declaration")
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise MasterMismatch(f"{master_name}: question {twice} appears twice")
    for position, name in enumerate(names, start=1):
        if declarations[name].question != position:
            raise MasterMismatch(f"{master_name}: question {name} comes {position}. in the notebook but is question "
                                 f"{declarations[name].question} in {WHERE}{name}.yaml: make the order agree")
    inside = False
    for index, cell in enumerate(nb.get("cells", [])):
        text = cell_text(cell)
        if cell.get("cell_type") == "raw" and text.lstrip().startswith(TESTS_MARK):
            raise MasterMismatch(
                f"{master_name} cell {index}: a hand-written {TESTS_MARK} block; the public checks are generated "
                f"from each {WHERE}<function>.yaml (public_case): remove the block from the master")
        if cell.get("cell_type") == "raw":
            inside = (inside or text.lstrip().startswith(QUESTION_MARK)) and not text.lstrip().startswith(END_MARK)
        if cell.get("cell_type") != "markdown":
            continue
        literal = _LITERAL_POINTS.search(text)
        if literal:
            raise MasterMismatch(
                f"{master_name} cell {index} says {literal.group(0)!r}: points are written by the build from "
                f"{WHERE} (write {POINTS}, {TOTAL} or {TABLE} instead)")
        if POINTS in text and not inside:
            raise MasterMismatch(f"{master_name} cell {index}: {POINTS} outside a question (between "
                                 f"{QUESTION_MARK} and {END_MARK}); use {TOTAL} or {TABLE} there")


def _table(declarations: dict[str, Declaration]) -> str:
    rows = [f"| `{d.function}` | {_fmt(d.points)} |" for d in declarations.values()]
    total = sum(d.points for d in declarations.values())
    return "\n".join(["| question | points |", "|---|---|", *rows, f"| **total** | **{_fmt(total)}** |"])


def _cell(cell_type: str, source: str) -> dict:
    cell: dict = {"cell_type": cell_type, "metadata": {}, "source": source}
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def with_tests(nb: dict, test_cell) -> dict:
    """A copy of the master with each question's public check cell, ``test_cell(name)``, in a tests block just
    before its ``# END QUESTION`` (the input is not modified)."""
    out = copy.deepcopy(nb)
    cells, current = [], None
    for cell in out["cells"]:
        text = cell_text(cell)
        if cell.get("cell_type") == "raw" and text.lstrip().startswith(QUESTION_MARK):
            current = yaml.safe_load(text.split("\n", 1)[1])["name"]
        elif cell.get("cell_type") == "raw" and text.lstrip().startswith(END_MARK) and current is not None:
            cells += [_cell("raw", TESTS_MARK), _cell("code", test_cell(current)), _cell("raw", "# END TESTS")]
            current = None
        cells.append(cell)
    out["cells"] = cells
    return out


def with_points(nb: dict, declarations: dict[str, Declaration]) -> dict:
    """A copy of the master with the declared points in each question header and in place of the markdown
    placeholders (the input is not modified). Call :func:`check` first."""
    out = copy.deepcopy(nb)
    total = _fmt(sum(d.points for d in declarations.values()))
    current: Declaration | None = None
    for cell in out["cells"]:
        text = cell_text(cell)
        if cell.get("cell_type") == "raw" and text.lstrip().startswith(QUESTION_MARK):
            header = yaml.safe_load(text.split("\n", 1)[1])
            current = declarations[header["name"]]
            header["points"] = current.points
            cell["source"] = f"{QUESTION_MARK}\n" + yaml.safe_dump(header, sort_keys=False)
        elif cell.get("cell_type") == "raw" and text.lstrip().startswith(END_MARK):
            current = None
        elif cell.get("cell_type") == "markdown":
            if current is not None:
                text = text.replace(POINTS, _fmt(current.points))
            cell["source"] = text.replace(TOTAL, total).replace(TABLE, _table(declarations))
    return out
