"""Training: one homogeneous cluster whose size follows from the FLOPs, the deadline, goodput and memory.

    FLOPs        = 6 · active params · tokens                       (Kaplan et al. 2020)
    rate needed  = FLOPs / (deadline · goodput)                     (progress only while it makes progress)
    per GPU      = peak at `mfu_basis` · mfu                        (MFU is stated against the BF16 peak
                                                                      unless mfu_basis: fp8)
    accelerators = ⌈rate / per GPU⌉, at least one model-parallel group, rounded up to whole groups

The parallel layout (tensor × pipeline × data) is the smallest model-parallel group tp·pp, tp
within one server, whose state and activations fit each accelerator's HBM (parallel_layout).
The run also needs storage for its checkpoints and dataset, bought with it (storage_need).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dcplan.rules import TRAINING_LOAD
from dcplan.scenario.catalog import Catalog
from dcplan.scenario.catalog_schema import ModelSpec
from dcplan.scenario.schema import TrainingWorkload
from dcplan.sizing.requirements import (DAY, GB, TFLOPS, Candidate, Requirement, accelerated_exclusion, ceil_count,
                                        fmt3, lacks_precision, listed_but_unavailable, peak_flops, resolve_model)

ACTIVATION_BYTES_SELECTIVE = 34.0
"""Activation bytes per token per hidden unit per layer with tensor and sequence parallelism and selective
recomputation, divided by tp (Korthikanti et al. 2022, 'Reducing Activation Recomputation in Large
Transformer Models', Table 2: sbh·34/t). With 1F1B pipelining the first stage holds pp micro-batches of
L/pp layers, i.e. L layers' worth whatever pp is."""
ACTIVATION_BYTES_FULL = 2.0
"""With full recomputation only each layer's input is kept (2 bytes per value, sbh·2/t per layer), plus one
layer's working set during its recomputation."""
MAX_PIPELINE = 128


@dataclass(frozen=True)
class ParallelLayout:
    tp: int
    pp: int
    recompute: str          # selective | full
    bytes_per_accelerator: float
    activations: float

    @property
    def group(self) -> int:
        return self.tp * self.pp


def _expert_params(model: ModelSpec) -> float:
    if model.experts and model.experts_per_token and model.active_params:
        return (model.params - model.active) / (1.0 - model.experts_per_token / model.experts)
    return 0.0


def memory_per_accelerator(workload: TrainingWorkload, model: ModelSpec, tp: int, pp: int, dp: int,
                           recompute: str) -> tuple[float, float]:
    """(total bytes, activation bytes) per accelerator for a tp × pp × dp layout.

    state = P_local · (state − optimizer bytes) + P_local · optimizer bytes / dp   (ZeRO-1 over data parallel)
    P_local = (dense params + expert params / EP) / (tp · pp), EP = min(dp, experts)
    activations = s · h · L · a / tp  (+ one layer s·h·34/tp when recomputing fully), micro-batch of one sequence
    """
    local = _local_params(model, tp, pp, dp)
    resident = workload.state_bytes_per_param - workload.optimizer_bytes_per_param
    activations = _activations(workload, model, tp, recompute)
    return local * resident + local * workload.optimizer_bytes_per_param / dp + activations, activations


def _local_params(model: ModelSpec, tp: int, pp: int, dp: int) -> float:
    experts = _expert_params(model)
    ep = max(1, min(dp, model.experts or 1))
    return (model.params - experts + experts / ep) / (tp * pp)


def _activations(workload: TrainingWorkload, model: ModelSpec, tp: int, recompute: str) -> float:
    hidden = model.hidden_size or (model.heads or 0) * (model.head_dim or 0)
    per_layer = workload.sequence_length * hidden / tp
    if recompute == "selective":
        return per_layer * ACTIVATION_BYTES_SELECTIVE * (model.layers or 0)
    return per_layer * (ACTIVATION_BYTES_FULL * (model.layers or 0) + ACTIVATION_BYTES_SELECTIVE)


def _replicas_to_fit(workload: TrainingWorkload, model: ModelSpec, tp: int, pp: int, recompute: str,
                     usable: float, replicas: int) -> int | None:
    """The fewest data-parallel replicas (≥ `replicas`) with which a tp × pp layout fits, or None.

    More replicas shard the optimizer (and an MoE's experts) thinner, so memory per accelerator
    falls as dp grows: step dp up to the bound the inequality gives until it holds."""
    resident = workload.state_bytes_per_param - workload.optimizer_bytes_per_param
    activations = _activations(workload, model, tp, recompute)
    dp = max(1, replicas)
    for _ in range(64):
        local = _local_params(model, tp, pp, dp)
        room = usable - local * resident - activations
        if room <= 0:
            if model.experts and dp < model.experts:  # more replicas also spread the experts
                dp = min(model.experts, dp * 2)
                continue
            return None
        needed = math.ceil(local * workload.optimizer_bytes_per_param / room - 1e-9) if room < math.inf else 1
        if needed <= dp:
            return dp
        dp = needed
    return None


def parallel_layout(workload: TrainingWorkload, model: ModelSpec, hbm_bytes: float, per_server: int,
                    accelerators: int) -> tuple[ParallelLayout, int] | None:
    """A layout whose state and activations fit HBM × headroom, and the accelerators it needs.

    Of the layouts tp × pp × dp (tp a power of two within a server, pp ≤ layers, as many
    data-parallel replicas as needed, at least `accelerators` in whole tp·pp groups), the one
    needing the fewest accelerators, ties to the smaller group.
    Selective recomputation is preferred; full recomputation only when no layout fits without it
    (its extra FLOPs are not model FLOPs, so `mfu` should then reflect it).
    """
    key = (model.params, model.active, model.experts, model.experts_per_token, model.layers, model.hidden_size,
           model.heads, model.head_dim, workload.state_bytes_per_param, workload.optimizer_bytes_per_param,
           workload.sequence_length, workload.memory_headroom, hbm_bytes, per_server, accelerators)
    if key not in _LAYOUTS:
        if len(_LAYOUTS) > 16384:
            _LAYOUTS.clear()
        _LAYOUTS[key] = _search(workload, model, hbm_bytes, per_server, accelerators)
    return _LAYOUTS[key]


_LAYOUTS: dict[tuple, tuple[ParallelLayout, int] | None] = {}  # workloads of one shape share their layouts


def _search(workload: TrainingWorkload, model: ModelSpec, hbm_bytes: float, per_server: int,
            accelerators: int) -> tuple[ParallelLayout, int] | None:
    usable = hbm_bytes * workload.memory_headroom
    degrees = [1 << i for i in range(per_server.bit_length()) if (1 << i) <= per_server]
    stages = min(model.layers or MAX_PIPELINE, MAX_PIPELINE)  # a stage holds at least one layer
    for recompute in ("selective", "full"):
        best: tuple[int, int, int, int] | None = None
        for tp in degrees:
            for pp in range(1, stages + 1):
                group = tp * pp
                dp = _replicas_to_fit(workload, model, tp, pp, recompute, usable, math.ceil(accelerators / group))
                if best is not None and group > best[0]:
                    break  # a larger group cannot need fewer accelerators than the best so far
                if dp is not None:
                    best = min(best or (math.inf,), (group * dp, group, tp, pp))
        if best is not None:
            total, group, tp, pp = best
            memory, activations = memory_per_accelerator(workload, model, tp, pp, total // group, recompute)
            return ParallelLayout(tp, pp, recompute, memory, activations), total
    return None


def storage_need(workload: TrainingWorkload, model: ModelSpec, accelerators: int) -> dict[str, float]:
    """Usable TB and GB/s the run needs: checkpoints kept plus the tokenized dataset; checkpoint writes
    (per accelerator) plus the dataset read rate."""
    storage = workload.storage
    checkpoint_tb = model.params * storage.checkpoint_bytes_per_param / 1e12
    dataset_tb = workload.tokens * storage.dataset_bytes_per_token / 1e12
    read = workload.tokens * storage.dataset_bytes_per_token / (workload.deadline * DAY * workload.goodput) / GB
    write = storage.checkpoint_write_bandwidth * accelerators
    return {"checkpoint_tb": checkpoint_tb, "usable_tb": checkpoint_tb * storage.checkpoints_kept + dataset_tb,
            "dataset_tb": dataset_tb, "write_GBps": write, "read_GBps": read, "throughput_GBps": write + read}


def size_training(workload: TrainingWorkload, catalog: Catalog) -> Requirement:
    model = resolve_model(workload, catalog)
    flops_total = 6.0 * model.active * workload.tokens
    deadline_s = workload.deadline * DAY
    progress_s = deadline_s * workload.goodput
    flops_per_s = flops_total / progress_s if progress_s > 0 else float("inf")
    candidates: list[Candidate] = []
    excluded: dict[str, str] = {}
    for item_id, server in catalog.servers.items():
        reason, acc = accelerated_exclusion(workload, item_id, server, catalog, "a training server")
        if reason is None:
            reason = lacks_precision(acc, workload.precision) or lacks_precision(acc, workload.mfu_basis)
        if reason is None and workload.mfu <= 0:
            reason = "mfu is 0: no usable compute"
        if reason is None and workload.goodput <= 0:
            reason = "goodput is 0: the run never makes progress"
        if reason is None and workload.memory_headroom <= 0:
            reason = "memory_headroom is 0: no memory for model state"
        if reason is not None:
            excluded[item_id] = reason
            continue
        candidate = _candidate(workload, model, item_id, server, acc, flops_total, flops_per_s)
        if isinstance(candidate, str):
            excluded[item_id] = candidate
        else:
            candidates.append(candidate)
    listed_but_unavailable(workload, catalog.servers, excluded)
    return Requirement(
        workload=workload.name, kind="training", demand={}, min_units=0,
        candidates=tuple(candidates), excluded=excluded,
        detail={"params": model.params, "active_params": model.active, "tokens": workload.tokens,
                "flops_total": flops_total, "deadline_days": workload.deadline, "goodput": workload.goodput,
                "flops_per_s_needed": flops_per_s, "precision": workload.precision, "mfu": workload.mfu,
                "mfu_basis": workload.mfu_basis, "state_bytes": model.params * workload.state_bytes_per_param})


def _candidate(workload: TrainingWorkload, model: ModelSpec, item_id: str, server, acc, flops_total: float,
               flops_per_s: float) -> Candidate | str:
    per_server = server.accelerators.count
    peak = peak_flops(acc, workload.mfu_basis)
    usable = peak * workload.mfu
    for_compute = max(1, ceil_count(flops_per_s / usable))
    state_bytes = model.params * workload.state_bytes_per_param
    for_memory = max(1, ceil_count(state_bytes / (acc.hbm * GB * workload.memory_headroom)))
    accelerators = max(for_compute, for_memory)
    found = parallel_layout(workload, model, acc.hbm * GB, per_server, accelerators)
    if found is None:
        return (f"no tensor x pipeline layout fits {fmt3(acc.hbm)} GB x {fmt3(workload.memory_headroom)} "
                f"per accelerator, even with full activation recomputation")
    layout, accelerators = found
    servers = ceil_count(accelerators / per_server)
    installed = servers * per_server
    days = flops_total / (installed * usable * workload.goodput) / DAY
    detail = {
        "accelerator": acc.id,
        "peak_tflops": peak / TFLOPS,
        "usable_tflops_per_accelerator": usable / TFLOPS,
        "accelerators_for_compute": for_compute,
        "accelerators_for_memory": for_memory,
        "accelerators": accelerators,
        "servers": servers,
        "accelerators_installed": installed,
        "days_at_this_count": days,
        "tp": layout.tp,
        "pp": layout.pp,
        "dp": accelerators // layout.group,
        "activation_recompute": layout.recompute,
        "memory_gb_per_accelerator": layout.bytes_per_accelerator / GB,
        "activations_gb_per_accelerator": layout.activations / GB,
        "bound": "compute" if for_compute >= for_memory else "memory",
    }
    if workload.storage is not None:
        need = storage_need(workload, model, installed)
        detail.update({f"storage_{k}": v for k, v in need.items()})
    return Candidate(item=item_id, per_unit={}, fixed_count=servers, load=TRAINING_LOAD, detail=detail)
