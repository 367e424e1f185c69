"""The Lagrangian bound at the LP relaxation's prices (dcplan/solve/lagrange.py) against exact optima on
small generated scenarios: never above the optimum, never below the LP, its cuts hold at the optimum."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from dcplan.solve import blocks, bounds, lagrange, master
from dcplan.solve.engines import solve
from tests.test_decomposition import built_model, exact, first_columns


@pytest.mark.parametrize("seed", (1, 3))
def test_the_bound_lies_between_the_lp_and_the_optimum_and_its_cuts_hold_at_the_optimum(seed):
    *_, built = built_model(seed, workloads=12)
    optimum = exact(built.lm)
    found = blocks.find_blocks(built)
    lp = solve(built.lm, "highs", time_limit=60, gap=0.0, relax=True)
    bound, rc, results = lagrange.lagrangian(built, found, lp.row_duals, 60, threads=2)
    assert bound is not None and len(results) == len(found)
    assert lp.objective * (1 - 1e-6) <= bound <= optimum.objective * (1 + 1e-9)
    solved, proven = lagrange.cuts_at_lp_prices(built, found, 60, threads=2, deadline=time.perf_counter() + 60)
    assert solved == len(found) and proven == pytest.approx(bound, rel=1e-6)
    first_cut = len(built.lm.rows)
    assert blocks.add_cuts(built, found) > 0
    for row in built.lm.rows[first_cut:]:
        activity = sum(c * optimum.values[i] for i, c in row.terms.items())
        assert activity >= row.lo - 1e-9, row.name
    assert exact(built.lm).objective == pytest.approx(optimum.objective, rel=1e-6)


def test_the_bound_is_valid_at_any_prices_not_only_the_lps():
    """L(y) bounds every plan for any signed prices: scaled, halved or random duals never exceed the optimum."""
    *_, built = built_model(2, workloads=10)
    optimum = exact(built.lm).objective
    found = blocks.find_blocks(built)
    duals = solve(built.lm, "highs", time_limit=60, gap=0.0, relax=True).row_duals
    rng = np.random.default_rng(5)
    for prices in (0.5 * duals, 1.5 * duals, duals * rng.uniform(0, 2, len(duals)), np.zeros_like(duals)):
        bound, *_ = lagrange.lagrangian(built, found, prices, 60, threads=2)
        assert bound is None or bound <= optimum * (1 + 1e-9)


def test_a_shared_variable_that_pays_to_grow_without_limit_leaves_no_bound():
    assert lagrange._box_minimum(np.array([2.0, -1.0]), np.array([1.0, 0.0]), np.array([5.0, math.inf])) == -math.inf
    assert lagrange._box_minimum(np.array([2.0, -1.0, 0.0]), np.array([1.0, 0.0, 0.0]),
                                 np.array([5.0, 3.0, math.inf])) == pytest.approx(2.0 - 3.0)


@pytest.mark.parametrize("scale", (3.0, 10.0))
def test_prices_that_make_buying_without_end_pay_are_repaired_into_a_finite_valid_bound(scale):
    """Duals scaled up (as an LP stopped early may give) make some unbounded variables' reduced costs
    negative; the repair scales those rows' prices back, so the bound is finite and still at most the
    optimum, and the LP's own optimal duals pass unchanged."""
    *_, built = built_model(1, workloads=10)
    optimum = exact(built.lm).objective
    found = blocks.find_blocks(built)
    full = built.lm.matrix()
    duals = solve(built.lm, "highs", time_limit=60, gap=0.0, relax=True).row_duals
    rough = scale * duals
    rc = full.cost - full.transposed_product(rough)
    assert ((rc < -1e-6) & ~np.isfinite(full.ub)).any()  # the case the repair is for
    fixed = lagrange.repaired(full, rough)
    assert not ((full.cost - full.transposed_product(fixed) < -1e-6) & ~np.isfinite(full.ub)).any()
    assert np.all(fixed * rough >= 0) and np.all(np.abs(fixed) <= np.abs(rough) + 1e-12)  # towards zero only
    bound, *_ = lagrange.lagrangian(built, found, rough, 60, threads=2)
    assert bound is not None and bound <= optimum * (1 + 1e-9)
    assert np.array_equal(lagrange.repaired(full, np.zeros_like(duals)), np.zeros_like(duals))


def test_pdlp_duals_price_the_blocks_into_a_valid_bound():
    *_, built = built_model(4, workloads=12)
    optimum = exact(built.lm).objective
    found = blocks.find_blocks(built)
    rough = solve(built.lm, "pdlp", time_limit=30, gap=None, relax=True)
    assert rough.row_duals is not None and rough.engine == "ortools-pdlp"
    bound, *_ = lagrange.lagrangian(built, found, rough.row_duals, 60, threads=2)
    assert bound is not None and bound <= optimum * (1 + 1e-9)


