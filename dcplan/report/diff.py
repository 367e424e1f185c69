"""A plan diff as text: a rich table, a Markdown pull-request comment, or JSON (the use case's to_dict);
or as an HTML page of that JSON (dcplan.report.html)."""

from __future__ import annotations

import io
import json

from dcplan.report import mermaid
from dcplan.usecases.diff import LineDiff, PlanDiff, Side, to_dict

MARKER = "<!-- dcplan-diff -->"  # stable: CI jobs search their pull request's comments for it

# label, unit ("money" = the plan currency), decimals shown
_SHOW = {"capex": ("capex", "money", 0), "opex_per_year": ("opex per year", "money", 0), "tco": ("TCO", "money", 0),
         "facility_power_kw": ("facility power", "kW", 1), "it_power_kw": ("IT power", "kW", 1),
         "energy_mwh_per_year": ("energy", "MWh/year", 1), "carbon_t_per_year": ("carbon", "t/year", 1),
         "racks": ("racks", "", 0), "accelerators": ("accelerators", "", 0)}
_HEADLINE = ("capex", "tco", "facility_power_kw", "carbon_t_per_year")

def render(d: PlanDiff, fmt: str, *, color: bool = False) -> str:
    """`table` (rich), `json` (stable keys; see docs/cli.md), `markdown` (a pull-request comment) or `html`."""
    if fmt == "json":
        return json.dumps(to_dict(d), indent=2, allow_nan=False)
    if fmt == "html":
        from dcplan.report.html import render_diff

        return render_diff(to_dict(d))
    if fmt == "markdown":
        return render_markdown(d)
    if fmt == "table":
        return render_table(d, color=color)
    raise ValueError(f"no diff format {fmt!r}")


def _num(value: float | None, decimals: int = 0) -> str:
    return "-" if value is None else f"{value:,.{decimals}f}"


def _signed(value: float, decimals: int = 0) -> str:
    rounded = round(value, decimals)
    return f"{0:,.{decimals}f}" if rounded == 0 else f"{rounded:+,.{decimals}f}"


def _pct(relative: float | None) -> str:
    if relative is None:
        return "n/a"
    return "0.0 %" if round(relative * 100, 1) == 0 else f"{relative * 100:+.1f} %"


def _unit(name: str, currency: str | None) -> str:
    unit = _SHOW[name][1]
    return (currency or "") if unit == "money" else unit


def headline(d: PlanDiff) -> str:
    """`capex +1,234,000 USD (+3.2 %), TCO …; BOM: 1 line added, 0 removed, 2 changed` (or: no difference)."""
    if d.identical:
        return f"No difference: the same BOM ({d.unchanged} lines), totals and sites"
    parts = []
    for name in _HEADLINE:
        x = d.total(name)
        label, _, decimals = _SHOW[name]
        unit = _unit(name, d.currency)
        parts.append(f"{label} {_signed(x.delta, decimals)}{' ' + unit if unit else ''}"
                     + (f" ({_pct(x.relative)})" if x.relative is not None else ""))
    bom = (f"BOM: {len(d.added)} line{'s' if len(d.added) != 1 else ''} added, {len(d.removed)} removed, "
           f"{len(d.changed)} changed, {d.unchanged} unchanged")
    return ", ".join(parts) + "; " + bom


def _objective(s: Side) -> str:
    value = s.objective_value
    value = "-" if value is None else f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"
    return f"{s.objective_name} = {value}"


def _total_rows(d: PlanDiff) -> list[tuple[str, ...]]:
    rows = []
    for x in d.totals:
        label, _, decimals = _SHOW[x.name]
        unit = _unit(x.name, d.currency)
        rows.append((f"{label} ({unit})" if unit else label, _num(x.old, decimals), _num(x.new, decimals),
                     _signed(x.delta, decimals), _pct(x.relative)))
    return rows


def _site_rows(d: PlanDiff) -> list[tuple[str, ...]]:
    return [(s.name + ("" if s.in_a else " (new)") + ("" if s.in_b else " (gone)"),
             _num(s.facility_power_kw.old, 1), _num(s.facility_power_kw.new, 1), _signed(s.facility_power_kw.delta, 1),
             _num(s.racks.old), _num(s.racks.new), _signed(s.racks.delta)) for s in d.sites]


