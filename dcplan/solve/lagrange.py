"""A Lagrangian bound at the LP relaxation's row prices, and the workloads' configurations at those prices.

Relax the shared rows (site power and racks, fabrics, rack packing, limits) with prices y taken from
the optimal duals of the full model's LP relaxation, and keep each workload's own rows. What is left
falls apart into one small integer problem per workload (its block, dcplan/solve/blocks.py) and a box
for the shared variables:

    L(y) = Σ_r y_r·b_r + Σ_w min_{v ∈ block w, integer} rc·v + Σ_{j shared} min(rc_j·lb_j, rc_j·ub_j),
    rc = c − A_sharedᵀ·y,   b_r = lo_r where y_r > 0, hi_r where y_r < 0.

L(y) is at most the cost of every plan, for any such y (Geoffrion, "Lagrangean relaxation for integer
programming", 1974), and at the LP's own duals at least the LP's optimum: the LP is the same relaxation
with each block's integer points replaced by its LP. A block stopped by its time limit counts with its
proven dual bound. The gain is the blocks' integrality, priced as the whole model prices the shared
rows; measured at W=1000 × 60 × 4: LP 468.7 M, workload cuts at port and rack prices 491.5 M, L(y)
494.5 M (LP 3 s, blocks 13 s on two threads), with the best plan near 497.6 M.

Each block's optimum at these prices is also a configuration the master (dcplan/solve/master.py) can
choose, and rc·v ≥ min is a valid cut of the block, like the workload cuts.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from dcplan.errors import Interrupted
from dcplan.solve.blocks import (BLOCK_GAP, DEEPER_PASSES, FIRST_PASSES, BlockResult,
                                  block_of_variables, row_floors, rows_owned, solve_blocks)
from dcplan.solve.engines import solve
from dcplan.vocab import Status

NOISE = 1e-7
"""Reduced costs of shared variables this close below zero are engine noise (seen: 1e-11 on fabric
variables with no upper bound) and count as zero; the bound's relative safety margin covers them."""
BOUND_SAFETY = 1e-6
"""Relative slack taken off the bound, for engine tolerances in the blocks' bounds and the prices."""


def shared_prices(matrix, duals: np.ndarray, row_owner: np.ndarray) -> np.ndarray:
    """The LP duals of the shared rows (row_owner −1; zero on the blocks' own rows), each with the sign its
    finite row bound allows: y_r > 0 prices a lower bound, y_r < 0 an upper one."""
    y = np.where(row_owner < 0, np.asarray(duals, dtype=float), 0.0)
    y = np.where((y > 0) & ~np.isfinite(matrix.row_lo), 0.0, y)
    return np.where((y < 0) & ~np.isfinite(matrix.row_hi), 0.0, y)


@dataclass
class PricedBlocks:
    """L(y) at one set of prices y, kept so that blocks not solved in time can be solved later at the same
    prices (dcplan/solve/decompose.py does, when the master leaves time): the terms y fixes, each block's
    floor, and the blocks' results so far."""

    fixed: float  # Σ_r y_r·b_r + the objective's constant + the shared variables' box minimum (-inf: none)
    rc: np.ndarray  # reduced costs at y, every block's objective
    floors: dict[str, float]  # a block's minimum read off single rows, while it is not solved
    unbounded: set[str]  # blocks without a floor (a negative reduced cost or lower bound): must be solved
    results: dict[str, BlockResult]
    proven: float | None = None  # the LP relaxation's own bound, when HiGHS proved it
    deeper: tuple = DEEPER_PASSES  # the passes `finish` gives the blocks left open
    prices: str = "lp"  # whose prices y are: the LP relaxation's, ownership.OWNERSHIP, limits.LIMITS

    def bound(self, newer: dict[str, BlockResult] | None = None) -> float | None:
        """L(y) with every block solved so far (its floor for the rest), or None if it is not proven;
        `newer`: results that replace those recorded."""
        total = self.fixed
        for name, floor in self.floors.items():
            result = self.results.get(name) if not newer or name not in newer else newer[name]
            if result is not None and result.bound is not None:
                # a floor can exceed a bound proven at lower costs (limits.py keeps those); with a
                # negative cost a block has no floor (0 stands in for it)
                total += result.bound if name in self.unbounded else max(result.bound, floor)
            elif name in self.unbounded:
                return None
            else:
                total += floor
        if not math.isfinite(total):
            return None
        return total - BOUND_SAFETY * abs(total)

    def unsolved(self) -> list[str]:
        return [name for name in self.floors if self.results.get(name) is None or self.results[name].bound is None]

    def still_open(self) -> list[str]:
        """Blocks solved, but not to BLOCK_GAP: their bound can still rise."""
        return [name for name, result in self.results.items() if result.bound is not None
                and not result.closed(BLOCK_GAP)]


