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
