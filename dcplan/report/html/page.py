"""The document shell and the HTML building blocks shared by every report: sections, cards, tables, figures.

The page carries a Content-Security-Policy that forbids every fetch
(`default-src 'none'`) and allows only the embedded script by its hash, so
even a name that slipped past escaping could neither load nor run anything.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from dcplan.report.html.assets import CSS, SCRIPT
from dcplan.report.html.fmt import clean, esc


@dataclass(frozen=True)
class Raw:
    """Markup built by this package (already escaped): table cells and bodies pass it through."""

    html: str


def _script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


def document(title: str, subtitle: str, sections: list[tuple[str, str, str]], kind: str) -> str:
    """A whole page: sections are (anchor id, heading, body html); empty bodies are left out."""
    sections = [s for s in sections if s[2]]
    csp = (f"default-src 'none'; style-src 'unsafe-inline'; script-src '{_script_hash(SCRIPT)}'; "
           "img-src data:; base-uri 'none'; form-action 'none'")
    toc = "".join(f'<a href="#{esc(anchor)}">{esc(heading)}</a>' for anchor, heading, _ in sections)
    body = "".join(f'<section id="{esc(anchor)}"><h2>{esc(heading)}</h2>{content}</section>'
                   for anchor, heading, content in sections)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en" data-report="{esc(kind)}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'  # stops the browser asking for /favicon.ico
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f'<header class="top"><h1>{esc(title)}</h1><div class="meta">{subtitle}</div></header>'
        f'<nav class="toc">{toc}</nav><main>{body}</main>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def cell(value) -> str:
    return value.html if isinstance(value, Raw) else esc(value)


def table(headers: list, rows: list[list], numeric: set[int] | None = None,
          row_classes: list[str] | None = None) -> str:
    """A table; columns in `numeric` are right-aligned. Cells are escaped unless Raw."""
    if not rows:
        return ""
    numeric = numeric or set()
    head = "".join(f'<th{" class=num" if i in numeric else ""}>{cell(h)}</th>' for i, h in enumerate(headers))
    body = []
    for r, row in enumerate(rows):
        cls = row_classes[r] if row_classes else ""
        cells = "".join(f'<td{" class=num" if i in numeric else ""}>{cell(v)}</td>' for i, v in enumerate(row))
        body.append(f'<tr{f" class={esc(cls)}" if cls else ""}>{cells}</tr>')
    return f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def figure(svg: str, caption: str) -> str:
    """A chart with its caption; nothing when there is no chart (an empty figure would look broken)."""
    if not svg:
        return ""
    caption_html = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure class="chart-box">{caption_html}{svg}</figure>'


def cards(items: list[tuple[str, str, str]]) -> str:
    """Headline figures: (label, big value, small line under it)."""
    return '<div class="cards">' + "".join(
        f'<div class="card"><div class="k">{esc(k)}</div><div class="v">{esc(v)}</div>'
        f'<div class="s">{esc(s)}</div></div>' for k, v, s in items) + "</div>"


def path_header(path: str) -> Raw:
    """A dotted scenario path as a column header that may wrap after its dots, not inside its words."""
    return Raw(esc(path).replace(".", ".<wbr>").replace("_", "_<wbr>"))


def badge(label: str, tone: str = "") -> Raw:
    return Raw(f'<span class="badge {esc(tone)}">{esc(label)}</span>')


def note(message: str) -> str:
    return f'<p class="note">{esc(message)}</p>'


def details(summary: str, body: str, anchor: str = "", cls: str = "") -> str:
    ident = f' id="{esc(anchor)}"' if anchor else ""
    klass = f' class="{esc(cls)}"' if cls else ""
    return f"<details{ident}{klass}><summary>{esc(summary)}</summary>{body}</details>"


def grid(*parts: str) -> str:
    inner = "".join(p for p in parts if p)
    return f'<div class="grid2">{inner}</div>' if inner else ""


def status_badge(status) -> Raw:
    text = clean(status) or "unknown"
    tone = {"optimal": "ok", "feasible": "warn"}.get(text, "bad")
    return badge(text, tone)
