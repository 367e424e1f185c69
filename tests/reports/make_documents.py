"""Write the study and build-out documents the report tests render (tests/reports/*.json).

dcplan has no `sweep`, `pareto` or build-out planning yet, so this does what they
will do, point by point through the library, and writes their JSON shapes:
  sweep-grid.json     inference-platform: site power × chat demand (some points infeasible)
  sweep-samples.json  inference-platform: 30 draws of demand and electricity price (Monte Carlo)
  pareto.json         inference-platform: TCO against carbon by the epsilon-constraint method
                      (carbon capped at evenly spaced values between the two extremes), each point
                      with its plan; the knee is the point farthest below the chord of the extremes
  buildout.json       inference-platform bought over four periods, with an installed base:
                      derived by hand from the solved plan (prices falling 8 % a year), not optimised
Run from the repository root: .venv/bin/python tests/reports/make_documents.py [grid|samples|pareto|buildout]
"""

from __future__ import annotations

import copy
import itertools
import json
import random
import sys
from pathlib import Path

import dcplan

HERE = Path(__file__).resolve().parent
SCENARIO = HERE.parent.parent / "scenarios" / "inference-platform.yaml"


def solve(overrides: list[str]) -> dict:
    loaded = dcplan.load_scenario(SCENARIO, overrides)
    if not loaded.ok:
        raise SystemExit(f"{overrides}: {dcplan.render_diagnostics(loaded.diagnostics)}")
    try:
        return dcplan.plan_scenario(loaded.scenario).to_dict()
    except dcplan.NoPlan as no_plan:
        return {"status": no_plan.status}


def point(values: dict, plan: dict, keep_plan: bool = False) -> dict:
    out = {"values": values, "status": plan["status"]}
    if "totals" in plan:
        out["objective"], out["totals"] = plan["objective"], plan["totals"]
    if keep_plan and "bom" in plan:
        out["plan"] = plan
    return out


def grid() -> dict:
    points = []
    for power, demand in itertools.product(["0.12 MW", "0.2 MW", "8 MW"], [30, 60, 120]):
        plan = solve([f"sites.0.power={power}", f"workloads.1.requests_per_s={demand}"])
        points.append(point({"workloads.1.requests_per_s": demand, "sites.0.power": power}, plan))
    failed = sum(p["status"] not in ("optimal", "feasible") for p in points)
    return {"dcplan": 1, "scenario": "inference-platform", "currency": "USD", "points": points,
            "summary": {"points": len(points), "failed": failed}}


def samples(count: int = 30, seed: int = 7) -> dict:
    rng = random.Random(seed)
    points = []
    for _ in range(count):
        demand, price = max(50, round(rng.normalvariate(400, 80))), round(rng.uniform(0.06, 0.12), 4)
        plan = solve([f"workloads.0.requests_per_s={demand}", f"sites.0.electricity_price={price}"])
        points.append(point({"workloads.0.requests_per_s": demand, "sites.0.electricity_price": price}, plan))
    return {"dcplan": 1, "scenario": "inference-platform", "currency": "USD", "samples": count, "seed": seed,
            "vary": {"workloads.0.requests_per_s": "normal(400,80)", "sites.0.electricity_price": "uniform(0.06,0.12)"},
            "points": points, "summary": {"points": count}}


def pareto(count: int = 10) -> dict:
    high = solve(["objective=tco"])["totals"]["carbon_t_per_year"]
    low = solve(["objective=carbon"])["totals"]["carbon_t_per_year"]
    points, seen = [], set()
    for k in range(count):
        cap = high - (high - low) * k / (count - 1)
        plan = solve(["objective=tco", f"limits.carbon={cap * 1.0000001:.6f}"])
        key = (plan.get("totals") or {}).get("tco"), (plan.get("totals") or {}).get("carbon_t_per_year")
        if plan["status"] in ("optimal", "feasible") and key not in seen:
            seen.add(key)
            points.append(point({"tco": key[0], "carbon": key[1]}, plan, keep_plan=True))
    points.sort(key=lambda p: p["values"]["tco"])
    mark_knee(points)
    return {"dcplan": 1, "scenario": "inference-platform", "currency": "USD", "objectives": ["tco", "carbon"],
            "points": points}


