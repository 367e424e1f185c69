"""`dcplan explain`: why a scenario is infeasible, or what its binding limits cost.

The units of an explanation are the scenario's *items*: a site's power, a
site's racks, a limit, a generic constraint, a workload's demand, its
`survive_site_failure`, durability, spares and site pinning. Every model row
carries the dotted path of the item it comes from (`Row.origin`); rows without
an item (network, rack packing, spare ordering) are the physics and always kept.

Infeasible scenario
  1. Conflict set by a deletion filter over items: for each item in file order,
     drop its rows and re-solve for feasibility only (objective zero); if the
     rest is still proven infeasible the item stays out. When every step is
     proven, the result is irreducible: dropping any one item of it makes the
     scenario feasible. A step that times out keeps its item, and the set is
     then "small, not proven irreducible".
  2. Smallest single change, per relaxable item of the set (site power and
     racks, limits, constraint min/max): an elastic re-solve with a slack on
     that item's bound alone, minimising the slack, gives the least bound that
     restores feasibility. It is rounded outward (3 significant digits, or a
     whole number for integer rows), applied with `--set` to the file and
     solved by the normal pipeline; only suggestions that solve are shown.
     Structural items get the matching change when dropping them alone is
     feasible: `survive_site_failure=false`, or one more allowed site.

Feasible scenario
  A limit binds when relaxing it lowers the objective, judged by re-solving,
  not by zero slack (a limit can cost money through a discrete choice while
  the plan sits far below it). The tightest limits (at most MAX_RELAXATIONS)
  are relaxed by a step (default 10 %; racks and integer constraints at least
  1) and re-solved; when the step is not enough, by removing the limit, and
  then the least bound that gives the cheaper plan is re-solved and reported.

Site pinning (`workloads[].sites`) is an item too: the model is built with
every workload allowed at every site, and `pin[...]` rows hold the pools at
the other sites at zero, so dropping those rows is the same as unpinning.
"""

from __future__ import annotations

import time
from pathlib import Path

from dcplan.model.linear import Owner, total
from dcplan.usecases.explain.feasible import explain_feasible
from dcplan.usecases.explain.infeasible import conflict_set, explain_infeasible
from dcplan.usecases.explain.results import Binding, Conflict, ExplainTimeout, Explanation, InvalidScenario, Suggestion
from dcplan.usecases.explain.words import path_tuple, set_path
from dcplan.usecases.explain.work import Work, is_item

MAX_SOLVES = 120
"""At most this many re-solves per explanation, however much time is left."""

__all__ = ["explain_file", "Explanation", "Conflict", "Suggestion", "Binding", "InvalidScenario", "ExplainTimeout",
           "conflict_set", "is_item", "path_tuple", "set_path"]


def explain_file(path: str | Path, overrides: tuple[str, ...] | list[str] = (), *, time_limit: float | None = None,
                 step: float = 0.10, options=None) -> Explanation:
    """Explain one scenario file within `time_limit` seconds (all re-solves together; default
    options.time_limit, else 60). `options` (dcplan.SolveOptions) may override the objective.
    Raises InvalidScenario, ExplainTimeout or Interrupted."""
    from dcplan.usecases.validate import validate_scenario

    start = time.monotonic()
    loaded = validate_scenario(path, tuple(overrides))
    if not loaded.ok:
        raise InvalidScenario(f"{path}: the scenario is not valid", loaded.diagnostics)
    if time_limit is None:
        time_limit = options.time_limit if options is not None and options.time_limit is not None else 60.0
    if options is not None and options.objective is not None:
        loaded.scenario = loaded.scenario.model_copy(update={"objective": options.objective})
    work = Work(str(path), tuple(overrides), loaded, _build(loaded.scenario), start + time_limit, step,
                max_solves=MAX_SOLVES)
    work.warnings.extend(work.built.warnings)
    work.engine_log = options.engine_log if options is not None else None
    scenario = loaded.scenario
    result = work.solve(work.lm, gap=min(scenario.solver.gap, 1e-4), cap=scenario.solver.time_limit)
    explanation = Explanation(scenario.name, str(path), result.status, work.built.objective_name,
                              currency=scenario.currency)
    if result.status == "infeasible":
        explain_infeasible(work, explanation)
    elif result.values is not None:
        explanation.objective_value = result.objective
        explain_feasible(work, explanation, result)
    else:
        raise ExplainTimeout(f"the solver stopped ({result.status}) before it could tell whether {path} is "
                             f"feasible; raise --time-limit")
    explanation.warnings = work.warnings
    explanation.solves = work.solves
    explanation.seconds = time.monotonic() - start
    return explanation


def _build(scenario):
    """The model with every workload allowed everywhere, and `pin` rows standing for `workloads[].sites`
    (a build-out: one model over all periods, pinned in each)."""
    from dcplan.model import ModelInputError, build
    from dcplan.scenario import catalog as catalog_module
    from dcplan.sizing import size_scenario

    from dcplan.sizing.derived import with_derived_workloads

    catalog = catalog_module.effective(scenario.catalog)
    scenario = with_derived_workloads(scenario, catalog)  # the storage each training run needs
    unpinned = scenario.model_copy(update={"workloads": [w.model_copy(update={"sites": None})
                                                         for w in scenario.workloads]})
    try:
        # The plain formulation: every row is a scenario item, no cut that only implies others.
        if scenario.periods is not None or scenario.installed:
            from dcplan.model.buildout import build_buildout
            from dcplan.scenario.timeline import in_period

            count = scenario.periods.count if scenario.periods is not None else 1
            sized = [size_scenario(in_period(unpinned, i), catalog) for i in range(count)]
            built = build_buildout(unpinned, catalog, sized, strengthen=False)
        else:
            built = build(unpinned, catalog, size_scenario(unpinned, catalog), strengthen=False)
    except ModelInputError as err:
        raise InvalidScenario(str(err)) from None
    _pin(scenario, built)
    return built


def _pin(scenario, built) -> None:
    """pin[workload=w,site=k] ≤ 0 for each site a workload's `sites` leaves out (in each period)."""
    for index, workload in enumerate(scenario.workloads):
        if workload.sites is None:
            continue
        for site in scenario.sites:
            if site.name in workload.sites:
                continue
            by_period: dict = {}
            for pool in built.pools:
                if pool.workload == workload.name and pool.site == site.name:
                    by_period.setdefault(pool.period, []).append(pool)
            for period, pools in by_period.items():
                name = f"pin[workload={workload.name},site={site.name}" + (f",period={period}]" if period else "]")
                built.lm.le(name, "pinning", total(p.active + p.spares for p in pools), 0.0,
                            origin=f"workloads[{index}].sites", owner=Owner(workload.name, site=site.name, period=period))
