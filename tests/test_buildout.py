"""Build-outs over periods: optima worked out by hand or by brute force, never by dcplan.model.

Test-only CPU servers (no network cards, so no fabrics) keep each case to its arithmetic: what is
bought when, what it costs then, and what that is worth discounted. Energy is free unless a case
prices it. Every plan returned here has also passed dcplan's own verification.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from planner_cases import HOURS, cpu_server, scenario, site, validate
from dcplan.usecases.planning import NoPlan, SolveOptions, plan_scenario

ROOT = Path(__file__).resolve().parent.parent

REL = 1e-9


def solve(data: dict):
    plan = plan_scenario(validate(data), SolveOptions(gap=0.0, time_limit=60))
    assert plan.status == "optimal"
    return plan


def buildout(workloads, servers, sites=None, count=3, **top) -> dict:
    data = scenario(workloads, sites=sites or [site(power=1000)], servers=servers, objective="tco", **top)
    data["periods"] = {"start": 2027, "count": count}
    return data


def bought(plan, item=None, period=None, site_name=None) -> int:
    return sum(b.quantity for b in plan.bom if (item is None or b.item == item)
               and (period is None or b.period == period) and (site_name is None or b.site == site_name))


def cpu(name="svc", vcpus=64, **extra) -> dict:
    return dict(name=name, type="cpu", vcpus=vcpus, **extra)


def test_a_falling_price_is_bought_just_in_time():
    """One server in 2027, three more in 2028 at half the price: 1,000 + 3 × 500 = 2,500."""
    data = buildout([cpu(vcpus=[64, 256, 256])], [cpu_server("c", 1000, price_change="-50%", lifetime="10 years")])
    plan = solve(data)
    assert plan.objective_value == pytest.approx(2500.0, rel=REL)
    assert (bought(plan, period="2027"), bought(plan, period="2028"), bought(plan, period="2029")) == (1, 3, 0)
    assert [b.unit_price for b in plan.bom] == [1000.0, 500.0]


def test_discounting_to_the_cent():
    """Demand only in 2029: two servers bought then, and a year of energy, discounted by 1.1² at 10 %."""
    energy_cost = 2 * HOURS * (0.3 + 0.6 * 0.7) * 0.1  # two 1 kW servers at load 0.6, idle 30 %, 0.1 per kWh
    data = buildout([cpu(vcpus=[1, 1, 128])],
                    [cpu_server("c", 1000, lifetime="10 years")],
                    sites=[site(power=1000, electricity_price=0.1)], discount_rate="10%")
    plan = solve(data)
    # 2027 and 2028 need one server (1 vCPU); 2029 needs two: the second is bought in 2029.
    one = HOURS * (0.3 + 0.6 * 0.7) * 0.1
    expected = 1000 + one + one / 1.1 + (1000 + energy_cost) / 1.1 ** 2
    assert round(plan.totals["npv"], 2) == round(expected, 2)
    assert plan.objective_value == pytest.approx(expected, rel=REL)
    assert bought(plan, period="2029") == 1


def test_installed_equipment_retires_and_is_replaced():
    """Two servers installed in 2022 with a 6-year life serve 2027 and retire in 2028: two are bought then."""
    data = buildout([cpu(vcpus=128)], [cpu_server("c", 1000, lifetime="6 years")],
                    installed=[{"item": "c", "site": "s1", "quantity": 2, "since": 2022}])
    plan = solve(data)
    assert (bought(plan, period="2027"), bought(plan, period="2028")) == (0, 2)
    assert plan.objective_value == pytest.approx(2000.0, rel=REL)
    assert plan.periods[0].installed == ({"site": "s1", "item": "c", "quantity": 2},)


def test_a_new_generation_is_bought_once_it_is_available():
    """2027: two old (64 vCPU) servers; 2028 the 128-vCPU generation arrives at the same price: one of it."""
    servers = [cpu_server("old", 1000, lifetime="10 years"),
               cpu_server("new", 1000, vcpus=128, lifetime="10 years", available={"from": 2028})]
    plan = solve(buildout([cpu(vcpus=[128, 256, 256])], servers))
    assert plan.objective_value == pytest.approx(3000.0, rel=REL)
    assert bought(plan, "old", "2027") == 2 and bought(plan, "new", "2028") == 1 and bought(plan, "old") == 2


def test_a_site_whose_power_arrives_late():
    """Site a holds one server (PUE 2, 3 kW); site b has power only from 2028: growth lands there then."""
    sites = [site("a", power=3, pue=2.0), site("b", power=[0.5, 5, 5])]
    plan = solve(buildout([cpu(vcpus=[64, 192, 192])], [cpu_server("c", 1000, lifetime="10 years")], sites=sites))
    assert bought(plan, site_name="a", period="2027") == 1 and bought(plan, site_name="b", period="2028") == 2
    assert bought(plan) == 3 and plan.objective_value == pytest.approx(3000.0, rel=REL)


def test_growth_written_as_start_and_growth():
    """vCPUs {start: 64, growth: 100 %}: 64, 128, 256 → 1, 2, 4 servers → bought 1, 1, 2 (just in time, as
    money spent later is worth less at a 5 % discount rate)."""
    plan = solve(buildout([cpu(vcpus={"start": 64, "growth": "100%"})], [cpu_server("c", 1000, lifetime="10 years")],
                          discount_rate="5%"))
    assert [bought(plan, period=p) for p in ("2027", "2028", "2029")] == [1, 1, 2]


def test_brownfield_without_periods_buys_only_what_is_missing():
    data = scenario([cpu(vcpus=192)], servers=[cpu_server("c", 1000)], objective="capex",
                    installed=[{"item": "c", "site": "s1", "quantity": 2}])
    plan = solve(data)
    assert plan.totals["capex"] == pytest.approx(1000.0) and [b.quantity for b in plan.bom] == [1]
    assert plan.to_dict()["installed"] == [{"site": "s1", "item": "c", "quantity": 2}]
    assert "periods" not in plan.to_dict() and all("period" not in b for b in plan.to_dict()["bom"])


def test_a_scenario_without_periods_prints_exactly_as_before():
    data = scenario([cpu(vcpus=192)], servers=[cpu_server("c", 1000)], objective="capex")
    keys = set(solve(data).to_dict())
    assert keys == {"dcplan", "scenario", "status", "objective", "solver", "totals", "sites", "bom", "assignments",
                    "constraints", "warnings", "currency", "site_details", "racks", "fabrics"}


# --------------------------------------------------------------------------- brute force on tiny build-outs

def brute_npv(demands, servers, installed, rate, energy_price):
    """Least NPV over every purchase schedule of two server types in two or three periods.

    In use each period: the cheapest-to-run units meeting demand among those owned (enumerated).
    """
    periods = len(demands)
    best = None
    ranges = [range(0, 5)] * (len(servers) * periods)
    for buys in itertools.product(*ranges):
        cost = 0.0
        for p in range(periods):
            owned = []
            for s, server in enumerate(servers):
                n = installed.get(server["id"], 0) if p < server["life"] else 0  # installed at the start
                n += sum(buys[s * periods + q] for q in range(p + 1) if p - q < server["life"])
                owned.append(n)
            use = _cheapest_use(demands[p], servers, owned, energy_price)
            if use is None:
                break
            capex = sum(buys[s * periods + p] * server["price"] * (1 + server["change"]) ** p
                        for s, server in enumerate(servers))
            cost += (capex + use) / (1 + rate) ** p
        else:
            if best is None or cost < best - 1e-9:
                best = cost
    return best


def _cheapest_use(demand, servers, owned, energy_price):
    best = None
    for use in itertools.product(*[range(n + 1) for n in owned]):
        if sum(u * s["vcpus"] for u, s in zip(use, servers)) >= demand:
            energy = sum(u * s["power"] * (0.3 + 0.6 * 0.7) for u, s in zip(use, servers)) * HOURS * energy_price
            best = energy if best is None else min(best, energy)
    return best


@pytest.mark.parametrize("seed", range(8))
def test_brute_force_agrees_on_tiny_buildouts(seed):
    rng = random.Random(seed)
    periods = rng.choice([2, 3])
    servers = [dict(id=f"s{i}", price=rng.choice([800, 1000, 1500]), vcpus=rng.choice([64, 128]),
                    power=rng.choice([0.5, 1.0, 2.0]), change=rng.choice([0.0, -0.2, 0.1]), life=rng.choice([1, 2, 10]))
               for i in range(2)]
    demands = [rng.choice([64, 128, 192, 256]) for _ in range(periods)]
    rate, energy_price = rng.choice([0.0, 0.08]), rng.choice([0.0, 0.2])
    installed = {"s0": rng.choice([0, 1, 2])}
    data = buildout([cpu(vcpus=demands)],
                    [cpu_server(s["id"], s["price"], vcpus=s["vcpus"], power=s["power"], lifetime=f"{s['life']} years",
                                price_change=s["change"]) for s in servers],
                    sites=[site(power=1000, electricity_price=energy_price)], count=periods, discount_rate=rate,
                    installed=[{"item": "s0", "site": "s1", "quantity": installed["s0"], "since": 2027}]
                    if installed["s0"] else [])
    expected = brute_npv(demands, servers, installed, rate, energy_price)
    try:
        plan = solve(data)
    except NoPlan:
        assert expected is None
        return
    assert expected is not None and plan.totals["npv"] == pytest.approx(expected, rel=1e-7)


# --------------------------------------------------------------------------- properties

@pytest.mark.parametrize("seed", range(5))
def test_more_installed_equipment_never_raises_the_npv(seed):
    rng = random.Random(100 + seed)
    demands = [rng.choice([64, 128, 256]) for _ in range(3)]
    servers = [cpu_server("c", 1000, price_change=rng.choice([0.0, "-20%"]), lifetime="3 years"),
               cpu_server("d", 1800, vcpus=128, lifetime="5 years")]
    npv = []
    for count in (0, 1, 3):
        installed = [{"item": "c", "site": "s1", "quantity": count, "since": 2026}] if count else []
        npv.append(solve(buildout([cpu(vcpus=demands)], servers, installed=installed,
                                  discount_rate="5%")).totals["npv"])
    assert npv[0] >= npv[1] - 1e-6 >= npv[2] - 2e-6


@pytest.mark.parametrize("seed", range(5))
def test_a_later_availability_never_lowers_the_npv(seed):
    rng = random.Random(200 + seed)
    demands = [rng.choice([64, 128, 256]) for _ in range(3)]
    npv = []
    for start in (2027, 2028, 2029):
        servers = [cpu_server("c", 1000, lifetime="10 years"),
                   cpu_server("n", rng.choice([900, 1200]), vcpus=128, lifetime="10 years", available={"from": start})]
        npv.append(solve(buildout([cpu(vcpus=demands)], servers)).totals["npv"])
    assert npv[0] <= npv[1] + 1e-6 <= npv[2] + 2e-6


# --------------------------------------------------------------------------- outputs and commands

def decline_data() -> dict:
    return buildout([cpu(vcpus=[64, 256, 256])], [cpu_server("c", 1000, price_change="-50%", lifetime="10 years")])


def test_json_csv_and_tables_of_a_buildout():
    from dcplan.report.plan import render

    plan = solve(decline_data())
    data = plan.to_dict()
    assert [p["label"] for p in data["periods"]] == ["2027", "2028", "2029"]
    assert {"label", "capex", "opex", "it_power_kw", "facility_power_kw", "racks", "accelerators",
            "installed"} <= set(data["periods"][0])
    assert data["periods"][1]["installed"] == [{"site": "s1", "item": "c", "quantity": 4}]
    assert [b["period"] for b in data["bom"]] == ["2027", "2028"] and all("period" in a for a in data["assignments"])
    assert data["totals"]["npv"] == pytest.approx(2500.0)
    csv_lines = render(plan, "csv").splitlines()
    assert csv_lines[0].startswith("period,site,category,item,") and csv_lines[2].startswith("2028,s1,server,c,")
    table = render(plan, "table")
    assert "Purchase schedule" in table and "Installed base" in table and "NPV" in table


def test_check_asserts_may_name_a_period(tmp_path):
    import yaml

    from dcplan.usecases.check import check_file

    data = decline_data()
    data["assert"] = [{"name": "y2028", "metric": "capex", "period": 2028, "max": 1400},
                      {"name": "y2029", "metric": "capex", "period": 2029, "max": 0}]
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    result = check_file(path)
    assert result.outcome == "failed"
    assert [a.passed for a in result.assertions] == [False, True]
    assert "capex in 2028 = 1,500" in result.assertions[0].message


def test_diff_compares_period_by_period():
    from dcplan.usecases.diff import diff_plans

    a = solve(decline_data()).to_dict()
    more = decline_data()
    more["workloads"][0]["vcpus"] = [64, 256, 320]
    b = solve(more).to_dict()
    d = diff_plans(a, b)
    assert [(p.label, p.figures[0].delta) for p in d.periods] == [("2027", 0), ("2028", 0), ("2029", 250)]
    assert [(x.period, x.item, x.new_quantity) for x in d.added] == [("2029", "c", 1)]


def test_explain_names_the_period_in_which_power_runs_short(tmp_path):
    import yaml

    from dcplan.usecases.explain import explain_file

    data = buildout([cpu(vcpus=[64, 192, 192])], [cpu_server("c", 1000)], sites=[site(power=[2, 2, 10])])
    path = tmp_path / "late.yaml"
    path.write_text(yaml.safe_dump(data))
    result = explain_file(path, time_limit=60)
    assert result.status == "infeasible"
    suggestion = next(s for s in result.suggestions if "power" in s.path)
    assert "in 2028" in suggestion.description and suggestion.set_argument.startswith("sites.0.power.1=")
    assert suggestion.verified


def test_a_sweep_of_a_buildout_runs_in_worker_processes(tmp_path):
    """Per-period values are pydantic models built at import time; they must reach a fresh worker (pickle)
    and be sized per period there, and each point equals a plain solve of the same scenario."""
    import json
    import pickle
    import subprocess
    import sys

    import yaml

    data = buildout([cpu(vcpus={"start": 64, "growth": "100%"})], [cpu_server("c", 1000)])
    path = tmp_path / "grow.yaml"
    path.write_text(yaml.safe_dump(data))
    loaded = validate(data)
    fresh = subprocess.run([sys.executable, "-c", "import pickle, sys; print(pickle.loads(sys.stdin.buffer.read())"
                            ".workloads[0].vcpus.start)"], input=pickle.dumps(loaded), capture_output=True)
    assert fresh.returncode == 0 and fresh.stdout.strip() == b"64", fresh.stderr
    out = tmp_path / "sweep.json"
    proc = subprocess.run([sys.executable, "-m", "dcplan", "sweep", str(path), "--vary",
                           "workloads.0.vcpus.start=64,128", "-j", "2", "--format", "json", "-o", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    points = json.loads(out.read_text())["points"]
    expected = []
    for start in (64, 128):
        data["workloads"][0]["vcpus"]["start"] = start
        expected.append(solve(data).totals["npv"])
    assert [p["totals"]["npv"] for p in points] == pytest.approx(expected, rel=1e-9)


def test_a_training_run_gets_its_checkpoint_storage_in_its_own_period():
    """The storage derived for a run (`<run>.storage`) follows the run into its period, and only there."""
    from dcplan.scenario.load import load_scenario

    plan = plan_scenario(load_scenario(ROOT / "scenarios" / "buildout-2027-2030.yaml").scenario,
                         SolveOptions(gap=1e-4))
    storage = [a for a in plan.assignments if a.workload == "pretrain-2029.storage"]
    assert storage and {a.period for a in storage} == {"2029"}
    assert {b.period for b in plan.bom if b.category == "storage"} == {"2029"}


def test_pareto_refuses_a_buildout(tmp_path):
    import subprocess
    import sys

    import yaml

    path = tmp_path / "b.yaml"
    path.write_text(yaml.safe_dump(decline_data()))
    proc = subprocess.run([sys.executable, "-m", "dcplan", "pareto", str(path), "--objectives", "tco,carbon"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "does not plan build-outs" in proc.stderr and proc.stdout == ""


def test_explain_of_a_feasible_buildout_reports_no_gain_that_is_only_the_solver_gap(tmp_path):
    """Every limit 'worth' the same few hundred dollars was the first solve's gap, not a binding limit."""
    from dcplan.usecases.explain import explain_file

    result = explain_file(ROOT / "scenarios" / "buildout-2027-2030.yaml", time_limit=120)
    assert result.status == "optimal"
    # 19 of 600 racks are used in the busiest period: raising the racks cannot be worth anything.
    assert not [b for b in result.binding if b.path.startswith("sites[0].racks")], result.binding