def mark_knee(points: list[dict]) -> None:
    """In coordinates scaled to [0, 1], the chord of the extremes is x + y = 1; the knee lies farthest below it."""
    if len(points) < 3:
        return
    xs, ys = [p["values"]["tco"] for p in points], [p["values"]["carbon"] for p in points]
    scaled = lambda v, vs: (v - min(vs)) / ((max(vs) - min(vs)) or 1)  # noqa: E731
    best = max(range(len(points)), key=lambda i: 1 - scaled(xs[i], xs) - scaled(ys[i], ys))
    points[best]["knee"] = True


SHARES = {"2027": 0.5, "2028": 0.3, "2029": 0.2, "2030": 0.0}  # share of each BOM line bought per period
OWNED = {"site": "virginia-1", "item": "h100-sxm-8", "quantity": 8}


def buildout() -> dict:
    base = solve([])
    plan = copy.deepcopy(base)
    plan["scenario"] = "inference-platform-buildout"
    plan["bom"] = [line for original in base["bom"] for line in _by_period(original)]
    plan["periods"] = _periods(plan["bom"], base)
    rate = 0.08
    npv = sum((p["capex"] + p["opex"]) / (1 + rate) ** i for i, p in enumerate(plan["periods"]))
    plan["totals"] = {**base["totals"], "capex": round(sum(p["capex"] for p in plan["periods"]), 2),
                      "npv": round(npv, 2)}
    for assignment in plan["assignments"]:
        assignment["period"] = "2027"
    return plan


def _by_period(line: dict) -> list[dict]:
    out, left = [], line["quantity"]
    for i, (period, share) in enumerate(SHARES.items()):
        quantity = left if i == len(SHARES) - 1 else min(left, round(line["quantity"] * share))
        left -= quantity
        if quantity > 0:
            price = round(line["unit_price"] * 0.92 ** i, 2)
            out.append({**line, "period": period, "quantity": quantity, "unit_price": price,
                        "extended_price": round(price * quantity, 2),
                        "power_kw": round(line["power_kw"] / line["quantity"] * quantity, 3),
                        "rack_units": round(line["rack_units"] / line["quantity"] * quantity)})
    return out


def _periods(bom: list[dict], base: dict) -> list[dict]:
    out, installed, bought_share = [], {(OWNED["site"], OWNED["item"]): OWNED["quantity"]}, 0.0
    for period, share in SHARES.items():
        bought = [x for x in bom if x["period"] == period]
        for x in bought:
            if x["category"] in ("server", "storage", "switch"):
                installed[(x["site"], x["item"])] = installed.get((x["site"], x["item"]), 0) + x["quantity"]
        bought_share += share
        it_kw = base["totals"]["it_power_kw"] * bought_share + 10.2 * OWNED["quantity"]
        out.append({"label": period, "capex": round(sum(x["extended_price"] for x in bought), 2),
                    "opex": round(base["totals"]["opex_per_year"] * (bought_share + 0.15), 2),
                    "it_power_kw": round(it_kw, 3), "facility_power_kw": round(it_kw * 1.3, 3),
                    "racks": round(base["totals"]["racks"] * bought_share) + 2,
                    "accelerators": round(base["totals"]["accelerators"] * bought_share) + 8 * OWNED["quantity"],
                    "installed": [{"site": s, "item": i, "quantity": q} for (s, i), q in installed.items()]})
    return out


MAKERS = {"grid": ("sweep-grid.json", grid), "samples": ("sweep-samples.json", samples),
          "pareto": ("pareto.json", pareto), "buildout": ("buildout.json", buildout)}

if __name__ == "__main__":
    for key in sys.argv[1:] or list(MAKERS):
        filename, make = MAKERS[key]
        (HERE / filename).write_text(json.dumps(make(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {HERE / filename}", file=sys.stderr)
