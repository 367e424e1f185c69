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

import json
import math
import re
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic, ExitCode

OUTCOMES = ("passed", "failed", "invalid", "no_solution")
BASELINE_METRICS = ("capex", "tco", "facility_power_kw", "carbon_t_per_year")
_UNITS = {"it_power_kw": "kW", "facility_power_kw": "kW", "energy_mwh_per_year": "MWh/year",
          "carbon_t_per_year": "t CO2e/year", "racks": "racks", "accelerators": "accelerators"}
_MONEY = ("capex", "opex_per_year", "tco")


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

    @property
    def exit_code(self) -> int:
        return {"passed": ExitCode.OK, "failed": ExitCode.INFEASIBLE, "invalid": ExitCode.INVALID_INPUT,
                "no_solution": ExitCode.NO_SOLUTION}[self.outcome]

    def to_dict(self) -> dict:
        data = asdict(self)
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
    check results (`dcplan check --format json`). Entries without totals (infeasible stubs) are skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text, parse_constant=_no_constant)
    except OSError as err:
        raise BaselineError(f"cannot read baseline {path}: {err.strerror or err}") from None
    except (ValueError, UnicodeDecodeError) as err:
        raise BaselineError(f"baseline {path} is not JSON: {err}") from None
    entries = data if isinstance(data, list) else [data]
    plans: dict[str, dict] = {}
    for index, entry in enumerate(entries):
        where = f"baseline {path}" + (f"[{index}]" if isinstance(data, list) else "")
        if not isinstance(entry, dict) or not isinstance(entry.get("scenario"), str) or "totals" not in entry:
            raise BaselineError(f"{where}: expected a plan from `dcplan solve --format json` "
                                "(with `scenario` and `totals`)")
        totals = entry["totals"]
        if not totals:
            continue
        if not isinstance(totals, dict) or any(not _is_number(totals.get(m)) for m in BASELINE_METRICS):
            raise BaselineError(f"{where}.totals: expected numbers for {', '.join(BASELINE_METRICS)}")
        plans[entry["scenario"]] = totals
    return plans


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


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
        shown = _pct(increase) if increase is not None else "from 0"
        message = (f"baseline {metric}: {shown} "
                   f"({_fmt(old, metric, currency)} -> {_fmt(new, metric, currency)})")
        if not passed:
            message += f", more than the allowed {_pct(max_increase, signed=False)}"
        out.append(BaselineResult(metric, old, new, increase, passed, message))
    return out


# --------------------------------------------------------------------------- assertions


def evaluate_assertions(assertions, totals: dict, sites: list[dict], currency: str = "") -> list[AssertionResult]:
    """Each `assert` entry against the plan's totals (or one site's figures)."""
    by_site = {s["name"]: s for s in sites}
    out = []
    for entry in assertions:
        where = f" at site {entry.site}" if entry.site else ""
        source = totals if entry.site is None else by_site.get(entry.site)
        if source is None:
            out.append(AssertionResult(entry.name, entry.metric, entry.site, None, entry.min, entry.max, False,
                                       f"assert `{entry.name}`: no site {entry.site!r} in the plan"))
            continue
        value = float(source[entry.metric])
        problems = []
        if entry.max is not None and value > entry.max + 1e-6 * max(1.0, abs(entry.max)):
            problems.append(f"above max {_fmt(entry.max, entry.metric, currency)}")
        if entry.min is not None and value < entry.min - 1e-6 * max(1.0, abs(entry.min)):
            problems.append(f"below min {_fmt(entry.min, entry.metric, currency)}")
        verdict = ", ".join(problems) if problems else "within bounds"
        message = f"assert `{entry.name}`: {entry.metric}{where} = {_fmt(value, entry.metric, currency)}, {verdict}"
        out.append(AssertionResult(entry.name, entry.metric, entry.site, value, entry.min, entry.max,
                                   not problems, message))
    return out


def _fmt(value: float, metric: str, currency: str = "") -> str:
    if metric in _MONEY:
        return f"{value:,.0f}" + (f" {currency}" if currency else "")
    decimals = 0 if metric in ("racks", "accelerators") else 1
    return f"{value:,.{decimals}f} {_UNITS.get(metric, '')}".rstrip()


def _pct(share: float, signed: bool = True) -> str:
    return f"{share * 100:{'+' if signed else ''}.1f}%".replace(".0%", "%")


# --------------------------------------------------------------------------- one file


def check_file(path: str | Path, overrides=(), baseline: str | Path | dict | None = None,
               max_increase: float | str | None = None, options=None) -> CheckResult:
    """Load, solve and judge one scenario file. `baseline` is a plan JSON path or `load_baseline`'s
    result; `max_increase` defaults to 0 (any growth fails). Raises api.Interrupted on Ctrl-C."""
    from . import api
    from .scenario_file import load_scenario

    start = time.perf_counter()
    result = CheckResult(str(path))
    loaded = load_scenario(path, overrides)
    if not loaded.ok:
        result.outcome = "invalid"
        result.diagnostics = [d for d in loaded.diagnostics if d.is_error]
        result.messages = [f"{d.path + ': ' if d.path else ''}{d.message}" for d in result.diagnostics]
        result.seconds = time.perf_counter() - start
        return result
    scenario = loaded.scenario
    result.scenario, result.currency = scenario.name, scenario.currency
    try:
        plan = api.plan_scenario(scenario, options)
    except api.NoPlan as no_plan:
        result.status = no_plan.status
        result.outcome = "failed" if no_plan.status == "infeasible" else "no_solution"
        result.messages = [str(no_plan), *no_plan.plan_stub.get("warnings", [])]
        result.seconds = time.perf_counter() - start
        return result
    result.status, result.warnings = plan.status, list(plan.warnings)
    result.totals = dict(plan.totals)
    result.sites = [asdict(s) for s in plan.sites]
    if plan.status != "optimal":
        result.notes.append(f"the plan is {plan.status}, not proven optimal (gap {plan.gap or 0:.2%})")
    result.assertions = evaluate_assertions(scenario.assertions, result.totals, result.sites, scenario.currency)
    _judge_baseline(result, baseline, max_increase)
    result.messages += [a.message for a in result.assertions if not a.passed]
    result.messages += [b.message for b in result.baseline if not b.passed]
    if result.messages:
        result.outcome = "failed"
    result.seconds = time.perf_counter() - start
    return result


