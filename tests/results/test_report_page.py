"""The class report: built from real grading and from files written to the results.json contract, escaped,
self-contained, and rendered by a real headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from hostile_names import HOSTILE_NAME

from gdkit.autograder.results.collect import load_class
from gdkit.autograder.results.report import histogram_counts, write_report


class Page(HTMLParser):
    """Elements of a page, by tag, with their attributes, and the text of each element with an id."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    @property
    def plain(self) -> str:
        return " ".join(self.text)


def _section(html_text: str, section_id: str) -> str:
    m = re.search(rf"<section id='{section_id}'>(.*?)</section>", html_text, re.S)
    assert m, f"no section {section_id}"
    return m.group(1)


def _rows(section: str) -> int:
    return section.count("<tr") - section.count("<thead><tr")


def test_histogram_bins_cover_zero_to_full_marks():
    assert histogram_counts([0, 1.99, 2, 10, 19.5, 20], 20, 10) == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]


def test_report_from_real_grading(graded_class, copy_of):
    assert "Class report" in (graded_class / "report.html").read_text(encoding="utf-8")  # grade_all wrote it
    out = copy_of(graded_class)
    path = write_report(out)
    assert path == out / "report.html"
    text = path.read_text(encoding="utf-8")
    page = Page(text)
    # The histogram holds every submission: 4 in 10 bins.
    svg = _section(text, "distribution")
    counts = [int(n) for n in re.findall(r": (\d+) student\(s\)</title>", svg)]
    assert len(counts) == 10 and sum(counts) == 4 and counts[-1] == 1  # alice's 20 in the last bin
    # Pass rate per check: 24 checks, each over the 3 graded notebooks.
    checks = _section(text, "checks")
    assert _rows(checks) == 24
    assert "3 / 3" in checks and "1 / 3" in checks
    # The diagnosed mistake of bob and carol (1/(m+1)), with both names, counted once each.
    mistakes = _section(text, "mistakes")
    row = next(r for r in mistakes.split("<tr") if "divided by m + 1" in r)
    assert ">2<" in row and ">bob<" in row and ">carol<" in row
    assert "mean squared error" in mistakes  # carol's lin_reg_l2
    # carol's raising cell, escaped; dan not graded with the reason.
    cells = _section(text, "cells")
    assert "ValueError" in cells and "&lt;b&gt;boom&lt;/b&gt;" in cells and "<b>boom" not in cells
    assert "not valid notebook JSON" in _section(text, "not-graded")
    assert _rows(_section(text, "slowest")) == 4
    # One row and one working feedback link per student.
    assert _rows(_section(text, "students")) == 4
    links = {a["href"] for a in page.all("a") if a["href"].endswith("feedback.html")}
    assert links == {f"{n}/feedback.html" for n in ("alice", "bob", "carol", "dan")}
    bob = (out / "bob" / "feedback.html").read_text(encoding="utf-8")
    assert "divided by m + 1" in bob and "17.5 / 20" in bob
    # Self-contained: nothing fetched, nothing run.
    assert not page.all("script") and not page.all("img") and not page.all("link")
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", text)


def test_report_uses_the_contract_fields_and_escapes_them(contract_class):
    text = write_report(contract_class).read_text(encoding="utf-8")
    page = Page(text)
    assert "Bob Baker" in page.plain and "S0002" in page.plain and HOSTILE_NAME in page.plain
    assert "<script" not in text and "<b>Co" not in text and "&lt;script&gt;" in text
    assert not page.all("img") and not page.all("b")
    # Cells from extra_data.cells, the student's error escaped.
    cells = _section(text, "cells")
    assert "timed out" in cells and "&lt;img src=x onerror=alert(1)&gt;" in cells
    # Slowest first, by extra_data.seconds.
    slowest = _section(text, "slowest")
    assert slowest.index("Bob Baker") < slowest.index("Alice Archer")
    # Statuses from extra_data: the internal error and the not-graded submission are listed with reasons.
    not_graded = _section(text, "not-graded")
    assert "Gus Grey" in not_graded and "internal error" in not_graded and "not valid JSON" in not_graded
    assert "Finn Fox" in not_graded
    # The hostile student's feedback page is escaped too, and links back to the report.
    folder = next(s.folder for s in load_class(contract_class) if s.student == HOSTILE_NAME)
    feedback = (contract_class / folder / "feedback.html").read_text(encoding="utf-8")
    assert "<script" not in feedback and HOSTILE_NAME in Page(feedback).plain
    assert "href='../report.html'" in feedback
    bob_page = (contract_class / "s-02" / "feedback.html").read_text(encoding="utf-8")
    assert "onerror" in bob_page and "<img" not in bob_page


