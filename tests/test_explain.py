"""`dcplan explain`: conflicts with their lines, verified single changes, binding limits and their worth.

tests/infeasible/*.yaml are infeasible for different reasons; expected.json holds
their golden explanations (conflict items with lines, suggested `--set`
arguments). Regenerate it after an intended change with
`DCPLAN_UPDATE_GOLDEN=1 pytest tests/test_explain.py` and review the diff.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dcplan.usecases import explain
from dcplan.usecases.planning import plan_scenario
from dcplan.cli import app
from dcplan.scenario.load import load_scenario
from dcplan.solve.engines import SolveResult

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "infeasible"
GOLDEN = CASES / "expected.json"
FILES = sorted(p.name for p in CASES.glob("*.yaml"))

FEASIBLE = """\
dcplan: 1
name: power-bound
objective: capex
sites:
  - {name: hall, power: 15 kW, pue: 1.0, racks: 10, rack_power: 40 kW}
workloads:
  - {name: batch, type: cpu, vcpus: 640}
catalog:
  builtin: false
  servers:
    - {id: hot, source: test, price: 10000, power: 2 kW, rack_units: 1, vcpus: 64, memory: 256 GB}
    - {id: cool, source: test, price: 15000, power: 1 kW, rack_units: 1, vcpus: 64, memory: 256 GB}
"""
# Ten servers of 64 vCPUs; x hot (2 kW) + y cool (1 kW) with 2x + y ≤ 15 kW: x = y = 5, capex 125,000.
# At 16.5 kW: x = 6, y = 4, capex 120,000 — relaxing site power by 10 % is worth 5,000.

TOP_KEYS = {"dcplan", "scenario", "file", "status", "objective", "irreducible", "conflicts", "suggestions", "binding",
            "warnings", "solves", "seconds"}


def run(*args) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def golden_view(result: explain.Explanation) -> dict:
    """What the golden file pins down: no timings, no absolute paths."""
    data = result.to_dict()
    return {
        "status": data["status"],
        "irreducible": data["irreducible"],
        "conflicts": [{k: c[k] for k in ("item", "path", "line", "column")} for c in data["conflicts"]],
        "suggestions": [{k: s[k] for k in ("path", "from", "to", "unit", "set_argument", "verified")}
                        for s in data["suggestions"]],
    }


_CACHE: dict[str, explain.Explanation] = {}


def explained(name: str) -> explain.Explanation:
    if name not in _CACHE:
        _CACHE[name] = explain.explain_file(CASES / name, time_limit=60)
    return _CACHE[name]


def test_there_are_enough_infeasible_cases():
    assert len(FILES) >= 5


@pytest.mark.skipif(not os.environ.get("DCPLAN_UPDATE_GOLDEN"), reason="set DCPLAN_UPDATE_GOLDEN=1 to regenerate")
def test_update_golden():
    GOLDEN.write_text(json.dumps({name: golden_view(explained(name)) for name in FILES}, indent=2,
                                 ensure_ascii=False) + "\n", encoding="utf-8")


@pytest.mark.parametrize("name", FILES)
def test_golden_explanation(name):
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert name in expected, f"{name} has no golden explanation; regenerate with DCPLAN_UPDATE_GOLDEN=1"
    assert golden_view(explained(name)) == expected[name]


@pytest.mark.parametrize("name", FILES)
def test_the_case_is_infeasible_and_explained_as_such(name):
    assert run("solve", CASES / name).exit_code == 1
    result = explained(name)
    assert result.status == "infeasible"
    assert result.conflicts, "an infeasible scenario has at least one conflicting item"
    assert result.irreducible is True


@pytest.mark.parametrize("name", FILES)
def test_every_conflict_points_at_its_line(name):
    lines = (CASES / name).read_text(encoding="utf-8").splitlines()
    for conflict in explained(name).conflicts:
        assert conflict.line is not None, conflict
        text = lines[conflict.line - 1]
        last = explain.path_tuple(conflict.path)[-1]
        if isinstance(last, str):  # a field: its key is on that line
            assert last in text, (conflict.path, text)
        else:  # a list entry: the line holds the entry's start
            assert text.strip().startswith("- "), (conflict.path, text)


@pytest.mark.parametrize("name", FILES)
def test_every_suggestion_makes_the_scenario_solve(name):
    result = explained(name)
    assert result.suggestions, "every case here has at least one single change that fixes it"
    for suggestion in result.suggestions:
        assert suggestion.verified
        solved = run("solve", CASES / name, "--set", suggestion.set_argument, "--format", "json")
        assert solved.exit_code == 0, (suggestion.set_argument, solved.output)
        assert json.loads(solved.stdout)["status"] == "optimal"


def test_the_numbers_are_the_least_that_work():
    """Hand-checked minima: 155 kW ≈ 154.6 kW facility (100 servers × 1.2 kW, 9 leaves and 3 spines of sn2700
    at 0.15 kW, 534 optics at 3.5 W, × PUE 1.25); 3 racks of four 10 U servers; 10 servers × 10,000."""
    assert [s.set_argument for s in explained("site-power.yaml").suggestions] == ["sites.0.power=155 kW"]
    assert [s.set_argument for s in explained("racks.yaml").suggestions] == ["sites.0.racks=3"]
    assert [s.set_argument for s in explained("capex.yaml").suggestions] == ["limits.capex=100000"]
    assert [s.set_argument for s in explained("constraint-max.yaml").suggestions] == ["constraints.0.max=10"]
    # One step less than each suggestion is still infeasible.
    for name, argument in (("site-power.yaml", "sites.0.power=154 kW"), ("racks.yaml", "sites.0.racks=2"),
                           ("capex.yaml", "limits.capex=99900"), ("constraint-max.yaml", "constraints.0.max=9")):
        assert run("solve", CASES / name, "--set", argument).exit_code == 1, argument


def test_structural_items_get_structural_changes():
    pinned = {s.set_argument for s in explained("pinned-site.yaml").suggestions}
    assert pinned == {"sites.1.power=10 kW", "workloads.0.sites=[edge, core]"}
    survive = {s.set_argument for s in explained("site-failure.yaml").suggestions}
    assert survive == {"sites.1.racks=1", "workloads.0.survive_site_failure=false"}
    durability = explained("durability.yaml")
    assert "workloads[0].durability" in {c.path for c in durability.conflicts}
    assert [s.set_argument for s in durability.suggestions] == ["sites.0.racks=2"]  # 11 nodes, 10 per rack


NOTHING_CAN_SERVE = """\
dcplan: 1
name: nothing-can-serve
objective: capex
sites:
  - {name: hall, power: 1 MW, pue: 1.0, racks: 10, rack_power: 40 kW}
