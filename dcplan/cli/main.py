"""The console entry point: every command registered here, in the order `dcplan --help` lists them."""

from __future__ import annotations

import sys

import typer

from dcplan.cli import catalog, check, diff, explain, files, pareto, report, solve, sweep, validate
from dcplan.cli.app import app, catalog_app, state
from dcplan.diagnostics import ExitCode

app.command("solve")(solve.solve)
app.command("validate")(validate.validate)
app.command("check")(check.check)
app.command("explain")(explain.explain)
app.command("diff")(diff.diff)
app.command("report")(report.report)
app.command("sweep")(sweep.sweep)
app.command("pareto")(pareto.pareto)
catalog_app.callback()(catalog.catalog_default)
catalog_app.command("list")(catalog.catalog_list)
catalog_app.command("show")(catalog.catalog_show)
app.command("schema")(files.schema)
app.command("init")(files.init)


def main() -> None:
    """Console entry point: no traceback unless --debug; exit codes as docs/cli.md lists them."""
    try:
        code = app(standalone_mode=False)
    except (KeyboardInterrupt, typer.Abort):
        typer.echo("dcplan: interrupted", err=True)
        _exit(ExitCode.INTERRUPTED)
    except Exception as err:  # noqa: BLE001 - last line of defence against tracebacks
        if hasattr(err, "show") and hasattr(err, "exit_code"):
            # A usage error from typer's (vendored) click: it knows how to explain itself.
            err.show()
            sys.exit(ExitCode.INVALID_INPUT)
        if state["debug"] or "--debug" in sys.argv:
            raise
        typer.echo(f"dcplan: internal error: {type(err).__name__}: {err}\n"
                   "This is a bug in dcplan; run again with --debug for the traceback and report it.", err=True)
        _exit(70)
    if code == ExitCode.INTERRUPTED and not state.get("interrupt_reported"):
        # typer turns a Ctrl-C outside the engine into a silent exit 130; say what happened.
        typer.echo("dcplan: interrupted; no output written", err=True)
    _exit(code if isinstance(code, int) else 0)


def _exit(code: int) -> None:
    """Exit with `code`. While an engine thread still runs (interrupted, or left behind at the time limit),
    end the process at once after flushing the output: tearing down a running engine's C++ threads at
    interpreter exit can abort the process ("terminate called without an active exception")."""
    import os
    import threading

    if any(t.name.startswith("dcplan-engine") and t.is_alive() for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
