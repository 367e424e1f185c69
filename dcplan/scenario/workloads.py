"""The workloads of a scenario: training runs, inference and CPU services, storage (part of the
scenario schema, dcplan/scenario/schema.py, which re-exports every name here)."""

from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from dcplan.rules import SPARES_RULE
from dcplan.vocab import SECURITY_LEVELS, SERVING_ENGINES
from dcplan.scenario.fields import (
    ACCELERATORS, BATCH, CAPACITY_WORKLOAD_TB, DEADLINE_D, LATENCY_MS, MEMORY_WORKLOAD_GB, PROMPT_TOKENS, REPLICAS,
    REQUESTS, STATE_BYTES, THROUGHPUT_WORKLOAD, TOKENS, VCPUS_WORKLOAD, Ceiling, Efficiency, Fraction, Q,
    StrictModel, Whole, at_most, describe)
from dcplan.scenario.periods import per_period
from dcplan.scenario.catalog_schema import ID_PATTERN, ModelSpec


NAME_PATTERN = ID_PATTERN
CHECKPOINTS = Ceiling(10_000, "ten thousand checkpoints of one run on storage")

# The literals come from dcplan.vocab, so the schema, the CLI's choices and the plan JSON agree.
SecurityLevel = Literal[SECURITY_LEVELS]


class WorkloadBase(StrictModel):
    name: str = describe("Workload name, unique in the scenario", pattern=NAME_PATTERN)
    sites: Optional[list[str]] = describe("Sites the workload may run at; default any", default=None, min_length=1)
    servers: Optional[list[str]] = describe("Server ids the workload may run on; default any that fits",
                                            default=None, min_length=1)
    security: SecurityLevel = describe("Security level: public < internal < confidential < restricted",
                                       default="internal")
    availability: Optional[Fraction] = describe(
        "Availability target; adds binomial spares per pool (needs policies.redundancy.mttr)", default=None)
    spares: Optional[Annotated[Union[Annotated[Whole, Tag("count")], Annotated[str, Tag("rule")]],
                               Discriminator(lambda v: "rule" if isinstance(v, str) else "count")]] = describe(
        "Explicit spares per pool: a count, 'N+2' or '5%'; overrides `availability`", default=None)

    @field_validator("spares")
    @classmethod
    def _spares_form(cls, value):
        if value is None:
            return value
        if isinstance(value, int):
            if value < 0:
                raise ValueError("spares must be at least 0")
            return value
        if not SPARES_RULE.match(value):
            raise ValueError(f"expected a count, 'N+k' or 'p%', found {value!r}")
        return value


class ServiceBase(WorkloadBase):
    survive_site_failure: bool = describe("Demand is still met with any one site down", default=False)
    average_load: Fraction = describe("Average utilisation, scales energy (default 0.6)", default=0.6)


ModelRef = Annotated[
    Union[Annotated[str, Tag("preset")], Annotated[ModelSpec, Tag("inline")]],
    Discriminator(lambda v: "inline" if isinstance(v, (dict, ModelSpec)) else "preset"),
]


class Durability(StrictModel):
    replicas: Optional[Whole] = describe("Full copies of the data (r)", default=None, ge=1, ceiling=REPLICAS)
    erasure: Optional[str] = describe("Erasure code 'k+m' (k data, m parity fragments)", default=None,
                                      pattern=r"^\s*[1-9][0-9]?\s*\+\s*[0-9][0-9]?\s*$")

    @model_validator(mode="after")
    def _exactly_one(self):
        if (self.replicas is None) == (self.erasure is None):
            raise ValueError("give exactly one of `replicas` or `erasure`")
        return self

    @property
    def overhead(self) -> float:
        if self.replicas is not None:
            return float(self.replicas)
        k, m = self.fragments
        return (k + m) / k

    @property
    def fragments(self) -> tuple[int, int]:
        if self.replicas is not None:
            return (1, self.replicas - 1)
        k, m = (int(x) for x in self.erasure.split("+"))
        return k, m

    @property
    def min_nodes(self) -> int:
        k, m = self.fragments
        return k + m


