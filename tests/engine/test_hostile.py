"""Submissions that try to crash, hang, flood, fool or read the grader: each has an expected outcome."""

from __future__ import annotations

import json
import os
import re
import time

import pytest

from gdkit.autograder.checks import points_per_function
from gdkit.autograder.executor.sandbox import Limits
from gdkit.autograder.grade import grade_notebook

from conftest import processes_of
from solutions import WRONG, solution_cells, write_notebook

FAST = Limits(cell_timeout=3.0, probe_timeout=5.0)


def grade(tmp_path, cells, user, limits=FAST):
    path = write_notebook(tmp_path / "attack.ipynb", cells)
    started = time.monotonic()
    report = grade_notebook(path, user=user, limits=limits)
    return report, time.monotonic() - started


def full_except(report, *functions):
    full = points_per_function()
    scores = report.function_scores()
    return all(scores[fn] == full[fn] for fn in full if fn not in functions)


# Cells that break the process or the clock; grading goes on with the state from before the cell.
PROCESS_ATTACKS = {
    "raises": "raise RuntimeError('boom')",
    "sys.exit": "import sys; sys.exit(0)",
    "os._exit": "import os; os._exit(0)",
    "segfault": "import ctypes; ctypes.string_at(0)",
    "kills its parent": "import os, signal; os.kill(os.getppid(), signal.SIGKILL)",
    "infinite loop": "while True:\n    pass",
    "loop that swallows every signal": ("import signal\nfor s in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):\n"
                                        "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    try:\n"
                                        "        pass\n    except BaseException:\n        pass"),
    "prints megabytes": "print('x' * 10_000_000)\nfor _ in range(2000):\n    print('y' * 1000)",
    "allocates too much": "big = bytearray(4 * 1024**3)",
    "closes every file descriptor": "import os\nos.closerange(3, 4096)",
    "drops stdout": "import sys\nsys.stdout = None\nsys.stderr = None",
    "a thread printing forever": ("import threading, time\ndef spam():\n    while True:\n        print('spam')\n"
                                  "        time.sleep(0.001)\nthreading.Thread(target=spam, daemon=True).start()"),
    "an alarm": "import signal\nsignal.alarm(1)",
    "kills every process of its user": "import os, signal\nos.kill(-1, signal.SIGKILL)",
    "kills its process group": "import os, signal\nos.killpg(0, signal.SIGKILL)",
    "patches open, json and numpy": ("import builtins, json\nbuiltins.open = None\njson.dumps = json.loads = None\n"
                                     "np.asarray = np.array = lambda *a, **k: None"),
    "ignores SIGCHLD": "import signal\nsignal.signal(signal.SIGCHLD, signal.SIG_IGN)",
    "fork bomb": "import os\nfor _ in range(2000):\n    try:\n        os.fork()\n    except OSError:\n        break",
}


@pytest.mark.parametrize("attack", PROCESS_ATTACKS)
def test_cell_attacks_cost_nothing_but_themselves(tmp_path, student_user, attack):
    cells = solution_cells()
    cells.insert(3, PROCESS_ATTACKS[attack])  # after compute_gradients, before the rest
    report, seconds = grade(tmp_path, cells, student_user)
    # A fork bomb's copies each finish the cell too; only the process the grader started may answer.
    assert report.score == report.max_score, [(o.check.title, o.message) for o in report.outcomes if not o.passed]
    assert seconds < 60, f"{attack}: grading took {seconds:.1f} s"
    if student_user is not None:
        assert processes_of(student_user.uid) == [], "a student process outlived grading"


def test_a_hanging_function_costs_only_its_own_checks(tmp_path, student_user):
    hang = "def sigmoid(z):\n    import time\n    time.sleep(1000)"
    report, seconds = grade(tmp_path, solution_cells(sigmoid=hang), student_user, Limits(probe_timeout=1.0))
    assert report.function_scores()["sigmoid"] == 0
    assert full_except(report, "sigmoid")
    assert any("did not return within the time limit" in o.message for o in report.outcomes)


def test_sleeping_orphans_are_killed(tmp_path, student_user):
    orphan = "import subprocess\nsubprocess.Popen(['sleep', '1000'], start_new_session=True)"
    report, _ = grade(tmp_path, solution_cells() + [orphan], student_user)
    assert report.score == report.max_score
    if student_user is not None:
        assert processes_of(student_user.uid) == []


FOOLING = {
    "always-equal object": '''
class Anything:
    def __eq__(self, other): return True
    def __array_function__(self, *a, **k): return True
    def __array_ufunc__(self, *a, **k): return True
def compute_gradients(X, Y, W):
    return Anything()
''',
    "ndarray subclass": '''
class Liar(np.ndarray):
    def __array_ufunc__(self, *a, **k): return True
def compute_gradients(X, Y, W):
    return np.zeros((X.shape[1], 1)).view(Liar)
''',
    "patched numpy": '''
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
def compute_gradients(X, Y, W):
    return np.zeros((X.shape[1], 1))
''',
    "nan": '''
def compute_gradients(X, Y, W):
    return np.full((X.shape[1], 1), np.nan)
''',
    "hard-coded public answer": '''
def compute_gradients(X, Y, W):
    return np.array([[-0.58333333333333337], [-2.0416666666666665]])
''',
}


