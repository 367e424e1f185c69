"""Site power and rack limits priced into the workloads' bound (a Lagrangian of the site limit rows).

Without the LP relaxation's prices (a single purchase above lagrange.LP_PRICES_MAX_VARIABLES), each
workload's block is priced at the least it pays for front-end ports and rack space (dcplan/solve/blocks.py)
and its optimum sits where it is cheapest, as if site power and racks were free. Where sites are full
that leaves most of the gap: W=5000 × 60 × 8 had its blocks bound every plan by 2,715.8 M where the first
restricted master's LP is 2,850.3 M; with the 8 sites' power and rack rows dropped, that LP is 2,755.5 M.

With λ_s ≥ 0 on site s's power row (PUE·IT_s ≤ P_s) and μ_s ≥ 0 on its rack row (Σ_k r_k ≤ R_s), every
plan x costs at least

    c·x + Σ_s λ_s·(PUE_s·IT_s(x) − P_s) + Σ_s μ_s·(Σ_k r_k(x) − R_s)  =  c'·x − Σ_s (λ_s·P_s + μ_s·R_s),

with c' = c − Aᵀy, y = (−λ, −μ) on those rows and 0 elsewhere. Every coefficient of those rows is ≥ 0
(power and racks never fall with more equipment), so c' ≥ c ≥ 0 is a cost like c: the port and rack
prices at c' bound what any plan pays at c' for its shared network and racks (now with the switches'
power and the racks' limit price in), and

    L(λ, μ) = Σ_w min_{v ∈ block w} f'_w(v) − Σ_s (λ_s·P_s + μ_s·R_s),  f'_w = c'_w + port_and_rack_prices(c')_w

bounds every plan (Geoffrion, 1974). The prices are the first restricted master's LP duals on those rows
(dcplan/solve/decompose.py): the master knows which sites fill up. At W=5000 × 60 × 8 with every block
solved again that proves 2,809.2 M where the blocks at f prove 2,715.8 M (W=1000 × 60 × 4, held-out seed 2,
on this path: 534.9 M against 529.9 M; at the LP relaxation's prices: 534.7 M).

Since c' ≥ c, f'_w ≥ f_w everywhere: every earlier bound is still a bound, and a block's earlier optimum
that costs nothing more is still optimal. So a block not solved again in time keeps its earlier bound,
and those solved again are taken by their rise per variable (`_rise_per_variable`): what the bound can
gain over how long a block takes. Measured on the 5,247 blocks of W=5000 × 60 × 8 whose optimum costs
more, one at a time (101 s of CPU in all; their bounds gain 171.0 M against the 78.3 M the prices take
off): after 20 s of CPU they gained 110.1 M in this order, 81.0 M by rise alone, 59.4 M smallest first
(142.8 M at best, in the order of the gains once known). 257 of them reached SCIP's 0.2 s and gained
9.5 M in 52.6 s of CPU; stopped at blocks.QUICK_PASSES' 0.05 s, all blocks take 55.8 s and gain 152.0 M
at least.
"""

from __future__ import annotations

import time

import numpy as np

from dcplan.solve.blocks import (QUICK_PASSES, BlockResult, block_of_variables, port_and_rack_prices, row_floors,
                                  rows_owned, solve_blocks)
from dcplan.solve.lagrange import BOUND_SAFETY, PricedBlocks, row_terms

LIMIT_FAMILIES = ("power", "racks")
LIMITS = "limits"
"""PricedBlocks.prices of a bound at these prices (site power and racks), as ownership.OWNERSHIP names its own."""
LIMIT_DEEPER_PASSES = (("scip", 0.5),)
"""The passes of the blocks left open at these prices when they are solved longer (`deepened_bound`).
Measured on the 245–248 blocks QUICK_PASSES left open on W=5000 × 60 × 8, widest gap first, one block at
a time on one thread (bound gained after 20, 40 and 60 s of CPU): SCIP 0.5 s 4.1–4.6, 10.0–10.3 and
11.9–12.2 M; SCIP 0.3 s 7.1, 10.6 and, all blocks done, 11.2 M; SCIP 1 s 3.6, 5.7, 10.0 M; HiGHS 0.5 s
5.6, 8.4, 10.4 M; HiGHS then SCIP 0.3 s each 4.7, 8.5, 11.3 M; CP-SAT 0.5 s 1.9, 4.6, 6.2 M; the passes
at the LP's prices (blocks.DEEPER_PASSES, CP-SAT 2.5 s then HiGHS) 2.4–2.6, 4.3–4.5, 5.9 M. Those blocks
leave 38.6–39.2 M between their points and their bounds, most of it in the points: DEEPER_PASSES on all
247 of them (289 s) raised the bound by 15.2 M."""
DEEPEN_SHARE = 0.8
"""Of the time left after the master, `deepened_bound` may take at most this share; the search the rest.
At W=5000 × 60 × 8 and 120 s the search after the master had 26 s and lowered the plan by 0.02 M; with
this share the blocks raised the bound by 10.8 M (2,807.2 M to 2,818.0 M, the gap 2.00 % to 1.63 %)."""


