"""The Gradescope package end to end: the zip, its setup.sh and run_autograder in a simulated /autograder."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from gdkit.autograder.checks import points_per_function
from gdkit.autograder.executor.sandbox import ensure_user, live_processes
from gdkit.autograder.grade import grade_notebook, seed_for
from gdkit.autograder.gradescope.package import build_gradescope_zip
from gdkit.autograder.results.gradescope import results_json

from .conftest import MEASUREMENTS, STUDENT, metadata, mode
from solutions import WRONG, solution_cells, write_notebook

FULL = 20


def notebook_bytes(tmp_path: Path, cells: list[str], name: str = "hw.ipynb") -> bytes:
    return write_notebook(tmp_path / name, cells).read_bytes()


def without_time(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "execution_time"}


# -- the zip -------------------------------------------------------------------------------------------------


def test_zip_layout_permissions_and_pins(gradescope):
    with zipfile.ZipFile(gradescope.zip_path) as z:
        infos = z.infolist()
        names = [i.filename for i in infos]
        assert names == sorted(names)
        assert names == ["gdkit-0.1.0-py3-none-any.whl", "gdkit_config.json", "requirements.txt",
                         "run_autograder", "setup.sh"], "files at the zip's root, not in a folder"
        modes = {i.filename: (i.external_attr >> 16) & 0o7777 for i in infos}
        assert modes["setup.sh"] == modes["run_autograder"] == 0o755
        assert all(modes[n] == 0o644 for n in names if n not in ("setup.sh", "run_autograder"))
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert json.loads(z.read("gdkit_config.json")) == {"hidden_visibility": "after_published"}
        lines = [ln for ln in z.read("requirements.txt").decode().splitlines() if ln and not ln.startswith("#")]
        assert all(re.fullmatch(r"[a-z0-9][a-z0-9._-]*==[0-9][^ ]*", ln) for ln in lines), lines
        pinned = {ln.split("==")[0] for ln in lines}
        assert {"numpy", "matplotlib", "nbformat", "jsonschema", "traitlets", "pillow", "pip"} <= pinned
        installed = {"numpy": __import__("numpy").__version__, "nbformat": __import__("nbformat").__version__,
                     "matplotlib": __import__("matplotlib").__version__}
        assert all(f"{name}=={version}" in lines for name, version in installed.items()), lines
        assert not {"otter-grader", "nbconvert", "jupyter-client", "ipykernel", "pytest"} & pinned
        setup = z.read("setup.sh").decode()
        assert "set -euo pipefail" in setup and "conda" not in setup.replace("no conda", "")
        assert "apt-get install -y --no-install-recommends python3.11 python3.11-venv" in setup
        wheel = zipfile.ZipFile(__import__("io").BytesIO(z.read(names[0])))
        wheel_names = wheel.namelist()
        assert "gdkit/autograder/checks/gradients.py" in wheel_names
        assert "gdkit/reference/linear.py" in wheel_names
        assert "gdkit/autograder/results/schema.json" in wheel_names
        assert not [n for n in wheel_names if "__pycache__" in n or n.startswith("tests/")]
    size = gradescope.zip_path.stat().st_size
    assert size < 1_000_000, f"autograder.zip is {size} bytes"


def test_zip_is_deterministic(tmp_path):
    # Two builds back to back (not against the session's zip: the wheel holds the working tree, which may change
    # while the suite runs on a developer's machine).
    first = build_gradescope_zip(tmp_path / "first").read_bytes()
    again = build_gradescope_zip(tmp_path / "again").read_bytes()
    assert again == first
    other = build_gradescope_zip(tmp_path / "hidden", hidden_visibility="hidden")
    with zipfile.ZipFile(other) as z:
        assert json.loads(z.read("gdkit_config.json")) == {"hidden_visibility": "hidden"}
    with pytest.raises(ValueError):
        build_gradescope_zip(tmp_path / "bad", hidden_visibility="after_lunch")


def test_setup_made_gdkit_and_source_root_only(gradescope):
    assert f"ok: {STUDENT}" in gradescope.setup_output, gradescope.setup_output[-3000:]
    assert gradescope.package.is_relative_to(gradescope.venv)
    for folder in (gradescope.package, gradescope.source):
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
                assert mode(Path(name)) & 0o077 == 0, f"{name} is readable by others: {oct(mode(Path(name)))}"
    # The interpreter and numpy stay usable by everyone; nothing in the venv is writable by others.
    python = gradescope.venv / "bin" / "python"
    assert os.stat(python).st_mode & 0o005 == 0o005
    for dirpath, dirnames, filenames in os.walk(gradescope.venv):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if not path.is_symlink():
                assert mode(path) & 0o022 == 0, f"{path} is writable by others"


LIST_DISTRIBUTIONS = """
import importlib.metadata as m, re
for d in m.distributions():
    print(re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower() + "==" + d.version)
