"""Plan → table / JSON / CSV / YAML / Markdown text, or an HTML page (dcplan.report.html). Writing
(atomically) is the CLI's job.

JSON, CSV and YAML are written with plain serialisers, never through rich (which wraps and
interprets markup); dcplan.report.text keeps names as data in every format (CSV cells a
spreadsheet would run as formulas get a leading apostrophe).
"""

from __future__ import annotations

from dcplan.plan.extract import Plan
from dcplan.report import mermaid
from dcplan.report.buildout import buildout_tables
from dcplan.report.text import cell, console, csv_text, json_text, md_cell, terminal_safe, yaml_text

CSV_COLUMNS = ("site", "category", "item", "description", "quantity", "unit_price", "extended_price", "power_kw",
               "rack_units")


def render(plan: Plan, fmt: str, *, verbose: bool = False, color: bool = False, width: int | None = None) -> str:
    if fmt == "json":
        return json_text(plan.to_dict(verbose))
    if fmt == "yaml":
        return yaml_text(plan.to_dict(verbose))
    if fmt == "csv":
        return render_csv(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    if fmt == "html":  # with the sizing figures: the report shows what each assignment rests on
        from dcplan.report.html import render_plan

        return render_plan(plan.to_dict(verbose=True))
    return render_table(plan, verbose=verbose, color=color, width=width)


def render_stub(stub: dict) -> str:
    """The plan JSON of a scenario without a plan (status infeasible or no_solution)."""
    return json_text(stub)


def render_csv(plan: Plan) -> str:
    """The BOM, one row per line; a build-out's rows start with the period they are bought in, and a plan
    that leases ends each row with `sourcing` (bought or leased) and `lease_per_year`."""
    periods, leases = bool(plan.periods), _leases(plan)
    return csv_text((("period",) if periods else ()) + CSV_COLUMNS + (LEASE_COLUMNS if leases else ()),
                    (([line.period] if periods else []) +
                     [line.site, line.category, line.item, line.description, line.quantity, _num(line.unit_price),
                      _num(line.extended_price), _num(line.power_kw), line.rack_units] +
                     (_lease_cells(line, _num) if leases else []) for line in plan.bom))


LEASE_COLUMNS = ("sourcing", "lease_per_year")


def _leases(plan: Plan) -> bool:
    """Does the plan lease anything? Only then do its BOM renderings say, per line, bought or leased."""
    return any(line.sourcing is not None for line in plan.bom)


def _lease_cells(line, number) -> list[str]:
    return [line.sourcing or "bought", "" if line.lease_per_year is None else number(line.lease_per_year)]


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
        ("TCO", _money(t["tco"], plan.currency)),
        *((("NPV", _money(t["npv"], plan.currency) + " (discounted to the first period)"),) if "npv" in t else ()),
        ("IT power", f"{t['it_power_kw']:,.1f} kW"),
        ("facility power", f"{t['facility_power_kw']:,.1f} kW"),
        ("energy", f"{t['energy_mwh_per_year']:,.0f} MWh/year"), ("carbon", f"{t['carbon_t_per_year']:,.0f} t/year"),
        ("racks", str(t["racks"])), ("accelerators", str(t["accelerators"])),
        ("solver", f"{plan.engine}: build {plan.build_seconds:.2f} s, solve {plan.solve_seconds:.2f} s"),
    ]


def render_table(plan: Plan, *, verbose: bool = False, color: bool = False, width: int | None = None) -> str:
    from rich.table import Table

    out = console(color, width)
    summary = Table(title=cell(f"Plan for {plan.scenario}"), show_header=False)
    summary.add_column(style="bold")
    summary.add_column()
    for key, value in _summary_rows(plan):
        summary.add_row(cell(key), cell(value))
    out.print(summary)

    periods, leases = bool(plan.periods), _leases(plan)
    bom = Table(title="Bill of materials" + (" (purchases, by period)" if periods else ""))
    for column, justify in ((("period", "left"),) if periods else ()) + (
            ("site", "left"), ("category", "left"), ("item", "left"), ("qty", "right"), ("unit price", "right"),
            ("extended", "right"), ("power kW", "right"), ("RU", "right")) + (
            (("sourcing", "left"), ("lease/year", "right")) if leases else ()):
        bom.add_column(column, justify=justify, overflow="fold")
    for line in plan.bom:
        bom.add_row(*map(cell, ([line.period] if periods else []) + [
            line.site, line.category, line.item, str(line.quantity), _money(line.unit_price),
            _money(line.extended_price), f"{line.power_kw:,.1f}", str(line.rack_units)] +
            (_lease_cells(line, _money) if leases else [])))
    bom.add_row(*([""] if periods else []), "", "", "total", "", "", _money(sum(b.extended_price for b in plan.bom)),
                "", "", *(("", "") if leases else ()), style="bold")
    out.print(bom)

    sites = Table(title="Sites against their limits")
    for column in ("site", "IT kW", "facility kW", "limit kW", "racks", "rack limit"):
        sites.add_column(column, justify="left" if column == "site" else "right", overflow="fold")
    for s in plan.sites:
        sites.add_row(*map(cell, (s.name, f"{s.it_power_kw:,.1f}", f"{s.facility_power_kw:,.1f}",
                                  f"{s.power_limit_kw:,.1f}", str(s.racks), str(s.rack_limit))))
    out.print(sites)

    assign = Table(title="Assignments")
    for column in (("period",) if periods else ()) + ("workload", "site", "item", "servers", "spares", "accelerators"):
        assign.add_column(column, justify="right" if column in ("servers", "spares", "accelerators") else "left",
                          overflow="fold")
    for a in plan.assignments:
        assign.add_row(*map(cell, ([a.period] if periods else []) + [
            a.workload, a.site, a.item, str(a.servers), str(a.spares), str(a.accelerators)]))
    out.print(assign)
    for table in buildout_tables(plan):
        out.print(table)

    binding = [c for c in plan.constraints if c.binding]
    if binding or verbose:
        limits = Table(title="Binding constraints" if not verbose else "Constraints")
        for column in ("constraint", "value", "limit", "slack"):
            limits.add_column(column, justify="left" if column == "constraint" else "right", overflow="fold")
        for c in plan.constraints if verbose else binding:
            limits.add_row(*map(cell, (c.name, f"{c.lhs:,.6g}", f"{c.rhs:,.6g}", f"{c.slack:,.6g}")))
        out.print(limits)
    if verbose:
        out.print(_requirements_table(plan))
    return out.file.getvalue()  # warnings go to stderr, from the CLI


