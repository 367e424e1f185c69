"""Cooling and rack-scale systems: small scenarios whose optimum is worked out here by hand or by brute
force (tests/planner_cases.py catalog conventions: round numbers, no networking, objective capex)."""

from __future__ import annotations

import pytest
import yaml

from dcplan.plan.verify import PlanVerificationError
from dcplan.scenario.catalog import effective
from dcplan.sizing import size_scenario
from dcplan.plan.verify import verify
from dcplan.usecases.validate import validate_scenario

from planner_cases import ENGINES, brute_min, check_optimal, cpu_server, cpu_workload, scenario, site, units, validate

AIR = cpu_server("air", 1000, vcpus=64)
WET = cpu_server("wet", 600, vcpus=64, cooling="liquid")


@pytest.mark.parametrize("engine", ENGINES)
def test_a_liquid_cooled_server_is_refused_by_an_air_site_and_chosen_at_a_liquid_one(engine):
    # 640 vCPU = 10 servers of 64. Air site: only `air` → 10 x 1,000. Liquid site: `wet` at 600 → 6,000.
    need = [cpu_workload("etl", 640)]
    plan = check_optimal(scenario(need, [site("hall", cooling="air")], servers=[AIR, WET]), 10_000, engine)
    assert units(plan, item="wet") == 0 and units(plan, item="air") == 10
    plan = check_optimal(scenario(need, [site("hall", cooling="liquid")], servers=[AIR, WET]), 6_000, engine)
    assert units(plan, item="wet") == 10
    # Both kinds of site: the liquid one holds 4 servers (1 rack of 4 U), the air one the rest:
    # 4 x 600 + 6 x 1,000 = 8,400.
    sites = [site("dry", cooling="air"), site("wet", cooling="liquid", racks=1, rack_units=4)]
    plan = check_optimal(scenario(need, sites, servers=[AIR, WET]), 8_400, engine)
    assert (units(plan, item="wet", site_name="wet"), units(plan, item="air", site_name="dry")) == (4, 6)


@pytest.mark.parametrize("liquid_kw, expected", [(60, 2_400), (30, 4_000)])
def test_liquid_racks_have_their_own_power_at_a_site_with_both(liquid_kw, expected):
    """4 servers needed at a site of 2 racks: air racks of 15 kW, liquid racks of `liquid_kw`.
    wet: 30 kW at 600, air: 7 kW at 1,000 (2 per air rack). Each item has racks of its own."""
    wet = cpu_server("wet", 600, vcpus=64, power=30, cooling="liquid")
    air = cpu_server("air", 1000, vcpus=64, power=7)
    hall = site("hall", racks=2, rack_power=15, cooling="both", liquid_rack_power=liquid_kw)
    per_wet_rack = liquid_kw // 30

    def feasible(v):
        w, a = v
        racks = -(-w // per_wet_rack) + -(-a // 2)
        return w + a >= 4 and racks <= 2

    assert brute_min((range(0, 5), range(0, 5)), lambda v: 600 * v[0] + 1000 * v[1], feasible) == expected
    check_optimal(scenario([cpu_workload("etl", 256)], [hall], servers=[wet, air]), expected, "highs")


def test_a_rack_scale_system_takes_one_rack_position_where_racks_take_its_power(tmp_path):
    """A 120 kW, 48 U rack as shipped at a liquid site of 42 U, 132 kW racks: one position each, so 3 fit
    in 3 racks (packed as an ordinary item it would take ceil(48/42) = 2 positions each)."""
    nvl = cpu_server("nvl", 1000, vcpus=64, power=120, rack_units=48, cooling="liquid", rack_scale=True)
    data = scenario([cpu_workload("etl", 192)], [site("hall", racks=3, rack_units=42, rack_power=132,
                                                       cooling="liquid")], servers=[nvl])
    plan = check_optimal(data, 3_000, "highs")
    assert plan.sites[0].racks == 3
    data["sites"][0]["rack_power"] = 100  # racks below the system's power: nowhere to stand
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    found = [d for d in validate_scenario(path).diagnostics if d.is_error]
    assert [d.code for d in found] == ["no-site"] and "120 kW rack as shipped" in found[0].message


def test_verify_refuses_a_liquid_cooled_server_at_an_air_site():
    """The independent check: the liquid site's plan, checked against the same site air-cooled."""
    need = [cpu_workload("etl", 640)]
    plan = check_optimal(scenario(need, [site("hall", cooling="liquid")], servers=[AIR, WET]), 6_000, "highs")
    sc = validate(scenario(need, [site("hall", cooling="air")], servers=[AIR, WET]))
    catalog = effective(sc.catalog)
    with pytest.raises(PlanVerificationError, match="wet is liquid-cooled and site hall has air cooling only"):
        verify(plan, sc, catalog, size_scenario(sc, catalog))


def test_the_built_in_nvl72_is_a_liquid_cooled_rack_as_shipped():
    nvl = effective(validate(scenario([cpu_workload("etl", 64)], servers=[AIR])).catalog)
    from dcplan.scenario.catalog import builtin

    item = builtin().servers["gb200-nvl72"]
    assert (item.cooling, item.rack_scale, item.power) == ("liquid", True, 120)
    assert "gb200-nvl72" not in nvl.servers
