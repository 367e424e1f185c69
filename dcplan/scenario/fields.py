"""Field types shared by the scenario and catalog schemas.

`Quantity("kW")` is a float field that also takes unit strings ("12 MW") and
checks their dimension; its JSON Schema says which unit a plain number is in.
Building blocks only: the models themselves are in schema.py and schema_catalog.py.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic_core import PydanticCustomError, core_schema

from dcplan.scenario import units


class StrictModel(BaseModel):
    """Strict, frozen, no unknown keys: a typo is an error, not a silent default."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


class Quantity:
    """Annotation for a float field in `symbol` units that also accepts quantity strings."""

    def __init__(self, symbol: str):
        self.unit = units.unit(symbol)

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler):
        target = self.unit

        def convert(value: Any) -> float:
            try:
                return units.to_unit(value, target)
            except units.UnitError as err:
                raise PydanticCustomError("quantity", "{reason}", {"reason": str(err)}) from None

        return core_schema.no_info_before_validator_function(convert, handler(source))

    def __get_pydantic_json_schema__(self, schema, handler: GetJsonSchemaHandler):
        number = handler(schema)
        number.pop("type", None)
        if self.unit.dim == units.DIMENSIONLESS:
            alternatives = [{"type": "number"}, {"type": "string", "pattern": r"^\s*[-+]?[0-9.]+(e[-+]?[0-9]+)?\s*%\s*$"}]
        else:
            alternatives = [{"type": "number"}, {"type": "string", "pattern": r"^\s*[-+]?[0-9.]+([eE][-+]?[0-9]+)?\s*\S+"}]
        bounds = {k: number.pop(k) for k in list(number) if k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")}
        alternatives[0].update(bounds)
        return {**number, "anyOf": alternatives, "x-unit": self.unit.symbol}


def Q(symbol: str) -> Any:  # noqa: N802 - reads like a type in annotations
    """`power: Q("kW")` — a float in kW that also takes "12 MW"."""
    return Annotated[float, Quantity(symbol)]


def _integral_float_to_int(value: Any) -> Any:
    """`4e3` is a float in YAML 1.2 (and JSON), yet it spells the whole number 4000: take it as one.
    Fractions, infinities and floats beyond 64-bit integers stay floats, so the schema refuses them."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 2.0**63:
        return int(value)
    return value


Whole = Annotated[int, BeforeValidator(_integral_float_to_int)]
"""A whole number (count, tokens, ports) that also takes an integral float such as `4e3`."""


Fraction = Annotated[float, Quantity(""), Field(ge=0, le=1)]
"""A share between 0 and 1; also takes "40%"."""


def describe(description: str, **kwargs) -> Any:
    """A Field with a required one-line description (a test checks every field has one)."""
    return Field(description=description, **kwargs)
