"""Build the mixed-integer model of the whole purchase (docs/model.md has the full math).

One `add_<family>` function per constraint family, each with its mathematics
in the docstring and rows named after the scenario (`power[site=ash1]`).
Indices: w workload, c candidate item, k site, g isolation group, s switch
type, f fabric. Pools are (w, c, k): x = active units, y = spares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import spares as spares_math
from .catalog import Catalog
from .linear import Expr, LinearModel, total
from .schema import Scenario, Site
from .sizing import Candidate, Requirement

HOURS_PER_YEAR = 8760.0
DEMAND_TOLERANCE = 1e-6
"""Requirements are met to this relative tolerance, the verifier's. Without it, a
demand a hair above a whole number of servers (float noise from sizing) lands
inside the engines' own feasibility tolerances and engines disagree."""
DEFAULT_IDLE_SHARE = 0.30  # SPEC §3: idle power defaults to 30 % of maximum
TRAINING_LOAD = 0.9  # SPEC §3


class ModelInputError(ValueError):
    """The scenario asks for something the model cannot express (reported as invalid input)."""


@dataclass
class Pool:
    workload: str
    kind: str  # training | inference | cpu | storage
    item: str
    site: str
    group: str  # isolation group: an isolated security level, or "shared"
    candidate: Candidate
    active: Expr
    spares: Expr
    choice: Expr | None = None  # training: 1 if this (server, site) is the chosen cluster
    bound: int = 0  # services: most units the pool may hold (for big-M rows)


@dataclass
class Fabric:
    name: str
    kind: str  # backend | frontend
    site: str
    group: str
    oversubscription: float
    ports: Expr
    leaves: dict[str, Expr] = field(default_factory=dict)
    spines: dict[str, Expr] = field(default_factory=dict)
    assigned: dict[str, Expr] = field(default_factory=dict)  # server links per switch type (all speeds)
    uplinks: dict[str, Expr] = field(default_factory=dict)
    links: dict[str, dict[float, Expr]] = field(default_factory=dict)  # switch type -> NIC speed -> links
    ports_by_speed: dict[float, Expr] = field(default_factory=dict)


@dataclass
class BuiltModel:
    scenario: Scenario
    catalog: Catalog
    requirements: dict[str, Requirement]
    lm: LinearModel
    pools: list[Pool] = field(default_factory=list)
    fabrics: list[Fabric] = field(default_factory=list)
    racks: dict[tuple[str, str, str], Expr] = field(default_factory=dict)  # (item, site, group)
    metrics: dict[str, Expr] = field(default_factory=dict)
    site_it_power: dict[str, Expr] = field(default_factory=dict)
    site_racks: dict[str, Expr] = field(default_factory=dict)
    objective_name: str = "tco"
    warnings: list[str] = field(default_factory=list)
    by_workload: dict[str, list[Pool]] = field(default_factory=dict)  # pools of each workload, in order
    strengthen: bool = True  # clip demand coefficients and add valid inequalities

    def workload(self, name: str) -> tuple[int, object]:
        """(index in the scenario, workload) by name, without scanning the list."""
        if not hasattr(self, "_workloads"):
            self._workloads = {w.name: (i, w) for i, w in enumerate(self.scenario.workloads)}
        return self._workloads[name]


def group_of(scenario: Scenario, security: str) -> str:
    return security if security in scenario.policies.security.isolate else "shared"


def leaf_split(ports: int, oversubscription: float) -> tuple[int, int]:
    """Leaf ports facing servers (down) and spines (up) for a down:up ratio o: down = floor(P·o/(1+o))."""
    down = max(1, math.floor(ports * oversubscription / (1.0 + oversubscription)))
    return down, ports - down


def units_per_rack(site: Site, rack_units: int, power_kw: float) -> float:
    """Units of one item type per rack (by rack units and rack power), or racks per unit if < 1.

    Returned as the factor r ≥ units × factor: 1/n for n units per rack, or the
    number of rack positions one unit needs when it exceeds a rack (e.g. a
    120 kW rack-scale system at a 40 kW-per-rack site takes 3 positions).
    """
    by_units = math.floor(site.rack_units / rack_units) if rack_units > 0 else math.inf
    by_power = math.floor(site.rack_power / power_kw) if power_kw > 0 else math.inf
    per_rack = min(by_units, by_power)
    if per_rack >= 1:
        return 0.0 if per_rack == math.inf else 1.0 / per_rack
    return float(max(math.ceil(rack_units / site.rack_units), math.ceil(power_kw / site.rack_power)))


