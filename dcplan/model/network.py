"""Leaf/spine fabrics with optics: every server and storage port lands on a leaf."""

from __future__ import annotations

import numpy as np

from dcplan.model.built import BuiltModel, Fabric, pool_table
from dcplan.model.columns import first_seen, pool_columns
from dcplan.model.linear import Expr, Owner, RowBatch, VarBatch, total
from dcplan.rules import item_of, leaf_split, serves_fabric


def _eligible_switches(built: BuiltModel, speeds, kind: str) -> list[str]:
    """Priced switches a fabric may use: fast enough for its slowest ports, of a protocol it speaks
    (rules.serves_fabric), and the one `policies.network.switch` names when it names one of those;
    less the dominated ones (_undominated)."""
    fitting = [s_id for s_id, sw in sorted(built.catalog.switches.items())
               if sw.price is not None and sw.port_speed >= min(speeds) and serves_fabric(sw, kind)]
    wanted = built.scenario.policies.network.switch
    return [wanted] if wanted in fitting else _undominated(built, fitting, max(speeds))


def _undominated(built: BuiltModel, ids: list[str], fastest: float) -> list[str]:
    """Drop a switch type s that another type t of the fabric dominates: t takes every port s could take
    (speed_t ≥ min(speed_s, fastest port)), has at least as many ports (so as many down and up ports per
    leaf, and spine ports), and costs no more of anything the model counts: price, power, rack units,
    optic price and power, with the same lifetime, availability and price change. Replacing each s by a t
    keeps a plan feasible and no dearer, so an optimum survives; of identical types the smaller id stays.
    Not applied with generic `constraints` (they may count anything) or to installed switches."""
    if built.scenario.constraints:
        return ids
    switches, installed = built.catalog.switches, {entry.item for entry in built.scenario.installed}

    def dominates(t, s) -> bool:
        return (t.port_speed >= min(s.port_speed, fastest) and t.ports >= s.ports and t.price <= s.price
                and t.power <= s.power and t.rack_units <= s.rack_units and t.optic_price <= s.optic_price
                and t.optic_power <= s.optic_power and (t.lifetime, t.available, t.price_change)
                == (s.lifetime, s.available, s.price_change))

    def dropped(s_id: str) -> bool:
        s = switches[s_id]
        return s_id not in installed and any(
            dominates(switches[t_id], s) and (not dominates(s, switches[t_id]) or t_id < s_id)
            for t_id in ids if t_id != s_id)
    return [s_id for s_id in ids if not dropped(s_id)]


def add_network(built: BuiltModel) -> None:
    """Leaf/spine fabrics: every server and storage port lands on a leaf; optics per link end.

    Fabrics: one back-end per training cluster (w, k) at `training_oversubscription`
    (1 = non-blocking), one front-end per (site, isolation group) at
    `frontend_oversubscription` o. A back-end may use Ethernet or InfiniBand switches,
    a front-end Ethernet ones only (rules.serves_fabric). For a switch type s with P_s ports, a leaf has
    d_s = ⌊P_s·o/(1+o)⌋ server-facing and u_s = P_s − d_s spine-facing ports.
    Ports are grouped by NIC speed v; a port may only land on a switch at least
    as fast (no breakout cables):
        ports_{f,v} = Σ_pools with speed v nics·(x + y)·(2 if dual_homed)
        Σ_{s: speed_s ≥ v} a[f,s,v] ≥ ports_{f,v}        (server links of speed v on type s)
        Σ_v a[f,s,v] ≤ d_s·L[f,s]                         (leaves)
        o·U[f,s] ≥ Σ_v a[f,s,v],  U[f,s] ≤ u_s·L[f,s]    (uplinks: down:up at most o)
        P_s·S[f,s] ≥ U[f,s]                                (spines)
    Optics: one per link end, 2·Σ_v a[f,s,v] + 2·U[f,s].
    """
    scenario, lm = built.scenario, built.lm
    policy = scenario.policies.network
    new, rows = VarBatch(lm), RowBatch()
    for (kind, label, site, group, workload), by_speed in _fabric_ports(built, 2 if policy.dual_homed else 1).items():
        oversub = policy.training_oversubscription if kind == "backend" else policy.frontend_oversubscription
        fabric = Fabric(f"{label}@{site}", kind, site, group, oversub, total(by_speed.values()), period=built.period)
        key = f"fabric={fabric.name}"
        links_by_speed: dict[float, list[int]] = {v: [] for v in by_speed}
        for s_id in _eligible_switches(built, by_speed, kind):
            speeds = sorted(v for v in by_speed if built.catalog.switches[s_id].port_speed >= v)
            _add_switch_type(built, new, rows, fabric, s_id, workload, key, speeds, links_by_speed)
        for speed, ports in by_speed.items():
            links = Expr({i: 1.0 for i in links_by_speed[speed]})
            rows.expr(f"network.ports[{key},speed={speed:g}]", "network", links - ports, lo=0.0,
                      origin="policies.network", owner=Owner(workload, site=site, group=group, period=built.period))
        fabric.ports_by_speed = by_speed
        built.fabrics.append(fabric)
    new.commit()
    lm.add_batch(rows)


