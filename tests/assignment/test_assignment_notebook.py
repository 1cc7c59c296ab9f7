"""The assignment (issue 3): master notebook, ``gdkit build`` and the student hand-out.

The build (``otter assign``, ~5 s) runs once per module; the two notebook executions (~7 s each) once each.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import zipfile
from datetime import datetime
from pathlib import Path

import nbformat
import numpy as np
import pytest

from gdkit.build import NOTEBOOK_NAME, build_assignment

REPO = Path(__file__).resolve().parents[2]
MASTER = REPO / "assignment" / "master.ipynb"

QUESTIONS = {
    "compute_gradients": 3,
    "lin_reg_l2": 2,
    "gradient_descent": 3,
    "sigmoid": 2,
    "logistic_loss": 3,
    "compute_logistic_gradients": 3,
    "logistic_gradient_descent": 4,
}


# ----------------------------------------------------------------------------------------------------------
# helpers


def _src(cell) -> str:
    s = cell["source"]
    return s if isinstance(s, str) else "".join(s)


def _master_cells() -> list:
    return nbformat.read(MASTER, as_version=4).cells


def _code_cells_between(block: str) -> list[str]:
    """Sources of the master's code cells between raw ``# BEGIN <block>`` and ``# END <block>`` cells."""
    out, inside = [], False
    for c in _master_cells():
        s = _src(c).strip()
        if c.cell_type == "raw" and s.startswith(f"# BEGIN {block}"):
            inside = True
        elif c.cell_type == "raw" and s.startswith(f"# END {block}"):
            inside = False
        elif inside and c.cell_type == "code":
            out.append(_src(c))
    return out


def _solution_cells() -> list[str]:
    return _code_cells_between("SOLUTION")


def _solution_namespace() -> dict:
    ns: dict = {"np": np}
    for s in _solution_cells():
        exec(compile(s, "<master solution>", "exec"), ns)
    return ns


def _code_cell_containing(text: str) -> str:
    cells = [_src(c) for c in _master_cells() if c.cell_type == "code" and text in _src(c)]
    assert len(cells) == 1, f"expected exactly one code cell containing {text!r}, found {len(cells)}"
    return cells[0]


def _execute(notebook: Path, workdir: Path, allow_errors: bool):
    """Execute a copy of ``notebook`` (with its tests/ folder) in ``workdir``; return (nb, seconds)."""
    from nbclient import NotebookClient

    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(notebook, workdir / notebook.name)
    shutil.copytree(notebook.parent / "tests", workdir / "tests")
    shutil.copytree(notebook.parent / "gdkit_student", workdir / "gdkit_student")
    nb = nbformat.read(workdir / notebook.name, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        allow_errors=allow_errors,
        record_timing=True,
        resources={"metadata": {"path": str(workdir)}},
    )
    t0 = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - t0


def _text_outputs(cell) -> str:
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream":
            parts.append(o.get("text", ""))
        elif o.get("output_type") in ("execute_result", "display_data"):
            parts.append(str(o.get("data", {}).get("text/plain", "")))
        elif o.get("output_type") == "error":
            parts.append(f"{o.get('ename')}: {o.get('evalue')}\n" + "\n".join(o.get("traceback", [])))
    return "".join(parts)


def _check_outputs(nb) -> dict[str, str]:
    out = {}
    for c in nb.cells:
        m = re.fullmatch(r'grader\.check\("(\w+)"\)', _src(c).strip())
        if c.cell_type == "code" and m:
            out[m.group(1)] = _text_outputs(c)
    return out


def _cell_seconds(cell) -> float:
    ex = cell.metadata.get("execution", {})
    start, end = ex.get("iopub.execute_input"), ex.get("shell.execute_reply")
    assert start and end, "nbclient recorded no timing for the cell"
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


# ----------------------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    t0 = time.perf_counter()
    res = build_assignment(MASTER, tmp_path_factory.mktemp("build1"))
    print(f"\nbuild (otter assign) took {time.perf_counter() - t0:.1f} s")
    return res


