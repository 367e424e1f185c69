"""HiGHS, SCIP, CP-SAT and GLOP inside OR-Tools, handed a model in bulk through MathOpt.

A model's arrays (dcplan.model.matrix.Matrix) fill a MathOpt `ModelProto` in about ten bulk
`extend` calls, and OR-Tools' C++ solver core solves it (`ortools.math_opt.core.python.solver.solve`,
the call `mathopt.solve` makes underneath; it skips the Python model objects, which cost seconds at
a hundred thousand variables). One proto serves every engine; the answer comes back as a
`SolveResultProto`: a termination reason, the proven dual bound, solutions and, for LPs, row duals.

That core call is not OR-Tools' documented API, so ortools is pinned (constraints.txt) and
tests/test_engines.py calls it directly: an upgrade that changes it fails there, loudly.

Facts this module relies on (measured with OR-Tools 9.15, HiGHS 1.12; docs/model.md, "Solving"):
- HiGHS's thread pool is global to the process and fixed by its first solve; a later solve asking
  for another count fails. Every HiGHS solve of a process therefore passes the first count asked.
- HiGHS takes a warm start only as a full vector (one value per variable).
- HiGHS solving an LP (every variable continuous) returns row duals, which pricing needs.
- The dual bound is -inf before the root LP: no bound, never a number.
- An exception escaping the log callback aborts the process: the callback never raises.
- SCIP with an interrupter attached prints errors and does not stop; it gets none. HiGHS ignores
  interrupters; CP-SAT honours them.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from dcplan.model.matrix import Matrix
from dcplan.vocab import UNKNOWN_BOUND, Status

SOLVER_TYPES = {"highs": "SOLVER_TYPE_HIGHS", "scip": "SOLVER_TYPE_GSCIP", "cp-sat": "SOLVER_TYPE_CP_SAT",
                "glop": "SOLVER_TYPE_GLOP", "pdlp": "SOLVER_TYPE_PDLP"}
PDLP_TOLERANCE = 1e-3
"""Relative optimality PDLP stops at: its duals only price the blocks of a Lagrangian bound, which any
duals keep valid (dcplan/solve/lagrange.py); at W=1000 × 60 × 4 it reaches 1e-3 in 6.7 s, 1e-4 in 124 s."""

_REASONS = {"TERMINATION_REASON_OPTIMAL": Status.OPTIMAL, "TERMINATION_REASON_FEASIBLE": Status.FEASIBLE,
            "TERMINATION_REASON_INFEASIBLE": Status.INFEASIBLE,
            "TERMINATION_REASON_NO_SOLUTION_FOUND": Status.NO_SOLUTION}
_highs_threads: list[int] = []
_lock = threading.Lock()


def proto_of(matrix: Matrix, relax: bool = False):
    """A MathOpt ModelProto of the arrays (variables 0..n-1, rows 0..m-1)."""
    from ortools.math_opt import model_pb2

    m, n = matrix.shape
    proto = model_pb2.ModelProto()
    proto.variables.ids.extend(range(n))
    proto.variables.lower_bounds.extend(matrix.lb.tolist())
    proto.variables.upper_bounds.extend(matrix.ub.tolist())
    proto.variables.integers.extend([False] * n if relax else matrix.integer.tolist())
    nonzero = np.flatnonzero(matrix.cost)
    proto.objective.linear_coefficients.ids.extend(nonzero.tolist())
    proto.objective.linear_coefficients.values.extend(matrix.cost[nonzero].tolist())
    proto.objective.offset = float(matrix.offset)
    proto.linear_constraints.ids.extend(range(m))
    proto.linear_constraints.lower_bounds.extend(matrix.row_lo.tolist())
    proto.linear_constraints.upper_bounds.extend(matrix.row_hi.tolist())
    entries = proto.linear_constraint_matrix
    entries.row_ids.extend(matrix.row_ids.tolist())  # (row, column) strictly increasing, as MathOpt requires
    entries.column_ids.extend(matrix.indices.tolist())
    entries.coefficients.extend(matrix.data.tolist())
    return proto


def highs_threads(requested: int) -> int:
    """The HiGHS thread count of this process: the first one asked for (0 = HiGHS decides)."""
    with _lock:
        if not _highs_threads:
            _highs_threads.append(max(0, int(requested)))
        return _highs_threads[0]


def parameters(engine: str, time_limit: float, gap: float | None, threads: int = 0, log: bool = False,
               relax: bool = False, target: float | None = None, quick: bool = False):
    from ortools.math_opt import parameters_pb2

    params = parameters_pb2.SolveParametersProto()
    params.time_limit.FromNanoseconds(int(max(0.001, time_limit) * 1e9))
    params.enable_output = False  # engine lines come through the message callback, never on fd 1
    if gap is not None and not relax and engine != "glop":
        params.relative_gap_tolerance = float(gap)
        params.absolute_gap_tolerance = 0.0
    if engine == "highs":
        count = highs_threads(threads)
        if count:
            params.highs.int_options["threads"] = count
        if target is not None and not relax:
            # Stop at the first plan costing at most this (MathOpt's own objective_limit is not offered for HiGHS).
            params.highs.double_options["objective_target"] = float(target)
    elif engine == "cp-sat":
        params.threads = int(threads) if threads else 2
        params.cp_sat.catch_sigint_signal = False  # Ctrl-C is dcplan's to handle
    elif engine == "pdlp":
        criteria = params.pdlp.termination_criteria.simple_optimality_criteria
        criteria.eps_optimal_relative, criteria.eps_optimal_absolute = PDLP_TOLERANCE, 0.0
        params.pdlp.num_threads = int(threads) if threads else 2
    elif engine == "scip":
        params.gscip.bool_params["misc/catchctrlc"] = False  # else SCIP returns its best plan on Ctrl-C
        if threads:
            params.threads = int(threads)
        if quick:
            _quick_scip(params.gscip)
    return params


def _quick_scip(gscip) -> None:
    """SCIP's FAST settings for presolving, heuristics and separation: for small models solved by the
    thousand under a short limit (the decomposition's blocks, dcplan/solve/blocks.py, QUICK_SCIP).
    SCIP's defaults spend a small model's fraction of a second on rounds that rarely pay there."""
    from ortools.math_opt.solvers.gscip import gscip_pb2

    fast = gscip_pb2.GScipParameters.MetaParamValue.FAST
    gscip.presolve = gscip.heuristics = gscip.separating = fast


def solve_matrix(matrix: Matrix, engine: str, time_limit: float, gap: float | None, threads: int = 0,
                 hint=None, relax: bool = False, log=None, interrupter=None, target: float | None = None,
                 quick: bool = False) -> dict:
    """One solve on the calling thread. Returns {status, values, bound, duals, detail}; values are
    rounded on integer variables (not with `relax`), and status is a vocab.Status. `quick`: SCIP with
    its FAST settings (_quick_scip); other engines ignore it."""
    from ortools.math_opt import callback_pb2, model_parameters_pb2, parameters_pb2, result_pb2
    from ortools.math_opt.core.python import solver

    proto = proto_of(matrix, relax=relax)
    model_params = model_parameters_pb2.ModelSolveParametersProto()
    if hint is not None and engine != "glop" and not relax and _within_bounds(matrix, hint):
        values = model_params.solution_hints.add().variable_values
        values.ids.extend(range(len(matrix.lb)))
        values.values.extend(np.asarray(hint, dtype=float).tolist())
    solver_type = parameters_pb2.SolverTypeProto.Value(SOLVER_TYPES[engine])
    raw = solver.solve(proto, solver_type, parameters_pb2.SolverInitializerProto(),
                       parameters(engine, time_limit, gap, threads, relax=relax, target=target, quick=quick),
                       model_params,
                       None if log is None else _never_raising(log), callback_pb2.CallbackRegistrationProto(), None,
                       None if interrupter is None or engine == "scip" else interrupter.pybind_interrupter)
    if not isinstance(raw, result_pb2.SolveResultProto):
        raw = result_pb2.SolveResultProto.FromString(raw)
    return read_result(raw, matrix, relax)


def _within_bounds(matrix: Matrix, hint) -> bool:
    """Does the hint lie within every variable's bounds? HiGHS (through MathOpt) stops with an internal
    error (StatusNotOk) on a hint outside them, where a hint that breaks a row is merely not used; such a
    hint is dropped, so a caller's stale start can never end the process."""
    hint = np.asarray(hint, dtype=float)
    return len(hint) == len(matrix.lb) and bool(np.all(hint >= matrix.lb - 1e-9) and np.all(hint <= matrix.ub + 1e-9))


def read_result(raw, matrix: Matrix, relax: bool) -> dict:
    """The answer of a SolveResultProto in dcplan's terms."""
    from ortools.math_opt import result_pb2

    termination = raw.termination
    reason = result_pb2.TerminationReasonProto.Name(termination.reason)
    status = _REASONS.get(reason, Status.ERROR)
    if reason == "TERMINATION_REASON_INFEASIBLE_OR_UNBOUNDED" and matrix_bounded_below(matrix):
        status = Status.INFEASIBLE  # the objective cannot fall without end, so: infeasible
    bound = termination.objective_bounds.dual_bound
    out = {"status": status, "values": None, "duals": None,
           "bound": float(bound) if math.isfinite(bound) and abs(bound) < UNKNOWN_BOUND else None,
           "detail": f"{reason} {result_pb2.LimitProto.Name(termination.limit)} {termination.detail}".strip(),
           "interrupted": termination.limit == result_pb2.LIMIT_INTERRUPTED}
    for solution in raw.solutions:
        primal = solution.primal_solution
        if solution.HasField("primal_solution") and primal.feasibility_status == 2:  # SOLUTION_STATUS_FEASIBLE
            values = np.zeros(len(matrix.lb))
            values[np.asarray(primal.variable_values.ids, dtype=np.int64)] = primal.variable_values.values
            if not relax:
                values = np.where(matrix.integer, np.round(values), values)
            out["values"] = values
            break
    if out["values"] is None and status in (Status.OPTIMAL, Status.FEASIBLE):
        out["status"] = Status.ERROR  # a claimed plan we cannot see is no plan
    for solution in raw.solutions:
        if solution.HasField("dual_solution"):
            duals = np.zeros(len(matrix.row_lo))
            dual = solution.dual_solution.dual_values
            duals[np.asarray(dual.ids, dtype=np.int64)] = dual.values
            out["duals"] = duals
            break
    return out


def matrix_bounded_below(matrix: Matrix) -> bool:
    """Every variable with a cost that lowers the objective is bounded in that direction."""
    return bool(np.all((matrix.cost >= 0) | np.isfinite(matrix.ub)) and np.all((matrix.cost <= 0) | np.isfinite(matrix.lb)))


def _never_raising(log):
    """An exception escaping MathOpt's message callback aborts the process (C++ terminate)."""
    def lines(messages: list[str]) -> None:
        try:
            for message in messages:
                log(message)
        except Exception:  # noqa: BLE001 - a log line is never worth the process
            pass
    return lines


def interrupter():
    """A MathOpt interrupter (CP-SAT stops when it fires)."""
    from ortools.util.python.solve_interrupter import SolveInterrupter

    return SolveInterrupter()
