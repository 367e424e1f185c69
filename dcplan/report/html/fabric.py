"""The network fabric of each site: leaf/spine diagrams and figures (plan["fabrics"]), or the BOM's switches.

A fabric (as the model builds it, `add_network`) is one back-end per training
cluster or one front-end per (site, isolation group): server links land on
leaves, leaves uplink to spines, and every link end takes one optic.
"""

from __future__ import annotations

from dcplan.report.html.context import dicts, mapping
from dcplan.report.html.fmt import clean, number, to_float
from dcplan.report.html.page import badge, figure, note, table
from dcplan.report.html.racks import SHARED
from dcplan.report.html.svg import MUTED, line, open_svg, rect, text

WIDTH, HEIGHT = 560, 210
MAX_BOXES = 16  # switches drawn per tier; more are summarised as "+N"


def _count(counts) -> int:
    return sum(int(to_float(v) or 0) for v in mapping(counts).values())


def _types(mapping) -> str:
    if not isinstance(mapping, dict) or not mapping:
        return "none"
    return ", ".join(f"{number(to_float(v))} \u00d7 {clean(k)}" for k, v in mapping.items())


def ratio(fabric: dict) -> float | None:
    """Achieved down:up ratio (server links per uplink) of the fabric."""
    up = _count(fabric.get("uplinks"))
    return _count(fabric.get("assigned")) / up if up else None


def _tier(count: int, y: float, label: str, types: str, fill: str) -> tuple[str, list[float]]:
    """A row of switch boxes centred on the plot; returns (svg, x centres of the boxes drawn)."""
    drawn = min(count, MAX_BOXES)
    span = WIDTH - 200
    step = span / max(drawn, 1)
    box = min(26.0, step - 4)
    xs = [150 + step * (i + 0.5) for i in range(drawn)]
    parts = [text(10, y - 1, label, size=11, extra=' font-weight="600"'), text(10, y + 12, types, size=10, limit=22)]
    parts += [rect(x - box / 2, y - 9, box, 18, fill, tip=f"{label}: {types}") for x in xs]
    if count > drawn:
        parts.append(text(WIDTH - 44, y + 5, f"+{number(count - drawn)}", size=11))
    return "".join(parts), xs


def diagram(fabric: dict, name: str) -> str:
    """Spines on top, leaves below, a bar for the server ports; lines for links (all links when few)."""
    leaves, spines = _count(fabric.get("leaves")), _count(fabric.get("spines"))
    if not leaves:
        return ""
    spine_svg, spine_x = _tier(spines, 36, "spines", _types(fabric.get("spines")), "#006b54")
    leaf_svg, leaf_x = _tier(leaves, 104, "leaves", _types(fabric.get("leaves")), "#009E73")
    links = [line(a, 95, b, 45, stroke=MUTED, width=0.8) for a in leaf_x for b in spine_x]
    ports = to_float(fabric.get("ports")) or _count(fabric.get("assigned"))
    parts = [open_svg(WIDTH, HEIGHT, name, f"Fabric {clean(fabric.get('name'))}"), "".join(links),
             spine_svg, leaf_svg]
    parts += [line(x, 113, x, 150, stroke=MUTED, width=0.8) for x in leaf_x]
    parts.append(rect(150, 150, WIDTH - 200, 18, "#0072B2", tip=f"{number(ports)} server ports"))
    parts.append(text(10, 164, "servers and storage", size=11))
    parts.append(text(150 + (WIDTH - 200) / 2, 163, f"{number(ports)} server ports", anchor="middle", size=11,
                      extra=' fill="#fff"'))
    for i, words in enumerate(_links_lines(fabric)):
        parts.append(text(150, 186 + 14 * i, words, size=11, limit=90))
    return "".join(parts) + "</svg>"


def _links_lines(fabric: dict) -> list[str]:
    assigned, up = _count(fabric.get("assigned")), _count(fabric.get("uplinks"))
    achieved = ratio(fabric)
    target = to_float(fabric.get("oversubscription"))
    second = f"oversubscription {target:g}:1" if target is not None else ""
    if achieved is not None:
        second += f" (achieved {achieved:.2f}:1)"
    return [f"{number(assigned)} server links, {number(up)} leaf-spine uplinks, {number(2 * (assigned + up))} optics",
            second.strip()]


def _fabric_row(fab: dict) -> list:
    group = clean(fab.get("group") or SHARED)
    achieved = ratio(fab)
    target = to_float(fab.get("oversubscription"))
    return [clean(fab.get("name")), clean(fab.get("kind")),
            badge(f"isolated: {group}", "iso") if group != SHARED else group,
            number(to_float(fab.get("ports"))), _types(fab.get("leaves")), _types(fab.get("spines")),
            number(_count(fab.get("assigned"))), number(_count(fab.get("uplinks"))),
            f"{target:g}:1" if target is not None else "\u2013",
            f"{achieved:.2f}:1" if achieved is not None else "\u2013"]


FABRIC_HEAD = ["fabric", "kind", "group", "server ports", "leaves", "spines", "server links", "uplinks",
               "oversubscription", "achieved"]


def site_fabrics(plan: dict, site: str, prefix: str) -> str:
    """The fabrics of one site (with diagrams), or its switches and optics from the BOM."""
    fabrics = [x for x in dicts(plan.get("fabrics")) if x.get("site") == site
               and _count(x.get("leaves"))]
    if fabrics:
        rows = [_fabric_row(x) for x in fabrics]
        figs = "".join(figure(diagram(x, f"{prefix}-{i}"), f"{clean(x.get('name'))}")
                       for i, x in enumerate(fabrics))
        return table(FABRIC_HEAD, rows, numeric={3, 6, 7}) + f'<div class="grid2">{figs}</div>'
    return _bom_network(plan, site)


def _bom_network(plan: dict, site: str) -> str:
    lines = [x for x in dicts(plan.get("bom")) if x.get("site") == site
             and x.get("category") in ("switch", "optic")]
    if not lines:
        return note("No network equipment at this site.")
    rows = [[clean(x.get("category")), clean(x.get("item")), number(to_float(x.get("quantity"))),
             clean(x.get("description"))] for x in lines]
    optics = sum(to_float(x.get("quantity")) or 0 for x in lines if x.get("category") == "optic")
    text_ = (f"About {number(optics / 2)} links (one optic per link end). The leaf/spine split and "
             "oversubscription per fabric need plan[\"fabrics\"], which this plan JSON does not carry.")
    return table(["category", "item", "quantity", "description"], rows, numeric={2}) + note(text_)

