"""Plan a model too large to solve whole within the time limit (docs/model.md, "Planning at scale").

1. The bound: the LP relaxation of the full model with its workload cuts
   (dcplan/blocks.py), solved by HiGHS. It is the bound reported.
2. A plan: the restricted master (dcplan/master.py) picks one configuration
   per workload, each block's optimum, moved to other sites, or the greedy
   plan's, and prices the shared network, racks and site limits exactly.
3. Polish: large-neighbourhood search (dcplan/lns.py) re-optimises batches
   of workloads in the full model for the rest of the time limit.

Every step keeps a plan that is feasible for the full model; the greedy warm
start is the fallback when a step finds nothing.
"""

from __future__ import annotations

import time

from dcplan.errors import Interrupted
from dcplan.solve.engines import AUTO_ENGINE, SolveResult

MIP_SHARE = 0.35
"""Of the time left after the bound, the master MIP gets at least this share; pricing rounds use the rest."""
MAX_PRICING_ROUNDS = 3
BOUND_SAFETY = 1e-6  # relative slack on the Lagrangian bound, for engine tolerances


def lp_bound(model, time_limit: float, threads: int = 0) -> float | None:
    """The LP relaxation's optimum (every variable continuous): a valid lower bound, or None in time."""
    result = _solve_lp(model, time_limit, threads)
    return result.bound if result.status == "optimal" else None


def _solve_lp(model, time_limit: float, threads: int = 0):
    from dcplan.solve.highs_direct import run, to_highs
    from dcplan.solve.engines import _engine_output_to_stderr, run_interruptibly

    with _engine_output_to_stderr():
        highs = to_highs(model, relax=True)
        return run_interruptibly(lambda: run(highs, time_limit, threads=threads, mip=False,
                                             constant=model.objective.constant), highs.cancelSolve)


def _solve_mip(model, engine: str, time_limit: float, gap: float, threads: int, hint):
    """HiGHS through its matrix API (no PuLP model to build), any other engine through solve.solve."""
    from dcplan.solve.highs_direct import solve_model
    from dcplan.solve.engines import solve

    if engine == "highs":
        return solve_model(model, time_limit, gap, threads, hint)
    return solve(model, engine, time_limit=time_limit, gap=gap, threads=threads, hint=hint)


def price(built, blocks, master, lp, time_budget: float, threads: int):
    """One pricing round: each workload's block at the master LP's reduced costs.

    With y the optimal duals of the master LP (z_RMP), a column v of workload w
    has reduced cost rc(v) = Σ_i (c_i − Σ_r y_r·a_ri)·v_i − y_w (y_w: its choose
    row). The block's proven minimum of that is a lower bound on every column
    of w, so z_LB = z_RMP + Σ_w min(0, min rc_w) bounds the configuration LP
    (the Dantzig-Wolfe relaxation), and so every plan, from below (Lasdon).
    Returns (that bound, or None if a block was not solved in time; the blocks' results).
    """
    from dcplan.solve.blocks import solve_blocks

    model = built.lm
    duals = lp.row_duals
    owned = {i for name in master.columns for i in blocks[name].variables}
    prices: dict[int, float] = {}
    for k, j in enumerate(master.row_source):
        if j is None or not duals[k]:
            continue
        for i, c in model.rows[j].terms.items():
            if i in owned:
                prices[i] = prices.get(i, 0.0) + duals[k] * c
    objective = model.objective.terms

    def reduced_costs(block):
        return {i: objective.get(i, 0.0) - prices.get(i, 0.0) for i in block.variables}

    chosen = {name: blocks[name] for name in master.columns}
    results = solve_blocks(built, chosen, time_budget, threads=threads, costs=reduced_costs)
    bound = None
    if len(results) == len(chosen) and all(r.bound is not None for r in results.values()):
        bound = lp.objective + sum(min(0.0, results[name].bound - duals[master.choose_row[name]])
                                   for name in chosen)
        bound -= BOUND_SAFETY * abs(bound)
    return bound, results


