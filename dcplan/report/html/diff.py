"""render_diff: what changed between two plans, as a capex waterfall, per-site bars and the BOM changes.

The input is the document `dcplan diff --format json` writes (`"dcplan_diff": 1`), so a saved
diff renders again; the CLI's `diff --format html` renders the same dict.
"""

from __future__ import annotations

from dcplan.report.html.charts import hbars, waterfall
from dcplan.report.html.context import dicts, listed, mapping
from dcplan.report.html.fmt import (clean, compact, esc, number, percent, quantity, short_quantity, signed, to_float,
                                    total_label, total_unit)
from dcplan.report.html.page import cards, document, figure, grid, note, status_badge, table

A_COLOUR, B_COLOUR = "#9aa5b1", "#0072B2"


def render_diff(d: dict) -> str:
    """One self-contained HTML page for a `dcplan diff --format json` dict."""
    if not isinstance(d, dict) or "dcplan_diff" not in d:
        raise TypeError("a diff must be the dict written by `dcplan diff --format json` (with `dcplan_diff`)")
    a, b = mapping(d.get("a")), mapping(d.get("b"))
    currency = clean(d.get("currency") or a.get("currency") or "USD")
    title = f"dcplan diff: {clean(a.get('source') or 'A')} \u2192 {clean(b.get('source') or 'B')}"
    sides = " · ".join(f"{label}: {esc(side.get('scenario') or '–')} {status_badge(side.get('status')).html}"
                       for label, side in (("A", a), ("B", b)))
    subtitle = f"{sides} · money in {esc(currency)}"
    sections = [("summary", "Summary", _summary(d, currency)),
                ("waterfall", "Capex waterfall", _waterfalls(d, currency)),
                ("sites", "Per site", _sites(d)),
                ("totals", "Totals", _totals(d, currency)),
                ("bom", "BOM changes", _bom(d, currency)),
                ("warnings", "Warnings", "".join(f"<p class=note>{esc(w)}</p>" for w in listed(d.get("warnings"))))]
    return document(title, subtitle, sections, "diff")


def _total(d: dict, key: str) -> dict:
    totals = mapping(d.get("totals"))
    return mapping(totals.get(key))


def _summary(d: dict, currency: str) -> str:
    if d.get("identical"):
        return note("No difference: the same BOM, totals and sites.")
    items = []
    for key in ("capex", "tco", "npv", "facility_power_kw", "carbon_t_per_year", "racks"):
        t = _total(d, key)
        if not t:
            continue
        unit = total_unit(key)
        delta = to_float(t.get("delta"))
        sign = "+" if delta and delta > 0 else ""
        change = percent(to_float(t.get("relative")), sign=True)
        items.append((f"{total_label(key)} \u0394", sign + short_quantity(delta, unit, currency),
                      f"{quantity(to_float(t.get('old')), unit, currency)} \u2192 "
                      f"{quantity(to_float(t.get('new')), unit, currency)} ({change})"))
    bom = mapping(d.get("bom"))
    counts = ", ".join(f"{len(dicts(bom.get(k)))} {k}" for k in ("added", "removed", "changed"))
    return cards(items) + note(f"BOM lines: {counts}, {number(to_float(bom.get('unchanged')))} unchanged.")


def capex_steps(diff: dict, by: str) -> dict[str, float]:
    """Σ extended-price deltas of the changed BOM lines per category or per site (the waterfall's steps)."""
    bom = mapping(diff.get("bom"))
    steps: dict[str, float] = {}
    for kind in ("added", "removed", "changed"):
        for line in dicts(bom.get(kind)):
            key = clean(line.get(by))
            steps[key] = steps.get(key, 0.0) + (to_float(line.get("extended_price_delta")) or 0.0)
    return {k: v for k, v in steps.items() if abs(v) >= 0.005}


