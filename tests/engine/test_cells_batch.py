"""The cells run in the student process's head itself (grade._run_cells, session.run_cells), and only a cell
that hangs or dies sends the notebook to a new student process and one child per cell, with the same outcome
as before."""

from __future__ import annotations

import re

from gdkit.autograder.executor.sandbox import Limits
from gdkit.autograder.grade import grade_notebook

from solutions import solution_cells, write_notebook

FAST = Limits(cell_timeout=1.0, probe_timeout=5.0)


def printed(report, label: str) -> list[str]:
    return re.findall(rf"^SEEN {label} (.*)$", report.output, re.M)


def test_cells_share_one_process_when_nothing_goes_wrong(tmp_path, student_user):
    cells = solution_cells() + ["import os\nprint('SEEN pid', os.getpid())"] * 3
    report = grade_notebook(write_notebook(tmp_path / "nb.ipynb", cells), user=student_user, limits=FAST)
    pids = printed(report, "pid")
    assert len(pids) == 3 and len(set(pids)) == 1, f"one fork per cell: {pids}\n{report.summary}\n{report.log}"
    assert report.score == report.max_score


def test_a_hanging_cell_runs_once_and_the_cells_around_it_keep_their_state(tmp_path, student_user):
    cells = solution_cells() + [
        "counter = 1\nprint('SEEN before', counter)",
        "print('SEEN hang start', flush=True)\nwhile True:\n    pass",
        "counter += 1\nprint('SEEN after', counter)",
    ]
    report = grade_notebook(write_notebook(tmp_path / "nb.ipynb", cells), user=student_user, limits=FAST)
    statuses = [c.status for c in report.cells]
    assert statuses == ["ok"] * (len(cells) - 2) + ["timeout", "ok"], statuses
    assert printed(report, "hang") == ["start"], "the hanging cell ran again (its time limit paid twice)"
    # The cells before it ran again, one child each, to rebuild the state the hang took down with the process.
    assert printed(report, "before") == ["1", "1"], report.output[-500:]
    assert sum("runs the cells again, one by one" in line for line in report.log) == 1, report.log
    assert printed(report, "after") == ["2"], "the cell after the hang did not see the state before it"
    assert report.score == report.max_score


def test_a_cell_that_ends_the_process_is_reported_once_and_grading_goes_on(tmp_path, student_user):
    cells = solution_cells(sigmoid="def sigmoid(z):\n    return z") + [
        "import os\nos._exit(3)",
        "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))",
    ]
    report = grade_notebook(write_notebook(tmp_path / "nb.ipynb", cells), user=student_user, limits=FAST)
    assert [c.status for c in report.cells][-2:] == ["died", "ok"]
    assert report.score == report.max_score, "the sigmoid defined after the dead cell was not graded"


FORGE_AND_SPIN = '''
import json, os, sys, time
reply_fd = int([a for a in open("/proc/self/cmdline").read().split("\\0") if a.isdigit()][-1])  # the pipes
started = last = time.monotonic()
while time.monotonic() - started < 6:  # busy: CPU time, well past the cell's 1 s limit
    if time.monotonic() - last > 0.3:  # a forged report of a later cell, hoping to restart the cell's clock
        data = json.dumps({"op": "cell_done", "index": 999, "status": "ok"}).encode()
        os.write(reply_fd, b"%010d" % len(data) + data)
        last = time.monotonic()
print("SEEN spun through", flush=True)
'''


def test_forged_cell_reports_do_not_restart_a_cells_time_limit(tmp_path, student_user):
    # Found by an attacker role-play: any cell_done frame restarted the per-cell clock, forged ones included.
    cells = solution_cells() + [FORGE_AND_SPIN]
    report = grade_notebook(write_notebook(tmp_path / "nb.ipynb", cells), user=student_user, limits=FAST)
    assert report.cells[-1].status == "timeout", [(c.index, c.status, c.error) for c in report.cells[-3:]]
    assert printed(report, "spun") == [], "the cell ran past its time limit"
    assert report.score == report.max_score
