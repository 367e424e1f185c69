"""Seeded generator of large, realistic scenarios for benchmarks (issue "Planning at scale").

    python -m bench.generate --workloads 1000 --servers 60 --sites 4 --seed 1 -o big.yaml

The same arguments always give the same file. Size knobs:

- `--workloads W`: the mix by default is 5 % training, 45 % inference, 40 % cpu,
  10 % storage (`--mix training=0.05,inference=0.45,cpu=0.40,storage=0.10`),
  rounded by largest remainder so the counts add up to W.
- `--servers S`: the purchasable catalog, S item types that form pools: about
  55 % GPU servers, 35 % CPU servers and 10 % storage nodes (at least 2 CPU
  servers and 2 storage nodes). Each is a variant of a built-in item (`VARIANT
  KNOBS` below): price ±15 %, power ±8 %, a hardware generation (previous /
  current / refresh), NIC speed, and for CPU servers and storage nodes the size
  (threads, memory, drives). Every variant says `source: generated (bench)` and
  notes its base and factors. `catalog.only` restricts purchases to them and
  the built-in switches; accelerators and model presets stay built-in.
- `--sites K`: power, racks, PUE, rack power, electricity price and carbon
  intensity drawn from published ranges (PUE 1.1-1.6, Uptime Institute surveys; industrial
  electricity 0.068-0.18 per kWh; Ember 2023 grid intensities 0.030-0.713
  kg/kWh; rack power 20-60 kW).
- `--policies on|off`: on (default) adds availability targets and explicit
  spares, security levels with `isolate: [restricted]`, `survive_site_failure`
  on some services, data-residency `sites:` lists and dual-homed servers; off
  gives the bare demand.

Fit: after drawing the workloads, the generator sizes them (dcplan.sizing) and
estimates the IT power and rack positions of each one's cheapest option (the
greedy planner's ranking at the first site; × m/(m−1) with
survive_site_failure over m sites, × 1.1 for spares and network). Site power
and racks are set so that this need is `--utilisation` (default 0.6) of what
the sites offer, split unevenly across sites (shares 0.7-1.3), with room in the
smallest site for twice the largest training cluster and half a part-filled
rack per item type and isolation group. Then the greedy planner
(dcplan.solve.greedy) must place every workload; if it cannot, every site grows by
15 % until it can. So every generated scenario has a feasible plan, the
greedy one, and typically uses 55-70 % of the power offered; the cheapest
sites (electricity, PUE) fill up first, so site limits still shape the
optimum. A workload that no generated server can serve (e.g. DeepSeek-V3 in
a catalog without a large-memory GPU) is redrawn.

Prices of built-in items that have none (docs/catalog-sources.md) are estimates
for benchmarking only, documented in ESTIMATED_PRICES.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from pathlib import Path

DEFAULT_MIX = {"training": 0.05, "inference": 0.45, "cpu": 0.40, "storage": 0.10}
DEFAULT_UTILISATION = 0.6

# Built-in bases, in the order variants are drawn (a small catalog still covers the main families).
GPU_BASES = ("h100-sxm-8", "h200-sxm-8", "l40s-8", "mi300x-8", "b200-8", "l4-8", "a100-sxm-8", "mi325x-8",
             "gaudi3-8", "gb200-nvl72")
CPU_BASES = ("epyc-9654-2s",)  # the built-in catalog has no Xeon server since no Xeon price was found
STORAGE_BASES = ("hdd-4u-60x24tb", "nvme-2u-24x30tb", "qlc-2u-24x61tb")

ESTIMATED_PRICES = {
    # as scenarios/enterprise-multisite.yaml: 2 x US$11,805 (AMD list price, EPYC 9654) x 1.38 (Epoch AI overhead)
    "epyc-9654-2s": 32582.0,
    # as scenarios/enterprise-multisite.yaml: 60 x 24 TB x US$20.4/TB (STH) x 1.38
    "hdd-4u-60x24tb": 40434.0,
    # [U] no enterprise SSD price was found: assumed 3x the HDD price per TB (US$61/TB) x 1.38
    "nvme-2u-24x30tb": 62000.0,
    # [U] QLC assumed 2.2x the HDD price per TB (US$45/TB) x 1.38
    "qlc-2u-24x61tb": 91600.0,
}

# Sites: (region label, grid carbon intensity kg/kWh, Ember 2023, via Our World in Data)
REGIONS = (("no", 0.030), ("fr", 0.056), ("fi", 0.079), ("br", 0.098), ("ca", 0.170), ("de", 0.381),
           ("us", 0.481), ("au", 0.549), ("cn", 0.582), ("in", 0.713))
RACK_POWERS_KW = (20.0, 30.0, 41.0, 60.0)  # enterprise hall, dense, DGX H100 x4, DGX B200 x4 (DGX H100 and DGX B200 datasheets)

# Inference models: (preset, share, precision, requests/s range)
INFERENCE_MODELS = (("llama3-8b", 0.40, "bf16", (5.0, 150.0)), ("llama3-70b", 0.30, "bf16", (1.0, 30.0)),
                    ("mixtral-8x7b", 0.15, "bf16", (2.0, 40.0)), ("deepseek-v3", 0.10, "fp8", (0.5, 8.0)),
                    ("llama3-405b", 0.05, "fp8", (0.5, 5.0)))
# Training: (preset, share, tokens range)
TRAINING_MODELS = (("llama3-8b", 0.5, (2e11, 2e12)), ("llama3-70b", 0.4, (1e11, 1e12)),
                   ("mixtral-8x7b", 0.1, (2e11, 1.5e12)))
SECURITY_MIX = (("public", 0.25), ("internal", 0.50), ("confidential", 0.18), ("restricted", 0.07))
DURABILITY_MIX = (({"erasure": "8+3"}, 0.4), ({"erasure": "4+2"}, 0.3), ({"erasure": "6+3"}, 0.1),
                  ({"replicas": 3}, 0.2))


def _pick(rng: random.Random, weighted):
    """One entry of [(value, weight), ...] or [(value, weight, ...), ...] by weight."""
    total = sum(entry[1] for entry in weighted)
    x = rng.random() * total
    for entry in weighted:
        x -= entry[1]
        if x <= 0:
            return entry
    return weighted[-1]


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def split_counts(total: int, mix: dict[str, float]) -> dict[str, int]:
    """Largest-remainder rounding of total × share, so the counts add up to total."""
    weight = sum(mix.values())
    raw = {k: total * v / weight for k, v in mix.items()}
    counts = {k: math.floor(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: (counts[k] - raw[k], k))[:total - sum(counts.values())]:
        counts[k] += 1
    return counts


# --------------------------------------------------------------------------- catalog

def catalog_split(servers: int) -> dict[str, int]:
    """S item types → GPU servers, CPU servers, storage nodes (≈ 55 / 35 / 10 %)."""
    if servers < 6:
        raise ValueError("--servers must be at least 6 (GPU, CPU and storage types)")
    storage = max(2, round(0.10 * servers))
    cpu = max(2, round(0.35 * servers))
    return {"gpu": servers - storage - cpu, "cpu": cpu, "storage": storage}


def _ordered(data: dict) -> dict:
    """id, description, source and note first, as in the built-in catalog files."""
    head = ("id", "description", "source", "note")
    return {**{k: data[k] for k in head if k in data}, **{k: v for k, v in data.items() if k not in head}}


def _variant_gpu(rng: random.Random, base, n: int) -> dict:
    generation, price_f, power_f = rng.choice((("previous", 0.85, 1.05), ("current", 1.0, 1.0),
                                               ("refresh", 1.10, 0.93)))
    price_f *= rng.uniform(0.87, 1.13)
    power_f *= rng.uniform(0.95, 1.05)
    data = base.model_dump(exclude_none=True, exclude={"source", "note", "description", "attrs"})
    nics = dict(data["nics"])
    slow = nics["speed"] >= 400 and rng.random() < 0.3
    if slow:
        nics["speed"] = nics["speed"] / 2
        price_f *= 0.98
    data.update(id=f"{base.id}-v{n:02d}", price=round(base.price * price_f, -2), power=round(base.power * power_f, 2),
                nics=nics)
    return _labelled(data, base, f"{base.id} variant {n} ({generation} generation)",
                     f"price x{data['price'] / base.price:.3f}, power x{data['power'] / base.power:.3f}, "
                     f"{generation} generation" + (f", NICs at {nics['speed']:g} Gb/s" if slow else ""))


def _variant_cpu(rng: random.Random, base, n: int) -> dict:
    threads = rng.choice((0.5, 0.75, 1.0))
    memory = rng.choice((0.5, 1.0, 1.5, 2.0))
    base_price = ESTIMATED_PRICES[base.id]
    price_f = (0.3 + 0.5 * threads + 0.2 * memory) * rng.uniform(0.9, 1.1)
    power_f = (0.45 + 0.55 * threads) * rng.uniform(0.92, 1.08)
    data = base.model_dump(exclude_none=True, exclude={"source", "note", "description", "attrs"})
    nics = dict(data["nics"])
    if rng.random() < 0.3:
        nics["speed"] = 200.0
    data.update(id=f"{base.id}-v{n:02d}", price=round(base_price * price_f, -1),
                power=round(base.power * power_f, 3), vcpus=int(base.vcpus * threads // 8 * 8),
                memory=round(base.memory * memory), rack_units=1 if threads < 1 or rng.random() < 0.5 else 2,
                nics=nics)
    return _labelled(data, base, f"{base.id} variant {n}: {data['vcpus']} threads, {data['memory'] / 1000:g} TB",
                     f"threads x{threads}, memory x{memory}, price x{price_f:.3f}, power x{power_f:.3f}",
                     base_price)


def _variant_storage(rng: random.Random, base, n: int) -> dict:
    drives = rng.choice((0.5, 1.0, 1.5))
    base_price = ESTIMATED_PRICES[base.id]
    price_f = (0.3 + 0.7 * drives) * rng.uniform(0.88, 1.12)
    data = base.model_dump(exclude_none=True, exclude={"source", "note", "description", "attrs"})
    data.update(id=f"{base.id}-v{n:02d}", price=round(base_price * price_f, -1),
                capacity=round(base.capacity * drives, 2), throughput=round(base.throughput * min(1.0, drives), 2),
                power=round(base.power * (0.5 + 0.5 * drives), 3))
    return _labelled(data, base, f"{base.id} variant {n}: {data['capacity']:g} TB raw",
                     f"drives x{drives}, price x{price_f:.3f}", base_price)


def _labelled(data: dict, base, description: str, factors: str, base_price: float | None = None) -> dict:
    """Description, source and note of a generated variant: what it derives from and by which factors."""
    estimate = (f" (base price estimate {base_price:,.0f}, bench/generate.py ESTIMATED_PRICES)"
                if base_price is not None else "")
    data["description"] = description
    data["source"] = "generated (bench)"
    data["note"] = f"Benchmark variant of built-in {base.id}{estimate}: {factors}; not a real product."
    return data


def generate_catalog(rng: random.Random, servers: int) -> dict:
    from dcplan.scenario.catalog import builtin

    base = builtin()
    split = catalog_split(servers)
    gpu = [_ordered(_variant_gpu(rng, base.servers[GPU_BASES[i % len(GPU_BASES)]], i + 1)) for i in range(split["gpu"])]
    cpu = [_ordered(_variant_cpu(rng, base.servers[CPU_BASES[i % len(CPU_BASES)]], i + 1)) for i in range(split["cpu"])]
    storage = [_ordered(_variant_storage(rng, base.storage[STORAGE_BASES[i % len(STORAGE_BASES)]], i + 1))
               for i in range(split["storage"])]
    only = [d["id"] for d in gpu + cpu + storage] + sorted(base.switches)
    return {"builtin": True, "only": only, "servers": gpu + cpu, "storage": storage}


# --------------------------------------------------------------------------- workloads

def _security(rng: random.Random, policies: bool) -> str:
    return _pick(rng, SECURITY_MIX)[0] if policies else "internal"


def _training(rng: random.Random, name: str, policies: bool) -> dict:
    model, _, (low, high) = _pick(rng, TRAINING_MODELS)
    w = {"name": name, "type": "training", "model": model, "tokens": float(f"{_log_uniform(rng, low, high):.3g}"),
         "deadline": f"{rng.randint(30, 90)} days"}
    if rng.random() < 0.2:
        w["precision"] = "fp8"
    if policies:
        w["security"] = "confidential" if rng.random() < 0.1 else "internal"
        if rng.random() < 0.3:
            w["availability"] = rng.choice((0.99, 0.999))
    return w


def _inference(rng: random.Random, name: str, policies: bool) -> dict:
    model, _, precision, (low, high) = _pick(rng, INFERENCE_MODELS)
    w = {"name": name, "type": "inference", "model": model,
         "requests_per_s": float(f"{_log_uniform(rng, low, high):.3g}"),
         "prompt_tokens": rng.choice((500, 1000, 2000, 4000)), "output_tokens": rng.choice((100, 250, 500)),
         "max_tpot": f"{rng.choice((30, 40, 50, 60, 80))} ms", "average_load": rng.choice((0.4, 0.5, 0.6, 0.7))}
    if precision != "bf16":
        w["precision"] = precision
    if policies:
        w["security"] = _security(rng, policies)
        if rng.random() < 0.35:
            w["availability"] = rng.choice((0.99, 0.999))
    return w


def _cpu(rng: random.Random, name: str, policies: bool) -> dict:
    vcpus = int(_log_uniform(rng, 200, 6000)) // 8 * 8
    w = {"name": name, "type": "cpu", "vcpus": vcpus, "memory": f"{vcpus * rng.choice((2, 4, 8)) / 1000:g} TB",
         "average_load": rng.choice((0.3, 0.5, 0.6))}
    if policies:
        w["security"] = _security(rng, policies)
        roll = rng.random()
        if roll < 0.1:
            w["spares"] = "N+1"
        elif roll < 0.2:
            w["spares"] = "5%"
        elif roll < 0.3:
            w["availability"] = 0.999
    return w


def _storage(rng: random.Random, name: str, policies: bool) -> dict:
    capacity = _log_uniform(rng, 50, 3000)
    w = {"name": name, "type": "storage", "capacity": f"{capacity:.0f} TB",
         "throughput": f"{_log_uniform(rng, 5, 60):.0f} GB/s", "durability": dict(_pick(rng, DURABILITY_MIX)[0]),
         "average_load": 0.5}
    if policies:
        w["security"] = "confidential" if rng.random() < 0.2 else "internal"
    return w


_MAKERS = {"training": ("train", _training), "inference": ("infer", _inference), "cpu": ("cpu", _cpu),
           "storage": ("store", _storage)}


def _site_policies(rng: random.Random, w: dict, sites: list[str], policies: bool) -> None:
    """Data residency (`sites:`) and survive_site_failure, on some workloads."""
    if not policies or len(sites) < 2:
        return
    if rng.random() < 0.15:
        w["sites"] = sorted(rng.sample(sites, max(1, math.ceil(len(sites) / 2))))
    allowed = len(w.get("sites", sites))
    if w["type"] != "training" and allowed >= 2 and rng.random() < 0.10:
        w["survive_site_failure"] = True


# --------------------------------------------------------------------------- sites

def _draw_sites(rng: random.Random, count: int) -> list[dict]:
    regions = rng.sample(REGIONS, count) if count <= len(REGIONS) else [rng.choice(REGIONS) for _ in range(count)]
    sites = []
    for i, (region, carbon) in enumerate(regions, start=1):
        sites.append({"name": f"{region}-{i}", "power": None, "pue": round(rng.uniform(1.1, 1.6), 2), "racks": None,
                      "rack_power": f"{rng.choice(RACK_POWERS_KW):g} kW", "rack_units": rng.choice((42, 48)),
                      "electricity_price": round(rng.uniform(0.068, 0.18), 4),
                      "carbon_intensity": f"{carbon} kg/kWh"})
    return sites


def _need(scenario, workload, req, catalog) -> tuple[float, int, float, float] | None:
    """(IT kW, units, RU, kW per unit) of the cheapest candidate (the greedy planner's ranking at the first
    site), or None if no priced candidate serves the workload."""
    from dcplan.solve.greedy import unit_score

    best = None
    site = scenario.sites[0]
    for cand in req.candidates:
        item = catalog.storage[cand.item] if req.kind == "storage" else catalog.servers[cand.item]
        if item.price is None:
            continue
        if req.kind == "training":
            units = cand.fixed_count
        else:
            units = max([req.min_units] + [math.ceil(req.demand[d] / cand.per_unit[d]) for d in req.demand
                                           if req.demand[d] > 0 and cand.per_unit.get(d, 0) > 0])
        cost = units * unit_score(scenario, item, cand.load, site)
        if best is None or cost < best[0]:
            best = (cost, (units * item.power, units, item.rack_units, item.power))
    return None if best is None else best[1]


def _validate(data: dict):
    from dcplan.scenario.schema import Scenario

    return Scenario.model_validate(data)


def generate(workloads: int = 100, servers: int = 20, sites: int = 2, seed: int = 1, policies: bool = True,
             mix: dict[str, float] | None = None, utilisation: float = DEFAULT_UTILISATION) -> dict:
    """A scenario as plain data (the YAML document), deterministic for the arguments."""
    from pydantic import TypeAdapter

    from dcplan.scenario.catalog import effective
    from dcplan.scenario.schema import Workload
    from dcplan.sizing import size_workload

    if workloads < 1 or sites < 1:
        raise ValueError("--workloads and --sites must be at least 1")
    if not 0 < utilisation <= 1:
        raise ValueError("--utilisation must be in (0, 1]")
    rng = random.Random(f"dcplan-bench-{seed}")
    catalog_data = generate_catalog(rng, servers)
    site_list = _draw_sites(rng, sites)
    names = [s["name"] for s in site_list]
    counts = split_counts(workloads, mix or DEFAULT_MIX)
    kinds = [k for k in ("training", "inference", "cpu", "storage") for _ in range(counts.get(k, 0))]
    rng.shuffle(kinds)
    # Validate against a placeholder site layout to size workloads in the generated catalog.
    draft = {"dcplan": 1, "name": "draft", "catalog": catalog_data,
             "sites": [dict(s, power="1 GW", racks=1_000_000) for s in site_list],
             "workloads": [{"name": "x", "type": "cpu", "vcpus": 1}]}
    draft_scenario = _validate(draft)
    catalog = effective(draft_scenario.catalog)
    adapter = TypeAdapter(Workload)
    items, needs = [], []
    for index, kind in enumerate(kinds, start=1):
        prefix, make = _MAKERS[kind]
        for _attempt in range(20):
            w = make(rng, f"{prefix}-{index:04d}", policies)
            _site_policies(rng, w, names, policies)
            need = _need(draft_scenario, w, size_workload(adapter.validate_python(w), catalog), catalog)
            if need is not None:
                break
        else:
            raise RuntimeError(f"no generated server can serve a {kind} workload; raise --servers")
        factor = 1.1 * (len(w.get("sites", names)) / (len(w.get("sites", names)) - 1)
                        if w.get("survive_site_failure") else 1.0)
        items.append(w)
        needs.append((kind, need, factor))
    _size_sites(rng, site_list, needs, utilisation, servers, 2 if policies else 1)
    mix_text = ", ".join(f"{v} {k}" for k, v in counts.items())
    header = {"dcplan": 1, "name": f"bench-w{workloads}-s{servers}-k{sites}-seed{seed}",
              "description": (f"Generated by bench/generate.py: {workloads} workloads ({mix_text}), {servers} "
                              f"server and storage types, {sites} sites, seed {seed}, policies "
                              f"{'on' if policies else 'off'}, utilisation {utilisation:g}."),
              "horizon": "4 years", "objective": "tco"}
    policies_data = {"network": {"frontend_oversubscription": 3, "dual_homed": bool(policies)},
                     "redundancy": {"mttr": "72 h"}}
    if policies:
        policies_data["security"] = {"isolate": ["restricted"]}
    data = {**header, "catalog": catalog_data, "sites": site_list, "workloads": items, "policies": policies_data}
    _ensure_greedy_fits(data, catalog)
    return data


BUILDOUT_GROWTH = 0.3
"""Yearly growth of every service's demand in a generated build-out (its last period is the generated demand)."""


