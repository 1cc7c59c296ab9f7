"""Gradebook exports: Canvas, Gradescope and plain CSV, matched to a roster, read back with csv.DictReader."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_names import HOSTILE_NAME

from gdkit.autograder.checks import CONTRACT
from gdkit.autograder.results.collect import load_class
from gdkit.autograder.results.export import CANVAS_COLUMNS, GRADESCOPE_COLUMNS, RosterError, write_export

# Canvas's own gradebook export (Grades > Export): a "Points Possible" row, "Last, First" names, a test student.
CANVAS_ROSTER = f'''Student,ID,SIS User ID,SIS Login ID,Section,Homework 1 (501)
    Points Possible,,,,,10
"Archer, Alice",9001,A-1,aarcher,Lab A,9
Bob Baker,9002,S0002,bbaker,Lab B,8
"{HOSTILE_NAME.replace('"', '""')}",9003,E-3,evil@u.edu,Lab A,7
"Dunn, Dora",9004,D-4,dora@u.edu,Lab B,
Eli Eames,9005,E-5,eli@u.edu,Lab B,
Finn Fox,9006,F-6,finn@u.edu,Lab A,
Gus Grey,9007,G-7,gus@u.edu,Lab A,
Hana Hill,9008,H-8,hana@u.edu,Lab B,6
"Student, Test",9999,,,Lab A,
'''

# Gradescope's roster export.
GRADESCOPE_ROSTER = '''First Name,Last Name,SID,Email,Role,Sections
Alice,Archer,A-1,alice@u.edu,Student,Lab A
Bob,Baker,S0002,bob@u.edu,Student,Lab B
Dora,Dunn,D-4,dora@u.edu,Student,Lab B
Eli,Eames,E-5,eli@u.edu,Student,Lab B
'''


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def roster(tmp_path: Path, text: str, name: str = "roster.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_canvas_export_round_trips_with_the_roster(contract_class, tmp_path):
    scores = {s.student: s.score for s in load_class(contract_class)}
    done = write_export(contract_class, "canvas", roster=roster(tmp_path, CANVAS_ROSTER),
                        assignment="Gradient descent (777)")
    rows = read(done.path)
    assert list(rows[0]) == [*CANVAS_COLUMNS, "Gradient descent (777)"]
    by_name = {r["Student"]: r for r in rows}
    # Matched by id (email, SID, login) or by name ("Archer, Alice" is Alice Archer); both members of the group.
    assert set(by_name) == {"Archer, Alice", "Bob Baker", HOSTILE_NAME, "Dunn, Dora", "Eli Eames", "Finn Fox"}
    assert by_name["Bob Baker"] == {"Student": "Bob Baker", "ID": "9002", "SIS User ID": "S0002",
                                    "SIS Login ID": "bbaker", "Section": "Lab B",
                                    "Gradient descent (777)": f"{scores['Bob Baker']:g}"}
    assert by_name["Archer, Alice"]["Gradient descent (777)"] == f"{scores['Alice Archer']:g}"
    group = scores["Dora Dunn & Eli Eames"]
    assert by_name["Dunn, Dora"]["Gradient descent (777)"] == by_name["Eli Eames"]["Gradient descent (777)"] \
        == f"{group:g}"
    assert by_name["Finn Fox"]["Gradient descent (777)"] == "0"  # not graded: a zero, with its reason elsewhere
    # Never dropped silently: the stranger is unmatched, the internal error not exported, Hana has no submission.
    assert [m.member for m in done.unmatched] == ["Nobody Known"]
    assert [m.member for m in done.not_exported] == ["Gus Grey"]
    assert "internal error" in done.not_exported[0].problem
    assert [e.name for e in done.no_submission] == ["Hana Hill"]
    left_out = read(done.unmatched_path)
    assert {r["student"] for r in left_out} == {"Nobody Known", "Gus Grey"}
    assert all(r["problem"] for r in left_out)


def test_gradescope_export_with_and_without_a_roster(contract_class, tmp_path):
    done = write_export(contract_class, "gradescope", roster=roster(tmp_path, GRADESCOPE_ROSTER))
    rows = read(done.path)
    assert list(rows[0]) == list(GRADESCOPE_COLUMNS)
    assert {r["Email"]: r["SID"] for r in rows} == {"alice@u.edu": "A-1", "bob@u.edu": "S0002",
                                                   "dora@u.edu": "D-4", "eli@u.edu": "E-5"}
    assert {m.member for m in done.unmatched} == {HOSTILE_NAME, "Finn Fox", "Nobody Known", "Gus Grey"}
    # Without a roster: each submission's own email or SID (Gradescope matches on either).
    done = write_export(contract_class, "gradescope", output=tmp_path / "gs.csv")
    rows = {r["Name"]: r for r in read(tmp_path / "gs.csv")}
    assert rows["Bob Baker"]["SID"] == "S0002" and rows["Bob Baker"]["Email"] == ""
    assert rows["Alice Archer"]["Email"] == "alice@u.edu"
    assert rows["Dora Dunn"]["Email"] == "dora@u.edu" and rows["Eli Eames"]["Email"] == "eli@u.edu"
    assert "Gus Grey" not in rows and [m.member for m in done.not_exported] == ["Gus Grey"]


def test_plain_csv_lists_every_submission_and_every_roster_entry(contract_class, tmp_path):
    done = write_export(contract_class, "csv", roster=roster(tmp_path, CANVAS_ROSTER))
    rows = read(done.path)
    assert list(rows[0])[:9] == ["student", "student_id", "roster_name", "email", "sid", "section", "status",
                                 "score", "max_score"]
    assert [c for c in rows[0] if c in CONTRACT] == list(CONTRACT)
    members = [r["student"] for r in rows if r["student"]]
    assert len(members) == 8  # 7 submissions, one of them a group of two
    nobody = next(r for r in rows if r["student"] == "Nobody Known")
    assert nobody["roster_name"] == "" and "not on the roster" in nobody["problem"]
    hana = next(r for r in rows if r["roster_name"] == "Hana Hill")
    assert hana["status"] == "no submission" and hana["score"] == ""
    finn = next(r for r in rows if r["student"] == "Finn Fox")
    assert finn["status"] == "not graded" and finn["reason"] == "the notebook is not valid JSON"


def test_export_from_real_grading_without_the_contract(graded_class, tmp_path):
    """Results written before the contract: the folder name is the student, matched by name."""
    text = "Name,Email,SID\nalice,alice@u.edu,1\nbob,bob@u.edu,2\ncarol,carol@u.edu,3\ndan,dan@u.edu,4\n"
    done = write_export(graded_class, "gradescope", roster=roster(tmp_path, text), output=tmp_path / "g.csv")
    rows = {r["Email"]: r["Total Score"] for r in read(done.path)}
    assert rows == {"alice@u.edu": "20", "bob@u.edu": "17.5", "carol@u.edu": "15.5", "dan@u.edu": "0"}
    assert not done.unmatched and not done.no_submission


def test_ambiguous_names_are_not_guessed(contract_class, tmp_path):
    text = "Name,Email\nBob Baker,bob1@u.edu\nBob Baker,bob2@u.edu\n"
    done = write_export(contract_class, "csv", roster=roster(tmp_path, text))
    bob = next(m for m in done.unmatched if m.member == "Bob Baker")
    assert "ambiguous" in bob.problem


def test_bad_rosters_are_clear_errors(contract_class, tmp_path):
    with pytest.raises(RosterError, match="needs --roster"):
        write_export(contract_class, "canvas")
    with pytest.raises(RosterError, match="no name, email, SID or ID column"):
        write_export(contract_class, "csv", roster=roster(tmp_path, "Colour,Size\nred,3\n"))
    with pytest.raises(RosterError, match="empty"):
        write_export(contract_class, "csv", roster=roster(tmp_path, ""))


def gdkit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gdkit.cli", *args], capture_output=True, text=True)


def test_export_command(contract_class, tmp_path):
    r = gdkit("export", str(contract_class), "--format", "canvas")
    assert r.returncode == 2 and "needs --roster" in r.stderr and "Traceback" not in r.stderr
    r = gdkit("export", str(tmp_path / "nothing"), "--format", "csv")
    assert r.returncode == 2 and "no <folder>/results.json" in r.stderr
    r = gdkit("export", str(contract_class), "--format", "canvas", "--roster", str(tmp_path / "missing.csv"))
    assert r.returncode == 2 and "roster not found" in r.stderr
    r = gdkit("export", str(contract_class), "--format", "canvas", "--roster", str(roster(tmp_path, CANVAS_ROSTER)))
    assert r.returncode == 0, r.stderr
    assert "NOT MATCHED: Nobody Known" in r.stderr and "NOT EXPORTED: Gus Grey" in r.stderr
    assert "Hana Hill" in r.stderr
    assert len(read(contract_class / "export-canvas.csv")) == 6
