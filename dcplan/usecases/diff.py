"""The difference of two plans: BOM lines added, removed and changed, and the deltas of the totals.

Either side is a plan JSON (as written by `dcplan solve --format json`, docs/cli.md)
or a scenario, which is loaded and solved first. One way, like the planner:

    read_input → plan_dict → diff_plans → render (table / JSON / Markdown)

BOM lines are keyed by (site, category, item). A line is *changed* when its
quantity or unit price differs; a description-only edit is not a change.
Relative deltas are (B − A) / |A| and undefined (None, JSON null) when A is 0.
Nothing here imports a solver until a scenario has to be solved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dcplan.plan.document import (TOTAL_KEYS, PlanFileError, PlanWithoutResult, check_plan as _check_document,
                                   looks_like_plan, read_json)



class DiffInputError(Exception):
    """An input is not a readable plan JSON or a valid scenario (exit 2); `diagnostics` for scenarios."""

    def __init__(self, message: str, diagnostics: list | tuple = ()):
        super().__init__(message)
        self.diagnostics = list(diagnostics)


class Unplanned(Exception):
    """A side has no plan: its scenario is infeasible (exit 1) or the solver stopped without one (exit 3)."""

    def __init__(self, source: str, status: str, message: str, warnings: list | tuple = ()):
        super().__init__(f"{source}: {message}")
        self.status = status
        self.warnings = list(warnings)


# --------------------------------------------------------------------------- reading the inputs


@dataclass(frozen=True)
class PlanInput:
    source: str
    plan: dict


@dataclass(frozen=True)
class ScenarioInput:
    source: str
    scenario: object  # dcplan.scenario.schema.Scenario


def read_input(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> PlanInput | ScenarioInput:
    """Classify and check one input without solving: a plan JSON, else a scenario (overrides apply to it)."""
    path = Path(path)
    try:
        data = read_json(path, must_be_json=path.suffix.lower() == ".json")
    except PlanFileError as err:
        raise DiffInputError(str(err)) from None
    if data is not None and looks_like_plan(path, data):
        check_plan(data, str(path))
        return PlanInput(str(path), data)
    from dcplan.usecases.validate import validate_scenario

    result = validate_scenario(path, overrides)
    if not result.ok:
        raise DiffInputError(f"{path}: not a valid scenario", result.diagnostics)
    return ScenarioInput(str(path), result.scenario)


def plan_dict(given: PlanInput | ScenarioInput, options=None) -> dict:
    """The plan of an input as a plan JSON dict; solves a scenario with api.SolveOptions."""
    if isinstance(given, PlanInput):
        return given.plan
    from dcplan.usecases import planning as api
    try:
        plan = api.plan_scenario(given.scenario, options)
    except api.NoPlan as no_plan:
        raise Unplanned(given.source, no_plan.status, str(no_plan), no_plan.plan_stub.get("warnings", [])) from None
    return plan.to_dict()


def load_plan_dict(path: str | Path, overrides: list[str] | tuple[str, ...] = (), options=None) -> dict:
    """A plan JSON file as is, or a scenario file solved; raises DiffInputError, Unplanned or Interrupted."""
    return plan_dict(read_input(path, overrides), options)


def check_plan(data, source: str) -> None:
    """The plan reader's checks (dcplan.plan.document), as this use case's errors."""
    try:
        _check_document(data, source)
    except PlanWithoutResult as err:
        raise Unplanned(source, err.status, f"the plan has status {err.status}: there is nothing to compare",
                        err.warnings) from None
    except PlanFileError as err:
        raise DiffInputError(str(err)) from None


# --------------------------------------------------------------------------- the difference


@dataclass(frozen=True)
class Delta:
    name: str
    old: float
    new: float
    delta: float
    relative: float | None  # delta / |old|; None when old is 0


def delta(name: str, old: float, new: float) -> Delta:
    change = new - old
    return Delta(name, old, new, change, change / abs(old) if old else None)


@dataclass(frozen=True)
class LineDiff:
    """A BOM line in A, B or both; quantity and extended price are 0 on a side that lacks it."""

    site: str
    category: str
    item: str
    description: str
    old_quantity: float
    new_quantity: float
    old_unit_price: float | None
    new_unit_price: float | None
    old_extended_price: float
    new_extended_price: float
    period: str | None = None  # build-outs: the period the line is bought in
    sourcing: str | None = None  # "leased" for leased units (matched apart from the bought units of the item)

    @property
    def quantity_delta(self) -> float:
        return self.new_quantity - self.old_quantity

    @property
    def extended_price_delta(self) -> float:
        return self.new_extended_price - self.old_extended_price


@dataclass(frozen=True)
class SiteDiff:
    name: str
    in_a: bool
    in_b: bool
    facility_power_kw: Delta
    racks: Delta


@dataclass(frozen=True)
class PeriodDiff:
    label: str
    figures: tuple[Delta, ...]  # PERIOD_FIGURES, B − A


@dataclass(frozen=True)
class Side:
    source: str
    scenario: str
    status: str
    objective_name: str | None
    objective_value: float | None
    currency: str | None


@dataclass(frozen=True)
class PlanDiff:
    a: Side
    b: Side
    totals: tuple[Delta, ...]
    sites: tuple[SiteDiff, ...]
    added: tuple[LineDiff, ...]
    removed: tuple[LineDiff, ...]
    changed: tuple[LineDiff, ...]
    unchanged: int
    currency: str | None
    warnings: tuple[str, ...] = field(default=())
    periods: tuple[PeriodDiff, ...] = field(default=())  # build-outs

    @property
    def identical(self) -> bool:
        deltas = [*self.totals, *(s.facility_power_kw for s in self.sites), *(s.racks for s in self.sites)]
        return not (self.added or self.removed or self.changed) and all(d.delta == 0 for d in deltas)

    def total(self, name: str) -> Delta:
        return next(d for d in self.totals if d.name == name)


def diff_plans(a: dict, b: dict, labels: tuple[str, str] = ("A", "B")) -> PlanDiff:
    """B − A for two plan JSON dicts (checked first; DiffInputError names a missing key)."""
    check_plan(a, labels[0])
    check_plan(b, labels[1])
    lines_a = {(x["site"], x["category"], x["item"], x.get("period"), x.get("sourcing")): x for x in a["bom"]}
    lines_b = {(x["site"], x["category"], x["item"], x.get("period"), x.get("sourcing")): x for x in b["bom"]}
    added = tuple(_line(k, None, x) for k, x in lines_b.items() if k not in lines_a)
    removed = tuple(_line(k, x, None) for k, x in lines_a.items() if k not in lines_b)
    changed = tuple(_line(k, lines_a[k], x) for k, x in lines_b.items() if k in lines_a
                    and (x["quantity"], x["unit_price"]) != (lines_a[k]["quantity"], lines_a[k]["unit_price"]))
    unchanged = sum(1 for k in lines_b if k in lines_a) - len(changed)
    sides = (_side(labels[0], a), _side(labels[1], b))
    currencies = {s.currency for s in sides if s.currency}
    warnings = []
    if len(currencies) > 1:
        warnings.append(f"A is in {sides[0].currency} and B in {sides[1].currency}: money deltas mix currencies")
    if sides[0].objective_name != sides[1].objective_name:
        warnings.append(f"the objectives differ ({sides[0].objective_name} and {sides[1].objective_name})")
    keys = TOTAL_KEYS + (("npv",) if "npv" in a["totals"] and "npv" in b["totals"] else ())
    return PlanDiff(sides[0], sides[1], tuple(delta(k, a["totals"][k], b["totals"][k]) for k in keys),
                    _sites(a["sites"], b["sites"]), added, removed, changed, unchanged,
                    currencies.pop() if len(currencies) == 1 else None, tuple(warnings),
                    _periods(a.get("periods") or [], b.get("periods") or []))


def _line(key: tuple, old: dict | None, new: dict | None) -> LineDiff:
    site, category, item, period, sourcing = key
    return LineDiff(site, category, item, ((new or old).get("description") or ""),
                    old["quantity"] if old else 0, new["quantity"] if new else 0,
                    old["unit_price"] if old else None, new["unit_price"] if new else None,
                    old["extended_price"] if old else 0, new["extended_price"] if new else 0, period, sourcing)


def _side(source: str, plan: dict) -> Side:
    objective = plan["objective"] if isinstance(plan["objective"], dict) else {}
    currency = plan.get("currency") if isinstance(plan.get("currency"), str) else None
    return Side(source, str(plan.get("scenario", "")), str(plan["status"]), objective.get("name"),
                objective.get("value"), currency)


PERIOD_FIGURES = ("capex", "opex", "facility_power_kw", "racks", "accelerators")
"""What a build-out's diff compares period by period."""


