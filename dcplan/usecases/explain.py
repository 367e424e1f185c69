"""`dcplan explain`: why a scenario is infeasible, or what its binding limits cost.

The units of an explanation are the scenario's *items*: a site's power, a
site's racks, a limit, a generic constraint, a workload's demand, its
`survive_site_failure`, durability, spares and site pinning. Every model row
carries the dotted path of the item it comes from (`Row.origin`); rows without
an item (network, rack packing, spare ordering) are the physics and always kept.

Infeasible scenario
  1. Conflict set by a deletion filter over items: for each item in file order,
     drop its rows and re-solve for feasibility only (objective zero); if the
     rest is still proven infeasible the item stays out. When every step is
     proven, the result is irreducible: dropping any one item of it makes the
     scenario feasible. A step that times out keeps its item, and the set is
     then "small, not proven irreducible".
  2. Smallest single change, per relaxable item of the set (site power and
     racks, limits, constraint min/max): an elastic re-solve with a slack on
     that item's bound alone, minimising the slack, gives the least bound that
     restores feasibility. It is rounded outward (3 significant digits, or a
     whole number for integer rows), applied with `--set` to the file and
     solved by the normal pipeline; only suggestions that solve are shown.
     Structural items get the matching change when dropping them alone is
     feasible: `survive_site_failure=false`, or one more allowed site.

Feasible scenario
  The limit rows that bind at the optimum; each (at most MAX_RELAXATIONS) is
  relaxed by a step (default 10 %; racks and integer constraints at least 1)
  and re-solved, and the objective's improvement is reported.

Site pinning (`workloads[].sites`) is an item too: the model is built with
every workload allowed at every site, and `pin[...]` rows hold the pools at
the other sites at zero, so dropping those rows is the same as unpinning.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from dcplan.model.built import constraint_name
from dcplan.model.linear import INF, Expr, LinearModel, Row, total

ITEM_FAMILIES = ("demand", "site_failure", "durability", "spares", "pinning", "power", "racks", "limits",
                 "constraints")
RELAXABLE = ("power", "racks", "limits", "constraints")
PER_SOLVE_SECONDS = 10.0
MAX_SOLVES = 120
MAX_RELAXATIONS = 10
VERIFY_ATTEMPTS = 3
LIMIT_UNITS = {"power": "kW", "energy": "MWh", "carbon": "t"}
_PATH_RE = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class InvalidScenario(Exception):
    """The scenario does not load (diagnostics) or cannot be modelled (message)."""

    def __init__(self, message: str, diagnostics: list | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics or []


class ExplainTimeout(Exception):
    """Not even the scenario's own status could be established within the time limit (exit 3)."""


@dataclass(frozen=True)
class Conflict:
    item: str
    path: str
    file: str
    line: int | None
    column: int | None
    description: str


@dataclass(frozen=True)
class Suggestion:
    path: str
    from_: float | str | None
    to: float | str
    unit: str
    set_argument: str
    verified: bool
    description: str

    def to_dict(self) -> dict:
        data = asdict(self)
        data["from"] = data.pop("from_")
        return {k: data[k] for k in ("path", "from", "to", "unit", "set_argument", "verified", "description")}


@dataclass(frozen=True)
class Binding:
    name: str
    item: str
    path: str
    file: str
    line: int | None
    column: int | None
    value: float
    limit: float
    unit: str
    relaxed_to: float | None = None
    set_argument: str | None = None
    objective_after: float | None = None
    improvement: float | None = None
    proven: bool = False
    description: str = ""


@dataclass
class Explanation:
    scenario: str
    file: str
    status: str  # infeasible | optimal | feasible
    objective_name: str
    objective_value: float | None = None
    currency: str = "USD"
    irreducible: bool | None = None
    conflicts: list[Conflict] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    binding: list[Binding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    solves: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "dcplan": 1, "scenario": self.scenario, "file": self.file, "status": self.status,
            "objective": {"name": self.objective_name, "value": self.objective_value},
            "irreducible": self.irreducible,
            "conflicts": [asdict(c) for c in self.conflicts],
            "suggestions": [s.to_dict() for s in self.suggestions],
            "binding": [asdict(b) for b in self.binding],
            "warnings": list(self.warnings),
            "solves": self.solves, "seconds": round(self.seconds, 3),
        }


