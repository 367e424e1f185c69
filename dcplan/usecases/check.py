"""`dcplan check`: solve scenarios and judge each plan, for CI gates.

A file passes when it is valid, a plan is found, every `assert` entry of the
scenario holds on that plan and, given a baseline plan, none of capex, TCO,
facility power and carbon grew past `max_increase`. Unlike `limits` (hard
constraints of the model: a scenario that cannot meet them is infeasible),
assertions are evaluated after solving, against the optimal plan.

Outcome of one file and the exit code it asks for:

    invalid      the file does not load (diagnostics)                     2
    no_solution  the solver stopped (time limit, error) without a plan    3
    failed       infeasible, a broken assertion, or growth vs baseline    1
    passed                                                                 0

Over several files the most fundamental problem wins: 2 over 3 over 1 over 0
(cannot read > cannot decide > decided and failed).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from dcplan.diagnostics import Diagnostic, ExitCode

OUTCOMES = ("passed", "failed", "invalid", "no_solution")
BASELINE_METRICS = ("capex", "tco", "facility_power_kw", "carbon_t_per_year")
_UNITS = {"it_power_kw": "kW", "facility_power_kw": "kW", "energy_mwh_per_year": "MWh/year",
          "carbon_t_per_year": "t CO2e/year", "racks": "racks", "accelerators": "accelerators"}
_MONEY = ("capex", "opex_per_year", "tco", "npv")


@dataclass(frozen=True)
class AssertionResult:
    """One `assert` entry evaluated on a plan."""

    name: str
    metric: str
    site: str | None
    value: float | None
    min: float | None
    max: float | None
    passed: bool
    message: str


@dataclass(frozen=True)
class BaselineResult:
    """One metric compared with the baseline plan; `increase` is relative (None when the baseline is 0)."""

    metric: str
    baseline: float
    value: float
    increase: float | None
    passed: bool
    message: str


@dataclass
class CheckResult:
    file: str
    outcome: str = "passed"
    scenario: str | None = None
    status: str | None = None  # the plan's status: optimal | feasible | infeasible | no_solution
    seconds: float = 0.0
    messages: list[str] = field(default_factory=list)  # why the file did not pass
    notes: list[str] = field(default_factory=list)  # worth knowing, not a failure
    totals: dict | None = None
    sites: list[dict] = field(default_factory=list)
    assertions: list[AssertionResult] = field(default_factory=list)
    baseline: list[BaselineResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # the plan's own warnings
    diagnostics: list[Diagnostic] = field(default_factory=list)
    currency: str = ""
    not_in_baseline: bool = False  # a baseline was given and has no plan of this scenario

    @property
    def exit_code(self) -> int:
        return {"passed": ExitCode.OK, "failed": ExitCode.INFEASIBLE, "invalid": ExitCode.INVALID_INPUT,
                "no_solution": ExitCode.NO_SOLUTION}[self.outcome]

    def to_dict(self) -> dict:
        """One file's verdict; `dcplan: 1` first, as in a plan, so a saved report can be a versioned baseline."""
        data = {"dcplan": 1, **asdict(self)}
        data["seconds"] = round(self.seconds, 3)
        data["diagnostics"] = [d.to_dict() for d in self.diagnostics]
        return data


def exit_code(results: list[CheckResult]) -> int:
    """2 (invalid) over 3 (no solution) over 1 (failed) over 0."""
    codes = {r.exit_code for r in results}
    for code in (ExitCode.INVALID_INPUT, ExitCode.NO_SOLUTION, ExitCode.INFEASIBLE):
        if code in codes:
            return int(code)
    return int(ExitCode.OK)


# --------------------------------------------------------------------------- baseline


class BaselineError(ValueError):
    """A baseline file that cannot be used (exit 2)."""


