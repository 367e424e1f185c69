"""Spare units per pool: explicit rules or the binomial availability rule."""

from __future__ import annotations

from dcplan.model.built import BuiltModel, pools_of
from dcplan.model.linear import Expr, RowBatch, VarBatch
from dcplan.rules import item_of
from dcplan.sizing import spares as spares_math


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
    new, rows = VarBatch(lm), RowBatch()
    zero_ub = []  # spare variables of pools that never need a spare
    down_share: dict[tuple[str, str], float] = {}  # (kind, item) -> share of time a unit is down
    # Only the pools of workloads with a spares rule or an availability target get spares, taken workload by
    # workload (W=1000 × 60 × 4: 16,000 of 52,000 pools); spare variables come in the order of the pools.
    for w_index, workload in enumerate(scenario.workloads):
        built.tick(w_index, every=25)
        if workload.spares is None and workload.availability is None:
            continue
        origin = f"workloads[{w_index}]"
        for pool in pools_of(built, workload.name):
            key = (pool.kind, pool.item)
            if key not in down_share:
                down_share[key] = spares_math.unavailability(item_of(built.catalog, *key).failure_rate, mttr)
            p = down_share[key]
            if pool.kind == "training":
                n = pool.candidate.fixed_count
                k = (spares_math.explicit_spares(workload.spares, n) if workload.spares is not None
                     else spares_math.spares_needed(n, p, workload.availability))
                pool.spares = pool.choice * k + pool.spares  # plus any top-up for generic minimums
                continue
            key = f"workload={pool.workload},item={pool.item},site={pool.site}"
            spare = new.add(f"y[{key}]", owner=pool.owner)
            pool.spares = Expr({spare: 1.0})
            active = pool.unit  # (x, 1), or (replicas, k) for a replica of k servers
            if workload.spares is not None:
                _explicit(new, rows, pool, workload.spares, key, spare, active, origin + ".spares")
            elif not _availability(new, rows, pool, p, workload.availability, key, spare, active,
                                   origin + ".availability"):
                zero_ub.append(spare)
    new.commit()
    for index in zero_ub:
        lm.variables[index].ub = 0
    lm.add_batch(rows)


def _explicit(new: VarBatch, rows: RowBatch, pool, rule, key: str, spare: int, active: tuple[int, float],
              origin: str) -> None:
    """N+k: x ≤ U·e, y ≥ k·e (a pool in use gets k spares); p%: y ≥ p·x."""
    kind, amount = spares_math.explicit_rule(rule)
    if kind == "percent":
        rows.add(f"spares.percent[{key}]", "spares", [spare, active[0]], [1.0, -amount * active[1]], lo=0.0,
                 origin=origin, owner=pool.owner)
    elif amount > 0:
        used = new.add(f"e[{key}]", ub=1, owner=pool.owner)
        rows.add(f"spares.pool_used[{key}]", "spares", [active[0], used], [active[1], -float(pool.bound)], hi=0.0,
                 origin=origin, owner=pool.owner)
        rows.add(f"spares.fixed[{key}]", "spares", [spare, used], [1.0, -float(amount)], lo=0.0, origin=origin,
                 owner=pool.owner)


def _availability(new: VarBatch, rows: RowBatch, pool, p: float, availability: float, key: str, spare: int,
                  active: tuple[int, float], origin: str) -> bool:
    """The binomial step function y ≥ k(x), one binary per step (or the envelope for very large pools).
    False when the pool never needs a spare."""
    bound, owner = pool.bound, pool.owner
    if spares_math.spares_needed(bound, p, availability) > spares_math.MAX_EXACT_STEPS:
        # Very large pools: a line above the step function instead of one binary per spare.
        slope, intercept = spares_math.envelope(bound, p, availability)
        used = new.add(f"e[{key}]", ub=1, owner=owner)
        rows.add(f"spares.pool_used[{key}]", "spares", [active[0], used], [active[1], -float(bound)], hi=0.0,
                 origin=origin, owner=owner)
        rows.add(f"spares.envelope[{key}]", "spares", [spare, active[0], used],
                 [1.0, -slope * active[1], -intercept], lo=0.0, origin=origin, owner=owner)
        return True
    steps = []
    for j, n_j in enumerate(spares_math.breakpoints(bound, p, availability), start=1):
        step = new.add(f"b[{key},j={j}]", ub=1, owner=owner.with_detail((("j", j),)))
        # x ≤ (N_j − 1) + (U − N_j + 1)·b_j
        rows.add(f"spares.step[{key},j={j}]", "spares", [active[0], step], [active[1], -float(bound - n_j + 1)],
                 hi=float(n_j - 1), origin=origin, owner=owner)
        if steps:
            rows.add(f"spares.order[{key},j={j}]", "spares", [step, steps[-1]], [1.0, -1.0], hi=0.0, owner=owner)
        steps.append(step)
    if not steps:
        return False
    rows.add(f"spares.availability[{key}]", "spares", [spare, *steps], [1.0] + [-1.0] * len(steps), lo=0.0,
             origin=origin, owner=owner)
    return True