def to_buildout(data: dict, periods: int, seed: int = 1) -> dict:
    """The generated scenario as a build-out over `periods` yearly periods from 2027: every service's
    demand grows by BUILDOUT_GROWTH a year up to the generated value in the last period, training runs
    happen in periods drawn by the seed, and a 10 % discount rate applies. Sites are those of the
    one-purchase scenario, sized for the last period, so the build-out stays feasible."""
    rng = random.Random(f"dcplan-buildout-{seed}")
    out = {**data, "name": f"{data['name']}-p{periods}", "periods": {"start": 2027, "count": periods},
           "discount_rate": "10%"}
    out["description"] = data["description"] + f" As a {periods}-period build-out."
    shrink = (1 + BUILDOUT_GROWTH) ** (periods - 1)
    workloads = []
    for w in data["workloads"]:
        w = dict(w)
        if w["type"] == "training":
            w["period"] = 2027 + rng.randrange(periods)
        for field in ("requests_per_s", "vcpus", "capacity"):
            if field in w and isinstance(w[field], (int, float)):
                start = w[field] / shrink
                w[field] = {"start": max(1, round(start)) if field == "vcpus" else start,
                            "growth": BUILDOUT_GROWTH}
        workloads.append(w)
    out["workloads"] = workloads
    return out


