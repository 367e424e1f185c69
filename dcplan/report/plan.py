"""Plan → table / JSON / CSV / YAML / Markdown text, or an HTML page (dcplan.report.html). Writing
(atomically) is the CLI's job.

JSON and CSV are written with plain serialisers, never through rich (which
wraps and interprets markup). CSV cells that a spreadsheet would read as a
formula (= + - @) are escaped with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import json

from dcplan.plan.extract import Plan
from dcplan.report import mermaid

CSV_COLUMNS = ("site", "category", "item", "description", "quantity", "unit_price", "extended_price", "power_kw",
               "rack_units")


def render(plan: Plan, fmt: str, *, verbose: bool = False, color: bool = False) -> str:
    if fmt == "json":
        return json.dumps(plan.to_dict(verbose), indent=2, allow_nan=False)
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(plan.to_dict(verbose), sort_keys=False, allow_unicode=True)
    if fmt == "csv":
        return render_csv(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    if fmt == "html":  # with the sizing figures: the report shows what each assignment rests on
        from dcplan.report.html import render_plan

        return render_plan(plan.to_dict(verbose=True))
    return render_table(plan, verbose=verbose, color=color)


def _safe_cell(value) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def render_csv(plan: Plan) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in plan.bom:
        writer.writerow([_safe_cell(line.site), line.category, _safe_cell(line.item), _safe_cell(line.description),
                         line.quantity, _num(line.unit_price), _num(line.extended_price), _num(line.power_kw),
                         line.rack_units])
    return buffer.getvalue()


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _money(value: float | None, currency: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}{' ' + currency if currency else ''}"


def _summary_rows(plan: Plan) -> list[tuple[str, str]]:
    t = plan.totals
    gap = "-" if plan.gap is None else f"{plan.gap:.3%}"
    return [
        ("status", plan.status), ("objective", f"{plan.objective_name} = {plan.objective_value:,.6g} (gap {gap})"),
        ("capex", _money(t["capex"], plan.currency)), ("opex per year", _money(t["opex_per_year"], plan.currency)),
        ("TCO", _money(t["tco"], plan.currency)), ("IT power", f"{t['it_power_kw']:,.1f} kW"),
        ("facility power", f"{t['facility_power_kw']:,.1f} kW"),
        ("energy", f"{t['energy_mwh_per_year']:,.0f} MWh/year"), ("carbon", f"{t['carbon_t_per_year']:,.0f} t/year"),
        ("racks", str(t["racks"])), ("accelerators", str(t["accelerators"])),
        ("solver", f"{plan.engine}: build {plan.build_seconds:.2f} s, solve {plan.solve_seconds:.2f} s"),
    ]


def render_table(plan: Plan, *, verbose: bool = False, color: bool = False) -> str:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=io.StringIO(), force_terminal=color, no_color=not color, width=140)
    summary = Table(title=f"Plan for {plan.scenario}", show_header=False)
    summary.add_column(style="bold")
    summary.add_column()
    for key, value in _summary_rows(plan):
        summary.add_row(key, value)
    console.print(summary)

    bom = Table(title="Bill of materials")
    for column, justify in (("site", "left"), ("category", "left"), ("item", "left"), ("qty", "right"),
                            ("unit price", "right"), ("extended", "right"), ("power kW", "right"), ("RU", "right")):
        bom.add_column(column, justify=justify)
    for line in plan.bom:
        bom.add_row(line.site, line.category, line.item, str(line.quantity), _money(line.unit_price),
                    _money(line.extended_price), f"{line.power_kw:,.1f}", str(line.rack_units))
    bom.add_row("", "", "total", "", "", _money(sum(b.extended_price for b in plan.bom)), "", "", style="bold")
    console.print(bom)

    sites = Table(title="Sites against their limits")
    for column in ("site", "IT kW", "facility kW", "limit kW", "racks", "rack limit"):
        sites.add_column(column, justify="left" if column == "site" else "right")
    for s in plan.sites:
        sites.add_row(s.name, f"{s.it_power_kw:,.1f}", f"{s.facility_power_kw:,.1f}", f"{s.power_limit_kw:,.1f}",
                      str(s.racks), str(s.rack_limit))
    console.print(sites)

    assign = Table(title="Assignments")
    for column in ("workload", "site", "item", "servers", "spares", "accelerators"):
        assign.add_column(column, justify="right" if column in ("servers", "spares", "accelerators") else "left")
    for a in plan.assignments:
        assign.add_row(a.workload, a.site, a.item, str(a.servers), str(a.spares), str(a.accelerators))
    console.print(assign)

    binding = [c for c in plan.constraints if c.binding]
    if binding or verbose:
        limits = Table(title="Binding constraints" if not verbose else "Constraints")
        for column in ("constraint", "value", "limit", "slack"):
            limits.add_column(column, justify="left" if column == "constraint" else "right")
        for c in plan.constraints if verbose else binding:
            limits.add_row(c.name, f"{c.lhs:,.6g}", f"{c.rhs:,.6g}", f"{c.slack:,.6g}")
        console.print(limits)
    if verbose:
        console.print(_requirements_table(plan))
    return console.file.getvalue()  # warnings go to stderr, from the CLI


def _requirements_table(plan: Plan):
    from rich.table import Table

    table = Table(title="Requirements per candidate (sizing)")
    for column in ("workload", "item", "per unit / fixed count", "detail"):
        table.add_column(column)
    for name, req in plan.requirements.items():
        for cand in req["candidates"]:
            per = (f"{cand['fixed_count']} servers" if cand["fixed_count"] is not None
                   else ", ".join(f"{v:,.4g} {k}" for k, v in cand["per_unit"].items()))
            detail = ", ".join(f"{k}={v:,.4g}" if isinstance(v, float) else f"{k}={v}"
                               for k, v in cand["detail"].items())
            table.add_row(name, cand["item"], per, detail)
    return table


def _capex_by_category(plan: Plan) -> list[tuple[str, float]]:
    out: dict[str, float] = {}
    for line in plan.bom:
        out[line.category] = out.get(line.category, 0.0) + line.extended_price
    return list(out.items())


def _markdown_text(text: str) -> str:
    """Free text (a catalog description) in a table cell: no column break, no HTML a comment would render."""
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;").replace("\n", " ")


def _share(used: float, limit: float) -> float:
    return 100.0 * used / limit if limit else 0.0


def render_markdown(plan: Plan) -> str:
    """A pull-request comment: the headline figures, capex by category as a Mermaid pie, the tables."""
    lines = [f"# Plan for {plan.scenario}", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in _summary_rows(plan)]
    lines += ["", *mermaid.pie(f"Capex by category ({plan.currency})", _capex_by_category(plan))]
    lines += ["", "## Bill of materials", "", "| " + " | ".join(CSV_COLUMNS) + " |", "|" + "---|" * len(CSV_COLUMNS)]
    for b in plan.bom:
        cells = [b.site, b.category, b.item, _markdown_text(b.description), str(b.quantity), _money(b.unit_price),
                 _money(b.extended_price), f"{b.power_kw:,.1f}", str(b.rack_units)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Sites", "", "| site | IT kW | facility kW | limit kW | racks | rack limit |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {s.name} | {s.it_power_kw:,.1f} | {s.facility_power_kw:,.1f} | {s.power_limit_kw:,.1f} | "
              f"{s.racks} | {s.rack_limit} |" for s in plan.sites]
    if len(plan.sites) > 1:  # how close each site is to its limits, on one scale; one site: the table says it
        lines += [""] + mermaid.bars_with_line("Share of each site's limits used: power (bars), racks (line)",
                                               [s.name for s in plan.sites],
                                               [_share(s.facility_power_kw, s.power_limit_kw) for s in plan.sites],
                                               [_share(s.racks, s.rack_limit) for s in plan.sites], "% used")
    lines += ["", "## Assignments", "", "| workload | site | item | servers | spares | accelerators |",
              "|---|---|---|---|---|---|"]
    lines += [f"| {a.workload} | {a.site} | {a.item} | {a.servers} | {a.spares} | {a.accelerators} |"
              for a in plan.assignments]
    binding = [c for c in plan.constraints if c.binding]
    if binding:
        lines += ["", "## Binding constraints", "", "| constraint | value | limit |", "|---|---|---|"]
        lines += [f"| {c.name} | {c.lhs:,.6g} | {c.rhs:,.6g} |" for c in binding]
    if plan.warnings:
        lines += ["", "## Warnings", ""] + [f"- {w}" for w in plan.warnings]
    return "\n".join(lines) + "\n"
