"""Inference: requests per second one server sustains within the latency targets, per candidate.

For every server type, sizing tries each parallel layout of the model (tensor-parallel degree
within a pipeline stage, pipeline stages, servers spanned), finds each layout's busiest operating
point within memory and the targets (dcplan/sizing/latency.py, on the step model of
dcplan/sizing/serving.py) and keeps the layout that serves the most requests per server.
A model too large for one server is split into pipeline stages over the backend network
(or tensor parallel across servers, if that serves more); the replica then spans servers and
the model buys whole replicas (`units_per_replica`). docs/sizing.md has the equations.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from dcplan.scenario.catalog import Catalog
from dcplan.scenario.catalog_schema import Accelerator, ModelSpec, Server
from dcplan.scenario.schema import InferenceWorkload
from dcplan.sizing import efficiency as efficiency_module
from dcplan.sizing.latency import Operating, Targets, best_latency, ceiling, operating_point
from dcplan.sizing.requirements import (GB, Candidate, Requirement, SizingError, accelerated_exclusion, ceil_count,
                                        fmt3, lacks_precision, listed_but_unavailable, peak_flops, resolve_model)
from dcplan.sizing.serving import Chip, Efficiency, Layout, Replica, Serving, Shape

WEIGHT_BYTES = {"bf16": 2.0, "fp8": 1.0, "fp4": 0.5625}
"""Bytes per weight. NVFP4 stores 4-bit values with one FP8 scale per 16 (4.5 bits; NVIDIA, 'Introducing
NVFP4 for efficient and accurate low-precision inference', 2025)."""
KV_BYTES = {"bf16": 2.0, "fp8": 1.0}
PCIE4_BANDWIDTH = 64.0  # GB/s both directions: a server whose accelerators give no scale-up link
MAX_SERVERS_PER_REPLICA = 64


@dataclass(frozen=True, eq=False)
class Plan:
    """The chosen layout of a candidate and its operating point (compared by identity: best_plan caches it)."""

    layout: Layout
    point: Operating
    replica: Replica

    @property
    def replicas_per_server(self) -> float:
        if self.layout.servers == 1:
            return float(self.layout.per_server // self.layout.gpus)
        return 1.0 / self.layout.servers

    @property
    def requests_per_server(self) -> float:
        return self.point.requests_per_s * self.replicas_per_server


def shape_of(model: ModelSpec, name: str) -> Shape:
    """The step model's view of a model; without `layers` (a bare inline shape) attention FLOPs and
    tensor-parallel collectives are left out."""
    kv = model.kv_bytes(2.0)
    if kv is None:
        raise SizingError(f"workload {name!r}: the model needs `layers`, `kv_heads` and `head_dim` "
                          "(or `kv_bytes_per_token`) for inference sizing")
    width = model.attention_width
    hidden = model.hidden_size or (model.heads or 0) * (model.head_dim or 0)
    return Shape(params=model.params, active=model.active, layers=model.layers or 0, hidden=hidden or 0,
                 attention_width=int(width or 0), kv_bytes_16bit=kv, experts=model.experts or 0,
                 experts_per_token=model.experts_per_token or 0)


def nic_share(server: Server) -> float:
    """Network bandwidth per accelerator of the server, bytes/s one way (0: no ports)."""
    if server.nics is None or server.accelerators is None:
        return 0.0
    return server.nics.count * server.nics.speed * 1e9 / 8.0 / server.accelerators.count


def chip_of(acc: Accelerator, precision: str, kv_precision: str, per_accelerator_nic: float) -> Chip:
    attention = peak_flops(acc, kv_precision) or peak_flops(acc, "bf16")
    return Chip(peak_flops=peak_flops(acc, precision), attention_flops=attention, hbm_bytes=acc.hbm * GB,
                hbm_bandwidth=acc.hbm_bandwidth * GB,
                scale_up=(acc.scale_up_bandwidth or PCIE4_BANDWIDTH) * GB / 2.0, scale_out=per_accelerator_nic)


def serving_of(workload: InferenceWorkload, shape: Shape) -> Serving:
    return Serving(prompt=workload.prompt_tokens, output=workload.output_tokens,
                   weight_bytes=WEIGHT_BYTES[workload.precision],
                   kv_bytes=shape.kv_bytes_16bit * KV_BYTES[workload.kv_cache_precision] / 2.0,
                   chunk=workload.prefill_chunk, headroom=workload.memory_headroom, max_batch=workload.max_batch,
                   output_cv=workload.output_cv)


def targets_of(workload: InferenceWorkload) -> Targets:
    return Targets(tpot_s=None if workload.max_tpot is None else workload.max_tpot / 1000.0,
                   ttft_s=None if workload.max_ttft is None else workload.max_ttft / 1000.0,
                   percentile=workload.percentile)


def layouts(per_server: int, tensor_parallel: int | str, spans_network: bool):
    """Layouts to try, in order: powers of two (and the whole server) inside one server; then, if the
    server has network ports, 2, 3, ... servers as pipeline stages or one tensor-parallel group."""
    degrees = sorted({1 << i for i in range(per_server.bit_length()) if (1 << i) <= per_server} | {per_server})
    for t in degrees:
        for p in degrees:
            if t * p <= per_server and (tensor_parallel == "auto" or t == tensor_parallel):
                yield Layout(tp=t, pp=p, per_server=per_server)
    if not spans_network:
        return
    for servers in range(2, MAX_SERVERS_PER_REPLICA + 1):
        if tensor_parallel in ("auto", per_server):
            yield Layout(tp=per_server, pp=servers, per_server=per_server)
        if tensor_parallel in ("auto", per_server * servers):
            yield Layout(tp=per_server * servers, pp=1, per_server=per_server)


def best_plan(shape: Shape, chip: Chip, eff: Efficiency, serving: Serving, targets: Targets, per_server: int,
              tensor_parallel: int | str, spans_network: bool) -> tuple[Plan | None, str]:
    """The layout serving the most requests per server, or None and why none can serve.

    Layouts spanning servers are tried only when no layout within one server fits, and only they use
    the network: so while one fits, the answer does not depend on the server's ports, and is found once
    for every server type with the same accelerators and count (catalogs list one server with several
    network options)."""
    within = _best_plan(shape, _without_network(chip), eff, serving, targets, per_server, tensor_parallel, False)
    if not spans_network or within[0] is not None or _fits_one_server(shape, chip, eff, serving, per_server,
                                                                      tensor_parallel):
        return within
    return _best_plan(shape, chip, eff, serving, targets, per_server, tensor_parallel, True)


@lru_cache(maxsize=4096)
def _without_network(chip: Chip) -> Chip:
    """The chip without its network ports, as the layouts within one server see it (cached: best_plan runs for
    every workload and server type, mostly answered from its cache, and dataclasses.replace costs more)."""
    return replace(chip, scale_out=0.0)


@lru_cache(maxsize=65536)
def _fits_one_server(shape: Shape, chip: Chip, eff: Efficiency, serving: Serving, per_server: int,
                     tensor_parallel: int | str) -> bool:
    return any(Replica(shape, chip, eff, layout, serving).fits() for layout in layouts(per_server, tensor_parallel, False))


@lru_cache(maxsize=65536)
def _best_plan(shape: Shape, chip: Chip, eff: Efficiency, serving: Serving, targets: Targets, per_server: int,
               tensor_parallel: int | str, spans_network: bool) -> tuple[Plan | None, str]:
    best: Plan | None = None
    best_rate = 0.0  # best.requests_per_server, kept rather than recomputed at every layout
    fitting: list[Replica] = []
    smallest_span = None
    for layout in layouts(per_server, tensor_parallel, spans_network):
        servers = layout.servers
        if smallest_span is not None and servers > smallest_span:
            break  # spanning more servers than the first fit only adds network hops
        replica = Replica(shape, chip, eff, layout, serving)
        if not replica.fits():
            continue
        smallest_span = servers if smallest_span is None else smallest_span
        fitting.append(replica)
        share = (layout.per_server // layout.gpus) if servers == 1 else 1.0 / servers
        if best is not None and ceiling(replica) * share / serving.output <= best_rate:
            continue  # even unconstrained this layout serves no more than the best so far
        # The bar in output tokens per second of this replica: even a few 1e-16 of rounding off it would
        # leave the layout far below the 1e-9 it needs to replace the best.
        point = operating_point(replica, targets, None if best is None else best_rate / share * serving.output)
        if point is None:
            continue
        plan = Plan(layout, point, replica)
        rate = plan.requests_per_server
        if best is None or rate > best_rate * (1 + 1e-9):
            best, best_rate = plan, rate
    if best is not None:
        return best, ""
    if not fitting:
        return None, _no_fit_reason(shape, chip, serving, per_server, spans_network)
    return None, _latency_reason(fitting, targets)


def _no_fit_reason(shape: Shape, chip: Chip, serving: Serving, per_server: int, spans_network: bool) -> str:
    weights = shape.params * serving.weight_bytes / GB
    sequence = (serving.prompt + serving.output) * serving.kv_bytes / GB
    where = (f"{MAX_SERVERS_PER_REPLICA} servers" if spans_network
             else "one server (it has no network ports to span servers)")
    return (f"weights do not fit {where}: {fmt3(weights)} GB of weights + {fmt3(sequence)} GB KV for one sequence "
            f"> {per_server} x {fmt3(chip.hbm_bytes / GB)} GB x {fmt3(serving.headroom)} headroom per server")


def _latency_reason(fitting: list[Replica], targets: Targets) -> str:
    """Which target no layout meets, with the best value any layout achieves for it (one sequence)."""
    bests = [(best_latency(r, targets), r.layout) for r in fitting]
    tpot, tpot_layout = min(((b[0], layout) for b, layout in bests), key=lambda t: t[0])
    ttft, ttft_layout = min(((b[1], layout) for b, layout in bests), key=lambda t: t[0])
    pct = f"p{targets.percentile * 100:g}"
    if targets.tpot_s is not None and tpot > targets.tpot_s:
        return (f"cannot meet max_tpot {fmt3(targets.tpot_s * 1000)} ms at {pct}: the best is "
                f"{fmt3(tpot * 1000)} ms ({_describe(tpot_layout)}, idle)")
    return (f"cannot meet max_ttft {fmt3(targets.ttft_s * 1000)} ms at {pct}: the best is "
            f"{fmt3(ttft * 1000)} ms ({_describe(ttft_layout)}, idle)")


def _describe(layout: Layout) -> str:
    text = f"TP{layout.tp}" + (f" x PP{layout.pp}" if layout.pp > 1 else "")
    return text + (f" over {layout.servers} servers" if layout.servers > 1 else "")


def size_inference(workload: InferenceWorkload, catalog: Catalog,
                   table: efficiency_module.Table | None = None) -> Requirement:
    model = resolve_model(workload, catalog)
    shape = shape_of(model, workload.name)
    serving, targets = serving_of(workload, shape), targets_of(workload)
    table = table or efficiency_module.calibrated()
    candidates: list[Candidate] = []
    excluded: dict[str, str] = {}
    for item_id, server in catalog.servers.items():
        reason, acc = accelerated_exclusion(workload, item_id, server, catalog, "an inference server")
        if reason is None:
            reason = lacks_precision(acc, workload.precision)
        if reason is not None:
            excluded[item_id] = reason
            continue
        eff, eff_source = table.efficiency(acc.family, workload.precision, workload.hbm_efficiency,
                                           workload.compute_efficiency, _seconds(workload.allreduce_latency),
                                           _seconds(workload.step_overhead), acc.bf16_flops, acc.tdp,
                                           workload.serving_engine)
        if eff.hbm <= 0 or eff.compute <= 0:
            excluded[item_id] = "hbm_efficiency or compute_efficiency is 0: no usable bandwidth or compute"
            continue
        chip = chip_of(acc, workload.precision, workload.kv_cache_precision, nic_share(server))
        plan, why = best_plan(shape, chip, eff, serving, targets, server.accelerators.count,
                              workload.tensor_parallel, chip.scale_out > 0)
        if plan is None:
            excluded[item_id] = why
            continue
        candidates.append(_candidate(workload, item_id, acc, plan, eff_source))
    listed_but_unavailable(workload, catalog.servers, excluded)
    return Requirement(
        workload=workload.name, kind="inference", demand={"requests_per_s": workload.requests_per_s},
        min_units=0, candidates=tuple(candidates), excluded=excluded, detail=_detail(workload, model, serving, targets))


def _seconds(milliseconds: float | None) -> float | None:
    return None if milliseconds is None else milliseconds / 1000.0


def _candidate(workload: InferenceWorkload, item_id: str, acc: Accelerator, plan: Plan, eff_source: str) -> Candidate:
    point, servers = plan.point, plan.layout.servers
    per_server = plan.requests_per_server
    pct = f"p{workload.percentile * 100:g}"
    detail = {"accelerator": acc.id, "efficiency": eff_source, **_plan_detail(plan),
              f"tpot_{pct}_ms": point.tpot_s * 1000, f"ttft_{pct}_ms": point.ttft_s * 1000,
              "servers_for_demand": servers * ceil_count(workload.requests_per_s / (per_server * servers)),
              "bound": point.bound, "step_bound": point.step_bound}
    return Candidate(item=item_id, per_unit={"requests_per_s": per_server}, fixed_count=None,
                     load=workload.average_load, detail=detail, units_per_replica=servers)


@lru_cache(maxsize=65536)
def _plan_detail(plan: Plan) -> dict:
    """What a plan shows of itself (shared by every workload and server type that lands on it)."""
    point, layout, replica = plan.point, plan.layout, plan.replica
    step = replica.step(point.batch)
    detail = {
        "hbm_efficiency": replica.eff.hbm,
        "compute_efficiency": replica.eff.compute,
        "tp": layout.tp,
        "pp": layout.pp,
        "servers_per_replica": layout.servers,
        "replicas_per_server": plan.replicas_per_server,
        "batch": point.batch,
        "max_batch_memory": replica.max_batch_memory(),
        "step_ms": point.step_s * 1000,
        "step_memory_ms": step.memory_s * 1000,
        "step_compute_ms": step.compute_s * 1000,
        "step_comm_ms": step.comm_s * 1000,
        "output_tokens_per_s_per_server": point.tokens_per_s * plan.replicas_per_server,
        "requests_per_s_per_server": plan.requests_per_server,
    }
    if layout.servers > 1:
        detail["network_gbps_per_server"] = _network_gbps(replica, point, layout)
    return detail


def _network_gbps(replica: Replica, point: Operating, layout: Layout) -> float:
    """Activation traffic a server sends to the next stage (or its all-reduce share), Gb/s."""
    step = replica.step(point.batch)
    tokens = step.batch + step.prefill
    message = tokens * replica.shape.hidden * 2.0
    per_step = message if layout.tp <= layout.per_server else (
        4.0 * replica.shape.layers * (layout.tp - 1) / layout.tp * message / layout.servers)
    return per_step / step.seconds * 8.0 / 1e9


def _detail(workload: InferenceWorkload, model: ModelSpec, serving: Serving, targets: Targets) -> dict:
    return {
        "params": model.params,
        "active_params": model.active,
        "precision": workload.precision,
        "kv_precision": workload.kv_cache_precision,
        "bytes_per_param": serving.weight_bytes,
        "weights_bytes": model.params * serving.weight_bytes,
        "kv_bytes_per_token": serving.kv_bytes,
        "context_tokens": serving.prompt + serving.output,
        "kv_bytes_per_sequence": (serving.prompt + serving.output) * serving.kv_bytes,
        "requests_per_s": workload.requests_per_s,
        "percentile": targets.percentile,
        "max_tpot_ms": workload.max_tpot if workload.max_tpot is not None else "none",
        "max_ttft_ms": workload.max_ttft if workload.max_ttft is not None else "none",
    }