def test_blocks_left_unsolved_are_finished_later_at_the_same_prices(monkeypatch):
    """cuts_at_lp_prices out of time for the blocks keeps its prices (built.priced); `finish` then solves
    the blocks left, and the bound rises to the one all blocks prove at once, never above the optimum."""
    *_, built = built_model(1, workloads=12)
    optimum = exact(built.lm).objective
    found = blocks.find_blocks(built)
    lp = solve(built.lm, "highs", time_limit=60, gap=0.0, relax=True)
    whole, *_ = lagrange.lagrangian(built, found, lp.row_duals, 60, threads=2)
    real = lagrange.priced_blocks
    monkeypatch.setattr(lagrange, "priced_blocks", lambda b, f, d, budget, t, deadline=None: real(b, f, d, 0.0, t, deadline))
    solved, early = lagrange.cuts_at_lp_prices(built, found, 60, threads=2, deadline=time.perf_counter() + 60)
    assert solved == 0 and len(built.priced.unsolved()) == len(found)
    assert early is None or early < whole
    finished = lagrange.finish(built, found, 60, threads=2)
    assert not built.priced.unsolved() and all(block.bound is not None for block in found.values())
    assert finished == pytest.approx(max(whole, lp.objective), rel=1e-6) and finished <= optimum * (1 + 1e-9)


def test_the_first_look_at_the_lps_prices_is_scip_alone_and_finishing_solves_only_what_it_left_open(monkeypatch):
    """blocks.FIRST_PASSES at the LP's prices: one SCIP call per block (here held to a millisecond, so that
    it leaves blocks open) and nothing more; the bound stays at most the model's optimum. `finish` then
    solves only the blocks left open, by the deeper passes (CP-SAT on one thread first), each from the
    first look's point where it found one, and the bound does not fall."""
    from dcplan.solve import mathopt

    *_, built = built_model(2, workloads=12)
    optimum = exact(built.lm).objective
    found = blocks.find_blocks(built)
    calls, real = [], mathopt.solve_matrix
    held_short = [True]

    def scip_held_short(sub, engine, seconds, *args, **kwargs):
        calls.append((engine, kwargs.get("hint") is not None, kwargs.get("threads")))
        short = held_short[0] and engine == "scip"
        return real(sub, engine, 0.001 if short else seconds, *args, **kwargs)

    monkeypatch.setattr(mathopt, "solve_matrix", scip_held_short)
    _, bound = lagrange.cuts_at_lp_prices(built, found, 60, threads=2, deadline=time.perf_counter() + 60)
    engines = [engine for engine, _, _ in calls]
    assert engines.count("scip") == len(found) and "cp-sat" not in engines  # (HiGHS: the LP itself)
    assert bound is not None and bound <= optimum * (1 + 1e-9)
    left_open = built.priced.still_open()
    assert left_open  # SCIP held to a millisecond leaves some block open
    with_points = sum(built.priced.results[name].solution is not None for name in left_open)
    calls.clear()
    held_short[0] = False
    finished = lagrange.finish(built, found, 60, threads=2)
    deeper_engine = blocks.DEEPER_PASSES[0][0]
    first_pass = [(engine, hinted, threads) for engine, hinted, threads in calls if engine == deeper_engine]
    assert len(first_pass) == len(left_open) and all(threads == 1 for _, _, threads in first_pass)
    assert sum(hinted for _, hinted, _ in first_pass) == with_points  # each from the first look's point, if any
    assert bound <= finished <= optimum * (1 + 1e-9)


def weakened_blocks(seed: int):
    """(built, blocks, the exact optimum, the bound all blocks closed prove) after pricing at the LP's
    prices, with each block's result given a bound 10 % below its point: blocks left open, as a quick
    first look leaves them, for `finish` to solve again."""
    *_, built = built_model(seed, workloads=12)
    optimum = exact(built.lm).objective
    found = blocks.find_blocks(built)
    _, whole = lagrange.cuts_at_lp_prices(built, found, 60, threads=2, deadline=time.perf_counter() + 60)
    priced = built.priced
    assert not priced.still_open() and not priced.unsolved()
    for name, result in list(priced.results.items()):
        if result.value is not None and result.value > 0:
            priced.results[name] = blocks.BlockResult(0.9 * result.value, result.solution, result.value)
    return built, found, optimum, whole


def test_blocks_left_open_are_solved_longer_later_and_the_bound_rises_back():
    """Blocks the first quick look left open (here: each result's bound put 10 % below its point) are solved
    again by `finish` from their points: the bound rises back to the one all blocks closed prove, never
    above the optimum, and no block's point gets dearer."""
    built, found, optimum, whole = weakened_blocks(seed=1)
    priced = built.priced
    weakened = dict(priced.results)
    assert priced.still_open() and priced.bound() < whole * (1 - 1e-6)
    finished = lagrange.finish(built, found, 60, threads=2)
    assert not priced.still_open()
    assert finished == pytest.approx(whole, rel=1e-6) and finished <= optimum * (1 + 1e-9)
    for name, result in priced.results.items():
        assert result.value <= weakened[name].value + 1e-6 and found[name].bound == result.bound


