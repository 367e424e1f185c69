"""`dcplan catalog list|show`: the hardware catalog in effect (built-in plus a scenario's own)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from dcplan.cli.app import Format, FormatOption, OutputOption, check_output, color, emit, fail, load_or_exit, only
from dcplan.diagnostics import ExitCode


def _catalog_for(scenario_path: Optional[Path]):
    import dcplan

    if scenario_path is None:
        return dcplan.builtin_catalog()
    # Only the catalog is read: a scenario whose workloads could not be planned still has one.
    return dcplan.effective_catalog(load_or_exit(scenario_path, (), for_solving=False).catalog)


def catalog_default(ctx: typer.Context) -> None:
    """`dcplan catalog` alone lists the built-in catalog."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(catalog_list, scenario=None, category=None, fmt=Format.table, output="-")


def catalog_list(
    scenario: Optional[Path] = typer.Option(None, "--scenario", "-s", help="Merge this scenario's catalog."),
    category: Optional[str] = typer.Option(None, "--category", "-c",
                                           help="Only accelerators, servers, storage, switches or models."),
    fmt: Format = FormatOption,
    output: str = OutputOption,
) -> None:
    """List the catalog entries."""
    from dcplan.report import catalog as catalog_report

    only(fmt, (Format.table, Format.json, Format.csv, Format.markdown), "catalog list")
    check_output(output, [scenario] if scenario else [])
    cat = _catalog_for(scenario)
    try:
        rows = catalog_report.rows(cat, category)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--category") from None
    emit(catalog_report.render_rows(rows, fmt.value, color=output == "-" and color(sys.stdout)), output)


def catalog_show(
    item_id: str = typer.Argument(..., metavar="ID", help="Catalog id, e.g. h100-sxm-8."),
    scenario: Optional[Path] = typer.Option(None, "--scenario", "-s", help="Merge this scenario's catalog."),
    fmt: Format = FormatOption,
    output: str = OutputOption,
) -> None:
    """Show every field of one catalog entry."""
    from dcplan.report import catalog as catalog_report

    only(fmt, (Format.table, Format.json, Format.yaml), "catalog show")
    check_output(output, [scenario] if scenario else [])
    cat = _catalog_for(scenario)
    found = cat.find(item_id)
    if found is None:
        import difflib

        close = difflib.get_close_matches(item_id, sorted(cat.all_ids()), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        fail(f"dcplan: no catalog entry {item_id!r}{hint}", ExitCode.INVALID_INPUT)
    section, item = found
    emit(catalog_report.render_item(section, item, cat.origin.get(item_id, ""), fmt.value), output)
