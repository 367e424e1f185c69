"""Pool variables: x[w,c,k] units (and, for training, the choice z[w,c,k]) per workload, item, site."""

from __future__ import annotations

import math

from dcplan.model.built import BuiltModel, Pool
from dcplan.model.linear import Expr, Owner
from dcplan.rules import attribute, group_of, item_of, placement_refusal, pool_bound, where_matches


def add_pools(built: BuiltModel) -> None:
    """Variables x[w,c,k] ∈ ℤ≥0 for each workload, candidate item and allowed site.

    Training is one homogeneous cluster at one site: a binary z[w,c,k] chooses
    it and x = n_c · z, where n_c is the server count sizing computed for c.
    Service pools are bounded by the count that alone meets the whole demand,
    U = max_d ⌈demand_d / per_unit_d⌉ (more never helps a requirement). An inference
    replica spanning k servers is bought whole: x = k · r[w,c,k], r ∈ ℤ≥0.
    No pool stands where the item cannot: a liquid-cooled server at an air-cooled
    site, a rack-scale system where racks take less than its power
    (rules.placement_refusal). Items without a price or a lease are not bought: a warning says so for those a workload
    names in `servers` (an unpriced item it merely could use, such as a cloud-only
    TPU host of the built-in catalog, is left out quietly; validation refuses a
    workload that only unpriced items could serve).
    """
    scenario, lm = built.scenario, built.lm
    unpriced: dict[str, list[str]] = {}
    owned = {(entry.item, entry.site) for entry in scenario.installed}  # usable even without a price
    for workload in scenario.workloads:
        req = built.requirements[workload.name]
        sites = [s for s in scenario.sites if workload.sites is None or s.name in workload.sites]
        group = group_of(scenario, workload.security)
        for cand in req.candidates:
            item = item_of(built.catalog, req.kind, cand.item)
            if not obtainable(item) and not any(i == cand.item for i, _ in owned):
                continue
            bound = None
            for site in sites:
                if not obtainable(item) and (cand.item, site.name) not in owned:
                    continue
                if placement_refusal(site, item) is not None:  # cooling or a rack-scale item's power
                    continue
                key = f"workload={workload.name},item={cand.item},site={site.name}"
                owner = Owner(workload.name, cand.item, site.name, group, built.period)
                top_up = Expr()
                if req.kind == "training":
                    choice = lm.var(f"z[{key}]", ub=1, owner=owner)
                    active = choice * cand.fixed_count
                    extra = units_for_minimums(built, "server", item)
                    if extra:
                        # A generic minimum may ask for more servers than the cluster: they join it as spares.
                        top_up = lm.var(f"extra[{key}]", ub=extra, owner=owner)
                        lm.le(f"spares.top_up[{key}]", "spares", top_up, choice * extra, origin="constraints",
                              owner=owner)
                else:
                    choice = None
                    if bound is None:  # the same at every site
                        extra = units_for_minimums(built, "storage" if req.kind == "storage" else "server", item)
                        bound = pool_bound(req, cand, extra)
                    if cand.units_per_replica > 1:
                        # A replica spans several servers: buy whole replicas, x = k · replicas.
                        replicas = lm.var(f"replicas[{key}]", ub=math.ceil(bound / cand.units_per_replica),
                                          owner=owner)
                        active = replicas * cand.units_per_replica
                    else:
                        active = lm.var(f"x[{key}]", ub=bound, owner=owner)
                built.pools.append(Pool(workload.name, req.kind, cand.item, site.name, group, cand, active, top_up,
                                        choice, bound=bound if choice is None else 0, period=built.period))
        named = set(getattr(workload, "servers", None) or ())
        for cand in req.candidates:
            if cand.item in named and not obtainable(item_of(built.catalog, req.kind, cand.item)) \
                    and not any(i == cand.item for i, _ in owned):
                unpriced.setdefault(cand.item, []).append(workload.name)
    for pool in built.pools:
        built.by_workload.setdefault(pool.workload, []).append(pool)
    if unpriced:
        def users(names: list[str]) -> str:
            return ", ".join(names) if len(names) <= 3 else f"{', '.join(names[:2])} and {len(names) - 2} more"
        listed = "; ".join(f"{item} (for {users(names)})" for item, names in sorted(unpriced.items()))
        built.warnings.append(f"not considered because the catalog has no price for them: {listed}; "
                              f"set catalog.prices to include them")


def obtainable(item) -> bool:
    """Can the plan get the item: it has a price, or a lease offer."""
    return item.price is not None or getattr(item, "lease", None) is not None


def units_for_minimums(built: BuiltModel, category: str, item) -> int:
    """How many units of `item` the scenario's `constraints[].min` could ask for beyond demand.

    A generic minimum (Σ attribute × units ≥ min) may need more units than the
    workloads do, so pools of items it counts may grow by ⌈min / attribute⌉.
    """
    extra = 0
    for constraint in built.scenario.constraints:
        if constraint.min is None or constraint.min <= 0:
            continue
        value = attribute(item, constraint.sum)
        if value > 0 and where_matches(constraint.where, category, item.id, None, item, ignore_site=True):
            extra = max(extra, math.ceil(constraint.min / value - 1e-9))
    return extra
