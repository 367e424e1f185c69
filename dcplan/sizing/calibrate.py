"""Fit the serving efficiencies on the calibration part of the measurements: `make calibrate`.

    python -m dcplan.sizing.calibrate            # fit, write data/efficiency.yaml and the docs table
    python -m dcplan.sizing.calibrate --docs     # rewrite the docs table from the shipped factors
    python -m dcplan.sizing.calibrate --check    # only print how the shipped factors do

Method (docs/sizing.md, "Calibration"): the factors minimise Σ log²(predicted / measured) over the
calibration points only. Two factors per (accelerator family, precision) group, the achieved
shares of memory bandwidth and of peak FLOP/s, are fitted per group on the dense models' points
with Nelder-Mead in logit space (so they stay between 0 and CEILING); then one share for the
routed experts of every mixture of experts, on the mixture-of-experts points with the groups'
factors held (a golden-section search in (MOE_FLOOR, 1]). Both are done for each combination of the
shared constants (exposed share of the roofline, all-reduce latency, per-step overhead, and the
compute a watt of board power sustains, efficiency.py) on a small grid; the combination with the
least total error is kept. A group needs at least MIN_POINTS calibration
points, so no factor rests on one measurement; other groups fall back as efficiency.py describes.
The validation part is never read here.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import replace
from pathlib import Path

from dcplan.scenario.catalog import builtin
from dcplan.sizing.calibration import MEASUREMENTS, ROOT, group_of, load, predict, predict_all, summarise
from dcplan.sizing.efficiency import Factors, Table, calibrated, parse

MIN_POINTS = 3
ALLREDUCE_US = (5.0, 10.0, 20.0, 40.0)
STEP_MS = (0.5, 1.0, 2.0, 4.0)
EXPOSED = (0.0, 0.25, 0.5, 0.75, 1.0)
POWER_TFLOPS_PER_W = (None, 1.0, 1.25, 1.5, 1.75, 2.0)
"""k, dense BF16 TFLOP/s per watt of board power (None: no power limit). The fitted accelerators' datasheet
peaks need 0.78 (A100) to 2.25 (B200) TFLOP/s per watt, so k = 2.25 or more limits none of them, and k ≤ 0.78
limits every one (within a family only the ratios of board powers then count)."""
CEILING = 0.95
"""Factors are kept in (0, 0.95]: no kernel sustains a datasheet peak, so a fit that wants more is
absorbing something the model misses rather than measuring an efficiency."""
START = (0.6, 0.5)
MOE_FLOOR = 0.1
MOE_ITERATIONS = 24
ITERATIONS = 60
FACTORS_FILE = Path(__file__).resolve().parent / "data" / "efficiency.yaml"
DOCS = ROOT / "docs" / "sizing.md"


def _logistic(x: float) -> float:
    return CEILING / (1.0 + math.exp(-x))


def _logit(p: float) -> float:
    return math.log(p / (CEILING - p))


def nelder_mead(f, x0: list[float], step: float = 0.5, iterations: int = ITERATIONS) -> tuple[list[float], float]:
    """Minimise f from x0 (the downhill simplex method, Nelder & Mead 1965): deterministic and dependency-free."""
    n = len(x0)
    simplex = [list(x0)] + [[x0[j] + (step if j == i else 0.0) for j in range(n)] for i in range(n)]
    values = [f(x) for x in simplex]
    for _ in range(iterations):
        order = sorted(range(n + 1), key=lambda i: values[i])
        simplex, values = [simplex[i] for i in order], [values[i] for i in order]
        centre = [sum(x[j] for x in simplex[:-1]) / n for j in range(n)]
        worst = simplex[-1]

        def towards(t: float) -> list[float]:
            return [centre[j] + t * (worst[j] - centre[j]) for j in range(n)]

        reflected = towards(-1.0)
        f_reflected = f(reflected)
        if f_reflected < values[0]:
            expanded = towards(-2.0)
            f_expanded = f(expanded)
            simplex[-1], values[-1] = (expanded, f_expanded) if f_expanded < f_reflected else (reflected, f_reflected)
        elif f_reflected < values[-2]:
            simplex[-1], values[-1] = reflected, f_reflected
        else:
            contracted = towards(0.5)
            f_contracted = f(contracted)
            if f_contracted < values[-1]:
                simplex[-1], values[-1] = contracted, f_contracted
            else:
                for i in range(1, n + 1):
                    simplex[i] = [simplex[0][j] + 0.5 * (simplex[i][j] - simplex[0][j]) for j in range(n)]
                    values[i] = f(simplex[i])
    best = min(range(n + 1), key=lambda i: values[i])
    return simplex[best], values[best]


def _error(points, table: Table, models, catalog) -> float:
    total = 0.0
    for point in points:
        ratio = predict(point, table, models, catalog).ratio
        total += math.log(max(ratio, 1e-3)) ** 2
    return total


def fit_groups(allreduce_us: float, step_ms: float, points, models, catalog,
               exposed: float = 0.0, power: float | None = None) -> tuple[Table, float]:
    """Fit every group with enough calibration points, for fixed shared constants."""
    shared = dict(allreduce_s=allreduce_us * 1e-6, step_s=step_ms * 1e-3, exposed=exposed, power_tflops_per_w=power)
    fitted: dict[tuple, Factors] = {}
    total = 0.0
    for key, members in sorted(engine_groups(points, catalog).items(), key=lambda kv: tuple(map(str, kv[0]))):
        if len(members) < MIN_POINTS:
            continue

        def error(x, key=key, members=members) -> float:
            trial = Table(groups={key: Factors(_logistic(x[0]), _logistic(x[1]), len(members), "fit")}, **shared)
            return _error(members, trial, models, catalog)

        best, value = nelder_mead(error, [_logit(START[0]), _logit(START[1])])
        fitted[key] = Factors(_logistic(best[0]), _logistic(best[1]), len(members), "/".join(filter(None, key)))
        total += value
    return Table(groups=fitted, **shared), total


def engine_groups(points, catalog) -> dict[tuple, list]:
    """The points of each (family, precision, engine class) where every engine class among a family's points at a
    precision has MIN_POINTS of them, else of (family, precision, None): one set of factors for every class."""
    by_class: dict[tuple, dict[str, list]] = {}
    for point in points:
        family, precision, engine = group_of(point, catalog)
        by_class.setdefault((family, precision), {}).setdefault(engine, []).append(point)
    groups: dict[tuple, list] = {}
    for (family, precision), classes in by_class.items():
        if len(classes) > 1 and all(len(members) >= MIN_POINTS for members in classes.values()):
            groups.update({(family, precision, engine): members for engine, members in classes.items()})
        else:
            groups[(family, precision, None)] = [p for members in classes.values() for p in members]
    return groups


def uncalibrated_compute(table: Table, points, catalog) -> float:
    """The lowest compute share of the datasheet peak, η·s, any fitted group reaches on its calibration points'
    accelerators: what a family no measurement covers is given (efficiency.py)."""
    shares = []
    for point in points:
        acc = catalog.accelerators[point.accelerator]
        family, precision, engine = group_of(point, catalog)
        found = table.groups.get((family, precision, engine)) or table.groups.get((family, precision, None))
        if found is not None:
            shares.append(found.compute * table.clock_share(acc.bf16_flops, acc.tdp))
    return min(shares)


def fit_experts(table: Table, points, models, catalog) -> tuple[Table, float]:
    """The routed experts' share of the dense efficiencies, one for every family, in (0, 1]: a golden-section
    search on its logarithm over the mixture-of-experts calibration points, the groups' factors held."""
    if not points:
        return table, 0.0

    def error(log_share: float) -> float:
        return _error(points, replace(table, moe=math.exp(log_share)), models, catalog)

    low, high = math.log(MOE_FLOOR), 0.0
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    fa, fb = error(a), error(b)
    for _ in range(MOE_ITERATIONS):
        if fa < fb:
            high, b, fb = b, a, fa
            a = high - ratio * (high - low)
            fa = error(a)
        else:
            low, a, fa = a, b, fb
            b = low + ratio * (high - low)
            fb = error(b)
    best = min([(fa, a), (fb, b), (error(0.0), 0.0)])
    return replace(table, moe=math.exp(best[1])), best[0]


