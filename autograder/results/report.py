"""The class report: one self-contained HTML page, ``OUT/report.html``, from every results.json under OUT.

No network, no JavaScript: styles are inline, plots are hand-written inline SVG, and every text that came
from a results.json (names, paths, messages, which may quote student code) is HTML-escaped. Each student
also gets ``OUT/<folder>/feedback.html`` (see :mod:`gdkit.autograder.results.student_page`), linked from here.
"""

from __future__ import annotations

import datetime as _dt
import statistics
from collections import defaultdict
from pathlib import Path

from gdkit.autograder.checks import CONTRACT, points_per_function
from gdkit.autograder.results.atomic import write_text_atomically
from gdkit.autograder.results.collect import GRADED, INTERNAL_ERROR, NOT_GRADED, StudentResult, load_class
from gdkit.autograder.results.html_parts import (
    CELL_WORDS,
    bar,
    esc,
    feedback_href,
    fmt,
    markdown_inline,
    page,
)
from gdkit.autograder.results.student_page import write_student_page

REPORT_NAME = "report.html"
HIST_BINS = 10
SLOWEST = 10


def write_report(out: Path) -> Path:
    """Write ``out/report.html`` and each ``out/<folder>/feedback.html``; return the report's path."""
    out = Path(out)
    students = load_class(out)
    for s in students:
        write_student_page(out / s.folder / "feedback.html", s, report_href=f"../{REPORT_NAME}")
    path = out / REPORT_NAME
    write_text_atomically(path, render_report(students, title=f"Class report: {out.resolve().name}"))
    return path


def render_report(students: list[StudentResult], *, title: str = "Class report") -> str:
    """The report page for ``students`` (as :func:`load_class` returns them)."""
    generated = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        f"<header><h1>{esc(title)}</h1><p class='sub'>gradient descent homework &middot; "
        f"{len(students)} submission(s) &middot; generated {generated}</p></header>",
        _overview(students),
        _histogram_section(students),
        _functions_section(students),
        _mistakes_section(students),
        _checks_section(students),
        _cells_section(students),
        _not_graded_section(students),
        _slowest_section(students),
        _students_section(students),
    ]
    return page(title, "\n".join(body))


# -- Sections --------------------------------------------------------------------------------------------


def _overview(students: list[StudentResult]) -> str:
    graded = [s for s in students if s.status == GRADED]
    scores = [s.score for s in graded]
    max_score = max((s.max_score for s in students), default=sum(points_per_function().values()))
    cards = [
        ("submissions", str(len(students)), ""),
        ("graded", str(len(graded)), ""),
        ("not graded", str(sum(s.status == NOT_GRADED for s in students)), ""),
        ("internal errors", str(sum(s.status == INTERNAL_ERROR for s in students)), ""),
        ("mean score", f"{fmt(statistics.mean(scores))}" if scores else "-", f"/ {fmt(max_score)}"),
        ("median score", f"{fmt(statistics.median(scores))}" if scores else "-", f"/ {fmt(max_score)}"),
        ("full marks", str(sum(s.score >= s.max_score for s in graded)), ""),
    ]
    tone = {"not graded": "warn", "internal errors": "bad", "full marks": "good"}
    items = "".join(f"<div class='card {tone.get(label, '')}'><div class='num'>{esc(value)}<small>{esc(unit)}</small>"
                    f"</div><div class='lbl'>{esc(label)}</div></div>" for label, value, unit in cards)
    note = ("<p class='note'>Means and medians are over graded submissions; a submission that could not be "
            "graded counts as 0 in the histogram and the gradebook.</p>")
    return f"<section id='overview'><div class='cards'>{items}</div>{note}</section>"


def _histogram_section(students: list[StudentResult]) -> str:
    max_score = max((s.max_score for s in students), default=sum(points_per_function().values()))
    counts = histogram_counts([s.score for s in students], max_score, HIST_BINS)
    return (f"<section id='distribution'><h2>Score distribution</h2>{histogram_svg(counts, max_score)}"
            "</section>")


