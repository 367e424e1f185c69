"""The plan of a build-out (or of a single purchase with installed equipment), from its solved model.

Each period's equipment in use is extracted as an ordinary plan (a *period plan*, kept for
verification and reports); the build-out's own plan lists what is bought, and what is leased, in
each period (its BOM), the assignments of every period, a summary per period with what is owned, and totals:

- capex: everything bought, undiscounted; npv: every period's purchases and opex discounted to
  the first period's start (the `tco` objective of a build-out);
- tco: the same costs undiscounted; opex_per_year, energy_mwh_per_year, carbon_t_per_year:
  averages per year over the build-out's span;
- it_power_kw, facility_power_kw, racks, accelerators: the highest of any period.
A single purchase with installed equipment has one period, `horizon` years long: its totals
mean what a single purchase's do, with capex counting purchases only.
"""

from __future__ import annotations

from dataclasses import replace

from dcplan.model.buildout import Buildout, alive, discount, price_in
from dcplan.plan.extract import block_description, extract, rounded_values, tidy
from dcplan.plan.objects import BomLine, ConstraintReport, Plan, PeriodSummary
from dcplan.rules import BOM_ORDER, HOURS_PER_YEAR, POWER_BLOCK, block_price
from dcplan.vocab import Status, relative_gap



def extract_buildout(out: Buildout, values: list[float], *, status: str, engine: str, bound: float | None,
                     solve_seconds: float, build_seconds: float, warnings: list[str]) -> Plan:
    values = rounded_values(out, values)
    for part in out.parts:
        values = tidy(part, values)
    run = dict(status=status, engine=engine, bound=bound, solve_seconds=solve_seconds, build_seconds=build_seconds,
               warnings=[])
    period_plans = [extract(part, values, tidied=True, **run) for part in out.parts]
    objective = out.lm.objective.value(values)
    scenario = out.scenario
    plan = Plan(scenario.name, Status(status).value, out.objective_name, objective, bound,
                relative_gap(objective, bound, status), engine, solve_seconds, build_seconds,
                warnings=list(warnings), currency=scenario.currency, period_plans=period_plans)
    buildout = scenario.periods is not None
    plan.bom = purchases(out, values)
    plan.assignments = [replace(a, period=out.labels[p] if buildout else None)
                        for p, sub in enumerate(period_plans) for a in sub.assignments]
    last = period_plans[-1]
    plan.sites, plan.fabrics, plan.racks, plan.requirements = last.sites, last.fabrics, last.racks, last.requirements
    plan.site_details = last.site_details
    summaries = [_summary(out, p, sub, values, plan.bom) for p, sub in enumerate(period_plans)]
    if buildout:
        plan.periods = summaries
    else:
        plan.installed = [{"site": site, "item": item, "quantity": n}
                          for (item, site, _), n in sorted(out.installed.items(), key=lambda kv: kv[0][1])]
    plan.totals = _totals(out, summaries, plan.bom, values)
    plan.constraints = [c for sub in period_plans for c in sub.constraints]
    if buildout:
        plan.constraints += _npv_limit(out, values)
    return plan


def purchases(out: Buildout, values: list[float]) -> list[BomLine]:
    """What is bought, per period: servers, storage and switches, their optics, fitted racks; and the
    leases signed in each period (`sourcing: leased`, no capex, `lease_per_year` per unit)."""
    catalog, buildout = out.catalog, out.scenario.periods is not None
    lines = []
    for (category, item_id, site, q), signed in out.lease_signings.items():
        quantity = int(round(signed.value(values)))
        if quantity:
            item = catalog.find(item_id)[1]
            lines.append(BomLine(site, category, item_id, item.description, quantity, 0.0, 0.0,
                                 item.power * quantity, item.rack_units * quantity,
                                 out.labels[q] if buildout else None, sourcing="leased",
                                 lease_per_year=item.lease.price_per_hour * HOURS_PER_YEAR))
    for (category, item_id, site, q), b in out.purchases.items():
        quantity = int(round(b.value(values)))
        if quantity:
            item = catalog.find(item_id)[1]
            price = price_in(out, item, q)
            lines.append(BomLine(site, category, item_id, item.description, quantity, price, price * quantity,
                                 item.power * quantity, item.rack_units * quantity,
                                 out.labels[q] if buildout else None))
    for (s_id, site, q), b in out.optic_purchases.items():
        quantity = int(round(b.value(values)))
        if quantity:
            switch = catalog.switches[s_id]
            lines.append(BomLine(site, "optic", f"{s_id}-optic", f"Transceiver for {s_id} links (one per link end)",
                                 quantity, switch.optic_price, switch.optic_price * quantity,
                                 switch.optic_power / 1000.0 * quantity, 0, out.labels[q] if buildout else None))
    rack_price = out.scenario.policies.costs.rack_price
    for (site, q), b in out.rack_purchases.items():
        quantity = int(round(b.value(values)))
        if quantity:
            lines.append(BomLine(site, "rack", "rack", "Rack position, fitted out", quantity, rack_price,
                                 rack_price * quantity, 0.0, 0, out.labels[q] if buildout else None))
    for (site, q), built_now in out.block_purchases.items():
        quantity = int(round(built_now.value(values)))
        if quantity:
            where = next(s for s in out.scenario.sites if s.name == site)
            lines.append(BomLine(site, "facility", POWER_BLOCK, block_description(where), quantity,
                                 block_price(where), block_price(where) * quantity, 0.0, 0,
                                 out.labels[q] if buildout else None))
    sites = [s.name for s in out.scenario.sites]
    period_index = {label: i for i, label in enumerate(out.labels)}
    return sorted(lines, key=lambda line: (period_index.get(line.period, 0), sites.index(line.site),
                                           BOM_ORDER[line.category], line.item, line.sourcing or ""))


