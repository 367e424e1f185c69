"""Diving on the master's LP (dcplan/solve/dive.py): its plans satisfy the full model and cost no less than
the master's exact optimum; a configuration whose fixing leaves the LP infeasible is ruled out; shared
variables that cannot be made whole send the choice back to the start's neighbourhood."""

from __future__ import annotations

import time

import numpy as np
import pytest

from dcplan.model.matrix import Matrix, csr
from dcplan.plan.extract import _all_rows_hold
from dcplan.solve import dive, master
from dcplan.solve.engines import solve
from tests.test_decomposition import first_columns


@pytest.mark.parametrize("seed", (1, 2, 3))
def test_a_dived_plan_satisfies_the_full_model_and_costs_at_least_the_master_optimum(seed):
    built, found, chosen = first_columns(seed)
    restricted = master.build_master(built.lm, found, chosen)
    values = dive.dive(restricted, time.perf_counter() + 60, 0, "highs", 0.0)
    assert values is not None
    assert not len(restricted.matrix.violated(values))
    for lambdas in restricted.lambdas.values():  # one whole configuration per workload
        assert sorted(np.round(values[lambdas]).tolist())[-1] == 1.0 and values[lambdas].sum() == pytest.approx(1.0)
    assert _all_rows_hold(built, restricted.to_full(values))
    best = solve(restricted.matrix, "highs", time_limit=60, gap=0.0)
    assert best.status == "optimal"
    assert restricted.matrix.objective(values) >= best.objective - 1e-6 * abs(best.objective)


def hand_master(costs, uses, capacity, pairs: bool = False) -> master.Master:
    """A master of two-column workloads over one capacity row: workload w's column q costs costs[w][q] and
    takes uses[w][q] of `capacity`. With `pairs`, a shared integer r counts the first columns chosen and
    must be half of them (2r = Σ λ[w,0]): whole only for an even count."""
    n_lambda = 2 * len(costs)
    shared = 1 if pairs else 0
    triples = [(0, shared + k, float(u)) for k, u in enumerate(np.ravel(uses))]
    lo, hi = [-np.inf], [float(capacity)]
    if pairs:
        triples += [(1, 0, 2.0)] + [(1, shared + 2 * w, -1.0) for w in range(len(costs))]
        lo.append(0.0)
        hi.append(0.0)
    choose = {}
    for w in range(len(costs)):
        choose[f"w{w}"] = len(lo)
        triples += [(len(lo), shared + 2 * w, 1.0), (len(lo), shared + 2 * w + 1, 1.0)]
        lo.append(1.0)
        hi.append(1.0)
    rows, cols, vals = (np.array(t) for t in zip(*triples))
    indptr, indices, data = csr(rows, cols, vals, len(lo))
    n = shared + n_lambda
    matrix = Matrix(np.zeros(n), np.array([10.0] * shared + [1.0] * n_lambda), np.ones(n, dtype=bool),
                    np.concatenate([[0.0] * shared, np.ravel(costs).astype(float)]), 0.0, np.array(lo),
                    np.array(hi), indptr, indices, data)
    lambdas = {f"w{w}": np.array([shared + 2 * w, shared + 2 * w + 1]) for w in range(len(costs))}
    return master.Master(matrix, None, np.arange(shared), lambdas, {}, np.full(len(lo), -1), choose,
                         (np.zeros(0), np.zeros(0), np.zeros(0)))


def test_a_configuration_whose_fixing_leaves_the_lp_infeasible_is_ruled_out():
    # Two workloads, each 1 at the cheap site (room for 1.5) or 2 at the other: the LP takes three
    # quarters of each at the cheap site; the dive fixes w0 there (the first of equals), then w1's
    # leading column is the cheap site again, which no longer fits, so it is ruled out: the optimum, 3.
    restricted = hand_master(costs=[[1, 2], [1, 2]], uses=[[1, 0], [1, 0]], capacity=1.5)
    values = dive.dive(restricted, time.perf_counter() + 30, 1, "highs", 0.0)
    assert values is not None
    assert restricted.matrix.objective(values) == pytest.approx(3.0)
    assert not len(restricted.matrix.violated(values))


def test_shared_variables_that_cannot_be_whole_send_the_choice_back_to_the_start():
    # Cheap first columns come in pairs (2r = their count). With room for one, the dive chooses one
    # (r = 1/2 cannot be whole); the start (no first column) is then improved within its neighbourhood,
    # where the workloads the dive moved choose again: the start itself, since one alone cannot be whole.
    restricted = hand_master(costs=[[1, 3], [1, 3]], uses=[[1, 0], [1, 0]], capacity=1.0, pairs=True)
    start = np.array([0.0, 0.0, 1.0, 0.0, 1.0])
    assert not len(restricted.matrix.violated(start))
    assert dive.dive(restricted, time.perf_counter() + 30, 1, "highs", 0.0) is None
    values = dive.dive(restricted, time.perf_counter() + 30, 1, "highs", 0.0, start=start)
    assert values is not None and restricted.matrix.objective(values) == pytest.approx(6.0)
    # With room for both, the pair is whole and the dive finds it: 2.
    roomy = hand_master(costs=[[1, 3], [1, 3]], uses=[[1, 0], [1, 0]], capacity=2.0, pairs=True)
    values = dive.dive(roomy, time.perf_counter() + 30, 1, "highs", 0.0, start=start)
    assert values is not None and roomy.matrix.objective(values) == pytest.approx(2.0)