# --------------------------------------------------------------------------- the work context


@dataclass
class _Work:
    path: str
    overrides: tuple[str, ...]
    loaded: object  # LoadResult
    built: object  # BuiltModel (unpinned, with pin rows)
    deadline: float
    step: float
    solves: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def scenario(self):
        return self.loaded.scenario

    @property
    def lm(self) -> LinearModel:
        return self.built.lm

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def solve(self, lm: LinearModel, gap: float = 1e-6, cap: float = PER_SOLVE_SECONDS):
        from dcplan.errors import Interrupted
        from dcplan.solve.engines import SolveResult, solve

        seconds = min(cap, self.remaining())
        if seconds <= 0.05 or self.solves >= MAX_SOLVES:
            return SolveResult("no_solution", "scip")
        self.solves += 1
        result = solve(lm, engine="scip", time_limit=seconds, gap=gap)
        if result.status == "interrupted":
            raise Interrupted()
        return result

    def feasible(self, keep: set[str], drop_rows: frozenset[str] = frozenset()) -> bool | None:
        """Feasibility of the physics plus the items in `keep`: True, False (proven) or None (unknown)."""
        rows = [r for r in self.lm.rows if r.name not in drop_rows and (not is_item(r) or r.origin in keep)]
        result = self.solve(LinearModel(self.lm.variables, rows, Expr(), self.lm.names))
        return {"optimal": True, "feasible": True, "infeasible": False}.get(result.status)


def is_item(row: Row) -> bool:
    return bool(row.origin) and row.family in ITEM_FAMILIES


# --------------------------------------------------------------------------- entry point


def explain_file(path: str | Path, overrides: tuple[str, ...] | list[str] = (), *, time_limit: float | None = None,
                 step: float = 0.10, options=None) -> Explanation:
    """Explain one scenario file within `time_limit` seconds (all re-solves together; default
    options.time_limit, else 60). `options` (dcplan.SolveOptions) may override the objective.
    Raises InvalidScenario, ExplainTimeout or Interrupted."""
    from dcplan.scenario.load import load_scenario

    start = time.monotonic()
    loaded = load_scenario(path, tuple(overrides))
    if not loaded.ok:
        raise InvalidScenario(f"{path}: the scenario is not valid", loaded.diagnostics)
    if time_limit is None:
        time_limit = options.time_limit if options is not None and options.time_limit is not None else 60.0
    if options is not None and options.objective is not None:
        loaded.scenario = loaded.scenario.model_copy(update={"objective": options.objective})
    work = _Work(str(path), tuple(overrides), loaded, _build(loaded.scenario), start + time_limit, step)
    work.warnings.extend(work.built.warnings)
    scenario = loaded.scenario
    result = work.solve(work.lm, gap=min(scenario.solver.gap, 1e-4), cap=scenario.solver.time_limit)
    explanation = Explanation(scenario.name, str(path), result.status, work.built.objective_name,
                              currency=scenario.currency)
    if result.status == "infeasible":
        _explain_infeasible(work, explanation)
    elif result.values is not None:
        explanation.objective_value = result.objective
        _explain_feasible(work, explanation, result)
    else:
        raise ExplainTimeout(f"the solver stopped ({result.status}) before it could tell whether {path} is "
                             f"feasible; raise --time-limit")
    explanation.warnings = work.warnings
    explanation.solves = work.solves
    explanation.seconds = time.monotonic() - start
    return explanation


