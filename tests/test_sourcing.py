"""Sourcing: sites built as part of the plan, colocation, leases and cloud offers. Small scenarios whose
optimum is worked out here by hand or by brute force (tests/planner_cases.py conventions: round numbers,
no networking, free electricity unless told)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dcplan.plan.verify import PlanVerificationError

from planner_cases import (ENGINES, brute_min, check_optimal, cpu_server, cpu_workload, energy_mwh, reverify, scenario, site,
                           solve, units)

FAST = cpu_server("fast", 1000, vcpus=64, power=3)  # 3 kW, 1,000 each
LEAN = cpu_server("lean", 1500, vcpus=64, power=2)  # 2 kW, 1,500 each
BLOCK = {"cost_per_mw": 1e6, "block": 20}  # 20 kW blocks at 1,000,000 per MW: 20,000 a block


# --------------------------------------------------------------------------- building a site

@pytest.mark.parametrize("engine", ENGINES)
def test_a_plan_needing_one_and_a_half_blocks_builds_two(engine):
    # 640 vCPU = 10 servers of 3 kW = 30 kW = 1.5 blocks of 20 kW: 2 blocks are built.
    # capex = 10 x 1,000 + 2 x 20,000 = 50,000.
    data = scenario([cpu_workload("etl", 640)], [site("new", build=BLOCK)], servers=[FAST])
    plan = check_optimal(data, 50_000, engine)
    assert units(plan, category="facility") == 2
    line = next(b for b in plan.bom if b.category == "facility")
    assert (line.item, line.unit_price, line.extended_price) == ("power-block", 20_000, 40_000)
    assert plan.sites[0].power_limit_kw == 40 and plan.sites[0].facility_power_kw == 30


def test_the_price_of_building_power_favours_the_leaner_server():
    """fast is cheaper to buy, lean cheaper to power. Brute force over the mix (x fast, y lean):
    1,000x + 1,500y + 20,000 ⌈(3x + 2y) / 20⌉ with x + y ≥ 10: 10 lean in one block, 35,000.
    Without the build cost fast wins (10,000)."""
    def cost(v):
        x, y = v
        return 1000 * x + 1500 * y + 20_000 * -(-(3 * x + 2 * y) // 20)

    best = brute_min((range(11), range(11)), cost, lambda v: v[0] + v[1] >= 10)
    assert best == 35_000
    data = scenario([cpu_workload("etl", 640)], [site("new", build=BLOCK)], servers=[FAST, LEAN])
    plan = check_optimal(data, best, "highs")
    assert units(plan, item="lean") == 10 and units(plan, category="facility") == 1
    check_optimal(scenario([cpu_workload("etl", 640)], [site("old")], servers=[FAST, LEAN]), 10_000, "highs")


def test_power_is_the_most_a_site_can_be_built_to():
    """power 25 kW: 10 fast servers (30 kW) do not fit however many blocks are built; 8 (24 kW) do, in
    2 blocks (24 kW > 20), and the site's limit is then 25 kW, not the 40 kW of the blocks."""
    from dcplan.usecases.planning import NoPlan

    with pytest.raises(NoPlan):
        solve(scenario([cpu_workload("etl", 640)], [site("new", power=25, build=BLOCK)], servers=[FAST]), "highs")
    plan = check_optimal(scenario([cpu_workload("etl", 512)], [site("new", power=25, build=BLOCK)],
                                  servers=[FAST]), 8 * 1000 + 2 * 20_000, "highs")
    assert plan.sites[0].power_limit_kw == 25


def test_a_cheaper_owned_site_is_used_before_building():
    """An existing site of 12 kW takes 4 fast servers for free power; the other 6 (18 kW) need one block:
    10 x 1,000 + 20,000 = 30,000 (building all 30 kW would cost 2 blocks)."""
    data = scenario([cpu_workload("etl", 640)], [site("old", power=12), site("new", build=BLOCK)], servers=[FAST])
    plan = check_optimal(data, 30_000, "highs")
    assert units(plan, item="fast", site_name="old") == 4 and units(plan, category="facility") == 1


