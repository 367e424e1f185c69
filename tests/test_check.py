"""`dcplan check`: the CI gate. Exit codes and their precedence, `assert` entries in the schema and on
the plan, JSON and JUnit reports, and growth against a baseline plan.

The scenarios here are one small CPU workload (solves in well under a second);
the bundled scenarios are checked once through the real command.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dcplan.usecases import check
from dcplan.cli import app
from dcplan.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parent.parent

# 64 vCPUs on one priced CPU server (35,000) and its front-end leaf and spine (2 x sn2700 at 49,000, 6 optics at
# 80): capex 133,480 USD, a few kW, one rack.
BASE = """\
dcplan: 1
name: {name}
sites:
  - {{name: a, power: 1 MW, racks: 10, rack_power: 40 kW}}
workloads:
  - {{name: etl, type: cpu, vcpus: {vcpus}}}
catalog:
  prices: {{epyc-9654-2s: 35000}}
"""

HOLDS = """\
assert:
  - {name: capex-budget, metric: capex, max: 1e6}
  - {name: site-a-power, metric: facility_power_kw, site: a, max: 1 MW, min: 0.5}
"""

BROKEN = """\
assert:
  - {name: capex-budget, metric: capex, max: 1e6}
  - {name: shoestring, metric: capex, max: 1000}
