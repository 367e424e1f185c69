"""Why is a scenario infeasible? Re-solve with the limits made elastic.

Every limit-like row (site power, site racks, `limits`, generic `constraints`)
gets a slack e_r ≥ 0 on its bound, and the engine minimises Σ e_r / |bound_r|,
the total relative relaxation. The rows whose slack is positive are the limits
the plan hits, and bound ± e_r is how far each would have to move. If even the
elastic model has no solution, the conflict lies in the requirements
themselves (nothing can serve a workload, a cluster fits no site's network).
"""

from __future__ import annotations

from dcplan.model.linear import INF, Expr, LinearModel, Row

ELASTIC_FAMILIES = ("power", "racks", "limits", "constraints")


def elastic_copy(model: LinearModel, relax) -> tuple[LinearModel, list[tuple[Row, float, float, int]]]:
    """The model with a slack e ≥ 0 on every finite bound of the rows `relax(row)` picks.

    Each picked row becomes expr − e ≤ hi and expr + e ≥ lo (one row per finite
    bound); the objective is Σ e / max(1, |bound|), the total relative
    relaxation. Other rows and the variables are as in `model` (the slacks come
    after its variables). Returns the copy and (row, sign, bound, slack index)
    per slack: sign +1 relaxes an upper bound, −1 a lower one.
    """
    picked = [row for row in model.rows if relax(row)]
    wanted = [(row, sign, bound) for row in picked for sign, bound in ((1.0, row.hi), (-1.0, row.lo))
              if bound not in (INF, -INF)]
    first = len(model.variables)
    rows, slacks, objective = [], [], Expr()
    for k, (row, sign, bound) in enumerate(wanted):
        index = first + k
        terms = dict(row.terms)
        terms[index] = -sign
        rows.append(Row(row.name, "elastic", terms, -INF if sign > 0 else row.lo, row.hi if sign > 0 else INF,
                        row.origin, row.owner))
        slacks.append((row, sign, bound, index))
        objective.add_term(index, 1.0 / max(1.0, abs(bound)))
    picked_ids = {id(row) for row in picked}
    elastic = model.with_rows([row for row in model.rows if id(row) not in picked_ids] + rows, objective)
    elastic.add_vars([f"elastic[{row.name},{'hi' if sign > 0 else 'lo'}]" for row, sign, _ in wanted], 0.0, INF,
                     False, [None] * len(wanted))
    return elastic, slacks


def limits_hit(model: LinearModel, engine: str, time_limit: float, threads: int = 0) -> list[str] | None:
    """Plain-language lines, one per limit the plan would have to break; None if relaxing limits cannot help."""
    from dcplan.solve.engines import solve

    elastic, slacks = elastic_copy(model, lambda row: row.family in ELASTIC_FAMILIES)
    if not slacks:
        return None
    result = solve(elastic, engine=engine, time_limit=time_limit, gap=1e-6, threads=threads)
    if result.values is None:
        return None
    lines = []
    for row, sign, bound, slack_index in slacks:
        amount = result.values[slack_index]
        if amount <= 1e-6 * max(1.0, abs(bound)):
            continue
        needed = bound + sign * amount
        where = f" ({row.origin})" if row.origin else ""
        verb = "at least" if sign > 0 else "at most"
        lines.append(f"{_label(row)}{where}: limit {_number(bound)}; the requirements need {verb} "
                     f"{_number(needed)}" + (" (raise it)" if sign > 0 else " (lower it)"))
    return lines


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"


def _label(row) -> str:
    """How a limit reads in a sentence: `site power (kW) at ash1`, else the row's name."""
    labels = {"power": "site power (kW) at ", "racks": "rack positions at "}
    if row.family in labels and row.owner is not None and row.owner.site is not None:
        return labels[row.family] + row.owner.site
    return row.name
