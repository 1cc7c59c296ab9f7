"""The runtime's own machinery out of the student's reach: no correct helper inside the student process, the
runtime's references frozen, no process per cell, frames of any size or depth read safely (issue 8)."""

from __future__ import annotations

import json

import pytest
from test_hostile import STEAL, full_except, grade

from gdkit.autograder.results.gradescope import results_json

from solutions import solution_cells

HELPERS = ("compute_gradients", "lin_reg_l2", "sigmoid", "logistic_loss", "compute_logistic_gradients")
# Fragments of the correct helpers' code that a stolen copy would show.
FORMULAS = ("X.T @", "logaddexp", "np.sqrt(np.mean", "def compute_gradients", "def sigmoid", "2 / len(Y)")


LOOK_FOR_A_STASH = """
import os
os.write(1, ("FOUND STASH " + " ".join(sorted(f for f in os.listdir("/tmp") if f.startswith("stash-"))) + "\\n")
         .encode())
"""


def test_stashed_helpers_are_of_no_use_on_a_regrade(tmp_path, student_user):
    # The notebook stashes whatever it finds during the descent probes in its /tmp; a regrade would load the
    # stash. In the sandbox /tmp is the submission's own and ends with it: the regrade starts from nothing.
    cells = [LOOK_FOR_A_STASH, *solution_cells(), STEAL.replace("STASH_DIR", repr("/tmp"))]
    reports = [grade(tmp_path, cells, student_user)[0] for _ in range(2)]
    for report in reports:
        assert "STASHED compute_gradients" in report.output, "positive control: a stub was found and stashed"
        assert "FOUND STASH \n" in report.output, "a stash of an earlier run was visible: " + report.output[:300]
        scores = report.function_scores()  # the stub stashed is useless: the helpers score nothing
        assert {fn: scores[fn] for fn in HELPERS} == dict.fromkeys(HELPERS, 0.0), scores


# A descent function that raises an exception holding all it can reach from its frames: the probe's command,
# the runtime's locals and globals, the helpers' code.
LEAK = '''
import sys, inspect
def gradient_descent(X, y, learn_rate, num_iters, theta=None):
    found = []
    frame = sys._getframe()
    while frame is not None:
        for key, value in list(frame.f_locals.items()) + list(frame.f_globals.items()):
            text = repr(value)
            if "def " in text or "@" in text or "np." in text:
                found.append(text[:200])
        frame = frame.f_back
    try:
        found.append(inspect.getsource(compute_gradients))
    except Exception:
        pass
    code = compute_gradients.__code__
    found.append(repr(code.co_consts) + repr(code.co_names))
    found.sort(key=lambda t: "def " not in t)
    raise RuntimeError(" | ".join(found))
'''


def test_an_exception_in_a_probe_shows_no_reference_code(tmp_path, student_user):
    report, _ = grade(tmp_path, solution_cells(gradient_descent=LEAK), student_user)
    document = json.dumps(results_json(report))
    assert "RuntimeError" in document  # positive control: the exception's text is shown
    assert not [f for f in FORMULAS if f in document], [f for f in FORMULAS if f in document]
    assert full_except(report, "gradient_descent")


# Cells that rebind what the runtime itself uses; each must cost nothing.
RUNTIME_ATTACKS = {
    "os.pipe = None": "import os\nos.pipe = None",
    "os.close does nothing": "import os\nos.close = lambda fd: None",
    "os.fork, os.waitpid, os.read, os.write = None": ("import os\nos.fork = os.waitpid = None\n"
                                                       "os.read = os.write = None"),
    "select.select = None": "import select\nselect.select = None",
    "rebinds __main__'s globals": ("import __main__\nfor name in ('write_frame', 'read_frame', 'REPLY_FD', "
                                   "'CMD_FD', 'answer_probe', 'run_cell'):\n    setattr(__main__, name, None)"),
    "sys.modules['__main__'] replaced": "import sys, types\nsys.modules['__main__'] = types.ModuleType('x')",
}


@pytest.mark.parametrize("attack", RUNTIME_ATTACKS)
def test_cells_cannot_rebind_the_runtimes_references(tmp_path, student_user, attack):
    cells = solution_cells()
    cells.insert(3, RUNTIME_ATTACKS[attack])
    report, _ = grade(tmp_path, cells, student_user)
    assert report.score == report.max_score, [(o.check.title, o.message) for o in report.outcomes if not o.passed]


def test_cells_see_their_own_main_module(tmp_path, student_user):
    # `import __main__` finds the cells' namespace (as in Jupyter), not the runtime: a function that looks itself
    # up there finds the cells' names (when __main__ was the runtime, this cell raised and this function
    # returned None, so the test fails on that runtime through the score, not only through the summary).
    cell = """
import __main__
assert __main__.compute_gradients is compute_gradients
def compute_gradients(X, Y, W, _own=compute_gradients):
    return None if hasattr(__main__, "write_frame") else _own(X, Y, W)
"""
    cells = solution_cells()
    cells.insert(2, cell)  # right after compute_gradients' own cell
    report, _ = grade(tmp_path, cells, student_user)
    assert report.score == report.max_score, [o.message for o in report.outcomes if not o.passed]
    assert "raised" not in report.summary, report.summary


def test_300_code_cells_score_full_marks(tmp_path, student_user):
    cells = solution_cells()
    cells[3:3] = [f"x{i} = {i}" for i in range(300)]
    report, _ = grade(tmp_path, cells, student_user)
    assert report.score == report.max_score, [o.message for o in report.outcomes if not o.passed]


def test_a_5000_cell_notebook_grades(tmp_path, student_user):
    cells = solution_cells()
    cells[3:3] = [f"x{i} = {i}" for i in range(5000)]
    report, _ = grade(tmp_path, cells, student_user)
    assert report.score == report.max_score, [o.message for o in report.outcomes if not o.passed]


def _writes_frame(body_expr: str, header: str = "len(body)") -> str:
    """gradient_descent that first writes a frame of its own into the reply channel, then answers honestly."""
    return f'''
import sys, os
def gradient_descent(X, y, learn_rate, num_iters, theta=None):
    body = {body_expr}
    data = b"%010d" % ({header}) + body
    view = memoryview(data)
    while view:
        view = view[os.write(int(sys.argv[2]), view):]
    return np.zeros((X.shape[1], 1))
'''


FRAMES = {
    "nested 100k deep": _writes_frame('b"[" * 100_000 + b"]" * 100_000'),
    "54 MB": _writes_frame('b\'{"op": "probe_done", "pad": "\' + b"x" * 54_000_000 + b\'"}\''),
    "over the frame limit": _writes_frame('b"x" * 70_000_000'),
}


@pytest.mark.parametrize("frame", FRAMES)
def test_a_huge_or_deep_reply_fails_only_its_probe(tmp_path, student_user, frame):
    report, _ = grade(tmp_path, solution_cells(gradient_descent=FRAMES[frame]), student_user)
    assert report.function_scores()["gradient_descent"] == 0.0
    assert full_except(report, "gradient_descent"), [o.message for o in report.outcomes if not o.passed]
