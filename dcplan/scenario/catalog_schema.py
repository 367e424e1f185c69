"""Schema of catalog items: accelerators, servers, storage, switches, model presets.

The same models validate the built-in catalog files and the extra entries a
scenario adds in its `catalog:` section, so both obey one contract.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, field_validator, model_validator

from dcplan.scenario.fields import (ACCELERATORS, CAPACITY_NODE_TB, COEFFICIENT, FAILURE_RATE, FLOPS_T, HBM_BANDWIDTH,
                                    HBM_GB, ITEM_POWER, KV_BYTES, LINK_SPEED, MEMORY_SERVER_GB, MODEL_SHAPE, PARAMS,
                                    PART_POWER_W, PORTS, PROMPT_TOKENS, Quantity, RACK_UNITS, THROUGHPUT_NODE, VCPUS_SERVER, WIDTH, Q,
                                    StrictModel, Whole, at_most, describe)

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._+-]*$"
DATE_PATTERN = r"^[12][0-9]{3}(-(0[1-9]|1[0-2]))?$"
Attribute = Annotated[float, Field(allow_inf_nan=False, ge=-COEFFICIENT.value, **at_most(COEFFICIENT))]
"""A value in `attrs`: any finite number a generic constraint may sum, within the solver-safe ceiling."""
PRICE_DATE = "When the price was quoted, YYYY or YYYY-MM (the year it was read when the source gives none)"


class Sourced(StrictModel):
    id: str = describe("Unique identifier, used to refer to the item", pattern=ID_PATTERN)
    description: str = describe("One line saying what the item is", default="")
    source: Optional[str] = describe("Where the figures come from (required for built-in entries)", default=None)
    note: Optional[str] = describe("Caveats: estimates, derivations, conflicting figures", default=None)
    attrs: dict[str, Attribute] = describe(
        "Extra numeric attributes for generic `constraints` (e.g. security_score)", default_factory=dict)


class Accelerator(Sourced):
    """A GPU/TPU specification referenced by servers (not purchasable by itself)."""

    vendor: str = describe("Manufacturer", default="")
    bf16_flops: Q("TFLOP/s") = describe("Dense BF16 tensor throughput, without sparsity", gt=0, ceiling=FLOPS_T)
    fp8_flops: Optional[Q("TFLOP/s")] = describe("Dense FP8 tensor throughput; omitted if unsupported", default=None,
                                                 gt=0, ceiling=FLOPS_T)
    fp4_flops: Optional[Q("TFLOP/s")] = describe("Dense FP4 tensor throughput (Blackwell and later); omitted if "
                                                 "unsupported", default=None, gt=0, ceiling=FLOPS_T)
    hbm: Q("GB") = describe("Accelerator memory capacity (HBM, or GDDR where noted)", gt=0, ceiling=HBM_GB)
    hbm_bandwidth: Q("GB/s") = describe("Accelerator memory bandwidth", gt=0, ceiling=HBM_BANDWIDTH)
    tdp: Optional[Q("W")] = describe("Thermal design power; omitted where unpublished", default=None, gt=0,
                                    ceiling=PART_POWER_W)
    scale_up_bandwidth: Optional[Q("GB/s")] = describe(
        "Accelerator-to-accelerator bandwidth inside a server (NVLink, Infinity Fabric, PCIe), both directions "
        "together as vendors quote it; tensor parallelism uses half of it each way. Omitted: PCIe Gen4 x16, "
        "64 GB/s", default=None, gt=0, ceiling=HBM_BANDWIDTH)
    family: Optional[str] = describe(
        "Architecture family (hopper, blackwell, ampere, ada, cdna3, ...): selects the calibrated serving "
        "efficiencies (docs/sizing.md); omitted or uncalibrated = the lowest factors of the calibrated families",
        default=None, pattern=ID_PATTERN)
    confidential_computing: bool = describe("Supports a GPU trusted execution environment", default=False)


class AcceleratorRef(StrictModel):
    model: str = describe("Accelerator id from the catalog")
    count: Whole = describe("Accelerators per server", ge=1, ceiling=ACCELERATORS)


class Nics(StrictModel):
    count: Whole = describe("Network ports that land on leaf switches", ge=0, ceiling=PORTS)
    speed: Q("Gb/s") = describe("Speed of each port", gt=0, ceiling=LINK_SPEED)


class Availability(StrictModel):
    """The periods an item can be bought in (labels are years): from, until, or both."""

    # `from` is a Python keyword: declared through the class namespace, read as `availability.start`.
    __annotations__["from"] = "Optional[float]"
    vars()["from"] = describe("First period (year) the item can be bought in", default=None, ge=1900, le=2200)
    until: Optional[float] = describe("Last period (year) the item can be bought in", default=None, ge=1900, le=2200)

    @property
    def start(self) -> float | None:
        return getattr(self, "from")


class Lifecycle(StrictModel):
    """Fields every purchasable item has for build-outs over periods (ignored by a single purchase)."""

    lifetime: Q("years") = describe("Years in service before it retires; default 5", default=5.0, gt=0, le=50)
    available: Optional[Availability] = describe("Periods it can be bought in; default all", default=None)
    price_change: Annotated[float, Quantity(""), Field(ge=-0.99, le=10.0)] = describe(
        "Price change per year, compounding from the first period (-15% or -0.15); default 0", default=0.0)


class Lease(StrictModel):
    """An offer to lease the item instead of buying it: paid by the hour, for at least one term."""

    price_per_hour: float = describe("Lease price per unit and hour (currency); every hour of the horizon is paid",
                                     ge=0, allow_inf_nan=False, ceiling=COEFFICIENT)
    term: Q("years") = describe("Shortest commitment: a lease is paid for at least one term", gt=0, le=50)
    price_date: Optional[str] = describe(PRICE_DATE, default=None, pattern=DATE_PATTERN)
    source: Optional[str] = describe("Where the lease price comes from", default=None)


class Purchasable(Sourced, Lifecycle):
    price: Optional[float] = describe(
        "Unit price in the scenario currency; null = no public price, not bought unless set in catalog.prices",
        default=None, ge=0, allow_inf_nan=False, ceiling=COEFFICIENT)
    price_date: Optional[str] = describe(PRICE_DATE, default=None, pattern=DATE_PATTERN)
    power: Q("kW") = describe("Maximum power draw", ge=0, ceiling=ITEM_POWER)
    idle_power: Optional[Q("kW")] = describe("Power when idle; default 30 % of `power`", default=None, ge=0,
                                         ceiling=ITEM_POWER)
    rack_units: Whole = describe("Height in rack units", ge=0, ceiling=RACK_UNITS)
    failure_rate: float = describe("Expected failures per unit-year (annualised)", default=0.03, ge=0,
                                   allow_inf_nan=False, ceiling=FAILURE_RATE)
    lease: Optional[Lease] = describe("May be leased instead of bought: {price_per_hour, term}; an item with a "
                                      "lease and no price is leased only", default=None)


class Server(Purchasable):
    """A purchasable server: GPU node, rack-scale system, TPU host or CPU server."""

    accelerators: Optional[AcceleratorRef] = describe("Accelerators in the server; omitted for CPU servers",
                                                      default=None)
    vcpus: Whole = describe("Hardware threads (vCPUs) available to workloads", default=0, ge=0, ceiling=VCPUS_SERVER)
    memory: Q("GB") = describe("Host memory (RAM)", default=0, ge=0, ceiling=MEMORY_SERVER_GB)
    nics: Optional[Nics] = describe("Network ports to cable; omitted = none", default=None)
    confidential_computing: bool = describe(
        "Can run confidential workloads (CPU TEE, and GPU TEE for accelerated servers)", default=False)
    cooling: Literal["air", "liquid"] = describe(
        "How it is cooled; a liquid-cooled server only goes to sites with liquid cooling", default="air")
    rack_scale: bool = describe(
        "A whole rack as shipped (GB200 NVL72): one rack position, at a site whose racks take its power",
        default=False)
    cloud: bool = describe(
        "A cloud offer (an instance of a cloud provider): leased by the hour (`lease`), at cloud sites only",
        default=False)
    provider: Optional[str] = describe(
        "A cloud offer's provider (google-cloud, aws, azure, ...): it runs only at cloud sites of that provider, "
        "or of none named", default=None, pattern=ID_PATTERN)

    @model_validator(mode="after")
    def _cloud_offer_is_leased(self):
        """A cloud instance is rented by the hour and runs on the provider's network."""
        if self.cloud and self.lease is None:
            raise ValueError("a cloud offer (cloud: true) needs `lease: {price_per_hour, term}`")
        if self.cloud and self.price is not None:
            raise ValueError("a cloud offer cannot be bought: give its `lease`, not a `price`")
        if self.cloud and self.nics is not None:
            raise ValueError("a cloud offer runs on the provider's network: leave out `nics`")
        if self.provider is not None and not self.cloud:
            raise ValueError("`provider` is for cloud offers (cloud: true)")
        return self


