"""Reading plan JSON back: one reader for `diff` (a plan to compare) and `check --baseline` (the
totals to compare against), so both accept and refuse the same files for the same reasons.

A plan file is what `dcplan solve --format json` writes (format `dcplan: 1`). Files are read
with a size cap, as UTF-8, with NaN and Infinity refused (JSON has no such numbers).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

STDIN = "-"
"""The path that means standard input (dcplan.scenario.loader.STDIN; not imported from there, which
would load the YAML parser into every reader of plan JSON, such as the HTML renderer)."""

MAX_PLAN_BYTES = 256_000_000
PLAN_FORMAT = 1
PLAN_KEYS = ("dcplan", "status", "objective", "totals", "sites", "bom")
TOTAL_KEYS = ("capex", "opex_per_year", "tco", "facility_power_kw", "it_power_kw", "energy_mwh_per_year",
              "carbon_t_per_year", "racks", "accelerators")
BOM_KEYS = ("site", "category", "item", "quantity", "unit_price", "extended_price")
SITE_KEYS = ("name", "facility_power_kw", "racks")
PLAN_MARKERS = {"bom", "totals", "status", "assignments", "scenario"}  # keys a scenario never has


class PlanFileError(ValueError):
    """A file that is not a usable plan JSON (exit 2); the message names the file and the problem."""


class PlanWithoutResult(PlanFileError):
    """A plan file of an infeasible or unsolved scenario: it has a status but nothing to compare."""

    def __init__(self, source: str, status: str, warnings: list):
        super().__init__(f"{source}: the plan has status {status}: there is nothing to compare")
        self.status, self.warnings = status, list(warnings)


def read_json(path: str | Path, *, must_be_json: bool = True):
    """The parsed JSON document at `path`. With `must_be_json=False` a file that is not JSON (a YAML
    scenario) gives None instead of an error, so a caller can try it as a scenario next."""
    path = Path(path)
    if str(path) == STDIN:
        from dcplan.scenario.loader import YamlProblem, read_stdin
    else:
        YamlProblem = OSError  # noqa: N806 - only OSError can happen reading a file
    try:
        if str(path) == STDIN:  # read once and kept, so a scenario on stdin can still be loaded after this
            raw = read_stdin(MAX_PLAN_BYTES)
        else:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_PLAN_BYTES + 1)
    except (OSError, YamlProblem) as err:
        if must_be_json:
            raise PlanFileError(f"{path}: cannot read: {getattr(err, 'strerror', None) or err}") from None
        return None
    if len(raw) > MAX_PLAN_BYTES:
        raise PlanFileError(f"{path}: file is larger than {MAX_PLAN_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        if must_be_json:
            raise PlanFileError(f"{path}: not UTF-8 text, so not a plan JSON") from None
        return None
    if not must_be_json and not text.lstrip().startswith("{"):
        return None
    try:
        return json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as err:
        if not must_be_json:
            return None
        where = f"{err.lineno}:{err.colno}: " if isinstance(err, json.JSONDecodeError) else ""
        message = err.msg if isinstance(err, json.JSONDecodeError) else str(err) or "nested too deeply"
        raise PlanFileError(f"{path}:{where}not valid JSON: {message}") from None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number a plan may contain")


def looks_like_plan(path: str | Path, data) -> bool:
    """Is a JSON document meant as a plan (rather than a scenario written in JSON)?"""
    suffix_json = Path(path).suffix.lower() == ".json"
    if not isinstance(data, dict):
        return suffix_json
    if "dcplan_diff" in data or PLAN_MARKERS & data.keys():
        return True
    return suffix_json and "workloads" not in data


def read_plan(path: str | Path) -> dict:
    """A checked plan dict from a plan JSON file; raises PlanFileError (PlanWithoutResult for a stub)."""
    data = read_json(path)
    check_plan(data, str(path))
    return data


def check_plan(data, source: str) -> None:
    """Raise PlanFileError naming the first missing or mistyped key; PlanWithoutResult for an infeasible stub."""
    def fail(message: str):
        raise PlanFileError(f"{source}: {message}")

    if not isinstance(data, dict):
        fail("a plan JSON must be an object with the keys of `dcplan solve --format json`")
    if "dcplan_diff" in data:
        fail("this is a diff (from `dcplan diff --format json`), not a plan")
    if data.get("status") in ("infeasible", "no_solution") and "bom" not in data:
        raise PlanWithoutResult(source, data["status"], data.get("warnings") or [])
    for key in PLAN_KEYS:
        if key not in data:
            fail(f"missing key `{key}` (not a plan from `dcplan solve --format json`?)")
    if data["dcplan"] != PLAN_FORMAT:
        fail(f"unsupported plan version `dcplan: {data['dcplan']!r}`; this dcplan reads version {PLAN_FORMAT}")
    if not isinstance(data["totals"], dict):
        fail("`totals` must be an object")
    for key in TOTAL_KEYS:
        _number(data["totals"], key, "totals", fail)
    for name, keys in (("sites", SITE_KEYS), ("bom", BOM_KEYS)):
        _check_entries(data, name, keys, fail)
    seen = set()
    for i, line in enumerate(data["bom"]):
        key = (line["site"], line["category"], line["item"], line.get("period"), line.get("sourcing"))
        if key in seen:
            fail(f"`bom[{i}]`: a second line for site {key[0]}, {key[1]} {key[2]}")
        seen.add(key)


def _check_entries(data: dict, name: str, keys: tuple, fail) -> None:
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


def _number(mapping: dict, key: str, where: str, fail) -> None:
    if key not in mapping:
        fail(f"`{where}`: missing key `{key}`")
    value = mapping[key]
    if not is_number(value):
        fail(f"`{where}.{key}` must be a finite number, not {value!r}")


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def baseline_totals(path: str | Path, metrics: tuple[str, ...]) -> dict[str, dict]:
    """Scenario name → totals from a baseline: a plan JSON (`dcplan solve --format json`) or a list of
    plans or check results (`dcplan check --format json`). Entries without totals (infeasible stubs)
    are skipped; every kept entry must give a finite number for each of `metrics`."""
    data = read_json(path)
    entries = data if isinstance(data, list) else [data]
    plans: dict[str, dict] = {}
    for index, entry in enumerate(entries):
        where = f"baseline {path}" + (f"[{index}]" if isinstance(data, list) else "")
        if not isinstance(entry, dict) or not isinstance(entry.get("scenario"), str) or "totals" not in entry:
            raise PlanFileError(f"{where}: expected a plan from `dcplan solve --format json` "
                                "(with `scenario` and `totals`)")
        if entry.get("dcplan") != PLAN_FORMAT:
            # As `diff` does: totals of another format version may not mean the same; never compare them.
            found = f"`dcplan: {entry['dcplan']!r}`" if "dcplan" in entry else "no `dcplan` version key"
            raise PlanFileError(f"{where}: unsupported plan version ({found}); this dcplan reads version "
                                f"{PLAN_FORMAT}: save the baseline again with this dcplan")
        totals = entry["totals"]
        if not totals:
            continue
        if not isinstance(totals, dict) or any(not is_number(totals.get(m)) for m in metrics):
            raise PlanFileError(f"{where}.totals: expected numbers for {', '.join(metrics)}")
        plans[entry["scenario"]] = totals
    return plans