def _build(scenario):
    """The model with every workload allowed everywhere, and `pin` rows standing for `workloads[].sites`."""
    from dcplan.scenario import catalog as catalog_module
    from dcplan.model import ModelInputError, build
    from dcplan.sizing import size_scenario

    catalog = catalog_module.effective(scenario.catalog)
    unpinned = scenario.model_copy(update={"workloads": [w.model_copy(update={"sites": None})
                                                         for w in scenario.workloads]})
    try:
        # The plain formulation: every row is a scenario item, no cut that only implies others.
        built = build(unpinned, catalog, size_scenario(unpinned, catalog), strengthen=False)
    except ModelInputError as err:
        raise InvalidScenario(str(err)) from None
    for index, workload in enumerate(scenario.workloads):
        if workload.sites is None:
            continue
        for site in scenario.sites:
            if site.name in workload.sites:
                continue
            pools = [p for p in built.pools if p.workload == workload.name and p.site == site.name]
            if pools:
                built.lm.le(f"pin[workload={workload.name},site={site.name}]", "pinning",
                            total(p.active + p.spares for p in pools), 0.0, origin=f"workloads[{index}].sites")
    return built


# --------------------------------------------------------------------------- infeasible


def _explain_infeasible(work: _Work, out: Explanation) -> None:
    items = _items_in_file_order(work)
    kept, proven = conflict_set(work, items)
    out.irreducible = proven
    if not proven:
        work.warnings.append("the conflict set is small but not proven irreducible: a re-solve hit the time "
                             "limit (raise --time-limit)")
    out.conflicts = [_conflict(work, origin) for origin in kept]
    for origin in kept:
        out.suggestions.extend(_suggest(work, origin))
    if not out.suggestions:
        _no_single_change(work)


def _items_in_file_order(work: _Work) -> list[str]:
    origins = list(dict.fromkeys(r.origin for r in work.lm.rows if is_item(r)))
    positions = work.loaded.positions

    def key(origin: str):
        line, column = positions.of(path_tuple(origin)) if positions else (None, None)
        return (line is None, line or 0, column or 0, origin)

    return sorted(origins, key=key)


def conflict_set(work: _Work, items: list[str]) -> tuple[list[str], bool]:
    """Deletion filter: drop each item whose removal leaves the rest proven infeasible."""
    kept, proven = list(items), True
    for item in items:
        outcome = work.feasible(set(kept) - {item})
        if outcome is False:
            kept.remove(item)
        elif outcome is None:
            proven = False
    return kept, proven


def _suggest(work: _Work, origin: str) -> list[Suggestion]:
    """The smallest single change of one conflicting item that makes the scenario solve (verified)."""
    rows = [r for r in work.lm.rows if r.origin == origin and r.family in RELAXABLE]
    if rows:
        found = _least_bound(work, origin)
        return [s for s in (_numeric_suggestion(work, row, sign, needed) for row, sign, needed in found) if s]
    if origin.endswith(".survive_site_failure") and work.feasible(_all_items(work) - {origin}):
        return [s for s in [_verified(work, origin, True, False, "", "do not require surviving a site loss")] if s]
    if origin.endswith(".sites"):
        return [s for s in [_unpin(work, origin)] if s]
    return []


def _all_items(work: _Work) -> set[str]:
    return {r.origin for r in work.lm.rows if is_item(r)}


def _least_bound(work: _Work, origin: str) -> list[tuple[Row, float, float]]:
    """Elastic re-solve of one item: (row, side, least bound) for each bound that has to move.

    Every finite bound of the item's rows gets a slack e ≥ 0 (expr − e ≤ hi or
    expr + e ≥ lo); the objective is Σ e / max(1, |bound|). Nothing else moves.
    """
    from dcplan.solve.diagnose import elastic_copy

    elastic, slacks = elastic_copy(work.lm, lambda row: row.origin == origin and row.family in RELAXABLE)
    result = work.solve(elastic)
    if result.values is None:
        return []
    return [(row, sign, bound + sign * result.values[index]) for row, sign, bound, index in slacks
            if result.values[index] > 1e-9 * max(1.0, abs(bound))]


