"""`dcplan check SCENARIO...`: solve each file and fail on infeasibility, broken `assert` entries or
growth against a baseline plan; a CI gate with table, JSON and JUnit reports.

Registers itself on the `dcplan` app when dcplan.cli imports it; the work
(dcplan.check, the loader and the solver) is imported lazily.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .cli import OutputOption, QuietOption, SetOption, _color, _emit, _levels, _note, _progress, _state, app
from .diagnostics import ExitCode


class CheckFormat(str, enum.Enum):
    table = "table"
    json = "json"
    junit = "junit"


@app.command()
def check(
    files: List[Path] = typer.Argument(..., help="Scenario files to check.", metavar="SCENARIO...",
                                       show_default=False),
    fmt: CheckFormat = typer.Option(CheckFormat.table, "--format", "-f", case_sensitive=False,
                                    help="Report format: table, json or junit (JUnit XML for CI)."),
    output: str = OutputOption,
    set_: Optional[List[str]] = SetOption,
    baseline: Optional[Path] = typer.Option(
        None, "--baseline", metavar="PLAN.json",
        help="Plan JSON (`dcplan solve --format json`, or `dcplan check --format json`) to compare with."),
    max_increase: Optional[str] = typer.Option(
        None, "--max-increase", metavar="SHARE",
        help="Allowed growth of capex, TCO, facility power and carbon over --baseline: 5% or 0.05 (default 0)."),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", min=0.001,
                                               help="Seconds before the solver stops, per file."),
    quiet: bool = QuietOption,
) -> None:
    """Solve each scenario; exit 1 if any is infeasible or breaks an `assert` entry or the baseline threshold."""
    from . import api
    from . import check as check_module
    from .diagnostics import render_human

    _levels(quiet, False)
    plans, threshold = _baseline_or_exit(check_module, baseline, max_increase)
    options = api.SolveOptions(time_limit=time_limit)
    results = []
    for path in files:
        try:
            with _progress(f"checking {path.name}"):
                result = check_module.check_file(path, set_ or (), baseline=plans, max_increase=threshold,
                                                 options=options)
        except api.Interrupted:
            typer.echo("dcplan: interrupted; no output written", err=True)
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        results.append(result)
        _details(result, render_human)
    if fmt is CheckFormat.json:
        text = check_module.render_json(results)
    elif fmt is CheckFormat.junit:
        text = check_module.render_junit(results)
    else:
        text = check_module.render_table(results, color=output == "-" and _color(sys.stdout))
    _emit(text, output)
    passed = sum(r.outcome == "passed" for r in results)
    _note(f"{passed} of {len(results)} file(s) passed")
    raise typer.Exit(check_module.exit_code(results))


def _baseline_or_exit(check_module, baseline: Optional[Path], max_increase: Optional[str]):
    """Read the baseline and threshold once, before solving anything; a bad one is a usage error (exit 2)."""
    if max_increase is not None and baseline is None:
        raise typer.BadParameter("needs --baseline PLAN.json", param_hint="--max-increase")
    try:
        threshold = check_module.parse_increase(max_increase) if max_increase is not None else None
    except check_module.BaselineError as err:
        raise typer.BadParameter(str(err), param_hint="--max-increase") from None
    if baseline is None:
        return None, None
    try:
        return check_module.load_baseline(baseline), threshold
    except check_module.BaselineError as err:
        typer.echo(f"dcplan: {err}", err=True)
        raise typer.Exit(ExitCode.INVALID_INPUT) from None


def _details(result, render_human) -> None:
    """Why a file did not pass, on stderr (also with --quiet); notes and warnings unless quiet."""
    if result.outcome == "invalid":
        typer.echo(render_human(result.diagnostics, color=_color(sys.stderr)), err=True)
    elif result.outcome != "passed":
        typer.echo(f"{result.file}: {result.outcome}", err=True)
        for message in result.messages:
            typer.echo(f"  - {message}", err=True)
    for note in result.notes:
        _note(f"{result.file}: note: {note}")
    if _state["verbose"]:
        for warning in result.warnings:
            _note(f"{result.file}: warning: {warning}")
