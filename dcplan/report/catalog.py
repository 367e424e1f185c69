"""Rendering of catalog entries for `dcplan catalog list|show`."""

from __future__ import annotations

import csv
import io
import json

from dcplan.scenario.catalog import SECTIONS, Catalog

_UNITS = {"bf16_flops": "TFLOP/s", "fp8_flops": "TFLOP/s", "fp4_flops": "TFLOP/s", "hbm": "GB", "hbm_bandwidth": "GB/s",
          "scale_up_bandwidth": "GB/s", "tdp": "W",
          "power": "kW", "idle_power": "kW", "memory": "GB", "capacity": "TB", "throughput": "GB/s",
          "port_speed": "Gb/s", "optic_power": "W", "speed": "Gb/s"}
COLUMNS = ("section", "id", "description", "price", "power_kw", "rack_units", "accelerators", "origin")


def rows(cat: Catalog, category: str | None = None) -> list[dict]:
    if category is not None and category not in SECTIONS:
        raise ValueError(f"unknown category {category!r}; expected one of {', '.join(SECTIONS)}")
    out = []
    for section in SECTIONS:
        if category and section != category:
            continue
        for item_id, item in sorted(cat.section(section).items()):
            acc = getattr(item, "accelerators", None)
            out.append({
                "section": section, "id": item_id, "description": item.description,
                "price": getattr(item, "price", None), "power_kw": getattr(item, "power", None),
                "rack_units": getattr(item, "rack_units", None),
                "accelerators": f"{acc.count}x {acc.model}" if acc else "",
                "origin": cat.origin.get(item_id, ""),
            })
    return out


def render_rows(items: list[dict], fmt: str, color: bool = False) -> str:
    if fmt == "json":
        return json.dumps(items, indent=2)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in items)
        return buffer.getvalue()
    if fmt == "markdown":
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(_cell(row[c]) for c in COLUMNS) + " |" for row in items]
        return "\n".join(lines)
    return _rich_table(items, color)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) < 1e15 else f"{value:,.6g}"
    return str(value).replace("|", "\\|")


def _rich_table(items: list[dict], color: bool) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False, header_style="bold")
    for column, justify in zip(COLUMNS, ("left", "left", "left", "right", "right", "right", "left", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    for row in items:
        table.add_row(*(_cell(row[c]) for c in COLUMNS))
    console = Console(file=io.StringIO(), force_terminal=color, no_color=not color, width=160)
    console.print(table)
    return console.file.getvalue()


def render_item(section: str, item, origin: str, fmt: str) -> str:
    data = {"section": section, "origin": origin, **item.model_dump(mode="json", exclude_none=True)}
    if fmt == "json":
        return json.dumps(data, indent=2)
    if fmt == "yaml":
        import yaml

        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    width = max(len(k) for k in data)
    lines = []
    for key, value in data.items():
        unit = _UNITS.get(key, "")
        if isinstance(value, dict):
            value = ", ".join(f"{k}={_cell(v)}{' ' + _UNITS[k] if k in _UNITS else ''}" for k, v in value.items())
        lines.append(f"{key:<{width}}  {_cell(value)}{' ' + unit if unit else ''}")
    return "\n".join(lines)