def parse_increase(text: str | float) -> float:
    """'5%' or '0.05' (or 0.05) → 0.05; negative, infinite or unreadable values are refused."""
    raw = str(text).strip()
    try:
        value = float(raw[:-1]) / 100.0 if raw.endswith("%") else float(raw)
    except ValueError:
        raise BaselineError(f"expected a share such as 5% or 0.05, found {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise BaselineError(f"expected a share of at least 0 such as 5% or 0.05, found {text!r}")
    return value


def load_baseline(path: str | Path) -> dict[str, dict]:
    """Scenario name → totals, from a plan JSON (`dcplan solve --format json`) or a list of plans or
    check results (`dcplan check --format json`), read by dcplan.plan.document."""
    from dcplan.plan.document import PlanFileError, baseline_totals

    try:
        return baseline_totals(path, BASELINE_METRICS)
    except PlanFileError as err:
        message = str(err)
        raise BaselineError(message if message.startswith("baseline") else f"baseline {message}") from None






def compare_baseline(totals: dict, base: dict, max_increase: float,
                     currency: str = "") -> list[BaselineResult]:
    """Growth of each BASELINE_METRICS total over the baseline; more than `max_increase` fails."""
    out = []
    for metric in BASELINE_METRICS:
        old, new = float(base[metric]), float(totals[metric])
        if old > 0:
            increase = (new - old) / old
        else:  # no relative growth from nothing: staying at (or below) it is 0 %, anything more fails
            increase = 0.0 if new <= old + 1e-9 else None
        passed = increase is not None and increase <= max_increase + 1e-9
        shown = format_share(increase) if increase is not None else "from 0"
        message = (f"baseline {metric}: {shown} "
                   f"({format_metric(old, metric, currency)} -> {format_metric(new, metric, currency)})")
        if not passed:
            message += f", more than the allowed {format_share(max_increase, signed=False)}"
        out.append(BaselineResult(metric, old, new, increase, passed, message))
    return out


# --------------------------------------------------------------------------- assertions


PERIOD_KEYS = {"opex_per_year": "opex"}
"""A build-out period's summary names its opex `opex` (per year); other metrics keep their names."""


def _source(entry, totals: dict, sites: list[dict], periods: list[dict]):
    """The figures an assertion reads: the plan's totals, a site's, a period's, or a site's in a period;
    None (with why) when the plan has no such site or period."""
    if entry.period is not None:
        period = next((p for p in periods if float(p["label"]) == entry.period), None)
        if period is None:
            return None, f"no period {entry.period:g} in the plan"
        if entry.site is None:
            return {m: period[PERIOD_KEYS.get(m, m)] for m in ASSERTION_PERIOD_METRICS}, ""
        site = next((s for s in period["sites"] if s["name"] == entry.site), None)
        return site, "" if site is not None else f"no site {entry.site!r} in period {entry.period:g}"
    if entry.site is None:
        return totals, ""
    site = next((s for s in sites if s["name"] == entry.site), None)
    return site, "" if site is not None else f"no site {entry.site!r} in the plan"


ASSERTION_PERIOD_METRICS = ("capex", "opex_per_year", "it_power_kw", "facility_power_kw", "energy_mwh_per_year",
                            "carbon_t_per_year", "racks", "accelerators")


def evaluate_assertions(assertions, totals: dict, sites: list[dict], currency: str = "",
                        periods: list[dict] = ()) -> list[AssertionResult]:
    """Each `assert` entry against the plan's totals (or one site's, one period's, or a site's in a period)."""
    out = []
    for entry in assertions:
        where = (f" at site {entry.site}" if entry.site else "") + \
            (f" in {entry.period:g}" if getattr(entry, "period", None) is not None else "")
        source, why = _source(entry, totals, sites, periods)
        if source is None or entry.metric not in source:
            out.append(AssertionResult(entry.name, entry.metric, entry.site, None, entry.min, entry.max, False,
                                       f"assert `{entry.name}`: {why or f'the plan has no {entry.metric}'}"))
            continue
        value = float(source[entry.metric])
        problems = []
        if entry.max is not None and value > entry.max + 1e-6 * max(1.0, abs(entry.max)):
            problems.append(f"above max {format_metric(entry.max, entry.metric, currency)}")
        if entry.min is not None and value < entry.min - 1e-6 * max(1.0, abs(entry.min)):
            problems.append(f"below min {format_metric(entry.min, entry.metric, currency)}")
        verdict = ", ".join(problems) if problems else "within bounds"
        message = f"assert `{entry.name}`: {entry.metric}{where} = {format_metric(value, entry.metric, currency)}, {verdict}"
        out.append(AssertionResult(entry.name, entry.metric, entry.site, value, entry.min, entry.max,
                                   not problems, message))
    return out


def format_metric(value: float, metric: str, currency: str = "") -> str:
    if metric in _MONEY:
        return f"{value:,.0f}" + (f" {currency}" if currency else "")
    decimals = 0 if metric in ("racks", "accelerators") else 1
    return f"{value:,.{decimals}f} {_UNITS.get(metric, '')}".rstrip()


def format_share(share: float, signed: bool = True) -> str:
    return f"{share * 100:{'+' if signed else ''}.1f}%".replace(".0%", "%")


# --------------------------------------------------------------------------- one file


def check_file(path: str | Path, overrides=(), baseline: str | Path | dict | None = None,
               max_increase: float | str | None = None, options=None, allow_new: bool = False,
               on_status=None) -> CheckResult:
    """Load, solve and judge one scenario file. `baseline` is a plan JSON path or `load_baseline`'s
    result; `max_increase` defaults to 0 (any growth fails). A scenario the baseline has no plan of fails
    (a rename would otherwise skip the gate) unless `allow_new`. `on_status` follows the planning run
(dcplan.plan_scenario's hook). Raises api.Interrupted on Ctrl-C."""
    from dcplan.usecases import planning as api
    from dcplan.usecases.validate import validate_scenario

    start = time.perf_counter()
    result = CheckResult(str(path))
    options = options or api.SolveOptions()
    # As `dcplan solve`: the time limit counts from the end of loading, sizing (done while validating) in it.
    loaded = validate_scenario(path, overrides, solving=True, time_limit=options.time_limit)
    if not loaded.ok:
        result.outcome = "invalid"
        result.diagnostics = [d for d in loaded.diagnostics if d.is_error]
        result.messages = [f"{d.path + ': ' if d.path else ''}{d.message}" for d in result.diagnostics]
        result.seconds = time.perf_counter() - start
        return result
    scenario = loaded.scenario
    result.scenario, result.currency = scenario.name, scenario.currency
    try:
        plan = api.plan_scenario(scenario, replace(options, started=loaded.loaded_at), on_status=on_status,
                                 requirements=loaded.requirements)
    except api.NoPlan as no_plan:
        result.status = no_plan.status
        result.outcome = "failed" if no_plan.status == "infeasible" else "no_solution"
        result.messages = [str(no_plan), *no_plan.plan_stub.get("warnings", [])]
        result.seconds = time.perf_counter() - start
        return result
    result.status, result.warnings = plan.status, list(plan.warnings)
    result.totals = plan.to_dict()["totals"]  # as the plan JSON has them, so a baseline compares like with like
    result.sites = [asdict(s) for s in plan.sites]
    if plan.status != "optimal":
        result.notes.append(f"the plan is {plan.status}, not proven optimal (gap {plan.gap or 0:.2%})")
    result.assertions = evaluate_assertions(scenario.assertions, result.totals, result.sites, scenario.currency,
                                            plan.to_dict().get("periods", []))
    _judge_baseline(result, baseline, max_increase, allow_new)
    result.messages += [a.message for a in result.assertions if not a.passed]
    result.messages += [b.message for b in result.baseline if not b.passed]
    if result.messages:
        result.outcome = "failed"
    result.seconds = time.perf_counter() - start
    return result


def _judge_baseline(result: CheckResult, baseline, max_increase, allow_new: bool) -> None:
    if baseline is None:
        return
    plans = baseline if isinstance(baseline, dict) else load_baseline(baseline)
    base = plans.get(result.scenario)
    if base is None:
        if allow_new:
            result.notes.append(f"the baseline has no plan for scenario {result.scenario!r}; not compared "
                                "(--allow-new)")
        else:
            result.not_in_baseline = True
            result.messages.append(f"the baseline has no plan for scenario {result.scenario!r}: a new or renamed "
                                   "scenario is not compared, so it fails unless --allow-new is given")
        return
    threshold = 0.0 if max_increase is None else parse_increase(max_increase)
    result.baseline = compare_baseline(result.totals, base, threshold, result.currency)