def item_of(catalog: Catalog, kind: str, item_id: str):
    return catalog.storage[item_id] if kind == "storage" else catalog.servers[item_id]


def idle_kw(item) -> float:
    return item.idle_power if item.idle_power is not None else DEFAULT_IDLE_SHARE * item.power


def build(scenario: Scenario, catalog: Catalog, requirements: dict[str, Requirement],
          strengthen: bool = True) -> BuiltModel:
    """The model of the purchase. `strengthen=False` gives the plain reference formulation
    (no coefficient clipping, no valid inequalities), kept to test that strengthening never
    changes an optimum."""
    built = BuiltModel(scenario, catalog, requirements, LinearModel(), strengthen=strengthen)
    add_pools(built)
    add_demand(built)
    add_site_failure(built)
    add_storage_durability(built)
    add_spares(built)
    if strengthen:
        add_valid_inequalities(built)
    add_network(built)
    add_racks(built)
    add_power(built)
    add_metrics(built)
    add_generic_constraints(built)
    add_limits(built)
    set_objective(built)
    return built


def add_pools(built: BuiltModel) -> None:
    """Variables x[w,c,k] ∈ ℤ≥0 for each workload, candidate item and allowed site.

    Training is one homogeneous cluster at one site: a binary z[w,c,k] chooses
    it and x = n_c · z, where n_c is the server count sizing computed for c.
    Service pools are bounded by the count that alone meets the whole demand,
    U = max_d ⌈demand_d / per_unit_d⌉ (more never helps a requirement).
    Items without a price are not bought (a warning says so).
    """
    scenario, lm = built.scenario, built.lm
    unpriced: dict[str, list[str]] = {}
    for workload in scenario.workloads:
        req = built.requirements[workload.name]
        sites = [s for s in scenario.sites if workload.sites is None or s.name in workload.sites]
        group = group_of(scenario, workload.security)
        for cand in req.candidates:
            item = item_of(built.catalog, req.kind, cand.item)
            if item.price is None:
                continue
            bound = None
            for site in sites:
                key = f"workload={workload.name},item={cand.item},site={site.name}"
                top_up = Expr()
                if req.kind == "training":
                    choice = lm.var(f"z[{key}]", ub=1)
                    active = choice * cand.fixed_count
                    extra = units_for_minimums(built, "server", item)
                    if extra:
                        # A generic minimum may ask for more servers than the cluster: they join it as spares.
                        top_up = lm.var(f"extra[{key}]", ub=extra)
                        lm.le(f"spares.top_up[{key}]", "spares", top_up, choice * extra, origin="constraints")
                else:
                    choice = None
                    if bound is None:  # the same at every site
                        extra = units_for_minimums(built, "storage" if req.kind == "storage" else "server", item)
                        bound = pool_bound(req, cand, extra)
                    active = lm.var(f"x[{key}]", ub=bound)
                built.pools.append(Pool(workload.name, req.kind, cand.item, site.name, group, cand, active, top_up,
                                        choice, bound=bound if choice is None else 0))
        for cand in req.candidates:
            if item_of(built.catalog, req.kind, cand.item).price is None:
                unpriced.setdefault(cand.item, []).append(workload.name)
    for pool in built.pools:
        built.by_workload.setdefault(pool.workload, []).append(pool)
    if unpriced:
        def users(names: list[str]) -> str:
            return ", ".join(names) if len(names) <= 3 else f"{', '.join(names[:2])} and {len(names) - 2} more"
        listed = "; ".join(f"{item} (for {users(names)})" for item, names in sorted(unpriced.items()))
        built.warnings.append(f"not considered because the catalog has no price for them: {listed}; "
                              f"set catalog.prices to include them")


