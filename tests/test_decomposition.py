"""Workload cuts, the restricted master and the Lagrangian bound are checked against exact optima
on small generated scenarios: cuts never cut off the optimum, every bound is at most the optimum,
every plan the decomposition returns satisfies every row of the full model."""

from __future__ import annotations

import time

import numpy as np
import pytest

from bench.generate import generate
from dcplan.usecases import planning as api
from dcplan.solve import blocks
from dcplan.scenario import catalog
from dcplan.solve import bounds, decompose, pricing
from dcplan.solve import greedy, greedy_values
from dcplan.solve import master
from dcplan.solve import rins as rins_module
from dcplan import model
from dcplan.sizing import pruning as reduce
from dcplan import sizing
from dcplan.plan.extract import _all_rows_hold, extract
from dcplan.scenario.schema import Scenario
from dcplan.solve.engines import solve
from dcplan.plan.verify import verify

SEEDS = (1, 2, 3, 4)


def built_model(seed: int, workloads: int = 10, policies: bool = True):
    scenario = Scenario.model_validate(generate(workloads=workloads, servers=10, sites=2, seed=seed,
                                                policies=policies))
    effective = catalog.effective(scenario.catalog)
    requirements = sizing.size_scenario(scenario, effective)
    reduced, _ = reduce.prune_dominated(scenario, effective, requirements)
    return scenario, effective, requirements, reduced, model.build(scenario, effective, reduced)


def first_columns(seed: int):
    """(built, blocks solved for their cuts, the master's first configurations: block optima and greedy)."""
    scenario, effective, _, reduced, built = built_model(seed=seed)
    start = greedy_values.evaluate(built, greedy.greedy_plan(scenario, effective, reduced))
    found = blocks.find_blocks(built)
    blocks.solve_for_cuts(built, found, 60)
    return built, found, master.columns(built, found, [start.values])


def cut_model(seed: int):
    """(scenario, effective catalog, requirements, built, the greedy plan evaluated, blocks with their cuts
    added, the sum of their bounds): what solve_large is handed before its first master."""
    scenario, effective, requirements, reduced, built = built_model(seed=seed)
    start = greedy_values.evaluate(built, greedy.greedy_plan(scenario, effective, reduced))
    found = blocks.find_blocks(built)
    blocks.solve_for_cuts(built, found, 60)
    bound = blocks.sum_of_bounds(built, found)
    blocks.add_cuts(built, found)
    return scenario, effective, requirements, built, start, found, bound


def exact(lm) -> float:
    result = solve(lm, "highs", time_limit=120, gap=0.0)
    assert result.status == "optimal"
    return result


@pytest.mark.parametrize("seed", SEEDS)
def test_workload_cuts_hold_at_the_optimum_and_tighten_the_lp(seed):
    *_, built = built_model(seed)
    optimum = exact(built.lm)
    lp_before = bounds.lp_bound(built.lm, 60)
    found = blocks.find_blocks(built)
    assert blocks.solve_for_cuts(built, found, 60) == len(found)
    first_cut = len(built.lm.rows)
    assert blocks.add_cuts(built, found) > 0
    for row in built.lm.rows[first_cut:]:
        activity = sum(c * optimum.values[i] for i, c in row.terms.items())
        assert activity >= row.lo - 1e-9, row.name  # the optimal plan satisfies every cut
    lp_after = bounds.lp_bound(built.lm, 60)
    assert lp_before - 1e-6 * abs(lp_before) <= lp_after <= optimum.objective * (1 + 1e-9)
    assert exact(built.lm).objective == pytest.approx(optimum.objective, rel=1e-6)


def test_cuts_close_most_of_the_lp_gap_on_a_generated_platform():
    """Measured: on 40 workloads the LP bound moves from a few % below the optimum to within 1 %."""
    *_, built = built_model(seed=7, workloads=40)
    optimum = exact(built.lm).objective
    before = bounds.lp_bound(built.lm, 60)
    found = blocks.find_blocks(built)
    blocks.solve_for_cuts(built, found, 60)
    blocks.add_cuts(built, found)
    after = bounds.lp_bound(built.lm, 60)
    assert (optimum - after) < 0.5 * (optimum - before)


def test_training_back_end_fabric_belongs_to_its_workload():
    scenario, *_, built = built_model(seed=3, workloads=30)
    owned = blocks.owners(built.lm)
    trainers = [w.name for w in scenario.workloads if built.requirements[w.name].kind == "training"]
    assert trainers
    for name in trainers:
        names = [built.lm.variables[i].name for i in owned[name]]
        assert any(n.startswith("L[fabric=train:") for n in names)


