"""Quantity strings ("12 MW", "90 days", "400 Gb/s") → numbers in a field's unit.

Hand-written rather than pint: the grammar a scenario needs is small, and
`dcplan validate` must start fast (pint's registry alone takes longer to build
than validating a file). Every unit is a factor and a dimension over five base
quantities: joule, second, byte, FLOP and kilogram. Data sizes are decimal SI
(1 TB = 1e12 B) unless written with binary prefixes (TiB); bits are 1/8 byte.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# A dimension is a tuple of exponents over (J, s, B, FLOP, kg).
Dim = tuple[int, int, int, int, int]
DIMENSIONLESS: Dim = (0, 0, 0, 0, 0)
ENERGY: Dim = (1, 0, 0, 0, 0)
TIME: Dim = (0, 1, 0, 0, 0)
DATA: Dim = (0, 0, 1, 0, 0)
FLOP: Dim = (0, 0, 0, 1, 0)
MASS: Dim = (0, 0, 0, 0, 1)


def _div(a: Dim, b: Dim) -> Dim:
    return tuple(x - y for x, y in zip(a, b))  # type: ignore[return-value]


POWER = _div(ENERGY, TIME)
DATA_RATE = _div(DATA, TIME)
FLOP_RATE = _div(FLOP, TIME)
MASS_PER_ENERGY = _div(MASS, ENERGY)

DIMENSION_NAMES: dict[Dim, str] = {
    DIMENSIONLESS: "a plain number",
    ENERGY: "an energy",
    TIME: "a duration",
    DATA: "a data size",
    FLOP: "an amount of computation",
    MASS: "a mass",
    POWER: "a power",
    DATA_RATE: "a data rate",
    FLOP_RATE: "a compute rate",
    MASS_PER_ENERGY: "a carbon intensity",
}

_SI = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
_BINARY = {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50, "Ei": 2.0**60}

_HOUR = 3600.0
_DAY = 24 * _HOUR
_YEAR = 365.25 * _DAY


def _build_units() -> dict[str, tuple[float, Dim]]:
    units: dict[str, tuple[float, Dim]] = {}
    for prefix, factor in _SI.items():
        units[prefix + "W"] = (factor, POWER)
        units[prefix + "J"] = (factor, ENERGY)
        units[prefix + "Wh"] = (factor * _HOUR, ENERGY)
        units[prefix + "B"] = (factor, DATA)
        units[prefix + "b"] = (factor / 8, DATA)
        units[prefix + "bit"] = (factor / 8, DATA)
        units[prefix + "bps"] = (factor / 8, DATA_RATE)
        units[prefix + "FLOP"] = (factor, FLOP)
        units[prefix + "FLOPS"] = (factor, FLOP_RATE)
    for prefix, factor in _BINARY.items():
        units[prefix + "B"] = (factor, DATA)
        units[prefix + "b"] = (factor / 8, DATA)
        units[prefix + "bit"] = (factor / 8, DATA)
    for name in ("s", "sec", "secs", "second", "seconds"):
        units[name] = (1.0, TIME)
    for name in ("ms", "msec", "millisecond", "milliseconds"):
        units[name] = (1e-3, TIME)
    for name in ("us", "µs", "microsecond", "microseconds"):
        units[name] = (1e-6, TIME)
    for name in ("min", "mins", "minute", "minutes"):
        units[name] = (60.0, TIME)
    for name in ("h", "hr", "hrs", "hour", "hours"):
        units[name] = (_HOUR, TIME)
    for name in ("d", "day", "days"):
        units[name] = (_DAY, TIME)
    for name in ("wk", "week", "weeks"):
        units[name] = (7 * _DAY, TIME)
    for name in ("month", "months"):
        units[name] = (_YEAR / 12, TIME)
    for name in ("y", "yr", "yrs", "year", "years"):
        units[name] = (_YEAR, TIME)
    for suffix in ("", "CO2", "CO2e"):
        units["g" + suffix] = (1e-3, MASS)
        units["kg" + suffix] = (1.0, MASS)
        units["t" + suffix] = (1e3, MASS)
    return units


UNITS = _build_units()

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY_RE = re.compile(rf"^\s*({_NUMBER})\s*(.*?)\s*$")


class UnitError(ValueError):
    """A quantity string that cannot be read, or has the wrong dimension."""


@dataclass(frozen=True)
class Unit:
    """A field's unit: its symbol as documented, factor to base units, dimension."""

    symbol: str
    factor: float
    dim: Dim

    @property
    def dimension_name(self) -> str:
        return DIMENSION_NAMES.get(self.dim, "a quantity")