def lagrangian(built, blocks, duals: np.ndarray, time_budget: float, threads: int,
               deadline: float | None = None) -> tuple[float | None, np.ndarray, dict[str, BlockResult]]:
    """(L(y) or None, the reduced costs rc, each block's result at rc) for the full model's LP duals.

    None when the bound cannot be proven: a shared variable with a negative reduced cost and no upper
    bound, or a block neither solved in time nor bounded by its rows (a negative reduced cost in it).
    """
    priced = priced_blocks(built, blocks, duals, time_budget, threads, deadline)
    return priced.bound(), priced.rc, priced.results


def priced_blocks(built, blocks, duals: np.ndarray, time_budget: float, threads: int,
                  deadline: float | None = None) -> PricedBlocks:
    """Every block solved by FIRST_PASSES at the reduced costs of the LP duals `duals` (the shared rows' part),
    within `time_budget`: L(y) and what it needs to be finished later (PricedBlocks)."""
    full = built.lm.matrix()
    names = list(blocks)
    block_of_variable = block_of_variables(full.shape[1], blocks)
    row_owner = rows_owned(full, block_of_variable)
    y = repaired(full, shared_prices(full, duals, row_owner))
    rc = full.cost - full.transposed_product(y)
    rc = np.where((rc < 0) & (rc > -NOISE * max(1.0, float(np.abs(full.cost).max(initial=0.0)))), 0.0, rc)
    results = solve_blocks(built, blocks, time_budget, threads=threads, costs=lambda block: rc[block.variables],
                           deadline=deadline, passes=FIRST_PASSES)
    shared = block_of_variable < 0
    fixed = row_terms(full, y) + full.offset + _box_minimum(rc[shared], full.lb[shared], full.ub[shared])
    floors = row_floors(full, rc, row_owner, block_of_variable, len(names))
    unbounded = {name for name in names  # no floor: a block that can lower its cost without end until solved
                 if (rc[blocks[name].variables] < 0).any() or (full.lb[blocks[name].variables] < 0).any()}
    return PricedBlocks(fixed, rc, {name: float(floors[k]) for k, name in enumerate(names)}, unbounded, results)


def finish(built, blocks, time_budget: float, threads: int, deadline: float | None = None,
           target: float | None = None, plan=None) -> float | None:
    """Finish L(y) at the prices cuts_at_lp_prices used, within `time_budget`: first the blocks it did not
    reach, then those its first look (FIRST_PASSES) left open, solved longer (DEEPER_PASSES) from
    their points; no block is begun once L(y) reaches `target` (the bound that proves a plan within the
    gap: the rest would only take time). A block starts from the plan's part of it (`plan`, a plan of the
    full model) where that is cheaper than its own point (take_plan_points). Returns L(y) then (the LP's own
    bound if higher); None if there was no pricing to finish.
    At W=1000 × 60 × 4 (held-out seed 3) 13 of 1,050 blocks were once left when the 21 s budget ran out,
    and their floors kept L(y) at 552.1 M where all blocks solved prove 558.1 M; the open blocks hold back
    another 0.2 % (blocks.DEEPER_PASSES)."""
    priced = getattr(built, "priced", None)
    if priced is None:
        return None
    stop_at = time.perf_counter() + time_budget
    if plan is not None:
        take_plan_points(built, blocks, priced, plan)

    def enough(results: dict[str, BlockResult]) -> bool:
        reached = priced.bound(results)
        if reached is not None and priced.proven is not None:
            reached = max(reached, priced.proven)
        return target is not None and reached is not None and reached >= target

    for which, passes in ((priced.unsolved, FIRST_PASSES), (priced.still_open, priced.deeper)):
        chosen = {name: blocks[name] for name in which() if name in blocks}
        results = solve_blocks(built, chosen, stop_at - time.perf_counter(), threads=threads,
                               costs=lambda block: priced.rc[block.variables], deadline=deadline, passes=passes,
                               start=priced.results, enough=enough)
        record(blocks, priced, results)
    bound = priced.bound()
    return bound if priced.proven is None or bound is None else max(bound, priced.proven)


