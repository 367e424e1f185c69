"""Properties of the planner on small random scenarios (hypothesis).

Random valid scenarios — 1–2 sites, 1–3 workloads (cpu, inference, storage,
training) with small demands, on a small test catalog with networking — must
(a) give a plan that dcplan.plan.verify accepts, or NoPlan 'infeasible' and nothing
else; (b) never cost more with more site power; (c) never cost less with a
catalog item excluded; (d) never cost less with more demand; (e) serialise to
exactly the plan JSON's keys. Optimal objectives are compared at gap 0 with a
small relative tolerance. Kept modest (≈30 examples each) for a 2-core machine.
"""

from __future__ import annotations

import copy
import json
import math
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dcplan.usecases.planning import NoPlan

from planner_cases import (ENGINES, accelerator, cpu_server, cpu_workload, gpu_server, objective_or_none, reverify,
                           scenario, site, solve, storage_node, storage_workload, switch)

# DCPLAN_PROPERTY_EXAMPLES=500 for a longer hunt
SETTINGS = settings(max_examples=int(os.environ.get("DCPLAN_PROPERTY_EXAMPLES", "30")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TOL = 1e-6

# All NICs run at one speed: a fabric's switch choice then never depends on which servers are
# candidates (see test_planner_optima.test_switch_speed_follows_the_ports_actually_bought).
NICS = {"count": 2, "speed": 100}
ACCELERATORS = [accelerator("g1", bf16=400, hbm=80, bandwidth=1000, confidential_computing=True),
                accelerator("g2", bf16=200, hbm=40, bandwidth=500)]
SERVERS = [
    cpu_server("cpu-a", 1000, vcpus=64, memory=256, power=1.0),
    cpu_server("cpu-b", 1800, vcpus=128, memory=512, power=2.5, rack_units=2, confidential_computing=True,
               nics=NICS, failure_rate=0.5),
    gpu_server("gpu-1", 10_000, "g1", 1, power=2.0, confidential_computing=True),
    gpu_server("gpu-4", 35_000, "g1", 4, power=6.0, rack_units=4, confidential_computing=True, nics=NICS,
               failure_rate=1.0),
    gpu_server("gpu-2b", 9_000, "g2", 2, power=2.0),
]
STORAGE = [storage_node("st-a", 1000, capacity=100, throughput=10, nics=NICS),
           storage_node("st-b", 2500, capacity=400, throughput=2, encryption=True)]
SWITCHES = [switch("sw8", 600, ports=8, power=0.2, optic_price=50, optic_power=5),
            switch("sw32", 3000, ports=32, power=0.5, optic_price=100, optic_power=5)]
# KV of 2 bytes per token: supply per server is a hair below 5 requests/s (4.99999975), the near-integral
# case that made engines disagree before demand rows got the verifier's tolerance (test_planner_optima).
MODELS = [dict(id="toy-10b", source="test", params=10e9, kv_bytes_per_token=2)]
ITEMS = [s["id"] for s in SERVERS] + [s["id"] for s in STORAGE] + [s["id"] for s in SWITCHES]

# The same engine on both sides of a comparison.
ENGINE = st.sampled_from(ENGINES)
SECURITY = st.sampled_from(["public", "internal", "confidential", "restricted"])


@st.composite
def workloads(draw, name: str, two_sites: bool) -> dict:
    kind = draw(st.sampled_from(["cpu", "inference", "storage", "training"]))
    extra = {"security": draw(SECURITY)}
    if draw(st.booleans()):
        redundancy = draw(st.sampled_from([{"availability": 0.99}, {"availability": 0.999}, {"spares": "N+1"},
                                           {"spares": "10%"}]))
        extra.update(redundancy)
    if kind != "training" and two_sites and draw(st.integers(0, 3)) == 0:
        extra["survive_site_failure"] = True
    elif two_sites and draw(st.integers(0, 3)) == 0:
        extra["sites"] = [draw(st.sampled_from(["s0", "s1"]))]
    if kind == "cpu":
        return cpu_workload(name, draw(st.integers(1, 600)), memory=draw(st.sampled_from([0, 500, 2000])),
                            **extra)
    if kind == "inference":
        # toy-10b at max_batch 10 on g1: 5 requests/s per accelerator (test_planner_optima, case 2)
        return dict(name=name, type="inference", model="toy-10b", requests_per_s=draw(st.integers(1, 60)),
                    prompt_tokens=0, output_tokens=100, max_tpot=100, hbm_efficiency=1.0, compute_efficiency=1.0,
                    max_batch=10, step_overhead=0, allreduce_latency=0, **extra)
    if kind == "storage":
        durability = draw(st.sampled_from([{"replicas": 1}, {"replicas": 3}, {"erasure": "2+1"},
                                           {"erasure": "4+2"}]))
        return storage_workload(name, draw(st.integers(20, 800)), draw(st.sampled_from([0, 5, 30])), durability,
                                **extra)
    extra.pop("survive_site_failure", None)
    # 1e9 params; 1e9–3e10 tokens over 1–5 days: 1–16 g1 accelerators
    return dict(name=name, type="training", model={"params": 1e9}, tokens=draw(st.integers(1, 30)) * 1e9,
                deadline=draw(st.integers(1, 5)), goodput=1.0, storage=None, **extra)


@st.composite
def scenarios(draw) -> dict:
    n_sites = draw(st.integers(1, 2))
    sites = [site(f"s{i}", power=draw(st.integers(5, 300)), pue=draw(st.sampled_from([1.0, 1.2, 1.5])),
                  racks=draw(st.integers(1, 30)), rack_power=draw(st.sampled_from([10, 20, 40])), rack_units=42,
                  electricity_price=draw(st.sampled_from([0.0, 0.1])), carbon_intensity=0.4)
             for i in range(n_sites)]
    work = [draw(workloads(f"w{i}", n_sites == 2)) for i in range(draw(st.integers(1, 3)))]
    policies = {"network": {"frontend_oversubscription": draw(st.sampled_from([1, 3])),
                            "dual_homed": draw(st.booleans())},
                "security": {"isolate": draw(st.sampled_from([[], ["restricted"]]))},
                "costs": {"rack_price": draw(st.sampled_from([0, 500]))}}
    top = {}
    prices = draw(st.dictionaries(st.sampled_from(ITEMS), st.sampled_from([0, 100, 2000, 20_000, 50_000]),
                                  max_size=3))
    if draw(st.booleans()):
        top["constraints"] = [draw(st.sampled_from([
            {"name": "score-floor", "sum": "quantity", "where": {"category": "server"}, "min": 6},
            {"name": "some-storage", "sum": "capacity", "where": {"category": "storage"}, "min": 300},
            {"name": "few-gpu4", "sum": "quantity", "where": {"id": "gpu-4"}, "max": 3},
            {"name": "server-power", "sum": "power", "where": {"category": "server"}, "max": 40},
            {"name": "switches", "sum": "quantity", "where": {"category": "switch"}, "max": 4},
            {"name": "site0", "sum": "quantity", "where": {"site": "s0"}, "max": 12}]))]
    if draw(st.booleans()):
        top["limits"] = {draw(st.sampled_from(["capex", "power", "energy"])):
                         draw(st.sampled_from([50, 500, 100_000, 1_000_000]))}
    data = scenario(work, sites=sites, servers=SERVERS, storage=STORAGE, switches=SWITCHES,
                    accelerators=ACCELERATORS, models=MODELS, objective=draw(st.sampled_from(["capex", "tco"])),
                    policies=policies, **top)
    data["catalog"]["prices"] = prices
    return data


def _no_more_than(value: float | None, reference: float | None) -> bool:
    """value ≤ reference, where None (infeasible) counts as +∞."""
    if reference is None:
        return True
    if value is None:
        return False
    return value <= reference + TOL * max(1.0, abs(reference))


# --------------------------------------------------------------------------- (a) verified plans or infeasible

@SETTINGS
@given(data=scenarios(), engine=ENGINE)
def test_every_plan_verifies_and_every_failure_is_infeasible(data, engine):
    try:
        plan = solve(data, engine)
    except NoPlan as err:
        assert err.status == "infeasible", f"NoPlan {err.status}: {err}"
        # A clean infeasibility comes with its reason: a workload nothing can serve, the limits
        # that would have to move, or a statement that the requirements conflict among themselves.
        reasons = err.plan_stub["warnings"]
        assert any(r.startswith(("workload ", "the requirements do not fit", "no relaxation of"))
                   for r in reasons), reasons
        return
    assert plan.status == "optimal"
    reverify(plan, data)
    assert sum(line.extended_price for line in plan.bom) == pytest.approx(plan.totals["capex"], rel=1e-9, abs=1e-6)


# --------------------------------------------------------------------------- (b) more site power

@SETTINGS
@given(data=scenarios(), which=st.integers(0, 1), factor=st.sampled_from([1.5, 2.0, 4.0]), engine=ENGINE)
def test_more_site_power_never_costs_more(data, which, factor, engine):
    base = objective_or_none(data, engine)
    more = copy.deepcopy(data)
    target = more["sites"][which % len(more["sites"])]
    target["power"] = target["power"] * factor
    assert _no_more_than(objective_or_none(more, engine), base)


# --------------------------------------------------------------------------- (c) excluding an item

@SETTINGS
@given(data=scenarios(), item=st.sampled_from(ITEMS), engine=ENGINE)
def test_excluding_an_item_never_costs_less(data, item, engine):
    base = objective_or_none(data, engine)
    fewer = copy.deepcopy(data)
    fewer["catalog"]["exclude"] = [item]
    assert _no_more_than(base, objective_or_none(fewer, engine))


# --------------------------------------------------------------------------- (d) more demand

def _scale(workload: dict, factor: float) -> None:
    if workload["type"] == "cpu":
        workload["vcpus"] = math.ceil(workload["vcpus"] * factor)
        workload["memory"] = workload["memory"] * factor
    elif workload["type"] == "inference":
        workload["requests_per_s"] *= factor
    elif workload["type"] == "storage":
        workload["capacity"] *= factor
        workload["throughput"] *= factor
    else:
        workload["tokens"] *= factor


@SETTINGS
@given(data=scenarios(), which=st.integers(0, 2), factor=st.sampled_from([1.3, 2.0, 3.0]), engine=ENGINE)
def test_more_demand_never_costs_less(data, which, factor, engine):
    base = objective_or_none(data, engine)
    more = copy.deepcopy(data)
    _scale(more["workloads"][which % len(more["workloads"])], factor)
    assert _no_more_than(base, objective_or_none(more, engine))


# --------------------------------------------------------------------------- (e) JSON shape

TOP_KEYS = {"dcplan", "scenario", "status", "objective", "solver", "totals", "sites", "bom", "assignments",
            "constraints", "warnings",
            "currency", "site_details", "racks", "fabrics"}  # what a report draws the plan from (docs/cli.md)
CSV_COLUMNS = ["site", "category", "item", "description", "quantity", "unit_price", "extended_price", "power_kw",
               "rack_units"]
NESTED = {
    "objective": {"name", "value", "bound", "gap"},
    "solver": {"engine", "solve_seconds", "build_seconds"},
    "totals": {"capex", "opex_per_year", "tco", "it_power_kw", "facility_power_kw", "energy_mwh_per_year",
               "carbon_t_per_year", "racks", "accelerators"},
}
ROWS = {
    "sites": {"name", "it_power_kw", "facility_power_kw", "power_limit_kw", "racks", "rack_limit"},
    "assignments": {"workload", "site", "item", "servers", "spares", "accelerators", "group"},
    "constraints": {"name", "kind", "lhs", "rhs", "slack", "binding"},
    "site_details": {"name", "rack_units", "rack_power_kw", "pue"},
    "racks": {"site", "item", "group", "racks"},
    "fabrics": {"name", "kind", "site", "group", "oversubscription", "ports", "leaves", "spines", "assigned",
                "uplinks"},
}


@SETTINGS
@given(data=scenarios())
def test_json_has_the_documented_keys(data):
    try:
        plan = solve(data)
    except NoPlan:
        return
    out = plan.to_dict()
    assert set(out) == TOP_KEYS
    json.loads(json.dumps(out, allow_nan=False))  # plain JSON, no NaN/Infinity
    assert out["dcplan"] == 1 and out["status"] in ("optimal", "feasible")
    for key, keys in NESTED.items():
        assert set(out[key]) == keys, key
    for key, keys in ROWS.items():
        for row in out[key]:
            assert set(row) == keys, key
    for row in out["bom"]:
        assert list(row) == CSV_COLUMNS
    assert isinstance(out["warnings"], list)


def test_the_collector_is_paused_while_the_model_is_made_and_back_after(monkeypatch):
    """planning.collection_paused: off while sizing, building and the greedy start run (they allocate
    millions of long-lived objects), on again after with those objects frozen until the run ends, also
    when a stage raises; left off when it was off."""
    import gc

    from dcplan.usecases import planning

    from planner_cases import cpu_server, cpu_workload, scenario, solve

    seen = {}
    original, original_cuts = planning._warm_start, planning._workload_cuts

    def watched(run):
        seen["during"] = gc.isenabled()
        return original(run)

    def after(run):
        seen["frozen after"] = gc.get_freeze_count()
        return original_cuts(run)

    monkeypatch.setattr(planning, "_warm_start", watched)
    monkeypatch.setattr(planning, "_workload_cuts", after)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    plan = solve(scenario([cpu_workload("api", 96)], servers=[cpu_server("c64", 1000.0)]))
    assert plan.status == "optimal"
    assert seen["during"] is False and gc.isenabled()
    # The model's objects are frozen once made (the collector's first pass would scan them all), and
    # handed back to the collector when the run is over.
    assert seen["frozen after"] > 0 and gc.get_freeze_count() == 0

    with pytest.raises(RuntimeError), planning.collection_paused():
        assert not gc.isenabled()
        raise RuntimeError("a stage failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with planning.collection_paused():
            pass
        assert not gc.isenabled()  # the caller's choice stands
    finally:
        gc.enable()
        gc.unfreeze()  # what the bare pauses above froze
