"""Exact reductions of the candidate sets before the model is built.

A candidate B of a workload is *dominated* by another candidate A when
replacing every unit of B by a unit of A (service) — or B's cluster by A's
(training) — keeps every requirement met and uses no more of anything the
model counts: price, power, idle power, rack space at every site, network
ports and port speed, and spares; A's replicas divide B's (a model served over
k servers is bought k at a time); and A can stand at every site B can (cooling, a
rack-scale system's power), taking no more rack space there. Then some optimal plan never buys B for that
workload, and dropping B loses no optimum while the model shrinks. Ties keep
the candidate with the smaller id.

Generic `constraints` can count anything (a price floor, an attribute), so
when a scenario has any, nothing is pruned.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from dcplan.rules import idle_kw, placement_refusal, rack_share
from dcplan.sizing import spares as spares_math
from dcplan.scenario.catalog import Catalog
from dcplan.scenario.schema import Scenario
from dcplan.sizing import Candidate, Requirement


def _nics_no_worse(a, b) -> bool:
    """A's ports cost no more network than B's: fewer or equal ports, at no higher speed."""
    if a.nics is None or a.nics.count == 0:
        return True
    if b.nics is None or b.nics.count == 0:
        return False
    return a.nics.count <= b.nics.count and a.nics.speed <= b.nics.speed


def _racks(scenario: Scenario, item, units: int) -> list[float]:

    return [math.ceil(units * rack_share(site, item) - 1e-9) for site in scenario.sites]


def _service_dominates(a_item, a: Candidate, b_item, b: Candidate, demand: dict, items_no_worse=None) -> bool:
    """`items_no_worse`, when given, is `_unit_no_worse(a_item, b_item)` already known."""
    # A's units come in whole replicas of k_a servers: they replace B's (bought k_b at a time) unit for unit
    # only when k_a divides k_b; a pair of servers does not stand in for one.
    if b.units_per_replica % a.units_per_replica:
        return False
    if not (_unit_no_worse(a_item, b_item) if items_no_worse is None else items_no_worse):
        return False
    # every dimension a unit supplies, also those only coupled rows ask for (a training run's storage)
    return not any(a.per_unit.get(d, 0.0) < b.per_unit.get(d, 0.0)
                   for d in set(demand) | set(a.per_unit) | set(b.per_unit))


def _unit_no_worse(a_item, b_item) -> bool:
    """A unit of A costs no more than one of B in anything the model counts for it."""
    return (a_item.price <= b_item.price and a_item.power <= b_item.power and idle_kw(a_item) <= idle_kw(b_item)
            and a_item.rack_units <= b_item.rack_units and a_item.failure_rate <= b_item.failure_rate
            and _nics_no_worse(a_item, b_item))


class _PairMemo:
    """A function of two catalog items, remembered by their ids for one pruning pass."""

    def __init__(self, function):
        self.function, self.known = function, {}

    def __call__(self, a_id: str, a_item, b_id: str, b_item) -> bool:
        key = (a_id, b_id)
        if key not in self.known:
            self.known[key] = self.function(a_item, b_item)
        return self.known[key]


def _stands_wherever(scenario: Scenario, a_item, b_item) -> bool:
    """A can be placed at every site B can (cooling, rack-scale power), in no more rack space there."""
    for site in scenario.sites:
        if placement_refusal(site, b_item) is None and (
                placement_refusal(site, a_item) is not None or rack_share(site, a_item) > rack_share(site, b_item)):
            return False
    return True


def _training_dominates(scenario: Scenario, workload, a_item, a: Candidate, b_item, b: Candidate, racks) -> bool:
    """`racks(item, units)` is `_racks(scenario, item, units)`, remembered by the pruning pass."""
    na, nb = a.fixed_count, b.fixed_count
    if not (na * a_item.price <= nb * b_item.price and na * a_item.power <= nb * b_item.power
            and na * idle_kw(a_item) <= nb * idle_kw(b_item)):
        return False
    if any(ra > rb for ra, rb in zip(racks(a_item, na), racks(b_item, nb))):
        return False
    ports_a = na * (a_item.nics.count if a_item.nics else 0)
    ports_b = nb * (b_item.nics.count if b_item.nics else 0)
    if ports_a > ports_b or (ports_a and (not b_item.nics or a_item.nics.speed > b_item.nics.speed)):
        return False
    return _training_spares(scenario, workload, a_item, na) <= _training_spares(scenario, workload, b_item, nb)


def _training_spares(scenario: Scenario, workload, item, n: int) -> int:
    if workload.spares is not None:
        return spares_math.explicit_spares(workload.spares, n)
    if workload.availability is not None:
        p = spares_math.unavailability(item.failure_rate, scenario.policies.redundancy.mttr)
        return spares_math.spares_needed(n, p, workload.availability)
    return 0


def _dominated_reason(kind: str, better: str) -> str:
    if kind == "training":
        return (f"dominated by {better}: its cluster costs no more price, power, idle power, racks, ports or "
                "spares")
    return (f"dominated by {better}: supplies at least as much per unit for no more price, power, idle power, "
            "rack space, failure rate or network ports")


def _supply_covers(req: Requirement, candidates: list[Candidate]) -> np.ndarray:
    """covers[a, b]: candidate a supplies per unit at least what b does in every dimension either supplies
    or the workload asks for (a missing one is 0), the necessary first condition of `_service_dominates`."""
    dims = sorted(set(req.demand).union(*(c.per_unit for c in candidates)))
    supply = np.array([[c.per_unit.get(d, 0.0) for d in dims] for c in candidates], dtype=float)
    supply = supply.reshape(len(candidates), len(dims))
    return (supply[:, None, :] >= supply[None, :, :]).all(axis=2)


def prune_dominated(scenario: Scenario, catalog: Catalog, requirements: dict[str, Requirement],
                    between=None) -> tuple[dict[str, Requirement], int]:
    """Requirements without dominated candidates (each listed in `excluded` with the candidate that
    dominates it, so `--verbose` shows why it is gone), and how many candidates were dropped.
    `between()`, when given, is called before each workload (the time limit's check)."""
    if scenario.constraints:
        return requirements, 0
    pruner = _Pruner(scenario, catalog)
    pruned: dict[str, Requirement] = {}
    dropped = 0
    for name, req in requirements.items():
        if between is not None:
            between()
        pruned[name], count = pruner.prune(name, req)
        dropped += count
    return pruned, dropped


class _Pruner:
    """One pruning pass: what depends on two items alone, asked for every workload they both serve, is
    asked once (unit costs, placement, a cluster's racks)."""

    def __init__(self, scenario: Scenario, catalog: Catalog):
        self.scenario, self.catalog = scenario, catalog
        self.workloads = {w.name: w for w in scenario.workloads}
        self.unit_no_worse = _PairMemo(_unit_no_worse)
        self.stands = _PairMemo(lambda a_item, b_item: _stands_wherever(scenario, a_item, b_item))
        self._no_worse: dict[tuple[int, str], frozenset] = {}
        self._racks: dict[tuple[str, int], list[float]] = {}

    def prune(self, name: str, req: Requirement) -> tuple[Requirement, int]:
        """The requirement without its dominated candidates, and how many were dropped."""
        section = self.catalog.storage if req.kind == "storage" else self.catalog.servers
        priced = [c for c in req.candidates if section[c.item].price is not None]
        keep = []
        excluded = dict(req.excluded)
        covers = None if req.kind == "training" else _supply_covers(req, priced)
        for ib, b in enumerate(priced):
            if getattr(section[b.item], "lease", None) is not None:
                keep.append(b)  # leased, it may cost less than its price says
                continue
            better = self._dominated_by(name, req, section, priced, b, None if covers is None else covers[:, ib])
            if better is None:
                keep.append(b)
            else:
                excluded[b.item] = _dominated_reason(req.kind, better)
        unpriced = [c for c in req.candidates if section[c.item].price is None]
        return replace(req, candidates=tuple(keep + unpriced), excluded=excluded), len(priced) - len(keep)

    def _dominated_by(self, name: str, req: Requirement, section, priced: list[Candidate], b: Candidate,
                      covers_b) -> str | None:
        """The first candidate that dominates b (ties: the smaller id wins), or None."""
        b_item = section[b.item]
        if covers_b is None:
            rivals = priced
        else:
            # A service candidate that supplies less of something per unit than B, or whose unit costs more
            # of something, cannot replace B: only the others are tried (W=1000: 420,000 pairs, of which a
            # few thousand pass).
            cheaper = self.no_worse_than(section, b.item)
            rivals = [priced[ia] for ia in np.flatnonzero(covers_b) if priced[ia].item in cheaper]
        for a in rivals:
            if a is b:
                continue
            a_item = section[a.item]
            better = self._dominates(name, req, a_item, a, b_item, b) and self.stands(a.item, a_item, b.item, b_item)
            if not better:
                continue
            worse_back = self._dominates(name, req, b_item, b, a_item, a) and \
                self.stands(b.item, b_item, a.item, a_item)
            if not worse_back or a.item < b.item:  # equal both ways: keep the smaller id only
                return a.item
        return None

    def _dominates(self, name: str, req: Requirement, a_item, a: Candidate, b_item, b: Candidate) -> bool:
        if req.kind == "training":
            return _training_dominates(self.scenario, self.workloads[name], a_item, a, b_item, b, self.cluster_racks)
        return _service_dominates(a_item, a, b_item, b, req.demand, self.unit_no_worse(a.item, a_item, b.item, b_item))

    def no_worse_than(self, section, b_id: str) -> frozenset:
        """The priced items of `section` whose unit costs no more than one of b_id in anything counted."""
        key = (id(section), b_id)
        if key not in self._no_worse:
            b_item = section[b_id]
            self._no_worse[key] = frozenset(a_id for a_id, a_item in section.items() if a_item.price is not None
                                            and self.unit_no_worse(a_id, a_item, b_id, b_item))
        return self._no_worse[key]

    def cluster_racks(self, item, units: int) -> list[float]:
        if (item.id, units) not in self._racks:
            self._racks[item.id, units] = _racks(self.scenario, item, units)
        return self._racks[item.id, units]
