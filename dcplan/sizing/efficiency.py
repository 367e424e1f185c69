"""Calibrated serving efficiencies: what share of peak memory bandwidth and FLOP/s engines achieve.

The factors are fitted by dcplan/sizing/calibrate.py (`make calibrate`) on the calibration part
of calibration/inference.yaml and written to data/efficiency.yaml; docs/sizing.md shows the fit
and every prediction against its measurement. A workload may override both factors.

Lookup, most specific first: the accelerator's family at the workload's precision and serving
engine class; the same family and precision for every class, where the calibration part does not
hold enough measurements of each class to tell them apart (the `efficiency` detail says so); the
same family at another precision (the kernels differ less than the hardware does); for families
no published measurement covers (reported as uncalibrated), the lowest memory-bandwidth share of
the fitted groups and the lowest compute share *of the datasheet peak* any fitted group reached on
its calibration accelerators (η·s below, the fit writes it as `uncalibrated_compute`), taken as
it is, not lowered again by the board power: a plan should not favour hardware that no
measurement backs.

Serving engine class (ENGINE_CLASSES; a workload's `serving_engine`): `released`, the engine as
its publisher ships it (release images and packages, what a buyer runs), or `tuned`, the build a
vendor made for its benchmark submissions (AMD's MLPerf runs of vLLM). calibration.py assigns
each measurement its class from its recorded engine version, never from its error.

Board power. An accelerator running its tensor cores flat out draws more than its board power
allows at the datasheet clock, and its firmware lowers the clock until it fits; the datasheet
peak is units × operations per cycle × the boost clock, reached only lightly loaded (AMD,
"Understanding Peak, Max-Achievable & Delivered FLOPs", parts 1 and 2, ROCm blogs: GEMM
throughput of the MI300X and MI325X with the clock of the run; docs/sizing.md, "Board power").
So the compute a step can use is

    Π_sustained = η_flop · Π · s,    s = min(1, k · P / Π_bf16)

with P the board power (the catalog's `tdp`, from the datasheets), Π_bf16 the dense BF16 peak
and k one calibrated constant for every family, in BF16 TFLOP/s per watt (the clock scales every
precision's peak alike, so one precision measures it). An accelerator whose peak its board power
sustains (s = 1) keeps its datasheet peak; one without a stated board power is taken as
unlimited. Within a family the fitted η_flop is then a share of the sustained peak: the MI325X
(1,000 W) computes 4/3 of an MI300X (750 W) at the same datasheet peak, and an H100 PCIe (350 W)
half an H100 SXM (700 W), against 0.76 of it on the datasheets, once both are limited. The fit
(calibrate.py) chooses k on the calibration part like the other shared constants.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources

from dcplan.sizing.serving import Efficiency
from dcplan.vocab import SERVING_ENGINES

ENGINE_CLASSES = SERVING_ENGINES
PRECISION_PREFERENCE = {"bf16": ("bf16", "fp8", "fp4"), "fp8": ("fp8", "bf16", "fp4"), "fp4": ("fp4", "fp8", "bf16")}


@dataclass(frozen=True)
class Factors:
    hbm: float
    compute: float
    points: int
    source: str  # "hopper/fp8 (25 calibration points)", "lowest of the calibrated groups (family gaudi3 ...)"
    of_datasheet: bool = False  # compute is a share of the datasheet peak (the uncalibrated fallback), not reduced


@dataclass(frozen=True)
class Table:
    groups: dict  # (family, precision, engine class) -> Factors; engine class None: one set for every class
    allreduce_s: float
    step_s: float
    moe: float = 1.0  # the routed experts' share of the dense efficiencies (grouped GEMMs), every family
    exposed: float = 0.0  # share of the shorter roofline side of an operator not overlapped, every family
    power_tflops_per_w: float | None = None  # k: dense BF16 TFLOP/s a watt of board power sustains (None: no limit)
    uncalibrated_compute: float | None = None  # lowest η·s of the fitted groups, a share of the datasheet peak
    # factors() by (family, precision, engine): sizing asks for each workload and server type, thousands of
    # times in a large scenario, and a lookup with its source text costs more than the rest of a cached sizing.
    _found: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def clock_share(self, bf16_tflops: float | None, tdp_w: float | None) -> float:
        """s = min(1, k · P / Π_bf16): the share of its datasheet peak an accelerator's board power sustains."""
        if self.power_tflops_per_w is None or not bf16_tflops or not tdp_w:
            return 1.0
        return min(1.0, self.power_tflops_per_w * tdp_w / bf16_tflops)

    def factors(self, family: str | None, precision: str, engine: str = "released") -> Factors:
        key = (family, precision, engine)
        found = self._found.get(key)
        if found is None:
            found = self._found[key] = self._factors(family, precision, engine)
        return found

    def _factors(self, family: str | None, precision: str, engine: str) -> Factors:
        for candidate in PRECISION_PREFERENCE[precision]:
            found, scope = self._group(family, candidate, engine)
            if found is not None:
                if candidate == precision and not scope:
                    return found
                nearest = "" if candidate == precision else ", the nearest calibrated precision"
                return replace(found, source=f"{family}/{candidate}{nearest} ({found.points} calibration points"
                                             f"{scope})")
        hbm = min(f.hbm for f in self.groups.values())
        why = f"family {family} uncalibrated" if family else "accelerator without a family"
        if self.uncalibrated_compute is None:
            return Factors(hbm, min(f.compute for f in self.groups.values()), 0,
                           f"lowest of the calibrated groups ({why})")
        return Factors(hbm, self.uncalibrated_compute, 0, f"lowest of the calibrated groups ({why}; compute "
                       f"{self.uncalibrated_compute:.3f} of the datasheet peak)", of_datasheet=True)

    def _group(self, family: str | None, precision: str, engine: str) -> tuple[Factors | None, str]:
        """The family's factors at a precision for the engine class, and what to add to their source: nothing
        when they are the class's own, a note when one set serves every class."""
        own = self.groups.get((family, precision, engine))
        if own is not None:
            return own, ""
        shared = self.groups.get((family, precision, None))
        if shared is None:
            return None, ""
        return shared, f"; too few measurements per serving engine class: the same for {' and '.join(ENGINE_CLASSES)}"

    def efficiency(self, family: str | None, precision: str, hbm: float | None = None,
                   compute: float | None = None, allreduce_s: float | None = None,
                   step_s: float | None = None, bf16_tflops: float | None = None,
                   tdp_w: float | None = None, engine: str = "released") -> tuple[Efficiency, str]:
        """The step model's efficiencies, the workload's own where it sets them, and where they come from.

        The fitted compute share applies to the peak the board power sustains (module docstring); a
        workload's own `compute` is a share of the datasheet peak, as it always was."""
        found = self.factors(family, precision, engine)
        share = 1.0 if found.of_datasheet else self.clock_share(bf16_tflops, tdp_w)
        fitted = found.source + (f", compute at {share:.2f} of the datasheet peak for {tdp_w:g} W of board power"
                                 if share < 1.0 and compute is None else "")
        source = fitted if hbm is None and compute is None else "set by the workload" + (
            "" if hbm is not None and compute is not None else f", the rest {fitted}")
        # A workload that states both efficiencies states them for its whole model, experts included.
        own = hbm is not None and compute is not None
        return Efficiency(hbm=found.hbm if hbm is None else hbm,
                          compute=found.compute * share if compute is None else compute,
                          allreduce_s=self.allreduce_s if allreduce_s is None else allreduce_s,
                          step_s=self.step_s if step_s is None else step_s, moe=1.0 if own else self.moe,
                          exposed=self.exposed), source


