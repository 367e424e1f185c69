"""Quantity strings → numbers in a field's unit (dcplan/units.py), per docs/scenario-format.md."""

from __future__ import annotations

import math

import pytest

from dcplan.scenario import units
from dcplan.scenario.units import UnitError, to_unit, unit


def q(value, symbol: str) -> float:
    return to_unit(value, unit(symbol))


@pytest.mark.parametrize("text, symbol, expected", [
    # data sizes: decimal SI unless written with binary prefixes
    ("1 TB", "B", 1e12),
    ("1 TiB", "B", 2**40),
    ("1 kB", "B", 1e3),
    ("1 KiB", "B", 1024),
    ("5 PB", "TB", 5000),
    ("16 TB", "GB", 16000),
    ("1 GiB", "GB", 2**30 / 1e9),
    ("1 Gb", "B", 1.25e8),  # bits are an eighth of a byte
    # rates
    ("400 Gb/s", "GB/s", 50),
    ("400 Gb/s", "Gb/s", 400),
    ("100 Gbps", "GB/s", 12.5),
    ("3.35 TB/s", "GB/s", 3350),
    ("989 TFLOP/s", "TFLOP/s", 989),
    ("1 PFLOPS", "TFLOP/s", 1000),
    # durations
    ("90 days", "days", 90),
    ("90 days", "s", 90 * 86400),
    ("50 ms", "ms", 50),
    ("50 ms", "s", 0.05),
    ("72 h", "h", 72),
    ("4 years", "years", 4),
    ("1 year", "days", 365.25),
    ("2 weeks", "days", 14),
    ("60 s", "s", 60),
    # power and energy
    ("12 MW", "kW", 12000),
    ("10.2 kW", "kW", 10.2),
    ("700 W", "kW", 0.7),
    ("1.5e3 W", "kW", 1.5),
    (".5 kW", "W", 500),
    ("1 kWh", "J", 3.6e6),
    ("100 MWh", "MWh", 100),
    # carbon
    ("0.35 kg/kWh", "kg/kWh", 0.35),
    ("350 g/kWh", "kg/kWh", 0.35),
    ("0.35 kg per kWh", "kg/kWh", 0.35),
    ("5 t", "kg", 5000),
    ("5 tCO2e", "t", 5),
    # fractions
    ("40%", "", 0.4),
    ("40 %", "", 0.4),
    ("150%", "", 1.5),  # range is the schema's job, not the parser's
    ("0.4", "", 0.4),
    # spacing and signs
    ("12MW", "kW", 12000),
    ("  12 MW  ", "kW", 12000),
    ("-12 MW", "kW", -12000),  # sign is the schema's job (gt=0)
    ("15e12 B", "TB", 15),
])
def test_quantity_strings(text, symbol, expected):
    assert q(text, symbol) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("value, symbol, expected", [
    (12, "kW", 12.0),
    (12.5, "MW", 12.5),
    (15e12, "", 15e12),
    (0, "kW", 0.0),
])
def test_plain_numbers_are_in_the_field_unit(value, symbol, expected):
    result = q(value, symbol)
    assert result == expected and isinstance(result, float)


def test_decimal_and_binary_prefixes_differ():
    assert q("1 TiB", "TB") == pytest.approx(1.099511627776)
    assert q("1 TB", "TiB") == pytest.approx(1e12 / 2**40)


@pytest.mark.parametrize("text, symbol, found", [
    ("12 MWh", "kW", "an energy"),
    ("90 days", "GB", "a duration"),
    ("5 PB", "s", "a data size"),
    ("400 Gb/s", "GB", "a data rate"),
    ("12 MW", "kg/kWh", "a power"),
    ("0.35 kg/kWh", "kW", "a carbon intensity"),
    ("12", "kW", "a plain number"),  # a string without a unit is not a power (pydantic lax mode trap)
])
def test_wrong_dimension_is_an_error(text, symbol, found):
    with pytest.raises(UnitError) as err:
        q(text, symbol)
    message = str(err.value)
    assert found in message
    assert repr(text) in message
    assert f"a number in {symbol}" in message  # says what was expected


@pytest.mark.parametrize("text", ["12 megawatts", "12 parsecs", "12 mW", "12 MW MW", "12 kg/kWh/h", "12 /s",
                                  "40%%"])
def test_unknown_units(text):
    with pytest.raises(UnitError, match="unknown unit"):
        q(text, "kW" if "/" not in text else "kg/kWh")


def test_percent_only_for_fractions():
    with pytest.raises(UnitError):
        q("40%", "kW")


@pytest.mark.parametrize("value", [True, False])
def test_booleans_are_refused(value):
    with pytest.raises(UnitError, match="boolean"):
        q(value, "kW")
    with pytest.raises(UnitError, match="boolean"):
        q(value, "")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "1e400 MW", "-1e400 W", 10**400])
def test_nan_and_infinity_are_refused(value):
    with pytest.raises(UnitError, match="finite"):
        q(value, "kW")


@pytest.mark.parametrize("value", ["nan MW", "inf MW", ".inf", "", "MW", "twelve MW", "1,000 MW", "1e MW"])
def test_unreadable_strings(value):
    with pytest.raises(UnitError):
        q(value, "kW")


@pytest.mark.parametrize("value, found", [(None, "nothing (null)"), ([12], "a list"), ({"MW": 12}, "a mapping")])
def test_other_types_are_refused(value, found):
    with pytest.raises(UnitError, match=found.replace("(", r"\(").replace(")", r"\)")):
        q(value, "kW")


def test_unit_error_is_a_value_error():
    assert issubclass(UnitError, ValueError)  # pydantic and callers may catch ValueError


def test_unit_objects():
    kw = unit("kW")
    assert kw.factor == 1e3 and kw.dim == units.POWER and kw.dimension_name == "a power"
    assert unit("kg/kWh").dim == units.MASS_PER_ENERGY
    assert unit("").dim == units.DIMENSIONLESS
    with pytest.raises(UnitError):
        unit("furlongs")


def test_expectation_message_gives_an_example():
    with pytest.raises(UnitError) as err:
        q("12 MWh", "kW")
    assert '"12 MW"' in str(err.value)
    with pytest.raises(UnitError) as err:
        q("1 kW", "days")
    assert '"90 days"' in str(err.value)
