"""JSON Schema (draft 2020-12) of the scenario format, generated from schema.py.

Editors use it through yaml-language-server (the files in scenarios/ carry the
modeline); CI linters can use it too. Each quantity's unit is appended to its
description so hovering a field says what a plain number means.
"""

from __future__ import annotations

SCHEMA_ID = "https://dcplan.invalid/schema/scenario-1.json"


def scenario_json_schema() -> dict:
    from .schema import Scenario

    schema = Scenario.model_json_schema(mode="validation")
    _annotate_units(schema)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "dcplan scenario (format version 1)", **schema}


def _annotate_units(node) -> None:
    if isinstance(node, dict):
        unit = node.get("x-unit")
        if unit and "description" in node and "[" not in node["description"]:
            node["description"] = f"{node['description']} [number in {unit}, or a string with a unit]"
        for value in node.values():
            _annotate_units(value)
    elif isinstance(node, list):
        for value in node:
            _annotate_units(value)
