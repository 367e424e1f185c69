"""Chart helpers that return one SVG string each: bars, stacked bars, limit bars and a waterfall.

Horizontal bars are used wherever categories carry user names (sites, items,
workloads): long names stay readable on the left instead of being rotated
under a column. Every mark carries a <title> so hovering shows the exact value.
Charts are drawn at the size they are shown (about half the page) and only
ever shrink, so their text stays the size of the page's small print.
"""

from __future__ import annotations

from dcplan.report.html.fmt import clean, compact, short
from dcplan.report.html.svg import BAD, GOOD, INK, MUTED, WARN, Scale, legend, line, nice_ticks, open_svg, rect, text

WIDTH = 560
ROW = 26  # pixels per bar row
CHAR = 6.6  # approximate width of one character at 12 px in a system sans-serif font
LABEL_CAP = 30  # characters of a row label before it is shortened


def _label_width(labels) -> float:
    longest = max((len(short(x, LABEL_CAP)) for x in labels), default=4)
    return min(max(50.0, longest * CHAR + 12), LABEL_CAP * CHAR + 12)


def x_axis(scale: Scale, ticks: list[float], top: float, bottom: float, fmt) -> str:
    """Vertical grid lines with tick labels under the plot."""
    parts = []
    for tick in ticks:
        x = scale(tick)
        parts.append(line(x, top, x, bottom, stroke=MUTED, extra=' class="grid"'))
        parts.append(text(x, bottom + 14, fmt(tick), anchor="middle", size=11))
    return "".join(parts)


def y_axis(scale: Scale, ticks, left: float, right: float, fmt) -> str:
    """Horizontal grid lines with tick labels left of the plot."""
    parts = []
    for tick in ticks:
        y = scale(tick)
        parts.append(line(left, y, right, y, stroke=MUTED, extra=' class="grid"'))
        parts.append(text(left - 6, y + 4, fmt(tick), anchor="end", size=11))
    return "".join(parts)


def hbars(name: str, title: str, rows: list[tuple[str, float, str]], fmt=compact,
          colours: dict[str, str] | None = None) -> str:
    """One bar per row: (label, value, tooltip); `colours` by row label (default: one blue)."""
    colours = colours or {}
    return stacked_hbars(name, title, [(label, [(label, value, tip)]) for label, value, tip in rows],
                         {label: colours.get(label, "#0072B2") for label, _, _ in rows}, fmt=fmt, show_legend=False)


def stacked_hbars(name: str, title: str, rows: list[tuple[str, list[tuple[str, float, str]]]],
                  colours: dict[str, str], fmt=compact, show_legend: bool = True, width: float = WIDTH) -> str:
    """Rows of segments (series, value, tooltip) stacked left to right, with the row total at the end."""
    if not rows:
        return ""
    label_w = _label_width([r[0] for r in rows])
    highs = [sum(v for _, v, _ in segs if v > 0) for _, segs in rows]
    lows = [sum(v for _, v, _ in segs if v < 0) for _, segs in rows]
    ticks = nice_ticks(min(0.0, min(lows)), max(highs) or 1.0, 4)
    value_w = max(len(fmt(sum(v for _, v, _ in segs))) for _, segs in rows) * 7.0 + 12
    plot_l, plot_r = label_w, width - max(value_w, 24)
    scale = Scale(ticks[0], ticks[-1], plot_l, plot_r)
    used = [k for k in colours if any(s == k for _, segs in rows for s, _, _ in segs)]
    legend_svg, legend_h = legend([(k, colours[k]) for k in used], plot_l, 4, plot_r - plot_l) \
        if show_legend else ("", 0)
    top = 8 + legend_h
    bottom = top + ROW * len(rows)
    parts = [open_svg(width, bottom + 24, name, title), legend_svg, x_axis(scale, ticks, top, bottom, fmt)]
    for i, (label, segs) in enumerate(rows):
        parts.append(_stack_row(scale, top + i * ROW + 4, label_w, label, segs, colours, fmt))
    parts.append(line(scale(0), top, scale(0), bottom, stroke=INK))
    return "".join(parts) + "</svg>"


def _stack_row(scale: Scale, y: float, label_w: float, label: str, segs, colours, fmt) -> str:
    parts = [text(label_w - 8, y + 13, label, anchor="end", limit=LABEL_CAP)]
    pos, neg = 0.0, 0.0
    for series, value, tip in segs:
        start = pos if value >= 0 else neg + value
        width = scale(start + abs(value)) - scale(start)
        parts.append(rect(scale(start), y, max(width, 1.0 if value else 0.0), ROW - 8, colours.get(series, INK),
                          tip=tip))
        pos, neg = (pos + value, neg) if value >= 0 else (pos, neg + value)
    parts.append(text(scale(pos) + 4, y + 13, fmt(sum(v for _, v, _ in segs)), size=11))
    return "".join(parts)