def test_blocks_are_built_in_the_period_they_are_first_needed():
    """320 then 640 vCPU over 2027-2028 at 10 %: 5 servers and 1 block in 2027, 5 more and a second block in
    2028. NPV = 5,000 + 20,000 + (5,000 + 20,000) / 1.1 = 47,727.27; building both blocks in 2027 would cost
    5,000 + 40,000 + 5,000 / 1.1 = 49,545.45."""
    data = scenario([cpu_workload("etl", [320, 640])], [site("new", build=BLOCK)], servers=[FAST], objective="tco",
                    periods={"start": 2027, "count": 2, "length": "1 year"}, discount_rate=0.1)
    plan = solve(data, "highs")
    assert plan.objective_value == pytest.approx(25_000 + 25_000 / 1.1, rel=1e-9)
    built = [(b.period, b.quantity) for b in plan.bom if b.category == "facility"]
    assert built == [("2027", 1), ("2028", 1)]
    assert [p.capex for p in plan.periods] == [25_000, 25_000]


def test_blocks_built_early_stay_built():
    """Demand falls from 640 to 320 vCPU: the 2 blocks of 2027 stand in 2028 (nothing is bought again)."""
    data = scenario([cpu_workload("etl", [640, 320])], [site("new", build=BLOCK)], servers=[FAST], objective="tco",
                    periods={"start": 2027, "count": 2, "length": "1 year"}, discount_rate=0.1)
    plan = solve(data, "highs")
    assert [(b.period, b.quantity) for b in plan.bom if b.category == "facility"] == [("2027", 2)]
    assert plan.objective_value == pytest.approx(50_000, rel=1e-9)


def test_verify_refuses_power_beyond_the_blocks_built():
    data = scenario([cpu_workload("etl", 640)], [site("new", build=BLOCK)], servers=[FAST])
    plan = solve(data, "highs")
    plan.bom = [replace(b, quantity=1, extended_price=b.unit_price) if b.category == "facility" else b
                for b in plan.bom]
    plan.totals = {**plan.totals, "capex": sum(b.extended_price for b in plan.bom)}
    with pytest.raises(PlanVerificationError, match="exceeds the 1 block"):
        reverify(plan, data)


def test_verify_refuses_blocks_at_a_site_that_is_not_being_built():
    data = scenario([cpu_workload("etl", 640)], [site("new", build=BLOCK)], servers=[FAST])
    plan = solve(data, "highs")
    with pytest.raises(PlanVerificationError, match="not being built"):
        reverify(plan, scenario([cpu_workload("etl", 640)], [site("new")], servers=[FAST]))


# --------------------------------------------------------------------------- colocation

def _owned_or_rented(price_per_kw_month: float) -> dict:
    """10 fast servers (3 kW, 1,000 each) at an owned site (PUE 1.5, 0.10 per kWh) or a colocation site."""
    return scenario([cpu_workload("etl", 640)],
                    [site("own", pue=1.5, electricity_price=0.10),
                     site("colo", pue=1.5, electricity_price=0.10, colocation={"price_per_kw_month": price_per_kw_month})],
                    servers=[FAST], objective="tco", horizon=4)


# One server at average load 0.6 (idle 30 % of 3 kW) draws 0.9 + 0.6 x 2.1 = 2.16 kW: at the owned site
# 2.16 x 8,760 h x 1.5 x 0.10 = 2,838.24 a year. At the colocation site the rent is on its 3 kW of IT power,
# 3 x 12 x price a year, electricity included: break-even at 2,838.24 / 36 = 78.84 per kW-month.
OWNED_PER_YEAR = energy_mwh(3, 0.6, pue=1.5) * 1000 * 0.10


def test_the_break_even_of_colocation_is_where_the_hand_computation_puts_it():
    assert OWNED_PER_YEAR == pytest.approx(2_838.24)
    assert OWNED_PER_YEAR / 36 == pytest.approx(78.84)


