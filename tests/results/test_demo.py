"""``gdkit demo`` end to end: what an instructor uploads, a graded sample class, the report, where each file is."""

from __future__ import annotations

import csv
import subprocess
import sys
import zipfile

import yaml

from gdkit.autograder.results.collect import load_class
from gdkit.build import OTTER_ZIP_NAME


def test_demo_builds_the_uploads_grades_a_class_and_writes_the_report(tmp_path):
    out = tmp_path / "dist"
    stale = out / "otter-autograder" / OTTER_ZIP_NAME  # left by an older demo: Otter's zip grades differently
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"PK")
    run = subprocess.run([sys.executable, "-m", "gdkit.cli", "demo", "--out", str(out)], capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]

    # What an instructor uploads, and nothing of Otter's own autograder anywhere under --out.
    with zipfile.ZipFile(out / "student.zip") as z:
        assert any(n.endswith("gradient_descent.ipynb") for n in z.namelist())
    with zipfile.ZipFile(out / "gradescope" / "autograder.zip") as z:
        assert {"setup.sh", "run_autograder"} <= set(z.namelist())
    assert not [p for p in out.rglob("*") if "otter" in p.name.lower() and p.suffix == ".zip"]
    assert not (out / "otter-autograder").exists()

    # The sample class: a Gradescope export of a dozen or more named students, and their roster.
    metadata = yaml.safe_load((out / "sample-class" / "submission_metadata.yml").read_text(encoding="utf-8"))
    names = [s[":name"] for info in metadata.values() for s in info[":submitters"]]
    assert len(names) >= 12 and len(set(names)) == len(names) and "Ada Lovelace" in names
    for key in metadata:
        assert (out / "sample-class" / key / "gradient_descent.ipynb").is_file()

    # Graded, with varied results: full marks, the hand-out's zero, a corrupt file not graded, mistakes between.
    students = load_class(out / "grades")
    assert len(students) == len(names)
    graded = [s.score for s in students if s.status == "graded"]
    assert [s.status for s in students].count("not graded") == 1
    assert graded.count(20) >= 2 and 0 in graded and len(set(graded)) >= 6

    report = (out / "grades" / "report.html").read_text(encoding="utf-8")
    assert "<svg id='histogram'" in report and "divided by m + 1" in report
    assert "raised" in report and "ended the process" in report  # the typo cell and the hostile os._exit
    assert (out / "grades" / "export-gradescope.csv").is_file()
    # Every student is on the roster under the email of the export's metadata, and no two share one (two
    # Barbaras once did, and the export rightly refused to guess between them).
    with open(out / "sample-class" / "roster.csv", newline="", encoding="utf-8") as f:
        emails = [r["Email"] for r in csv.DictReader(f)]
    assert len(set(emails)) == len(emails) == len(names)
    assert set(emails) == {s[":email"] for info in metadata.values() for s in info[":submitters"]}

    # It says where each file is.
    for path in (out / "student.zip", out / "gradescope" / "autograder.zip", out / "grades" / "report.html",
                 out / "grades" / "grades.csv", out / "sample-class"):
        assert str(path) in run.stdout, path
