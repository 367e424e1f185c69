"""Spare units per pool: explicit rules or the binomial availability rule."""

from __future__ import annotations

from dataclasses import replace

from dcplan.model.built import BuiltModel
from dcplan.model.linear import total
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
    for pool in built.pools:
        w_index, workload = built.workload(pool.workload)
        if workload.spares is None and workload.availability is None:
            continue
        item = item_of(built.catalog, pool.kind, pool.item)
        p = spares_math.unavailability(item.failure_rate, mttr)
        key = f"workload={pool.workload},item={pool.item},site={pool.site}"
        owner = pool.owner
        origin = f"workloads[{w_index}]"
        if pool.kind == "training":
            n = pool.candidate.fixed_count
            k = (spares_math.explicit_spares(workload.spares, n) if workload.spares is not None
                 else spares_math.spares_needed(n, p, workload.availability))
            pool.spares = pool.choice * k + pool.spares  # plus any top-up for generic minimums
            continue
        bound = pool.bound
        spare = lm.var(f"y[{key}]", owner=owner)
        pool.spares = spare
        if workload.spares is not None:
            kind, amount = spares_math.explicit_rule(workload.spares)
            if kind == "percent":
                lm.ge(f"spares.percent[{key}]", "spares", spare, pool.active * amount, origin=origin + ".spares",
                      owner=owner)
            elif amount > 0:
                used = lm.var(f"e[{key}]", ub=1, owner=owner)
                lm.le(f"spares.pool_used[{key}]", "spares", pool.active, used * bound, origin=origin + ".spares",
                      owner=owner)
                lm.ge(f"spares.fixed[{key}]", "spares", spare, used * amount, origin=origin + ".spares", owner=owner)
            continue
        if spares_math.spares_needed(bound, p, workload.availability) > spares_math.MAX_EXACT_STEPS:
            # Very large pools: a line above the step function instead of one binary per spare.
            slope, intercept = spares_math.envelope(bound, p, workload.availability)
            used = lm.var(f"e[{key}]", ub=1, owner=owner)
            lm.le(f"spares.pool_used[{key}]", "spares", pool.active, used * bound, origin=origin + ".availability",
                  owner=owner)
            lm.ge(f"spares.envelope[{key}]", "spares", spare, pool.active * slope + used * intercept,
                  origin=origin + ".availability", owner=owner)
            continue
        previous = None
        steps = []
        for j, n_j in enumerate(spares_math.breakpoints(bound, p, workload.availability), start=1):
            step = lm.var(f"b[{key},j={j}]", ub=1, owner=replace(owner, detail=(("j", j),)))
            lm.le(f"spares.step[{key},j={j}]", "spares", pool.active, step * (bound - n_j + 1) + (n_j - 1),
                  origin=origin + ".availability", owner=owner)
            if previous is not None:
                lm.le(f"spares.order[{key},j={j}]", "spares", step, previous, owner=owner)
            previous = step
            steps.append(step)
        if steps:
            lm.ge(f"spares.availability[{key}]", "spares", spare, total(steps), origin=origin + ".availability",
                  owner=owner)
        else:
            lm.variables[next(iter(spare.terms))].ub = 0  # no breakpoint: no spare ever needed
