"""dcplan: a capacity planner for AI data centres, as a library.

    import dcplan

    loaded = dcplan.load_scenario("scenarios/inference-platform.yaml", ["sites.0.power=6 MW"])
    if not loaded.ok:
        raise SystemExit(dcplan.render_diagnostics(loaded.diagnostics))
    plan = dcplan.plan_scenario(loaded.scenario, dcplan.SolveOptions(time_limit=30))
    print(plan.status, plan.totals["tco"])

Every command of the `dcplan` CLI is one call of this surface (docs/library.md).
Names are resolved on first use, so `import dcplan` loads nothing heavy: the
CLI starts fast and `dcplan validate` never imports a solver.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_EXPORTS = {
    # scenario input
    "load_scenario": ("dcplan.scenario.load", "load_scenario"),
    "validate_scenario": ("dcplan.usecases.validate", "validate_scenario"),
    "LoadResult": ("dcplan.scenario.load", "LoadResult"),
    "render_diagnostics": ("dcplan.diagnostics", "render_human"),
    "diagnostics_json": ("dcplan.diagnostics", "render_json"),
    "builtin_catalog": ("dcplan.scenario.catalog", "builtin"),
    "effective_catalog": ("dcplan.scenario.catalog", "effective"),
    "scenario_json_schema": ("dcplan.scenario.json_schema", "scenario_json_schema"),
    "starter_scenario": ("dcplan.scenario.load", "starter_text"),
    # planning
    "plan_scenario": ("dcplan.usecases.planning", "plan_scenario"),
    "SolveOptions": ("dcplan.usecases.planning", "SolveOptions"),
    "Progress": ("dcplan.usecases.stages", "Progress"),
    "NoPlan": ("dcplan.usecases.planning", "NoPlan"),
    "UnsafeInput": ("dcplan.usecases.planning", "UnsafeInput"),
    "Interrupted": ("dcplan.errors", "Interrupted"),
    "log_engines_to": ("dcplan.solve.engines", "log_engines_to"),
    "EngineLogError": ("dcplan.solve.engines", "EngineLogError"),
    "Plan": ("dcplan.plan.objects", "Plan"),
    "PlanVerificationError": ("dcplan.plan.verify", "PlanVerificationError"),
    "read_plan": ("dcplan.plan.document", "read_plan"),
    "PlanFileError": ("dcplan.plan.document", "PlanFileError"),
    # use cases
    "explain_file": ("dcplan.usecases.explain", "explain_file"),
    "InvalidScenario": ("dcplan.usecases.explain", "InvalidScenario"),
    "ExplainTimeout": ("dcplan.usecases.explain", "ExplainTimeout"),
    "check_file": ("dcplan.usecases.check", "check_file"),
    "check_exit_code": ("dcplan.usecases.check", "exit_code"),
    "parse_increase": ("dcplan.usecases.check", "parse_increase"),
    "BaselineError": ("dcplan.usecases.check", "BaselineError"),
    "load_baseline": ("dcplan.usecases.check", "load_baseline"),
    "read_diff_input": ("dcplan.usecases.diff", "read_input"),
    "plan_of_input": ("dcplan.usecases.diff", "plan_dict"),
    "diff_plans": ("dcplan.usecases.diff", "diff_plans"),
    "DiffInputError": ("dcplan.usecases.diff", "DiffInputError"),
    "Unplanned": ("dcplan.usecases.diff", "Unplanned"),
    # studies: sweeps, samples, Pareto frontiers
    "sweep": ("dcplan.studies.sweep", "sweep"),
    "pareto": ("dcplan.studies.pareto", "pareto"),
    "StudyOptions": ("dcplan.studies.sweep", "StudyOptions"),
    "StudyInputError": ("dcplan.studies.vary", "StudyInputError"),
    "InvalidStudy": ("dcplan.studies.points", "InvalidStudy"),
    "NoFrontier": ("dcplan.studies.pareto", "NoFrontier"),
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    """Import the module that holds `name` on first use (PEP 562), and keep the result."""
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'dcplan' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
