"""Build-outs over time: periods, per-period values, and a scenario seen in one period.

A scenario with `periods: {start, count, length}` plans several purchases, one per period.
Every site quantity and workload demand may then be one value (the same in each period), a
list with one value per period, or `{start: V, growth: R}` (V in the first period, compounding
R per year; whole-number fields round up). Without `periods` a scenario is one purchase and
each of those fields is one value, as before.

`in_period(scenario, i)` is the scenario as it stands in period i: every per-period value
replaced by the period's own, and training runs of other periods left out. Sizing and every
single-period rule work on it unchanged.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Annotated, Optional, Union

from pydantic import Discriminator, Field, Tag, create_model

from dcplan.scenario.fields import Ceiling, Q, Quantity, StrictModel, at_most, describe

MAX_PERIODS = 40
"""A build-out of more periods is refused: 40 years of yearly periods, or 10 of quarters."""


class Periods(StrictModel):
    """The periods of a build-out: labels start, start + length, ... (years)."""

    start: int = describe("Label (year) of the first period, e.g. 2027", ge=1900, le=2200)
    count: int = describe(f"Number of periods (1 to {MAX_PERIODS})", ge=1, le=MAX_PERIODS)
    length: Q("years") = describe("Length of one period; default 1 year", default=1.0, gt=0, le=10)

    @property
    def labels(self) -> list[str]:
        return [period_label(self.start + i * self.length) for i in range(self.count)]

    def years_from_start(self, index: int) -> float:
        """Years from the first period's start to period `index`'s start."""
        return index * self.length

    @property
    def end(self) -> float:
        """The year the last period ends (start + count × length)."""
        return self.start + self.count * self.length


def period_label(year: float) -> str:
    """2027 → "2027"; 2027.5 → "2027.5"."""
    return f"{year:g}"


def label_year(label) -> float | None:
    """The year a label or number stands for, or None if it is not one."""
    try:
        value = float(label)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


GrowthRate = Annotated[float, Quantity(""), Field(ge=-0.99, le=10.0)]
"""Yearly growth: 60% or 0.6; -99 % to +1,000 %."""


@lru_cache(maxsize=None)
def _growth_model(name: str, value_type, bounds: tuple, ceiling: Ceiling | None):
    item = Annotated[value_type, Field(**dict(bounds), **(at_most(ceiling) if ceiling else {}))]
    model = create_model(
        name, __base__=_Growth,
        start=(item, describe("Value in the first period")),
        growth=(GrowthRate, describe("Growth per year, compounding from the first period (60% or 0.6)")),
        __doc__="A value that grows by `growth` per year from `start` in the first period.")
    model._growth_args = (name, value_type, bounds, ceiling)
    return model


class _Growth(StrictModel):
    """Base of the growth models. They are made at run time, so pickle cannot find them by module and
    name in another process (a sweep's worker): an instance pickles as the arguments that make its
    model, which `_growth_value` makes again (or finds in its cache) in whatever process unpickles it."""

    def __reduce__(self):
        return _growth_value, (type(self)._growth_args, self.start, self.growth)


def _growth_value(args: tuple, start, growth):
    return _growth_model(*args)(start=start, growth=growth)


def period_kind(value) -> str:
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict) or hasattr(value, "growth"):
        return "growth"
    return "value"


def per_period(value_type, name: str, ceiling: Ceiling | None = None, **bounds):
    """A field type taking one value, a list with one value per period, or {start, growth}.

    `bounds` (gt, ge, ...) and `ceiling` (the largest sensible value, with its reason) hold for every
    value. `name` names the growth form in the JSON Schema.
    """
    item = Annotated[value_type, Field(**bounds, **(at_most(ceiling) if ceiling else {}))]
    growth = _growth_model(name, value_type, tuple(sorted(bounds.items())), ceiling)
    return Annotated[Union[Annotated[item, Tag("value")],
                           Annotated[list[item], Tag("list"), Field(min_length=1)],
                           Annotated[growth, Tag("growth")]],
                     Discriminator(period_kind)]


def is_scalar(value) -> bool:
    return period_kind(value) == "value"


def values(spec, periods: Optional[Periods], whole: bool = False) -> list:
    """The value of a per-period field in each period (one value without periods)."""
    count = periods.count if periods is not None else 1
    kind = period_kind(spec)
    if kind == "value":
        return [spec] * count
    if kind == "list":
        return list(spec)
    raw = [spec.start * (1.0 + spec.growth) ** (periods.years_from_start(i) if periods else 0.0)
           for i in range(count)]
    return [math.ceil(v - 1e-9) for v in raw] if whole else raw


SITE_PER_PERIOD = ("power", "racks", "rack_power", "electricity_price", "carbon_intensity")
"""Site quantities that may change from period to period."""
DEMAND_PER_PERIOD = ("requests_per_s", "vcpus", "memory", "capacity", "throughput")
"""Workload demands that may change from period to period."""
WHOLE = {"racks", "vcpus"}
"""Whole-number fields: a growth form rounds their values up."""

