"""Run an engine on a LinearModel; map statuses, objective, bound and gap.

Engines: OR-Tools (SCIP, CP-SAT; GLOP for LP relaxations) and PuLP (CBC, and
HiGHS run in-process through highspy). `auto` picks HiGHS: on generated
platforms of 50 to 1,000 workloads it reaches the gap far sooner than SCIP
(docs/model.md, "Choice of engine").
Solver statuses map to the plan JSON's (docs/cli.md): optimal | feasible | infeasible | no_solution,
plus `error` for engine failures, which is never reported as infeasible.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import tempfile
import threading
import warnings
import time
from dataclasses import dataclass, field

from dcplan.errors import Interrupted
from dcplan.vocab import Status, relative_gap
from dcplan.model.linear import INF, LinearModel

ORTOOLS_ENGINES = {"scip": "SCIP", "cp-sat": "CP-SAT", "ortools-cbc": "CBC", "ortools-highs": "HIGHS",
                   "glop": "GLOP", "pdlp": "PDLP"}
PULP_ENGINES = ("cbc", "highs")
AUTO_ENGINE = "highs"  # measured: see docs/model.md, "Choice of engine"


class SolverFailure(RuntimeError):
    """The engine failed (not: the model is infeasible)."""


@dataclass
class SolveResult:
    status: Status  # optimal | feasible | infeasible | no_solution | error | interrupted
    engine: str
    values: list[float] | None = None
    objective: float | None = None
    bound: float | None = None
    solve_seconds: float = 0.0
    messages: list[str] = field(default_factory=list)

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound, self.status)


def solve(model: LinearModel, engine: str = "auto", time_limit: float = 60.0, gap: float = 1e-3,
          threads: int = 0, hint: list[float] | None = None) -> SolveResult:
    """Solve `model`; `hint` is a full value vector the engine may start from (a warm start)."""
    engine = AUTO_ENGINE if engine == "auto" else engine
    if engine in ORTOOLS_ENGINES:
        return _solve_ortools(model, engine, time_limit, gap, threads, hint)
    if engine in PULP_ENGINES:
        return _solve_pulp(model, engine, time_limit, gap, threads, hint)
    raise ValueError(f"unknown engine {engine!r}")


_engine_log: str | None = None
"""The file engines write their own log to (`--solver-log`); None: engines print nothing."""


class EngineLogError(ValueError):
    """The --solver-log file cannot be written."""


def log_engines_to(path: str | None) -> None:
    """Send every engine's own log from now on to `path` (emptied first), or nowhere (None)."""
    global _engine_log
    if path is not None:
        try:
            with open(path, "w", encoding="utf-8"):
                pass
        except OSError as err:
            raise EngineLogError(f"cannot write {path}: {err.strerror or err}") from None
    _engine_log = path


def engine_logging() -> bool:
    return _engine_log is not None


