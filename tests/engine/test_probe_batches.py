"""Several checks' probes are served by one child of the student process (session.probe_groups, checks/runner.py),
and each probe still gets what a child of its own would have given it: the names as the cells left them, its
own substitutes, its own time limit; a hang, a death or a forged report costs only the probe it happened in."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import pytest

from gdkit.autograder.checks import all_checks
from gdkit.autograder.checks.runner import CheckOutcome, proven_functions, rounds, run_check, run_checks
from gdkit.autograder.checks.substitutes import Helpers
from gdkit.autograder.executor.sandbox import Limits
from gdkit.autograder.executor.session import ExecutorSession, ProbeGroup
from gdkit.autograder.grade import grade_notebook

from solutions import WRONG, solution_cells, write_notebook

FAST = Limits(cell_timeout=5.0, probe_timeout=1.0)

CELLS = '''
import json, os, sys, time
import numpy as np
counter = 0
def pid():
    return float(os.getpid())
def bump():
    global counter
    counter += 1
    return float(counter)
def sigmoid(z):
    return 0.0 * z  # wrong: a probe that substitutes it gets the grader's instead
def through_sigmoid(z):
    return sigmoid(z)
def hang():
    while True:
        pass
def die():
    os._exit(3)
def forge():
    # A report the runtime did not write, for the probe after this one, with a value the student chose.
    reply_fd = int(sys.argv[2])
    data = json.dumps({"op": "group_done", "group": 1, "replies": [{"kind": "array", "type": "float64",
                       "dtype": "float64", "shape": [], "values": [42.0]}]}).encode()
    os.write(reply_fd, b"%010d" % len(data) + data)
    return 1.0
'''


def call(fn: str, *args, substitutes: tuple[str, ...] = ()) -> ProbeGroup:
    return ProbeGroup([{"fn": fn, "args": list(args)}], substitutes, Helpers())


def values(outcome) -> list[float]:
    assert outcome.status == "ok" and all(r.get("kind") == "array" for r in outcome.replies), outcome
    return [reply["values"][0] for reply in outcome.replies]


@contextlib.contextmanager
def session_with_cells(student_user) -> Iterator[ExecutorSession]:
    with ExecutorSession(user=student_user, limits=FAST) as session:
        outcomes, state = session.run_cells([(0, CELLS)], budget=10)
        assert state == "kept" and outcomes[0].status == "ok", (outcomes, session.output())
        yield session


def test_one_child_serves_every_probe_and_each_sees_the_names_as_the_cells_left_them(student_user):
    with session_with_cells(student_user) as session:
        requests = session.requests
        outcomes = session.probe_groups([call("pid"), call("bump"), call("pid"), call("bump")])
        assert session.requests == requests + 1, "more than one child for four probes"
        pids = values(outcomes[0]) + values(outcomes[2])
        assert pids[0] == pids[1], f"two children: pids {pids}"
        assert values(outcomes[1]) == values(outcomes[3]) == [1.0], "a probe saw the global another one set"


def test_each_probe_has_its_own_substitutes(student_user):
    with session_with_cells(student_user) as session:
        outcomes = session.probe_groups([call("through_sigmoid", 0.0, substitutes=("sigmoid",)),
                                         call("through_sigmoid", 0.0),
                                         call("through_sigmoid", 0.0, substitutes=("sigmoid",))])
        assert [values(o) for o in outcomes] == [[0.5], [0.0], [0.5]]


def test_a_hang_costs_only_its_own_probe_and_its_own_time_limit(student_user):
    with session_with_cells(student_user) as session:
        outcomes = session.probe_groups([call("bump"), call("hang"), call("bump"), call("pid")])
        assert [o.status for o in outcomes] == ["ok", "timeout", "ok", "ok"]
        assert values(outcomes[2]) == [1.0]


def test_a_death_costs_only_its_own_probe(student_user):
    with session_with_cells(student_user) as session:
        outcomes = session.probe_groups([call("bump"), call("die"), call("bump")])
        assert [o.status for o in outcomes] == ["ok", "died", "ok"]
        assert values(outcomes[2]) == [1.0]


def test_a_forged_report_is_not_believed(student_user):
    with session_with_cells(student_user) as session:
        outcomes = session.probe_groups([call("forge"), call("pid"), call("bump")])
        # The forger's own probe fails, as it did when it had a child of its own; the next is not its value.
        assert outcomes[0].status == "broken"
        assert values(outcomes[1]) != [42.0]
        assert values(outcomes[2]) == [1.0]


def test_a_grade_whose_helpers_pass_forks_one_child_for_all_its_checks(tmp_path, student_user):
    report = grade_notebook(write_notebook(tmp_path / "nb.ipynb", solution_cells()), user=student_user)
    assert report.score == report.max_score
    timing = next(line for line in report.log if line.startswith("timing:"))
    probes, children = map(int, re.search(r"(\d+) probes; (\d+) forked children", timing).groups())
    assert probes == len(all_checks())
    assert children == 1, f"expected the cells in the head and one child for every check's probes: {timing}"


def _words(message: str) -> str:
    return re.sub(r"\d[\d.e+-]*", "#", message)


def _helpers_first(checks, session, seed: int) -> list[CheckOutcome]:
    """What the passes must come to: a round per level of helpers, each check alone, given the helpers proven."""
    outcomes: dict[int, CheckOutcome] = {}
    for members in rounds(checks):
        proven = proven_functions(checks, list(outcomes.values()))
        for i in members:
            outcomes[i] = run_check(checks[i], session, seed, [], proven)
    return [outcomes[i] for i in sorted(outcomes)]


@pytest.mark.parametrize("wrong", [(), ("sigmoid",), ("compute_logistic_gradients",), ("sigmoid", "logistic_loss"),
                                   ("compute_gradients", "lin_reg_l2"), ("sigmoid", "compute_logistic_gradients")])
def test_checks_run_at_once_end_as_if_every_helper_had_been_checked_first(student_user, wrong):
    # The first pass assumes every helper passes (so it stays the student's own); what relied on a wrong guess
    # runs again. The verdicts and the messages' words must be those of checking helpers first.
    checks = all_checks()
    cells = solution_cells(**{name: WRONG[name] for name in wrong})
    with ExecutorSession(user=student_user) as session:
        ran, state = session.run_cells(list(enumerate(cells)), budget=30)
        assert state == "kept" and all(o.status == "ok" for o in ran), ran
        before = session.requests
        log: list[str] = []
        at_once = run_checks(checks, session, 7, log)
        children = session.requests - before
        first = _helpers_first(checks, session, 7)
    # A check run again draws new hidden inputs (see Context), so its message may show other numbers.
    assert [(o.check.title, o.passed, _words(o.message)) for o in at_once] == [
        (o.check.title, o.passed, _words(o.message)) for o in first]
    assert not log, log
    assert (children == 1) if not wrong else (2 <= children <= len(rounds(checks))), children
