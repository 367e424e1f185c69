"""render_sweep: every total of a sweep (docs/whatif.md) against the varied values, or its distribution for samples.

A grid sweep plots each total against the first varied path, one line per
combination of the other paths (up to MAX_SERIES; beyond that, points only);
charts against the other paths follow, folded. A Monte Carlo study (`samples`,
or percentiles in `summary`) shows each total's histogram with p5/p50/p95 and
its scatter against each sampled input.
"""

from __future__ import annotations

from dcplan.report.html.context import dicts, mapping
from dcplan.report.html.fmt import (TOTALS, clean, esc, number, plain, quantity, short_quantity, to_float, total_label,
                                    total_unit, unit_text)
from dcplan.report.html.page import details, document, figure, grid, note, path_header, status_badge, table
from dcplan.report.html.xy import Point, Series, histogram, range_bars, xy_chart

MAX_SERIES = 8
SOLVED = ("optimal", "feasible")
PCTS = ("p5", "p50", "p95")


def paths_of(points: list[dict]) -> list[str]:
    return list(dict.fromkeys(clean(k) for p in points for k in mapping(p.get("values"))))


def _value(point: dict, path: str):
    values = mapping(point.get("values"))
    return values.get(path)


def _total(point: dict, key: str) -> float | None:
    totals = mapping(point.get("totals"))
    return to_float(totals.get(key))


def _solved(point: dict) -> bool:
    return clean(point.get("status")) in SOLVED and isinstance(point.get("totals"), dict)


def is_monte_carlo(sweep: dict) -> bool:
    summary = mapping(sweep.get("summary"))
    return bool(sweep.get("samples")) or "percentiles" in summary or sweep.get("mode") == "samples"


def render_sweep(sweep: dict) -> str:
    """One page for a sweep JSON: charts of each total, percentiles for samples, and every point in a table."""
    if not isinstance(sweep, dict):
        raise TypeError("a sweep must be a dict (the JSON written by `dcplan sweep --format json`)")
    points = dicts(sweep.get("points"))
    currency = clean(sweep.get("currency") or "USD")
    paths = paths_of(points)
    keys = [k for k in TOTALS if any(_total(p, k) is not None for p in points if _solved(p))]
    failed = [p for p in points if not _solved(p)]
    mc = is_monte_carlo(sweep)
    subtitle = (f"{len(points)} point(s), {len(failed)} without a plan · varied: "
                + esc(", ".join(paths) or "–") + f" · money in {esc(currency)}")
    sections = [("charts", "Distributions" if mc else "Totals against the varied values",
                 _mc_charts(points, keys, paths, currency) if mc else _grid_charts(points, keys, paths, currency)),
                ("percentiles", "Percentiles", _percentiles(sweep, points, keys, currency) if mc else ""),
                ("points", "Points", _table(points, paths, keys, currency))]
    if failed:
        sections.insert(0, ("failed", "Points without a plan",
                            note(f"{len(failed)} point(s) ended without a plan and are left out of the charts; "
                                 "the table lists their status.")))
    kind = "Monte Carlo study" if mc else "sweep"
    return document(f"dcplan {kind}: {clean(sweep.get('scenario')) or 'scenario'}", subtitle, sections, "sweep")


def _axis(points: list[dict], path: str) -> tuple[list[str] | None, dict]:
    """Numeric x (None, {}) when every value is a number; else categories in order of appearance."""
    values = [_value(p, path) for p in points]
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return None, {}
    cats = list(dict.fromkeys(clean(v) for v in values))
    return cats, {c: i for i, c in enumerate(cats)}


def _series(points: list[dict], key: str, path: str, others: list[str], currency: str,
            joined: bool = True) -> tuple[list[Series], list]:
    cats, index = _axis(points, path)
    groups: dict[str, list[Point]] = {}
    unit = total_unit(key)
    for p in points:
        y = _total(p, key)
        if y is None or not _solved(p):
            continue
        raw = _value(p, path)
        x = index[clean(raw)] if cats else float(raw)
        label = ", ".join(f"{o}={clean(_value(p, o))}" for o in others) or total_label(key)
        tip = f"{path}={clean(raw)}" + (f", {label}" if others else "") + f": {quantity(y, unit, currency)}"
        groups.setdefault(label, []).append(Point(x, y, tip))
    lines = joined and len(groups) <= MAX_SERIES
    if len(groups) > MAX_SERIES:  # too many combinations for a legend: one cloud of points
        groups = {"all points": [pt for pts in groups.values() for pt in pts]}
    return [Series(k, v, lines=lines) for k, v in groups.items()], cats


