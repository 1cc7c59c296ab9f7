"""A full disk under --out costs the notebooks it touches a "not graded: disk full", never the batch
(a real tmpfs, filled to the last byte)."""

from __future__ import annotations

import subprocess

import pytest

from gdkit.autograder.executor import sandbox

from conftest import gdkit, read_csv
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
