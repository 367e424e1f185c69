"""`dcplan schema` and `dcplan init`: the scenario format as JSON Schema, and a starter scenario."""

from __future__ import annotations

from pathlib import Path

import typer

from dcplan.cli.app import OutputOption, check_output, emit, fail, note
from dcplan.diagnostics import ExitCode


def schema(output: str = OutputOption) -> None:
    """Print the JSON Schema (draft 2020-12) of the scenario format."""
    import json

    import dcplan

    check_output(output)
    emit(json.dumps(dcplan.scenario_json_schema(), indent=2), output)


def init(
    path: Path = typer.Argument(Path("scenario.yaml"), help="Where to write the starter scenario."),
    force: bool = typer.Option(False, "--force", metavar="", help="Overwrite an existing file."),
) -> None:
    """Write a commented starter scenario that validates and solves as is."""
    import dcplan
    from dcplan.atomic import write_atomic

    if path.exists() and not force:
        fail(f"dcplan: {path} exists; use --force to overwrite it", ExitCode.INVALID_INPUT)
    try:
        write_atomic(path, dcplan.starter_scenario())
    except OSError as err:
        fail(f"dcplan: cannot write {path}: {err.strerror}", ExitCode.INVALID_INPUT)
    note(f"wrote {path}; next: dcplan validate {path}")
