"""A build-out's own tables: the purchase schedule (period × item), the installed base and a summary
per period. Rendered after the plan's usual tables (dcplan.report.plan) when the plan has periods."""

from __future__ import annotations

from collections import defaultdict


def buildout_tables(plan) -> list:
    """rich Tables for a build-out plan (nothing for a single purchase)."""
    if not plan.periods:
        return []
    return [_summary(plan), _schedule(plan), _installed(plan)]


def _money(value: float, currency: str = "") -> str:
    return f"{value:,.0f}{' ' + currency if currency else ''}"


def _summary(plan):
    from rich.table import Table

    table = Table(title="Periods (capex of the purchases, opex per year of what is in use)")
    for column in ("period", "capex", "opex / year", "IT kW", "facility kW", "racks", "accelerators"):
        table.add_column(column, justify="left" if column == "period" else "right")
    for p in plan.periods:
        table.add_row(p.label, _money(p.capex, plan.currency), _money(p.opex, plan.currency), f"{p.it_power_kw:,.1f}",
                      f"{p.facility_power_kw:,.1f}", str(p.racks), str(p.accelerators))
    npv = plan.totals.get("npv")
    if npv is not None:
        table.add_row("NPV", _money(npv, plan.currency), "", "", "", "", "", style="bold")
    return table


def _schedule(plan):
    """Units bought, one row per (site, item), one column per period; leases signed in a row of their own."""
    from rich.table import Table

    labels = [p.label for p in plan.periods]
    bought: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for line in plan.bom:
        key = (line.site, f"{line.item} (leased)" if line.sourcing == "leased" else line.item)
        bought[key][line.period] = bought[key].get(line.period, 0) + line.quantity
    leases = any(line.sourcing == "leased" for line in plan.bom)
    table = Table(title="Purchase schedule (units bought, and leases signed, per period)" if leases
                  else "Purchase schedule (units bought per period)")
    table.add_column("site")
    table.add_column("item")
    for label in labels:
        table.add_column(label, justify="right")
    for (site, item), per in bought.items():
        table.add_row(site, item, *[str(per[label]) if per.get(label) else "" for label in labels])
    return table


def _installed(plan):
    """Units owned and in service each period: the installed base and earlier purchases, after retirements."""
    from rich.table import Table

    labels = [p.label for p in plan.periods]
    owned: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for p in plan.periods:
        for entry in p.installed:
            owned[(entry["site"], entry["item"])][p.label] = entry["quantity"]
    table = Table(title="Installed base (units owned and in service per period)")
    table.add_column("site")
    table.add_column("item")
    for label in labels:
        table.add_column(label, justify="right")
    for (site, item), per in sorted(owned.items()):
        table.add_row(site, item, *[str(per.get(label, 0)) for label in labels])
    return table