def limit_bars(name: str, title: str, rows: list[tuple[str, float, float | None, str, str]]) -> str:
    """Use against a limit: (label, used, limit, used text, limit text); the bar turns amber > 80 %, red > 100 %."""
    if not rows:
        return ""
    label_w = _label_width([r[0] for r in rows])
    note_w = max(len(f"{r[3]} / {r[4]} (100.0 %)") for r in rows) * 6.0 + 8
    plot_l, plot_r = label_w, max(WIDTH - note_w, label_w + 120)
    parts = [open_svg(plot_r + note_w, ROW * len(rows) + 12, name, title)]
    for i, (label, used, limit, used_text, limit_text) in enumerate(rows):
        y = 6 + i * ROW
        share = used / limit if limit else None
        tone = GOOD if share is None or share <= 0.8 else WARN if share <= 1.0 else BAD
        parts.append(text(label_w - 8, y + 14, label, anchor="end", limit=LABEL_CAP))
        parts.append(rect(plot_l, y + 3, plot_r - plot_l, ROW - 10, MUTED, tip=f"limit {limit_text}"))
        width = (plot_r - plot_l) * min(share, 1.0) if share is not None else 0.0
        if used and share is not None:
            width = max(width, 2.0)  # a small but non-zero use stays visible
        parts.append(rect(plot_l, y + 3, width, ROW - 10, tone, tip=f"{used_text} of {limit_text}"))
        pct = f" ({share * 100:.1f} %)" if share is not None else ""
        parts.append(text(plot_r + 6, y + 14, f"{used_text} / {limit_text}{pct}", size=11))
    return "".join(parts) + "</svg>"


def _waterfall_ticks(spans) -> list[float]:
    """Axis ticks; zoomed (not from zero) when the changes are small next to the totals, so steps stay visible."""
    ends = [e for _, _, e, _ in spans] + [s for _, s, _, kind in spans if kind != "total"]
    lo, hi = min(ends + [0.0]), max(ends + [0.0]) or 1.0
    inner = min(ends) if ends else 0.0
    if inner > 0 and hi - inner < 0.35 * hi:  # every bar would be mostly the same long stem
        zoomed = nice_ticks(inner - (hi - inner) * 0.25, hi, 4)
        if zoomed[0] > 0:
            return zoomed
    return nice_ticks(lo, hi, 4)


def waterfall(name: str, title: str, steps: list[tuple[str, float, str]], fmt=compact) -> str:
    """Horizontal waterfall: steps of kind 'total' (a bar from zero) or 'delta' (a floating bar).

    steps: (label, value, kind). Increases are red and decreases green, as
    costs are being shown (a saving is good news). When the axis is zoomed the
    total bars start at its left edge, and a line under the axis says so.
    """
    running, spans = 0.0, []
    for label, value, kind in steps:
        start, end = (0.0, value) if kind == "total" else (running, running + value)
        running = end
        spans.append((label, start, end, kind))
    ticks = _waterfall_ticks(spans)
    label_w = _label_width([s[0] for s in spans])
    scale = Scale(ticks[0], ticks[-1], label_w, WIDTH - 80)
    bottom = 8 + ROW * len(spans)
    zoomed = ticks[0] > 0
    parts = [open_svg(WIDTH, bottom + (40 if zoomed else 24), name, title), x_axis(scale, ticks, 8, bottom, fmt)]
    if zoomed:  # say so: a reader compares bar lengths
        parts.append(text(WIDTH - 80, bottom + 34, f"axis starts at {fmt(ticks[0])}, not 0", anchor="end", size=10,
                          extra=' font-style="italic"'))
    for i, (label, start, end, kind) in enumerate(spans):
        y = 12 + i * ROW
        fill = "#0072B2" if kind == "total" else BAD if end > start else GOOD
        lo, hi = sorted((scale(max(start, ticks[0])), scale(end)))
        shown = fmt(end) if kind == "total" else ("+" if end >= start else "\u2212") + fmt(abs(end - start))
        parts.append(text(label_w - 8, y + 13, label, anchor="end", limit=LABEL_CAP))
        parts.append(rect(lo, y, max(hi - lo, 1.5), ROW - 8, fill, tip=f"{clean(label)}: {shown}"))
        parts.append(text(hi + 4, y + 13, shown, size=11))
        if i + 1 < len(spans):  # connector to the next step's start
            parts.append(line(scale(end), y + ROW - 8, scale(end), y + ROW + 4, stroke=INK, width=0.6,
                              extra=' stroke-dasharray="2,2"'))
    return "".join(parts) + "</svg>"