def pool_bound(req: Requirement, cand: Candidate, extra: int = 0) -> int:
    """Units one pool may hold: what alone meets the whole demand, plus `extra` for generic minimums."""
    needed = [math.ceil(req.demand[d] / cand.per_unit[d] - 1e-9)
              for d in req.demand if req.demand[d] > 0 and cand.per_unit.get(d, 0) > 0]
    return (max([req.min_units] + needed) if needed else req.min_units) + extra


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
        if value > 0 and _where_matches(constraint.where, category, item.id, None, item, ignore_site=True):
            extra = max(extra, math.ceil(constraint.min / value - 1e-9))
    return extra


def pools_of(built: BuiltModel, workload: str) -> list[Pool]:
    return built.by_workload.get(workload, [])


def add_demand(built: BuiltModel) -> None:
    """Every requirement is met.

    training:  Σ_{c,k} z[w,c,k] = 1                      (exactly one cluster)
    services:  Σ_{c,k} min(per_unit[c,d], D) · x[w,c,k] ≥ D,  D = (1 − 10⁻⁶)·demand[w,d]

    Clipping a coefficient at the right-hand side changes no integer solution
    (one such unit already meets D) but tightens the LP relaxation a lot for
    small workloads on big servers: without it the LP buys 0.01 of a server.
    """
    for index, workload in enumerate(built.scenario.workloads):
        req = built.requirements[workload.name]
        pools = pools_of(built, workload.name)
        origin = f"workloads[{index}]"
        if req.kind == "training":
            built.lm.eq(f"train.choose[workload={workload.name}]", "demand",
                        total(p.choice for p in pools), 1.0, origin=origin)
            continue
        for dim, amount in req.demand.items():
            need = amount * (1 - DEMAND_TOLERANCE)
            supply = total(p.active * _coefficient(built, p.candidate.per_unit.get(dim, 0.0), need) for p in pools)
            built.lm.ge(f"demand[workload={workload.name},need={dim}]", "demand", supply, need, origin=origin)


def _coefficient(built: BuiltModel, per_unit: float, need: float) -> float:
    """A demand row's coefficient, clipped at the right-hand side when strengthening."""
    return min(per_unit, need) if built.strengthen else per_unit


def add_site_failure(built: BuiltModel) -> None:
    """survive_site_failure: with any one site k0 down, the other sites still meet demand.

    ∀k0: Σ_{c, k≠k0} per_unit[c,d] · x[w,c,k] ≥ demand[w,d]
    """
    for index, workload in enumerate(built.scenario.workloads):
        if not getattr(workload, "survive_site_failure", False):
            continue
        req = built.requirements[workload.name]
        pools = pools_of(built, workload.name)
        for site in built.scenario.sites:
            for dim, amount in req.demand.items():
                need = amount * (1 - DEMAND_TOLERANCE)
                supply = total(p.active * _coefficient(built, p.candidate.per_unit.get(dim, 0.0), need)
                               for p in pools if p.site != site.name)
                built.lm.ge(f"site_failure[workload={workload.name},down={site.name},need={dim}]", "site_failure",
                            supply, need, origin=f"workloads[{index}].survive_site_failure")


def add_storage_durability(built: BuiltModel) -> None:
    """Erasure k+m (or r replicas) needs at least k+m (r) nodes in every site that holds data.

    u[w,k] ∈ {0,1} marks a site used:  Σ_c x[w,c,k] ≥ (k+m)·u[w,k],  Σ_c x[w,c,k] ≤ U·u[w,k].
    """
    for index, workload in enumerate(built.scenario.workloads):
        req = built.requirements[workload.name]
        if req.kind != "storage" or req.min_units <= 0:
            continue
        by_site: dict[str, list[Pool]] = {}
        for pool in pools_of(built, workload.name):
            by_site.setdefault(pool.site, []).append(pool)
        for site in built.scenario.sites:
            pools = by_site.get(site.name, [])
            if not pools:
                continue
            used = built.lm.var(f"u[workload={workload.name},site={site.name}]", ub=1)
            nodes = total(p.active for p in pools)
            bound = sum(p.bound for p in pools)
            origin = f"workloads[{index}].durability"
            built.lm.ge(f"durability.min_nodes[workload={workload.name},site={site.name}]", "durability",
                        nodes, used * req.min_units, origin=origin)
            built.lm.le(f"durability.site_used[workload={workload.name},site={site.name}]", "durability",
                        nodes, used * bound, origin=origin)


