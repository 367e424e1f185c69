"""Diving on the master's LP: a plan from fixing configurations a few at a time (docs/model.md, "Planning
at scale").

The master (dcplan/solve/master.py) chooses one configuration per workload, λ[w,q] ∈ {0,1}. Its LP
relaxation chooses most of them whole and splits the rest. A dive fixes every λ the LP sets to 1, then the
largest quarter of the split workloads' leading λ, solves the LP again with those fixed, and repeats until
every workload has one configuration; a last MIP over the shared variables alone (switches, racks,
purchases) prices the choice exactly. Each LP re-balances the workloads still free around those fixed, so
the plan follows the LP where RINS (decompose.rins) can only keep what the LP and an earlier plan agree on.

When fixing a batch leaves the LP infeasible (a site's power or racks no longer fit), the batch is undone
and only its first λ is fixed; if that alone is infeasible, that configuration is forbidden instead. When
the last MIP has no solution (rack counts rounded up no longer fit a site), the dive chooses once more
with room kept for them (`_rounding_room`). A dive costs one LP per step: on the W=200 × 20 × 2 build-out
over 4 periods, 14 steps and about 2 s, a plan of 97.9 M where RINS and the master MIP had 99.1 M after
14 s.
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np

from dcplan.errors import Interrupted
from dcplan.solve.engines import solve
from dcplan.solve.master import solve_lp
from dcplan.vocab import Status

BATCH_SHARE = 0.25
"""Of the workloads the LP still splits, the share fixed at each step (at least one): the LP is solved about
log(n) / log(4/3) times for n split (14 for 46), not once per workload."""
WHOLE = 1.0 - 1e-6
"""A λ at least this large counts as chosen whole."""


def dive(master, deadline: float, threads: int, engine: str, gap: float, start=None, lp=None) -> np.ndarray | None:
    """Master values of a plan found by diving on the master's LP by `deadline`, or None (no plan: out of
    time, or the shared variables cannot be made whole around the configurations chosen and there is no
    `start`). `lp`: the master's LP relaxation already solved (decompose.rins solves it), the first step.

    When the shared variables cannot be made whole around the configurations chosen (the rack counts,
    each rounded up, no longer fit a site: `_rounding_room`), the dive runs once more with that room
    kept free in every site rack row, and the neighbourhood of `start` is searched as well, in what is
    left of the time; the cheaper plan is kept. W=300 × 60 × 4: the choice with room planned 164.41 M and
    the neighbourhood 163.35 M (the scaling bench ended at 1.04 % with the first alone, and reached 1 % in
    54.0 s with both); the 4-period W=1000 build-out: 424.1 M with room, RINS's 430.6 M from the
    neighbourhood."""
    relaxed = master.relaxation()
    if lp is not None and time.perf_counter() + 2 * lp.solve_seconds > deadline:
        return None  # not even two more LPs of that size fit (W=5000 × 60 × 8: 4.5 s each, a share of 5 s)
    fixed, first = _choose(master, relaxed, deadline, threads, lp)
    if fixed is None:
        return None
    plan = _whole(master, fixed, deadline, threads, engine, gap)
    if plan is not None:
        return plan
    plans = []
    roomy = None if first is None else _rounding_room(master, relaxed, first)
    if roomy is not None:
        roomier, _ = _choose(master, roomy, deadline, threads, None)
        if roomier is not None:
            plans.append(_whole(master, roomier, deadline, threads, engine, gap))
    if start is not None:
        plans.append(_around(master, fixed, start, deadline, threads, engine, gap))
    plans = [plan for plan in plans if plan is not None]
    return min(plans, key=master.matrix.objective) if plans else None


def _choose(master, relaxed, deadline: float, threads: int, lp=None):
    """(A configuration for every workload, fixed step by step on the LP `relaxed`, or None: out of time or
    infeasible; the first LP's values, or None)."""
    fixed: dict[str, int] = {}  # workload -> the column it was given
    forbidden: list[int] = []  # master variables (λ) ruled out after an infeasible LP
    batch: list[tuple[str, int]] = []
    first = None
    seconds, solved = 0.0, 0
    while time.perf_counter() < deadline:
        if lp is None:
            began = time.perf_counter()
            lp = _lp(master, relaxed, fixed, forbidden, deadline, threads)
            seconds, solved = seconds + time.perf_counter() - began, solved + 1
        if lp is None:  # infeasible: fix less, or rule the configuration out
            if not batch:
                return None, first
            for name, _ in batch[1:]:
                del fixed[name]
            if len(batch) == 1:
                name, q = batch[0]
                del fixed[name]
                forbidden.append(int(master.lambdas[name][q]))
            batch = batch[:1] if len(batch) > 1 else []
            continue
        if first is None:
            first = np.asarray(lp.values)
        split = _split(master, np.asarray(lp.values), fixed)
        if not split:
            return fixed, first
        if solved and not _fits(len(split), seconds / solved, deadline):
            return None, first
        leading = sorted(split.items(), key=lambda item: -item[1][0])
        batch = [(name, q) for name, (_, q) in leading[:max(1, int(BATCH_SHARE * len(split)))]]
        fixed.update(batch)
        lp = None
    return None, first


RACK_FAMILY = "racks"


def _rounding_room(master, relaxed, values: np.ndarray):
    """`relaxed` with each site rack row's limit lowered by what rounding up the LP's rack counts `values`
    adds to it, Σ_j a_rj·(⌈x_j⌉ − x_j) over the integer variables: room kept free for whole racks. The
    4-period W=1000 × 60 × 4 build-out: the dive's configurations left the shared integers no solution
    (relaxing the 1,344 rack counts, and no other kind, gave one), so the dive returned RINS's plan,
    430.6 M; with 515 rack positions kept free, a plan of 424.1 M in 1.6 s. None when no rack row gains
    any room (nothing to try again)."""
    source = master.row_source
    if master.full is None or not (source >= 0).any():
        return None
    racks = np.zeros(relaxed.shape[0], dtype=bool)
    racks[source >= 0] = master.full.families()[source[source >= 0]] == RACK_FAMILY
    racks &= np.isfinite(relaxed.row_hi)
    # A count within 1e-6 above a whole number is taken as that number, as the engines' tolerance allows.
    rounding = np.where(master.matrix.integer, np.maximum(np.ceil(values - 1e-6) - values, 0.0), 0.0)
    added = np.bincount(relaxed.row_ids, weights=relaxed.data * rounding[relaxed.indices], minlength=relaxed.shape[0])
    room = np.where(racks, np.maximum(added, 0.0), 0.0)
    if not (room > 0).any():
        return None
    return replace(relaxed, row_hi=relaxed.row_hi - room)


def _fits(split: int, lp_seconds: float, deadline: float) -> bool:
    """Can the steps a dive still needs with `split` workloads split, each an LP of about `lp_seconds`, end by
    `deadline`? Each step fixes at least BATCH_SHARE of them, so about log(split) / log(1 / (1 − BATCH_SHARE))
    steps are left."""
    steps = 1.0 + math.log(max(split, 1)) / -math.log(1.0 - BATCH_SHARE)
    return time.perf_counter() + steps * lp_seconds <= deadline


def _lp(master, relaxed, fixed: dict[str, int], forbidden: list[int], deadline: float, threads: int):
    """The master's LP with the fixed configurations chosen and the forbidden ones out; None if infeasible."""
    lb, ub = relaxed.lb.copy(), relaxed.ub.copy()
    for name, q in fixed.items():
        lb[master.lambdas[name][q]] = 1.0
    ub[forbidden] = 0.0
    lp = solve_lp(replace(relaxed, lb=lb, ub=ub), max(0.1, deadline - time.perf_counter()), threads, deadline)
    return lp if lp.status == Status.OPTIMAL and lp.values is not None else None


def _split(master, values: np.ndarray, fixed: dict[str, int]) -> dict[str, tuple[float, int]]:
    """Workloads the LP splits, each with its largest λ and that column; those it chooses whole are fixed
    (added to `fixed`) on the way."""
    split = {}
    for name, lambdas in master.lambdas.items():
        if name in fixed:
            continue
        q = int(np.argmax(values[lambdas]))
        if values[lambdas[q]] >= WHOLE:
            fixed[name] = q
        else:
            split[name] = (float(values[lambdas[q]]), q)
    return split


def _whole(master, fixed: dict[str, int], deadline: float, threads: int, engine: str, gap: float):
    """The master MIP with every configuration fixed, so that only the shared variables are left to make
    whole; None when they cannot be (a site's racks, rounded up, no longer fit) or without a plan in time."""
    matrix = master.matrix
    lb, ub = matrix.lb.copy(), matrix.ub.copy()
    for name, lambdas in master.lambdas.items():
        ub[lambdas] = 0.0
        lb[lambdas[fixed[name]]] = ub[lambdas[fixed[name]]] = 1.0
    return _mip(replace(matrix, lb=lb, ub=ub), deadline, threads, engine, gap)


def _around(master, fixed: dict[str, int], start, deadline: float, threads: int, engine: str, gap: float):
    """The workloads whose dived configuration differs from the plan `start` choose again among all their
    columns, the others keep theirs, from `start`: a neighbourhood that contains `start`."""
    matrix = master.matrix
    start = np.asarray(start, dtype=float)
    lb, ub = matrix.lb.copy(), matrix.ub.copy()
    for name, lambdas in master.lambdas.items():
        if start[lambdas[fixed[name]]] >= 0.5:  # the dive agrees with `start`: kept
            lb[lambdas] = ub[lambdas] = start[lambdas]
    return _mip(replace(matrix, lb=lb, ub=ub), deadline, threads, engine, gap, hint=start)


def _mip(matrix, deadline: float, threads: int, engine: str, gap: float, hint=None) -> np.ndarray | None:
    result = solve(matrix, engine, time_limit=max(0.1, deadline - time.perf_counter()), gap=gap, threads=threads,
                   hint=hint, deadline=deadline)
    if result.status == Status.INTERRUPTED:
        raise Interrupted()
    if result.values is None or len(matrix.violated(result.values)):
        return None
    return np.asarray(result.values, dtype=float)
