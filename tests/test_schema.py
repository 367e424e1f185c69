"""The schema is the single source: descriptions, JSON Schema, docs tables and starter must agree with it.

JSON Schema (`dcplan schema`), docs/scenario-format.md and the
starter template all come from the pydantic models, and these tests fail when
they drift apart.
"""

from __future__ import annotations

import json
import typing
from pathlib import Path

import jsonschema
import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from dcplan.scenario import docgen
from dcplan.cli import app
from dcplan.scenario.fields import Quantity
from dcplan.scenario.json_schema import scenario_json_schema
from dcplan.scenario.loader import read_file
from dcplan.scenario.schema import Scenario
from dcplan.scenario.catalog_schema import CatalogFile

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
STARTER = ROOT / "dcplan" / "templates" / "starter.yaml"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


def _models(*roots: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """Every pydantic model reachable from `roots` through field annotations (independent of docgen)."""
    found: dict[str, type[BaseModel]] = {}
    stack: list = list(roots)
    while stack:
        annotation = stack.pop()
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation.__name__ not in found:
                found[annotation.__name__] = annotation
                stack.extend(f.annotation for f in annotation.model_fields.values())
        else:
            stack.extend(typing.get_args(annotation))
    return found


SCENARIO_MODELS = _models(Scenario)
ALL_MODELS = _models(Scenario, CatalogFile)
FIELDS = [(m, name) for m in sorted(ALL_MODELS) for name in ALL_MODELS[m].model_fields]


def _quantity_of(field) -> Quantity | None:
    """A field's Quantity marker, in its metadata or inside Optional[Annotated[float, Quantity]]."""
    stack = [*field.metadata, field.annotation]
    while stack:
        item = stack.pop()
        if isinstance(item, Quantity):
            return item
        stack.extend(typing.get_args(item))
    return None


def _find_key(node, key: str) -> list:
    if isinstance(node, dict):
        return ([node[key]] if key in node else []) + [v for x in node.values() for v in _find_key(x, key)]
    if isinstance(node, list):
        return [v for x in node for v in _find_key(x, key)]
    return []


@pytest.fixture(scope="module")
def cli_schema() -> dict:
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def validator(cli_schema) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(cli_schema)


# --------------------------------------------------------------------------- descriptions


def test_walk_reaches_the_expected_models():
    expected = {"Scenario", "Site", "TrainingWorkload", "InferenceWorkload", "CpuWorkload", "StorageWorkload",
                "Durability", "Policies", "NetworkPolicy", "RedundancyPolicy", "SecurityPolicy", "CostPolicy",
                "Limits", "SolverOptions", "CatalogSection", "GenericConstraint", "Accelerator", "AcceleratorRef",
                "Nics", "Server", "StorageNode", "Switch", "ModelSpec", "CatalogFile"}
    assert expected <= set(ALL_MODELS)


@pytest.mark.parametrize(("model", "field"), FIELDS, ids=[f"{m}.{f}" for m, f in FIELDS])
def test_every_field_has_a_description(model, field):
    description = ALL_MODELS[model].model_fields[field].description
    assert description and description.strip(), f"{model}.{field} has no description"


# --------------------------------------------------------------------------- JSON Schema


def test_schema_command_prints_valid_draft_2020_12(cli_schema):
    assert cli_schema["$schema"] == DRAFT_2020_12
    jsonschema.Draft202012Validator.check_schema(cli_schema)
    assert cli_schema == scenario_json_schema()


SCENARIO_PARAMS = [pytest.param(p, id=p.name) for p in SCENARIOS] or [
    pytest.param(None, id="none", marks=pytest.mark.skip(reason="scenarios/ has no *.yaml files yet"))]


@pytest.mark.parametrize("path", SCENARIO_PARAMS)
def test_schema_accepts_bundled_scenarios(validator, path):
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(read_file(path).data)]
    assert not errors, f"{path.name} fails the JSON Schema:\n" + "\n".join(errors)


def test_schema_accepts_starter_template(validator):
    if not STARTER.exists():
        pytest.skip("dcplan/templates/starter.yaml is not there yet")
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(read_file(STARTER).data)]
    assert not errors, "starter.yaml fails the JSON Schema:\n" + "\n".join(errors)


def test_schema_rejects_unknown_keys_and_missing_required(validator):
    good = {"dcplan": 1, "name": "x", "sites": [{"name": "a", "power": "1 MW", "racks": 1, "rack_power": 40}],
            "workloads": [{"name": "w", "type": "cpu", "vcpus": 8}]}
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "sitess": []})
    assert not validator.is_valid({k: v for k, v in good.items() if k != "sites"})
    assert not validator.is_valid({**good, "workloads": [{"name": "w", "type": "gpu", "vcpus": 8}]})


QUANTITY_FIELDS = [(m, name, q.unit.symbol) for m, model in sorted(SCENARIO_MODELS.items())
                   for name, field in model.model_fields.items() if (q := _quantity_of(field)) is not None]


def test_there_are_quantity_fields():
    symbols = {symbol for _, _, symbol in QUANTITY_FIELDS}
    assert {"kW", "GB", "GB/s", "TFLOP/s", "days", "ms"} <= symbols


@pytest.mark.parametrize(("model", "field", "symbol"), QUANTITY_FIELDS,
                         ids=[f"{m}.{f}" for m, f, _ in QUANTITY_FIELDS])
def test_quantity_properties_carry_x_unit(cli_schema, model, field, symbol):
    node = cli_schema if model == "Scenario" else cli_schema["$defs"][model]
    # A per-period field (one value, or a list of values per period) carries the unit on each form.
    units = _find_key(node["properties"][field], "x-unit")
    assert units and set(units) == {symbol}


def test_plain_fields_carry_no_x_unit(cli_schema):
    for model_name, model in SCENARIO_MODELS.items():
        node = cli_schema if model_name == "Scenario" else cli_schema["$defs"][model_name]
        for name, field in model.model_fields.items():
            if _quantity_of(field) is None:  # nested models are $refs, so their units are not inlined here
                assert not _find_key(node["properties"][name], "x-unit"), f"{model_name}.{name}"


def test_schema_bounds_use_standard_keywords(cli_schema):
    leaked = {k for k in ("ge", "le", "gt", "lt") if _find_key(cli_schema, k)}
    assert not leaked


# --------------------------------------------------------------------------- docs drift


def test_docs_cover_every_model_and_field():
    text = docgen.generate()
    for name, model in SCENARIO_MODELS.items():
        if name.startswith("Growing"):  # the {start, growth} form of per-period fields: one note in the intro
            assert "`{start: V, growth: R}`" in text
            continue
        assert f"\n## {name}\n" in text, f"docs/scenario-format.md has no table for {name}"
        section = text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
        for field_name in model.model_fields:
            assert f"| `{field_name}` |" in section, f"{name}.{field_name} missing from its table"


def test_docs_show_units_and_defaults():
    site = docgen.generate().split("\n## Site\n", 1)[1].split("\n## ", 1)[0]
    assert "| `power` | quantity, per period¹ | kW |  | yes |" in site
    assert "| `pue` | number |  | 1.3 | no |" in site


def test_docgen_is_deterministic():
    assert docgen.generate() == docgen.generate()


def test_scenario_format_doc_is_up_to_date():
    path = ROOT / "docs" / "scenario-format.md"
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    assert current == docgen.generate(), (
        "docs/scenario-format.md is out of date with dcplan/schema.py; run `python -m dcplan.scenario.docgen`")