def is_moe(point, models, catalog) -> bool:
    model = models.get(point.model) or catalog.models[point.model]
    return bool(model.experts)


def fit(path: Path = MEASUREMENTS, log=print) -> Table:
    """Dense groups on the dense calibration points, then the experts' share on the mixture-of-experts ones
    (whose dense part runs at the groups' factors), for each combination of shared constants; the best wins."""
    points, models = load(path)
    catalog = builtin()
    calibration = [p for p in points if p.split == "calibration"]
    dense = [p for p in calibration if not is_moe(p, models, catalog)]
    experts = [p for p in calibration if is_moe(p, models, catalog)]
    best: tuple[float, Table] | None = None
    for power in POWER_TFLOPS_PER_W:
        for exposed in EXPOSED:
            for allreduce_us in ALLREDUCE_US:
                for step_ms in STEP_MS:
                    table, error = fit_groups(allreduce_us, step_ms, dense, models, catalog, exposed, power)
                    table, expert_error = fit_experts(table, experts, models, catalog)
                    log(f"power {'none' if power is None else f'{power:g} TFLOP/s per W'}, exposed {exposed:g}, "
                        f"all-reduce {allreduce_us:g} us, step {step_ms:g} ms: error {error:.4f} "
                        f"+ {expert_error:.4f} (experts at {table.moe:.3f})")
                    if best is None or error + expert_error < best[0] - 1e-12:
                        best = (error + expert_error, table)
    return replace(best[1], uncalibrated_compute=uncalibrated_compute(best[1], calibration, catalog))