def _ensure_greedy_fits(data: dict, catalog) -> None:
    """Grow every site's power and racks by 15 % until the greedy planner places every workload.

    The estimate of `_size_sites` ignores spares rounding, fabrics and rack fragmentation; this makes
    sure every generated scenario has a feasible plan (the greedy one) while staying near the target.
    """
    from dcplan.solve.greedy import greedy_plan
    from dcplan.sizing import size_scenario

    for _ in range(30):
        scenario = _validate(data)
        if greedy_plan(scenario, catalog, size_scenario(scenario, catalog)).complete:
            return
        for site in data["sites"]:
            site["power"] = f"{math.ceil(float(site['power'].split()[0]) * 1.15 / 10) * 10:g} kW"
            site["racks"] = math.ceil(site["racks"] * 1.15)
    raise RuntimeError("the greedy planner does not place every generated workload; raise --utilisation margin")


def _size_sites(rng: random.Random, sites: list[dict], needs: list, utilisation: float, item_types: int,
                groups: int) -> None:
    """Site power and racks so that the estimated need is `utilisation` of what the sites offer."""
    shares = [rng.uniform(0.7, 1.3) for _ in sites]
    total_share = sum(shares)
    mean_pue = sum(s["pue"] for s in sites) / len(sites)
    it_kw = sum(need[0] * factor for _, need, factor in needs)
    biggest_training = max((need[0] for kind, need, _ in needs if kind == "training"), default=0.0)
    for site, share in zip(sites, shares):
        fraction = share / total_share
        power = max(it_kw * mean_pue * fraction / utilisation, 2 * biggest_training * site["pue"])
        rack_kw, rack_units = float(site["rack_power"].split()[0]), site["rack_units"]
        racks = sum(factor * need[1] * max(need[2] / rack_units, need[3] / rack_kw, 0.0) for _, need, factor in needs)
        training_racks = max((need[1] * max(need[2] / rack_units, need[3] / rack_kw) for kind, need, _ in needs
                              if kind == "training"), default=0.0)
        site["power"] = f"{math.ceil(power / 10) * 10:g} kW"
        # racks are homogeneous per (item, site, isolation group): allow half a part-filled rack per pairing
        fragments = math.ceil(0.5 * item_types * groups)
        site["racks"] = int(max(math.ceil(racks * fraction / utilisation), math.ceil(2 * training_racks)) + fragments)