@pytest.mark.parametrize("engine", ENGINES)
def test_colocation_below_break_even_is_chosen(engine):
    # 70 per kW-month: 3 x 12 x 70 = 2,520 a year; TCO = 10 x (1,000 + 4 x 2,520) = 110,800.
    plan = check_optimal(_owned_or_rented(70), 110_800, engine)
    assert units(plan, item="fast", site_name="colo") == 10
    assert plan.totals["opex_per_year"] == pytest.approx(25_200)


@pytest.mark.parametrize("engine", ENGINES)
def test_the_owned_site_above_break_even_is_chosen(engine):
    # 90 per kW-month: 3,240 a year > 2,838.24; TCO = 10 x (1,000 + 4 x 2,838.24) = 123,529.6.
    plan = check_optimal(_owned_or_rented(90), 10 * (1000 + 4 * OWNED_PER_YEAR), engine)
    assert units(plan, item="fast", site_name="own") == 10


def test_colocation_energy_and_carbon_still_count():
    """The provider's electricity is in the rent, not out of the world: energy and carbon are as at the owned
    site (10 x 2.16 kW x 8,760 h x 1.5 = 283.824 MWh a year)."""
    plan = solve(_owned_or_rented(70), "highs")
    assert plan.totals["energy_mwh_per_year"] == pytest.approx(10 * energy_mwh(3, 0.6, pue=1.5))


def test_colocation_rent_is_paid_in_every_period_of_a_build_out():
    """Two one-year periods at 10 %, 5 then 10 servers at 70 per kW-month: rent 5 x 2,520 then 10 x 2,520.
    NPV = 5,000 + 12,600 + (5,000 + 25,200) / 1.1."""
    data = _owned_or_rented(70)
    data["workloads"] = [cpu_workload("etl", [320, 640])]
    data.update(periods={"start": 2027, "count": 2, "length": "1 year"}, discount_rate=0.1)
    del data["horizon"]
    plan = solve(data, "highs")
    assert plan.objective_value == pytest.approx(17_600 + 30_200 / 1.1, rel=1e-9)


def test_verify_recomputes_the_rent():
    plan = solve(_owned_or_rented(70), "highs")
    with pytest.raises(PlanVerificationError, match="opex_per_year"):
        reverify(plan, _owned_or_rented(71))


# --------------------------------------------------------------------------- leases

# box: 10,000 to buy, or 0.50 an hour leased (4,380 a year) on a 1-year term. 10 are needed (640 vCPU);
# electricity is free, so buying costs 100,000 and leasing 43,800 a year: break-even at 100,000 / 43,800
# = 2.283 years of horizon.
BOX = cpu_server("box", 10_000, vcpus=64, power=1, lease={"price_per_hour": 0.5, "term": "1 year"})


def _lease_or_buy(horizon: float, box=BOX, **top) -> dict:
    return scenario([cpu_workload("etl", 640)], servers=[box], objective="tco", horizon=horizon, **top)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_lease_wins_over_a_horizon_shorter_than_break_even(engine):
    plan = check_optimal(_lease_or_buy(2), 2 * 43_800, engine)  # 87,600 < 100,000
    leased = [b for b in plan.bom if b.category == "server"]
    assert [(b.quantity, b.sourcing, b.extended_price, b.lease_per_year) for b in leased] == \
        [(10, "leased", 0.0, 4_380.0)]
    assert plan.totals["capex"] == 0 and plan.totals["opex_per_year"] == pytest.approx(43_800)


@pytest.mark.parametrize("engine", ENGINES)
def test_buying_wins_over_a_horizon_longer_than_break_even(engine):
    plan = check_optimal(_lease_or_buy(3), 100_000, engine)  # 3 x 43,800 = 131,400 > 100,000
    assert [(b.quantity, b.sourcing) for b in plan.bom if b.category == "server"] == [(10, None)]


def test_a_lease_is_paid_for_at_least_one_term():
    """A 3-year term over a 1-year horizon pays 3 years (131,400): buying (100,000) wins; on a 1-year term the
    lease (43,800) wins."""
    three_years = {**BOX, "lease": {"price_per_hour": 0.5, "term": "3 years"}}
    plan = check_optimal(_lease_or_buy(1, three_years), 100_000, "highs")
    assert all(b.sourcing is None for b in plan.bom)
    check_optimal(_lease_or_buy(1), 43_800, "highs")


