"""render_plan: the report of one plan (docs/reports.md), from the plan JSON alone."""

from __future__ import annotations

from dcplan.report.html import constraints, periods, siteview, workloads
from dcplan.report.html.charts import hbars, limit_bars, stacked_hbars
from dcplan.report.html.context import Ctx, capex_by, categories_of, listed, mapping
from dcplan.report.html.fmt import (TOTALS, clean, esc, number, percent, power, quantity, ratio, short_quantity,
                                    to_float)
from dcplan.report.html.page import cards, document, figure, grid, note, status_badge, table
from dcplan.report.html.svg import category_colour

HEADLINE = ("capex", "tco", "npv", "opex_per_year", "facility_power_kw", "it_power_kw", "energy_mwh_per_year",
            "carbon_t_per_year", "racks", "accelerators")


def render_plan(plan: dict) -> str:
    """One self-contained HTML page for a plan dict (`dcplan solve --format json`; docs/cli.md lists its keys)."""
    ctx = Ctx.of(plan, "plan")
    name = clean(plan.get("scenario")) or "plan"
    sections = [
        ("totals", "Totals", headline(ctx)),
        ("costs", "Cost breakdown", costs(ctx)),
        ("periods", "Build-out by period", periods.section(ctx)),
        ("sites", "Power and racks per site", sites(ctx)),
        ("racks", "Rack elevations", siteview.racks_section(ctx)),
        ("network", "Network fabric", siteview.network_section(ctx)),
        ("workloads", "Assignments and sizing", workloads.section(ctx)),
        ("constraints", "Constraints", constraints.section(ctx)),
        ("bom", "Bill of materials", bom(ctx)),
        ("warnings", "Warnings", warnings(ctx)),
    ]
    return document(f"dcplan plan: {name}", subtitle(ctx), sections, "plan")


def subtitle(ctx: Ctx) -> str:
    plan = ctx.plan
    objective = mapping(plan.get("objective"))
    solver = mapping(plan.get("solver"))
    gap = to_float(objective.get("gap"))
    parts = [f"status {status_badge(plan.get('status')).html}",
             f"objective {esc(objective.get('name') or '–')} = {esc(number(to_float(objective.get('value'))))}"
             + (f" (gap {esc(percent(gap))})" if gap else ""),
             f"solver {esc(solver.get('engine') or '–')}, {esc(number(to_float(solver.get('solve_seconds')), 2))} s",
             f"money in {esc(ctx.currency)}"]
    return " · ".join(parts)


def headline(ctx: Ctx) -> str:
    items = []
    for key in HEADLINE:
        value = to_float(ctx.totals.get(key))
        if value is None:
            continue
        label, unit = TOTALS[key]
        big = number(value) if unit == "count" else short_quantity(value, unit, ctx.currency)
        small = quantity(value, unit, ctx.currency) if unit != "count" else ""
        items.append((label, big, "" if small == big else small))
    if not items:
        return note("This plan has no totals.")
    return cards(items)


def costs(ctx: Ctx) -> str:
    """Capex by site stacked by category, capex by category, and the site × category table."""
    lines = [x for x in ctx.bom if to_float(x.get("extended_price"))]
    if not lines:
        return note("No priced BOM lines.")
    cats = categories_of(lines)
    colours = {c: category_colour(c, i) for i, c in enumerate(cats)}
    site_names = [s for s in _site_order(ctx) if capex_by(lines, "site").get(s)]
    rows = []
    for site in site_names:
        segs = [(c, capex_by(lines, "site", c).get(site, 0.0), "") for c in cats]
        rows.append((site, [(c, v, f"{site} {c}: {ctx.money(v)}") for c, v, _ in segs if v]))
    by_cat = capex_by(lines, "category")
    chart_site = stacked_hbars(ctx.chart("capex-site"), "Capex by site and category", rows, colours,
                               fmt=ctx.short_money)
    chart_cat = hbars(ctx.chart("capex-category"), "Capex by category",
                      [(c, by_cat[c], f"{c}: {ctx.money(by_cat[c])}") for c in cats], fmt=ctx.short_money,
                      colours=colours)
    head = ["site", *cats, "total"]
    body = [[s, *[ctx.money(capex_by(lines, "site", c).get(s, 0.0)) for c in cats],
             ctx.money(capex_by(lines, "site").get(s))] for s in site_names]
    body.append(["all sites", *[ctx.money(by_cat.get(c)) for c in cats], ctx.money(sum(by_cat.values()))])
    return (grid(figure(chart_site, f"Capex by site and category ({ctx.currency})"),
                 figure(chart_cat, f"Capex by category ({ctx.currency})"))
            + table(head, body, numeric=set(range(1, len(head)))))


def _site_order(ctx: Ctx) -> list[str]:
    names = [clean(s.get("name")) for s in ctx.sites]
    return names + sorted({clean(x.get("site")) for x in ctx.bom} - set(names))


def sites(ctx: Ctx) -> str:
    if not ctx.sites:
        return note("This plan lists no sites.")
    power_rows, rack_rows, body = [], [], []
    for s in ctx.sites:
        name = clean(s.get("name"))
        fac, it, limit = (to_float(s.get(k)) for k in ("facility_power_kw", "it_power_kw", "power_limit_kw"))
        racks, rack_limit = to_float(s.get("racks")), to_float(s.get("rack_limit"))
        power_rows.append((name, fac or 0.0, limit, power(fac), power(limit)))
        rack_rows.append((name, racks or 0.0, rack_limit, number(racks), number(rack_limit)))
        pue = ratio(fac, it)
        body.append([name, power(it), power(fac), power(limit), percent(ratio(fac, limit)),
                     number(racks), number(rack_limit), percent(ratio(racks, rack_limit)),
                     f"{pue:.2f}" if pue else "\u2013"])
    charts = grid(figure(limit_bars(ctx.chart("site-power"), "Facility power against the site limit", power_rows),
                         "Facility power (IT × PUE) against the site limit"),
                  figure(limit_bars(ctx.chart("site-racks"), "Racks against the site's rack positions", rack_rows),
                         "Racks against the site's rack positions"))
    head = ["site", "IT power", "facility power", "power limit", "power used", "racks", "rack limit",
            "racks used", "PUE"]
    return charts + table(head, body, numeric=set(range(1, 9)))


def bom(ctx: Ctx) -> str:
    lines = ctx.bom
    if not lines:
        return note("The BOM is empty.")
    has_period = any("period" in x for x in lines)
    head = (["period"] if has_period else []) + ["site", "category", "item", "description", "quantity",
                                                 "unit price", "extended price", "power", "rack units"]
    rows = [([clean(x.get("period"))] if has_period else [])
            + [clean(x.get("site")), clean(x.get("category")), clean(x.get("item")), clean(x.get("description")),
               number(to_float(x.get("quantity"))), ctx.money(x.get("unit_price")), ctx.money(x.get("extended_price")),
               power(to_float(x.get("power_kw"))), number(to_float(x.get("rack_units")))] for x in lines]
    first = 5 if has_period else 4
    return table(head, rows, numeric=set(range(first, first + 5)))


def warnings(ctx: Ctx) -> str:
    items = listed(ctx.plan.get("warnings"))
    if not items:
        return ""
    return '<ul class="warnings">' + "".join(f"<li>{esc(w)}</li>" for w in items) + "</ul>"