@pytest.mark.parametrize("trick", FOOLING)
def test_tricks_earn_nothing_beyond_honest_work(tmp_path, student_user, trick):
    report, _ = grade(tmp_path, solution_cells(compute_gradients=FOOLING[trick]), student_user)
    hidden = sum(o.score for o in report.outcomes if o.check.function == "compute_gradients" and not o.check.public
                 and "shape" not in o.check.name)
    assert hidden == 0
    assert full_except(report, "compute_gradients")


def test_processes_left_sleeping_at_the_limit_cost_nothing_but_are_killed(tmp_path, student_user):
    # Copies that sleep hold the process limit. The runtime needs no process per cell (the head that hands over
    # to its cell's child exits), so the slot each cell frees is the one the next fork takes: grading goes on.
    hoard = ("import os, time\nfor _ in range(2000):\n    try:\n        if os.fork() == 0:\n"
             "            time.sleep(1000)\n    except OSError:\n        break")
    cells = solution_cells()
    cells.insert(3, hoard)
    report, seconds = grade(tmp_path, cells, student_user)
    assert seconds < 30
    assert report.score == report.max_score, [o.message for o in report.outcomes if not o.passed]
    if student_user is not None:
        assert processes_of(student_user.uid) == [], "a student process outlived grading"


def test_student_processes_are_the_oom_killers_first_choice(tmp_path, student_user):
    # In a small container the kernel kills the notebook, not the grader that must write results.json.
    cells = solution_cells() + ["print('OOM_ADJ', open('/proc/self/oom_score_adj').read().strip())"]
    report, _ = grade(tmp_path, cells, student_user)
    assert "OOM_ADJ 1000" in report.output, report.output[-300:]


def test_a_forked_copy_cannot_answer_for_the_function(tmp_path, student_user):
    # The copy returns a wrong gradient first; only the process the grader started may answer. Each process
    # forks once (its first call): the descents call this correct helper as the student's own (it passed its
    # checks), and a fork on each of their hundreds of calls would only be a fork bomb of the student's making.
    forking = '''
import os
import re
FORKED = set()
def compute_gradients(X, Y, W):
    if os.getpid() not in FORKED:
        FORKED.add(os.getpid())
        pid = os.fork()
        if pid == 0:
            FORKED.add(os.getpid())
            return np.zeros((X.shape[1], 1))
        os.waitpid(pid, 0)
    return (2 / len(Y)) * X.T @ (X @ W - Y)
'''
    report, _ = grade(tmp_path, solution_cells(compute_gradients=forking), student_user)
    assert report.score == report.max_score, [(o.check.title, o.message) for o in report.outcomes if not o.passed]


# A notebook that implements none of the five helpers and looks for the grader's correct ones: among every object
# of its process, and in files where each of its functions stashes what it finds during its own probes (the
# descent functions are graded with correct helpers in place, so they do find some).
STEAL = '''
import gc, marshal, os, types
HELPERS = ("compute_gradients", "lin_reg_l2", "sigmoid", "logistic_loss", "compute_logistic_gradients")
STASH = STASH_DIR + "/stash-"
def _theirs(name):
    for obj in gc.get_objects():
        code = getattr(obj, "__code__", None)
        if callable(obj) and getattr(obj, "__name__", "") == name and code is not None \\
                and not code.co_filename.startswith("<cell"):
            return obj
    try:
        with open(STASH + name, "rb") as f:
            return types.FunctionType(marshal.loads(f.read()), {"np": np})
    except OSError:
        return None
def _stash():
    for name in HELPERS:
        found = _theirs(name)
        if found is not None:
            with open(STASH + name, "wb") as f:
                f.write(marshal.dumps(found.__code__))
            os.write(1, f"STASHED {name}\\n".encode())  # probes silence print
def _helper(name):
    def helper(*args):
        _stash()  # a probe that substitutes some other helper may hold this one too
        return _theirs(name)(*args)
    helper.__name__ = name
    return helper
for _name in HELPERS:
    globals()[_name] = _helper(_name)
_honest_gd, _honest_lgd = gradient_descent, logistic_gradient_descent
def gradient_descent(*args, **kwargs):
    _stash()
    return _honest_gd(*args, **kwargs)
def logistic_gradient_descent(*args, **kwargs):
    _stash()
    return _honest_lgd(*args, **kwargs)
'''