def test_files_before_the_contract_and_broken_files_still_get_a_row(graded_class, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded_class / "bob", out / "bob")
    (out / "interrupted").mkdir()  # the provisional file of a run stopped before this notebook finished
    (out / "interrupted" / "results.json").write_text(json.dumps(
        {"score": 0.0, "output": "Grading did not complete", "output_format": "md", "visibility": "visible",
         "tests": []}), encoding="utf-8")
    for folder, summary in (("crashed", "**Not graded:** the grader hit an internal error on this notebook"),
                            ("odd", "Graded 24 checks.\n- code cell 2 raised `RuntimeError: internal error`")):
        doc = json.loads((graded_class / "alice" / "results.json").read_text(encoding="utf-8"))
        doc["output"] = summary
        doc.pop("extra_data", None)
        (out / folder).mkdir()
        (out / folder / "results.json").write_text(json.dumps(doc), encoding="utf-8")
    (out / "garbled").mkdir()
    (out / "garbled" / "results.json").write_text('{"score": ', encoding="utf-8")
    students = {s.folder: s for s in load_class(out)}
    assert students["bob"].student == "bob" and students["bob"].status == "graded"
    assert students["bob"].seconds is not None and students["bob"].score == 17.5
    assert students["interrupted"].status == "not graded" and "did not complete" in students["interrupted"].reason
    assert students["garbled"].status == "not graded" and "unreadable" in students["garbled"].reason
    assert students["crashed"].status == "internal error"
    assert students["odd"].status == "graded"  # a student's error message saying "internal error" is not ours
    assert students["odd"].cells == [{"cell": 2, "status": "error", "error": "RuntimeError: internal error"}]
    text = write_report(out).read_text(encoding="utf-8")
    assert _rows(_section(text, "students")) == 5


def test_report_command_usage_errors(tmp_path):
    gdkit = [sys.executable, "-m", "gdkit.cli"]
    r = subprocess.run([*gdkit, "report", str(tmp_path / "missing")], capture_output=True, text=True)
    assert r.returncode == 2 and "not a folder" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([*gdkit, "report", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 2 and "no <folder>/results.json" in r.stderr


# -- In a real browser -------------------------------------------------------------------------------------

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]


def chromium() -> str:
    """Debian's chromium, installed with apt when missing and we are root (as on CI)."""
    found = shutil.which("chromium")
    if found is None and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]
        if subprocess.run(install, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env, capture_output=True, check=True)
            subprocess.run(install, env=env, capture_output=True, check=True)
        found = shutil.which("chromium")
    assert found, "chromium is not installed and this test is not root: apt-get install chromium"
    return found


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def test_report_renders_in_headless_chromium(contract_class, tmp_path):
    report = write_report(contract_class)
    browser = chromium()
    shot = tmp_path / "report.png"
    common = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    subprocess.run([*common, "--window-size=1280,2000", f"--screenshot={shot}", report.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert png_size(shot) == (1280, 2000)
    assert shot.stat().st_size > 60_000  # a blank or error page compresses to a few KB
    dom = subprocess.run([*common, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120,
                         check=True).stdout
    page = Page(dom)
    svg = page.all("svg", id="histogram")
    assert len(svg) == 1
    assert len(re.findall(r"<rect class=\"bar\"", dom)) == 10
    table = re.search(r'<table class="data" id="students-table">(.*?)</table>', dom, re.S).group(1)
    assert table.count("<tr>") - 1 == len(load_class(contract_class)) == 7
    assert "Bob Baker" in page.plain and HOSTILE_NAME in page.plain
    assert not page.all("script")  # the hostile name stayed text in the rendered DOM
