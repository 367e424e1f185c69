"""Exact reductions of a build-out's candidate sets: an item dropped from every period at once.

In a build-out a unit bought in period q serves any workload in any period while it lives, so the
single purchase's rule (dcplan/sizing/pruning.py: drop B for workload w when A supplies at least as
much for no more of anything) is not enough: a B bought for workload v might later serve w for free.
An item B is dropped only from *every* workload and period at once, and only when one item A
dominates it everywhere B could be used:

* for every period p and every service workload w that could use B in p, A is a candidate of w in p
  and dominates B there as in a single purchase (supply per unit, price, power, idle power, rack
  space, failure rate, network ports; A stands at every site B can, period p's sites);
* A can be bought in every period B can, at no higher price in that period
  (price × (1 + price_change)^years), and lives at least as long (lifetime);
* B is not installed anywhere (owned units cost nothing), has no lease offer, and serves no training
  run (a cluster of A has another unit count, so units could not be swapped one for one).

Then any plan is mapped to one without B, at no higher cost and within every limit, by buying an A
wherever and whenever a B was bought: every B unit is used as the A unit that replaces it, by the
same workloads in the same periods. Ties (A and B dominate each other) keep the smaller id. As in a
single purchase, nothing is pruned when the scenario has generic `constraints`.
"""

from __future__ import annotations

from dataclasses import replace

from dcplan.rules import on_market, price_after
from dcplan.scenario.catalog import Catalog
from dcplan.scenario.schema import Scenario
from dcplan.sizing import Requirement
from dcplan.sizing.pruning import _service_dominates, _stands_wherever


def prune_buildout(scenario: Scenario, views: list[Scenario], catalog: Catalog,
                   requirements: list[dict[str, Requirement]]) -> tuple[list[dict[str, Requirement]], int]:
    """`requirements[p]` (sized for `views[p]`, the scenario as it stands in period p) without the items
    some other item dominates in every period; and how many items were dropped."""
    if scenario.constraints:
        return requirements, 0
    users = _users(requirements)
    installed = {entry.item for entry in scenario.installed}
    dropped: dict[str, str] = {}
    for b_id in sorted(users):
        b_item = _section(catalog, users[b_id][0][2])[b_id]
        if b_id in installed or b_item.price is None or getattr(b_item, "lease", None) is not None \
                or any(req.kind == "training" for _, _, req, _ in users[b_id]):
            continue
        for a_id in sorted(users):
            if a_id != b_id and _dominates_everywhere(scenario, views, catalog, users, a_id, b_id) and not (
                    a_id > b_id and _dominates_everywhere(scenario, views, catalog, users, b_id, a_id)):
                dropped[b_id] = a_id
                break
    if not dropped:
        return requirements, 0
    return [{name: _without(req, dropped) for name, req in period.items()} for period in requirements], len(dropped)


def _users(requirements: list[dict[str, Requirement]]) -> dict[str, list[tuple]]:
    """item → [(period, workload, requirement, candidate)] wherever the item is a candidate."""
    users: dict[str, list[tuple]] = {}
    for p, period in enumerate(requirements):
        for name, req in period.items():
            for cand in req.candidates:
                users.setdefault(cand.item, []).append((p, name, req, cand))
    return users


def _section(catalog: Catalog, req: Requirement) -> dict:
    return catalog.storage if req.kind == "storage" else catalog.servers


def _dominates_everywhere(scenario: Scenario, views: list[Scenario], catalog: Catalog, users: dict,
                          a_id: str, b_id: str) -> bool:
    """A can take the place of every unit of B, in every period and for every workload B could serve."""
    for p, _name, req, b in users[b_id]:
        section = _section(catalog, req)
        a = next((c for c in req.candidates if c.item == a_id), None)
        if a is None or a_id not in section:
            return False
        a_item, b_item = section[a_id], section[b_id]
        if a_item.price is None or getattr(a_item, "lease", None) is not None:
            return False
        if not (_service_dominates(a_item, a, b_item, b, req.demand) and _stands_wherever(views[p], a_item, b_item)):
            return False
    a_item, b_item = _section(catalog, users[b_id][0][2])[a_id], _section(catalog, users[b_id][0][2])[b_id]
    return a_item.lifetime >= b_item.lifetime and _bought_as_cheaply(scenario, a_item, b_item)


def _bought_as_cheaply(scenario: Scenario, a_item, b_item) -> bool:
    """In every period B can be bought in, A can be too, at no higher price."""
    periods = scenario.periods
    if periods is None:
        return True
    for q in range(periods.count):
        year, years = periods.start + periods.years_from_start(q), periods.years_from_start(q)
        if not on_market(b_item, year):
            continue
        if not on_market(a_item, year) or price_after(a_item, years) > price_after(b_item, years):
            return False
    return True


def _without(req: Requirement, dropped: dict[str, str]) -> Requirement:
    if not any(c.item in dropped for c in req.candidates):
        return req
    excluded = dict(req.excluded)
    for cand in req.candidates:
        if cand.item in dropped:
            excluded[cand.item] = (f"dominated by {dropped[cand.item]} in every period: it supplies at least as "
                                   "much per unit for no more price (in any period), power, rack space, failure "
                                   "rate or network ports, and lives as long")
    return replace(req, candidates=tuple(c for c in req.candidates if c.item not in dropped), excluded=excluded)