@pytest.mark.parametrize("seed", SEEDS)
def test_master_plans_satisfy_the_full_model(seed):
    scenario, effective, requirements, reduced, built = built_model(seed)
    start = greedy_values.evaluate(built, greedy.greedy_plan(scenario, effective, reduced))
    assert start.feasible
    found = blocks.find_blocks(built)
    blocks.solve_for_cuts(built, found, 60)
    chosen = master.columns(built, found, [start.values])
    restricted = master.build_master(built.lm, found, chosen)
    hint = restricted.from_full(start.values, found)
    assert hint is not None  # the greedy plan is one of the master's solutions
    assert restricted.matrix.objective(hint) == pytest.approx(start.objective, rel=1e-9)
    result = solve(restricted.matrix, "highs", time_limit=60, gap=0.0, hint=hint)
    full = restricted.to_full(result.values)
    assert _all_rows_hold(built, full)
    assert built.lm.objective.value(full) <= start.objective * (1 + 1e-9)
    assert built.lm.objective.value(full) >= exact(built.lm).objective * (1 - 1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_decomposition_bound_is_below_the_optimum_and_its_plan_verifies(seed):
    scenario, effective, requirements, reduced, built = built_model(seed)
    optimum = exact(built.lm).objective
    start = greedy_values.evaluate(built, greedy.greedy_plan(scenario, effective, reduced))
    found = blocks.find_blocks(built)
    blocks.solve_for_cuts(built, found, 60)
    blocks.add_cuts(built, found)
    result = decompose.solve_large(built, found, start.values, deadline=time.perf_counter() + 30, engine="highs",
                                   threads=0, gap=0.0)
    assert result.bound is not None
    assert result.bound <= optimum * (1 + 1e-9)
    assert result.objective >= optimum * (1 - 1e-6)
    assert _all_rows_hold(built, result.values)
    plan = extract(built, result.values, status=result.status, engine="highs", bound=result.bound,
                   solve_seconds=0, build_seconds=0, warnings=[])
    verify(plan, scenario, effective, requirements)


def test_lagrangian_bound_equals_lp_bound_of_the_master_when_pricing_finds_nothing():
    """After pricing has nothing better to offer, z_RMP + Σ min(0, rc) is z_RMP itself."""
    built, found, chosen = first_columns(seed=2)
    for _ in range(10):
        restricted = master.build_master(built.lm, found, chosen)
        lp = solve(restricted.relaxation(), "highs", time_limit=60, gap=0.0, relax=True)
        bound, results = pricing.price(built, found, restricted, lp, 60, threads=2,
                                         deadline=time.perf_counter() + 60)
        if not master.add_columns(built, found, chosen, {n: r.solution for n, r in results.items()}):
            break
    assert bound == pytest.approx(lp.objective, rel=1e-5)
    assert bound <= exact(built.lm).objective * (1 + 1e-9)


def test_large_model_path_through_the_api(monkeypatch):
    """Forced onto the decomposition path, a small scenario still gets a verified plan and a valid bound."""
    data = generate(workloads=12, servers=10, sites=2, seed=5)
    scenario = Scenario.model_validate(data)
    optimum = api.plan_scenario(scenario, api.SolveOptions(engine="highs", gap=0.0)).objective_value
    monkeypatch.setattr(api, "LARGE_MODEL_POOLS", 0)
    plan = api.plan_scenario(scenario, api.SolveOptions(engine="highs", gap=0.0, time_limit=30))
    assert plan.bound <= optimum * (1 + 1e-9)
    assert plan.objective_value >= optimum * (1 - 1e-6)
    assert any("configurations" in w for w in plan.warnings)


@pytest.mark.parametrize("large", [False, True])
def test_blocks_priced_without_the_lp_get_the_quick_first_look_on_the_large_path(monkeypatch, large):
    """Without LP prices (a single purchase above LP_PRICES_MAX_VARIABLES) a large model's blocks are solved
    by QUICK_PASSES, so that more of them are solved in the budget (W=5000 × 60 × 8 at 120 s: 5,250 of
    5,250 against 5,173 by FIRST_PASSES); a model solved whole keeps BLOCK_PASSES. Either way the bound
    stays valid."""
    from dcplan.solve import lagrange

    data = generate(workloads=12, servers=10, sites=2, seed=5)
    scenario = Scenario.model_validate(data)
    optimum = api.plan_scenario(scenario, api.SolveOptions(engine="highs", gap=0.0)).objective_value
    asked, real = [], blocks.solve_blocks

    def spied(*args, passes=blocks.BLOCK_PASSES, **kwargs):
        asked.append(passes)
        return real(*args, passes=passes, **kwargs)

    monkeypatch.setattr(blocks, "solve_blocks", spied)
    monkeypatch.setattr(lagrange, "LP_PRICES_MAX_VARIABLES", 0)
    if large:
        monkeypatch.setattr(api, "LARGE_MODEL_POOLS", 0)
    plan = api.plan_scenario(scenario, api.SolveOptions(engine="highs", gap=0.0, time_limit=30))
    assert asked[0] == (blocks.QUICK_PASSES if large else blocks.BLOCK_PASSES)
    assert plan.bound <= optimum * (1 + 1e-9) and plan.objective_value >= optimum * (1 - 1e-6)


def test_large_model_path_reports_an_infeasible_scenario_as_infeasible(monkeypatch):
    """No greedy plan and no master plan: the full model decides, so an infeasible scenario exits 1, not 3."""
    data = generate(workloads=8, servers=8, sites=2, seed=3)
    for site in data["sites"]:
        site["power"] = 1.0  # kW: nothing fits
    monkeypatch.setattr(api, "LARGE_MODEL_POOLS", 0)
    with pytest.raises(api.NoPlan) as raised:
        api.plan_scenario(Scenario.model_validate(data), api.SolveOptions(engine="highs", time_limit=30))
    assert raised.value.status == "infeasible"


@pytest.mark.parametrize(("workloads", "servers", "sites", "seed"), [(30, 60, 1, 2), (40, 20, 2, 1)])
def test_the_greedy_plan_is_a_warm_start_the_model_accepts(workloads, servers, sites, seed):
    """The greedy plan is the plan a run falls back on when the time runs out: the model must accept it.
    (30 × 60 × 1, seed 2 has a 2-server replica pool that one server's worth of demand fills: its spares
    were once counted on one server, the greedy plan broke that row, and at 1,000 workloads the run
    ended with no plan at all.)"""
    scenario = Scenario.model_validate(generate(workloads=workloads, servers=servers, sites=sites, seed=seed))
    effective = catalog.effective(scenario.catalog)
    requirements = sizing.size_scenario(scenario, effective)
    built = model.build(scenario, effective, reduce.prune_dominated(scenario, effective, requirements)[0])
    start = greedy_values.evaluate(built, greedy.greedy_plan(scenario, effective, built.requirements))
    assert start.feasible, start.violations[:5]


@pytest.mark.parametrize("solved_blocks", [0, 4])
def test_out_of_time_the_decomposition_returns_the_greedy_plan_with_a_proven_bound(solved_blocks):
    """The deadline already past (no time for pricing, the master or search): the greedy plan comes back
    as `feasible`, with a bound (the workloads' own bounds, a row floor for each one not solved), and
    verifies."""
    scenario, effective, requirements, reduced, built = built_model(seed=1)
    start = greedy_values.evaluate(built, greedy.greedy_plan(scenario, effective, reduced))
    assert start.feasible
    found = blocks.find_blocks(built)
    chosen = dict(list(found.items())[:solved_blocks])
    blocks.solve_for_cuts(built, chosen, 60)
    bound = blocks.sum_of_bounds(built, found)
    blocks.add_cuts(built, found)
    result = decompose.solve_large(built, found, start.values, deadline=time.perf_counter(), engine="highs",
                                   threads=0, gap=0.01, bound=bound)
    assert result.status == "feasible" and result.values == list(start.values)
    assert result.bound is not None and 0 < result.bound <= result.objective
    assert result.objective == pytest.approx(start.objective)
    plan = extract(built, result.values, status=result.status, engine="highs", bound=result.bound,
                   solve_seconds=0, build_seconds=0, warnings=[])
    verify(plan, scenario, effective, requirements)


@pytest.mark.parametrize("seed", (1, 3))
def test_rins_on_the_master_never_worsens_its_start_and_its_lp_bounds_the_master(seed):
    scenario, effective, requirements, reduced, built = built_model(seed)
    start = greedy_values.evaluate(built, greedy.greedy_plan(scenario, effective, reduced))
    found = blocks.find_blocks(built)
    blocks.solve_for_cuts(built, found, 60)
    restricted = master.build_master(built.lm, found, master.columns(built, found, [start.values]))
    begin = restricted.from_full(start.values, found)
    values, lp, note = decompose.rins(restricted.matrix, begin, time.perf_counter() + 30, "highs", 0, 0.0,
                                      lambda message: None)
    assert "RINS fixed" in note and "whole choices rounded" not in note
    assert rins_module.choices_of(restricted) is None  # a single purchase: no rounding of the choices first
    assert restricted.matrix.objective(values) <= restricted.matrix.objective(begin) + 1e-6
    assert not len(restricted.matrix.violated(values))
    assert _all_rows_hold(built, restricted.to_full(values))
    best = solve(restricted.matrix, "highs", time_limit=60, gap=0.0)
    assert best.status == "optimal" and lp.objective <= best.objective * (1 + 1e-9)


def test_with_some_workloads_unsolved_the_bound_is_the_better_of_theirs_and_the_lp_and_below_the_optimum(
        monkeypatch):
    monkeypatch.setattr(pricing, "MAX_PRICING_ROUNDS", 0)  # no Lagrangian bound: as when time is short
    scenario, effective, requirements, reduced, built = built_model(seed=2)
    optimum = exact(built.lm).objective
    start = greedy_values.evaluate(built, greedy.greedy_plan(scenario, effective, reduced))
    found = blocks.find_blocks(built)
    blocks.solve_for_cuts(built, dict(list(found.items())[:3]), 60)
    partial = blocks.sum_of_bounds(built, found)
    blocks.add_cuts(built, found)
    messages = []
    result = decompose.solve_large(built, found, start.values, deadline=time.perf_counter() + 20, engine="highs",
                                   threads=0, gap=0.0, bound=partial, on_progress=messages.append)
    assert partial <= result.bound <= optimum * (1 + 1e-9)
    assert any("LP relaxation with the workload cuts" in m for m in messages)  # it was the better one here
    assert result.objective >= optimum * (1 - 1e-6) and _all_rows_hold(built, result.values)


def test_both_engines_answers_keep_the_higher_bound_and_the_cheaper_point():
    import numpy as np

    scip = blocks.BlockResult(90.0, np.array([1.0]), 100.0)
    highs = blocks.BlockResult(95.0, np.array([2.0]), 120.0)
    best = blocks.better_of(scip, highs)
    assert (best.bound, best.value, best.solution.tolist()) == (95.0, 100.0, [1.0])
    assert not best.closed(1e-4) and blocks.BlockResult(99.995, None, 100.0).closed(1e-4)
    assert blocks.better_of(blocks.BlockResult(None, None, None), highs).bound == 95.0
    assert blocks.BlockResult(float("inf"), None, None).closed(1e-4)  # infeasible: nothing left to prove


@pytest.mark.parametrize("engines", [("scip", "highs"), ("highs", "scip")])
def test_each_block_result_brackets_the_block_optimum_whichever_engine_goes_first(engines):
    """The bound of every block is at most its exact optimum (HiGHS, no gap) and its point is feasible for
    the block and costs that much; with a limit too short to close any block, the second engine runs from
    the first one's point and the bracket still holds, and so it does when the blocks left open are solved
    again from those results (as lagrange.finish does)."""
    *_, built = built_model(seed=3, workloads=12)
    found = blocks.find_blocks(built)
    optima = {}
    for name, block in found.items():
        optimum = solve(blocks.block_matrix(built.lm, block).with_cost(block.costs), "highs", time_limit=60, gap=0.0)
        assert optimum.status == "optimal"
        optima[name] = optimum.objective

    def bracketed(results):
        for name, result in results.items():
            sub = blocks.block_matrix(built.lm, found[name]).with_cost(found[name].costs)
            assert result.bound is None or result.bound <= optima[name] * (1 + 1e-9) + 1e-6, name
            if result.solution is not None:
                assert not len(sub.violated(result.solution)), name
                assert result.value == pytest.approx(float(sub.cost @ result.solution))
                assert result.value >= optima[name] * (1 - 1e-9) - 1e-6, name

    for limit in (0.2, 0.002):
        results = blocks.solve_blocks(built, found, 60, passes=tuple((engine, limit) for engine in engines))
        assert set(results) == set(found)
        bracketed(results)
        if limit == 0.2:  # small blocks: each closes well within the usual limit
            assert sum(r.closed(blocks.BLOCK_GAP) for r in results.values()) == len(found)
    # Results left open (here: each block's point with a bound 10 % below its optimum) are solved again
    # from their points and bounds, as lagrange.finish does: never a lower bound, never a dearer point.
    weak = {name: blocks.BlockResult(0.9 * optima[name], r.solution, r.value) for name, r in results.items()
            if r.value is not None and optima[name] > 0}
    assert weak and not any(r.closed(blocks.BLOCK_GAP) for r in weak.values())
    again = blocks.solve_blocks(built, {name: found[name] for name in weak}, 60, passes=((engines[0], 0.2),),
                                start=weak)
    bracketed(again)
    assert all(again[name].closed(blocks.BLOCK_GAP) for name in weak)
    assert all(again[name].value <= weak[name].value + 1e-6 for name in weak)
    assert all(again[name].bound >= weak[name].bound for name in weak)


def test_blocks_ask_scip_for_its_quick_settings(monkeypatch):
    """Every SCIP call on a block asks for blocks.QUICK_SCIP (SCIP's FAST settings: on W=1000 × 60 × 4 a
    quarter less CPU and half the blocks left open), which stays switched on."""
    from dcplan.solve import mathopt

    *_, built = built_model(seed=3, workloads=6)
    found = blocks.find_blocks(built)
    asked, real = [], mathopt.solve_matrix

    def recorded(*args, **kwargs):
        asked.append((args[1], kwargs.get("quick", False)))
        return real(*args, **kwargs)

    monkeypatch.setattr(mathopt, "solve_matrix", recorded)
    results = blocks.solve_blocks(built, found, 60, passes=(("scip", 0.2),))
    assert set(results) == set(found) and blocks.QUICK_SCIP
    assert asked and all(quick for engine, quick in asked if engine == "scip")


def test_building_checks_the_time_inside_long_constraint_families(monkeypatch):
    """The time check runs every TICK workloads or pools inside a family, not only between families:
    at W=5000 one family (the pools) takes ten seconds, which a 20 s limit cannot wait for."""
    from dcplan.model import built as built_module

    monkeypatch.setattr(built_module, "TICK", 5)
    scenario, effective, _, reduced, _ = built_model(seed=1, workloads=30)
    calls = []
    model.build(scenario, effective, reduced, between=lambda: calls.append(1))
    families = 12  # the steps of dcplan.model.build.build for a single purchase with valid inequalities
    assert len(calls) > families + 30 // 5

    class OutOfTime(Exception):
        pass

    def stop():
        raise OutOfTime()

    with pytest.raises(OutOfTime):
        model.build(scenario, effective, reduced, between=stop)


def test_a_plan_within_the_gap_before_pricing_ends_the_decomposition_without_pricing_rounds():
    """When RINS on the first master already lands within the gap of the bound, no pricing round runs
    (each costs as much as solving every block again); the plan keeps the bound and verifies. With no
    gap to spare, the rounds do run."""
    scenario, effective, requirements, built, start, found, bound = cut_model(seed=1)
    heard = []
    result = decompose.solve_large(built, found, start.values, deadline=time.perf_counter() + 30, engine="highs",
                                   threads=0, gap=0.5, bound=bound, on_progress=heard.append)
    assert result.status == "optimal" and result.objective - result.bound <= 0.5 * result.objective
    assert result.bound == bound
    assert not any("pricing round" in m for m in heard) and "before any pricing round" in result.messages[0]
    plan = extract(built, result.values, status=result.status, engine="highs", bound=result.bound,
                   solve_seconds=0, build_seconds=0, warnings=[])
    verify(plan, scenario, effective, requirements)
    heard.clear()
    decompose.solve_large(built, found, start.values, deadline=time.perf_counter() + 30, engine="highs", threads=0,
                          gap=0.0, bound=bound, on_progress=heard.append)
    assert any("pricing round" in m for m in heard)


def test_blocks_left_when_the_budget_is_spent_are_not_even_cut_out(monkeypatch):
    """Out of time, the queued blocks return at once: cutting each one out of a model of a million
    variables made the cuts of W=5000 take 35 s for a 20 s budget."""
    *_, built = built_model(seed=1)
    found = blocks.find_blocks(built)
    cut_out = []
    real = blocks.block_matrix
    monkeypatch.setattr(blocks, "block_matrix", lambda lm, block: cut_out.append(block) or real(lm, block))
    assert blocks.solve_blocks(built, found, time_budget=0.0) == {} and cut_out == []
    assert len(blocks.solve_blocks(built, found, time_budget=60.0)) == len(found) == len(cut_out)


@pytest.mark.parametrize("seed", (1, 2))
def test_blocks_cut_out_together_equal_blocks_cut_out_one_by_one(seed):
    """blocks.cut_out numbers every block's variables in one shared array (blocks are disjoint); each
    block's matrix must be exactly what cutting it out alone gives: bounds, costs, rows and non-zeros."""
    import numpy as np

    *_, built = built_model(seed, workloads=30)
    together, alone = blocks.find_blocks(built), blocks.find_blocks(built)
    blocks.cut_out(built.lm, together)
    assert len(together) >= 30
    for name, block in alone.items():
        mine, theirs = together[name].matrix, blocks.block_matrix(built.lm, block)
        assert mine is not None
        for field in ("lb", "ub", "integer", "cost", "row_lo", "row_hi", "indptr", "indices", "data"):
            assert np.array_equal(getattr(mine, field), getattr(theirs, field)), (name, field)


def test_configurations_priced_in_the_last_round_reach_the_master():
    """Pricing stops once the master's LP is within the gap of the bound, but the configurations that
    last round found still go into the master the MIP solves (they were dropped before: W=1000 × 60 × 4,
    held-out seed 2, the master's LP with them is 538.2 M against 540.8 M without). Seed 3: at the duals
    GLOP returns for seeds 1, 2 and 4 no configuration prices below zero (the round proves the master's LP)."""
    built, found, chosen = first_columns(seed=3)
    before = sum(map(len, chosen.values()))
    restricted = master.build_master(built.lm, found, chosen)
    heard = []
    returned, _ = pricing.rounds(built, found, chosen, restricted, time.perf_counter() + 60, 0, 1.0,
                                 blocks.sum_of_bounds(built, found), heard.append)
    assert len(heard) == 1 and "pricing round 1" in heard[0]  # a gap of 100 %: one round, then stop
    assert sum(map(len, chosen.values())) > before  # the round found new configurations ...
    assert all(len(returned.lambdas[name]) == len(columns) for name, columns in chosen.items())  # ... all in
    assert returned.matrix.shape[1] == len(returned.kept) + sum(map(len, chosen.values()))


def test_the_master_runs_until_its_plan_is_within_the_gap_of_the_proven_bound():
    """The master's own bound lies above the proven one, so the master MIP gets a target (a plan within the
    gap of the proven bound) and a tenth of the gap for itself; without a proven bound, just the gap."""
    gap, bound = 0.01, 536.6e6
    master_gap, target = decompose._master_stop(bound, gap, 538.2e6, "highs")
    assert master_gap == pytest.approx(gap / 10)
    assert (target - bound) / target == pytest.approx(gap)  # the costliest plan that is within the gap
    assert decompose._master_stop(None, gap, 538.2e6, "highs") == (gap, None)
    assert decompose._master_stop(bound, gap, None, "highs") == (gap, None)  # its LP unsolved: no hope of the target
    assert decompose._master_stop(bound, gap, target * 1.001, "highs") == (gap, None)  # no master plan can reach it
    assert decompose._master_stop(bound, gap, 538.2e6, "scip") == (gap, None)  # SCIP takes no target


def test_the_master_mip_is_asked_for_that_target(monkeypatch):
    """On the decomposition path, every MIP on the master (none of its variables fixed, unlike RINS's)
    gets _master_stop's gap and target, from the bound handed in, and at most MASTER_TIME_SHARE of the time
    left, so that the search over the full model gets the rest."""
    built, found, _ = first_columns(seed=3)
    scenario, effective, *_ = built_model(seed=3)
    start = greedy_values.evaluate(built, greedy.greedy_plan(scenario, effective, built.requirements))
    bound, gap = blocks.sum_of_bounds(built, found), 0.05  # the first plans are 6-15 % above the bound
    asked, lps, shares, real = [], [], [], decompose.solve
    deadline = time.perf_counter() + 30

    def spied(matrix, engine, **kwargs):
        fixed = (matrix.lb == matrix.ub) & matrix.integer
        left = deadline - time.perf_counter()
        result = real(matrix, engine, **kwargs)
        if kwargs.get("relax"):
            lps.append(result.objective)
        elif kwargs.get("hint") is not None and not fixed.any():
            asked.append((kwargs["gap"], kwargs.get("target")))
            shares.append(kwargs["time_limit"] / left)
        return result

    monkeypatch.setattr(decompose, "solve", spied)
    monkeypatch.setattr(bounds, "solve", spied)  # the full model's LP after the master (bounds.after_master)
    monkeypatch.setattr(master, "solve", spied)  # the master's LPs (master.solve_lp: RINS, pricing, dives)
    result = decompose.solve_large(built, found, start.values, deadline=deadline, engine="highs",
                                   threads=0, gap=gap, bound=bound)
    assert asked == [decompose._master_stop(result.bound, gap, lps[-1], "highs")]  # the last LP: RINS's
    assert asked[0][1] is not None
    assert shares[0] == pytest.approx(decompose.MASTER_TIME_SHARE, rel=0.05)  # of what was left at the call
    assert result.bound <= exact(built.lm).objective * (1 + 1e-9)


def test_pricing_rounds_take_the_quick_first_look_at_each_block(monkeypatch):
    """A pricing round's value is its new configurations, and the bound at the LP's prices is nearly always
    the higher one: SCIP alone for 0.2 s a block (seed 2 at W=1000 × 60 × 4: a round of 14.5 s against 22 s)."""
    built, found, chosen = first_columns(seed=1)
    restricted = master.build_master(built.lm, found, chosen)
    lp = solve(restricted.relaxation(), "highs", time_limit=60, gap=0.0, relax=True)
    asked, real = [], blocks.solve_blocks

    def spied(*args, passes=blocks.BLOCK_PASSES, **kwargs):
        asked.append(passes)
        return real(*args, passes=passes, **kwargs)

    monkeypatch.setattr(blocks, "solve_blocks", spied)
    bound, results = pricing.price(built, found, restricted, lp, 60, threads=2, deadline=time.perf_counter() + 60)
    assert asked == [blocks.FIRST_PASSES]
    assert len(results) == len(restricted.columns) and bound <= exact(built.lm).objective * (1 + 1e-9)


def test_pricing_goes_on_while_the_bound_can_still_rise_by_a_tenth_of_the_gap():
    """The plan lies above the master's LP by the master's integrality gap (2-3 % on build-outs), so a
    bound that can still rise by up to the whole gap is worth more rounds (W=200 x 4 periods: 94.85 M after
    3 rounds, 94.99 M after 8); pricing stops at a tenth of the gap, or when a round finds nothing new."""
    gap, master_lp = 0.01, 100.0
    assert not pricing._pricing_done(5, master_lp, master_lp * (1 - gap / 2), gap)  # the old rule stopped here
    assert pricing._pricing_done(5, master_lp, master_lp * (1 - gap / 20), gap)
    assert pricing._pricing_done(0, master_lp, master_lp * (1 - gap / 2), gap)  # nothing new
    assert not pricing._pricing_done(5, master_lp, None, gap)  # no bound yet


def test_no_pricing_round_starts_when_it_cannot_fit_not_even_its_lp(monkeypatch):
    """A round is expected to take as long as the last one (here 100 s) and needs the master's share
    beside it: with 10 s left, pricing ends before solving the master's LP (W=5000 × 60 × 8 spent 5.8 s in
    that LP only to find no round fits)."""
    built, found, chosen = first_columns(seed=1)
    restricted = master.build_master(built.lm, found, chosen)
    solved = []
    monkeypatch.setattr(master, "solve", lambda *args, **kwargs: solved.append(args) or solve(*args, **kwargs))
    result, bound = pricing.rounds(built, found, chosen, restricted, time.perf_counter() + 10, threads=2,
                                   gap=0.01, bound=1.0, say=lambda message: None, round_seconds=100.0)
    assert solved == [] and result is restricted and bound == 1.0
    assert pricing._round_fits(10.0, 6.0) and not pricing._round_fits(10.0, 7.0)  # 65 % of 10 s


def test_pricing_stops_when_the_last_round_moved_neither_the_master_lp_nor_the_bound():
    """Held-out seed 3 at W=1000 × 60 × 4: a third round lowered the master's LP by 0.006 % (the second by
    0.39 %) and left the bound; a build-out's rounds lowered it by 0.025 % or more each."""
    gap = 0.01
    assert pricing._stalled(561.206, 560.34, 561.173, 560.34, gap)  # seed 3's third round: stop
    assert not pricing._stalled(563.379, 560.34, 561.206, 560.34, gap)  # its second round: go on
    assert not pricing._stalled(95.109, 94.849, 95.085, 94.849, gap)  # the build-out's 0.025 %: go on
    assert not pricing._stalled(561.206, 560.34, 561.20, 560.50, gap)  # the bound rose by 0.029 %: go on
    assert not pricing._stalled(561.206, None, 561.20, 560.0, gap)  # a first bound: go on


def test_blocks_are_solved_two_at_a_time_unless_fewer_threads_are_asked_for(monkeypatch):
    """threads 0 means all cores (the scenario's and the command line's meaning): the decomposition's
    pricing rounds, the finishing of its bound and its site prices once ran on one thread with it."""
    assert [blocks.block_workers(t) for t in (0, 1, 2, 8)] == [2, 1, 2, 2]
    built, found, _ = first_columns(seed=1)
    workers, real = [], blocks.ThreadPoolExecutor

    def spied(count, **kwargs):
        workers.append(count)
        return real(count, **kwargs)

    monkeypatch.setattr(blocks, "ThreadPoolExecutor", spied)
    for name in found:
        found[name].solution = found[name].bound = None
    results = blocks.solve_blocks(built, found, 60, threads=0)
    assert workers == [2] and len(results) == len(found)


def test_the_full_lp_is_not_tried_for_the_bound_when_highs_cannot_finish_it(monkeypatch):
    """As in the test above, some workloads unsolved; but the model is above LP_PRICES_MAX_VARIABLES and the
    time left is below what HiGHS needs for such an LP (W=5000 × 60 × 8: 13.7 s and 1.2 GB for nothing), so
    the bound stays the workloads' own and no LP is started."""
    from dcplan.solve import lagrange

    assert lagrange.highs_lp_fits(lagrange.LP_PRICES_MAX_VARIABLES, 0.0)
    assert not lagrange.highs_lp_fits(lagrange.LP_PRICES_MAX_VARIABLES + 1, lagrange.HIGHS_LARGE_LP_SECONDS - 1)
    assert lagrange.highs_lp_fits(lagrange.LP_PRICES_MAX_VARIABLES + 1, lagrange.HIGHS_LARGE_LP_SECONDS)
    monkeypatch.setattr(pricing, "MAX_PRICING_ROUNDS", 0)
    monkeypatch.setattr(lagrange, "LP_PRICES_MAX_VARIABLES", 0)
    scenario, effective, requirements, reduced, built = built_model(seed=2)
    start = greedy_values.evaluate(built, greedy.greedy_plan(scenario, effective, reduced))
    found = blocks.find_blocks(built)
    blocks.solve_for_cuts(built, dict(list(found.items())[:3]), 60)
    partial = blocks.sum_of_bounds(built, found)
    started = []
    monkeypatch.setattr(bounds, "lp_bound", lambda *args, **kwargs: started.append(args))
    messages = []
    result = decompose.solve_large(built, found, start.values, deadline=time.perf_counter() + 20, engine="highs",
                                   threads=0, gap=0.0, bound=partial, on_progress=messages.append)
    assert started == [] and result.bound >= partial
    assert not any("LP relaxation with the workload cuts" in m for m in messages)


def test_a_pricing_round_that_proves_no_bound_ends_pricing_but_its_configurations_reach_the_master(monkeypatch):
    """When some block has no bound at the master's duals, a round proves nothing (the 4-period W=1000
    build-out's rounds of 10–16 s never did), and the next round's duals are of the same kind: pricing
    stops after it, with what it found in the master, and the time goes to the dive and the search."""
    from dcplan.solve import lagrange
    from tests.test_ownership import buildout_model, generated

    def rounds():
        built = buildout_model(generated(3, installed=False))
        found = blocks.find_blocks(built, priced=False)
        _, bound = lagrange.cuts_at_lp_prices(built, found, 60, threads=2, deadline=time.perf_counter() + 60)
        chosen = master.columns(built, found, [])
        heard = []
        returned, bound = pricing.rounds(built, found, chosen, master.build_master(built.lm, found, chosen),
                                         time.perf_counter() + 60, 2, 1e-6, bound, heard.append)
        return heard, returned, chosen, bound

    heard, *_ = rounds()
    assert len(heard) > 1  # with a bound from every round, this build-out prices on
    real_price = pricing.price
    monkeypatch.setattr(pricing, "price", lambda *args, **kwargs: (None, real_price(*args, **kwargs)[1]))
    heard, returned, chosen, bound = rounds()
    assert len(heard) == 1 and "new configurations" in heard[0]
    assert all(len(returned.lambdas[name]) == len(columns) for name, columns in chosen.items())
    assert bound is not None  # the bound proven before pricing is kept


def test_a_dive_on_the_first_master_within_the_gap_ends_the_decomposition_before_pricing(monkeypatch):
    """Held-out W=1000 × 60 × 4 seed 3: RINS on the first master lands outside the gap, and a dive on that
    master lands within it once the blocks left open are closed (565.6 M against a bound of 560.1 M), so the
    two pricing rounds (20 s) are skipped. Here RINS is made to keep its start, the greedy plan (35 % above
    the bound at this size); the dive's plan (12 %) is within a gap of 20 %, and ends the run. The dive comes
    before the bound is finished, which a plan within the gap then makes needless."""
    scenario, effective, requirements, built, start, found, bound = cut_model(seed=1)
    real_rins, real_finished = decompose.rins, bounds.finished
    finished = []

    def rins_keeping_its_start(matrix, start, *args, **kwargs):
        _, lp, note = real_rins(matrix, start, *args, **kwargs)
        return start, lp, note

    def finished_bound(*args, **kwargs):
        finished.append(kwargs.get("target"))
        return real_finished(*args, **kwargs)

    monkeypatch.setattr(decompose, "rins", rins_keeping_its_start)
    monkeypatch.setattr(bounds, "finished", finished_bound)
    gap = 0.2
    assert start.objective - bound > gap * start.objective
    heard = []
    result = decompose.solve_large(built, found, start.values, deadline=time.perf_counter() + 60, engine="highs",
                                   threads=0, gap=gap, bound=bound, on_progress=heard.append)
    assert any(m.startswith("diving on the first master:") for m in heard)
    assert not any("pricing round" in m for m in heard) and "before any pricing round" in result.messages[0]
    assert result.status == "optimal" and result.objective < start.objective and not finished
    assert result.objective - result.bound <= gap * result.objective and result.bound >= bound
    plan = extract(built, result.values, status=result.status, engine="highs", bound=result.bound,
                   solve_seconds=0, build_seconds=0, warnings=[])
    verify(plan, scenario, effective, requirements)


def test_no_dive_before_pricing_where_the_first_masters_lp_lies_beyond_the_gap_of_the_bound():
    """No plan of a master can be within the gap when its LP is not (W=3000 × 60 × 8: 3.4 % apart); the dive
    before pricing is then not tried. Where the LP is within the gap, it is, and its plan holds every row."""
    built, found, chosen = first_columns(seed=1)
    first = master.build_master(built.lm, found, chosen)
    lp = solve(first.relaxation(), "highs", time_limit=30, gap=0.0, relax=True)
    values = built.lm.matrix()
    heard = []
    args = (first, found, None, lp.objective * (1 - 0.03), lp, time.perf_counter() + 30, "highs", 0, 0.01,
            heard.append)
    assert decompose._dived_before_pricing(*args) is None and not heard
    dived = decompose._dived_before_pricing(first, found, None, lp.objective, lp, time.perf_counter() + 30,
                                            "highs", 0, 0.01, heard.append)
    assert dived is not None and heard and heard[0].startswith("diving on the first master:")
    assert not len(values.violated(dived)) and values.objective(dived) >= lp.objective * (1 - 1e-9)


def test_finishing_the_bound_counts_only_the_blocks_it_was_asked_about():
    # Seen at W=1000 × 4 periods: 3 of 41 unreached blocks solved, and they were left open themselves, so
    # "closed -3 of the 52 left open". A block solved now for the first time is not one it failed to close.
    missing, still_open = ["a", "b", "c", "d"], ["e", "f", "g"]
    said = bounds.finish_summary(missing, still_open, unsolved_after=["d"], open_after=["a", "b", "c", "g"])
    assert said == "solved 3 of the 4 workloads left and closed 2 of the 3 left open"
    assert bounds.finish_summary([], still_open, [], ["e"]) == "closed 2 of the 3 left open"


def test_the_workloads_holding_much_of_the_plans_distance_to_the_bound_are_searched_before_pricing(monkeypatch):
    """Before the bound is finished, the search re-optimises, one at a time and furthest first, the
    workloads whose part of the plan lies at least lns.FURTHEST_EXCESS of the plan's distance to the bound
    above their block's bound; its plan is no dearer, joins the master, and the run's plan verifies."""
    from dcplan.solve import lns

    scenario, effective, requirements, built, start, found, bound = cut_model(seed=1)
    real_rins, real_improve = decompose.rins, lns.improve
    monkeypatch.setattr(decompose, "rins", lambda matrix, begin, *args, **kwargs:
                        (begin, *real_rins(matrix, begin, *args, **kwargs)[1:]))
    asked = []

    def improve(built_, values, *args, **kwargs):
        asked.append((np.array(values), kwargs))
        return real_improve(built_, values, *args, **kwargs)

    monkeypatch.setattr(lns, "improve", improve)
    heard = []
    result = decompose.solve_large(built, found, start.values, deadline=time.perf_counter() + 60, engine="highs",
                                   threads=0, gap=0.001, bound=bound, on_progress=heard.append)
    values, kwargs = asked[0]
    excess = lns.excesses(found, values)
    distance = built.lm.matrix().objective(values) - bound
    expected = sorted((n for n, e in excess.items() if e >= lns.FURTHEST_EXCESS * distance),
                      key=lambda n: -excess[n])
    assert expected and kwargs["order"] == expected and kwargs["cycles"] == 1 and kwargs["batch_size"] == 1
    assert any(m.startswith(f"re-optimising the {len(expected)} workloads furthest above their bounds") for m in heard)
    assert result.objective <= start.objective + 1e-6
    plan = extract(built, result.values, status=result.status, engine="highs", bound=result.bound,
                   solve_seconds=0, build_seconds=0, warnings=[])
    verify(plan, scenario, effective, requirements)


def test_every_lp_of_the_master_is_solved_by_glop(monkeypatch):
    """The master's LP relaxation, wherever the decomposition solves it (RINS, each step of a dive, each
    pricing round), goes through master.solve_lp to master.LP_ENGINE, GLOP: HiGHS's dual simplex slowed
    down tenfold on masters that had gained columns (W=5000 × 60 × 8: 42.6 s against GLOP's 6.6 s). Each of
    those LPs is also checked against HiGHS's answer to the same LP (status, and optimum)."""
    from dcplan.solve import dive as dive_module
    from dcplan.solve import rins as rins_module

    scenario, effective, _, reduced, built = built_model(seed=3)
    start = greedy_values.evaluate(built, greedy.greedy_plan(scenario, effective, reduced))
    found = blocks.find_blocks(built)
    blocks.solve_for_cuts(built, found, 60)
    chosen = master.columns(built, found, [start.values])
    restricted = master.build_master(built.lm, found, chosen)
    engines = []
    original = master.solve

    def recording(model, engine, *args, **kwargs):
        result = original(model, engine, *args, **kwargs)
        engines.append(engine)
        assert kwargs.get("relax")
        check = original(model, "highs", time_limit=60, gap=0.0, relax=True)
        assert result.status == check.status  # a dive step's LP may be infeasible: for both
        if check.status == "optimal":
            assert result.objective == pytest.approx(check.objective, rel=1e-7)
        return result

    monkeypatch.setattr(master, "solve", recording)
    deadline = time.perf_counter() + 60
    calls = []
    values, lp, _ = rins_module.rins(restricted.matrix, restricted.from_full(start.values, found), deadline, "highs",
                                     0, 0.01, lambda message: None)
    assert lp is not None and values is not None
    calls.append(len(engines))
    dive_module.dive(restricted, deadline, 0, "highs", 0.001)
    calls.append(len(engines))
    pricing.rounds(built, found, chosen, restricted, deadline, 0, 1.0, blocks.sum_of_bounds(built, found),
                   lambda message: None)
    calls.append(len(engines))
    assert 0 < calls[0] < calls[1] < calls[2]  # RINS, the dive and pricing each solved the master's LP
    assert set(engines) == {master.LP_ENGINE} == {"glop"}
