"""Gradebook exports: the class's scores as the CSV that Canvas's gradebook import or Gradescope's score upload
accepts, or as a plain CSV, matched to the course roster.

Columns, and why (sources in README.md, "Class report and gradebook export"):

- ``canvas``: ``Student, ID, SIS User ID, SIS Login ID, Section, <assignment>``. Canvas's gradebook import
  identifies a student by these columns and needs all of them present (the values are copied from the roster,
  which should be Canvas's own gradebook export); any further column is an assignment, matched by its name
  (``Name (id)`` for an existing one) or created when new.
- ``gradescope``: ``Name, SID, Email, Total Score``: Gradescope matches students by email (unique per course
  member) or SID; the score column is named as in Gradescope's own grade export.
- ``csv``: every submission and every roster entry, matched or not, with per-function points and reasons.

A submission that matches no roster entry, or more than one, is never dropped silently: it is listed in the
returned :class:`Export` (the command prints it and writes ``<output>-unmatched.csv``).
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from gdkit.autograder.checks import CONTRACT
from gdkit.autograder.results.atomic import write_text_atomically
from gdkit.autograder.results.collect import INTERNAL_ERROR, StudentResult, load_class
from gdkit.autograder.results.html_parts import fmt

FORMATS = ("canvas", "gradescope", "csv")
DEFAULT_ASSIGNMENT = "Gradient descent"
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
GRADESCOPE_COLUMNS = ("Name", "SID", "Email", "Total Score")

# Header names (case-insensitive) accepted for each roster field: Canvas's gradebook export, Gradescope's roster
# export and hand-made rosters.
_ALIASES = {
    "name": ("name", "student", "student name", "full name"),
    "first": ("first name", "first", "given name"),
    "last": ("last name", "last", "surname", "family name"),
    "email": ("email", "e-mail", "email address"),
    "sid": ("sid", "sis user id", "student id", "student number"),
    "canvas_id": ("id", "canvas id", "canvas user id"),
    "login": ("sis login id", "login id", "login", "username"),
    "section": ("section", "sections"),
}


class RosterError(ValueError):
    """The roster file cannot be used (missing, not a CSV with a header, no identifying column)."""


@dataclass
class RosterEntry:
    name: str = ""
    email: str = ""
    sid: str = ""
    canvas_id: str = ""
    login: str = ""
    section: str = ""
    row: dict = field(default_factory=dict)  # the roster's own row, as read

    def keys(self) -> set[str]:
        """Identifiers a submission's student_id may equal (case-insensitive)."""
        return {k.strip().casefold() for k in (self.email, self.sid, self.canvas_id, self.login) if k.strip()}


@dataclass
class Match:
    result: StudentResult
    member: str  # the student's name (one member of a group submission)
    member_id: str
    entry: RosterEntry | None
    problem: str = ""  # why entry is None, or why this row is not exported


@dataclass
class Export:
    path: Path
    rows: int
    unmatched: list[Match]
    not_exported: list[Match]
    no_submission: list[RosterEntry]
    unmatched_path: Path | None = None


def load_roster(path: Path) -> list[RosterEntry]:
    """Read a roster CSV; raises :class:`RosterError` with a one-line reason."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # Excel writes a byte-order mark
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"cannot read roster {path}: {exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise RosterError(f"roster {path} is empty: it needs a header row")
    columns = {f.strip().casefold(): f for f in reader.fieldnames if f}
    found = {key: next((columns[a] for a in aliases if a in columns), None) for key, aliases in _ALIASES.items()}
    if not any(found[k] for k in ("name", "first", "email", "sid", "canvas_id", "login")):
        raise RosterError(f"roster {path} has no name, email, SID or ID column (found: "
                          f"{', '.join(reader.fieldnames)})")
    entries = []
    for row in reader:
        get = {k: (row.get(col) or "").strip() if col else "" for k, col in found.items()}
        name = get["name"] or " ".join(x for x in (get["first"], get["last"]) if x)
        # Canvas's export has a "Points Possible" row and sometimes a "Test Student": not students.
        if name.casefold() in ("points possible", "test student", "student, test") or not (name or get["email"]
                                                                                           or get["sid"]):
            continue
        entries.append(RosterEntry(name, get["email"], get["sid"], get["canvas_id"], get["login"], get["section"],
                                   dict(row)))
    return entries


def normalise_name(name: str) -> str:
    """Case, spacing and "Last, First" order do not matter when matching names."""
    name = name.strip()
    if name.count(",") == 1:
        last, first = name.split(",")
        name = f"{first} {last}"
    return re.sub(r"\s+", " ", name).strip().casefold()


def _members(result: StudentResult, known: set[str] | None = None) -> list[tuple[str, str]]:
    """(name, id) of each student of a submission; a group's names (and ids) are joined by " & ".

    A name or id that is ``known`` as a whole (on the roster) is one student, even with " & " in it.
    """
    whole = [(result.student, result.student_id)]
    if known is not None and ({result.student_id.casefold(), normalise_name(result.student)} & known):
        return whole
    names = [n.strip() for n in result.student.split(" & ")]
    if len(names) == 1:
        return whole
    if not result.student_id:
        return [(n, "") for n in names]
    ids = [i.strip() for i in result.student_id.split(" & ")]
    # A group joins its ids as its names; one id for several names is one student with " & " in the name.
    return list(zip(names, ids, strict=True)) if len(ids) == len(names) else whole


def match_roster(results: list[StudentResult], roster: list[RosterEntry]) -> tuple[list[Match], list[RosterEntry]]:
    """Each submission's students against the roster: by id (email, SID, Canvas ID, login), then by name.

    Returns the matches (entry None with a problem when unmatched) and the roster entries with no submission.
    A roster entry claimed by two submissions keeps the higher score; the other is reported, not exported.
    """
    by_key: dict[str, list[RosterEntry]] = {}
    by_name: dict[str, list[RosterEntry]] = {}
    for e in roster:
        for k in e.keys():
            by_key.setdefault(k, []).append(e)
        if e.name:
            by_name.setdefault(normalise_name(e.name), []).append(e)
    known = set(by_key) | set(by_name)
    matches = []
    for r in results:
        for name, sid in _members(r, known):
            candidates = by_key.get(sid.casefold(), []) if sid else []
            how = "id"
            if not candidates:
                candidates, how = by_name.get(normalise_name(name), []), "name"
            if len(candidates) == 1:
                matches.append(Match(r, name, sid, candidates[0]))
            elif not candidates:
                matches.append(Match(r, name, sid, None, "not on the roster (no matching email, SID, ID or name)"))
            else:
                matches.append(Match(r, name, sid, None, f"ambiguous: {len(candidates)} roster entries match by {how}"))
    claimed: dict[int, Match] = {}
    for m in matches:
        if m.entry is None:
            continue
        other = claimed.get(id(m.entry))
        if other is None:
            claimed[id(m.entry)] = m
            continue
        keep, drop = (m, other) if m.result.score > other.result.score else (other, m)
        claimed[id(m.entry)] = keep
        drop.problem = f"same roster entry as submission {keep.result.folder!r}, which scored higher"
    no_submission = [e for e in roster if id(e) not in claimed]
    return matches, no_submission


def _export_problem(m: Match, fmt_name: str = "csv", has_roster: bool = True) -> str:
    """Why this submission's row is left out of a Canvas/Gradescope file ("" when it is exported)."""
    if m.problem:
        return m.problem
    if m.result.status == INTERNAL_ERROR:
        return "internal error while grading: regrade it before uploading a score"
    if fmt_name == "gradescope" and not has_roster and not m.member_id:
        return "no email or SID to match on Gradescope: pass --roster"
    return ""


