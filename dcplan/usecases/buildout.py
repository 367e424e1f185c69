"""Planning a build-out (or a single purchase with installed equipment): the same stages as a single
purchase, period by period where they are per period.

size each period's scenario → prune items dominated in every period → build one model over all periods (dcplan/model/buildout.py)
→ warm start (the greedy plan of each period, with the purchases it needs) → solve → extract
(dcplan/plan/buildout.py) → verify every period and the purchases (dcplan/plan/buildout_verify.py).
Workload cuts and the decomposition of very large models are not used for build-outs: their
costs sit on purchases that several periods and workloads share.
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
    requirements, candidates = _size(run, planning)
    out = _build(run, planning, candidates)
    hint = _warm_start(run, out)
    result = _solve(run, out, hint)
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
    out.warnings.extend(planning.input_warnings(out))
    if run.options.save_model:
        from dcplan.atomic import write_atomic

        lm = out.lm
        write_atomic(run.options.save_model,
                     lm.to_mps() if str(run.options.save_model).lower().endswith(".mps") else lm.to_lp())
    run.ends = run.start + run.build_seconds + run.setting("time_limit")
    if run.options.deadline is not None:
        run.ends = min(run.ends, run.options.deadline)
    return out


def _warm_start(run, out) -> list[float] | None:
    """Each period's greedy plan, with the least purchases that own what it uses (dcplan.solve.greedy)."""
    from dcplan.solve.buildout_start import buildout_start

    if run.options.reference:
        return None
    with run.stages(Stage.START):
        return buildout_start(out)


def _solve(run, out, hint):
    from dcplan.solve import engines

    engine, lm = run.setting("engine"), out.lm
    run.stages.say(f"built the build-out in {run.build_seconds:.2f} s: {len(out.parts)} period(s), "
                   f"{len(lm.variables):,} variables, {len(lm.rows):,} rows")
    left = max(0.5 * run.setting("time_limit"), run.ends - time.perf_counter())
    with run.stages(Stage.SOLVE):
        result = engines.solve(lm, engine=engine, time_limit=left, gap=run.setting("gap"),
                               threads=run.setting("threads"), hint=hint)
    return engines.or_warm_start(result, lm, hint)


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
