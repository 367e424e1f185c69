"""Extract the Plan (bill of materials, assignments, totals, constraint report) from a solved model.

Extracted from a solved BuiltModel by reading variable values (rounded for
integer variables) and recomputing every figure from them, so the plan never
repeats an engine's claimed objective without evidence.
"""

from __future__ import annotations

import math

import numpy as np

from dcplan.model import BuiltModel, Fabric, constraint_name, optics_count, switch_count
from dcplan.model.built import pool_counts
from dcplan.rules import BOM_ORDER, HOURS_PER_YEAR, POWER_BLOCK, block_price, item_of, leaf_split, rack_share
from dcplan.vocab import Status, relative_gap
from dcplan.model.linear import INF
from dcplan.plan.objects import (Assignment, BomLine, ConstraintReport, FabricReport, Plan, SiteDetail,
                                 SiteSummary)


def rounded_values(built: BuiltModel, values) -> list[float]:
    matrix = built.lm.matrix()
    values = np.asarray(values, dtype=float)
    return np.where(matrix.integer, np.round(values), values).tolist()


def tidy(built: BuiltModel, values: list[float]) -> list[float]:
    """Buy no more network gear and racks than the chosen servers need.

    Racks, leaves, spines and cabled ports that cost nothing in the objective
    (rack_price 0, or a capex-only objective for optics) may come back from an
    engine above their minimum. Recompute them as the least counts that serve
    the solution's servers; keep the result only if every model row still holds
    and the objective is no worse (re-cabling may move links onto a switch type
    whose optics cost more than the engine's choice).
    """
    index = lambda expr: next(iter(expr.terms))  # noqa: E731 - a variable's Expr has one term
    # Re-cabling may cost more than the engine's choice and be refused; the racks alone never break a row
    # (fewer racks only loosen the site limits), so they are tidied on their own if the whole is refused.
    for recable in (True, False):
        tidied = list(values)
        if recable:
            for fabric in built.fabrics:
                _tidy_fabric(built, fabric, tidied, index)
        _tidy_racks(built, tidied, index)
        before, after = built.lm.objective.value(values), built.lm.objective.value(tidied)
        if after <= before + 1e-9 * max(1.0, abs(before)) and _all_rows_hold(built, tidied):
            return tidied
    return values


def _tidy_racks(built: BuiltModel, tidied: list[float], index) -> None:
    """Each rack group at the least racks its servers, spares and switches take."""
    sites = {s.name: s for s in built.scenario.sites}
    units: dict[tuple[str, str, str], float] = {}  # (item, site, group) -> units in racks, counted once
    active, spares = pool_counts(built, tidied)
    for pool, in_racks in zip(built.pools, (active + spares).tolist()):
        key = (pool.item, pool.site, pool.group)
        units[key] = units.get(key, 0.0) + in_racks
    for fabric in built.fabrics:
        for s_id in fabric.leaves:
            key = (s_id, fabric.site, fabric.group)
            units[key] = units.get(key, 0.0) + switch_count(fabric, s_id).value(tidied)
    for (item_id, site_name, group), racks in built.racks.items():
        count = units.get((item_id, site_name, group), 0.0)
        item = built.catalog.find(item_id)[1]
        tidied[index(racks)] = float(math.ceil(count * rack_share(sites[site_name], item) - 1e-9))


def _tidy_fabric(built: BuiltModel, fabric: Fabric, values: list[float], index) -> None:
    """Re-cable the fabric's ports onto the leaves bought, fastest ports first onto the
    slowest switches that take them, then buy only the leaves, uplinks and spines used."""
    capacity = {}
    for s_id in fabric.leaves:
        down, _ = leaf_split(built.catalog.switches[s_id].ports, fabric.oversubscription)
        capacity[s_id] = down * values[index(fabric.leaves[s_id])]
        for link in fabric.links[s_id].values():
            values[index(link)] = 0.0
    by_speed = sorted(fabric.ports_by_speed.items(), key=lambda kv: -kv[0])
    # Slowest switches that take a port first (keep fast ports free for fast NICs), and among equally fast
    # ones the cheapest per link: its optic, and its share of the leaf.
    order = sorted(fabric.leaves, key=lambda s_id: _link_cost_key(built.catalog.switches[s_id], fabric))
    for speed, ports in by_speed:
        remaining = ports.value(values)
        for s_id in order:
            if speed in fabric.links[s_id] and remaining > 0:
                placed = min(remaining, capacity[s_id])
                values[index(fabric.links[s_id][speed])] += placed
                capacity[s_id] -= placed
                remaining -= placed
    for s_id in fabric.leaves:
        sw = built.catalog.switches[s_id]
        down, up = leaf_split(sw.ports, fabric.oversubscription)
        assigned = fabric.assigned[s_id].value(values)
        uplinks = math.ceil(assigned / fabric.oversubscription - 1e-9)
        leaves = max(math.ceil(assigned / down - 1e-9), math.ceil(uplinks / up - 1e-9) if up else 0)
        values[index(fabric.uplinks[s_id])] = float(uplinks)
        values[index(fabric.leaves[s_id])] = float(leaves)
        values[index(fabric.spines[s_id])] = float(math.ceil(uplinks / sw.ports - 1e-9))