# --------------------------------------------------------------------------- verification of build-outs

def _verify(data, plan):
    from dcplan.plan.buildout_verify import verify_buildout
    from dcplan.scenario.catalog import effective
    from dcplan.scenario.timeline import in_period
    from dcplan.sizing import size_scenario

    scenario = validate(data)
    catalog = effective(scenario.catalog)
    verify_buildout(plan, scenario, catalog, [size_scenario(in_period(scenario, i), catalog) for i in range(3)])


def _broken(plan, change):
    import copy

    broken = copy.deepcopy(plan)
    change(broken)
    return broken


BUILDOUT_BREAKS = {
    "a purchase missing": (lambda p: p.bom.pop(1), "in use at s1, 1 owned"),
    "a purchase at the wrong price": (lambda p: p.bom.__setitem__(1, __import__("dataclasses").replace(
        p.bom[1], unit_price=1000.0, extended_price=3000.0)), "the catalog's price then is 500.00"),
    "a purchase before the item is sold": (lambda p: p.bom.__setitem__(0, __import__("dataclasses").replace(
        p.bom[0], period="2026")), "which is no period"),
    "the NPV misreported": (lambda p: p.totals.update(npv=1.0), "totals.npv"),
}


@pytest.mark.parametrize("case", sorted(BUILDOUT_BREAKS))
def test_a_broken_buildout_plan_fails_verification(case):
    from dcplan.plan.verify import PlanVerificationError

    data = decline_data()
    plan = solve(data)
    _verify(data, plan)
    change, message = BUILDOUT_BREAKS[case]
    with pytest.raises(PlanVerificationError) as raised:
        _verify(data, _broken(plan, change))
    assert any(message in problem for problem in raised.value.problems), raised.value.problems


