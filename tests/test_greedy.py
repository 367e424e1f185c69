"""The greedy planner: every plan it completes holds every model row, passes dcplan.plan.verify, and is never
cheaper than the optimum plan_scenario proves."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dcplan.usecases.planning import SolveOptions, plan_scenario
from dcplan.scenario.catalog import effective
from dcplan.solve.greedy import GreedyResult, fabric_counts, greedy_plan, spares_for
from dcplan.solve.greedy_values import evaluate, warm_start
from dcplan.model.build import build
from dcplan.plan.extract import extract
from dcplan.scenario.load import load_scenario
from dcplan.sizing import size_scenario
from dcplan.sizing.derived import with_derived_workloads
from dcplan.plan.verify import verify
from planner_cases import (cpu_server, cpu_workload, gpu_server, accelerator, scenario, site, storage_node,
                           storage_workload, switch, validate)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `bench` is a top-level directory of the repository, not an installed package
from bench.generate import generate  # noqa: E402

GAP = 1e-4


def run_greedy(sc):
    catalog = effective(sc.catalog)
    sc = with_derived_workloads(sc, catalog)  # as plan_scenario does: the storage of each training run
    requirements = size_scenario(sc, catalog)
    result = greedy_plan(sc, catalog, requirements)
    built = build(sc, catalog, requirements)
    return result, built, evaluate(built, result), catalog, requirements


def check_against_optimum(sc):
    """Greedy is complete, feasible on every model row, verified, and ≥ the proven optimum."""
    result, built, evaluation, catalog, requirements = run_greedy(sc)
    sc = built.scenario
    assert result.complete, result.unplaced
    assert evaluation.feasible, evaluation.violations[:5]
    plan = extract(built, evaluation.values, status="feasible", engine="greedy", bound=None, solve_seconds=0.0,
                   build_seconds=0.0, warnings=[])
    verify(plan, sc, catalog, requirements)
    assert plan.objective_value == pytest.approx(evaluation.objective, rel=1e-9)
    best = plan_scenario(sc, SolveOptions(gap=GAP, time_limit=60))
    assert best.status == "optimal"
    assert evaluation.objective >= best.objective_value * (1 - GAP) - 1e-6
    return result, evaluation, best


@pytest.mark.parametrize("name", ["inference-platform", "frontier-pretraining", "llama3-405b-worked-example",
                                  "enterprise-multisite"])
def test_bundled_scenarios(name):
    check_against_optimum(load_scenario(ROOT / "scenarios" / f"{name}.yaml").scenario)


def test_generic_constraints_are_reported_not_ignored():
    # The greedy does not look at generic constraints: it buys 10 of the cheaper node though at most
    # 5 may be bought; evaluate must report that row rather than call the plan feasible.
    servers = [cpu_server("node", 1000, vcpus=64), cpu_server("other", 1100, vcpus=64)]
    sc = validate(scenario([cpu_workload("web", 640)], servers=servers,
                           constraints=[{"name": "cap", "sum": "quantity", "where": {"id": "node"}, "max": 5}]))
    result, _, evaluation, _, _ = run_greedy(sc)
    assert result.complete and not evaluation.feasible
    assert [v.split(":")[0] for v in evaluation.violations] == ["constraint[name=cap]"]


@pytest.mark.parametrize("seed,policies", [(1, True), (2, True), (3, False), (4, True)])
def test_small_generated_scenarios(seed, policies):
    check_against_optimum(validate(generate(workloads=12, servers=8, sites=2, seed=seed, policies=policies)))


def test_spares_follow_the_model_rules():
    servers = [cpu_server("node", 1000, vcpus=64, failure_rate=8.76)]
    work = [cpu_workload("avail", 640, availability=0.99), cpu_workload("fixed", 640, spares="N+2"),
            cpu_workload("pct", 30 * 64, spares="5%")]
    sc = validate(scenario(work, servers=servers, policies={"redundancy": {"mttr": 100}}))
    result, evaluation, _ = check_against_optimum(sc)
    pools = {p.workload: p for p in result.pools}
    assert (pools["avail"].active, pools["avail"].spares) == (10, 4)  # binomial, u = 0.1 (test_planner_optima)
    assert (pools["fixed"].active, pools["fixed"].spares) == (10, 2)
    assert (pools["pct"].active, pools["pct"].spares) == (30, 2)
    workload = sc.workloads[0]
    assert spares_for(workload, effective(sc.catalog).servers["node"], 0, 100) == 0


def test_power_spills_to_the_next_site_and_network_power_counts():
    # 10 servers of 1 kW with 2 ports each; site a holds 6 kW. Ports need leaves (0.5 kW) and optics:
    # the greedy must leave room for them, so a holds fewer than 6 servers and b takes the rest.
    sw = switch("leaf", 1000, ports=16, port_speed=100, power=0.5, optic_power=10)
    server = cpu_server("node", 1000, vcpus=64, power=1.0, nics={"count": 2, "speed": 100})
    sites = [site("a", power=6, electricity_price=0.05), site("b", power=100, electricity_price=0.10)]
    sc = validate(scenario([cpu_workload("web", 640)], sites=sites, servers=[server], switches=[sw],
                           objective="tco"))
    result, evaluation, _ = check_against_optimum(sc)
    at = {p.site: p.active for p in result.pools}
    assert sum(at.values()) == 10 and 0 < at["a"] < 6


def test_storage_puts_a_whole_erasure_set_in_each_site_it_uses():
    # 8+3 needs 11 nodes per used site; site a fits only 8 nodes → all 11 go to b.
    node = storage_node("hdd", 100, capacity=100, throughput=1, power=1.0)
    sites = [site("a", power=8, electricity_price=0.0), site("b", power=100, electricity_price=0.2)]
    sc = validate(scenario([storage_workload("lake", 200, durability={"erasure": "8+3"})], sites=sites,
                           storage=[node], objective="tco"))
    result, _, _ = check_against_optimum(sc)
    assert [(p.site, p.active) for p in result.pools] == [("b", 11)]


def test_survive_site_failure_spreads_over_sites():
    sites = [site("s1"), site("s2"), site("s3")]
    sc = validate(scenario([cpu_workload("web", 256, survive_site_failure=True)], sites=sites,
                           servers=[cpu_server("node", 1000, vcpus=64)]))
    result, evaluation, best = check_against_optimum(sc)
    assert sum(p.active for p in result.pools) == 6  # 2 per site: any two sites hold 4 servers
    assert evaluation.objective == pytest.approx(best.objective_value)


def test_training_takes_the_cheapest_cluster_that_fits():
    acc = accelerator("acc", bf16=1000, hbm=80, bandwidth=3000)
    servers = [gpu_server("cheap", 100, "acc", 8, power=10.0), gpu_server("dear", 150, "acc", 8, power=5.0)]
    work = [{"name": "pre", "type": "training", "model": {"params": 1e9}, "tokens": 1e12, "deadline": 10,
             "storage": None}]
    # the cheap cluster needs more power than the site has; the dear one fits
    sc = validate(scenario(work, sites=[site(power=20)], servers=servers, accelerators=[acc]))
    result, _, _ = check_against_optimum(sc)
    assert [p.item for p in result.pools] == ["dear"]


def test_a_training_run_goes_where_its_storage_fits_beside_it():
    # The cluster (3 servers of 10 kW) fits site a, the cheaper one; its checkpoints and dataset need a
    # whole 6+3 erasure set (9 storage nodes of 1 kW) at the same site, and a holds 35 kW: 30 + 9 do not
    # fit. Placed alone, the run would take a and leave its storage nowhere; it must go to b with it.
    acc = accelerator("acc", bf16=1000, hbm=80, bandwidth=3000)
    work = [{"name": "pre", "type": "training", "model": {"params": 1e9}, "tokens": 1e12, "deadline": 10}]
    sites = [site("a", power=35, electricity_price=0.05), site("b", power=100, electricity_price=0.10)]
    sc = validate(scenario(work, sites=sites, servers=[gpu_server("gpu", 100, "acc", 8, power=10.0)],
                           storage=[storage_node("hdd", 100, capacity=100, throughput=10, power=1.0)],
                           accelerators=[acc]))
    result, _, _ = check_against_optimum(sc)
    assert result.complete
    assert sorted((p.workload, p.site, p.active) for p in result.pools) == [("pre", "b", 3), ("pre.storage", "b", 9)]


def test_a_workload_left_without_room_is_placed_first_on_the_next_try():
    # Training goes first, to the cheaper site a (30 kW of its 33); the CPU service pinned to a then needs
    # 4 kW there and finds 3. Tried again with the service first, a holds it and the run goes to b.
    acc = accelerator("acc", bf16=1000, hbm=80, bandwidth=3000)
    work = [{"name": "pre", "type": "training", "model": {"params": 1e9}, "tokens": 1e12, "deadline": 10,
             "storage": None}, cpu_workload("web", 256, sites=["a"])]
    sites = [site("a", power=33, electricity_price=0.05), site("b", power=100, electricity_price=0.10)]
    sc = validate(scenario(work, sites=sites, accelerators=[acc],
                           servers=[gpu_server("gpu", 100, "acc", 8, power=10.0), cpu_server("node", 10, vcpus=64)]))
    result, _, _ = check_against_optimum(sc)
    assert sorted((p.workload, p.site, p.active) for p in result.pools) == [("pre", "b", 3), ("web", "a", 4)]


def test_incomplete_when_nothing_fits():
    sc = validate(scenario([cpu_workload("web", 640)], sites=[site(power=3)],
                           servers=[cpu_server("node", 1000, vcpus=64, power=1.0)]))
    result, built, evaluation, _, _ = run_greedy(sc)
    assert not result.complete and result.unplaced == ["web"]
    assert not evaluation.feasible
    assert any(v.startswith("demand[workload=web") for v in evaluation.violations)


def test_warm_start_of_an_empty_result_is_all_zero():
    sc = validate(scenario([cpu_workload("web", 64)], servers=[cpu_server("node", 1000, vcpus=64)]))
    _, built, _, _, _ = run_greedy(sc)
    assert warm_start(built, GreedyResult([], complete=False)) == [0.0] * len(built.lm.variables)


def test_fabric_counts_match_the_least_fabric():
    sw = switch("leaf8", 50, ports=8, port_speed=100)
    from dcplan.scenario.catalog_schema import Switch

    # 12 ports at 3:1 on 8-port switches: 6 down per leaf → 2 leaves, 4 uplinks, 1 spine, 32 optics
    assert fabric_counts(12, Switch.model_validate(sw), 3) == (2, 4, 1, 32)
    assert fabric_counts(0, Switch.model_validate(sw), 3) == (0, 0, 0, 0)


def test_a_larger_generated_scenario_is_placed_in_full_and_verified():
    # 150 workloads on 3 sites with every policy on: no optimum here (too slow for a unit test), but the
    # greedy plan must hold every model row and pass dcplan.plan.verify.
    sc = validate(generate(workloads=150, servers=16, sites=3, seed=5))
    result, built, evaluation, catalog, requirements = run_greedy(sc)
    sc = built.scenario  # with the storage of its training runs
    assert result.complete and evaluation.feasible, evaluation.violations[:5]
    plan = extract(built, evaluation.values, status="feasible", engine="greedy", bound=None, solve_seconds=0.0,
                   build_seconds=0.0, warnings=[])
    verify(plan, sc, catalog, requirements)
    assert {a.workload for a in plan.assignments} == {w.name for w in sc.workloads}


@pytest.mark.parametrize("name", ["enterprise-multisite.yaml", "inference-platform.yaml"])
def test_pool_counts_read_every_pool_as_its_own_expressions_do(name):
    """pool_counts (two bulk gathers, used by the warm start and the extraction) gives each pool the
    active and spare units its expressions give, at any values: a pool whose terms were missed or
    misattributed would buy the wrong racks and show the wrong assignments."""
    import numpy as np

    from dcplan.model.built import pool_counts

    sc = load_scenario(ROOT / "scenarios" / name).scenario
    _, built, *_ = run_greedy(sc)
    values = np.random.default_rng(7).integers(0, 9, size=len(built.lm.variables)).astype(float)
    active, spares = pool_counts(built, values)
    assert len(active) == len(built.pools) > 10
    for pool, a, s in zip(built.pools, active, spares):
        assert a == pytest.approx(pool.active.value(values.tolist()), abs=1e-9)
        assert s == pytest.approx(pool.spares.value(values.tolist()), abs=1e-9)
    assert spares.any() and active.any()
