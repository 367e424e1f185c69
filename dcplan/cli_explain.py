"""`dcplan explain SCENARIO`: the conflicting items of an infeasible scenario and the smallest change
that fixes it, or the binding limits of a feasible one and what relaxing each is worth.

Registers itself on the `dcplan` app when cli.py imports it; the work is in dcplan/explain.py.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from .cli import Format, FormatOption, OutputOption, QuietOption, SetOption, _color, _emit, _levels, _note, _only, \
    _progress, app
from .diagnostics import ExitCode


@app.command()
def explain(
    scenario: Path = typer.Argument(..., help="Scenario file.", metavar="SCENARIO"),
    fmt: Format = FormatOption,
    output: str = OutputOption,
    set_: Optional[List[str]] = SetOption,
    time_limit: float = typer.Option(60.0, "--time-limit", min=0.1,
                                     help="Seconds for the whole explanation (all re-solves together)."),
    step: float = typer.Option(10.0, "--step", min=0.001, max=1000.0,
                               help="Feasible scenarios: relax each binding limit by this percentage."),
    quiet: bool = QuietOption,
) -> None:
    """Why a scenario is infeasible (conflicting items, smallest fix), or which limits bind and their worth."""
    import json

    from . import api, explain as explain_module
    from .diagnostics import render_human

    _levels(quiet, False)
    _only(fmt, (Format.table, Format.json), "explain")
    try:
        with _progress(f"explaining {scenario.name}"):
            result = explain_module.explain_file(scenario, tuple(set_ or ()), time_limit=time_limit,
                                                 step=step / 100.0)
    except explain_module.InvalidScenario as err:
        text = render_human(err.diagnostics, color=_color(sys.stderr)) if err.diagnostics else f"dcplan: {err}"
        typer.echo(text, err=True)
        raise typer.Exit(ExitCode.INVALID_INPUT) from None
    except explain_module.ExplainTimeout as err:
        typer.echo(f"dcplan: {scenario}: {err}", err=True)
        raise typer.Exit(ExitCode.NO_SOLUTION) from None
    except api.Interrupted:
        typer.echo("dcplan: interrupted; no output written", err=True)
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    if fmt is Format.json:
        _emit(json.dumps(result.to_dict(), indent=2), output)
    else:
        _emit(render_table(result, color=output == "-" and _color(sys.stdout)), output)
    for warning in result.warnings:
        _note(f"warning: {warning}")


def render_table(result, *, color: bool = False) -> str:
    """Human tables: conflicts and fixes, or binding limits and their worth."""
    import io

    from rich.console import Console

    console = Console(file=io.StringIO(), force_terminal=color, no_color=not color, width=140)
    if result.status == "infeasible":
        _infeasible_tables(console, result)
    else:
        _feasible_tables(console, result)
    return console.file.getvalue()


def _where(entry) -> str:
    if entry.line is None:
        return f"{entry.file} (--set)"
    return f"{entry.file}:{entry.line}:{entry.column}"


def _infeasible_tables(console, result) -> None:
    from rich.table import Table

    proof = "irreducible: dropping any one of them makes it feasible" if result.irreducible else \
        "small, not proven irreducible"
    console.print(f"{result.scenario} is infeasible: these items conflict ({proof})", markup=False,
                  highlight=False)
    table = Table(show_header=True, header_style="bold")
    for column in ("item", "path", "where", "requirement or limit"):
        table.add_column(column, overflow="fold", no_wrap=column == "where")
    for c in result.conflicts:
        table.add_row(*_cells(c.item, c.path, _where(c), c.description))
    console.print(table)
    if not result.suggestions:
        console.print("No single change restores feasibility (see the warnings).", markup=False, highlight=False)
        return
    table = Table(title="Smallest single changes (each re-solved with the change applied)", show_header=True,
                  header_style="bold")
    for column in ("change", "apply with", "verified"):
        table.add_column(column, overflow="fold", no_wrap=column == "apply with")
    for s in result.suggestions:
        table.add_row(*_cells(s.description, "--set " + _shell(s.set_argument),
                              "yes" if s.verified else "not in time"))
    console.print(table)


def _feasible_tables(console, result) -> None:
    from rich.table import Table

    value = "" if result.objective_value is None else f" = {_num(result.objective_value)}"
    console.print(f"{result.scenario} is feasible ({result.status}); objective {result.objective_name}{value}",
                  markup=False, highlight=False)
    if not result.binding:
        console.print("No limit binds: the requirements alone set the plan.", markup=False, highlight=False)
        return
    table = Table(title="Binding limits and what relaxing each is worth", show_header=True, header_style="bold")
    for column in ("limit", "where", "used / bound", "if relaxed", "apply with"):
        table.add_column(column, overflow="fold", no_wrap=column in ("where", "apply with"))
    for b in result.binding:
        table.add_row(*_cells(b.path, _where(b), f"{_num(b.value)} / {_num(b.limit)} {b.unit}".rstrip(),
                              b.description, "" if b.set_argument is None else "--set " + _shell(b.set_argument)))
    console.print(table)


def _cells(*texts: str) -> list:
    """Plain text cells: `[edge, core]` is data, not rich markup."""
    from rich.text import Text

    return [Text(text) for text in texts]


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"


def _shell(argument: str) -> str:
    """`sites.0.power=180 kW` → `sites.0.power="180 kW"`, ready to paste into a shell."""
    path, value = argument.split("=", 1)
    if any(ch in value for ch in " []{},*?$'\"\\"):
        return f'{path}="{value}"'
    return argument
