"""Planning a scenario: the pipeline every command that solves goes through.

One way: size → prune → build → warm start → workload cuts → solve → extract → verify. Each stage is
a small function below; `plan_scenario` runs them in order and reports their times (`on_stage`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dcplan.errors import Interrupted
from dcplan.scenario import catalog as catalog_module
from dcplan.scenario.schema import Scenario
from dcplan.usecases import no_plan
from dcplan.usecases.collector import collection_paused, objects_released
from dcplan.usecases.stages import Stages
from dcplan.vocab import Stage


@dataclass
class SolveOptions:
    engine: str | None = None
    time_limit: float | None = None
    gap: float | None = None
    threads: int | None = None
    objective: str | None = None
    save_model: str | None = None  # write the model (LP, or MPS for *.mps) before solving
    reference: bool = False  # the plain formulation: no pruning, strengthening or warm start (for tests)
    deadline: float | None = None  # time.perf_counter() by which the whole run must end (benchmarks)
    started: float | None = None  # time.perf_counter() the time limit counts from (default: the call)
    engine_log: Callable[[str], None] | None = None  # hears each line the engines print (else they are quiet)


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


def _refuse_absurd_pools(requirements) -> None:
    """A workload that would need more than ten million units of its best server is a unit slip
    (dcplan.validate_scenario says so at the workload's line; this guards library callers)."""
    from dcplan.rules import POOL_SIZE_LIMIT, least_units

    for req in requirements.values():
        if least_units(req) > POOL_SIZE_LIMIT:
            raise UnsafeInput(f"workload {req.workload} would need more than {POOL_SIZE_LIMIT:,} units of any "
                              "candidate: check its demand and units")


def sizing_warnings(requirements) -> list[str]:
    """The warning about huge pools, known from sizing alone: said even when the time runs out while the
    model of such pools is being built."""
    from dcplan.rules import pool_bound

    for req in requirements.values():
        for cand in req.candidates:
            units = cand.fixed_count if cand.fixed_count is not None else pool_bound(req, cand)
            if units > POOL_SIZE_WARNING:
                return [f"workload {req.workload} could need up to {units:,} units of {cand.item}: "
                        "check its demand and units"]
    return []


def input_warnings(built) -> list[str]:
    """Warn before solving about inputs that make the model numerically fragile or huge."""
    warnings = []
    row, small, large = built.lm.widest_row()
    if large / small > COEFFICIENT_SPAN_WARNING:
        warnings.append(f"the coefficients of {row} span {small:.3g} to {large:.3g}: results may be numerically "
                        "fragile; check the scenario's units (e.g. a power in W where kW was meant)")
    for pool in built.pools:
        if pool.bound > POOL_SIZE_WARNING:
            warnings.append(f"workload {pool.workload} could need up to {pool.bound:,} units of {pool.item}: "
                            "check its demand and units")
            break
    return warnings


@dataclass
class _Run:
    """What one planning run carries from stage to stage."""

    scenario: Scenario
    options: SolveOptions
    catalog: object
    start: float
    stages: Stages
    requirements: dict = None
    built: object = None
    build_seconds: float = 0.0  # from the start of planning to a built model (sizing included)
    model_seconds: float = 0.0  # pruning and building the model alone
    cuts_seconds: float = 0.0  # solving the workloads' blocks once (a pricing round takes about as long)
    ends: float = 0.0  # time.perf_counter() by which the whole run (verification included) must end
    bound: float | None = None  # a proven lower bound found before the engine (the workloads' own bounds)
    notes: list = field(default_factory=list)  # warnings known before the model exists (said if time runs out)

    def setting(self, name: str):
        """An option from the command line, else the scenario's `solver:` section."""
        given = getattr(self.options, name)
        return given if given is not None else getattr(self.scenario.solver, name)

    def left(self) -> float:
        return self.ends - time.perf_counter()

    def check_time(self, what: str, keep: float = 0.0) -> None:
        """Out of time before a plan exists: stop now (no_solution, exit 3), whatever stage this is. `keep`:
        the seconds a plan still needs once found (extracting and verifying it, `_reserve`); with no more
        left than that, a plan found now could only end after the time limit."""
        if self.left() <= keep:
            stub = {"dcplan": 1, "scenario": self.scenario.name, "status": "no_solution",
                    "objective": {"name": None, "value": None, "bound": None, "gap": None},
                    "solver": {"engine": None, "solve_seconds": 0.0, "build_seconds": round(self.build_seconds, 3)},
                    "warnings": self.notes + [f"the time limit ran out while {what}"]}
            why = "" if keep <= 0.0 or self.left() <= 0.0 else \
                f" ({self.left():.1f} s were left, and extracting and verifying a plan takes about {keep:.1f} s)"
            raise NoPlan("no_solution", f"the time limit ({self.setting('time_limit'):g} s) ran out while {what}"
                         f"{why}, before finding any plan; raise --time-limit", stub)


def plan_scenario(scenario: Scenario, options: SolveOptions | None = None, on_progress=None, on_stage=None,
                  requirements: dict | None = None, on_status=None):
    """Size, build, solve and verify; return a verified Plan or raise NoPlan / Interrupted.

    The time limit (`time_limit`, else the scenario's `solver.time_limit`) covers everything from this
    call on: sizing, building, the warm start, the workload cuts, the engine or the decomposition, and
    verification. `on_progress(message)` hears what each stage did (the CLI prints it with --verbose);
    `on_stage(stage, seconds)` hears how long each dcplan.vocab.Stage took (the benchmark times runs
    with it); `on_status(progress)` gets the Progress whenever it changes (the CLI's spinner).
    `requirements`, when given, is sizing already done for this scenario, by workload name: a sweep
    sizes its scenario once and re-sizes per point only the workloads a point changes
    (dcplan/studies/sizing.py), and `dcplan solve` passes what validating sized
    (`validate_scenario(..., solving=True)`). Workloads it lacks (the storage derived from training
    runs, or those validation left when the time ran out) are sized here.
    """
    options = options or SolveOptions()
    if options.objective:
        scenario = scenario.model_copy(update={"objective": options.objective})
    start = time.perf_counter() if options.started is None else options.started
    run = _Run(scenario, options, catalog_module.effective(scenario.catalog), start,
               Stages(on_progress, on_stage, on_status), requirements=requirements)
    run.ends = run.start + run.setting("time_limit")
    if options.deadline is not None:
        run.ends = min(run.ends, options.deadline)
    run.stages.update(clock=run.start, limit=run.ends - run.start)
    with objects_released():
        return _plan(run)


def _plan(run: _Run):
    """plan_scenario's work, once the run's clock and options are set."""
    if run.scenario.periods is not None or run.scenario.installed:
        from dcplan.usecases.buildout import plan_buildout

        return plan_buildout(run, _shared())
    with collection_paused():
        _size_and_build(run)
        hint = _warm_start(run)
    blocks = _workload_cuts(run)
    result = _solve(run, blocks, hint)
    run.stages.update(incumbent=result.objective, bound=result.bound)
    warnings = list(run.built.warnings) + result.messages
    if result.status == "interrupted":
        raise Interrupted()
    if result.values is None:
        raise _no_plan(run, result, warnings)
    if result.status == "feasible":
        warnings.append("the time limit stopped the solver before it proved optimality; see objective.gap")
    return _extract_and_verify(run, result, warnings)


def _size_and_build(run: _Run) -> None:
    """Size every workload, drop dominated candidates, build the model (and save it if asked)."""
    from dcplan import model as model_module
    from dcplan.sizing import size_workload
    from dcplan.sizing.derived import couple, with_derived_workloads
    from dcplan.sizing.pruning import prune_dominated

    with run.stages(Stage.SIZE):
        run.scenario = with_derived_workloads(run.scenario, run.catalog)  # the storage each training run needs
        sized = dict(run.requirements or {})  # sized beforehand: by a sweep, or while validating (`requirements`)
        for workload in run.scenario.workloads:
            if workload.name not in sized:
                run.check_time("sizing the workloads")
                sized[workload.name] = size_workload(workload, run.catalog)
        run.requirements = couple({w.name: sized[w.name] for w in run.scenario.workloads}, run.scenario, run.catalog)
        _refuse_absurd_pools(run.requirements)
    run.notes = sizing_warnings(run.requirements)
    run.check_time("sizing the workloads")
    sized = time.perf_counter()
    with run.stages(Stage.PRUNE):
        candidates = run.requirements if run.options.reference else \
            prune_dominated(run.scenario, run.catalog, run.requirements,
                            between=lambda: run.check_time("pruning the candidates"))[0]
    run.check_time("pruning the candidates")
    with run.stages(Stage.BUILD):
        try:
            run.built = model_module.build(run.scenario, run.catalog, candidates,
                                           strengthen=not run.options.reference,
                                           between=lambda: run.check_time("building the model"))
        except ValueError as err:  # LinearModel refuses NaN, infinite or absurd coefficients
            raise UnsafeInput(f"the scenario's numbers cannot be solved safely: {err}") from None
    run.build_seconds = time.perf_counter() - run.start
    run.model_seconds = time.perf_counter() - sized
    run.built.warnings.extend(input_warnings(run.built))
    if run.options.save_model:
        from dcplan.atomic import write_output

        lm = run.built.lm
        write_output(run.options.save_model,
                     lm.to_mps() if str(run.options.save_model).lower().endswith(".mps") else lm.to_lp())
    run.check_time("building the model", keep=_reserve(run))


def _warm_start(run: _Run) -> list[float] | None:
    """The greedy plan as the engine's starting point, when it satisfies every row."""
    from dcplan.solve import greedy, greedy_values

    if run.options.reference:
        return None
    with run.stages(Stage.START):
        placed = greedy.greedy_plan(run.scenario, run.catalog, run.built.requirements,
                                    between=lambda: run.check_time("finding a first plan", keep=_reserve(run)))
        start_plan = greedy_values.evaluate(run.built, placed)
    if not start_plan.feasible:
        # Without a start, a run stopped by its time limit may have no plan at all: say why.
        run.stages.say(f"the greedy plan breaks {len(start_plan.violations):,} row(s) or bound(s) of the model "
                       f"(first: {start_plan.violations[0]}): the engine starts without it")
        return None
    run.stages.update(incumbent=run.built.lm.objective.value(start_plan.values))
    return start_plan.values


def _workload_cuts(run: _Run):
    """Solve each workload's own problem, add its lower bound as a cut (dcplan/solve/blocks.py), and
    add the bounds up: a proven bound on every plan before any engine runs on the whole model. A large
    model's blocks are priced at its LP relaxation's duals instead, which proves more (dcplan/solve/lagrange.py)."""
    from dcplan.solve import blocks as blocks_module
    from dcplan.solve import lagrange

    if run.options.reference or run.built.leases:
        # A leased unit costs less than its pool's price says: a workload's own optimum, priced by
        # its pools, would not bound it. Leases are planned on the whole model, without cuts.
        return None
    budget = min(WORKLOAD_CUT_SHARE * run.setting("time_limit"), 0.5 * (run.left() - _reserve(run)))
    threads, deadline = blocks_module.block_workers(run.setting("threads")), run.ends - _reserve(run)
    with run.stages(Stage.CUTS):
        began = time.perf_counter()
        try:
            blocks = blocks_module.find_blocks(run.built)
            priced = lagrange.cuts_at_lp_prices(run.built, blocks, budget, threads, deadline) \
                if _is_large(run) and len(run.built.lm.variables) <= lagrange.LP_PRICES_MAX_VARIABLES else None
            if priced is not None:
                (solved, run.bound), how = priced, "at the LP relaxation's prices"
            else:
                # Decomposed, a model gains more from every block solved (a bound and a column each) than
                # from a second engine on the blocks SCIP leaves open: W=5000 × 60 × 8 at 120 s solved
                # 5,233 of 5,250 blocks against 4,792, and ended 5.3 % from its bound against 10.1 %; and
                # more from every block solved quickly than from a few solved longer (QUICK_PASSES).
                passes = blocks_module.QUICK_PASSES if _is_large(run) else blocks_module.BLOCK_PASSES
                solved = blocks_module.solve_for_cuts(run.built, blocks, budget - (time.perf_counter() - began),
                                                      threads=threads, deadline=deadline, passes=passes)
                run.bound, how = blocks_module.sum_of_bounds(run.built, blocks), "alone"
            added = blocks_module.add_cuts(run.built, blocks)
        except KeyboardInterrupt:
            raise Interrupted() from None
    run.cuts_seconds = time.perf_counter() - began
    run.stages.say(f"solved {solved:,} of {len(blocks):,} workloads {how} in {run.cuts_seconds:.2f} s: "
                   f"{added:,} workload cuts" + ("" if run.bound is None else f", bound {run.bound:,.0f}"))
    return blocks


def _is_large(run: _Run) -> bool:
    """Planned by decomposition rather than by one engine on the whole model."""
    return not run.options.reference and not run.built.leases and len(run.built.pools) > LARGE_MODEL_POOLS


def _reserve(run: _Run) -> float:
    """Seconds kept back from the engine for extracting and verifying the plan: measured to scale with
    the model, so with the time pruning and building took (not sizing's, which grows with the work of
    sizing inference, not with the model), at least a tenth of a second."""
    return max(0.1, EXTRACT_SHARE_OF_BUILD * run.model_seconds)


def _solve(run: _Run, blocks, hint):
    """The engine on the whole model, or the decomposition for large models; the greedy plan if neither
    finds a plan of its own in time."""
    from dcplan.solve import engines

    engine, lm = run.setting("engine"), run.built.lm
    run.stages.say(f"built the model in {run.build_seconds:.2f} s: {len(lm.variables):,} variables, "
                   f"{len(lm.rows):,} rows; solving with {engines.ENGINE_NAMES[engines.engine_of(engine)]}")
    threads, gap = run.setting("threads"), run.setting("gap")
    deadline = run.ends - _reserve(run)
    with run.stages(Stage.SOLVE):
        if _is_large(run):
            from dcplan.solve.decompose import solve_large

            result = solve_large(run.built, blocks, hint, deadline, engine, threads, gap, bound=run.bound,
                                 on_progress=run.stages.on_progress, log=run.options.engine_log,
                                 round_seconds=run.cuts_seconds)
        else:
            result = engines.solve(lm, engine=engine, time_limit=deadline - time.perf_counter(), gap=gap,
                                   threads=threads, hint=hint, log=run.options.engine_log, deadline=deadline)
    # The engine stopped without a plan of its own: the warm start is still a verified plan.
    result = engines.or_warm_start(result, lm, hint)
    if run.bound is not None and result.values is not None:
        # The workloads' own bounds hold for every plan; keep the better of theirs and the engine's.
        result.bound = run.bound if result.bound is None else max(result.bound, run.bound)
        if result.status == "feasible" and result.objective - result.bound <= gap * abs(result.objective):
            result.status = "optimal"
    if result.values is not None and result.bound is None and result.status == "optimal":
        result.messages.append(f"the engine proves optimality within the gap {gap:g} but does not report its bound")
    return result


def _no_plan(run: _Run, result, warnings: list[str]) -> NoPlan:
    """Infeasible (with the reasons dcplan can find) or stopped without a plan."""
    engine = run.setting("engine") if run.setting("engine") in ("scip", "cp-sat") else "highs"
    reasons = no_plan.reasons(run.built, run.requirements, result.status, engine, run.left())
    stub = {"dcplan": 1, "scenario": run.scenario.name,
            "status": "infeasible" if result.status == "infeasible" else "no_solution",
            "objective": {"name": run.built.objective_name, "value": None, "bound": result.bound, "gap": None},
            "solver": {"engine": result.engine, "solve_seconds": round(result.solve_seconds, 3),
                       "build_seconds": round(run.build_seconds, 3)},
            "warnings": reasons + warnings}
    return NoPlan(stub["status"], no_plan.message(result.status, result.engine), stub)


def _extract_and_verify(run: _Run, result, warnings: list[str]):
    from dcplan.plan.extract import extract
    from dcplan.plan.verify import verify

    with run.stages(Stage.EXTRACT):
        plan = extract(run.built, result.values, status=result.status, engine=result.engine, bound=result.bound,
                       solve_seconds=result.solve_seconds, build_seconds=run.build_seconds, warnings=warnings)
    with run.stages(Stage.VERIFY):
        verify(plan, run.scenario, run.catalog, run.requirements)
    return plan


EXTRACT_SHARE_OF_BUILD = 0.6
"""Extracting and verifying a plan takes about this share of the time pruning and building the model
took (measured at W=1000 × 60 × 4 on a loaded machine, three runs: 0.25, 0.28, 0.54)."""


def _shared():
    """What a build-out's planning (dcplan/usecases/buildout.py) shares with a single purchase's; handed
    over rather than imported back, so the two modules stay one-way."""
    from types import SimpleNamespace

    return SimpleNamespace(collection_paused=collection_paused, refuse_absurd_pools=_refuse_absurd_pools,
                           input_warnings=input_warnings,
                           no_plan=_no_plan, UnsafeInput=UnsafeInput, reserve=_reserve, is_large=_is_large,
                           cut_share=WORKLOAD_CUT_SHARE)


LARGE_MODEL_POOLS = 1000
"""Models with more pools than this are planned by decomposition (dcplan/solve/decompose.py): pricing
over per-workload configurations, a restricted master, then large-neighbourhood search."""
WORKLOAD_CUT_SHARE = 0.35
"""Of the time limit, the per-workload problems (dcplan/solve/blocks.py), with the LP that prices them for a
large model, may use at most this share (W=1000 × 60 × 4: LP 3 s, blocks 13 s on two threads)."""