def add_spares(built: BuiltModel) -> None:
    """Spares y[w,c,k] per pool: explicit (`N+k`, `p%`, a count) or from `availability`.

    availability A: y ≥ k(x), the binomial step function of spares.py, with one
    binary b_j per breakpoint N_j (the smallest pool needing j spares):
        x ≤ (N_j − 1) + (U − N_j + 1)·b_j,   y ≥ Σ_j b_j,   b_j ≥ b_{j+1}
    N+k:  x ≤ U·e, y ≥ k·e with e ∈ {0,1} (a non-empty pool gets k spares)
    p%:   y ≥ p·x  (y integer, so y = ⌈p·x⌉ at the optimum)
    Training pools have a fixed size n, so their spares are the constant k(n)·z.
    """
    scenario, lm = built.scenario, built.lm
    mttr = scenario.policies.redundancy.mttr
    for pool in built.pools:
        w_index, workload = built.workload(pool.workload)
        if workload.spares is None and workload.availability is None:
            continue
        item = item_of(built.catalog, pool.kind, pool.item)
        p = spares_math.unavailability(item.failure_rate, mttr)
        key = f"workload={pool.workload},item={pool.item},site={pool.site}"
        origin = f"workloads[{w_index}]"
        if pool.kind == "training":
            n = pool.candidate.fixed_count
            k = (spares_math.explicit_spares(workload.spares, n) if workload.spares is not None
                 else spares_math.spares_needed(n, p, workload.availability))
            pool.spares = pool.choice * k + pool.spares  # plus any top-up for generic minimums
            continue
        bound = pool.bound
        spare = lm.var(f"y[{key}]")
        pool.spares = spare
        if workload.spares is not None:
            kind, amount = spares_math.explicit_rule(workload.spares)
            if kind == "percent":
                lm.ge(f"spares.percent[{key}]", "spares", spare, pool.active * amount, origin=origin + ".spares")
            elif amount > 0:
                used = lm.var(f"e[{key}]", ub=1)
                lm.le(f"spares.pool_used[{key}]", "spares", pool.active, used * bound, origin=origin + ".spares")
                lm.ge(f"spares.fixed[{key}]", "spares", spare, used * amount, origin=origin + ".spares")
            continue
        if spares_math.spares_needed(bound, p, workload.availability) > spares_math.MAX_EXACT_STEPS:
            # Very large pools: a line above the step function instead of one binary per spare.
            slope, intercept = spares_math.envelope(bound, p, workload.availability)
            used = lm.var(f"e[{key}]", ub=1)
            lm.le(f"spares.pool_used[{key}]", "spares", pool.active, used * bound, origin=origin + ".availability")
            lm.ge(f"spares.envelope[{key}]", "spares", spare, pool.active * slope + used * intercept,
                  origin=origin + ".availability")
            continue
        previous = None
        steps = []
        for j, n_j in enumerate(spares_math.breakpoints(bound, p, workload.availability), start=1):
            step = lm.var(f"b[{key},j={j}]", ub=1)
            lm.le(f"spares.step[{key},j={j}]", "spares", pool.active, step * (bound - n_j + 1) + (n_j - 1),
                  origin=origin + ".availability")
            if previous is not None:
                lm.le(f"spares.order[{key},j={j}]", "spares", step, previous)
            previous = step
            steps.append(step)
        if steps:
            lm.ge(f"spares.availability[{key}]", "spares", spare, total(steps), origin=origin + ".availability")
        else:
            lm.variables[lm.names[f"y[{key}]"]].ub = 0


