"""Plan totals as expressions (capex, energy, carbon, opex, TCO, power); generic constraints,
limits and the objective over them."""

from __future__ import annotations

import math

from dcplan.model.built import BuiltModel, bought_units, item_values, optics_count, pool_table, switch_count
from dcplan.model.columns import pool_columns
from dcplan.model.leases import lease_costs
from dcplan.model.linear import Expr, total
from dcplan.rules import HOURS_PER_YEAR, attribute, block_price, colocation_per_kw_year, pays_electricity, idle_kw, where_matches


def add_metrics(built: BuiltModel) -> None:
    """Plan totals as expressions: capex, energy, carbon, opex, TCO, facility power.

    capex = Σ price·units + Σ optic_price·optics + rack_price·racks + Σ_k block price_k·n[k]
    energy (MWh/yr) = 8760 · PUE_k · Σ (P_idle + load·(P − P_idle))·x + P_idle·y + switches/optics) / 1000
    carbon (t/yr) = Σ_k energy_k · carbon_intensity_k;  opex = Σ_k energy_k · price_k · 1000 + maintenance·capex
    TCO = capex + horizon · opex
    At a colocation site k the electricity is the provider's: its energy cost is replaced by the rent,
    12 · price_per_kw_month_k · IT_k per year (IT_k as in add_power: what the contract must cover), and
    its energy and carbon are still counted. A cloud site pays no electricity either (it is in the
    instances' hourly lease). Maintenance is a share of the equipment's capex (support contracts): the blocks of a site being
    built (dcplan.model.capacity.add_site_build) are in capex but carry none.
    """
    scenario = built.scenario
    table = pool_table(built)
    # An installed item without a catalog price costs nothing here (build-outs price purchases).
    price = item_values(built, lambda item: item.price or 0.0)
    idle = item_values(built, idle_kw)
    columns = pool_columns(built)
    loaded = idle + columns.load * (item_values(built, lambda item: item.power) - idle)
    capex, energy, energy_cost, carbon, facility, rent = Expr(), Expr(), Expr(), Expr(), Expr(), Expr()
    for index, site in enumerate(scenario.sites):
        here = columns.site == index
        capex += table.sum(price, price, here)
        site_energy_kw = table.sum(loaded, idle, here)
        for fabric in (f for f in built.fabrics if f.site == site.name):
            for s_id in fabric.leaves:
                sw = built.catalog.switches[s_id]
                capex += switch_count(fabric, s_id) * sw.price + optics_count(built, fabric, s_id) * sw.optic_price
                site_energy_kw += switch_count(fabric, s_id) * sw.power + optics_count(built, fabric, s_id) * (
                    sw.optic_power / 1000.0)
        mwh = site_energy_kw * (HOURS_PER_YEAR * site.pue / 1000.0)
        energy += mwh
        if pays_electricity(site):
            energy_cost += mwh * (site.electricity_price * 1000.0)
        elif site.colocation is not None:  # rented power, electricity included: the contract is for its IT power
            rent += built.site_it_power[site.name] * colocation_per_kw_year(site)
        carbon += mwh * site.carbon_intensity  # MWh × kg/kWh = t
        facility += built.site_it_power[site.name] * site.pue
    capex += total(built.racks.values()) * scenario.policies.costs.rack_price
    not_bought, leases = lease_costs(built)
    capex -= not_bought
    opex = energy_cost + rent + leases + capex * scenario.policies.costs.maintenance  # blocks come next
    capex += total(blocks * block_price(site) for site in scenario.sites
                   if (blocks := built.site_blocks.get(site.name)) is not None)
    built.metrics = {"capex": capex, "energy": energy, "carbon": carbon, "power": facility, "opex": opex,
                     "energy_cost": energy_cost, "colocation": rent, "tco": capex + opex * scenario.horizon}


def add_generic_constraints(built: BuiltModel) -> None:
    """constraints[i]: min ≤ Σ_{bought items matching where} attribute(item) · units ≤ max."""
    for index, constraint in enumerate(built.scenario.constraints):
        expr = total(units * attribute(item, constraint.sum)
                     for category, item_id, site, item, units in bought_units(built)
                     if where_matches(constraint.where, category, item_id, site, item))
        lo = -math.inf if constraint.min is None else constraint.min
        hi = math.inf if constraint.max is None else constraint.max
        built.lm.add(f"constraint[name={constraint.name}]", "constraints", expr, lo=lo, hi=hi,
                     origin=f"constraints[{index}]")


def add_limits(built: BuiltModel) -> None:
    """limits: capex, tco, power (facility kW), energy (MWh/yr), carbon (t/yr) ≤ cap."""
    limits = built.scenario.limits
    for name in ("capex", "tco", "power", "energy", "carbon"):
        cap = getattr(limits, name)
        if cap is not None:
            built.lm.le(f"limit[{name}]", "limits", built.metrics[name], cap, origin=f"limits.{name}")


def set_objective(built: BuiltModel) -> None:
    """Minimise one metric (default TCO) or a weighted sum {metric: weight}."""
    objective = built.scenario.objective
    if isinstance(objective, str):
        built.objective_name = objective
        built.lm.objective = built.metrics[objective].copy()
    else:
        built.objective_name = "weighted"
        built.lm.objective = total(built.metrics[name] * weight for name, weight in objective.items())