class StorageNode(Purchasable):
    """A storage node or enclosure."""

    capacity: Q("TB") = describe("Raw capacity", gt=0, ceiling=CAPACITY_NODE_TB)
    throughput: Q("GB/s") = describe("Aggregate read throughput", ge=0, ceiling=THROUGHPUT_NODE)
    encryption: bool = describe("Encryption at rest (self-encrypting drives)", default=False)
    nics: Optional[Nics] = describe("Network ports to cable; omitted = none", default=None)


class Switch(Sourced, Lifecycle):
    """A leaf/spine switch; optics are bought per link end."""

    price: Optional[float] = describe("Unit price; null = not bought unless set in catalog.prices",
                                      default=None, ge=0, allow_inf_nan=False, ceiling=COEFFICIENT)
    price_date: Optional[str] = describe(PRICE_DATE, default=None, pattern=DATE_PATTERN)
    ports: Whole = describe("Number of ports", ge=2, ceiling=PORTS)
    port_speed: Q("Gb/s") = describe("Speed of each port", gt=0, ceiling=LINK_SPEED)
    fabric: Literal["ethernet", "infiniband"] = describe(
        "Ethernet (front-end and back-end networks) or InfiniBand (training back-ends only)", default="ethernet")
    power: Q("kW") = describe("Chassis power without optics", ge=0, ceiling=ITEM_POWER)
    rack_units: Whole = describe("Height in rack units", ge=0, ceiling=RACK_UNITS)
    optic_price: float = describe("Price of one transceiver (one per link end)", default=0, ge=0,
                                  allow_inf_nan=False, ceiling=COEFFICIENT)
    optic_power: Q("W") = describe("Power of one transceiver", default=0, ge=0, ceiling=PART_POWER_W)
    failure_rate: float = describe("Expected failures per unit-year", default=0.03, ge=0, allow_inf_nan=False,
                                   ceiling=FAILURE_RATE)


