"""What a worker runs: one point of a sweep, or one step of a Pareto frontier, as a result row.

Workers (a local process or a Ray task) receive the StudyContext once (the base scenario, its
sizing, the solving options) and then tasks. Every task returns a row, whatever happens: an
infeasible point, an engine that stops without a plan, a bug that raises — each is a status and a
reason, so one point can never abort the study.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

from dcplan.vocab import OBJECTIVE_TOTALS

HOLD = 1e-9
"""Relative tolerance of "held at its optimum" in a lexicographic step (plus 1e-6 absolute): far
above an integral plan's floating-point noise, far below any change of one unit of equipment."""


@dataclass(frozen=True)
class StudyContext:
    base: object  # the validated Scenario (with --set and --objective applied)
    requirements: dict | None  # its sizing, by workload (None: a build-out, sized per period when solved)
    options: object  # dcplan.usecases.planning.SolveOptions for every solve
    keep_plans: bool = False  # return each plan as a dict (for --plans, and the Pareto points)
    deadline: float | None = None  # time.time() by which every solve must end (the study's --time-limit)


@dataclass(frozen=True)
class SweepTask:
    """One point of a sweep: its own validated scenario."""

    index: int
    scenario: object

    def run(self, context: StudyContext) -> dict:
        from dcplan.studies.sizing import requirements_for

        requirements, sized = requirements_for(self.scenario, context.base, context.requirements)
        row = solve_row(context, self.scenario, requirements)
        row["sized"] = sized
        return row


@dataclass(frozen=True)
class LexTask:
    """min `first` subject to `second` ≤ epsilon (no bound when None); then min `second` with `first`
    held at the value found. The result is a plan no other plan improves in both objectives."""

    index: int
    first: str
    second: str
    epsilon: float | None = None

    def run(self, context: StudyContext) -> dict:
        step = bounded(context.base, self.first, self.second, self.epsilon)
        row = solve_row(context, step, context.requirements)
        if not row["totals"]:
            return {**row, "reason": f"minimising {self.first}: {row['reason']}"}
        held = row["totals"][OBJECTIVE_TOTALS[self.first]]
        final = solve_row(context, bounded(context.base, self.second, self.first, held * (1 + HOLD) + 1e-6),
                          context.requirements)
        if not final["totals"]:  # the second solve ran out of time: the first plan is still verified
            return {**row, "reason": f"minimising {self.second} at that {self.first}: {final['reason']}"}
        return final


def bounded(scenario, objective: str, limited: str, bound: float | None):
    """The scenario minimising `objective`, with `limits.<limited>` at most `bound` (kept if tighter)."""
    limits = scenario.limits
    if bound is not None:
        current = getattr(limits, limited)
        limits = limits.model_copy(update={limited: bound if current is None else min(current, bound)})
    return scenario.model_copy(update={"objective": objective, "limits": limits})


def solve_row(context: StudyContext, scenario, requirements) -> dict:
    """Plan one scenario into a row: status, reason, objective, totals, BOM quantities, the plan if kept."""
    import dcplan

    options = context.options
    if context.deadline is not None:
        left = context.deadline - time.time()
        if left <= 0:
            return _row("no_solution", "the study's time limit ran out before this point started")
        options = replace(options, deadline=time.perf_counter() + left)
    try:
        plan = dcplan.plan_scenario(scenario, options, requirements=requirements)
    except dcplan.NoPlan as no_plan:
        reasons = [str(no_plan), *no_plan.plan_stub.get("warnings", [])[:2]]
        return _row(no_plan.status, "; ".join(reasons))
    except dcplan.UnsafeInput as err:
        return _row("invalid", str(err))
    row = _row(plan.status, None)
    row.update(objective={"name": plan.objective_name, "value": plan.objective_value, "bound": plan.bound,
                          "gap": plan.gap},
               totals=dict(plan.totals), warnings=list(plan.warnings),
               bom=[[line.site, line.category, line.item, line.quantity] for line in plan.bom],
               plan=plan.to_dict() if context.keep_plans else None)
    return row


def _row(status: str, reason: str | None) -> dict:
    return {"status": status, "reason": reason, "objective": None, "totals": None, "warnings": [], "bom": [],
            "plan": None}


def failed_row(reason: str) -> dict:
    return _row("failed", reason)


def execute(context: StudyContext, task) -> dict:
    """Run one task; any exception becomes a `failed` row (with its type and message), never a crash."""
    began = time.perf_counter()
    try:
        row = task.run(context)
    except Exception as err:  # noqa: BLE001 - one point's bug must not end the study; the row says what
        row = failed_row(f"{type(err).__name__}: {err}")
    row["seconds"] = round(time.perf_counter() - began, 3)
    return row


def finite(value):
    """JSON has no NaN or infinity: such a value (an unbounded bound) is reported as null."""
    return value if not isinstance(value, float) or math.isfinite(value) else None
