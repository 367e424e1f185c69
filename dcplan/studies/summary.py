"""A sweep's summary: how many points ended how, percentiles of every total, BOM lines that change.

Percentiles interpolate linearly between the sorted values of the points that have a plan (the
estimator numpy calls "linear", Hyndman & Fan's type 7): p50 of [1, 2, 3, 4] is 2.5. A BOM line
(site, category, item) "changes" when its quantity is not the same in every plan; a line a plan
does not have counts as quantity 0 in that plan; changing lines are listed by site, then in BOM order.
"""

from __future__ import annotations

import math

from dcplan.vocab import Category

PERCENTILES = (5, 50, 95)


def percentile(ordered: list[float], q: float) -> float:
    """The q-th percentile (0–100) of an ascending list, interpolated linearly."""
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * q / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def statistics(values: list[float]) -> dict:
    ordered = sorted(values)
    out = {"min": ordered[0]}
    out.update({f"p{q}": percentile(ordered, q) for q in PERCENTILES})
    out.update(max=ordered[-1], mean=sum(ordered) / len(ordered))
    return out


def summarise(rows: list[dict]) -> dict:
    """Counts by status, statistics of each total over the planned points, the BOM lines that change."""
    statuses: dict[str, int] = {}
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    planned = [row for row in rows if row.get("totals")]
    totals = {}
    for key in (planned[0]["totals"] if planned else {}):
        values = [row["totals"][key] for row in planned if isinstance(row["totals"].get(key), (int, float))]
        if values:
            totals[key] = statistics(values)
    return {"points": len(rows), "with_plan": len(planned), "statuses": statuses, "totals": totals,
            **bom_changes(rows)}


def bom_changes(rows: list[dict]) -> dict:
    """BOM lines whose quantity differs between plans, with each point's quantity (null: no plan)."""
    quantities: dict[tuple, dict[int, int]] = {}
    planned = [i for i, row in enumerate(rows) if row.get("totals")]
    for i in planned:
        for site, category, item, quantity in rows[i].get("bom", []):
            line = quantities.setdefault((site, category, item), {})
            line[i] = line.get(i, 0) + quantity
    changing, unchanged = [], 0
    for (site, category, item), by_point in quantities.items():
        per_point = [by_point.get(i, 0) for i in planned]
        if len(set(per_point)) == 1:
            unchanged += 1
            continue
        changing.append({"site": site, "category": category, "item": item, "min": min(per_point),
                         "max": max(per_point),
                         "quantities": [by_point.get(i, 0) if rows[i].get("totals") else None
                                        for i in range(len(rows))]})
    order = {category: rank for rank, category in enumerate(Category.values())}
    changing.sort(key=lambda line: (line["site"], order.get(line["category"], len(order)), line["item"]))
    return {"bom_changes": changing, "bom_unchanged": unchanged}
