"""The shared vocabulary: statuses, objectives and plan metrics, engines, row families, categories.

String enums, so they compare equal to the plain strings of the plan JSON and
the scenario format (`Status.OPTIMAL == "optimal"`), and the CLI's choices,
the schema's literals and the JSON contract all come from one list.
"""

from __future__ import annotations

from enum import Enum


class _Words(str, Enum):
    """A string enum that prints as its value (`f"{Status.OPTIMAL}"` is "optimal")."""

    def __str__(self) -> str:
        return self.value

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)


class Status(_Words):
    """How a solve ended. `optimal`, `feasible`, `infeasible`, `no_solution` are the JSON statuses;
    `error` and `interrupted` are internal; anything an engine says that we do not know is UNKNOWN."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"
    ERROR = "error"
    INTERRUPTED = "interrupted"
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, value):
        return cls.UNKNOWN

    @property
    def has_plan(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


class Objective(_Words):
    """What a plan may minimise (alone, or as weights `{tco: 1, carbon: 80}`)."""

    TCO = "tco"
    CAPEX = "capex"
    ENERGY = "energy"
    CARBON = "carbon"
    POWER = "power"


class Metric(_Words):
    """Plan totals the model writes as expressions: the objectives, plus opex and the energy bill."""

    TCO = "tco"
    CAPEX = "capex"
    ENERGY = "energy"
    CARBON = "carbon"
    POWER = "power"
    OPEX = "opex"
    ENERGY_COST = "energy_cost"


UNKNOWN_BOUND = 1e19
"""Engines say "no bound" with ±1e20 (SCIP) or ±inf: a bound this large is unknown, never a number."""
GAP_TOLERANCE = 1e-6
"""An optimal plan within this relative distance of its bound has gap 0 (engines' own tolerances)."""


def relative_gap(objective: float | None, bound: float | None, status: str) -> float | None:
    """|objective − bound| / |objective|: how far a plan may be from the optimum; None when either is
    unknown. A plan proven optimal reports 0 when the two agree to the engines' tolerance."""
    import math

    if objective is None or bound is None or not math.isfinite(bound) or abs(bound) >= UNKNOWN_BOUND:
        return None
    if status == Status.OPTIMAL and abs(objective - bound) <= GAP_TOLERANCE * max(1.0, abs(objective)):
        return 0.0
    return abs(objective - bound) / max(1e-9, abs(objective))


OBJECTIVE_TOTALS = {Objective.TCO: "tco", Objective.CAPEX: "capex", Objective.ENERGY: "energy_mwh_per_year",
                    Objective.CARBON: "carbon_t_per_year", Objective.POWER: "facility_power_kw"}
"""The key of plan JSON `totals` that holds each objective's value."""

LIMITS = ("capex", "tco", "power", "energy", "carbon")
"""`limits:` keys: hard caps on plan totals (power is facility kW, energy MWh/year, carbon t/year)."""


class Engine(_Words):
    """Engines a scenario (`solver.engine`) or `--solver` may name. `auto` is HiGHS inside OR-Tools (MathOpt),
    as is `highs`; `scip` and `cp-sat` run inside OR-Tools too; `cbc` is CBC through PuLP."""

    AUTO = "auto"
    CP_SAT = "cp-sat"
    SCIP = "scip"
    CBC = "cbc"
    HIGHS = "highs"


class RowFamily(_Words):
    """Families of model rows: each is written by one `add_<family>` function of dcplan.model."""

    DEMAND = "demand"
    SITE_FAILURE = "site_failure"
    DURABILITY = "durability"
    COLOCATION = "colocation"
    SPARES = "spares"
    CUTS = "cuts"
    NETWORK = "network"
    RACK_PACKING = "rack_packing"
    RACKS = "racks"
    POWER = "power"
    CONSTRAINTS = "constraints"
    LIMITS = "limits"
    MASTER = "master"
    OWNERSHIP = "ownership"  # build-outs: what is in use is owned (bought, installed, not retired)
    METRICS = "metrics"  # rows that define a total (the peak power of a build-out)
    BUILD = "build"  # a site not built yet: facility power within the blocks built
    LEASES = "leases"  # units leased instead of bought: no more than in use (all of them for lease-only items)


RELAXABLE_FAMILIES = (RowFamily.POWER, RowFamily.RACKS, RowFamily.LIMITS, RowFamily.CONSTRAINTS)
"""Rows a planner sets by a number in the scenario (site power and racks, limits, generic
constraints): the ones an explanation relaxes and a plan reports with their slack."""


class WorkloadKind(_Words):
    TRAINING = "training"
    INFERENCE = "inference"
    CPU = "cpu"
    STORAGE = "storage"


class Category(_Words):
    """BOM line categories, in the order a BOM lists them."""

    SERVER = "server"
    STORAGE = "storage"
    SWITCH = "switch"
    OPTIC = "optic"
    RACK = "rack"
    FACILITY = "facility"  # blocks of facility power built at a site with `build`


SECURITY_LEVELS = ("public", "internal", "confidential", "restricted")
"""In increasing order; confidential and above need confidential computing / encryption at rest."""

SERVING_ENGINES = ("released", "tuned")
"""Serving engine classes an inference workload's efficiencies come from: the engine as its publisher ships it
(the default), or a vendor's own benchmark-submission build (dcplan/sizing/efficiency.py)."""


class Stage(_Words):
    """Stages of planning a scenario, as reported to a timing callback (`on_stage`)."""

    SIZE = "size"
    PRUNE = "prune"
    BUILD = "build"
    START = "start"  # the greedy warm start
    CUTS = "cuts"
    SOLVE = "solve"
    EXTRACT = "extract"
    VERIFY = "verify"


def parse_objective(text: str) -> str | dict[str, float]:
    """`tco` → "tco"; `tco=1,carbon=80` → {"tco": 1.0, "carbon": 80.0}. Raises ValueError with the reason.

    The command-line form of a scenario's `objective:` (one name, or weights per objective)."""
    import math

    text = text.strip()
    if "=" not in text:
        if text not in Objective.values():
            raise ValueError(f"expected one of {', '.join(Objective.values())}, or weights such as "
                             f"tco=1,carbon=80; found {text!r}")
        return text
    weights: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in Objective.values():
            raise ValueError(f"{part.strip()!r}: expected NAME=WEIGHT with NAME one of {', '.join(Objective.values())}")
        if name in weights:
            raise ValueError(f"{name} is weighted twice")
        try:
            weight = float(value)
        except ValueError:
            raise ValueError(f"{part.strip()!r}: the weight must be a number") from None
        if not math.isfinite(weight) or weight < 0 or weight > 1e9:
            raise ValueError(f"{part.strip()!r}: a weight is a number from 0 to 1e9")
        weights[name] = weight
    if not any(w > 0 for w in weights.values()):
        raise ValueError("give at least one positive weight")
    return weights
