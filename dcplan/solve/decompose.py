"""Plan a model too large to solve whole within the time limit (docs/model.md, "Planning at scale").

1. Columns: each workload's block optimum (dcplan/solve/blocks.py; for a large model, at the LP
   relaxation's prices, dcplan/solve/lagrange.py), its moves to other sites, and its part of the greedy plan.
2. Pricing (dcplan/solve/pricing.py): the restricted master's LP relaxation (dcplan/solve/master.py)
   prices every block again at reduced costs; each round adds the new configurations and gives the
   Lagrangian bound.
3. A plan: the master as a MILP picks one configuration per workload and prices the shared network,
   racks and site limits exactly.
4. Polish: large-neighbourhood search (dcplan/solve/lns.py) re-optimises batches of workloads in the full
   model for the rest of the time.

Every step keeps a plan that is feasible for the full model; the greedy warm start is the fallback when
a step finds nothing. The bound reported is the best proven one: the caller's (the Lagrangian bound at the
LP's prices, or the workloads' own bounds added up), pricing's, or one raised once a first plan exists
(dcplan/solve/bounds.py: open blocks solved longer, site prices, the LP relaxation of the full model with
its workload cuts). All engine calls run through OR-Tools and end by `deadline` (a time.perf_counter()).
"""

from __future__ import annotations

import time

import numpy as np

from dcplan.errors import Interrupted
from dcplan.solve import bounds, pricing
from dcplan.solve.engines import ENGINE_NAMES, SolveResult, engine_of, solve
from dcplan.solve.rins import choices_of, rins
from dcplan.vocab import Status


def solve_large(built, blocks, hint, deadline: float, engine: str, threads: int, gap: float,
                bound: float | None = None, on_progress=None, log=None, round_seconds: float = 0.0) -> SolveResult:
    """Columns, pricing, master, search: a plan of the full model and a proven bound, by `deadline`.
    `round_seconds`: what solving every block once took before (a pricing round takes about as long)."""
    start = time.perf_counter()
    try:
        return _solve_large(built, blocks, hint, deadline, engine_of(engine), threads, gap, bound,
                            on_progress or (lambda message: None), log, round_seconds)
    except (Interrupted, KeyboardInterrupt):
        return SolveResult(Status.INTERRUPTED, engine, solve_seconds=time.perf_counter() - start)


def _solve_large(built, blocks, hint, deadline, engine, threads, gap, bound, say, log, round_seconds) -> SolveResult:
    from dcplan.solve import limits, lns
    from dcplan.solve import master as master_module

    start = time.perf_counter()
    full = built.lm.matrix()
    if deadline - start <= 0.0:  # a short --time-limit on a large model
        return _out_of_time(full, hint, bound, engine)
    chosen = master_module.columns(built, blocks, [hint] if hint is not None else [])
    master = master_module.build_master(built.lm, blocks, chosen)
    values = None if hint is None else np.asarray(hint, dtype=float)
    early = None  # a dive's plan before pricing, kept aside for the search if it was not within the gap
    if bound is not None and values is not None:
        values, first_lp = _before_pricing(master, blocks, values, bound, deadline, engine, threads, gap, say,
                                           round_seconds)
        if not _proven(full, values, bound, gap):
            values, master = _searched_before_pricing(built, blocks, chosen, master, values, bound, deadline, gap,
                                                      say, log)
        if not _proven(full, values, bound, gap):
            early = _dived_before_pricing(master, blocks, values, bound, first_lp, deadline, engine, threads, gap,
                                          say)
            values = values if early is None else _cheaper(full, values, early)
        if not _proven(full, values, bound, gap):
            bound, master = bounds.finished(built, blocks, chosen, master, bound, deadline, threads, say, first_lp,
                                            target=_target(full.objective(values), gap), plan=values)
        if _proven(full, values, bound, gap):
            return _within_gap_before_pricing(full, values, bound, engine, chosen, start)
    master, bound = pricing.rounds(built, blocks, chosen, master, deadline, threads, gap, bound, say, round_seconds)
    start_values = master.from_full(values, blocks) if values is not None else None
    start_values, relaxed, note = rins(master.matrix, start_values, deadline, engine, threads, gap, say,
                                       choices_from=choices_of(master))
    start_values = _dived(master, start_values, relaxed, bound, deadline, engine, threads, gap, say)
    if start_values is not None:
        values = _cheaper(full, values, master.to_full(start_values))
    result = _master_mip(master, start_values, relaxed, bound, deadline, engine, threads, gap, log)
    if result.values is not None:
        values = _cheaper(full, values, master.to_full(result.values))
    if early is not None:
        values = _cheaper(full, values, early)
    messages = [f"large model: chose among {sum(map(len, chosen.values())):,} configurations of "
                f"{len(chosen):,} workloads ({note}; master {result.status} in {result.solve_seconds:.0f} s)"]
    bound = bounds.after_master(built, blocks, bound, deadline, threads, say)
    if values is None:
        return _without_plan(built, chosen, result, bound, deadline, engine, threads, gap, log, messages, start)
    bound = limits.deepened_bound(built, blocks, bound, values, gap, deadline, threads, say)
    objective = full.objective(values)
    left = deadline - time.perf_counter()
    if left > 1.0 and (bound is None or objective - bound > gap * abs(objective)):
        say(f"re-optimising workloads in batches for {left:.0f} s")
        values, solved, improved = lns.improve(built, values, deadline, engine, threads, bound=bound, gap=gap,
                                               log=log, order=lns.by_excess(blocks, values))
        messages.append(f"large model: {solved} batches of workloads were re-optimised in the full model and "
                        f"{improved} improved the plan")
        objective = full.objective(values)
    proven = bound is not None and objective - bound <= gap * abs(objective)
    return SolveResult(Status.OPTIMAL if proven else Status.FEASIBLE, result.engine, values=list(values),
                       objective=objective, bound=bound, solve_seconds=time.perf_counter() - start, messages=messages)


