"""Every hidden check passes the solution and fails each typical mistake, whatever the submission's seed.

The seed picks each check's random problems, so a check that is right on one seed can be wrong on another (an
ill-conditioned draw, a tolerance too tight for some data). One real executor session per notebook, then the
checks for many seeds against it: the cells run once, each seed costs only its probes.
"""

from __future__ import annotations

import pytest

from gdkit.autograder.checks import all_checks
from gdkit.autograder.checks.runner import run_check
from gdkit.autograder.executor.session import ExecutorSession

from solutions import WRONG, solution_cells

# 1212 drew a logistic problem that the reference's own descent could not solve within its iteration cap.
SEEDS = [*range(30), 1212]


def _failures(cells, user, only=None):
    """{check title: [seeds where the check failed]}, over SEEDS, for the checks of `only` (default: all)."""
    checks = [c for c in all_checks() if only is None or c.function == only]
    failed: dict[str, list[int]] = {}
    log: list[str] = []
    with ExecutorSession(user=user) as session:
        for index, source in enumerate(cells):
            session.run_cell(index, source)
        for seed in SEEDS:
            for check in checks:
                if not run_check(check, session, seed, log).passed:
                    failed.setdefault(check.title, []).append(seed)
    assert log == [], "\n".join(log)  # no internal error in any check
    return failed


def test_solution_passes_every_check_on_every_seed(student_user):
    failed = _failures(solution_cells(), student_user)
    assert failed == {}, f"the solution fails (check: seeds) {failed}"


@pytest.mark.parametrize("function", WRONG)
def test_each_typical_mistake_loses_points_on_every_seed(student_user, function):
    failed = _failures(solution_cells(**{function: WRONG[function]}), student_user, only=function)
    always = [title for title, seeds in failed.items() if len(seeds) == len(SEEDS)]
    assert always, f"{function}: no check fails the mistake on every seed; failures by check: {failed}"
