"""Rack layout of a plan, recomputed from the plan JSON alone: which units sit in which racks at each site.

It follows the model's own packing rule (docs/model.md, racks): racks hold one
item type of one isolation group, and a rack takes
n = min(⌊rack units / unit height⌋, ⌊rack power / unit power⌋) units; a unit
bigger than a rack takes max(⌈height / rack units⌉, ⌈power / rack power⌉)
positions. Identical racks are drawn once with their count ("× 510"), so a
thousand-rack site stays a handful of drawings.

What it reads: the BOM (units, height and power per item); `site_details`
(rack size per site; else the BOM's "Rack position (42U, 20 kW)" line; else
42 U with power unknown); `assignments[].group` and `fabrics[]` (which
isolation group servers and switches belong to; without them every unit is
"shared"). The plan's own `racks` per (site, item, group) are not an input:
they are what the drawing is checked against.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dcplan.report.html.context import dicts, mapping
from dcplan.rules import units_per_rack
from dcplan.report.html.fmt import clean, to_float

RACKED = ("server", "storage", "switch")
SHARED = "shared"
_RACK_LINE = re.compile(r"\((\d+)\s*U,\s*([\d.]+)\s*kW\)")


@dataclass(frozen=True)
class _RackSite:
    """The two figures of a site that the packing rule reads."""

    rack_units: int
    rack_power: float


@dataclass(frozen=True)
class RackSpec:
    units: int
    power_kw: float | None  # None: not in the plan JSON, racks packed by height only
    source: str


@dataclass
class RackType:
    """`count` identical racks holding `per_rack` units of one item of one group."""

    item: str
    category: str
    group: str
    per_rack: int
    count: int
    unit_ru: float
    unit_kw: float
    positions: int = 1  # rack positions one unit spans (a rack-scale system bigger than a rack)


@dataclass
class SiteLayout:
    site: str
    spec: RackSpec
    rack_limit: int | None
    types: list[RackType] = field(default_factory=list)

    @property
    def racks_used(self) -> int:
        return sum(t.count * t.positions for t in self.types)

    def racks_by_item(self) -> dict[tuple[str, str], int]:
        """(item, group) -> rack positions drawn: what the plan's own `racks` list gives per site."""
        out: dict[tuple[str, str], int] = {}
        for t in self.types:
            out[(t.item, t.group)] = out.get((t.item, t.group), 0) + t.count * t.positions
        return out


def rack_spec(plan: dict, site: str) -> RackSpec:
    for detail in dicts(plan.get("site_details")):
        if detail.get("name") == site:
            units, kw = to_float(detail.get("rack_units")), to_float(detail.get("rack_power_kw"))
            if units:
                return RackSpec(int(units), kw or None, "site_details")
    for line in dicts(plan.get("bom")):
        if line.get("site") == site and line.get("category") == "rack":
            match = _RACK_LINE.search(clean(line.get("description")))
            if match:
                return RackSpec(int(match.group(1)), float(match.group(2)), "bom")
    return RackSpec(42, None, "default")


def per_rack(spec: RackSpec, unit_ru: float, unit_kw: float) -> tuple[int, int]:
    """(units per rack, positions per unit) by the model's own rule (dcplan.rules.units_per_rack);
    with the rack power unknown (a plan JSON without site_details or rack line) by height alone."""
    site = _RackSite(spec.units, spec.power_kw or 1.0)
    share = units_per_rack(site, unit_ru, unit_kw if spec.power_kw else 0.0)
    if share == 0:
        return 0, 1
    if share <= 1:
        return round(1 / share), 1
    return 1, int(share)


def _racked_lines(plan: dict) -> list[dict]:
    """The equipment standing in the racks: the BOM of a single purchase; for a build-out, what is in use
    in its last period (its BOM lists purchases, spread over the periods)."""
    periods = dicts(plan.get("periods"))
    if periods and "in_use" in periods[-1]:
        return dicts(periods[-1].get("in_use"))
    return dicts(plan.get("bom"))


def _last_period(plan: dict):
    periods = dicts(plan.get("periods"))
    return periods[-1].get("label") if periods else None


