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


SCHEMA_NAME = "scenario.schema.json"
"""The file the starter's modeline (`# yaml-language-server: $schema=scenario.schema.json`) points at."""


def init(
    path: Path = typer.Argument(Path("scenario.yaml"), help="Where to write the starter scenario."),
    force: bool = typer.Option(False, "--force", metavar="", help="Overwrite an existing file."),
) -> None:
    """Write a commented starter scenario that validates and solves as is, and the JSON Schema its modeline
    points at beside it (for editor completion)."""
    import json

    import dcplan
    from dcplan.atomic import write_output

    if path.exists() and not force:
        fail(f"dcplan: {path} exists; use --force to overwrite it", ExitCode.INVALID_INPUT)
    schema = path.parent / SCHEMA_NAME
    schema_text = json.dumps(dcplan.scenario_json_schema(), indent=2) + "\n"
    try:
        write_output(path, dcplan.starter_scenario())
        if force or not schema.exists() or schema.read_text(encoding="utf-8") == schema_text:
            write_output(schema, schema_text)
        else:
            note(f"kept the existing {schema}; `dcplan schema -o {schema}` (or init --force) refreshes it")
    except OSError as err:
        fail(f"dcplan: cannot write {err.filename or path}: {err.strerror}", ExitCode.INVALID_INPUT)
    note(f"wrote {path} and its schema {schema}; next: dcplan validate {path}")
