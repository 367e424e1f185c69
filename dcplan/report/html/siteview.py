"""Per-site sections of a plan report: rack floor maps and elevations, isolated groups, network fabrics."""

from __future__ import annotations

from dcplan.report.html.context import Ctx
from dcplan.report.html.fabric import site_fabrics
from dcplan.report.html.fmt import clean, esc, number, to_float
from dcplan.report.html.page import badge, figure, note, table
from dcplan.report.html.rack_svg import elevation, floor_map, item_colours
from dcplan.report.html.racks import SHARED, SiteLayout, planned_racks, site_layouts

_RACK_SIZE_SOURCE = {
    "site_details": "",
    "bom": " (rack size read from the BOM's rack line)",
    "default": " (rack size not in the plan JSON: 42 U assumed, power per rack unknown)",
}


def racks_section(ctx: Ctx) -> str:
    layouts = site_layouts(ctx.plan)
    if not any(layout.types for layout in layouts):
        return note("No racked equipment in this plan.")
    colours = item_colours(layouts)
    parts = [note("Each rack holds one item type of one isolation group, packed by rack units and rack power "
                  "as the model packs them; identical racks are drawn once with their count. Isolated groups "
                  "have red dashed frames."), _isolated_table(layouts)]
    if any("period" in x for x in ctx.bom):
        parts.append(note("Build-out: the racks hold every unit bought over all periods (the BOM); equipment "
                          "already owned is listed per period under Build-out."))
    for i, layout in enumerate(layouts):
        parts.append(_site_racks(ctx, layout, i, colours))
    return "".join(parts)


def _site_racks(ctx: Ctx, layout: SiteLayout, index: int, colours: dict[str, str]) -> str:
    spec = layout.spec
    size = f"{spec.units} U" + (f", {spec.power_kw:,.1f} kW per rack" if spec.power_kw else "")
    head = f"<h3>{esc(layout.site)} <span class=\"note\">{esc(size + _RACK_SIZE_SOURCE[spec.source])}</span></h3>"
    if not layout.types:
        return head + note("No racks used at this site.")
    checks = _layout_checks(ctx, layout)
    used = sorted({t.item for t in layout.types}, key=list(colours).index)
    legend = "".join(f'<span class="badge"><span style="display:inline-block;width:10px;height:10px;'
                     f'background:{colours[item]};margin-right:4px"></span>{esc(item)}</span> ' for item in used)
    floor = figure(floor_map(layout, colours, ctx.chart(f"floor-{index}")),
                   f"Rack positions at {layout.site}: {layout.racks_used} used of "
                   f"{number(layout.rack_limit) if layout.rack_limit is not None else '?'}")
    racks = "".join(figure(elevation(t, spec, colours[t.item], ctx.chart(f"rack-{index}-{j}")), "")
                    for j, t in enumerate(layout.types))
    return head + "".join(note(c) for c in checks) + floor + f"<div>{legend}</div>" + \
        f'<div class="racks">{racks}</div>'


def _layout_checks(ctx: Ctx, layout: SiteLayout) -> list[str]:
    """Where the drawing and the plan disagree on racks (only a hand-edited plan should ever say so):
    per item and group against the plan's `racks`, else per site against `sites[].racks`."""
    planned = planned_racks(ctx.plan, layout.site)
    if planned:
        drawn = layout.racks_by_item()
        wrong = [f"{item} ({group}): plan {planned.get((item, group), 0)}, drawn {drawn.get((item, group), 0)}"
                 for item, group in sorted(set(planned) | set(drawn))
                 if planned.get((item, group), 0) != drawn.get((item, group), 0)]
        return [f"The drawing packs racks differently from the plan: {'; '.join(wrong)}."] if wrong else []
    total = next((to_float(s.get("racks")) for s in ctx.sites if clean(s.get("name")) == layout.site), None)
    if total is not None and int(total) != layout.racks_used:
        return [f"The plan counts {number(total)} racks here; this drawing packs {layout.racks_used}."]
    return []


def _isolated_table(layouts: list[SiteLayout]) -> str:
    rows = []
    for layout in layouts:
        groups: dict[str, list] = {}
        for t in layout.types:
            if t.group != SHARED:
                entry = groups.setdefault(t.group, [0, 0, set()])
                entry[0] += t.count * t.positions
                entry[1] += t.count * t.per_rack
                entry[2].add(t.item)
        rows += [[layout.site, badge(f"isolated: {g}", "iso"), number(racks), number(units), ", ".join(sorted(items))]
                 for g, (racks, units, items) in groups.items()]
    if not rows:
        return ""
    return "<h3>Isolated security groups</h3>" + table(["site", "group", "racks", "units", "items"], rows,
                                                       numeric={2, 3})


def network_section(ctx: Ctx) -> str:
    names = [clean(s.get("name")) for s in ctx.sites]
    names += sorted({clean(x.get("site")) for x in ctx.bom if x.get("category") == "switch"} - set(names))
    parts = []
    for i, name in enumerate(names):
        has_gear = any(clean(x.get("site")) == name and x.get("category") in ("switch", "optic") for x in ctx.bom)
        if not has_gear:
            continue
        parts.append(f"<h3>{esc(name)}</h3>" + site_fabrics(ctx.plan, name, ctx.chart(f"fabric-{i}")))
    return "".join(parts) or note("No network equipment in this plan.")