class ModelSpec(StrictModel):
    """A transformer model's shape: what sizing needs to know."""

    id: Optional[str] = describe("Identifier (required in catalog.models)", default=None, pattern=ID_PATTERN)
    description: str = describe("One line saying what the model is", default="")
    source: Optional[str] = describe("Where the figures come from", default=None)
    note: Optional[str] = describe("Caveats", default=None)
    params: float = describe("Total parameters", gt=0, ceiling=PARAMS, allow_inf_nan=False)
    active_params: Optional[float] = describe("Parameters active per token (MoE); default = params",
                                              default=None, gt=0, allow_inf_nan=False, ceiling=PARAMS)
    layers: Optional[Whole] = describe("Transformer layers (needed for inference)", default=None, ge=1,
                                       ceiling=MODEL_SHAPE)
    hidden_size: Optional[Whole] = describe("Model width", default=None, ge=1, ceiling=WIDTH)
    heads: Optional[Whole] = describe("Attention heads", default=None, ge=1, ceiling=MODEL_SHAPE)
    kv_heads: Optional[Whole] = describe("Key/value heads (GQA)", default=None, ge=1, ceiling=MODEL_SHAPE)
    head_dim: Optional[Whole] = describe("Dimension of each head", default=None, ge=1, ceiling=MODEL_SHAPE)
    kv_bytes_per_token: Optional[float] = describe(
        "KV-cache bytes per token at 16-bit; default 2 x layers x kv_heads x head_dim x 2",
        default=None, gt=0, allow_inf_nan=False, ceiling=KV_BYTES)
    context_length: Optional[Whole] = describe(
        "Longest sequence (prompt + output) the model accepts, in tokens; omitted = not checked",
        default=None, ge=1, ceiling=PROMPT_TOKENS)
    experts: Optional[Whole] = describe("Routed experts per MoE layer (omitted: a dense model)", default=None,
                                        ge=1, ceiling=MODEL_SHAPE)
    experts_per_token: Optional[Whole] = describe("Routed experts each token uses (MoE)", default=None, ge=1,
                                                  ceiling=MODEL_SHAPE)
    attention_flops_per_position: Optional[float] = describe(
        "Attention FLOPs per layer for one new token per context position; default 4 x heads x head_dim "
        "(QK and AV products)", default=None, gt=0, allow_inf_nan=False, ceiling=WIDTH)

    @field_validator("active_params")
    @classmethod
    def _active_within_total(cls, value, info):
        """A mixture of experts activates a share of its parameters per token, never more than all of them."""
        params = info.data.get("params")
        if value is not None and params is not None and value > params:
            raise ValueError(f"active_params ({value:g}) is above params ({params:g}): a token cannot use more "
                             "parameters than the model has")
        return value

    @model_validator(mode="after")
    def _experts_together(self):
        if (self.experts is None) != (self.experts_per_token is None):
            raise ValueError("give both `experts` and `experts_per_token` (or neither, for a dense model)")
        if self.experts is not None and self.experts_per_token > self.experts:
            raise ValueError(f"`experts_per_token` ({self.experts_per_token}) exceeds `experts` ({self.experts})")
        return self

    @property
    def active(self) -> float:
        return self.active_params or self.params

    @property
    def attention_width(self) -> float | None:
        """Attention FLOPs per layer per context position, divided by 4 (heads x head_dim for MHA/GQA)."""
        if self.attention_flops_per_position is not None:
            return self.attention_flops_per_position / 4.0
        if self.heads and self.head_dim:
            return float(self.heads * self.head_dim)
        return None

    def kv_bytes(self, bytes_per_element: float = 2.0) -> float | None:
        """KV cache bytes per token: 2 (K and V) x layers x kv_heads x head_dim x bytes."""
        if self.kv_bytes_per_token is not None:
            return self.kv_bytes_per_token * bytes_per_element / 2.0
        if self.layers and self.kv_heads and self.head_dim:
            return 2.0 * self.layers * self.kv_heads * self.head_dim * bytes_per_element
        return None


class CatalogFile(StrictModel):
    """One built-in catalog data file (any of the sections may be present)."""

    accelerators: list[Accelerator] = Field(default_factory=list, description="Accelerator specifications")
    servers: list[Server] = Field(default_factory=list, description="Servers")
    storage: list[StorageNode] = Field(default_factory=list, description="Storage nodes")
    switches: list[Switch] = Field(default_factory=list, description="Switches")
    models: list[ModelSpec] = Field(default_factory=list, description="Model presets")
