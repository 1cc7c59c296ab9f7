"""Per-submission cgroups on the real kernel: limits written, CPU time counted, groups removed afterwards.

This machine has cgroup v1 hierarchies (what :func:`cgroups.layout` picks here) and an empty cgroup2 mount at
/sys/fs/cgroup/unified, on which the v2 reading of CPU time and the clean-up are exercised too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gdkit.autograder.executor import cgroups, sandbox
from gdkit.autograder.executor.cpuclock import Deadline

BURN = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end:\n    pass\n"


def run_inside(group: cgroups.Group) -> None:
    argv = sandbox._join_cgroup(group.procs_files()) + [sys.executable, "-c", BURN]
    subprocess.run(argv, check=True, timeout=120)


@pytest.fixture
def root_only():
    if os.geteuid() != 0:
        pytest.fail("cgroups are created by root (CI runs as root): run `sudo ./dev test`")


def test_v1_group_has_the_limits_counts_cpu_and_is_removed(root_only):
    layout = cgroups.layout()
    assert isinstance(layout, cgroups.Layout) and layout.version == 1, layout
    assert cgroups.describe().startswith("cgroup v1")
    group = cgroups.create(0.5, 300, 40)
    assert isinstance(group, cgroups.Group), group
    try:
        assert (group.folders["cpu"] / "cpu.cfs_quota_us").read_text().strip() == "50000"
        assert int((group.folders["memory"] / "memory.limit_in_bytes").read_text()) == 300 * 1024 * 1024
        assert (group.folders["pids"] / "pids.max").read_text().strip() == "40"
        clock = Deadline(0.3, group.cpu_seconds)
        assert not clock.expired()
        run_inside(group)
        assert group.cpu_seconds() >= 0.35
        assert clock.expired()  # the CPU it used counts, whatever the wall clock says
        assert group.processes() == []
    finally:
        assert group.remove()
    assert not any(folder.exists() for folder in group.folders.values())


def test_v2_cpu_time_and_removal_on_the_unified_mount(root_only):
    unified = Path("/sys/fs/cgroup/unified")
    if not (unified / "cgroup.procs").exists():  # a pure v2 machine: the v2 tree is the root itself
        unified = cgroups.ROOT
    folder = unified / f"gdkit-test-{os.getpid()}"
    folder.mkdir()
    group = cgroups.Group(2, {"cpu": folder})
    try:
        run_inside(group)
        assert group.cpu_seconds() >= 0.35
    finally:
        assert group.remove()
    assert not folder.exists()


def test_without_a_cpu_clock_the_deadline_is_the_wall_clock():
    clock = Deadline(0.0)
    assert clock.expired() and clock.next_wait() == clock.wall_deadline
