"""The greedy plan (dcplan/solve/greedy.py) as the model's value vector: the warm start an engine is
given, and the check of that vector against every row and bound of the model (`evaluate`)."""

from __future__ import annotations

import math
from collections import defaultdict

from dcplan.model import switch_count
from dcplan.model.built import pool_counts
from dcplan.model.linear import Owner
from dcplan.rules import rack_share
from dcplan.solve.greedy import GreedyEvaluation, GreedyResult
from dcplan.solve.greedy_costs import fabric_counts, owning_cost, switch_for

_EPS = 1e-9  # counts within this of a whole number are that number


def warm_start(built, result: GreedyResult) -> list[float]:
    """The model's value vector for the greedy pools, with least network and rack counts."""
    lm = built.lm
    values = [0.0] * len(lm.variables)
    placed = {(p.workload, p.item, p.site): p for p in result.pools}
    index = lambda expr: next(iter(expr.terms))  # noqa: E731 - a variable's Expr has one term
    site_nodes = defaultdict(int)
    for pool in built.pools:
        got = placed.get((pool.workload, pool.item, pool.site))
        if got is None:
            continue
        if pool.kind == "training":
            values[index(pool.choice)] = 1.0
            continue
        variable, units_per_value = next(iter(pool.active.terms.items()))  # x, or replicas of k servers
        values[variable] = float(got.active) / units_per_value
        site_nodes[(pool.workload, pool.site, pool.period)] += got.active
        _set(values, lm.find("y", pool.owner), float(got.spares))
        _set(values, lm.find("e", pool.owner), 1.0 if got.active > 0 else 0.0)
        j = 1
        while (step := lm.find("b", pool.owner.with_detail((("j", j),)))) is not None:
            values[step] = 1.0 if j <= got.spares else 0.0
            j += 1
    for (workload, site, period), count in site_nodes.items():
        if count > 0:
            _set(values, lm.find("u", Owner(workload, site=site, period=period)), 1.0)
    _network_values(built, values, index)
    _rack_values(built, values, index)
    _block_values(built, values, index)
    _lease_values(built, values, index)
    return values


def _set(values: list[float], index: int | None, value: float) -> None:
    if index is not None:
        values[index] = value


def _network_values(built, values, index) -> None:
    """Links per (switch type, speed) as the greedy cabled them; least uplinks, leaves and spines."""
    for fabric in built.fabrics:
        per_switch = defaultdict(float)
        for speed, ports in fabric.ports_by_speed.items():
            count = ports.value(values)
            if count <= 0:
                continue
            allowed = [s for s in fabric.links if speed in fabric.links[s]]
            s_id = switch_for(built.scenario, built.catalog, speed, fabric.oversubscription, fabric.kind, allowed)
            if s_id is None:  # no switch takes these ports: the model's network.ports row reports it
                continue
            values[index(fabric.links[s_id][speed])] += count
            per_switch[s_id] += count
        for s_id, count in per_switch.items():
            leaves, uplinks, spines, _ = fabric_counts(count, built.catalog.switches[s_id], fabric.oversubscription)
            values[index(fabric.leaves[s_id])] = float(leaves)
            values[index(fabric.uplinks[s_id])] = float(uplinks)
            values[index(fabric.spines[s_id])] = float(spines)


def _rack_values(built, values, index) -> None:
    """Least racks per (item, site, group) for the units placed, switches included."""
    sites = {s.name: s for s in built.scenario.sites}
    units = defaultdict(float)
    active, spares = pool_counts(built, values)
    for pool, in_racks in zip(built.pools, (active + spares).tolist()):
        units[(pool.item, pool.site, pool.group)] += in_racks
    for fabric in built.fabrics:
        for s_id in fabric.leaves:
            units[(s_id, fabric.site, fabric.group)] += switch_count(fabric, s_id).value(values)
    for (item_id, site_name, group), racks in built.racks.items():
        item = built.catalog.find(item_id)[1]
        factor = rack_share(sites[site_name], item)
        values[index(racks)] = float(math.ceil(units[(item_id, site_name, group)] * factor - _EPS))


def _block_values(built, values, index) -> None:
    """Least blocks of facility power at each site being built for what stands there."""
    for site in built.scenario.sites:
        blocks = built.site_blocks.get(site.name)
        if blocks is not None:
            facility = built.site_it_power[site.name].value(values) * site.pue
            values[index(blocks)] = float(math.ceil(facility / site.build.block - _EPS))


def _lease_values(built, values, index) -> None:
    """Lease every unit of an item whose lease costs the objective less than buying it (or that has no price)."""
    if not built.leases:
        return
    units = defaultdict(float)
    active, spares = pool_counts(built, values)
    for pool, in_racks in zip(built.pools, (active + spares).tolist()):
        units[(pool.item, pool.site)] += in_racks
    for (item_id, site), leased in built.leases.items():
        options = owning_cost(built.scenario, built.catalog.find(item_id)[1])
        if len(options) == 1 or options[1] < options[0]:
            values[index(leased)] = units[(item_id, site)]


def evaluate(built, result: GreedyResult) -> GreedyEvaluation:
    """The model's objective for the greedy plan and every model row or bound it breaks."""
    import numpy as np

    values = warm_start(built, result)
    lm, matrix = built.lm, built.lm.matrix()
    x = np.asarray(values, dtype=float)
    violations = []  # checked on the model's arrays: a Python loop over every row costs seconds at scale
    for i in np.flatnonzero((x < matrix.lb - 1e-9) | (x > matrix.ub + 1e-9)).tolist():
        violations.append(f"{lm.variables[i].name} = {values[i]:g} outside [{matrix.lb[i]:g}, {matrix.ub[i]:g}]")
    activity = matrix.activity(x)
    for j in matrix.violated(x).tolist():
        row = lm.rows[j]
        violations.append(f"{row.name}: {activity[j]:g} not in [{row.lo:g}, {row.hi:g}]")
    return GreedyEvaluation(matrix.objective(x), not violations, violations, values)
