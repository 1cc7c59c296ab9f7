"""Student code cannot read the grader's world-readable files when grading locally as root.

The mount plan is tested on folders of our own (no root needed); the hiding itself through ``gdkit grade``'s
batch path, as an instructor runs it, with a submission that tries to read gdkit's reference, another
student's notebook and the results folder.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from gdkit.autograder.batch import grade_all
from gdkit.autograder.executor import hiding

from solutions import solution_cells, write_notebook


def _tree(root: Path) -> Path:
    for folder in ("checkout/.venv/lib", "checkout/reference", "checkout/dist/samples", "run/keep", "run/other"):
        (root / folder).mkdir(parents=True)
    for file in ("checkout/pyproject.toml", "checkout/reference/linear.py", "run/other/x"):
        (root / file).write_text("secret")
    (root / "checkout/link").symlink_to("/usr")
    return root


def test_a_private_folder_is_covered_except_what_is_kept(tmp_path):
    root = _tree(tmp_path)
    plan = hiding.mount_plan([root / "checkout", root / "run"], keep=[root / "checkout/.venv", root / "run/keep"])
    assert sorted(plan) == [root / "checkout/dist", root / "checkout/pyproject.toml", root / "checkout/reference",
                            root / "run/other"]
    assert root / "checkout/link" not in plan, "a mount over a symlink would cover its target"


def test_nested_private_paths_give_one_mount(tmp_path):
    root = _tree(tmp_path)
    plan = hiding.mount_plan([root / "checkout/reference", root / "checkout", root / "checkout/reference/linear.py"],
                             keep=[])
    assert plan == [root / "checkout"]


def test_system_folders_are_never_covered():
    plan = hiding.mount_plan([Path("/")], keep=[])
    assert plan, "the root folder has entries to cover"
    for path in plan:
        for system in hiding.SYSTEM:
            real = Path(os.path.realpath(system))
            assert path != real and path not in real.parents, f"{path} would cover {system}"


LEAK = '''
import os
def _try(label, path):
    try:
        data = os.listdir(path) if os.path.isdir(path) else open(path, "rb").read()
        print("LEAK", label, "read", len(data))
    except Exception as exc:
        print("LEAK", label, type(exc).__name__)
for label, path in PATHS:
    _try(label, path)
'''


def _readable_by_others(path: Path) -> bool:
    """Readable by any user without hiding: o+r on the path itself, o+x on every folder above it."""
    return bool(os.stat(path).st_mode & 0o004) and all(os.stat(p).st_mode & 0o001 for p in path.parents)


@pytest.fixture
def class_folder():
    """A class's submissions where an instructor keeps them: a folder any user may read (pytest's tmp_path is
    under a 0700 folder, which would protect it by permissions alone)."""
    folder = Path(tempfile.mkdtemp(prefix="gdkit-class-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def test_local_grading_hides_gdkit_other_submissions_and_results(class_folder, student_user):
    if student_user is None:
        pytest.skip("needs root: the mounts are made as root before the user switch")
    if not hiding.mount_namespace_available():
        pytest.skip("this kernel or container allows no mount namespace (Gradescope's case: permissions instead)")
    submissions, out = class_folder / "submissions", class_folder / "grades"
    submissions.mkdir(mode=0o755)
    other = write_notebook(submissions / "other.ipynb", solution_cells())
    other.chmod(0o644)
    out.mkdir(mode=0o755)
    reference = hiding.gdkit_files()[1] / "linear.py"
    paths = [("ref", reference), ("other", other), ("grades", out), ("control", Path("/etc/hostname"))]
    for label, path in paths:
        assert _readable_by_others(path), f"{label}: {path} is protected by permissions; the test would prove nothing"
    attack = LEAK.replace("PATHS", repr([(label, str(path)) for label, path in paths]))
    thief = write_notebook(submissions / "thief.ipynb", solution_cells() + [attack])

    reports = grade_all([thief, other], out).reports

    seen = dict(re.findall(r"^LEAK (\w+) (.+)$", reports[0].output, re.M))
    assert seen["control"].startswith("read"), f"the student could not read /etc/hostname: test is void ({seen})"
    assert seen["ref"] == seen["other"] == "FileNotFoundError", seen
    assert seen["grades"] == "read 0", seen  # an empty folder
    assert [r.score for r in reports] == [20, 20]
    assert any("hidden from student code" in line for line in reports[0].log)


def test_the_mount_script_tolerates_only_paths_that_vanished(tmp_path):
    if not hiding.mount_namespace_available():
        pytest.skip("needs root and a mount namespace")
    folder, gone = tmp_path / "folder", tmp_path / "gone"
    folder.mkdir()
    (folder / "secret").write_text("x")
    gone.mkdir()
    script = hiding.mount_script([folder, gone])
    gone.rmdir()
    look = ["ls", "-A", str(folder)]
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c", script, "t", *look],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and done.stdout == "", (done.returncode, done.stdout, done.stderr)
    # A path that exists but cannot be covered stops the run: student code never starts half-hidden.
    present = tmp_path / "present"
    present.write_text("x")
    failing = hiding.mount_script([present]).replace("--bind /dev/null", f"--bind {tmp_path / 'no-such-source'}")
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c", failing, "t", "true"],
                          capture_output=True, timeout=30)
    assert done.returncode != 0
