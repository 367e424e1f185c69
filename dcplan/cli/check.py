"""`dcplan check SCENARIO...`: solve each file and fail on infeasibility, broken `assert` entries or
growth against a baseline plan; a CI gate with table, JSON and JUnit reports."""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import List, Optional

import typer

from dcplan.cli.app import (LiveStatus, OutputOption, check_output, QuietOption, SetOption, color, emit, fail, interrupted, note, progress,
                            set_levels, state, GapOption, ObjectiveOption, SolverOption, SolverLogOption, ThreadsOption, TimeLimitOption, VerboseOption, solve_options)
from dcplan.diagnostics import ExitCode
from dcplan.vocab import Engine


class CheckFormat(str, enum.Enum):
    table = "table"
    json = "json"
    junit = "junit"


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
    allow_new: bool = typer.Option(False, "--allow-new", metavar="",
                                   help="Pass scenarios the --baseline has no plan of (new or renamed) instead of "
                                        "failing them."),
    objective: Optional[str] = ObjectiveOption,
    solver: Optional[Engine] = SolverOption,
    time_limit: Optional[float] = TimeLimitOption,
    gap: Optional[float] = GapOption,
    threads: Optional[int] = ThreadsOption,
    solver_log: Optional[Path] = SolverLogOption,
    quiet: bool = QuietOption,
    verbose: bool = VerboseOption,
) -> None:
    """Solve each scenario; exit 1 if any is infeasible or breaks an `assert` entry or the baseline threshold."""
    import dcplan
    from dcplan.report import check as check_report

    set_levels(quiet, verbose)
    check_output(output, [*files, *([baseline] if baseline else [])])
    options = solve_options(objective, solver, time_limit, gap, threads, solver_log)
    plans, threshold = _baseline_or_exit(baseline, max_increase, allow_new)
    results = []
    for path in files:
        try:
            live = LiveStatus(f"checking {path.name}")
            with progress(live.label, live):
                result = dcplan.check_file(path, set_ or (), baseline=plans, max_increase=threshold, options=options,
                                           allow_new=allow_new, on_status=live.update)
        except dcplan.Interrupted:
            interrupted()
        results.append(result)
        _details(result)
    if fmt is CheckFormat.json:
        text = check_report.render_json(results)
    elif fmt is CheckFormat.junit:
        text = check_report.render_junit(results)
    else:
        text = check_report.render_table(results, color=output == "-" and color(sys.stdout))
    emit(text, output)
    passed = sum(r.outcome == "passed" for r in results)
    note(f"{passed} of {len(results)} file(s) passed")
    raise typer.Exit(dcplan.check_exit_code(results))


def _baseline_or_exit(baseline: Optional[Path], max_increase: Optional[str], allow_new: bool):
    """Read the baseline and threshold once, before solving anything; a bad one is a usage error (exit 2)."""
    import dcplan

    if max_increase is not None and baseline is None:
        raise typer.BadParameter("needs --baseline PLAN.json", param_hint="--max-increase")
    if allow_new and baseline is None:
        raise typer.BadParameter("needs --baseline PLAN.json", param_hint="--allow-new")
    try:
        threshold = dcplan.parse_increase(max_increase) if max_increase is not None else None
    except dcplan.BaselineError as err:
        raise typer.BadParameter(str(err), param_hint="--max-increase") from None
    if baseline is None:
        return None, None
    try:
        return dcplan.load_baseline(baseline), threshold
    except dcplan.BaselineError as err:
        fail(f"dcplan: {err}", ExitCode.INVALID_INPUT)


def _details(result) -> None:
    """Why a file did not pass, on stderr (also with --quiet); notes and warnings unless quiet."""
    import dcplan

    if result.outcome == "invalid":
        typer.echo(dcplan.render_diagnostics(result.diagnostics, color=color(sys.stderr)), err=True)
    elif result.outcome != "passed":
        typer.echo(f"{result.file}: {result.outcome}", err=True)
        for message in result.messages:
            typer.echo(f"  - {message}", err=True)
    for message in result.notes:
        note(f"{result.file}: note: {message}")
    if state["verbose"]:
        for warning in result.warnings:
            note(f"{result.file}: warning: {warning}")
