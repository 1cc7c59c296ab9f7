"""Gradescope's entry point (``python -m gdkit.autograder.gradescope.run``, started by ``run_autograder``).

Runs as root in a fresh container, with the layout Gradescope documents under ``AUTOGRADER_ROOT`` (default
``/autograder``): ``source/`` (the zip, made root-only by setup.sh), ``submission/`` (the student's files),
``submission_metadata.json`` and ``results/``. It always leaves a valid ``results/results.json``, written
atomically from memory: first a provisional one (so a grader killed midway still leaves a readable verdict),
then the real one. The submission's code runs in the executor's separate process as ``gdkit-student``; this
process only reads the notebook and judges plain data. Its stdout (the log below) is hidden from students.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path

from gdkit.autograder.executor import sandbox
from gdkit.autograder.executor.supply import Sandboxing, Supply
from gdkit.autograder.gradescope.submission_files import find_files, wrong_submission_reason
from gdkit.autograder.results.gradescope import (
    VISIBILITIES,
    provisional_results,
    results_json,
    write_atomically,
)

DEFAULT_ROOT = "/autograder"
DEFAULT_VISIBILITY = "after_published"

PROVISIONAL = (
    "**Grading did not complete.** The autograder stopped before it could grade your notebook (it may have run "
    "out of time or memory). Check that your notebook runs from top to bottom in a few minutes "
    "(Kernel > Restart & Run All), then submit again; if this persists, tell your instructor."
)
INTERNAL_ERROR = (
    "**Not graded: the autograder hit an internal error.** This is not your fault; your instructor has the "
    "details. Your score here is a placeholder until they regrade."
)


def log(message: str) -> None:
    print(f"[gdkit] {message}", flush=True)


def autograder_root() -> Path:
    return Path(os.environ.get("AUTOGRADER_ROOT", DEFAULT_ROOT))


def results_path(root: Path) -> Path:
    return root / "results" / "results.json"


def prepare_results_folder(root: Path) -> None:
    """The results folder belongs to root and only root can write it (student code runs as another user)."""
    folder = root / "results"
    if folder.is_symlink():
        folder.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    if sandbox.is_root():
        os.chown(folder, 0, 0)
    os.chmod(folder, 0o755)


def read_metadata(root: Path) -> dict:
    """submission_metadata.json if readable; then made root-only (it holds previous results and due dates)."""
    path = root / "submission_metadata.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log(f"no readable submission_metadata.json ({type(exc).__name__}: {exc}); the seed comes from the notebook")
        return {}
    try:
        os.chmod(path, 0o600)
    except OSError as exc:
        log(f"could not make {path} root-only: {exc}")
    return data if isinstance(data, dict) else {}


def submission_id(metadata: dict) -> str | None:
    value = metadata.get("id")
    if isinstance(value, bool) or value is None or not isinstance(value, (int, str)) or str(value).strip() == "":
        return None
    return str(value)


def hidden_visibility(root: Path) -> str:
    path = root / "source" / "gdkit_config.json"
    try:
        value = json.loads(path.read_text(encoding="utf-8")).get("hidden_visibility", DEFAULT_VISIBILITY)
    except (OSError, ValueError, AttributeError) as exc:
        log(f"no readable {path} ({type(exc).__name__}); hidden checks use visibility {DEFAULT_VISIBILITY}")
        return DEFAULT_VISIBILITY
    if value not in VISIBILITIES:
        log(f"invalid hidden_visibility {value!r} in {path}; using {DEFAULT_VISIBILITY}")
        return DEFAULT_VISIBILITY
    return value


def grade(root: Path, started: float) -> dict:
    metadata = read_metadata(root)
    visibility = hidden_visibility(root)
    submission = root / "submission"
    notebooks, found = find_files(submission)
    log(f"submission files: {found}")
    if len(notebooks) != 1:
        from gdkit.autograder.grade import not_graded_report

        reason = wrong_submission_reason(notebooks, found, submission)
        log(f"not graded: {reason}")
        return results_json(not_graded_report(submission, reason, started), visibility)
    sid = submission_id(metadata)
    # GDKIT_STUDENT: set by gdkit's tests only (a user of their own); Gradescope sets no such variable.
    user = sandbox.ensure_user(os.environ.get("GDKIT_STUDENT") or sandbox.DEFAULT_USER) if sandbox.is_root() else None
    if user is None:
        log("not root: student code runs as the current user (a local try-out, not Gradescope)")
    # The sandbox where the container allows namespaces; else the user switch and setup.sh's root-only files.
    isolation, line = sandbox.choose(sys.executable, user,
                                     fallback=sandbox.USER_SWITCH if user is not None else sandbox.NONE)
    log(line if isolation == sandbox.SANDBOX else f"{line}: gdkit's files are protected by being root-only")
    log(f"grading {notebooks[0].relative_to(submission)} (submission id {sid}) with {sys.executable}")
    # The student process starts while this process imports the grader (numpy, the checks): the student waits
    # for the longer of the two, not their sum. It serves this one submission, like any session.
    # A rerun with the real matplotlib takes a second session, started then; one never taken is killed on close.
    how = Sandboxing(isolation, sandbox.Limits(), python=sys.executable)
    with Supply(how, ahead=1, expected=1, user=user) as supply:
        from gdkit.autograder.grade import grade_notebook

        report = grade_notebook(notebooks[0], submission_id=sid, sessions=supply.take)
    for line in report.log:
        log(line)
    log(f"score {report.score:g}/{report.max_score:g} in {report.seconds:.1f} s, seed {report.seed}")
    if report.output:
        print("----- the notebook's output (capped) -----")
        print(report.output)
        print("----- end of the notebook's output -----", flush=True)
    return results_json(report, visibility)


def internal_error_results(started: float) -> dict:
    try:
        from gdkit.autograder.grade import not_graded_report

        report = not_graded_report(Path("."), "the autograder hit an internal error (not your fault)", started)
        document = results_json(report, DEFAULT_VISIBILITY)
        document["output"] = INTERNAL_ERROR
        return document
    except Exception:
        traceback.print_exc(file=sys.stdout)
        return {"score": 0.0, "output": INTERNAL_ERROR, "output_format": "md", "visibility": "visible",
                "stdout_visibility": "hidden", "tests": []}


def main() -> int:
    started = time.monotonic()
    root = autograder_root()
    out = results_path(root)
    try:
        prepare_results_folder(root)
        write_atomically(out, provisional_results(PROVISIONAL))
    except Exception:
        log("could not write the provisional results.json:")
        traceback.print_exc(file=sys.stdout)
    try:
        document = grade(root, started)
    except Exception:
        log("internal error while grading:")
        traceback.print_exc(file=sys.stdout)
        document = internal_error_results(started)
    try:
        write_atomically(out, document)
    except Exception:
        log("could not write results.json:")
        traceback.print_exc(file=sys.stdout)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
