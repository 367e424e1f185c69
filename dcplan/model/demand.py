"""Every requirement is met: demand rows, site failure, storage durability."""

from __future__ import annotations

from dcplan.model.built import BuiltModel, Pool, pools_of
from dcplan.model.linear import Owner, total
from dcplan.rules import DEMAND_TOLERANCE


def add_demand(built: BuiltModel) -> None:
    """Every requirement is met.

    training:  Σ_{c,k} z[w,c,k] = 1                      (exactly one cluster)
    services:  Σ_{c,k} min(per_unit[c,d], D) · x[w,c,k] ≥ D,  D = (1 − 10⁻⁶)·demand[w,d]

    Clipping a coefficient at the right-hand side changes no integer solution
    (one such unit already meets D) but tightens the LP relaxation a lot for
    small workloads on big servers: without it the LP buys 0.01 of a server.
    """
    for index, workload in enumerate(built.scenario.workloads):
        req = built.requirements[workload.name]
        pools = pools_of(built, workload.name)
        origin = f"workloads[{index}]"
        if req.kind == "training":
            built.lm.eq(f"train.choose[workload={workload.name}]", "demand",
                        total(p.choice for p in pools), 1.0, origin=origin, owner=Owner(workload.name))
            continue
        for dim, amount in req.demand.items():
            need = amount * (1 - DEMAND_TOLERANCE)
            supply = total(p.active * _coefficient(built, p.candidate.per_unit.get(dim, 0.0), need) for p in pools)
            built.lm.ge(f"demand[workload={workload.name},need={dim}]", "demand", supply, need, origin=origin,
                        owner=Owner(workload.name))


def _coefficient(built: BuiltModel, per_unit: float, need: float) -> float:
    """A demand row's coefficient, clipped at the right-hand side when strengthening."""
    return min(per_unit, need) if built.strengthen else per_unit


def add_site_failure(built: BuiltModel) -> None:
    """survive_site_failure: with any one site k0 down, the other sites still meet demand.

    ∀k0: Σ_{c, k≠k0} per_unit[c,d] · x[w,c,k] ≥ demand[w,d]
    """
    for index, workload in enumerate(built.scenario.workloads):
        if not getattr(workload, "survive_site_failure", False):
            continue
        req = built.requirements[workload.name]
        pools = pools_of(built, workload.name)
        for site in built.scenario.sites:
            for dim, amount in req.demand.items():
                need = amount * (1 - DEMAND_TOLERANCE)
                supply = total(p.active * _coefficient(built, p.candidate.per_unit.get(dim, 0.0), need)
                               for p in pools if p.site != site.name)
                built.lm.ge(f"site_failure[workload={workload.name},down={site.name},need={dim}]", "site_failure",
                            supply, need, origin=f"workloads[{index}].survive_site_failure",
                            owner=Owner(workload.name, site=site.name))


def add_storage_durability(built: BuiltModel) -> None:
    """Erasure k+m (or r replicas) needs at least k+m (r) nodes in every site that holds data.

    u[w,k] ∈ {0,1} marks a site used:  Σ_c x[w,c,k] ≥ (k+m)·u[w,k],  Σ_c x[w,c,k] ≤ U·u[w,k].
    """
    for index, workload in enumerate(built.scenario.workloads):
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
            used = built.lm.var(f"u[workload={workload.name},site={site.name}]", ub=1,
                                owner=Owner(workload.name, site=site.name, period=built.period))
            nodes = total(p.active for p in pools)
            bound = sum(p.bound for p in pools)
            origin = f"workloads[{index}].durability"
            built.lm.ge(f"durability.min_nodes[workload={workload.name},site={site.name}]", "durability",
                        nodes, used * req.min_units, origin=origin, owner=Owner(workload.name, site=site.name))
            built.lm.le(f"durability.site_used[workload={workload.name},site={site.name}]", "durability",
                        nodes, used * bound, origin=origin, owner=Owner(workload.name, site=site.name))