def _link_cost_key(sw, fabric: Fabric) -> tuple[float, float]:
    down, _ = leaf_split(sw.ports, fabric.oversubscription)
    per_link = (sw.optic_price or 0.0) + (sw.price or 0.0) / max(down, 1)
    return sw.port_speed, per_link


def _all_rows_hold(built: BuiltModel, values) -> bool:
    return len(built.lm.matrix().violated(values)) == 0


def extract(built: BuiltModel, values: list[float], *, status: str, engine: str, bound: float | None,
            solve_seconds: float, build_seconds: float, warnings: list[str], tidied: bool = False) -> Plan:
    """The Plan of a solution; `tidied` when the values are already rounded and tidied (a build-out
    tidies each period once, before extracting them)."""
    values = values if tidied else tidy(built, rounded_values(built, values))
    scenario = built.scenario
    x = np.asarray(values, dtype=float)
    val = lambda expr: expr.value(x if expr.held_as_arrays else values)  # noqa: E731 - short local reader
    objective_value = val(built.lm.objective)
    gap = relative_gap(objective_value, bound, status)
    plan = Plan(scenario.name, Status(status).value, built.objective_name, objective_value, bound, gap, engine,
                solve_seconds, build_seconds, warnings=list(warnings), currency=scenario.currency)
    units = [counts.tolist() for counts in pool_counts(built, x)]  # (active, spares) per pool, read once
    plan.assignments = _assignments(built, *units)
    plan.bom = _bom(built, val, *units)
    plan.fabrics = [FabricReport(f.name, f.kind, f.site, f.group, f.oversubscription, val(f.ports),
                                 {s: int(val(e)) for s, e in f.leaves.items() if val(e)},
                                 {s: int(val(e)) for s, e in f.spines.items() if val(e)},
                                 {s: int(val(e)) for s, e in f.assigned.items() if val(e)},
                                 {s: int(val(e)) for s, e in f.uplinks.items() if val(e)})
                    for f in built.fabrics]
    plan.racks = {f"{i}|{k}|{g}": int(val(r)) for (i, k, g), r in built.racks.items() if val(r)}
    plan.sites = [SiteSummary(s.name, val(built.site_it_power[s.name]), val(built.site_it_power[s.name]) * s.pue,
                              _power_limit(built, s, val), int(round(val(built.site_racks[s.name]))), s.racks)
                  for s in scenario.sites]
    plan.site_details = [SiteDetail(s.name, s.rack_units, s.rack_power, s.pue) for s in scenario.sites]
    plan.totals = _totals(built, val, plan)
    plan.constraints = _constraint_report(built, values)
    plan.requirements = _requirements(built)
    return plan


def _power_limit(built: BuiltModel, site, val) -> float:
    """A site's power limit: `power`, or at a site being built the power of the blocks built (at most `power`)."""
    if site.name not in built.site_blocks:
        return site.power
    return min(site.power, round(val(built.site_blocks[site.name])) * site.build.block)


def block_description(site) -> str:
    return f"Facility power block of {site.build.block / 1000.0:g} MW at {site.build.cost_per_mw:,.0f} per MW"


def _assignments(built: BuiltModel, actives: list[float], spare_counts: list[float]) -> list[Assignment]:
    out = []
    for pool, active, spare in zip(built.pools, actives, spare_counts):
        servers, spares = int(round(active)), int(round(spare))
        if servers == 0 and spares == 0:
            continue
        item = item_of(built.catalog, pool.kind, pool.item)
        per = item.accelerators.count if getattr(item, "accelerators", None) else 0
        out.append(Assignment(pool.workload, pool.site, pool.item, servers, spares, per * (servers + spares),
                              pool.group))
    return out


