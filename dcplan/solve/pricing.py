"""Pricing rounds: column generation on the restricted master (docs/model.md, "Planning at scale").

The master's LP relaxation (dcplan/solve/master.py) gives duals of the shared rows and of each workload's
choose row; every workload's block (dcplan/solve/blocks.py) is solved again at the reduced costs they
imply. A block's optimum is a new configuration for the master, and its proven minimum bounds the reduced
cost of every configuration of that workload, which makes each round a lower bound on every plan
(Lasdon's bound). dcplan/solve/decompose.py decides when rounds run; this module runs them and decides
when they stop paying.
"""

from __future__ import annotations

import time

import numpy as np

from dcplan.solve.engines import SolveResult
from dcplan.solve.lagrange import BOUND_SAFETY
from dcplan.vocab import Status

MIP_SHARE = 0.35
"""Of the time left after the bound, the master MIP gets at least this share; pricing rounds use the rest."""
MAX_PRICING_ROUNDS = 12
"""Rounds stop before this when the master's LP comes near the bound (PRICING_STOP_SHARE), the last round
moved nothing (PRICING_MOVE_SHARE), a round no longer fits, or nothing is new. W=200 × 20 × 2 over 4
periods, rounds of 0.7–1.2 s (1.2–2.2 s on one thread): the bound rose from 94.85 M to 94.99 M in 8 rounds,
and to 95.07 M in 12. Single purchases at W=100 and 300 stop after one round; at W=1,000 (rounds of
about 8 s) after two."""
PRICING_STOP_SHARE = 0.1
"""Pricing stops once the master's LP is within this share of the gap of the bound: the bound can rise by
no more than that. The plan usually lies further above the master's LP (its integrality gap: 2–3 % on
build-outs), so a rise of up to the whole gap (the rule before) is still worth having."""
PRICING_MOVE_SHARE = 0.02
"""Pricing also stops when the last round moved neither the master's LP nor the bound by this share of
the gap (`_stalled`). W=1000 × 60 × 4 at 60 s, rounds of 8.3 s: a third round on held-out seed 3 lowered
the master's LP by 0.006 % (the second by 0.39 %), on seed 2 by 0.013 % (0.47 %), and left the bound
where it was. On the W=200 × 20 × 2 build-out over 4 periods each of its 8 rounds lowered the LP by
0.025 % or more."""


def price(built, blocks, master, lp: SolveResult, time_budget: float, threads: int, deadline: float):
    """One pricing round: each workload's block at the master LP's reduced costs.

    With y the optimal duals of the master LP (z_RMP), a column v of workload w has reduced cost
    rc(v) = Σ_i (c_i − Σ_r y_r·a_ri)·v_i − y_w (y_w: its choose row). The block's proven minimum of that is
    a lower bound on every column of w, so z_LB = z_RMP + Σ_w min(0, min rc_w) bounds the configuration LP
    (the Dantzig-Wolfe relaxation), and so every plan, from below (Lasdon). Returns (that bound, or None if
    a block was not solved in time; the blocks' results).
    """
    from dcplan.solve.blocks import FIRST_PASSES, solve_blocks

    full = built.lm.matrix()
    y = np.zeros(full.shape[0])
    sources = master.row_source
    from_full = sources >= 0
    y[sources[from_full]] = lp.row_duals[from_full]
    reduced = full.cost - full.transposed_product(y)
    chosen = {name: blocks[name] for name in master.columns}
    results = solve_blocks(built, chosen, time_budget, threads=threads,
                           costs=lambda block: reduced[block.variables], deadline=deadline, passes=FIRST_PASSES)
    bound = None
    if len(results) == len(chosen) and all(r.bound is not None for r in results.values()):
        bound = lp.objective + sum(min(0.0, results[name].bound - lp.row_duals[master.choose_row[name]])
                                   for name in chosen)
        bound -= BOUND_SAFETY * abs(bound)
    return bound, results


def rounds(built, blocks, chosen, master, deadline, threads, gap, bound, say, round_seconds: float = 0.0):
    """Pricing rounds while time allows (a round is expected to take `round_seconds`, then what the last
    one took); returns (master, best bound).

    A round that proves no bound at all ends pricing (its configurations still reach the master): some
    block had no bound at the master's duals, or was not solved in time, and the next round's duals are of
    the same kind. The W=1000 × 60 × 4 build-out over 4 periods at 120 s: its rounds (10–16 s each) never
    proved a bound, lowered the master's LP by 1.3 % in three, and left the dive 4 s (no plan) and the
    search 4–5 s: 430.4 M and 430.5 M. With no round after such a one: 423.4–426.0 M in three runs (the
    dive 428 M in 13 s, then 15 s of search). W=100 to 1,000 (held-out seeds too) and W=200 × 20 × 2 over
    4 periods prove a bound in every round; W=3000 and up run none (limits.pricing_pays)."""
    from dcplan.solve import limits, master as master_module

    if not limits.pricing_pays(built):
        return master, bound
    last = None  # (the master's LP, the bound) before the last round
    for round_number in range(1, MAX_PRICING_ROUNDS + 1):
        began = time.perf_counter()
        if not _round_fits(deadline - began, round_seconds):
            break  # not even with its LP left out (W=5000 × 60 × 8: that LP alone took 5.8 s)
        lp = master_module.solve_lp(master.relaxation(), deadline - began, threads, deadline)
        if lp.status != Status.OPTIMAL or lp.row_duals is None:
            break
        if last is not None and _stalled(*last, lp.objective, bound, gap):
            break  # the last round's configurations barely moved the master's LP, nor the bound
        last = (lp.objective, bound)
        left = deadline - time.perf_counter()
        if not _round_fits(left, round_seconds):
            break  # the master MIP needs the rest
        priced, results = price(built, blocks, master, lp, left * (1 - MIP_SHARE), threads, deadline)
        if priced is not None and (bound is None or priced > bound):
            bound = priced
        added = master_module.add_columns(built, blocks, chosen, {n: r.solution for n, r in results.items()})
        round_seconds = time.perf_counter() - began
        say(f"pricing round {round_number}: master LP {lp.objective:,.0f}, bound "
            f"{'-' if bound is None else f'{bound:,.0f}'}, {added:,} new configurations ({round_seconds:.1f} s)")
        if added:  # the new configurations serve the master MIP even when pricing stops here
            master = master_module.build_master(built.lm, blocks, chosen)
        if _pricing_done(added, lp.objective, bound, gap) or priced is None:
            break
    return master, bound


def _stalled(previous_lp: float, previous_bound: float | None, master_lp: float, bound: float | None,
             gap: float) -> bool:
    """Did the last round lower the master's LP (from `previous_lp` to `master_lp`) and raise the bound
    each by less than PRICING_MOVE_SHARE of the gap? Then further rounds mostly take the master MIP's time."""
    moved = PRICING_MOVE_SHARE * gap
    lowered = previous_lp - master_lp >= moved * abs(master_lp)
    raised = bound is not None and (previous_bound is None or bound - previous_bound >= moved * abs(bound))
    return not lowered and not raised


def _round_fits(left: float, round_seconds: float) -> bool:
    """Does a pricing round (expected to take `round_seconds`) fit in `left` beside the master's share?"""
    return left * (1 - MIP_SHARE) >= max(round_seconds, 1.0)


def _pricing_done(added: int, master_lp: float, bound: float | None, gap: float) -> bool:
    """Nothing new, or the master's LP within PRICING_STOP_SHARE of the gap of the bound."""
    return not added or (bound is not None and master_lp - bound <= PRICING_STOP_SHARE * gap * abs(master_lp))