def write_export(out: Path, fmt_name: str, *, roster: Path | None = None, output: Path | None = None,
                 assignment: str = DEFAULT_ASSIGNMENT) -> Export:
    """Write the ``fmt_name`` export of the class graded into ``out``; see the module's docstring."""
    if fmt_name not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}; got {fmt_name!r}")
    results = load_class(out)
    entries = load_roster(roster) if roster else []
    if fmt_name == "canvas" and roster is None:
        raise RosterError("the Canvas export needs --roster: export Canvas's gradebook (Grades > Export) and pass "
                          "that CSV, whose Student, ID, SIS User ID, SIS Login ID and Section columns Canvas uses "
                          "to recognise each student")
    if roster is not None:
        matches, no_submission = match_roster(results, entries)
    else:  # no roster: each submission stands for itself (Gradescope matches by the email or SID it carries)
        matches = [Match(r, name, sid, None) for r in results for name, sid in _members(r)]
        no_submission = []
    output = Path(output) if output else Path(out) / f"export-{fmt_name}.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    rows = 0
    if fmt_name == "csv":
        writer.writerow(["student", "student_id", "roster_name", "email", "sid", "section", "status", "score",
                         "max_score", *CONTRACT, "reason", "problem"])
        for m in matches:
            e, r = m.entry or RosterEntry(), m.result
            scores = r.function_scores()
            writer.writerow([m.member, m.member_id, e.name, e.email, e.sid, e.section, r.status, fmt(r.score),
                             fmt(r.max_score), *(fmt(scores.get(fn, 0.0)) for fn in CONTRACT),
                             html.unescape(r.reason), m.problem])
            rows += 1
        for e in no_submission:
            writer.writerow(["", "", e.name, e.email, e.sid, e.section, "no submission", "", "",
                             *([""] * len(CONTRACT)), "", ""])
            rows += 1
        exported = []
    else:
        for m in matches:
            if m.entry is not None or roster is None:
                m.problem = _export_problem(m, fmt_name, roster is not None)
        exported = [m for m in matches if not m.problem and (m.entry is not None or roster is None)]
        if fmt_name == "canvas":
            writer.writerow([*CANVAS_COLUMNS, assignment])
            for m in exported:
                entry = m.entry
                assert entry is not None  # canvas needs a roster: every exported match has its entry
                writer.writerow([entry.name, entry.canvas_id, entry.sid, entry.login, entry.section,
                                 fmt(m.result.score)])
        else:
            writer.writerow(GRADESCOPE_COLUMNS)
            for m in exported:
                if m.entry is not None:
                    name, sid = m.entry.name, m.entry.sid
                    email = m.entry.email or (m.entry.login if "@" in m.entry.login else "")
                else:
                    name = m.member
                    sid, email = ("", m.member_id) if "@" in m.member_id else (m.member_id, "")
                writer.writerow([name, sid, email, fmt(m.result.score)])
        rows = len(exported)
    write_text_atomically(output, buffer.getvalue())
    unmatched = [m for m in matches if m.entry is None and roster is not None]
    not_exported = [] if fmt_name == "csv" else [m for m in matches if m not in exported and m not in unmatched]
    result = Export(output, rows, unmatched, not_exported, no_submission)
    if unmatched or not_exported:
        result.unmatched_path = output.with_name(output.stem + "-unmatched.csv")
        _write_unmatched(result.unmatched_path, [*unmatched, *not_exported])
    return result


def _write_unmatched(path: Path, matches: list[Match]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "student_id", "submission", "folder", "status", "score", "problem"])
    for m in matches:
        writer.writerow([m.member, m.member_id, m.result.submission, m.result.folder, m.result.status,
                         fmt(m.result.score), _export_problem(m)])
    write_text_atomically(path, buffer.getvalue())
