"""Large-neighbourhood search: re-optimise a few workloads at a time around a plan.

When the whole model is too large to improve within the time limit, fix the pool variables of every
workload except a batch at the incumbent's values and let the engine re-optimise the batch (and all
shared racks, switches and site rows) exactly; keep the result when it is cheaper. Batches cycle through
the workloads until the time is spent. Every sub-problem contains the incumbent (handed to the engine as
its start), so the plan never gets worse, and it stays feasible for the full model. The bound reported
is the one proven for the full model, never a batch's. Neighbourhoods are cut out of the model's arrays
(`Matrix.sub`, the fixed variables moved into the row bounds).
"""

from __future__ import annotations

import time

import numpy as np

from dcplan.solve.blocks import owners

BATCH_SIZE = 12
BATCH_TIME_LIMIT = 5.0


def improve(built, incumbent, deadline: float, engine: str = "highs", threads: int = 0,
            batch_size: int = BATCH_SIZE, bound: float | None = None, gap: float = 0.0,
            log=None) -> tuple[np.ndarray, int, int]:
    """Return (better or equal values, batches solved, batches that improved the plan) by `deadline`.

    Stops early once the plan is within `gap` of `bound` (the full model's proven bound).
    """
    from dcplan.solve.engines import solve
    from dcplan.vocab import Status

    model = built.lm
    matrix = model.matrix()
    owned = owners(model)  # each workload's pools, spares, steps, site use, training fabric
    names = [w.name for w in built.scenario.workloads if w.name in owned]
    batches = [names[i:i + batch_size] for i in range(0, len(names), batch_size)]
    best = _rounded(matrix, incumbent)
    if len(batches) < 2:
        return best, 0, 0
    shared = np.ones(len(matrix.lb), dtype=bool)
    for indices in owned.values():
        shared[indices] = False
    best_cost = matrix.objective(best)
    solved = improved = 0
    overhead = 0.0  # seconds the last batch spent building its sub-problem: keep that in reserve
    for number in range(2 * len(batches)):
        batch = batches[number % len(batches)]
        if deadline - time.perf_counter() < 0.5 + overhead:
            break
        if bound is not None and best_cost - bound <= gap * abs(best_cost):
            break
        started = time.perf_counter()
        free = shared.copy()
        for name in batch:
            free[owned[name]] = True
        sub, mapping = neighbourhood(matrix, best, free)
        overhead = time.perf_counter() - started
        limit = min(deadline - time.perf_counter() - overhead, BATCH_TIME_LIMIT)
        if limit < 0.3:
            break
        result = solve(sub, engine, time_limit=limit, gap=1e-5, threads=threads, hint=best[mapping], log=log,
                       deadline=deadline)
        # Reserve what this batch spent beyond the engine's own limit (building, handing over) for the next.
        overhead = max(overhead, time.perf_counter() - started - limit)
        solved += 1
        if result.status == Status.INTERRUPTED:
            break
        if result.values is None:
            continue
        values = best.copy()
        values[mapping] = result.values
        values = _rounded(matrix, values)
        cost = matrix.objective(values)
        if cost < best_cost - 1e-7 * max(1.0, abs(best_cost)) and not len(matrix.violated(values)):
            best, best_cost = values, cost
            improved += 1
    return best, solved, improved


def neighbourhood(matrix, values: np.ndarray, free: np.ndarray):
    """The model over the free variables only, the others fixed at `values` (moved into the row bounds);
    rows with no free variable are left out (the incumbent satisfies them). Returns (sub-model, mapping)."""
    mapping = np.flatnonzero(free)
    touches = np.bincount(matrix.row_ids, weights=free[matrix.indices].astype(float), minlength=matrix.shape[0])
    rows = np.flatnonzero(touches > 0)
    return matrix.sub(mapping, rows, fixed=values), mapping


def _rounded(matrix, values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return np.where(matrix.integer, np.round(values), values)
