"""CPU services and storage: demand in aggregate (vCPUs and memory; raw capacity and throughput)."""

from __future__ import annotations

from dcplan.scenario.catalog import Catalog
from dcplan.scenario.schema import CpuWorkload, StorageWorkload
from dcplan.sizing.requirements import Candidate, Requirement, ceil_count, common_exclusion, listed_but_unavailable


def size_cpu(workload: CpuWorkload, catalog: Catalog) -> Requirement:
    demand = {"vcpus": float(workload.vcpus)}
    if workload.memory > 0:
        demand["memory_gb"] = workload.memory
    candidates: list[Candidate] = []
    excluded: dict[str, str] = {}
    for item_id, server in catalog.servers.items():
        reason = common_exclusion(workload, item_id, server, catalog)
        if reason is None and server.accelerators is not None:
            reason = "has accelerators (not a CPU server)"
        if reason is None and server.vcpus <= 0:
            reason = "no vCPUs"
        if reason is not None:
            excluded[item_id] = reason
            continue
        per_unit = {"vcpus": float(server.vcpus)}
        if "memory_gb" in demand:
            per_unit["memory_gb"] = server.memory
        detail: dict[str, float | int | str] = {"vcpus": server.vcpus, "memory_gb": server.memory}
        if all(per_unit[k] > 0 for k in demand):
            detail["servers_alone"] = max(ceil_count(d / per_unit[k]) for k, d in demand.items())
        candidates.append(Candidate(item=item_id, per_unit=per_unit, fixed_count=None,
                                    load=workload.average_load, detail=detail))
    listed_but_unavailable(workload, catalog.servers, excluded)
    return Requirement(workload=workload.name, kind="cpu", demand=demand, min_units=0,
                       candidates=tuple(candidates), excluded=excluded,
                       detail={"vcpus": workload.vcpus, "memory_gb": workload.memory})


def size_storage(workload: StorageWorkload, catalog: Catalog) -> Requirement:
    durability = workload.durability
    overhead = durability.overhead
    raw = workload.capacity * overhead
    demand = {"raw_tb": raw}
    if workload.throughput > 0:
        demand["throughput_GBps"] = workload.throughput
    candidates: list[Candidate] = []
    excluded: dict[str, str] = {}
    for item_id, node in catalog.storage.items():
        reason = common_exclusion(workload, item_id, node, catalog)
        if reason is not None:
            excluded[item_id] = reason
            continue
        per_unit = {"raw_tb": node.capacity}
        if "throughput_GBps" in demand:
            per_unit["throughput_GBps"] = node.throughput
        detail: dict[str, float | int | str] = {"capacity_tb": node.capacity, "throughput_GBps": node.throughput}
        if all(per_unit[k] > 0 for k in demand):
            detail["nodes_alone"] = max(durability.min_nodes, *(ceil_count(d / per_unit[k]) for k, d in demand.items()))
        candidates.append(Candidate(item=item_id, per_unit=per_unit, fixed_count=None,
                                    load=workload.average_load, detail=detail))
    listed_but_unavailable(workload, catalog.storage, excluded)
    k, m = durability.fragments
    return Requirement(
        workload=workload.name, kind="storage", demand=demand, min_units=durability.min_nodes,
        candidates=tuple(candidates), excluded=excluded,
        detail={"usable_tb": workload.capacity, "overhead": overhead, "raw_tb": raw,
                "scheme": (f"{durability.replicas} replicas" if durability.replicas is not None
                           else f"erasure {k}+{m}"),
                "min_nodes": durability.min_nodes, "throughput_GBps": workload.throughput})
