"""Assignments per workload with the sizing figures behind them (plan["requirements"], from --verbose)."""

from __future__ import annotations

from dcplan.report.html.charts import stacked_hbars
from dcplan.report.html.context import Ctx, dicts, mapping
from dcplan.report.html.fmt import clean, compact, esc, number, to_float
from dcplan.report.html.page import details, figure, note, table
from dcplan.report.html.svg import colour

# Sizing details worth a reader's eye first; the rest follow in the order the plan gives them.
_KEY_DETAILS = ("accelerator", "tp", "replicas_per_server", "batch", "step_ms", "requests_per_s_per_server",
                "servers_for_demand", "servers_alone", "nodes_alone", "bound", "accelerators_for_compute",
                "accelerators_for_memory", "accelerators", "servers", "days_at_this_count")


MAX_CHART_ROWS = 40  # workloads drawn in the chart (the largest); the table lists every one


def section(ctx: Ctx) -> str:
    assignments = dicts(ctx.plan.get("assignments"))
    if not assignments:
        return note("This plan assigns no workload.")
    by_workload: dict[str, list[dict]] = {}
    for a in assignments:
        by_workload.setdefault(clean(a.get("workload")), []).append(a)
    reqs = mapping(ctx.plan.get("requirements"))
    drawn = sorted(by_workload, key=lambda name: -sum(_units(a) for a in by_workload[name]))[:MAX_CHART_ROWS]
    caption = "Units per workload (active + spares), by item and site"
    if len(drawn) < len(by_workload):
        caption += f": the {len(drawn)} largest of {len(by_workload)} workloads"
    parts = [figure(_chart(ctx, {name: by_workload[name] for name in drawn}), caption), _table(assignments, reqs)]
    if reqs:
        parts.append("<h3>Sizing behind each assignment</h3>")
        parts += [_sizing(clean(name), req, {clean(a.get("item")) for a in by_workload.get(clean(name), [])})
                  for name, req in reqs.items() if isinstance(req, dict)]
    else:
        parts.append(note("Sizing figures appear when the plan is written with --verbose (plan[\"requirements\"])."))
    return "".join(parts)


def _units(a: dict) -> float:
    return (to_float(a.get("servers")) or 0.0) + (to_float(a.get("spares")) or 0.0)


def _chart(ctx: Ctx, by_workload: dict[str, list[dict]]) -> str:
    keys = list(dict.fromkeys(f"{clean(a.get('item'))} @ {clean(a.get('site'))}"
                              for group in by_workload.values() for a in group))
    colours = {k: colour(i) for i, k in enumerate(keys)}
    rows = []
    for name, group in by_workload.items():
        segs = [(f"{clean(a.get('item'))} @ {clean(a.get('site'))}", _units(a),
                 f"{name}: {number(to_float(a.get('servers')))} + {number(to_float(a.get('spares')))} spares of "
                 f"{clean(a.get('item'))} at {clean(a.get('site'))}") for a in group]
        rows.append((name, segs))
    return stacked_hbars(ctx.chart("workload-units"), "Units per workload", rows, colours, fmt=compact)


def _table(assignments: list[dict], reqs: dict) -> str:
    has_group = any("group" in a for a in assignments)
    head = ["workload", "kind", "site", "item", "servers", "spares", "accelerators"] + (["group"] if has_group else [])
    rows = []
    for a in assignments:
        req = mapping(reqs.get(clean(a.get("workload"))))
        row = [clean(a.get("workload")), clean(req.get("kind") or ""), clean(a.get("site")), clean(a.get("item")),
               number(to_float(a.get("servers"))), number(to_float(a.get("spares"))),
               number(to_float(a.get("accelerators")))]
        rows.append(row + ([clean(a.get("group") or "shared")] if has_group else []))
    return table(head, rows, numeric={4, 5, 6})


def _value(value) -> str:
    if isinstance(value, float):
        if abs(value) >= 1e15:  # FLOPs and bytes of frontier models: scientific notation reads best
            return f"{value:.4g}"
        return compact(value, 4) if abs(value) >= 1e4 else f"{value:,.4g}"
    if isinstance(value, (dict, list)):
        return clean(", ".join(f"{k}: {_value(v)}" for k, v in value.items()) if isinstance(value, dict)
                     else ", ".join(_value(v) for v in value))
    return clean("\u2013" if value is None else value)


def _pairs(mapping) -> str:
    if not isinstance(mapping, dict) or not mapping:
        return "\u2013"
    return "; ".join(f"{clean(k).replace('_', ' ')} {_value(v)}" for k, v in mapping.items())


def _sizing(name: str, req: dict, chosen: set[str]) -> str:
    """A workload's demand and figures, its chosen candidates in full, the others (folded) in brief."""
    cands = dicts(req.get("candidates"))
    head = f"<p><strong>{esc(name)}</strong> ({esc(req.get('kind') or '?')}): demand {esc(_pairs(req.get('demand')))}"
    head += f"; workload figures: {esc(_pairs(req.get('detail')))}</p>"
    rows = [_candidate_row(c, chosen) for c in cands if clean(c.get("item")) in chosen]
    body = head + (table(["item", "per unit", "load", "key figures"], rows) if rows
                   else note("No chosen candidate has sizing figures."))
    # the others in one line each way: their full figures would make a large platform's report mostly
    # tables nobody reads (the plan JSON keeps them all)
    others = [f"{clean(c.get('item'))}: {_per_unit(c)}" for c in cands if clean(c.get("item")) not in chosen]
    if others:
        body += details(f"{len(others)} other candidate(s) considered", f"<p>{esc(' · '.join(others))}</p>")
    excluded = mapping(req.get("excluded"))
    if excluded:  # by reason: on a large catalog most items are excluded for one of a few reasons
        by_reason: dict[str, list[str]] = {}
        for item, reason in excluded.items():
            by_reason.setdefault(clean(reason), []).append(clean(item))
        body += details(f"{len(excluded)} item(s) excluded, and why",
                        table(["reason", "items"], [[r, ", ".join(items)] for r, items in by_reason.items()]))
    return body


def _per_unit(c: dict) -> str:
    """What one unit of a candidate serves (inference, services) or the fixed count it needs (training)."""
    if to_float(c.get("fixed_count")) is not None:
        return f"fixed count {number(to_float(c.get('fixed_count')))}"
    return _pairs(c.get("per_unit"))


def _candidate_row(c: dict, chosen: set[str]) -> list:
    detail = mapping(c.get("detail"))
    keys = [k for k in _KEY_DETAILS if k in detail] + [k for k in detail if k not in _KEY_DETAILS]
    figures = "; ".join(f"{clean(k).replace('_', ' ')} {_value(detail[k])}" for k in keys)
    item = clean(c.get("item")) + (" (chosen)" if clean(c.get("item")) in chosen else "")
    return [item, _per_unit(c), _value(c.get("load")), figures]
