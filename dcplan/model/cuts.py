"""Valid inequalities: cuts every integer plan satisfies, added because the LP relaxation misses them."""

from __future__ import annotations

import math

from dcplan.model.built import BuiltModel, Pool, pools_of
from dcplan.model.linear import Owner, RowBatch, total
from dcplan.rules import DEMAND_TOLERANCE, item_of, pool_bound
from dcplan.sizing import spares as spares_math
from dcplan.sizing import Requirement


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
    scenario = built.scenario
    mttr = scenario.policies.redundancy.mttr
    rows = RowBatch()
    for index, workload in enumerate(scenario.workloads):
        built.tick(index)
        req = built.requirements[workload.name]
        pools = pools_of(built, workload.name)
        if not pools or req.kind == "training":
            continue
        survive = getattr(workload, "survive_site_failure", False)
        origin = f"workloads[{built.workload(workload.name)[0]}]"
        _add_rounding_cuts(built, rows, workload.name, req, pools, origin)
        if req.kind == "storage" and req.min_units > 0:
            rows.add(f"cut.erasure_set[workload={workload.name}]", "cuts", [p.unit[0] for p in pools],
                     [p.unit[1] for p in pools], lo=float(req.min_units * (2 if survive else 1)), origin=origin,
                     owner=Owner(workload.name))
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
            rows.expr(f"cut.spares[workload={workload.name}]", "cuts", total(p.spares for p in pools), lo=float(least),
                      origin=origin + ".availability", owner=Owner(workload.name))
    built.lm.add_batch(rows)



ROUNDING_CUTS_PER_DEMAND = 3


def _add_rounding_cuts(built: BuiltModel, rows: RowBatch, name: str, req: Requirement, pools: list[Pool],
                       origin: str) -> None:
    """Chvátal-Gomory cuts of each demand row, scaled by a candidate j's supply a_j:

        Σ_c ⌈a_c / a_j⌉ · x_c ≥ ⌈D / a_j⌉

    valid because x is integer and non-negative. When a plan uses mostly
    candidate j, the LP must buy ⌈D/a_j⌉ of it, as the integer plan does,
    instead of D/a_j. Added for the few candidates with the lowest price per
    unit of supply, where the LP optimum tends to sit.
    """
    variables, units = [p.unit[0] for p in pools], [p.unit[1] for p in pools]
    for dim, amount in req.demand.items():
        need = amount * (1 - DEMAND_TOLERANCE)
        supplies = {p.candidate.item: p.candidate.per_unit.get(dim, 0.0) for p in pools}
        ranked = sorted((c for c in supplies if supplies[c] > 0),
                        key=lambda c: (item_of(built.catalog, req.kind, c).price or 0.0) / min(supplies[c], need))
        clipped = [min(p.candidate.per_unit.get(dim, 0.0), need) for p in pools]
        for j in ranked[:ROUNDING_CUTS_PER_DEMAND]:
            a_j = supplies[j]
            if a_j >= need:
                continue  # ⌈D/a_j⌉ = 1: the clipped demand row already says it
            rhs = math.ceil(need / a_j - 1e-9)
            rows.add(f"cut.rounding[workload={name},need={dim},by={j}]", "cuts", variables,
                     [math.ceil(a / a_j - 1e-9) * k for a, k in zip(clipped, units)],
                     lo=float(rhs), origin=origin, owner=Owner(name))
