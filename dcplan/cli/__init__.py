"""The `dcplan` command line: a typer app (dcplan.cli.app), one thin module per command, and the
entry point (dcplan.cli.main) that registers them. Commands use only the library surface
(`import dcplan`) and the renderers of dcplan.report."""

from dcplan.cli.main import app, main

__all__ = ["app", "main"]
