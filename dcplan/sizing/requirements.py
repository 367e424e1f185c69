"""What sizing produces: a Requirement per workload (the demand it needs) with a Candidate per item
that can serve it (what one unit contributes), and the checks every workload kind shares.

The MILP never sees models, tokens or latencies: it sees, for every workload, the amount of each
demand dimension it needs and what one unit of each candidate contributes, or for training the
fixed number of servers of each type. Units inside dcplan.sizing are SI (bytes, FLOP, seconds);
the schema's quantities are converted on the way in (GB -> bytes, TFLOP/s -> FLOP/s, ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from dcplan.scenario.catalog import Catalog
from dcplan.scenario.catalog_schema import Accelerator, ModelSpec, Server

GB = 1e9
TFLOPS = 1e12
DAY = 86400.0

SECURE_LEVELS = ("confidential", "restricted")
EPS = 1e-9


class SizingError(ValueError):
    """The workload refers to something sizing cannot use (reference checks should have caught it)."""


@dataclass(frozen=True)
class Candidate:
    item: str                      # server id (or storage node id for storage workloads)
    per_unit: dict[str, float]     # contribution of ONE unit of the item to each demand dimension
    fixed_count: int | None        # training only: servers needed if this type is chosen (homogeneous cluster)
    load: float                    # average utilisation for energy (training 0.9, services `average_load`)
    detail: dict[str, float | int | str] = field(default_factory=dict)
    units_per_replica: int = 1     # inference over several servers: units are bought in whole replicas


@dataclass(frozen=True)
class Requirement:
    workload: str
    kind: str                      # "training" | "inference" | "cpu" | "storage"
    demand: dict[str, float]       # amount of each dimension needed, same keys as Candidate.per_unit
    min_units: int                 # minimum number of units in total (storage: k+m nodes, else 0)
    candidates: tuple[Candidate, ...]
    excluded: dict[str, str]       # item id -> one-line reason it cannot serve
    detail: dict[str, float | int | str] = field(default_factory=dict)
    demand_bound: dict[str, float] = field(default_factory=dict)  # most it may need, where more than `demand`


def ceil_count(x: float) -> int:
    """ceil() that does not round 16.000000000001 up to 17 (float noise from unit conversions)."""
    return math.ceil(x - EPS * max(1.0, abs(x)))


def floor_count(x: float) -> int:
    return math.floor(x + EPS * max(1.0, abs(x)))


def fmt3(x: float) -> str:
    return f"{x:.3g}"


def resolve_model(workload, catalog: Catalog) -> ModelSpec:
    model = workload.model
    if isinstance(model, ModelSpec):
        return model
    if model not in catalog.models:
        raise SizingError(f"workload {workload.name!r}: no model preset {model!r} in the catalog")
    return catalog.models[model]


def accelerator_of(server: Server, catalog: Catalog) -> Accelerator | None:
    if server.accelerators is None:
        return None
    return catalog.accelerators.get(server.accelerators.model)


def common_exclusion(workload, item_id: str, item, catalog: Catalog) -> str | None:
    """Reasons shared by all workload kinds: the `servers` list and the security level."""
    if workload.servers is not None and item_id not in workload.servers:
        return "not in the workload's `servers` list"
    if workload.security in SECURE_LEVELS:
        if isinstance(item, Server):
            if not item.confidential_computing:
                return f"no confidential computing (needed for security: {workload.security})"
            acc = accelerator_of(item, catalog)
            if acc is not None and not acc.confidential_computing:
                return (f"accelerator {acc.id} has no confidential computing "
                        f"(needed for security: {workload.security})")
        elif not getattr(item, "encryption", False):
            return f"no encryption at rest (needed for security: {workload.security})"
    return None


def listed_but_unavailable(workload, section: dict, excluded: dict[str, str]) -> None:
    """Ids the workload names that the scenario's catalog (only/exclude) does not offer."""
    for item_id in workload.servers or []:
        if item_id not in section:
            excluded[item_id] = "not purchasable in this scenario (catalog `only`/`exclude`)"


def accelerated_exclusion(workload, item_id: str, server: Server, catalog: Catalog,
                           purpose: str) -> tuple[str | None, Accelerator | None]:
    """Why an accelerated workload cannot use this server (None if it can), and its accelerator."""
    reason = common_exclusion(workload, item_id, server, catalog)
    acc = accelerator_of(server, catalog)
    if reason is None and server.accelerators is None:
        reason = f"no accelerators (not {purpose})"
    if reason is None and acc is None:
        reason = f"accelerator {server.accelerators.model!r} is not in the catalog"
    return reason, acc


def peak_flops(acc: Accelerator, precision: str) -> float | None:
    """Dense peak in FLOP/s at the precision, or None if the accelerator lacks it."""
    value = {"bf16": acc.bf16_flops, "fp8": acc.fp8_flops, "fp4": acc.fp4_flops}[precision]
    return None if value is None else value * TFLOPS


def lacks_precision(acc: Accelerator, precision: str) -> str | None:
    """Why the accelerator cannot compute at the precision (None if it can)."""
    if peak_flops(acc, precision) is None:
        return f"accelerator {acc.id} has no {precision.upper()} support"
    return None