def add_valid_inequalities(built: BuiltModel) -> None:
    """Cuts that every integer plan satisfies, added because the LP relaxation misses them.

    Fixed charges (the first spare of a pool, a whole erasure set) cost nothing in
    the LP relaxation when a pool holds a fraction of a server. Per workload w:
      spares:  Σ_pools y ≥ s_w, where s_w = min(2 if no site failure else ∞, min_c k(⌈D/a_c⌉)),
               valid when every candidate's first server already needs a spare (N_1 = 1):
               one pool needs k(its size) ≥ k(⌈D/a_c⌉) spares, two or more pools at least one each;
               with survive_site_failure two sites hold servers, so s_w ≥ 2 as well.
      storage: Σ_{c,k} x ≥ k+m (at least one whole erasure set), 2(k+m) with site failure.
    """
    scenario, lm = built.scenario, built.lm
    mttr = scenario.policies.redundancy.mttr
    for workload in scenario.workloads:
        req = built.requirements[workload.name]
        pools = pools_of(built, workload.name)
        if not pools or req.kind == "training":
            continue
        survive = getattr(workload, "survive_site_failure", False)
        _add_rounding_cuts(built, workload.name, req, pools)
        if req.kind == "storage" and req.min_units > 0:
            lm.ge(f"cut.erasure_set[workload={workload.name}]", "cuts", total(p.active for p in pools),
                  req.min_units * (2 if survive else 1), origin=f"workloads[{built.workload(workload.name)[0]}]")
        if workload.availability is None or workload.spares is not None:
            continue
        least = math.inf
        for pool in pools:
            item = item_of(built.catalog, pool.kind, pool.item)
            p = spares_math.unavailability(item.failure_rate, mttr)
            if spares_math.spares_needed(1, p, workload.availability) < 1:
                least = 0  # a single server can go without a spare: no cut
                break
            least = min(least, spares_math.spares_needed(pool_bound(req, pool.candidate), p,
                                                         workload.availability))
        if least and least < math.inf:
            least = 2 if survive else min(2, least)
            lm.ge(f"cut.spares[workload={workload.name}]", "cuts", total(p.spares for p in pools), least,
                  origin=f"workloads[{built.workload(workload.name)[0]}].availability")


ROUNDING_CUTS_PER_DEMAND = 3


def _add_rounding_cuts(built: BuiltModel, name: str, req: Requirement, pools: list[Pool]) -> None:
    """Chvátal-Gomory cuts of each demand row, scaled by a candidate j's supply a_j:

        Σ_c ⌈a_c / a_j⌉ · x_c ≥ ⌈D / a_j⌉

    valid because x is integer and non-negative. When a plan uses mostly
    candidate j, the LP must buy ⌈D/a_j⌉ of it, as the integer plan does,
    instead of D/a_j. Added for the few candidates with the lowest price per
    unit of supply, where the LP optimum tends to sit.
    """
    for dim, amount in req.demand.items():
        need = amount * (1 - DEMAND_TOLERANCE)
        supplies = {p.candidate.item: p.candidate.per_unit.get(dim, 0.0) for p in pools}
        ranked = sorted((c for c in supplies if supplies[c] > 0),
                        key=lambda c: item_of(built.catalog, req.kind, c).price / min(supplies[c], need))
        for j in ranked[:ROUNDING_CUTS_PER_DEMAND]:
            a_j = supplies[j]
            if a_j >= need:
                continue  # ⌈D/a_j⌉ = 1: the clipped demand row already says it
            rhs = math.ceil(need / a_j - 1e-9)
            expr = total(p.active * math.ceil(min(p.candidate.per_unit.get(dim, 0.0), need) / a_j - 1e-9)
                         for p in pools)
            built.lm.ge(f"cut.rounding[workload={name},need={dim},by={j}]", "cuts", expr, rhs,
                        origin=f"workloads[{built.workload(name)[0]}]")


def _eligible_switches(built: BuiltModel, slowest_gbps: float) -> list[str]:
    wanted = built.scenario.policies.network.switch
    return [s_id for s_id, sw in sorted(built.catalog.switches.items())
            if sw.price is not None and sw.port_speed >= slowest_gbps and (wanted is None or s_id == wanted)]


