"""Shared helpers for test_planner_optima.py and test_planner_properties.py.

Tiny made-up catalog items (`source: test`, round numbers) and scenario
builders, so each optimum can be worked out by hand or by brute force without
dcplan.model.build. Plain numbers are in each field's documented unit (kW, GB, TB,
GB/s, Gb/s, days, ms).
"""

from __future__ import annotations

import itertools
import math

import pytest

from dcplan.usecases.planning import NoPlan, SolveOptions, plan_scenario
from dcplan.scenario.catalog import effective
from dcplan.scenario.schema import Scenario
from dcplan.sizing import size_scenario
from dcplan.sizing.derived import with_derived_workloads
from dcplan.plan.verify import verify

ENGINES = ("scip", "cp-sat", "cbc", "highs")
REL = 1e-6
HOURS = 8760.0


# --------------------------------------------------------------------------- catalog items

def cpu_server(item_id: str, price: float, vcpus: int = 64, memory: float = 256, power: float = 1.0,
               rack_units: int = 1, **extra) -> dict:
    return dict(id=item_id, source="test", price=price, power=power, rack_units=rack_units, vcpus=vcpus,
                memory=memory, **extra)


def gpu_server(item_id: str, price: float, accelerator: str, count: int, power: float = 1.0,
               rack_units: int = 1, **extra) -> dict:
    return dict(id=item_id, source="test", price=price, power=power, rack_units=rack_units,
                accelerators={"model": accelerator, "count": count}, **extra)


def accelerator(item_id: str, bf16: float, hbm: float, bandwidth: float, **extra) -> dict:
    """bf16 in TFLOP/s, hbm in GB, bandwidth in GB/s."""
    return dict(id=item_id, source="test", bf16_flops=bf16, hbm=hbm, hbm_bandwidth=bandwidth, **extra)


def storage_node(item_id: str, price: float, capacity: float, throughput: float, power: float = 1.0,
                 rack_units: int = 1, **extra) -> dict:
    return dict(id=item_id, source="test", price=price, power=power, rack_units=rack_units, capacity=capacity,
                throughput=throughput, **extra)


def switch(item_id: str, price: float, ports: int, port_speed: float = 100, power: float = 0.0,
           rack_units: int = 1, optic_price: float = 0.0, optic_power: float = 0.0) -> dict:
    return dict(id=item_id, source="test", price=price, ports=ports, port_speed=port_speed, power=power,
                rack_units=rack_units, optic_price=optic_price, optic_power=optic_power)


def site(name: str = "s1", power: float = 1e6, racks: int = 10_000, rack_power: float = 1e4,
         rack_units: int = 64, pue: float = 1.0, electricity_price: float = 0.0, carbon_intensity: float = 0.0,
         **extra) -> dict:
    """A site that limits nothing unless told: huge power, racks and rack power; free, clean electricity."""
    return dict(name=name, power=power, racks=racks, rack_power=rack_power, rack_units=rack_units, pue=pue,
                electricity_price=electricity_price, carbon_intensity=carbon_intensity, **extra)


def cpu_workload(name: str, vcpus: int, memory: float = 0, **extra) -> dict:
    return dict(name=name, type="cpu", vcpus=vcpus, memory=memory, **extra)


def storage_workload(name: str, capacity: float, throughput: float = 0, durability: dict | None = None,
                     **extra) -> dict:
    return dict(name=name, type="storage", capacity=capacity, throughput=throughput,
                durability=durability or {"replicas": 1}, **extra)


def scenario(workloads: list[dict], sites: list[dict] | None = None, servers=(), storage=(), switches=(),
             accelerators=(), models=(), objective="capex", exclude=(), **top) -> dict:
    """A scenario dict on a test-only catalog; objective capex unless told."""
    catalog = {"builtin": False, "servers": list(servers), "storage": list(storage), "switches": list(switches),
               "accelerators": list(accelerators), "models": list(models)}
    if exclude:
        catalog["exclude"] = list(exclude)
    data = {"dcplan": 1, "name": "test", "objective": objective, "catalog": catalog,
            "sites": sites or [site()], "workloads": workloads}
    data.update(top)
    return data


def validate(data: dict) -> Scenario:
    return Scenario.model_validate(data)


# --------------------------------------------------------------------------- solving

def solve(data: dict, engine: str = "scip", **options):
    """plan_scenario with gap 0; returns the Plan (raises NoPlan)."""
    options.setdefault("gap", 0.0)
    options.setdefault("time_limit", 60.0)
    return plan_scenario(validate(data), SolveOptions(engine=engine, **options))


