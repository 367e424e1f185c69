"""A build-out: one model over all periods, linked by what is bought, owned and retired.

Each period p is the single-purchase model of the scenario as it stands in p (every family of
dcplan.model, built into one shared LinearModel under `period=<label>`): its pools, spares,
fabrics, racks and site rows with that period's values. What those rows count is equipment *in
use* in p. The build-out adds, for every item c (server, storage node, switch), site k and period p:

    b[c,k,q] ∈ ℤ≥0          units bought in period q (only while c is available, and priced)
    owned[c,k,p] = I[c,k,p] + Σ_{q ≤ p, alive(c,q,p)} b[c,k,q]
    used[c,k,p]  ≤ owned[c,k,p]                                   own[item=c,site=k,period=p]

where I is the installed base still in service and alive(c,q,p) means bought at the start of q
and not retired by the start of p: y_q ≤ y_p < y_q + lifetime_c. Units never move between sites
and are never sold; a unit not needed in a period is switched off (no power, no rack position).
Optics follow their switch type (b_o[s,k,q], same lifetime); fitted rack positions, when racks
have a price, are bought once and kept (b_r[k,q]). At a site being built (`sites[].build`) the blocks
standing in period p, n[k,p] (dcplan.model.capacity.add_site_build), never fall: blocks stay built,

    n[k,p] ≥ n[k,p-1]                                             blocks[site=k,period=p]

and n[k,p] − n[k,p-1] blocks are bought in p (n[k,-1] = 0), so each block is paid, and discounted,
in the period it is first needed.

Items with a lease offer (`lease: {price_per_hour, term}`) may be leased instead, period by period:

    s[c,k,q] ∈ ℤ≥0          leases of c at k signed at the start of q (while c is available)
    used[c,k,p]  ≤ owned[c,k,p] + Σ_{q ≤ p, covers(q,p)} s[c,k,q]

A lease runs whole periods: covers(q,p) holds for q and every later period that starts before its
term T_c is over, y_p < y_q + T_c, so a term that spans periods commits all of them. It costs no
capex and no maintenance; it is opex of each period it covers, h_c = price_per_hour_c · 8760 a year:

    lease_p = Σ_{c,k,q: covers(q,p)} h_c · s[c,k,q] · (1 + [p = last] · τ_q / L_last)

where τ_q = max(0, y_q + T_c − y_end) is what remains of the term when the build-out ends (y_end
the end of the last period): at least one term is paid, the remainder with the last period
(rules.lease_years). A single purchase (one period of H years) pays h_c · max(H, T_c).

Costs, with d_p = (1 + r)^-(y_p - y_0) the discount factor and L_p the period's length in years:

    capex_p = Σ price_c·(1 + g_c)^(y_p - y_0)·b[c,k,p] + optic and rack purchases
              + Σ_k block price_k·(n[k,p] − n[k,p-1])
    opex_p  = energy cost_p (per year, of the equipment in use) + colocation rent_p (per year, of its IT power)
              + lease_p + m · Σ_{q alive} capex of b[·,·,q]
    NPV     = Σ_p d_p·(capex_p + L_p·opex_p)

Objective `tco` is the NPV; `capex` the undiscounted sum of purchases; `energy` and `carbon` the
totals over all periods; `power` the highest facility power of any period. Limits hold in every
period (capex of the period's purchases, facility power, energy and carbon per year), `tco` on
the NPV.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dcplan.model.build import build
from dcplan.model.built import BuiltModel, optics_count, switch_count
from dcplan.model.linear import Expr, LinearModel, Owner, total
from dcplan.model.totals import set_objective
from dcplan.rules import HOURS_PER_YEAR, block_price, category_of, lease_years, price_after
from dcplan.rules import on_market as rules_on_market
from dcplan.scenario.catalog import Catalog
from dcplan.scenario.periods import label_year
from dcplan.scenario.schema import Scenario
from dcplan.scenario.timeline import in_period

BUILDOUT_LIMITS = ("capex", "power", "energy", "carbon")
"""Limits that hold period by period (`tco` bounds the NPV of the whole build-out)."""


@dataclass
class Buildout(BuiltModel):
    """The build-out's model: one BuiltModel per period in one LinearModel, and the purchases linking them."""

    parts: list[BuiltModel] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    years: list[float] = field(default_factory=list)  # start of each period, in years from the first
    lengths: list[float] = field(default_factory=list)  # years per period
    purchases: dict[tuple[str, str, str, int], Expr] = field(default_factory=dict)  # (category, item, site, q)
    optic_purchases: dict[tuple[str, str, int], Expr] = field(default_factory=dict)  # (switch, site, q)
    rack_purchases: dict[tuple[str, int], Expr] = field(default_factory=dict)  # (site, q)
    block_purchases: dict[tuple[str, int], Expr] = field(default_factory=dict)  # (site, q): blocks built in q
    lease_signings: dict[tuple[str, str, str, int], Expr] = field(default_factory=dict)  # (category, item, site, q)
    period_metrics: list[dict[str, Expr]] = field(default_factory=list)
    installed: dict[tuple[str, str, int], int] = field(default_factory=dict)  # (item, site, p) -> units in service