def test_an_item_bought_outside_its_window_fails_verification():
    from dataclasses import replace

    from dcplan.plan.verify import PlanVerificationError

    data = decline_data()
    plan = solve(data)
    data["catalog"]["servers"][0]["available"] = {"until": 2027}
    with pytest.raises(PlanVerificationError) as raised:
        _verify(data, replace(plan))
    assert any("outside its availability" in problem for problem in raised.value.problems)


# --------------------------------------------------------------------------- pruning across periods

def _pruned(data: dict) -> list[str]:
    """Items dcplan.sizing.buildout_pruning drops from every period of `data`."""
    from dcplan.scenario.catalog import effective
    from dcplan.scenario.timeline import in_period
    from dcplan.sizing import size_scenario
    from dcplan.sizing.buildout_pruning import prune_buildout

    scenario = validate(data)
    catalog = effective(scenario.catalog)
    views = [in_period(scenario, p) for p in range(scenario.periods.count)]
    sized = [size_scenario(view, catalog) for view in views]
    pruned, _ = prune_buildout(scenario, views, catalog, sized)
    return sorted({c.item for period in sized for req in period.values() for c in req.candidates}
                  - {c.item for period in pruned for req in period.values() for c in req.candidates})


def _two_servers(**b_extra) -> dict:
    """a: 64 vCPU for 900; b: the same for 1,000 (unless b_extra says otherwise); two services, 10 % discount."""
    servers = [cpu_server("a", 900, lifetime="10 years"), cpu_server("b", 1000, **{"lifetime": "10 years", **b_extra})]
    return buildout([cpu("web", vcpus=[64, 128, 192]), cpu("etl", vcpus=[128, 128, 64])], servers,
                    discount_rate="10%")


