"""Workloads a scenario implies: the checkpoint and dataset storage of every training run.

A training workload with `storage` (the default) needs storage for its checkpoints and its
tokenized dataset at the site of its cluster. dcplan adds it to the scenario as a storage
workload named `<training>.storage` with `colocate_with: <training>`, so the plan buys it,
shows it, and verifies it like any other workload. Its capacity does not depend on the server
type the run is given; its throughput does (checkpoint writes scale with the accelerators),
so that part is a row per site coupling it to the chosen cluster (dcplan/model/colocation.py).
"""

from __future__ import annotations

from dataclasses import replace

from dcplan.scenario.catalog import Catalog
from dcplan.scenario.schema import Scenario, StorageWorkload, TrainingWorkload
from dcplan.sizing.requirements import Requirement, resolve_model
from dcplan.sizing.training import storage_need

SUFFIX = ".storage"


def derived_name(training: str) -> str:
    return training + SUFFIX


def derived_storage(workload: TrainingWorkload, catalog: Catalog) -> StorageWorkload:
    storage = workload.storage
    need = storage_need(workload, resolve_model(workload, catalog), accelerators=0)
    return StorageWorkload(name=derived_name(workload.name), type="storage", capacity=need["usable_tb"],
                           throughput=0.0, durability=storage.durability, colocate_with=workload.name,
                           sites=workload.sites, servers=storage.servers, security=workload.security)


def with_derived_workloads(scenario: Scenario, catalog: Catalog) -> Scenario:
    """The scenario with the storage of its training runs added (unchanged if there is none)."""
    taken = {w.name for w in scenario.workloads}
    extra = [derived_storage(w, catalog) for w in scenario.workloads
             if isinstance(w, TrainingWorkload) and w.storage is not None and derived_name(w.name) not in taken]
    if not extra:
        return scenario
    return scenario.model_copy(update={"workloads": list(scenario.workloads) + extra})


def couple(requirements: dict[str, Requirement], scenario: Scenario, catalog: Catalog) -> dict[str, Requirement]:
    """Give each derived storage requirement the throughput its run may need: the most over the run's
    candidate clusters, as a bound on its pools (the rows that ask for the chosen cluster's throughput
    are dcplan/model/colocation.py's), with every node's throughput per unit."""
    coupled = dict(requirements)
    for workload in scenario.workloads:
        target = getattr(workload, "colocate_with", None)
        if target is None or workload.name != derived_name(target) or target not in requirements:
            continue
        needs = [c.detail.get("storage_throughput_GBps", 0.0) for c in requirements[target].candidates]
        req = requirements[workload.name]
        most = max(needs, default=0.0)
        if most <= 0:
            continue
        candidates = tuple(replace(c, per_unit={**c.per_unit, "throughput_GBps": catalog.storage[c.item].throughput})
                           for c in req.candidates)
        coupled[workload.name] = replace(req, candidates=candidates, demand_bound={"throughput_GBps": most},
                                         detail={**req.detail, "throughput_GBps_by_cluster": most})
    return coupled
