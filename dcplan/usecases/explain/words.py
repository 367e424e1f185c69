"""The scenario's own words: paths, file positions, descriptions of items, and numbers as a planner writes them."""

from __future__ import annotations

import math

from dcplan.model.linear import LinearModel, Row
from dcplan.scenario.overrides import split_path
from dcplan.usecases.explain.results import Conflict
from dcplan.usecases.explain.work import Work

LIMIT_UNITS = {"power": "kW", "energy": "MWh", "carbon": "t"}


def path_tuple(origin: str) -> tuple:
    """`sites[0].power` → ('sites', 0, 'power')."""
    return tuple(split_path(origin))


def set_path(origin: str) -> str:
    """`sites[0].power` → `sites.0.power`, the `--set` spelling."""
    return ".".join(str(part) for part in path_tuple(origin))


def where(work: Work, origin: str) -> tuple[int | None, int | None]:
    positions = work.loaded.positions
    if positions is None or positions.override_of(path_tuple(origin)) is not None:
        return (None, None)
    return positions.of(path_tuple(origin))


def bound_path(work: Work, row: Row, sign: float) -> tuple[str, str]:
    """The scenario path of a row's bound and its unit; in a build-out, a value given per period is
    named with its period's index (`sites[0].power[2]`)."""
    if row.family == "constraints":
        return f"{row.origin}.{'max' if sign > 0 else 'min'}", ""
    if row.family == "limits":
        return row.origin, LIMIT_UNITS.get(path_tuple(row.origin)[-1], work.scenario.currency)
    path = _in_period(work, row)
    return path, "racks" if row.family == "racks" else "kW"


def _in_period(work: Work, row: Row) -> str:
    """`sites[0].power` → `sites[0].power[1]` when the row is a build-out period's and the value is a list."""
    period = row.owner.period if row.owner is not None else None
    if period is None or work.scenario.periods is None:
        return row.origin
    value = _value(work.scenario, path_tuple(row.origin))
    if isinstance(value, list):
        return f"{row.origin}[{work.scenario.periods.labels.index(period)}]"
    return row.origin


def _value(scenario, parts: tuple):
    node = scenario
    for part in parts:
        node = node[part] if isinstance(part, int) else getattr(node, part)
    return node


def period_of(row: Row) -> str:
    """" in 2028" for a row of a build-out's period, else ""."""
    period = row.owner.period if row.owner is not None else None
    return f" in {period}" if period else ""


def conflict(work: Work, origin: str) -> Conflict:
    line, column = where(work, origin)
    return Conflict(label(work, origin), origin, work.path, line, column, describe(work, origin))


def label(work: Work, origin: str) -> str:
    parts = path_tuple(origin)
    scenario = work.scenario
    if parts[0] == "sites":
        return f"site {scenario.sites[parts[1]].name}: {parts[2]}"
    if parts[0] == "constraints":
        return f"constraint {scenario.constraints[parts[1]].name}"
    if parts[0] == "workloads":
        name = scenario.workloads[parts[1]].name
        return f"workload {name}" + (f": {parts[2]}" if len(parts) > 2 else "")
    return origin


def describe(work: Work, origin: str) -> str:
    parts = path_tuple(origin)
    scenario = work.scenario
    if parts[0] == "sites":
        site = scenario.sites[parts[1]]
        if parts[2] == "power":
            return f"facility power cap {_shown(site.power, 'kW')} (IT power × PUE {site.pue:g})"
        return f"{_shown(site.racks, '')} rack positions of {_shown(site.rack_power, 'kW')} and {site.rack_units} U each"
    if parts[0] == "limits":
        unit = LIMIT_UNITS.get(parts[1], scenario.currency)
        return f"plan {parts[1]} at most {show(getattr(scenario.limits, parts[1]), unit)}"
    if parts[0] == "constraints":
        c = scenario.constraints[parts[1]]
        bounds = " and ".join(text for text in (f"≥ {c.min:,.6g}" if c.min is not None else "",
                                                f"≤ {c.max:,.6g}" if c.max is not None else "") if text)
        where = ", ".join(f"{k}: {v}" for k, v in c.where.items()) or "everything bought"
        return f"Σ {c.sum} over {where} {bounds}"
    return _describe_workload(work, parts)


