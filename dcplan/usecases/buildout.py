"""Planning a build-out (or a single purchase with installed equipment): the same stages as a single
purchase, period by period where they are per period.

size each period's scenario → prune items dominated in every period → build one model over all periods (dcplan/model/buildout.py)
→ warm start (the greedy plan of each period, with the purchases it needs) → solve → extract
(dcplan/plan/buildout.py) → verify every period and the purchases (dcplan/plan/buildout_verify.py).
A large build-out (more pools than a single purchase solves whole) is planned by the same decomposition
as a large single purchase (dcplan/solve/decompose.py): each workload's pools over all periods form its
block, priced at the LP relaxation's duals (dcplan/solve/lagrange.py) or, when that LP is too large to
solve in time, at what owning their equipment costs (dcplan/solve/ownership.py), since the purchases
they need are shared by periods and workloads; the master then buys for the chosen configurations.
"""

from __future__ import annotations

import time

from dcplan.errors import Interrupted
from dcplan.scenario.timeline import in_period
from dcplan.vocab import Stage


def plan_buildout(run, planning):
    """Plan a build-out; `run` is dcplan.usecases.planning's run context, `planning` the helpers it
    shares (refuse_absurd_pools, input_warnings, no_plan, UnsafeInput)."""
    from dcplan.sizing.derived import with_derived_workloads

    run.scenario = with_derived_workloads(run.scenario, run.catalog)  # the storage each training run needs
    with planning.collection_paused():  # the model's objects are made: see dcplan/usecases/collector.py
        requirements, candidates = _size(run, planning)
        out = _build(run, planning, candidates)
        hint = _warm_start(run, out)
    result = (_solve_large(run, out, hint, planning) if planning.is_large(run)
              else _solve(run, out, hint, planning.reserve(run)))
    warnings = list(out.warnings) + result.messages
    if result.status == "interrupted":
        raise Interrupted()
    if result.values is None:
        raise planning.no_plan(run, result, warnings)
    if result.status == "feasible":
        warnings.append("the time limit stopped the solver before it proved optimality; see objective.gap")
    return _extract_and_verify(run, out, result, warnings, requirements)


def _views(run) -> list:
    count = run.scenario.periods.count if run.scenario.periods is not None else 1
    return [in_period(run.scenario, i) for i in range(count)]


def _size(run, planning):
    from dcplan.sizing import size_scenario
    from dcplan.sizing.buildout_pruning import prune_buildout

    views = _views(run)
    with run.stages(Stage.SIZE):
        requirements = [size_scenario(view, run.catalog) for view in views]
        for sized in requirements:
            planning.refuse_absurd_pools(sized)
    run.requirements = requirements[-1]
    if run.options.reference:
        return requirements, requirements
    # Pruned item by item over all periods at once (dcplan/sizing/buildout_pruning.py): a candidate that
    # dominates another in one period may not be for sale in another, or the other may already be owned.
    with run.stages(Stage.PRUNE):
        candidates, dropped = prune_buildout(run.scenario, views, run.catalog, requirements)
    if dropped:
        run.stages.say(f"dropped {dropped:,} items that another item dominates in every period")
    return requirements, candidates


def _build(run, planning, candidates):
    from dcplan.model.buildout import build_buildout

    with run.stages(Stage.BUILD):
        try:
            out = build_buildout(run.scenario, run.catalog, candidates, strengthen=not run.options.reference)
        except ValueError as err:  # LinearModel refuses NaN, infinite or absurd coefficients
            raise planning.UnsafeInput(f"the scenario's numbers cannot be solved safely: {err}") from None
    run.built = out
    run.build_seconds = time.perf_counter() - run.start
    run.model_seconds = run.build_seconds
    out.warnings.extend(planning.input_warnings(out))
    if run.options.save_model:
        from dcplan.atomic import write_atomic

        lm = out.lm
        write_atomic(run.options.save_model,
                     lm.to_mps() if str(run.options.save_model).lower().endswith(".mps") else lm.to_lp())
    run.check_time("building the model", keep=planning.reserve(run))
    return out


def _warm_start(run, out) -> list[float] | None:
    """Each period's greedy plan, with the least purchases that own what it uses (dcplan.solve.greedy)."""
    from dcplan.solve.buildout_start import buildout_start

    if run.options.reference:
        return None
    with run.stages(Stage.START):
        return buildout_start(out)