def limit_prices(built, row_source: np.ndarray, row_duals) -> np.ndarray | None:
    """y on the full model's rows: a restricted master's LP duals of the site power and rack rows (its row
    k is the full model's row row_source[k], −1 for its own rows), the others 0; None when no such row
    has a price. Only a price an upper limit allows (y < 0) is kept."""
    full = built.lm.matrix()
    y = np.zeros(full.shape[0])
    own = row_source >= 0
    y[row_source[own]] = np.asarray(row_duals, dtype=float)[own]
    limits = np.isin(built.lm.families(), LIMIT_FAMILIES) & np.isfinite(full.row_hi)
    y = np.where(limits & (y < 0), y, 0.0)
    return y if y.any() else None


def priced_bound(built, blocks, y: np.ndarray, time_budget: float, threads: int, deadline: float):
    """(L(λ, μ) at the limit prices y, or None; the blocks solved again, with their results at f'_w).
    A block not solved again keeps its earlier bound, or its floor at f'_w. None when a cost is negative
    (as for blocks.sum_of_bounds) or a limit row has a negative coefficient (then c' < c somewhere and
    the port and rack prices at c' may bound nothing)."""
    full = built.lm.matrix()
    rise = -full.transposed_product(y)
    if (full.cost < 0).any() or (rise < 0).any():
        return None, {}
    priced = full.cost + rise
    costs = priced + port_and_rack_prices(built, priced)
    earlier = {name: BlockResult(block.bound, block.solution, float(costs[block.variables] @ block.solution))
               for name, block in blocks.items() if block.solution is not None}
    solved = solve_blocks(built, blocks, time_budget, threads=threads, costs=lambda block: costs[block.variables],
                          deadline=deadline, passes=QUICK_PASSES, start=earlier, order=_rise_per_variable)
    of_variable = block_of_variables(full.shape[1], blocks)
    floors = row_floors(full, costs, rows_owned(full, of_variable), of_variable, len(blocks))
    # y < 0 prices the rows' upper limits: Σ y_r·hi_r; each block counts with the higher of its bound
    # (this one's, or the earlier one at f) and its floor at f' (PricedBlocks.bound)
    priced = PricedBlocks(full.offset + row_terms(full, y), costs,
                          {name: float(floors[k]) for k, name in enumerate(blocks)}, set(), {**earlier, **solved},
                          deeper=LIMIT_DEEPER_PASSES, prices=LIMITS)
    built.priced = priced  # solved longer after the master if the plan needs it (`deepened_bound`)
    again = {name: result for name, result in solved.items() if result is not earlier.get(name)}
    return priced.bound(), again


def deepened_bound(built, blocks, bound: float | None, plan, gap: float, deadline: float, threads: int,
                   say) -> float | None:
    """The bound once the blocks `priced_bound` left open are solved longer (LIMIT_DEEPER_PASSES, widest gap
    first, each from the plan's part of it where that is cheaper: lagrange.finish) within DEEPEN_SHARE of
    the time left, stopping once it proves `plan` within `gap`. `bound` when that is not higher, or when
    the run's bound does not rest on these prices (no such pricing, or a higher bound from elsewhere).
    Run after the master, in place of most of the search, which finds little at these sizes
    (DEEPEN_SHARE)."""
    from dcplan.solve.lagrange import finish

    priced = getattr(built, "priced", None)
    if priced is None or priced.prices != LIMITS or bound is None or plan is None:
        return bound
    current = priced.bound()
    if current is None or current < bound - BOUND_SAFETY * abs(bound):
        return bound
    cost = built.lm.matrix().objective(plan)
    target = cost - gap * abs(cost)
    still_open = priced.still_open()
    time_budget = DEEPEN_SHARE * (deadline - time.perf_counter())
    if bound >= target or not still_open or time_budget <= 1.0:
        return bound
    deepened = finish(built, blocks, time_budget, threads, deadline, target=target, plan=plan)
    if deepened is not None and deepened > bound:
        closed = len(set(still_open) - set(priced.still_open()))
        say(f"closed {closed:,} of the {len(still_open):,} workloads left open at site power and rack prices: "
            f"every plan costs at least {deepened:,.0f}")
        return deepened
    return bound


def pricing_pays(built) -> bool:
    """Are pricing rounds at the master's duals worth their time (dcplan/solve/decompose.py)? Not while
    the bound rests on these prices: there a round proves nothing and its time is better spent on the
    blocks left open (`deepened_bound`). W=5000 × 60 × 8: at the duals of the master with the site-priced
    columns a round took 30.7–37.5 s and its Lagrangian bound was −8,108 M (2,632 workloads with a negative
    reduced cost), and its 3,745 configurations left the plan where RINS had it (2,864.4 M); W=3000 × 60 × 8:
    two rounds in 51.8 s, no bound either, the plan from 1,847.17 M to 1,847.09 M."""
    priced = getattr(built, "priced", None)
    return priced is None or priced.prices != LIMITS


def _rise_per_variable(block, earlier: BlockResult | None) -> tuple:
    """The order blocks are solved again in (lowest first): the widest gap between the earlier point's
    cost at f'_w and the earlier bound, per variable of the block (a block's time grows with its size),
    first; blocks without an earlier bound last, smallest first (they ran out of time before)."""
    if earlier is None or earlier.bound is None or earlier.value is None:
        return (1, len(block.variables))
    return (0, -(earlier.value - earlier.bound) / max(1, len(block.variables)))
