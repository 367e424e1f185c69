"""A build-out (docs/buildout.md): spend, purchases and installed base per period (plan["periods"])."""

from __future__ import annotations

from dcplan.report.html.charts import stacked_hbars
from dcplan.report.html.context import Ctx, capex_by, categories_of, dicts
from dcplan.report.html.fmt import clean, compact, number, power, to_float
from dcplan.report.html.page import figure, grid, table
from dcplan.report.html.svg import category_colour, colour
from dcplan.report.html.xy import Point, Series, xy_chart

OPEX = "opex"


def section(ctx: Ctx) -> str:
    periods = ctx.periods
    if not periods:
        return ""
    labels = [clean(p.get("label")) for p in periods]
    return (grid(figure(_spend_chart(ctx, labels), f"Spend per period by category ({ctx.currency})"),
                 figure(_installed_chart(ctx, labels), "Installed base per period (units, all sites)"))
            + grid(figure(_trend(ctx, labels, "facility_power_kw", "Facility power", power),
                          "Facility power per period"),
                   figure(_trend(ctx, labels, "racks", "Racks", compact), "Racks per period"))
            + _period_table(ctx) + "<h3>Purchases per period</h3>" + _purchases(ctx)
            + "<h3>Installed base per period</h3>" + _installed_table(ctx, labels))


def _spend_chart(ctx: Ctx, labels: list[str]) -> str:
    """Capex of each period's purchases by category (from BOM lines with `period`), plus its opex."""
    lines = [x for x in ctx.bom if "period" in x]
    cats = categories_of(lines)
    colours = {c: category_colour(c, i) for i, c in enumerate(cats)}
    colours[OPEX] = "#56B4E9"
    rows = []
    for p, label in zip(ctx.periods, labels, strict=True):
        segs = [(c, capex_by([x for x in lines if clean(x.get("period")) == label], "category").get(c, 0.0))
                for c in cats]
        if not lines:  # no per-line periods: the period's capex as one segment
            segs = [("capex", to_float(p.get("capex")) or 0.0)]
            colours["capex"] = "#0072B2"
        segs.append((OPEX, to_float(p.get("opex")) or 0.0))
        rows.append((label, [(c, v, f"{label} {c}: {ctx.money(v)}") for c, v in segs if v]))
    return stacked_hbars(ctx.chart("period-spend"), "Spend per period", rows, colours, fmt=ctx.short_money)


def _installed(period: dict) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for x in dicts(period.get("installed")):
        key = (clean(x.get("site")), clean(x.get("item")))
        out[key] = out.get(key, 0.0) + (to_float(x.get("quantity")) or 0.0)
    return out


def _installed_chart(ctx: Ctx, labels: list[str]) -> str:
    items = list(dict.fromkeys(item for p in ctx.periods for _, item in _installed(p)))
    colours = {item: colour(i) for i, item in enumerate(items)}
    rows = []
    for p, label in zip(ctx.periods, labels, strict=True):
        by_item: dict[str, float] = {}
        for (_, item), q in _installed(p).items():
            by_item[item] = by_item.get(item, 0.0) + q
        rows.append((label, [(i, by_item[i], f"{label}: {number(by_item[i])} \u00d7 {i}") for i in items
                             if by_item.get(i)]))
    if not items:
        return ""
    return stacked_hbars(ctx.chart("period-installed"), "Installed base per period", rows, colours)


def _trend(ctx: Ctx, labels: list[str], key: str, label: str, fmt) -> str:
    points = [Point(i, to_float(p.get(key)), f"{labels[i]}: {fmt(to_float(p.get(key)))}")
              for i, p in enumerate(ctx.periods) if to_float(p.get(key)) is not None]
    if not points:
        return ""
    return xy_chart(ctx.chart(f"period-{key}"), f"{label} per period", [Series(label, points)], "period", label,
                    y_fmt=fmt,
                    x_categories=labels, zero=True)


def _period_table(ctx: Ctx) -> str:
    head = ["period", "capex", "opex", "IT power", "facility power", "racks", "accelerators"]
    rows = [[clean(p.get("label")), ctx.money(p.get("capex")), ctx.money(p.get("opex")),
             power(to_float(p.get("it_power_kw"))), power(to_float(p.get("facility_power_kw"))),
             number(to_float(p.get("racks"))), number(to_float(p.get("accelerators")))] for p in ctx.periods]
    return table(head, rows, numeric=set(range(1, 7)))


def _purchases(ctx: Ctx) -> str:
    lines = [x for x in ctx.bom if "period" in x and x.get("category") in ("server", "storage", "switch")]
    rows = [[clean(x.get("period")), clean(x.get("site")), clean(x.get("category")), clean(x.get("item")),
             number(to_float(x.get("quantity"))), ctx.money(x.get("extended_price"))] for x in lines]
    return table(["period", "site", "category", "item", "quantity", "extended price"], rows, numeric={4, 5}) or \
        "<p class=\"note\">No purchases listed per period.</p>"


def _installed_table(ctx: Ctx, labels: list[str]) -> str:
    per_period = [_installed(p) for p in ctx.periods]
    keys = list(dict.fromkeys(k for installed in per_period for k in installed))
    rows = [[site, item, *[number(installed.get((site, item), 0.0)) for installed in per_period]]
            for site, item in keys]
    return table(["site", "item", *labels], rows, numeric=set(range(2, 2 + len(labels))))
