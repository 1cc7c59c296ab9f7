"""Small pieces shared by the class report and the students' feedback pages: escaping, bars, the page shell.

Everything from a results.json goes through :func:`esc` or :func:`markdown_inline`: the grader's messages
are Markdown whose student-derived parts are already HTML-escaped, so they are unescaped once and escaped
again (never rendered raw), and only backtick code and ``**bold**`` become markup, after escaping.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote

CELL_WORDS = {"error": "raised", "timeout": "timed out", "died": "ended the process",
              "over_budget": "not run (time budget used up)", "skipped": "not run (notebook stopped answering)"}


def esc(value) -> str:
    """Text for HTML content or a quoted attribute."""
    return html.escape(str(value), quote=True)


def fmt(x: float) -> str:
    """A score as people write it: 20, 14.5, 3.33."""
    return f"{round(x, 2):g}"


def markdown_inline(text: str) -> str:
    """The grader's Markdown (already escaped once) as safe HTML: `code` and **bold** only."""
    safe = esc(html.unescape(text))
    safe = re.sub(r"`([^`]*)`", r"<code>\1</code>", safe)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", safe)


def markdown_block(text: str) -> str:
    """Multi-line Markdown output (line breaks kept)."""
    return f"<div class='md'>{markdown_inline(text)}</div>"


def feedback_href(folder: str) -> str:
    """The relative link from the report to a student's feedback page (folder names are URL-quoted)."""
    return esc(f"{quote(folder)}/feedback.html")


def bar(fraction: float, *, plain: bool = False) -> str:
    """A horizontal bar for a fraction in [0, 1], coloured by value unless ``plain``."""
    fraction = min(1.0, max(0.0, fraction))
    cls = "plain" if plain else ("good" if fraction >= 0.8 else "mid" if fraction >= 0.5 else "bad")
    label = "" if plain else f"<span>{fraction * 100:.0f}%</span>"
    return (f"<div class='meter'><div class='fill {cls}' style='width:{fraction * 100:.1f}%'></div></div>"
            f"{label}")


CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --bg:#f5f7fa; --accent:#2f6fde; --good:#2f9e6b;
        --mid:#e0a526; --bad:#d64545; }
* { box-sizing: border-box; }
body { margin:0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: var(--ink); background: var(--bg); }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
header h1 { margin: 0 0 2px; font-size: 24px; }
.sub, .note { color: var(--muted); margin: 4px 0 12px; }
h2 { font-size: 17px; margin: 0 0 10px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px;
          margin: 16px 0; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { flex: 1 1 120px; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; background: #fbfcfd; }
.card .num { font-size: 22px; font-weight: 600; white-space: nowrap; }
.card .num small { font-size: 13px; font-weight: 400; color: var(--muted); margin-left: 3px; }
.card .lbl { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card.good .num { color: var(--good); } .card.warn .num { color: #b7791f; } .card.bad .num { color: var(--bad); }
table.data { border-collapse: collapse; width: 100%; }
table.data.compact { width: auto; min-width: 60%; }
table.facts { width: auto; } table.facts th { width: 130px; vertical-align: top; }
#mistakes-table td:nth-child(2) { max-width: 260px; } #mistakes-table td:nth-child(2) code { display: inline-block;
  margin: 0 2px 2px 0; } #mistakes-table td:nth-child(3) { min-width: 320px; }
table.data th { text-align: left; font-weight: 600; color: var(--muted); font-size: 12px; border-bottom: 2px solid
                var(--line); padding: 6px 8px; vertical-align: bottom; }
table.data td { border-bottom: 1px solid var(--line); padding: 6px 8px; vertical-align: top; }
table.data tr:hover td { background: #f8fafc; }
th.fn { max-width: 90px; white-space: normal; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.full { color: var(--good); } td.zero { color: var(--bad); } td.total { font-weight: 600; }
tr.low td { background: #fff8f8; }
code { font: 12.5px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; background: #f0f2f5; padding: 1px 4px;
       border-radius: 3px; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
.meter { display: inline-block; vertical-align: middle; width: 160px; height: 10px; background: #edf0f3;
         border-radius: 5px; overflow: hidden; margin-right: 8px; }
.meter .fill { height: 100%; } .fill.good { background: var(--good); } .fill.mid { background: var(--mid); }
.fill.bad { background: var(--bad); } .fill.plain { background: #9aa5b1; }
.tag { display: inline-block; font-size: 11.5px; border-radius: 10px; padding: 1px 8px; background: #edf0f3; }
.tag.error, .tag.bad, .tag.died, .tag.failed { background: #fde8e8; color: #9b1c1c; }
.tag.timeout, .tag.warn, .tag.over_budget, .tag.skipped { background: #fdf3d8; color: #8a5a00; }
.tag.passed, .tag.good { background: #e3f5ec; color: #1e6b47; }
svg.chart { max-width: 100%; height: auto; }
svg .bar { fill: var(--accent); } svg .grid { stroke: var(--line); } svg .axis { stroke: #9aa5b1; }
svg .tick { fill: var(--muted); font-size: 11px; } svg .count { fill: var(--ink); font-size: 12px; font-weight: 600; }
svg .axislbl { fill: var(--muted); font-size: 12px; }
.md { white-space: pre-wrap; }
"""


def page(title: str, body: str) -> str:
    """A whole HTML document: inline styles only, nothing fetched, no script."""
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            # Forbid anything the page could fetch or run, even if a message slipped through unescaped.
            "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'; "
            "img-src data:\">"
            f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body><main>\n{body}\n</main></body></html>\n")


