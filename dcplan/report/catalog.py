"""Rendering of catalog entries for `dcplan catalog list|show`."""

from __future__ import annotations

from dcplan.report.text import cell, console, csv_text, json_text, md_cell, table_width, terminal_safe, yaml_text
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


def render_rows(items: list[dict], fmt: str, color: bool = False, width: int | None = None) -> str:
    if fmt == "json":
        return json_text(items)
    if fmt == "csv":
        return csv_text(COLUMNS, ([("" if row[c] is None else row[c]) for c in COLUMNS] for row in items))
    if fmt == "markdown":
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(md_cell(_cell(row[c])) for c in COLUMNS) + " |" for row in items]
        return "\n".join(lines)
    return _rich_table(items, color, width or table_width())


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() and abs(value) < 1e15 else f"{value:,.6g}"
    return str(value)


DESCRIPTION_MIN = 24
"""Fewer columns than this left for the description, and the table drops it rather than wrap every row."""
OPTIONAL = ("description", "origin", "section")
"""Columns a narrow table drops, in this order, so each entry stays on one line (`catalog show ID` has all)."""


def _rich_table(items: list[dict], color: bool, width: int) -> str:
    """One line per entry at `width` columns: the description takes what the other columns leave (cut short
    with an ellipsis); when that is too little it is dropped, then origin and section if still too wide."""
    out = console(color, width)
    columns = [c for c in COLUMNS if c != "description"]
    natural = _measure(out, items, columns)
    if width - natural - 3 >= DESCRIPTION_MIN:
        columns.insert(COLUMNS.index("description"), "description")
        out.print(_table(items, columns, description_width=width - natural - 3))
        return out.file.getvalue()
    for dropped in OPTIONAL[1:]:
        if natural <= width:
            break
        columns.remove(dropped)
        natural = _measure(out, items, columns)
    out.print(_table(items, columns))
    return out.file.getvalue()


def _table(items: list[dict], columns, description_width: int | None = None):
    from rich.table import Table

    justify = dict(zip(COLUMNS, ("left", "left", "left", "right", "right", "right", "left", "left")))
    table = Table(show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(column, justify=justify[column], no_wrap=True, overflow="ellipsis",
                         max_width=description_width if column == "description" else None)
    for row in items:
        table.add_row(*(cell(_cell(row[c])) for c in columns))
    return table


def _measure(out, items: list[dict], columns) -> int:
    """Columns the table takes at its natural width (every cell on one line)."""
    from rich.measure import Measurement

    return Measurement.get(out, out.options.update(width=10_000), _table(items, columns)).maximum


def render_item(section: str, item, origin: str, fmt: str) -> str:
    data = {"section": section, "origin": origin, **item.model_dump(mode="json", exclude_none=True)}
    if fmt == "json":
        return json_text(data)
    if fmt == "yaml":
        return yaml_text(data)
    width = max(len(k) for k in data)
    lines = []
    for key, value in data.items():
        unit = _UNITS.get(key, "")
        if isinstance(value, dict):
            value = ", ".join(f"{k}={_cell(v)}{' ' + _UNITS[k] if k in _UNITS else ''}" for k, v in value.items())
        lines.append(f"{key:<{width}}  {_cell(value)}{' ' + unit if unit else ''}")
    return terminal_safe("\n".join(lines))
