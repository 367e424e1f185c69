"""A warm start for a build-out: each period's greedy plan, and the least purchases that own it.

Periods are planned independently by dcplan.solve.greedy; then, item by item and site by site in
period order, whatever is in use beyond what is already owned (installed, or bought earlier and
not retired) is bought in that period, or in the latest earlier period the item can be bought in
and still be in service; an item that cannot be bought then is leased from that period, when it
has a lease offer. The result is returned only if it satisfies every row of the model.
"""

from __future__ import annotations

from dcplan.model.buildout import Buildout, alive, lease_covers, used_units
from dcplan.model.built import optics_count
from dcplan.model.linear import Expr
from dcplan.solve.greedy import greedy_plan
from dcplan.solve.greedy_values import warm_start


def buildout_start(out: Buildout) -> list[float] | None:
    values = [0.0] * len(out.lm.variables)
    for part in out.parts:
        placed = greedy_plan(part.scenario, out.catalog, part.requirements)
        if not placed.complete:
            return None
        for index, value in enumerate(warm_start(part, placed)):
            if value:
                values[index] = value
    _buy_items(out, values)
    _buy_optics(out, values)
    _buy_racks(out, values)
    _keep_blocks(out, values)
    _peak(out, values)
    if not all(row.holds(sum(c * values[i] for i, c in row.terms.items())) for row in out.lm.rows):
        return None
    return values


def _index(expr: Expr) -> int:
    return next(iter(expr.terms))


def _buy(values: list[float], needed: float, options: list[Expr]) -> None:
    """Buy `needed` units through the last of `options` (the latest period it can be bought in)."""
    if needed > 1e-9 and options:
        values[_index(options[-1])] += float(round(needed + 0.4999))


def _buy_items(out: Buildout, values: list[float]) -> None:
    for p, part in enumerate(out.parts):
        for (category, item_id, site), used in used_units(part).items():
            item = out.catalog.find(item_id)[1]
            owned = out.installed.get((item_id, site, p), 0)
            choices = []
            for q in range(p + 1):
                key = (category, item_id, site, q)
                if key in out.purchases and alive(out, item, q, p):
                    owned += values[_index(out.purchases[key])]
                    choices.append(out.purchases[key])
                if key in out.lease_signings and lease_covers(out, item.lease, q, p):
                    owned += values[_index(out.lease_signings[key])]
            signing = out.lease_signings.get((category, item_id, site, p))
            _buy(values, used.value(values) - owned, choices or ([signing] if signing is not None else []))


def _buy_optics(out: Buildout, values: list[float]) -> None:
    for p, part in enumerate(out.parts):
        used: dict[tuple[str, str], float] = {}
        for fabric in part.fabrics:
            for s_id in fabric.leaves:
                used[(s_id, fabric.site)] = used.get((s_id, fabric.site), 0.0) + \
                    optics_count(part, fabric, s_id).value(values)
        for (s_id, site), count in used.items():
            switch = out.catalog.switches[s_id]
            keys = [(s_id, site, q) for q in range(p + 1)
                    if (s_id, site, q) in out.optic_purchases and alive(out, switch, q, p)]
            owned = sum(values[_index(out.optic_purchases[k])] for k in keys)
            _buy(values, count - owned, [out.optic_purchases[k] for k in keys])


def _buy_racks(out: Buildout, values: list[float]) -> None:
    for p, part in enumerate(out.parts):
        for site, racks in part.site_racks.items():
            keys = [(site, q) for q in range(p + 1) if (site, q) in out.rack_purchases]
            owned = sum(values[_index(out.rack_purchases[k])] for k in keys)
            _buy(values, racks.value(values) - owned, [out.rack_purchases[k] for k in keys])


def _keep_blocks(out: Buildout, values: list[float]) -> None:
    """Blocks of facility power stay built: each period stands at least what the one before built."""
    for p in range(1, len(out.parts)):
        for site, blocks in out.parts[p].site_blocks.items():
            before = out.parts[p - 1].site_blocks[site]
            values[_index(blocks)] = max(values[_index(blocks)], values[_index(before)])


def _peak(out: Buildout, values: list[float]) -> None:
    peak = out.metrics["power"]
    values[_index(peak)] = max(m["power"].value(values) for m in out.period_metrics)
