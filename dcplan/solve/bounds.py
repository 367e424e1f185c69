"""The proven bound once the decomposition has a first plan (docs/model.md, "Planning at scale").

Every plan is first bounded by its workloads' blocks at the prices the run began with (the LP
relaxation's, or ports and rack space alone for a model too large for that LP; dcplan/solve/lagrange.py).
When the first plan is not within the gap of that bound, the bound is raised here: the blocks the first
look did not reach or left open are solved longer at the same prices (`finished`), or, where no LP
priced them, again at site power and rack prices from the first master's LP duals (dcplan/solve/limits.py);
after the master, the LP relaxation of the full model with its workload cuts serves where neither gave a
bound (`after_master`). Each step keeps the higher bound and hands the configurations its blocks found to
the master.
"""

from __future__ import annotations

import time

from dcplan.errors import Interrupted
from dcplan.solve.engines import solve
from dcplan.solve.lagrange import highs_lp_fits
from dcplan.vocab import Status


def lp_bound(model, time_limit: float, threads: int = 0, deadline: float | None = None) -> float | None:
    """The LP relaxation's optimum (every variable continuous): a valid lower bound, or None in time."""
    result = solve(model, "highs", time_limit=time_limit, gap=0.0, threads=threads, relax=True, deadline=deadline)
    if result.status == Status.INTERRUPTED:
        raise Interrupted()
    return result.bound if result.status == Status.OPTIMAL else None


def after_master(built, blocks, bound: float | None, deadline: float, threads: int, say) -> float | None:
    """The bound once the master has run: the LP relaxation of the full model with its workload cuts when
    neither the workloads' bounds nor pricing gave one, or when some workloads were not solved in time
    and their row floors keep the sum of bounds weak (W=1000 under load: 344 M with 40 % of the blocks
    solved, where the LP with the cuts proves 387 M in 9 s); the better bound is kept. Not that LP when it
    cannot finish: at W=5000 × 60 × 8 it ran 13.7 s for nothing and took 1.2 GB."""
    if bound is None:
        return lp_bound(built.lm, deadline - time.perf_counter(), threads, deadline=deadline)
    share = LP_SHARE * (deadline - time.perf_counter())
    if any(block.bound is None for block in blocks.values()) and deadline - time.perf_counter() > LP_AFTER \
            and highs_lp_fits(len(built.lm.variables), share):
        lp = lp_bound(built.lm, share, threads, deadline=deadline)
        if lp is not None and lp > bound:
            say(f"the LP relaxation with the workload cuts bounds every plan by {lp:,.0f} (the workloads' own "
                f"bounds: {bound:,.0f})")
            return lp
    return bound


def finished(built, blocks, chosen, master, bound: float, deadline: float, threads: int, say, first_lp,
             target: float | None = None, plan=None):
    """(The Lagrangian bound at the LP's prices with the blocks it did not reach solved now and the blocks
    it left open solved longer, within FINISH_SHARE of the time left (lagrange.finish), if that proves
    more than `bound`; the master, with the configurations those blocks found added to `chosen`). It stops
    once the bound reaches `target` (the plan then is within the gap), and starts blocks from their part
    of `plan` where that is cheaper. Blocks priced without the LP get site power and rack prices from the
    first master's LP `first_lp` instead."""
    from dcplan.solve import lagrange
    from dcplan.solve import master as master_module

    priced = getattr(built, "priced", None)
    if priced is None:
        return _limit_priced(built, blocks, chosen, master, bound, deadline, threads, say, first_lp)
    missing, still_open = priced.unsolved(), priced.still_open()
    if not missing and not still_open:
        return bound, master
    finished = lagrange.finish(built, blocks, FINISH_SHARE * (deadline - time.perf_counter()), threads, deadline,
                               target=target, plan=plan)
    if finished is not None and finished > bound:
        say(f"{finish_summary(missing, still_open, priced.unsolved(), priced.still_open())} at the same prices: "
            f"every plan costs at least {finished:,.0f}")
        bound = finished
    if master_module.add_columns(built, blocks, chosen, {name: blocks[name].solution for name in missing + still_open}):
        master = master_module.build_master(built.lm, blocks, chosen)
    return bound, master


def finish_summary(missing: list[str], still_open: list[str], unsolved_after: list[str], open_after: list[str]) -> str:
    """What finishing the bound did, counted on the blocks it was asked about: a block solved now for the
    first time may itself be left open, and is not one of those it failed to close."""
    done = [f"solved {len(set(missing) - set(unsolved_after)):,} of the {len(missing):,} workloads left"] if missing else []
    if still_open:
        done.append(f"closed {len(set(still_open) - set(open_after)):,} of the {len(still_open):,} left open")
    return " and ".join(done)


def _limit_priced(built, blocks, chosen, master, bound: float, deadline: float, threads: int, say, first_lp):
    """(The workloads' bound with site power and racks priced by the first master's LP duals
    (dcplan/solve/limits.py), within LIMIT_SHARE of the time left, if that proves more than `bound`; the
    master, with the configurations of the blocks solved again added to `chosen`)."""
    from dcplan.solve import limits
    from dcplan.solve import master as master_module

    y = None if first_lp is None or first_lp.row_duals is None else \
        limits.limit_prices(built, master.row_source, first_lp.row_duals)
    if y is None:
        return bound, master
    began = time.perf_counter()
    priced, again = limits.priced_bound(built, blocks, y, LIMIT_SHARE * (deadline - began), threads, deadline)
    if priced is not None and priced > bound:
        say(f"site power and racks priced by the master's LP ({len(again):,} workloads solved again in "
            f"{time.perf_counter() - began:.1f} s): every plan costs at least {priced:,.0f}")
        bound = priced
    if master_module.add_columns(built, blocks, chosen, {name: result.solution for name, result in again.items()}):
        master = master_module.build_master(built.lm, blocks, chosen)
    return bound, master


LIMIT_SHARE = 0.85
"""Of the time left after the first plan, the blocks solved again at site power and rack prices may take
this share. At W=5000 × 60 × 8 and 120 s: 70 % proved 2,757.1 M and 85 % 2,762.0 M (blocks stopped at
0.2 s; the master MIP found no better plan in the rest); with blocks stopped at 0.05 s, 85 % reached
5,045 of the 5,250 blocks and 2,790.5 M, and 95 % all of them and 2,790.5 M, leaving the master nothing."""
FINISH_SHARE = 0.25
"""Of the time left after the first plan, the workloads the Lagrangian bound did not reach may take this share."""


LP_AFTER = 4.0
"""Seconds that must be left after the master for the full LP bound to be tried (it needs several at W=1000)."""
LP_SHARE = 0.5
"""Of the time left after the master, the full LP bound may take at most this share; search gets the rest."""
