"""A feasible scenario: the limits whose relaxation lowers the objective, judged by re-solving."""

from __future__ import annotations

import math
from dataclasses import replace

from dcplan.model.built import constraint_name
from dcplan.model.linear import INF, LinearModel, Row
from dcplan.usecases.explain.results import Binding, Explanation
from dcplan.usecases.explain.words import bound_path, is_integral, label, outward, period_of, set_path, set_value, show, where
from dcplan.usecases.explain.work import Work
from dcplan.vocab import RELAXABLE_FAMILIES as RELAXABLE

MAX_RELAXATIONS = 10


def explain_feasible(work: Work, out: Explanation, base) -> None:
    """The limits that bind: those whose relaxation lowers the objective, judged by re-solving.

    Zero slack is not the test: a limit can cost money through a discrete choice while the plan sits
    far below it (a cluster that would be cheaper at a site whose power is a little short), and a limit
    at its bound may cost nothing. Limits are tried tightest first, at most MAX_RELAXATIONS of them.
    """
    from dcplan.plan.extract import rounded_values, tidy

    proven = base.status == "optimal"
    if not proven:
        work.warnings.append("the plan is not proven optimal within the time limit; improvements are estimates")
    values = tidy(work.built, rounded_values(work.built, base.values))  # free racks and switches at their least
    limits = [(row, sign) for row in work.lm.rows if row.family in RELAXABLE
              for sign in (1.0, -1.0) if (row.hi if sign > 0 else row.lo) not in (INF, -INF)]
    limits.sort(key=lambda limit: _relative_slack(limit[0], limit[1], values))
    for row, sign in limits[:MAX_RELAXATIONS]:
        entry = _judge(work, row, sign, base, values, proven)
        if entry is not None:
            out.binding.append(entry)
    if len(limits) > MAX_RELAXATIONS:
        work.warnings.append(f"only the {MAX_RELAXATIONS} tightest of {len(limits)} limits were re-solved to "
                             "judge whether they bind")


def _relative_slack(row: Row, sign: float, values) -> float:
    bound = row.hi if sign > 0 else row.lo
    lhs = sum(c * values[i] for i, c in row.terms.items())
    return (bound - lhs) * sign / max(1.0, abs(bound))


def _binds(lm: LinearModel, row: Row, sign: float, values) -> bool:
    """At its bound in the plan: no slack, or (power, racks) less than one more unit of anything in it."""
    bound = row.hi if sign > 0 else row.lo
    slack = (bound - sum(c * values[i] for i, c in row.terms.items())) * sign
    if slack <= 1e-6 * max(1.0, abs(bound)):
        return True
    if row.family in ("power", "racks"):
        smallest = min((abs(c) for c in row.terms.values() if abs(c) > 1e-9), default=math.inf)
        return slack < smallest - 1e-9
    return False


def _binding(work: Work, row: Row, sign: float, values) -> Binding:
    path, unit = bound_path(work, row, sign)
    line, column = where(work, row.origin)
    lhs = sum(c * values[i] for i, c in row.terms.items())
    return Binding(constraint_name(row), label(work, row.origin), path, work.path, line, column, lhs,
                   row.hi if sign > 0 else row.lo, unit)


def _judge(work: Work, row: Row, sign: float, base, values, proven: bool) -> Binding | None:
    """The limit as a Binding if relaxing it lowers the objective, else None.

    First by one step (`--step`); when that is not enough (a discrete choice needs more), by removing
    the limit: if that helps, the least bound giving the same plan is the row's level in it, rounded
    outward, and that bound is re-solved to state what it is worth.
    """
    entry = _binding(work, row, sign, values)
    integral = is_integral(work.lm, row)
    when = period_of(row)  # a build-out's limit holds in one period: say which
    stepped = _round(entry.limit + sign * _relax_step(entry.limit, work.step, integral), sign, entry.limit)
    result = work.solve(_with_bound(work.lm, row, sign, stepped))
    if result.values is None:
        tight = _binds(work.lm, row, sign, values)
        if not tight:
            return None
        return _described(work, base, entry, stepped, None, proven, ": not re-solved in time", when=when)
    if _gain(base, result) > 0:
        return _described(work, base, entry, stepped, result, proven, when=when)
    free = work.solve(_with_bound(work.lm, row, sign, INF * sign))
    if free.values is None or _gain(base, free) <= 0:
        return None  # relaxing it does not lower the objective: it does not bind
    level = sum(c * free.values[i] for i, c in row.terms.items())
    needed = _round(outward(level, sign, integral), sign, entry.limit)
    result = work.solve(_with_bound(work.lm, row, sign, needed))
    if result.values is None or _gain(base, result) <= 0:
        return _described(work, base, entry, None, free, proven, when=when)
    return _described(work, base, entry, needed, result, proven, when=when)


def _round(value: float, sign: float, limit: float) -> float:
    """The value a --set spells (6 significant digits), never below 0 when lowering a non-negative limit."""
    value = float(f"{value:.6g}")
    return max(value, 0.0) if sign < 0 and limit >= 0 else value


def _with_bound(lm: LinearModel, row: Row, sign: float, bound: float) -> LinearModel:
    moved = replace(row, hi=bound) if sign > 0 else replace(row, lo=bound)
    return lm.with_rows([moved if r is row else r for r in lm.rows], lm.objective)


def _gain(base, result) -> float:
    """How much lower the re-solved objective is; 0 within the two solves' tolerance.

    The first solve stops within its gap of the optimum, so a re-solve may land up to that gap lower
    with nothing relaxed: only an objective below the first solve's proven bound is a gain."""
    gain = base.objective - result.objective
    noise = 1e-5 * max(1.0, abs(base.objective))
    if base.bound is not None and math.isfinite(base.bound):
        noise += max(0.0, base.objective - base.bound)
    return gain if gain > noise else 0.0


def _described(work: Work, base, entry: Binding, relaxed: float | None, result, proven: bool,
               note: str = "", when: str = "") -> Binding:
    """The Binding with its relaxed bound, the `--set` that applies it, and what the re-solve gained."""
    if relaxed is None:
        words = f"removing {entry.path}{when}"
    else:
        words = f"{'raising' if relaxed > entry.limit else 'lowering'} {entry.path}{when} to {show(relaxed, entry.unit)}"
        entry = replace(entry, relaxed_to=relaxed,
                        set_argument=f"{set_path(entry.path)}={set_value(relaxed, entry.unit)}")
    if result is None:
        return replace(entry, description=words + note)
    gain = _gain(base, result)
    objective = work.built.objective_name
    effect = f"lowers {objective} by {show(gain, _objective_unit(work))}" if gain else f"does not lower {objective}"
    return replace(entry, objective_after=result.objective, improvement=gain,
                   proven=proven and result.status == "optimal", description=f"{words}{note} {effect}")


def _relax_step(limit: float, fraction: float, integral: bool) -> float:
    step = abs(limit) * fraction
    if integral:
        return float(max(1, math.ceil(step - 1e-9)))
    return step if step > 0 else 1.0


def _objective_unit(work: Work) -> str:
    return {"tco": work.scenario.currency, "capex": work.scenario.currency, "energy": "MWh/year",
            "carbon": "t/year", "power": "kW"}.get(work.built.objective_name, "")