def add_network(built: BuiltModel) -> None:
    """Leaf/spine fabrics: every server and storage port lands on a leaf; optics per link end.

    Fabrics: one back-end per training cluster (w, k) at `training_oversubscription`
    (1 = non-blocking), one front-end per (site, isolation group) at
    `frontend_oversubscription` o. For a switch type s with P_s ports, a leaf has
    d_s = ⌊P_s·o/(1+o)⌋ server-facing and u_s = P_s − d_s spine-facing ports.
    Ports are grouped by NIC speed v; a port may only land on a switch at least
    as fast (no breakout cables):
        ports_{f,v} = Σ_pools with speed v nics·(x + y)·(2 if dual_homed)
        Σ_{s: speed_s ≥ v} a[f,s,v] ≥ ports_{f,v}        (server links of speed v on type s)
        Σ_v a[f,s,v] ≤ d_s·L[f,s]                         (leaves)
        o·U[f,s] ≥ Σ_v a[f,s,v],  U[f,s] ≤ u_s·L[f,s]    (uplinks: down:up at most o)
        P_s·S[f,s] ≥ U[f,s]                                (spines)
    Optics: one per link end, 2·Σ_v a[f,s,v] + 2·U[f,s].
    """
    scenario, lm = built.scenario, built.lm
    policy = scenario.policies.network
    homing = 2 if policy.dual_homed else 1
    groups: dict[tuple, list[Pool]] = {}
    for pool in built.pools:
        item = item_of(built.catalog, pool.kind, pool.item)
        if item.nics is None or item.nics.count == 0:
            continue
        if pool.kind == "training":
            key = ("backend", f"train:{pool.workload}", pool.site, pool.group)
        else:
            key = ("frontend", f"frontend:{pool.group}", pool.site, pool.group)
        groups.setdefault(key, []).append(pool)
    for (kind, label, site, group), pools in groups.items():
        oversub = policy.training_oversubscription if kind == "backend" else policy.frontend_oversubscription
        by_speed: dict[float, Expr] = {}
        for p in pools:
            nics = item_of(built.catalog, p.kind, p.item).nics
            ports = by_speed.setdefault(nics.speed, Expr())
            ports.add_scaled(p.active, nics.count * homing).add_scaled(p.spares, nics.count * homing)
        fabric = Fabric(f"{label}@{site}", kind, site, group, oversub, total(by_speed.values()))
        key = f"fabric={fabric.name}"
        links_by_speed: dict[float, list[Expr]] = {v: [] for v in by_speed}
        for s_id in _eligible_switches(built, min(by_speed)):
            sw = built.catalog.switches[s_id]
            down, up = leaf_split(sw.ports, oversub)
            name = f"{key},switch={s_id}"
            leaves, spines, uplinks = lm.var(f"L[{name}]"), lm.var(f"S[{name}]"), lm.var(f"U[{name}]")
            links = []
            for speed in sorted(v for v in by_speed if sw.port_speed >= v):
                link = lm.var(f"a[{name},speed={speed:g}]")
                links_by_speed[speed].append(link)
                links.append(link)
            assigned = total(links)
            lm.le(f"network.leaf_ports[{name}]", "network", assigned, leaves * down, origin="policies.network")
            lm.ge(f"network.uplinks[{name}]", "network", uplinks * oversub, assigned, origin="policies.network")
            lm.le(f"network.leaf_uplinks[{name}]", "network", uplinks, leaves * up, origin="policies.network")
            lm.ge(f"network.spine_ports[{name}]", "network", spines * sw.ports, uplinks, origin="policies.network")
            fabric.leaves[s_id], fabric.spines[s_id] = leaves, spines
            fabric.assigned[s_id], fabric.uplinks[s_id] = assigned, uplinks
            fabric.links[s_id] = {v: link for v, link in zip(sorted(v for v in by_speed if sw.port_speed >= v),
                                                               links)}
        for speed, ports in by_speed.items():
            lm.ge(f"network.ports[{key},speed={speed:g}]", "network", total(links_by_speed[speed]), ports,
                  origin="policies.network")
        fabric.ports_by_speed = by_speed
        built.fabrics.append(fabric)


def switch_count(fabric: Fabric, s_id: str) -> Expr:
    return fabric.leaves[s_id] + fabric.spines[s_id]


def optics_count(built: BuiltModel, fabric: Fabric, s_id: str) -> Expr:
    """One transceiver per link end: server links and leaf-spine uplinks."""
    return (fabric.assigned[s_id] + fabric.uplinks[s_id]) * 2.0