def histogram_counts(scores: list[float], max_score: float, bins: int = HIST_BINS) -> list[int]:
    """Counts in ``bins`` equal bins over [0, max_score]; the last bin includes max_score."""
    counts = [0] * bins
    width = max_score / bins if max_score > 0 else 1.0
    for score in scores:
        counts[min(bins - 1, max(0, int(score // width)))] += 1
    return counts


def histogram_svg(counts: list[int], max_score: float) -> str:
    """A bar chart of ``counts`` as inline SVG, with its axes labelled (no script, no external resource)."""
    w, h, left, right, top, bottom = 760, 280, 48, 16, 16, 44
    plot_w, plot_h = w - left - right, h - top - bottom
    peak = max(max(counts, default=0), 1)
    step = max(1, -(-peak // 5))  # at most about 5 gridlines, integer counts
    y_max = step * -(-peak // step)
    bins = len(counts)
    bw = plot_w / bins
    width = max_score / bins if bins else 1
    parts = [f"<svg id='histogram' class='chart' viewBox='0 0 {w} {h}' width='{w}' height='{h}' role='img' "
             f"aria-label='histogram of scores' xmlns='http://www.w3.org/2000/svg'>"]
    for tick in range(0, y_max + 1, step):
        y = top + plot_h - plot_h * tick / y_max
        parts.append(f"<line x1='{left}' x2='{w - right}' y1='{y:.1f}' y2='{y:.1f}' class='grid'/>"
                     f"<text x='{left - 8}' y='{y + 4:.1f}' class='tick' text-anchor='end'>{tick}</text>")
    for i, count in enumerate(counts):
        x = left + i * bw
        bh = plot_h * count / y_max
        lo, hi = i * width, (i + 1) * width
        label = f"{fmt(lo)}-{fmt(hi)}"
        closing = "]" if i == bins - 1 else ")"
        parts.append(f"<rect class='bar' x='{x + 3:.1f}' y='{top + plot_h - bh:.1f}' width='{bw - 6:.1f}' "
                     f"height='{bh:.1f}'><title>[{fmt(lo)}, {fmt(hi)}{closing}: {count} student(s)</title></rect>")
        if count:
            parts.append(f"<text x='{x + bw / 2:.1f}' y='{top + plot_h - bh - 5:.1f}' class='count' "
                         f"text-anchor='middle'>{count}</text>")
        parts.append(f"<text x='{x + bw / 2:.1f}' y='{top + plot_h + 16}' class='tick' "
                     f"text-anchor='middle'>{label}</text>")
    parts.append(f"<line x1='{left}' x2='{w - right}' y1='{top + plot_h}' y2='{top + plot_h}' class='axis'/>"
                 f"<text x='{left + plot_w / 2:.1f}' y='{h - 6}' class='axislbl' text-anchor='middle'>"
                 f"score (points out of {fmt(max_score)})</text>"
                 f"<text transform='translate(13 {top + plot_h / 2:.1f}) rotate(-90)' class='axislbl' "
                 f"text-anchor='middle'>students</text></svg>")
    return "".join(parts)


def _functions_section(students: list[StudentResult]) -> str:
    graded = [s for s in students if s.status == GRADED]
    points = points_per_function()
    rows = []
    for fn in CONTRACT:
        got = [s.function_scores().get(fn, 0.0) for s in graded]
        mean = statistics.mean(got) if got else 0.0
        full = sum(g >= points[fn] for g in got)
        rows.append(f"<tr><td><code>{esc(fn)}</code></td><td class='num'>{fmt(mean)} / {fmt(points[fn])}</td>"
                    f"<td>{bar(mean / points[fn] if points[fn] else 0)}</td>"
                    f"<td class='num'>{full} / {len(got)}</td></tr>")
    return ("<section id='functions'><h2>Points per contract function</h2>"
            "<p class='note'>Mean over graded submissions.</p><table class='data compact'><thead><tr><th>function</th>"
            "<th>mean points</th><th></th><th>full marks</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table></section>")


def _checks_section(students: list[StudentResult]) -> str:
    graded = [s for s in students if s.status == GRADED]
    passed: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    info: dict[str, tuple[str, str, bool]] = {}
    for s in graded:
        for t in s.tests:
            total[t.name] += 1
            passed[t.name] += t.passed
            info.setdefault(t.name, (t.function, t.check, t.public))
    order = sorted(info, key=lambda n: (CONTRACT.index(info[n][0]) if info[n][0] in CONTRACT else 99,))
    rows = []
    for name in order:
        fn, check, public = info[name]
        rate = passed[name] / total[name]
        cls = " class='low'" if rate < 0.5 else ""
        rows.append(f"<tr{cls}><td><code>{esc(fn)}</code></td><td>{esc(check)}</td>"
                    f"<td>{'public' if public else 'hidden'}</td><td class='num'>{passed[name]} / {total[name]}</td>"
                    f"<td>{bar(rate)}</td></tr>")
    if not rows:
        return "<section id='checks'><h2>Pass rate per check</h2><p>No graded submission yet.</p></section>"
    return ("<section id='checks'><h2>Pass rate per check</h2><table class='data' id='checks-table'><thead><tr>"
            "<th>function</th><th>check</th><th>kind</th><th>passed</th><th>pass rate</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></section>")


def common_mistakes(students: list[StudentResult]) -> list[tuple[list[str], str, list[StudentResult]]]:
    """(functions, likely mistake, students who made it), most frequent first; a student counts once."""
    made: dict[str, dict[str, StudentResult]] = defaultdict(dict)
    where: dict[str, list[str]] = defaultdict(list)
    for s in students:
        for t in s.tests:
            mistake = t.likely_mistake
            if mistake:
                made[mistake][s.folder] = s
                if t.function not in where[mistake]:
                    where[mistake].append(t.function)
    order = {fn: i for i, fn in enumerate(CONTRACT)}
    for fns in where.values():
        fns.sort(key=lambda fn: order.get(fn, 99))
    ranked = sorted(made, key=lambda m: (-len(made[m]), order.get(where[m][0], 99), m))
    return [(where[m], m, list(made[m].values())) for m in ranked]


def _student_link(s: StudentResult) -> str:
    return f"<a href='{feedback_href(s.folder)}'>{esc(s.student)}</a>"


def _mistakes_section(students: list[StudentResult]) -> str:
    mistakes = common_mistakes(students)
    if not mistakes:
        return ("<section id='mistakes'><h2>Most common diagnosed mistakes</h2><p>No failed check named a likely "
                "mistake.</p></section>")
    rows = [f"<tr><td class='num'>{len(who)}</td><td>{' '.join(f'<code>{esc(fn)}</code>' for fn in fns)}</td>"
            f"<td>{markdown_inline(mistake)}</td><td>{', '.join(_student_link(s) for s in who)}</td></tr>"
            for fns, mistake, who in mistakes]
    return ("<section id='mistakes'><h2>Most common diagnosed mistakes</h2><p class='note'>From the "
            "&ldquo;Likely mistake&rdquo; line of failed checks; a student counts once per mistake.</p>"
            "<table class='data' id='mistakes-table'><thead><tr><th>students</th><th>function</th><th>likely mistake"
            "</th><th>who</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></section>")


def _cells_section(students: list[StudentResult]) -> str:
    rows = []
    for s in students:
        for c in s.cells:
            status = str(c.get("status", ""))
            rows.append(f"<tr><td>{_student_link(s)}</td><td class='num'>{esc(c.get('cell', '?'))}</td>"
                        f"<td><span class='tag {esc(status)}'>{esc(CELL_WORDS.get(status, status))}</span></td>"
                        f"<td>{markdown_inline(str(c.get('error', '')))}</td></tr>")
    if not rows:
        return ("<section id='cells'><h2>Cells that raised or timed out</h2><p>Every cell of every graded "
                "notebook ran cleanly.</p></section>")
    return ("<section id='cells'><h2>Cells that raised or timed out</h2><table class='data' id='cells-table'><thead>"
            "<tr><th>student</th><th>code cell</th><th>what happened</th><th>error</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></section>")


def _not_graded_section(students: list[StudentResult]) -> str:
    rows = [f"<tr><td>{_student_link(s)}</td><td><span class='tag {'bad' if s.status == INTERNAL_ERROR else 'warn'}'>"
            f"{esc(s.status)}</span></td><td>{markdown_inline(s.reason)}</td><td>{_path(s.submission)}</td>"
            "</tr>" for s in students if s.status != GRADED]
    if not rows:
        return ""
    return ("<section id='not-graded'><h2>Not graded</h2><table class='data'><thead><tr><th>student</th>"
            "<th>status</th><th>reason</th><th>submission</th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table></section>")


def _path(path: str) -> str:
    return f"<code>{esc(path)}</code>" if path else "&ndash;"


def _slowest_section(students: list[StudentResult]) -> str:
    timed = sorted(((s.seconds, s) for s in students if s.seconds is not None), key=lambda p: -p[0])[:SLOWEST]
    if not timed:
        return ""
    longest = timed[0][0] or 1.0
    rows = [f"<tr><td>{_student_link(s)}</td><td class='num'>{seconds:.2f} s</td>"
            f"<td>{bar(seconds / longest, plain=True)}</td></tr>" for seconds, s in timed]
    return ("<section id='slowest'><h2>Slowest notebooks</h2><table class='data compact'><thead><tr><th>student</th>"
            "<th>grading time</th><th></th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></section>")


def _students_section(students: list[StudentResult]) -> str:
    points = points_per_function()
    head = "".join(f"<th class='fn' title='{esc(fn)}'>{esc(fn.replace('_', ' '))}</th>" for fn in CONTRACT)
    rows = []
    for s in students:
        scores = s.function_scores()
        cells = "".join(
            f"<td class='num {'full' if scores.get(fn, 0) >= points[fn] else ('zero' if not scores.get(fn) else '')}'>"
            f"{fmt(scores.get(fn, 0.0))}</td>" for fn in CONTRACT)
        status = "" if s.status == GRADED else f" <span class='tag warn'>{esc(s.status)}</span>"
        rows.append(f"<tr><td>{_student_link(s)}{status}</td><td>{esc(s.student_id) or '&ndash;'}</td>"
                    f"<td class='num total'>{fmt(s.score)} / {fmt(s.max_score)}</td>{cells}"
                    f"<td><a href='{feedback_href(s.folder)}'>feedback</a></td></tr>")
    return ("<section id='students'><h2>Students</h2><table class='data' id='students-table'><thead><tr>"
            f"<th>student</th><th>id</th><th>score</th>{head}<th></th></tr></thead><tbody>" + "".join(rows)
            + "</tbody></table></section>")
