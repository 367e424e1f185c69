"""The bundled scenarios, end to end through the real command: each solves to proven
optimality with exit 0, its BOM sums to its capex, and stdout carries only the data
in exactly the plan JSON's shape (docs/cli.md). Also the starter template, infeasibility (exit 1) and
atomic -o output."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
PLAN_KEYS = ["dcplan", "scenario", "status", "objective", "solver", "totals", "sites", "bom", "assignments",
             "constraints", "warnings"]
# After the plan's documented keys (docs/cli.md), what a report needs to draw the plan from its JSON alone.
REPORT_KEYS = ["currency", "site_details", "racks", "fabrics"]
CSV_HEADER = ["site", "category", "item", "description", "quantity", "unit_price", "extended_price", "power_kw",
              "rack_units"]
TOTALS = ["capex", "opex_per_year", "tco", "it_power_kw", "facility_power_kw", "energy_mwh_per_year",
          "carbon_t_per_year", "racks", "accelerators"]


def dcplan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dcplan", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)


def test_there_are_bundled_scenarios():
    assert len(SCENARIOS) >= 3


@pytest.fixture(scope="module", params=SCENARIOS, ids=lambda p: p.stem)
def solved(request):
    run = dcplan("solve", str(request.param), "--format", "json")
    return request.param, run


def test_solves_to_proven_optimality(solved):
    path, run = solved
    assert run.returncode == 0, run.stderr
    plan = json.loads(run.stdout)  # stdout is exactly one JSON document
    assert plan["status"] == "optimal"
    assert plan["objective"]["gap"] is not None and plan["objective"]["gap"] <= 0.001 + 1e-12


def test_json_has_the_spec_keys_then_the_report_keys(solved):
    """The plan JSON keys, then what a report needs; a build-out adds `periods`, `totals.npv` and a
    `period` on every BOM line and assignment (docs/cli.md)."""
    plan = json.loads(solved[1].stdout)
    buildout = "periods" in plan
    assert list(plan) == PLAN_KEYS + REPORT_KEYS + (["periods"] if buildout else [])
    assert list(plan["objective"]) == ["name", "value", "bound", "gap"]
    assert list(plan["solver"]) == ["engine", "solve_seconds", "build_seconds"]
    assert list(plan["totals"]) == TOTALS + (["npv"] if buildout else [])
    assert all(list(row) == CSV_HEADER + (["period"] if buildout else []) for row in plan["bom"])
    assert all(list(s) == ["name", "it_power_kw", "facility_power_kw", "power_limit_kw", "racks", "rack_limit"]
               for s in plan["sites"])
    assert all(list(a) == ["workload", "site", "item", "servers", "spares", "accelerators", "group"] +
               (["period"] if buildout else []) for a in plan["assignments"])
    assert [d["name"] for d in plan["site_details"]] == [s["name"] for s in plan["sites"]]
    assert all(list(d) == ["name", "rack_units", "rack_power_kw", "pue"] for d in plan["site_details"])
    assert all(list(r) == ["site", "item", "group", "racks"] for r in plan["racks"])
    for site in plan["sites"]:  # the racks per item add up to the site's racks
        assert sum(r["racks"] for r in plan["racks"] if r["site"] == site["name"]) == site["racks"]
    assert all(list(c) == ["name", "kind", "lhs", "rhs", "slack", "binding"] for c in plan["constraints"])


def test_bom_sums_to_capex_and_sites_respect_limits(solved):
    plan = json.loads(solved[1].stdout)
    assert sum(line["extended_price"] for line in plan["bom"]) == pytest.approx(plan["totals"]["capex"], rel=1e-12)
    for line in plan["bom"]:
        assert line["extended_price"] == pytest.approx(line["unit_price"] * line["quantity"])
    for site in plan["sites"]:
        assert site["facility_power_kw"] <= site["power_limit_kw"] * (1 + 1e-9)
        assert site["racks"] <= site["rack_limit"]
    assert plan["totals"]["tco"] > plan["totals"]["capex"] > 0


def test_csv_is_the_bom_only(solved):
    path, _ = solved
    run = dcplan("solve", str(path), "--format", "csv")
    assert run.returncode == 0
    rows = list(csv.reader(io.StringIO(run.stdout)))
    plan = json.loads(solved[1].stdout)
    assert rows[0] == (["period"] if "periods" in plan else []) + CSV_HEADER  # a build-out leads with the period
    assert len(rows) - 1 == len(plan["bom"])
    assert "warning" not in run.stdout


def test_starter_template_solves(tmp_path):
    target = tmp_path / "starter.yaml"
    assert dcplan("init", str(target)).returncode == 0
    run = dcplan("solve", str(target), "--format", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["status"] == "optimal"


def test_infeasible_exits_1_and_names_the_limit():
    run = dcplan("solve", str(ROOT / "scenarios" / "inference-platform.yaml"), "--set", "sites.0.power=50")
    assert run.returncode == 1
    assert run.stdout == ""
    assert "site power (kW) at virginia-1 (sites[0].power): limit 50" in run.stderr


def test_infeasible_capex_limit_named_and_json_status():
    run = dcplan("solve", str(ROOT / "scenarios" / "inference-platform.yaml"), "--set", "limits.capex=1e6",
                 "--format", "json")
    assert run.returncode == 1
    assert json.loads(run.stdout)["status"] == "infeasible"
    assert "limit[capex] (limits.capex): limit 1,000,000" in run.stderr


def test_output_file_written_and_stdout_empty(tmp_path):
    target = tmp_path / "plan.json"
    run = dcplan("solve", str(SCENARIOS[0]), "--format", "json", "-o", str(target))
    assert run.returncode == 0
    assert run.stdout == ""
    assert json.loads(target.read_text())["status"] == "optimal"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temporary left behind


def test_unwritable_output_is_a_clean_error(tmp_path):
    run = dcplan("solve", str(SCENARIOS[0]), "-o", str(tmp_path / "missing-dir" / "plan.txt"))
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and "cannot write" in run.stderr


def _big_scenario(tmp_path, constraints=None, count=150):
    import yaml

    models = ["llama3-8b", "llama3-70b", "mixtral-8x7b"]
    workloads = [{"name": f"svc{i}", "type": "inference", "model": models[i % 3], "requests_per_s": 5 + i % 17,
                  "prompt_tokens": 1000 + 50 * (i % 7), "output_tokens": 200 + 10 * (i % 5),
                  "max_tpot": f"{30 + i % 40} ms", "availability": 0.999} for i in range(count)]
    scenario = {"dcplan": 1, "name": "big", "workloads": workloads,
                "sites": [{"name": f"s{k}", "power": "3 MW", "racks": 100, "rack_power": "40 kW"} for k in range(3)]}
    if constraints:
        scenario["constraints"] = constraints
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(scenario))
    return path


def test_time_limit_covers_sizing_and_building(tmp_path):
    """The limit starts after loading: at 0.001 s nothing can be sized, so there is no plan (exit 3)."""
    run = dcplan("solve", str(_big_scenario(tmp_path)), "--time-limit", "0.001", "--format", "json")
    assert run.returncode == 3, run.stderr
    assert json.loads(run.stdout)["status"] == "no_solution"
    assert "ran out while sizing" in run.stderr and "Traceback" not in run.stderr


def test_validating_for_a_solve_sizes_within_the_time_limit_and_keeps_what_it_sized(tmp_path):
    """`dcplan solve` validates with solving=True: sizing counts from the end of loading and stops when the
    limit has passed; what was sized is handed to the solve instead of being sized again."""
    from dcplan.usecases.validate import validate_scenario

    path = _big_scenario(tmp_path)
    late = validate_scenario(path, solving=True, time_limit=1e-9)
    assert late.ok and late.loaded_at is not None and late.requirements == {}
    sized = validate_scenario(path, solving=True, time_limit=600)
    assert set(sized.requirements) == {w.name for w in sized.scenario.workloads}
    assert validate_scenario(path).requirements is None  # `dcplan validate` always sizes everything


def test_time_limit_during_the_solve_keeps_a_verified_plan_with_its_bound(tmp_path):
    """Stopped by the limit with a plan: `feasible`, with a proven bound and its gap, never `bound: null`."""
    from tests.test_faults import hard_scenario

    # The limit counts from the end of loading, sizing included: sizing these 400 services takes 5-6 s on two busy
    # cores, so 8 s could run out before the greedy start; at gap 0 no engine closes the model within a minute.
    run = dcplan("solve", str(hard_scenario(tmp_path / "hard.yaml")), "--gap", "0", "--time-limit", "15",
                 "--format", "json")
    assert run.returncode == 0, run.stderr
    plan = json.loads(run.stdout)
    assert plan["status"] == "feasible"
    assert any("greedy warm start" in w or "time limit stopped" in w for w in plan["warnings"])
    assert plan["objective"]["bound"] is not None and plan["objective"]["gap"] is not None
    assert plan["objective"]["bound"] <= plan["objective"]["value"]
    assert sum(b["extended_price"] for b in plan["bom"]) == pytest.approx(plan["totals"]["capex"])


def test_time_limit_without_a_plan_exits_3(tmp_path):
    # A floor on servers that the greedy start ignores, so there is no plan to fall back on. (40 services: the
    # floor makes every pool 2,000 servers deep, and 150 took 13 s to build.)
    floor = [{"name": "floor", "sum": "quantity", "where": {"category": "server"}, "min": 2000}]
    run = dcplan("solve", str(_big_scenario(tmp_path, floor, count=40)), "--time-limit", "0.001", "--format", "json")
    assert run.returncode == 3, run.stderr
    assert json.loads(run.stdout)["status"] == "no_solution"
    assert "before finding any plan" in run.stderr and "Traceback" not in run.stderr


def test_llama3_405b_worked_example_reproduces_the_paper_cluster():
    run = dcplan("solve", str(ROOT / "scenarios" / "llama3-405b-worked-example.yaml"), "--format", "json")
    plan = json.loads(run.stdout)
    [cluster] = plan["assignments"]
    # 6 x 405.85e9 x 15.6e12 FLOP / (68 days x 989.4e12 x 0.40) = 16,337 GPUs -> 2,043 nodes of 8
    assert (cluster["item"], cluster["servers"], cluster["accelerators"]) == ("h100-sxm-8", 2043, 16344)
    assert abs(cluster["accelerators"] - 16384) / 16384 < 0.003
    switches = sum(b["quantity"] for b in plan["bom"] if b["category"] == "switch")
    assert switches == 511 + 256  # 16,344 ports / 32 per leaf; 16,344 uplinks / 64 per spine


@pytest.mark.parametrize("name", ["inference-platform.yaml", "buildout-2027-2030.yaml"])
def test_a_build_that_leaves_less_time_than_verifying_a_plan_takes_stops_there(name, monkeypatch):
    """The time limit bounds extracting and verifying the plan too (`_reserve`, a share of the build's
    time): when the build leaves less than that, a plan found now could only end after the limit
    (W=5000 × 60 × 8 with --time-limit 20 on a slower day: built after 19 s, a plan at 24.8 s), so the run
    stops at once with no plan. With the reserve made larger than the limit, a scenario that plans in a
    second stops right after its build, and says why."""
    import dcplan as library
    from dcplan.usecases import planning

    path = ROOT / "scenarios" / name
    scenario = library.validate_scenario(path).scenario
    assert library.plan_scenario(scenario, library.SolveOptions(time_limit=60)).objective_value is not None
    monkeypatch.setattr(planning, "EXTRACT_SHARE_OF_BUILD", 1e9)
    with pytest.raises(planning.NoPlan) as stopped:
        library.plan_scenario(scenario, library.SolveOptions(time_limit=60))
    assert stopped.value.status == "no_solution"
    assert "ran out while building the model" in str(stopped.value)
    assert "extracting and verifying a plan takes about" in str(stopped.value)
