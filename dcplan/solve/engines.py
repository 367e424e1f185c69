"""Run an engine on a model; map statuses, objective, bound and gap.

Engines, all behind `solve(model, engine, ...)`:
- through OR-Tools (MathOpt, dcplan/solve/mathopt.py): `highs` (HiGHS; what `auto` means), `scip`,
  `cp-sat`, and `glop` for LP relaxations. Nothing else is imported by a default solve.
- through PuLP: `cbc` (CBC, a child process), and `pulp-highs` (PuLP's HiGHS, which needs highspy:
  the benchmark's baseline, not offered on the command line).

Statuses map to vocab.Status: optimal | feasible | infeasible | no_solution, plus `error` for engine
failures (never reported as infeasible: only an engine's proof makes a plan infeasible) and
`interrupted`. An unknown or sentinel bound (SCIP's ±1e20, -inf before the root LP) is None.

Every engine call runs on a worker thread the caller waits for (`run_watched`): Ctrl-C reaches
Python at once, and a call that overruns its deadline is abandoned (the daemon thread ends with its
own time limit or with the process) so a time limit holds in wall-clock time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import tempfile
import threading
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from dcplan.errors import Interrupted
from dcplan.model.linear import INF, LinearModel
from dcplan.model.matrix import Matrix
from dcplan.vocab import UNKNOWN_BOUND, Status, relative_gap

AUTO_ENGINE = "highs"  # measured: docs/model.md, "Choice of engine"
MATHOPT_ENGINES = ("highs", "scip", "cp-sat", "glop", "pdlp")
PULP_ENGINES = ("cbc", "pulp-highs")
ENGINE_NAMES = {"highs": "ortools-highs", "scip": "ortools-scip", "cp-sat": "ortools-cp-sat",
                "glop": "ortools-glop", "pdlp": "ortools-pdlp", "cbc": "pulp-cbc", "pulp-highs": "pulp-highs"}
"""What a plan's `solver.engine` says: the library that ran the engine, and the engine."""
OVERRUN_GRACE = 0.25
"""Seconds an engine may run past the caller's deadline before it is abandoned."""


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
    row_duals: np.ndarray | None = None  # LPs only

    @property
    def gap(self) -> float | None:
        return relative_gap(self.objective, self.bound, self.status)


class EngineLogError(ValueError):
    """The engine log file cannot be written."""


_default_log = None
"""Hears the engines' lines of every solve not given a `log` of its own (log_engines_to); None: silent."""


def log_engines_to(path: str | None) -> None:
    """Send the engines' own log from now on to the file `path` (emptied first), or nowhere (None), for
    every solve that is not given a `log` of its own."""
    global _default_log
    if path is None:
        _default_log = None
        return
    try:
        handle = open(path, "w", encoding="utf-8", buffering=1)  # line by line: nothing lost on a hard exit
    except OSError as err:
        raise EngineLogError(f"cannot write {path}: {err.strerror or err}") from None
    _default_log = lambda text: handle.write(text.rstrip("\n") + "\n")  # noqa: E731


def or_warm_start(result: SolveResult, model: LinearModel | Matrix, hint) -> SolveResult:
    """`result`, or the warm start `hint` as a feasible plan when the engine stopped without a plan of
    its own (the hint satisfies every row: the planners only pass hints that do)."""
    if result.values is None and hint is not None and result.status in (Status.NO_SOLUTION, Status.ERROR):
        result.values, result.status = list(hint), Status.FEASIBLE
        result.objective = (model.objective.value(hint) if isinstance(model, LinearModel)
                            else model.objective(np.asarray(hint, dtype=float)))
        result.messages.append("the engine found no plan in time; this is the greedy warm start, "
                               "not an optimised plan (raise --time-limit)")
    return result


def engine_of(engine: str | None) -> str:
    """`auto` (or nothing) is HiGHS through OR-Tools."""
    return AUTO_ENGINE if engine in (None, "auto") else engine


