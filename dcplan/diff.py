"""The difference of two plans: BOM lines added, removed and changed, and the deltas of the totals.

Either side is a plan JSON (as written by `dcplan solve --format json`, SPEC §4)
or a scenario, which is loaded and solved first. One way, like the planner:

    read_input → plan_dict → diff_plans → render (table / JSON / Markdown)

BOM lines are keyed by (site, category, item). A line is *changed* when its
quantity or unit price differs; a description-only edit is not a change.
Relative deltas are (B − A) / |A| and undefined (None, JSON null) when A is 0.
Nothing here imports a solver until a scenario has to be solved.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

MAX_PLAN_BYTES = 256_000_000
TOTAL_KEYS = ("capex", "opex_per_year", "tco", "facility_power_kw", "it_power_kw", "energy_mwh_per_year",
              "carbon_t_per_year", "racks", "accelerators")
BOM_KEYS = ("site", "category", "item", "quantity", "unit_price", "extended_price")
SITE_KEYS = ("name", "facility_power_kw", "racks")
PLAN_KEYS = ("dcplan", "status", "objective", "totals", "sites", "bom")
_PLAN_MARKERS = {"bom", "totals", "status", "assignments", "scenario"}  # keys a scenario never has
# label, unit ("money" = the plan currency), decimals shown
_SHOW = {"capex": ("capex", "money", 0), "opex_per_year": ("opex per year", "money", 0), "tco": ("TCO", "money", 0),
         "facility_power_kw": ("facility power", "kW", 1), "it_power_kw": ("IT power", "kW", 1),
         "energy_mwh_per_year": ("energy", "MWh/year", 1), "carbon_t_per_year": ("carbon", "t/year", 1),
         "racks": ("racks", "", 0), "accelerators": ("accelerators", "", 0)}
_HEADLINE = ("capex", "tco", "facility_power_kw", "carbon_t_per_year")


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


class Interrupted(Exception):
    """Ctrl-C while a scenario was being solved (exit 130)."""


# --------------------------------------------------------------------------- reading the inputs


@dataclass(frozen=True)
class PlanInput:
    source: str
    plan: dict


@dataclass(frozen=True)
class ScenarioInput:
    source: str
    scenario: object  # dcplan.schema.Scenario


def read_input(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> PlanInput | ScenarioInput:
    """Classify and check one input without solving: a plan JSON, else a scenario (overrides apply to it)."""
    path = Path(path)
    data = _json_document(path)
    if data is not None and _looks_like_plan(path, data):
        check_plan(data, str(path))
        return PlanInput(str(path), data)
    from .scenario_file import load_scenario

    result = load_scenario(path, overrides)
    if not result.ok:
        raise DiffInputError(f"{path}: not a valid scenario", result.diagnostics)
    return ScenarioInput(str(path), result.scenario)


def plan_dict(given: PlanInput | ScenarioInput, options=None) -> dict:
    """The plan of an input as a SPEC §4 dict (plus `currency`); solves a scenario with api.SolveOptions."""
    if isinstance(given, PlanInput):
        return given.plan
    from . import api

    try:
        plan = api.plan_scenario(given.scenario, options)
    except api.NoPlan as no_plan:
        raise Unplanned(given.source, no_plan.status, str(no_plan), no_plan.plan_stub.get("warnings", [])) from None
    except api.Interrupted:
        raise Interrupted() from None
    return {**plan.to_dict(), "currency": plan.currency}


def load_plan_dict(path: str | Path, overrides: list[str] | tuple[str, ...] = (), options=None) -> dict:
    """A plan JSON file as is, or a scenario file solved; raises DiffInputError, Unplanned or Interrupted."""
    return plan_dict(read_input(path, overrides), options)


def _json_document(path: Path):
    """The parsed JSON of a `.json` file or of a file that starts with `{`; None when it is YAML or unreadable
    (the scenario loader then reports it)."""
    is_json = path.suffix.lower() == ".json"
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_PLAN_BYTES + 1)
    except OSError as err:
        if is_json:
            raise DiffInputError(f"{path}: cannot read: {err.strerror or err}") from None
        return None
    if len(raw) > MAX_PLAN_BYTES:
        raise DiffInputError(f"{path}: file is larger than {MAX_PLAN_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        if is_json:
            raise DiffInputError(f"{path}: not UTF-8 text, so not a plan JSON") from None
        return None
    if not is_json and not text.lstrip().startswith("{"):
        return None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as err:
        if not is_json:
            return None
        where = f"{err.lineno}:{err.colno}: " if isinstance(err, json.JSONDecodeError) else ""
        message = err.msg if isinstance(err, json.JSONDecodeError) else str(err) or "nested too deeply"
        raise DiffInputError(f"{path}:{where}not valid JSON: {message}") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number a plan may contain")


def _looks_like_plan(path: Path, data) -> bool:
    if not isinstance(data, dict):
        return path.suffix.lower() == ".json"
    if "dcplan_diff" in data or _PLAN_MARKERS & data.keys():
        return True
    return path.suffix.lower() == ".json" and "workloads" not in data


def check_plan(data, source: str) -> None:
    """Raise DiffInputError naming the first missing or mistyped key; Unplanned for an infeasible stub."""
    def fail(message: str):
        raise DiffInputError(f"{source}: {message}")

    if not isinstance(data, dict):
        fail("a plan JSON must be an object with the keys of `dcplan solve --format json`")
    if "dcplan_diff" in data:
        fail("this is a diff (from `dcplan diff --format json`), not a plan")
    if data.get("status") in ("infeasible", "no_solution") and "bom" not in data:
        raise Unplanned(source, data["status"], f"the plan has status {data['status']}: there is nothing to compare",
                        data.get("warnings") or [])
    for key in PLAN_KEYS:
        if key not in data:
            fail(f"missing key `{key}` (not a plan from `dcplan solve --format json`?)")
    if data["dcplan"] != 1:
        fail(f"unsupported plan version `dcplan: {data['dcplan']!r}`; this dcplan reads version 1")
    if not isinstance(data["totals"], dict):
        fail("`totals` must be an object")
    for key in TOTAL_KEYS:
        _number(data["totals"], key, "totals", fail)
    for name, keys in (("sites", SITE_KEYS), ("bom", BOM_KEYS)):
        if not isinstance(data[name], list):
            fail(f"`{name}` must be a list")
        for i, entry in enumerate(data[name]):
            if not isinstance(entry, dict):
                fail(f"`{name}[{i}]` must be an object")
            for key in keys:
                if key not in entry:
                    fail(f"`{name}[{i}]`: missing key `{key}`")
                if key in ("name", "site", "category", "item"):
                    if not isinstance(entry[key], str):
                        fail(f"`{name}[{i}].{key}` must be a string")
                else:
                    _number(entry, key, f"{name}[{i}]", fail)
    seen = set()
    for i, line in enumerate(data["bom"]):
        key = (line["site"], line["category"], line["item"])
        if key in seen:
            fail(f"`bom[{i}]`: a second line for site {key[0]}, {key[1]} {key[2]}")
        seen.add(key)


def _number(mapping: dict, key: str, where: str, fail) -> None:
    if key not in mapping:
        fail(f"`{where}`: missing key `{key}`")
    value = mapping[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        fail(f"`{where}.{key}` must be a finite number, not {value!r}")


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

    @property
    def identical(self) -> bool:
        deltas = [*self.totals, *(s.facility_power_kw for s in self.sites), *(s.racks for s in self.sites)]
        return not (self.added or self.removed or self.changed) and all(d.delta == 0 for d in deltas)

    def total(self, name: str) -> Delta:
        return next(d for d in self.totals if d.name == name)


def diff_plans(a: dict, b: dict, labels: tuple[str, str] = ("A", "B")) -> PlanDiff:
    """B − A for two SPEC §4 plan dicts (checked first; DiffInputError names a missing key)."""
    check_plan(a, labels[0])
    check_plan(b, labels[1])
    lines_a = {(x["site"], x["category"], x["item"]): x for x in a["bom"]}
    lines_b = {(x["site"], x["category"], x["item"]): x for x in b["bom"]}
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
    return PlanDiff(sides[0], sides[1], tuple(delta(k, a["totals"][k], b["totals"][k]) for k in TOTAL_KEYS),
                    _sites(a["sites"], b["sites"]), added, removed, changed, unchanged,
                    currencies.pop() if len(currencies) == 1 else None, tuple(warnings))


def _line(key: tuple, old: dict | None, new: dict | None) -> LineDiff:
    return LineDiff(*key, ((new or old).get("description") or ""),
                    old["quantity"] if old else 0, new["quantity"] if new else 0,
                    old["unit_price"] if old else None, new["unit_price"] if new else None,
                    old["extended_price"] if old else 0, new["extended_price"] if new else 0)


def _side(source: str, plan: dict) -> Side:
    objective = plan["objective"] if isinstance(plan["objective"], dict) else {}
    currency = plan.get("currency") if isinstance(plan.get("currency"), str) else None
    return Side(source, str(plan.get("scenario", "")), str(plan["status"]), objective.get("name"),
                objective.get("value"), currency)


def _sites(a: list[dict], b: list[dict]) -> tuple[SiteDiff, ...]:
    by_a, by_b = {s["name"]: s for s in a}, {s["name"]: s for s in b}
    names = list(by_a) + [n for n in by_b if n not in by_a]
    zero = {"facility_power_kw": 0, "racks": 0}
    pair = lambda n, k: delta(k, by_a.get(n, zero)[k], by_b.get(n, zero)[k])  # noqa: E731
    return tuple(SiteDiff(n, n in by_a, n in by_b, pair(n, "facility_power_kw"), pair(n, "racks")) for n in names)


# --------------------------------------------------------------------------- rendering


def render(d: PlanDiff, fmt: str, *, color: bool = False) -> str:
    """`table` (rich), `json` (stable keys; see docs/cli.md) or `markdown` (a pull-request comment)."""
    if fmt == "json":
        return json.dumps(to_dict(d), indent=2, allow_nan=False)
    if fmt == "markdown":
        return render_markdown(d)
    if fmt == "table":
        return render_table(d, color=color)
    raise ValueError(f"no diff format {fmt!r}")


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
            "extended_price_delta": x.extended_price_delta}


def _num(value: float | None, decimals: int = 0) -> str:
    return "-" if value is None else f"{value:,.{decimals}f}"


def _signed(value: float, decimals: int = 0) -> str:
    rounded = round(value, decimals)
    return f"{0:,.{decimals}f}" if rounded == 0 else f"{rounded:+,.{decimals}f}"


def _pct(relative: float | None) -> str:
    if relative is None:
        return "n/a"
    return "0.0 %" if round(relative * 100, 1) == 0 else f"{relative * 100:+.1f} %"


def _unit(name: str, currency: str | None) -> str:
    unit = _SHOW[name][1]
    return (currency or "") if unit == "money" else unit


def headline(d: PlanDiff) -> str:
    """`capex +1,234,000 USD (+3.2 %), TCO …; BOM: 1 line added, 0 removed, 2 changed` (or: no difference)."""
    if d.identical:
        return f"No difference: the same BOM ({d.unchanged} lines), totals and sites"
    parts = []
    for name in _HEADLINE:
        x = d.total(name)
        label, _, decimals = _SHOW[name]
        unit = _unit(name, d.currency)
        parts.append(f"{label} {_signed(x.delta, decimals)}{' ' + unit if unit else ''}"
                     + (f" ({_pct(x.relative)})" if x.relative is not None else ""))
    bom = (f"BOM: {len(d.added)} line{'s' if len(d.added) != 1 else ''} added, {len(d.removed)} removed, "
           f"{len(d.changed)} changed, {d.unchanged} unchanged")
    return ", ".join(parts) + "; " + bom


def _objective(s: Side) -> str:
    value = s.objective_value
    value = "-" if value is None else f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.4g}"
    return f"{s.objective_name} = {value}"


def _total_rows(d: PlanDiff) -> list[tuple[str, ...]]:
    rows = []
    for x in d.totals:
        label, _, decimals = _SHOW[x.name]
        unit = _unit(x.name, d.currency)
        rows.append((f"{label} ({unit})" if unit else label, _num(x.old, decimals), _num(x.new, decimals),
                     _signed(x.delta, decimals), _pct(x.relative)))
    return rows


def _site_rows(d: PlanDiff) -> list[tuple[str, ...]]:
    return [(s.name + ("" if s.in_a else " (new)") + ("" if s.in_b else " (gone)"),
             _num(s.facility_power_kw.old, 1), _num(s.facility_power_kw.new, 1), _signed(s.facility_power_kw.delta, 1),
             _num(s.racks.old), _num(s.racks.new), _signed(s.racks.delta)) for s in d.sites]


_SITE_HEAD = ("site", "facility kW A", "facility kW B", "Δ kW", "racks A", "racks B", "Δ racks")
_LINE_HEAD = ("site", "category", "item", "description", "qty", "unit price", "extended")
_CHANGED_HEAD = ("site", "category", "item", "qty A", "qty B", "Δ qty", "unit price A", "unit price B",
                 "extended A", "extended B", "Δ extended")


def _line_rows(lines: tuple[LineDiff, ...], new: bool) -> list[tuple[str, ...]]:
    return [(x.site, x.category, x.item, x.description, _num(x.new_quantity if new else x.old_quantity),
             _num(x.new_unit_price if new else x.old_unit_price),
             _num(x.new_extended_price if new else x.old_extended_price)) for x in lines]


def _changed_rows(lines: tuple[LineDiff, ...]) -> list[tuple[str, ...]]:
    return [(x.site, x.category, x.item, _num(x.old_quantity), _num(x.new_quantity), _signed(x.quantity_delta),
             _num(x.old_unit_price), _num(x.new_unit_price), _num(x.old_extended_price), _num(x.new_extended_price),
             _signed(x.extended_price_delta)) for x in lines]


def _sections(d: PlanDiff) -> list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]]:
    """Titled tables shared by the table and Markdown renderers; empty ones left out."""
    out = [("Totals", ("", "A", "B", "Δ", "Δ %"),
            [("status", d.a.status, d.b.status, "", ""), ("objective", _objective(d.a), _objective(d.b), "", ""),
             *_total_rows(d)])]
    if any(s.facility_power_kw.delta or s.racks.delta or not (s.in_a and s.in_b) for s in d.sites):
        out.append(("Sites", _SITE_HEAD, _site_rows(d)))
    for title, lines, new in (("Added BOM lines", d.added, True), ("Removed BOM lines", d.removed, False)):
        if lines:
            out.append((title, _LINE_HEAD, _line_rows(lines, new)))
    if d.changed:
        out.append(("Changed BOM lines", _CHANGED_HEAD, _changed_rows(d.changed)))
    return out


def render_table(d: PlanDiff, *, color: bool = False) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=io.StringIO(), force_terminal=color, no_color=not color, width=160)
    console.print(Text(f"dcplan diff: A = {d.a.source} ({d.a.scenario}), B = {d.b.source} ({d.b.scenario})",
                       style="bold"))
    console.print(Text(headline(d)))
    for title, head, rows in _sections(d):
        table = Table(title=title, show_header=True)
        for i, column in enumerate(head):
            table.add_column(column, justify="left" if i < (3 if "BOM" in title else 1) or column == "description"
                             else "right")
        for row in rows:
            table.add_row(*(Text(cell) for cell in row))  # Text: names are data, never rich markup
        console.print(table)
    console.print(Text(f"{d.unchanged} BOM line(s) unchanged"))
    for warning in d.warnings:
        console.print(Text(f"warning: {warning}"))
    return console.file.getvalue()


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def render_markdown(d: PlanDiff) -> str:
    code = lambda s: "`" + s.replace("`", "'") + "`"  # noqa: E731 - a path in inline code
    lines = [f"### dcplan diff: {code(d.a.source)} → {code(d.b.source)}", "", f"**{_cell(headline(d))}**"]
    for title, head, rows in _sections(d):
        numeric = [i >= (3 if "BOM" in title else 1) and column != "description" for i, column in enumerate(head)]
        lines += ["", f"#### {title}", "", "| " + " | ".join(head) + " |",
                  "|" + "|".join("--:" if n else "---" for n in numeric) + "|"]
        lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    if d.warnings:
        lines += [""] + [f"- warning: {_cell(w)}" for w in d.warnings]
    return "\n".join(lines) + "\n"