def _requirements_table(plan: Plan):
    from rich.table import Table

    table = Table(title="Requirements per candidate (sizing), and the candidates ruled out")
    for column in ("workload", "item", "per unit / fixed count", "detail"):
        table.add_column(column, overflow="fold")
    for name, req in plan.requirements.items():
        for cand in req["candidates"]:
            per = (f"{cand['fixed_count']} servers" if cand["fixed_count"] is not None
                   else ", ".join(f"{v:,.4g} {k}" for k, v in cand["per_unit"].items()))
            detail = ", ".join(f"{k}={v:,.4g}" if isinstance(v, float) else f"{k}={v}"
                               for k, v in cand["detail"].items())
            table.add_row(*map(cell, (name, cand["item"], per, detail)))
        for item, why in req.get("excluded", {}).items():
            table.add_row(*map(cell, (name, item, "ruled out", why)))
    return table


def _capex_by_category(plan: Plan) -> list[tuple[str, float]]:
    out: dict[str, float] = {}
    for line in plan.bom:
        out[line.category] = out.get(line.category, 0.0) + line.extended_price
    return list(out.items())


def _share(used: float, limit: float) -> float:
    return 100.0 * used / limit if limit else 0.0


def render_markdown(plan: Plan) -> str:
    """A pull-request comment: the headline figures, capex by category as a Mermaid pie, the tables."""
    def row(*cells) -> str:
        return "| " + " | ".join(md_cell(c) for c in cells) + " |"

    lines = [f"# Plan for {md_cell(plan.scenario)}", "", "| | |", "|---|---|"]
    lines += [row(k, v) for k, v in _summary_rows(plan)]
    lines += ["", *mermaid.pie(f"Capex by category ({plan.currency})", _capex_by_category(plan))]
    leases = _leases(plan)
    columns = (("period",) if plan.periods else ()) + CSV_COLUMNS + (LEASE_COLUMNS if leases else ())
    lines += ["", "## Bill of materials", "", row(*columns), "|" + "---|" * len(columns)]
    lines += [row(*([b.period] if plan.periods else []), b.site, b.category, b.item, b.description, b.quantity,
                  _money(b.unit_price), _money(b.extended_price), f"{b.power_kw:,.1f}", b.rack_units,
                  *(_lease_cells(b, _money) if leases else ()))
              for b in plan.bom]
    lines += ["", "## Sites", "", "| site | IT kW | facility kW | limit kW | racks | rack limit |",
              "|---|---|---|---|---|---|"]
    lines += [row(s.name, f"{s.it_power_kw:,.1f}", f"{s.facility_power_kw:,.1f}", f"{s.power_limit_kw:,.1f}",
                  s.racks, s.rack_limit) for s in plan.sites]
    if len(plan.sites) > 1:  # how close each site is to its limits, on one scale; one site: the table says it
        lines += [""] + mermaid.bars_with_line("Share of each site's limits used: power (bars), racks (line)",
                                               [s.name for s in plan.sites],
                                               [_share(s.facility_power_kw, s.power_limit_kw) for s in plan.sites],
                                               [_share(s.racks, s.rack_limit) for s in plan.sites], "% used")
    lines += ["", "## Assignments", "", "| workload | site | item | servers | spares | accelerators |",
              "|---|---|---|---|---|---|"]
    lines += [row(a.workload, a.site, a.item, a.servers, a.spares, a.accelerators) for a in plan.assignments]
    binding = [c for c in plan.constraints if c.binding]
    if binding:
        lines += ["", "## Binding constraints", "", "| constraint | value | limit |", "|---|---|---|"]
        lines += [row(c.name, f"{c.lhs:,.6g}", f"{c.rhs:,.6g}") for c in binding]
    if plan.warnings:
        lines += ["", "## Warnings", ""] + [f"- {md_cell(w)}" for w in plan.warnings]
    return "\n".join(lines) + "\n"


def render_progress(label: str, progress, now: float) -> str:
    """One spinner line: `solving big.yaml · solve 12 s of 60 s · incumbent 1.23e+06 · bound 1.2e+06 · gap 2.4%`.
    `progress` is a dcplan.Progress (None before planning reports anything); `now` a time.perf_counter()."""
    if progress is None:
        return label
    parts = [label, str(progress.stage)]
    elapsed = max(0.0, now - progress.clock)
    parts.append(f"{elapsed:.0f} s of {progress.limit:g} s" if progress.limit is not None else f"{elapsed:.0f} s")
    if progress.incumbent is not None:
        parts.append(f"incumbent {_figure(progress.incumbent)}")
    if progress.bound is not None:
        parts.append(f"bound {_figure(progress.bound)}")
    if progress.gap is not None:
        parts.append(f"gap {progress.gap:.2%}")
    return terminal_safe(" · ".join(parts))


def _figure(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.4g}"