def _numeric_suggestion(work: _Work, row: Row, sign: float, needed: float) -> Suggestion | None:
    bound = row.hi if sign > 0 else row.lo
    integral = _integral(work.lm, row)
    value = _outward(needed, sign, integral)
    verb = "raise" if sign > 0 else "lower"
    for _ in range(VERIFY_ATTEMPTS):
        path, unit = _bound_path(work, row, sign)
        words = f"{verb} {path} from {_show(bound, unit)} to {'at least' if sign > 0 else 'at most'} " \
                f"{_show(value, unit)}"
        suggestion = _verified(work, path, bound, value, unit, words)
        if suggestion is not None or work.remaining() <= 0:
            return suggestion
        value = _outward(value + sign * max(_step_of(value, integral), 1e-9), sign, integral)
    return None


def _verified(work: _Work, path: str, current, value, unit: str, words: str) -> Suggestion | None:
    """Apply the change with --set and solve the scenario; None if it is still infeasible."""
    from dcplan.usecases.planning import NoPlan, SolveOptions, plan_scenario
    from dcplan.scenario.load import load_scenario

    argument = f"{set_path(path)}={_set_value(value, unit)}"
    loaded = load_scenario(work.path, (*work.overrides, argument))
    if not loaded.ok:
        work.warnings.append(f"could not apply --set {argument}: {loaded.diagnostics[0].message}")
        return None
    seconds = min(work.scenario.solver.time_limit, max(work.remaining(), 0.0))
    if seconds <= 0.05:
        work.warnings.append(f"no time left to verify --set {argument}")
        return Suggestion(path, current, value, unit, argument, False, words)
    work.solves += 1
    try:
        plan_scenario(loaded.scenario, SolveOptions(engine="scip", time_limit=seconds))
    except NoPlan as no_plan:
        if no_plan.status == "infeasible":
            return None
        work.warnings.append(f"--set {argument} could not be verified in time")
        return Suggestion(path, current, value, unit, argument, False, words)
    return Suggestion(path, current, value, unit, argument, True, words)


def _unpin(work: _Work, origin: str) -> Suggestion | None:
    """The first other site that, allowed too, makes the scenario feasible (or all sites)."""
    index = int(path_tuple(origin)[1])
    workload = work.scenario.workloads[index]
    others = [s.name for s in work.scenario.sites if s.name not in workload.sites]
    pins = {r.name for r in work.lm.rows if r.origin == origin}
    trials = [[name] for name in others] + ([others] if len(others) > 1 else [])
    for extra in trials:
        drop = frozenset(f"pin[workload={workload.name},site={name}]" for name in extra) & pins
        if work.feasible(_all_items(work), drop):
            allowed = [*workload.sites, *extra]
            return _verified(work, origin, list(workload.sites), allowed, "",
                             f"also allow workload {workload.name} at {', '.join(extra)}")
    return None


def _no_single_change(work: _Work) -> None:
    from dcplan.solve.diagnose import limits_hit

    work.warnings.append("no single change of a limit or policy restores feasibility")
    seconds = min(PER_SOLVE_SECONDS, work.remaining())
    if seconds > 0.05:
        work.solves += 1
        lines = limits_hit(work.lm, "scip", seconds) or []
        for line in lines:
            work.warnings.append("changing several limits together works: " + line)
        if not lines:
            work.warnings.append("no relaxation of site power, racks, limits or constraints helps either: change "
                                 "the requirements named in the conflict")


# --------------------------------------------------------------------------- feasible


def _explain_feasible(work: _Work, out: Explanation, base) -> None:
    from dcplan.plan.extract import rounded_values, tidy

    proven = base.status == "optimal"
    if not proven:
        work.warnings.append("the plan is not proven optimal within the time limit; improvements are estimates")
    values = tidy(work.built, rounded_values(work.built, base.values))  # free racks and switches at their least
    found = [(row, sign) for row in work.lm.rows if row.family in RELAXABLE
             for sign in (1.0, -1.0) if _binds(work.lm, row, sign, values)]
    for row, sign in found[:MAX_RELAXATIONS]:
        out.binding.append(_relax(work, row, sign, base, values, proven))
    for row, sign in found[MAX_RELAXATIONS:]:
        out.binding.append(_binding(work, row, sign, values))
    if len(found) > MAX_RELAXATIONS:
        work.warnings.append(f"only the first {MAX_RELAXATIONS} binding limits were re-solved")