def _bom(built: BuiltModel, val, actives: list[float], spares: list[float]) -> list[BomLine]:
    lines: dict[tuple[str, str, str], list] = {}

    def add(site, category, item_id, description, quantity, price, power_kw, rack_units):
        key = (site, category, item_id)
        if key not in lines:
            lines[key] = [description, 0, price, power_kw, rack_units]
        lines[key][1] += quantity

    for pool, active, spare in zip(built.pools, actives, spares):
        quantity = int(round(active + spare))
        if quantity:
            item = item_of(built.catalog, pool.kind, pool.item)
            add(pool.site, "storage" if pool.kind == "storage" else "server", pool.item, item.description,
                quantity, item.price, item.power, item.rack_units)
    for fabric in built.fabrics:
        for s_id in fabric.leaves:
            sw = built.catalog.switches[s_id]
            count = int(round(val(switch_count(fabric, s_id))))
            if count:
                add(fabric.site, "switch", s_id, sw.description, count, sw.price, sw.power, sw.rack_units)
            optics = int(round(val(optics_count(built, fabric, s_id))))
            if optics:
                add(fabric.site, "optic", f"{s_id}-optic", f"Transceiver for {s_id} links (one per link end)",
                    optics, sw.optic_price, sw.optic_power / 1000.0, 0)
    rack_price = built.scenario.policies.costs.rack_price
    for site in built.scenario.sites:
        racks = int(round(val(built.site_racks[site.name])))
        if racks:
            add(site.name, "rack", "rack", f"Rack position ({site.rack_units}U, {site.rack_power:g} kW)",
                racks, rack_price, 0.0, 0)
        if site.name in built.site_blocks:
            blocks = int(round(val(built.site_blocks[site.name])))
            if blocks:
                add(site.name, "facility", POWER_BLOCK, block_description(site), blocks, block_price(site), 0.0, 0)
    out = []
    order = BOM_ORDER
    for (site, category, item_id), (description, qty, price, power, ru) in sorted(
            lines.items(), key=lambda kv: ([s.name for s in built.scenario.sites].index(kv[0][0]),
                                           order[kv[0][1]], kv[0][2])):
        leased = int(round(val(built.leases[(item_id, site)]))) if (item_id, site) in built.leases else 0
        price = float(price or 0.0)  # an installed item with no catalog price
        if qty > leased:
            out.append(BomLine(site, category, item_id, description, qty - leased, price, price * (qty - leased),
                               power * (qty - leased), ru * (qty - leased)))
        if leased:
            lease = built.catalog.find(item_id)[1].lease
            out.append(BomLine(site, category, item_id, description, leased, 0.0, 0.0, power * leased, ru * leased,
                               sourcing="leased", lease_per_year=lease.price_per_hour * HOURS_PER_YEAR))
    return out


def _totals(built: BuiltModel, val, plan: Plan) -> dict:
    capex = sum(line.extended_price for line in plan.bom)
    opex = val(built.metrics["opex"])
    accelerators = sum(a.accelerators for a in plan.assignments)
    return {
        "capex": capex, "opex_per_year": opex, "tco": capex + built.scenario.horizon * opex,
        "it_power_kw": sum(s.it_power_kw for s in plan.sites),
        "facility_power_kw": sum(s.facility_power_kw for s in plan.sites),
        "energy_mwh_per_year": val(built.metrics["energy"]), "carbon_t_per_year": val(built.metrics["carbon"]),
        "racks": sum(s.racks for s in plan.sites), "accelerators": accelerators,
    }


def _constraint_report(built: BuiltModel, values: list[float]) -> list[ConstraintReport]:
    """Site power, racks, generic constraints and limits, with slack; binding when slack ≈ 0."""
    out = []
    lm, matrix = built.lm, built.lm.matrix()
    activity = matrix.activity(values)
    for j in np.flatnonzero(np.isin(lm.families(), ("power", "racks", "constraints", "limits"))).tolist():
        owner = lm._rowner[j]
        if built.period is not None and (owner is None or owner.period != built.period):
            continue  # a build-out reports each period's rows with that period
        family, name, lo, hi = lm._family[j], constraint_name(_RowHead(lm, j)), lm._lo[j], lm._hi[j]
        lhs = float(activity[j])
        for rhs, slack in ((hi, hi - lhs), (lo, lhs - lo)):
            if rhs in (INF, -INF):
                continue
            binding = slack <= 1e-6 * max(1.0, abs(rhs)) or _next_unit_breaks(matrix, j, family, slack)
            out.append(ConstraintReport(name, family, lhs, rhs, slack, binding))
    return out


class _RowHead:
    """A row's name, family and owner without its terms (constraint_name needs no more)."""

    def __init__(self, lm, j: int):
        self.name, self.family, self.owner = lm._rname[j], lm._family[j], lm._rowner[j]


def _next_unit_breaks(matrix, j: int, family: str, slack: float) -> bool:
    """A power or rack row binds when its slack is smaller than one more unit of anything in it."""
    if family not in ("power", "racks"):
        return False
    sizes = np.abs(matrix.data[matrix.indptr[j]:matrix.indptr[j + 1]])
    sizes = sizes[sizes > 1e-9]
    smallest = float(sizes.min()) if len(sizes) else math.inf
    return slack < smallest - 1e-9


def _requirements(built: BuiltModel) -> dict:
    out = {}
    for name, req in built.requirements.items():
        out[name] = {
            "kind": req.kind, "demand": req.demand, "min_units": req.min_units, "detail": req.detail,
            "candidates": [{"item": c.item, "per_unit": c.per_unit, "fixed_count": c.fixed_count, "load": c.load,
                            "detail": c.detail} for c in req.candidates],
            "excluded": req.excluded,
        }
    return out
