"""What the terminal shows: nothing but one closing line when not a terminal, no third-party warnings."""

from __future__ import annotations

from classroom import gdkit
from solutions import solution_cells, write_notebook


def test_not_a_terminal_prints_only_the_closing_line(tmp_path):
    good = write_notebook(tmp_path / "good.ipynb", solution_cells())
    # No cell ids in an nbformat 4.5 notebook: nbformat warns (MissingIDFieldWarning) when it reads one.
    text = good.read_text().replace('"id": "cell-0",', "")
    (tmp_path / "noid.ipynb").write_text(text)
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{")
    proc = gdkit("grade", str(good), str(tmp_path / "noid.ipynb"), str(broken), "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == "", proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    assert lines[0].startswith("graded 2, not graded 1, internal errors 0"), lines[0]
    assert str(tmp_path / "out") in lines[0] and "grades.csv" in lines[0]
