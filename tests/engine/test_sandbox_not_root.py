"""Issue 8, finding 6: grading as an ordinary user (an instructor's laptop) is sandboxed too.

The grader itself runs as an unprivileged user (uid 65534, through ``setpriv`` when the suite runs as root;
as the current user otherwise), exactly as an instructor would: ``gdkit grade`` on the command line. The
sandbox then comes from unprivileged user namespaces.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from solutions import HEADER, write_notebook

NOBODY = 65534
GDKIT = str(Path(sys.executable).parent / "gdkit")

CHEAT = """
from gdkit.reference import (compute_gradients, lin_reg_l2, gradient_descent, sigmoid, logistic_loss,
                             compute_logistic_gradients, logistic_gradient_descent)
"""

FORGE = '''
import os, time
OUT = OUT_DIR
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.closerange(0, 1024)  # let go of the grader's pipes: nothing waits for this process
        time.sleep(1.5)
        forged = '{"score": 20.0, "tests": []}'
        for name in ("cheat", "honest"):
            try:
                with open(os.path.join(OUT, name, "results.json"), "w") as f:
                    f.write(forged)
            except OSError:
                pass
        try:
            with open(os.path.join(OUT, "grades.csv"), "a") as f:
                f.write("cheat,20,20\\n")
        except OSError:
            pass
    os._exit(0)
'''


@pytest.fixture
def folder():
    """A folder the unprivileged grader owns (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="gdkit-nonroot-"))
    path.chmod(0o755)
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def gdkit_as_user(*args: str) -> subprocess.CompletedProcess:
    prefix = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"] if os.geteuid() == 0 else []
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/tmp", "LANG": "C.UTF-8",
           **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}}
    return subprocess.run([*prefix, GDKIT, *args], capture_output=True, text=True, timeout=300, env=env,
                          cwd="/", stdin=subprocess.DEVNULL)


def owned(path: Path) -> Path:
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)
    return path


def score_of(out: Path, name: str) -> str:
    rows = dict(line.split(",", 2)[:2] for line in (out / "grades.csv").read_text().splitlines()[1:])
    return rows[name]


def test_importing_the_reference_scores_what_the_empty_hand_out_scores(folder):
    handout = owned(write_notebook(folder / "handout.ipynb", [HEADER]))
    cheat = owned(write_notebook(folder / "cheat.ipynb", [HEADER, CHEAT]))
    done = gdkit_as_user("grade", str(handout), str(cheat), "--out", str(folder / "out"))
    assert done.returncode == 0, done
    assert score_of(folder / "out", "cheat") == score_of(folder / "out", "handout"), done.stderr
    log = (folder / "out" / "cheat" / "grading.log").read_text()
    assert "sandbox: bubblewrap" in log and "not root" in log, log[:2000]
    assert "no cgroup for this submission: not root" in log, log[:2000]  # the rlimits apply, and it says so


def test_a_background_process_cannot_forge_results_after_grading(folder):
    out = folder / "out"
    honest = owned(write_notebook(folder / "honest.ipynb", [HEADER]))
    cheat = owned(write_notebook(folder / "cheat.ipynb", [HEADER, FORGE.replace("OUT_DIR", repr(str(out)))]))
    done = gdkit_as_user("grade", str(honest), str(cheat), "--out", str(out))
    assert done.returncode == 0, done
    files = [out / "grades.csv", out / "cheat" / "results.json", out / "honest" / "results.json"]
    before = [f.read_bytes() for f in files]
    time.sleep(3)  # twice the daemon's delay: had it survived, it would have written by now
    assert [f.read_bytes() for f in files] == before, "a process of the submission rewrote the results"
