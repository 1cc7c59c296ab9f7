"""Points and questions have one source, ``assignment/contract/<function>.yaml`` (issue 9, items 1 and 3).

Moving a point there changes the notebook's headers, the Otter tests, ``gdkit grade``, grades.csv and the
Gradescope zip together; a master that disagrees with the declarations fails ``gdkit build`` with one line.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from gdkit.autograder.checks import checks_for
from gdkit.autograder.checks.contract import ContractError, load

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT = REPO / "assignment"
GDKIT = [sys.executable, "-m", "gdkit.cli"]


def _copy_assignment(tmp_path: Path) -> Path:
    """A copy of the master and its declarations, as a maintainer's edited checkout would have them."""
    folder = tmp_path / "assignment"
    folder.mkdir()
    shutil.copy(ASSIGNMENT / "master.ipynb", folder / "master.ipynb")
    shutil.copytree(ASSIGNMENT / "contract", folder / "contract")
    return folder


def _edit_yaml(path: Path, edit) -> None:
    data = yaml.safe_load(path.read_text())
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _set_points(folder: Path, function: str, check: str, points: float) -> None:
    def edit(data: dict) -> None:
        [item] = [c for c in data["checks"] if c["name"] == check]
        item["points"] = points

    _edit_yaml(folder / "contract" / f"{function}.yaml", edit)


def _edit_master(folder: Path, edit) -> None:
    path = folder / "master.ipynb"
    nb = json.loads(path.read_text())
    edit(nb["cells"])
    path.write_text(json.dumps(nb, indent=1))


def _src(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _build(master: Path, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*GDKIT, "build", "--master", str(master), "--out", str(out)], capture_output=True,
                          text=True, timeout=600)


# -- the master must agree with the declarations --------------------------------------------------------------


def _header_points(cells: list) -> None:
    cell = next(c for c in cells if _src(c).startswith("# BEGIN QUESTION\nname: compute_gradients"))
    cell["source"] = _src(cell) + "\npoints: 5"


def _renamed_question(cells: list) -> None:
    cell = next(c for c in cells if _src(c).startswith("# BEGIN QUESTION\nname: sigmoid"))
    cell["source"] = _src(cell).replace("sigmoid", "logistic")


def _prompt_points(cells: list) -> None:
    cell = next(c for c in cells if "### Question 2:" in _src(c))
    cell["source"] = _src(cell).replace("({{points}} points)", "(2 points)")


def _swapped_order(cells: list) -> None:
    first = next(c for c in cells if _src(c).startswith("# BEGIN QUESTION\nname: compute_gradients"))
    second = next(c for c in cells if _src(c).startswith("# BEGIN QUESTION\nname: lin_reg_l2"))
    first["source"], second["source"] = _src(second), _src(first)


@pytest.mark.parametrize("edit, expected", [
    (_header_points, "question compute_gradients says points: 5, but points come from "
                     "assignment/contract/compute_gradients.yaml (3 now)"),
    (_renamed_question, "question 'logistic' has no declaration: add assignment/contract/logistic.yaml"),
    (_prompt_points, "says '2 points': points are written by the build from assignment/contract/"),
    (_swapped_order, "question lin_reg_l2 comes 1. in the notebook but is question 2 in "
                     "assignment/contract/lin_reg_l2.yaml"),
])
def test_a_master_that_disagrees_fails_the_build_with_one_line(tmp_path, edit, expected):
    folder = _copy_assignment(tmp_path)
    _edit_master(folder, edit)
    proc = _build(folder / "master.ipynb", tmp_path / "out")
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("gdkit build: error: master.ipynb cell ") or "master.ipynb:" in lines[0], lines[0]
    assert expected in lines[0], lines[0]
    assert not (tmp_path / "out" / "student").exists()


def test_a_declaration_without_code_fails_the_build(tmp_path):
    folder = _copy_assignment(tmp_path)
    _edit_master(folder, lambda cells: None)
    declaration = yaml.safe_load((folder / "contract" / "sigmoid.yaml").read_text())
    declaration["question"] = 8
    (folder / "contract" / "softmax.yaml").write_text(yaml.safe_dump(declaration))
    proc = _build(folder / "master.ipynb", tmp_path / "out")
    assert proc.returncode == 1
    [line] = proc.stderr.strip().splitlines()
    assert "has no code in autograder/checks/" in line and "softmax" in line, line