def _unit_figures(plan: dict) -> dict[tuple[str, str], tuple[str, int, float, float]]:
    """(site, item) -> (category, quantity, rack units per unit, kW per unit) from the racked lines."""
    out = {}
    for line in _racked_lines(plan):
        if line.get("category") not in RACKED:
            continue
        qty = int(to_float(line.get("quantity")) or 0)
        if qty <= 0:
            continue
        key = (clean(line.get("site")), clean(line.get("item")))
        ru, kw = to_float(line.get("rack_units")) or 0.0, to_float(line.get("power_kw")) or 0.0
        cat, old_qty, old_ru, old_kw = out.get(key, (line["category"], 0, 0.0, 0.0))
        out[key] = (cat, old_qty + qty, old_ru + ru, old_kw + kw)  # build-outs repeat an item per period
    return {k: (cat, q, ru / q, kw / q) for k, (cat, q, ru, kw) in out.items()}


def _units_by_group(plan: dict, site: str, item: str, category: str, total: int) -> dict[str, int]:
    """How many units of an item at a site are in each isolation group (switches from the fabrics,
    servers and storage from the assignments); units the plan does not place in a group are shared."""
    given: dict[str, int] = {}
    if category == "switch":
        for fabric in dicts(plan.get("fabrics")):
            if fabric.get("site") == site:
                count = sum(int(to_float(mapping(fabric.get(k)).get(item)) or 0) for k in ("leaves", "spines"))
                if count:
                    group = clean(fabric.get("group") or SHARED)
                    given[group] = given.get(group, 0) + count
    else:
        last = _last_period(plan)
        for a in dicts(plan.get("assignments")):
            if last is not None and a.get("period") != last:
                continue  # a build-out's racks are drawn as they stand in its last period
            if a.get("site") == site and a.get("item") == item and a.get("group"):
                count = int((to_float(a.get("servers")) or 0) + (to_float(a.get("spares")) or 0))
                given[clean(a["group"])] = given.get(clean(a["group"]), 0) + count
    if sum(given.values()) > total:  # a hand-edited plan that contradicts its own BOM: trust the BOM
        return {SHARED: total}
    rest = total - sum(given.values())
    if rest:
        given[SHARED] = given.get(SHARED, 0) + rest
    return given


def _rack_types(spec: RackSpec, item: str, category: str, group: str, units: int, ru: float,
                kw: float) -> list[RackType]:
    n, positions = per_rack(spec, ru, kw)
    if n == 0 or units <= 0:
        return []
    full, rest = divmod(units, n)
    types = [RackType(item, category, group, n, full, ru, kw, positions)] if full else []
    if rest:
        types.append(RackType(item, category, group, rest, 1, ru, kw, positions))
    return types


def site_layouts(plan: dict) -> list[SiteLayout]:
    """One layout per site of the plan, sites in plan order; groups other than shared first."""
    figures = _unit_figures(plan)
    layouts = []
    for site in dicts(plan.get("sites")):
        name = clean(site.get("name"))
        limit = to_float(site.get("rack_limit"))
        layout = SiteLayout(name, rack_spec(plan, name), int(limit) if limit is not None else None)
        for (site_name, item), (category, qty, ru, kw) in figures.items():
            if site_name != name:
                continue
            for group, units in _units_by_group(plan, name, item, category, qty).items():
                layout.types.extend(_rack_types(layout.spec, item, category, group, units, ru, kw))
        layout.types.sort(key=lambda t: (t.group == SHARED, t.group, RACKED.index(t.category), t.item,
                                         -t.per_rack))
        layouts.append(layout)
    return layouts


def planned_racks(plan: dict, site: str) -> dict[tuple[str, str], int]:
    """(item, group) -> racks of one site as the plan JSON states them (`racks`); empty when it has none."""
    out: dict[tuple[str, str], int] = {}
    for entry in dicts(plan.get("racks")):
        count = to_float(entry.get("racks"))
        if clean(entry.get("site")) == site and count:
            key = (clean(entry.get("item")), clean(entry.get("group") or SHARED))
            out[key] = out.get(key, 0) + int(count)
    return out
