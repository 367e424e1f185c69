"""Sizing: each workload becomes a requirement per candidate item, before the solve.

The MILP never sees models, tokens or latencies: it sees, for every workload,
the amount of each demand dimension it needs (`Requirement.demand`) and what
one unit of each candidate item contributes (`Candidate.per_unit`), or for
training the fixed number of servers of each type (`Candidate.fixed_count`).
Formulas and their sources are documented in docs/model.md, section "Sizing".

Units inside this module are SI (bytes, FLOP, seconds); the schema's
quantities are converted on the way in (GB -> bytes, TFLOP/s -> FLOP/s, ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .catalog import Catalog
from .schema import CpuWorkload, InferenceWorkload, StorageWorkload, TrainingWorkload
from .schema_catalog import Accelerator, ModelSpec, Server

GB = 1e9
TFLOPS = 1e12
DAY = 86400.0
TRAINING_LOAD = 0.9
"""Average utilisation of a training cluster for energy (SPEC section 3)."""

SECURE_LEVELS = ("confidential", "restricted")
_EPS = 1e-9


class SizingError(ValueError):
    """The workload refers to something sizing cannot use (reference checks should have caught it)."""


@dataclass(frozen=True)
class Candidate:
    item: str                      # server id (or storage node id for storage workloads)
    per_unit: dict[str, float]     # contribution of ONE unit of the item to each demand dimension
    fixed_count: int | None        # training only: servers needed if this type is chosen (homogeneous cluster)
    load: float                    # average utilisation for energy (training 0.9, services `average_load`)
    detail: dict[str, float | int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class Requirement:
    workload: str
    kind: str                      # "training" | "inference" | "cpu" | "storage"
    demand: dict[str, float]       # amount of each dimension needed, same keys as Candidate.per_unit
    min_units: int                 # minimum number of units in total (storage: k+m nodes, else 0)
    candidates: tuple[Candidate, ...]
    excluded: dict[str, str]       # item id -> one-line reason it cannot serve
    detail: dict[str, float | int | str] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers

def _ceil(x: float) -> int:
    """ceil() that does not round 16.000000000001 up to 17 (float noise from unit conversions)."""
    return math.ceil(x - _EPS * max(1.0, abs(x)))


def _floor(x: float) -> int:
    return math.floor(x + _EPS * max(1.0, abs(x)))


def _g(x: float) -> str:
    return f"{x:.3g}"


def resolve_model(workload, catalog: Catalog) -> ModelSpec:
    model = workload.model
    if isinstance(model, ModelSpec):
        return model
    if model not in catalog.models:
        raise SizingError(f"workload {workload.name!r}: no model preset {model!r} in the catalog")
    return catalog.models[model]


def _accelerator(server: Server, catalog: Catalog) -> Accelerator | None:
    if server.accelerators is None:
        return None
    return catalog.accelerators.get(server.accelerators.model)


def _common_exclusion(workload, item_id: str, item, catalog: Catalog) -> str | None:
    """Reasons shared by all workload kinds: the `servers` list and the security level."""
    if workload.servers is not None and item_id not in workload.servers:
        return "not in the workload's `servers` list"
    if workload.security in SECURE_LEVELS:
        if isinstance(item, Server):
            if not item.confidential_computing:
                return f"no confidential computing (needed for security: {workload.security})"
            acc = _accelerator(item, catalog)
            if acc is not None and not acc.confidential_computing:
                return (f"accelerator {acc.id} has no confidential computing "
                        f"(needed for security: {workload.security})")
        elif not getattr(item, "encryption", False):
            return f"no encryption at rest (needed for security: {workload.security})"
    return None


def _listed_but_unavailable(workload, section: dict, excluded: dict[str, str]) -> None:
    """Ids the workload names that the scenario's catalog (only/exclude) does not offer."""
    for item_id in workload.servers or []:
        if item_id not in section:
            excluded[item_id] = "not purchasable in this scenario (catalog `only`/`exclude`)"


def _accelerated_exclusion(workload, item_id: str, server: Server, catalog: Catalog,
                           purpose: str) -> tuple[str | None, Accelerator | None]:
    """Why an accelerated workload cannot use this server (None if it can), and its accelerator."""
    reason = _common_exclusion(workload, item_id, server, catalog)
    acc = _accelerator(server, catalog)
    if reason is None and server.accelerators is None:
        reason = f"no accelerators (not {purpose})"
    if reason is None and acc is None:
        reason = f"accelerator {server.accelerators.model!r} is not in the catalog"
    return reason, acc