@pytest.fixture(scope="module")
def solved_run(built, tmp_path_factory):
    """The otter autograder notebook (the master's solutions plus otter's cells), executed."""
    nb, secs = _execute(built.otter_autograder_dir / NOTEBOOK_NAME, tmp_path_factory.mktemp("solved"), False)
    print(f"\nsolution notebook executed in {secs:.1f} s")
    return nb, secs


@pytest.fixture(scope="module")
def student_run(built, tmp_path_factory):
    nb, secs = _execute(built.student_notebook, tmp_path_factory.mktemp("student"), True)
    return nb, secs


# ----------------------------------------------------------------------------------------------------------
# the master notebook itself


def test_master_names_the_seven_questions_and_the_build_writes_their_points(built):
    import yaml

    found = []
    config = None
    for c in _master_cells():
        s = _src(c).strip()
        if c.cell_type == "raw" and s.startswith("# BEGIN QUESTION"):
            q = yaml.safe_load(s.split("\n", 1)[1])
            assert "points" not in q, "points come from assignment/contract/, not the master"
            found.append(q["name"])
        if c.cell_type == "raw" and s.startswith("# ASSIGNMENT CONFIG"):
            config = yaml.safe_load(s.split("\n", 1)[1])
    assert found == list(QUESTIONS)
    assert config is not None, "no # ASSIGNMENT CONFIG cell"
    assert config["tests"]["ok_format"] is False, "public checks must be exception-based (ok_format: false)"
    assert config["export_cell"]["pdf"] is False, "export must work without LaTeX (export_cell: pdf: false)"
    student = nbformat.read(built.student_notebook, as_version=4)
    prompts = "\n".join(_src(c) for c in student.cells if c.cell_type == "markdown")
    assert "{{" not in prompts, "a points placeholder was left in the student notebook"
    assert "(20 points)" in prompts and "| **total** | **20** |" in prompts
    for name, pts in QUESTIONS.items():
        assert re.search(rf"`{name}` \({pts} points\)", prompts), f"the prompt of {name} must state {pts} points"
        assert f"| `{name}` | {pts} |" in prompts


def test_master_has_no_hand_written_tests_and_the_build_generates_one_per_question(built):
    assert not any(_src(c).startswith("# BEGIN TESTS") for c in _master_cells()), "tests are generated"
    for q in QUESTIONS:
        text = (built.student_dir / "tests" / f"{q}.py").read_text()
        assert text.count("@test_case(points=None, hidden=False)") == 1, text
        assert f"check('{q}', {q})" in text


def test_notebook_data_equal_the_reference_data():
    from gdkit.reference import linear_data, logistic_data

    ns: dict = {"np": np}
    exec(_code_cell_containing("np.random.seed(0)"), ns)
    X_ref, y_ref = linear_data()
    assert np.array_equal(ns["X"], X_ref) and np.array_equal(ns["y"], y_ref)

    ns = {"np": np}
    exec(_code_cell_containing("def logistic_data"), ns)
    for kwargs in [{}, {"m": 37, "seed": 5}]:
        a, b = ns["logistic_data"](**kwargs), logistic_data(**kwargs)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]), f"logistic_data({kwargs}) differs"
    assert np.array_equal(ns["X_log"], logistic_data()[0])