def test_a_capex_limit_leases_the_units_it_cannot_buy():
    """Over 3 years buying is cheaper, but capex ≤ 60,000 buys 6 at most: 6 bought, 4 leased.
    TCO = 60,000 + 3 x 4 x 4,380 = 112,560."""
    plan = check_optimal(_lease_or_buy(3, limits={"capex": 60_000}), 112_560, "highs")
    assert sorted((b.quantity, b.sourcing or "bought") for b in plan.bom if b.category == "server") == \
        [(4, "leased"), (6, "bought")]


def test_a_leased_unit_pays_no_maintenance_but_its_energy():
    """Maintenance 10 % a year and electricity at 0.10 per kWh (1 kW at load 0.6, idle 0.3 → 0.72 kW):
    each unit uses 0.72 x 8,760 x 0.10 = 630.72 a year either way; over 2 years buying costs
    10,000 x (1 + 2 x 0.1) = 12,000 per unit, leasing 8,760: 10 x (8,760 + 2 x 630.72) = 100,214.4."""
    data = _lease_or_buy(2, policies={"costs": {"maintenance": 0.1}})
    data["sites"][0]["electricity_price"] = 0.10
    plan = check_optimal(data, 10 * (8_760 + 2 * energy_mwh(1, 0.6) * 100), "highs")
    assert units(plan, item="box") == 10 and plan.totals["capex"] == 0


def test_an_item_without_a_price_can_only_be_leased():
    rental = {**BOX, "price": None}
    plan = check_optimal(_lease_or_buy(4, rental), 4 * 43_800, "highs")
    assert [b.sourcing for b in plan.bom if b.category == "server"] == ["leased"]


def test_a_plan_without_leases_writes_exactly_the_keys_and_columns_it_always_did():
    from dcplan.report.plan import render

    plan = solve(_lease_or_buy(3), "highs")
    assert all("sourcing" not in line and "lease_per_year" not in line for line in plan.to_dict()["bom"])
    assert render(plan, "csv").splitlines()[0] == \
        "site,category,item,description,quantity,unit_price,extended_price,power_kw,rack_units"
    leased = solve(_lease_or_buy(2), "highs")
    assert render(leased, "csv").splitlines()[0].endswith(",rack_units,sourcing,lease_per_year")
    assert "leased" in render(leased, "table", width=200) and "leased" in render(leased, "markdown")
    assert leased.to_dict()["bom"][0]["sourcing"] == "leased"


def test_verify_recomputes_the_lease():
    plan = solve(_lease_or_buy(2), "highs")
    with pytest.raises(PlanVerificationError, match="opex_per_year"):
        reverify(plan, _lease_or_buy(2, {**BOX, "lease": {"price_per_hour": 0.6, "term": "1 year"}}))
    plan.bom = [replace(b, extended_price=1.0) if b.sourcing else b for b in plan.bom]
    with pytest.raises(PlanVerificationError, match="leased line costs no capex"):
        reverify(plan, _lease_or_buy(2))


# --------------------------------------------------------------------------- cloud offers

# A toy model on two servers. own-8: 8 accelerators of 1,000 GB/s at 100,000. tpu-8, a cloud offer: 8 TPU v6e
# chips (1,638 GB/s, 32 GB: Google's v6e documentation), 15.12 an hour on a 1-year commitment (8 x 1.89 per
# chip-hour, Google's Trillium GA announcement, 2024-12). What each serves comes from the sizing (docs/sizing.md,
# tested on its own in test_sizing.py): about 33.3 and 49.4 requests/s at batch 10. The optimum over whole
# servers and leases is then found by brute force, independently of the model.
GPU = {"id": "acc1", "source": "test", "bf16_flops": 1000, "hbm": 100, "hbm_bandwidth": 1000}
TPU = {"id": "tpu", "source": "test", "bf16_flops": 918, "hbm": 32, "hbm_bandwidth": 1638}
OWN = {"id": "own-8", "source": "test", "price": 100_000, "power": 10, "rack_units": 1,
       "accelerators": {"model": "acc1", "count": 8}}
