"""JSON Schema (draft 2020-12) of the scenario format, generated from schema.py.

Editors use it through yaml-language-server (the files in scenarios/ carry the
modeline); CI linters can use it too. Each quantity's unit is appended to its
description so hovering a field says what a plain number means.
"""

from __future__ import annotations

SCHEMA_ID = "https://dcplan.invalid/schema/scenario-1.json"


def scenario_json_schema() -> dict:
    from dcplan.scenario.schema import Scenario

    schema = Scenario.model_json_schema(mode="validation")
    _annotate_units(schema)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID,
            "title": "dcplan scenario (format version 1)", **schema}


_BOUND_KEYWORDS = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}


def _annotate_units(node) -> None:
    """Post-process pydantic's output so that standard validators and editors understand it.

    - pydantic leaves `ge`/`le`/`gt`/`lt` as non-standard keys on quantity fields
      (their validation runs before the number check): turn them into
      `minimum`/`maximum`/... on the numeric alternative, where they belong;
    - append "[number in kW, ...]" to a quantity's description, also when the
      unit sits one level down inside an optional field's `anyOf`.
    """
    if isinstance(node, list):
        for value in node:
            _annotate_units(value)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        _annotate_units(value)
    bounds = {_BOUND_KEYWORDS[k]: node.pop(k) for k in list(node) if k in _BOUND_KEYWORDS}
    if bounds:
        numeric = next((alt for alt in node.get("anyOf", []) if isinstance(alt, dict) and alt.get("type") == "number"),
                       node)
        numeric.update(bounds)
    unit = node.get("x-unit")
    if unit is None:
        unit = next((alt.get("x-unit") for alt in node.get("anyOf", []) if isinstance(alt, dict) and alt.get("x-unit")),
                    None)
    if unit and "description" in node and "[number in" not in node["description"]:
        node["description"] = f"{node['description']} [number in {unit}, or a string with a unit]"