def solve_large(built, blocks, hint: list[float] | None, time_limit: float, engine: str, threads: int,
                gap: float, on_progress=None) -> SolveResult:
    """Columns, pricing, master, search: a plan of the full model and a proven bound."""
    start = time.perf_counter()
    try:
        return _solve_large(built, blocks, hint, time_limit, engine, threads, gap, on_progress)
    except (Interrupted, KeyboardInterrupt):
        return SolveResult("interrupted", engine, solve_seconds=time.perf_counter() - start)


def _solve_large(built, blocks, hint, time_limit, engine, threads, gap, on_progress) -> SolveResult:
    from dcplan.solve import lns
    from dcplan.solve import master as master_module
    start = time.perf_counter()
    deadline = start + time_limit
    engine = AUTO_ENGINE if engine == "auto" else engine
    say = on_progress or (lambda message: None)
    plans = [hint] if hint is not None else []
    chosen = master_module.columns(built, blocks, plans)
    bound, messages = None, []
    master = master_module.build_master(built.lm, blocks, chosen)
    round_seconds = 0.0
    for round_number in range(1, MAX_PRICING_ROUNDS + 1):
        began = time.perf_counter()
        lp = _solve_lp(master.relaxation(), max(1.0, deadline - began), threads)
        if lp.status == "interrupted" or lp.row_duals is None:
            break
        left = deadline - time.perf_counter()
        if left * (1 - MIP_SHARE) < max(round_seconds, 1.0):
            break  # the master MIP needs the rest
        priced_bound, results = price(built, blocks, master, lp, left * (1 - MIP_SHARE), threads)
        if priced_bound is not None and (bound is None or priced_bound > bound):
            bound = priced_bound
        added = master_module.add_columns(built, blocks, chosen, {n: r.solution for n, r in results.items()})
        round_seconds = time.perf_counter() - began
        say(f"pricing round {round_number}: master LP {lp.objective:,.0f}, bound "
            f"{'-' if bound is None else f'{bound:,.0f}'}, {added:,} new configurations ({round_seconds:.1f} s)")
        if not added or (bound is not None and lp.objective - bound <= gap * abs(lp.objective)):
            break
        master = master_module.build_master(built.lm, blocks, chosen)
    values = hint
    left = deadline - time.perf_counter()
    result = _solve_mip(master.model, engine, max(0.5, left * 0.9 if bound is not None else left * 0.6), gap,
                        threads, master.from_full(hint, blocks) if hint is not None else None)
    if result.status == "interrupted":
        return SolveResult("interrupted", engine, solve_seconds=time.perf_counter() - start)
    if result.values is not None:
        candidate = master.to_full(result.values)
        if values is None or built.lm.objective.value(candidate) < built.lm.objective.value(values):
            values = candidate
    messages.append(f"large model: chose among {sum(map(len, chosen.values())):,} configurations of "
                    f"{len(chosen):,} workloads ({result.status} in {result.solve_seconds:.0f} s)")
    if bound is None:
        # Pricing did not finish: the LP relaxation of the full model with its workload cuts is the bound.
        bound = lp_bound(built.lm, max(1.0, deadline - time.perf_counter()), threads)
    if values is None:
        # No greedy plan and no master plan (the master only knows some configurations): the full
        # model decides, within what is left, whether there is a plan, none (infeasible), or no answer.
        full = result if not chosen else _solve_mip(built.lm, engine, max(0.5, deadline - time.perf_counter()),
                                                     gap, threads, None)
        full.solve_seconds = time.perf_counter() - start
        full.messages = messages + full.messages
        if bound is not None and full.bound is not None:
            full.bound = max(full.bound, bound)
        elif full.bound is None:
            full.bound = bound
        return full
    objective = built.lm.objective.value(values)
    left = deadline - time.perf_counter()
    if left > 2.0 and (bound is None or objective - bound > gap * abs(objective)):
        say(f"re-optimising workloads in batches for {left:.0f} s")
        values, solved, improved = lns.improve(built, values, left, engine, threads, bound=bound, gap=gap)
        messages.append(f"large model: {solved} batches of workloads were re-optimised in the full model and "
                        f"{improved} improved the plan")
        objective = built.lm.objective.value(values)
    proven = bound is not None and objective - bound <= gap * abs(objective)
    return SolveResult("optimal" if proven else "feasible", engine, values=values, objective=objective,
                       bound=bound, solve_seconds=time.perf_counter() - start, messages=messages)