def periods_of(scenario: Scenario) -> tuple[list[str], list[float], list[float]]:
    """Labels, start years (from the first period) and lengths; a single purchase is one period."""
    if scenario.periods is None:
        return ["now"], [0.0], [scenario.horizon]
    p = scenario.periods
    return p.labels, [p.years_from_start(i) for i in range(p.count)], [p.length] * p.count


def build_buildout(scenario: Scenario, catalog: Catalog, requirements: list[dict],
                   strengthen: bool = True) -> Buildout:
    """The model of a build-out (or of a single purchase with installed equipment): `requirements[p]`
    are the requirements sized for period p's scenario (dcplan.scenario.timeline.in_period)."""
    labels, years, lengths = periods_of(scenario)
    lm = LinearModel()
    parts = []
    for index, label in enumerate(labels):
        lm.period = label if scenario.periods is not None else None
        parts.append(build(in_period(scenario, index), catalog, requirements[index], strengthen, lm=lm, whole=False))
    lm.period = None
    out = Buildout(scenario, catalog, requirements[0], lm, strengthen=strengthen, parts=parts, labels=labels,
                   years=years, lengths=lengths)
    for part in parts:
        out.pools.extend(part.pools)
        out.fabrics.extend(part.fabrics)
        out.warnings.extend(w for w in part.warnings if w not in out.warnings)
        for name, pools in part.by_workload.items():
            out.by_workload.setdefault(name, []).extend(pools)
    out.installed = installed_in_service(scenario, catalog, labels, years)
    add_ownership(out)
    add_buildout_metrics(out)
    add_buildout_limits(out)
    set_objective(out)  # the build-out's metrics (tco = NPV), as for one purchase
    return out


def installed_in_service(scenario: Scenario, catalog: Catalog, labels: list[str],
                         years: list[float]) -> dict[tuple[str, str, int], int]:
    """Installed units still in service in each period: bought `since` (default: the first period)
    and retired `lifetime` years later. A single purchase keeps every installed unit."""
    first = scenario.periods.start if scenario.periods is not None else None
    out: dict[tuple[str, str, int], int] = {}
    for entry in scenario.installed:
        item = catalog.find(entry.item)[1]
        for p in range(len(labels)):
            if first is not None:
                since = entry.since if entry.since is not None else first
                if first + years[p] >= since + item.lifetime - 1e-9:
                    continue  # retired before this period starts
            key = (entry.item, entry.site, p)
            out[key] = out.get(key, 0) + entry.quantity
    return out


def used_units(part: BuiltModel) -> dict[tuple[str, str, str], Expr]:
    """(category, item, site) → units in use in one period's model: pools (active and spares) and switches."""
    used: dict[tuple[str, str, str], Expr] = {}
    for pool in part.pools:
        used.setdefault((category_of(pool.kind), pool.item, pool.site), Expr()).add_scaled(
            pool.active + pool.spares, 1.0)
    for fabric in part.fabrics:
        for s_id in fabric.leaves:
            used.setdefault(("switch", s_id, fabric.site), Expr()).add_scaled(switch_count(fabric, s_id), 1.0)
    return used


def scoped(out: Buildout, name: str, p: int) -> str:
    """`own[item=c,site=k]` → `own[item=c,site=k,period=2028]` in a build-out; unchanged for a single purchase."""
    if out.scenario.periods is None:
        return name
    return f"{name[:-1]},period={out.labels[p]}]"


def _period_owner(out: Buildout, p: int, **fields) -> Owner:
    return Owner(period=out.labels[p] if out.scenario.periods is not None else None, **fields)


def _buyable(out: Buildout, item, q: int) -> bool:
    """Can the item be bought in period q: priced and inside its availability window."""
    return item.price is not None and on_market(out, item, q)


def _leasable(out: Buildout, item, q: int) -> bool:
    """Can a lease of the item be signed in period q: it has a lease offer and is on the market."""
    return getattr(item, "lease", None) is not None and on_market(out, item, q)


def on_market(out: Buildout, item, q: int) -> bool:
    """Is period q inside the item's availability window (always, for a single purchase)?"""
    periods = out.scenario.periods
    return rules_on_market(item, None if periods is None else periods.start + out.years[q])


def alive(out: Buildout, item, q: int, p: int) -> bool:
    """Bought at the start of q, still in service at the start of p (a single purchase: always)."""
    if out.scenario.periods is None:
        return q == p
    return q <= p and out.years[p] < out.years[q] + item.lifetime - 1e-9


