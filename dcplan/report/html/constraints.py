"""The constraints of a plan: which bind, how close the others are, and what relaxing a binding one is worth."""

from __future__ import annotations

import re

from dcplan.report.html.charts import limit_bars
from dcplan.report.html.context import Ctx, dicts, mapping
from dcplan.report.html.fmt import OBJECTIVE_TOTAL, clean, number, power, quantity, to_float, total_unit
from dcplan.report.html.page import figure, note, table

MAX_BARS = 40  # constraints drawn in the chart; the table lists them all


def _sense(c: dict) -> str:
    """'≤' or '≥', inferred from slack = rhs − lhs (a maximum) or lhs − rhs (a minimum)."""
    lhs, rhs, slack = (to_float(c.get(k)) for k in ("lhs", "rhs", "slack"))
    if None in (lhs, rhs, slack):
        return ""
    tolerance = 1e-6 * max(1.0, abs(rhs))
    if abs(slack - (rhs - lhs)) <= tolerance:
        return "\u2264"
    return "\u2265" if abs(slack - (lhs - rhs)) <= tolerance else ""


def _amount(ctx: Ctx, c: dict, key: str) -> str:
    """A constraint's value in its unit: power in kW/MW, a `limit[metric]` in the metric's unit, else a number."""
    value, kind = to_float(c.get(key)), clean(c.get("kind"))
    if kind == "power":
        return power(value)
    match = re.fullmatch(r"limits?\[(\w+)\]", clean(c.get("name")))
    if kind == "limits" and match and match.group(1) in OBJECTIVE_TOTAL:
        return quantity(value, total_unit(OBJECTIVE_TOTAL[match.group(1)]), ctx.currency)
    return number(value, 0 if value is None or value == int(value) else 2)


WORTH_KEYS = ("improvement", "relaxed_to", "set_argument", "description")


def attach_worth(plan: dict, explanation: dict) -> tuple[dict, list[str]]:
    """The plan with what relaxing each binding constraint is worth, from `dcplan explain --format json`:
    its `binding` entries, matched by constraint name, become `worth` on those constraints. Also the
    names whose limit differs between the two (the explanation was made for another version of the
    scenario), which the caller should refuse."""
    found = {clean(b.get("name")): b for b in dicts(explanation.get("binding"))}
    constraints, mismatched = [], []
    for c in dicts(plan.get("constraints")):
        entry = found.get(clean(c.get("name")))
        if entry is None:
            constraints.append(c)
            continue
        limit, rhs = to_float(entry.get("limit")), to_float(c.get("rhs"))
        if limit is None or rhs is None or abs(limit - rhs) > 1e-6 * max(1.0, abs(rhs)):
            mismatched.append(f"{clean(c.get('name'))} (limit {number(rhs)} in the plan, "
                              f"{number(limit)} in the explanation)")
        # In an integer plan a limit can bind with slack left (the next cheaper plan would overshoot it);
        # explain judges by re-solving, so a limit it found worth relaxing is shown as binding.
        binds = c.get("binding") is True or (to_float(entry.get("improvement")) or 0.0) > 0
        constraints.append({**c, "binding": binds, "worth": {k: entry.get(k) for k in WORTH_KEYS}})
    return {**plan, "constraints": constraints}, mismatched


def worth(ctx: Ctx, value) -> str:
    """What relaxing a binding constraint is worth: a number (objective improvement), a dict or a sentence."""
    objective = mapping(ctx.plan.get("objective"))
    name = clean(objective.get("name") or "the objective")
    unit = total_unit(OBJECTIVE_TOTAL.get(name, ""))
    if isinstance(value, dict):  # an entry of `dcplan explain`'s `binding` list
        hint = f" (--set {clean(value['set_argument'])})" if value.get("set_argument") else ""
        if value.get("description"):
            return clean(value["description"]) + hint
        value = value.get("improvement")
    if isinstance(value, str):
        return clean(value)
    amount = to_float(value)
    if amount is None:
        return "\u2013"
    if amount <= 0:
        return f"relaxing it does not lower {name}"
    return f"relaxing it lowers {name} by {quantity(amount, unit, ctx.currency)}"


def section(ctx: Ctx) -> str:
    items = dicts(ctx.plan.get("constraints"))
    if not items:
        return note("The plan reports no constraints.")
    binding = [c for c in items if c.get("binding") is True]
    has_worth = any("worth" in c for c in binding)
    parts = []
    if binding:
        head = ["constraint", "kind", "value", "", "limit", "slack"] + (["worth of relaxing"] if has_worth else [])
        rows = [[clean(c.get("name")), clean(c.get("kind")), _amount(ctx, c, "lhs"), _sense(c),
                 _amount(ctx, c, "rhs"), _amount(ctx, c, "slack")]
                + ([worth(ctx, c.get("worth"))] if has_worth else []) for c in binding]
        parts.append("<h3>Binding</h3>" + table(head, rows, numeric={2, 4, 5}))
        if not has_worth:
            parts.append(note("What relaxing each is worth: `dcplan explain SCENARIO --format json -o "
                              "explain.json` computes it; `dcplan report PLAN.json --explain explain.json` "
                              "shows it here."))
    else:
        parts.append(note("No constraint binds: the plan is limited by the workloads' demand alone."))
    bars = [(clean(c.get("name")), to_float(c.get("lhs")) or 0.0, to_float(c.get("rhs")),
             _amount(ctx, c, "lhs"), _amount(ctx, c, "rhs"))
            for c in items if _sense(c) == "\u2264" and to_float(c.get("rhs"))][:MAX_BARS]
    if bars:
        parts.append(figure(limit_bars(ctx.chart("constraints"), "Use of each upper limit", bars),
                            "Use of each upper limit (value against limit)"))
    rows = [[clean(c.get("name")), clean(c.get("kind")), _amount(ctx, c, "lhs"), _sense(c),
             _amount(ctx, c, "rhs"), _amount(ctx, c, "slack"),
             "yes" if c.get("binding") is True else "no"] for c in items]
    parts.append(table(["constraint", "kind", "value", "", "limit", "slack", "binding"], rows, numeric={2, 4, 5},
                       row_classes=["binding" if c.get("binding") is True else "" for c in items]))
    return "".join(parts)