# --------------------------------------------------------------------------- output

def to_yaml(data: dict, command: str = "") -> str:
    import yaml

    lines = ["# Generated by bench/generate.py for benchmarks; do not edit by hand.",
             f"# {command}" if command else "# python -m bench.generate",
             "# Server and storage types are variants of built-in items (source: generated (bench)); prices of",
             "# built-in items without one are estimates for benchmarking only (bench/generate.py ESTIMATED_PRICES).",
             ""]
    return "\n".join(lines) + yaml.safe_dump(data, sort_keys=False, width=110, allow_unicode=True)


def write(path: str | Path, workloads: int, servers: int, sites: int, seed: int = 1, policies: bool = True,
          mix: dict[str, float] | None = None, utilisation: float = DEFAULT_UTILISATION) -> Path:
    data = generate(workloads, servers, sites, seed, policies, mix, utilisation)
    path = Path(path)
    path.write_text(to_yaml(data, _command(workloads, servers, sites, seed, policies, mix, utilisation)),
                    encoding="utf-8")
    return path


def _command(workloads, servers, sites, seed, policies, mix, utilisation) -> str:
    """The command that regenerates a file (the output path left out, so the text depends on the sizes only)."""
    return (f"python -m bench.generate --workloads {workloads} --servers {servers} --sites {sites} --seed {seed}"
            + ("" if policies else " --policies off")
            + (" --mix " + ",".join(f"{k}={v:g}" for k, v in mix.items()) if mix else "")
            + (f" --utilisation {utilisation:g}" if utilisation != DEFAULT_UTILISATION else ""))