def _fabric_ports(built: BuiltModel, homing: int) -> dict[tuple, dict[float, Expr]]:
    """Each fabric's server ports by NIC speed, Σ nics·homing·(x + y) over its pools (summed as arrays).

    A back-end fabric per training workload and site; a front-end one per site and isolation group.
    Fabrics are listed in the order their pools first appear, and speeds in the order a fabric's pools
    bring them (so the model's variables keep their order)."""
    columns = pool_columns(built)
    site_names = [s.name for s in built.scenario.sites]
    nics = [item_of(built.catalog, kind, item).nics for kind, item in columns.items]
    count = np.array([0 if n is None else n.count for n in nics], dtype=np.int64)[columns.item]
    speeds = sorted({n.speed for n in nics if n is not None and n.count > 0})
    speed = np.array([speeds.index(n.speed) if n is not None and n.count > 0 else -1 for n in nics],
                     dtype=np.int64)[columns.item]
    # Fabric code: a training pool's (workload, site), else (group, site) after all of those.
    sites, workloads = len(site_names), len(columns.workloads)
    fabric = np.where(columns.training, columns.workload * sites + columns.site,
                      (workloads + columns.group) * sites + columns.site)
    wired = np.flatnonzero(count > 0)
    pairs, pair_of_wired, first = first_seen(fabric[wired] * len(speeds) + speed[wired])
    pair_of_pool = np.full(len(built.pools), -1, dtype=np.int64)
    pair_of_pool[wired] = pair_of_wired
    ports = (count * homing).astype(float)
    sums = pool_table(built).grouped(pair_of_pool, len(pairs), ports, ports)
    out: dict[tuple, dict[float, Expr]] = {}
    for pair, (code, pool) in enumerate(zip(pairs.tolist(), wired[first].tolist())):
        site, group = site_names[columns.site[pool]], columns.groups[columns.group[pool]]
        if columns.training[pool]:  # a back-end fabric belongs to its training workload
            workload = columns.workloads[columns.workload[pool]]
            key = ("backend", f"train:{workload}", site, group, workload)
        else:
            key = ("frontend", f"frontend:{group}", site, group, None)
        out.setdefault(key, {})[speeds[code % len(speeds)]] = sums[pair]
    return out


def _add_switch_type(built: BuiltModel, new: VarBatch, rows: RowBatch, fabric: Fabric, s_id: str, workload, key: str,
                     speeds: list[float], links_by_speed: dict[float, list[int]]) -> None:
    """Leaves L, spines S, uplinks U and links a per port speed of one switch type in a fabric, and its rows."""
    sw = built.catalog.switches[s_id]
    down, up = leaf_split(sw.ports, fabric.oversubscription)
    name = f"{key},switch={s_id}"
    owner = Owner(workload, s_id, fabric.site, fabric.group, built.period)
    leaves, spines, uplinks = (new.add(f"{symbol}[{name}]", owner=owner) for symbol in ("L", "S", "U"))
    links = []
    for speed in speeds:
        link = new.add(f"a[{name},speed={speed:g}]", owner=owner.with_detail((("speed", speed),)))
        links_by_speed[speed].append(link)
        links.append(link)
    ones = [1.0] * len(links)
    o = fabric.oversubscription
    rows.add(f"network.leaf_ports[{name}]", "network", links + [leaves], ones + [-float(down)], hi=0.0,
             origin="policies.network", owner=owner)
    rows.add(f"network.uplinks[{name}]", "network", [uplinks] + links, [float(o)] + [-1.0] * len(links), lo=0.0,
             origin="policies.network", owner=owner)
    rows.add(f"network.leaf_uplinks[{name}]", "network", [uplinks, leaves], [1.0, -float(up)], hi=0.0,
             origin="policies.network", owner=owner)
    rows.add(f"network.spine_ports[{name}]", "network", [spines, uplinks], [float(sw.ports), -1.0], lo=0.0,
             origin="policies.network", owner=owner)
    fabric.leaves[s_id], fabric.spines[s_id] = Expr({leaves: 1.0}), Expr({spines: 1.0})
    fabric.assigned[s_id], fabric.uplinks[s_id] = Expr({i: 1.0 for i in links}), Expr({uplinks: 1.0})
    fabric.links[s_id] = {v: Expr({link: 1.0}) for v, link in zip(speeds, links)}
