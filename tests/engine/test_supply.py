"""Sessions started ahead (autograder/executor/supply.py): each is fresh, serves one submission, and none
outlives the run. What they save is measured by benchmarks/grading_latency.py, not here."""

from __future__ import annotations

import os
import time

import pytest

from gdkit.autograder.executor.supply import Supply, sandboxing

LEFT_BY_EARLIER = '''
import os
print("SEEN earlier", sorted(name for name in os.listdir("/tmp") if name.startswith("left-")))
open(f"/tmp/left-{os.getpid()}", "w").write("x")
'''


def wait_for_waiting(supply: Supply, count: int) -> list:
    deadline = time.monotonic() + 60
    while len(supply.waiting()) < count:
        if time.monotonic() > deadline:
            pytest.fail(f"only {len(supply.waiting())} of {count} sessions started ahead within 60 s")
        time.sleep(0.05)
    return supply.waiting()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_sessions_started_ahead_are_fresh_and_each_serves_one_submission():
    with Supply(sandboxing(1), ahead=2, expected=3) as supply:
        ahead = {session.proc.pid for session in wait_for_waiting(supply, 2)}
        pids, used = [], []
        for _ in range(3):  # two started ahead, the third started once the first was taken
            with supply.take() as session:
                pids.append(session.proc.pid)
                assert session.run_cell(0, LEFT_BY_EARLIER).status == "ok", session.output()
            used.append(session)
    seen = [session.output() for session in used]  # complete once closed (a thread drains the output)
    assert set(pids[:2]) == ahead, "the first two sessions handed out are the ones started ahead"
    assert len(set(pids)) == 3, f"a session served two submissions: {pids}"
    assert seen == ["SEEN earlier []\n"] * 3, f"a session saw what an earlier one left in /tmp: {seen}"
    assert not any(alive(pid) for pid in pids), "a session outlived its submission"


def test_sessions_never_taken_are_killed_when_the_run_ends():
    supply = Supply(sandboxing(1), ahead=2, expected=5)
    sessions = wait_for_waiting(supply, 2)
    folders = [session.workdir for session in sessions]
    supply.close()
    assert not any(alive(session.proc.pid) for session in sessions if session.proc is not None)
    assert all(session.proc is None for session in sessions), "close() did not close every waiting session"
    assert not any(folder.exists() for folder in folders), f"working folders left: {folders}"


def test_expecting_fewer_kills_the_surplus_and_starts_no_more():
    with Supply(sandboxing(1), ahead=2, expected=4) as supply:
        sessions = wait_for_waiting(supply, 2)
        supply.expect(1)
        assert len(supply.waiting()) == 1, "one session is still wanted"
        assert sum(session.proc is None for session in sessions) == 1, "the surplus session was not closed"
        with supply.take():
            pass
        assert supply.waiting() == [], "a session was started beyond what was expected"


def children_of(pid: int) -> list[int]:
    found = []
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                fields = f.read().rpartition(b")")[2].split()
        except (OSError, ValueError):
            continue
        if int(fields[1]) == pid:
            found.append(int(name))
    return found


def test_the_first_sessions_are_launched_before_the_supply_is_returned():
    # The caller (gdkit grade) imports the grader next: the first student process must already be booting, not
    # waiting for a background thread that competes with those imports for the interpreter's lock.
    how = sandboxing(1)
    before = set(children_of(os.getpid()))
    with Supply(how, ahead=1, expected=1) as supply:
        launched = set(children_of(os.getpid())) - before
        assert launched, "no student process was started by the time Supply() returned"
        with supply.take() as session:
            assert session.proc.pid in launched


def test_ctrl_c_while_the_first_sessions_launch_leaves_none_behind(monkeypatch):
    # gdkit grade's Ctrl-C before grading started: the session already launched must not outlive the command.
    from gdkit.autograder.executor import supply as supply_module

    launched = []
    real = supply_module.start_lease

    def second_interrupted(how, user=None, *, wait=True):
        if launched:
            raise KeyboardInterrupt
        launched.append(real(how, user, wait=wait))
        return launched[-1]

    monkeypatch.setattr(supply_module, "start_lease", second_interrupted)
    with pytest.raises(KeyboardInterrupt):
        Supply(sandboxing(2), ahead=2, expected=2)
    [lease] = launched
    assert lease.session.proc is None, "the session launched before the interrupt was not closed"
