"""The console entry point: every command registered here, in the order `dcplan --help` lists them."""

from __future__ import annotations

import signal
import sys

import typer

from dcplan.cli import catalog, check, diff, explain, files, pareto, report, solve, sweep, validate
from dcplan.cli.app import app, catalog_app, interrupt_code, state
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


def _terminated(signum, frame) -> None:
    """SIGTERM (a CI job cancelled, `kill`) is handled as Ctrl-C is: the engine is stopped, its child
    processes and scratch files removed, nothing written; only the exit code differs (143)."""
    state["terminated"] = True
    raise KeyboardInterrupt


def main() -> None:
    """Console entry point: no traceback unless --debug; exit codes as docs/cli.md lists them."""
    signal.signal(signal.SIGTERM, _terminated)
    try:
        code = app(standalone_mode=False)
    except (KeyboardInterrupt, typer.Abort):
        if not state.get("interrupt_reported"):
            typer.echo("dcplan: interrupted; no output written", err=True)
        _exit_now(interrupt_code())
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
    if code in (ExitCode.INTERRUPTED, ExitCode.TERMINATED) and not state.get("interrupt_reported"):
        # typer turns a Ctrl-C outside the engine into a silent exit 130; say what happened.
        typer.echo("dcplan: interrupted; no output written", err=True)
    if code == ExitCode.INTERRUPTED and state.get("terminated"):
        code = ExitCode.TERMINATED
    if code in (ExitCode.INTERRUPTED, ExitCode.TERMINATED):
        _exit_now(code)
    _exit(code if isinstance(code, int) else 0)


def _exit(code: int) -> None:
    """Exit with `code` after a run that finished. An engine call abandoned at the time limit may still run
    on its daemon thread; tearing its C++ threads down at interpreter exit can abort the process
    ("terminate called without an active exception"), so then the process ends at once, output flushed
    (every output was written whole before this point)."""
    import os
    import threading

    if any(t.name.startswith("dcplan-engine") and t.is_alive() for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _exit_now(code: int) -> None:
    """End an interrupted run at once, output flushed. An engine told to stop may still be unwinding in
    its own C++ threads; tearing those down at interpreter exit can abort the process ("terminate called
    without an active exception", exit -6 instead of 130). So the threads get a few seconds to finish
    their own clean-up, and then the process ends without waiting longer (os._exit runs no C++ static
    destructor, so a thread still running cannot abort it). Engine threads are not waited for again: the
    engine call already had its second to stop (engines.run_watched, which also ends CBC's child
    process), and HiGHS and SCIP inside OR-Tools cannot be stopped at all; they would only delay the
    exit to their own time limit. Outputs are atomic: none was started."""
    import os
    import threading
    import time

    ends = time.monotonic() + 3.0
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.name.startswith("dcplan-engine"):
            thread.join(max(0.0, ends - time.monotonic()))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
