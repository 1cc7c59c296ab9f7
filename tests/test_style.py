"""The code base stays ruff clean and type-checks (the notebook is teaching material shaped by Otter, and is
excluded)."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ruff_is_clean():
    ruff = Path(sys.executable).parent / "ruff"
    result = subprocess.run([str(ruff), "check", "."], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean_over_the_whole_package():
    # pyproject's [tool.mypy] names the package; gdkit/reference, gdkit/autograder and gdkit/assignment are
    # symlinks to the top-level folders, so mypy follows every module of the engine, not only gdkit/*.py.
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    checked = int(result.stdout.rsplit(" in ", 1)[1].split()[0])
    assert checked >= 45, f"mypy checked only {checked} files: it does not see the engine's modules\n{result.stdout}"
