"""Tidying a solution (plan/extract.py: the least network gear and racks that serve the servers bought)
never makes the plan dearer than what the engine found.

Found by tests/test_planner_properties.py: two switches at price 0 whose optics cost 50 and 100; the
engine cabled the storage onto the cheap-optic switch (6,100), and re-cabling moved the links onto the
other one (7,700), above the proven bound, while the plan still said "optimal".
"""

from __future__ import annotations

import pytest

from dcplan.scenario.schema import Scenario
from dcplan.usecases.planning import SolveOptions, plan_scenario


def scenario() -> Scenario:
    def switch(name: str, ports: int, optic_price: float) -> dict:
        return {"id": name, "source": "test", "price": 3000, "ports": ports, "port_speed": 100, "power": 0.2,
                "rack_units": 1, "optic_price": optic_price, "optic_power": 5}

    return Scenario.model_validate({
        "dcplan": 1, "name": "tidy", "objective": "capex",
        "catalog": {"builtin": False, "prices": {"sw8": 0, "sw32": 0},
                    "storage": [{"id": "st", "source": "test", "price": 1000, "power": 1.0, "rack_units": 1,
                                 "capacity": 100, "throughput": 10, "nics": {"count": 2, "speed": 100}}],
                    "switches": [switch("sw8", 8, 50), switch("sw32", 32, 100)]},
        "sites": [{"name": "s0", "power": 8, "racks": 4, "rack_power": 10, "rack_units": 42, "pue": 1.0,
                   "electricity_price": 0.0}],
        "workloads": [{"name": "w0", "type": "storage", "capacity": 300, "throughput": 0,
                       "durability": {"replicas": 1}}],
        "policies": {"network": {"frontend_oversubscription": 1, "dual_homed": True},
                     "costs": {"rack_price": 0}}})


@pytest.mark.parametrize("engine", ["scip", "highs", "cp-sat"])
def test_the_tidied_plan_costs_what_the_engine_found(engine):
    # 3 storage nodes × 2 NICs × 2 (dual-homed) = 12 links, each with optics at both ends, plus uplinks:
    # the cheaper optics (50) are on sw8, so every link should land there.
    plan = plan_scenario(scenario(), SolveOptions(engine=engine, gap=0.0))
    reference = plan_scenario(scenario(), SolveOptions(engine=engine, gap=0.0, reference=True))
    assert plan.status == "optimal" and plan.objective_value == pytest.approx(reference.objective_value)
    assert plan.objective_value <= plan.bound + 1e-6
    assert {line.item for line in plan.bom if line.category in ("switch", "optic")} == {"sw8", "sw8-optic"}


def test_racks_an_engine_left_empty_are_not_bought():
    """An engine may return racks above the least its units need (free racks here: rack_price 0), even racks
    of a group with no units at all (HiGHS does, here); the plan keeps the least, and its site summary adds
    up. The racks are tidied even when re-cabling the fabric is refused."""
    from dcplan.model.build import build
    from dcplan.plan.extract import tidy
    from dcplan.scenario.catalog import effective
    from dcplan.sizing import size_scenario
    from dcplan.solve.engines import solve

    sc = scenario()
    catalog = effective(sc.catalog)
    built = build(sc, catalog, size_scenario(sc, catalog))
    values = solve(built.lm, engine="highs", gap=0.0).values
    least = {key: racks.value(tidy(built, values)) for key, racks in built.racks.items()}
    assert all(racks.value(values) >= least[key] for key, racks in built.racks.items())
    slack = list(values)
    for racks in built.racks.values():
        slack[next(iter(racks.terms))] += 1.0  # one more rack in every group, used or not
    tidied = tidy(built, slack)
    assert {key: racks.value(tidied) for key, racks in built.racks.items()} == least
    assert built.site_racks["s0"].value(tidied) == sum(least.values())
