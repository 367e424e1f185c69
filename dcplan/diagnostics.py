"""Diagnostics: every problem found in an input, with where it is and what was expected.

Problems are collected, never raised one at a time, so a user sees all the
mistakes in a file at once. Exit codes for all commands live here too.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from enum import IntEnum

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Control characters of user text (ESC, BEL, ...) shown as escapes, never sent to a terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class ExitCode(IntEnum):
    OK = 0
    INFEASIBLE = 1  # also: a `check` failed
    INVALID_INPUT = 2  # bad file, schema error, unknown option
    NO_SOLUTION = 3  # solver stopped (time limit, error) without a plan
    OUTPUT_FAILED = 74  # the output could not be written (disk full, closed pipe): sysexits' EX_IOERR
    INTERRUPTED = 130  # Ctrl-C (SIGINT)
    TERMINATED = 143  # SIGTERM, handled as Ctrl-C is


@dataclass(frozen=True)
class Diagnostic:
    """One problem. `path` is dotted (`workloads[2].deadline`); line/column are 1-based."""

    code: str
    message: str
    file: str = ""
    path: str = ""
    line: int | None = None
    column: int | None = None
    severity: str = "error"
    expected: str | None = None
    found: str | None = None
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def location(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def to_dict(self) -> dict:
        """code, severity, message, path, line, column and file always (null when unknown); the rest if set."""
        data = asdict(self)
        core = ("code", "severity", "message", "path", "line", "column", "file")
        return {**{k: data[k] for k in core}, **{k: v for k, v in data.items() if k not in core and v is not None}}


@dataclass
class DiagnosticList:
    """A growing list of diagnostics for one input."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def extend(self, diagnostics) -> None:
        self.items.extend(diagnostics)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.file, d.line or 0, d.column or 0, d.path, d.code))


def format_path(path: tuple) -> str:
    """('workloads', 2, 'deadline') → 'workloads[2].deadline'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def render_human(diagnostics: list[Diagnostic], color: bool = False) -> str:
    """Compiler-style lines: `file:line:col: error[code] path: message`."""
    lines = []
    for d in diagnostics:
        sev = d.severity
        if color:
            style = "31" if d.is_error else "33"
            sev = f"\x1b[1;{style}m{sev}\x1b[0m"
        where = f" {printable(d.path)}:" if d.path else ""
        lines.append(f"{printable(d.location())}: {sev}[{d.code}]{where} {printable(d.message)}")
        if d.hint:
            lines.append(f"    hint: {printable(d.hint)}")
    return "\n".join(lines)


def render_json(diagnostics: list[Diagnostic]) -> str:
    return json.dumps([d.to_dict() for d in diagnostics], indent=2)