# -- the declarations are checked as a whole ------------------------------------------------------------------


def test_a_helper_substituted_before_its_own_checks_is_refused(tmp_path):
    folder = _copy_assignment(tmp_path)
    _edit_yaml(folder / "contract" / "compute_gradients.yaml", lambda d: d.update(substitutes=["gradient_descent"]))
    with pytest.raises(ContractError, match="substitutes gradient_descent, which must be declared as an earlier "
                                            "question"):
        load(folder / "contract")


def test_code_and_declarations_match_one_to_one(tmp_path):
    folder = _copy_assignment(tmp_path)
    _set_points(folder, "sigmoid", "values on arrays of several shapes", 0.75)  # unchanged: loads
    checks = checks_for(load(folder / "contract"))
    assert len(checks) == 24 and sum(c.points for c in checks) == 20
    _edit_yaml(folder / "contract" / "sigmoid.yaml", lambda d: d["checks"].pop())
    with pytest.raises(ContractError, match="the check 'finite and accurate for |z| up to 1000' of sigmoid has "
                                            "code but no declaration: add it to assignment/contract/sigmoid.yaml"):
        checks_for(load(folder / "contract"))


def test_a_diagnosis_the_code_names_must_be_worded_in_the_yaml(tmp_path):
    folder = _copy_assignment(tmp_path)
    _edit_yaml(folder / "contract" / "logistic_loss.yaml", lambda d: d["diagnoses"].pop("log10"))
    with pytest.raises(ContractError) as refused:
        checks_for(load(folder / "contract"))
    [line] = str(refused.value).splitlines()
    assert line == ("autograder/checks/ names the diagnosis 'log10' of logistic_loss, which "
                    "assignment/contract/logistic_loss.yaml does not word: add it under diagnoses:"), line


def test_a_mean_over_rows_needs_the_words_of_a_wrong_count(tmp_path):
    folder = _copy_assignment(tmp_path)
    _edit_yaml(folder / "contract" / "compute_gradients.yaml", lambda d: d["diagnoses"].pop("hard_coded_rows"))
    with pytest.raises(ContractError) as refused:
        load(folder / "contract")
    [line] = str(refused.value).splitlines()
    assert line.endswith("compute_gradients.yaml: public_case.mean_over_rows needs diagnoses: hard_coded_rows (the "
                         "words of a mean divided by the wrong count)"), line


def test_a_worded_diagnosis_no_code_names_is_refused(tmp_path):
    folder = _copy_assignment(tmp_path)
    _edit_yaml(folder / "contract" / "sigmoid.yaml",
               lambda d: d["diagnoses"].update(cosine="that is a cosine: sigmoid(z) = 1 / (1 + exp(-z))"))
    with pytest.raises(ContractError) as refused:
        checks_for(load(folder / "contract"))
    [line] = str(refused.value).splitlines()
    assert line.startswith("assignment/contract/sigmoid.yaml words the diagnosis 'cosine', which no check in "
                           "autograder/checks/ names"), line


def test_the_wording_students_read_comes_from_the_yaml(tmp_path, monkeypatch):
    import numpy as np

    from gdkit import reference as ref
    from gdkit.autograder.checks import descent, sigmoid
    from gdkit.autograder.checks.contract import ENV

    z = np.array([[-3.0], [0.5], [2.0]])
    X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    y = np.array([[0.0], [1.0], [1.0]])
    one_more = ref.gradient_descent(X, y, 0.1, 2)
    assert sigmoid._likely(ref.sigmoid(-z), z) == "the sign is flipped: sigmoid(z) = 1 / (1 + exp(-z)), with a minus"
    folder = _copy_assignment(tmp_path)
    _edit_yaml(folder / "contract" / "sigmoid.yaml", lambda d: d["diagnoses"].update(sign_flipped="reworded"))
    _edit_yaml(folder / "contract" / "gradient_descent.yaml",
               lambda d: d["diagnoses"].update(one_too_many="one loop too many"))
    monkeypatch.setenv(ENV, str(folder / "contract"))
    assert sigmoid._likely(ref.sigmoid(-z), z) == "reworded"
    assert descent.descent_likely("gradient_descent", ref.gradient_descent, ref.linear_optimum, one_more, X, y,
                                  0.1, 1, None) == "one loop too many"