class TrainingStorage(StrictModel):
    """Storage the run needs, bought with its cluster at the cluster's site (docs/sizing.md, "Training")."""

    checkpoint_bytes_per_param: float = describe(
        "Bytes per parameter of one checkpoint; default 14 (bf16 weights 2 + fp32 master weights and two "
        "Adam moments 12, ZeRO paper arXiv:1910.02054; BLOOM's 2.3 TB checkpoint of 176B parameters is 13.1)",
        default=14.0, gt=0, allow_inf_nan=False, ceiling=STATE_BYTES)
    checkpoints_kept: Whole = describe(
        "Checkpoints kept on storage; default 2, the fewest that survive a failure while one is written",
        default=2, ge=1, ceiling=CHECKPOINTS)
    checkpoint_write_bandwidth: Q("GB/s") = describe(
        "Checkpoint write bandwidth needed per accelerator; default 0.427 GB/s, Llama 3 405B's storage "
        "(7 TB/s peak for 16,384 GPUs, arXiv:2407.21783)", default=0.427, ge=0, ceiling=THROUGHPUT_WORKLOAD)
    dataset_bytes_per_token: float = describe(
        "Bytes per training token of the tokenized dataset; default 4 (32-bit token ids, which vocabularies "
        "over 65,500 entries need: Megatron-LM indexed datasets)", default=4.0, ge=0, allow_inf_nan=False,
        ceiling=STATE_BYTES)
    durability: Durability = describe(
        "{replicas: r} or {erasure: 'k+m'}; default erasure 6+3 (HDFS's default RS-6-3 policy)",
        default_factory=lambda: Durability(erasure="6+3"))
    servers: Optional[list[str]] = describe("Storage node ids it may use; default any", default=None,
                                            min_length=1)


class TrainingWorkload(WorkloadBase):
    """LLM pre-training with a deadline: one homogeneous cluster at one site."""

    type: Literal["training"] = describe("Workload kind")
    model: ModelRef = describe("A model preset id, or an inline {params, active_params, ...}")
    tokens: float = describe("Training tokens", gt=0, ceiling=TOKENS, allow_inf_nan=False)
    deadline: Q("days") = describe("Time to finish training", gt=0, ceiling=DEADLINE_D)
    precision: Literal["bf16", "fp8"] = describe("Compute precision of the matrix products", default="bf16")
    mfu: Efficiency = describe("Model FLOPs utilisation while the run makes progress; default 0.40 (Llama 3 405B: "
                             "38-43 % of the BF16 peak, arXiv:2407.21783)", default=0.40)
    mfu_basis: Literal["bf16", "fp8"] = describe(
        "Peak that `mfu` is a share of: bf16 (default, as Llama 3, PaLM and DeepSeek-V3 figures are usually "
        "stated, also for FP8 runs) or fp8", default="bf16")
    goodput: Efficiency = describe(
        "Share of wall-clock time that makes progress (the rest lost to failures, restarts and lost work); "
        "default 0.90, Llama 3 405B's effective training time of over 90 % on 16,384 H100 (arXiv:2407.21783)",
        default=0.90)
    state_bytes_per_param: float = describe(
        "Model and optimizer state bytes per parameter; default 16 (mixed-precision Adam, ZeRO paper)",
        default=16.0, gt=0, allow_inf_nan=False, ceiling=STATE_BYTES)
    optimizer_bytes_per_param: float = describe(
        "Of the state, the optimizer part sharded over data-parallel replicas (ZeRO-1, Megatron-LM's "
        "distributed optimizer); default 12 (fp32 master weights and two Adam moments)",
        default=12.0, ge=0, allow_inf_nan=False, ceiling=STATE_BYTES)
    sequence_length: Whole = describe("Tokens per training sequence; default 8192 (Llama 3 405B pre-training)",
                                      default=8192, ge=1, ceiling=PROMPT_TOKENS)
    memory_headroom: Efficiency = describe("Usable share of HBM for state and activations; default 0.9",
                                         default=0.9)
    storage: Optional[TrainingStorage] = describe(
        "Checkpoint and dataset storage bought with the cluster at its site; null: the run uses storage "
        "outside the plan", default_factory=TrainingStorage)
    period: Optional[float] = describe("Build-outs: the period (label, a year) the run happens in; default the first",
                                       default=None, ge=1900, le=2200)

    @model_validator(mode="after")
    def _optimizer_within_state(self):
        if self.optimizer_bytes_per_param > self.state_bytes_per_param:
            raise ValueError("`optimizer_bytes_per_param` is part of `state_bytes_per_param` and cannot exceed it")
        return self


