"""An explanation as tables: the conflicting items and verified fixes of an infeasible scenario,
or the binding limits of a feasible one and what relaxing each is worth."""

from __future__ import annotations

from dcplan.report.text import cell, console as make_console, json_text


def render(result, fmt: str, *, color: bool = False, width: int | None = None) -> str:
    if fmt == "json":
        return json_text(result.to_dict())
    return render_table(result, color=color, width=width)


def render_table(result, *, color: bool = False, width: int | None = None) -> str:
    """Human tables: conflicts and fixes, or binding limits and their worth."""
    console = make_console(color, width)
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
    console.print(cell(f"{result.scenario} is infeasible: these items conflict ({proof})"))
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
    console.print(cell(f"{result.scenario} is feasible ({result.status}); objective {result.objective_name}{value}"))
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
    return [cell(text) for text in texts]


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"


def _shell(argument: str) -> str:
    """`sites.0.power=180 kW` → `sites.0.power="180 kW"`, ready to paste into a shell."""
    path, value = argument.split("=", 1)
    if any(ch in value for ch in " []{},*?$'\"\\"):
        return f'{path}="{value}"'
    return argument
