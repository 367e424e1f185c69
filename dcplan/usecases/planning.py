"""Library entry points: one call per CLI command, so tests and scripts use the same path.

Pipeline (one way): load → size → build → solve → extract → verify.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from dcplan.errors import Interrupted
from dcplan.scenario import catalog as catalog_module
from dcplan.scenario.schema import Scenario


@dataclass
class SolveOptions:
    engine: str | None = None
    time_limit: float | None = None
    gap: float | None = None
    threads: int | None = None
    objective: str | None = None
    save_model: str | None = None  # write the model (LP, or MPS for *.mps) before solving
    reference: bool = False  # the plain formulation: no pruning, strengthening or warm start (for tests)
    deadline: float | None = None  # time.perf_counter() by which solving must end (benchmarks time whole runs)


class NoPlan(Exception):
    """The solver ended without a plan: infeasible (exit 1), or stopped/failed (exit 3)."""

    def __init__(self, status: str, message: str, plan_stub: dict):
        super().__init__(message)
        self.status = status
        self.plan_stub = plan_stub


class UnsafeInput(ValueError):
    """The scenario's numbers would hand the engine NaN, infinite or absurd coefficients (exit 2)."""


COEFFICIENT_SPAN_WARNING = 1e9
POOL_SIZE_WARNING = 100_000
POOL_SIZE_LIMIT = 10_000_000


def _refuse_absurd_pools(requirements) -> None:
    """A workload that would need more than ten million units of its best server is a unit slip."""
    from dcplan.rules import pool_bound

    for req in requirements.values():
        if req.candidates and min(pool_bound(req, c) for c in req.candidates) > POOL_SIZE_LIMIT:
            raise UnsafeInput(f"workload {req.workload} would need more than {POOL_SIZE_LIMIT:,} units of any "
                              "candidate: check its demand and units")


def input_warnings(built) -> list[str]:
    """Warn before solving about inputs that make the model numerically fragile or huge."""
    warnings = []
    small, large = built.lm.coefficient_range()
    if large / small > COEFFICIENT_SPAN_WARNING:
        warnings.append(f"the model's coefficients span {small:.3g} to {large:.3g}: results may be numerically "
                        "fragile; check the scenario's units (e.g. a power in W where kW was meant)")
    for pool in built.pools:
        if pool.bound > POOL_SIZE_WARNING:
            warnings.append(f"workload {pool.workload} could need up to {pool.bound:,} units of {pool.item}: "
                            "check its demand and units")
            break
    return warnings