def solve(model: LinearModel | Matrix, engine: str = "auto", time_limit: float = 60.0, gap: float = 1e-3,
          threads: int = 0, hint=None, log=None, deadline: float | None = None, relax: bool = False,
          target: float | None = None) -> SolveResult:
    """Solve `model`; `hint` is a full value vector the engine may start from (a warm start).

    `log(line)` hears the engine's output (nothing is printed otherwise); `deadline` is a
    time.perf_counter() after which the call is abandoned; `relax` solves the LP relaxation (with
    row duals from HiGHS and GLOP); `target`: HiGHS stops once it has a plan costing at most this
    (its `objective_target`; the other engines stop at `gap` only)."""
    engine = engine_of(engine)
    log = _default_log if log is None else log
    matrix = model.matrix() if isinstance(model, LinearModel) else model
    if deadline is not None:
        time_limit = min(time_limit, deadline - time.perf_counter())
    if time_limit <= 0.0:
        return SolveResult(Status.NO_SOLUTION, ENGINE_NAMES.get(engine, engine),
                           messages=["no time was left for the engine"])
    if engine in MATHOPT_ENGINES:
        return _solve_mathopt(matrix, engine, time_limit, gap, threads, hint, log, relax, target)
    if engine in PULP_ENGINES:
        return _solve_pulp(matrix, engine, time_limit, gap, threads, hint, log)
    raise ValueError(f"unknown engine {engine!r}")


def _solve_mathopt(matrix: Matrix, engine: str, time_limit: float, gap: float, threads: int, hint, log,
                   relax: bool, target: float | None = None) -> SolveResult:
    from dcplan.solve import mathopt

    name = ENGINE_NAMES[engine]
    stop = mathopt.interrupter()
    start = time.perf_counter()
    try:
        with engine_stdout_discarded():
            raw = run_watched(lambda: mathopt.solve_matrix(matrix, engine, time_limit, gap, threads, hint, relax, log,
                                                           stop, target=target),
                              stop.interrupt, start + time_limit + OVERRUN_GRACE)
    except Interrupted:
        return SolveResult(Status.INTERRUPTED, name, solve_seconds=time.perf_counter() - start)
    seconds = time.perf_counter() - start
    if raw is None:
        return SolveResult(Status.NO_SOLUTION, name, solve_seconds=seconds,
                           messages=[f"{engine} ran past its time limit and was abandoned"])
    result = SolveResult(raw["status"], name, bound=raw["bound"], solve_seconds=seconds, row_duals=raw["duals"])
    if raw["interrupted"]:
        # Only the watchdog of run_watched interrupts an engine that returns (Ctrl-C raises Interrupted
        # there): the engine ran past its time limit and was stopped, which is a time limit, not the user.
        result.messages.append(f"{engine} ran past its time limit and was stopped")
    if result.status == Status.ERROR:
        result.messages.append(f"{engine}: {raw['detail']}")
    if raw["values"] is not None and result.status.has_plan:
        result.values = raw["values"].tolist()
        result.objective = matrix.objective(raw["values"])
        if result.bound is None and result.status == Status.OPTIMAL:
            result.bound = result.objective
    elif relax and result.status == Status.OPTIMAL:
        result.objective = result.bound
    return result


# --------------------------------------------------------------------------- threads and output


_abandoned: list[threading.Thread] = []


def run_watched(call, stop=None, deadline: float | None = None):
    """Run a blocking engine call on a worker thread; return its value.

    A C++ engine call holds its thread until it returns, so the caller waits on a worker instead:
    Ctrl-C reaches Python at once (`stop()` asks the engine to end, then Interrupted is raised), and
    past `deadline` (time.perf_counter()) the call is abandoned and None returned. An abandoned or
    interrupted worker is a daemon: it ends with its own time limit or with the process.
    """
    outcome: dict = {}

    def work():
        try:
            outcome["value"] = call()
        except BaseException as err:  # noqa: BLE001 - handed to the waiting thread below
            outcome["error"] = err

    worker = threading.Thread(target=work, name="dcplan-engine", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.05)
            if deadline is not None and worker.is_alive() and time.perf_counter() > deadline:
                if stop is not None:
                    stop()
                worker.join(0.2)
                if worker.is_alive():
                    _abandoned.append(worker)
                    return None
    except KeyboardInterrupt:
        if stop is not None:
            stop()
            worker.join(1.0)
        if worker.is_alive():
            _abandoned.append(worker)
        raise Interrupted() from None
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def engines_still_running() -> bool:
    """Is an abandoned or interrupted engine still running? (Then the process should end with
    os._exit once its output is written: C++ threads torn down at interpreter exit can abort it.)"""
    return any(worker.is_alive() for worker in _abandoned)