CLOUD_TPU = {"id": "tpu-8", "source": "test", "power": 5.5, "rack_units": 0, "cloud": True,
             "accelerators": {"model": "tpu", "count": 8}, "lease": {"price_per_hour": 15.12, "term": "1 year"}}
TPU_HOST_YEAR = 15.12 * 8760  # 132,451.2


def _own_or_cloud(horizon: float, rps: float = 45) -> dict:
    work = dict(name="chat", type="inference", model="toy-10b", requests_per_s=rps, prompt_tokens=0,
                output_tokens=100, max_tpot=100, hbm_efficiency=1.0, compute_efficiency=1.0, max_batch=10)
    model = dict(id="toy-10b", source="test", params=10e9, kv_bytes_per_token=2)
    return scenario([work], [site("dc"), {"name": "gcp", "cloud": True}], servers=[OWN, CLOUD_TPU],
                    accelerators=[GPU, TPU], models=[model], objective="tco", horizon=horizon)


def _served(data: dict) -> tuple[float, float]:
    """Requests/s one own-8 and one tpu-8 serve, from the sizing."""
    from dcplan.scenario.catalog import effective
    from dcplan.sizing import size_scenario
    from planner_cases import validate

    loaded = validate(data)
    per_unit = {c.item: c.per_unit["requests_per_s"]
                for c in size_scenario(loaded, effective(loaded.catalog))["chat"].candidates}
    return per_unit["own-8"], per_unit["tpu-8"]


def _cloud_optimum(horizon: float, rps: float = 45) -> float:
    own_rps, tpu_rps = _served(_own_or_cloud(horizon, rps))
    assert own_rps < 45 < tpu_rps < 2 * own_rps  # the shape the tests below rest on
    return brute_min((range(5), range(5)), lambda v: 100_000 * v[0] + TPU_HOST_YEAR * max(horizon, 1) * v[1],
                     lambda v: own_rps * v[0] + tpu_rps * v[1] >= rps)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_cloud_tpu_lease_is_chosen_when_it_is_cheaper(engine):
    # 45 rps over one year: 2 own-8 (200,000) or 1 tpu-8 host leased (132,451.2): the cloud wins.
    assert _cloud_optimum(1) == pytest.approx(TPU_HOST_YEAR)
    plan = check_optimal(_own_or_cloud(1), _cloud_optimum(1), engine)
    assert [(b.site, b.item, b.quantity, b.sourcing) for b in plan.bom] == [("gcp", "tpu-8", 1, "leased")]
    assert plan.sites[1].racks == 0


def test_owned_servers_win_over_a_longer_horizon():
    # Over 3 years the host costs 397,353.6: 2 own-8 (200,000) win.
    assert _cloud_optimum(3) == 200_000
    plan = check_optimal(_own_or_cloud(3), 200_000, "highs")
    assert units(plan, item="own-8", site_name="dc") == 2 and units(plan, item="tpu-8") == 0


def test_cloud_offers_stand_only_at_cloud_sites_and_pay_no_electricity():
    """At 85 rps over a year the optimum mixes: 2 own-8 (about 75 rps) or 1 host (about 60) fall short, 3 own-8
    cost 300,000 and 2 hosts 264,902; 1 own-8 + 1 host (about 97 rps) = 232,451.2, each at the only site it
    may stand at."""
    data = _own_or_cloud(1, rps=85)
    expected = _cloud_optimum(1, rps=85)
    assert expected == pytest.approx(100_000 + TPU_HOST_YEAR)
    plan = check_optimal(data, expected, "highs")
    assert {(b.site, b.item) for b in plan.bom if b.category == "server"} == {("dc", "own-8"), ("gcp", "tpu-8")}


def test_a_cloud_offer_is_leased_not_bought():
    from pydantic import ValidationError

    from planner_cases import validate

    for wrong, reason in (({"lease": None}, "needs `lease"), ({"price": 1.0}, "cannot be bought")):
        data = _own_or_cloud(1)
        data["catalog"]["servers"][1] = {**CLOUD_TPU, **wrong}
        with pytest.raises(ValidationError, match=reason):
            validate(data)