def test_master_solutions_agree_with_reference():
    import gdkit.reference as ref

    sol = _solution_namespace()
    rng = np.random.default_rng(12345)

    def same(name, a, b, rtol=1e-12, atol=1e-14):
        a_arr, b_arr = np.asarray(a), np.asarray(b)
        assert a_arr.shape == b_arr.shape, f"{name}: shape {a_arr.shape} vs reference {b_arr.shape}"
        assert a_arr.dtype == np.float64, f"{name}: dtype {a_arr.dtype}"
        assert np.allclose(a_arr, b_arr, rtol=rtol, atol=atol), f"{name}: {a_arr.ravel()} vs {b_arr.ravel()}"

    for m, d in [(7, 3), (12, 5), (5, 2), (30, 4), (3, 1)]:
        X = rng.normal(size=(m, d))
        Y = rng.normal(size=(m, 1))
        W = rng.normal(size=(d, 1))
        L = (rng.random((m, 1)) < 0.5).astype(float)
        args = [a.copy() for a in (X, Y, W, L)]
        same("compute_gradients", sol["compute_gradients"](X, Y, W), ref.compute_gradients(X, Y, W))
        r = sol["lin_reg_l2"](X, Y, W)
        assert np.ndim(r) == 0
        same("lin_reg_l2", r, ref.lin_reg_l2(X, Y, W))
        same("sigmoid", sol["sigmoid"](X), ref.sigmoid(X), rtol=1e-12)
        same("logistic_loss", sol["logistic_loss"](X, L, W), ref.logistic_loss(X, L, W))
        same(
            "compute_logistic_gradients",
            sol["compute_logistic_gradients"](X, L, W),
            ref.compute_logistic_gradients(X, L, W),
        )
        for n in [0, 1, 7, 60]:
            same("gradient_descent", sol["gradient_descent"](X, Y, 0.05, n), ref.gradient_descent(X, Y, 0.05, n))
            same(
                "gradient_descent(theta)",
                sol["gradient_descent"](X, Y, 0.05, n, W),
                ref.gradient_descent(X, Y, 0.05, n, W),
            )
            same(
                "logistic_gradient_descent",
                sol["logistic_gradient_descent"](X, L, 0.5, n),
                ref.logistic_gradient_descent(X, L, 0.5, n),
            )
            same(
                "logistic_gradient_descent(theta)",
                sol["logistic_gradient_descent"](X, L, 0.5, n, W),
                ref.logistic_gradient_descent(X, L, 0.5, n, W),
            )
        for a, b in zip(args, (X, Y, W, L), strict=True):
            assert np.array_equal(a, b), "a solution modified its input"

    # the tails: finite and accurate for |z| up to 1000
    z = np.array([[-1000.0], [-745.0], [-700.0], [-37.0], [0.0], [37.0], [700.0], [1000.0]])
    same("sigmoid tails", sol["sigmoid"](z), ref.sigmoid(z), rtol=1e-12, atol=0.0)
    assert float(sol["sigmoid"](0.0)) == 0.5
    Xz = np.array([[1000.0], [-1000.0], [3.0]])
    for lab in ([[1.0], [0.0], [1.0]], [[0.0], [1.0], [0.0]]):
        lab = np.array(lab)
        same("logistic_loss tails", sol["logistic_loss"](Xz, lab, np.ones((1, 1))),
             ref.logistic_loss(Xz, lab, np.ones((1, 1))))


# ----------------------------------------------------------------------------------------------------------
# the build


def test_build_writes_the_handout(built):
    assert built.student_notebook.is_file()
    names = sorted(p.name for p in (built.student_dir / "tests").glob("*.py"))
    assert names == sorted(f"{q}.py" for q in QUESTIONS)
    with zipfile.ZipFile(built.student_zip) as zf:
        entries = sorted(zf.namelist())
        assert entries == sorted(
            ["gradient_descent/" + NOTEBOOK_NAME] + [f"gradient_descent/tests/{q}.py" for q in QUESTIONS]
            + [f"gradient_descent/{name}" for name in ("INSTALL.txt", "requirements.txt")]
            + [f"gradient_descent/gdkit_student/{name}" for name in ("__init__.py", "cases.json", "compare.py",
                                                                      "public.py", "public_judge.py")]
        )
        assert zf.read("gradient_descent/" + NOTEBOOK_NAME) == built.student_notebook.read_bytes()
    assert (built.otter_autograder_dir / NOTEBOOK_NAME).is_file()
    assert (built.otter_autograder_dir / "otter_config.json").is_file()
    nb = nbformat.read(built.student_notebook, as_version=4)
    nbformat.validate(nb)
    assert 'else "gradient_descent.ipynb")' in _src(nb.cells[0]) and "JPY_SESSION_NAME" in _src(nb.cells[0])
    assert any("pdf=False" in _src(c) for c in nb.cells), "the export cell must not need LaTeX"