def parse_unit(text: str) -> tuple[float, Dim]:
    """`"kg/kWh"` → (factor, dimension). Accepts `a`, `a/b` and `a per b`."""
    text = text.strip().replace(" per ", "/")
    if not text:
        return 1.0, DIMENSIONLESS
    parts = [p.strip() for p in text.split("/")]
    if len(parts) > 2 or not all(parts):
        raise UnitError(f"unknown unit {text!r}")
    factor, dim = _simple_unit(parts[0])
    if len(parts) == 2:
        den_factor, den_dim = _simple_unit(parts[1])
        factor, dim = factor / den_factor, _div(dim, den_dim)
    return factor, dim


def _simple_unit(name: str) -> tuple[float, Dim]:
    if name in UNITS:
        return UNITS[name]
    raise UnitError(f"unknown unit {name!r}")


def unit(symbol: str) -> Unit:
    factor, dim = parse_unit(symbol)
    return Unit(symbol, factor, dim)


def to_unit(value: object, target: Unit) -> float:
    """Convert a YAML value (number or quantity string) to a float in `target`.

    Booleans are refused (YAML `true` is not a number), and so are NaN and
    infinities: a solver must never see them.
    """
    if isinstance(value, bool):
        raise UnitError(f"expected {_expectation(target)}, found a boolean")
    if isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:  # an int beyond the float range (only from Python callers; YAML reads those as inf)
            raise UnitError(f"expected a finite number, found an integer of {len(str(abs(value)))} digits") from None
    elif isinstance(value, str):
        number = _parse_quantity_string(value, target)
    else:
        raise UnitError(f"expected {_expectation(target)}, found {type_name(value)}")
    if not math.isfinite(number):
        raise UnitError(f"expected a finite number, found {value!r}")
    return number


def _parse_quantity_string(text: str, target: Unit) -> float:
    match = _QUANTITY_RE.match(text)
    if not match:
        raise UnitError(f"expected {_expectation(target)}, found {text!r}")
    number, unit_text = float(match.group(1)), match.group(2)
    if unit_text == "%" and target.dim == DIMENSIONLESS:
        return number / 100.0
    try:
        factor, dim = parse_unit(unit_text)
    except UnitError as err:
        raise UnitError(f"{err} in {text!r}; expected {_expectation(target)}") from None
    if dim != target.dim:
        found = DIMENSION_NAMES.get(dim, "a quantity of another kind")
        raise UnitError(f"expected {_expectation(target)}, found {text!r}, which is {found}")
    return number * factor / target.factor


def _expectation(target: Unit) -> str:
    if target.dim == DIMENSIONLESS:
        return "a number"
    return f"{target.dimension_name} (a number in {target.symbol}, or a string such as \"{_example(target)}\")"


def _example(target: Unit) -> str:
    examples = {POWER: "12 MW", TIME: "90 days", DATA: "5 PB", DATA_RATE: "400 Gb/s",
                FLOP_RATE: "989 TFLOP/s", ENERGY: "100 MWh", MASS: "5 t",
                MASS_PER_ENERGY: "0.35 kg/kWh", FLOP: "3.8e25 FLOP"}
    return examples.get(target.dim, f"1 {target.symbol}")


def type_name(value: object) -> str:
    """How a YAML value's type reads in a message."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__
