"""Site power and rack prices in the workloads' bound (dcplan/solve/limits.py), checked against exact
optima of small generated scenarios whose sites fill up: the bound rises, and never above the optimum."""

from __future__ import annotations

import time

import numpy as np
import pytest

from bench.generate import generate
from dcplan.scenario.schema import Scenario
from dcplan.solve import blocks, greedy, greedy_values, lagrange, limits, master
from dcplan.solve.engines import solve
from dcplan.usecases import planning as api
from tests.test_decomposition import built_model, exact

# (seed, workloads) of generated scenarios whose first master prices a site's power or racks
PRICED = ((8, 10), (7, 16))


def first_master_prices(seed: int, workloads: int):
    """(built, blocks solved at port and rack prices, their bound, the limit prices of the first master)."""
    scenario, effective, _, reduced, built = built_model(seed, workloads=workloads)
    start = greedy_values.evaluate(built, greedy.greedy_plan(scenario, effective, reduced))
    found = blocks.find_blocks(built)
    blocks.solve_for_cuts(built, found, 60)
    alone = blocks.sum_of_bounds(built, found)
    first = master.build_master(built.lm, found, master.columns(built, found, [start.values]))
    lp = solve(first.matrix, "highs", time_limit=60, gap=0.0, relax=True)
    return built, found, alone, limits.limit_prices(built, first.row_source, lp.row_duals)


@pytest.mark.parametrize("seed,workloads", PRICED)
def test_priced_site_limits_raise_the_bound_and_stay_below_the_optimum(seed, workloads):
    built, found, alone, y = first_master_prices(seed, workloads)
    assert y is not None and (y <= 0).all()
    families = built.lm.families()[y != 0]
    assert set(families) <= {"power", "racks"}
    bound, again = limits.priced_bound(built, found, y, 60, threads=2, deadline=time.perf_counter() + 60)
    optimum = exact(built.lm).objective
    assert alone < bound <= optimum * (1 + 1e-9)
    assert again and all(result.bound is not None for result in again.values())


def test_blocks_not_solved_again_keep_their_earlier_bounds_and_the_bound_stays_valid():
    seed, workloads = PRICED[0]
    built, found, alone, y = first_master_prices(seed, workloads)
    quick, again = limits.priced_bound(built, found, y, 0.0, threads=2, deadline=time.perf_counter())
    assert again == {}
    row_term = float(y @ np.where(np.isfinite(built.lm.matrix().row_hi), built.lm.matrix().row_hi, 0.0))
    # each block's earlier bound (or its floor at the new costs, if higher), and the prices' rows
    assert quick >= (alone + row_term) * (1 - 1e-5)
    full, _ = limits.priced_bound(built, found, y, 60, threads=2, deadline=time.perf_counter() + 60)
    assert quick < full <= exact(built.lm).objective * (1 + 1e-9)


def test_no_prices_when_the_master_prices_no_site_limit():
    *_, built = built_model(1)
    duals = np.zeros(len(built.lm.rows) + 3)
    assert limits.limit_prices(built, np.arange(len(duals)) - 3, duals) is None
    other = np.flatnonzero(~np.isin(built.lm.families(), limits.LIMIT_FAMILIES))[:5]
    duals[other + 3] = -7.0  # prices on other rows are not the limits' to use
    assert limits.limit_prices(built, np.arange(len(duals)) - 3, duals) is None


def test_blocks_are_solved_again_by_their_rise_per_variable_unbounded_ones_last():
    def block(size):
        return blocks.Block("w", np.arange(size), np.arange(1))

    wide_small = (block(10), blocks.BlockResult(1.0, None, 11.0))  # 1.0 per variable
    wide_large = (block(100), blocks.BlockResult(1.0, None, 51.0))  # 0.5 per variable
    closed = (block(5), blocks.BlockResult(1.0, None, 1.0))
    unbounded = (block(3), None)
    order = sorted([unbounded, closed, wide_large, wide_small], key=lambda pair: limits._rise_per_variable(*pair))
    assert order == [wide_small, wide_large, closed, unbounded]


