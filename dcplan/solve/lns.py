"""Large-neighbourhood search: re-optimise a few workloads at a time around a plan.

When the whole model is too large to improve within the time limit, fix the pool variables of every
workload except a batch at the incumbent's values and let the engine re-optimise the batch (and all
shared racks, switches and site rows) exactly; keep the result when it is cheaper. Batches cycle through
the workloads until the time is spent, those whose part of the plan lies furthest above their block's
proven minimum first (`by_excess`). Every sub-problem contains the incumbent (handed to the engine as
its start), so the plan never gets worse, and it stays feasible for the full model. The bound reported
is the one proven for the full model, never a batch's. Neighbourhoods are cut out of the model's arrays
(`Matrix.sub`, the fixed variables moved into the row bounds).
"""

from __future__ import annotations

import math
import time

import numpy as np

from dcplan.errors import Interrupted
from dcplan.solve.blocks import owners

BATCH_SIZE = 12
BATCH_TIME_LIMIT = 5.0


def improve(built, incumbent, deadline: float, engine: str = "highs", threads: int = 0,
            batch_size: int = BATCH_SIZE, bound: float | None = None, gap: float = 0.0,
            log=None, order: list[str] | None = None, cycles: int = 2,
            batch_seconds: float = BATCH_TIME_LIMIT) -> tuple[np.ndarray, int, int]:
    """Return (better or equal values, batches solved, batches that improved the plan) by `deadline`.

    Batches are taken from the workloads `order` names, in its order (by default every workload, in the
    scenario's order), `cycles` times round. Stops early once
    the plan is within `gap` of `bound` (the full model's proven bound). A batch runs at most
    `batch_seconds`. Ctrl-C during a batch raises Interrupted (the caller may have more to do after the
    search, and must not).
    """
    from dcplan.solve.engines import solve
    from dcplan.vocab import Status

    model = built.lm
    matrix = model.matrix()
    owned = owners(model)  # each workload's pools, spares, steps, site use, training fabric
    names = [w.name for w in built.scenario.workloads] if order is None else order
    batches = batched([name for name in names if name in owned], partners(built.scenario), batch_size)
    best = _rounded(matrix, incumbent)
    if not batches or (len(batches) == 1 and len(batches[0]) == len(owned)):
        return best, 0, 0  # a single batch of every workload is the whole model
    shared = np.ones(len(matrix.lb), dtype=bool)
    for indices in owned.values():
        shared[indices] = False
    best_cost = matrix.objective(best)
    solved = improved = 0
    overhead = 0.0  # seconds the last batch spent building its sub-problem: keep that in reserve
    for number in range(cycles * len(batches)):
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
        limit = min(deadline - time.perf_counter() - overhead, batch_seconds)
        if limit < 0.3:
            break
        result = solve(sub, engine, time_limit=limit, gap=batch_gap(sub, best[mapping], best_cost, gap),
                       threads=threads, hint=best[mapping], log=log, deadline=deadline)
        # Reserve what this batch spent beyond the engine's own limit (building, handing over) for the next.
        overhead = max(overhead, time.perf_counter() - started - limit)
        solved += 1
        if result.status == Status.INTERRUPTED:
            raise Interrupted()
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


def partners(scenario) -> dict[str, set[str]]:
    """Workloads tied to each other by rows of their own (storage colocated with a training run: the run's
    server type sets the storage's throughput): a batch takes them together, or neither can move. On
    W=1000 × 60 × 4 (held-out seed 2) a training run and its storage re-optimised together lowered the plan
    by 2.64 M in one batch, where the run alone could not change server type."""
    tied: dict[str, set[str]] = {}
    for workload in scenario.workloads:
        target = getattr(workload, "colocate_with", None)
        if target is not None:
            tied.setdefault(workload.name, set()).add(target)
            tied.setdefault(target, set()).add(workload.name)
    return tied


def batched(names: list[str], tied: dict[str, set[str]], size: int) -> list[list[str]]:
    """`names` cut into batches of about `size` in their order, each workload with the workloads `tied`
    to it (a batch may exceed `size` by those)."""
    batches, current, placed = [], [], set()
    for name in names:
        if name in placed:
            continue
        group = [name] + sorted(tied.get(name, set()) - placed - {name})
        placed.update(group)
        if current and len(current) + len(group) > size:
            batches.append(current)
            current = []
        current.extend(group)
    if current:
        batches.append(current)
    return batches


