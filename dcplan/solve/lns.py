"""Large-neighbourhood search: re-optimise a few workloads at a time around a plan.

When the whole model is too large to improve within the time limit, fix the
pool variables of every workload except a batch at the incumbent's values and
let the engine re-optimise the batch (and all shared racks, switches and site
rows) exactly; keep the result when it is cheaper. Batches cycle through the
workloads until the time is spent. Every sub-problem contains the incumbent,
so the plan never gets worse, and it stays feasible for the full model. The
bound reported is the one the full model's solve proved, never a batch's.
"""

from __future__ import annotations

import time
from dataclasses import replace

from dcplan.solve.blocks import owners
from dcplan.model.linear import Expr, LinearModel, Row


def improve(built, incumbent: list[float], time_budget: float, engine: str = "scip", threads: int = 0,
            batch_size: int = 12, bound: float | None = None, gap: float = 0.0) -> tuple[list[float], int, int]:
    """Return (better or equal values, batches solved, batches that improved the plan).

    Stops early once the plan is within `gap` of `bound` (the full model's proven bound).
    """
    from dcplan.solve.engines import solve

    deadline = time.perf_counter() + time_budget
    model = built.lm
    owned = owners(model)  # each workload's pools, spares, steps, site use, training fabric
    owner = {i: name for name, indices in owned.items() for i in indices}
    names = [w.name for w in built.scenario.workloads if w.name in owned]
    batches = [names[i:i + batch_size] for i in range(0, len(names), batch_size)]
    if len(batches) < 2:
        return incumbent, 0, 0
    best = _rounded(model, incumbent)
    best_cost = model.objective.value(best)
    solved = improved = 0
    overhead = 0.0  # seconds the last batch spent building its sub-problem: keep that in reserve
    for batch in _cycle(batches):
        remaining = deadline - time.perf_counter()
        if remaining < 0.5 + overhead or solved >= 2 * len(batches):
            break
        if bound is not None and best_cost - bound <= gap * abs(best_cost):
            break
        free = set(batch)
        started = time.perf_counter()
        sub, mapping = _neighbourhood(model, best, lambda i: i not in owner or owner[i] in free)
        overhead = time.perf_counter() - started
        remaining = deadline - time.perf_counter()
        if remaining < 0.5:
            break
        limit = min(remaining - overhead, 5.0)
        if limit < 0.5:
            break
        result = solve(sub, engine, time_limit=limit, gap=1e-5, threads=threads, hint=[best[i] for i in mapping])
        # Reserve what this batch spent beyond the engine's own limit (building, handing over) for the next.
        overhead = max(overhead, time.perf_counter() - started - limit)
        solved += 1
        if result.status == "interrupted":
            break
        if result.values is None:
            continue
        values = list(best)
        for local, index in enumerate(mapping):
            values[index] = result.values[local]
        values = _rounded(model, values)
        cost = model.objective.value(values)
        if cost < best_cost - 1e-7 * max(1.0, abs(best_cost)):
            best, best_cost = values, cost
            improved += 1
    return best, solved, improved


def _neighbourhood(model, values: list[float], is_free) -> tuple[LinearModel, list[int]]:
    """The model over the free variables only, the others fixed at `values` (moved into the bounds)."""
    mapping = [i for i in range(len(model.variables)) if is_free(i)]
    local = {index: position for position, index in enumerate(mapping)}
    sub = LinearModel([replace(model.variables[i]) for i in mapping])
    for row in model.rows:
        terms = {local[i]: c for i, c in row.terms.items() if i in local}
        if not terms:
            continue  # every variable fixed: the incumbent satisfies it already
        fixed = sum(c * values[i] for i, c in row.terms.items() if i not in local)
        sub.rows.append(Row(row.name, row.family, terms, row.lo - fixed, row.hi - fixed, row.origin))
    sub.objective = Expr({local[i]: c for i, c in model.objective.terms.items() if i in local})
    return sub, mapping


def _rounded(model, values: list[float]) -> list[float]:
    return [float(round(v)) if var.integer else float(v) for v, var in zip(values, model.variables)]


def _cycle(batches):
    while True:
        yield from batches