workloads:
  - {name: vault, type: cpu, vcpus: 640, security: confidential}
catalog:
  builtin: false
  servers:
    - {id: cpu-1k, source: test, price: 10000, power: 1 kW, rack_units: 1, vcpus: 64, memory: 256 GB}
"""


def test_nothing_can_serve_names_the_workload_and_suggests_nothing(tmp_path):
    """No limit or policy change fixes a workload no item can serve: the conflict says why, no change is offered."""
    path = tmp_path / "nothing.yaml"
    path.write_text(NOTHING_CAN_SERVE, encoding="utf-8")
    result = explain.explain_file(path)
    assert result.status == "infeasible" and result.irreducible
    assert [(c.path, c.line) for c in result.conflicts] == [("workloads[0]", 7)]
    assert "no purchasable item can serve it" in result.conflicts[0].description
    assert "confidential" in result.conflicts[0].description
    assert result.suggestions == []
    assert any("no single change" in w for w in result.warnings)
    shown = run("explain", path)
    assert shown.exit_code == 0 and "No single change restores feasibility" in shown.stdout


def test_overridden_items_have_no_line_and_suggestions_stack_on_the_overrides(tmp_path):
    result = explain.explain_file(CASES / "racks.yaml", ["sites.0.racks=1"])
    racks = next(c for c in result.conflicts if c.path == "sites[0].racks")
    assert (racks.line, racks.column) == (None, None)
    assert [s.set_argument for s in result.suggestions] == ["sites.0.racks=3"]
    assert result.suggestions[0].from_ == 1


# --------------------------------------------------------------------------- feasible scenarios


@pytest.fixture
def feasible(tmp_path) -> Path:
    path = tmp_path / "feasible.yaml"
    path.write_text(FEASIBLE, encoding="utf-8")
    return path


def test_feasible_lists_binding_limits_and_their_worth(feasible):
    result = explain.explain_file(feasible, step=0.10)
    assert result.status == "optimal" and result.objective_value == pytest.approx(125_000)
    assert result.conflicts == [] and result.suggestions == []
    [power] = result.binding
    assert (power.path, power.line, power.unit) == ("sites[0].power", 5, "kW")
    assert power.limit == pytest.approx(15) and power.relaxed_to == pytest.approx(16.5)
    assert power.improvement == pytest.approx(5_000) and power.proven
    assert power.set_argument == "sites.0.power=16.5 kW"
    assert "lowers capex by 5,000 USD" in power.description
    # The stated worth is what the relaxed scenario really costs.
    relaxed = load_scenario(feasible, [power.set_argument])
    assert plan_scenario(relaxed.scenario).objective_value == pytest.approx(125_000 - power.improvement)


def test_feasible_step_option_and_racks_step_at_least_one(feasible):
    # Racks are filled per item type: one 15 U rack takes ten 1 U cool servers (150,000) but not ten 2 U hot
    # ones, which need two racks (100,000).
    result = explain.explain_file(feasible, ["sites.0.power=1 MW", "sites.0.racks=1", "sites.0.rack_units=15",
                                             "catalog.servers.0.rack_units=2"], step=0.05)
    [racks] = result.binding
    assert racks.path == "sites[0].racks" and racks.relaxed_to == 2  # 5 % of 1 rack, at least one whole rack
    assert racks.improvement == pytest.approx(50_000)
    assert racks.line is None  # the value came from --set


def test_a_limit_at_its_bound_that_costs_nothing_does_not_bind(feasible):
    """Ten 1 U servers fill one 10 U rack exactly, but a second rack would not make the plan cheaper."""
    result = explain.explain_file(feasible, ["sites.0.power=1 MW", "sites.0.racks=1", "sites.0.rack_units=10"])
    assert result.binding == []


def test_a_limit_far_from_its_bound_binds_through_a_discrete_choice():
    """frontier-pretraining with both sites at 14 MW trains on B200 at iowa-1 (13.7 of its 14 MW); ohio-1 is
    not used at all, 0 of 14 MW. Its slack is the whole limit, so zero slack said "no limit binds"; yet with
    more power there a cheaper cluster fits at ohio-1 (a discrete choice: the whole run moves), which
    re-solving with ohio-1's power relaxed finds."""
    scenario = ROOT / "scenarios" / "frontier-pretraining.yaml"
    overrides = ["sites.0.power=14 MW", "sites.1.power=14 MW"]
    result = explain.explain_file(scenario, overrides, step=0.10)
    base = plan_scenario(load_scenario(scenario, overrides).scenario)
    assert result.objective_value == pytest.approx(base.objective_value, rel=1e-3)
    ohio = next(b for b in result.binding if b.path == "sites[1].power")
    assert ohio.value == pytest.approx(0.0, abs=1e-6) and ohio.limit == pytest.approx(14_000)
    assert ohio.improvement > 0 and 14_000 < ohio.relaxed_to <= 28_000
    assert ohio.description.startswith("raising sites[1].power to ")
    relaxed = load_scenario(scenario, [*overrides, ohio.set_argument])
    plan = plan_scenario(relaxed.scenario)
    assert plan.objective_value == pytest.approx(result.objective_value - ohio.improvement, rel=1e-4)
    assert {line.site for line in plan.bom if line.category == "server"} == {"ohio-1"}


