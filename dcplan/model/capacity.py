"""Site capacity: racks (packed by rack units and rack power) and power (with PUE)."""

from __future__ import annotations

import math

import numpy as np

from dcplan.model.built import BuiltModel, item_values, optics_count, pool_table, switch_count
from dcplan.model.columns import first_seen, pool_columns
from dcplan.model.linear import Expr, Owner, RowBatch, VarBatch, total
from dcplan.rules import idle_kw, rack_power_for, rack_share


def add_racks(built: BuiltModel) -> None:
    """Racks per (item, site, group), packed by rack units and rack power; Σ racks ≤ site racks.

    r[c,k,g] ≥ f_c,k · Σ units of c at (k, g), where f = 1/(units per rack) or
    the positions one unit needs (units_per_rack), with the rack power of c's
    cooling kind at k (liquid_rack_power for a liquid-cooled c at a site with
    both kinds); f = 1 for a rack-scale system, a whole rack as shipped
    (rules.rack_share). Pools never stand where c cannot (rules.placement_refusal). Spares are installed, so they
    count at full power here. Isolated security levels get their own racks (g).
    """
    scenario, lm = built.scenario, built.lm
    sites = {s.name: s for s in scenario.sites}
    keys, pool_key = _rack_keys(built)
    switches: dict[int, list[Expr]] = {}
    for fabric in built.fabrics:
        for s_id in fabric.leaves:
            switches.setdefault(keys.setdefault((s_id, fabric.site, fabric.group), len(keys)), []).append(
                switch_count(fabric, s_id))
    ones = np.ones(len(built.pools))
    units = pool_table(built).grouped(pool_key, len(keys), ones, ones)
    new, rows = VarBatch(lm), RowBatch()
    for (item_id, site_name, group), k in keys.items():
        site = sites[site_name]
        item = built.catalog.find(item_id)[1]
        factor = rack_share(site, item)
        if factor == 0.0:
            continue
        count = total([units[k], *switches.get(k, [])])
        key = f"item={item_id},site={site_name},group={group}"
        owner = Owner(item=item_id, site=site_name, group=group)
        racks = new.add(f"r[{key}]", owner=owner)
        rows.expr(f"racks.packing[{key}]", "rack_packing", Expr({racks: 1.0}) - count * factor, lo=0.0,
                  origin=f"sites[{list(sites).index(site_name)}].{rack_power_field(site, item)}", owner=owner)
        built.racks[(item_id, site_name, group)] = Expr({racks: 1.0})
    new.commit()
    for index, site in enumerate(scenario.sites):
        used = total(r for (i, k, g), r in built.racks.items() if k == site.name)
        built.site_racks[site.name] = used
        if site.cloud:
            continue  # the provider's racks: no limit, no rows
        rows.expr(f"racks[site={site.name}]", "racks", used, hi=float(site.racks), origin=f"sites[{index}].racks",
                  owner=Owner(site=site.name))
    lm.add_batch(rows)


def _rack_keys(built: BuiltModel) -> tuple[dict[tuple[str, str, str], int], np.ndarray]:
    """The (item, site, group) of each pool's racks, numbered as they first appear among the pools, and each
    pool's number."""
    columns, site_names = pool_columns(built), [s.name for s in built.scenario.sites]
    ids: dict[str, int] = {}
    id_of = np.array([ids.setdefault(item, len(ids)) for _, item in columns.items], dtype=np.int64)
    sites, groups, id_list = len(site_names), len(columns.groups), list(ids)
    codes, pool_key, _ = first_seen((id_of[columns.item] * sites + columns.site) * groups + columns.group)
    keys = {(id_list[c // (sites * groups)], site_names[c // groups % sites], columns.groups[c % groups]): k
            for k, c in enumerate(codes.tolist())}
    return keys, pool_key


def add_power(built: BuiltModel) -> None:
    """Σ IT power × PUE ≤ site power, per site (a cloud site has no power limit).

    IT power = Σ_pools (P_c·x + P_idle,c·y) + Σ_switches P_s·(L + S) + optics · P_optic.
    Spares stand by at idle power: one only draws full power when it replaces a
    failed server, which then draws nothing.
    """
    scenario, lm = built.scenario, built.lm
    table = pool_table(built)
    power, idle = item_values(built, lambda item: item.power), item_values(built, idle_kw)
    site_of = pool_columns(built).site  # index in scenario.sites
    for index, site in enumerate(scenario.sites):
        it = table.sum(power, idle, site_of == index)
        for fabric in built.fabrics:
            if fabric.site == site.name:
                for s_id, sw in ((s, built.catalog.switches[s]) for s in fabric.leaves):
                    it += switch_count(fabric, s_id) * sw.power + optics_count(built, fabric, s_id) * (
                        sw.optic_power / 1000.0)
        built.site_it_power[site.name] = it
        if site.cloud:
            continue  # the provider's power: no limit (its energy is in the instances' hourly price)
        lm.le(f"power[site={site.name}]", "power", it * site.pue, site.power, origin=f"sites[{index}].power",
              owner=Owner(site=site.name))  # one row per site: written as it is, the sum is already arrays
        if site.build is not None:
            add_site_build(built, index, site, it)


def add_site_build(built: BuiltModel, index: int, site, it: Expr) -> None:
    """A site not built yet: its facility power is built in whole blocks, bought with the plan.

        n[k] ∈ ℤ≥0, n[k] ≤ ⌈power_k / block_k⌉              blocks of facility power built at k
        IT_k × PUE_k ≤ block_k · n[k]                           build[site=k]
        capex += n[k] · block_k (MW) · cost_per_mw_k

    The power row above still holds (`power` is the most the site can be built to), so a last
    block may be built beyond it (a 7.5 MW site in blocks of 5 MW builds 2 and uses 7.5). In a
    build-out n is the count standing in the period; dcplan/model/buildout.py links periods
    (blocks stay built) and charges each block in the period it is built.
    """
    lm = built.lm
    most = math.ceil(site.power / site.build.block - 1e-9)
    owner = Owner(site=site.name)
    blocks = lm.var(f"blocks[site={site.name}]", ub=most, owner=owner)
    built.site_blocks[site.name] = blocks
    lm.le(f"build[site={site.name}]", "build", it * site.pue, blocks * site.build.block,
          origin=f"sites[{index}].build", owner=owner)


def rack_power_field(site, item) -> str:
    """The site field that sets the power of the racks `item` goes in (for a row's origin)."""
    return "rack_power" if rack_power_for(site, item) == site.rack_power else "liquid_rack_power"
