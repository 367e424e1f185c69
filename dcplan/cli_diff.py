"""`dcplan diff A B`: the difference of two plans (plan JSON files or scenarios).

Registers itself on the `dcplan` app when dcplan.cli imports it; the work
(dcplan.diff, and for scenarios the loader and solver) is imported lazily.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from .cli import (Format, FormatOption, OutputOption, QuietOption, SetOption, _color, _emit, _levels, _note, _only,
                  _progress, app)
from .diagnostics import ExitCode


@app.command()
def diff(
    a: Path = typer.Argument(..., metavar="A", help="Plan JSON (from `dcplan solve --format json`) or scenario file."),
    b: Path = typer.Argument(..., metavar="B", help="Plan JSON or scenario file to compare with A (B - A)."),
    fmt: Format = FormatOption,
    output: str = OutputOption,
    set_: Optional[List[str]] = SetOption,
    quiet: bool = QuietOption,
) -> None:
    """Compare two plans: BOM lines added, removed and changed; capex, TCO, power, energy and carbon deltas."""
    from . import diff as diff_module

    _levels(quiet, False)
    _only(fmt, (Format.table, Format.json, Format.markdown), "diff")
    inputs = _read_both(diff_module, (a, b), set_ or ())
    plans = []
    for given in inputs:
        if set_ and isinstance(given, diff_module.PlanInput):
            _note(f"warning: --set does not apply to {given.source}: it is a plan JSON, not a scenario")
        try:
            with _progress(f"solving {Path(given.source).name}"):
                plans.append(diff_module.plan_dict(given))
        except diff_module.Interrupted:
            typer.echo("dcplan: interrupted; no output written", err=True)
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except diff_module.Unplanned as err:
            _exit_unplanned(err)
    result = diff_module.diff_plans(plans[0], plans[1], labels=(str(a), str(b)))
    for warning in result.warnings:
        _note(f"warning: {warning}")
    _emit(diff_module.render(result, fmt.value, color=output == "-" and fmt is Format.table and _color(sys.stdout)),
          output)


def _read_both(diff_module, paths, overrides) -> list:
    """Check both inputs before solving either; report every invalid one (exit 2), then a plan-less one (1 or 3)."""
    from .diagnostics import render_human

    inputs, invalid, unplanned = [], False, None
    for path in paths:
        try:
            inputs.append(diff_module.read_input(path, overrides))
        except diff_module.DiffInputError as err:
            invalid = True
            typer.echo(render_human(err.diagnostics, color=_color(sys.stderr)) if err.diagnostics
                       else f"dcplan: {err}", err=True)
        except diff_module.Unplanned as err:
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
    raise typer.Exit(ExitCode.INFEASIBLE if err.status == "infeasible" else ExitCode.NO_SOLUTION) from None