def lease_covers(out: Buildout, lease, q: int, p: int) -> bool:
    """Does a lease signed at the start of q hold in p (it runs whole periods until its term is over)?"""
    return q <= p and out.years[p] < out.years[q] + lease.term - 1e-9


def add_ownership(out: Buildout) -> None:
    """used[c,k,p] ≤ I[c,k,p] + Σ_{q ≤ p alive} b[c,k,q] + Σ_{q ≤ p covering p} s[c,k,q] for every
    item, site and period (and optics)."""
    lm, catalog = out.lm, out.catalog
    for p, part in enumerate(out.parts):
        for (category, item_id, site), used in used_units(part).items():
            item = catalog.find(item_id)[1]
            owned = Expr(constant=float(out.installed.get((item_id, site, p), 0)))
            for q in range(p + 1):
                if alive(out, item, q, p) and _buyable(out, item, q):
                    owned += _purchase(out, category, item_id, site, q)
                if _leasable(out, item, q) and lease_covers(out, item.lease, q, p):
                    owned += _signing(out, category, item_id, site, q)
            lm.le(scoped(out, f"own[item={item_id},site={site}]", p), "ownership", used, owned,
                  origin="installed", owner=_period_owner(out, p, item=item_id, site=site))
        _optics_ownership(out, p, part)
        _rack_ownership(out, p, part)
        _blocks_stay_built(out, p, part)


def _purchase(out: Buildout, category: str, item_id: str, site: str, q: int) -> Expr:
    """b[c,k,q]: units of an item bought at a site in period q (made on first use)."""
    return _per_period_variable(out, out.purchases, "buy", category, item_id, site, q)


def _signing(out: Buildout, category: str, item_id: str, site: str, q: int) -> Expr:
    """Leases of an item signed at a site in period q (made on first use)."""
    return _per_period_variable(out, out.lease_signings, "lease", category, item_id, site, q)


def _per_period_variable(out: Buildout, table: dict, symbol: str, category: str, item_id: str, site: str,
                         q: int) -> Expr:
    key = (category, item_id, site, q)
    if key not in table:
        table[key] = out.lm.var(scoped(out, f"{symbol}[item={item_id},site={site}]", q),
                                owner=_period_owner(out, q, item=item_id, site=site))
    return table[key]


def lease_opex(out: Buildout) -> list[Expr]:
    """lease_p per year of each period: every lease in force, and the rest of the terms that outlast
    the build-out with the last period (module docstring; rules.lease_years)."""
    opex = [Expr() for _ in out.parts]
    for (category, item_id, site, q), signed in out.lease_signings.items():
        lease = out.catalog.find(item_id)[1].lease
        for p, paid in lease_years(lease.term, out.years, out.lengths, q).items():
            opex[p].add_scaled(signed, lease.price_per_hour * HOURS_PER_YEAR * paid / out.lengths[p])
    return opex


def _optics_ownership(out: Buildout, p: int, part: BuiltModel) -> None:
    """Optics are bought with the links that need them and live as long as their switch type."""
    used: dict[tuple[str, str], Expr] = {}
    for fabric in part.fabrics:
        for s_id in fabric.leaves:
            used.setdefault((s_id, fabric.site), Expr()).add_scaled(optics_count(part, fabric, s_id), 1.0)
    for (s_id, site), count in used.items():
        switch = out.catalog.switches[s_id]
        owned = Expr()
        for q in range(p + 1):
            if alive(out, switch, q, p) and _buyable(out, switch, q):
                key = (s_id, site, q)
                if key not in out.optic_purchases:
                    out.optic_purchases[key] = out.lm.var(scoped(out, f"buy_optics[switch={s_id},site={site}]", q),
                                                          owner=_period_owner(out, q, item=f"{s_id}-optic", site=site))
                owned += out.optic_purchases[key]
        out.lm.le(scoped(out, f"own_optics[switch={s_id},site={site}]", p), "ownership", count, owned,
                  owner=_period_owner(out, p, item=f"{s_id}-optic", site=site))


def _rack_ownership(out: Buildout, p: int, part: BuiltModel) -> None:
    """Fitted rack positions, when they have a price, are bought once and kept for good."""
    if out.scenario.policies.costs.rack_price <= 0:
        return
    for site, racks in part.site_racks.items():
        key = (site, p)
        out.rack_purchases[key] = out.lm.var(scoped(out, f"buy_racks[site={site}]", p),
                                             owner=_period_owner(out, p, item="rack", site=site))
        owned = total(out.rack_purchases[(site, q)] for q in range(p + 1) if (site, q) in out.rack_purchases)
        out.lm.le(scoped(out, f"own_racks[site={site}]", p), "ownership", racks, owned,
                  owner=_period_owner(out, p, item="rack", site=site))