def _parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        if key.strip() not in DEFAULT_MIX:
            raise argparse.ArgumentTypeError(f"unknown workload kind {key!r} (training, inference, cpu, storage)")
        mix[key.strip()] = float(value)
    return mix


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", "-w", type=int, default=100, help="number of workloads W (default 100)")
    parser.add_argument("--servers", "-s", type=int, default=20, help="server and storage types S (default 20)")
    parser.add_argument("--sites", "-k", type=int, default=2, help="number of sites K (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--policies", choices=("on", "off"), default="on")
    parser.add_argument("--mix", type=_parse_mix, default=None,
                        help="workload shares, e.g. training=0.05,inference=0.45,cpu=0.4,storage=0.1")
    parser.add_argument("--utilisation", type=float, default=DEFAULT_UTILISATION,
                        help="estimated share of site power and racks the workloads need (default 0.6)")
    parser.add_argument("--periods", type=int, default=0,
                        help="a build-out over this many yearly periods (default: one purchase)")
    parser.add_argument("-o", "--output", default="-", help="output file (default stdout)")
    args = parser.parse_args(argv)
    try:
        data = generate(args.workloads, args.servers, args.sites, args.seed, args.policies == "on", args.mix,
                        args.utilisation)
    except ValueError as err:
        parser.error(str(err))
    command = _command(args.workloads, args.servers, args.sites, args.seed, args.policies == "on", args.mix,
                       args.utilisation)
    if args.periods:
        data = to_buildout(data, args.periods, args.seed)
        command += f" --periods {args.periods}"
    text = to_yaml(data, command)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
