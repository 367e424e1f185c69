"""A greedy planner: a fast baseline for benchmarks and a warm start for the MILP.

Algorithm (`greedy_plan`):

1. Score. One unit of candidate c at site k is worth its share of the
   scenario's objective, as the model counts it (tco: price + horizon ×
   (energy cost + maintenance); energy at the workload's load; a spare at
   idle power). An option (c, k) costs what meeting the whole requirement
   with it alone costs: n = max_d ⌈demand_d / per_unit_d⌉ units (at least the
   storage minimum) plus their spares k(n) — the cost per unit of requirement,
   in whole units, so a small service is not sent to a 72-GPU rack because a
   tenth of one would be cheap; a training option costs its cluster, n_c
   servers plus their spares k(n_c).
2. Order. Training clusters first, then services; within each, workloads
   allowed at fewer sites first (`workloads[].sites`), then by decreasing IT
   power of their cheapest option (most constrained, first fit decreasing).
3. Place.
   - training: the cheapest (server type, site) cluster that fits the site's
     remaining power and racks, with its spares and back-end fabric;
   - services: options in cost order, first fit: each takes the units still
     needed (max over dimensions of ⌈remaining / per_unit⌉), or as many as
     fit the site's remaining power and racks, then the next option takes
     the rest. A storage workload puts a whole erasure set (k+m nodes, or r
     replicas) in each site it uses, or nothing there.
   - survive_site_failure: a first pass aims at m/(m − 1) × demand with each
     site capped at demand / (m − 1) (m = allowed sites), then for each site k0
     the deficit with k0 down is filled from options at other sites (supply
     only grows, so one pass suffices).
   "Fits" is exact: every placement recomputes, as the model does, the site's
   IT power (servers at full power, spares at idle, leaves, spines and optics
   of the fabric the ports land on) × PUE against `sites[].power`, and the
   racks (homogeneous per item, site and isolation group, switches included)
   against `sites[].racks`. Spares follow the model's rules (dcplan.sizing.spares):
   availability → binomial k(x), `N+k` → k per non-empty pool, `p%` → ⌈p·x⌉.
   Ports of speed v go to the switch type cheapest per server port among
   those at least as fast; counts are the least that serve them (plan.tidy's
   rule: uplinks ⌈ports/o⌉, leaves, spines ⌈uplinks/P⌉, two optics per link).
4. Result: pools (workload, item, site, active, spares) and whether every
   workload was placed. Generic `constraints` and `limits` are not considered
   while placing; `evaluate` reports them if violated.

`evaluate(built, result)` turns the pools into a full value vector of the
model (`dcplan.model.build`): binaries for training choice, spare steps,
explicit-spare pools and storage sites; network links, uplinks, leaves and
spines; racks at their least counts. It returns the model's objective for
that vector and every row that does not hold — an independent feasibility
check. The vector is also a warm start for an engine.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field, replace

from dcplan.rules import DEMAND_TOLERANCE, group_of, idle_kw, item_of, placement_refusal, pool_bound, rack_share
from dcplan.solve.greedy_costs import fabric_counts, owning_cost, spares_for, switch_for, unit_score

__all__ = ["GreedyPool", "GreedyResult", "GreedyEvaluation", "greedy_plan", "fabric_counts", "owning_cost",
           "spares_for", "switch_for", "unit_score"]

_EPS = 1e-9


@dataclass(frozen=True)
class GreedyPool:
    workload: str
    item: str
    site: str
    active: int
    spares: int


@dataclass
class GreedyResult:
    pools: list[GreedyPool]
    complete: bool  # every workload placed in full
    unplaced: list[str] = field(default_factory=list)


@dataclass
class GreedyEvaluation:
    objective: float
    feasible: bool  # every model row and bound holds
    violations: list[str]
    values: list[float]


class _Ledger:
    """Exact site power and racks of what is placed so far, as the model counts them."""

    def __init__(self, scenario, catalog):
        self.scenario, self.catalog = scenario, catalog
        self.sites = {s.name: s for s in scenario.sites}
        policy = scenario.policies.network
        self.homing = 2 if policy.dual_homed else 1
        self.mttr = scenario.policies.redundancy.mttr
        self.it = defaultdict(float)  # site -> IT kW
        self.rack_count = defaultdict(int)  # site -> racks
        self.units = defaultdict(int)  # (item, site, group) -> units in racks (servers and switches)
        self.ports = defaultdict(float)  # (fabric, switch) -> server links
        self.pools: dict[tuple[str, str, str], list[int]] = {}  # (workload, item, site) -> [active, spares]
        self._switches: dict[tuple, str | None] = {}
        self._rack_shares: dict[tuple[str, str], float] = {}  # (item, site) -> rack positions per unit

    def _fabric(self, kind: str, workload: str, site: str, group: str) -> tuple[str, float]:
        policy = self.scenario.policies.network
        if kind == "training":
            return f"train:{workload}@{site}", policy.training_oversubscription
        return f"frontend:{group}@{site}", policy.frontend_oversubscription

    def _racks_delta(self, site, key, delta: int) -> int:
        if not delta:
            return 0
        factor = self._rack_shares.get((key[0], site.name))
        if factor is None:  # asked for every placement tried: computed once per item and site
            factor = self._rack_shares[(key[0], site.name)] = rack_share(site, self.catalog.find(key[0])[1])
        before = self.units[key]
        return math.ceil((before + delta) * factor - _EPS) - math.ceil(before * factor - _EPS)

    def change(self, w, kind: str, item_id: str, site_name: str, x1: int, y1: int):
        """(IT kW delta, racks delta, updates) of setting pool (w, item, site) to x1 active, y1 spares."""
        site, item = self.sites[site_name], item_of(self.catalog, kind, item_id)
        group = group_of(self.scenario, w.security)
        x0, y0 = self.pools.get((w.name, item_id, site_name), (0, 0))
        kw = item.power * (x1 - x0) + idle_kw(item) * (y1 - y0)
        du = (x1 + y1) - (x0 + y0)
        racks = self._racks_delta(site, (item_id, site_name, group), du)
        updates = [("units", (item_id, site_name, group), du)]
        if item.nics is not None and item.nics.count and du:
            fabric, oversub = self._fabric(kind, w.name, site_name, group)
            s_id = self.switch(item.nics.speed, oversub, "backend" if kind == "training" else "frontend")
            if s_id is not None:
                sw = self.catalog.switches[s_id]
                p0 = self.ports[(fabric, s_id)]
                p1 = p0 + item.nics.count * self.homing * du
                c0, c1 = fabric_counts(p0, sw, oversub), fabric_counts(p1, sw, oversub)
                dswitches = (c1[0] + c1[2]) - (c0[0] + c0[2])
                kw += sw.power * dswitches + (c1[3] - c0[3]) * sw.optic_power / 1000.0
                racks += self._racks_delta(site, (s_id, site_name, group), dswitches)
                updates += [("ports", (fabric, s_id), p1 - p0), ("units", (s_id, site_name, group), dswitches)]
        return kw, racks, updates

    def switch(self, speed: float, oversubscription: float, kind: str) -> str | None:
        """switch_for, asked once per speed, oversubscription and kind of fabric."""
        key = (speed, oversubscription, kind)
        if key not in self._switches:
            self._switches[key] = switch_for(self.scenario, self.catalog, speed, oversubscription, kind)
        return self._switches[key]

    def fits(self, site_name: str, kw: float, racks: int) -> bool:
        site = self.sites[site_name]
        power_ok = (self.it[site_name] + kw) * site.pue <= site.power * (1 + 1e-9) + 1e-9
        return power_ok and self.rack_count[site_name] + racks <= site.racks

    def apply(self, w, kind: str, item_id: str, site_name: str, x1: int, y1: int) -> None:
        kw, racks, updates = self.change(w, kind, item_id, site_name, x1, y1)
        self.it[site_name] += kw
        self.rack_count[site_name] += racks
        for table, key, delta in updates:
            getattr(self, table)[key] += delta
        self.pools[(w.name, item_id, site_name)] = [x1, y1]

    def most_that_fit(self, w, kind: str, item_id: str, site_name: str, extra: int) -> int:
        """The largest n ≤ extra such that adding n active units (and their spares) fits the site."""
        item = item_of(self.catalog, kind, item_id)
        x0 = self.pools.get((w.name, item_id, site_name), (0, 0))[0]

        def ok(n: int) -> bool:
            x1 = x0 + n
            kw, racks, _ = self.change(w, kind, item_id, site_name, x1, spares_for(w, item, x1, self.mttr))
            return self.fits(site_name, kw, racks)

        if ok(extra):
            return extra
        if extra > 1 and not ok(1):
            return 0  # not one more unit fits (a full site): no search (the common case once cheap sites fill)
        low, high = 0, extra  # ok(low) holds (no change), ok(high) does not
        while high - low > 1:
            mid = (low + high) // 2
            low, high = (mid, high) if ok(mid) else (low, mid)
        return low


GREEDY_RETRIES = 3
"""Placements tried when one leaves workloads unplaced, each with those put first (see greedy_plan)."""


def greedy_plan(scenario, catalog, requirements, between=None) -> GreedyResult:
    """Place every workload greedily (module docstring); never raises on a scenario that does not fit.
    `between()`, when given, is called before each workload is placed (the time limit's check).

    The order is fixed (training runs, then the workloads with the fewest sites, the largest first), so
    cheap sites fill up with whatever comes early; a workload pinned to a full site (data residency) or one
    that must survive the loss of a site may then find no room. When workloads are left unplaced, the
    placement is tried again with them, and those of every earlier try, first (at most GREEDY_RETRIES
    times): the first complete placement is kept, else the last."""
    workloads = {w.name: w for w in scenario.workloads}
    scores = _Scores(scenario, catalog)
    plans = []
    for w in scenario.workloads:
        req = requirements[w.name]
        options = _options(scenario, catalog, w, req, scores)
        size = options[0][3] if options else 0.0
        allowed = len(w.sites) if w.sites is not None else len(scenario.sites)
        plans.append((0 if req.kind == "training" else 1, allowed, -size, w.name, options))
    # storage colocated with a training run is placed right after the run, before the site fills up
    first = {p[3]: p[:3] for p in plans}
    plans = [(*first.get(getattr(workloads[p[3]], "colocate_with", None), p[:3]), *p[3:]) for p in plans]
    # a run's colocated storage (name -> its workload, requirement and options), checked with the run
    beside = {workloads[p[3]].colocate_with: (workloads[p[3]], requirements[p[3]], p[4]) for p in plans
              if getattr(workloads[p[3]], "colocate_with", None) in workloads}
    promoted: set[str] = set()
    for _ in range(1 + GREEDY_RETRIES):
        def rank(plan):
            name = plan[3]
            ahead = name in promoted or getattr(workloads[name], "colocate_with", None) in promoted
            return (not ahead, *plan[:4])

        result = _place_all(scenario, catalog, requirements, workloads, sorted(plans, key=rank), beside, between)
        if result.complete:
            return result
        promoted |= set(result.unplaced)
    return result


def _place_all(scenario, catalog, requirements, workloads, plans, beside, between) -> GreedyResult:
    """One placement of every workload in the order of `plans` on empty sites."""
    ledger = _Ledger(scenario, catalog)
    unplaced = []
    for *_, name, options in plans:
        if between is not None:
            between()
        w, req = workloads[name], requirements[name]
        if getattr(w, "colocate_with", None) is not None:
            req, options = _follow_cluster(ledger, w, req, options, requirements)
        placed = (_place_training(ledger, w, req, options, beside.get(name)) if req.kind == "training"
                  else _place_service(ledger, scenario, w, req, options))
        if not placed:
            unplaced.append(name)
    pools = [GreedyPool(w, item, site, x, y) for (w, item, site), (x, y) in ledger.pools.items() if x or y]
    return GreedyResult(pools, complete=not unplaced, unplaced=sorted(unplaced))


def _follow_cluster(ledger, w, req, options, requirements):
    """Storage colocated with a training run goes where the run's cluster went, with the throughput that
    cluster needs if dcplan derived it from the run (dcplan/model/colocation.py)."""
    placed = [(item, site) for (name, item, site), (x, _) in ledger.pools.items() if name == w.colocate_with and x]
    if not placed:
        return req, []
    item, site = placed[0]
    cluster = next(c for c in requirements[w.colocate_with].candidates if c.item == item)
    need = cluster.detail.get("storage_throughput_GBps", 0.0)
    if need > 0 and w.name == f"{w.colocate_with}.storage":
        req = replace(req, demand={**req.demand, "throughput_GBps": need})
    return req, [o for o in options if o[2] == site]


class _Scores:
    """What `_options` asks again for every workload, kept for one greedy run: per item its cheapest way
    of owning a unit (None: no price, no lease), per item and site whether the site refuses it, the
    score of a spare (idle, so the same for every workload) and of an active unit (affine in its load)."""

    def __init__(self, scenario, catalog):
        self.scenario, self.catalog = scenario, catalog
        self._owning: dict[str, float | None] = {}
        self._refused: dict[tuple[str, str], bool] = {}
        self._spare: dict[tuple[str, str], float] = {}
        self._active: dict[tuple[str, str], tuple[float, float]] = {}

    def owning(self, item_id: str, item) -> float | None:
        if item_id not in self._owning:
            ways = owning_cost(self.scenario, item)
            self._owning[item_id] = min(ways) if ways else None
        return self._owning[item_id]

    def refused(self, site, item_id: str, item) -> bool:
        key = (item_id, site.name)
        if key not in self._refused:
            self._refused[key] = placement_refusal(site, item) is not None
        return self._refused[key]

    def active(self, site, item_id: str, item, load: float) -> float:
        """unit_score of an active unit: affine in the load (energy, carbon and electricity grow with it,
        nothing else does), so two evaluations per item and site serve every workload."""
        key = (item_id, site.name)
        if key not in self._active:
            owning = self.owning(item_id, item)
            idle = unit_score(self.scenario, item, 0.0, site, owning=owning)
            self._active[key] = (idle, unit_score(self.scenario, item, 1.0, site, owning=owning) - idle)
        idle, per_load = self._active[key]
        return idle + load * per_load

    def spare(self, site, item_id: str, item) -> float:
        key = (item_id, site.name)
        if key not in self._spare:
            self._spare[key] = unit_score(self.scenario, item, 0.0, site, spare=True,
                                          owning=self.owning(item_id, item))
        return self._spare[key]


def _units_alone(req, cand) -> int | None:
    """Units of `cand` that alone meet every dimension of the demand (at least its minimum and one);
    None if it supplies nothing of some dimension asked for."""
    counts = [math.ceil(req.demand[d] * (1 - DEMAND_TOLERANCE) / cand.per_unit[d] - _EPS)
              if cand.per_unit.get(d, 0) > 0 else None for d in req.demand if req.demand[d] > 0]
    return None if None in counts else max(counts + [req.min_units, 1])


def _options(scenario, catalog, w, req, scores: _Scores | None = None) -> list[tuple]:
    """(cost, candidate, site, IT kW of the option alone) for each priced candidate at each allowed site."""
    scores = scores or _Scores(scenario, catalog)
    out = []
    mttr = scenario.policies.redundancy.mttr
    sites = [site for site in scenario.sites if w.sites is None or site.name in w.sites]
    for cand in req.candidates:
        item = item_of(catalog, req.kind, cand.item)
        owning = scores.owning(cand.item, item)
        if owning is None:
            continue
        if req.kind == "training":
            n = cand.fixed_count
        else:
            n = _units_alone(req, cand)
        k = 0 if n is None else spares_for(w, item, n, mttr)
        for site in sites:
            if scores.refused(site, cand.item, item):
                continue
            if n is None:  # cannot meet every dimension alone: used last, for what it can add
                out.append((math.inf, cand, site.name, 0.0))
                continue
            cost = n * scores.active(site, cand.item, item, cand.load) + k * scores.spare(site, cand.item, item)
            out.append((cost, cand, site.name, n * item.power))
    out.sort(key=lambda o: (o[0], o[2], o[1].item))
    return out


def _place_training(ledger: _Ledger, w, req, options, storage=None) -> bool:
    """The run's cluster at the first option whose site holds it. With `storage` (the workload,
    requirement and options of the storage colocated with the run), a site that could not also hold
    the least of that storage is passed over while another site can hold both: otherwise a small run
    would take the last room of a site and leave its checkpoints nowhere to go."""
    for with_storage in ((True, False) if storage is not None else (False,)):
        for _, cand, site, _ in options:
            item = item_of(ledger.catalog, "training", cand.item)
            n = cand.fixed_count
            k = spares_for(w, item, n, ledger.mttr)
            kw, racks, _ = ledger.change(w, "training", cand.item, site, n, k)
            if with_storage and not _storage_fits_beside(ledger, storage, site, kw, racks):
                continue
            if ledger.fits(site, kw, racks):
                ledger.apply(w, "training", cand.item, site, n, k)
                return True
    return False


def _storage_fits_beside(ledger: _Ledger, storage, site: str, kw: float, racks: int) -> bool:
    """Whether some storage option at `site` meets the storage's capacity alone (its least nodes, at least
    one erasure set) within the room left after adding `kw` and `racks`."""
    w, req, options = storage
    for _, cand, option_site, _ in options:
        if option_site != site:
            continue
        n = _units_alone(req, cand)
        if n is None:
            continue
        item = item_of(ledger.catalog, req.kind, cand.item)
        more_kw, more_racks, _ = ledger.change(w, req.kind, cand.item, site, n, spares_for(w, item, n, ledger.mttr))
        if ledger.fits(site, kw + more_kw, racks + more_racks):
            return True
    return False


def _place_service(ledger: _Ledger, scenario, w, req, options) -> bool:
    demand = {d: a * (1 - DEMAND_TOLERANCE) for d, a in req.demand.items() if a > 0}
    supply = defaultdict(lambda: defaultdict(float))  # site -> dimension -> supplied
    nodes = defaultdict(int)  # site -> units of this workload (storage erasure sets)
    sites = [s.name for s in scenario.sites if w.sites is None or s.name in w.sites]
    if not getattr(w, "survive_site_failure", False):
        return _fill(ledger, w, req, options, demand, supply, nodes, down=None)
    spread = len(sites) - 1
    if spread >= 1:  # m sites holding demand / (m − 1) each survive the loss of any one
        cap = {d: a / spread for d, a in demand.items()}
        spread_out = {d: a * len(sites) / spread for d, a in demand.items()}
        _fill(ledger, w, req, options, spread_out, supply, nodes, down=None, cap=cap)
    ok = True
    for down in [s.name for s in scenario.sites]:
        ok = _fill(ledger, w, req, options, demand, supply, nodes, down=down) and ok
    return ok


def _fill(ledger, w, req, options, demand, supply, nodes, down, cap=None) -> bool:
    """Add units, options in cost order, until sites other than `down` supply `demand` (each site ≤ cap)."""
    def remaining() -> dict:
        return {d: a - sum(supply[k][d] for k in supply if k != down) for d, a in demand.items()}

    for _, cand, site, _ in options:
        if site == down:
            continue
        left = remaining()
        if cap is not None:
            left = {d: min(v, cap[d] - supply[site][d]) for d, v in left.items()}
        needed = [math.ceil(v / cand.per_unit[d] - _EPS) for d, v in left.items()
                  if v > 0 and cand.per_unit.get(d, 0) > 0]
        if not needed or max(needed) <= 0:
            if all(v <= 0 for v in remaining().values()):
                break
            continue
        n = max(needed)
        first_set = req.kind == "storage" and nodes[site] == 0 and req.min_units > 0
        if first_set:
            n = max(n, req.min_units)
        x0 = ledger.pools.get((w.name, cand.item, site), (0, 0))[0]
        whole = cand.units_per_replica  # replicas spanning servers are bought whole
        n = min(-(-n // whole) * whole, -(-pool_bound(req, cand) // whole) * whole - x0)
        n = ledger.most_that_fit(w, req.kind, cand.item, site, n) if n > 0 else 0
        n -= n % whole
        if n <= 0 or (first_set and n < req.min_units):
            continue
        item = item_of(ledger.catalog, req.kind, cand.item)
        ledger.apply(w, req.kind, cand.item, site, x0 + n, spares_for(w, item, x0 + n, ledger.mttr))
        nodes[site] += n
        for d, per in cand.per_unit.items():
            supply[site][d] += per * n
    return all(v <= 1e-9 * max(1.0, demand[d]) for d, v in remaining().items())


# --------------------------------------------------------------------------- evaluation
