"""Sizing once per study: a point re-sizes only the workloads its varied values change.

A workload's requirement depends on the workload itself and on the catalog in effect
(dcplan.sizing.size_workload); sites, limits, the objective, solver settings, generic constraints
and assertions never enter it. So a point whose catalog and policies equal the base scenario's
reuses the base requirement of every workload that is equal too, and sizes the others; a point
that changes anything else sizing might read (the catalog, policies, a future field) is sized in
full. Requirements are values, never changed after sizing, so sharing them is safe.
"""

from __future__ import annotations

NOT_READ_BY_SIZING = frozenset({"dcplan", "name", "description", "horizon", "currency", "objective", "limits",
                                "solver", "sites", "constraints", "assert"})
"""Scenario fields that do not enter any workload's requirement (dcplan/sizing/)."""


def size_base(scenario) -> dict | None:
    """Every workload's requirement, by name (what plan_scenario would compute), the storage derived
    from training runs included; None for a build-out, which is sized period by period inside
    plan_scenario (its demands differ between periods)."""
    if scenario.periods is not None or scenario.installed:
        return None
    from dcplan.scenario.catalog import effective
    from dcplan.sizing import size_scenario
    from dcplan.sizing.derived import with_derived_workloads

    catalog = effective(scenario.catalog)
    return size_scenario(with_derived_workloads(scenario, catalog), catalog)


def requirements_for(scenario, base, base_requirements: dict | None) -> tuple[dict | None, int]:
    """The point's requirements, re-using the base's where the point leaves a workload unchanged.

    Returns (requirements or None when everything must be sized afresh, number of workloads sized).
    """
    from dcplan.scenario.catalog import effective
    from dcplan.sizing import size_scenario
    from dcplan.sizing.derived import couple, with_derived_workloads

    if base_requirements is None:  # a build-out: plan_scenario sizes each period
        return None, len(scenario.workloads)
    fields = type(scenario).model_fields
    if any(getattr(scenario, name) != getattr(base, name) for name in fields
           if name not in NOT_READ_BY_SIZING and name != "workloads"):
        return None, len(scenario.workloads)
    catalog = effective(scenario.catalog)
    scenario, base = with_derived_workloads(scenario, catalog), with_derived_workloads(base, catalog)
    before = {w.name: w for w in base.workloads}
    changed = [w for w in scenario.workloads if before.get(w.name) != w or w.name not in base_requirements]
    sized = size_scenario(scenario.model_copy(update={"workloads": changed}), catalog) if changed else {}
    reused = {w.name: sized[w.name] if w.name in sized else base_requirements[w.name] for w in scenario.workloads}
    # A run's storage takes the throughput of the run's candidate clusters, so it is coupled again over the
    # whole set: a re-sized run with reused storage (or the reverse) must agree.
    return couple(reused, scenario, catalog), len(changed)