_redirect_lock = threading.Lock()
_redirect = {"depth": 0, "saved": None}


@contextlib.contextmanager
def engine_stdout_discarded():
    """Engines print on file descriptor 1 now and then (C++ printf: HiGHS's MIP solver prints
    `HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();` on some blocks of
    W=5000 × 60 × 8); stdout is for data only and `--quiet` means nothing but errors.

    Their logs come through callbacks (MathOpt) or log files (CBC through PuLP, `msg` off), so whatever
    reaches fd 1 while an engine runs is the library's own debugging output: point fd 1 at /dev/null
    (C libraries write to the fd, not to sys.stdout), then restore it. Counted, so engine calls on
    several threads at once share one redirection.
    """
    with _redirect_lock:
        if _redirect["depth"] == 0:
            sys.stdout.flush()
            _redirect["saved"] = os.dup(1)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.close(null)
        _redirect["depth"] += 1
    try:
        yield
    finally:
        with _redirect_lock:
            _redirect["depth"] -= 1
            if _redirect["depth"] == 0:
                sys.stdout.flush()
                os.dup2(_redirect["saved"], 1)
                os.close(_redirect["saved"])


# --------------------------------------------------------------------------- PuLP


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


def _pulp_problem(matrix: Matrix):
    import pulp

    problem = pulp.LpProblem("dcplan", pulp.LpMinimize)
    variables = [problem.add_variable(f"v{i}", lowBound=lb, upBound=None if ub == INF else ub,
                                      cat=pulp.LpInteger if integer else pulp.LpContinuous)
                 for i, (lb, ub, integer) in enumerate(zip(matrix.lb.tolist(), matrix.ub.tolist(),
                                                           matrix.integer.tolist()))]
    nonzero = np.flatnonzero(matrix.cost)
    problem += pulp.LpAffineExpression([(variables[i], float(matrix.cost[i])) for i in nonzero],
                                       constant=float(matrix.offset))
    indptr, indices, data = matrix.indptr.tolist(), matrix.indices.tolist(), matrix.data.tolist()
    for j, (lo, hi) in enumerate(zip(matrix.row_lo.tolist(), matrix.row_hi.tolist())):
        expr = pulp.LpAffineExpression([(variables[i], c) for i, c in
                                        zip(indices[indptr[j]:indptr[j + 1]], data[indptr[j]:indptr[j + 1]])])
        if lo == hi:
            problem += (expr == lo), f"r{j}"
            continue
        if lo > -INF:
            problem += (expr >= lo), f"r{j}_lo"
        if hi < INF:
            problem += (expr <= hi), f"r{j}_hi"
    return problem, variables


def _import_pulp(engine: str):
    """PuLP, imported without highspy unless PuLP's own HiGHS is the engine asked for.

    PuLP imports highspy whenever it is installed (the test and bench extras install it). A process
    that imported PuLP that way and then ran OR-Tools' HiGHS on two threads (the workload cuts) crashed
    with SIGSEGV every time: `dcplan check --solver cbc` of two scenarios, or a CBC solve followed by a
    default one in a library caller. Two HiGHS builds in one process is what the issue forbids; CBC
    needs none of highspy, so PuLP is kept from loading it.
    """
    if "pulp" not in sys.modules and engine != "pulp-highs" and "highspy" not in sys.modules:
        sys.modules["highspy"] = None  # PuLP's `import highspy` fails; its HiGHS solver is then unavailable
        try:
            import pulp
        finally:
            del sys.modules["highspy"]
    import pulp

    return pulp


