"""Drawings of a site's racks: a floor map of every rack position, and an elevation of each distinct rack."""

from __future__ import annotations

import math

from dcplan.report.html.fmt import clean, esc, number, short
from dcplan.report.html.racks import SHARED, RackSpec, RackType, SiteLayout
from dcplan.report.html.svg import BAD, INK, MUTED, colour, f, open_svg, rect, text

UNIT_PX = 8  # pixels per rack unit in an elevation
RACK_W = 150
CELL = 13  # pixels per rack position on the floor map
FLOOR_COLS = 80
MAX_CELLS = 2400  # beyond this one cell stands for several positions


def item_colours(layouts: list[SiteLayout]) -> dict[str, str]:
    """The same colour for an item at every site."""
    colours: dict[str, str] = {}
    for layout in layouts:
        for t in layout.types:
            colours.setdefault(t.item, colour(len(colours)))
    return colours


def _unit_label(t: RackType, height: float) -> tuple[str, int]:
    size = 10 if height >= 14 else 9
    return short(t.item, int((RACK_W - 16) / (size * 0.6))), size


def elevation(t: RackType, spec: RackSpec, fill: str, name: str) -> str:
    """One rack drawn front-on, units stacked from the bottom, with its count and its power use."""
    rack_h = spec.units * UNIT_PX
    top, left = 34, 22
    isolated = t.group != SHARED
    title = f"{t.item} rack" + (f" ({t.group})" if isolated else "")
    parts = [open_svg(RACK_W + 30, rack_h + top + 48, name, title),
             text(left, 13, t.item, size=12, extra=' font-weight="600"', limit=22),
             text(left, 27, f"\u00d7 {number(t.count)} rack{'s' if t.count != 1 else ''}"
                  + (f", {t.positions} positions per unit" if t.positions > 1 else ""), size=11, limit=30),
             rect(left, top, RACK_W, rack_h, "#eef1f4", extra=f' stroke="{BAD if isolated else INK}" '
                  f'stroke-width="{2 if isolated else 1}"' + (' stroke-dasharray="5,3"' if isolated else ""))]
    for u in range(0, spec.units + 1, 6):  # unit numbers every 6 U, counted from the bottom as racks are
        parts.append(text(left - 3, top + rack_h - u * UNIT_PX + 3, str(u), anchor="end", size=8))
    unit_h = min(t.unit_ru, spec.units) * UNIT_PX
    tip = f"{clean(t.item)}: {t.unit_ru:g} U, {t.unit_kw:,.2f} kW"
    for i in range(t.per_rack):
        y = top + rack_h - (i + 1) * unit_h
        parts.append(rect(left + 2, y + 0.5, RACK_W - 4, unit_h - 1, fill, tip=tip))
        if unit_h >= 12:
            label, size = _unit_label(t, unit_h)
            parts.append(text(left + 6, y + unit_h / 2 + size * 0.35, label, size=size, extra=' fill="#fff"'))
    if unit_h < 12:  # 1 U units are too thin to label one by one: one label for the stack
        parts.append(_stack_label(t, left, top, rack_h, unit_h))
    parts.append(_footer(t, spec, left, top + rack_h))
    return "".join(parts) + "</svg>"


def _stack_label(t: RackType, left: float, top: float, rack_h: float, unit_h: float) -> str:
    """'16 × epyc-9654-2s' just above the stack, or on a white band inside it when the rack is full."""
    stack_top = top + rack_h - t.per_rack * unit_h
    label = f"{t.per_rack} \u00d7 {short(t.item, 18)}"
    if stack_top - top >= 16:
        return text(left + 6, stack_top - 4, label, size=10)
    y = stack_top + (rack_h - (stack_top - top)) / 2
    return rect(left + 4, y - 8, RACK_W - 8, 14, "#ffffff", extra=' opacity="0.85"') + text(left + 8, y + 3, label,
                                                                                           size=10)


def _footer(t: RackType, spec: RackSpec, left: float, y: float) -> str:
    used_ru = min(t.per_rack * t.unit_ru, spec.units)
    used_kw = t.per_rack * t.unit_kw / t.positions
    power = f"{used_kw:,.1f} of {spec.power_kw:,.1f} kW" if spec.power_kw else f"{used_kw:,.1f} kW"
    lines = [f"{number(t.per_rack)} \u00d7 {t.unit_ru:g} U = {used_ru:g} of {spec.units} U", power]
    if t.group != SHARED:
        lines.append(f"isolated: {t.group}")
    return "".join(text(left, y + 14 + 13 * i, line, size=10, limit=30,
                        extra=f' fill="{BAD}"' if i == 2 else "")
                   for i, line in enumerate(lines))


def floor_map(layout: SiteLayout, colours: dict[str, str], name: str) -> str:
    """Every rack position of the site: used ones coloured by item (isolated groups outlined), free ones grey."""
    limit = layout.rack_limit if layout.rack_limit is not None else layout.racks_used
    positions = max(limit, layout.racks_used)
    if positions <= 0:
        return ""
    per_cell = max(1, math.ceil(positions / MAX_CELLS))
    runs = [(t, t.count * t.positions) for t in layout.types]
    cells = math.ceil(positions / per_cell)
    rows = math.ceil(cells / FLOOR_COLS)
    width, height = FLOOR_COLS * CELL + 8, rows * CELL + 8
    label = f"Rack positions at {layout.site}" + (f" (one square = {per_cell} positions)" if per_cell > 1 else "")
    parts = [open_svg(width, height, name, label)]
    index = 0
    for t, used in runs:
        tip = f"{clean(t.item)} ({clean(t.group)}): {used} position(s), {t.per_rack} unit(s) each"
        parts.append(f"<g><title>{esc(tip)}</title>")
        stroke = f' stroke="{BAD}" stroke-width="1.5"' if t.group != SHARED else ""
        for cell in range(index // per_cell, math.ceil((index + used) / per_cell)):
            parts.append(_cell(cell, colours.get(t.item, INK), stroke))
        parts.append("</g>")
        index += used
    first_free = math.ceil(index / per_cell)
    over = index > limit
    parts.append(f"<g><title>{esc(f'{max(limit - index, 0)} free position(s)')}</title>")
    for cell in range(first_free, cells):
        parts.append(_cell(cell, MUTED, ""))
    parts.append("</g>")
    if over:
        parts.append(text(4, height - 2, "over the site's rack limit", size=10, extra=f' fill="{BAD}"'))
    return "".join(parts) + "</svg>"


def _cell(index: int, fill: str, stroke: str) -> str:
    row, col = divmod(index, FLOOR_COLS)
    return f'<rect x="{f(4 + col * CELL)}" y="{f(4 + row * CELL)}" width="{CELL - 2}" height="{CELL - 2}" ' \
           f'fill="{fill}"{stroke}/>'
