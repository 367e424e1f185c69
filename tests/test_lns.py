"""Large-neighbourhood search never makes a plan worse, keeps it feasible for the full
model, and its sub-problems are the full model with some variables fixed."""

from __future__ import annotations

import time

import numpy as np
import pytest

from bench.generate import generate
from dcplan.solve import blocks
from dcplan.scenario import catalog
from dcplan.solve import greedy, greedy_values
from dcplan.solve import lns
from dcplan import model
from dcplan.sizing import pruning as reduce
from dcplan import sizing
from dcplan.plan.extract import _all_rows_hold, extract
from dcplan.scenario.schema import Scenario
from dcplan.solve.engines import solve
from dcplan.plan.verify import verify


def built_model(workloads=30, seed=5):
    scenario = Scenario.model_validate(generate(workloads=workloads, servers=12, sites=2, seed=seed))
    effective = catalog.effective(scenario.catalog)
    requirements = sizing.size_scenario(scenario, effective)
    reduced, _ = reduce.prune_dominated(scenario, effective, requirements)
    return scenario, effective, requirements, model.build(scenario, effective, reduced), reduced


def test_improves_a_greedy_plan_and_stays_feasible_and_verified():
    scenario, effective, requirements, built, reduced = built_model()
    start = greedy_values.evaluate(built, greedy.greedy_plan(scenario, effective, reduced))
    assert start.feasible
    values, solved, improved = lns.improve(built, start.values, time.perf_counter() + 20, batch_size=5)
    assert solved >= 2
    assert built.lm.objective.value(values) <= start.objective + 1e-6
    assert _all_rows_hold(built, values)
    plan = extract(built, values, status="feasible", engine="scip", bound=None, solve_seconds=0, build_seconds=0,
                   warnings=[])
    verify(plan, scenario, effective, requirements)


def test_neighbourhood_with_everything_free_is_the_full_model():
    scenario, effective, _, built, reduced = built_model(workloads=10, seed=2)
    start = greedy_values.evaluate(built, greedy.greedy_plan(scenario, effective, reduced))
    sub, mapping = lns.neighbourhood(built.lm.matrix(), np.asarray(start.values), np.ones(len(start.values), bool))
    assert mapping.tolist() == list(range(len(built.lm.variables)))
    full = solve(built.lm, "scip", time_limit=60, gap=0.0)
    same = solve(sub, "scip", time_limit=60, gap=0.0)
    assert same.objective == pytest.approx(full.objective, rel=1e-9)


def test_fixed_variables_move_into_the_bounds():
    scenario, effective, _, built, reduced = built_model(workloads=10, seed=2)
    start = greedy_values.evaluate(built, greedy.greedy_plan(scenario, effective, reduced))
    owned = blocks.owners(built.lm)
    first = scenario.workloads[0].name
    free = np.ones(len(start.values), dtype=bool)
    free[owned[first]] = False
    sub, mapping = lns.neighbourhood(built.lm.matrix(), np.asarray(start.values), free)
    assert not set(owned[first]) & set(mapping.tolist())
    # The incumbent restricted to the free variables satisfies the sub-problem.
    assert len(sub.violated(np.asarray(start.values)[mapping])) == 0
    # A fixed variable's term has moved into the bounds: rows of the fixed workload alone are gone.
    assert sub.shape[0] < built.lm.matrix().shape[0]


def built_with_storage(workloads=30, seed=5):
    """built_model with each training run's checkpoint and dataset storage added, colocated with it."""
    from dcplan.sizing.derived import with_derived_workloads

    scenario = Scenario.model_validate(generate(workloads=workloads, servers=12, sites=2, seed=seed))
    effective = catalog.effective(scenario.catalog)
    scenario = with_derived_workloads(scenario, effective)
    requirements = sizing.size_scenario(scenario, effective)
    reduced, _ = reduce.prune_dominated(scenario, effective, requirements)
    return scenario, effective, requirements, model.build(scenario, effective, reduced), reduced


