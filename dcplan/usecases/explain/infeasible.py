"""An infeasible scenario: the conflicting items (deletion filter) and the smallest verified fixes."""

from __future__ import annotations

from dcplan.model.linear import Row
from dcplan.usecases.explain.results import Explanation, Suggestion
from dcplan.usecases.explain.words import (bound_path, conflict, is_integral, outward, path_tuple, period_of, set_path,
                                          set_value,
                                          show, step_of)
from dcplan.usecases.explain.work import PER_SOLVE_SECONDS, Work, is_item
from dcplan.vocab import RELAXABLE_FAMILIES as RELAXABLE

VERIFY_ATTEMPTS = 3


def explain_infeasible(work: Work, out: Explanation) -> None:
    items = _items_in_file_order(work)
    kept, proven = conflict_set(work, items)
    out.irreducible = proven
    if not proven:
        work.warnings.append("the conflict set is small but not proven irreducible: a re-solve hit the time "
                             "limit (raise --time-limit)")
    out.conflicts = [conflict(work, origin) for origin in kept]
    for origin in kept:
        out.suggestions.extend(_suggest(work, origin))
    if not out.suggestions:
        _no_single_change(work)


def _items_in_file_order(work: Work) -> list[str]:
    origins = list(dict.fromkeys(r.origin for r in work.lm.rows if is_item(r)))
    positions = work.loaded.positions

    def key(origin: str):
        line, column = positions.of(path_tuple(origin)) if positions else (None, None)
        return (line is None, line or 0, column or 0, origin)

    return sorted(origins, key=key)


def conflict_set(work: Work, items: list[str]) -> tuple[list[str], bool]:
    """Deletion filter: drop each item whose removal leaves the rest proven infeasible."""
    kept, proven = list(items), True
    for item in items:
        outcome = work.feasible(set(kept) - {item})
        if outcome is False:
            kept.remove(item)
        elif outcome is None:
            proven = False
    return kept, proven


def _suggest(work: Work, origin: str) -> list[Suggestion]:
    """The smallest single change of one conflicting item that makes the scenario solve (verified)."""
    rows = [r for r in work.lm.rows if r.origin == origin and r.family in RELAXABLE]
    if rows:
        found = _least_bound(work, origin)
        return [s for s in (_numeric_suggestion(work, row, sign, needed) for row, sign, needed in found) if s]
    if origin.endswith(".survive_site_failure") and work.feasible(_all_items(work) - {origin}):
        return [s for s in [_verified(work, origin, True, False, "", "do not require surviving a site loss")] if s]
    if origin.endswith(".sites"):
        return [s for s in [_unpin(work, origin)] if s]
    return []


def _all_items(work: Work) -> set[str]:
    return {r.origin for r in work.lm.rows if is_item(r)}


def _least_bound(work: Work, origin: str) -> list[tuple[Row, float, float]]:
    """Elastic re-solve of one item: (row, side, least bound) for each bound that has to move.

    Every finite bound of the item's rows gets a slack e ≥ 0 (expr − e ≤ hi or
    expr + e ≥ lo); the objective is Σ e / max(1, |bound|). Nothing else moves.
    """
    from dcplan.solve.diagnose import elastic_copy

    elastic, slacks = elastic_copy(work.lm, lambda row: row.origin == origin and row.family in RELAXABLE)
    result = work.solve(elastic)
    if result.values is None:
        return []
    return [(row, sign, bound + sign * result.values[index]) for row, sign, bound, index in slacks
            if result.values[index] > 1e-9 * max(1.0, abs(bound))]


def _numeric_suggestion(work: Work, row: Row, sign: float, needed: float) -> Suggestion | None:
    bound = row.hi if sign > 0 else row.lo
    integral = is_integral(work.lm, row)
    value = outward(needed, sign, integral)
    verb = "raise" if sign > 0 else "lower"
    for _ in range(VERIFY_ATTEMPTS):
        path, unit = bound_path(work, row, sign)
        words = f"{verb} {path}{period_of(row)} from {show(bound, unit)} to {'at least' if sign > 0 else 'at most'} " \
                f"{show(value, unit)}"
        suggestion = _verified(work, path, bound, value, unit, words)
        if suggestion is not None or work.remaining() <= 0:
            return suggestion
        value = outward(value + sign * max(step_of(value, integral), 1e-9), sign, integral)
    return None


def _verified(work: Work, path: str, current, value, unit: str, words: str) -> Suggestion | None:
    """Apply the change with --set and solve the scenario; None if it is still infeasible."""
    from dcplan.usecases.planning import NoPlan, SolveOptions, plan_scenario
    from dcplan.usecases.validate import validate_scenario

    argument = f"{set_path(path)}={set_value(value, unit)}"
    loaded = validate_scenario(work.path, (*work.overrides, argument))
    if not loaded.ok:
        error = next(d for d in loaded.diagnostics if d.is_error)
        work.warnings.append(f"could not apply --set {argument}: {error.message}")
        return None
    seconds = min(work.scenario.solver.time_limit, max(work.remaining(), 0.0))
    if seconds <= 0.05:
        work.warnings.append(f"no time left to verify --set {argument}")
        return Suggestion(path, current, value, unit, argument, False, words)
    work.solves += 1
    try:
        plan_scenario(loaded.scenario, SolveOptions(engine="scip", time_limit=seconds))
    except NoPlan as no_plan:
        if no_plan.status == "infeasible":
            return None
        work.warnings.append(f"--set {argument} could not be verified in time")
        return Suggestion(path, current, value, unit, argument, False, words)
    return Suggestion(path, current, value, unit, argument, True, words)


def _unpin(work: Work, origin: str) -> Suggestion | None:
    """The first other site that, allowed too, makes the scenario feasible (or all sites)."""
    index = int(path_tuple(origin)[1])
    workload = work.scenario.workloads[index]
    others = [s.name for s in work.scenario.sites if s.name not in workload.sites]
    pins = [r for r in work.lm.rows if r.origin == origin]  # one per left-out site (and period)
    trials = [[name] for name in others] + ([others] if len(others) > 1 else [])
    for extra in trials:
        drop = frozenset(r.name for r in pins if r.owner is not None and r.owner.site in extra)
        if work.feasible(_all_items(work), drop):
            allowed = [*workload.sites, *extra]
            return _verified(work, origin, list(workload.sites), allowed, "",
                             f"also allow workload {workload.name} at {', '.join(extra)}")
    return None


def _no_single_change(work: Work) -> None:
    from dcplan.solve.diagnose import limits_hit

    work.warnings.append("no single change of a limit or policy restores feasibility")
    seconds = min(PER_SOLVE_SECONDS, work.remaining())
    if seconds > 0.05:
        work.solves += 1
        lines = limits_hit(work.lm, "scip", seconds) or []
        for line in lines:
            work.warnings.append("changing several limits together works: " + line)
        if not lines:
            work.warnings.append("no relaxation of site power, racks, limits or constraints helps either: change "
                                 "the requirements named in the conflict")
