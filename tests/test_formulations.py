"""Speed never costs correctness: the scaled formulation (dominance pruning, clipped
coefficients, valid inequalities, greedy warm start) and the plain reference
formulation reach the same optimum on small generated scenarios."""

from __future__ import annotations

import pytest

from bench.generate import generate
from dcplan.usecases import planning as api
from dcplan.scenario.schema import Scenario


def solve(data: dict, reference: bool, engine: str = "scip"):
    scenario = Scenario.model_validate(data)
    try:
        return api.plan_scenario(scenario, api.SolveOptions(engine=engine, gap=0.0, time_limit=60,
                                                            reference=reference)).objective_value
    except api.NoPlan as no_plan:
        return no_plan.status


@pytest.mark.parametrize("seed", range(1, 7))
@pytest.mark.parametrize("policies", [True, False])
def test_scaled_and_reference_formulations_agree(seed, policies):
    data = generate(workloads=8, servers=10, sites=2, seed=seed, policies=policies)
    scaled, reference = solve(data, reference=False), solve(data, reference=True)
    if isinstance(reference, str):
        assert scaled == reference
    else:
        assert scaled == pytest.approx(reference, rel=1e-6)


@pytest.mark.parametrize("seed", [11, 12])
def test_agree_with_pulp_highs_on_the_reference(seed):
    data = generate(workloads=6, servers=8, sites=2, seed=seed, policies=True)
    assert solve(data, reference=False) == pytest.approx(solve(data, reference=True, engine="highs"), rel=1e-6)


def test_pruning_keeps_the_optimum_when_variants_dominate():
    from dcplan.scenario import catalog
    from dcplan.sizing import pruning as reduce
    from dcplan import sizing
    data = generate(workloads=8, servers=20, sites=2, seed=3, policies=True)
    scenario = Scenario.model_validate(data)
    effective = catalog.effective(scenario.catalog)
    requirements = sizing.size_scenario(scenario, effective)
    _, dropped = reduce.prune_dominated(scenario, effective, requirements)
    assert dropped > 0  # the generated variants do dominate each other
    assert solve(data, reference=False) == pytest.approx(solve(data, reference=True), rel=1e-6)
