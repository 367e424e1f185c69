"""Published measurements and what dcplan predicts for each of them.

calibration/inference.yaml lists published throughput measurements (MLPerf Inference, vendor
performance tables, serving-engine publications) with a fixed calibration/validation split.
`predict` runs each one through the same sizing code a scenario uses (dcplan/sizing/serving.py,
latency.py and the layout search of inference.py) with a given efficiency table, so the fit
(calibrate.py), the tests and the table in docs/sizing.md all judge the shipped code.

Serving engine class of a measurement (efficiency.ENGINE_CLASSES), read from its recorded `engine`
by one rule: `tuned` when the version of the engine it names first is a build of its own, a PEP 440
development release or local build ("vLLM 0.9.0.2.dev108+g71faa1880...", "vLLM 0.4.3+rocm614",
"vLLM 0.6.5.dev964+mlperf50": AMD's MLPerf submissions), `released` otherwise (a numbered release,
"TensorRT-LLM v1.0", "vLLM 0.10.2 (ROCm 7.0.0 image)", or no version stated). The version of a
library named later (PyTorch) does not count.
"""

from __future__ import annotations

import math
import re
import statistics
from dataclasses import dataclass
from pathlib import Path

from dcplan.scenario.catalog import Catalog, builtin
from dcplan.scenario.catalog_schema import ModelSpec
from dcplan.sizing.efficiency import Table
from dcplan.sizing.inference import KV_BYTES, WEIGHT_BYTES, best_plan, chip_of, shape_of
from dcplan.sizing.latency import Targets, closed_loop, operating_point
from dcplan.sizing.serving import Layout, Replica, Serving

ROOT = Path(__file__).resolve().parent.parent.parent
MEASUREMENTS = ROOT / "calibration" / "inference.yaml"
NIC_PER_ACCELERATOR = 400e9 / 8.0
"""Multi-server measurements (2 x 8 H100) use 400 Gb/s per GPU, the DGX/HGX H100 compute fabric."""
CHUNK = 8192
HEADROOM = 0.9
OWN_BUILD = re.compile(r"^\D*?\d+(?:\.\d+)*(?:\.dev\d+|\+)")
"""The first version in an engine string, when it is a development release (.devN) or has a local label (+...)."""


def engine_class(engine: str | None) -> str:
    """`tuned` for an engine string naming a build of its own, `released` for a release (module docstring)."""
    return "tuned" if engine and OWN_BUILD.match(engine) else "released"


@dataclass(frozen=True)
class Point:
    id: str
    split: str
    source: str          # mlperf | vendor-table | amd-rocm | engine-benchmark
    url: str
    accelerator: str
    per_server: int
    gpus: int
    model: str
    precision: str       # bf16 | fp8 | fp4
    kv_precision: str
    tp: int | None
    pp: int | None
    prompt: int
    output: int
    output_cv: float
    scenario: str        # offline | max-throughput | server | interactive | fixed-concurrency
    targets: Targets
    concurrency: int | None
    measured: float      # output tokens/s per GPU
    confidence: str
    engine: str = "released"  # serving engine class (engine_class of the recorded engine)


@dataclass(frozen=True)
class Prediction:
    point: Point
    predicted: float     # output tokens/s per GPU
    layout: str
    bound: str

    @property
    def ratio(self) -> float:
        return self.predicted / self.point.measured


def load(path: Path = MEASUREMENTS) -> tuple[list[Point], dict[str, ModelSpec]]:
    """The measurement points and the model shapes the file adds to the built-in presets."""
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    models = {name: _model(name, entry) for name, entry in data["models"].items() if "layers" in entry}
    return [_point(entry) for entry in data["points"]], models


def _model(name: str, entry: dict) -> ModelSpec:
    active = entry.get("active_params")
    return ModelSpec(id=name, params=float(entry["params"]), active_params=None if active is None else float(active),
                     layers=entry["layers"], hidden_size=entry["hidden"], heads=entry["heads"],
                     kv_heads=entry["kv_heads"], head_dim=entry["head_dim"], experts=entry.get("experts"),
                     experts_per_token=entry.get("experts_per_token"), source=entry.get("source"))


