"""Small SVG primitives: elements with escaped text, linear scales with round ticks, a colour palette.

Charts are plain SVG strings built here so the report needs no plotting
library and no script to draw: the browser shows them as soon as the file is
parsed, they print as vectors, and a test can count their shapes.
"""

from __future__ import annotations

import math

from dcplan.report.html.fmt import esc, short

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies
# and in grey-scale print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
           "#7F7F7F", "#8C564B")
CATEGORY_COLOURS = {"server": "#0072B2", "storage": "#E69F00", "switch": "#009E73", "optic": "#CC79A7",
                    "rack": "#7F7F7F", "other": "#8C564B"}
GOOD, WARN, BAD, MUTED, INK = "#009E73", "#E69F00", "#D55E00", "#d9dde3", "#1f2933"


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def category_colour(category: str, index: int = 0) -> str:
    return CATEGORY_COLOURS.get(category, colour(index + 4))


def f(value: float) -> str:
    """Coordinates with at most one decimal: keeps large charts small."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def open_svg(width: float, height: float, name: str, label: str) -> str:
    """Root element: scales with its container (viewBox) and is named for tests (data-chart)."""
    return (f'<svg class="chart" data-chart="{esc(name)}" viewBox="0 0 {f(width)} {f(height)}" '
            f'width="{f(width)}" height="{f(height)}" role="img" aria-label="{esc(label)}" '
            f'xmlns="http://www.w3.org/2000/svg"><title>{esc(label)}</title>')


def rect(x, y, w, h, fill, tip: str = "", extra: str = "") -> str:
    body = f"<title>{esc(tip)}</title>" if tip else ""
    return (f'<rect x="{f(x)}" y="{f(y)}" width="{f(max(w, 0))}" height="{f(max(h, 0))}" fill="{fill}"{extra}>'
            f"{body}</rect>")


def line(x1, y1, x2, y2, stroke=INK, width=1.0, extra: str = "") -> str:
    return (f'<line x1="{f(x1)}" y1="{f(y1)}" x2="{f(x2)}" y2="{f(y2)}" stroke="{stroke}" '
            f'stroke-width="{width}"{extra}/>')


def text(x, y, content, anchor: str = "start", size: int = 12, extra: str = "", limit: int = 0) -> str:
    """A label; with `limit` it is shortened and the full text kept as a tooltip."""
    shown = short(content, limit) if limit else content
    tip = f"<title>{esc(content)}</title>" if limit and shown != str(content) else ""
    return (f'<text x="{f(x)}" y="{f(y)}" text-anchor="{anchor}" font-size="{size}"{extra}>'
            f"{esc(shown)}{tip}</text>")


def circle(cx, cy, r, fill, tip: str = "", extra: str = "") -> str:
    body = f"<title>{esc(tip)}</title>" if tip else ""
    return f'<circle cx="{f(cx)}" cy="{f(cy)}" r="{f(r)}" fill="{fill}"{extra}>{body}</circle>'


def polyline(points: list[tuple[float, float]], stroke: str, width: float = 2.0, extra: str = "") -> str:
    coords = " ".join(f"{f(x)},{f(y)}" for x, y in points)
    return f'<polyline points="{coords}" fill="none" stroke="{stroke}" stroke-width="{width}"{extra}/>'


class Scale:
    """Linear map from a data domain to pixels."""

    def __init__(self, lo: float, hi: float, start: float, end: float):
        if hi == lo:  # a flat series still needs a drawable range
            lo, hi = (lo - 1, hi + 1) if lo else (0.0, 1.0)
        self.lo, self.hi, self.start, self.end = lo, hi, start, end

    def __call__(self, value: float) -> float:
        return self.start + (value - self.lo) / (self.hi - self.lo) * (self.end - self.start)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (1, 2, 2.5 or 5 × a power of ten)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi == lo:
        hi = lo + (abs(lo) or 1.0)
    raw = (hi - lo) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(lo / step + 1e-9) * step
    ticks = [first]
    while ticks[-1] < hi - step * 1e-9:  # the last tick is at or above hi: bars never outrun the axis
        ticks.append(round(first + step * len(ticks), 12))
    return ticks if len(ticks) > 1 else [first, first + step]


def legend(items: list[tuple[str, str]], x: float, y: float, width: float) -> tuple[str, float]:
    """Swatches with labels, wrapped to `width`; returns (svg, height used)."""
    parts, cx, cy = [], x, y
    for label, fill in items:
        shown = short(label, 28)
        w = 18 + 7 * len(shown) + 14
        if cx + w > x + width and cx > x:
            cx, cy = x, cy + 18
        parts.append(rect(cx, cy, 12, 12, fill, tip=label))
        parts.append(text(cx + 16, cy + 10, shown, size=11))
        cx += w
    return "".join(parts), (cy - y) + 18