def test_the_large_path_without_lp_prices_prices_the_site_limits(monkeypatch):
    """A decomposed single purchase whose blocks are priced without the LP: the first master's duals price
    the sites, the bound rises above the workloads' own, and the plan and bound bracket the optimum."""
    seed, workloads = PRICED[0]
    scenario = Scenario.model_validate(generate(workloads=workloads, servers=10, sites=2, seed=seed))
    optimum = api.plan_scenario(scenario, api.SolveOptions(engine="highs", gap=0.0)).objective_value
    monkeypatch.setattr(lagrange, "LP_PRICES_MAX_VARIABLES", 0)
    monkeypatch.setattr(api, "LARGE_MODEL_POOLS", 0)
    messages = []
    plan = api.plan_scenario(scenario, api.SolveOptions(engine="highs", gap=0.0, time_limit=30),
                             on_progress=messages.append)
    priced = [m for m in messages if m.startswith("site power and racks priced by the master's LP")]
    alone = [m for m in messages if " workloads alone in " in m]
    assert priced and alone
    assert plan.bound <= optimum * (1 + 1e-9) and plan.objective_value >= optimum * (1 - 1e-6)


def _left_open(built, names):
    """Each named block's result at the limit prices with its bound lowered to its floor, as a block a
    quick look stopped early leaves it (its point kept); returns the bound that leaves."""
    priced = built.priced
    for name in names:
        result = priced.results[name]
        priced.results[name] = blocks.BlockResult(priced.floors[name], result.solution, result.value)
    return priced.bound()


def test_blocks_left_open_at_limit_prices_are_solved_longer_after_the_master():
    seed, workloads = PRICED[0]
    built, found, _, y = first_master_prices(seed, workloads)
    solved, _ = limits.priced_bound(built, found, y, 60, threads=2, deadline=time.perf_counter() + 60)
    assert built.priced.prices == "limits" and built.priced.still_open() == []
    widest = sorted(built.priced.results, key=lambda name: -built.priced.results[name].value)[:3]
    weakened = _left_open(built, widest)
    assert weakened < solved and sorted(built.priced.still_open()) == sorted(widest)
    best = exact(built.lm)
    messages = []
    deepened = limits.deepened_bound(built, found, weakened, best.values, 0.0, time.perf_counter() + 60, 2,
                                     messages.append)
    assert solved * (1 - 1e-6) <= deepened <= best.objective * (1 + 1e-9)
    assert built.priced.still_open() == [] and messages and "left open at site power and rack prices" in messages[0]


def test_blocks_left_open_are_not_solved_again_when_the_bound_already_proves_the_plan_or_rests_elsewhere():
    seed, workloads = PRICED[0]
    built, found, _, y = first_master_prices(seed, workloads)
    limits.priced_bound(built, found, y, 60, threads=2, deadline=time.perf_counter() + 60)
    weakened = _left_open(built, list(built.priced.results)[:2])
    best = exact(built.lm)
    deadline, said = time.perf_counter() + 60, []
    # within a 50 % gap the weakened bound already proves the plan
    assert limits.deepened_bound(built, found, weakened, best.values, 0.5, deadline, 2, said.append) == weakened
    # a bound proven otherwise above these prices' own
    higher = weakened * 1.01
    assert limits.deepened_bound(built, found, higher, best.values, 0.0, deadline, 2, said.append) == higher
    built.priced.prices = "lp"  # the LP's prices: lagrange.finish had its turn before pricing
    assert limits.deepened_bound(built, found, weakened, best.values, 0.0, deadline, 2, said.append) == weakened
    assert len(built.priced.still_open()) == 2 and said == []


def test_no_pricing_round_while_the_bound_rests_on_the_site_prices(monkeypatch):
    """A round at the master's duals proves nothing where the bound rests on the site prices (W=5000 × 60 ×
    8: −8,108 M), so the rounds are skipped and the blocks left open get the time; at the LP's prices they
    run as before."""
    from dcplan.solve import pricing

    seed, workloads = PRICED[0]
    built, found, alone, y = first_master_prices(seed, workloads)
    limits.priced_bound(built, found, y, 60, threads=2, deadline=time.perf_counter() + 60)
    chosen = master.columns(built, found, [])
    restricted = master.build_master(built.lm, found, chosen)
    real, solved = master.solve_lp, []
    monkeypatch.setattr(master, "solve_lp", lambda *args, **kwargs: solved.append(1) or real(*args, **kwargs))
    assert not limits.pricing_pays(built)
    out, bound = pricing.rounds(built, found, chosen, restricted, time.perf_counter() + 60, 2, 0.0, alone,
                                lambda message: None)
    assert out is restricted and bound == alone and solved == []
    built.priced.prices = "lp"
    assert limits.pricing_pays(built)
    pricing.rounds(built, found, chosen, restricted, time.perf_counter() + 60, 2, 0.0, alone, lambda message: None)
    assert solved
