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


def section(ctx: Ctx) -> str:
    assignments = dicts(ctx.plan.get("assignments"))
    if not assignments:
        return note("This plan assigns no workload.")
    reqs = mapping(ctx.plan.get("requirements"))
    parts = [figure(_chart(ctx, assignments), "Units per workload (active + spares), by item and site"),
             _table(assignments, reqs)]
    if reqs:
        parts.append("<h3>Sizing behind each assignment</h3>")
        parts += [_sizing(name, req, assignments) for name, req in reqs.items() if isinstance(req, dict)]
    else:
        parts.append(note("Sizing figures appear when the plan is written with --verbose (plan[\"requirements\"])."))
    return "".join(parts)


def _units(a: dict) -> float:
    return (to_float(a.get("servers")) or 0.0) + (to_float(a.get("spares")) or 0.0)


def _chart(ctx: Ctx, assignments: list[dict]) -> str:
    names = list(dict.fromkeys(clean(a.get("workload")) for a in assignments))
    keys = list(dict.fromkeys(f"{clean(a.get('item'))} @ {clean(a.get('site'))}" for a in assignments))
    colours = {k: colour(i) for i, k in enumerate(keys)}
    rows = []
    for name in names:
        segs = [(f"{clean(a.get('item'))} @ {clean(a.get('site'))}", _units(a),
                 f"{name}: {number(to_float(a.get('servers')))} + {number(to_float(a.get('spares')))} spares of "
                 f"{clean(a.get('item'))} at {clean(a.get('site'))}")
                for a in assignments if clean(a.get("workload")) == name]
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


def _sizing(name: str, req: dict, assignments: list[dict]) -> str:
    chosen = {clean(a.get("item")) for a in assignments if clean(a.get("workload")) == name}
    cands = dicts(req.get("candidates"))
    head = f"<p><strong>{esc(name)}</strong> ({esc(req.get('kind') or '?')}): demand {esc(_pairs(req.get('demand')))}"
    head += f"; workload figures: {esc(_pairs(req.get('detail')))}</p>"
    rows = [_candidate_row(c, chosen) for c in cands if clean(c.get("item")) in chosen]
    others = [_candidate_row(c, chosen) for c in cands if clean(c.get("item")) not in chosen]
    headers = ["item", "per unit", "load", "key figures"]
    body = head + (table(headers, rows) if rows else note("No chosen candidate has sizing figures."))
    if others:
        body += details(f"{len(others)} other candidate(s) considered", table(headers, others))
    excluded = mapping(req.get("excluded"))
    if excluded:
        body += details(f"{len(excluded)} item(s) excluded, and why",
                        table(["item", "reason"], [[clean(k), clean(v)] for k, v in excluded.items()]))
    return body


def _candidate_row(c: dict, chosen: set[str]) -> list:
    detail = mapping(c.get("detail"))
    keys = [k for k in _KEY_DETAILS if k in detail] + [k for k in detail if k not in _KEY_DETAILS]
    figures = "; ".join(f"{clean(k).replace('_', ' ')} {_value(detail[k])}" for k in keys)
    item = clean(c.get("item")) + (" (chosen)" if clean(c.get("item")) in chosen else "")
    per_unit = _pairs(c.get("per_unit")) if c.get("per_unit") else "\u2013"
    if to_float(c.get("fixed_count")) is not None:  # training: a fixed cluster size, not a rate per unit
        per_unit = f"fixed count {number(to_float(c.get('fixed_count')))}"
    return [item, per_unit, _value(c.get("load")), figures]
