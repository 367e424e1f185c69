"""render_pareto: the frontier between two objectives (docs/whatif.md), the knee marked, each point's plan one click away.

Every point in the chart is a link to its own <details> section (#point-N),
which the page's small script opens and highlights; without the script the
link still scrolls to it. A point's section shows its totals and, when the
point embeds its plan (`plan`, or `bom`/`sites` directly), its BOM and sites.
"""

from __future__ import annotations

from dcplan.report.html.context import dicts, listed, mapping
from dcplan.report.html.fmt import (OBJECTIVE_TOTAL, TOTALS, clean, esc, number, quantity, short_quantity, to_float,
                                    total_unit)
from dcplan.report.html.page import Raw, cards, details, document, figure, note, status_badge, table
from dcplan.report.html.xy import Point, Series, xy_chart


def _unit(objective: str) -> str:
    return total_unit(OBJECTIVE_TOTAL.get(objective, objective))


def _coords(point: dict, objectives: list[str]) -> tuple[float | None, float | None]:
    values = mapping(point.get("values"))
    totals = mapping(point.get("totals"))
    out = []
    for name in objectives:
        value = to_float(values.get(name))
        if value is None:  # fall back on the total that measures the objective
            value = to_float(totals.get(OBJECTIVE_TOTAL.get(name, name)))
        out.append(value)
    return out[0], out[1]


def render_pareto(pareto: dict) -> str:
    """One page for a Pareto JSON: the frontier chart, a table of points, and every point's plan summary."""
    if not isinstance(pareto, dict):
        raise TypeError("a Pareto frontier must be a dict (the JSON written by `dcplan pareto --format json`)")
    objectives = [clean(o) for o in listed(pareto.get("objectives"))][:2]
    while len(objectives) < 2:
        objectives.append("?")
    points = dicts(pareto.get("points"))
    currency = clean(pareto.get("currency") or "USD")
    a, b = objectives
    subtitle = (f"{len(points)} point(s) · objectives {esc(a)} and {esc(b)} · click a point for its plan · "
                f"money in {esc(currency)}")
    sections = [("frontier", "Frontier", _chart(points, objectives, currency)),
                ("points", "Points", _table(points, objectives, currency)),
                ("plans", "Plan of each point", "".join(_point(i, p, objectives, currency)
                                                        for i, p in enumerate(points)))]
    return document(f"dcplan Pareto frontier: {clean(pareto.get('scenario')) or f'{a} vs {b}'}", subtitle,
                    sections, "pareto")


def _label(objective: str) -> str:
    return TOTALS.get(OBJECTIVE_TOTAL.get(objective, ""), (objective,))[0]


def _chart(points: list[dict], objectives: list[str], currency: str) -> str:
    a, b = objectives
    ua, ub = _unit(a), _unit(b)
    pts = []
    for i, p in enumerate(points):
        x, y = _coords(p, objectives)
        if x is None or y is None:
            continue
        knee = p.get("knee") is True
        tip = (f"point {i + 1}{' (knee)' if knee else ''}: {a} {quantity(x, ua, currency)}, "
               f"{b} {quantity(y, ub, currency)}; click for its plan")
        pts.append(Point(x, y, tip, href=f"#point-{i + 1}", mark="knee" if knee else ""))
    if not pts:
        return note("No point has both objective values.")
    svg = xy_chart("pareto-frontier", f"Pareto frontier: {a} against {b}", [Series("frontier", pts)],
                   f"{_label(a)} ({a})", f"{_label(b)} ({b})", x_fmt=lambda v: short_quantity(v, ua, currency),
                   y_fmt=lambda v: short_quantity(v, ub, currency), size=(860, 380))
    knee = next((i + 1 for i, p in enumerate(points) if p.get("knee") is True), None)
    text = "Each point is a verified plan; no point is dominated by another. "
    text += f"The knee (point {knee}, the diamond) is where the trade-off bends." if knee else "No knee is marked."
    return figure(svg, f"{a} against {b} (click a point)") + note(text)


def _table(points: list[dict], objectives: list[str], currency: str) -> str:
    a, b = objectives
    head = ["#", a, b, f"extra {a} per unit less {b}", "status", "servers and storage", "capex", "facility power",
            ""]
    rows, prev = [], None
    for i, p in enumerate(points):
        x, y = _coords(p, objectives)
        rate = "\u2013"
        if prev and None not in (x, y, *prev) and y != prev[1]:
            rate = number(-(x - prev[0]) / (y - prev[1]))  # the step's price: A paid per unit of B saved
        prev = (x, y)
        totals = mapping(p.get("totals"))
        rows.append([f"{i + 1}{' (knee)' if p.get('knee') is True else ''}",
                     quantity(x, _unit(a), currency), quantity(y, _unit(b), currency), rate,
                     status_badge(p.get("status")), _fleet(p),
                     quantity(to_float(totals.get("capex")), "money", currency),
                     quantity(to_float(totals.get("facility_power_kw")), "kW"), _link(i)])
    return table(head, rows, numeric={1, 2, 3, 6, 7},
                 row_classes=["binding" if p.get("knee") is True else "" for p in points])


def _fleet(point: dict) -> str:
    """'6 × b200-8, 1 × h200-sxm-8': what sets the points apart, readable without opening each one."""
    plan = point.get("plan") if isinstance(point.get("plan"), dict) else point
    counts: dict[str, float] = {}
    for line in dicts(plan.get("bom")):
        if line.get("category") in ("server", "storage"):
            item = clean(line.get("item"))
            counts[item] = counts.get(item, 0.0) + (to_float(line.get("quantity")) or 0.0)
    return ", ".join(f"{number(q)} \u00d7 {item}" for item, q in counts.items()) or "\u2013"


def _link(i: int) -> Raw:
    return Raw(f'<a href="#point-{i + 1}">plan</a>')


def _point(i: int, point: dict, objectives: list[str], currency: str) -> str:
    plan = point.get("plan") if isinstance(point.get("plan"), dict) else point
    totals = plan.get("totals") if isinstance(plan.get("totals"), dict) else point.get("totals") or {}
    x, y = _coords(point, objectives)
    summary = (f"Point {i + 1}{' (knee)' if point.get('knee') is True else ''}: {objectives[0]} "
               f"{quantity(x, _unit(objectives[0]), currency)}, {objectives[1]} "
               f"{quantity(y, _unit(objectives[1]), currency)}")
    items = [(TOTALS[k][0], short_quantity(to_float(totals.get(k)), TOTALS[k][1], currency), "")
             for k in TOTALS if to_float(totals.get(k)) is not None]
    body = cards(items) if items else note("No totals for this point.")
    bom = dicts(plan.get("bom"))
    if bom:
        rows = [[clean(x.get("site")), clean(x.get("category")), clean(x.get("item")),
                 number(to_float(x.get("quantity"))), quantity(to_float(x.get("extended_price")), "money", currency)]
                for x in bom]
        body += "<h3>BOM</h3>" + table(["site", "category", "item", "quantity", "extended price"], rows,
                                       numeric={3, 4})
    else:
        body += note("This point does not embed its plan's BOM.")
    if point.get("plan_file") or isinstance(point.get("plan"), str):
        body += note(f"Plan file: {clean(point.get('plan_file') or point.get('plan'))}")
    return details(summary, body, anchor=f"point-{i + 1}", cls="point")
