"""The ownership prices of a build-out (dcplan/solve/ownership.py): worked out by hand on a one-item chain,
and checked against the exact optimum of the whole model on generated build-outs (never above it)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from bench.generate import generate, to_buildout
from dcplan.model.buildout import build_buildout
from dcplan.scenario.catalog import effective
from dcplan.scenario.schema import Scenario
from dcplan.scenario.timeline import in_period
from dcplan.sizing import size_scenario
from dcplan.solve import blocks, lagrange, ownership
from dcplan.solve.engines import solve
from dcplan.usecases import planning as api
from planner_cases import cpu_server, scenario, site, validate


def buildout_model(data: dict):
    """The whole build-out model of a scenario dict (or Scenario), every candidate kept."""
    parsed = data if isinstance(data, Scenario) else validate(data)
    catalog = effective(parsed.catalog)
    views = [in_period(parsed, p) for p in range(parsed.periods.count)]
    return build_buildout(parsed, catalog, [size_scenario(view, catalog) for view in views])


def falling_price_chain(**top) -> dict:
    """64, 256, 256 vCPUs over 2027–2029 on one 64-vCPU server whose price halves every year (1,000, 500,
    250), energy free: the optimum buys 1 in 2027 and 3 in 2028, 2,500."""
    data = scenario([dict(name="svc", type="cpu", vcpus=[64, 256, 256])], sites=[site(power=1000)],
                    servers=[cpu_server("c", 1000, price_change="-50%", lifetime="10 years")], objective="tco", **top)
    data["periods"] = {"start": 2027, "count": 3}
    return data


def ownership_rows(built) -> list[int]:
    families = built.lm.families()
    return [j for j in np.flatnonzero(families == "ownership") if built.lm.rows[int(j)].name.startswith("own[")]


def test_the_last_period_pays_what_buying_just_in_time_costs_and_earlier_periods_what_is_left():
    """From 2029 back: π_2029 = min(1,000, 500, 250) = 250; π_2028 = min(1,000 − 250, 500 − 250) = 250;
    π_2027 = 1,000 − 250 − 250 = 500. Each purchase then pays exactly its price over the periods it
    serves, and the workload's 1·500 + 4·250 + 4·250 = 2,500 is the optimum itself."""
    built = buildout_model(falling_price_chain())
    y = ownership.ownership_prices(built)
    by_period = {built.lm.rows[int(j)].owner.period: -y[j] for j in ownership_rows(built)}
    assert by_period == pytest.approx({"2027": 500.0, "2028": 250.0, "2029": 250.0}, rel=1e-6)
    assert not np.any(y[[j for j in range(len(y)) if j not in ownership_rows(built)]])
    found = blocks.find_blocks(built, priced=False)
    solved, bound = ownership.cuts_at_ownership_prices(built, found, 30, threads=2, deadline=time.perf_counter() + 30)
    assert solved == len(found) == 1
    assert bound == pytest.approx(2500.0, rel=1e-5) and bound <= 2500.0


def test_installed_units_take_their_ownership_price_off_the_bound():
    """Two units already installed serve every period at no cost: the optimum buys 2 more in 2028 (2 × 500).
    The bound charges the workload 500 + 4·250 + 4·250 = 2,500 as before and takes 2 × (500 + 250 + 250)
    off for the installed units: 500. Valid, and below the optimum by what one installed unit idle in 2027
    is priced at (the prices do not know which periods leave installed units idle)."""
    built = buildout_model(falling_price_chain(installed=[{"item": "c", "site": "s1", "quantity": 2}]))
    optimum = solve(built.lm, "highs", time_limit=60, gap=0.0)
    assert optimum.objective == pytest.approx(1000.0, rel=1e-9)
    found = blocks.find_blocks(built, priced=False)
    _, bound = ownership.cuts_at_ownership_prices(built, found, 30, threads=2, deadline=time.perf_counter() + 30)
    assert bound == pytest.approx(500.0, rel=1e-5) and bound <= 500.0


def generated(seed: int, installed: bool) -> Scenario:
    data = to_buildout(generate(workloads=8, servers=8, sites=2, seed=seed), 3, seed=seed)
    if installed:  # a few of the cheapest servers already at each site, bought before the build-out
        server = min(data["catalog"]["servers"], key=lambda s: s["price"]) if data["catalog"].get("servers") else None
        if server is not None:
            data["installed"] = [{"item": server["id"], "site": s["name"], "quantity": 3, "since": 2024}
                                 for s in data["sites"]]
    return Scenario.model_validate(data)


@pytest.mark.parametrize("seed,installed", ((1, False), (2, True), (3, False), (4, True)))
def test_the_ownership_bound_never_exceeds_the_exact_optimum_and_prices_the_purchases(seed, installed):
    """On generated build-outs (growth, training in one period, discounting; some with installed servers)
    the bound at the ownership prices is at most the whole model's optimum, and well above what the
    blocks prove unpriced (their servers free): the purchases are what the prices bring in."""
    built = buildout_model(generated(seed, installed))
    optimum = solve(built.lm, "highs", time_limit=120, gap=0.0)
    assert optimum.status == "optimal"
    found = blocks.find_blocks(built, priced=False)
    solved, bound = ownership.cuts_at_ownership_prices(built, found, 60, threads=2, deadline=time.perf_counter() + 60)
    assert solved == len(found) and bound is not None
    assert bound <= optimum.objective * (1 + 1e-9)
    unpriced = blocks.solve_blocks(built, blocks.find_blocks(built, priced=False), 60, threads=2)
    free = built.lm.matrix().offset + sum(result.bound for result in unpriced.values())
    assert bound > free + 0.75 * (optimum.objective - free)  # measured: 0.84–0.88 of the way
    first_cut = len(built.lm.rows)  # each block's bound is a cut the optimum satisfies
    blocks.add_cuts(built, found)
    for row in built.lm.rows[first_cut:]:
        assert sum(c * optimum.values[i] for i, c in row.terms.items()) >= row.lo - 1e-6 * max(1.0, abs(row.lo))


def test_a_buildout_whose_lp_does_not_fit_is_priced_by_ownership_and_its_plan_verifies(monkeypatch):
    """With HiGHS deemed unable to solve the LP in time (as at W=1000 × 60 × 4 over 4 periods), the
    decomposition starts from the ownership prices, not PDLP's iterate; the plan verifies period by
    period and the bound stays at most the whole model's optimum."""
    scenario_ = generated(2, installed=False)
    whole = api.plan_scenario(scenario_, api.SolveOptions(engine="highs", gap=0.0, time_limit=120))
    assert whole.status == "optimal"
    monkeypatch.setattr(api, "LARGE_MODEL_POOLS", 0)
    monkeypatch.setattr(lagrange, "highs_lp_fits", lambda variables, seconds: False)
    engines_asked = []
    real_solve = lagrange.solve
    monkeypatch.setattr(lagrange, "solve", lambda *a, **k: engines_asked.append(a[1]) or real_solve(*a, **k))
    messages = []
    plan = api.plan_scenario(scenario_, api.SolveOptions(engine="highs", gap=0.01, time_limit=20),
                             on_progress=messages.append)
    assert any("at the ownership prices" in m for m in messages)
    assert "pdlp" not in engines_asked
    assert plan.bound is not None and plan.bound <= whole.objective_value * (1 + 1e-9)
    assert plan.objective_value >= whole.objective_value * (1 - 1e-6)
