"""-j is capped at the cores the machine has (issue 10, item 6): more slots than cores only split the CPU into
shares too small for a notebook's cells and probes to finish within their CPU-time limits."""

from __future__ import annotations

import os

from classroom import gdkit
from solutions import solution_cells, write_notebook


def test_more_jobs_than_cores_are_capped_and_the_instructor_is_told(tmp_path):
    cores = len(os.sched_getaffinity(0))
    paths = [write_notebook(tmp_path / f"s{i}.ipynb", solution_cells()) for i in range(2)]
    proc = gdkit("grade", "-j", str(cores * 32), *map(str, paths), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"-j {cores * 32} is more than the {cores} cores here" in proc.stderr, proc.stderr
    for log in (tmp_path / "out").glob("*/grading.log"):
        text = log.read_text()
        assert "score: 20 / 20" in text, text
        assert f"cgroup v1: {1:g} cores" in text or f"cgroup v2: {1:g} cores" in text, text