def improve_furthest(built, blocks, values, bound: float, gap: float, deadline: float, log=None):
    """(The plan `values` improved, the workloads searched, batches solved, batches that improved it): the
    search on the workloads that hold much of the plan's distance to `bound`, those whose excess
    (`excesses`) is at least FURTHEST_EXCESS of that distance, one at a time (with those tied to it),
    furthest first, once round, by FURTHEST_ENGINE. When a few workloads' choices hold the distance, this
    closes it in a second: W=1000 × 60 × 4, held-out seed 2, a training run on a server type whose back-end
    fabric costs 3 M more (RINS's plan 544.0 M, bound 535.2 M; 540.6 M after one batch of 0.2 s)."""
    values = np.asarray(values, dtype=float)
    excess = excesses(blocks, values)
    distance = built.lm.matrix().objective(values) - bound
    picked = sorted((name for name, e in excess.items() if e >= FURTHEST_EXCESS * distance),
                    key=lambda name: -excess[name])
    if not picked or distance <= 0:
        return values, [], 0, 0
    better, solved, improved = improve(built, values, deadline, FURTHEST_ENGINE, 0, batch_size=1, bound=bound,
                                       gap=gap, log=log, order=picked, cycles=1, batch_seconds=FURTHEST_SECONDS)
    return better, picked, solved, improved


FURTHEST_EXCESS = 0.1
"""improve_furthest takes the workloads whose excess is at least this share of the plan's distance to the
bound. Held-out seeds 2 and 3 of W=1000 × 60 × 4: one training run each, 2.9 M and 2.8 M of 8.7 M and
9.1 M (the next, 0.4 M); in a first version that searched every workload in that order, the batches
after it took 2–4 s each and gained little."""
FURTHEST_SECONDS = 1.0
"""The most one of improve_furthest's batches may take: SCIP re-optimised the training runs of held-out
seeds 2 and 3 with their storage in 0.25 s and 0.4 s; the next workload of seed 2, a large inference
service, took 3.9 s and lowered the plan by about 0.1 M of 544 M."""
FURTHEST_ENGINE = "scip"
"""The engine of improve_furthest's batches (one workload and those tied to it, with the shared rows it
touches; about 500 rows × 600 integer variables at W=1000 × 60 × 4). On the first batch of held-out seeds
2 and 3, from the same start, HiGHS found the better plan in 1.1 s and 7.8 s (2.1 s and 2.4 s at a 2-s
limit: no better plan on seed 3), SCIP in 0.25 s and 0.4 s, CP-SAT in 0.2 s. Two batches are no ground to
prefer CP-SAT, which scales the coefficients to integers, over SCIP, which takes them as they are."""


def by_excess(blocks, values) -> list[str]:
    """Workloads by how far their part of the plan `values` lies above their block's proven minimum, at
    the block's own costs (blocks.Block: the objective plus the prices of the shared rows the bound was
    proven at), furthest first. Σ_w of that excess is the part of the plan's distance to the Lagrangian
    bound that lies in the workloads' own choices (the rest lies in the shared rows and variables), so
    these workloads are where a batch can gain most. Measured on W=1000 × 60 × 4 (held-out seed 2, 60 s):
    of a plan 5.21 M above the bound, 3.75 M lay in the workloads, 2.92 M of it in one training workload
    placed on a server type whose back-end fabric costs 3 M more; in the scenario's order its batch was
    never reached. Workloads whose block has no costs come last."""
    excess = excesses(blocks, values)
    return sorted(excess, key=lambda name: -excess[name]) + [name for name in blocks if name not in excess]


def excesses(blocks, values) -> dict[str, float]:
    """Each workload's part of the plan `values` at its block's costs, less the block's proven minimum
    (its floor where it has no bound); workloads whose block has no costs are left out."""
    values = np.asarray(values, dtype=float)
    excess = {}
    for name, block in blocks.items():
        if block.costs is None:
            continue
        floor = block.bound if block.bound is not None and math.isfinite(block.bound) else block.floor
        excess[name] = float(block.costs @ values[block.variables]) - floor
    return excess


def batch_gap(sub, start: np.ndarray, plan_cost: float, gap: float) -> float:
    """The relative gap a batch stops at: BATCH_GAP_SHARE of the run's `gap`, taken of the whole plan's
    cost `plan_cost` and expressed relative to the batch's own (its free variables' cost at `start`),
    never below MIN_BATCH_GAP. A batch's objective is a fifth of the plan or less, and proving 1e-5 of it
    cost every batch its whole time limit on W=1000 × 60 × 4 (held-out seed 2: 3 batches in 12 s, the
    improvement found in the first second of each)."""
    own = abs(sub.objective(start))
    if gap <= 0.0 or own <= 0.0:
        return MIN_BATCH_GAP
    return max(MIN_BATCH_GAP, BATCH_GAP_SHARE * gap * abs(plan_cost) / own)


BATCH_GAP_SHARE = 0.02
MIN_BATCH_GAP = 1e-5


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
