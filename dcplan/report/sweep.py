"""A sweep (the JSON document of `dcplan sweep --format json`) → table / JSON / CSV text.

Renderers read the document, not the study's objects, so a saved sweep JSON renders the same.
The table shows one row per point, the percentiles of every total, and the BOM lines that change
between points; CSV has one row per point.
"""

from __future__ import annotations

import csv
import io
import json

from dcplan.report.text import json_text

COLUMNS = (("capex", "capex"), ("opex_per_year", "opex/yr"), ("tco", "TCO"), ("npv", "NPV"),
           ("facility_power_kw", "facility kW"), ("energy_mwh_per_year", "MWh/yr"), ("carbon_t_per_year", "t CO2e/yr"),
           ("racks", "racks"), ("accelerators", "accel."))
"""Totals shown per point, in order (NPV only when a plan reports it), with their table headings."""


def render(document: dict, fmt: str, *, color: bool = False) -> str:
    if fmt == "html":
        from dcplan.report.html import render_sweep

        return render_sweep(document)
    if fmt == "json":
        return json_text(document)
    if fmt == "csv":
        return render_csv(document)
    return render_table(document, color=color)


def safe_cell(value):
    """A cell a spreadsheet would read as a formula (= + - @) gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def number(value) -> str:
    """Whole numbers as they are, others to 12 significant digits (money to the cent); '' for none (CSV)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    return str(int(value)) if float(value).is_integer() else f"{value:.12g}"


def shown(value, digits: int = 0) -> str:
    """A figure for people: thousands separated; '-' for none."""
    if value is None:
        return "-"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:,.{digits}f}"
    return str(value)


def text(value: str):
    """Plain text for rich: scenario names, paths and values are never read as markup."""
    from rich.text import Text

    return Text(str(value))


def columns_of(points: list[dict]) -> list[tuple[str, str]]:
    present = {key for point in points for key in (point.get("totals") or {})}
    return [(key, heading) for key, heading in COLUMNS if key in present]


def render_csv(document: dict) -> str:
    paths = [v["path"] for v in document["vary"]]
    totals = columns_of(document["points"]) or [(k, h) for k, h in COLUMNS if k != "npv"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["index", *paths, "status", "objective", *(k for k, _ in totals), "plan_file", "reason"])
    for point in document["points"]:
        objective = (point.get("objective") or {}).get("value")
        writer.writerow([point["index"], *(safe_cell(_value(point["values"].get(p))) for p in paths), point["status"],
                         number(objective), *(number((point.get("totals") or {}).get(k)) for k, _ in totals),
                         safe_cell(point.get("plan_file") or ""), safe_cell(point.get("reason") or "")])
    return buffer.getvalue()


def _value(value) -> str:
    return json.dumps(value) if isinstance(value, (list, dict)) else number(value)


def render_table(document: dict, *, color: bool = False) -> str:
    from rich.console import Console

    console = Console(file=io.StringIO(), force_terminal=color, no_color=not color, width=160)
    console.print(_points_table(document))
    for point in document["points"]:
        if point.get("reason"):
            console.print(text(f"point {point['index']}: {point['status']}: {point['reason']}"))
    summary = document["summary"]
    if summary["totals"]:
        console.print(_summary_table(summary, document.get("currency", "")))
    if summary["bom_changes"]:
        console.print(_bom_table(summary))
    console.print(text(f"{summary['with_plan']} of {summary['points']} points have a plan; "
                       f"{summary['bom_unchanged']} BOM lines are the same in every plan."))
    return console.file.getvalue()


def _points_table(document: dict):
    from rich.table import Table

    study = document["study"]
    title = (f"Sweep of {document['scenario']}: {len(document['points'])} points"
             + (f", {document['samples']} draws (seed {document['seed']})" if study == "samples" else ""))
    table = Table(title=text(title))
    totals = columns_of(document["points"])
    for heading in ("#", *(v["path"] for v in document["vary"]), "status", "objective", *(h for _, h in totals)):
        table.add_column(text(heading), justify="left" if heading == "status" else "right")
    for point in document["points"]:
        values = [text(_value(point["values"].get(v["path"]))) for v in document["vary"]]
        objective = (point.get("objective") or {}).get("value")
        table.add_row(str(point["index"]), *values, point["status"], shown(objective),
                      *(shown((point.get("totals") or {}).get(k), 1 if "kw" in k else 0) for k, _ in totals))
    return table


def _summary_table(summary: dict, currency: str):
    from rich.table import Table

    table = Table(title=f"Totals over the {summary['with_plan']} points with a plan")
    for heading in ("total", "min", "p5", "p50", "p95", "max", "mean"):
        table.add_column(heading, justify="left" if heading == "total" else "right")
    for key, stats in summary["totals"].items():
        digits = 1 if "kw" in key else 0
        table.add_row(key, *(shown(stats[s], digits) for s in ("min", "p5", "p50", "p95", "max", "mean")))
    return table


def _bom_table(summary: dict):
    from rich.table import Table

    table = Table(title="BOM lines that change between points")
    for heading in ("site", "category", "item", "min", "max"):
        table.add_column(heading, justify="right" if heading in ("min", "max") else "left")
    for line in summary["bom_changes"]:
        table.add_row(text(line["site"]), line["category"], text(line["item"]), str(line["min"]), str(line["max"]))
    return table
