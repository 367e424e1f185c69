"""Leases: units of an item at a site that are leased instead of bought."""

from __future__ import annotations

from dcplan.model.built import BuiltModel
from dcplan.model.linear import Expr, Owner
from dcplan.rules import item_of, lease_factor


def add_leases(built: BuiltModel) -> None:
    """ℓ[c,k] ∈ ℤ≥0 units of item c at site k leased, for every item with a `lease` offer:

        ℓ[c,k] ≤ Σ_pools of c at k (x + y)                   lease[item=c,site=k]
        ℓ[c,k] ≥ Σ_pools of c at k (x + y)   if c has no price (it can only be leased)

    A leased unit is not bought: capex loses price_c·ℓ (and with it the maintenance on it: a
    lease includes upkeep), and opex gains the lease, paid for every hour of the horizon H and
    for at least one term T: per year of the horizon

        lease_c = price_per_hour_c · 8760 · max(H, T) / H

    so that TCO = capex + H·opex pays price_per_hour · 8760 · max(H, T) per unit. Leased units
    draw power, take rack positions and need spares and ports like bought ones.
    """
    units: dict[tuple[str, str], Expr] = {}
    for pool in built.pools:
        item = item_of(built.catalog, pool.kind, pool.item)
        if item.lease is not None:
            units.setdefault((pool.item, pool.site), Expr()).add_scaled(pool.active + pool.spares, 1.0)
    for (item_id, site), count in units.items():
        owner = Owner(item=item_id, site=site)
        leased = built.lm.var(f"leased[item={item_id},site={site}]", owner=owner)
        built.leases[(item_id, site)] = leased
        built.lm.le(f"lease[item={item_id},site={site}]", "leases", leased, count, origin="catalog", owner=owner)
        if built.catalog.find(item_id)[1].price is None:
            built.lm.ge(f"lease.only[item={item_id},site={site}]", "leases", leased, count, origin="catalog",
                        owner=owner)


def lease_costs(built: BuiltModel) -> tuple[Expr, Expr]:
    """(capex not spent, lease opex per year) of the leased units: Σ price·ℓ and Σ lease_c·ℓ."""
    saved, opex = Expr(), Expr()
    horizon = built.scenario.horizon
    for (item_id, site), leased in built.leases.items():
        item = built.catalog.find(item_id)[1]
        saved.add_scaled(leased, item.price or 0.0)
        opex.add_scaled(leased, lease_factor(item.lease, horizon))
    return saved, opex
