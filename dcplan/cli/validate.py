"""`dcplan validate SCENARIO...`: load and check files without solving (fast; no solver is imported)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from dcplan.cli.app import (Format, FormatOption, check_output, OutputOption, QuietOption, SetOption, color, emit, note, only,
                            set_levels, state)
from dcplan.diagnostics import ExitCode


def validate(
    files: List[Path] = typer.Argument(..., help="Scenario files to check.", metavar="SCENARIO...", show_default=False),
    fmt: Format = FormatOption,
    output: str = OutputOption,
    set_: Optional[List[str]] = SetOption,
    quiet: bool = QuietOption,
) -> None:
    """Load and check scenario files without solving; exit 2 if any is invalid."""
    import dcplan

    set_levels(quiet, False)
    check_output(output, files)
    only(fmt, (Format.table, Format.json), "validate")
    diagnostics = []
    failed = 0
    lines = []
    for path in files:
        result = dcplan.validate_scenario(path, set_ or ())
        diagnostics.extend(result.diagnostics)
        if result.ok:
            lines.append(f"ok {path}")
        else:
            failed += 1
        lines.append(dcplan.render_diagnostics(result.diagnostics, color=output == "-" and color(sys.stdout)))
    if fmt is Format.json:
        emit(dcplan.diagnostics_json(diagnostics), output)
    else:
        text = "\n".join(line for line in lines if line and not (state["quiet"] and line.startswith("ok ")))
        emit(text, output)
        note(f"{len(files) - failed} of {len(files)} file(s) valid")
    raise typer.Exit(ExitCode.INVALID_INPUT if failed else ExitCode.OK)