def _describe_workload(work: Work, parts: tuple) -> str:
    workload = work.scenario.workloads[parts[1]]
    sized = [part.requirements for part in getattr(work.built, "parts", [])] or [work.built.requirements]
    req = next(r[workload.name] for r in sized if workload.name in r)  # a build-out's run may be in a later period
    field_name = parts[2] if len(parts) > 2 else None
    if field_name == "sites":
        return f"may run only at {', '.join(workload.sites)}"
    if field_name == "survive_site_failure":
        return "must still meet its demand with any one site down"
    if field_name == "durability":
        return f"needs at least {req.min_units} storage nodes at every site that holds its data"
    if field_name in ("availability", "spares"):
        rule = workload.spares if workload.spares is not None else f"availability {workload.availability:g}"
        return f"spares per pool ({rule})"
    if req.kind == "training":
        options = sorted((c.fixed_count, c.item) for c in req.candidates)
        text = (f"one training cluster (smallest: {options[0][0]:,} × {options[0][1]})" if options
                else "one training cluster")
    elif getattr(work.built, "parts", None) and work.scenario.periods is not None:
        text = "needs " + "; ".join(
            f"{label}: " + ", ".join(f"{a:,.6g} {d}" for d, a in part.requirements[workload.name].demand.items() if a > 0)
            for label, part in zip(work.built.labels, work.built.parts) if workload.name in part.requirements)
    else:
        text = "needs " + ", ".join(f"{amount:,.6g} {dim}" for dim, amount in req.demand.items() if amount > 0)
    if not any(p.workload == workload.name for p in work.built.pools):
        items = list(req.excluded.items())
        latency = any(why.startswith("cannot meet") for _, why in items)  # name the best each achieves
        reasons = "; ".join(f"{item}: {why}" for item, why in (items if latency else items[:4])) or "no candidates"
        text += f"; no purchasable item can serve it ({reasons})"
    return text


def is_integral(lm: LinearModel, row: Row) -> bool:
    """A count (racks, or a constraint over integer units with integer weights): a whole number.

    Money, power, energy and carbon are rounded to 3 significant digits instead,
    even when every price happens to be whole.
    """
    return row.family in ("racks", "constraints") and all(
        lm.variables[i].integer and float(c).is_integer() for i, c in row.terms.items())


def outward(value: float, sign: float, integral: bool) -> float:
    """Round away from the current bound: up for a cap, down for a minimum (never below 0)."""
    if integral:
        return float(math.ceil(value - 1e-6) if sign > 0 else math.floor(value + 1e-6))
    if value <= 0:
        return 0.0 if sign < 0 else value
    q = step_of(value, False)
    digits = max(0, -int(round(math.log10(q))))
    rounded = (math.ceil(value / q - 1e-9) if sign > 0 else math.floor(value / q + 1e-9)) * q
    return round(rounded, digits)


def step_of(value: float, integral: bool) -> float:
    """One unit in the third significant digit (or 1 for whole numbers)."""
    if integral or value == 0:
        return 1.0
    return 10.0 ** (math.floor(math.log10(abs(value))) - 2)


def number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:.6g}"


def set_value(value, unit: str) -> str:
    """The VALUE of a `--set PATH=VALUE`: YAML flow, with the unit for quantities."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    if unit in ("kW", "MWh", "t"):
        return f"{number(value)} {unit}"
    return number(value)


def show(value, unit: str) -> str:
    if isinstance(value, (bool, list)) or value is None:
        return str(value)
    text = f"{value:,.0f}" if abs(value) >= 1000 or float(value).is_integer() else f"{value:,.4g}"
    if unit == "racks" and value == 1:
        unit = "rack"
    return f"{text} {unit}".rstrip()


def _shown(value, unit: str) -> str:
    """A value as written: one number, or one per period (`8,000 / 12,000 / 20,000 kW`)."""
    if isinstance(value, list):
        return " / ".join(show(v, "") for v in value) + (f" {unit}" if unit else "") + " by period"
    if hasattr(value, "growth"):
        return f"{show(value.start, unit)} growing {value.growth:.0%} a year"
    return show(value, unit) if unit else f"{value:,}"