def test_the_graders_correct_helpers_cannot_be_found_and_used(tmp_path, student_user):
    # The stash is the submission's own /tmp (private to it in the sandbox, kept across its probes).
    report, _ = grade(tmp_path, solution_cells() + [STEAL.replace("STASH_DIR", repr("/tmp"))], student_user)
    stashed = set(re.findall(r"^STASHED (\w+)$", report.output, re.M))
    # Positive control: the descent probes hold something in the helpers' place, and the notebook kept it ...
    # (the stub it stashes first cannot be rebuilt from its code, which stops its later stashing)
    assert "compute_gradients" in stashed, stashed
    # ... a stub that calls back to the grader, of no use outside its probe (test_runtime_isolation.py shows
    # the stash holds no formula and a regrade is no better): every helper scores nothing.
    scores = report.function_scores()
    helpers = ("compute_gradients", "lin_reg_l2", "sigmoid", "logistic_loss", "compute_logistic_gradients")
    assert {fn: scores[fn] for fn in helpers} == dict.fromkeys(helpers, 0.0), scores


def test_closed_form_instead_of_iterations_fails_the_trajectory(tmp_path, student_user):
    closed = '''
def gradient_descent(X, y, learn_rate, num_iters, theta=None):
    return np.linalg.lstsq(X, y, rcond=None)[0]
'''
    report, _ = grade(tmp_path, solution_cells(gradient_descent=closed), student_user)
    msgs = [o.message for o in report.outcomes if o.check.function == "gradient_descent" and not o.passed]
    assert any("optimum was returned directly" in m for m in msgs), msgs


def test_forged_output_and_fake_results_are_ignored(tmp_path, student_user):
    forge = ("import json, os\nprint(json.dumps({'score': 100, 'tests': []}))\n"
             "for fd in (3, 4, 5, 6):\n    try:\n        os.write(fd, b'0000000020{\"op\": \"cell_done\"}')\n"
             "    except OSError:\n        pass")
    report, _ = grade(tmp_path, solution_cells(sigmoid=WRONG["sigmoid"]) + [forge], student_user)
    assert report.score <= report.max_score - points_per_function()["sigmoid"] + 0.5
    assert report.score < report.max_score


def test_student_code_cannot_read_root_only_files(tmp_path, student_user):
    if student_user is None:
        pytest.fail("needs root: the user switch is what protects root-only files (the suite runs as root in CI)")
    secret = tmp_path / "hidden"
    secret.mkdir(mode=0o700)
    # A value no path can contain (pytest's folders are numbered: "pytest-242" once held the old secret, 42).
    (secret / "answers.json").write_text(json.dumps({"answer": "sq-ANSWER-zx"}))
    steal = f"def sigmoid(z):\n    return open({str(secret / 'answers.json')!r}).read()"
    report, _ = grade(tmp_path, solution_cells(sigmoid=steal), student_user)
    messages = " ".join(o.message for o in report.outcomes)
    # Root-only in the user-switch fallback; in the sandbox the file is not there at all.
    assert "PermissionError" in messages or "FileNotFoundError" in messages, messages
    assert "sq-ANSWER-zx" not in messages and "sq-ANSWER-zx" not in report.output


def test_student_code_cannot_read_the_graders_memory_or_environment(tmp_path, student_user):
    if student_user is None:
        pytest.fail("needs root: the user switch is what separates the processes (the suite runs as root in CI)")
    grader = os.getpid()  # grade_notebook runs in this process
    probe = (f"for part in ('environ', 'mem', 'maps', 'cmdline', 'self'):\n"
             f"    try:\n"
             f"        open('/proc/self/cmdline' if part == 'self' else '/proc/{grader}/' + part, 'rb').read(64)\n"
             f"        print('PROC', part, 'read')\n"
             f"    except Exception as exc:\n"
             f"        print('PROC', part, type(exc).__name__)")
    report, _ = grade(tmp_path, solution_cells() + [probe], student_user)
    seen = dict(line.split()[1:] for line in report.output.splitlines() if line.startswith("PROC "))
    assert seen["self"] == "read", f"the control read failed, the test proves nothing: {seen}"
    # In the sandbox the grader is not even there (another PID namespace); in the user-switch fallback its
    # cmdline is readable but nothing else.
    if seen["cmdline"] == "read":
        assert seen["environ"] == seen["mem"] == seen["maps"] == "PermissionError", seen
    else:
        assert {seen[p] for p in ("environ", "mem", "maps", "cmdline")} == {"FileNotFoundError"}, seen


def test_many_hanging_cells_stay_within_the_notebook_budget(tmp_path, student_user):
    cells = solution_cells() + ["while True:\n    pass"] * 10 + ["def sigmoid(z):\n    return z"]
    limits = Limits(cell_timeout=1.0, cells_budget=3.0)
    report, seconds = grade(tmp_path, cells, student_user, limits)
    assert seconds < 15
    assert "used up the time allowed for the whole notebook" in report.summary
    assert report.score == report.max_score  # the cells never run include the broken sigmoid redefinition
