"""Build the hand-out from the master notebook (``gdkit build``).

``otter assign`` (Otter-Grader 7, run as a subprocess of this interpreter's own ``otter``) turns the master
notebook ``assignment/master.ipynb`` into a student notebook (solutions replaced by ``...``, public checks in
``tests/*.py``) and an Otter autograder folder. This module runs it in a temporary folder and writes::

    OUT/student/gradient_descent.ipynb     the student notebook (normalised: byte-identical for the same input)
    OUT/student/tests/<question>.py        the public checks ``grader.check(...)`` runs
    OUT/student.zip                        the hand-out: the two above under ``gradient_descent/``
    OUT/otter-autograder/                  otter's autograder output (solution notebook, all tests,
                                           otter_config.json, otter's Gradescope zip under a fixed name)

Hidden grading is not Otter's job in this kit: the master notebook holds only public checks; the grading
engine (``gdkit.autograder``) has its own. A Gradescope package of that engine can be added after
:func:`build_assignment` (it returns the paths it wrote), see :func:`run_build_cli`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

from gdkit import assignment_config, master_contract, student_package
from gdkit.autograder.checks.contract import ContractError, Declaration, default_folder, load

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MASTER = REPO / "assignment" / "master.ipynb"

#: The name students see: the master is copied under this name before ``otter assign`` runs, so the student
#: notebook (and the ``otter.Notebook("...")`` call in its first cell) does not depend on the master's path.
NOTEBOOK_NAME = "gradient_descent.ipynb"
ZIP_ROOT = "gradient_descent"
OTTER_ZIP_NAME = "gradient_descent-otter-autograder.zip"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
OTTER_TIMEOUT_S = 600


class BuildError(Exception):
    """The build failed; ``str(error)`` is a one-line message for the user."""


@dataclass(frozen=True)
class BuildResult:
    """What :func:`build_assignment` wrote."""

    student_dir: Path
    student_notebook: Path
    student_zip: Path
    otter_autograder_dir: Path


# --------------------------------------------------------------------------------------------------------
# checks before otter runs (so the common mistakes get a clear message instead of a traceback)


def contract_folder(master: Path) -> Path:
    """The declarations a master is built with: ``contract/`` next to it, else the ones gdkit grades with."""
    beside = Path(master).resolve().parent / "contract"
    return beside if beside.is_dir() else default_folder()


def declarations_for(master: Path) -> dict[str, Declaration]:
    """The master's declarations, checked against the checks' code; raises BuildError (one line)."""
    from gdkit.autograder.checks import checks_for

    try:
        declarations = load(contract_folder(master))
        checks_for(declarations)
    except ContractError as e:
        raise BuildError(str(e)) from None
    return declarations


def _check_master(master: Path) -> None:
    if not master.is_file():
        raise BuildError(f"master notebook not found: {master}")
    try:
        raw = json.loads(master.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BuildError(f"master notebook {master} is not valid JSON: {e}") from None
    try:
        nb = nbformat.from_dict(raw)
        nbformat.validate(nb)
    except Exception as e:  # nbformat raises several types (ValidationError, KeyError, ...)
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise BuildError(f"master notebook {master} is not a valid notebook: {first}") from None
    if assignment_config.config_index(nb) is None:
        raise BuildError(f"master notebook {master} has no raw cell starting with '# ASSIGNMENT CONFIG'")
    try:
        assignment_config.gdkit_settings(raw)
    except assignment_config.ConfigError as e:
        raise BuildError(f"master notebook {master}: {e}") from None
    try:
        master_contract.check(raw, declarations_for(master), master.name)
    except master_contract.MasterMismatch as e:
        raise BuildError(str(e)) from None


_ERROR_LINE = re.compile(r"^(?:[\w.]+\.)?(\w*(?:Error|Exception)\w*|AssertionError|KeyboardInterrupt):\s*(.*)$")


def _otter_error_essence(output: str) -> str:
    """The last ``SomeError: message`` line of otter's traceback, or its last non-empty line."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith("[IPKernelApp]")]
    if any(ln.startswith("RuntimeError: Some autograder tests failed") for ln in lines):
        # otter ran the public checks on the solutions (run_tests) and some failed
        failing = re.findall(r"^\s*(\w+) results:\s*$", output, flags=re.MULTILINE)
        start = next(i for i, ln in enumerate(lines) if ln.startswith("RuntimeError: Some autograder"))
        first = next((ln for ln in lines[start:] if ln.startswith("AssertionError")), "")
        first = first if len(first) <= 300 else first[:300] + "..."
        return f"the solutions fail their own public checks in {', '.join(failing) or '?'}; first: {first}"
    for ln in reversed(lines):
        m = _ERROR_LINE.match(ln)
        if m:
            msg = m.group(2).strip()
            # AssertionErrors from otter's solution stripping include whole cells: keep them short
            msg = msg if len(msg) <= 300 else msg[:300] + "..."
            return f"{m.group(1)}: {msg}" if msg else m.group(1)
    return lines[-1] if lines else "no output"