def add_racks(built: BuiltModel) -> None:
    """Racks per (item, site, group), packed by rack units and rack power; Σ racks ≤ site racks.

    r[c,k,g] ≥ f_c,k · Σ units of c at (k, g), where f = 1/(units per rack) or
    the positions one unit needs (units_per_rack). Spares are installed, so they
    count at full power here. Isolated security levels get their own racks (g).
    """
    scenario, lm = built.scenario, built.lm
    sites = {s.name: s for s in scenario.sites}
    units: dict[tuple[str, str, str], Expr] = {}
    for pool in built.pools:
        key = (pool.item, pool.site, pool.group)
        units.setdefault(key, Expr()).add_scaled(pool.active, 1.0).add_scaled(pool.spares, 1.0)
    for fabric in built.fabrics:
        for s_id in fabric.leaves:
            key = (s_id, fabric.site, fabric.group)
            units.setdefault(key, Expr()).add_scaled(switch_count(fabric, s_id), 1.0)
    for (item_id, site_name, group), count in units.items():
        site = sites[site_name]
        item = built.catalog.find(item_id)[1]
        factor = units_per_rack(site, item.rack_units, item.power)
        if factor == 0.0:
            continue
        racks = lm.var(f"r[item={item_id},site={site_name},group={group}]")
        lm.ge(f"racks.packing[item={item_id},site={site_name},group={group}]", "rack_packing", racks, count * factor,
              origin=f"sites[{list(sites).index(site_name)}].rack_power")
        built.racks[(item_id, site_name, group)] = racks
    for index, site in enumerate(scenario.sites):
        used = total(r for (i, k, g), r in built.racks.items() if k == site.name)
        built.site_racks[site.name] = used
        lm.le(f"racks[site={site.name}]", "racks", used, site.racks, origin=f"sites[{index}].racks")


def add_power(built: BuiltModel) -> None:
    """Σ IT power × PUE ≤ site power, per site.

    IT power = Σ_pools (P_c·x + P_idle,c·y) + Σ_switches P_s·(L + S) + optics · P_optic.
    Spares stand by at idle power: one only draws full power when it replaces a
    failed server, which then draws nothing.
    """
    scenario, lm = built.scenario, built.lm
    for index, site in enumerate(scenario.sites):
        it = Expr()
        for pool in built.pools:
            if pool.site == site.name:
                item = item_of(built.catalog, pool.kind, pool.item)
                it.add_scaled(pool.active, item.power).add_scaled(pool.spares, idle_kw(item))
        for fabric in built.fabrics:
            if fabric.site == site.name:
                for s_id, sw in ((s, built.catalog.switches[s]) for s in fabric.leaves):
                    it += switch_count(fabric, s_id) * sw.power + optics_count(built, fabric, s_id) * (
                        sw.optic_power / 1000.0)
        built.site_it_power[site.name] = it
        lm.le(f"power[site={site.name}]", "power", it * site.pue, site.power, origin=f"sites[{index}].power")


