"""Training: one homogeneous cluster whose size follows from the FLOPs, the deadline and memory."""

from __future__ import annotations

from dcplan.rules import TRAINING_LOAD
from dcplan.scenario.catalog import Catalog
from dcplan.scenario.schema import TrainingWorkload
from dcplan.sizing.requirements import (DAY, GB, TFLOPS, Candidate, Requirement, accelerated_exclusion, ceil_count,
                                        listed_but_unavailable, peak_flops, resolve_model)


def size_training(workload: TrainingWorkload, catalog: Catalog) -> Requirement:
    model = resolve_model(workload, catalog)
    flops_total = 6.0 * model.active * workload.tokens
    deadline_s = workload.deadline * DAY
    flops_per_s = flops_total / deadline_s
    state_bytes = model.params * workload.state_bytes_per_param
    candidates: list[Candidate] = []
    excluded: dict[str, str] = {}
    for item_id, server in catalog.servers.items():
        reason, acc = accelerated_exclusion(workload, item_id, server, catalog, "a training server")
        peak = None if acc is None else peak_flops(acc, workload.precision)
        if reason is None and peak is None:
            reason = f"accelerator {acc.id} has no FP8 support"
        if reason is not None:
            excluded[item_id] = reason
            continue
        per_server = server.accelerators.count
        usable = peak * workload.mfu
        for_compute = max(1, ceil_count(flops_per_s / usable))
        for_memory = max(1, ceil_count(state_bytes / (acc.hbm * GB * workload.memory_headroom)))
        accelerators = max(for_compute, for_memory)
        servers = ceil_count(accelerators / per_server)
        installed = servers * per_server
        days = flops_total / (installed * usable) / DAY
        candidates.append(Candidate(
            item=item_id, per_unit={}, fixed_count=servers, load=TRAINING_LOAD,
            detail={
                "accelerator": acc.id,
                "peak_tflops": peak / TFLOPS,
                "usable_tflops_per_accelerator": usable / TFLOPS,
                "accelerators_for_compute": for_compute,
                "accelerators_for_memory": for_memory,
                "accelerators": accelerators,
                "servers": servers,
                "accelerators_installed": installed,
                "days_at_this_count": days,
                "bound": "compute" if for_compute >= for_memory else "memory",
            }))
    listed_but_unavailable(workload, catalog.servers, excluded)
    return Requirement(
        workload=workload.name, kind="training", demand={}, min_units=0,
        candidates=tuple(candidates), excluded=excluded,
        detail={
            "params": model.params,
            "active_params": model.active,
            "tokens": workload.tokens,
            "flops_total": flops_total,
            "deadline_days": workload.deadline,
            "flops_per_s_needed": flops_per_s,
            "precision": workload.precision,
            "mfu": workload.mfu,
            "state_bytes": state_bytes,
        })
