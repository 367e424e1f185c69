"""Self-contained HTML reports of dcplan's JSON documents: plans, diffs, sweeps and Pareto frontiers.

Inputs are plain dicts as dcplan writes them, so a saved document renders again
without solving. Charts are plain SVG written here: no plotting library, no
script needed to draw, nothing fetched. Only the standard library and
dcplan.rules are imported, so dcplan's start-up stays fast.

    render_plan(plan)      plan JSON (`dcplan solve --format json`)
    render_diff(diff)      `dcplan diff --format json`
    render_sweep(sweep)    `dcplan sweep --format json` (grid or Monte Carlo)
    render_pareto(pareto)  `dcplan pareto --format json`
    render(document)       any of the four, recognised by its keys (kind_of)
    render_file(path)      the same from a saved JSON file (`dcplan report`)
"""

from __future__ import annotations

from pathlib import Path

from dcplan.plan.document import PlanFileError, PlanWithoutResult, check_plan, read_json
from dcplan.report.html.constraints import attach_worth
from dcplan.report.html.diff import render_diff
from dcplan.report.html.pareto import render_pareto
from dcplan.report.html.plan import render_plan
from dcplan.report.html.sweep import render_sweep

RENDERERS = {"plan": render_plan, "diff": render_diff, "sweep": render_sweep, "pareto": render_pareto}


def kind_of(document) -> str | None:
    """'diff', 'pareto', 'sweep' or 'plan' by the keys each document alone has; None for anything else."""
    if not isinstance(document, dict):
        return None
    if "dcplan_diff" in document:
        return "diff"
    if isinstance(document.get("points"), list):
        return "pareto" if "objectives" in document else "sweep"
    if "bom" in document or "totals" in document:
        return "plan"
    return None


def render(document: dict) -> str:
    """The report of a plan, diff, sweep or Pareto document; ValueError for anything else."""
    kind = kind_of(document)
    if kind is None:
        raise ValueError("not a dcplan plan, diff, sweep or Pareto JSON document")
    return RENDERERS[kind](document)


def render_file(path: str | Path, explanation: str | Path | None = None) -> str:
    """The report of a saved document; PlanFileError (naming the file) when it is not one.

    A plan is checked as `dcplan diff` checks it, so both accept the same files; the plan of an
    infeasible scenario still renders (its page shows the status and the reasons). `explanation`,
    the JSON of `dcplan explain` for the same scenario, adds what relaxing each binding limit is worth."""
    document = read_json(path)
    kind = kind_of(document)
    if kind is None:
        raise PlanFileError(f"{path}: not a plan, diff, sweep or Pareto JSON written by dcplan")
    if kind == "plan":
        try:
            check_plan(document, str(path))
        except PlanWithoutResult:
            pass
    if explanation is not None:
        document = _with_explanation(document, kind, path, explanation)
    return RENDERERS[kind](document)


def _with_explanation(plan: dict, kind: str, path, explanation) -> dict:
    if kind != "plan":
        raise PlanFileError(f"{explanation}: an explanation goes with a plan, and {path} is a {kind}")
    data = read_json(explanation)
    if not isinstance(data, dict) or not isinstance(data.get("binding"), list):
        raise PlanFileError(f"{explanation}: not the JSON of `dcplan explain --format json`")
    if data.get("scenario") != plan.get("scenario"):
        raise PlanFileError(f"{explanation}: explains scenario {data.get('scenario')!r}, and {path} is a plan "
                            f"of {plan.get('scenario')!r}")
    plan, mismatched = attach_worth(plan, data)
    if mismatched:
        raise PlanFileError(f"{explanation}: made for another version of the scenario: {'; '.join(mismatched)}")
    return plan


__all__ = ["render", "render_file", "kind_of", "PlanFileError", "render_plan", "render_diff", "render_sweep",
           "render_pareto"]
