"""Leases in build-outs: a unit leased in a period costs its hourly price over the period, for at least one
term (a term that spans periods commits them all), no capex, discounted like any opex. Small scenarios
whose optimum is worked out here by hand (tests/planner_cases.py conventions: round numbers, free
electricity, no networking).

box: 10,000 to buy (5-year lifetime), or 0.50 an hour leased (4,380 a year) on a 1-year term; 64 vCPU."""

from __future__ import annotations

import pytest

from dcplan.plan.buildout_verify import verify_buildout
from dcplan.plan.verify import PlanVerificationError

from planner_cases import ENGINES, cpu_server, cpu_workload, scenario, solve, validate

YEAR = 0.5 * 8760  # 4,380: one box leased for a year
BOX = cpu_server("box", 10_000, vcpus=64, power=1, lease={"price_per_hour": 0.5, "term": "1 year"})


def _buildout(vcpus: list[int], box: dict = BOX, rate: float = 0.0) -> dict:
    return scenario([cpu_workload("etl", vcpus)], servers=[box], objective="tco", discount_rate=rate,
                    periods={"start": 2027, "count": len(vcpus), "length": "1 year"})


def _lines(plan) -> list[tuple]:
    return [(b.period, b.quantity, b.sourcing, b.extended_price) for b in plan.bom if b.category == "server"]


def _reverify(plan, data: dict) -> None:
    """verify_buildout again, explicitly, on the returned plan."""
    from dcplan.scenario.catalog import effective
    from dcplan.scenario.timeline import in_period
    from dcplan.sizing import size_scenario

    loaded = validate(data)
    catalog = effective(loaded.catalog)
    requirements = [size_scenario(in_period(loaded, p), catalog) for p in range(loaded.periods.count)]
    verify_buildout(plan, loaded, catalog, requirements)


@pytest.mark.parametrize("engine", ENGINES)
def test_leasing_wins_a_build_out_whose_demand_grows(engine):
    """5 boxes in 2027, 10 in 2028, at 10 %. The 5 used twice: buy 10,000 or lease 4,380 + 4,380 / 1.1 =
    8,361.8; the 5 used in 2028 only: buy 10,000 / 1.1 = 9,090.9 or lease 4,380 / 1.1 = 3,981.8. Leasing
    wins both: NPV = 5 x 4,380 + 10 x 4,380 / 1.1 = 61,718.18."""
    data = _buildout([320, 640], rate=0.1)
    plan = solve(data, engine)
    assert plan.status == "optimal"
    assert plan.objective_value == pytest.approx(5 * YEAR + 10 * YEAR / 1.1, rel=1e-9)
    assert _lines(plan) == [("2027", 5, "leased", 0.0), ("2028", 10, "leased", 0.0)]
    assert plan.totals["capex"] == 0
    assert [p.opex for p in plan.periods] == pytest.approx([5 * YEAR, 10 * YEAR])
    _reverify(plan, data)


@pytest.mark.parametrize("engine", ENGINES)
def test_buying_wins_for_what_is_used_longer_than_break_even(engine):
    """10 boxes for three years, 10 more in the third: leasing one for three years costs 13,140 > 10,000, so the
    first 10 are bought; the extra 10 are needed one year, 4,380 < 10,000: leased. 100,000 + 43,800."""
    data = _buildout([640, 640, 1280])
    plan = solve(data, engine)
    assert plan.objective_value == pytest.approx(100_000 + 10 * YEAR, rel=1e-9)
    assert _lines(plan) == [("2027", 10, None, 100_000.0), ("2029", 10, "leased", 0.0)]
    _reverify(plan, data)


def test_a_term_that_spans_periods_commits_them_and_outlasts_the_build_out():
    """A 2-year term at 0.20 an hour (1,752 a year) over three 1-year periods at 10 %: a lease signed in 2027
    holds in 2027 and 2028; one signed in 2029 holds in 2029 and is paid a year past the end, with 2029.
    Per box 1,752 x (1 + 1/1.1 + 2/1.21) = 6,240.6 < 10,000, and less than signing in 2027 and 2028
    (1 + 2/1.1 + 1/1.21): all 10 leased in 2027 and again in 2029."""
    cheap = {**BOX, "lease": {"price_per_hour": 0.2, "term": "2 years"}}
    data = _buildout([640, 640, 640], box=cheap, rate=0.1)
    plan = solve(data, "highs")
    assert plan.objective_value == pytest.approx(10 * 1_752 * (1 + 1 / 1.1 + 2 / 1.21), rel=1e-9)
    assert _lines(plan) == [("2027", 10, "leased", 0.0), ("2029", 10, "leased", 0.0)]
    assert [p.opex for p in plan.periods] == pytest.approx([17_520, 17_520, 35_040])
    _reverify(plan, data)


def test_a_lease_only_item_is_used_in_a_build_out():
    """Without a price the box can only be leased: 10 a year for two years, 87,600."""
    data = _buildout([640, 640], box={**BOX, "price": None})
    plan = solve(data, "highs")
    assert plan.objective_value == pytest.approx(2 * 10 * YEAR, rel=1e-9)
    assert not plan.warnings


def test_verify_recomputes_the_leases_of_a_build_out():
    data = _buildout([320, 640])
    plan = solve(data, "highs")
    dearer = {**BOX, "lease": {"price_per_hour": 0.6, "term": "1 year"}}
    with pytest.raises(PlanVerificationError, match="a leased line costs no capex"):
        _reverify(plan, _buildout([320, 640], box=dearer))
    longer = {**BOX, "lease": {"price_per_hour": 0.5, "term": "2 years"}}
    with pytest.raises(PlanVerificationError, match="npv"):
        _reverify(plan, _buildout([320, 640], box=longer))


def test_a_single_purchase_with_installed_equipment_leases_what_it_lacks():
    """5 boxes installed, 10 needed for a 2-year horizon: the other 5 leased (2 x 4,380 each, 43,800) rather
    than bought (50,000); a 3-year term would cost 65,700 and buying wins."""
    data = scenario([cpu_workload("etl", 640)], servers=[BOX], objective="tco", horizon=2,
                    installed=[{"site": "s1", "item": "box", "quantity": 5}])
    plan = solve(data, "highs")
    assert plan.objective_value == pytest.approx(5 * 2 * YEAR, rel=1e-9)
    assert [(b.quantity, b.sourcing) for b in plan.bom if b.category == "server"] == [(5, "leased")]
    data["catalog"]["servers"] = [{**BOX, "lease": {"price_per_hour": 0.5, "term": "3 years"}}]
    plan = solve(data, "highs")
    assert plan.objective_value == pytest.approx(50_000, rel=1e-9)
    assert [(b.quantity, b.sourcing) for b in plan.bom if b.category == "server"] == [(5, None)]
