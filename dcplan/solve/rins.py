"""Relaxation-induced neighbourhood search (RINS) on the decomposition's master (dcplan/solve/master.py)."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from dcplan.errors import Interrupted
from dcplan.solve.engines import solve
from dcplan.solve.master import solve_lp
from dcplan.solve.ownership import OWNERSHIP
from dcplan.vocab import Status

RINS_SHARE = 0.25
"""Of the time left before the master MIP, the master's LP and its RINS sub-problem take at most this share."""
RENS_SHARE = 0.5
"""Of what RINS has left after the master's LP, rounding the LP's choices (`_rens`) may take this share.
Measured on the first master of the W=1000 × 60 × 4 build-out over 4 periods (12 s after the LP): RINS
alone 430.0, 451.8, 456.9 and 546.9 M in four runs (the last: nothing better than the greedy start); the
rounding alone 428.3 M; half each 428.2 M; 0.3 for the rounding 433.6 M. The W=200 × 20 × 2 build-out
(5 s): RINS alone 101.61 M, half each 100.75 M in 3.3 s, 0.3 100.39 M."""


def choices_of(master) -> int | None:
    """The `choices_from` to give `rins` for this master (dcplan/solve/master.py): its first configuration
    variable where the workloads share purchases (ownership rows: build-outs, installed equipment), None
    elsewhere. On single purchases the rounding found no plan: at once on the first masters of W=1000 ×
    60 × 4 (held-out seeds 2 and 3), and within its share at W=5000 × 60 × 8, whose RINS then had half
    its time and ended at 2,874.6 M instead of about 2,864 M."""
    return len(master.kept) if (master.full.families() == OWNERSHIP).any() else None


def rins(matrix, start, deadline: float, engine: str, threads: int, gap: float, say, budget: float | None = None,
         choices_from: int | None = None):
    """Relaxation-induced neighbourhood search on the master (Danna, Rothberg & Le Pape, 2005): solve its
    LP relaxation, fix every integer variable on which the LP and the incumbent `start` agree, and solve
    the rest as a MIP from `start`. The sub-problem contains `start`, so its plan is never worse; most
    columns are already chosen by both, so it solves in seconds where HiGHS spends its first ten on the
    master's root cuts before its own heuristics run (W=1000 × 60 × 4: 428.2 M in 2.7 s, the master MIP
    the same plan in 12.9 s, greedy 445.2 M).

    First, when `choices_from` names the master's first configuration variable λ (master.Master.kept's
    length), the LP's own whole choices are rounded (`_rens`); where that plan is cheaper, RINS starts
    from it.

    Returns (master values: the better plan, or `start`; the master's LP relaxation solved, whose
    optimum bounds every master plan, or None; what happened, in words).
    """
    if start is None:
        return None, None, "no start for RINS"
    began = time.perf_counter()
    budget = RINS_SHARE * (deadline - began) if budget is None else min(budget, RINS_SHARE * (deadline - began))
    lp = solve_lp(matrix, budget, threads, deadline)
    if lp.status != Status.OPTIMAL or lp.values is None:
        return start, None, f"master LP {lp.status}"
    x, start = np.asarray(lp.values), np.asarray(start, dtype=float)
    rounded = None
    if choices_from is not None:
        share = RENS_SHARE * (budget - (time.perf_counter() - began))
        rounded = _rens(matrix, x, choices_from, share, engine, threads, gap, deadline)
        if rounded is not None and matrix.objective(rounded) < matrix.objective(start):
            start = rounded
    agree = matrix.integer & _whole(x) & (np.abs(np.round(x) - start) <= 1e-6)
    lb, ub = matrix.lb.copy(), matrix.ub.copy()
    lb[agree] = ub[agree] = start[agree]
    left = budget - (time.perf_counter() - began)
    sub = solve(replace(matrix, lb=lb, ub=ub), engine, time_limit=max(0.1, left), gap=gap / 2, threads=threads,
                hint=start, deadline=deadline)
    if sub.status == Status.INTERRUPTED:
        raise Interrupted()
    found = sub.values is not None and matrix.objective(sub.values) < matrix.objective(start) and \
        not len(matrix.violated(sub.values))
    best = np.asarray(sub.values) if found else start
    note = (f"RINS fixed {int(agree.sum()):,} of {int(matrix.integer.sum()):,} integer variables: "
            f"{matrix.objective(best):,.0f} against the master LP {lp.objective:,.0f}")
    if rounded is not None:
        note = f"the LP's whole choices rounded: {matrix.objective(rounded):,.0f}; {note}"
    say(f"{note} ({time.perf_counter() - began:.1f} s)")
    return best, lp, note


def _rens(matrix, x: np.ndarray, choices_from: int, time_limit: float, engine: str, threads: int, gap: float,
          deadline: float):
    """A master plan that keeps every configuration choice λ the LP solution `x` makes whole (0 or 1) and
    solves the rest (the fractional choices, the shared network, racks and purchases) as a MIP, or None
    (no such plan, or none in time). A relaxation-enforced neighbourhood (Berthold, "RENS", 2014) on the
    choices only: the LP's whole values of the shared variables are often no integer plan (the first
    master of the W=1000 × 60 × 4 build-out over 4 periods had none). No hint: the start rarely keeps
    those choices, so it lies outside the sub-problem's bounds (and mathopt would drop it)."""
    if time_limit <= 0.1:
        return None
    lb, ub = matrix.lb.copy(), matrix.ub.copy()
    choices = np.zeros(len(x), dtype=bool)
    choices[choices_from:] = True
    whole = choices & matrix.integer & _whole(x)
    lb[whole] = ub[whole] = np.round(x[whole])
    sub = solve(replace(matrix, lb=lb, ub=ub), engine, time_limit=time_limit, gap=gap / 2, threads=threads,
                deadline=deadline)
    if sub.status == Status.INTERRUPTED:
        raise Interrupted()
    if sub.values is None or sub.status not in (Status.OPTIMAL, Status.FEASIBLE):
        return None
    values = np.asarray(sub.values, dtype=float)
    return None if len(matrix.violated(values)) else values


def _whole(x: np.ndarray) -> np.ndarray:
    """Which values of an LP solution are whole numbers (within the engines' tolerance)."""
    return np.abs(x - np.round(x)) <= 1e-6