class InferenceWorkload(ServiceBase):
    """An LLM inference service with a request rate and latency targets."""

    type: Literal["inference"] = describe("Workload kind")
    model: ModelRef = describe("A model preset id, or an inline model shape")
    requests_per_s: per_period(float, "GrowingRequests", REQUESTS, gt=0, allow_inf_nan=False) = describe(
        "Peak requests per second")
    prompt_tokens: Whole = describe("Prompt (input) tokens per request", ge=0, ceiling=PROMPT_TOKENS)
    output_tokens: Whole = describe("Generated tokens per request", ge=1, ceiling=PROMPT_TOKENS)
    output_cv: float = describe(
        "Spread of answer lengths: standard deviation / mean (0 = every answer has output_tokens; MLPerf "
        "datasets 0.4-1.3). Long answers take most decode steps, so spread raises the context a step reads",
        default=0.0, ge=0, le=10, allow_inf_nan=False)
    max_tpot: Optional[Q("ms")] = describe("Latency target: time per output token at `percentile`", default=None,
                                           gt=0, ceiling=LATENCY_MS)
    max_ttft: Optional[Q("ms")] = describe("Latency target: time to first token at `percentile`", default=None,
                                           gt=0, ceiling=LATENCY_MS)
    percentile: Fraction = describe("Share of requests that must meet the latency targets; default 0.99 (p99, as "
                                    "in MLPerf Inference)", default=0.99)
    precision: Literal["bf16", "fp8", "fp4"] = describe(
        "Weight and compute precision; fp4 needs an accelerator with `fp4_flops` (Blackwell)", default="bf16")
    kv_precision: Optional[Literal["bf16", "fp8"]] = describe(
        "KV-cache precision; default fp8 with fp8 or fp4 weights, else bf16", default=None)
    tensor_parallel: Union[Literal["auto"], Annotated[int, Field(ge=1, **at_most(ACCELERATORS))]] = describe(
        "Accelerators per pipeline stage: auto (the degree that serves the most per server) or a number; a "
        "model too large for one server is split into pipeline stages across servers", default="auto")
    hbm_efficiency: Optional[Efficiency] = describe(
        "Achieved share of memory bandwidth; default: calibrated per accelerator family and precision "
        "(docs/sizing.md)", default=None)
    compute_efficiency: Optional[Efficiency] = describe(
        "Achieved share of peak FLOP/s; default: calibrated per accelerator family and precision "
        "(docs/sizing.md)", default=None)
    serving_engine: Literal[SERVING_ENGINES] = describe(
        "Serving engine build the calibrated efficiencies describe: released (the engine as its publisher ships "
        "it, e.g. vLLM's release images) or tuned (a vendor's benchmark-submission build, as in AMD's MLPerf runs "
        "of vLLM). Default released: what a buyer runs without the vendor's own tuning. It differs only for "
        "accelerator families measured with both builds, CDNA3 in FP8 (docs/sizing.md)", default="released")
    step_overhead: Optional[Q("ms")] = describe(
        "Fixed time of one engine step (scheduling, launches, sampling); default: calibrated (docs/sizing.md)",
        default=None, ge=0, ceiling=LATENCY_MS)
    allreduce_latency: Optional[Q("ms")] = describe(
        "Time of one tensor-parallel all-reduce beyond its bandwidth term; default: calibrated (docs/sizing.md)",
        default=None, ge=0, ceiling=LATENCY_MS)
    memory_headroom: Efficiency = describe("Usable share of HBM for weights and KV cache; default 0.9 (TensorRT-LLM "
                                         "and vLLM both default to 0.9)", default=0.9)
    max_batch: Optional[Whole] = describe(
        "Most sequences decoded together per replica (the engine's max_batch_size / max_num_seqs); default: "
        "no cap beyond memory and latency", default=None, ge=1, ceiling=BATCH)
    prefill_chunk: Whole = describe(
        "Token budget of one engine step, decode tokens plus a chunk of prompt tokens (max_num_tokens); "
        "default 8192, trtllm-serve's default", default=8192, ge=16, ceiling=PROMPT_TOKENS)

    @field_validator("percentile")
    @classmethod
    def _percentile_range(cls, value):
        if not 0.5 <= value < 1.0:
            raise ValueError("`percentile` must be at least 0.5 (the median) and below 1 (e.g. 0.99)")
        return value

    @property
    def kv_cache_precision(self) -> str:
        if self.kv_precision is not None:
            return self.kv_precision
        return "fp8" if self.precision in ("fp8", "fp4") else "bf16"


class CpuWorkload(ServiceBase):
    """CPU services: vCPUs and memory packed onto CPU servers in aggregate."""

    type: Literal["cpu"] = describe("Workload kind")
    vcpus: per_period(Whole, "GrowingVcpus", VCPUS_WORKLOAD, ge=1) = describe("vCPUs (hardware threads) needed")
    memory: per_period(Q("GB"), "GrowingMemory", MEMORY_WORKLOAD_GB, ge=0) = describe("Memory needed", default=0)


class StorageWorkload(ServiceBase):
    """Storage with a usable capacity, throughput and a durability scheme."""

    type: Literal["storage"] = describe("Workload kind")
    capacity: per_period(Q("TB"), "GrowingCapacity", CAPACITY_WORKLOAD_TB, gt=0) = describe("Usable capacity")
    throughput: per_period(Q("GB/s"), "GrowingThroughput", THROUGHPUT_WORKLOAD, ge=0) = describe(
        "Aggregate throughput needed", default=0)
    durability: Durability = describe("{replicas: r} or {erasure: 'k+m'}")
    colocate_with: Optional[str] = describe(
        "A training workload: this storage is bought at the site that workload's cluster is placed at",
        default=None, pattern=NAME_PATTERN)


Workload = Annotated[Union[TrainingWorkload, InferenceWorkload, CpuWorkload, StorageWorkload],
                     Field(discriminator="type")]