def _periods(a: list[dict], b: list[dict]) -> tuple[PeriodDiff, ...]:
    """Per-period deltas of two build-outs (a period only one side has counts as zero on the other)."""
    by_a, by_b = {p["label"]: p for p in a}, {p["label"]: p for p in b}
    labels = list(by_a) + [label for label in by_b if label not in by_a]
    zero = {k: 0 for k in PERIOD_FIGURES}
    return tuple(PeriodDiff(label, tuple(delta(k, by_a.get(label, zero).get(k, 0), by_b.get(label, zero).get(k, 0))
                                         for k in PERIOD_FIGURES)) for label in labels)


def _sites(a: list[dict], b: list[dict]) -> tuple[SiteDiff, ...]:
    by_a, by_b = {s["name"]: s for s in a}, {s["name"]: s for s in b}
    names = list(by_a) + [n for n in by_b if n not in by_a]
    zero = {"facility_power_kw": 0, "racks": 0}
    pair = lambda n, k: delta(k, by_a.get(n, zero)[k], by_b.get(n, zero)[k])  # noqa: E731
    return tuple(SiteDiff(n, n in by_a, n in by_b, pair(n, "facility_power_kw"), pair(n, "racks")) for n in names)


def to_dict(d: PlanDiff) -> dict:
    return {
        "dcplan_diff": 1,
        "a": _side_dict(d.a), "b": _side_dict(d.b), "currency": d.currency, "identical": d.identical,
        "totals": {x.name: _delta_dict(x) for x in d.totals},
        "sites": [{"name": s.name, "in_a": s.in_a, "in_b": s.in_b,
                   "facility_power_kw": _delta_dict(s.facility_power_kw), "racks": _delta_dict(s.racks)}
                  for s in d.sites],
        "bom": {"added": [_line_dict(x) for x in d.added], "removed": [_line_dict(x) for x in d.removed],
                "changed": [_line_dict(x) for x in d.changed], "unchanged": d.unchanged},
        "warnings": list(d.warnings),
        **({"periods": [{"label": p.label, **{x.name: _delta_dict(x) for x in p.figures}} for p in d.periods]}
           if d.periods else {}),
    }


def _side_dict(s: Side) -> dict:
    return {"source": s.source, "scenario": s.scenario, "status": s.status,
            "objective": {"name": s.objective_name, "value": s.objective_value}, "currency": s.currency}


def _delta_dict(x: Delta) -> dict:
    return {"old": x.old, "new": x.new, "delta": x.delta, "relative": x.relative}


def _line_dict(x: LineDiff) -> dict:
    return {"site": x.site, "category": x.category, "item": x.item, "description": x.description,
            "old_quantity": x.old_quantity, "new_quantity": x.new_quantity, "quantity_delta": x.quantity_delta,
            "old_unit_price": x.old_unit_price, "new_unit_price": x.new_unit_price,
            "old_extended_price": x.old_extended_price, "new_extended_price": x.new_extended_price,
            "extended_price_delta": x.extended_price_delta, **({"period": x.period} if x.period else {}),
            **({"sourcing": x.sourcing} if x.sourcing else {})}
