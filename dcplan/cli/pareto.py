"""`dcplan pareto SCENARIO --objectives A,B --points N`: the exact trade-off frontier, each point a verified plan."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from dcplan.cli.app import (Format, FormatOption, GapOption, ObjectiveOption, OutputOption, QuietOption, SetOption,
                            SolverOption, ThreadsOption, TimeLimitOption, VerboseOption, color, emit, fail, only,
                            html_needs_a_file, set_levels, solve_options)
from dcplan.cli.sweep import (STUDY_FORMATS, AddressOption, ExecutorName, ExecutorOption, JobsOption, PlansOption,
                              progress_printer, study_errors, study_options)
from dcplan.diagnostics import ExitCode
from dcplan.vocab import Engine


def pareto(
    scenario: Path = typer.Argument(..., help="Scenario file.", metavar="SCENARIO"),
    objectives: str = typer.Option("tco,carbon", "--objectives", metavar="A,B",
                                   help="The two objectives to trade off: tco, capex, energy, carbon or power."),
    points: int = typer.Option(10, "--points", metavar="N", min=2, max=1000,
                               help="Points of the frontier to find, both extremes included."),
    executor: ExecutorName = ExecutorOption,
    jobs: Optional[int] = JobsOption,
    address: Optional[str] = AddressOption,
    plans: Optional[Path] = PlansOption,
    fmt: Format = FormatOption,
    output: str = OutputOption,
    set_: Optional[List[str]] = SetOption,
    objective: Optional[str] = ObjectiveOption,
    solver: Optional[Engine] = SolverOption,
    time_limit: Optional[float] = TimeLimitOption,
    gap: Optional[float] = GapOption,
    threads: Optional[int] = ThreadsOption,
    quiet: bool = QuietOption,
    verbose: bool = VerboseOption,
) -> None:
    """The exact frontier between two objectives (epsilon-constraint), every point a verified plan."""
    import dcplan
    from dcplan.report import pareto as pareto_report

    set_levels(quiet, verbose)
    only(fmt, STUDY_FORMATS, "pareto")
    html_needs_a_file(fmt, output)
    options = solve_options(objective, solver, None, gap, threads)
    study = study_options(executor, jobs, address, time_limit, plans)
    try:
        with study_errors(scenario):
            frontier = dcplan.pareto(scenario, objectives, points, overrides=set_ or (), options=options, study=study,
                                     on_progress=progress_printer())
    except dcplan.NoFrontier as no_frontier:
        fail(f"dcplan: {scenario}: {no_frontier}",
             ExitCode.INFEASIBLE if no_frontier.status == "infeasible" else ExitCode.NO_SOLUTION)
    emit(pareto_report.render(frontier.to_dict(), fmt.value,
                              color=output == "-" and fmt is Format.table and color(sys.stdout)), output)