# --------------------------------------------------------------------------------------------------------
# running otter


def _otter_command() -> list[str]:
    otter = Path(sys.executable).parent / "otter"
    if otter.exists():
        return [str(otter)]
    return [sys.executable, "-m", "otter"]


def _otter_env() -> dict[str, str]:
    env = dict(os.environ)
    # the python3 kernel of this interpreter's ipykernel; prepend so it wins over any user-level kernel
    share = str(Path(sys.prefix) / "share" / "jupyter")
    env["JUPYTER_PATH"] = share + (os.pathsep + env["JUPYTER_PATH"] if env.get("JUPYTER_PATH") else "")
    env.setdefault("MPLBACKEND", "Agg")
    env["PYTHONHASHSEED"] = "0"
    return env


def run_otter_assign(master: Path, workdir: Path) -> Path:
    """Run ``otter assign`` on a copy of ``master`` named :data:`NOTEBOOK_NAME` in ``workdir``.

    Returns otter's result folder (``workdir/dist`` with ``student/`` and ``autograder/``).
    Raises :class:`BuildError` with otter's error in one line if it fails.
    """
    src = workdir / NOTEBOOK_NAME
    nb = assignment_config.for_otter(json.loads(master.read_text(encoding="utf-8")))
    declarations = declarations_for(master)
    nb = master_contract.with_tests(master_contract.with_points(nb, declarations), student_package.test_cell)
    # otter runs the generated checks on the solutions (run_tests) in a kernel that imports gdkit_student
    try:
        student_package.write_package(workdir / "lib", declarations)
    except OSError as e:
        raise BuildError(f"cannot write the student package: {e}") from None
    src.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    result = workdir / "dist"
    cmd = [*_otter_command(), "assign", NOTEBOOK_NAME, "dist"]
    try:
        env = _otter_env()
        env["PYTHONPATH"] = str(workdir / "lib") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        proc = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, timeout=OTTER_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise BuildError(f"otter assign did not finish within {OTTER_TIMEOUT_S} s") from None
    except OSError as e:
        raise BuildError(f"cannot run otter ({' '.join(cmd)}): {e}") from None
    if proc.returncode != 0:
        essence = _otter_error_essence(proc.stderr + "\n" + proc.stdout)
        raise BuildError(f"otter assign failed on {master.name}: {essence}")
    for sub in ("student", "autograder"):
        if not (result / sub / NOTEBOOK_NAME).is_file():
            raise BuildError(f"otter assign produced no {sub}/{NOTEBOOK_NAME}")
    return result


# --------------------------------------------------------------------------------------------------------
# normalisation (same input -> same bytes)


# Otter's init cell names the hand-out's file, so a student who renamed their copy would export the blank
# hand-out lying next to it. Jupyter names the notebook a kernel runs in JPY_SESSION_NAME, VS Code in
# __vsc_ipynb_file__: use that file when it is here.
OTTER_INIT = f'grader = otter.Notebook("{NOTEBOOK_NAME}")'
OWN_NOTEBOOK_INIT = (
    "import os\n"
    "_running = os.environ.get(\"JPY_SESSION_NAME\", \"\") or globals().get(\"__vsc_ipynb_file__\", \"\")\n"
    "_running = os.path.basename(_running)\n"
    f"grader = otter.Notebook(_running if _running.endswith(\".ipynb\") and os.path.isfile(_running) "
    f"else \"{NOTEBOOK_NAME}\")"
)