# -- one point moved: everything follows ----------------------------------------------------------------------


def test_moving_one_point_changes_notebook_otter_tests_grades_and_zip(tmp_path):
    folder = _copy_assignment(tmp_path)
    _set_points(folder, "compute_gradients", "values on new data and on the assignment's data", 2.0)  # 3 -> 4
    _set_points(folder, "lin_reg_l2", "values on new data and on the assignment's data", 0.5)  # 2 -> 1
    out = tmp_path / "dist"
    proc = _build(folder / "master.ipynb", out)
    assert proc.returncode == 0, proc.stderr

    notebook = (out / "student" / "gradient_descent.ipynb").read_text()
    assert "`compute_gradients` (4 points)" in notebook and "`lin_reg_l2` (1 points)" in notebook
    assert "| `compute_gradients` | 4 |" in notebook and "(20 points)" in notebook
    for tests in (out / "student" / "tests", out / "otter-autograder" / "tests"):
        assert re.search(r"^points = 4(\.0)?$", (tests / "compute_gradients.py").read_text(), re.M)
        assert re.search(r"^points = 1(\.0)?$", (tests / "lin_reg_l2.py").read_text(), re.M)

    # gdkit grade with these declarations: the solution's grades.csv has the new split
    env = {**os.environ, "GDKIT_CONTRACT": str(folder / "contract")}
    graded = subprocess.run([*GDKIT, "grade", str(ASSIGNMENT / "master.ipynb"), "--out", str(tmp_path / "g")],
                            capture_output=True, text=True, timeout=300, env=env)
    assert graded.returncode == 0, graded.stderr
    [row] = list(csv.DictReader((tmp_path / "g" / "grades.csv").open()))
    assert (row["compute_gradients"], row["lin_reg_l2"], row["score"], row["max_score"]) == ("4", "1", "20", "20")
    results = json.loads((tmp_path / "g" / "master" / "results.json").read_text())
    assert sum(t["max_score"] for t in results["tests"] if t["name"].startswith("compute_gradients:")) == 4

    # the Gradescope zip grades with the same declarations: its wheel carries them, and the package it
    # installs reports the new points
    with zipfile.ZipFile(out / "gradescope" / "autograder.zip") as zf:
        wheel = next(n for n in zf.namelist() if n.endswith(".whl"))
        (tmp_path / "wheel.whl").write_bytes(zf.read(wheel))
    with zipfile.ZipFile(tmp_path / "wheel.whl") as zf:
        zf.extractall(tmp_path / "site")
        for path in (folder / "contract").glob("*.yaml"):
            assert zf.read(f"gdkit/assignment/contract/{path.name}") == path.read_bytes()
    script = ("import json, gdkit; from gdkit.autograder.checks import points_per_function, all_checks; "
              "print(json.dumps([gdkit.__file__, points_per_function(), sum(c.points for c in all_checks())]))")
    env = {k: v for k, v in os.environ.items() if k != "GDKIT_CONTRACT"}
    env["PYTHONPATH"] = str(tmp_path / "site")
    shown = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120,
                           cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    where, points, total = json.loads(shown.stdout)
    assert where.startswith(str(tmp_path / "site"))
    assert (points["compute_gradients"], points["lin_reg_l2"], total) == (4, 1, 20)


def test_each_known_mistake_is_worded_once_and_the_public_case_names_it(tmp_path):
    from gdkit.autograder.checks.contract import default_folder

    for path in sorted(default_folder().glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for mistake in data["public_case"].get("mistakes") or []:
            assert set(mistake) == {"diagnosis", "code"}, f"{path.name}: a public mistake worded twice: {mistake}"
            assert mistake["diagnosis"] in data["diagnoses"], (path.name, mistake["diagnosis"])
    folder = _copy_assignment(tmp_path)
    _edit_yaml(folder / "contract" / "compute_gradients.yaml",
               lambda d: d["public_case"]["mistakes"][0].update(diagnosis="nowhere"))
    with pytest.raises(ContractError) as refused:
        load(folder / "contract")
    [line] = str(refused.value).splitlines()
    assert line.endswith("compute_gradients.yaml: public_case.mistakes names the diagnosis 'nowhere', which "
                         "diagnoses: does not word"), line
