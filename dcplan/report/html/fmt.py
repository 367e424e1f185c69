"""Text that reaches the page: escaping of everything that comes from a plan, and number formatting.

Every string in a plan may come from a user's scenario (site names, item ids,
workload names, descriptions), so nothing is written into HTML or SVG without
`esc`. Numbers get thousands separators and a unit chosen for the reader
(kW below 1 MW, MW above; money compacted only where space is short).
"""

from __future__ import annotations

import html
import math
import re

# C0/C1 control characters other than tab and newline: an ESC byte or a NUL in a
# name must not reach the page (some are invalid in HTML, and ESC sequences
# copied from a terminal are noise). They are shown as U+FFFD so a reader sees
# that something odd was in the name rather than silently losing it.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
MAX_LABEL = 40  # characters of a name drawn inside a chart before it is shortened

# Totals of a plan (docs/cli.md, the plan's `totals`) with a label and the kind of unit they carry.
TOTALS = {
    "capex": ("Capex", "money"),
    "opex_per_year": ("Opex per year", "money/yr"),
    "tco": ("TCO", "money"),
    "npv": ("NPV", "money"),
    "it_power_kw": ("IT power", "kW"),
    "facility_power_kw": ("Facility power", "kW"),
    "energy_mwh_per_year": ("Energy per year", "MWh/yr"),
    "carbon_t_per_year": ("Carbon per year", "tCO2e/yr"),
    "racks": ("Racks", "count"),
    "accelerators": ("Accelerators", "count"),
}
# Objective names (docs/scenario-format.md) mapped onto the total that measures them.
OBJECTIVE_TOTAL = {"tco": "tco", "capex": "capex", "energy": "energy_mwh_per_year",
                   "carbon": "carbon_t_per_year", "power": "facility_power_kw", "npv": "npv",
                   "opex": "opex_per_year"}


def clean(value) -> str:
    """Any value as printable text: control characters replaced, never None."""
    text = "" if value is None else str(value)
    return _CONTROL.sub("\ufffd", text)


def esc(value) -> str:
    """Text safe inside HTML/SVG element content and double- or single-quoted attributes."""
    return html.escape(clean(value), quote=True)


def short(value, limit: int = MAX_LABEL) -> str:
    """A name shortened for a chart label (the full name goes into a <title> tooltip)."""
    text = clean(value)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def number(value, decimals: int = 0) -> str:
    """1234567.8 -> '1,234,568'; None or non-finite -> '–'."""
    if not _finite(value):
        return "\u2013"
    if decimals == 0 and abs(value) < 10 and value != int(value):
        decimals = 1  # 0.4 racks should not print as 0
    text = f"{value:,.{decimals}f}"
    return "0" if text in ("-0", "-0.0") else text


def _finite(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float: not a number a plan can mean
        return False


def money(value, currency: str = "USD") -> str:
    """Full amount with separators: '4,929,250 USD'."""
    return f"{number(value)} {clean(currency)}".strip() if _finite(value) else "\u2013"


def compact(value, decimals: int = 3) -> str:
    """Short number for axes and chart labels: 4.93 M, 202.8 M, 1.2 k, 1.05 B."""
    if not _finite(value):
        return "\u2013"
    for factor, suffix in ((1e12, " T"), (1e9, " B"), (1e6, " M"), (1e3, " k")):
        if abs(value) >= factor:
            return f"{value / factor:.{decimals}g}{suffix}"
    return f"{value:.{decimals}g}" if value != int(value) else f"{int(value)}"


def power(kw) -> str:
    """Power in kW below 1 MW and MW above: '853.4 kW', '15.71 MW'."""
    if not _finite(kw):
        return "\u2013"
    if abs(kw) >= 1000:
        mw = kw / 1000
        return f"{mw:,.0f} MW" if mw == int(mw) else f"{mw:,.2f} MW"
    return f"{kw:,.0f} kW" if kw == int(kw) else f"{kw:,.1f} kW"


def quantity(value, unit: str, currency: str = "USD") -> str:
    """A total in the unit kind of TOTALS: money, kW, MWh/yr, tCO2e/yr or a plain count."""
    if unit == "money":
        return money(value, currency)
    if unit == "money/yr":
        return money(value, currency) + "/yr" if _finite(value) else "\u2013"
    if unit == "kW":
        return power(value)
    if unit == "MWh/yr":
        return f"{number(value)} MWh/yr" if _finite(value) else "\u2013"
    if unit == "tCO2e/yr":
        return f"{number(value)} t CO\u2082e/yr" if _finite(value) else "\u2013"
    return number(value)


def short_quantity(value, unit: str, currency: str = "USD") -> str:
    """Like quantity() but compact, for chart labels: '4.93 M USD', '15.71 MW'."""
    if not _finite(value):
        return "\u2013"
    if unit in ("money", "money/yr"):
        return f"{compact(value)} {clean(currency)}".strip()
    if unit == "kW":
        return power(value)
    if unit == "MWh/yr":  # MWh up to 100 GWh reads better than "1.1 k MWh"
        return f"{value / 1000:,.0f} GWh" if abs(value) >= 1e5 else f"{value:,.0f} MWh"
    if unit == "tCO2e/yr":
        shown, suffix = (value / 1000, "kt") if abs(value) >= 1e5 else (value, "t")
        return f"{shown:,.0f} {suffix}" if shown == int(shown) or abs(shown) >= 100 else f"{shown:,.1f} {suffix}"
    return compact(value)


def unit_text(unit: str, currency: str = "USD") -> str:
    """The unit of a TOTALS kind for a column header: 'USD', 'USD/yr', 'kW', 'MWh/yr', 't CO₂e/yr', ''."""
    return {"money": clean(currency), "money/yr": f"{clean(currency)}/yr", "kW": "kW", "MWh/yr": "MWh/yr",
            "tCO2e/yr": "t CO\u2082e/yr"}.get(unit, "")


def plain(value, unit: str) -> str:
    """A total without its unit (the column header carries it): power keeps one decimal."""
    return number(value, 1 if unit == "kW" else 0)


def total_label(key: str) -> str:
    return TOTALS.get(key, (clean(key).replace("_", " "), ""))[0]


def total_unit(key: str) -> str:
    return TOTALS.get(key, ("", "count"))[1]


def ratio(part, whole) -> float | None:
    """part / whole, or None when either is missing or whole is zero (a share that cannot be shown)."""
    return part / whole if _finite(part) and _finite(whole) and whole else None


def percent(share, sign: bool = False) -> str:
    """0.198 -> '19.8 %' (with sign=True '+19.8 %', for changes)."""
    if not _finite(share):
        return "\u2013"
    text = f"{share * 100:{'+' if sign else ''}.1f} %"
    return "0.0 %" if text in ("+0.0 %", "-0.0 %") else text


def signed(value, decimals: int = 0) -> str:
    """'+1,234' / '-56' / '0'."""
    if not _finite(value):
        return "\u2013"
    text = number(value, decimals)
    return text if text.startswith("-") or text in ("0", "0.0") else "+" + text


def to_float(value) -> float | None:
    """A finite number from the document, else None (shown as a dash). Plans edited by hand may hold
    anything; a string such as "6 MW" is not read as a number, since its unit may not be the key's."""
    return float(value) if _finite(value) else None
