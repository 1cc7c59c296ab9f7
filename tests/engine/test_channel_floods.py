"""Found by an attacker role-play (stop 14): frames a cell or a function writes into the grader's channel on
purpose must not stop a time limit, block the grader, or end the sandbox; checks run again must not be fooled by
answers the student's code kept from the grader's helpers."""

from __future__ import annotations

import threading

from gdkit.autograder.executor.sandbox import Limits
from gdkit.autograder.grade import grade_notebook

from solutions import SOLUTION, solution_cells, write_notebook

FAST = Limits(cell_timeout=1.0, probe_timeout=5.0)

# The runtime's globals, found from a cell's frame: the channel it writes its reports to.
CHANNEL = '''
import os, sys, time
f = sys._getframe()
while f is not None and "REPLY_FD" not in f.f_globals:
    f = f.f_back
rt = f.f_globals
'''


def _graded_within(seconds: float, **kwargs):
    """grade_notebook in a thread of its own, or None if it has not returned after ``seconds``."""
    done: list = []
    worker = threading.Thread(target=lambda: done.append(grade_notebook(**kwargs)), daemon=True)
    worker.start()
    worker.join(seconds)
    return done[0] if done else None


def test_callbacks_forged_by_a_cell_are_junk_and_cannot_block_the_grader(tmp_path, student_user):
    # The grader answered them into the command pipe, which nobody reads during cells: once full, the grader
    # blocked in its write for good (no time limit could fire), and a batch with it never wrote grades.csv.
    flood = CHANNEL + 'for i in range(3000):\n    rt["write_frame"](rt["REPLY_FD"], {"op": "callback", "name": "x"})'
    cells = solution_cells()
    cells.insert(1, flood)
    path = write_notebook(tmp_path / "flood.ipynb", cells)
    report = _graded_within(90, path=path, user=student_user, limits=FAST)
    assert report is not None, "the grader blocked on a cell's forged callbacks"
    assert report.score == report.max_score, report.summary


def test_a_flood_of_junk_frames_does_not_stop_a_cells_time_limit(tmp_path, student_user):
    # The clocks were read only when no frame arrived: a background writer flooding the channel let the cell
    # spin past its limit, and after the kill the grader read the flood for as long as the writer went on.
    flood = CHANNEL + (
        'if os.fork() == 0:\n'
        '    os.setsid()\n'
        '    end = time.monotonic() + 60\n'
        '    while time.monotonic() < end:\n'
        '        try:\n'
        '            os.write(rt["REPLY_FD"], b"0000000002{}" * 4096)\n'
        '        except OSError:\n'
        '            break\n'
        '    os._exit(0)\n'
        'while True:\n'
        '    pass')
    path = write_notebook(tmp_path / "junk.ipynb", solution_cells() + [flood])
    report = _graded_within(40, path=path, user=student_user, limits=FAST)
    assert report is not None, "the cell's time limit did not stop a notebook flooding the channel"
    assert report.cells[-1].status == "timeout", report.cells[-1]
    assert report.score == report.max_score, report.summary


def test_a_function_cannot_end_the_sandbox_by_signalling_its_init(tmp_path, student_user):
    # Python's SIGINT handler in the sandbox's init made it the one signal student code could end it with.
    sigmoid = "import os, signal\n" + SOLUTION["sigmoid"].replace(
        "def sigmoid(z):\n", "def sigmoid(z):\n    os.kill(1, signal.SIGINT)\n", 1)
    path = write_notebook(tmp_path / "sigint.ipynb", solution_cells(sigmoid=sigmoid))
    report = grade_notebook(path, user=student_user)
    assert report.score == report.max_score, [(o.check.title, o.message) for o in report.outcomes if not o.passed]


ORACLE = '''
import pickle, hashlib
CACHE = "/tmp/.oracle.pkl"
seen = []
def key(tag, *arrays):
    h = hashlib.sha256(tag.encode())
    for a in arrays:
        a = np.ascontiguousarray(np.asarray(a, dtype=float))
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()
def load():
    try:
        with open(CACHE, "rb") as f:
            return pickle.load(f)
    except Exception:
        return {}
def logistic_loss(X, Y, W):  # no formula: the grader's answers, kept from another check's probe, replayed
    answers = load()
    if key("ll", X, Y, W) in answers:
        return answers[key("ll", X, Y, W)]
    seen.append(("ll", X, Y, W))
    return 0.5
def compute_logistic_gradients(X, Y, W):
    answers = load()
    if key("lg", X, Y, W) in answers:
        return answers[key("lg", X, Y, W)]
    seen.append(("lg", X, Y, W))
    return np.zeros_like(W)
mine = (logistic_loss, compute_logistic_gradients)
def logistic_gradient_descent(X, y, learn_rate, num_iters, theta=None):
    g = globals()
    if g["logistic_loss"] is not mine[0] and g["compute_logistic_gradients"] is not mine[1]:  # the grader's
        answers = load()
        for tag, A, B, W in seen:
            answers[key(tag, A, B, W)] = g["logistic_loss" if tag == "ll" else "compute_logistic_gradients"](A, B, W)
        with open(CACHE, "wb") as f:
            pickle.dump(answers, f)
    t = np.zeros((X.shape[1], 1)) if theta is None else theta
    for _ in range(num_iters):
        t = t - learn_rate * g["compute_logistic_gradients"](X, y, t)
    return t
'''

# Wrong for |z| in the hundreds: fails one check of its own on purpose, so that the checks of the functions
# that call it run again (the first pass assumed it right).
CLIPPED_SIGMOID = "def sigmoid(z):\n    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))"


def test_checks_run_again_draw_new_inputs_so_kept_answers_of_the_graders_helpers_are_useless(tmp_path,
                                                                                              student_user):
    # The second pass ran the checks of logistic_loss and compute_logistic_gradients again on the inputs of the
    # first, whose answers the student's descent had asked the grader's stubs for: full credit with no formula.
    replaced = {"sigmoid": CLIPPED_SIGMOID, "logistic_gradient_descent": ORACLE,
                "logistic_loss": "", "compute_logistic_gradients": ""}
    oracle = grade_notebook(write_notebook(tmp_path / "oracle.ipynb", solution_cells(**replaced)),
                            user=student_user)
    honest = {"sigmoid": CLIPPED_SIGMOID, "logistic_loss": "def logistic_loss(X, Y, W):\n    return 0.5",
              "compute_logistic_gradients": "def compute_logistic_gradients(X, Y, W):\n    return np.zeros_like(W)"}
    control = grade_notebook(write_notebook(tmp_path / "control.ipynb", solution_cells(**honest)),
                             user=student_user)

    def passed(report) -> set[str]:
        return {o.check.title for o in report.outcomes
                if o.passed and o.check.function in ("logistic_loss", "compute_logistic_gradients")}

    assert passed(oracle) == passed(control), passed(oracle) - passed(control)
    assert oracle.score <= control.score, (oracle.score, control.score)