def test_an_item_dominated_in_every_period_is_dropped_and_the_optimum_is_kept():
    """b costs more than a in every period and supplies the same: dropped. The optimum either way: 3 servers in
    2027 (1 + 2), 1 more in 2028 (web 2 + etl 2 = 4), none in 2029 (3 + 1 = 4) → 2,700 + 900 / 1.1."""
    data = _two_servers()
    assert _pruned(data) == ["b"]
    plan = solve(data)
    reference = plan_scenario(validate(data), SolveOptions(gap=0.0, time_limit=60, reference=True))
    assert plan.objective_value == pytest.approx(2700 + 900 / 1.1, rel=REL)
    assert reference.objective_value == pytest.approx(2700 + 900 / 1.1, rel=REL)
    assert (bought(plan, "a", "2027"), bought(plan, "a", "2028"), bought(plan, "b")) == (3, 1, 0)


@pytest.mark.parametrize("why, b_extra, top", [
    ("b gets cheaper than a from 2028", {"price_change": "-20%"}, {}),
    ("b lives longer", {"lifetime": "12 years"}, {}),
    ("b is installed", {}, {"installed": [{"item": "b", "site": "s1", "quantity": 1, "since": 2027}]}),
])
def test_an_item_better_somewhere_in_time_is_kept(why, b_extra, top):
    data = _two_servers(**b_extra)
    data.update(top)
    assert _pruned(data) == [], why


def test_an_item_the_other_cannot_follow_in_time_is_kept():
    """a can be bought only until 2028, b in every period: b stays (in 2029 it is the only one for sale)."""
    data = _two_servers()
    data["catalog"]["servers"][0]["available"] = {"until": 2028}
    assert _pruned(data) == []


def test_a_falling_price_beats_the_cheaper_item_later():
    """b at 1,000 falling 50 %/year: 500 in 2028. 2027: 3 × a = 2,700; 2028: 1 more, b at 500 → 2,700 + 500 / 1.1."""
    data = _two_servers(price_change="-50%")
    assert _pruned(data) == []
    plan = solve(data)
    assert plan.objective_value == pytest.approx(2700 + 500 / 1.1, rel=REL)
    assert (bought(plan, "a", "2027"), bought(plan, "b", "2028")) == (3, 1)
