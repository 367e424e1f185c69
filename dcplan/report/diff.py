"""A plan diff as text: a rich table, a Markdown pull-request comment, or JSON (the use case's to_dict);
or as an HTML page of that JSON (dcplan.report.html)."""

from __future__ import annotations

from dcplan.report import mermaid
from dcplan.report.text import cell, console, json_text, md_cell
from dcplan.usecases.diff import LineDiff, PlanDiff, Side, to_dict

MARKER = "<!-- dcplan-diff -->"  # stable: CI jobs search their pull request's comments for it

# label, unit ("money" = the plan currency), decimals shown
_SHOW = {"capex": ("capex", "money", 0), "opex_per_year": ("opex per year", "money", 0), "tco": ("TCO", "money", 0),
         "facility_power_kw": ("facility power", "kW", 1), "it_power_kw": ("IT power", "kW", 1),
         "energy_mwh_per_year": ("energy", "MWh/year", 1), "carbon_t_per_year": ("carbon", "t/year", 1),
         "racks": ("racks", "", 0), "accelerators": ("accelerators", "", 0), "npv": ("NPV", "money", 0)}
_HEADLINE = ("capex", "tco", "facility_power_kw", "carbon_t_per_year")

def render(d: PlanDiff, fmt: str, *, color: bool = False, width: int | None = None) -> str:
    """`table` (rich), `json` (stable keys; see docs/cli.md), `markdown` (a pull-request comment) or `html`."""
    if fmt == "json":
        return json_text(to_dict(d))
    if fmt == "html":
        from dcplan.report.html import render_diff

        return render_diff(to_dict(d))
    if fmt == "markdown":
        return render_markdown(d)
    if fmt == "table":
        return render_table(d, color=color, width=width)
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
def _item(x) -> str:
    """A line's item, marked when its units are leased (a leased and a bought line may share an item)."""
    return f"{x.item} (leased)" if getattr(x, "sourcing", None) else x.item


_LINE_HEAD = ("site", "category", "item", "description", "qty", "unit price", "extended")
_CHANGED_HEAD = ("site", "category", "item", "qty A", "qty B", "Δ qty", "unit price A", "unit price B",
                 "extended A", "extended B", "Δ extended")


def _line_rows(lines: tuple[LineDiff, ...], new: bool, periods: bool) -> list[tuple[str, ...]]:
    return [((x.period or "",) if periods else ()) + (
        x.site, x.category, _item(x), x.description, _num(x.new_quantity if new else x.old_quantity),
        _num(x.new_unit_price if new else x.old_unit_price),
        _num(x.new_extended_price if new else x.old_extended_price)) for x in lines]


def _changed_rows(lines: tuple[LineDiff, ...], periods: bool) -> list[tuple[str, ...]]:
    return [((x.period or "",) if periods else ()) + (
        x.site, x.category, _item(x), _num(x.old_quantity), _num(x.new_quantity), _signed(x.quantity_delta),
        _num(x.old_unit_price), _num(x.new_unit_price), _num(x.old_extended_price), _num(x.new_extended_price),
        _signed(x.extended_price_delta)) for x in lines]


_PERIOD_HEAD = ("period", "capex A", "capex B", "Δ capex", "opex/yr A", "opex/yr B", "Δ opex/yr",
                "facility kW A", "facility kW B", "Δ kW")


def _period_rows(d: PlanDiff) -> list[tuple[str, ...]]:
    rows = []
    for p in d.periods:
        capex, opex, power = p.figures[0], p.figures[1], p.figures[2]
        rows.append((p.label, _num(capex.old), _num(capex.new), _signed(capex.delta), _num(opex.old), _num(opex.new),
                     _signed(opex.delta), _num(power.old, 1), _num(power.new, 1), _signed(power.delta, 1)))
    return rows


def _sections(d: PlanDiff) -> list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]]:
    """Titled tables shared by the table and Markdown renderers; empty ones left out."""
    out = [("Totals", ("", "A", "B", "Δ", "Δ %"),
            [("status", d.a.status, d.b.status, "", ""), ("objective", _objective(d.a), _objective(d.b), "", ""),
             *_total_rows(d)])]
    if any(s.facility_power_kw.delta or s.racks.delta or not (s.in_a and s.in_b) for s in d.sites):
        out.append(("Sites", _SITE_HEAD, _site_rows(d)))
    periods = bool(d.periods) or any(x.period for x in (*d.added, *d.removed, *d.changed))
    if d.periods:
        out.append(("Periods", _PERIOD_HEAD, _period_rows(d)))
    lead = ("period",) if periods else ()
    for title, lines, new in (("Added BOM lines", d.added, True), ("Removed BOM lines", d.removed, False)):
        if lines:
            out.append((title, lead + _LINE_HEAD, _line_rows(lines, new, periods)))
    if d.changed:
        out.append(("Changed BOM lines", lead + _CHANGED_HEAD, _changed_rows(d.changed, periods)))
    return out


def _text_columns(title: str, head: tuple[str, ...]) -> int:
    """How many leading columns of a table are text (left-aligned); a build-out's BOM starts with its period."""
    if "BOM" not in title:
        return 1
    return 4 if head[0] == "period" else 3


def render_table(d: PlanDiff, *, color: bool = False, width: int | None = None) -> str:
    out = console(color, width)
    out.print(cell(f"dcplan diff: A = {d.a.source} ({d.a.scenario}), B = {d.b.source} ({d.b.scenario})"),
              style="bold")
    out.print(cell(headline(d)))
    for title, head, rows in _sections(d):
        table = _table(title, head, rows)
        if "description" in head and _natural_width(out, table) > out.width:
            # Too wide for the terminal: drop the description rather than wrap every line.
            keep = [i for i, column in enumerate(head) if column != "description"]
            table = _table(title, tuple(head[i] for i in keep), [tuple(row[i] for i in keep) for row in rows])
        out.print(table)
    out.print(cell(f"{d.unchanged} BOM line(s) unchanged"))
    for warning in d.warnings:
        out.print(cell(f"warning: {warning}"))
    return out.file.getvalue()


def _table(title: str, head: tuple[str, ...], rows):
    from rich.table import Table

    table = Table(title=title, show_header=True)
    for i, column in enumerate(head):
        table.add_column(column, overflow="fold",
                         justify="left" if i < _text_columns(title, head) or column == "description" else "right")
    for row in rows:
        table.add_row(*(cell(c) for c in row))  # names are data, never rich markup
    return table


def _natural_width(out, table) -> int:
    from rich.measure import Measurement

    return Measurement.get(out, out.options.update(width=10_000), table).maximum


def _cell(text: str) -> str:
    return md_cell(text)


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
    code = lambda s: "`" + " ".join(s.replace("`", "'").splitlines()) + "`"  # noqa: E731 - a path in inline code
    lines = [MARKER, f"### dcplan diff: {code(d.a.source)} → {code(d.b.source)}", "", f"**{_cell(headline(d))}**",
             *_site_chart(d)]
    for title, head, rows in _sections(d):
        numeric = [i >= _text_columns(title, head) and column != "description" for i, column in enumerate(head)]
        lines += ["", f"#### {title}", "", "| " + " | ".join(head) + " |",
                  "|" + "|".join("--:" if n else "---" for n in numeric) + "|"]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    if d.warnings:
        lines += [""] + [f"- warning: {_cell(w)}" for w in d.warnings]
    return "\n".join(lines) + "\n"
