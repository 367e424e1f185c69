"""The typer application and what every command shares: formats, options, output and messages.

Thin on purpose: a command parses its options, makes one call of the library
surface (`import dcplan`), hands the result to a renderer (dcplan.report) and
sets the exit code. Heavy modules are imported inside the commands, so
`dcplan --help` starts fast and `dcplan validate` never imports a solver.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
from pathlib import Path
from typing import Optional

import typer

from dcplan.diagnostics import ExitCode

app = typer.Typer(
    name="dcplan",
    help="Capacity planner for AI data centres: size workloads, solve one mixed-integer model of "
         "the purchase, export the bill of materials. See `dcplan COMMAND --help`.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for bash, zsh, fish and PowerShell
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
QuietOption = typer.Option(False, "--quiet", "-q", metavar="", help="Only errors on stderr.")
VerboseOption = typer.Option(False, "--verbose", "-v", metavar="",
                             help="More detail (sizing requirements, all constraints).")

# The solving options, the same on every command that solves (solve, check, explain, diff).
ObjectiveOption = typer.Option(None, "--objective", metavar="NAME|NAME=W,...",
                               help="Override the objective: tco, capex, energy, carbon or power, or weights "
                                    "such as tco=1,carbon=80.")
SolverOption = typer.Option(None, "--solver", case_sensitive=False, help="Override the engine (solver.engine).")
TimeLimitOption = typer.Option(None, "--time-limit", metavar="SECONDS", min=0.001, max=1e6,
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


def _print_version(value: bool) -> None:
    if value:
        import dcplan

        typer.echo(f"dcplan {dcplan.__version__}")
        raise typer.Exit()


@app.callback()
def _global(
    version: bool = typer.Option(False, "--version", metavar="", is_eager=True, callback=_print_version,
                                 help="Print dcplan's version and exit."),
    debug: bool = typer.Option(False, "--debug", metavar="", help="Show Python tracebacks for internal errors."),
    quiet: bool = typer.Option(False, "--quiet", "-q", metavar="", help="Only errors on stderr."),
    verbose: bool = typer.Option(False, "--verbose", "-v", metavar="", help="More detail on stderr."),
    solver_log: Optional[Path] = typer.Option(
        None, "--solver-log", metavar="FILE", dir_okay=False,
        help="Write the engines' own log (HiGHS, CBC, SCIP, CP-SAT) to FILE, for any command that solves."),
) -> None:
    state.update(debug=debug, quiet=quiet, verbose=verbose, solver_log=solver_log)


def emit(text: str, output: str = "-") -> None:
    """Data goes to stdout or to a file (dcplan.atomic.write_output: atomically, through links, streamed
    into FIFOs and devices). A failure is a message and an exit code, never a traceback: 2 when the path
    cannot be used (no such directory, permission), 74 when writing fails (disk full, closed pipe)."""
    import errno

    from dcplan.atomic import write_output

    text = text if text.endswith("\n") or not text else text + "\n"
    try:
        if output == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            write_output(output, text)
    except OSError as err:
        if output == "-":
            _silence_stdout()
        where = "stdout" if output == "-" else output
        failed = err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EPIPE, errno.EFBIG) or output == "-"
        fail(f"dcplan: cannot write {where}: {err.strerror or err}",
             ExitCode.OUTPUT_FAILED if failed else ExitCode.INVALID_INPUT)


def _silence_stdout() -> None:
    """After a failed write to stdout, point it at /dev/null: Python would otherwise fail again flushing the
    rest of its buffer at exit ("Exception ignored ... BrokenPipeError") and change the exit code."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def check_output(output: str, inputs=()) -> None:
    """Refuse, before any work, an output path that cannot be right: empty, or one of the input files
    (`-o` onto the scenario would replace it with the plan)."""
    import os

    if output == "":
        fail("dcplan: --output needs a file name ('-' for stdout)", ExitCode.INVALID_INPUT)
    if output == "-":
        return
    if os.path.isdir(output):
        fail(f"dcplan: cannot write {output}: is a directory", ExitCode.INVALID_INPUT)
    for given in inputs:
        try:
            same = str(given) != "-" and os.path.samefile(output, given)
        except OSError:  # either does not exist (yet): they cannot be the same file
            same = False
        if same:
            fail(f"dcplan: refusing to write the output to {output}: it is the input {given}", ExitCode.INVALID_INPUT)