def _cheaper(matrix, values, candidate):
    """The cheaper of the plans `values` (or None) and `candidate` of the model `matrix` (full or master)."""
    return candidate if values is None or matrix.objective(candidate) < matrix.objective(values) else values


def _master_mip(master, start, relaxed, bound: float | None, deadline: float, engine: str, threads: int,
                gap: float, log) -> SolveResult:
    """The master MIP from the plan `start` (or None), with _master_stop's gap and target and at most
    MASTER_TIME_SHARE of the time left; not run when `start` is within that gap of the master's LP
    `relaxed` (it would stop at once, and the search gets the time)."""
    master_lp = None if relaxed is None else relaxed.objective
    master_gap, target = _master_stop(bound, gap, master_lp, engine)
    if start is not None and master_lp is not None and \
            master.matrix.objective(start) - master_lp <= master_gap * abs(master_lp):
        return SolveResult(Status.OPTIMAL, ENGINE_NAMES[engine], values=list(start))
    share = MASTER_TIME_SHARE if bound is not None else 0.6  # without a bound, the LP after it needs time
    result = solve(master.matrix, engine, time_limit=max(0.1, (deadline - time.perf_counter()) * share),
                   gap=master_gap, threads=threads, hint=start, log=log, deadline=deadline, target=target)
    if result.status == Status.INTERRUPTED:
        raise Interrupted()
    return result


def _dived(master, start, relaxed, bound: float | None, deadline: float, engine: str, threads: int, gap: float,
           say):
    """The better of the master plan `start` (or None) and a dive on the master's LP `relaxed` (or None)
    within DIVE_SHARE of the time left (dcplan/solve/dive.py); no dive when `start` is already within the
    gap of the proven `bound`, or within the master's own gap of its LP (the master MIP is then skipped)."""
    from dcplan.solve.dive import dive

    if start is not None:
        cost = master.matrix.objective(start)
        if (bound is not None and cost - bound <= gap * abs(cost)) or \
                (relaxed is not None and cost - relaxed.objective <= MASTER_GAP_SHARE * gap * abs(relaxed.objective)):
            return start
    began = time.perf_counter()
    dived = dive(master, began + DIVE_SHARE * (deadline - began), threads, engine, MASTER_GAP_SHARE * gap,
                 start=start, lp=relaxed)
    if dived is None:
        say(f"diving on the master's LP found no plan ({time.perf_counter() - began:.1f} s)")
        return start
    say(f"diving on the master's LP: {master.matrix.objective(dived):,.0f} ({time.perf_counter() - began:.1f} s)")
    return _cheaper(master.matrix, start, dived)