def test_a_training_run_and_its_storage_are_tied_and_batched_together():
    scenario, *_ = built_with_storage()
    tied = lns.partners(scenario)
    assert tied == {"train-0005": {"train-0005.storage"}, "train-0005.storage": {"train-0005"}}
    names = ["cpu-0003", "train-0005", "infer-0001", "infer-0002", "train-0005.storage", "cpu-0008"]
    assert lns.batched(names, tied, 1) == [["cpu-0003"], ["train-0005", "train-0005.storage"], ["infer-0001"],
                                           ["infer-0002"], ["cpu-0008"]]
    assert lns.batched(names, tied, 2) == [["cpu-0003"], ["train-0005", "train-0005.storage"],
                                           ["infer-0001", "infer-0002"], ["cpu-0008"]]
    assert lns.batched(names, {}, 4) == [names[:4], names[4:]]


def test_workloads_are_ordered_by_how_far_their_part_of_the_plan_lies_above_their_bound():
    found = {
        "a": blocks.Block("a", np.array([0, 1]), np.array([], dtype=np.int64), np.array([1.0, 2.0]), bound=3.0),
        "b": blocks.Block("b", np.array([2]), np.array([], dtype=np.int64), np.array([5.0]), bound=None, floor=4.0),
        "c": blocks.Block("c", np.array([3]), np.array([], dtype=np.int64), np.array([1.0]), bound=1.0),
        "d": blocks.Block("d", np.array([4]), np.array([], dtype=np.int64), None),
    }
    values = np.array([1.0, 2.0, 2.0, 1.0, 7.0])
    assert lns.excesses(found, values) == {"a": 2.0, "b": 6.0, "c": 0.0}  # b: its floor, having no bound
    assert lns.by_excess(found, values) == ["b", "a", "c", "d"]  # d: no costs, last


def test_only_the_workloads_named_in_order_move_and_the_plan_gets_no_dearer():
    scenario, effective, requirements, built, reduced = built_with_storage()
    start = greedy_values.evaluate(built, greedy.greedy_plan(scenario, effective, reduced))
    assert start.feasible
    owned = blocks.owners(built.lm)
    chosen = ["train-0005", "infer-0001"]
    values, solved, _ = lns.improve(built, start.values, time.perf_counter() + 30, "scip", 0, batch_size=1,
                                    order=chosen, cycles=1)
    assert solved == 2  # the run with its storage, then the inference service
    assert built.lm.objective.value(values) <= start.objective + 1e-6 and _all_rows_hold(built, values)
    for name, indices in owned.items():
        if name not in chosen + ["train-0005.storage"]:
            assert np.array_equal(values[indices], np.asarray(start.values)[indices]), name
    nothing, none_solved, _ = lns.improve(built, start.values, time.perf_counter() + 30, order=[])
    assert none_solved == 0 and np.array_equal(nothing, np.round(start.values))


def test_a_batch_stops_at_a_share_of_the_runs_gap_taken_of_the_whole_plan():
    from dcplan.model.matrix import Matrix

    sub = Matrix(np.zeros(2), np.full(2, 10.0), np.ones(2, dtype=bool), np.array([10.0, 10.0]), 0.0,
                 np.zeros(1), np.full(1, np.inf), np.array([0, 2]), np.array([0, 1]), np.array([1.0, 1.0]))
    start = np.array([3.0, 2.0])  # its own cost: 50
    assert lns.batch_gap(sub, start, 5000.0, 0.01) == pytest.approx(lns.BATCH_GAP_SHARE * 0.01 * 5000.0 / 50.0)
    assert lns.batch_gap(sub, start, 1.0, 0.01) == lns.MIN_BATCH_GAP
    assert lns.batch_gap(sub, start, 5000.0, 0.0) == lns.MIN_BATCH_GAP
