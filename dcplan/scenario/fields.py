"""Field types shared by the scenario and catalog schemas.

`Quantity("kW")` is a float field that also takes unit strings ("12 MW") and
checks their dimension; its JSON Schema says which unit a plain number is in.
Building blocks only: the models themselves are in schema.py and schema_catalog.py.
"""

from __future__ import annotations

import math
import typing
from typing import Annotated, Any, NamedTuple

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

Efficiency = Annotated[float, Quantity(""), Field(gt=0, le=1)]
"""A share above 0 and at most 1 that sizing divides by (an efficiency, a usable share of memory)."""


class Ceiling(NamedTuple):
    """The largest value a field takes, and why: a number above it is a slip, not a plan."""

    value: float
    why: str


CEILING_KEY = "x-ceiling"
"""Where a field's Ceiling.why is kept (its JSON Schema, next to `maximum`), for error messages and docs."""

# Solver-safe numbers: engines work to relative tolerances near 1e-9, so a coefficient or a bound far
# beyond these makes "feasible" and "optimal" meaningless (dcplan.model.linear refuses them too).
COEFFICIENT = Ceiling(1e12, "the largest coefficient a solver takes safely; no price or attribute in any "
                            "currency is that large")
ROW_BOUND = Ceiling(1e15, "the largest bound a solver takes safely")
WEIGHT = Ceiling(1e9, "a larger weight swamps every other term of the objective beyond the solver's tolerances")
# Physical and commercial ceilings: each well above anything real, so only a unit or digit slip reaches them.
SITE_POWER = Ceiling(1e8, "100 GW, more than any data-centre campus (the largest planned are a few GW)")
ITEM_POWER = Ceiling(1e4, "10 MW, far more than any rack or rack-mounted item draws (a 72-GPU rack draws ~130 kW)")
PART_POWER_W = Ceiling(1e4, "10 kW, far more than one accelerator or transceiver draws")
RACKS = Ceiling(10_000_000, "ten million rack positions, far more than any site holds")
RACK_UNITS = Ceiling(64, "the tallest standard racks are 58 U")
PUE = Ceiling(5.0, "the least efficient facilities reported run near 2.5")
ELECTRICITY_PRICE = Ceiling(1e5, "no tariff in any currency reaches 100,000 per kWh")
CARBON_INTENSITY = Ceiling(10.0, "coal, the dirtiest source, emits about 1 kg CO2e per kWh")
ENERGY_MWH = Ceiling(1e10, "10,000 TWh a year, a third of the world's electricity")
CARBON_T = Ceiling(1e11, "more than the world emits in a year")
FAILURE_RATE = Ceiling(100.0, "a failure every 3.6 days per unit is no real hardware")
MTTR_H = Ceiling(8760.0, "a repair that takes more than a year is a replacement")
HORIZON_Y = Ceiling(50.0, "no equipment is planned for more than 50 years")
TIME_LIMIT_S = Ceiling(1e6, "about 11.6 days of solving")
THREADS = Ceiling(256, "more solver threads than any machine here has cores")
DEADLINE_D = Ceiling(36525.0, "a century")
LATENCY_MS = Ceiling(3.6e6, "one token an hour is no service")
TOKENS = Ceiling(1e18, "a million times the largest training runs published (about 1.5e13 tokens)")
REQUESTS = Ceiling(1e9, "a billion requests per second, about ten thousand times all web search")
PROMPT_TOKENS = Ceiling(10_000_000, "ten times the longest context windows offered")
BATCH = Ceiling(100_000, "no serving engine decodes that many sequences in one step")
VCPUS_WORKLOAD = Ceiling(1_000_000_000, "a billion vCPUs, more than all public clouds together")
VCPUS_SERVER = Ceiling(10_000_000, "far more threads than any server has")
MEMORY_WORKLOAD_GB = Ceiling(1e10, "ten exabytes of RAM, more than exists")
MEMORY_SERVER_GB = Ceiling(1e6, "a petabyte of RAM in one server")
CAPACITY_WORKLOAD_TB = Ceiling(1e9, "a zettabyte, about all data stored on earth")
CAPACITY_NODE_TB = Ceiling(1e6, "an exabyte in one storage node")
THROUGHPUT_WORKLOAD = Ceiling(1e9, "an exabyte per second")
THROUGHPUT_NODE = Ceiling(1e6, "a petabyte per second from one node")
LINK_SPEED = Ceiling(1e6, "a petabit per second on one port")
PORTS = Ceiling(4096, "more ports than any switch or server has")
ACCELERATORS = Ceiling(4096, "more accelerators than any one server or rack-scale system holds")
FLOPS_T = Ceiling(1e7, "10 EFLOP/s from one accelerator")
HBM_GB = Ceiling(1e6, "a petabyte of memory on one accelerator")
HBM_BANDWIDTH = Ceiling(1e7, "10 PB/s from one accelerator's memory")
PARAMS = Ceiling(1e16, "ten thousand times the largest published models")
MODEL_SHAPE = Ceiling(100_000, "ten times any published transformer's dimension")
WIDTH = Ceiling(10_000_000, "a thousand times any published transformer's width")
KV_BYTES = Ceiling(1e12, "a terabyte of KV cache per token")
STATE_BYTES = Ceiling(1e3, "optimizer state of a kilobyte per parameter")
OVERSUBSCRIPTION = Ceiling(100.0, "a 100:1 leaf is no longer a fabric")
REPLICAS = Ceiling(10, "more full copies than any storage system keeps")


def describe(description: str, *, ceiling: Ceiling | None = None, **kwargs) -> Any:
    """A Field with a required one-line description (a test checks every field has one); `ceiling`
    sets `le` and keeps its reason for the error message and the docs."""
    if ceiling is not None:
        kwargs.update(at_most(ceiling))
    return Field(description=description, **kwargs)


def ceiling_of(field) -> Ceiling | None:
    """The Ceiling of a FieldInfo, also when it sits on a value type (`dict[str, Annotated[float, ...]]`)."""
    pending: list = [field, field.annotation]
    while pending:
        item = pending.pop()
        extra = getattr(item, "json_schema_extra", None)
        if isinstance(extra, dict) and CEILING_KEY in extra:
            return Ceiling(next(m.le for m in item.metadata if hasattr(m, "le")), extra[CEILING_KEY])
        pending.extend(getattr(item, "metadata", ()))
        pending.extend(typing.get_args(item))
    return None


def at_most(ceiling: Ceiling) -> dict:
    """Field keywords for `le` with its reason (also for Field()s inside Annotated, e.g. dict values)."""
    return {"le": ceiling.value, "json_schema_extra": {CEILING_KEY: ceiling.why}}