def test_build_is_deterministic(built, tmp_path):
    again = build_assignment(MASTER, tmp_path / "build2")
    assert again.student_notebook.read_bytes() == built.student_notebook.read_bytes()
    assert again.student_zip.read_bytes() == built.student_zip.read_bytes()
    for p in (built.student_dir / "tests").glob("*.py"):
        assert (again.student_dir / "tests" / p.name).read_bytes() == p.read_bytes()


def test_student_notebook_has_no_solution_line(built):
    student_code = set()
    nb = nbformat.read(built.student_notebook, as_version=4)
    for c in nb.cells:
        if c.cell_type == "code":
            student_code.update(ln.strip() for ln in _src(c).splitlines())
    solution_lines = []
    for cell in _solution_cells():
        inside = False
        for ln in cell.splitlines():
            s = ln.strip()
            if s == "# BEGIN SOLUTION":
                inside = True
            elif s == "# END SOLUTION":
                inside = False
            elif inside and s and not s.startswith("#"):
                solution_lines.append(s)
    assert len(solution_lines) >= 20, "the master's solutions were not found"
    # lines the master also shows outside solutions (given code such as a `for` header) are no leak
    solution_sources = set(_solution_cells())
    given = {
        ln.strip()
        for c in _master_cells()
        if c.cell_type == "code" and _src(c) not in solution_sources
        for ln in _src(c).splitlines()
    }
    leaked = [s for s in solution_lines if s in student_code and s not in given]
    assert not leaked, f"solution lines in the student notebook: {leaked}"
    text = built.student_notebook.read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN TESTS", "BEGIN QUESTION", "ASSIGNMENT CONFIG"):
        assert marker not in text, f"{marker!r} left in the student notebook"
    # every answer cell keeps its signature and docstring and ends in `...`
    answers = [c for c in nb.cells if "otter_answer_cell" in c.metadata.get("tags", [])]
    assert len(answers) == len(QUESTIONS)
    for c, name in zip(answers, QUESTIONS, strict=True):
        src = _src(c)
        assert src.startswith(f"def {name}("), src[:60]
        assert '"""' in src and src.rstrip().endswith("..."), src


def test_no_hidden_checks_are_handed_out(built):
    for p in (built.student_dir / "tests").glob("*.py"):
        text = p.read_text()
        assert "hidden=True" not in text, p.name
        # no hidden tests at all: otter's autograder tests are the public ones
        assert (built.otter_autograder_dir / "tests" / p.name).read_text() == text
    nb = json.loads(built.student_notebook.read_text())
    assert "tests" not in nb["metadata"].get("otter", {}), "tests must live in tests/*.py, not the metadata"


# ----------------------------------------------------------------------------------------------------------
# executing the notebooks


def test_solution_notebook_passes_every_public_check(solved_run):
    nb, _ = solved_run
    checks = _check_outputs(nb)
    assert sorted(checks) == sorted(QUESTIONS)
    for name, out in checks.items():
        assert f"{name} results: All test cases passed!" in out, f"{name}:\n{out}"
    check_all = [c for c in nb.cells if _src(c).strip() == "grader.check_all()"]
    assert len(check_all) == 1
    out = _text_outputs(check_all[0])
    assert out.count("All test cases passed!") == len(QUESTIONS), out
    secs = _cell_seconds(check_all[0])
    print(f"\ngrader.check_all() took {secs:.2f} s")


def test_solution_notebook_runs_top_to_bottom_with_plots(solved_run):
    nb, secs = solved_run
    errors = [
        _text_outputs(c)[:300] for c in nb.cells if any(o.get("output_type") == "error" for o in c.get("outputs", []))
    ]
    assert not errors, errors
    images = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert images >= 2, f"expected the linear and logistic plots, found {images} images"
    print(f"\nthe solution notebook ran top to bottom in {secs:.1f} s")  # a figure, not a test: see benchmarks/