def parse(data: dict) -> Table:
    groups = {}
    for family, by_precision in data["factors"].items():
        for precision, entry in by_precision.items():
            by_engine = {None: entry} if "hbm" in entry else entry
            for engine, factors in by_engine.items():
                name = f"{family}/{precision}" + ("" if engine is None else f"/{engine}")
                groups[(family, precision, engine)] = Factors(
                    float(factors["hbm"]), float(factors["compute"]), int(factors["points"]),
                    f"{name} ({int(factors['points'])} calibration points)")
    shared = data["shared"]
    power, floor = shared.get("power_tflops_per_w"), shared.get("uncalibrated_compute")
    return Table(groups=groups, allreduce_s=float(shared["allreduce_latency_us"]) * 1e-6,
                 step_s=float(shared["step_overhead_ms"]) * 1e-3, moe=float(shared.get("moe_efficiency", 1.0)),
                 exposed=float(shared.get("exposed_share", 0.0)),
                 power_tflops_per_w=None if power is None else float(power),
                 uncalibrated_compute=None if floor is None else float(floor))


@lru_cache(maxsize=1)
def calibrated() -> Table:
    """The factors shipped with dcplan (data/efficiency.yaml)."""
    import yaml

    text = (resources.files(__package__) / "data" / "efficiency.yaml").read_text(encoding="utf-8")
    return parse(yaml.safe_load(text))