def plan_scenario(scenario: Scenario, options: SolveOptions | None = None, on_progress=None):
    """Size, build, solve and verify; return a verified Plan or raise NoPlan / Interrupted.

    `on_progress(message)` hears about each stage (the CLI prints it with --verbose).
    """
    from dcplan.solve import greedy
    from dcplan import model as model_module
    from dcplan.solve import engines as solve_module
    from dcplan.plan.extract import extract
    from dcplan.sizing.pruning import prune_dominated
    from dcplan.sizing import size_scenario
    from dcplan.plan.verify import verify

    options = options or SolveOptions()
    if options.objective:
        scenario = scenario.model_copy(update={"objective": options.objective})
    catalog = catalog_module.effective(scenario.catalog)
    start = time.perf_counter()
    requirements = size_scenario(scenario, catalog)
    _refuse_absurd_pools(requirements)
    candidates = requirements if options.reference else prune_dominated(scenario, catalog, requirements)[0]
    try:
        built = model_module.build(scenario, catalog, candidates, strengthen=not options.reference)
    except ValueError as err:  # linear.LinearModel refuses NaN, infinite or absurd coefficients
        raise UnsafeInput(f"the scenario's numbers cannot be solved safely: {err}") from None
    build_seconds = time.perf_counter() - start
    built.warnings.extend(input_warnings(built))
    if options.save_model:
        from dcplan.atomic import write_atomic

        text = built.lm.to_mps() if str(options.save_model).lower().endswith(".mps") else built.lm.to_lp()
        write_atomic(options.save_model, text)
    hint = None
    if not options.reference:
        start_plan = greedy.evaluate(built, greedy.greedy_plan(scenario, catalog, candidates))
        hint = start_plan.values if start_plan.feasible else None
    settings = scenario.solver
    engine = options.engine or settings.engine
    if on_progress is not None:
        lm = built.lm
        on_progress(f"built the model in {build_seconds:.2f} s: {len(lm.variables):,} variables, "
                    f"{len(lm.rows):,} rows; solving with {solve_module.AUTO_ENGINE if engine == 'auto' else engine}")
    time_limit = options.time_limit if options.time_limit is not None else settings.time_limit
    gap = options.gap if options.gap is not None else settings.gap
    threads = options.threads if options.threads is not None else settings.threads
    # The time limit covers everything after the build: workload cuts, then the engine.
    ends = start + build_seconds + time_limit
    if options.deadline is not None:
        ends = min(ends, options.deadline)
    blocks = None
    if not options.reference:
        try:
            blocks = _add_workload_cuts(built, min(WORKLOAD_CUT_SHARE * time_limit,
                                                   0.5 * (ends - time.perf_counter())), threads, on_progress)
        except KeyboardInterrupt:
            raise Interrupted() from None
    left = max(0.5 * min(time_limit, ends - start - build_seconds), ends - time.perf_counter())
    if not options.reference and len(built.pools) > LARGE_MODEL_POOLS:
        from dcplan.solve.decompose import solve_large

        result = solve_large(built, blocks, hint, left, engine, threads, gap, on_progress)
    else:
        result = solve_module.solve(built.lm, engine=engine, time_limit=left, gap=gap, threads=threads, hint=hint)
    if result.values is None and hint is not None and result.status in ("no_solution", "error"):
        # The engine stopped without a plan of its own: the warm start is still a verified plan.
        result.values, result.status = hint, "feasible"
        result.objective = built.lm.objective.value(hint)
        result.messages.append("the engine found no plan in time; this is the greedy warm start, "
                               "not an optimised plan (raise --time-limit)")
    warnings = list(built.warnings) + result.messages
    if result.status == "interrupted":
        raise Interrupted()
    if result.values is None:
        reasons = _why_no_plan(built, requirements, result.status, result.engine if result.engine in
                               ("scip", "cp-sat") else "scip", time_limit)
        stub = {"dcplan": 1, "scenario": scenario.name,
                "status": "infeasible" if result.status == "infeasible" else "no_solution",
                "objective": {"name": built.objective_name, "value": None, "bound": result.bound, "gap": None},
                "solver": {"engine": result.engine, "solve_seconds": round(result.solve_seconds, 3),
                           "build_seconds": round(build_seconds, 3)},
                "warnings": reasons + warnings}
        raise NoPlan(stub["status"], _no_plan_message(result.status, result.engine), stub)
    if result.status == "feasible":
        warnings.append("the time limit stopped the solver before it proved optimality; see objective.gap")
    plan = extract(built, result.values, status=result.status, engine=result.engine, bound=result.bound,
                   solve_seconds=result.solve_seconds, build_seconds=build_seconds, warnings=warnings)
    verify(plan, scenario, catalog, requirements)
    return plan


LARGE_MODEL_POOLS = 1000
"""Models with more pools than this are planned by decomposition (dcplan/decompose.py): the LP bound,
a restricted master over per-workload configurations, then large-neighbourhood search."""
WORKLOAD_CUT_SHARE = 0.25
"""Of the time limit, the per-workload problems (dcplan/blocks.py) may use at most this share."""


def _add_workload_cuts(built, budget: float, threads: int, on_progress):
    """Solve each workload's own problem and add its lower bound as a cut (dcplan/blocks.py)."""
    from dcplan.solve import blocks as blocks_module
    start = time.perf_counter()
    blocks = blocks_module.find_blocks(built)
    solved = blocks_module.solve_for_cuts(built, blocks, budget, threads=min(2, threads or 2))
    added = blocks_module.add_cuts(built, blocks)
    if on_progress is not None:
        on_progress(f"solved {solved:,} of {len(blocks):,} workloads alone in {time.perf_counter() - start:.2f} s: "
                    f"{added:,} workload cuts")
    return blocks


def _no_plan_message(status: str, engine: str) -> str:
    if status == "infeasible":
        return "no plan meets every requirement and limit (infeasible)"
    if status == "error":
        return f"the {engine} engine failed without a plan"
    return f"the {engine} engine stopped (time limit) before finding any plan; raise --time-limit or loosen --gap"


def _why_no_plan(built, requirements, status: str, engine: str, time_limit: float) -> list[str]:
    """Plain-language reasons for an infeasible scenario: workloads nothing can serve, limits hit."""
    from dcplan.solve.diagnose import limits_hit

    if status != "infeasible":
        return []
    hints = []
    for name, req in requirements.items():
        pools = [p for p in built.pools if p.workload == name]
        if not pools:
            reasons = "; ".join(f"{item}: {why}" for item, why in list(req.excluded.items())[:6])
            hints.append(f"workload {name}: no purchasable item can serve it ({reasons or 'no candidates'})")
    if hints:
        return hints
    hit = limits_hit(built.lm, engine, time_limit)
    if hit:
        return ["the requirements do not fit these limits: " + line for line in hit]
    return ["no relaxation of site power, racks, limits or constraints makes it feasible: the conflict is "
            "among the requirements themselves (sites allowed, survive_site_failure, durability, network)"]
