"""Storage that follows a training cluster to its site."""

from __future__ import annotations

from dcplan.model.built import BuiltModel, pools_of
from dcplan.model.linear import Expr, total
from dcplan.sizing.derived import derived_name


def add_colocation(built: BuiltModel) -> None:
    """Storage bought for a training run sits at the site of the run's cluster.

    For a storage workload s with `colocate_with: t`, at every site k:

        Σ_c x[s,c,k] ≤ U_s,k · Σ_c' z[t,c',k]                         colocation.site
        Σ_c thr_c · x[s,c,k] ≥ Σ_c' T_c' · z[t,c',k]                  colocation.throughput

    U_s,k is the most nodes s may hold at k (its pool bounds), thr_c a node's throughput and
    T_c' the GB/s the cluster needs when it is built of server type c': checkpoint writes of
    its accelerators plus the dataset read rate (sizing's `storage_throughput_GBps`). The
    throughput rows belong to the storage dcplan derives from the run (`<t>.storage`); storage
    a scenario colocates itself keeps its own fixed throughput. Exactly one z[t,·,·] is 1, so the storage
    sits where the cluster is, with the throughput that cluster needs; its capacity and
    erasure-set rows are those of any storage workload (add_demand, add_storage_durability).
    """
    scenario = built.scenario
    for index, workload in enumerate(scenario.workloads):
        target = getattr(workload, "colocate_with", None)
        if target is None:
            continue
        storage, cluster = pools_of(built, workload.name), pools_of(built, target)
        origin = f"workloads[{index}].colocate_with"
        for site in scenario.sites:
            nodes = [p for p in storage if p.site == site.name]
            chosen = [p for p in cluster if p.site == site.name]
            here = total(p.choice for p in chosen) if chosen else Expr()
            key = f"workload={workload.name},site={site.name}"
            if nodes:
                built.lm.le(f"colocation.site[{key}]", "colocation", total(p.active for p in nodes),
                            here * sum(p.bound for p in nodes), origin=origin)
            if workload.name != derived_name(target):
                continue
            need = Expr()
            for pool in chosen:
                need.add_scaled(pool.choice, float(pool.candidate.detail.get("storage_throughput_GBps", 0.0)))
            if not need.terms:
                continue
            supply = Expr()
            for pool in nodes:
                supply.add_scaled(pool.active, built.catalog.storage[pool.item].throughput)
            built.lm.ge(f"colocation.throughput[{key}]", "colocation", supply, need, origin=origin)