def test_student_notebook_fails_checks_with_not_implemented_messages(student_run):
    nb, _ = student_run
    checks = _check_outputs(nb)
    assert sorted(checks) == sorted(QUESTIONS)
    for name, out in checks.items():
        assert "All test cases passed" not in out, f"{name} passes without an implementation:\n{out}"
        assert "returned None" in out and "it is not implemented yet (replace the ... with your code)" in out, (
            f"{name}:\n{out}"
        )
        assert "Traceback" not in out, f"{name} shows a traceback:\n{out}"
        failures = re.findall(r"^\s*(\w+Error): (.*)$", out, flags=re.MULTILINE)
        assert failures and all(e == "AssertionError" for e, _ in failures), f"{name}: other failures:\n{out}"
    # the check cells themselves never raise
    for c in nb.cells:
        if _src(c).strip().startswith("grader.check"):
            assert not any(o.get("output_type") == "error" for o in c.outputs), _src(c)


# ----------------------------------------------------------------------------------------------------------
# broken master notebooks


def _broken(tmp_path: Path, kind: str) -> Path:
    nb = json.loads(MASTER.read_text())
    cells = nb["cells"]
    if kind == "invalid_json":
        p = tmp_path / "master.ipynb"
        p.write_text(MASTER.read_text()[:-200])
        return p
    if kind == "no_config":
        nb["cells"] = [c for c in cells if not _src(c).startswith("# ASSIGNMENT CONFIG")]
    elif kind == "question_without_name":
        c = next(c for c in cells if _src(c).startswith("# BEGIN QUESTION"))
        c["source"] = "# BEGIN QUESTION\npoints: 3\n"
    elif kind == "missing_end_question":
        i = next(i for i, c in enumerate(cells) if _src(c).startswith("# END QUESTION"))
        del cells[i]
    elif kind in ("bad_visibility", "unknown_gdkit_key"):
        c = next(c for c in cells if _src(c).startswith("# ASSIGNMENT CONFIG"))
        setting = "hidden_visibility: after_lunch" if kind == "bad_visibility" else "hiden_visibility: hidden"
        c["source"] = _src(c).split("gdkit:")[0] + "gdkit:\n  " + setting + "\n"
    elif kind == "wrong_solution":
        c = next(c for c in cells if _src(c).startswith("def compute_gradients"))
        c["source"] = _src(c).replace("(2.0 / m)", "(2.0 / (m + 1))")
        assert "(m + 1)" in c["source"]
    p = tmp_path / "master.ipynb"
    p.write_text(json.dumps(nb))
    return p


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("invalid_json", "is not valid JSON"),
        ("no_config", "no raw cell starting with '# ASSIGNMENT CONFIG'"),
        ("question_without_name", "the # BEGIN QUESTION header needs 'name: <function>'"),
        ("missing_end_question", "begin question cell inside another question"),
        ("wrong_solution", "the solutions fail their own public checks in compute_gradients"),
        ("bad_visibility", "gdkit.hidden_visibility must be one of hidden, after_due_date, after_published, "
                           "visible; got 'after_lunch'"),
        ("unknown_gdkit_key", "unknown 'gdkit' setting(s) hiden_visibility; known: hidden_visibility"),
    ],
)
def test_broken_master_fails_the_build_clearly(tmp_path, kind, expected):
    master = _broken(tmp_path, kind)
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "gdkit.cli", "build", "--master", str(master), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected a one-line error, got:\n{proc.stderr}"
    assert lines[0].startswith("gdkit build: error: "), lines[0]
    assert expected in lines[0], lines[0]
    assert "Traceback" not in proc.stderr
    assert not (out / "student").exists(), "a failed build must not leave a student folder"