def objective_or_none(data: dict, engine: str = "scip") -> float | None:
    """Optimal objective, or None when infeasible; any other NoPlan status fails the test."""
    try:
        plan = solve(data, engine)
    except NoPlan as err:
        assert err.status == "infeasible", f"NoPlan with status {err.status}: {err}"
        return None
    assert plan.status == "optimal", plan.status
    return plan.objective_value


def reverify(plan, data: dict) -> None:
    """Run dcplan.plan.verify.verify again, explicitly, on a returned plan."""
    sc = validate(data)
    catalog = effective(sc.catalog)
    sc = with_derived_workloads(sc, catalog)  # as plan_scenario does
    verify(plan, sc, catalog, size_scenario(sc, catalog))


def check_optimal(data: dict, expected: float, engine: str):
    """Solve with `engine`; the plan must be optimal at `expected`, and the BOM must add up to capex."""
    plan = solve(data, engine)
    assert plan.status == "optimal"
    assert plan.objective_value == pytest.approx(expected, rel=REL, abs=1e-6), (
        f"{engine}: objective {plan.objective_value}, independent optimum {expected}")
    extended = sum(line.extended_price for line in plan.bom)
    assert extended == pytest.approx(plan.totals["capex"], rel=1e-9, abs=1e-6)
    for line in plan.bom:
        assert line.extended_price == pytest.approx(line.unit_price * line.quantity, rel=1e-12, abs=1e-9)
    reverify(plan, data)
    return plan


def units(plan, category: str = None, item: str = None, site_name: str = None) -> int:
    """Quantity bought, by category / item / site."""
    return sum(line.quantity for line in plan.bom
               if (category is None or line.category == category) and (item is None or line.item == item)
               and (site_name is None or line.site == site_name))


# --------------------------------------------------------------------------- independent arithmetic

def ceil(x: float) -> int:
    """ceil that ignores float noise (16.0000000001 -> 16)."""
    return math.ceil(x - 1e-9 * max(1.0, abs(x)))


def brute_min(ranges, cost, feasible):
    """Least cost(v) over the integer grid `ranges` (one range per variable) subject to feasible(v)."""
    best = None
    for v in itertools.product(*ranges):
        if feasible(v):
            c = cost(v)
            if best is None or c < best - 1e-9:
                best = c
    return best


def binomial_tail(n: int, p: float, k: int) -> float:
    """P(X > k), X ~ Binomial(n, p), by the plain sum (written here, not dcplan.sizing.spares)."""
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k + 1, n + 1))


def spares_for(n: int, p: float, availability: float) -> int:
    """Smallest k with P(more than k of n + k down) ≤ 1 − availability (0 for an empty pool)."""
    if n == 0:
        return 0
    k = 0
    while binomial_tail(n + k, p, k) > 1 - availability + 1e-15:
        k += 1
    return k


def fabric_cost(ports: int, sw: dict, oversubscription: float) -> tuple[float, dict]:
    """Cheapest two-tier leaf/spine fabric of one switch type for `ports` server ports, by enumeration.

    A leaf of P ports gives d = floor(P·o/(1+o)) server ports and P − d uplinks;
    every server link lands on a leaf, uplinks ≥ links / o, spines take the
    uplinks at P ports each, and every link end (server and uplink) gets an optic.
    """
    if ports == 0:
        return 0.0, {"leaves": 0, "spines": 0, "optics": 0}
    p = sw["ports"]
    down = max(1, math.floor(p * oversubscription / (1 + oversubscription)))
    up = p - down
    best = None
    for leaves in range(1, ports + 2):
        if down * leaves < ports:
            continue
        for uplinks in range(ceil(ports / oversubscription), up * leaves + 1):
            spines = ceil(uplinks / p)
            optics = 2 * ports + 2 * uplinks
            cost = (leaves + spines) * sw["price"] + optics * sw["optic_price"]
            if best is None or cost < best[0] - 1e-9:
                best = (cost, {"leaves": leaves, "spines": spines, "optics": optics, "uplinks": uplinks})
            break  # more uplinks than needed only cost more optics
    return best


def energy_mwh(power_kw: float, load: float, pue: float = 1.0, idle_kw: float | None = None) -> float:
    """MWh per year of one unit at `load` (idle defaults to 30 % of power)."""
    idle = 0.3 * power_kw if idle_kw is None else idle_kw
    return HOURS * pue * (idle + load * (power_kw - idle)) / 1000.0
