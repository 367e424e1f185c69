"""Fit the serving efficiencies on the calibration part of the measurements: `make calibrate`.

    python -m dcplan.sizing.calibrate            # fit, write data/efficiency.yaml and the docs table
    python -m dcplan.sizing.calibrate --docs     # rewrite the docs table from the shipped factors
    python -m dcplan.sizing.calibrate --check    # only print how the shipped factors do

Method (docs/sizing.md, "Calibration"): the factors minimise Σ log²(predicted / measured) over the
calibration points only. Two factors per (accelerator family, precision) group, the achieved
shares of memory bandwidth and of peak FLOP/s, are fitted per group with Nelder-Mead in logit
space (so they stay between 0 and CEILING), for each pair of the two shared constants (all-reduce
latency, per-step overhead) on a small grid; the pair with the least total error is kept.
A group needs at least MIN_POINTS calibration points, so no factor rests on one measurement;
other groups fall back as efficiency.py describes. The validation part is never read here.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from dcplan.scenario.catalog import builtin
from dcplan.sizing.calibration import MEASUREMENTS, ROOT, group_of, load, predict, predict_all, summarise
from dcplan.sizing.efficiency import Factors, Table, calibrated

MIN_POINTS = 3
ALLREDUCE_US = (5.0, 10.0, 20.0, 40.0)
STEP_MS = (0.5, 1.0, 2.0, 4.0)
CEILING = 0.95
"""Factors are kept in (0, 0.95]: no kernel sustains a datasheet peak, so a fit that wants more is
absorbing something the model misses rather than measuring an efficiency."""
START = (0.6, 0.5)
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


def fit_groups(allreduce_us: float, step_ms: float, points, models, catalog) -> tuple[Table, float]:
    """Fit every group with enough calibration points, for fixed shared constants."""
    shared = dict(allreduce_s=allreduce_us * 1e-6, step_s=step_ms * 1e-3)
    groups: dict[tuple[str, str], list] = {}
    for point in points:
        groups.setdefault(group_of(point, catalog), []).append(point)
    fitted: dict[tuple[str, str], Factors] = {}
    total = 0.0
    for key, members in sorted(groups.items()):
        if len(members) < MIN_POINTS:
            continue

        def error(x, key=key, members=members) -> float:
            trial = Table(groups={key: Factors(_logistic(x[0]), _logistic(x[1]), len(members), "fit")}, **shared)
            return _error(members, trial, models, catalog)

        best, value = nelder_mead(error, [_logit(START[0]), _logit(START[1])])
        fitted[key] = Factors(_logistic(best[0]), _logistic(best[1]), len(members),
                              f"{key[0]}/{key[1]} ({len(members)} calibration points)")
        total += value
    return Table(groups=fitted, **shared), total


def fit(path: Path = MEASUREMENTS, log=print) -> Table:
    points, models = load(path)
    catalog = builtin()
    calibration = [p for p in points if p.split == "calibration"]
    best: tuple[float, Table] | None = None
    for allreduce_us in ALLREDUCE_US:
        for step_ms in STEP_MS:
            table, error = fit_groups(allreduce_us, step_ms, calibration, models, catalog)
            log(f"all-reduce {allreduce_us:g} us, step {step_ms:g} ms: error {error:.4f}")
            if best is None or error < best[0] - 1e-12:
                best = (error, table)
    return best[1]


def factors_yaml(table: Table) -> str:
    lines = ["# Serving efficiencies fitted by `make calibrate` (python -m dcplan.sizing.calibrate) on the",
             "# calibration part of calibration/inference.yaml. Do not edit by hand: docs/sizing.md explains",
             "# the method and tests/test_calibration.py checks the predictions they give.",
             "shared:",
             f"  allreduce_latency_us: {table.allreduce_s * 1e6:g}",
             f"  step_overhead_ms: {table.step_s * 1e3:g}",
             "factors:"]
    families: dict[str, list] = {}
    for (family, precision), factors in sorted(table.groups.items()):
        families.setdefault(family, []).append((precision, factors))
    for family, entries in families.items():
        lines.append(f"  {family}:")
        for precision, f in entries:
            lines.append(f"    {precision}: {{hbm: {f.hbm:.4f}, compute: {f.compute:.4f}, points: {f.points}}}")
    return "\n".join(lines) + "\n"


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
        FACTORS_FILE.write_text(factors_yaml(table), encoding="utf-8")
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
