"""Why is a scenario infeasible? Re-solve with the limits made elastic.

Every limit-like row (site power, site racks, `limits`, generic `constraints`)
gets a slack e_r ≥ 0 on its bound, and the engine minimises Σ e_r / |bound_r|,
the total relative relaxation. The rows whose slack is positive are the limits
the plan hits, and bound ± e_r is how far each would have to move. If even the
elastic model has no solution, the conflict lies in the requirements
themselves (nothing can serve a workload, a cluster fits no site's network).
"""

from __future__ import annotations

import copy

from .linear import INF, Expr, LinearModel, total

ELASTIC_FAMILIES = ("power", "racks", "limits", "constraints")


def elastic_copy(model: LinearModel) -> tuple[LinearModel, list[tuple[int, int, float]]]:
    """The model with a slack per limit-like row, minimising the relative relaxation.

    Returns the copy and (row index, slack variable index, sign) per elastic row:
    sign +1 relaxes an upper bound (expr − e ≤ hi), −1 a lower bound (expr + e ≥ lo).
    """
    elastic = LinearModel(copy.deepcopy(model.variables), copy.deepcopy(model.rows), Expr(), dict(model.names))
    slacks = []
    penalty = []
    for row in list(elastic.rows):
        if row.family not in ELASTIC_FAMILIES:
            continue
        for sign, bound in ((1.0, row.hi), (-1.0, row.lo)):
            if bound in (INF, -INF):
                continue
            slack = elastic.var(f"elastic[{row.name},{'hi' if sign > 0 else 'lo'}]", integer=False)
            slack_index = next(iter(slack.terms))
            split = copy.deepcopy(row)
            split.family = "elastic"
            split.terms[slack_index] = -sign
            if sign > 0:
                split.lo = -INF
            else:
                split.hi = INF
            elastic.rows.append(split)
            slacks.append((len(elastic.rows) - 1, slack_index, sign))
            penalty.append(slack * (1.0 / max(1.0, abs(bound))))
        row.family = "replaced"
        row.lo, row.hi = -INF, INF
    elastic.objective = total(penalty)
    return elastic, slacks


def limits_hit(model: LinearModel, engine: str, time_limit: float, threads: int = 0) -> list[str] | None:
    """Plain-language lines, one per limit the plan would have to break; None if relaxing limits cannot help."""
    from .solve import solve

    elastic, slacks = elastic_copy(model)
    if not slacks:
        return None
    result = solve(elastic, engine=engine, time_limit=time_limit, gap=1e-6, threads=threads)
    if result.values is None:
        return None
    lines = []
    for row_index, slack_index, sign in slacks:
        amount = result.values[slack_index]
        row = elastic.rows[row_index]
        bound = row.hi if sign > 0 else row.lo
        if amount <= 1e-6 * max(1.0, abs(bound)):
            continue
        needed = bound + sign * amount
        where = f" ({row.origin})" if row.origin else ""
        verb = "at least" if sign > 0 else "at most"
        lines.append(f"{_label(row.name)}{where}: limit {_number(bound)}; the requirements need {verb} "
                     f"{_number(needed)}" + (" (raise it)" if sign > 0 else " (lower it)"))
    return lines


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"


def _label(name: str) -> str:
    labels = {"power[site=": "site power (kW) at ", "racks[site=": "rack positions at "}
    for prefix, text in labels.items():
        if name.startswith(prefix):
            return text + name[len(prefix):].rstrip("]")
    return name
