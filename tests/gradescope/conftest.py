"""Fixtures for the Gradescope package's tests: the zip built once, unpacked into a simulated /autograder,
set up with the zip's own setup.sh (as root, like Gradescope), and a way to run run_autograder on a submission.

These tests need root (setup.sh creates a user and makes files root-only; student code runs as gdkit-student):
CI runs as root. Not root, they are skipped with a reason that says so.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "engine"))

from gdkit.autograder.executor import sandbox  # noqa: E402
from gdkit.autograder.gradescope.package import build_gradescope_zip  # noqa: E402
from gdkit.autograder.results.gradescope import validate  # noqa: E402

PYTHON = os.environ.get("GDKIT_TEST_PYTHON", "/usr/bin/python3.11")
# A student user of these tests' own: the executor kills every process of its student user after each
# submission, so sharing gdkit-student with the engine's tests running at the same time would kill theirs.
STUDENT = "gdkit-gstest"
MEASUREMENTS: dict[str, str] = {}


def pytest_terminal_summary(terminalreporter):
    if MEASUREMENTS:
        terminalreporter.section("gdkit Gradescope measurements")
        for key, value in MEASUREMENTS.items():
            terminalreporter.write_line(f"{key}: {value}")


def extract(archive: Path, dest: Path) -> None:
    """Unpack like unzip does on Gradescope: files with the permissions recorded in the zip."""
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            target = dest / info.filename
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(info))
            os.chmod(target, (info.external_attr >> 16) & 0o7777 or 0o644)


@dataclass
class Run:
    doc: dict
    stdout: str
    seconds: float


@dataclass
class Gradescope:
    base: Path
    zip_path: Path
    root: Path
    venv: Path
    package: Path  # the installed gdkit folder in the venv
    setup_output: str

    @property
    def source(self) -> Path:
        return self.root / "source"

    @property
    def results(self) -> Path:
        return self.root / "results" / "results.json"

    def run(self, files: dict[str, str | bytes], metadata: dict | None = None, results_mode: int = 0o755,
            env_path: str | None = None) -> Run:
        """A fresh submission: place ``files`` in submission/, run /autograder/run_autograder as root."""
        for name in ("submission", "results"):
            shutil.rmtree(self.root / name, ignore_errors=True)
            (self.root / name).mkdir(mode=0o755)
            os.chmod(self.root / name, 0o755)
        os.chmod(self.root / "results", results_mode)
        meta = self.root / "submission_metadata.json"
        meta.unlink(missing_ok=True)
        if metadata is not None:
            meta.write_text(json.dumps(metadata))
        for name, content in files.items():
            path = self.root / "submission" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        env = {**os.environ, "AUTOGRADER_ROOT": str(self.root), "GDKIT_VENV": str(self.venv), "GDKIT_STUDENT": STUDENT}
        if env_path is not None:  # a container without some tool (bubblewrap)
            env["PATH"] = env_path
        started = time.monotonic()
        proc = subprocess.run([str(self.root / "run_autograder")], cwd=self.root, env=env, capture_output=True,
                              text=True, timeout=600, stdin=subprocess.DEVNULL)
        seconds = time.monotonic() - started
        assert proc.returncode == 0, f"run_autograder exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        doc = json.loads(self.results.read_text())
        validate(doc)
        return Run(doc, proc.stdout + proc.stderr, seconds)


def metadata(submission_id) -> dict:
    """submission_metadata.json as Gradescope writes it (the fields gdkit reads, and some it does not)."""
    return {
        "id": submission_id,
        "created_at": "2026-11-20T10:00:00.000000-08:00",
        "assignment": {"id": 42, "title": "Gradient descent", "total_points": "20.0",
                       "due_date": "2026-11-30T23:59:00.000000-08:00"},
        "users": [{"email": "student@example.edu", "id": 7, "name": "A Student"}],
        "previous_submissions": [],
    }


@pytest.fixture(scope="session")
def gradescope() -> Gradescope:
    if not sandbox.is_root():
        pytest.fail("the Gradescope tests need root (setup.sh creates gdkit-student and makes files root-only); "
                    "CI runs them as root: run `sudo ./dev test tests/gradescope`")
    if not os.access(PYTHON, os.X_OK):
        pytest.fail(f"{PYTHON} (GDKIT_TEST_PYTHON) is not an executable Python 3.11; the simulated Gradescope "
                    "setup builds its venv from it")
    # Two runs of these tests at once (two sessions on one machine) would share STUDENT: take turns.
    sandbox.LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
    lock = os.open(sandbox.LOCK_DIR / f"{STUDENT}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    base = Path(tempfile.mkdtemp(prefix="gdkit-gradescope-", dir="/tmp"))
    os.chmod(base, 0o755)  # world-traversable, as / and /autograder are: permission tests mean something
    try:
        zip_path = build_gradescope_zip(base / "build")
        MEASUREMENTS["autograder.zip size"] = f"{zip_path.stat().st_size} bytes"
        root = base / "autograder"
        for folder in (root, root / "source", root / "submission", root / "results"):
            folder.mkdir(mode=0o755)
            os.chmod(folder, 0o755)
        extract(zip_path, root / "source")
        shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")  # as Gradescope does
        venv = base / "venv"
        env = {**os.environ, "GDKIT_PYTHON": PYTHON, "GDKIT_VENV": str(venv), "GDKIT_STUDENT": STUDENT}
        env.pop("PYTHONPATH", None)
        started = time.monotonic()
        proc = subprocess.run(["bash", "setup.sh"], cwd=root / "source", env=env, capture_output=True, text=True,
                              timeout=900, stdin=subprocess.DEVNULL)
        MEASUREMENTS["setup.sh time"] = f"{time.monotonic() - started:.1f} s"
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"setup.sh failed ({proc.returncode}):\n{output[-6000:]}"
        package = subprocess.run(
            [str(venv / "bin" / "python"), "-I", "-c", "import os, gdkit; print(os.path.dirname(gdkit.__file__))"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()
        yield Gradescope(base, zip_path, root, venv, Path(package), output)
    finally:
        shutil.rmtree(base, ignore_errors=True)
        os.close(lock)


@pytest.fixture(scope="session")
def student_user(gradescope) -> sandbox.StudentUser:
    """The tests' student user (created by setup.sh), for grading the same notebooks locally."""
    return sandbox.ensure_user(STUDENT)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)