def _point(entry: dict) -> Point:
    precision = "bf16" if entry["precision"] in ("bf16", "fp16") else entry["precision"]
    kv = entry.get("kv_precision") or ("fp8" if precision in ("fp8", "fp4") else "bf16")
    kv = "bf16" if kv == "fp16" else kv
    parallel = entry.get("parallelism") or {}
    limits = entry.get("latency_targets")
    targets = Targets() if not limits else Targets(tpot_s=limits["tpot_s"], ttft_s=limits["ttft_s"],
                                                   percentile=limits["percentile"] / 100.0)
    # A GB200 NVL72 rack is one 72-GPU NVLink domain (the catalog's gb200-nvl72 "server"), also when a
    # measurement used only one 4-GPU tray of it.
    per_server = 72 if entry["accelerator"] == "gb200" else entry["accelerators_per_server"]
    return Point(id=entry["id"], split=entry["split"], source=entry["source"]["kind"], url=entry["source"]["url"],
                 accelerator=entry["accelerator"], per_server=per_server, gpus=entry["gpus_used"], model=entry["model"], precision=precision, kv_precision=kv,
                 tp=parallel.get("tp"), pp=parallel.get("pp"), prompt=round(entry["input_tokens"]),
                 output=round(entry["output_tokens"]), output_cv=float(entry.get("output_cv") or 0.0),
                 scenario=entry["scenario"], targets=targets, concurrency=entry.get("concurrency"),
                 measured=float(entry["output_tokens_per_s_per_gpu"]), confidence=entry["confidence"],
                 engine=engine_class(entry.get("engine")))


def group_of(point: Point, catalog: Catalog | None = None) -> tuple[str, str, str]:
    """(accelerator family, precision, serving engine class): the efficiency factors a point is fitted with."""
    return (catalog or builtin()).accelerators[point.accelerator].family, point.precision, point.engine


def predict(point: Point, table: Table, models: dict[str, ModelSpec], catalog: Catalog | None = None) -> Prediction:
    """What dcplan predicts for the measurement, in output tokens per second per GPU."""
    catalog = catalog or builtin()
    acc = catalog.accelerators[point.accelerator]
    model = models.get(point.model) or catalog.models[point.model]
    shape = shape_of(model, point.id)
    eff, _ = table.efficiency(acc.family, point.precision, bf16_tflops=acc.bf16_flops, tdp_w=acc.tdp,
                              engine=point.engine)
    chip = chip_of(acc, point.precision, point.kv_precision, NIC_PER_ACCELERATOR)
    serving = Serving(prompt=point.prompt, output=point.output, weight_bytes=WEIGHT_BYTES[point.precision],
                      kv_bytes=shape.kv_bytes_16bit * KV_BYTES[point.kv_precision] / 2.0, chunk=CHUNK,
                      headroom=HEADROOM, output_cv=point.output_cv)
    if point.tp:
        layout = Layout(tp=point.tp, pp=point.pp or 1, per_server=point.per_server)
        replica = Replica(shape, chip, eff, layout, serving)
        operating = (closed_loop(replica, point.concurrency) if point.concurrency
                     else operating_point(replica, point.targets))
    else:
        plan, _ = best_plan(shape, chip, eff, serving, point.targets, point.per_server, "auto",
                            point.gpus > point.per_server)
        layout, operating = (plan.layout, plan.point) if plan else (None, None)
    if operating is None:
        return Prediction(point, 0.0, _layout_text(layout), "cannot serve")
    return Prediction(point, operating.tokens_per_s / layout.gpus, _layout_text(layout), operating.bound)


def _layout_text(layout: Layout | None) -> str:
    if layout is None:
        return "-"
    return f"TP{layout.tp}" + (f"xPP{layout.pp}" if layout.pp > 1 else "")


@dataclass(frozen=True)
class Summary:
    part: str
    points: int
    within_30: float     # share of points with 0.7 <= ratio <= 1.3
    off_2x: int          # points with ratio >= 2 or <= 0.5
    median: float
    geometric_mean: float


def summarise(part: str, predictions: list[Prediction]) -> Summary:
    ratios = [p.ratio for p in predictions]
    positive = [r for r in ratios if r > 0]
    return Summary(part=part, points=len(ratios), within_30=sum(0.7 <= r <= 1.3 for r in ratios) / len(ratios),
                   off_2x=sum(r >= 2.0 or r <= 0.5 for r in ratios), median=statistics.median(ratios),
                   geometric_mean=math.exp(statistics.fmean(math.log(r) for r in positive)) if positive else 0.0)


def predict_all(table: Table, path: Path = MEASUREMENTS) -> list[Prediction]:
    points, models = load(path)
    catalog = builtin()
    return [predict(p, table, models, catalog) for p in points]