def _dived_before_pricing(master, blocks, values, bound: float, first_lp, deadline: float, engine: str,
                          threads: int, gap: float, say) -> np.ndarray | None:
    """A full plan from a dive on the master before any pricing round (dcplan/solve/dive.py), or None; tried
    only where it can end the run: the first master's LP `first_lp` lies within the gap of the proven
    `bound` (no plan of a master whose LP lies further up can be within it: W=3000 × 60 × 8, 3.4 % apart,
    and the 4-period W=1000 build-out, 9 %), and EARLY_DIVE_LPS of its LPs fit in DIVE_SHARE of the time
    left. It runs before the bound is finished and its plan replaces the run's where cheaper: a plan within
    the gap skips the finishing and the pricing rounds, a cheaper one lowers the finishing's target. In the
    other order, on W=1000 × 60 × 4 (seed 4, whose RINS plan lay 1.13 % above the bound), finishing took
    12 s to raise the bound by 0.25 M before the dive lowered the plan by 2.8 M in 4.4 s."""
    from dcplan.solve.dive import dive

    began = time.perf_counter()
    left = deadline - began
    if first_lp is None or first_lp.objective - bound > gap * abs(first_lp.objective) or \
            EARLY_DIVE_LPS * first_lp.solve_seconds > DIVE_SHARE * left:
        return None
    dived = dive(master, began + DIVE_SHARE * left, threads, engine, MASTER_GAP_SHARE * gap,
                 start=None if values is None else master.from_full(values, blocks))
    if dived is None:
        say(f"diving on the first master found no plan ({time.perf_counter() - began:.1f} s)")
        return None
    say(f"diving on the first master: {master.matrix.objective(dived):,.0f} ({time.perf_counter() - began:.1f} s)")
    return master.to_full(dived)


EARLY_DIVE_LPS = 10
"""LPs of the first master's size a dive before pricing must have room for (it solves about 14 on 46 split
workloads, most of them smaller once configurations are fixed)."""
DIVE_SHARE = 0.3
"""Of the time left after RINS, the dive may take at most this share; the master MIP and the search get the
rest. At 0.2, on the W=200 × 20 × 2 build-out over 4 periods at 30 s, the 2.6 s left to it after a RINS of
4.4 s were too few for its 14 LPs; the master MIP found nothing better in its time either way."""


MASTER_GAP_SHARE = 0.1
"""With a proven bound, the master MIP runs to this share of the gap and stops once its plan is within the
gap of that bound (`_master_stop`)."""

MASTER_TIME_SHARE = 0.5
"""With a proven bound, the master MIP gets at most this share of the time left and the search over the full
model (`lns.improve`) the rest. The master can only recombine the configurations pricing found, and on
build-outs its root cuts took most of its time: on the W=200 × 20 × 2 build-out over 4 periods, 70 s of
master MIP lowered the dive's plan from 97.94 M to 97.81 M, while each 5-s batch of the search, which may
give a workload a configuration no block proposed, found 0.1–0.6 M. At 0.5 instead of 0.9 that build-out
ended at 2.46 % instead of 3.01 % with 30 s and at 1.38 % instead of 1.71 % with 120 s; W=100 × 60 × 4 at
1.94 % (1.93 %), held-out W=1,000 seeds 2 and 3 and W=300 unchanged. At 0.3, W=100 lost (2.06 %)."""


def _master_stop(bound: float | None, gap: float, master_lp: float | None, engine: str) -> tuple[float, float | None]:
    """(relative gap, target cost) for the master MIP. The master's own bound is its LP or above, which
    lies above the proven bound (held-out seed 2 at W=1000 × 60 × 4: 538.2 M against 536.6 M); at the full
    gap HiGHS stopped after 0.2 s at 543.6 M, a plan 1.3 % above the proven bound, and left the rest of the
    time to the search. So the master keeps going until a plan is within the gap of the proven bound,
    cost ≤ bound / (1 − gap), or it is within a tenth of the gap of its own. When no master plan can
    reach that (its LP is above the target) or its LP was not solved in time (W ≥ 3,000: the master then
    spent 6–8 s finding nothing), it stops at the gap, as before, and the search gets the time; so it
    does with an engine other than HiGHS, which takes no target."""
    if bound is None or bound <= 0.0 or master_lp is None or engine != "highs":
        return gap, None
    target = bound / (1.0 - gap)
    return (MASTER_GAP_SHARE * gap, target) if master_lp < target else (gap, None)