"""


def run(*args) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def scenario(tmp_path: Path, extra: str = "", *, name: str = "tiny", vcpus: int = 64, file: str = "") -> Path:
    path = tmp_path / (file or f"{name}-{vcpus}-{abs(hash(extra)) % 10**6}.yaml")
    path.write_text(BASE.format(name=name, vcpus=vcpus) + extra, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the gate


def test_bundled_scenarios_pass_through_the_real_command():
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenarios").glob("*.yaml"))
    assert files
    proc = subprocess.run([sys.executable, "-m", "dcplan", "check", *files], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = [line.split() for line in proc.stdout.splitlines()[1:]]
    assert [(row[0], row[1]) for row in rows] == [("passed", f) for f in files]
    assert f"{len(files)} of {len(files)} file(s) passed" in proc.stderr


def test_assertions_that_hold_pass(tmp_path):
    result = run("check", scenario(tmp_path, HOLDS))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].startswith("passed")
    assert "1 of 1 file(s) passed" in result.stderr


def test_a_broken_assertion_fails_and_is_named(tmp_path):
    result = run("check", scenario(tmp_path, BROKEN))
    assert result.exit_code == 1
    assert "assert shoestring" in result.stdout and "capex-budget" not in result.stdout
    assert "assert `shoestring`: capex = 133,480 USD, above max 1,000 USD" in result.stderr


def test_assertion_below_min_fails(tmp_path):
    extra = "assert:\n  - {name: enough-racks, metric: racks, min: 5}\n"
    result = run("check", scenario(tmp_path, extra))
    assert result.exit_code == 1
    assert "enough-racks" in result.stderr and "below min 5 racks" in result.stderr


def test_assert_does_not_change_the_plan(tmp_path):
    """Unlike limits, an assertion is judged after solving: the plan is the one without it."""
    with_assert = json.loads(run("solve", scenario(tmp_path, BROKEN), "--format", "json").stdout)
    without = json.loads(run("solve", scenario(tmp_path), "--format", "json").stdout)
    assert with_assert["totals"] == without["totals"]


def test_infeasible_scenario_fails_with_the_reason(tmp_path):
    result = run("check", scenario(tmp_path, "limits: {capex: 1000}\n"))
    assert result.exit_code == 1
    assert "infeasible" in result.stdout
    assert "limits.capex" in result.stderr


def test_invalid_file_exits_2_even_next_to_a_failing_one(tmp_path):
    bad = scenario(tmp_path, "sitez: []\n", file="bad.yaml")
    result = run("check", bad, scenario(tmp_path, BROKEN))
    assert result.exit_code == 2
    lines = result.stdout.splitlines()
    assert lines[1].startswith("invalid") and lines[2].startswith("failed")
    assert f"{bad}:9:1" in result.stderr and "did you mean `sites`" in result.stderr


def test_missing_file_is_invalid(tmp_path):
    assert run("check", tmp_path / "nope.yaml").exit_code == 2


@pytest.mark.parametrize(("outcomes", "code"), [
    ((), 0),
    (("passed", "passed"), 0),
    (("passed", "failed"), 1),
    (("failed", "no_solution", "passed"), 3),
    (("no_solution", "invalid", "failed"), 2),
])
def test_exit_code_precedence(outcomes, code):
    assert check.exit_code([check.CheckResult(f"f{i}", outcome=o) for i, o in enumerate(outcomes)]) == code


def test_set_applies_to_every_file(tmp_path):
    path = scenario(tmp_path, BROKEN)
    assert run("check", path, "--set", "assert.shoestring.max=1e6").exit_code == 0


# --------------------------------------------------------------------------- reports


def test_json_report(tmp_path):
    holds, broken = scenario(tmp_path, HOLDS), scenario(tmp_path, BROKEN)
    result = run("check", holds, broken, "--format", "json")
    assert result.exit_code == 1
    first, second = json.loads(result.stdout)
    assert (first["file"], first["outcome"], first["status"]) == (str(holds), "passed", "optimal")
    assert first["totals"]["capex"] == pytest.approx(133480)
    assert [a["passed"] for a in first["assertions"]] == [True, True]
    assert second["outcome"] == "failed"
    shoestring = next(a for a in second["assertions"] if a["name"] == "shoestring")
    assert (shoestring["value"], shoestring["max"], shoestring["passed"]) == (pytest.approx(133480), 1000, False)
    assert any("shoestring" in m for m in second["messages"])


def test_junit_report_counts_and_escaping(tmp_path):
    holds = scenario(tmp_path, HOLDS, file="r&d <ok>.yaml")
    broken = scenario(tmp_path, BROKEN)
    infeasible = scenario(tmp_path, "limits: {capex: 1000}\n")
    invalid = scenario(tmp_path, "sitez: []\n", file="bad.yaml")
    target = tmp_path / "report.xml"
    result = run("check", holds, broken, infeasible, invalid, "--format", "junit", "-o", target)
    assert result.exit_code == 2
    assert result.stdout == ""
    root = ET.fromstring(target.read_text(encoding="utf-8"))
    suite = root.find("testsuite")
    assert suite.get("name") == "dcplan check"
    # 4 files + 2 assertions each for the two files with a plan
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("8", "2", "1")
    assert len(suite.findall("testcase")) == 8
    cases = {(c.get("classname"), c.get("name")): c for c in suite.findall("testcase")}
    assert cases[(str(holds), "plan")].find("failure") is None
    assert "shoestring" in cases[(str(broken), "assert shoestring")].find("failure").get("message")
    assert cases[(str(infeasible), "plan")].find("failure") is not None
    assert cases[(str(invalid), "plan")].find("error") is not None


def test_output_file_is_the_report(tmp_path):
    target = tmp_path / "out.txt"
    path = scenario(tmp_path, HOLDS)
    result = run("check", path, "-o", target)
    assert result.exit_code == 0 and result.stdout == ""
    assert target.read_text(encoding="utf-8").splitlines()[1].startswith("passed")


def test_format_choices(tmp_path):
    path = scenario(tmp_path)
    assert run("check", path, "--format", "JUNIT").exit_code == 0
    for fmt in ("csv", "yaml", "pdf"):
        result = run("check", path, "--format", fmt)
        assert result.exit_code == 2 and result.stdout == ""


# --------------------------------------------------------------------------- baseline


@pytest.fixture
def base_plan(tmp_path) -> Path:
    target = tmp_path / "main-plan.json"
    assert run("solve", scenario(tmp_path), "--format", "json", "-o", target).exit_code == 0
    return target


def test_unchanged_scenario_passes_against_its_baseline(tmp_path, base_plan):
    result = run("check", scenario(tmp_path), "--baseline", base_plan, "--format", "json")
    assert result.exit_code == 0, result.output
    comparisons = json.loads(result.stdout)[0]["baseline"]
    assert [c["metric"] for c in comparisons] == list(check.BASELINE_METRICS)
    assert all(c["passed"] and c["increase"] == pytest.approx(0) for c in comparisons)


def test_growth_past_the_threshold_fails_and_within_passes(tmp_path, base_plan):
    grown = scenario(tmp_path, vcpus=512)  # more servers: capex, power and carbon all grow
    failed = run("check", grown, "--baseline", base_plan, "--max-increase", "5%")
    assert failed.exit_code == 1
    assert "baseline capex" in failed.stdout
    assert "more than the allowed 5%" in failed.stderr
    assert run("check", grown, "--baseline", base_plan, "--max-increase", "100").exit_code == 0


def test_only_growth_fails(tmp_path):
    big = tmp_path / "big.json"
    assert run("solve", scenario(tmp_path, vcpus=512), "--format", "json", "-o", big).exit_code == 0
    assert run("check", scenario(tmp_path), "--baseline", big).exit_code == 0


def test_baseline_from_check_json_matches_by_scenario_name(tmp_path):
    saved = tmp_path / "saved.json"
    run("check", scenario(tmp_path, name="one"), scenario(tmp_path, name="two"), "-f", "json", "-o", saved)
    result = run("check", scenario(tmp_path, name="two", vcpus=512), scenario(tmp_path, name="three"),
                 "--baseline", saved, "--max-increase", "0.05", "--format", "json", "--allow-new")
    assert result.exit_code == 1
    two, three = json.loads(result.stdout)
    assert two["outcome"] == "failed" and not all(c["passed"] for c in two["baseline"])
    assert three["outcome"] == "passed" and three["baseline"] == []
    assert "no plan for scenario 'three'" in result.stderr


def test_a_scenario_missing_from_the_baseline_fails_unless_allowed(tmp_path, base_plan):
    """A rename used to skip the gate with a note: a scenario the baseline does not know is not compared."""
    renamed = scenario(tmp_path, name="renamed")
    failed = run("check", renamed, "--baseline", base_plan, "--format", "junit")
    assert failed.exit_code == 1
    assert "not compared, so it fails unless --allow-new" in failed.stderr
    assert '<testcase classname="' in failed.stdout and 'name="baseline"' in failed.stdout and "<failure" in failed.stdout
    allowed = run("check", renamed, "--baseline", base_plan, "--allow-new")
    assert allowed.exit_code == 0, allowed.output
    assert run("check", renamed, "--allow-new").exit_code == 2  # needs --baseline


@pytest.mark.parametrize("version", [2, None])
def test_a_baseline_of_another_format_version_is_refused(tmp_path, base_plan, version):
    data = json.loads(Path(base_plan).read_text())
    if version is None:
        del data["dcplan"]
    else:
        data["dcplan"] = version
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    result = run("check", scenario(tmp_path), "--baseline", other)
    assert result.exit_code == 2 and "unsupported plan version" in result.output
    assert result.stdout == ""


@pytest.mark.parametrize("args", [
    ["--max-increase", "5%"],                      # without --baseline
    ["--baseline", "BASE", "--max-increase", "lots"],
    ["--baseline", "BASE", "--max-increase", "-5%"],
    ["--baseline", "MISSING"],
    ["--baseline", "NOT_A_PLAN"],
], ids=lambda a: " ".join(a))
def test_bad_baseline_options_exit_2_before_solving(tmp_path, base_plan, args):
    (tmp_path / "not-a-plan.json").write_text('{"hello": 1}', encoding="utf-8")
    names = {"BASE": base_plan, "MISSING": tmp_path / "missing.json", "NOT_A_PLAN": tmp_path / "not-a-plan.json"}
    result = run("check", scenario(tmp_path), *[names.get(a, a) for a in args])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""


@pytest.mark.parametrize(("text", "share"), [("5%", 0.05), ("0.05", 0.05), (" 12.5 % ", 0.125), ("0", 0.0)])
def test_parse_increase(text, share):
    assert check.parse_increase(text) == pytest.approx(share)


# --------------------------------------------------------------------------- the `assert` section


def test_schema_reads_assert_with_units(tmp_path):
    loaded = load_scenario(scenario(tmp_path, HOLDS + "  - {name: grid, metric: energy_mwh_per_year, max: 2 GWh}\n"))
    assert loaded.ok, loaded.diagnostics
    budget, site_power, grid = loaded.scenario.assertions
    assert (budget.metric, budget.max, budget.site) == ("capex", 1e6, None)
    assert (site_power.site, site_power.max, site_power.min) == ("a", 1000.0, 0.5)
    assert grid.max == 2000.0


def _problems(tmp_path, extra: str) -> str:
    result = run("validate", scenario(tmp_path, extra))
    assert result.exit_code == 2, result.output
    return result.stdout


@pytest.mark.parametrize(("entry", "expected"), [
    ("{name: x, metric: capx, max: 1}", "did you mean `capex`?"),
    ("{name: x, metirc: capex, max: 1}", "did you mean `metric`?"),
    ("{name: x, metric: capex}", "give `min`, `max` or both"),
    ("{name: x, metric: capex, min: 5, max: 1}", "is above `max`"),
    ("{name: x, metric: facility_power_kw, max: 5 TB}", "which is a data size"),
    ("{name: x, metric: capex, max: 250 M}", "takes a plain number"),
    ("{name: x, metric: capex, max: 1, site: a}", "with `site`, `metric` must be one of"),
    ("{name: x, metric: racks, max: 1, site: b}", "no site named 'b'"),
], ids=["unknown-metric", "unknown-key", "no-bound", "min-above-max", "wrong-dimension", "unit-on-money",
        "site-metric", "unknown-site"])
def test_schema_rejects_bad_assert_entries(tmp_path, entry, expected):
    assert expected in _problems(tmp_path, f"assert:\n  - {entry}\n")


def test_unknown_top_level_key_suggests_assert(tmp_path):
    assert "did you mean `assert`?" in _problems(tmp_path, "asert: []\n")


def test_duplicate_assertion_names(tmp_path):
    text = _problems(tmp_path, "assert:\n  - {name: x, metric: capex, max: 1}\n  - {name: x, metric: tco, max: 1}\n")
    assert "'x' is already used" in text


def test_json_schema_names_the_section_assert():
    from dcplan.scenario.json_schema import scenario_json_schema

    schema = scenario_json_schema()
    assert "assert" in schema["properties"] and "assertions" not in schema["properties"]
    metrics = schema["$defs"]["Assertion"]["properties"]["metric"]["enum"]
    assert set(metrics) == set(check.BASELINE_METRICS) | {"opex_per_year", "it_power_kw", "energy_mwh_per_year",
                                                          "racks", "accelerators", "npv"}


# --------------------------------------------------------------------------- docs


def test_ci_doc_has_copy_paste_jobs():
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    assert "## GitHub Actions" in text and "## GitLab CI" in text
    for needle in ("dcplan validate scenarios/*.yaml", "dcplan check scenarios/*.yaml --format junit -o report.xml",
                   "--baseline main-plan.json --max-increase 5%", "junit: report.xml", "report_paths: report.xml"):
        assert needle in text, needle
