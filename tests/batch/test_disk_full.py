"""A full disk under --out costs the notebooks it touches a "not graded: disk full", never the batch
(a real tmpfs, filled to the last byte)."""

from __future__ import annotations

import os
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


def test_a_notebook_cannot_fill_the_grader_disk_and_a_full_temp_disk_is_not_graded(tmp_path, small_tmp):
    # Finding 4: a notebook that filled the shared temporary disk crashed the whole batch (a traceback, exit 1,
    # no grades.csv). In the sandbox its files land in its own size-capped tmpfs: the grader's disk stays free.
    hog = write_notebook(tmp_path / "a_hog.ipynb", [*solution_cells(), FILL_THE_PARENT])
    honest = [write_notebook(tmp_path / f"{n}.ipynb", solution_cells()) for n in ("b_kim", "c_lee")]
    out = tmp_path / "out"
    env = {"TMPDIR": str(small_tmp)}
    proc = gdkit("grade", str(hog), *map(str, honest), "--out", str(out), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (small_tmp / "hog").exists(), "the notebook wrote into the grader's temporary folder"
    rows = {r["student"]: r for r in read_csv(out / "grades.csv")}
    assert {name: (r["status"], float(r["score"])) for name, r in rows.items()} == {
        "a_hog": ("graded", 20), "b_kim": ("graded", 20), "c_lee": ("graded", 20)}

    # When the grader's temporary disk is full all the same (another program filled it), nobody is graded, the
    # command says where and why in one message (no traceback), exits non-zero, and the earlier results stay.
    with open(small_tmp / "filler", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"x" * 4096)
        except OSError:
            pass
    # One page free: Python's tempfile still picks this folder (it probes with a tiny file; with no room at all
    # it silently falls back to /tmp), but the grader's run folders no longer fit.
    os.truncate(small_tmp / "filler", (small_tmp / "filler").stat().st_size - 4096)
    before = (out / "grades.csv").read_text()
    proc = gdkit("grade", "--force", *map(str, honest), "--out", str(out), env=env)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "No space left on device" in proc.stderr and str(small_tmp) in proc.stderr, proc.stderr
    assert (out / "grades.csv").read_text() == before
