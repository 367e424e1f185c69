"""`dcplan diff A B`: compare two plans (plan JSON files, or scenarios solved first)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from dcplan.cli.app import (Format, FormatOption, GapOption, ObjectiveOption, OutputOption, QuietOption, SetOption,
                            SolverOption, SolverLogOption, ThreadsOption, TimeLimitOption, VerboseOption, check_output, color, emit,
                            html_needs_a_file, interrupted, note, only, progress, set_levels, solve_options)
from dcplan.diagnostics import ExitCode
from dcplan.vocab import Engine


def diff(
    a: Path = typer.Argument(..., metavar="A", help="Plan JSON (from `dcplan solve --format json`) or scenario file."),
    b: Path = typer.Argument(..., metavar="B", help="Plan JSON or scenario file to compare with A (B - A)."),
    fmt: Format = FormatOption,
    output: str = OutputOption,
    set_: Optional[List[str]] = SetOption,
    objective: Optional[str] = ObjectiveOption,
    solver: Optional[Engine] = SolverOption,
    time_limit: Optional[float] = TimeLimitOption,
    gap: Optional[float] = GapOption,
    threads: Optional[int] = ThreadsOption,
    solver_log: Optional[Path] = SolverLogOption,
    quiet: bool = QuietOption,
    verbose: bool = VerboseOption,
) -> None:
    """Compare two plans: BOM lines added, removed and changed; capex, TCO, power, energy and carbon deltas."""
    import dcplan
    from dcplan.report import diff as diff_report

    set_levels(quiet, verbose)
    check_output(output, [a, b])
    only(fmt, (Format.table, Format.json, Format.markdown, Format.html), "diff")
    html_needs_a_file(fmt, output)
    options = solve_options(objective, solver, time_limit, gap, threads, solver_log)
    inputs = _read_both((a, b), set_ or ())
    plans = []
    for given in inputs:
        if set_ and not hasattr(given, "scenario"):
            note(f"warning: --set does not apply to {given.source}: it is a plan JSON, not a scenario")
        try:
            with progress(f"solving {Path(given.source).name}"):
                plans.append(dcplan.plan_of_input(given, options))
        except dcplan.Interrupted:
            interrupted()
        except dcplan.Unplanned as err:
            _exit_unplanned(err)
    result = dcplan.diff_plans(plans[0], plans[1], labels=(str(a), str(b)))
    for warning in result.warnings:
        note(f"warning: {warning}")
    emit(diff_report.render(result, fmt.value, color=output == "-" and fmt is Format.table and color(sys.stdout)),
         output)


def _read_both(paths, overrides) -> list:
    """Check both inputs before solving either; report every invalid one (exit 2), then a plan-less one (1 or 3)."""
    import dcplan

    inputs, invalid, unplanned = [], False, None
    for path in paths:
        try:
            inputs.append(dcplan.read_diff_input(path, overrides))
        except dcplan.DiffInputError as err:
            invalid = True
            typer.echo(dcplan.render_diagnostics(err.diagnostics, color=color(sys.stderr)) if err.diagnostics
                       else f"dcplan: {err}", err=True)
        except dcplan.Unplanned as err:
            unplanned = unplanned or err
    if invalid:
        raise typer.Exit(ExitCode.INVALID_INPUT)
    if unplanned is not None:
        _exit_unplanned(unplanned)
    return inputs


def _exit_unplanned(err) -> None:
    typer.echo(f"dcplan: {err}", err=True)
    for warning in err.warnings:
        typer.echo(f"  - {warning}", err=True)
    raise typer.Exit(ExitCode.INFEASIBLE if err.status == "infeasible" else ExitCode.NO_SOLUTION)
