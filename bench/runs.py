"""One measured run, in its own process: `python -m bench.runs METHOD SCENARIO --time-limit T --gap G`.

Prints one JSON object on stdout: status, the time of each stage (load, size,
build, solve, verify — verify includes extracting the plan), objective, bound,
gap and whether the plan passed dcplan.plan.verify. The parent (bench/scale.py)
starts it, kills it if it overruns, and reads its peak memory with wait4.

Methods:
  default      dcplan's own path (`api.plan_scenario`, engine `auto`)
  scip, cp-sat the same path with that engine
  cbc, highs   baselines through PuLP: the plain formulation (no pruning,
               strengthening or warm start), `SolveOptions(reference=True)`
  greedy       dcplan.solve.greedy: place, then build the model and evaluate the
               plan's objective and rows; extract and verify it like a solve
  lp           the LP relaxation of the model (every variable continuous),
               solved by GLOP: a lower bound on any plan's objective
  lp-cuts      the LP relaxation of dcplan's formulation: pruned, with the
               workload cuts of dcplan/blocks.py (solved by HiGHS)

Stages of the engine methods are timed through dcplan's public hook
(`plan_scenario(..., on_stage=...)`), so the measured path is dcplan's own and
every stage it has is counted; `SolveOptions.deadline` keeps a run's total
within T (plus verification). `cbc` and `highs` are baselines: the plain
formulation (SolveOptions.reference), no warm start.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

ENGINE_METHODS = ("default", "scip", "cbc", "highs", "cp-sat")


class _Clock:
    def __init__(self):
        self.start = time.perf_counter()
        self.stages: dict[str, float] = {}

    def add(self, stage: str, seconds: float) -> None:
        self.stages[stage] = self.stages.get(stage, 0.0) + seconds

    def elapsed(self) -> float:
        return time.perf_counter() - self.start


def _timed(clock: _Clock, stage: str, function):
    """`function`, timed as `stage` when called (for the baselines that call library stages directly)."""
    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            clock.add(stage, time.perf_counter() - t)
    return wrapper


def _load(clock: _Clock, path: str):
    from dcplan.scenario.load import load_scenario

    t = time.perf_counter()
    loaded = load_scenario(path)
    clock.add("load", time.perf_counter() - t)
    if not loaded.ok:
        raise SystemExit(f"{path}: invalid scenario")
    return loaded.scenario


BASELINES = ("cbc", "highs")
"""Methods run as baselines: dcplan's plain formulation (SolveOptions.reference: no pruning, strengthening
or warm start) solved through PuLP — what a modeller writing the same MILP for PuLP would get."""


STAGE_OF = {"size": "size", "prune": "build", "build": "build", "start": "start", "cuts": "solve",
            "solve": "solve", "extract": "verify", "verify": "verify"}
"""The report's stages (load, size, build, start, solve, verify) for each stage dcplan reports."""


def run_engine(path: str, method: str, time_limit: float, gap: float, after_loading: bool = False) -> dict:
    """dcplan's own path, timed through its public hook `plan_scenario(on_stage=...)`: every stage
    dcplan has is reported (an unknown one fails the run), so a rename cannot drop timing silently."""
    from dcplan.usecases import planning as api

    clock = _Clock()
    scenario = _load(clock, path)
    engine = {"default": None, "highs": "pulp-highs"}.get(method, method)
    options = api.SolveOptions(engine=engine, time_limit=time_limit, gap=gap,
                               # the run, not only the solve, keeps within T (or, as the CLI counts, from loading on)
                               deadline=None if after_loading else clock.start + time_limit,
                               reference=method in BASELINES)
    out = {"method": method, "reference": options.reference}
    try:
        plan = api.plan_scenario(scenario, options, on_stage=lambda stage, seconds: clock.add(STAGE_OF[stage],
                                                                                             seconds))
    except api.NoPlan as err:
        out.update(status=err.status, engine=err.plan_stub["solver"]["engine"], objective=None,
                   bound=err.plan_stub["objective"]["bound"], gap=None, verified=False, message=str(err))
    else:
        notes = [w for w in plan.warnings if "warm start" in w or "large model" in w]
        out.update(status=plan.status, engine=plan.engine, objective=plan.objective_value, bound=plan.bound,
                   gap=plan.gap, verified=True, warm_start_only=any("greedy warm start" in w for w in notes),
                   message=" ".join(notes))
    out.update(stages=clock.stages, total=clock.elapsed())
    return out