def note(message: str) -> None:
    """A message for people, on stderr, unless --quiet (control characters shown, never sent to the terminal)."""
    from dcplan.diagnostics import printable

    if not state["quiet"]:
        typer.echo(printable(message), err=True)


def fail(message: str, code: int) -> None:
    """An error on stderr (always, also with --quiet), then exit with `code`."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


def interrupted() -> None:
    """Ctrl-C (or SIGTERM) during the work: say so once, write nothing, exit 130 (143)."""
    state["interrupt_reported"] = True
    fail("dcplan: interrupted; no output written", interrupt_code())


def interrupt_code() -> int:
    """130 for Ctrl-C, 143 when a SIGTERM stopped the work (main.py turns it into the same interrupt)."""
    return ExitCode.TERMINATED if state.get("terminated") else ExitCode.INTERRUPTED


def progress(message: str, live: "LiveStatus | None" = None):
    """A spinner on stderr while the engine works, only when stderr is a terminal; with `live`, its line
    follows the planning run (stage, time against the limit, incumbent, bound and gap)."""
    import contextlib

    if state["quiet"] or not sys.stderr.isatty():
        return contextlib.nullcontext()
    from rich.console import Console

    return Console(stderr=True).status(live if live is not None else message)


class LiveStatus:
    """The spinner's text, rendered afresh at every refresh so the elapsed time moves; `update` is the
    `on_status` hook of dcplan.plan_scenario."""

    def __init__(self, label: str):
        self.label, self.last = label, None

    def update(self, progress) -> None:
        self.last = progress

    def __rich__(self):
        import time

        from rich.text import Text

        from dcplan.report.plan import render_progress

        return Text(render_progress(self.label, self.last, time.perf_counter()))


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
    path = path if path is not None else state.get("solver_log")  # given before the command name
    if path is not None:
        try:
            handle = open(path, "w", encoding="utf-8", buffering=1)  # line by line: nothing lost on a hard exit
        except OSError as err:
            fail(f"dcplan: --solver-log: cannot write {path}: {err.strerror or err}", ExitCode.INVALID_INPUT)

    def line(text: str) -> None:
        if handle is not None:
            handle.write(text.rstrip("\n") + "\n")
        if state["verbose"] and not state["quiet"]:
            typer.echo(text.rstrip("\n"), err=True)

    return line if handle is not None or state["verbose"] else None


def load_or_exit(path: Path, overrides, *, for_solving: bool = True) -> object:
    """The validated scenario, or its diagnostics on stderr and exit 2. Commands that solve load through
    dcplan.validate_scenario, so they refuse exactly what `dcplan validate` refuses, at the same line."""
    import dcplan

    load = dcplan.validate_scenario if for_solving else dcplan.load_scenario
    return _valid_or_exit(load(path, overrides or ())).scenario


def _valid_or_exit(result):
    """The load result, or its diagnostics on stderr and exit 2."""
    import dcplan

    if not result.ok:
        fail(dcplan.render_diagnostics(result.diagnostics, color=color(sys.stderr)), ExitCode.INVALID_INPUT)
    return result


def load_for_solving(path: Path, overrides, options):
    """(the validated scenario, `options` with the time limit's clock started, what validating sized).

    The time limit covers everything after loading, and validating sizes every workload (the slow part
    of a large scenario): so the clock starts when loading ends, validation stops sizing when it runs
    out, and the solve reuses each requirement rather than sizing it again."""
    import dcplan

    result = _valid_or_exit(dcplan.validate_scenario(path, overrides or (), solving=True, time_limit=options.time_limit))
    return result.scenario, dataclasses.replace(options, started=result.loaded_at), result.requirements
