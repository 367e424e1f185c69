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


def _service_dominates(a_item, a: Candidate, b_item, b: Candidate, demand: dict) -> bool:
    """A's units replace B's one for one (the pruning pass asks this of all pairs at once,
    `_Pruner._service_beats`; a build-out's pruning asks it pair by pair)."""
    # A's units come in whole replicas of k_a servers: they replace B's (bought k_b at a time) unit for unit
    # only when k_a divides k_b; a pair of servers does not stand in for one.
    if b.units_per_replica % a.units_per_replica:
        return False
    if not _unit_no_worse(a_item, b_item):
        return False
    # every dimension a unit supplies, also those only coupled rows ask for (a training run's storage)
    return not any(a.per_unit.get(d, 0.0) < b.per_unit.get(d, 0.0)
                   for d in set(demand) | set(a.per_unit) | set(b.per_unit))


def _unit_no_worse(a_item, b_item) -> bool:
    """A unit of A costs no more than one of B in anything the model counts for it."""
    return (a_item.price <= b_item.price and a_item.power <= b_item.power and idle_kw(a_item) <= idle_kw(b_item)
            and a_item.rack_units <= b_item.rack_units and a_item.failure_rate <= b_item.failure_rate
            and _nics_no_worse(a_item, b_item))


def _no_more(values) -> np.ndarray:
    """no_more[a, b] = values[a] ≤ values[b]."""
    column = np.asarray(values, dtype=float)
    return column[:, None] <= column[None, :]


def _unit_no_worse_matrix(items: list) -> np.ndarray:
    """no_worse[a, b] = `_unit_no_worse(items[a], items[b])` for every pair, as one boolean matrix."""
    no_more = _no_more  # a short name for the eight comparisons below
    has_nics = np.array([i.nics is not None and i.nics.count > 0 for i in items], dtype=bool)
    count = [i.nics.count if h else 0 for i, h in zip(items, has_nics)]
    speed = [i.nics.speed if h else 0.0 for i, h in zip(items, has_nics)]
    nics = ~has_nics[:, None] | (has_nics[None, :] & no_more(count) & no_more(speed))
    return (no_more([i.price for i in items]) & no_more([i.power for i in items]) & no_more([idle_kw(i) for i in items])
            & no_more([i.rack_units for i in items]) & no_more([i.failure_rate for i in items]) & nics)


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
        self.stands = _PairMemo(lambda a_item, b_item: _stands_wherever(scenario, a_item, b_item))
        self._unit_matrix: dict[int, tuple[np.ndarray, dict[str, int]]] = {}
        self._racks: dict[tuple[str, int], list[float]] = {}

    def prune(self, name: str, req: Requirement) -> tuple[Requirement, int]:
        """The requirement without its dominated candidates, and how many were dropped."""
        section = self.catalog.storage if req.kind == "storage" else self.catalog.servers
        priced = [c for c in req.candidates if section[c.item].price is not None]
        if not priced:
            dominators = []
        elif req.kind == "training":
            dominators = self._first_dominators(self._training_beats(name, section, priced), section, priced)
        else:
            dominators = self._first_dominators(self._service_beats(req, section, priced), section, priced)
        keep = []
        excluded = dict(req.excluded)
        for b, better in zip(priced, dominators):
            if better is None or getattr(section[b.item], "lease", None) is not None:
                keep.append(b)  # a leased item is kept: it may cost less than its price says
            else:
                excluded[b.item] = _dominated_reason(req.kind, better)
        unpriced = [c for c in req.candidates if section[c.item].price is None]
        return replace(req, candidates=tuple(keep + unpriced), excluded=excluded), len(priced) - len(keep)

    def _service_beats(self, req: Requirement, section, priced: list[Candidate]) -> np.ndarray:
        """`_service_dominates` of every pair of candidates, as a matrix (placement is asked later):

            beats[a,b] = supplies_a ≥ supplies_b (every dimension) ∧ unit_a no worse than unit_b
                         ∧ k_a divides k_b"""
        units, position = self.unit_matrix(section)
        at = np.array([position[c.item] for c in priced], dtype=np.int64)
        replicas = np.array([c.units_per_replica for c in priced], dtype=np.int64)
        return _supply_covers(req, priced) & units[np.ix_(at, at)] & (replicas[None, :] % replicas[:, None] == 0)

    def _training_beats(self, name: str, section, priced: list[Candidate]) -> np.ndarray:
        """Training dominance of every pair of clusters, as a matrix: cluster a costs no more price, power,
        idle power, racks at any site, ports (at no higher speed) or spares than cluster b."""
        workload = self.workloads[name]
        items = [section[c.item] for c in priced]
        count = np.array([c.fixed_count for c in priced], dtype=float)
        ports = [c.fixed_count * (i.nics.count if i.nics else 0) for c, i in zip(priced, items)]
        speed = [i.nics.speed if i.nics else math.inf for i in items]  # no NICs: only a cluster without ports beats it
        beats = (_no_more(count * [i.price for i in items]) & _no_more(count * [i.power for i in items])
                 & _no_more(count * [idle_kw(i) for i in items]) & _no_more(ports)
                 & (_no_more(speed) | (np.array(ports) == 0)[:, None])
                 & _no_more([_training_spares(self.scenario, workload, i, c.fixed_count) for c, i in zip(priced, items)]))
        racks = np.array([self.cluster_racks(i, c.fixed_count) for c, i in zip(priced, items)], dtype=float)
        return beats & (racks[:, None, :] <= racks[None, :, :]).all(axis=2)

    def _first_dominators(self, beats: np.ndarray, section, priced: list[Candidate]) -> list[str | None]:
        """For each candidate b, the first candidate a that dominates it (ties: the smaller id wins), or None:

            D[a,b] = beats[a,b] ∧ a stands wherever b does,   D[b,b] = false
            b is dropped for the first a with D[a,b] ∧ (¬D[b,a] ∨ id_a < id_b)

        Placement is asked only where `beats` holds (W=1000: 420,000 pairs, of which a few thousand do)."""
        beats = beats.copy()
        np.fill_diagonal(beats, False)
        for a, b in zip(*np.nonzero(beats)):
            a_id, b_id = priced[a].item, priced[b].item
            beats[a, b] = self.stands(a_id, section[a_id], b_id, section[b_id])
        ids = np.array([c.item for c in priced])
        wins = beats & (~beats.T | (ids[:, None] < ids[None, :]))
        first, any_win = wins.argmax(axis=0), wins.any(axis=0)
        return [priced[first[b]].item if any_win[b] else None for b in range(len(priced))]

    def unit_matrix(self, section) -> tuple[np.ndarray, dict[str, int]]:
        """no_worse[a, b] = `_unit_no_worse(a, b)` over the priced items of `section`, and each id's position."""
        key = id(section)
        if key not in self._unit_matrix:
            ids = [i for i, item in section.items() if item.price is not None]
            self._unit_matrix[key] = (_unit_no_worse_matrix([section[i] for i in ids]),
                                      {i: n for n, i in enumerate(ids)})
        return self._unit_matrix[key]

    def cluster_racks(self, item, units: int) -> list[float]:
        if (item.id, units) not in self._racks:
            self._racks[item.id, units] = _racks(self.scenario, item, units)
        return self._racks[item.id, units]