def _solve_pulp(matrix: Matrix, engine: str, time_limit: float, gap: float, threads: int, hint, log) -> SolveResult:
    pulp = _import_pulp(engine)

    problem, variables = _pulp_problem(matrix)
    options = {"timeLimit": time_limit, "gapRel": gap, "msg": False}
    if hint is not None:
        for variable, value in zip(variables, hint):
            variable.setInitialValue(value)
        options["warmStart"] = True
    if threads:
        options["threads"] = threads
    name = ENGINE_NAMES[engine]
    start = time.perf_counter()
    # CBC runs as a child process writing files; keep them in a directory of ours so an
    # interrupted solve leaves nothing behind.
    with tempfile.TemporaryDirectory(prefix="dcplan-") as scratch:
        if log is not None and engine == "cbc":
            options["logPath"] = os.path.join(scratch, "cbc.log")
        with warnings.catch_warnings():
            # PuLP 3.3 deprecates PULP_CBC_CMD in favour of COIN_CMD with a separately installed CBC;
            # the bundled binary is what a plain `pip install` provides, so keep it until PuLP 4.
            warnings.simplefilter("ignore", DeprecationWarning)
            if engine != "cbc":
                from dcplan.solve.banner import spend_banner

                spend_banner()  # PuLP's HiGHS (highspy) prints its banner at its first Highs
            solver = pulp.PULP_CBC_CMD(**options) if engine == "cbc" else pulp.HiGHS(**options)
        if not solver.available():
            raise SolverFailure(f"PuLP cannot find the {engine} engine")
        if hasattr(solver, "tmpDir"):
            solver.tmpDir = scratch
        try:
            with engine_stdout_discarded():
                run_watched(lambda: problem.solve(solver), _terminate_child_processes)
        except Interrupted:
            return SolveResult(Status.INTERRUPTED, name, solve_seconds=time.perf_counter() - start)
        except pulp.PulpSolverError as err:
            raise SolverFailure(f"{engine} failed: {err}") from None
        if "logPath" in options and os.path.exists(options["logPath"]):
            with open(options["logPath"], encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    log(line.rstrip("\n"))
    return _pulp_result(problem, variables, matrix, engine, time_limit, gap, time.perf_counter() - start)


def _pulp_result(problem, variables, matrix: Matrix, engine: str, time_limit: float, gap: float,
                 seconds: float) -> SolveResult:
    import pulp

    # sol_status: 1 optimal, 2 integer feasible (stopped early), -1 infeasible, 0 not solved.
    status = {1: Status.OPTIMAL, 2: Status.FEASIBLE, -1: Status.INFEASIBLE, 0: Status.NO_SOLUTION,
              -2: Status.ERROR}.get(problem.sol_status, Status.ERROR)
    if problem.status == pulp.LpStatusInfeasible and status in (Status.NO_SOLUTION, Status.ERROR):
        status = Status.INFEASIBLE  # e.g. CBC's pre-processing proves infeasibility without a solve status
    if status == Status.OPTIMAL and problem.status != pulp.LpStatusOptimal:
        status = Status.FEASIBLE
    result = SolveResult(status, ENGINE_NAMES[engine], solve_seconds=seconds)
    if status == Status.INFEASIBLE and engine == "cbc" and seconds >= time_limit:
        # Stopped by its clock inside pre-processing, CBC says "infeasible or unbounded" (seen at a
        # 0.01 s limit on a feasible scenario): a claim made once the time is up proves nothing.
        result.status = Status.NO_SOLUTION
        result.messages.append("CBC reached its time limit without a plan (it says infeasible, but proved nothing)")
    if status in (Status.OPTIMAL, Status.FEASIBLE):
        values = np.array([v.varValue if v.varValue is not None else 0.0 for v in variables])
        values = np.where(matrix.integer, np.round(values), values)
        result.values = values.tolist()
        result.objective = matrix.objective(values)
        result.bound = _highs_bound(problem) if engine == "pulp-highs" else None  # PuLP hides CBC's bound
        if result.bound is None and status == Status.OPTIMAL:
            # Optimal means proven within the relative gap asked for: that much is a proven bound.
            result.bound = result.objective - gap * abs(result.objective)
    return result


def _highs_bound(problem) -> float | None:
    """PuLP keeps its Highs object (in-process, highspy), whose MIP dual bound we can read."""
    import math

    solver_model = getattr(problem, "solverModel", None)
    try:
        info = solver_model.getInfo()
        bound = info.mip_dual_bound if info.mip_node_count >= 0 else info.objective_function_value
    except AttributeError:
        return None
    return bound if math.isfinite(bound) and abs(bound) < UNKNOWN_BOUND else None
