"""The student package (issue 9, item 4): the hand-out installs from its own requirements, runs the public checks
on a wrong and a right notebook, and carries expected values, never the reference implementation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat

from gdkit.autograder.checks.contract import load
from gdkit.student_package import write_package

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "engine"))
from solutions import SOLUTION, WRONG, solution_cells, write_notebook  # noqa: E402

# Source lines only the reference (and the master's solutions) contain: none may reach a student's machine.
REFERENCE_MARKERS = ("ground-truth implementation", "def check_XYW", "def logistic_optimum", "def linear_lipschitz",
                     "import gdkit\n", "import gdkit.", "from gdkit.", "from gdkit import")


def _reference_free(text: str) -> list[str]:
    return [marker for marker in REFERENCE_MARKERS if marker in text]


def test_the_handout_holds_values_not_the_reference(handout):
    with zipfile.ZipFile(handout.student_zip) as zf:
        names = zf.namelist()
        assert "gradient_descent/requirements.txt" in names and "gradient_descent/INSTALL.txt" in names
        assert len(zf.read("gradient_descent/INSTALL.txt").decode().strip().splitlines()) == 2
        assert "gradient_descent/gdkit_student/cases.json" in names
        for name in names:
            assert not name.startswith("gradient_descent/gdkit/"), name
            found = _reference_free(zf.read(name).decode("utf-8", errors="replace"))
            assert not found, f"{name} contains reference code: {found}"
    # and the notebook the students get has the generated check cells, no hand-written tests
    cells = nbformat.read(handout.student_notebook, as_version=4).cells
    checks = [c.source for c in cells if c.cell_type == "code" and c.source.startswith("grader.check(")]
    assert len(checks) == 7


BLOCKER = r'''
import importlib.abc, os, sys
LINUX_ONLY = {"resource", "fcntl", "pwd", "grp", "pty", "termios", "subprocess", "multiprocessing", "signal"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in LINUX_ONLY:
            raise ImportError(f"{name} is not available here")
        return None
for name in list(sys.modules):
    if name.split(".")[0] in LINUX_ONLY:
        del sys.modules[name]
sys.meta_path.insert(0, Block())
for name in ("fork", "forkpty", "setuid", "setgid", "setresuid", "setresgid", "unshare", "setns", "setsid",
             "killpg", "kill", "setpgid", "sched_setaffinity"):
    if hasattr(os, name):
        delattr(os, name)
'''

RUN = r'''
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from gdkit_student import check
verdicts = {}
for label, sources in json.loads(sys.argv[2]).items():
    ns = {"np": np, "__name__": "__main__"}
    for source in sources:
        exec(source, ns)
    for name in json.loads(sys.argv[3]):
        try:
            check(name, ns.get(name))
            verdicts[f"{label} {name}"] = "pass"
        except AssertionError as e:
            verdicts[f"{label} {name}"] = "fail: " + str(e)
print(json.dumps({"verdicts": verdicts, "gdkit": sorted(m for m in sys.modules if m.startswith("gdkit."))
                  + (["gdkit"] if "gdkit" in sys.modules else [])}))
'''


OFF_PATH = """
def gradient_descent(X, y, learn_rate, num_iters, theta=None):
    theta = np.zeros((X.shape[1], 1)) if theta is None else theta
    for _ in range(num_iters):
        theta = theta - learn_rate * compute_gradients(X, y, theta + 1.0)
    return theta
"""


def test_student_checks_need_only_python_and_numpy(tmp_path):
    write_package(tmp_path, load(REPO / "assignment" / "contract"))
    notebooks = {"right": list(SOLUTION.values()),
                 "wrong": [WRONG.get(name, source) for name, source in SOLUTION.items()],
                 "off": [*SOLUTION.values(), OFF_PATH]}
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    done = subprocess.run([sys.executable, "-I", "-c", BLOCKER + RUN, str(tmp_path), json.dumps(notebooks),
                           json.dumps(list(SOLUTION))], capture_output=True, text=True, timeout=120, env=env,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    verdicts = result["verdicts"]
    assert result["gdkit"] == [], "the student side imported gdkit"
    assert all(verdicts[f"right {name}"] == "pass" for name in SOLUTION), verdicts
    assert verdicts["wrong compute_gradients"].startswith("fail: Expected: [-0.5833333333 -2.0416666667]")
    assert "(This check uses the correct sigmoid in place of yours" in verdicts["wrong compute_logistic_gradients"]
    assert verdicts["wrong sigmoid"].startswith("fail:")
    assert verdicts["wrong gradient_descent"].startswith("fail: Expected: [0.1333333333 0.2")  # 2 updates
    # the substituted gradient is a look-up along the correct trajectory: elsewhere it says so
    assert "OffTheCorrectPath: the correct compute_gradients, used in this check in place of yours, is known here " \
           "only at the points the correct gradient_descent visits" in verdicts["off gradient_descent"], verdicts


def _execute_in(venv: Path, notebook: Path) -> dict[str, str]:
    """Execute ``notebook`` with the fresh venv's own Jupyter; {question: check output}."""
    done = subprocess.run([str(venv / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute",
                           "--allow-errors", "--output", "executed.ipynb", notebook.name],
                          cwd=notebook.parent, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    nb = nbformat.read(notebook.parent / "executed.ipynb", as_version=4)
    out = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith('grader.check("'):
            out[cell.source.split('"')[1]] = json.dumps(cell.outputs)
    return out


def test_fresh_venv_installs_the_handout_and_runs_its_checks(handout, tmp_path):
    with zipfile.ZipFile(handout.student_zip) as zf:
        zf.extractall(tmp_path)
    folder = tmp_path / "gradient_descent"
    note = (folder / "INSTALL.txt").read_text()
    assert "python -m pip install -r requirements.txt" in note
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    # as the note says, from the hand-out's folder (packages from the registry, or pip's cache)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r", "requirements.txt"],
                   cwd=folder, check=True, timeout=900)

    right = _execute_in(venv, write_notebook(folder / "right.ipynb", solution_cells()))
    assert all("All test cases passed!" in text for text in right.values()) and len(right) == 7, right
    (folder / "executed.ipynb").unlink()
    wrong = _execute_in(venv, write_notebook(folder / "wrong.ipynb",
                                             solution_cells(compute_gradients=WRONG["compute_gradients"])))
    failing = sorted(name for name, text in wrong.items() if "All test cases passed!" not in text)
    assert failing == ["compute_gradients"], wrong
    assert "Expected: [-0.5833333333 -2.0416666667]" in wrong["compute_gradients"]

    # nothing of the reference (or gdkit itself) in the venv
    assert subprocess.run([str(venv / "bin" / "python"), "-c", "import gdkit"], capture_output=True,
                          cwd=folder).returncode
    site = next(venv.glob("lib/python3*/site-packages"))
    for path in site.rglob("*.py"):
        if "gdkit" in path.parts:
            raise AssertionError(f"gdkit in the student venv: {path}")
    for path in [*folder.rglob("*.py"), *folder.rglob("*.json"), *folder.rglob("*.ipynb")]:
        if path.name in ("right.ipynb", "wrong.ipynb", "executed.ipynb"):
            continue
        assert not _reference_free(path.read_text(errors="replace")), path
