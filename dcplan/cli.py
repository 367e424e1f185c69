"""The `dcplan` command: parse options, call the library, render, set the exit code.

Thin on purpose: every command is one library call. Heavy modules (pydantic
models, solvers) are imported inside the commands, so `dcplan --help` starts
fast and `dcplan validate` never imports a solver.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .diagnostics import ExitCode

app = typer.Typer(
    name="dcplan",
    help="Capacity planner for AI data centres: size workloads, solve one mixed-integer model of "
         "the purchase, export the bill of materials. See `dcplan COMMAND --help`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
catalog_app = typer.Typer(help="The hardware catalog in effect (built-in plus a scenario's own).",
                          no_args_is_help=False, invoke_without_command=True)
app.add_typer(catalog_app, name="catalog")


class Format(str, enum.Enum):
    table = "table"
    json = "json"
    csv = "csv"
    yaml = "yaml"
    markdown = "markdown"


_state = {"debug": False, "quiet": False, "verbose": False}

FormatOption = typer.Option(Format.table, "--format", "-f", help="Output format.", case_sensitive=False)
OutputOption = typer.Option("-", "--output", "-o", help="Write to FILE (atomically) instead of stdout ('-').")
SetOption = typer.Option(None, "--set", help="Override a scenario value: PATH=VALUE (repeatable).")
QuietOption = typer.Option(False, "--quiet", "-q", help="Only errors on stderr.")
VerboseOption = typer.Option(False, "--verbose", "-v", help="More detail (sizing requirements, all constraints).")


def _levels(quiet: bool, verbose: bool) -> None:
    """--quiet/--verbose work before or after the command name."""
    _state["quiet"] = _state["quiet"] or quiet
    _state["verbose"] = _state["verbose"] or verbose


@app.callback()
def _global(
    debug: bool = typer.Option(False, "--debug", help="Show Python tracebacks for internal errors."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors on stderr."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="More detail on stderr."),
) -> None:
    _state.update(debug=debug, quiet=quiet, verbose=verbose)


def _emit(text: str, output: str = "-") -> None:
    """Data goes to stdout or, atomically, to a file."""
    from .atomic import write_atomic

    if output == "-":
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        sys.stdout.flush()
        return
    try:
        write_atomic(Path(output), text if text.endswith("\n") else text + "\n")
    except OSError as err:
        typer.echo(f"dcplan: cannot write {output}: {err.strerror or err}", err=True)
        raise typer.Exit(ExitCode.INVALID_INPUT) from None


def _note(message: str) -> None:
    if not _state["quiet"]:
        typer.echo(message, err=True)


def _progress(message: str):
    """A spinner on stderr while the engine works, only when stderr is a terminal."""
    import contextlib

    if _state["quiet"] or not sys.stderr.isatty():
        return contextlib.nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(message)


def _color(stream) -> bool:
    import os

    return stream.isatty() and "NO_COLOR" not in os.environ


def _only(fmt: Format, allowed: tuple[Format, ...], command: str) -> None:
    if fmt not in allowed:
        raise typer.BadParameter(f"`{command}` supports --format {', '.join(f.value for f in allowed)}",
                                 param_hint="--format")


@app.command()
def solve(
    scenario: Path = typer.Argument(..., help="Scenario file.", metavar="SCENARIO"),
    fmt: Format = FormatOption,
    output: str = OutputOption,
    set_: Optional[List[str]] = SetOption,
    objective: Optional[str] = typer.Option(None, "--objective",
                                            help="Override the objective: tco, capex, energy, carbon or power."),
    solver: Optional[str] = typer.Option(None, "--solver",
                                         help="Engine: auto, scip, cp-sat (OR-Tools), cbc or highs (PuLP)."),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", help="Seconds before the solver stops.",
                                               min=0.001),
    gap: Optional[float] = typer.Option(None, "--gap", help="Relative optimality gap to accept.", min=0.0, max=1.0),
    threads: Optional[int] = typer.Option(None, "--threads", help="Solver threads (0 = all cores).", min=0),
    save_model: Optional[Path] = typer.Option(None, "--save-model",
                                              help="Write the model to FILE before solving (LP; MPS for *.mps), "
                                                   "for bug reports."),
    quiet: bool = QuietOption,
    verbose: bool = VerboseOption,
) -> None:
    """Size, build and solve a scenario; print or export the verified plan."""
    from . import api, export

    _levels(quiet, verbose)
    if objective is not None and objective not in ("tco", "capex", "energy", "carbon", "power"):
        raise typer.BadParameter("expected tco, capex, energy, carbon or power", param_hint="--objective")
    if solver is not None and solver not in ("auto", "scip", "cp-sat", "cbc", "highs"):
        raise typer.BadParameter("expected auto, scip, cp-sat, cbc or highs", param_hint="--solver")
    loaded = _load_or_exit(scenario, set_)
    options = api.SolveOptions(engine=solver, time_limit=time_limit, gap=gap, threads=threads, objective=objective,
                               save_model=str(save_model) if save_model else None)
    try:
        with _progress(f"solving {scenario.name}"):
            plan = api.plan_scenario(loaded, options, on_progress=_note if _state["verbose"] else None)
    except api.Interrupted:
        typer.echo("dcplan: interrupted; no output written", err=True)
        _state["interrupt_reported"] = True
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except api.UnsafeInput as err:
        typer.echo(f"dcplan: {scenario}: {err}", err=True)
        raise typer.Exit(ExitCode.INVALID_INPUT) from None
    except OSError as err:  # --save-model could not be written
        typer.echo(f"dcplan: cannot write {err.filename or save_model}: {err.strerror or err}", err=True)
        raise typer.Exit(ExitCode.INVALID_INPUT) from None
    except api.NoPlan as no_plan:
        typer.echo(f"dcplan: {scenario}: {no_plan}", err=True)
        for warning in no_plan.plan_stub.get("warnings", []):
            typer.echo(f"  - {warning}", err=True)
        if fmt is Format.json:
            import json

            _emit(json.dumps(no_plan.plan_stub, indent=2), output)
        raise typer.Exit(ExitCode.INFEASIBLE if no_plan.status == "infeasible" else ExitCode.NO_SOLUTION) from None
    for warning in plan.warnings:
        _note(f"warning: {warning}")
    text = export.render(plan, fmt.value, verbose=_state["verbose"],
                         color=output == "-" and fmt is Format.table and _color(sys.stdout))
    _emit(text, output)


@app.command()
def validate(
    files: List[Path] = typer.Argument(..., help="Scenario files to check.", metavar="SCENARIO...", show_default=False),
    fmt: Format = FormatOption,
    output: str = OutputOption,
    set_: Optional[List[str]] = SetOption,
    quiet: bool = QuietOption,
) -> None:
    """Load and check scenario files without solving; exit 2 if any is invalid."""
    from .diagnostics import render_human, render_json
    from .scenario_file import load_scenario

    _levels(quiet, False)
    _only(fmt, (Format.table, Format.json), "validate")
    diagnostics = []
    failed = 0
    lines = []
    for path in files:
        result = load_scenario(path, set_ or ())
        diagnostics.extend(result.diagnostics)
        if result.ok:
            lines.append(f"ok {path}")
        else:
            failed += 1
        lines.append(render_human(result.diagnostics, color=output == "-" and _color(sys.stdout)))
    if fmt is Format.json:
        _emit(render_json(diagnostics), output)
    else:
        text = "\n".join(line for line in lines if line and not (_state["quiet"] and line.startswith("ok ")))
        _emit(text, output)
        _note(f"{len(files) - failed} of {len(files)} file(s) valid")
    raise typer.Exit(ExitCode.INVALID_INPUT if failed else ExitCode.OK)


def _load_or_exit(path: Path, overrides) -> object:
    from .diagnostics import render_human
    from .scenario_file import load_scenario

    result = load_scenario(path, overrides or ())
    if not result.ok:
        typer.echo(render_human(result.diagnostics, color=_color(sys.stderr)), err=True)
        raise typer.Exit(ExitCode.INVALID_INPUT)
    return result.scenario


def _catalog_for(scenario_path: Optional[Path]):
    from . import catalog

    if scenario_path is None:
        return catalog.builtin()
    scenario = _load_or_exit(scenario_path, ())
    return catalog.effective(scenario.catalog)


@catalog_app.callback()
def _catalog_default(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand is None:
        ctx.invoke(catalog_list, scenario=None, category=None, fmt=Format.table, output="-")


@catalog_app.command("list")
def catalog_list(
    scenario: Optional[Path] = typer.Option(None, "--scenario", "-s", help="Merge this scenario's catalog."),
    category: Optional[str] = typer.Option(None, "--category", "-c",
                                           help="Only accelerators, servers, storage, switches or models."),
    fmt: Format = FormatOption,
    output: str = OutputOption,
) -> None:
    """List the catalog entries."""
    from . import catalog_view

    _only(fmt, (Format.table, Format.json, Format.csv, Format.markdown), "catalog list")
    cat = _catalog_for(scenario)
    try:
        rows = catalog_view.rows(cat, category)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--category") from None
    _emit(catalog_view.render_rows(rows, fmt.value, color=output == "-" and _color(sys.stdout)), output)


@catalog_app.command("show")
def catalog_show(
    item_id: str = typer.Argument(..., metavar="ID", help="Catalog id, e.g. h100-sxm-8."),
    scenario: Optional[Path] = typer.Option(None, "--scenario", "-s", help="Merge this scenario's catalog."),
    fmt: Format = FormatOption,
    output: str = OutputOption,
) -> None:
    """Show every field of one catalog entry."""
    from . import catalog_view

    _only(fmt, (Format.table, Format.json, Format.yaml), "catalog show")
    cat = _catalog_for(scenario)
    found = cat.find(item_id)
    if found is None:
        import difflib

        close = difflib.get_close_matches(item_id, sorted(cat.all_ids()), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        typer.echo(f"dcplan: no catalog entry {item_id!r}{hint}", err=True)
        raise typer.Exit(ExitCode.INVALID_INPUT)
    section, item = found
    _emit(catalog_view.render_item(section, item, cat.origin.get(item_id, ""), fmt.value), output)


@app.command()
def schema(output: str = OutputOption) -> None:
    """Print the JSON Schema (draft 2020-12) of the scenario format."""
    import json

    from .json_schema import scenario_json_schema

    _emit(json.dumps(scenario_json_schema(), indent=2), output)


@app.command()
def init(
    path: Path = typer.Argument(Path("scenario.yaml"), help="Where to write the starter scenario."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Write a commented starter scenario that validates and solves as is."""
    from .atomic import write_atomic

    if path.exists() and not force:
        typer.echo(f"dcplan: {path} exists; use --force to overwrite it", err=True)
        raise typer.Exit(ExitCode.INVALID_INPUT)
    text = (Path(__file__).parent / "templates" / "starter.yaml").read_text(encoding="utf-8")
    try:
        write_atomic(path, text)
    except OSError as err:
        typer.echo(f"dcplan: cannot write {path}: {err.strerror}", err=True)
        raise typer.Exit(ExitCode.INVALID_INPUT) from None
    _note(f"wrote {path}; next: dcplan validate {path}")


