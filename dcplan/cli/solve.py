"""`dcplan solve SCENARIO`: size, build and solve; print or export the verified plan."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from dcplan.cli.app import (Format, FormatOption, LiveStatus, check_output, GapOption, ObjectiveOption, OutputOption, QuietOption, SetOption,
                            SolverOption, SolverLogOption, ThreadsOption, TimeLimitOption, VerboseOption, color, emit, fail,
                            html_needs_a_file, interrupted, load_for_solving, note, progress, set_levels, solve_options,
                            state)
from dcplan.diagnostics import ExitCode
from dcplan.vocab import Engine


def solve(
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
    save_model: Optional[Path] = typer.Option(None, "--save-model", metavar="FILE",
                                              help="Write the model to FILE before solving (LP; MPS for *.mps), "
                                                   "for bug reports."),
    quiet: bool = QuietOption,
    verbose: bool = VerboseOption,
) -> None:
    """Size, build and solve a scenario; print or export the verified plan."""
    import dcplan
    from dcplan.report import plan as plan_report

    set_levels(quiet, verbose)
    html_needs_a_file(fmt, output)
    check_output(output, [scenario])
    if save_model is not None:
        check_output(str(save_model), [scenario])
    options = solve_options(objective, solver, time_limit, gap, threads, solver_log,
                            save_model=str(save_model) if save_model else None)
    loaded, options, requirements = load_for_solving(scenario, set_, options)
    live = LiveStatus(f"solving {scenario.name}")
    try:
        with progress(live.label, live):
            plan = dcplan.plan_scenario(loaded, options, on_progress=note if state["verbose"] else None,
                                        on_status=live.update, requirements=requirements)
    except dcplan.Interrupted:
        interrupted()
    except dcplan.UnsafeInput as err:
        fail(f"dcplan: {scenario}: {err}", ExitCode.INVALID_INPUT)
    except OSError as err:  # --save-model could not be written
        fail(f"dcplan: cannot write {err.filename or save_model}: {err.strerror or err}", ExitCode.INVALID_INPUT)
    except dcplan.NoPlan as no_plan:
        _no_plan(scenario, no_plan, fmt, output)
    for warning in plan.warnings:
        note(f"warning: {warning}")
    text = plan_report.render(plan, fmt.value, verbose=state["verbose"],
                              color=output == "-" and fmt is Format.table and color(sys.stdout))
    emit(text, output)


def _no_plan(scenario: Path, no_plan, fmt: Format, output: str) -> None:
    """Infeasible (exit 1) or stopped without a plan (exit 3): why on stderr, the stub as JSON if asked."""
    typer.echo(f"dcplan: {scenario}: {no_plan}", err=True)
    for warning in no_plan.plan_stub.get("warnings", []):
        typer.echo(f"  - {warning}", err=True)
    if fmt is Format.json:
        from dcplan.report import plan as plan_report

        emit(plan_report.render_stub(no_plan.plan_stub), output)
    raise typer.Exit(ExitCode.INFEASIBLE if no_plan.status == "infeasible" else ExitCode.NO_SOLUTION)
