"""What one unit costs the objective and what a fabric needs, by the model's rules: the greedy planner
(dcplan/solve/greedy.py) ranks its options with these, and its evaluation (greedy_values.py) prices the
network and ownership it places the same way."""

from __future__ import annotations

import math
from functools import lru_cache

from dcplan.rules import (HOURS_PER_YEAR, colocation_per_kw_year, idle_kw, lease_factor, leaf_split,
                          pays_electricity, serves_fabric)
from dcplan.sizing import spares as spares_math

_EPS = 1e-9


@lru_cache(maxsize=65536)
def _binomial_spares(n: int, p: float, availability: float) -> int:
    return spares_math.spares_needed(n, p, availability)


def spares_for(workload, item, units: int, mttr: float) -> int:
    """Spares of a pool of `units` active servers, by the model's rules."""
    if units <= 0:
        return 0
    if workload.spares is not None:
        return spares_math.explicit_spares(workload.spares, units)
    if workload.availability is not None:
        return _binomial_spares(units, spares_math.unavailability(item.failure_rate, mttr), workload.availability)
    return 0


def fabric_counts(ports: float, switch, oversubscription: float) -> tuple[int, int, int, int]:
    """(leaves, uplinks, spines, optics) serving `ports` server links: the least counts (plan.tidy's rule)."""
    if ports <= 0:
        return 0, 0, 0, 0
    down, up = leaf_split(switch.ports, oversubscription)
    uplinks = math.ceil(ports / oversubscription - _EPS)
    leaves = max(math.ceil(ports / down - _EPS), math.ceil(uplinks / up - _EPS) if up else 0)
    spines = math.ceil(uplinks / switch.ports - _EPS)
    return leaves, uplinks, spines, int(round(2 * ports + 2 * uplinks))


def switch_for(scenario, catalog, speed: float, oversubscription: float, kind: str, allowed=None) -> str | None:
    """The switch type cheapest per server port among priced ones at least as fast as `speed` that can
    serve a fabric of `kind` (backend or frontend); the one `policies.network.switch` names if it can."""
    fitting = [s_id for s_id, sw in sorted(catalog.switches.items())
               if sw.price is not None and sw.port_speed >= speed and serves_fabric(sw, kind)
               and (allowed is None or s_id in allowed)]
    wanted = scenario.policies.network.switch
    best, best_cost = None, math.inf
    for s_id in ([wanted] if wanted in fitting else fitting):
        sw = catalog.switches[s_id]
        down, _ = leaf_split(sw.ports, oversubscription)
        cost = sw.price * (1 / down + 1 / (oversubscription * sw.ports)) + sw.optic_price * 2 * (
            1 + 1 / oversubscription)
        if cost < best_cost:
            best, best_cost = s_id, cost
    return best


def unit_score(scenario, item, load: float, site, spare: bool = False, owning: float | None = None) -> float:
    """One unit's contribution to the objective (add_metrics), active at `load` or a spare at idle: its
    energy (or colocation rent) and share of blocks built, plus owning it, bought or leased, whichever
    costs the objective less (`owning`, when the caller has it already)."""
    idle = idle_kw(item)
    kw = idle if spare else idle + load * (item.power - idle)
    energy = kw * HOURS_PER_YEAR * site.pue / 1000.0  # MWh per year
    building = 0.0 if site.build is None else (idle if spare else item.power) * site.pue * \
        site.build.cost_per_mw / 1000.0  # its share of the blocks built for it
    metrics = {"capex": building, "energy": energy, "carbon": energy * site.carbon_intensity,
               "power": (idle if spare else item.power) * site.pue}
    if site.colocation is None:
        opex = energy * 1000.0 * site.electricity_price if pays_electricity(site) else 0.0
    else:  # rent on the IT power it draws at most (a spare at idle), electricity included
        opex = (idle if spare else item.power) * colocation_per_kw_year(site)
    metrics["tco"] = building + scenario.horizon * opex
    return _weighted(scenario, metrics) + (min(owning_cost(scenario, item)) if owning is None else owning)


def owning_cost(scenario, item) -> tuple[float, ...]:
    """What having one unit adds to the objective beyond energy and facility: (bought,) or, for an item
    with a lease offer, (bought, leased); an item with no price can only be leased."""
    maintenance, options = scenario.policies.costs.maintenance, []
    nothing = {"energy": 0.0, "carbon": 0.0, "power": 0.0}
    if item.price is not None:
        options.append(_weighted(scenario, {**nothing, "capex": item.price,
                                            "tco": item.price * (1.0 + scenario.horizon * maintenance)}))
    if getattr(item, "lease", None) is not None:
        options.append(_weighted(scenario, {**nothing, "capex": 0.0,
                                            "tco": scenario.horizon * lease_factor(item.lease, scenario.horizon)}))
    return tuple(options)


def _weighted(scenario, metrics: dict) -> float:
    objective = scenario.objective
    if isinstance(objective, str):
        return metrics[objective]
    return sum(metrics[name] * weight for name, weight in objective.items())