def export_own_notebook(path: Path) -> None:
    """Make the student notebook's Otter init cell use the notebook being run (see OWN_NOTEBOOK_INIT)."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and OTTER_INIT in c.source]
    if len(cells) != 1:
        raise BuildError(f"otter's init cell ({OTTER_INIT}) not found in the student notebook")
    cells[0].source = cells[0].source.replace(OTTER_INIT, OWN_NOTEBOOK_INIT)
    nbformat.write(nb, path)


def normalise_notebook(path: Path) -> None:
    """Rewrite a notebook deterministically: sequential cell ids, no outputs, canonical JSON."""
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"  # otter gives the cells it adds random ids
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)
    nb.metadata.pop("widgets", None)
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8", newline="\n")


def _deterministic_zip(src_dir: Path, dest: Path, root: str) -> None:
    """Zip ``src_dir`` under folder ``root`` with sorted entries, fixed timestamps and permissions."""
    files = sorted(p for p in src_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for p in files:
            info = zipfile.ZipInfo(f"{root}/{p.relative_to(src_dir).as_posix()}", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, p.read_bytes())


# --------------------------------------------------------------------------------------------------------
# the build


def build_assignment(master: Path, out: Path) -> BuildResult:
    """Build ``out/student/``, ``out/student.zip`` and ``out/otter-autograder/`` from ``master``.

    Raises :class:`BuildError` (one-line message) if the master notebook is broken or otter fails.
    Existing ``student/``, ``student.zip`` and ``otter-autograder/`` in ``out`` are replaced; nothing else in
    ``out`` is touched.
    """
    master, out = Path(master).resolve(), Path(out).resolve()
    _check_master(master)
    with tempfile.TemporaryDirectory(prefix="gdkit-build-") as tmp:
        result = run_otter_assign(master, Path(tmp))
        student_src, ag_src = result / "student", result / "autograder"

        student_dir = out / "student"
        ag_dir = out / "otter-autograder"
        student_zip = out / "student.zip"
        out.mkdir(parents=True, exist_ok=True)
        for old in (student_dir, ag_dir):
            if old.exists():
                shutil.rmtree(old)
        student_zip.unlink(missing_ok=True)

        shutil.copytree(student_src, student_dir, ignore=shutil.ignore_patterns("__pycache__"))
        export_own_notebook(student_dir / NOTEBOOK_NAME)
        normalise_notebook(student_dir / NOTEBOOK_NAME)
        declarations = declarations_for(master)
        student_package.write_package(student_dir, declarations)
        student_package.write_install_files(student_dir)
        _deterministic_zip(student_dir, student_zip, ZIP_ROOT)

        shutil.copytree(ag_src, ag_dir, ignore=shutil.ignore_patterns("__pycache__"))
        normalise_notebook(ag_dir / NOTEBOOK_NAME)
        student_package.write_package(ag_dir, declarations)
        for z in ag_dir.glob("*-autograder_*.zip"):  # otter puts a timestamp in the name
            z.rename(ag_dir / OTTER_ZIP_NAME)

    return BuildResult(
        student_dir=student_dir,
        student_notebook=student_dir / NOTEBOOK_NAME,
        student_zip=student_zip,
        otter_autograder_dir=ag_dir,
    )


def hidden_visibility(master: Path) -> str:
    """Visibility of the hidden checks on Gradescope: ``gdkit: hidden_visibility:`` in the master notebook's
    ``# ASSIGNMENT CONFIG`` cell, default ``after_published``. Raises BuildError for a wrong value."""
    try:
        nb = json.loads(Path(master).read_text(encoding="utf-8"))
        return assignment_config.gdkit_settings(nb)["hidden_visibility"]
    except (OSError, ValueError) as e:  # ConfigError is a ValueError
        raise BuildError(f"master notebook {master}: {e}") from None


def run_build_cli(args: argparse.Namespace) -> int:
    """``gdkit build [--master M] [--out DIR]``: exit code 0 on success, 1 with a one-line message if not."""
    master = Path(args.master) if getattr(args, "master", None) else DEFAULT_MASTER
    out = Path(getattr(args, "out", None) or "dist")
    try:
        res = build_assignment(master, out)
    except BuildError as e:
        print(f"gdkit build: error: {e}", file=sys.stderr)
        return 1
    from gdkit.autograder.gradescope.package import build_gradescope_zip

    try:
        gradescope_zip = build_gradescope_zip(out / "gradescope", hidden_visibility=hidden_visibility(master),
                                             contract=contract_folder(master))
    except BuildError as e:
        print(f"gdkit build: error: {e}", file=sys.stderr)
        return 1
    except (OSError, ValueError, subprocess.CalledProcessError) as e:
        print(f"gdkit build: error: the Gradescope package failed: {e}", file=sys.stderr)
        return 1
    print(f"student notebook: {res.student_notebook}")
    print(f"hand-out zip:     {res.student_zip}")
    print(f"otter autograder: {res.otter_autograder_dir}")
    print(f"gradescope zip:   {gradescope_zip}")
    print(f"declarations:     {contract_folder(master)}")
    return 0