def factors_yaml(table: Table) -> str:
    lines = ["# Serving efficiencies fitted by `make calibrate` (python -m dcplan.sizing.calibrate) on the",
             "# calibration part of calibration/inference.yaml. Do not edit by hand: docs/sizing.md explains",
             "# the method and tests/test_calibration.py checks the predictions they give.",
             "shared:",
             f"  allreduce_latency_us: {table.allreduce_s * 1e6:g}",
             f"  step_overhead_ms: {table.step_s * 1e3:g}",
             f"  moe_efficiency: {table.moe:.4f}",
             f"  exposed_share: {table.exposed:g}",
             f"  power_tflops_per_w: {'null' if table.power_tflops_per_w is None else f'{table.power_tflops_per_w:g}'}",
             "factors:"]
    if table.uncalibrated_compute is not None:
        lines.insert(-1, f"  uncalibrated_compute: {table.uncalibrated_compute:.4f}")
    families: dict[str, dict] = {}
    for (family, precision, engine), factors in sorted(table.groups.items(), key=lambda kv: tuple(map(str, kv[0]))):
        families.setdefault(family, {}).setdefault(precision, []).append((engine, factors))
    for family, precisions in families.items():
        lines.append(f"  {family}:")
        for precision, entries in precisions.items():
            if entries[0][0] is None:
                lines.append(f"    {precision}: {_factors_yaml(entries[0][1])}")
                continue
            lines.append(f"    {precision}:")
            lines.extend(f"      {engine}: {_factors_yaml(f)}" for engine, f in entries)
    return "\n".join(lines) + "\n"


def _factors_yaml(f: Factors) -> str:
    return f"{{hbm: {f.hbm:.4f}, compute: {f.compute:.4f}, points: {f.points}}}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dcplan.sizing.calibrate", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="only report how the shipped factors do")
    mode.add_argument("--docs", action="store_true", help="rewrite the table in docs/sizing.md from the shipped "
                                                          "factors, without fitting")
    args = parser.parse_args(argv)
    from dcplan.sizing import sizing_docs

    refit = not (args.check or args.docs)
    table = fit(log=lambda m: print(m, file=sys.stderr)) if refit else calibrated()
    if refit:
        import yaml

        text = factors_yaml(table)
        FACTORS_FILE.write_text(text, encoding="utf-8")
        table = parse(yaml.safe_load(text))  # predict with the factors as shipped (rounded), as the tests do
    predictions = predict_all(table)
    for part in ("calibration", "validation"):
        s = summarise(part, [p for p in predictions if p.point.split == part])
        print(f"{part}: {s.points} points, {s.within_30:.0%} within ±30 %, {s.off_2x} off by 2x or more, "
              f"median ratio {s.median:.3f}")
    if not args.check:
        sizing_docs.write(DOCS, predictions, table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
