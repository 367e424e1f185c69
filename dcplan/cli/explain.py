"""`dcplan explain SCENARIO`: the conflicting items of an infeasible scenario and the smallest change
that fixes it, or the binding limits of a feasible one and what relaxing each is worth."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from dcplan.cli.app import (Format, FormatOption, check_output, OutputOption, QuietOption, SetOption, color, emit, fail,
                            interrupted, note, only, progress, set_levels, GapOption, ObjectiveOption, SolverOption, SolverLogOption, ThreadsOption, TimeLimitOption, VerboseOption, solve_options)
from dcplan.diagnostics import ExitCode
from dcplan.vocab import Engine


def explain(
    scenario: Path = typer.Argument(..., help="Scenario file.", metavar="SCENARIO"),
    fmt: Format = FormatOption,
    output: str = OutputOption,
    set_: Optional[List[str]] = SetOption,
    objective: Optional[str] = ObjectiveOption,
    solver: Optional[Engine] = SolverOption,
    time_limit: Optional[float] = TimeLimitOption,
    gap: Optional[float] = GapOption,
    threads: Optional[int] = ThreadsOption,
    solver_log: Optional[Path] = SolverLogOption,
    step: float = typer.Option(10.0, "--step", min=0.001, max=1000.0,
                               help="Feasible scenarios: relax each binding limit by this percentage."),
    quiet: bool = QuietOption,
    verbose: bool = VerboseOption,
) -> None:
    """Why a scenario is infeasible (conflicting items, smallest fix), or which limits bind and their worth."""
    import dcplan
    from dcplan.report import explain as explain_report

    set_levels(quiet, verbose)
    check_output(output, [scenario])
    only(fmt, (Format.table, Format.json), "explain")
    options = solve_options(objective, solver, time_limit, gap, threads, solver_log)
    try:
        with progress(f"explaining {scenario.name}"):
            result = dcplan.explain_file(scenario, tuple(set_ or ()), step=step / 100.0, options=options)
    except dcplan.InvalidScenario as err:
        fail(dcplan.render_diagnostics(err.diagnostics, color=color(sys.stderr)) if err.diagnostics
             else f"dcplan: {err}", ExitCode.INVALID_INPUT)
    except dcplan.ExplainTimeout as err:
        fail(f"dcplan: {scenario}: {err}", ExitCode.NO_SOLUTION)
    except dcplan.Interrupted:
        interrupted()
    emit(explain_report.render(result, fmt.value, color=output == "-" and fmt is Format.table and color(sys.stdout)),
         output)
    for warning in result.warnings:
        note(f"warning: {warning}")
