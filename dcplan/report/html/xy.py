"""X-y charts (lines with points, scatter, categorical x) and histograms with percentile markers.

Used by the sweep (a total against a varied value), the Pareto frontier
(objective A against B) and the build-out (a figure per period).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dcplan.report.html.charts import x_axis, y_axis
from dcplan.report.html.fmt import compact, esc, short
from dcplan.report.html.svg import (INK, MUTED, Scale, circle, colour, legend, line, nice_ticks, open_svg, polyline,
                                    rect, text)

WIDTH, HEIGHT = 560, 300
LEFT, RIGHT, TOP, BOTTOM = 92, 40, 12, 44


@dataclass
class Point:
    x: float
    y: float
    tip: str = ""
    href: str = ""  # a link target: the point's details section (Pareto)
    mark: str = ""  # "knee" draws a larger diamond with a label


@dataclass
class Series:
    label: str
    points: list[Point] = field(default_factory=list)
    lines: bool = True


def _domain(values: list[float], zero: bool) -> list[float]:
    lo, hi = min(values), max(values)
    if zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    pad = (hi - lo) * 0.05 or abs(hi) * 0.05 or 1.0
    return nice_ticks(lo - (pad if not zero or lo < 0 else 0), hi + pad, 5)


def _marker(pt: Point, sx: Scale, sy: Scale, fill: str, radius: float = 4.5) -> str:
    x, y = sx(pt.x), sy(pt.y)
    if pt.mark == "knee":
        shape = (f'<path d="M{x:.1f},{y - 9:.1f} L{x + 9:.1f},{y:.1f} L{x:.1f},{y + 9:.1f} L{x - 9:.1f},{y:.1f} Z" '
                 f'fill="{fill}" stroke="{INK}" stroke-width="1.5"><title>{esc(pt.tip)}</title></path>'
                 + text(x + 12, y - 8, "knee", size=12, extra=' font-weight="600"'))
    else:
        shape = circle(x, y, radius, fill, tip=pt.tip, extra=' stroke="#fff" stroke-width="1"')
    if pt.href:
        return f'<a href="{esc(pt.href)}" class="pt-link">{shape}</a>'
    return shape


def xy_chart(name: str, title: str, series: list[Series], x_label: str, y_label: str,
             x_fmt=compact, y_fmt=compact, x_categories: list[str] | None = None, zero: bool = False,
             size: tuple[int, int] = (WIDTH, HEIGHT)) -> str:
    """Lines and points; with x_categories the x values are indices into those labels."""
    width, height = size
    pts = [p for s in series for p in s.points]
    if not pts:
        return ""
    xt = list(range(len(x_categories))) if x_categories else _domain([p.x for p in pts], False)
    yt = _domain([p.y for p in pts], zero)
    legend_svg, legend_h = legend([(s.label, colour(i)) for i, s in enumerate(series)], LEFT, 4,
                                  width - LEFT - RIGHT) if len(series) > 1 else ("", 0)
    top = TOP + legend_h
    if x_categories:
        sx = Scale(-0.5, len(x_categories) - 0.5, LEFT, width - RIGHT)
    else:
        sx = Scale(xt[0], xt[-1], LEFT, width - RIGHT)
    sy = Scale(yt[0], yt[-1], height - BOTTOM + legend_h, top)
    parts = [open_svg(width, height + legend_h, name, title), legend_svg,
             y_axis(sy, yt, LEFT, width - RIGHT, y_fmt)]
    bottom = height - BOTTOM + legend_h
    if x_categories:
        for i, label in enumerate(x_categories):
            parts.append(text(sx(i), bottom + 14, label, anchor="middle", size=11, limit=14))
    else:
        parts.append(x_axis(sx, xt, top, bottom, x_fmt))
    parts.append(line(LEFT, bottom, width - RIGHT, bottom, stroke=INK))
    parts.append(text((LEFT + width - RIGHT) / 2, bottom + 34, x_label, anchor="middle", size=12, limit=60))
    parts.append(text(12, (top + bottom) / 2, y_label, anchor="middle", size=12, limit=40,
                      extra=f' transform="rotate(-90 12 {(top + bottom) / 2:.1f})"'))
    for i, s in enumerate(series):
        # earlier series are drawn wider underneath: identical series stay visible as nested rings
        wider = min(len(series) - 1 - i, 4) * 1.5
        ordered = sorted(s.points, key=lambda p: p.x)
        if s.lines and len(ordered) > 1:
            parts.append(polyline([(sx(p.x), sy(p.y)) for p in ordered], colour(i), width=2.0 + wider))
        parts.extend(_marker(p, sx, sy, colour(i), 4.5 + wider * 1.3) for p in ordered)
    return "".join(parts) + "</svg>"


def histogram(name: str, title: str, values: list[float], marks: dict[str, float], x_label: str,
              fmt=compact, bins: int = 20) -> str:
    """Counts of values in equal bins, with vertical lines at the given marks (p5, p50, p95)."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    width = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(int((v - lo) / width), bins - 1)] += 1
    xt = nice_ticks(lo, hi + (0 if hi > lo else 1), 5)
    sx = Scale(min(xt[0], lo), max(xt[-1], hi + width if hi == lo else hi), LEFT, WIDTH - RIGHT)
    yt = nice_ticks(0, max(counts), 4)
    sy = Scale(0, yt[-1], HEIGHT - BOTTOM, TOP + 52)
    parts = [open_svg(WIDTH, HEIGHT, name, title), y_axis(sy, yt, LEFT, WIDTH - RIGHT, compact),
             x_axis(sx, xt, TOP, HEIGHT - BOTTOM, fmt)]
    for i, count in enumerate(counts):
        x0, x1 = sx(lo + i * width), sx(lo + (i + 1) * width)
        parts.append(rect(x0 + 0.5, sy(count), max(x1 - x0 - 1, 1), sy(0) - sy(count), "#56B4E9",
                          tip=f"{fmt(lo + i * width)} to {fmt(lo + (i + 1) * width)}: {count}"))
    # marks are labelled by name on staggered rows (p50 and p95 often fall close); values in one line on top
    parts.append(text(LEFT, TOP + 2, " \u00b7 ".join(f"{k} {fmt(v)}" for k, v in marks.items()), size=11))
    for j, (label, value) in enumerate(marks.items()):
        x = sx(value)
        y = TOP + 16 + 11 * j
        parts.append(line(x, y + 2, x, HEIGHT - BOTTOM, stroke=INK, width=1.5, extra=' stroke-dasharray="4,3"'))
        parts.append(text(x + 3, y + 6, label, size=10))
    parts.append(text((LEFT + WIDTH - RIGHT) / 2, HEIGHT - 8, x_label, anchor="middle", size=12, limit=60))
    return "".join(parts) + "</svg>"


def range_bars(name: str, title: str, rows: list[tuple[str, float, float, float, str]]) -> str:
    """One row per total: a p5–p95 bar with a p50 tick, each row on its own scale (units differ)."""
    parts = [open_svg(WIDTH, 30 * len(rows) + 10, name, title)]
    left, right = 150, WIDTH - 150
    for i, (label, p5, p50, p95, shown) in enumerate(rows):
        y = 8 + i * 30
        scale = Scale(p5, p95, left + 10, right - 10)
        parts.append(text(left - 8, y + 14, label, anchor="end", limit=22))
        parts.append(rect(left, y + 8, right - left, 2, MUTED))
        parts.append(rect(scale(p5), y + 2, max(scale(p95) - scale(p5), 2), 14, "#56B4E9", tip=shown))
        parts.append(line(scale(p50), y, scale(p50), y + 18, stroke=INK, width=2.5))
        parts.append(text(right + 6, y + 14, short(shown, 40), size=11))
    return "".join(parts) + "</svg>"