def test_a_dive_gives_up_when_its_remaining_steps_cannot_end_in_time():
    now = time.perf_counter()
    assert dive._fits(46, 0.1, now + 10.0)  # about 14 steps of 0.1 s
    assert not dive._fits(46, 1.0, now + 10.0)
    assert not dive._fits(200, 5.6, now + 8.0)  # W=5000 × 60 × 8


def test_no_dive_starts_when_two_lps_of_the_masters_size_cannot_fit(monkeypatch):
    from dcplan.solve.engines import SolveResult

    restricted = hand_master(costs=[[1, 2], [1, 2]], uses=[[1, 0], [1, 0]], capacity=1.5)
    solved = []
    monkeypatch.setattr(dive, "_lp", lambda *args: solved.append(args))
    slow = SolveResult("optimal", "ortools-highs", values=[0.75, 0.25, 0.75, 0.25], solve_seconds=5.0)
    assert dive.dive(restricted, time.perf_counter() + 8.0, 1, "highs", 0.0, lp=slow) is None
    assert not solved


def test_no_dive_when_the_start_is_within_the_gap_of_the_bound_or_of_the_masters_lp(monkeypatch):
    from dcplan.solve import decompose
    from dcplan.solve.engines import SolveResult

    restricted = hand_master(costs=[[1, 2], [1, 2]], uses=[[1, 0], [1, 0]], capacity=1.5)
    start = np.array([1.0, 0.0, 0.0, 1.0])  # cost 3
    dived = []
    monkeypatch.setattr(dive, "dive", lambda *args, **kwargs: dived.append(args))
    lp = SolveResult("optimal", "ortools-highs", objective=2.5, values=[0.75, 0.25, 0.75, 0.25])
    quiet = lambda message: None  # noqa: E731
    deadline = time.perf_counter() + 30
    assert decompose._dived(restricted, start, lp, 2.98, deadline, "highs", 1, 0.01, quiet) is start
    assert decompose._dived(restricted, start, replace_objective(lp, 2.9999), None, deadline, "highs", 1, 0.01,
                            quiet) is start
    assert not dived
    decompose._dived(restricted, start, lp, 2.5, deadline, "highs", 1, 0.01, quiet)  # 20 % from both
    assert len(dived) == 1


def replace_objective(result, objective: float):
    from dataclasses import replace

    return replace(result, objective=objective)


def rack_rows(restricted) -> np.ndarray:
    source = restricted.row_source
    families = restricted.full.families()
    return np.flatnonzero((source >= 0) & (families[np.maximum(source, 0)] == dive.RACK_FAMILY))


def test_room_for_rounding_lowers_each_site_rack_row_by_what_whole_racks_add():
    """Rack counts at 0.4 in the LP need 0.6 more each when made whole: every site rack row loses
    Σ a·0.6 over its rack counts, and no other row moves."""
    built, found, chosen = first_columns(seed=1)
    restricted = master.build_master(built.lm, found, chosen)
    relaxed = restricted.relaxation()
    rows = rack_rows(restricted)
    assert len(rows)
    values = np.zeros(relaxed.shape[1])
    in_rack_rows = np.unique(relaxed.indices[np.isin(relaxed.row_ids, rows)])
    counts = in_rack_rows[restricted.matrix.integer[in_rack_rows] & (in_rack_rows < len(restricted.kept))]
    values[counts] = 0.4
    roomy = dive._rounding_room(restricted, relaxed, values)
    expected = relaxed.row_hi.copy()
    for r in rows:
        entries = relaxed.row_ids == r
        expected[r] -= sum(a * 0.6 for j, a in zip(relaxed.indices[entries], relaxed.data[entries]) if j in set(counts))
    assert np.allclose(roomy.row_hi, expected, equal_nan=True)
    assert (roomy.row_hi[rows] < relaxed.row_hi[rows]).any()
    assert dive._rounding_room(restricted, relaxed, np.round(values + 0.6)) is None  # already whole: no room


def test_when_racks_rounded_up_do_not_fit_the_dive_tries_again_with_room_for_them(monkeypatch):
    """The first choice's shared integers have no solution (as the W=1000 build-out's racks did): the dive
    chooses again on the LP with room kept for whole racks (its first LP's rack counts rounded up), and
    that choice's plan is returned."""
    built, found, chosen = first_columns(seed=1)
    restricted = master.build_master(built.lm, found, chosen)
    relaxed = restricted.relaxation()
    first = solve(relaxed, "highs", time_limit=60, gap=0.0, relax=True)
    room = dive._rounding_room(restricted, relaxed, np.asarray(first.values))
    assert room is not None  # this LP leaves some rack count fractional
    rows = rack_rows(restricted)
    real_whole, real_lp = dive._whole, dive._lp
    tried, limits = [], []
    monkeypatch.setattr(dive, "_whole", lambda *args: tried.append(args) or (None if len(tried) == 1
                                                                               else real_whole(*args)))
    monkeypatch.setattr(dive, "_lp", lambda m, lp_matrix, *rest: limits.append(lp_matrix.row_hi[rows].copy())
                        or real_lp(m, lp_matrix, *rest))
    values = dive.dive(restricted, time.perf_counter() + 60, 0, "highs", 0.0, lp=first)
    assert len(tried) == 2 and values is not None and not len(restricted.matrix.violated(values))
    assert np.allclose(limits[-1], room.row_hi[rows]) and (room.row_hi[rows] < relaxed.row_hi[rows]).any()