def add_metrics(built: BuiltModel) -> None:
    """Plan totals as expressions: capex, energy, carbon, opex, TCO, facility power.

    capex = Σ price·units + Σ optic_price·optics + rack_price·racks
    energy (MWh/yr) = 8760 · PUE_k · Σ (P_idle + load·(P − P_idle))·x + P_idle·y + switches/optics) / 1000
    carbon (t/yr) = Σ_k energy_k · carbon_intensity_k;  opex = Σ_k energy_k · price_k · 1000 + maintenance·capex
    TCO = capex + horizon · opex
    """
    scenario = built.scenario
    capex, energy, energy_cost, carbon, facility = Expr(), Expr(), Expr(), Expr(), Expr()
    for site in scenario.sites:
        site_energy_kw = Expr()
        for pool in (p for p in built.pools if p.site == site.name):
            item = item_of(built.catalog, pool.kind, pool.item)
            capex.add_scaled(pool.active, item.price).add_scaled(pool.spares, item.price)
            idle = idle_kw(item)
            site_energy_kw.add_scaled(pool.active, idle + pool.candidate.load * (item.power - idle))
            site_energy_kw.add_scaled(pool.spares, idle)
        for fabric in (f for f in built.fabrics if f.site == site.name):
            for s_id in fabric.leaves:
                sw = built.catalog.switches[s_id]
                capex += switch_count(fabric, s_id) * sw.price + optics_count(built, fabric, s_id) * sw.optic_price
                site_energy_kw += switch_count(fabric, s_id) * sw.power + optics_count(built, fabric, s_id) * (
                    sw.optic_power / 1000.0)
        mwh = site_energy_kw * (HOURS_PER_YEAR * site.pue / 1000.0)
        energy += mwh
        energy_cost += mwh * (site.electricity_price * 1000.0)
        carbon += mwh * site.carbon_intensity  # MWh × kg/kWh = t
        facility += built.site_it_power[site.name] * site.pue
    capex += total(built.racks.values()) * scenario.policies.costs.rack_price
    opex = energy_cost + capex * scenario.policies.costs.maintenance
    built.metrics = {"capex": capex, "energy": energy, "carbon": carbon, "power": facility, "opex": opex,
                     "energy_cost": energy_cost, "tco": capex + opex * scenario.horizon}


def _where_matches(where: dict, category: str, item_id: str, site: str | None, item, ignore_site=False) -> bool:
    fields = item.model_dump()
    for key, wanted in where.items():
        if key == "site" and ignore_site:
            continue
        actual = {"category": category, "id": item_id, "site": site}.get(key, fields.get(key))
        if isinstance(wanted, list):
            if actual not in wanted:
                return False
        elif actual != wanted:
            return False
    return True


def attribute(item, name: str) -> float:
    """The number that `constraints[].sum` names on an item; 'quantity' counts items."""
    if name == "quantity":
        return 1.0
    if name == "accelerators":
        ref = getattr(item, "accelerators", None)
        return float(ref.count) if ref else 0.0
    if name.startswith("attrs."):
        return float(item.attrs.get(name[len("attrs."):], 0.0))
    value = getattr(item, name, None)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    return float(value)


def bought_units(built: BuiltModel) -> list[tuple[str, str, str, object, Expr]]:
    """(category, item id, site, item, units expression) for everything bought."""
    rows = []
    for pool in built.pools:
        category = "storage" if pool.kind == "storage" else "server"
        rows.append((category, pool.item, pool.site, item_of(built.catalog, pool.kind, pool.item),
                     pool.active + pool.spares))
    for fabric in built.fabrics:
        for s_id in fabric.leaves:
            rows.append(("switch", s_id, fabric.site, built.catalog.switches[s_id], switch_count(fabric, s_id)))
    return rows


def add_generic_constraints(built: BuiltModel) -> None:
    """constraints[i]: min ≤ Σ_{bought items matching where} attribute(item) · units ≤ max."""
    for index, constraint in enumerate(built.scenario.constraints):
        expr = total(units * attribute(item, constraint.sum)
                     for category, item_id, site, item, units in bought_units(built)
                     if _where_matches(constraint.where, category, item_id, site, item))
        lo = -math.inf if constraint.min is None else constraint.min
        hi = math.inf if constraint.max is None else constraint.max
        built.lm.add(f"constraint[name={constraint.name}]", "constraints", expr, lo=lo, hi=hi,
                     origin=f"constraints[{index}]")


def add_limits(built: BuiltModel) -> None:
    """limits: capex, tco, power (facility kW), energy (MWh/yr), carbon (t/yr) ≤ cap."""
    limits = built.scenario.limits
    for name in ("capex", "tco", "power", "energy", "carbon"):
        cap = getattr(limits, name)
        if cap is not None:
            built.lm.le(f"limit[{name}]", "limits", built.metrics[name], cap, origin=f"limits.{name}")


def set_objective(built: BuiltModel) -> None:
    """Minimise one metric (default TCO) or a weighted sum {metric: weight}."""
    objective = built.scenario.objective
    if isinstance(objective, str):
        built.objective_name = objective
        built.lm.objective = built.metrics[objective].copy()
    else:
        built.objective_name = "weighted"
        built.lm.objective = total(built.metrics[name] * weight for name, weight in objective.items())