def take_plan_points(built, blocks, priced: PricedBlocks, plan) -> int:
    """Give each block not yet closed the plan's part of it as its point where that costs less at the
    block's reduced costs (a plan of the full model meets every block's rows, so its part is a point of
    the block); returns how many took it. Blocks are then solved longer from the better point, and taken
    in the order of what their bound can still gain, which that point's value caps: on held-out seed 5 of
    W=1000 × 60 × 4, one inference block's own point lay 110 M above its bound, the plan's part of it
    0.64 M, and as the widest open gap it was solved first."""
    plan = np.asarray(plan, dtype=float)
    integer = built.lm.matrix().integer
    taken = 0
    for name in priced.unsolved() + priced.still_open():
        block = blocks.get(name)
        if block is None:
            continue
        point = np.where(integer[block.variables], np.round(plan[block.variables]), plan[block.variables])
        value = float(priced.rc[block.variables] @ point)
        known = priced.results.get(name)
        if known is None or known.value is None or value < known.value:
            priced.results[name] = BlockResult(None if known is None else known.bound, point, value)
            taken += 1
    return taken


def record(blocks, priced: PricedBlocks, results: dict[str, BlockResult]) -> None:
    """Each solved block's reduced costs, proven minimum and point (a cut and a column)."""
    for name, result in results.items():
        priced.results[name] = result
        block = blocks[name]
        block.costs, block.bound, block.solution = priced.rc[block.variables], result.bound, result.solution


REPAIR_PASSES = 50


def repaired(matrix, y: np.ndarray) -> np.ndarray:
    """Prices under which no variable without an upper bound pays to grow (rc_j ≥ 0 wherever ub_j = ∞),
    so L(y) is finite. Duals of an LP stopped early (PDLP's iterate) can make buying without end look
    profitable, which sends L to −∞. For each such variable, the prices of the rows that lower its rc
    are scaled towards zero just enough, θ = (c_j − N_j)/P_j with P_j, N_j its rc's lowering and raising
    parts; scaling towards zero keeps every price's sign, and so L(y) a valid bound. That may lower
    another variable's rc, so passes repeat; with no price left on those rows rc = c, which is never
    negative for dcplan's objectives. Optimal LP duals pass unchanged."""
    y = y.copy()
    unbounded = ~np.isfinite(matrix.ub)
    rows, cols, data = matrix.row_ids, matrix.indices, matrix.data
    for _ in range(REPAIR_PASSES):
        pushes = data * y[rows]  # a_rj·y_r: positive terms lower rc_j
        lowering = np.bincount(cols, weights=np.where(pushes > 0, pushes, 0.0), minlength=len(matrix.lb))
        raising = np.bincount(cols, weights=np.where(pushes < 0, pushes, 0.0), minlength=len(matrix.lb))
        rc = matrix.cost - lowering - raising
        scale = 1e-9 * max(1.0, float(np.abs(matrix.cost).max(initial=0.0)))
        bad = unbounded & (rc < -scale) & (lowering > 0)
        if not bad.any():
            break
        theta = np.ones(len(matrix.lb))
        theta[bad] = np.clip((matrix.cost[bad] - raising[bad]) / lowering[bad], 0.0, 1.0)
        on_bad = bad[cols] & (pushes > 0)
        factor = np.ones(len(y))
        np.minimum.at(factor, rows[on_bad], theta[cols[on_bad]])
        y *= factor
    return y


def row_terms(matrix, y: np.ndarray) -> float:
    """Σ_r y_r·b_r with b_r the row bound y_r prices."""
    lower = np.where(y > 0, y * np.where(np.isfinite(matrix.row_lo), matrix.row_lo, 0.0), 0.0)
    upper = np.where(y < 0, y * np.where(np.isfinite(matrix.row_hi), matrix.row_hi, 0.0), 0.0)
    return float(lower.sum() + upper.sum())


