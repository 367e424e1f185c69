"""Hand a LinearModel to HiGHS through highspy's matrix API, without PuLP.

Used where dcplan solves many small problems (one per workload, dcplan/blocks.py)
or needs the LP's dual values: building a PuLP problem and writing it out costs
milliseconds per problem, the matrix API microseconds. highspy releases the GIL
while HiGHS runs, so small problems can be solved on two threads at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dcplan.errors import Interrupted
from dcplan.model.linear import LinearModel
from dcplan.solve.banner import spend_banner


@dataclass
class HighsResult:
    status: str  # optimal | feasible | infeasible | no_solution
    objective: float | None
    bound: float | None  # proven lower bound (MIP dual bound, or the LP optimum)
    values: list[float] | None
    row_duals: list[float] | None = None  # LP only


def to_highs(model: LinearModel, relax: bool = False, objective=None):
    """A highspy.Highs holding `model` (every variable continuous with `relax`), output off."""
    import highspy

    spend_banner()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    n = len(model.variables)
    costs = np.zeros(n)
    for index, coefficient in (objective or model.objective).terms.items():
        costs[index] = coefficient
    lower = np.array([v.lb for v in model.variables], dtype=float)
    upper = np.array([min(v.ub, inf) for v in model.variables], dtype=float)
    highs.addVars(n, lower, upper)
    highs.changeColsCost(n, np.arange(n, dtype=np.int32), costs)
    if not relax:
        integers = np.array([i for i, v in enumerate(model.variables) if v.integer], dtype=np.int32)
        if len(integers):
            highs.changeColsIntegrality(len(integers), integers,
                                        np.full(len(integers), highspy.HighsVarType.kInteger))
    starts, indices, coefficients, row_lo, row_hi = [], [], [], [], []
    for row in model.rows:
        starts.append(len(indices))
        indices.extend(row.terms.keys())
        coefficients.extend(row.terms.values())
        row_lo.append(max(row.lo, -inf))
        row_hi.append(min(row.hi, inf))
    if model.rows:
        highs.addRows(len(model.rows), np.array(row_lo), np.array(row_hi), len(indices),
                      np.array(starts, dtype=np.int32), np.array(indices, dtype=np.int32),
                      np.array(coefficients, dtype=float))
    return highs


def run(highs, time_limit: float, gap: float = 0.0, threads: int = 0, mip: bool = True,
        constant: float = 0.0) -> HighsResult:
    """Solve what `to_highs` built; the bound is HiGHS's proven one (never a heuristic value)."""
    import highspy

    highs.setOptionValue("time_limit", max(0.01, float(time_limit)))
    if mip:
        highs.setOptionValue("mip_rel_gap", float(gap))
    if threads:
        highs.setOptionValue("threads", int(threads))
    highs.run()
    status = highs.getModelStatus()
    info = highs.getInfo()
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if status == highspy.HighsModelStatus.kInfeasible:
        return HighsResult("infeasible", None, math.inf, None)
    bound = info.mip_dual_bound if mip else (info.objective_function_value if
                                             status == highspy.HighsModelStatus.kOptimal else None)
    if bound is not None and not math.isfinite(bound):
        bound = None
    if not has_solution:
        return HighsResult("no_solution", None, None if bound is None else bound + constant, None)
    solution = highs.getSolution()
    optimal = status == highspy.HighsModelStatus.kOptimal
    result = HighsResult("optimal" if optimal else "feasible", info.objective_function_value + constant,
                         None if bound is None else bound + constant, list(solution.col_value))
    if not mip:
        result.row_duals = list(solution.row_dual)
    return result


def solve_model(model: LinearModel, time_limit: float, gap: float, threads: int = 0,
                hint: list[float] | None = None):
    """solve.solve for HiGHS without PuLP: same SolveResult, engine output on stderr, Ctrl-C honoured."""
    import time

    import highspy

    from dcplan.solve.engines import SolveResult, _engine_output_to_stderr, run_interruptibly

    start = time.perf_counter()
    with _engine_output_to_stderr():
        highs = to_highs(model)
        if hint is not None:
            start_values = highspy.HighsSolution()
            start_values.col_value = [float(v) for v in hint]
            start_values.value_valid = True
            highs.setSolution(start_values)
        try:
            result = run_interruptibly(lambda: run(highs, time_limit, gap=gap, threads=threads,
                                                   constant=model.objective.constant), highs.cancelSolve)
        except Interrupted:
            return SolveResult("interrupted", "highs", solve_seconds=time.perf_counter() - start)
    out = SolveResult(result.status, "highs", values=result.values, bound=result.bound,
                      solve_seconds=time.perf_counter() - start)
    if result.values is not None:
        out.values = [float(round(v)) if var.integer else v for v, var in zip(result.values, model.variables)]
        out.objective = model.objective.value(out.values)
    return out