_SITE_HEAD = ("site", "facility kW A", "facility kW B", "Δ kW", "racks A", "racks B", "Δ racks")
_LINE_HEAD = ("site", "category", "item", "description", "qty", "unit price", "extended")
_CHANGED_HEAD = ("site", "category", "item", "qty A", "qty B", "Δ qty", "unit price A", "unit price B",
                 "extended A", "extended B", "Δ extended")


def _line_rows(lines: tuple[LineDiff, ...], new: bool) -> list[tuple[str, ...]]:
    return [(x.site, x.category, x.item, x.description, _num(x.new_quantity if new else x.old_quantity),
             _num(x.new_unit_price if new else x.old_unit_price),
             _num(x.new_extended_price if new else x.old_extended_price)) for x in lines]


def _changed_rows(lines: tuple[LineDiff, ...]) -> list[tuple[str, ...]]:
    return [(x.site, x.category, x.item, _num(x.old_quantity), _num(x.new_quantity), _signed(x.quantity_delta),
             _num(x.old_unit_price), _num(x.new_unit_price), _num(x.old_extended_price), _num(x.new_extended_price),
             _signed(x.extended_price_delta)) for x in lines]


def _sections(d: PlanDiff) -> list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]]:
    """Titled tables shared by the table and Markdown renderers; empty ones left out."""
    out = [("Totals", ("", "A", "B", "Δ", "Δ %"),
            [("status", d.a.status, d.b.status, "", ""), ("objective", _objective(d.a), _objective(d.b), "", ""),
             *_total_rows(d)])]
    if any(s.facility_power_kw.delta or s.racks.delta or not (s.in_a and s.in_b) for s in d.sites):
        out.append(("Sites", _SITE_HEAD, _site_rows(d)))
    for title, lines, new in (("Added BOM lines", d.added, True), ("Removed BOM lines", d.removed, False)):
        if lines:
            out.append((title, _LINE_HEAD, _line_rows(lines, new)))
    if d.changed:
        out.append(("Changed BOM lines", _CHANGED_HEAD, _changed_rows(d.changed)))
    return out


def render_table(d: PlanDiff, *, color: bool = False) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=io.StringIO(), force_terminal=color, no_color=not color, width=160)
    console.print(Text(f"dcplan diff: A = {d.a.source} ({d.a.scenario}), B = {d.b.source} ({d.b.scenario})",
                       style="bold"))
    console.print(Text(headline(d)))
    for title, head, rows in _sections(d):
        table = Table(title=title, show_header=True)
        for i, column in enumerate(head):
            table.add_column(column, justify="left" if i < (3 if "BOM" in title else 1) or column == "description"
                             else "right")
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))  # Text: names are data, never rich markup
        console.print(table)
    console.print(Text(f"{d.unchanged} BOM line(s) unchanged"))
    for warning in d.warnings:
        console.print(Text(f"warning: {warning}"))
    return console.file.getvalue()


def _cell(text: str) -> str:
    """A table cell: no column break, no line break, no HTML that a rendered comment would obey."""
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")
            .replace("<", "&lt;").replace(">", "&gt;"))


def _site_chart(d: PlanDiff) -> list[str]:
    """Facility power per site as a Mermaid chart (B as bars, A as a line), when a site's power changed;
    with one site the totals table says the same."""
    if len(d.sites) < 2 or not any(s.facility_power_kw.delta or not (s.in_a and s.in_b) for s in d.sites):
        return []
    return [""] + mermaid.bars_with_line("Facility power per site (kW): B as bars, A as a line",
                                         [s.name for s in d.sites], [s.facility_power_kw.new for s in d.sites],
                                         [s.facility_power_kw.old for s in d.sites], "kW")


def render_markdown(d: PlanDiff) -> str:
    """A pull-request comment. Its first line is MARKER, so a CI job finds its earlier comment and edits it."""
    code = lambda s: "`" + s.replace("`", "'") + "`"  # noqa: E731 - a path in inline code
    lines = [MARKER, f"### dcplan diff: {code(d.a.source)} → {code(d.b.source)}", "", f"**{_cell(headline(d))}**",
             *_site_chart(d)]
    for title, head, rows in _sections(d):
        numeric = [i >= (3 if "BOM" in title else 1) and column != "description" for i, column in enumerate(head)]
        lines += ["", f"#### {title}", "", "| " + " | ".join(head) + " |",
                  "|" + "|".join("--:" if n else "---" for n in numeric) + "|"]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    if d.warnings:
        lines += [""] + [f"- warning: {_cell(w)}" for w in d.warnings]
    return "\n".join(lines) + "\n"
