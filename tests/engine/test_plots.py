"""Plots are not graded: matplotlib is a recording stand-in while the cells run (issue 10, item 6), and a
notebook that needed the real library is run again with it, so no student loses a point to the stand-in."""

from __future__ import annotations

from gdkit.autograder.executor.sandbox import Limits
from gdkit.autograder.grade import grade_notebook

from solutions import solution_cells, write_notebook

PLOTS = """
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import cm
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax in axes:
    ax.semilogy([1, 2, 3], [1, 10, 100], label="loss", color=cm.viridis(0.5))
axes[0].set(title="excess loss", xlabel="iteration")
plt.rcParams["figure.dpi"] = 120
with plt.style.context("ggplot"):
    plt.figure().add_subplot(111).scatter([1], [2])
plt.tight_layout()
plt.savefig("figure.png")
plt.show()
print(fig, len(axes), axes[0] + 1)
"""

# A value read back from a real figure: the stand-in has none, so this cell raises with it.
NEEDS_REAL = """
import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.plot([0, 1], [0, 1])
SCALE = int(ax.get_xlim()[1] > 0)  # 1 with the real library
"""

SCALED_GRADIENTS = """
def compute_gradients(X, Y, W):
    return SCALE * (2 / len(Y)) * X.T @ (X @ W - Y)
"""


def _timing_and_plots(report) -> tuple[list[str], list[str]]:
    return ([line for line in report.log if line.startswith("timing:")],
            [line for line in report.log if line.startswith("plots:")])


def test_a_notebook_with_plots_scores_full_marks_without_drawing_them(tmp_path, student_user):
    path = write_notebook(tmp_path / "plots.ipynb", [*solution_cells(), PLOTS])
    report = grade_notebook(path, user=student_user)
    assert report.score == report.max_score, [(o.check.title, o.message) for o in report.outcomes if not o.passed]
    assert all(cell.status == "ok" for cell in report.cells), report.cells
    _, reruns = _timing_and_plots(report)
    assert reruns == [], "a notebook whose plotting cells all ran was run a second time"
    assert "plots are not drawn while grading" in report.output, report.output


def test_a_cell_that_needs_real_plotting_results_gets_the_real_library(tmp_path, student_user):
    cells = [*solution_cells(), NEEDS_REAL, SCALED_GRADIENTS.strip()]
    report = grade_notebook(write_notebook(tmp_path / "real.ipynb", cells), user=student_user)
    assert report.score == report.max_score, [(o.check.title, o.message) for o in report.outcomes if not o.passed]
    assert all(cell.status == "ok" for cell in report.cells), report.cells
    timing, reruns = _timing_and_plots(report)
    assert len(reruns) == 1 and f"code cell {len(solution_cells()) + 1}" in reruns[0], report.log
    assert len(timing) == 1, report.log


def test_a_plotting_cell_that_is_wrong_anyway_is_reported_once_and_costs_nothing_else(tmp_path, student_user):
    broken = "import matplotlib.pyplot as plt\nplt.plot(losses_that_were_never_computed)"
    report = grade_notebook(write_notebook(tmp_path / "broken.ipynb", [*solution_cells(), broken]),
                            user=student_user)
    assert report.score == report.max_score
    [error] = [cell for cell in report.cells if cell.status == "error"]
    assert error.error.startswith("NameError") and "losses_that_were_never_computed" in error.error, error
    assert "raised `NameError" in report.summary, report.summary
    _, reruns = _timing_and_plots(report)
    assert len(reruns) == 1, "the real library was tried once, not more"


def test_the_rerun_with_the_real_library_does_not_pay_for_a_hang_twice(tmp_path, student_user):
    # Found by an attacker role-play: each run had the whole cells budget, so a hanging notebook that also
    # needed the real library could spend the budget twice (with hanging probes, past Gradescope's 10 minutes).
    hang = "print('SEEN hang ran', flush=True)\nwhile True:\n    pass"
    cells = [*solution_cells(), NEEDS_REAL, SCALED_GRADIENTS.strip(), hang]
    report = grade_notebook(write_notebook(tmp_path / "both.ipynb", cells), user=student_user,
                            limits=Limits(cell_timeout=1.0))
    _, reruns = _timing_and_plots(report)
    assert len(reruns) == 1, report.log
    assert "SEEN hang ran" not in report.output, "the rerun ran the cell that had run out of time again"
    assert [c.status for c in report.cells][-3:] == ["ok", "ok", "timeout"], report.cells
    assert report.score == report.max_score, [(o.check.title, o.message) for o in report.outcomes if not o.passed]


def test_a_new_student_process_after_a_dying_cell_keeps_the_real_library(tmp_path, student_user):
    # The first cells run in the student process itself; one that ends it costs a new process (a new sandbox),
    # which must still give the rerun's cells the real library, or the cell that needs it fails there.
    die = "import os\nos._exit(3)"
    cells = [*solution_cells(), NEEDS_REAL, SCALED_GRADIENTS.strip(), die]
    report = grade_notebook(write_notebook(tmp_path / "die.ipynb", cells), user=student_user)
    _, reruns = _timing_and_plots(report)
    assert len(reruns) == 1, report.log
    assert [c.status for c in report.cells][-3:] == ["ok", "ok", "died"], report.cells
    assert sum("runs the cells again, one by one" in line for line in report.log) == 1, report.log
    assert report.score == report.max_score, [(o.check.title, o.message) for o in report.outcomes if not o.passed]
