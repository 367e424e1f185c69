"""Independent check of a build-out's plan: every period on its own, then the purchases that link them.

Each period plan (what is in use in the period) is checked by dcplan.plan.verify against the
scenario as it stands in that period: demand, spares, security, durability, fabrics, racks,
power and generic constraints. Then, from the plan's BOM of purchases, the scenario's installed
base and the catalog's lifetimes, availability windows and price changes alone:
- in every period, what is in use is owned: installed or bought earlier, not retired;
- every purchase is of a priced item, in a period it can be bought in, at its period's price;
- every lease is of an item with a lease offer, signed while it is available, at no capex; it
  holds in the periods its term covers and is paid in each of them (rules.lease_years);
- blocks of facility power are built only at sites being built, at their block price, and stay built;
- capex, opex, NPV and the objective recompute to the plan's figures, with each period's energy
  recomputed from the period plan; every limit holds in every period.
Nothing of dcplan.model is used.
"""

from __future__ import annotations

import math
from collections import defaultdict

from dcplan.plan.objects import Plan
from dcplan.plan.verify import PlanVerificationError, period_energy, verify
from dcplan.rules import HOURS_PER_YEAR, block_price, lease_years, on_market, price_after
from dcplan.scenario.timeline import in_period

REL_TOL = 1e-6


def verify_buildout(plan: Plan, scenario, catalog, requirements: list[dict]) -> None:
    problems: list[str] = []
    periods = scenario.periods
    labels = periods.labels if periods is not None else [None]
    years = [periods.years_from_start(i) for i in range(periods.count)] if periods is not None else [0.0]
    lengths = [periods.length] * periods.count if periods is not None else [scenario.horizon]
    for p, sub in enumerate(plan.period_plans):
        try:
            verify(sub, in_period(scenario, p), catalog, requirements[p], whole=False)
        except PlanVerificationError as err:
            problems += [f"{labels[p] or 'plan'}: {problem}" for problem in err.problems]
    _check_purchases(plan, scenario, catalog, labels, years, problems)
    _check_ownership(plan, scenario, catalog, labels, years, problems)
    _check_costs(plan, scenario, catalog, requirements, labels, years, lengths, problems)
    if problems:
        raise PlanVerificationError(problems)


def _alive(scenario, item, bought: float, year: float) -> bool:
    """In service at `year` (years from the first period) when bought at `bought`."""
    if scenario.periods is None:
        return True
    return bought - 1e-9 <= year < bought + item.lifetime - 1e-9


def _check_purchases(plan, scenario, catalog, labels, years, problems) -> None:
    for line in plan.bom:
        q = labels.index(line.period) if line.period in labels else None
        if q is None:
            problems.append(f"BOM {line.site}/{line.item}: bought in {line.period!r}, which is no period")
            continue
        if line.category == "facility":
            _check_block(line, scenario, problems)
            continue
        if line.category in ("optic", "rack"):
            continue
        item = catalog.find(line.item)[1]
        _check_window(line, item, scenario, years[q], problems)
        if line.sourcing == "leased":
            _check_lease(line, item, problems)
            continue
        if item.price is None:
            problems.append(f"BOM {line.site}/{line.item}: bought, but the catalog has no price for it")
            continue
        expected = price_after(item, years[q])
        if not math.isclose(line.unit_price, expected, rel_tol=REL_TOL):
            problems.append(f"BOM {line.site}/{line.item}: unit price {line.unit_price:,.2f} in {line.period}, "
                            f"the catalog's price then is {expected:,.2f}")


def _check_window(line, item, scenario, year: float, problems) -> None:
    """Bought or leased only while the item is on the market."""
    if scenario.periods is not None and not on_market(item, scenario.periods.start + year):
        problems.append(f"BOM {line.site}/{line.item}: {line.sourcing or 'bought'} in {line.period}, "
                        "outside its availability")


def _check_lease(line, item, problems) -> None:
    """A leased line: the item has a lease offer, no capex, the offer's price a year per unit."""
    lease = getattr(item, "lease", None)
    if lease is None:
        problems.append(f"BOM {line.site}/{line.item}: leased, but the catalog offers no lease for it")
    elif line.extended_price != 0 or not math.isclose(line.lease_per_year or 0.0,
                                                      lease.price_per_hour * HOURS_PER_YEAR, rel_tol=REL_TOL):
        problems.append(f"BOM {line.site}/{line.item}: a leased line costs no capex and "
                        f"{lease.price_per_hour * HOURS_PER_YEAR:,.2f} a year per unit; it says "
                        f"{line.extended_price:,.2f} and {line.lease_per_year}")


def _check_block(line, scenario, problems) -> None:
    """Blocks of facility power are built only at a site being built, at its block price."""
    site = next((s for s in scenario.sites if s.name == line.site), None)
    if site is None or site.build is None:
        problems.append(f"BOM {line.site}/{line.item}: facility power built at a site that is not being built")
    elif not math.isclose(line.unit_price, block_price(site), rel_tol=REL_TOL):
        problems.append(f"BOM {line.site}/{line.item}: a block costs {block_price(site):,.2f}, the line says "
                        f"{line.unit_price:,.2f}")