def _peak_flops(acc: Accelerator, precision: str) -> float | None:
    """Dense peak in FLOP/s at the precision, or None if the accelerator lacks it."""
    if precision == "fp8":
        return None if acc.fp8_flops is None else acc.fp8_flops * TFLOPS
    return acc.bf16_flops * TFLOPS


# --------------------------------------------------------------------------- training

def size_training(workload: TrainingWorkload, catalog: Catalog) -> Requirement:
    model = resolve_model(workload, catalog)
    flops_total = 6.0 * model.active * workload.tokens
    deadline_s = workload.deadline * DAY
    flops_per_s = flops_total / deadline_s
    state_bytes = model.params * workload.state_bytes_per_param
    candidates: list[Candidate] = []
    excluded: dict[str, str] = {}
    for item_id, server in catalog.servers.items():
        reason, acc = _accelerated_exclusion(workload, item_id, server, catalog, "a training server")
        peak = None if acc is None else _peak_flops(acc, workload.precision)
        if reason is None and peak is None:
            reason = f"accelerator {acc.id} has no FP8 support"
        if reason is None and workload.mfu <= 0:
            reason = "mfu is 0: no usable compute"
        if reason is None and workload.memory_headroom <= 0:
            reason = "memory_headroom is 0: no memory for model state"
        if reason is not None:
            excluded[item_id] = reason
            continue
        per_server = server.accelerators.count
        usable = peak * workload.mfu
        for_compute = max(1, _ceil(flops_per_s / usable))
        for_memory = max(1, _ceil(state_bytes / (acc.hbm * GB * workload.memory_headroom)))
        accelerators = max(for_compute, for_memory)
        servers = _ceil(accelerators / per_server)
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
    _listed_but_unavailable(workload, catalog.servers, excluded)
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


# --------------------------------------------------------------------------- inference

@dataclass(frozen=True)
class Replica:
    """Performance of one tensor-parallel replica of a model on `tp` accelerators."""

    tp: int
    batch: int
    max_batch_memory: int
    step_s: float
    prefill_s: float
    bound: str          # what limited the batch: "memory" | "bandwidth" | "compute"

    @property
    def decode_tokens_per_s(self) -> float:
        return self.batch / self.step_s

    def requests_per_s(self, output_tokens: int) -> float:
        return 1.0 / (self.prefill_s + output_tokens / self.decode_tokens_per_s)


def decode_step_seconds(weights_bytes: float, kv_bytes_per_token: float, avg_context: float, batch: int,
                        active_params: float, tp: int, accelerator: Accelerator, precision: str,
                        hbm_efficiency: float, compute_efficiency: float) -> float:
    """Roofline time of one decode step: max(bytes read / bandwidth, FLOPs / compute) (FACTS 6.2).

    Bytes read = all weights once + the KV cache of every sequence in the batch.
    """
    peak = _peak_flops(accelerator, precision)
    bandwidth = tp * accelerator.hbm_bandwidth * GB * hbm_efficiency
    memory_time = (weights_bytes + batch * avg_context * kv_bytes_per_token) / bandwidth
    compute_time = 2.0 * active_params * batch / (tp * peak * compute_efficiency)
    return max(memory_time, compute_time)


def _replica(workload: InferenceWorkload, model: ModelSpec, acc: Accelerator, tp: int,
             weights: float, kv_token: float) -> Replica:
    """Largest batch that fits the KV memory and meets max_tpot (batch may be 0: cannot meet it)."""
    full_context = workload.prompt_tokens + workload.output_tokens
    avg_context = workload.prompt_tokens + workload.output_tokens / 2.0
    peak = _peak_flops(acc, workload.precision)
    bandwidth = tp * acc.hbm_bandwidth * GB * workload.hbm_efficiency
    compute = tp * peak * workload.compute_efficiency
    tpot = workload.max_tpot / 1000.0
    kv_memory = tp * acc.hbm * GB * workload.memory_headroom - weights
    by_memory = max(0, _floor(kv_memory / (kv_token * full_context)))
    by_bandwidth = max(0, _floor((tpot * bandwidth - weights) / (avg_context * kv_token)))
    by_compute = max(0, _floor(tpot * compute / (2.0 * model.active)))
    batch = min(by_memory, by_bandwidth, by_compute)

    def step(b: int) -> float:
        return decode_step_seconds(weights, kv_token, avg_context, b, model.active, tp, acc,
                                   workload.precision, workload.hbm_efficiency, workload.compute_efficiency)

    # guard the closed form against float noise at the boundaries
    while batch > 0 and step(batch) > tpot:
        batch -= 1
    while batch < by_memory and step(batch + 1) <= tpot:
        batch += 1
    # A serving engine schedules at most `max_batch` sequences per step (vLLM's
    # max_num_seqs); the roofline alone would allow thousands for small models.
    capped = batch > workload.max_batch
    batch = min(batch, workload.max_batch)
    if capped:
        bound = "max_batch"
    elif batch == by_memory:
        bound = "memory"
    elif by_bandwidth <= by_compute:
        bound = "bandwidth"
    else:
        bound = "compute"
    prefill = 2.0 * model.active * workload.prompt_tokens / compute
    return Replica(tp=tp, batch=batch, max_batch_memory=by_memory, step_s=step(max(batch, 1)),
                   prefill_s=prefill, bound=bound)


