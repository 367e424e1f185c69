"""A feasible scenario: the limits that bind at the optimum, each relaxed by a step and re-solved."""

from __future__ import annotations

import math
from dataclasses import replace

from dcplan.model.built import constraint_name
from dcplan.model.linear import INF, LinearModel, Row
from dcplan.usecases.explain.results import Binding, Explanation
from dcplan.usecases.explain.words import bound_path, is_integral, label, set_path, set_value, show, where
from dcplan.usecases.explain.work import Work
from dcplan.vocab import RELAXABLE_FAMILIES as RELAXABLE

MAX_RELAXATIONS = 10


def explain_feasible(work: Work, out: Explanation, base) -> None:
    from dcplan.plan.extract import rounded_values, tidy

    proven = base.status == "optimal"
    if not proven:
        work.warnings.append("the plan is not proven optimal within the time limit; improvements are estimates")
    values = tidy(work.built, rounded_values(work.built, base.values))  # free racks and switches at their least
    found = [(row, sign) for row in work.lm.rows if row.family in RELAXABLE
             for sign in (1.0, -1.0) if _binds(work.lm, row, sign, values)]
    for row, sign in found[:MAX_RELAXATIONS]:
        out.binding.append(_relax(work, row, sign, base, values, proven))
    for row, sign in found[MAX_RELAXATIONS:]:
        out.binding.append(_binding(work, row, sign, values))
    if len(found) > MAX_RELAXATIONS:
        work.warnings.append(f"only the first {MAX_RELAXATIONS} binding limits were re-solved")


def _binds(lm: LinearModel, row: Row, sign: float, values) -> bool:
    bound = row.hi if sign > 0 else row.lo
    if bound in (INF, -INF):
        return False
    lhs = sum(c * values[i] for i, c in row.terms.items())
    slack = (bound - lhs) * sign
    if slack <= 1e-6 * max(1.0, abs(bound)):
        return True
    if row.family in ("power", "racks"):  # one more unit of anything in the row would break it
        smallest = min((abs(c) for c in row.terms.values() if abs(c) > 1e-9), default=math.inf)
        return slack < smallest - 1e-9
    return False


def _binding(work: Work, row: Row, sign: float, values) -> Binding:
    path, unit = bound_path(work, row, sign)
    line, column = where(work, row.origin)
    lhs = sum(c * values[i] for i, c in row.terms.items())
    return Binding(constraint_name(row), label(work, row.origin), path, work.path, line, column, lhs,
                   row.hi if sign > 0 else row.lo, unit)


def _relax(work: Work, row: Row, sign: float, base, values, proven: bool) -> Binding:
    """Re-solve with this bound moved outward by one step; the objective's improvement."""
    entry = _binding(work, row, sign, values)
    integral = is_integral(work.lm, row)
    step = _relax_step(entry.limit, work.step, integral)
    relaxed = float(f"{entry.limit + sign * step:.6g}")  # the value the --set below spells
    if sign < 0 and entry.limit >= 0:
        relaxed = max(relaxed, 0.0)
    moved = replace(row, hi=relaxed) if sign > 0 else replace(row, lo=relaxed)
    lm = work.lm.with_rows([moved if r is row else r for r in work.lm.rows], work.lm.objective)
    result = work.solve(lm)
    words = f"{'raising' if sign > 0 else 'lowering'} {entry.path} to {show(relaxed, entry.unit)}"
    entry = replace(entry, relaxed_to=relaxed, set_argument=f"{set_path(entry.path)}={set_value(relaxed, entry.unit)}")
    if result.values is None:
        return replace(entry, description=words + ": not re-solved in time")
    gain = base.objective - result.objective
    objective = work.built.objective_name
    if gain > 1e-5 * max(1.0, abs(base.objective)):  # beyond the two solves' gap
        effect = f"lowers {objective} by {show(gain, _objective_unit(work))}"
    else:
        effect, gain = f"does not lower {objective}", 0.0
    return replace(entry, objective_after=result.objective, improvement=gain,
                   proven=proven and result.status == "optimal", description=f"{words} {effect}")


def _relax_step(limit: float, fraction: float, integral: bool) -> float:
    step = abs(limit) * fraction
    if integral:
        return float(max(1, math.ceil(step - 1e-9)))
    return step if step > 0 else 1.0


def _objective_unit(work: Work) -> str:
    return {"tco": work.scenario.currency, "capex": work.scenario.currency, "energy": "MWh/year",
            "carbon": "t/year", "power": "kW"}.get(work.built.objective_name, "")
