"""Inference: a roofline model per tensor-parallel replica, batch limited by memory and latency."""

from __future__ import annotations

from dataclasses import dataclass

from dcplan.scenario.catalog import Catalog
from dcplan.scenario.catalog_schema import Accelerator, ModelSpec
from dcplan.scenario.schema import InferenceWorkload
from dcplan.sizing.requirements import (EPS, GB, Candidate, Requirement, SizingError, accelerated_exclusion,
                                        ceil_count, floor_count, fmt3, listed_but_unavailable, peak_flops,
                                        resolve_model)


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
    """Roofline time of one decode step: max(bytes read / bandwidth, FLOPs / compute) (Pope et al. 2022,
    "Efficiently Scaling Transformer Inference", arXiv:2211.05102).

    Bytes read = all weights once + the KV cache of every sequence in the batch.
    """
    peak = peak_flops(accelerator, precision)
    bandwidth = tp * accelerator.hbm_bandwidth * GB * hbm_efficiency
    memory_time = (weights_bytes + batch * avg_context * kv_bytes_per_token) / bandwidth
    compute_time = 2.0 * active_params * batch / (tp * peak * compute_efficiency)
    return max(memory_time, compute_time)


def _replica(workload: InferenceWorkload, model: ModelSpec, acc: Accelerator, tp: int,
             weights: float, kv_token: float) -> Replica:
    """Largest batch that fits the KV memory and meets max_tpot (batch may be 0: cannot meet it)."""
    full_context = workload.prompt_tokens + workload.output_tokens
    avg_context = workload.prompt_tokens + workload.output_tokens / 2.0
    peak = peak_flops(acc, workload.precision)
    bandwidth = tp * acc.hbm_bandwidth * GB * workload.hbm_efficiency
    compute = tp * peak * workload.compute_efficiency
    tpot = workload.max_tpot / 1000.0
    kv_memory = tp * acc.hbm * GB * workload.memory_headroom - weights
    by_memory = max(0, floor_count(kv_memory / (kv_token * full_context)))
    by_bandwidth = max(0, floor_count((tpot * bandwidth - weights) / (avg_context * kv_token)))
    by_compute = max(0, floor_count(tpot * compute / (2.0 * model.active)))
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
        outcome = _server_candidate(workload, model, catalog, item_id, server, weights, kv_token)
        if isinstance(outcome, str):
            excluded[item_id] = outcome
        else:
            candidates.append(outcome)
    listed_but_unavailable(workload, catalog.servers, excluded)
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


def _server_candidate(workload, model, catalog, item_id: str, server, weights: float,
                      kv_token: float) -> Candidate | str:
    """The candidate one server type makes for this service, or why it cannot serve it."""
    reason, acc = accelerated_exclusion(workload, item_id, server, catalog, "an inference server")
    if reason is None and peak_flops(acc, workload.precision) is None:
        reason = f"accelerator {acc.id} has no FP8 support"
    if reason is not None:
        return reason
    count = server.accelerators.count
    one_sequence = kv_token * (workload.prompt_tokens + workload.output_tokens)
    usable_hbm = acc.hbm * GB * workload.memory_headroom
    degrees = [1 << i for i in range(count.bit_length()) if (1 << i) <= count]
    fitting = [t for t in degrees if weights + one_sequence <= t * usable_hbm]
    if not fitting:
        return (f"weights do not fit one server: {fmt3(weights / GB)} GB of weights + "
                f"{fmt3(one_sequence / GB)} GB KV for one sequence > {count} x {fmt3(acc.hbm)} GB "
                f"x {fmt3(workload.memory_headroom)} headroom")
    replicas = [_replica(workload, model, acc, t, weights, kv_token) for t in fitting]
    meeting_tpot = [r for r in replicas if r.batch >= 1]
    if not meeting_tpot:
        best = replicas[-1]
        return (f"cannot meet max_tpot {fmt3(workload.max_tpot)} ms: batch-1 step takes "
                f"{fmt3(best.step_s * 1000)} ms (TP{best.tp})")
    feasible = [r for r in meeting_tpot
                if workload.max_ttft is None or r.prefill_s * 1000 <= workload.max_ttft * (1 + EPS)]
    if not feasible:
        best = min(meeting_tpot, key=lambda r: r.prefill_s)
        return (f"cannot meet max_ttft {fmt3(workload.max_ttft)} ms: prefill of one request "
                f"takes {fmt3(best.prefill_s * 1000)} ms (TP{best.tp})")
    return _best_degree(workload, item_id, acc, count, fitting[0], feasible)


def _best_degree(workload, item_id: str, acc, count: int, min_tp: int, feasible: list[Replica]) -> Candidate:
    """The degree that serves the most requests per server; ties go to the smaller degree."""
    def per_server(r: Replica) -> float:
        return (count // r.tp) * r.requests_per_s(workload.output_tokens)

    chosen = feasible[0]
    for r in feasible[1:]:
        if per_server(r) > per_server(chosen) * (1 + 1e-9):
            chosen = r
    rps_server = per_server(chosen)
    return Candidate(
        item=item_id, per_unit={"requests_per_s": rps_server}, fixed_count=None, load=workload.average_load,
        detail={
            "accelerator": acc.id,
            "tp": chosen.tp,
            "min_tp": min_tp,
            "replicas_per_server": count // chosen.tp,
            "batch": chosen.batch,
            "max_batch_memory": chosen.max_batch_memory,
            "step_ms": chosen.step_s * 1000,
            "decode_tokens_per_s_per_replica": chosen.decode_tokens_per_s,
            "prefill_ms": chosen.prefill_s * 1000,
            "requests_per_s_per_replica": chosen.requests_per_s(workload.output_tokens),
            "requests_per_s_per_server": rps_server,
            "servers_for_demand": ceil_count(workload.requests_per_s / rps_server),
            "bound": chosen.bound,
        })