def size_inference(workload: InferenceWorkload, catalog: Catalog) -> Requirement:
    model = resolve_model(workload, catalog)
    bpp = 1.0 if workload.precision == "fp8" else 2.0
    kv_token = model.kv_bytes(bytes_per_element=bpp)
    if kv_token is None:
        raise SizingError(f"workload {workload.name!r}: the model needs `layers`, `kv_heads` and `head_dim` "
                          "(or `kv_bytes_per_token`) for inference sizing")
    weights = model.params * bpp
    full_context = workload.prompt_tokens + workload.output_tokens
    one_sequence = kv_token * full_context
    candidates: list[Candidate] = []
    excluded: dict[str, str] = {}
    for item_id, server in catalog.servers.items():
        reason, acc = _accelerated_exclusion(workload, item_id, server, catalog, "an inference server")
        if reason is None and _peak_flops(acc, workload.precision) is None:
            reason = f"accelerator {acc.id} has no FP8 support"
        if reason is None and workload.hbm_efficiency <= 0:
            reason = "hbm_efficiency is 0: no usable memory bandwidth"
        if reason is None and workload.compute_efficiency <= 0:
            reason = "compute_efficiency is 0: no usable compute"
        if reason is not None:
            excluded[item_id] = reason
            continue
        count = server.accelerators.count
        usable_hbm = acc.hbm * GB * workload.memory_headroom
        degrees = [1 << i for i in range(count.bit_length()) if (1 << i) <= count]
        fitting = [t for t in degrees if weights + one_sequence <= t * usable_hbm]
        if not fitting:
            excluded[item_id] = (f"weights do not fit one server: {_g(weights / GB)} GB of weights + "
                                 f"{_g(one_sequence / GB)} GB KV for one sequence > {count} x {_g(acc.hbm)} GB "
                                 f"x {_g(workload.memory_headroom)} headroom")
            continue
        replicas = [_replica(workload, model, acc, t, weights, kv_token) for t in fitting]
        meeting_tpot = [r for r in replicas if r.batch >= 1]
        if not meeting_tpot:
            best = replicas[-1]
            excluded[item_id] = (f"cannot meet max_tpot {_g(workload.max_tpot)} ms: batch-1 step takes "
                                 f"{_g(best.step_s * 1000)} ms (TP{best.tp})")
            continue
        feasible = [r for r in meeting_tpot
                    if workload.max_ttft is None or r.prefill_s * 1000 <= workload.max_ttft * (1 + _EPS)]
        if not feasible:
            best = min(meeting_tpot, key=lambda r: r.prefill_s)
            excluded[item_id] = (f"cannot meet max_ttft {_g(workload.max_ttft)} ms: prefill of one request "
                                 f"takes {_g(best.prefill_s * 1000)} ms (TP{best.tp})")
            continue

        def per_server(r: Replica) -> float:
            return (count // r.tp) * r.requests_per_s(workload.output_tokens)

        # the degree that serves the most requests per server; ties go to the smaller degree
        chosen = feasible[0]
        for r in feasible[1:]:
            if per_server(r) > per_server(chosen) * (1 + 1e-9):
                chosen = r
        rps_server = per_server(chosen)
        candidates.append(Candidate(
            item=item_id, per_unit={"requests_per_s": rps_server}, fixed_count=None,
            load=workload.average_load,
            detail={
                "accelerator": acc.id,
                "tp": chosen.tp,
                "min_tp": fitting[0],
                "replicas_per_server": count // chosen.tp,
                "batch": chosen.batch,
                "max_batch_memory": chosen.max_batch_memory,
                "step_ms": chosen.step_s * 1000,
                "decode_tokens_per_s_per_replica": chosen.decode_tokens_per_s,
                "prefill_ms": chosen.prefill_s * 1000,
                "requests_per_s_per_replica": chosen.requests_per_s(workload.output_tokens),
                "requests_per_s_per_server": rps_server,
                "servers_for_demand": _ceil(workload.requests_per_s / rps_server),
                "bound": chosen.bound,
            }))
    _listed_but_unavailable(workload, catalog.servers, excluded)
    return Requirement(
        workload=workload.name, kind="inference", demand={"requests_per_s": workload.requests_per_s},
        min_units=0, candidates=tuple(candidates), excluded=excluded,
        detail={
            "params": model.params,
            "active_params": model.active,
            "precision": workload.precision,
            "bytes_per_param": bpp,
            "weights_bytes": weights,
            "kv_bytes_per_token": kv_token,
            "context_tokens": full_context,
            "avg_context_tokens": workload.prompt_tokens + workload.output_tokens / 2.0,
            "kv_bytes_per_sequence": one_sequence,
            "requests_per_s": workload.requests_per_s,
            "max_tpot_ms": workload.max_tpot,
        })


# --------------------------------------------------------------------------- cpu

def size_cpu(workload: CpuWorkload, catalog: Catalog) -> Requirement:
    demand = {"vcpus": float(workload.vcpus)}
    if workload.memory > 0:
        demand["memory_gb"] = workload.memory
    candidates: list[Candidate] = []
    excluded: dict[str, str] = {}
    for item_id, server in catalog.servers.items():
        reason = _common_exclusion(workload, item_id, server, catalog)
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
            detail["servers_alone"] = max(_ceil(d / per_unit[k]) for k, d in demand.items())
        candidates.append(Candidate(item=item_id, per_unit=per_unit, fixed_count=None,
                                    load=workload.average_load, detail=detail))
    _listed_but_unavailable(workload, catalog.servers, excluded)
    return Requirement(workload=workload.name, kind="cpu", demand=demand, min_units=0,
                       candidates=tuple(candidates), excluded=excluded,
                       detail={"vcpus": workload.vcpus, "memory_gb": workload.memory})


# --------------------------------------------------------------------------- storage

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
        reason = _common_exclusion(workload, item_id, node, catalog)
        if reason is not None:
            excluded[item_id] = reason
            continue
        per_unit = {"raw_tb": node.capacity}
        if "throughput_GBps" in demand:
            per_unit["throughput_GBps"] = node.throughput
        detail: dict[str, float | int | str] = {"capacity_tb": node.capacity, "throughput_GBps": node.throughput}
        if all(per_unit[k] > 0 for k in demand):
            detail["nodes_alone"] = max(durability.min_nodes, *(_ceil(d / per_unit[k]) for k, d in demand.items()))
        candidates.append(Candidate(item=item_id, per_unit=per_unit, fixed_count=None,
                                    load=workload.average_load, detail=detail))
    _listed_but_unavailable(workload, catalog.storage, excluded)
    k, m = durability.fragments
    return Requirement(
        workload=workload.name, kind="storage", demand=demand, min_units=durability.min_nodes,
        candidates=tuple(candidates), excluded=excluded,
        detail={"usable_tb": workload.capacity, "overhead": overhead, "raw_tb": raw,
                "scheme": (f"{durability.replicas} replicas" if durability.replicas is not None
                           else f"erasure {k}+{m}"),
                "min_nodes": durability.min_nodes, "throughput_GBps": workload.throughput})


# --------------------------------------------------------------------------- entry points

_SIZERS = {"training": size_training, "inference": size_inference, "cpu": size_cpu, "storage": size_storage}


def size_workload(workload, catalog: Catalog) -> Requirement:
    """The requirement of one workload against the catalog in effect."""
    return _SIZERS[workload.type](workload, catalog)


def size_scenario(scenario, catalog: Catalog) -> dict[str, Requirement]:
    """Requirements of every workload, by name, in scenario order."""
    return {w.name: size_workload(w, catalog) for w in scenario.workloads}


__all__ = ["Candidate", "Requirement", "SizingError", "Replica", "decode_step_seconds", "resolve_model",
           "size_workload", "size_scenario", "size_training", "size_inference", "size_cpu", "size_storage"]