def _out_of_time(full, hint, bound: float | None, engine: str) -> SolveResult:
    """The deadline passed before the decomposition began: the greedy plan (if any), with the bound known."""
    if hint is None:
        return SolveResult(Status.NO_SOLUTION, ENGINE_NAMES[engine], bound=bound)
    values = np.asarray(hint, dtype=float)
    return SolveResult(Status.FEASIBLE, ENGINE_NAMES[engine], values=list(hint), objective=full.objective(values),
                       bound=bound, messages=["large model: the time ran out before the decomposition; this is the "
                                              "greedy plan"])


def _before_pricing(master, blocks, values, bound: float, deadline, engine, threads, gap, say, round_seconds):
    """The better of `values` and RINS on the first master, within what a pricing round would take: when
    that plan is already within the gap of the bound, the rounds (18 s each at W=1000 × 60 × 4, moving the
    master's LP by 0.01 %) are skipped. Returns (the plan, a full-model vector kept for the master after
    pricing; the first master's LP relaxation as RINS solved it, or None)."""
    early, relaxed, _ = rins(master.matrix, master.from_full(values, blocks), deadline, engine, threads, gap, say,
                             budget=max(1.0, round_seconds), choices_from=choices_of(master))
    if early is None:
        return values, relaxed
    candidate = master.to_full(early)
    better = master.full.matrix().objective(candidate) < master.full.matrix().objective(values)
    return (candidate if better else values), relaxed


def _searched_before_pricing(built, blocks, chosen, master, values, bound: float, deadline: float, gap: float,
                             say, log):
    """(The plan `values` after the search on the workloads furthest above their bounds (lns.improve_furthest)
    within EARLY_SEARCH_SHARE of the time left; the master, with that plan's configurations added)."""
    from dcplan.solve import lns
    from dcplan.solve import master as master_module

    began = time.perf_counter()
    before = built.lm.matrix().objective(values)
    values, picked, solved, improved = lns.improve_furthest(built, blocks, values, bound, gap,
                                                           began + EARLY_SEARCH_SHARE * (deadline - began), log)
    if picked:
        say(f"re-optimising the {len(picked)} workloads furthest above their bounds: {before:,.0f} to "
            f"{built.lm.matrix().objective(values):,.0f} ({improved} of {solved} better, "
            f"{time.perf_counter() - began:.1f} s)")
    if improved and master_module.add_columns(built, blocks, chosen, {
            name: values[block.variables] for name, block in blocks.items() if name in chosen}, shifts=False):
        master = master_module.build_master(built.lm, blocks, chosen)
    return values, master


EARLY_SEARCH_SHARE = 0.15
"""Of the time left after RINS's first plan, the search before pricing may take at most this share."""


def _target(cost: float, gap: float) -> float:
    """The least bound that proves a plan of this cost within the gap."""
    return cost - gap * abs(cost)


def _proven(full, values, bound: float, gap: float) -> bool:
    """Does `bound` prove the plan `values` (of the full model's arrays `full`) within the gap?"""
    return bound >= _target(full.objective(values), gap)


def _within_gap_before_pricing(full, values, bound: float, engine: str, chosen, start: float) -> SolveResult:
    objective = full.objective(values)
    return SolveResult(Status.OPTIMAL, ENGINE_NAMES[engine], values=list(values), objective=objective, bound=bound,
                       solve_seconds=time.perf_counter() - start,
                       messages=[f"large model: chose among {sum(map(len, chosen.values())):,} configurations of "
                                 f"{len(chosen):,} workloads, within the gap before any pricing round"])


def _without_plan(built, chosen, result, bound, deadline, engine, threads, gap, log, messages, start) -> SolveResult:
    """No greedy plan and no master plan (the master only knows some configurations): the full model decides,
    within what is left, whether there is a plan, none (infeasible), or no answer."""
    full = result if not chosen else solve(built.lm, engine, time_limit=max(0.1, deadline - time.perf_counter()),
                                           gap=gap, threads=threads, log=log, deadline=deadline)
    full.solve_seconds = time.perf_counter() - start
    full.messages = messages + full.messages
    if bound is not None and full.bound is not None:
        full.bound = max(full.bound, bound)
    elif full.bound is None:
        full.bound = bound
    return full
