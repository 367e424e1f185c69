"""An explanation as tables: the conflicting items and verified fixes of an infeasible scenario,
or the binding limits of a feasible one and what relaxing each is worth."""

from __future__ import annotations

import json


def render(result, fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        return json.dumps(result.to_dict(), indent=2)
    return render_table(result, color=color)


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