def test_hidden_checks_visibility_comes_from_the_assignment_config(tmp_path):
    nb = json.loads(MASTER.read_text())
    config = next(c for c in nb["cells"] if _src(c).startswith("# ASSIGNMENT CONFIG"))
    assert "after_published" in _src(config), "the master states the default explicitly"
    config["source"] = _src(config).replace("hidden_visibility: after_published", "hidden_visibility: hidden")
    master = tmp_path / "master.ipynb"
    master.write_text(json.dumps(nb))
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "gdkit.cli", "build", "--master", str(master), "--out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(out / "gradescope" / "autograder.zip") as z:
        assert json.loads(z.read("gdkit_config.json")) == {"hidden_visibility": "hidden"}
    student = (out / "student" / "gradient_descent.ipynb").read_text()
    assert "hidden_visibility" not in student and "ASSIGNMENT CONFIG" not in student


# ----------------------------------------------------------------------------------------------------------
# the public checks on typical student code (run in-process with otter's test-file runner: fast)


def _run_public_checks(built, question: str, env: dict) -> list[str]:
    """Messages of the failing public test cases of ``question`` against the namespace ``env``."""
    from otter.test_files import ExceptionTestFile

    if str(built.student_dir) not in sys.path:
        sys.path.insert(0, str(built.student_dir))  # gdkit_student, as the notebook's folder provides it
    tf = ExceptionTestFile.from_file(str(built.student_dir / "tests" / f"{question}.py"))
    tf.run(env)
    return [r.message for r in tf.test_case_results if not r.passed]


def _variant(question: str, old: str | tuple, new: str | tuple) -> dict:
    """The master's solutions with ``old`` replaced by ``new`` (tuples: several replacements) in one."""
    ns = _solution_namespace()
    src = next(s for s in _solution_cells() if s.startswith(f"def {question}("))
    olds, news = (old, new) if isinstance(old, tuple) else ((old,), (new,))
    for o, n in zip(olds, news, strict=True):
        assert o in src, f"{o!r} not in the solution of {question}"
        src = src.replace(o, n)
    exec(src, ns)
    return ns


TEXTBOOK_SIGMOID = "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n"


@pytest.mark.parametrize(
    "question, old, new, hint",
    [
        ("compute_gradients", "(2.0 / m)", "(2.0 / (m + 1))", "divided by m + 1 instead of m"),
        ("compute_gradients", "(X.T @ errors)", "(X.T @ errors).ravel()", "a 1-D (2,) array instead of a (2, 1)"),
        ("compute_gradients", "X @ W - Y", "Y - X @ W", "the sign is flipped"),
        ("lin_reg_l2", "float(np.sqrt(np.mean((y_pred - y) ** 2)))", "float(np.mean((y_pred - y) ** 2))",
         "that is the MSE"),
        ("gradient_descent", "for _ in range(num_iters):", "for _ in range(num_iters + 1):",
         "do exactly num_iters updates"),
        ("sigmoid", "np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=float)))",
         "1 / (1 + np.exp(np.asarray(z, dtype=float)))", "sign"),
        ("logistic_loss", "float(np.mean(", "float(np.sum(", "a sum instead of a mean"),
        ("compute_logistic_gradients", "(1.0 / m)", "(2.0 / m)", "no factor 2"),
        ("logistic_gradient_descent", "for _ in range(num_iters):", "for _ in range(num_iters + 1):",
         "do exactly num_iters updates"),
    ],
)
def test_public_checks_name_the_likely_mistake(built, question, old, new, hint):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            failures = _run_public_checks(built, question, _variant(question, old, new))
    assert failures, f"the public checks of {question} accept {new!r}"
    assert any(hint in f for f in failures), f"no failure mentions {hint!r}:\n" + "\n".join(failures)


def test_public_checks_accept_correct_variants(built):
    import warnings

    ns = _solution_namespace()
    for q in QUESTIONS:
        assert _run_public_checks(built, q, ns) == [], q
    # the textbook sigmoid is accepted (right values; it only warns about overflow)
    exec(TEXTBOOK_SIGMOID, ns)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _run_public_checks(built, "sigmoid", ns) == []
    # a printing gradient descent that returns np.float64-valued arrays is fine too
    ns2 = _variant("gradient_descent", "    return theta", "    print(lin_reg_l2(X, y, theta))\n    return theta")
    assert _run_public_checks(built, "gradient_descent", ns2) == []