# Commands that live in their own modules register themselves on `app` when imported.
# They import only typer and this module at start-up; their work is imported lazily.
# (one import line per command module below)
from . import cli_check  # noqa: E402,F401
from . import cli_explain  # noqa: E402,F401
from . import cli_diff  # noqa: E402,F401


def main() -> None:
    """Console entry point: no traceback unless --debug, exit codes per SPEC §1."""
    try:
        code = app(standalone_mode=False)
    except KeyboardInterrupt:
        typer.echo("dcplan: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except typer.Abort:
        typer.echo("dcplan: interrupted", err=True)
        sys.exit(ExitCode.INTERRUPTED)
    except Exception as err:  # noqa: BLE001 - last line of defence against tracebacks
        if hasattr(err, "show") and hasattr(err, "exit_code"):
            # A usage error from typer's (vendored) click: it knows how to explain itself.
            err.show()
            sys.exit(ExitCode.INVALID_INPUT)
        if _state["debug"] or "--debug" in sys.argv:
            raise
        typer.echo(f"dcplan: internal error: {type(err).__name__}: {err}\n"
                   "This is a bug in dcplan; run again with --debug for the traceback and report it.", err=True)
        sys.exit(70)
    if code == ExitCode.INTERRUPTED and not _state.get("interrupt_reported"):
        # typer turns a Ctrl-C outside the engine into a silent exit 130; say what happened.
        typer.echo("dcplan: interrupted; no output written", err=True)
    sys.exit(code if isinstance(code, int) else 0)
