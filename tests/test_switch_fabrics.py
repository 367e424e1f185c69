"""Switch fabrics: Ethernet switches serve any network, InfiniBand switches training back-ends only, so a
front-end never lands on an InfiniBand switch however cheap it is. Optima by hand (tests/planner_cases.py
conventions); the built-in front-end family covers 100, 200, 400 and 800 Gb/s ports."""

from __future__ import annotations

import pytest

from dcplan.plan.verify import PlanVerificationError
from dcplan.scenario.catalog import builtin

from planner_cases import ENGINES, check_optimal, cpu_server, cpu_workload, reverify, scenario

BOX = cpu_server("box", 1000, vcpus=64, nics={"count": 2, "speed": "400 Gb/s"})
ETH = {"id": "eth32", "source": "test", "fabric": "ethernet", "ports": 32, "port_speed": "400 Gb/s", "price": 5000,
       "power": 0, "rack_units": 1}
IB = {"id": "ib64", "source": "test", "fabric": "infiniband", "ports": 64, "port_speed": "400 Gb/s", "price": 1000,
      "power": 0, "rack_units": 1}


def _frontend(**policies) -> dict:
    """4 boxes (256 vCPU) with 2x 400G each: 8 front-end ports at 3:1. An eth32 leaf has 24 down and 8 up
    ports: 1 leaf, 3 uplinks, 1 spine. Capex 4 x 1,000 + 2 x 5,000 = 14,000 (optics free)."""
    data = scenario([cpu_workload("etl", 256)], servers=[BOX], switches=[ETH, IB])
    if policies:
        data["policies"] = {"network": policies}
    return data


@pytest.mark.parametrize("engine", ENGINES)
def test_a_front_end_uses_ethernet_even_when_infiniband_is_cheaper(engine):
    plan = check_optimal(_frontend(), 14_000, engine)
    assert [(b.item, b.quantity) for b in plan.bom if b.category == "switch"] == [("eth32", 2)]


def test_naming_an_infiniband_switch_leaves_front_ends_on_ethernet():
    plan = check_optimal(_frontend(switch="ib64"), 14_000, "highs")
    assert {b.item for b in plan.bom if b.category == "switch"} == {"eth32"}


def test_verify_refuses_an_infiniband_switch_in_a_front_end():
    plan = check_optimal(_frontend(), 14_000, "highs")
    tampered = _frontend()
    tampered["catalog"]["switches"][0] = {**ETH, "fabric": "infiniband"}
    with pytest.raises(PlanVerificationError, match="eth32 is an InfiniBand switch"):
        reverify(plan, tampered)


def test_the_built_in_front_end_family_covers_100_to_800g_and_infiniband_ndr_and_xdr():
    switches = builtin().switches.values()
    ethernet = {sw.port_speed for sw in switches if sw.fabric == "ethernet" and sw.price is not None}
    infiniband = {sw.port_speed for sw in switches if sw.fabric == "infiniband" and sw.price is not None}
    assert ethernet == {100, 200, 400, 800} and infiniband == {400, 800}
    for sw in switches:
        assert sw.power > 0 and sw.optic_power > 0 and sw.optic_price > 0 and sw.source and sw.price_date, sw.id


def _switch_types_in_model(data: dict) -> set[str]:
    from dcplan.model.build import build
    from dcplan.scenario.catalog import effective
    from dcplan.sizing import size_scenario

    from planner_cases import validate

    loaded = validate(data)
    catalog = effective(loaded.catalog)
    built = build(loaded, catalog, size_scenario(loaded, catalog))
    return {name.split("switch=")[1].rstrip("]") for name in (v.name for v in built.lm.variables)
            if name.startswith("L[")}


def test_a_dominated_switch_type_is_left_out_of_the_model():
    """eth64 has twice eth32's ports at the same price, power and optics: every eth32 could be an eth64, so
    the model offers eth64 only. fast16 (800G, 16 ports) is dominated too while it costs as much (its speed
    is of no use to 400G ports), not once it is cheaper: at 3,000 it stays, and its leaf (12 down, 4 up) and
    spine serve the 8 ports for 6,000, less than two eth64 (10,000)."""
    big = {**ETH, "id": "eth64", "ports": 64}
    fast = {**ETH, "id": "fast16", "ports": 16, "port_speed": "800 Gb/s"}
    data = scenario([cpu_workload("etl", 256)], servers=[BOX], switches=[ETH, big, fast])
    assert _switch_types_in_model(data) == {"eth64"}
    data["catalog"]["switches"][2] = {**fast, "price": 3000}
    assert _switch_types_in_model(data) == {"eth64", "fast16"}
    plan = check_optimal(data, 4_000 + 2 * 3_000, "highs")
    assert [(b.item, b.quantity) for b in plan.bom if b.category == "switch"] == [("fast16", 2)]
