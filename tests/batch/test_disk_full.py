"""A full disk under --out costs the notebooks it touches a "not graded: disk full", never the batch
(a real tmpfs, filled to the last byte)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from gdkit.autograder.executor import sandbox

from classroom import gdkit, read_csv
from solutions import solution_cells, write_notebook


@pytest.fixture
def small_disk(tmp_path):
    if not sandbox.is_root():
        pytest.fail("mounting a tmpfs needs root (the suite runs as root in CI)")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


def _fill(folder):
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:  # unbuffered: the write that finds the disk full raises here
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
        try:
            while True:
                f.write(b"\0")  # the last bytes of the last block
        except OSError:
            pass
    return filler


def test_a_full_disk_is_not_graded_disk_full_and_the_batch_goes_on(tmp_path, small_disk):
    notebooks = [write_notebook(tmp_path / f"{n}.ipynb", solution_cells()) for n in ("kim", "lee")]
    out = small_disk / "out"
    out.mkdir()
    filler = _fill(small_disk)
    proc = gdkit("grade", *map(str, notebooks), "--out", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    text = proc.stdout + proc.stderr
    assert "disk full" in text and "kim" in text and "lee" in text, text
    assert "not graded 2" in proc.stdout, proc.stdout

    filler.unlink()  # the instructor frees space and runs the same command again
    again = gdkit("grade", *map(str, notebooks), "--out", str(out))
    assert again.returncode == 0, again.stdout + again.stderr
    rows = read_csv(out / "grades.csv")
    assert [(r["student"], r["status"], float(r["score"])) for r in rows] == [("kim", "graded", 20),
                                                                             ("lee", "graded", 20)]


@pytest.fixture
def small_tmp():
    """A 4 MiB tmpfs as the grader's temporary folder, where the sandboxes' run folders live; under /tmp and
    traversable, as /tmp is, so the student user can reach its run folder."""
    if not sandbox.is_root():
        pytest.fail("mounting a tmpfs needs root (the suite runs as root in CI)")
    mount = Path(tempfile.mkdtemp(prefix="gdkit-small-tmp-"))
    mount.chmod(0o755)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m,mode=1777", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)
        shutil.rmtree(mount, ignore_errors=True)


FILL_THE_PARENT = """
import os
for name in os.listdir("."):  # its own run folder emptied first, so that its clean-up frees nothing
    if os.path.isfile(name):
        os.remove(name)
with open(os.path.join(os.path.dirname(os.getcwd()), "hog"), "wb", buffering=0) as f:
    try:
        while True:
            f.write(b"x" * 4096)
    except OSError:
        pass
    try:
        while True:
            f.write(b"x")
    except OSError:
        pass
"""


def test_a_notebook_that_fills_the_temp_disk_costs_the_next_ones_a_not_graded(tmp_path, small_tmp):
    # The hog fills the shared temporary disk from its own cell (a file next to its run folder, which survives
    # it); the notebooks after it find no room for their run folders (the grader's copy of the runtime raises
    # ENOSPC). Was: a traceback, exit 1, no grades.csv, no results for the others.
    hog = write_notebook(tmp_path / "a_hog.ipynb", [*solution_cells(), FILL_THE_PARENT])
    honest = [write_notebook(tmp_path / f"{n}.ipynb", solution_cells()) for n in ("b_kim", "c_lee")]
    out = tmp_path / "out"
    proc = gdkit("grade", str(hog), *map(str, honest), "--out", str(out), env={"TMPDIR": str(small_tmp)})
    assert (small_tmp / "hog").exists(), "the hog did not fill the disk: the test proves nothing"
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    rows = {r["student"]: r for r in read_csv(out / "grades.csv")}
    assert sorted(rows) == ["a_hog", "b_kim", "c_lee"]
    assert rows["a_hog"]["status"] == "graded" and float(rows["a_hog"]["score"]) == 20
    for name in ("b_kim", "c_lee"):
        assert rows[name]["status"] == "not graded" and rows[name]["reason"].startswith("disk full"), rows[name]
    assert "disk full" in proc.stderr and "b_kim" in proc.stderr, proc.stderr
