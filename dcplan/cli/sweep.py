"""`dcplan sweep SCENARIO --vary PATH=VALUES ...`: one verified plan per combination (or draw), in parallel.

Also holds what `sweep` and `pareto` share: where the points run (--executor, -j, --address),
--plans, the progress line on stderr, and the exit code of a study.
"""

from __future__ import annotations

import enum
import sys
import time
from pathlib import Path
from typing import List, Optional

import typer

from dcplan.cli.app import (Format, FormatOption, GapOption, ObjectiveOption, OutputOption, QuietOption, SetOption,
                            SolverOption, ThreadsOption, TimeLimitOption, VerboseOption, color, emit, fail,
                            html_needs_a_file, interrupted, note, only, set_levels, solve_options, state)
from dcplan.diagnostics import ExitCode
from dcplan.vocab import Engine


class ExecutorName(str, enum.Enum):
    local = "local"
    ray = "ray"


STUDY_FORMATS = (Format.table, Format.json, Format.csv, Format.html)
ExecutorOption = typer.Option(ExecutorName.local, "--executor", case_sensitive=False,
                              help="Where the points run: local worker processes, or tasks on a Ray cluster.")
JobsOption = typer.Option(None, "--jobs", "-j", metavar="N", min=1, max=1024,
                          help="Local worker processes (default: this machine's cores).")
AddressOption = typer.Option(None, "--address", metavar="HOST:PORT",
                             help="The Ray cluster to run on (default: RAY_ADDRESS).")
PlansOption = typer.Option(None, "--plans", metavar="DIR", help="Keep every point's plan JSON in DIR.")


def sweep(
    scenario: Path = typer.Argument(..., help="Scenario file.", metavar="SCENARIO"),
    vary: List[str] = typer.Option(..., "--vary", metavar="PATH=VALUES",
                                   help="Values of one scenario value (the --set addressing): a,b,c; A..B:N; or "
                                        "with --samples normal(m,sd), uniform(a,b), triangular(a,mode,b), "
                                        "lognormal(median,sigma). Repeatable: the cross product."),
    samples: Optional[int] = typer.Option(None, "--samples", metavar="N", min=1,
                                          help="Draw N scenarios from the --vary distributions (Monte Carlo)."),
    seed: Optional[int] = typer.Option(None, "--seed", metavar="S", help="Seed of the draws (default 0)."),
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
    """Solve every combination of the varied values (or N random draws), in parallel; one row per point."""
    import dcplan
    from dcplan.report import sweep as sweep_report

    set_levels(quiet, verbose)
    only(fmt, STUDY_FORMATS, "sweep")
    html_needs_a_file(fmt, output)
    options = solve_options(objective, solver, None, gap, threads)
    study = study_options(executor, jobs, address, time_limit, plans)
    with study_errors(scenario):
        result = dcplan.sweep(scenario, vary, overrides=set_ or (), samples=samples, seed=seed, options=options,
                              study=study, on_progress=progress_printer(), on_point=_point_printer(vary))
    document = result.to_dict()
    emit(sweep_report.render(document, fmt.value, color=output == "-" and fmt is Format.table and color(sys.stdout)),
         output)
    raise typer.Exit(study_exit_code([p["status"] for p in document["points"]]))


def study_options(executor: ExecutorName, jobs, address, time_limit, plans):
    import dcplan

    return dcplan.StudyOptions(executor=executor.value, jobs=jobs, address=address, time_limit=time_limit,
                               plans=str(plans) if plans else None)


class study_errors:  # noqa: N801 - used as `with study_errors(path):`
    """Bad input → its message (and diagnostics) and exit 2; Ctrl-C → exit 130 with nothing written."""

    def __init__(self, scenario: Path):
        self.scenario = scenario

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        import dcplan

        if kind is None:
            return False
        if issubclass(kind, (dcplan.Interrupted, KeyboardInterrupt)):
            interrupted()
        if issubclass(kind, dcplan.InvalidStudy):
            fail(f"dcplan: {error}\n" + dcplan.render_diagnostics(error.diagnostics, color=color(sys.stderr)),
                 ExitCode.INVALID_INPUT)
        if issubclass(kind, dcplan.StudyInputError):
            fail(f"dcplan: {error}", ExitCode.INVALID_INPUT)
        return False


def study_exit_code(statuses: list[str]) -> int:
    """0 when any point has a plan; else 1 if a point is infeasible, 3 otherwise (every point stopped/failed)."""
    if any(s in ("optimal", "feasible") for s in statuses):
        return ExitCode.OK
    return ExitCode.INFEASIBLE if "infeasible" in statuses else ExitCode.NO_SOLUTION


def progress_printer():
    """The study's progress on stderr: one line rewritten in place on a terminal, else a line at most
    every PROGRESS_EVERY seconds and at the end; nothing with --quiet."""
    if state["quiet"]:
        return None
    terminal = sys.stderr.isatty()
    last = {"at": 0.0, "done": -1}

    def show(snapshot) -> None:
        now = time.monotonic()
        if not snapshot.finished and (now - last["at"] < (0.2 if terminal else PROGRESS_EVERY)
                                      or (not terminal and snapshot.done == last["done"])):
            return
        last.update(at=now, done=snapshot.done)
        if terminal:
            sys.stderr.write("\r\033[K" + snapshot.line() + ("\n" if snapshot.finished else ""))
        else:
            sys.stderr.write(snapshot.line() + "\n")
        sys.stderr.flush()

    return show


PROGRESS_EVERY = 2.0


def _point_printer(vary: list[str]):
    """With --verbose, a line per finished point."""
    if not state["verbose"] or state["quiet"]:
        return None

    def show(index, row) -> None:
        total = (row.get("totals") or {}).get("tco")
        figure = f", tco {total:,.0f}" if total is not None else f": {row.get('reason')}"
        note(f"point {index}: {row['status']}{figure} ({row.get('seconds') or 0:.1f} s)")

    return show