def _solve(run, out, hint, reserve: float):
    """The engine on the whole build-out, within the time limit (less `reserve` for extracting and
    verifying). The LP relaxation is solved first, within a quarter of the time: HiGHS may overrun its time
    limit in the root's cut loop of a build-out (seen at W=200 × 4 periods: 83 s for a 30 s limit) and be
    abandoned with no bound of its own, and the plan, the warm start then, still gets a proven bound."""
    from dcplan.solve import engines
    from dcplan.solve.bounds import lp_bound

    engine, lm = run.setting("engine"), out.lm
    run.stages.say(f"built the build-out in {run.build_seconds:.2f} s: {len(out.parts)} period(s), "
                   f"{len(lm.variables):,} variables, {len(lm.rows):,} rows")
    deadline = run.ends - reserve
    threads = run.setting("threads")
    with run.stages(Stage.SOLVE):
        bound = None
        if not run.options.reference:
            bound = lp_bound(lm, LP_SHARE * (deadline - time.perf_counter()), threads, deadline=deadline)
            if bound is not None:
                run.stages.say(f"LP relaxation: every plan costs at least {bound:,.0f}")
                run.stages.update(bound=bound)
        result = engines.solve(lm, engine=engine, time_limit=max(0.1, deadline - time.perf_counter()),
                               gap=run.setting("gap"), threads=threads, hint=hint, log=run.options.engine_log,
                               deadline=deadline)
    result = engines.or_warm_start(result, lm, hint)
    if bound is not None and (result.bound is None or bound > result.bound):
        result.bound = bound
    return result


LP_SHARE = 0.25
"""Of the time left for the solve, the LP relaxation of a build-out may take at most this share."""


def _solve_large(run, out, hint, planning):
    """Decomposition (dcplan/solve/decompose.py) from the blocks priced at the LP relaxation's duals.

    Measured at W=200 × 4 periods (60 types, 4 sites): the whole model stays at the greedy start, 24.7 %
    above its LP bound after 123 s; priced blocks bound every plan by 94.9 M (LP: 91.1 M) in 4 s, and the
    master plans 100.6 M in 30 s (greedy 119.8 M).
    """
    from dcplan.solve import blocks as blocks_module
    from dcplan.solve import engines
    from dcplan.solve.decompose import solve_large

    reserve = planning.reserve(run)
    deadline = run.ends - reserve
    threads = blocks_module.block_workers(run.setting("threads"))
    budget = min(planning.cut_share * run.setting("time_limit"), 0.5 * (deadline - time.perf_counter()))
    with run.stages(Stage.CUTS):
        began = time.perf_counter()
        try:
            blocks = blocks_module.find_blocks(out, priced=False)
            priced, how = _priced_blocks(out, blocks, budget, threads, deadline)
        except KeyboardInterrupt:
            raise Interrupted() from None
        seconds = time.perf_counter() - began
    if priced is None:  # no prices in time: the whole model, as for a small build-out
        return _solve(run, out, hint, reserve)
    solved, bound = priced
    run.stages.say(f"solved {solved:,} of {len(blocks):,} workloads {how} in {seconds:.2f} s"
                   + ("" if bound is None else f": every plan costs at least {bound:,.0f}"))
    run.stages.update(bound=bound)
    with run.stages(Stage.SOLVE):
        result = solve_large(out, blocks, hint, deadline, run.setting("engine"), run.setting("threads"),
                             run.setting("gap"), bound=bound, on_progress=run.stages.on_progress,
                             log=run.options.engine_log, round_seconds=seconds)
    return engines.or_warm_start(result, out.lm, hint)


def _priced_blocks(out, blocks, budget: float, threads: int, deadline: float):
    """((blocks solved, bound) or None, how they were priced): by the LP relaxation's duals when HiGHS
    can solve it in its share of `budget`, else by the ownership prices (dcplan/solve/ownership.py),
    else by PDLP's iterate. At W=1000 × 60 × 4 over 4 periods (410,463 variables) the ownership prices
    prove 381.2 M in 12 s of blocks, where PDLP's iterate after 26 s proves 303.0 M; at W=200 × 20 × 2
    over 4 periods the LP's duals prove 94.85 M and the ownership prices 93.94 M."""
    from dcplan.solve import lagrange, ownership

    lp = "at the LP relaxation's prices"
    if lagrange.highs_lp_fits(len(out.lm.variables), lagrange.LP_SHARE * budget):
        priced = lagrange.cuts_at_lp_prices(out, blocks, budget, threads, deadline, pdlp=False)
        if priced is not None:
            return priced, lp
    priced = ownership.cuts_at_ownership_prices(out, blocks, budget, threads, deadline)
    if priced is not None:
        return priced, "at the ownership prices"
    return lagrange.cuts_at_lp_prices(out, blocks, budget, threads, deadline), lp


def _extract_and_verify(run, out, result, warnings, requirements):
    from dcplan.plan.buildout import extract_buildout
    from dcplan.plan.buildout_verify import verify_buildout

    with run.stages(Stage.EXTRACT):
        plan = extract_buildout(out, result.values, status=result.status, engine=result.engine, bound=result.bound,
                                solve_seconds=result.solve_seconds, build_seconds=run.build_seconds,
                                warnings=warnings)
    with run.stages(Stage.VERIFY):
        verify_buildout(plan, run.scenario, run.catalog, requirements)
    return plan
