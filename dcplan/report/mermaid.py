"""Mermaid charts for the Markdown outputs (pull-request comments).

GitHub and GitLab draw a ```mermaid block as a chart; any other viewer shows it
as code, which still reads, so Markdown stays plain text. Names are data: a
label loses the characters that would end its quotes, the block or the line.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(r'["`;#<>{}\[\]\\|\n\r]')
MAX_LABEL = 40


def label(value: object, limit: int = MAX_LABEL) -> str:
    """A name as a quoted Mermaid label's content: unsafe characters become `_`, long names are cut."""
    return _UNSAFE.sub("_", str(value))[:limit] or "_"


def pie(title: str, slices: list[tuple[str, float]]) -> list[str]:
    """A pie with its values shown (`showData`); nothing for fewer than two positive slices (says nothing)."""
    slices = [(name, value) for name, value in slices if value > 0]
    if len(slices) < 2:
        return []
    return ["```mermaid", f"pie showData title {label(title, 80)}",
            *(f'    "{label(name)}" : {value:.0f}' for name, value in slices), "```"]


def bars_with_line(title: str, names: list[str], bars: list[float], line: list[float], unit: str) -> list[str]:
    """An xychart of one bar per name with a line over them (e.g. use as bars, limit or before as a line).

    Mermaid's xychart cannot group two bar series side by side (they overlap), so the second
    series is a line. Its values must be zero or more: older renderers draw no negative bars."""
    if not names:
        return []
    axis = ", ".join(f'"{label(name)}"' for name in names)
    values = lambda xs: ", ".join(f"{max(x, 0.0):.1f}" for x in xs)  # noqa: E731 - a short local formatter
    return ["```mermaid", "xychart-beta", f'    title "{label(title, 80)}"', f"    x-axis [{axis}]",
            f'    y-axis "{label(unit)}"', f"    bar [{values(bars)}]", f"    line [{values(line)}]", "```"]