def _waterfalls(d: dict, currency: str) -> str:
    capex = _total(d, "capex")
    if not capex:
        return note("The diff has no capex totals.")
    fmt = lambda v: f"{compact(v)} {currency}"  # noqa: E731 - axis labels
    charts = []
    for by, caption in (("category", "by category"), ("site", "by site")):
        steps = capex_steps(d, by)
        rest = (to_float(capex.get("delta")) or 0.0) - sum(steps.values())
        rows = [("capex A", to_float(capex.get("old")) or 0.0, "total")]
        rows += [(k, v, "delta") for k, v in sorted(steps.items(), key=lambda kv: -abs(kv[1]))]
        if abs(rest) >= 0.5:  # capex not explained by BOM lines (e.g. a diff of hand-edited totals)
            rows.append(("other", rest, "delta"))
        rows.append(("capex B", to_float(capex.get("new")) or 0.0, "total"))
        charts.append(figure(waterfall(f"diff-waterfall-{by}", f"Capex A to B {caption}", rows, fmt=fmt),
                             f"Capex A \u2192 B {caption} ({currency})"))
    return grid(*charts) + note("Red steps add cost, green steps save it.")


def _sites(d: dict) -> str:
    sites = dicts(d.get("sites"))
    if not sites:
        return ""
    charts = []
    for key, label, fmt in (("facility_power_kw", "Facility power", lambda v: short_quantity(v, "kW")),
                            ("racks", "Racks", compact)):
        rows, colours = [], {}
        for s in sites:
            pair = mapping(s.get(key))
            for side, value, colour in (("A", pair.get("old"), A_COLOUR), ("B", pair.get("new"), B_COLOUR)):
                row = f"{clean(s.get('name'))} \u00b7 {side}"
                rows.append((row, to_float(value) or 0.0, f"{row}: {fmt(to_float(value) or 0.0)}"))
                colours[row] = colour
        charts.append(figure(hbars(f"diff-sites-{key}", f"{label} per site, A and B", rows, fmt=fmt,
                                   colours=colours), f"{label} per site: A (grey) and B (blue)"))
    head = ["site", "facility power A", "facility power B", "\u0394", "racks A", "racks B", "\u0394"]
    body = []
    for s in sites:
        p, r = (mapping(s.get(k)) for k in ("facility_power_kw", "racks"))
        name = clean(s.get("name")) + ("" if s.get("in_a", True) else " (new)") \
            + ("" if s.get("in_b", True) else " (gone)")
        body.append([name, quantity(to_float(p.get("old")), "kW"), quantity(to_float(p.get("new")), "kW"),
                     signed(to_float(p.get("delta")), 1), number(to_float(r.get("old"))),
                     number(to_float(r.get("new"))), signed(to_float(r.get("delta")))])
    return grid(*charts) + table(head, body, numeric={1, 2, 3, 4, 5, 6})


def _totals(d: dict, currency: str) -> str:
    totals = mapping(d.get("totals"))
    rows = []
    for key, t in totals.items():
        if not isinstance(t, dict):
            continue
        unit = total_unit(key)
        rows.append([total_label(key), quantity(to_float(t.get("old")), unit, currency),
                     quantity(to_float(t.get("new")), unit, currency), signed(to_float(t.get("delta"))),
                     percent(to_float(t.get("relative")), sign=True)])
    return table(["total", "A", "B", "\u0394", "\u0394 %"], rows, numeric={1, 2, 3, 4})


def _bom(d: dict, currency: str) -> str:
    bom = mapping(d.get("bom"))
    periods = any("period" in x for k in ("added", "removed", "changed") for x in dicts(bom.get(k)))
    head = ["period", "site", "category", "item", "qty A", "qty B", "\u0394 qty", f"extended A ({currency})",
            f"extended B ({currency})", "\u0394 extended"]
    parts = []
    for kind in ("added", "removed", "changed"):
        lines = dicts(bom.get(kind))
        rows = [[clean(x.get("period", "")), clean(x.get("site")), clean(x.get("category")), clean(x.get("item")),
                 number(to_float(x.get("old_quantity"))), number(to_float(x.get("new_quantity"))),
                 signed(to_float(x.get("quantity_delta"))), number(to_float(x.get("old_extended_price"))),
                 number(to_float(x.get("new_extended_price"))), signed(to_float(x.get("extended_price_delta")))]
                for x in lines]
        if rows and not periods:  # the period column only for build-outs
            head, rows = head[1:] if head[0] == "period" else head, [r[1:] for r in rows]
        if rows:
            numeric = set(range(len(head) - 6, len(head)))
            parts.append(f"<h3>{kind.capitalize()} lines ({len(rows)})</h3>" + table(head, rows, numeric=numeric))
    return "".join(parts) or note("No BOM line changed.")