"""


def test_venv_holds_exactly_the_pinned_versions(gradescope):
    with zipfile.ZipFile(gradescope.zip_path) as z:
        pinned = {ln for ln in z.read("requirements.txt").decode().splitlines() if ln and not ln.startswith("#")}
    installed = set(subprocess.run([str(gradescope.venv / "bin" / "python"), "-I", "-c", LIST_DISTRIBUTIONS],
                                   capture_output=True, text=True, check=True).stdout.split())
    # A venv of an older Python brings setuptools, which grading does not use.
    extra = {d for d in installed - pinned if not d.startswith("setuptools==")}
    assert extra == {"gdkit==0.1.0"}
    assert pinned <= installed


# -- grading -------------------------------------------------------------------------------------------------


def test_solution_scores_full_marks(gradescope, tmp_path):
    run = gradescope.run({"hw.ipynb": notebook_bytes(tmp_path, solution_cells())}, metadata(1001))
    MEASUREMENTS["grading the solution (run_autograder wall clock)"] = (
        f"{run.seconds:.1f} s (execution_time in results.json: {run.doc['execution_time']} s)")
    assert run.doc["score"] == FULL
    assert sum(t["max_score"] for t in run.doc["tests"]) == FULL
    assert all(t["status"] == "passed" for t in run.doc["tests"]), run.doc
    assert run.doc["stdout_visibility"] == "hidden"
    assert {t["visibility"] for t in run.doc["tests"]} == {"visible", "after_published"}
    assert f"student code runs as user {STUDENT}" in run.stdout
    assert "sandbox: bubblewrap" in run.stdout, run.stdout  # this machine allows namespaces


def test_without_bubblewrap_the_user_switch_grades_and_the_log_says_so(gradescope, tmp_path):
    """A container where no sandbox can be made (here: no bwrap on PATH) falls back to the user switch."""
    tools = tmp_path / "bin"
    tools.mkdir()
    for tool in ("bash", "sh", "env", "prlimit", "setpriv", "unshare", "useradd", "kill"):
        found = shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/sbin")
        if found:
            (tools / tool).symlink_to(found)
    run = gradescope.run({"hw.ipynb": notebook_bytes(tmp_path, solution_cells())}, metadata(1009), env_path=str(tools))
    assert run.doc["score"] == FULL
    assert "bubblewrap (bwrap) is not installed" in run.stdout and "mode user-switch" in run.stdout, run.stdout
    assert "gdkit's files are protected by being root-only" in run.stdout


def test_wrong_gradient_loses_exactly_its_checks(gradescope, tmp_path, student_user):
    path = write_notebook(tmp_path / "hw.ipynb", solution_cells(compute_gradients=WRONG["compute_gradients"]))
    run = gradescope.run({"hw.ipynb": path.read_bytes()}, metadata(1002))
    local = grade_notebook(path, submission_id="1002", user=student_user)
    lost = points_per_function()["compute_gradients"] - local.function_scores()["compute_gradients"]
    assert lost > 0
    assert run.doc["score"] == local.score == FULL - lost
    assert [t["score"] for t in run.doc["tests"]] == [t["score"] for t in results_json(local)["tests"]]
    failed = {tuple(t["tags"]) for t in run.doc["tests"] if t["status"] == "failed"}
    assert failed and all(tags[0] == "compute_gradients" for tags in failed)
    MEASUREMENTS["wrong compute_gradients"] = f"{run.doc['score']:g}/{FULL} (loses {lost:g})"


def test_submission_id_sets_the_seed_and_regrading_is_identical(gradescope, tmp_path):
    content = notebook_bytes(tmp_path, solution_cells(sigmoid=WRONG["sigmoid"]))
    sha = hashlib.sha256(content).hexdigest()
    first = gradescope.run({"hw.ipynb": content}, metadata(555001)).doc
    again = gradescope.run({"hw.ipynb": content}, metadata(555001)).doc
    other = gradescope.run({"hw.ipynb": content}, metadata(555002)).doc
    none = gradescope.run({"hw.ipynb": content}, None).doc
    assert first["extra_data"]["seed"] == seed_for(sha, "555001")
    assert other["extra_data"]["seed"] == seed_for(sha, "555002") != first["extra_data"]["seed"]
    assert none["extra_data"]["seed"] == seed_for(sha)
    assert without_time(first) == without_time(again)
    assert first["extra_data"]["sha256"] == sha


def test_notebook_in_a_folder_with_checkpoints_is_graded_once(gradescope, tmp_path):
    content = notebook_bytes(tmp_path, solution_cells())
    run = gradescope.run({"hw/hw.ipynb": content, "hw/.ipynb_checkpoints/hw-checkpoint.ipynb": content,
                          "notes.txt": "hello"}, metadata(1003))
    assert run.doc["score"] == FULL


@pytest.mark.parametrize("files, expect", [
    ({}, ["no Jupyter notebook", "empty"]),
    ({"submission.py": "def compute_gradients(X, Y, W):\n    return X\n"}, ["no Jupyter notebook", "submission.py"]),
    ({"a.ipynb": "NB", "sub/b.ipynb": "NB"}, ["2 notebooks", "a.ipynb", "sub/b.ipynb", "exactly one"]),
], ids=["nothing", "python-file", "two-notebooks"])
def test_wrong_submissions_score_zero_with_a_clear_message(gradescope, tmp_path, files, expect):
    files = {k: (notebook_bytes(tmp_path, solution_cells()) if v == "NB" else v) for k, v in files.items()}
    doc = gradescope.run(files, metadata(1004)).doc
    assert doc["score"] == 0
    assert doc["tests"] and all(t["score"] == 0 for t in doc["tests"])
    assert sum(t["max_score"] for t in doc["tests"]) == FULL
    for text in expect:
        assert text in doc["output"], doc["output"]
        assert all(text in t["output"] for t in doc["tests"])


# -- attacks -------------------------------------------------------------------------------------------------


LEAK = '''
import os
codes = []
def attempt(label, fn):
    try:
        value = fn()
        codes.append(label + ":OK" + ("" if label == "control" else ":" + repr(value)[:40]))
    except BaseException as exc:
        codes.append(label + ":" + type(exc).__name__)
attempt("control", lambda: sorted(os.listdir(os.path.dirname(PKG))))
attempt("src", lambda: os.listdir(ROOT + "/source"))
attempt("cfg", lambda: open(ROOT + "/source/gdkit_config.json").read())
attempt("whl", lambda: open(ROOT + "/source/gdkit-0.1.0-py3-none-any.whl", "rb").read(9))
attempt("pkg", lambda: os.listdir(PKG))
attempt("chk", lambda: open(PKG + "/autograder/checks/gradients.py").read())
attempt("ref", lambda: open(PKG + "/reference/linear.py").read())
attempt("meta", lambda: open(ROOT + "/submission_metadata.json").read())
attempt("imp", lambda: __import__("gdkit.reference").reference.compute_gradients)
print("LEAK " + " ".join(codes))  # the student's stdout reaches the grader's log (hidden from students)
raise RuntimeError("LEAK " + " ".join(codes))
'''


def test_reading_the_grader_files_gets_nothing(gradescope, tmp_path):
    attack = LEAK.replace("ROOT", repr(str(gradescope.root))).replace("PKG", repr(str(gradescope.package)))
    run = gradescope.run({"hw.ipynb": notebook_bytes(tmp_path, solution_cells() + [attack])}, metadata(1005))
    # What the student sees: nothing more (the files are root-only, or absent from the sandbox altogether).
    assert re.search(r"LEAK control:OK src:(PermissionError|FileNotFoundError)", run.doc["output"]), run.doc["output"]
    found = re.search(r"^LEAK (.*)$", run.stdout, re.M)
    assert found, run.stdout
    codes = dict(code.split(":", 1) for code in found.group(1).split())
    assert codes.pop("control").startswith("OK"), "the student could not even list site-packages: test is void"
    assert set(codes) == {"src", "cfg", "whl", "pkg", "chk", "ref", "meta", "imp"}
    for label in ("src", "cfg", "whl", "pkg", "chk", "ref", "meta"):
        assert codes[label] in ("PermissionError", "FileNotFoundError"), (label, codes[label])
    assert codes["imp"] in ("ModuleNotFoundError", "PermissionError", "ImportError"), codes["imp"]
    assert run.doc["score"] == FULL  # the solution's points, nothing more


TAMPER = '''
import json, os, subprocess
R = ROOT + "/results"
codes = []
def attempt(label, fn):
    try:
        fn()
        codes.append(label + ":OK")
    except BaseException as exc:
        codes.append(label + ":" + type(exc).__name__)
forged = json.dumps({"score": 1000, "output": "FORGED"})
attempt("write", lambda: open(R + "/results.json", "w").write(forged))
attempt("append", lambda: open(R + "/results.json", "a").write(forged))
attempt("create", lambda: open(R + "/forged.json", "w").write(forged))
attempt("symlink", lambda: os.symlink("/tmp/forged.json", R + "/link.json"))
attempt("unlink", lambda: os.unlink(R + "/results.json"))
attempt("rename", lambda: os.rename(R + "/results.json", R + "/old.json"))
attempt("chmod", lambda: os.chmod(R, 0o777))
attempt("runner", lambda: open(ROOT + "/run_autograder", "a").write("echo forged"))
subprocess.Popen(["/bin/sh", "-c", "while true; do echo '" + forged + "' > " + R + "/results.json; sleep 0.2; done"],
                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(forged)
print("TAMPER " + " ".join(codes))
raise RuntimeError("TAMPER " + " ".join(codes))
'''


def test_results_cannot_be_forged(gradescope, tmp_path):
    runner = (gradescope.root / "run_autograder").read_bytes()
    attack = TAMPER.replace("ROOT", repr(str(gradescope.root)))
    # Even a results folder left writable by everyone is made root-only before the student's code runs.
    run = gradescope.run({"hw.ipynb": notebook_bytes(tmp_path, solution_cells() + [attack])}, metadata(1006),
                         results_mode=0o777)
    assert mode(gradescope.results.parent) == 0o755
    found = re.search(r"^TAMPER (.*)$", run.stdout, re.M)
    assert found, run.stdout
    codes = dict(code.split(":", 1) for code in found.group(1).split())
    assert len(codes) == 8 and set(codes.values()) <= {"PermissionError", "FileNotFoundError"}, codes
    assert run.doc["score"] == FULL
    assert sorted(p.name for p in gradescope.results.parent.iterdir()) == ["results.json"]
    assert (gradescope.root / "run_autograder").read_bytes() == runner
    time.sleep(1.0)  # the loop it left behind was killed with the rest of the submission
    assert json.loads(gradescope.results.read_text()) == run.doc
    assert live_processes(ensure_user(STUDENT).uid) == []