@contextlib.contextmanager
def _engine_output_to_stderr():
    """Engines print banners and logs on file descriptor 1; stdout is for data only.

    Point fd 1 at stderr while an engine runs (C libraries write to the fd, not
    to sys.stdout), or at the --solver-log file, appending, when there is one; then restore it.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    target = os.open(_engine_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if _engine_log else None
    try:
        os.dup2(2 if target is None else target, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        if target is not None:
            os.close(target)


def run_interruptibly(call, on_interrupt=None):
    """Run a blocking engine call in a worker thread so Ctrl-C reaches Python at once.

    A C++ engine call holds the main thread until it returns, so Python's SIGINT
    handling would wait for the whole solve. Waiting on a worker instead, the
    main thread gets KeyboardInterrupt immediately; `on_interrupt` asks the
    engine to stop (OR-Tools' InterruptSolve), and Interrupted is raised.
    The worker is a daemon: an engine that cannot be stopped dies with the process.
    """
    outcome: dict = {}

    def work():
        try:
            outcome["value"] = call()
        except BaseException as err:  # noqa: BLE001 - handed to the main thread below
            outcome["error"] = err

    worker = threading.Thread(target=work, name="dcplan-engine", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.05)
    except KeyboardInterrupt:
        if on_interrupt is not None:
            on_interrupt()
            worker.join(5.0)
        raise Interrupted() from None
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


class OrtoolsSession:
    """One OR-Tools model, built once and solved as often as needed with changed bounds.

    Large-neighbourhood search re-solves the same model many times with most
    variables fixed; translating 100,000 variables each time would cost more
    than the solves.
    """

    def __init__(self, model: LinearModel, engine: str, threads: int = 0):
        from ortools.linear_solver import pywraplp

        self.pywraplp = pywraplp
        self.model, self.engine, self.threads = model, engine, threads
        self.solver = pywraplp.Solver.CreateSolver(ORTOOLS_ENGINES[engine])
        if self.solver is None:
            raise SolverFailure(f"OR-Tools was built without {engine}")
        self.infinity = self.solver.infinity()
        self.variables = [self.solver.IntVar(v.lb, _finite(v.ub, self.infinity), f"v{i}") if v.integer
                          else self.solver.NumVar(v.lb, _finite(v.ub, self.infinity), f"v{i}")
                          for i, v in enumerate(model.variables)]
        for j, row in enumerate(model.rows):
            constraint = self.solver.RowConstraint(_finite(row.lo, self.infinity), _finite(row.hi, self.infinity),
                                                   f"r{j}")
            for index, coefficient in row.terms.items():
                constraint.SetCoefficient(self.variables[index], coefficient)
        self.objective = self.solver.Objective()
        for index, coefficient in model.objective.terms.items():
            self.objective.SetCoefficient(self.variables[index], coefficient)
        self.objective.SetOffset(model.objective.constant)
        self.objective.SetMinimization()

    def fix(self, fixed: dict[int, float]) -> None:
        """Fix these variables to values; every other variable gets its own bounds back."""
        for i, (v, var) in enumerate(zip(self.model.variables, self.variables)):
            if i in fixed:
                var.SetBounds(fixed[i], fixed[i])
            else:
                var.SetBounds(v.lb, _finite(v.ub, self.infinity))

    def solve(self, time_limit: float, gap: float, hint: list[float] | None = None) -> SolveResult:
        pywraplp, solver, engine, threads = self.pywraplp, self.solver, self.engine, self.threads
        if hint is not None and engine in ("scip", "cp-sat"):
            solver.SetHint(self.variables, [float(v) for v in hint])
        solver.SetTimeLimit(int(math.ceil(time_limit * 1000)))
        if engine_logging():
            solver.EnableOutput()
        if threads:
            solver.SetNumThreads(threads)
        params = pywraplp.MPSolverParameters()
        params.SetDoubleParam(pywraplp.MPSolverParameters.RELATIVE_MIP_GAP, gap)
        if engine == "cp-sat":
            # catch_sigint_signal off: Ctrl-C is handled by dcplan (run_interruptibly), not by CP-SAT.
            solver.SetSolverSpecificParametersAsString(
                f"relative_gap_limit:{gap} num_workers:{threads or 2} catch_sigint_signal:false"
                + (" log_search_progress:true log_to_stdout:true" if engine_logging() else ""))
        elif engine == "scip":
            # SCIP would catch Ctrl-C itself and return its best plan as if the time ran out;
            # let Python see it, so an interrupt always means exit 130 and no output.
            solver.SetSolverSpecificParametersAsString("misc/catchctrlc = FALSE\n")
        start = time.perf_counter()
        try:
            with _engine_output_to_stderr():
                code = run_interruptibly(lambda: solver.Solve(params), solver.InterruptSolve)
        except Interrupted:
            return SolveResult(Status.INTERRUPTED, engine, solve_seconds=time.perf_counter() - start)
        seconds = time.perf_counter() - start
        status = {
            pywraplp.Solver.OPTIMAL: Status.OPTIMAL, pywraplp.Solver.FEASIBLE: Status.FEASIBLE,
            pywraplp.Solver.INFEASIBLE: Status.INFEASIBLE, pywraplp.Solver.NOT_SOLVED: Status.NO_SOLUTION,
        }.get(code, Status.ERROR)
        result = SolveResult(status, engine, solve_seconds=seconds)
        if code == pywraplp.Solver.UNBOUNDED:
            result.messages.append("the engine reports the model unbounded: a bug in dcplan's model")
        if status in (Status.OPTIMAL, Status.FEASIBLE):
            result.values = [v.solution_value() for v in self.variables]
            result.objective = self.model.objective.value(result.values)
            bound = self.objective.BestBound()
            result.bound = bound if math.isfinite(bound) else None
            if status == Status.OPTIMAL and result.bound is None:
                result.bound = result.objective
        return result


def or_warm_start(result: SolveResult, model: LinearModel, hint: list[float] | None) -> SolveResult:
    """`result`, or the warm start `hint` as a feasible plan when the engine stopped without a plan of
    its own (the hint satisfies every row: the planners only pass hints that do)."""
    if result.values is None and hint is not None and result.status in ("no_solution", "error"):
        result.values, result.status = hint, Status.FEASIBLE
        result.objective = model.objective.value(hint)
        result.messages.append("the engine found no plan in time; this is the greedy warm start, "
                               "not an optimised plan (raise --time-limit)")
    return result


def _solve_ortools(model: LinearModel, engine: str, time_limit: float, gap: float, threads: int,
                   hint: list[float] | None = None) -> SolveResult:
    return OrtoolsSession(model, engine, threads).solve(time_limit, gap, hint)


def _highs_bound(problem) -> float | None:
    """HiGHS runs in-process; PuLP keeps its Highs object, whose MIP dual bound we can read."""
    solver_model = getattr(problem, "solverModel", None)
    try:
        info = solver_model.getInfo()
        bound = info.mip_dual_bound if info.mip_node_count >= 0 else info.objective_function_value
    except AttributeError:
        return None
    return bound if math.isfinite(bound) else None


def _terminate_child_processes(grace: float = 3.0) -> None:
    """Stop engine processes we started (PuLP runs CBC as a child we cannot reach otherwise): SIGTERM,
    and SIGKILL for any still running after `grace` seconds (CBC answers SIGTERM by finishing its
    output, which on a loaded machine can outlast dcplan itself)."""
    children = _child_processes()
    for pid in children:
        _signal(pid, signal.SIGTERM)
    ends = time.monotonic() + grace
    while children and time.monotonic() < ends:
        time.sleep(0.05)
        children = [pid for pid in children if _running(pid)]
    for pid in children:
        _signal(pid, signal.SIGKILL)


def _child_processes() -> list[int]:
    """Our running child processes, from /proc (none where there is no /proc)."""
    me = os.getpid()
    entries = os.listdir("/proc") if os.path.isdir("/proc") else []
    return [int(e) for e in entries if e.isdigit() and _stat(int(e))[1] == me and _running(int(e))]


def _stat(pid: int) -> tuple[str, int | None]:
    """(state, parent pid) from /proc/PID/stat, or ("", None) when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return fields[0], int(fields[1])
    except (OSError, ValueError, IndexError):
        return "", None


def _running(pid: int) -> bool:
    """Alive and not a zombie (a dead child stays in /proc until its parent reaps it)."""
    return _stat(pid)[0] not in ("", "Z", "X")


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except OSError:
        pass


def _finite(value: float, infinity: float) -> float:
    if value == INF:
        return infinity
    if value == -INF:
        return -infinity
    return value


def _solve_pulp(model: LinearModel, engine: str, time_limit: float, gap: float, threads: int,
                hint: list[float] | None = None) -> SolveResult:
    import pulp

    problem = pulp.LpProblem("dcplan", pulp.LpMinimize)
    variables = [problem.add_variable(f"v{i}", lowBound=v.lb, upBound=None if v.ub == INF else v.ub,
                                      cat=pulp.LpInteger if v.integer else pulp.LpContinuous)
                 for i, v in enumerate(model.variables)]
    problem += pulp.lpSum(c * variables[i] for i, c in model.objective.terms.items()) + model.objective.constant
    for j, row in enumerate(model.rows):
        expr = pulp.lpSum(c * variables[i] for i, c in row.terms.items())
        if row.lo == row.hi:
            problem += (expr == row.lo), f"r{j}"
            continue
        if row.lo > -INF:
            problem += (expr >= row.lo), f"r{j}_lo"
        if row.hi < INF:
            problem += (expr <= row.hi), f"r{j}_hi"
    options = {"timeLimit": time_limit, "gapRel": gap, "msg": engine_logging()}
    if hint is not None:
        for variable, value in zip(variables, hint):
            variable.setInitialValue(value)
        options["warmStart"] = True
    if threads:
        options["threads"] = threads
    with warnings.catch_warnings():
        # PuLP 3.3 deprecates PULP_CBC_CMD in favour of COIN_CMD with a separately installed CBC;
        # the bundled binary is what a plain `pip install` provides, so keep it until PuLP 4.
        warnings.simplefilter("ignore", DeprecationWarning)
        if engine != "cbc":
            from dcplan.solve.banner import spend_banner

            spend_banner()  # PuLP's HiGHS would print it on stderr
        solver = pulp.PULP_CBC_CMD(**options) if engine == "cbc" else pulp.HiGHS(**options)
    if not solver.available():
        raise SolverFailure(f"PuLP cannot find the {engine} engine")
    start = time.perf_counter()
    # CBC runs as a child process writing files; keep them in a directory of ours so an
    # interrupted solve leaves nothing behind.
    with tempfile.TemporaryDirectory(prefix="dcplan-") as scratch:
        if hasattr(solver, "tmpDir"):
            solver.tmpDir = scratch
        try:
            with _engine_output_to_stderr():
                run_interruptibly(lambda: problem.solve(solver), _terminate_child_processes)
        except Interrupted:
            return SolveResult(Status.INTERRUPTED, f"pulp-{engine}", solve_seconds=time.perf_counter() - start)
        except pulp.PulpSolverError as err:
            raise SolverFailure(f"{engine} failed: {err}") from None
    seconds = time.perf_counter() - start
    # sol_status: 1 optimal, 2 integer feasible (stopped early), -1 infeasible, 0 not solved.
    status = {1: Status.OPTIMAL, 2: Status.FEASIBLE, -1: Status.INFEASIBLE, 0: Status.NO_SOLUTION,
              -2: Status.ERROR}.get(problem.sol_status, Status.ERROR)
    if problem.status == pulp.LpStatusInfeasible and status in (Status.NO_SOLUTION, Status.ERROR):
        status = Status.INFEASIBLE  # e.g. CBC's pre-processing proves infeasibility without a solve status
    if status == Status.OPTIMAL and problem.status != pulp.LpStatusOptimal:
        status = Status.FEASIBLE
    result = SolveResult(status, f"pulp-{engine}", solve_seconds=seconds)
    if status in (Status.OPTIMAL, Status.FEASIBLE):
        result.values = [v.varValue if v.varValue is not None else 0.0 for v in variables]
        result.objective = model.objective.value(result.values)
        result.bound = _highs_bound(problem) if engine == "highs" else None
        if result.bound is None and status == Status.OPTIMAL:
            # PuLP does not expose CBC's bound; the gap is within the requested tolerance.
            result.messages.append(f"{engine} via PuLP proves optimality within the gap tolerance {gap:g} "
                                   "but does not report its bound")
    return result