def test_blocks_left_open_are_solved_again_by_cp_sat_on_one_thread_and_its_bounds_hold(monkeypatch):
    """The deeper passes start with CP-SAT, which scales the blocks' float coefficients to integers: alone,
    its bounds still raise the Lagrangian bound back towards the one all blocks closed prove, never above
    the optimum; each of its calls asks for one thread (two blocks run at a time)."""
    from dcplan.solve import mathopt

    built, found, optimum, whole = weakened_blocks(seed=3)
    weakened = built.priced.bound()
    calls, real = [], mathopt.solve_matrix
    monkeypatch.setattr(mathopt, "solve_matrix",
                        lambda sub, engine, *args, **kwargs: calls.append((engine, kwargs.get("threads")))
                        or real(sub, engine, *args, **kwargs))
    monkeypatch.setattr(lagrange, "DEEPER_PASSES", (("cp-sat", 2.5),))
    finished = lagrange.finish(built, found, 60, threads=2)
    assert calls and set(calls) == {("cp-sat", 1)}
    assert weakened < finished <= optimum * (1 + 1e-9)
    assert finished == pytest.approx(whole, rel=1e-4)


def test_the_points_blocks_find_when_solved_longer_become_columns_of_the_master():
    """bounds.finished: blocks left open are solved again (here each lost its point and kept half
    its bound), and the points they find join the master's columns."""
    built, found, _ = first_columns(seed=2)
    lagrange.cuts_at_lp_prices(built, found, 60, threads=2, deadline=time.perf_counter() + 60)
    priced = built.priced
    chosen = {name: [] for name in found}  # no configuration yet: each block's point must be added
    for name, result in list(priced.results.items()):
        if result.value is not None and result.value > 0:
            priced.results[name] = blocks.BlockResult(0.5 * result.value, None, None)
    resolved = priced.still_open()
    assert resolved
    first = master.build_master(built.lm, found, chosen)
    bound, again = bounds.finished(built, found, chosen, first, -math.inf, time.perf_counter() + 60,
                                   threads=2, say=lambda message: None, first_lp=None)
    assert again is not first and bound > -math.inf
    for name in resolved:
        point = found[name].solution
        assert point is not None and any(np.array_equal(point, column) for column in chosen[name]), name


def test_blocks_without_a_bound_go_first_smallest_first_then_the_widest_open_gap():
    import numpy as np

    def block(size):
        return blocks.Block("w", np.arange(size), np.arange(1))

    small, large = block(3), block(30)
    keys = {"unsolved small": blocks._urgency(small, None), "unsolved large": blocks._urgency(large, None),
            "no bound": blocks._urgency(large, blocks.BlockResult(None, None, None)),
            "gap 5": blocks._urgency(small, blocks.BlockResult(95.0, None, 100.0)),
            "gap 40": blocks._urgency(small, blocks.BlockResult(60.0, None, 100.0)),
            "no point": blocks._urgency(small, blocks.BlockResult(60.0, None, None))}
    assert sorted(keys, key=keys.get) == ["unsolved small", "unsolved large", "no bound", "no point", "gap 40",
                                          "gap 5"]


def test_a_model_too_large_for_highs_in_time_is_priced_by_pdlp_alone_with_both_shares(monkeypatch):
    """Above LP_PRICES_MAX_VARIABLES, with a share too short for HiGHS to finish, HiGHS is not asked for the
    prices (its time would be lost): PDLP gets twice its usual share, and the bound its prices give stays
    valid. With a long enough share HiGHS is asked first again."""
    *_, built = built_model(1, workloads=12)
    optimum = exact(built.lm).objective
    asked = []
    real = lagrange.solve

    def recording(model, engine, **options):
        asked.append((engine, options["time_limit"]))
        return real(model, engine, **options)

    monkeypatch.setattr(lagrange, "solve", recording)
    lagrange.cuts_at_lp_prices(built, blocks.find_blocks(built), 20, threads=2, deadline=time.perf_counter() + 60)
    assert asked == [("highs", pytest.approx(lagrange.LP_SHARE * 20))]  # small: HiGHS's optimal duals
    asked.clear()
    monkeypatch.setattr(lagrange, "LP_PRICES_MAX_VARIABLES", len(built.lm.variables) - 1)
    solved, bound = lagrange.cuts_at_lp_prices(built, blocks.find_blocks(built), 20, threads=2,
                                               deadline=time.perf_counter() + 60)
    assert asked == [("pdlp", pytest.approx(2 * lagrange.LP_SHARE * 20))]
    assert built.priced.proven is None  # PDLP's objective is never taken as a bound
    assert solved > 0 and bound is not None and bound <= optimum * (1 + 1e-9)
    asked.clear()  # with a share long enough for HiGHS to finish, it is asked first again
    long_budget = 1.01 * lagrange.HIGHS_LARGE_LP_SECONDS / lagrange.LP_SHARE
    lagrange.cuts_at_lp_prices(built, blocks.find_blocks(built), long_budget, threads=2,
                               deadline=time.perf_counter() + 60)
    assert [engine for engine, _ in asked] == ["highs"] and built.priced.proven is not None


