"""A Pareto frontier (the JSON document of `dcplan pareto --format json`) → table / JSON / CSV text.

JSON is the whole document, each point with its plan; CSV and the table have one row per point of
the frontier, ordered by the first objective, the knee marked.
"""

from __future__ import annotations

import csv
import io
import json

from dcplan.report.text import json_text

from dcplan.report.sweep import columns_of, number, safe_cell, shown, text
from dcplan.vocab import OBJECTIVE_TOTALS


def render(document: dict, fmt: str, *, color: bool = False) -> str:
    if fmt == "html":
        from dcplan.report.html import render_pareto

        return render_pareto(document)
    if fmt == "json":
        return json_text(document)
    if fmt == "csv":
        return render_csv(document)
    return render_table(document, color=color)


def _other_totals(document: dict) -> list[tuple[str, str]]:
    """The totals columns besides the two objectives (they have their own columns)."""
    shown_already = {OBJECTIVE_TOTALS[name] for name in document["objectives"]}
    return [(k, h) for k, h in columns_of(document["points"]) if k not in shown_already]


def render_csv(document: dict) -> str:
    first, second = document["objectives"]
    totals = _other_totals(document)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["position", first, second, "status", "gap", "knee", *(k for k, _ in totals), "plan_file"])
    for position, point in enumerate(document["points"]):
        writer.writerow([position, number(point["values"][first]), number(point["values"][second]), point["status"],
                         number(point.get("gap")), "yes" if point.get("knee") else "",
                         *(number(point["totals"].get(k)) for k, _ in totals), safe_cell(point.get("plan_file") or "")])
    return buffer.getvalue()


def render_table(document: dict, *, color: bool = False) -> str:
    from rich.console import Console
    from rich.table import Table

    first, second = document["objectives"]
    console = Console(file=io.StringIO(), force_terminal=color, no_color=not color, width=160)
    points = document["points"]
    table = Table(title=text(f"Pareto frontier of {document['scenario']}: {first} against {second}, "
                             f"{len(points)} of {document['requested']} points requested"))
    totals = _other_totals(document)
    for heading in ("#", first, second, "status", *(h for _, h in totals), "knee"):
        table.add_column(heading, justify="left" if heading in ("status", "knee") else "right")
    for position, point in enumerate(points):
        table.add_row(str(position), shown(point["values"][first], 1), shown(point["values"][second], 1),
                      point["status"], *(shown(point["totals"].get(k), 1 if "kw" in k else 0) for k, _ in totals),
                      "◀ knee" if point.get("knee") else "")
    console.print(table)
    for failure in document.get("failed", []):
        console.print(text(f"a step with {failure['epsilon']} has no plan ({failure['status']}): {failure['reason']}"))
    removed = document.get("removed", {})
    if removed.get("duplicates") or removed.get("dominated"):
        console.print(text(f"merged {removed.get('duplicates', 0)} equal points, removed {removed.get('dominated', 0)} "
                           "dominated ones"))
    console.print(text(f"knee: {document['knee_rule']}"))
    return console.file.getvalue()