def _binds(lm: LinearModel, row: Row, sign: float, values) -> bool:
    bound = row.hi if sign > 0 else row.lo
    if bound in (INF, -INF):
        return False
    lhs = sum(c * values[i] for i, c in row.terms.items())
    slack = (bound - lhs) * sign
    if slack <= 1e-6 * max(1.0, abs(bound)):
        return True
    if row.family in ("power", "racks"):  # one more unit of anything in the row would break it
        smallest = min((abs(c) for c in row.terms.values() if abs(c) > 1e-9), default=math.inf)
        return slack < smallest - 1e-9
    return False


def _binding(work: _Work, row: Row, sign: float, values) -> Binding:
    path, unit = _bound_path(work, row, sign)
    line, column = _where(work, row.origin)
    lhs = sum(c * values[i] for i, c in row.terms.items())
    return Binding(constraint_name(row), _label(work, row.origin), path, work.path, line, column, lhs,
                   row.hi if sign > 0 else row.lo, unit)


def _relax(work: _Work, row: Row, sign: float, base, values, proven: bool) -> Binding:
    """Re-solve with this bound moved outward by one step; the objective's improvement."""
    entry = _binding(work, row, sign, values)
    integral = _integral(work.lm, row)
    step = _relax_step(entry.limit, work.step, integral)
    relaxed = float(f"{entry.limit + sign * step:.6g}")  # the value the --set below spells
    if sign < 0 and entry.limit >= 0:
        relaxed = max(relaxed, 0.0)
    moved = replace(row, hi=relaxed) if sign > 0 else replace(row, lo=relaxed)
    lm = LinearModel(work.lm.variables, [moved if r is row else r for r in work.lm.rows], work.lm.objective,
                     work.lm.names)
    result = work.solve(lm)
    words = f"{'raising' if sign > 0 else 'lowering'} {entry.path} to {_show(relaxed, entry.unit)}"
    entry = replace(entry, relaxed_to=relaxed, set_argument=f"{set_path(entry.path)}={_set_value(relaxed, entry.unit)}")
    if result.values is None:
        return replace(entry, description=words + ": not re-solved in time")
    gain = base.objective - result.objective
    objective = work.built.objective_name
    if gain > 1e-5 * max(1.0, abs(base.objective)):  # beyond the two solves' gap
        effect = f"lowers {objective} by {_show(gain, _objective_unit(work))}"
    else:
        effect, gain = f"does not lower {objective}", 0.0
    return replace(entry, objective_after=result.objective, improvement=gain,
                   proven=proven and result.status == "optimal", description=f"{words} {effect}")


def _relax_step(limit: float, fraction: float, integral: bool) -> float:
    step = abs(limit) * fraction
    if integral:
        return float(max(1, math.ceil(step - 1e-9)))
    return step if step > 0 else 1.0


def _objective_unit(work: _Work) -> str:
    return {"tco": work.scenario.currency, "capex": work.scenario.currency, "energy": "MWh/year",
            "carbon": "t/year", "power": "kW"}.get(work.built.objective_name, "")


# --------------------------------------------------------------------------- the scenario's own words


def path_tuple(origin: str) -> tuple:
    """`sites[0].power` → ('sites', 0, 'power')."""
    return tuple(int(index) if index else name for name, index in _PATH_RE.findall(origin))


def set_path(origin: str) -> str:
    """`sites[0].power` → `sites.0.power`, the `--set` spelling."""
    return ".".join(str(part) for part in path_tuple(origin))


def _where(work: _Work, origin: str) -> tuple[int | None, int | None]:
    positions = work.loaded.positions
    if positions is None or positions.override_of(path_tuple(origin)) is not None:
        return (None, None)
    return positions.of(path_tuple(origin))


def _bound_path(work: _Work, row: Row, sign: float) -> tuple[str, str]:
    """The scenario path of a row's bound and its unit."""
    if row.family == "constraints":
        return f"{row.origin}.{'max' if sign > 0 else 'min'}", ""
    if row.family == "limits":
        return row.origin, LIMIT_UNITS.get(path_tuple(row.origin)[-1], work.scenario.currency)
    if row.family == "racks":
        return row.origin, "racks"
    return row.origin, "kW"


