"""`dcplan report DOCUMENT`: a saved plan, diff, sweep or Pareto JSON as a self-contained HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from dcplan.cli.app import Format, OutputOption, emit, fail, html_needs_a_file
from dcplan.diagnostics import ExitCode


def report(
    document: Path = typer.Argument(..., metavar="DOCUMENT",
                                    help="JSON written by `dcplan solve`, `diff`, `sweep` or `pareto` with "
                                         "--format json."),
    output: str = OutputOption,
    explanation: Optional[Path] = typer.Option(None, "--explain", metavar="EXPLAIN_JSON",
                                               help="With a plan: `dcplan explain --format json` of the same "
                                                    "scenario, to show what relaxing each binding limit is worth."),
) -> None:
    """Render a saved plan, diff, sweep or Pareto JSON as one HTML file that opens offline."""
    from dcplan.report.html import PlanFileError, render_file

    html_needs_a_file(Format.html, output, "--output")
    try:
        page = render_file(document, explanation)
    except PlanFileError as err:
        fail(f"dcplan: {err}", ExitCode.INVALID_INPUT)
    emit(page, output)