def test_feasible_without_binding_limits(feasible):
    result = explain.explain_file(feasible, ["sites.0.power=1 MW"])
    assert result.binding == []
    assert "No limit binds" in run("explain", feasible, "--set", "sites.0.power=1 MW").stdout


# --------------------------------------------------------------------------- the command


def test_json_output_has_stable_keys(feasible):
    infeasible = run("explain", CASES / "site-power.yaml", "--format", "json")
    assert infeasible.exit_code == 0, infeasible.output
    data = json.loads(infeasible.stdout)
    assert set(data) == TOP_KEYS and data["status"] == "infeasible"
    assert set(data["conflicts"][0]) == {"item", "path", "file", "line", "column", "description"}
    assert set(data["suggestions"][0]) == {"path", "from", "to", "unit", "set_argument", "verified", "description"}
    ok = json.loads(run("explain", feasible, "-f", "json").stdout)
    assert set(ok) == TOP_KEYS and ok["status"] == "optimal" and ok["conflicts"] == []
    assert set(ok["binding"][0]) == {"name", "item", "path", "file", "line", "column", "value", "limit", "unit",
                                     "relaxed_to", "set_argument", "objective_after", "improvement", "proven",
                                     "description"}


def test_table_output_names_lines_and_ready_set_arguments():
    result = run("explain", CASES / "pinned-site.yaml")
    assert result.exit_code == 0
    assert "pinned-site.yaml:8:" in result.stdout and "sites[1].power" in result.stdout
    assert '--set sites.1.power="10 kW"' in result.stdout
    assert '--set workloads.0.sites="[edge, core]"' in result.stdout


def test_output_file(tmp_path):
    target = tmp_path / "why.json"
    result = run("explain", CASES / "capex.yaml", "-f", "json", "-o", target)
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(target.read_text(encoding="utf-8"))["suggestions"][0]["set_argument"] == "limits.capex=100000"


def test_invalid_input_exits_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("dcplan: 1\nname: bad\nsitez: []\n", encoding="utf-8")
    assert run("explain", bad).exit_code == 2
    assert run("explain", tmp_path / "missing.yaml").exit_code == 2
    assert run("explain", CASES / "racks.yaml", "--set", "sites.0.racks=many").exit_code == 2
    assert run("explain", CASES / "racks.yaml", "--format", "csv").exit_code == 2


def test_exit_3_when_the_status_cannot_be_established(monkeypatch):
    monkeypatch.setattr("dcplan.solve.engines.solve", lambda *a, **k: SolveResult("no_solution", "scip"))
    result = run("explain", CASES / "racks.yaml")
    assert result.exit_code == 3
    assert "time-limit" in result.stderr


def test_a_capped_search_says_it_is_not_proven_irreducible(monkeypatch):
    monkeypatch.setattr(explain, "MAX_SOLVES", 2)  # the status solve and one deletion step
    result = explain.explain_file(CASES / "pinned-site.yaml")
    assert result.status == "infeasible" and result.irreducible is False
    assert any("not proven irreducible" in w for w in result.warnings)
    assert {"sites[1].power", "workloads[0]", "workloads[0].sites"} <= {c.path for c in result.conflicts}


def test_the_real_command_exits_0_without_a_traceback():
    done = subprocess.run([sys.executable, "-m", "dcplan", "explain", str(CASES / "site-failure.yaml")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "survive_site_failure=false" in done.stdout
