"""Every requirement is met: demand rows, site failure, storage durability."""

from __future__ import annotations

from dcplan.model.built import BuiltModel, Pool, pools_of, term
from dcplan.model.linear import Owner, RowBatch, VarBatch
from dcplan.rules import DEMAND_TOLERANCE


def add_demand(built: BuiltModel) -> None:
    """Every requirement is met.

    training:  Σ_{c,k} z[w,c,k] = 1                      (exactly one cluster)
    services:  Σ_{c,k} min(per_unit[c,d], D) · x[w,c,k] ≥ D,  D = (1 − 10⁻⁶)·demand[w,d]

    Clipping a coefficient at the right-hand side changes no integer solution
    (one such unit already meets D) but tightens the LP relaxation a lot for
    small workloads on big servers: without it the LP buys 0.01 of a server.
    """
    rows = RowBatch()
    for index, workload in enumerate(built.scenario.workloads):
        built.tick(index)
        req = built.requirements[workload.name]
        pools = pools_of(built, workload.name)
        origin, owner = f"workloads[{index}]", Owner(workload.name)
        if req.kind == "training":
            rows.add(f"train.choose[workload={workload.name}]", "demand", [term(p.choice)[0] for p in pools],
                     [1.0] * len(pools), 1.0, 1.0, origin=origin, owner=owner)
            continue
        for dim, amount in req.demand.items():
            need = amount * (1 - DEMAND_TOLERANCE)
            rows.add(f"demand[workload={workload.name},need={dim}]", "demand", [p.unit[0] for p in pools],
                     _coefficients(built, pools, dim, need),
                     lo=need,
                     origin=origin, owner=owner)
    built.lm.add_batch(rows)


def _coefficients(built: BuiltModel, pools: list[Pool], dim: str, need: float) -> list[float]:
    """A demand row's coefficient per pool: its supply of `dim` per unit, clipped at the right-hand side when
    strengthening, times the units its variable stands for (k for a replica of k servers)."""
    supplies = [p.candidate.per_unit.get(dim, 0.0) for p in pools]
    if built.strengthen:
        supplies = [min(a, need) for a in supplies]
    return [a * p.unit[1] for a, p in zip(supplies, pools)]


def add_site_failure(built: BuiltModel) -> None:
    """survive_site_failure: with any one site k0 down, the other sites still meet demand.

    ∀k0: Σ_{c, k≠k0} per_unit[c,d] · x[w,c,k] ≥ demand[w,d]
    """
    rows = RowBatch()
    for index, workload in enumerate(built.scenario.workloads):
        built.tick(index)
        if not getattr(workload, "survive_site_failure", False):
            continue
        req = built.requirements[workload.name]
        pools = pools_of(built, workload.name)
        for site in built.scenario.sites:
            for dim, amount in req.demand.items():
                need = amount * (1 - DEMAND_TOLERANCE)
                others = [p for p in pools if p.site != site.name]
                rows.add(f"site_failure[workload={workload.name},down={site.name},need={dim}]", "site_failure",
                         [p.unit[0] for p in others], _coefficients(built, others, dim, need), lo=need,
                         origin=f"workloads[{index}].survive_site_failure", owner=Owner(workload.name, site=site.name))
    built.lm.add_batch(rows)


def add_storage_durability(built: BuiltModel) -> None:
    """Erasure k+m (or r replicas) needs at least k+m (r) nodes in every site that holds data.

    u[w,k] ∈ {0,1} marks a site used:  Σ_c x[w,c,k] ≥ (k+m)·u[w,k],  Σ_c x[w,c,k] ≤ U·u[w,k].
    """
    new, rows = VarBatch(built.lm), RowBatch()
    for index, workload in enumerate(built.scenario.workloads):
        built.tick(index)
        req = built.requirements[workload.name]
        if req.kind != "storage" or req.min_units <= 0:
            continue
        by_site: dict[str, list[Pool]] = {}
        for pool in pools_of(built, workload.name):
            by_site.setdefault(pool.site, []).append(pool)
        for site in built.scenario.sites:
            pools = by_site.get(site.name, [])
            if not pools:
                continue
            owner = Owner(workload.name, site=site.name, period=built.period)
            used = new.add(f"u[workload={workload.name},site={site.name}]", ub=1, owner=owner)
            nodes, units = zip(*(p.unit for p in pools))  # units per variable (k for replicas)
            nodes, units = list(nodes), list(units)
            bound = sum(p.bound for p in pools)
            origin, key = f"workloads[{index}].durability", f"workload={workload.name},site={site.name}"
            rows.add(f"durability.min_nodes[{key}]", "durability", nodes + [used],
                     units + [-float(req.min_units)], lo=0.0, origin=origin, owner=owner)
            rows.add(f"durability.site_used[{key}]", "durability", nodes + [used], units + [-float(bound)],
                     hi=0.0, origin=origin, owner=owner)
    new.commit()
    built.lm.add_batch(rows)
