"""Validating a scenario: everything `solve` would refuse as input, found without solving.

`dcplan validate` and every command that solves load through `validate_scenario`, so a file that
validates is never refused as input later, and a refusal has the same position whichever command
finds it. Beyond the loader's checks (YAML, schema, references, names) this sizes each workload,
which is cheap (no model, no solver, no numpy), and refuses:

- a workload that only items without a price could serve (they are never bought): at the workload,
  with the `--set catalog.prices.ID=...` that would make one purchasable;
- a demand that would need more than POOL_SIZE_LIMIT units of every candidate, or a training
  cluster that large: a slip of units, at the workload;
- an availability that spares cannot reach (1 while units fail; units down more often than up);
- a generic `min` that more than POOL_SIZE_LIMIT units of any item it counts could not reach.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from dcplan.diagnostics import Diagnostic
from dcplan.rules import POOL_SIZE_LIMIT, attribute, item_of, least_units, placement_refusal, where_matches
from dcplan.scenario.load import LoadResult, load_scenario

MAX_PRICED_HINTS = 3


def validate_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = (), *, solving: bool = False,
                      time_limit: float | None = None) -> LoadResult:
    """Load one scenario (`-` reads stdin) and check what sizing reveals; never raises on bad input.

    The result is `load_scenario`'s, with the extra diagnostics; `scenario` is None when any is an error.
    Sizing is the slow part of validating (a large scenario's inference workloads take seconds), and a
    solve counts it in its time limit: when `solving`, sizing stops once the time limit (`time_limit`, else
    the scenario's own `solver.time_limit`) has passed since loading, and the result
    keeps when the clock started (`loaded_at`) and what was sized (`requirements`, by workload), so
    that the solve neither sizes twice nor runs past its limit.
    """
    result = load_scenario(path, overrides)
    if not result.ok:
        return result
    deadline = None
    if solving:
        result.loaded_at = time.perf_counter()
        deadline = result.loaded_at + (time_limit if time_limit is not None else result.scenario.solver.time_limit)
        result.requirements = {}
    result.diagnostics.extend(_every_period(result.scenario, result.positions, deadline, result.requirements))
    result.diagnostics.sort(key=lambda d: (d.line is None, d.line or 0, d.column or 0, d.path))
    if any(d.is_error for d in result.diagnostics):
        result.scenario = None
    return result


def _every_period(scenario, positions, deadline: float | None = None, sized: dict | None = None) -> list[Diagnostic]:
    """Sizing diagnostics of each period of a build-out (demand and prices change over periods), each
    problem once: a workload too large in three periods is one message, at its place in the file."""
    if scenario.periods is None:
        return sizing_diagnostics(scenario, positions, deadline, sized)
    from dcplan.scenario.timeline import in_period

    found: dict[tuple, Diagnostic] = {}
    for index in range(scenario.periods.count):
        for problem in sizing_diagnostics(in_period(scenario, index), positions, deadline):
            found.setdefault((problem.code, problem.path, problem.message), problem)
    return list(found.values())


def sizing_diagnostics(scenario, positions, deadline: float | None = None, sized: dict | None = None) -> list[Diagnostic]:
    """Input problems that only sizing shows (see the module docstring). Past `deadline` (a
    time.perf_counter()) the remaining workloads are left unchecked: the solve that set it stops at
    once. Each requirement sized is recorded in `sized`, by workload name, when given."""
    from dcplan.scenario import catalog as catalog_module
    from dcplan.sizing import SizingError, size_workload

    catalog = catalog_module.effective(scenario.catalog)
    problems: list[Diagnostic] = []
    for index, workload in enumerate(scenario.workloads):
        if deadline is not None and time.perf_counter() > deadline:
            return problems
        at = ("workloads", index)
        try:
            req = size_workload(workload, catalog)
        except SizingError as err:  # the reference checks should have caught it; never a traceback
            problems.append(positions.diagnostic("sizing", str(err), at))
            continue
        if sized is not None:
            sized[workload.name] = req
        problems += _unpriced(workload, req, catalog, positions, at)
        problems += _unplaceable(scenario, workload, req, catalog, positions, at)
        problems += _too_large(workload, req, positions, at)
        problems += _unreachable_availability(scenario, workload, req, catalog, positions, at)
    problems += _unreachable_minimums(scenario, catalog, positions)
    return problems


def _unpriced(workload, req, catalog, positions, at: tuple) -> list[Diagnostic]:
    """Candidates exist, but none has a price: the model would buy nothing and call it infeasible."""
    if not req.candidates or any(item_of(catalog, req.kind, c.item).price is not None for c in req.candidates):
        return []
    items = [c.item for c in req.candidates]
    listed = ", ".join(items[:6]) + (f" and {len(items) - 6} more" if len(items) > 6 else "")
    hint = "give one a price: " + " or ".join(f"--set catalog.prices.{item}=PRICE"
                                             for item in items[:MAX_PRICED_HINTS])
    return [positions.diagnostic(
        "unpriced", f"workload {workload.name}: only items without a price could serve it ({listed}); the "
        "catalog has no public price for them, so they are never bought", at, hint=hint)]


def _unplaceable(scenario, workload, req, catalog, positions, at: tuple) -> list[Diagnostic]:
    """Priced candidates exist, but none can stand at any of the workload's sites (cooling, or a rack-scale
    system over the sites' rack power): the model would have nothing to buy."""
    priced = [item_of(catalog, req.kind, c.item) for c in req.candidates]
    priced = [item for item in priced if item.price is not None]
    sites = [s for s in scenario.sites if workload.sites is None or s.name in workload.sites]
    if not priced or not sites:
        return []
    refusals = [placement_refusal(site, item) for item in priced for site in sites]
    if any(refusal is None for refusal in refusals):
        return []
    return [positions.diagnostic(
        "no-site", f"workload {workload.name}: no site can hold what could serve it: {refusals[0]}"
        + (f" (and {len(refusals) - 1} more)" if len(refusals) > 1 else ""), at,
        hint="give a site `cooling: liquid` or `cooling: both` (with `liquid_rack_power`), or allow other servers")]


def _too_large(workload, req, positions, at: tuple) -> list[Diagnostic]:
    """More than POOL_SIZE_LIMIT units of the best candidate: a unit slip (requests in thousands, ...)."""
    if not req.candidates:
        return []
    least = least_units(req)
    if least <= POOL_SIZE_LIMIT:
        return []
    return [positions.diagnostic(
        "too-large", f"workload {workload.name} would need {least:,} units of its best candidate, more than "
        f"{POOL_SIZE_LIMIT:,}: check its demand and units", at)]


def _unreachable_availability(scenario, workload, req, catalog, positions, at: tuple) -> list[Diagnostic]:
    """An availability target that no number of spares reaches on some candidate (explicit spares win)."""
    from dcplan.sizing.spares import unavailability, unreachable

    if workload.availability is None or workload.spares is not None:
        return []
    mttr = scenario.policies.redundancy.mttr
    for candidate in req.candidates:
        p = unavailability(item_of(catalog, req.kind, candidate.item).failure_rate, mttr)
        why = unreachable(p, workload.availability)
        if why is not None:
            return [positions.diagnostic("unreachable", f"availability {workload.availability:g} cannot be reached "
                                         f"on {candidate.item}: {why}", at + ("availability",))]
    return []


def _unreachable_minimums(scenario, catalog, positions) -> list[Diagnostic]:
    """A `min` that more than POOL_SIZE_LIMIT units of the best item it counts could not reach."""
    problems = []
    for index, constraint in enumerate(scenario.constraints):
        if constraint.min is None or constraint.min <= 0:
            continue
        best = 0.0
        for section, category in (("servers", "server"), ("storage", "storage"), ("switches", "switch")):
            for item_id, item in catalog.section(section).items():
                if where_matches(constraint.where, category, item_id, None, item, ignore_site=True):
                    best = max(best, attribute(item, constraint.sum))
        if best > 0 and math.ceil(constraint.min / best - 1e-9) > POOL_SIZE_LIMIT:
            problems.append(positions.diagnostic(
                "too-large", f"reaching {constraint.min:g} would take more than {POOL_SIZE_LIMIT:,} units of any "
                "item the constraint counts: check its bound and units", ("constraints", index, "min")))
    return problems


__all__ = ["validate_scenario", "sizing_diagnostics"]