def _judge_baseline(result: CheckResult, baseline, max_increase) -> None:
    if baseline is None:
        return
    plans = baseline if isinstance(baseline, dict) else load_baseline(baseline)
    base = plans.get(result.scenario)
    if base is None:
        result.notes.append(f"the baseline has no plan for scenario {result.scenario!r}; not compared")
        return
    threshold = 0.0 if max_increase is None else parse_increase(max_increase)
    result.baseline = compare_baseline(result.totals, base, threshold, result.currency)


# --------------------------------------------------------------------------- reports


def render_json(results: list[CheckResult]) -> str:
    return json.dumps([r.to_dict() for r in results], indent=2, allow_nan=False)


_TABLE_COLUMNS = ("result", "file", "status", "capex", "facility power", "carbon", "time", "problems")


def table_rows(results: list[CheckResult]) -> list[tuple[str, ...]]:
    rows = []
    for r in results:
        t = r.totals or {}
        rows.append((r.outcome, r.file, r.status or "-",
                     _fmt(t["capex"], "capex", r.currency) if t else "-",
                     _fmt(t["facility_power_kw"], "facility_power_kw") if t else "-",
                     _fmt(t["carbon_t_per_year"], "carbon_t_per_year") if t else "-",
                     f"{r.seconds:.2f} s", _problems(r)))
    return rows


def _problems(r: CheckResult) -> str:
    if r.outcome == "invalid":
        return f"{len(r.diagnostics)} error(s) in the file"
    if r.outcome == "no_solution":
        return "the solver stopped without a plan"
    if r.status == "infeasible":
        return "infeasible"
    labels = [f"assert {a.name}" for a in r.assertions if not a.passed]
    labels += [f"baseline {b.metric} {_pct(b.increase) if b.increase is not None else 'from 0'}"
               for b in r.baseline if not b.passed]
    return ", ".join(labels)


def render_table(results: list[CheckResult], color: bool = False) -> str:
    """Plain aligned columns, one line per file (no rich: the text goes to files and CI logs as is)."""
    rows = [_TABLE_COLUMNS, *table_rows(results)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_TABLE_COLUMNS))]
    styles = {"passed": "32", "failed": "31", "invalid": "31", "no_solution": "33"}
    lines = []
    for index, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths)]
        if color and index:
            cells[0] = f"\x1b[1;{styles[row[0]]}m{cells[0]}\x1b[0m"
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


# XML 1.0 allows no control characters other than tab, newline and carriage return.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render_junit(results: list[CheckResult]) -> str:
    """JUnit XML: one test suite, per file a `plan` case plus one case per assertion and baseline metric.

    Invalid files and solver stops are <error>s; infeasible plans, broken assertions and growth
    past the baseline threshold are <failure>s.
    """
    import xml.etree.ElementTree as ET

    clean = lambda text: _NOT_XML.sub("?", text)  # noqa: E731 - one-line sanitiser
    suite = ET.Element("testsuite", name="dcplan check")
    counts = {"tests": 0, "failures": 0, "errors": 0}

    def case(classname: str, name: str, seconds: float, kind: str | None = None, message: str = "",
             detail: str = "") -> None:
        element = ET.SubElement(suite, "testcase", classname=clean(classname), name=clean(name),
                                time=f"{seconds:.3f}")
        counts["tests"] += 1
        if kind is not None:
            counts["failures" if kind == "failure" else "errors"] += 1
            child = ET.SubElement(element, kind, message=clean(message), type=kind)
            child.text = clean(detail or message)

    for r in results:
        detail = "\n".join(r.messages)
        if r.outcome == "invalid":
            case(r.file, "plan", r.seconds, "error", f"invalid scenario file: {len(r.diagnostics)} error(s)",
                 "\n".join(f"{d.location()}: {d.path + ': ' if d.path else ''}{d.message}" for d in r.diagnostics))
        elif r.outcome == "no_solution":
            case(r.file, "plan", r.seconds, "error", r.messages[0] if r.messages else "no solution", detail)
        elif r.status == "infeasible":
            case(r.file, "plan", r.seconds, "failure", r.messages[0] if r.messages else "infeasible", detail)
        else:
            case(r.file, "plan", r.seconds)
        for a in r.assertions:
            case(r.file, f"assert {a.name}", 0.0, None if a.passed else "failure", a.message)
        for b in r.baseline:
            case(r.file, f"baseline {b.metric}", 0.0, None if b.passed else "failure", b.message)
    total = sum(r.seconds for r in results)
    suite.set("tests", str(counts["tests"]))
    suite.set("failures", str(counts["failures"]))
    suite.set("errors", str(counts["errors"]))
    suite.set("skipped", "0")
    suite.set("time", f"{total:.3f}")
    root = ET.Element("testsuites", name="dcplan", tests=str(counts["tests"]), failures=str(counts["failures"]),
                      errors=str(counts["errors"]), time=f"{total:.3f}")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode")
