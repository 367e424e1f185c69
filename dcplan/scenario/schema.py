"""Schema of a scenario file (format version 1), the single source of the format.

Every field has a unit (for quantities), a default and a one-line description;
`dcplan schema` emits these models as JSON Schema, and docs/scenario-format.md
is generated from them. Defaults that are figures carry their source in the
description. Cross-references (unknown sites, accelerators) are checked after
parsing, in references.py.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Literal, Optional, Union

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from dcplan.rules import SPARES_RULE
from dcplan.vocab import SECURITY_LEVELS, Engine, Objective
from dcplan.scenario import units
from dcplan.scenario.fields import (
    ACCELERATORS, BATCH, CAPACITY_WORKLOAD_TB, CARBON_INTENSITY, CARBON_T, COEFFICIENT, DEADLINE_D, ELECTRICITY_PRICE, ENERGY_MWH,
    HORIZON_Y, ITEM_POWER, LATENCY_MS, MEMORY_WORKLOAD_GB, MTTR_H, OVERSUBSCRIPTION, PROMPT_TOKENS, PUE, RACK_UNITS,
    RACKS, REPLICAS, REQUESTS, ROW_BOUND, SITE_POWER, STATE_BYTES, THREADS, THROUGHPUT_WORKLOAD, TIME_LIMIT_S, TOKENS,
    VCPUS_WORKLOAD, WEIGHT, Ceiling, Efficiency, Fraction, Q, StrictModel, Whole, at_most, describe)
from dcplan.scenario.periods import Periods, per_period
from dcplan.scenario.catalog_schema import ID_PATTERN, Accelerator, ModelSpec, Server, StorageNode, Switch

OBJECTIVES = Objective.values()
ENGINES = Engine.values()
NAME_PATTERN = ID_PATTERN
CHECKPOINTS = Ceiling(10_000, "ten thousand checkpoints of one run on storage")

# The literals come from dcplan.vocab, so the schema, the CLI's choices and the plan JSON agree.
SecurityLevel = Literal[SECURITY_LEVELS]
ObjectiveName = Literal[OBJECTIVES]


class Limits(StrictModel):
    """Hard caps on plan totals over all sites."""

    capex: Optional[float] = describe("Maximum capital expenditure (currency)", default=None, ge=0,
                                      allow_inf_nan=False, ceiling=ROW_BOUND)
    tco: Optional[float] = describe("Maximum total cost of ownership over the horizon (currency)", default=None,
                                    ge=0, allow_inf_nan=False, ceiling=ROW_BOUND)
    power: Optional[Q("kW")] = describe("Maximum facility power over all sites (IT power x PUE)", default=None, ge=0,
                                     ceiling=SITE_POWER)
    energy: Optional[Q("MWh")] = describe("Maximum facility energy per year", default=None, ge=0,
                                        ceiling=ENERGY_MWH)
    carbon: Optional[Q("t")] = describe("Maximum carbon emissions per year (tonnes CO2e)", default=None, ge=0,
                                     ceiling=CARBON_T)


class SolverOptions(StrictModel):
    engine: Literal[ENGINES] = describe(
        "Optimisation engine: auto (HiGHS inside OR-Tools, measured fastest on dcplan models), highs (the same), "
        "scip or cp-sat (inside OR-Tools), cbc (CBC through PuLP)", default="auto")
    time_limit: Q("s") = describe("Time for everything after loading (sizing, building, solving, verifying); a "
                                  "plan found by then is reported feasible with its gap", default=60.0, gt=0,
                                  ceiling=TIME_LIMIT_S)
    gap: Fraction = describe("Accept a plan proven within this relative gap of the optimum", default=0.001)
    threads: Whole = describe("Solver threads; 0 = all cores", default=0, ge=0, ceiling=THREADS)


class CatalogSection(StrictModel):
    """What may be bought: the built-in catalog, restricted, extended and re-priced."""

    builtin: bool = describe("Start from the embedded catalog", default=True)
    only: Optional[list[str]] = describe("Restrict purchasable items to these ids", default=None)
    exclude: list[str] = describe("Ids that may not be bought", default_factory=list)
    accelerators: list[Accelerator] = describe("Extra or replacing accelerator specifications", default_factory=list)
    servers: list[Server] = describe("Extra or replacing servers", default_factory=list)
    storage: list[StorageNode] = describe("Extra or replacing storage nodes", default_factory=list)
    switches: list[Switch] = describe("Extra or replacing switches", default_factory=list)
    models: list[ModelSpec] = describe("Extra or replacing model presets", default_factory=list)
    prices: dict[str, Annotated[float, Field(ge=0, allow_inf_nan=False, **at_most(COEFFICIENT))]] = describe(
        "Price overrides by item id", default_factory=dict)


class Site(StrictModel):
    name: str = describe("Site name, unique in the scenario", pattern=NAME_PATTERN)
    power: per_period(Q("kW"), "GrowingPower", SITE_POWER, gt=0) = describe(
        "Facility power cap: IT power x PUE must stay within it")
    pue: float = describe("Power usage effectiveness (facility / IT power); default 1.3, new large "
                          "builds per Uptime Institute 2023", default=1.3, ge=1.0, ceiling=PUE, allow_inf_nan=False)
    racks: per_period(Whole, "GrowingRacks", RACKS, ge=0) = describe("Rack positions available")
    rack_power: per_period(Q("kW"), "GrowingRackPower", ITEM_POWER, gt=0) = describe("Power and cooling per rack")
    rack_units: Whole = describe("Usable rack units per rack", default=42, ge=1, ceiling=RACK_UNITS)
    cooling: Literal["air", "liquid", "both"] = describe(
        "How racks are cooled: air, liquid (every rack liquid-cooled, at `rack_power`) or both (air racks at "
        "`rack_power`, liquid racks at `liquid_rack_power`); liquid-cooled servers need liquid or both",
        default="air")
    liquid_rack_power: Optional[Q("kW")] = describe(
        "Power per liquid-cooled rack at a site with `cooling: both`; default `rack_power`", default=None, gt=0,
        ceiling=ITEM_POWER)
    electricity_price: per_period(float, "GrowingPrice", ELECTRICITY_PRICE, ge=0, allow_inf_nan=False) = describe(
        "Electricity price per kWh (currency); default 0.0862, 2025 US industrial average (EIA EPM 5.3)",
        default=0.0862)
    carbon_intensity: per_period(Q("kg/kWh"), "GrowingCarbonIntensity", CARBON_INTENSITY, ge=0) = describe(
        "Grid carbon intensity; default 0.481 kg/kWh, 2023 world average (Ember)", default=0.481)

    @field_validator("liquid_rack_power")
    @classmethod
    def _liquid_racks_exist(cls, value, info):
        """Only a site with air and liquid racks has a second rack power; elsewhere it would be ignored."""
        cooling = info.data.get("cooling", "air")
        if value is not None and cooling != "both":
            where = ("an air-cooled site has no liquid racks" if cooling == "air" else
                     "at a liquid-cooled site every rack is liquid-cooled: give its power as rack_power")
            raise ValueError(f"liquid_rack_power is for sites with cooling: both; {where}")
        return value




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


class NetworkPolicy(StrictModel):
    training_oversubscription: float = describe("Leaf down:up ratio for training back-ends (1 = non-blocking)",
                                                default=1.0, ge=1.0, ceiling=OVERSUBSCRIPTION, allow_inf_nan=False)
    frontend_oversubscription: float = describe("Leaf down:up ratio for front-end networks", default=3.0,
                                                ge=1.0, ceiling=OVERSUBSCRIPTION, allow_inf_nan=False)
    dual_homed: bool = describe("Every server port is cabled to two leaves", default=False)
    switch: Optional[str] = describe("Switch id to use for leaves and spines; default the cheapest that fits",
                                     default=None)


class RedundancyPolicy(StrictModel):
    mttr: Q("h") = describe("Mean time to repair a failed server; default 72 h, a planning figure for replacing a GPU node on site (vendors publish none)",
                            default=72.0, gt=0, ceiling=MTTR_H)


class SecurityPolicy(StrictModel):
    isolate: list[SecurityLevel] = describe("Levels that get dedicated racks and leaf switches",
                                            default_factory=list)


class CostPolicy(StrictModel):
    maintenance: Fraction = describe("Yearly maintenance and support as a share of capex; default 0",
                                     default=0.0)
    rack_price: float = describe("Price of one rack position fitted out (enclosure, PDUs); default 0",
                                 default=0.0, ge=0, allow_inf_nan=False, ceiling=COEFFICIENT)


class Policies(StrictModel):
    network: NetworkPolicy = describe("Network fabric policy", default_factory=NetworkPolicy)
    redundancy: RedundancyPolicy = describe("Redundancy policy", default_factory=RedundancyPolicy)
    security: SecurityPolicy = describe("Security policy", default_factory=SecurityPolicy)
    costs: CostPolicy = describe("Cost assumptions beyond the catalog prices", default_factory=CostPolicy)


class GenericConstraint(StrictModel):
    name: str = describe("Constraint name, shown in reports", pattern=NAME_PATTERN)
    sum: str = describe("What to add up per unit bought: quantity; accelerators; a numeric field (price, power, "
                        "vcpus, ...); attrs.NAME, or a bare NAME that is no field, for an attribute in `attrs`. "
                        "Racks have quantity and price (policies.costs.rack_price) only")
    where: dict[str, Union[str, Annotated[float, Field(allow_inf_nan=False)], bool, list[str]]] = describe(
        "Item filter: category (server, storage, switch or rack; a list for several), id, site, or any field or "
        "attribute of the items; every name must exist", default_factory=dict)
    min: Optional[float] = describe("Lower bound of the sum", default=None, allow_inf_nan=False,
                                   ge=-ROW_BOUND.value, ceiling=ROW_BOUND)
    max: Optional[float] = describe("Upper bound of the sum", default=None, allow_inf_nan=False,
                                   ge=-ROW_BOUND.value, ceiling=ROW_BOUND)

    @model_validator(mode="after")
    def _has_bound(self):
        if self.min is None and self.max is None:
            raise ValueError("give `min`, `max` or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min:g}) is above `max` ({self.max:g})")
        return self


# Metrics an `assert` entry may bound: the plan's `totals` keys, each with the unit of its bounds
# (None: money in the scenario currency, or a count; plain numbers only).
ASSERT_METRICS = {"capex": None, "opex_per_year": None, "tco": None, "npv": None, "it_power_kw": "kW",
                  "facility_power_kw": "kW", "energy_mwh_per_year": "MWh", "carbon_t_per_year": "t",
                  "racks": None, "accelerators": None}
SITE_METRICS = ("facility_power_kw", "it_power_kw", "racks")
AssertMetric = Literal[tuple(ASSERT_METRICS)]
AssertBound = Optional[Union[Annotated[float, Field(allow_inf_nan=False)], str]]


class Assertion(StrictModel):
    """An expectation on the solved plan, checked by `dcplan check` after solving. Unlike `limits` (hard
    constraints of the model, which make a scenario infeasible), an assertion never changes the plan: a plan
    that breaks it fails the check."""

    name: str = describe("Assertion name, unique in the scenario; shown when the check fails",
                         pattern=NAME_PATTERN)
    metric: AssertMetric = describe("Plan total to bound (a key of the plan's `totals`); with `site`, that "
                                    "site's facility_power_kw, it_power_kw or racks")
    max: AssertBound = describe("Upper bound in the metric's unit: currency for capex, opex_per_year and tco; "
                                "kW for it_power_kw and facility_power_kw; MWh for energy_mwh_per_year; tonnes "
                                "CO2e for carbon_t_per_year (these three also take a string with a unit: "
                                "'20 MW', '2 GWh', '500 t'); a count for racks and accelerators", default=None)
    min: AssertBound = describe("Lower bound, in the same unit as `max`", default=None)
    site: Optional[str] = describe("A scenario site: bound that site's figure instead of the plan total",
                                   default=None)
    period: Optional[float] = describe("Build-outs: bound that period's figure (a period label, a year) instead "
                                       "of the plan total", default=None, ge=1900, le=2200)

    @field_validator("max", "min")
    @classmethod
    def _in_metric_unit(cls, value, info):
        metric = info.data.get("metric")
        if value is None or metric is None:
            return value
        symbol = ASSERT_METRICS[metric]
        if symbol is None and isinstance(value, str):
            raise ValueError(f"`{metric}` takes a plain number (currency or count), found {value!r}")
        try:
            return units.to_unit(value, units.unit(symbol or ""))
        except units.UnitError as err:
            raise ValueError(str(err)) from None

    @model_validator(mode="after")
    def _bounds_and_site(self):
        if self.min is None and self.max is None:
            raise ValueError("give `min`, `max` or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min:g}) is above `max` ({self.max:g})")
        if self.site is not None and self.metric not in SITE_METRICS:
            raise ValueError(f"with `site`, `metric` must be one of {', '.join(SITE_METRICS)}; "
                             f"found {self.metric!r}")
        if self.period is not None and self.metric in ("tco", "npv"):
            raise ValueError(f"`{self.metric}` is a total of the whole build-out: it has no value per `period`")
        return self


ObjectiveSpec = Annotated[
    Union[Annotated[ObjectiveName, Tag("name")],
          Annotated[dict[ObjectiveName, Annotated[float, Field(ge=0, allow_inf_nan=False, **at_most(WEIGHT))]],
                    Tag("weights")]],
    Discriminator(lambda v: "weights" if isinstance(v, dict) else "name"),
]


class Installed(StrictModel):
    """Equipment already owned at a site: it serves workloads without being bought again."""

    item: str = describe("Catalog id of a server, storage node or switch")
    site: str = describe("Site where it is installed")
    quantity: int = describe("Units owned", ge=1, le=10_000_000)
    since: Optional[float] = describe("Year it was bought (retires `lifetime` years later); default the "
                                      "first period", default=None, ge=1900, le=2200)


class Scenario(StrictModel):
    """A dcplan scenario: workloads to host, sites, policies and the catalog to buy from."""

    dcplan: Literal[1] = describe("Format version; must be 1")
    name: str = describe("Scenario name", min_length=1)
    description: str = describe("Free text about the scenario", default="")
    horizon: Q("years") = describe("TCO horizon", default=4.0, gt=0, ceiling=HORIZON_Y)
    currency: str = describe("Currency label for all money figures", default="USD")
    objective: ObjectiveSpec = describe("tco | capex | energy | carbon | power, or weights such as "
                                        "{tco: 1, carbon: 80}", default="tco")
    limits: Limits = describe("Hard caps on plan totals", default_factory=Limits)
    solver: SolverOptions = describe("Solver options", default_factory=SolverOptions)
    catalog: CatalogSection = describe("Catalog in effect", default_factory=CatalogSection)
    sites: list[Site] = describe("Sites that can host equipment", min_length=1)
    workloads: list[Workload] = describe("Workloads to host", min_length=1)
    policies: Policies = describe("Network, redundancy, security and cost policies", default_factory=Policies)
    constraints: list[GenericConstraint] = describe("Generic linear limits over what is bought",
                                                    default_factory=list)
    periods: Optional[Periods] = describe("A build-out over several periods: {start, count, length}; "
                                          "default one purchase", default=None)
    discount_rate: Fraction = describe("Yearly discount rate for the net present value of a build-out "
                                       "(8% or 0.08); default 0", default=0.0)
    installed: list[Installed] = describe("Equipment already owned (also for a single purchase)",
                                          default_factory=list)
    # `assert` is a Python keyword, so this field is declared through the class namespace (code reads it as
    # `scenario.assertions`). A real field name rather than an alias keeps the JSON Schema, the generated
    # docs, "did you mean" hints and error positions all saying `assert`.
    __annotations__["assert"] = "list[Assertion]"
    vars()["assert"] = describe("Expectations on the solved plan (bounds on its totals), checked by `dcplan "
                                "check` after solving; not constraints of the model", default_factory=list)

    @property
    def assertions(self) -> list[Assertion]:
        return getattr(self, "assert")

    @field_validator("objective")
    @classmethod
    def _weights_not_empty(cls, value):
        if isinstance(value, dict) and not any(w > 0 for w in value.values()):
            raise ValueError("give at least one positive weight")
        return value

    @field_validator("assert")
    @classmethod
    def _assertions_unique_and_sited(cls, value, info):
        """Assertion names are unique and a `site` names a scenario site (sites are validated first)."""
        sites = [s.name for s in info.data.get("sites", ())]
        problems, seen = [], set()
        for index, entry in enumerate(value):
            if entry.name in seen:
                problems.append(f"assert[{index}].name: {entry.name!r} is already used by another assertion")
            seen.add(entry.name)
            if sites and entry.site is not None and entry.site not in sites:
                close = difflib.get_close_matches(entry.site, sites, n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else f" (sites: {', '.join(sites)})"
                problems.append(f"assert[{index}].site: no site named {entry.site!r}{hint}")
        if problems:
            raise ValueError("; ".join(problems))
        return value
