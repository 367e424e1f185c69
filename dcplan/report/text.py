"""Text that its readers read back as written: CSV, Markdown, YAML, JSON numbers and terminal tables.

Scenario names, descriptions and catalog text are data. Every renderer goes through these helpers so a
name can never split a CSV row, break a Markdown table, turn into a number in YAML, run as a formula in
a spreadsheet, send escape codes to a terminal, or vanish as rich markup.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys

from dcplan.diagnostics import printable
from dcplan.plan.objects import PLAN_DIGITS as JSON_DIGITS, tidy_numbers  # noqa: F401 - one rounding everywhere

DEFAULT_WIDTH = 160
"""Columns of a table written to a file or a pipe (no terminal to measure), unless COLUMNS says otherwise."""
MIN_WIDTH = 40

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


# --------------------------------------------------------------------------- CSV


def safe_cell(value) -> object:
    """A cell a spreadsheet will not run as a formula (= + - @, and tab or CR that hide one): a leading '.
    A plain number (`-5`, `1e3`) stays as it is: it is no formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def csv_text(header, rows) -> str:
    """RFC 4180 fields, one row per line ending in \\n. A field with a bare CR is quoted like one with a
    newline (Python's writer only quotes the characters of its line terminator, so it is run per row with
    CRLF and the terminator swapped afterwards); text cells are neutralised against formulas."""
    lines = []
    for row in (header, *rows):
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\r\n").writerow([safe_cell(cell) for cell in row])
        lines.append(buffer.getvalue()[:-2])
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- Markdown


def md_cell(value) -> str:
    """A Markdown table cell: one line, its pipes and backslashes escaped, and no HTML a rendered comment
    (GitHub, GitLab) would obey: `<` and `>` become entities."""
    text = "" if value is None else str(value)
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return " ".join(text.splitlines()) if ("\n" in text or "\r" in text) else text


# --------------------------------------------------------------------------- terminals


def terminal_safe(text: str) -> str:
    """Control characters (ESC, BEL, ...) shown as escapes instead of reaching the terminal; newlines stay."""
    return printable(str(text))


def cell(text) -> object:
    """A rich table cell that is plain text: `[name=x]` is data, not markup, and control bytes are shown."""
    from rich.text import Text

    return Text(terminal_safe("" if text is None else str(text)))


def table_width() -> int:
    """Columns to render tables at: COLUMNS, else the terminal's, else DEFAULT_WIDTH (a file or a pipe)."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.stdout.fileno()).columns if sys.stdout.isatty() else 0
        except (OSError, ValueError, AttributeError):
            columns = 0
    return max(MIN_WIDTH, columns or DEFAULT_WIDTH)


def console(color: bool, width: int | None = None):
    """A rich Console that renders into a string at `width` columns (table_width() by default)."""
    from rich.console import Console

    return Console(file=io.StringIO(), force_terminal=color, no_color=not color, width=width or table_width(),
                   highlight=False, markup=False, emoji=False)


# --------------------------------------------------------------------------- JSON and YAML


def json_text(data) -> str:
    import json

    return json.dumps(tidy_numbers(data), indent=2, allow_nan=False)


def yaml_text(data) -> str:
    """YAML whose strings a YAML 1.2 reader reads back as written: `1e3`, `0o17`, `.inf` or `null` as a
    name are quoted (PyYAML writes by YAML 1.1 rules, where those are plain strings), and text with line
    breaks or control characters is double-quoted with escapes (PyYAML mangles NEL and LS otherwise)."""
    import yaml

    from dcplan.scenario.loader import resolve_plain_scalar

    class Dumper(yaml.SafeDumper):
        pass

    def string(dumper, value: str):
        if not value.isprintable():  # line breaks (also NEL, LS, PS), tabs, controls: escaped in double quotes
            style = '"'
        elif value and not isinstance(resolve_plain_scalar(value), str):
            style = "'"
        else:
            style = None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, string)
    return yaml.dump(tidy_numbers(data), Dumper=Dumper, sort_keys=False, allow_unicode=True)