def run_greedy(path: str) -> dict:
    from dcplan.scenario import catalog as catalog_module
    from dcplan import model
    from dcplan.solve.greedy import greedy_plan
    from dcplan.solve.greedy_values import evaluate
    from dcplan.plan.extract import extract
    from dcplan.sizing import size_scenario
    from dcplan.plan.verify import PlanVerificationError, verify

    clock = _Clock()
    scenario = _load(clock, path)
    catalog = catalog_module.effective(scenario.catalog)
    requirements = _timed(clock, "size", size_scenario)(scenario, catalog)
    result = _timed(clock, "solve", greedy_plan)(scenario, catalog, requirements)
    built = _timed(clock, "build", model.build)(scenario, catalog, requirements)
    t = time.perf_counter()
    evaluation = evaluate(built, result)
    verified, message = False, ""
    if evaluation.feasible:
        plan = extract(built, evaluation.values, status="feasible", engine="greedy", bound=None, solve_seconds=0.0,
                       build_seconds=0.0, warnings=[])
        try:
            verify(plan, scenario, catalog, requirements)
            verified = True
        except PlanVerificationError as err:
            message = str(err)[:500]
    else:
        message = (f"{len(result.unplaced)} workloads not placed; " if not result.complete else "") + \
            "; ".join(evaluation.violations[:3])
    clock.add("verify", time.perf_counter() - t)
    status = "feasible" if evaluation.feasible else ("incomplete" if not result.complete else "infeasible")
    return {"method": "greedy", "engine": "greedy", "status": status,
            "objective": evaluation.objective if evaluation.feasible else None, "bound": None, "gap": None,
            "verified": verified, "message": message, "stages": clock.stages, "total": clock.elapsed()}


def solve_lp(lm, time_limit: float) -> tuple[str, float | None]:
    """The LP relaxation of a LinearModel (every variable continuous), solved by GLOP; (status, objective)."""
    from dcplan.solve.engines import solve

    result = solve(lm, "glop", time_limit=time_limit, gap=0.0, relax=True)
    return str(result.status), result.objective if result.status == "optimal" else None


def run_lp(path: str, time_limit: float) -> dict:
    from dcplan.scenario import catalog as catalog_module
    from dcplan import model
    from dcplan.sizing import size_scenario

    clock = _Clock()
    scenario = _load(clock, path)
    catalog = catalog_module.effective(scenario.catalog)
    requirements = _timed(clock, "size", size_scenario)(scenario, catalog)
    built = _timed(clock, "build", model.build)(scenario, catalog, requirements)
    status, value = _timed(clock, "solve", solve_lp)(built.lm, max(1.0, time_limit - clock.elapsed()))
    return {"method": "lp", "engine": "glop", "status": status, "objective": None, "bound": value, "gap": None,
            "verified": False, "stages": clock.stages, "total": clock.elapsed()}


def run_lp_with_cuts(path: str, time_limit: float) -> dict:
    """The LP relaxation of dcplan's own formulation: pruned, strengthened, with its workload cuts."""
    from dcplan.usecases import planning as api
    from dcplan.solve import blocks
    from dcplan.scenario import catalog as catalog_module
    from dcplan import model
    from dcplan.solve.bounds import lp_bound
    from dcplan.sizing.pruning import prune_dominated
    from dcplan.sizing import size_scenario

    clock = _Clock()
    scenario = _load(clock, path)
    catalog = catalog_module.effective(scenario.catalog)
    requirements = _timed(clock, "size", size_scenario)(scenario, catalog)
    reduced = _timed(clock, "build", prune_dominated)(scenario, catalog, requirements)[0]
    built = _timed(clock, "build", model.build)(scenario, catalog, reduced)
    t = time.perf_counter()
    found = blocks.find_blocks(built)
    blocks.solve_for_cuts(built, found, api.WORKLOAD_CUT_SHARE * time_limit)
    blocks.add_cuts(built, found)
    value = lp_bound(built.lm, max(1.0, time_limit - clock.elapsed()))
    clock.add("solve", time.perf_counter() - t)
    return {"method": "lp-cuts", "engine": "ortools-highs", "status": "optimal" if value is not None else "no_solution",
            "objective": None, "bound": value, "gap": None, "verified": False, "stages": clock.stages,
            "total": clock.elapsed()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.runs")
    parser.add_argument("method", choices=(*ENGINE_METHODS, "greedy", "lp", "lp-cuts"))
    parser.add_argument("scenario")
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--gap", type=float, default=0.01)
    parser.add_argument("--limit-after-loading", action="store_true",
                        help="count the time limit from the end of loading, as `dcplan solve --time-limit` does")
    args = parser.parse_args(argv)
    if args.method == "greedy":
        out = run_greedy(args.scenario)
    elif args.method == "lp":
        out = run_lp(args.scenario, args.time_limit)
    elif args.method == "lp-cuts":
        out = run_lp_with_cuts(args.scenario, args.time_limit)
    else:
        out = run_engine(args.scenario, args.method, args.time_limit, args.gap, args.limit_after_loading)
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    # As `dcplan` does (dcplan/cli/main.py, `_exit`): an engine call abandoned at the time limit may still
    # run on its thread, and tearing its C++ threads down at interpreter exit can abort the process
    # ("terminate called without an active exception"), which lost a finished W=5000 run's result. The
    # result is written and flushed; the process then ends without that teardown.
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