def _box_minimum(rc: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> float:
    """min rc·x over lb ≤ x ≤ ub (-inf when a cost leads to an infinite bound)."""
    at = np.where(rc > 0, lb, np.where(rc < 0, ub, 0.0))
    if not np.all(np.isfinite(at[rc != 0])):
        return -math.inf
    return float(rc[rc != 0] @ at[rc != 0])


LP_PRICES_MAX_VARIABLES = 300_000
"""A single purchase larger than this is priced by the workload cuts at port and rack prices without
trying the LP: at W=1000 × 60 × 4 (85,000 variables) HiGHS solves it in 3.5 s, but at W=5000 × 60 × 8
(875,000) neither HiGHS nor PDLP gave prices in their 10 s, and the blocks then had no time left (none
solved, where the cuts alone solve some). A build-out above this size, unless the LP's share is at least
HIGHS_LARGE_LP_SECONDS, is priced by what owning its equipment costs (dcplan/solve/ownership.py), and by
PDLP alone (`_lp_attempts`) only when those prices give no bound."""
HIGHS_LARGE_LP_SECONDS = 93.0
"""What HiGHS's dual simplex needs for the smallest LP above LP_PRICES_MAX_VARIABLES that was measured (the
W=1000 × 60 × 4 build-out over 4 periods, 410,463 variables; its interior point method, its primal simplex
and GLOP gave no answer in 150 s). A larger LP needs longer, so a shorter share is never enough."""
LP_SHARE = 0.3
"""Of the workloads' budget, the LP relaxation that gives the prices may take at most this share (W=1000
× 60 × 4: 3 s of 21 s); the blocks get the rest."""


def cuts_at_lp_prices(built, blocks, budget: float, threads: int, deadline: float,
                      pdlp: bool = True) -> tuple[int, float | None] | None:
    """Price the shared rows by the LP relaxation, solve every block at those prices, record each block's
    reduced costs, proven minimum and point (a cut and a column, dcplan/solve/blocks.py), and return
    (blocks solved, L(y) or None); None, leaving the blocks as they were, when the LP gives no prices in
    its share of `budget` (the caller then falls back on the workload cuts at port and rack prices, or a
    build-out on its ownership prices, dcplan/solve/ownership.py). `pdlp`: after HiGHS, ask PDLP."""
    began = time.perf_counter()
    proven = None
    # HiGHS stopped by its limit gives no duals; PDLP's iterate at any time is prices enough (never its
    # objective: at a loose tolerance that is no bound).
    attempts = _lp_attempts(len(built.lm.variables), LP_SHARE * budget)
    for engine, seconds in [(engine, seconds) for engine, seconds in attempts if pdlp or engine == "highs"]:
        lp = solve(built.lm, engine, time_limit=seconds, gap=0.0 if engine == "highs" else None,
                   threads=threads, relax=True, deadline=deadline)
        if lp.status == Status.INTERRUPTED:
            raise Interrupted()
        if engine == "highs" and lp.status == Status.OPTIMAL:
            proven = lp.bound
        if lp.row_duals is not None:
            break
    else:  # no attempt gave duals (or none was made)
        return None
    left = budget - (time.perf_counter() - began)
    priced = priced_blocks(built, blocks, lp.row_duals, left, threads, deadline)
    priced.proven = proven
    built.priced = priced  # finished later if the decomposition has time (`finish`)
    record(blocks, priced, dict(priced.results))
    bound = priced.bound()
    if bound is not None and proven is not None:
        bound = max(bound, proven)
    return len(priced.results), bound


def _lp_attempts(variables: int, share: float) -> tuple[tuple[str, float], ...]:
    """(engine, seconds) asked in turn for the prices, until one gives duals.

    HiGHS first (optimal duals, and the LP's own bound), then PDLP, each within `share`. Above
    LP_PRICES_MAX_VARIABLES with a share shorter than HIGHS_LARGE_LP_SECONDS HiGHS cannot finish, so PDLP
    alone gets both shares. Measured on the W=1000 × 60 × 4 build-out over 4 periods at --time-limit 120:
    PDLP's iterate after 13 s, behind a HiGHS attempt of 13 s, prices the blocks into a bound of 262.5 M;
    after 26 s alone, 303.0–312.8 M (HiGHS's optimal duals: 388.6–394.9 M; the ownership prices, which
    such a build-out now uses instead, 381.2 M)."""
    if not highs_lp_fits(variables, share):
        return (("pdlp", 2 * share),)
    return (("highs", share), ("pdlp", share))


def highs_lp_fits(variables: int, seconds: float) -> bool:
    """Can HiGHS solve the LP relaxation of a model this size in `seconds`? Not above
    LP_PRICES_MAX_VARIABLES in less than HIGHS_LARGE_LP_SECONDS (measured); below it, it is tried."""
    return variables <= LP_PRICES_MAX_VARIABLES or seconds >= HIGHS_LARGE_LP_SECONDS
