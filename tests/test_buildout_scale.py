"""A large build-out goes through the decomposition (dcplan/usecases/buildout.py, `_solve_large`): checked
here on generated build-outs forced onto that path, against the exact optimum of the whole model."""

from __future__ import annotations

import pytest

from bench.generate import generate, to_buildout
from dcplan.scenario.schema import Scenario
from dcplan.usecases import planning as api


def generated_buildout(seed: int, workloads: int = 8, periods: int = 3) -> Scenario:
    data = generate(workloads=workloads, servers=8, sites=2, seed=seed)
    return Scenario.model_validate(to_buildout(data, periods, seed=seed))


@pytest.mark.parametrize("seed", (2,))
def test_the_decomposed_buildout_brackets_the_exact_optimum_and_verifies(monkeypatch, seed):
    """Forced onto the decomposition path, a small build-out gets a plan that verifies period by period
    (plan_scenario verifies every plan it returns), costs no less than the whole model's optimum, and a
    bound no higher than it, proven before any engine runs on the whole build-out."""
    scenario = generated_buildout(seed)
    whole = api.plan_scenario(scenario, api.SolveOptions(engine="highs", gap=0.0, time_limit=120))
    assert whole.status == "optimal"
    monkeypatch.setattr(api, "LARGE_MODEL_POOLS", 0)
    messages = []
    # A 1 % gap ends the run once the plan is close enough: the decomposition proves no exact optimum.
    plan = api.plan_scenario(scenario, api.SolveOptions(engine="highs", gap=0.01, time_limit=10),
                             on_progress=messages.append)
    assert any("at the LP relaxation's prices" in m for m in messages)
    assert any("configurations" in w for w in plan.warnings)  # the master chose the plan
    assert plan.bound is not None and plan.bound <= whole.objective_value * (1 + 1e-9)
    assert plan.objective_value >= whole.objective_value * (1 - 1e-6)
    assert plan.to_dict()["periods"] and plan.to_dict()["totals"]["npv"] == pytest.approx(plan.objective_value,
                                                                                             rel=1e-6)


def test_rins_on_a_buildout_first_rounds_the_lps_whole_choices(monkeypatch):
    """On a build-out's master RINS first keeps every configuration the LP chooses whole and solves the rest
    (rins._rens): each plan that gives meets every row of the master, keeps those choices and costs no less
    than the LP; RINS reports it and starts from it where it is cheaper."""
    import numpy as np

    from dcplan.solve import rins

    scenario = generated_buildout(2, workloads=10)
    monkeypatch.setattr(api, "LARGE_MODEL_POOLS", 0)
    real, calls = rins._rens, []

    def spy(matrix, x, choices_from, *args, **kwargs):
        found = real(matrix, x, choices_from, *args, **kwargs)
        calls.append((matrix, np.asarray(x), choices_from, found))
        return found

    monkeypatch.setattr(rins, "_rens", spy)
    messages = []
    api.plan_scenario(scenario, api.SolveOptions(engine="highs", gap=0.0, time_limit=20), on_progress=messages.append)
    assert calls and any(found is not None for *_, found in calls)
    for matrix, x, choices_from, found in calls:
        assert 0 < choices_from < matrix.shape[1] and matrix.integer[choices_from:].all()
        if found is None:
            continue
        whole = np.zeros(len(x), dtype=bool)
        whole[choices_from:] = np.abs(x[choices_from:] - np.round(x[choices_from:])) <= 1e-6
        assert not len(matrix.violated(found)) and np.allclose(found[whole], np.round(x[whole]))
        assert matrix.objective(found) >= matrix.objective(x) * (1 - 1e-9)
    assert any(m.startswith("the LP's whole choices rounded: ") for m in messages)