def _chart_for(points, key, path, paths, currency, name, joined: bool = True) -> str:
    series, cats = _series(points, key, path, [p for p in paths if p != path], currency, joined)
    unit = total_unit(key)
    return figure(xy_chart(name, f"{total_label(key)} against {path}", series, path, total_label(key),
                           y_fmt=lambda v: short_quantity(v, unit, currency), x_categories=cats),
                  f"{total_label(key)} against {path}")


def _grid_charts(points, keys, paths, currency) -> str:
    if not paths or not keys:
        return note("Nothing to plot: no varied values or no solved point.")
    first = grid(*[_chart_for(points, k, paths[0], paths, currency, f"sweep-{k}") for k in keys])
    more = "".join(details(f"Totals against {path}",
                           grid(*[_chart_for(points, k, path, paths, currency, f"sweep-{k}-{i + 1}") for k in keys]))
                   for i, path in enumerate(paths[1:]))
    return first + more


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), q in [0, 100]."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q / 100.0
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def percentiles_of(sweep: dict, points: list[dict], key: str) -> dict[str, float]:
    """p5/p50/p95 of a total: the summary's when given (either shape), else computed from the solved points."""
    summary = mapping(sweep.get("summary"))
    given = summary.get("percentiles", summary)
    given = given.get(key) if isinstance(given, dict) else None
    if isinstance(given, dict) and all(to_float(given.get(p)) is not None for p in PCTS):
        return {p: to_float(given[p]) for p in PCTS}
    values = [v for v in (_total(p, key) for p in points if _solved(p)) if v is not None]
    return {p: percentile(values, float(p[1:])) for p in PCTS} if values else {}


def _mc_charts(points, keys, paths, currency) -> str:
    numeric = [p for p in paths if _axis(points, p)[0] is None]
    figs = []
    for key in keys:
        unit = total_unit(key)
        fmt = lambda v, unit=unit: short_quantity(v, unit, currency)  # noqa: E731
        values = [v for v in (_total(p, key) for p in points if _solved(p)) if v is not None]
        marks = {p: percentile(values, float(p[1:])) for p in PCTS}
        figs.append(figure(histogram(f"mc-hist-{key}", f"Distribution of {total_label(key)}", values, marks,
                                     total_label(key), fmt=fmt), f"{total_label(key)}: distribution"))
        if numeric:  # samples are draws, not a sequence: points only, no line through them
            figs.append(_chart_for(points, key, numeric[0], [numeric[0]], currency, f"mc-scatter-{key}", False))
    more = "".join(details(f"Totals against {path}",
                           grid(*[_chart_for(points, k, path, [path], currency, f"mc-scatter-{k}-{i + 1}", False)
                                  for k in keys]))
                   for i, path in enumerate(numeric[1:]))
    return grid(*figs) + more if figs else note("No solved sample to plot.")


def _percentiles(sweep, points, keys, currency) -> str:
    rows, bars = [], []
    for key in keys:
        pct = percentiles_of(sweep, points, key)
        if not pct:
            continue
        unit = total_unit(key)
        rows.append([total_label(key)] + [quantity(pct[p], unit, currency) for p in PCTS])
        shown = " / ".join(short_quantity(pct[p], unit, currency) for p in PCTS)
        bars.append((total_label(key), pct["p5"], pct["p50"], pct["p95"], shown))
    chart = figure(range_bars("mc-percentiles", "p5 to p95 of each total, p50 marked", bars),
                   "p5 to p95 of each total (bar), p50 (tick); each row on its own scale")
    return chart + table(["total", "p5", "p50", "p95"], rows, numeric={1, 2, 3})


def _table(points, paths, keys, currency) -> str:
    units = [unit_text(total_unit(k), currency) for k in keys]
    head = ["#", *[path_header(p) for p in paths], "status", "objective",
            *[f"{total_label(k)} ({u})" if u else total_label(k) for k, u in zip(keys, units, strict=True)]]
    rows = []
    for i, p in enumerate(points):
        objective = mapping(p.get("objective"))
        rows.append([str(i + 1), *[clean(_value(p, path)) for path in paths], status_badge(p.get("status")),
                     number(to_float(objective.get("value")))]
                    + [plain(_total(p, k), total_unit(k)) for k in keys])
    first_num = 2 + len(paths)
    return table(head, rows, numeric={0, *range(first_num, first_num + len(keys) + 1)})