def test_finishing_begins_no_block_once_the_bound_reaches_its_target():
    """`finish` with a target: none of the blocks left open is solved again when the bound (or the LP's own)
    already reaches it, and with a target just above, it stops after the first blocks (two run at a time)
    with the bound at or above the target, never above the optimum."""
    built, found, optimum, whole = weakened_blocks(seed=1)
    priced = built.priced
    left_open = len(priced.still_open())
    assert left_open > 3
    priced.proven = whole  # the LP's own bound counts towards the target as well
    assert lagrange.finish(built, found, 60, threads=2, target=whole) == pytest.approx(whole, rel=1e-9)
    assert len(priced.still_open()) == left_open
    priced.proven = None
    weakened = priced.bound()
    assert lagrange.finish(built, found, 60, threads=2, target=weakened) == pytest.approx(weakened, rel=1e-9)
    assert len(priced.still_open()) == left_open
    target = weakened + 1e-3 * (whole - weakened)
    finished = lagrange.finish(built, found, 60, threads=2, target=target)
    assert target <= finished <= optimum * (1 + 1e-9)
    assert left_open - 2 <= len(priced.still_open()) < left_open


def test_an_open_blocks_bound_is_at_least_its_lp_relaxation():
    """An engine stopped before its root LP proves less than the block's LP relaxation (or nothing): the
    block's result then carries the LP's optimum, which still bounds its integer optimum from below."""
    from dcplan.solve import mathopt
    from dcplan.vocab import Status

    *_, built = built_model(1, workloads=12)
    found = blocks.find_blocks(built)
    blocks.cut_out(built.lm, found)
    name = max(found, key=lambda n: len(found[n].variables))
    sub = blocks.block_matrix(built.lm, found[name]).with_cost(found[name].costs)
    lp = mathopt.solve_matrix(sub, "highs", 60, 0.0, relax=True)
    best = mathopt.solve_matrix(sub, "scip", 60, 0.0)
    assert lp["status"] == Status.OPTIMAL and best["status"] == Status.OPTIMAL
    value = float(sub.cost @ best["values"])
    for weak in (None, 0.0, 0.5 * lp["bound"]):
        raised = blocks.with_lp_bound(sub, blocks.BlockResult(weak, best["values"], value))
        assert raised.bound == pytest.approx(lp["bound"], rel=1e-7) and raised.bound <= value * (1 + 1e-9)
        assert raised.value == value and raised.solution is best["values"]
    kept = blocks.BlockResult(value, best["values"], value)
    assert blocks.with_lp_bound(sub, kept) is kept


def test_blocks_start_from_the_plans_part_of_them_where_it_is_cheaper():
    """take_plan_points: an open block whose own point is dearer than the plan's part of it (at the
    block's reduced costs) takes that part, its bound unchanged; a block whose own point is cheaper keeps
    it; and `finish` from those points still rises to the bound all blocks closed prove."""
    built, found, optimum, whole = weakened_blocks(seed=1)
    priced = built.priced
    plan = exact(built.lm).values
    names = priced.still_open()
    dearer, cheaper = names[0], names[1]
    old = priced.results[dearer]
    priced.results[dearer] = blocks.BlockResult(old.bound, old.solution, old.value + 1e9)
    part = np.asarray(plan)[found[cheaper].variables]
    priced.results[cheaper] = blocks.BlockResult(priced.results[cheaper].bound, priced.results[cheaper].solution,
                                                 float(priced.rc[found[cheaper].variables] @ part) - 1.0)
    kept = priced.results[cheaper]
    assert lagrange.take_plan_points(built, found, priced, plan) >= 1
    taken = priced.results[dearer]
    own_part = np.asarray(plan)[found[dearer].variables]
    assert np.array_equal(taken.solution, own_part) and taken.bound == old.bound
    assert taken.value == pytest.approx(float(priced.rc[found[dearer].variables] @ own_part))
    assert priced.results[cheaper] is kept
    finished = lagrange.finish(built, found, 60, threads=2, plan=plan)
    assert finished == pytest.approx(whole, rel=1e-6) and finished <= optimum * (1 + 1e-9)
