"""The committed JSON Schema that editors read (docs/scenario.schema.json) matches
`dcplan schema`, and every bundled scenario's yaml-language-server modeline points at it."""

import json
from pathlib import Path

from dcplan.scenario.json_schema import scenario_json_schema

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "docs" / "scenario.schema.json"


def test_committed_schema_is_current():
    assert json.loads(SCHEMA_FILE.read_text()) == scenario_json_schema(), \
        "regenerate it: dcplan schema -o docs/scenario.schema.json"


def test_scenario_modelines_point_at_the_schema():
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path.name
        target = (path.parent / first.split("$schema=", 1)[1].strip()).resolve()
        assert target == SCHEMA_FILE.resolve(), path.name
