"""The typer application and what every command shares: formats, options, output and messages.

Thin on purpose: a command parses its options, makes one call of the library
surface (`import dcplan`), hands the result to a renderer (dcplan.report) and
sets the exit code. Heavy modules are imported inside the commands, so
`dcplan --help` starts fast and `dcplan validate` never imports a solver.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path

import typer

from dcplan.diagnostics import ExitCode

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
    html = "html"


state = {"debug": False, "quiet": False, "verbose": False}

FormatOption = typer.Option(Format.table, "--format", "-f", help="Output format.", case_sensitive=False)
OutputOption = typer.Option("-", "--output", "-o", metavar="FILE", help="Write to FILE (atomically) instead of stdout ('-').")
SetOption = typer.Option(None, "--set", metavar="PATH=VALUE", help="Override a scenario value: PATH=VALUE (repeatable).")
QuietOption = typer.Option(False, "--quiet", "-q", help="Only errors on stderr.")
VerboseOption = typer.Option(False, "--verbose", "-v", help="More detail (sizing requirements, all constraints).")

# The solving options, the same on every command that solves (solve, check, explain, diff).
ObjectiveOption = typer.Option(None, "--objective", metavar="NAME|NAME=W,...",
                               help="Override the objective: tco, capex, energy, carbon or power, or weights "
                                    "such as tco=1,carbon=80.")
SolverOption = typer.Option(None, "--solver", case_sensitive=False, help="Override the engine (solver.engine).")
TimeLimitOption = typer.Option(None, "--time-limit", metavar="SECONDS", min=0.001,
                               help="Seconds for the command's work after loading (solver.time_limit).")
GapOption = typer.Option(None, "--gap", metavar="SHARE", min=0.0, max=1.0,
                         help="Accept a plan proven within this relative gap (solver.gap).")
ThreadsOption = typer.Option(None, "--threads", metavar="N", min=0, max=256,
                             help="Solver threads; 0 = all cores (solver.threads).")
SolverLogOption = typer.Option(None, "--solver-log", metavar="FILE",
                               help="Write the engines' own output to FILE (engines are silent otherwise; "
                                    "--verbose shows it on stderr).")


def set_levels(quiet: bool, verbose: bool) -> None:
    """--quiet/--verbose work before or after the command name."""
    state["quiet"] = state["quiet"] or quiet
    state["verbose"] = state["verbose"] or verbose


@app.callback()
def _global(
    debug: bool = typer.Option(False, "--debug", help="Show Python tracebacks for internal errors."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Only errors on stderr."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="More detail on stderr."),
) -> None:
    state.update(debug=debug, quiet=quiet, verbose=verbose)


def emit(text: str, output: str = "-") -> None:
    """Data goes to stdout or, atomically, to a file."""
    from dcplan.atomic import write_atomic

    if output == "-":
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        sys.stdout.flush()
        return
    try:
        write_atomic(Path(output), text if text.endswith("\n") else text + "\n")
    except OSError as err:
        typer.echo(f"dcplan: cannot write {output}: {err.strerror or err}", err=True)
        raise typer.Exit(ExitCode.INVALID_INPUT) from None


def note(message: str) -> None:
    """A message for people, on stderr, unless --quiet."""
    if not state["quiet"]:
        typer.echo(message, err=True)


def fail(message: str, code: int) -> None:
    """An error on stderr (always, also with --quiet), then exit with `code`."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def interrupted() -> None:
    """Ctrl-C during the work: say so once, write nothing, exit 130."""
    state["interrupt_reported"] = True
    fail("dcplan: interrupted; no output written", ExitCode.INTERRUPTED)


def progress(message: str):
    """A spinner on stderr while the engine works, only when stderr is a terminal."""
    import contextlib

    if state["quiet"] or not sys.stderr.isatty():
        return contextlib.nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(message)


def color(stream) -> bool:
    import os

    return stream.isatty() and "NO_COLOR" not in os.environ


def only(fmt: Format, allowed: tuple[Format, ...], command: str) -> None:
    if fmt not in allowed:
        raise typer.BadParameter(f"`{command}` supports --format {', '.join(f.value for f in allowed)}",
                                 param_hint="--format")


def html_needs_a_file(fmt: Format, output: str, param_hint: str = "--format") -> None:
    """An HTML report is a whole page, of no use printed on a terminal: ask for -o FILE before any work
    (a redirected or piped stdout is fine)."""
    if fmt is Format.html and output == "-" and sys.stdout.isatty():
        raise typer.BadParameter("an HTML report is a whole page: give -o FILE (or redirect stdout)",
                                 param_hint=param_hint)


def solve_options(objective, solver, time_limit, gap, threads, solver_log=None, **extra):
    """dcplan.SolveOptions from the shared solving options; a bad --objective is a usage error."""
    import dcplan
    from dcplan.vocab import parse_objective

    try:
        parsed = None if objective is None else parse_objective(objective)
    except ValueError as err:
        raise typer.BadParameter(str(err), param_hint="--objective") from None
    return dcplan.SolveOptions(engine=solver and solver.value, time_limit=time_limit, gap=gap, threads=threads,
                               objective=parsed, engine_log=engine_log(solver_log), **extra)


def engine_log(path: Path | None):
    """Where the engines' lines go: FILE (--solver-log), and stderr with --verbose (never with --quiet)."""
    handle = None
    if path is not None:
        try:
            handle = open(path, "w", encoding="utf-8", buffering=1)  # line by line: nothing lost on a hard exit
        except OSError as err:
            fail(f"dcplan: cannot write {path}: {err.strerror or err}", ExitCode.INVALID_INPUT)

    def line(text: str) -> None:
        if handle is not None:
            handle.write(text.rstrip("\n") + "\n")
        if state["verbose"] and not state["quiet"]:
            typer.echo(text.rstrip("\n"), err=True)

    return line if handle is not None or state["verbose"] else None


def load_or_exit(path: Path, overrides) -> object:
    """The validated scenario, or its diagnostics on stderr and exit 2."""
    import dcplan

    result = dcplan.load_scenario(path, overrides or ())
    if not result.ok:
        fail(dcplan.render_diagnostics(result.diagnostics, color=color(sys.stderr)), ExitCode.INVALID_INPUT)
    return result.scenario
