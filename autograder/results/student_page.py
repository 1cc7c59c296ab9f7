"""One student's feedback page, ``OUT/<folder>/feedback.html``, rendered from their results.json (escaped)."""

from __future__ import annotations

from pathlib import Path

from gdkit.autograder.results.atomic import write_text_atomically
from gdkit.autograder.results.collect import GRADED, StudentResult
from gdkit.autograder.results.html_parts import (
    CELL_WORDS,
    esc,
    fmt,
    markdown_block,
    markdown_inline,
    page,
)


def render_student_page(s: StudentResult, *, report_href: str = "../report.html") -> str:
    """The page: who, score, the grader's summary, cells that did not run cleanly, then every check."""
    facts = [("student", esc(s.student)), ("id", esc(s.student_id) or "&ndash;"),
             ("submission", f"<code>{esc(s.submission or s.folder)}</code>"),
             ("score", f"<strong>{fmt(s.score)} / {fmt(s.max_score)}</strong>"),
             ("status", esc(s.status) + (f": {markdown_inline(s.reason)}" if s.reason else ""))]
    if s.seconds is not None:
        facts.append(("grading time", f"{s.seconds:.2f} s"))
    head = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in facts)
    parts = [f"<p><a href='{esc(report_href)}'>&larr; class report</a></p>",
             f"<header><h1>Feedback: {esc(s.student)}</h1></header>",
             f"<section id='summary'><table class='data facts'>{head}</table></section>"]
    if s.summary:
        parts.append(f"<section><h2>Summary</h2>{markdown_block(s.summary)}</section>")
    if s.cells:
        rows = "".join(
            f"<tr><td class='num'>{esc(c.get('cell', '?'))}</td><td><span class='tag {esc(c.get('status', ''))}'>"
            f"{esc(CELL_WORDS.get(str(c.get('status')), c.get('status', '')))}</span></td>"
            f"<td>{markdown_inline(str(c.get('error', '')))}</td></tr>" for c in s.cells)
        parts.append("<section><h2>Cells that did not run cleanly</h2><table class='data'><thead><tr><th>code cell"
                     f"</th><th>what happened</th><th>error</th></tr></thead><tbody>{rows}</tbody></table></section>")
    test_rows: list[str] = []
    for t in s.tests:
        state = "passed" if t.passed else "failed"
        test_rows.append(f"<tr><td><code>{esc(t.function)}</code></td><td>{esc(t.check)}"
                    f"{'' if t.public else ' <span class=tag>hidden</span>'}</td>"
                    f"<td><span class='tag {state}'>{state}</span></td>"
                    f"<td class='num'>{fmt(t.score)} / {fmt(t.max_score)}</td>"
                    f"<td>{'' if t.passed else markdown_block(t.output)}</td></tr>")
    if test_rows:
        parts.append("<section id='tests'><h2>Checks</h2><table class='data'><thead><tr><th>function</th><th>check"
                     "</th><th>result</th><th>points</th><th>message</th></tr></thead><tbody>" + "".join(test_rows)
                     + "</tbody></table></section>")
    elif s.status != GRADED:
        parts.append("<section><p>No checks were run for this submission.</p></section>")
    return page(f"Feedback: {s.student}", "\n".join(parts))


def write_student_page(path: Path, s: StudentResult, *, report_href: str = "../report.html") -> None:
    write_text_atomically(path, render_student_page(s, report_href=report_href))