def _blocks_stay_built(out: Buildout, p: int, part: BuiltModel) -> None:
    """Blocks of facility power standing in p are those of p − 1 and those built in p (never fewer)."""
    for site, blocks in part.site_blocks.items():
        before = out.parts[p - 1].site_blocks[site] if p > 0 else Expr()
        out.block_purchases[(site, p)] = blocks - before
        if p > 0:
            out.lm.ge(scoped(out, f"blocks[site={site}]", p), "ownership", blocks, before,
                      origin=f"sites[{[s.name for s in out.scenario.sites].index(site)}].build",
                      owner=_period_owner(out, p, site=site))


def price_in(out: Buildout, item, q: int) -> float:
    """An item's price in period q: its catalog price changing by `price_change` per year."""
    return price_after(item, out.years[q])


def discount(out: Buildout, p: int) -> float:
    """The factor that brings money of period p to the first period's start."""
    return (1.0 + out.scenario.discount_rate) ** -out.years[p]


def add_buildout_metrics(out: Buildout) -> None:
    """Per-period capex (purchases), opex (energy of what is in use, maintenance of what is owned),
    energy, carbon and facility power; the build-out's NPV and totals (module docstring)."""
    catalog, rack_price = out.catalog, out.scenario.policies.costs.rack_price
    maintenance = out.scenario.policies.costs.maintenance
    capex_of = [Expr() for _ in out.parts]
    for (category, item_id, site, q), b in out.purchases.items():
        capex_of[q].add_scaled(b, price_in(out, catalog.find(item_id)[1], q))
    for (s_id, site, q), b in out.optic_purchases.items():
        capex_of[q].add_scaled(b, catalog.switches[s_id].optic_price)
    for (site, q), b in out.rack_purchases.items():
        capex_of[q].add_scaled(b, rack_price)
    sites = {s.name: s for s in out.scenario.sites}
    for (site, q), built_now in out.block_purchases.items():
        capex_of[q].add_scaled(built_now, block_price(sites[site]))
    npv, capex, energy, carbon = Expr(), Expr(), Expr(), Expr()
    leases = lease_opex(out)
    for p, part in enumerate(out.parts):
        owned_capex = _owned_capex(out, p) if maintenance else Expr()
        opex = part.metrics["energy_cost"] + part.metrics["colocation"] + leases[p] + owned_capex * maintenance
        metrics = {"capex": capex_of[p], "opex": opex, "energy": part.metrics["energy"],
                   "carbon": part.metrics["carbon"], "power": part.metrics["power"],
                   "energy_cost": part.metrics["energy_cost"]}
        out.period_metrics.append(metrics)
        npv.add_scaled(capex_of[p] + opex * out.lengths[p], discount(out, p))
        capex.add_scaled(capex_of[p], 1.0)
        energy.add_scaled(part.metrics["energy"], out.lengths[p])
        carbon.add_scaled(part.metrics["carbon"], out.lengths[p])
    peak = out.lm.var("peak_power", integer=False)
    for p, metrics in enumerate(out.period_metrics):
        name = "peak_power" if out.scenario.periods is None else f"peak_power[period={out.labels[p]}]"
        out.lm.ge(name, "metrics", peak, metrics["power"])
    out.metrics = {"tco": npv, "capex": capex, "energy": energy, "carbon": carbon, "power": peak,
                   "opex": total(m["opex"] * out.lengths[p] for p, m in enumerate(out.period_metrics))}


def _owned_capex(out: Buildout, p: int) -> Expr:
    """The purchase price of everything bought in the plan and still in service in period p."""
    owned = Expr()
    for (category, item_id, site, q), b in out.purchases.items():
        item = out.catalog.find(item_id)[1]
        if alive(out, item, q, p):
            owned.add_scaled(b, price_in(out, item, q))
    return owned


def add_buildout_limits(out: Buildout) -> None:
    """limits: capex (each period's purchases), power (facility kW), energy and carbon (per year) in
    every period; tco on the NPV."""
    limits = out.scenario.limits
    for name in BUILDOUT_LIMITS:
        cap = getattr(limits, name)
        if cap is None:
            continue
        for p, metrics in enumerate(out.period_metrics):
            out.lm.le(scoped(out, f"limit[{name}]", p), "limits", metrics[name], cap,
                      origin=f"limits.{name}", owner=_period_owner(out, p))
    if limits.tco is not None:
        out.lm.le("limit[tco]", "limits", out.metrics["tco"], limits.tco, origin="limits.tco")


def period_year(out: Buildout, p: int) -> float | None:
    """The calendar year period p starts (None for a single purchase)."""
    return label_year(out.labels[p]) if out.scenario.periods is not None else None