def _owned(plan, scenario, catalog, labels, years, p: int) -> dict[tuple[str, str], float]:
    """(site, item) → units owned and in service in period p (installed base and purchases)."""
    owned: dict[tuple[str, str], float] = defaultdict(float)
    first = scenario.periods.start if scenario.periods is not None else 0.0
    for entry in scenario.installed:
        item = catalog.find(entry.item)[1]
        if scenario.periods is not None:
            since = (entry.since if entry.since is not None else first) - first
            if years[p] >= since + item.lifetime - 1e-9:
                continue  # retired before this period starts
        owned[(entry.site, entry.item)] += entry.quantity
    for line in plan.bom:
        q = labels.index(line.period) if line.period in labels else None
        if q is None or line.category == "optic":
            continue
        if line.sourcing == "leased":
            lease = catalog.find(line.item)[1].lease
            if p in lease_years(lease.term, years, _lengths(scenario), q):
                owned[(line.site, line.item)] += line.quantity
            continue
        kept = line.category in ("rack", "facility")  # rack positions and buildings stay for good
        lifetime_of = None if kept else catalog.find(line.item)[1]
        if kept or _alive(scenario, lifetime_of, years[q], years[p]):
            owned[(line.site, line.item)] += line.quantity
    return owned


def _check_ownership(plan, scenario, catalog, labels, years, problems) -> None:
    for p, sub in enumerate(plan.period_plans):
        owned = _owned(plan, scenario, catalog, labels, years, p)
        for line in sub.bom:
            if line.category == "optic" or (line.category == "rack" and scenario.policies.costs.rack_price <= 0):
                continue  # optics go with their switches; unpriced rack positions are the site's, not bought
            if line.quantity > owned.get((line.site, line.item), 0) + 1e-9:
                problems.append(f"{labels[p] or 'plan'}: {line.quantity} {line.item} in use at {line.site}, "
                                f"{owned.get((line.site, line.item), 0):g} owned")


def _lengths(scenario) -> list[float]:
    periods = scenario.periods
    return [periods.length] * periods.count if periods is not None else [scenario.horizon]


def _lease_opex(plan, catalog, labels, years, lengths) -> list[float]:
    """What the leased lines cost per year in each period: every year each lease is paid (rules.lease_years)."""
    opex = [0.0] * len(labels)
    for line in plan.bom:
        if line.sourcing == "leased" and line.period in labels:
            lease = catalog.find(line.item)[1].lease
            for p, paid in lease_years(lease.term, years, lengths, labels.index(line.period)).items():
                opex[p] += line.quantity * lease.price_per_hour * HOURS_PER_YEAR * paid / lengths[p]
    return opex


def _check_costs(plan, scenario, catalog, requirements, labels, years, lengths, problems) -> None:
    rate, maintenance = scenario.discount_rate, scenario.policies.costs.maintenance
    npv = total = 0.0
    leases = _lease_opex(plan, catalog, labels, years, lengths)
    for p, sub in enumerate(plan.period_plans):
        capex = sum(line.extended_price for line in plan.bom if line.period == labels[p])
        owned_capex = sum(line.extended_price for line in plan.bom if line.period in labels
                          and line.category not in ("optic", "rack", "facility") and line.sourcing != "leased"
                          and _alive(scenario, catalog.find(line.item)[1], years[labels.index(line.period)], years[p]))
        energy = period_energy(sub, in_period(scenario, p), catalog, requirements[p])
        opex = (energy["energy_cost_per_year"] + energy["colocation_per_year"] + leases[p]
                + maintenance * owned_capex)
        if plan.periods and not math.isclose(plan.periods[p].capex, capex, rel_tol=REL_TOL, abs_tol=1e-6):
            problems.append(f"{labels[p]}: capex {plan.periods[p].capex:,.2f}, purchases add up to {capex:,.2f}")
        npv += (1.0 + rate) ** -years[p] * (capex + lengths[p] * opex)
        total += capex + lengths[p] * opex
        _check_period_limits(scenario, labels[p], capex, energy, problems)
    if "npv" in plan.totals and not math.isclose(plan.totals["npv"], npv, rel_tol=REL_TOL, abs_tol=1e-6):
        problems.append(f"totals.npv: plan says {plan.totals['npv']:,.6g}, recomputed {npv:,.6g}")
    if not math.isclose(plan.totals["tco"], total, rel_tol=REL_TOL, abs_tol=1e-6):
        problems.append(f"totals.tco: plan says {plan.totals['tco']:,.6g}, recomputed {total:,.6g}")
    if scenario.limits.tco is not None and npv > scenario.limits.tco * (1 + REL_TOL):
        problems.append(f"limit tco: {npv:,.6g} exceeds {scenario.limits.tco:,.6g}")


def _check_period_limits(scenario, label, capex: float, energy: dict, problems) -> None:
    values = {"capex": capex, "power": energy["facility_power_kw"], "energy": energy["energy_mwh_per_year"],
              "carbon": energy["carbon_t_per_year"]}
    for name, value in values.items():
        cap = getattr(scenario.limits, name)
        if cap is not None and value > cap + REL_TOL * max(1.0, abs(cap)):
            problems.append(f"{label or 'plan'}: limit {name}: {value:,.6g} exceeds {cap:,.6g}")