def _summary(out: Buildout, p: int, sub: Plan, values: list[float], bom: list[BomLine]) -> PeriodSummary:
    label = out.labels[p] if out.scenario.periods is not None else None
    capex = sum(line.extended_price for line in bom if line.period == label)
    opex = out.period_metrics[p]["opex"].value(values)
    owned = _owned(out, p, values)
    metrics = out.period_metrics[p]
    return PeriodSummary(out.labels[p], capex, opex, sum(s.it_power_kw for s in sub.sites),
                         sum(s.facility_power_kw for s in sub.sites), sum(s.racks for s in sub.sites),
                         sum(a.accelerators for a in sub.assignments), metrics["energy"].value(values),
                         metrics["carbon"].value(values), tuple(owned), tuple(sub.sites),
                         tuple({"site": b.site, "category": b.category, "item": b.item, "quantity": b.quantity,
                                "power_kw": b.power_kw, "rack_units": b.rack_units} for b in sub.bom))


def _owned(out: Buildout, p: int, values: list[float]) -> list[dict]:
    """Units owned and in service in period p: the installed base and the plan's purchases still alive."""
    owned: dict[tuple[str, str], int] = {}
    for (item, site, q), n in out.installed.items():
        if q == p:
            owned[(site, item)] = owned.get((site, item), 0) + n
    for (category, item_id, site, q), b in out.purchases.items():
        bought = int(round(b.value(values)))
        if bought and alive(out, out.catalog.find(item_id)[1], q, p):
            owned[(site, item_id)] = owned.get((site, item_id), 0) + bought
    return [{"site": site, "item": item, "quantity": n} for (site, item), n in sorted(owned.items()) if n]


def _totals(out: Buildout, summaries: list[PeriodSummary], bom: list[BomLine], values: list[float]) -> dict:
    span = sum(out.lengths)
    capex = sum(line.extended_price for line in bom)
    costs = sum(s.capex + out.lengths[p] * s.opex for p, s in enumerate(summaries))
    per_year = lambda name: sum(out.lengths[p] * m[name].value(values)  # noqa: E731
                                for p, m in enumerate(out.period_metrics)) / span
    totals = {
        "capex": capex, "opex_per_year": sum(out.lengths[p] * s.opex for p, s in enumerate(summaries)) / span,
        "tco": costs, "it_power_kw": max(s.it_power_kw for s in summaries),
        "facility_power_kw": max(s.facility_power_kw for s in summaries),
        "energy_mwh_per_year": per_year("energy"), "carbon_t_per_year": per_year("carbon"),
        "racks": max(s.racks for s in summaries), "accelerators": max(s.accelerators for s in summaries),
    }
    if out.scenario.periods is not None:
        totals["npv"] = sum(discount(out, p) * (s.capex + out.lengths[p] * s.opex) for p, s in enumerate(summaries))
    return totals


def _npv_limit(out: Buildout, values: list[float]) -> list[ConstraintReport]:
    """The build-out's `limits.tco` row on the NPV (each period's own limits are in its period plan)."""
    reports = []
    for row in out.lm.rows:
        if row.family == "limits" and (row.owner is None or row.owner.period is None) and row.name == "limit[tco]":
            lhs = sum(c * values[i] for i, c in row.terms.items())
            slack = row.hi - lhs
            reports.append(ConstraintReport(row.name, "limits", lhs, row.hi, slack,
                                            slack <= 1e-6 * max(1.0, abs(row.hi))))
    return reports