def _conflict(work: _Work, origin: str) -> Conflict:
    line, column = _where(work, origin)
    return Conflict(_label(work, origin), origin, work.path, line, column, _describe(work, origin))


def _label(work: _Work, origin: str) -> str:
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


def _describe(work: _Work, origin: str) -> str:
    parts = path_tuple(origin)
    scenario = work.scenario
    if parts[0] == "sites":
        site = scenario.sites[parts[1]]
        if parts[2] == "power":
            return f"facility power cap {_show(site.power, 'kW')} (IT power × PUE {site.pue:g})"
        plural = "s" if site.racks != 1 else ""
        return f"{site.racks:,} rack position{plural} of {_show(site.rack_power, 'kW')} and {site.rack_units} U each"
    if parts[0] == "limits":
        unit = LIMIT_UNITS.get(parts[1], scenario.currency)
        return f"plan {parts[1]} at most {_show(getattr(scenario.limits, parts[1]), unit)}"
    if parts[0] == "constraints":
        c = scenario.constraints[parts[1]]
        bounds = " and ".join(text for text in (f"≥ {c.min:,.6g}" if c.min is not None else "",
                                                f"≤ {c.max:,.6g}" if c.max is not None else "") if text)
        where = ", ".join(f"{k}: {v}" for k, v in c.where.items()) or "everything bought"
        return f"Σ {c.sum} over {where} {bounds}"
    return _describe_workload(work, parts)


def _describe_workload(work: _Work, parts: tuple) -> str:
    workload = work.scenario.workloads[parts[1]]
    req = work.built.requirements[workload.name]
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
    else:
        text = "needs " + ", ".join(f"{amount:,.6g} {dim}" for dim, amount in req.demand.items() if amount > 0)
    if not any(p.workload == workload.name for p in work.built.pools):
        reasons = "; ".join(f"{item}: {why}" for item, why in list(req.excluded.items())[:4]) or "no candidates"
        text += f"; no purchasable item can serve it ({reasons})"
    return text


# --------------------------------------------------------------------------- numbers


def _integral(lm: LinearModel, row: Row) -> bool:
    """A count (racks, or a constraint over integer units with integer weights): a whole number.

    Money, power, energy and carbon are rounded to 3 significant digits instead,
    even when every price happens to be whole.
    """
    return row.family in ("racks", "constraints") and all(
        lm.variables[i].integer and float(c).is_integer() for i, c in row.terms.items())


def _outward(value: float, sign: float, integral: bool) -> float:
    """Round away from the current bound: up for a cap, down for a minimum (never below 0)."""
    if integral:
        return float(math.ceil(value - 1e-6) if sign > 0 else math.floor(value + 1e-6))
    if value <= 0:
        return 0.0 if sign < 0 else value
    q = _step_of(value, False)
    digits = max(0, -int(round(math.log10(q))))
    rounded = (math.ceil(value / q - 1e-9) if sign > 0 else math.floor(value / q + 1e-9)) * q
    return round(rounded, digits)


def _step_of(value: float, integral: bool) -> float:
    """One unit in the third significant digit (or 1 for whole numbers)."""
    if integral or value == 0:
        return 1.0
    return 10.0 ** (math.floor(math.log10(abs(value))) - 2)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else f"{value:.6g}"


def _set_value(value, unit: str) -> str:
    """The VALUE of a `--set PATH=VALUE`: YAML flow, with the unit for quantities."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(value) + "]"
    if unit in ("kW", "MWh", "t"):
        return f"{_number(value)} {unit}"
    return _number(value)


def _show(value, unit: str) -> str:
    if isinstance(value, (bool, list)) or value is None:
        return str(value)
    text = f"{value:,.0f}" if abs(value) >= 1000 or float(value).is_integer() else f"{value:,.4g}"
    if unit == "racks" and value == 1:
        unit = "rack"
    return f"{text} {unit}".rstrip()
