"""Pool variables: x[w,c,k] units (and, for training, the choice z[w,c,k]) per workload, item, site."""

from __future__ import annotations

import math

from dcplan.model.built import BuiltModel, Pool
from dcplan.model.columns import ColumnRecorder
from dcplan.model.linear import Expr, Owner, RowBatch, VarBatch
from dcplan.rules import attribute, group_of, item_of, placement_refusal, pool_bound, where_matches


def add_pools(built: BuiltModel) -> None:
    """Variables x[w,c,k] ∈ ℤ≥0 for each workload, candidate item and allowed site.

    Training is one homogeneous cluster at one site: a binary z[w,c,k] chooses
    it and x = n_c · z, where n_c is the server count sizing computed for c.
    Service pools are bounded by the count that alone meets the whole demand,
    U = max_d ⌈demand_d / per_unit_d⌉ (more never helps a requirement). An inference
    replica spanning k servers is bought whole: x = k · r[w,c,k], r ∈ ℤ≥0, and U is then a multiple
    of k (rules.pool_bound), so the spares rows count the servers the pool can hold.
    No pool stands where the item cannot: a liquid-cooled server at an air-cooled
    site, a rack-scale system where racks take less than its power
    (rules.placement_refusal). Items without a price or a lease are not bought: a warning says so for those a workload
    names in `servers` (an unpriced item it merely could use is left out quietly;
    validation refuses a workload that only unpriced items could serve).
    """
    scenario, lm = built.scenario, built.lm
    unpriced: dict[str, list[str]] = {}
    new, rows = VarBatch(lm), RowBatch()
    owned = {(entry.item, entry.site) for entry in scenario.installed}  # usable even without a price
    stands = _placements(scenario)
    columns = ColumnRecorder([s.name for s in scenario.sites])
    for index, workload in enumerate(scenario.workloads):
        built.tick(index)
        req = built.requirements[workload.name]
        sites = [s.name for s in scenario.sites if workload.sites is None or s.name in workload.sites]
        named = set(getattr(workload, "servers", None) or ())
        group = group_of(scenario, workload.security)
        for cand in req.candidates:
            item = item_of(built.catalog, req.kind, cand.item)
            if not obtainable(item) and not any(i == cand.item for i, _ in owned):
                if cand.item in named:  # an unpriced item a workload merely could use is left out quietly
                    unpriced.setdefault(cand.item, []).append(workload.name)
                continue
            # An item without a price is used only where it is installed (a build-out's installed base).
            usable = [s for s in sites if (obtainable(item) or (cand.item, s) in owned)
                      and stands(s, item)]  # cooling, or a rack-scale item's power
            if req.kind == "training":
                _training_pools(built, new, rows, columns, workload.name, cand, item, usable, group)
                continue
            extra = units_for_minimums(built, "storage" if req.kind == "storage" else "server", item)
            bound = pool_bound(req, cand, extra)  # the same at every site
            _service_pools(built, new, columns, workload.name, req.kind, cand, usable, group, bound)
    new.commit()
    lm.add_batch(rows)
    built.tables["columns"] = columns.finish()
    for pool in built.pools:
        built.by_workload.setdefault(pool.workload, []).append(pool)
    if unpriced:
        built.warnings.append(_unpriced_warning(unpriced))


def _service_pools(built: BuiltModel, new: VarBatch, columns: ColumnRecorder, name: str, kind: str, cand,
                   sites: list[str], group: str, bound: int) -> None:
    """A pool of `cand` for workload `name` at each of `sites`: x[w,c,k] ≤ bound, or replicas[w,c,k] of
    k servers each (x = k·replicas) for a replica spanning several servers. Written for speed (W=1000 × 60
    × 4 makes 52,000 pools): names share one prefix, and each pool's owner is made once, here."""
    per_replica, period, pools = cand.units_per_replica, built.period, built.pools
    if per_replica > 1:
        symbol, upper, coefficient = "replicas", math.ceil(bound / per_replica), float(per_replica)
    else:
        symbol, upper, coefficient = "x", bound, 1.0
    prefix = f"{symbol}[workload={name},item={cand.item},site="
    units = []
    for site in sites:
        owner = Owner(name, cand.item, site, group, period)
        pool = Pool(name, kind, cand.item, site, group, cand, None, Expr(), bound=bound, period=period,
                    owner_made=owner)  # the same Owner the variable gets
        unit = new.add(f"{prefix}{site}]", 0.0, upper, True, owner)
        pool.unit, pool.active = (unit, coefficient), Expr({unit: coefficient})
        pools.append(pool)
        units.append(unit)
    columns.add(kind, cand.item, sites, group, name, units, coefficient, cand.load)


def _placements(scenario):
    """stands(site name, item): can the item stand at the site (rules.placement_refusal), asked once per
    (site, item) rather than once per workload."""
    site_of = {s.name: s for s in scenario.sites}
    known: dict[tuple[str, str], bool] = {}

    def stands(site: str, item) -> bool:
        key = (site, item.id)
        if key not in known:
            known[key] = placement_refusal(site_of[site], item) is None
        return known[key]

    return stands


def _unpriced_warning(unpriced: dict[str, list[str]]) -> str:
    def users(names: list[str]) -> str:
        return ", ".join(names) if len(names) <= 3 else f"{', '.join(names[:2])} and {len(names) - 2} more"
    listed = "; ".join(f"{item} (for {users(names)})" for item, names in sorted(unpriced.items()))
    return f"not considered because the catalog has no price for them: {listed}; set catalog.prices to include them"


def _training_pools(built: BuiltModel, new: VarBatch, rows: RowBatch, columns: ColumnRecorder, name: str, cand,
                    item, sites: list[str], group: str) -> None:
    """z[w,c,k] ∈ {0,1} per site, x = n_c·z; a generic minimum may add up to `extra` servers as spares."""
    extra = units_for_minimums(built, "server", item)
    choices = []
    for site in sites:
        key = f"workload={name},item={cand.item},site={site}"
        pool = Pool(name, "training", cand.item, site, group, cand, None, Expr(), period=built.period)
        choice = new.add(f"z[{key}]", ub=1, owner=pool.owner)
        pool.unit = (choice, float(cand.fixed_count))
        pool.choice, pool.active = Expr({choice: 1.0}), Expr({choice: pool.unit[1]})
        if extra:
            # A generic minimum may ask for more servers than the cluster: they join it as spares.
            top_up = new.add(f"extra[{key}]", ub=extra, owner=pool.owner)
            pool.spares = Expr({top_up: 1.0})
            rows.add(f"spares.top_up[{key}]", "spares", [top_up, choice], [1.0, -float(extra)], hi=0.0,
                     origin="constraints", owner=pool.owner)
        built.pools.append(pool)
        choices.append(choice)
    columns.add("training", cand.item, sites, group, name, choices, cand.fixed_count, cand.load)


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
