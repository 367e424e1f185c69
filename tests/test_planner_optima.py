"""Small scenarios whose optimum is worked out here, by hand or by brute force, never by dcplan.model.build.

Each case is solved with every engine (SCIP and CP-SAT through OR-Tools, CBC
and HiGHS through PuLP) at gap 0; the plan must be optimal at the independent
optimum, its BOM must add up to capex, and dcplan.plan.verify must accept it.
The catalog is test-only (tests/planner_cases.py): round numbers, no networking
unless the case is about networking (items without `nics` create no fabric),
free electricity unless the case is about energy, objective capex unless told.
"""

from __future__ import annotations

import math

import pytest

from dcplan.usecases.planning import NoPlan
from dcplan.sizing.spares import spares_needed, unavailability

from planner_cases import (ENGINES, accelerator, brute_min, ceil, check_optimal, cpu_server, cpu_workload,
                           energy_mwh, fabric_cost, gpu_server, objective_or_none, scenario, site, solve, spares_for,
                           storage_node, storage_workload, switch, units)

engines = pytest.mark.parametrize("engine", ENGINES)


# --------------------------------------------------------------------------- 1. CPU packing

@engines
def test_cpu_packing_vcpus_and_memory_both_bind(engine):
    # memx: 16 vCPU / 128 GB, cpux: 64 vCPU / 32 GB, both 1000. Need 256 vCPU and 1024 GB.
    # Alone: memx 16 servers, cpux 32. Mixed (a memx, b cpux): 16a + 64b ≥ 256, 128a + 32b ≥ 1024
    # → a = 8, b = 2: 256 vCPU, 1088 GB → 10 servers = 10,000.
    servers = [cpu_server("memx", 1000, vcpus=16, memory=128), cpu_server("cpux", 1000, vcpus=64, memory=32)]
    data = scenario([cpu_workload("etl", 256, memory=1024)], servers=servers)
    grid = (range(0, 33), range(0, 33))
    cost = lambda v: 1000 * (v[0] + v[1])  # noqa: E731
    expected = brute_min(grid, cost, lambda v: 16 * v[0] + 64 * v[1] >= 256 and 128 * v[0] + 32 * v[1] >= 1024)
    assert expected == 10_000
    # both dimensions matter: dropping either one gives a different optimum
    assert brute_min(grid, cost, lambda v: 16 * v[0] + 64 * v[1] >= 256) == 4000
    assert brute_min(grid, cost, lambda v: 128 * v[0] + 32 * v[1] >= 1024) == 8000
    plan = check_optimal(data, expected, engine)
    assert (units(plan, item="memx"), units(plan, item="cpux")) == (8, 2)


# --------------------------------------------------------------------------- 2. inference over two server types

def _rps_per_server(count: int, batch: int, weights: float, kv_token: float, avg_ctx: float, bw_gbps: float,
                    out_tokens: int) -> float:
    """Hand roofline for a memory-bound decode with no prompt: per-accelerator replicas (TP1).

    step = (weights + batch·avg_ctx·kv) / bandwidth; tokens/s = batch / step; requests/s = tokens/s / out.
    (TP2/TP4 give the same per-server figure: bandwidth and replicas scale together.)
    """
    step = (weights + batch * avg_ctx * kv_token) / (bw_gbps * 1e9)
    return count * batch / step / out_tokens


@engines
def test_inference_mixes_two_server_types(engine):
    # Model: 10e9 params, BF16 → 20 GB of weights; 2 bytes of KV per token (negligible).
    # Accelerator: 1000 GB/s, 100 GB, 1000 TFLOP/s; efficiencies 1, max_batch 10, no prompt, 100 output tokens.
    # Step at batch 10 = 20 GB / 1000 GB/s = 20 ms (≤ 100 ms max_tpot; compute 0.2 ms) → 500 tokens/s
    # → 5 requests/s per accelerator. one-1: 1 accelerator (5 rps) at 10,000; quad-4: 4 (20 rps) at 35,000.
    # Demand 23 rps: 5a + 20b ≥ 23 → (a=1, b=1) = 45,000 beats 5 × one-1 = 50,000 and 2 × quad-4 = 70,000.
    acc = accelerator("acc1", bf16=1000, hbm=100, bandwidth=1000)
    servers = [gpu_server("one-1", 10_000, "acc1", 1), gpu_server("quad-4", 35_000, "acc1", 4)]
    model = dict(id="toy-10b", source="test", params=10e9, kv_bytes_per_token=2)
    work = dict(name="chat", type="inference", model="toy-10b", requests_per_s=23, prompt_tokens=0,
                output_tokens=100, max_tpot=100, hbm_efficiency=1.0, compute_efficiency=1.0, max_batch=10,
                step_overhead=0, allreduce_latency=0)
    data = scenario([work], servers=servers, accelerators=[acc], models=[model])
    r1 = _rps_per_server(1, 10, 20e9, 2, 50, 1000, 100)
    r4 = _rps_per_server(4, 10, 20e9, 2, 50, 1000, 100)
    assert r1 == pytest.approx(5.0, rel=1e-6) and r4 == pytest.approx(20.0, rel=1e-6)
    expected = brute_min((range(0, 6), range(0, 3)), lambda v: 10_000 * v[0] + 35_000 * v[1],
                         lambda v: r1 * v[0] + r4 * v[1] >= 23)
    assert expected == 45_000
    plan = check_optimal(data, expected, engine)
    assert (units(plan, item="one-1"), units(plan, item="quad-4")) == (1, 1)


# --------------------------------------------------------------------------- 3. training

TRAIN_ACCS = [accelerator("t1", bf16=100, hbm=10, bandwidth=1000),     # usable 40 TFLOP/s at MFU 0.4
              accelerator("t2", bf16=200, hbm=10, bandwidth=1000),     # usable 80
              accelerator("t3", bf16=1000, hbm=1, bandwidth=1000)]     # usable 400 but 1 GB of HBM
TRAIN_SERVERS = [gpu_server("ta", 1000, "t1", 4, power=1.0),
                 gpu_server("tb", 2500, "t2", 8, power=10.0),
                 gpu_server("tc", 900, "t3", 8, power=1.0)]


def _train_servers(flops_per_s: float, state_bytes: float, peak: float, hbm_gb: float, per_server: int) -> int:
    accs = max(ceil(flops_per_s / (peak * 1e12 * 0.4)), ceil(state_bytes / (hbm_gb * 1e9 * 0.9)), 1)
    return ceil(accs / per_server)


@engines
@pytest.mark.parametrize("deadline, site_power, expected_item, expected", [
    # 1e9 params, 5.76e9 tokens: 6 × 1e9 × 5.76e9 = 3.456e19 FLOP; over 1 day = 4e14 FLOP/s.
    # State 16 GB: t1/t2 need 2 accelerators (10 GB × 0.9), t3 needs 18 (1 GB × 0.9).
    # ta: max(10, 2) = 10 → 3 servers = 3000; tb: max(5, 2) → 1 server = 2500;
    # tc: max(1, 18) = 18 (memory bound) → 3 servers = 2700. Cheapest: tb.
    (1, 1e6, "tb", 2500),
    # Site power 5 kW: tb (10 kW) cannot be installed; next cheapest tc at 2700 (3 kW).
    (1, 5, "tc", 2700),
    # Deadline 2 days: 2e14 FLOP/s; ta: 5 → 2 servers = 2000; tb 1 = 2500; tc still 3 = 2700.
    (2, 1e6, "ta", 2000),
])
def test_training_picks_cheapest_homogeneous_cluster(engine, deadline, site_power, expected_item, expected):
    flops_per_s = 6 * 1e9 * 5.76e9 / (deadline * 86400)
    counts = {"ta": _train_servers(flops_per_s, 16e9, 100, 10, 4),
              "tb": _train_servers(flops_per_s, 16e9, 200, 10, 8),
              "tc": _train_servers(flops_per_s, 16e9, 1000, 1, 8)}
    prices = {"ta": 1000, "tb": 2500, "tc": 900}
    power = {"ta": 1.0, "tb": 10.0, "tc": 1.0}
    options = {i: n * prices[i] for i, n in counts.items() if n * power[i] <= site_power}
    assert min(options.values()) == expected and min(options, key=options.get) == expected_item
    work = dict(name="pretrain", type="training", model={"params": 1e9}, tokens=5.76e9, goodput=1.0, storage=None, deadline=deadline)
    data = scenario([work], sites=[site(power=site_power)], servers=TRAIN_SERVERS, accelerators=TRAIN_ACCS)
    plan = check_optimal(data, expected, engine)
    [assignment] = plan.assignments
    assert (assignment.item, assignment.servers) == (expected_item, counts[expected_item])


@engines
def test_training_cluster_gets_its_binomial_spares(engine):
    # 3 tc servers (as above, memory bound); failure rate 8.76/yr × MTTR 100 h / 8760 h → u = 0.1.
    # Availability 0.99: smallest k with P(Bin(3 + k, 0.1) > k) ≤ 0.01 → k = 2 → 5 × 900 = 4500.
    # ta (3 servers at 1000, failure rate 0) would need no spares: 3000 beats it. Exclude ta: tc = 4500.
    servers = [dict(s, failure_rate=8.76) for s in TRAIN_SERVERS if s["id"] == "tc"]
    work = dict(name="pretrain", type="training", model={"params": 1e9}, tokens=5.76e9, goodput=1.0, storage=None, deadline=1,
                availability=0.99)
    data = scenario([work], servers=servers, accelerators=TRAIN_ACCS, policies={"redundancy": {"mttr": 100}})
    k = spares_for(3, 0.1, 0.99)
    assert k == 2 == spares_needed(3, unavailability(8.76, 100), 0.99)
    plan = check_optimal(data, (3 + k) * 900, engine)
    assert plan.assignments[0].spares == k


# --------------------------------------------------------------------------- 4. storage

STORAGE = [storage_node("fast", 1000, capacity=100, throughput=10),   # 100 TB, 10 GB/s
           storage_node("big", 2500, capacity=400, throughput=2)]     # 400 TB, 2 GB/s


def _storage_brute(raw: float, throughput: float, min_nodes: int) -> float:
    def ok(v):
        a, b = v
        return (100 * a + 400 * b >= raw - 1e-9 and 10 * a + 2 * b >= throughput
                and (a + b == 0 or a + b >= min_nodes))
    return brute_min((range(0, 12), range(0, 4)), lambda v: 1000 * v[0] + 2500 * v[1], ok)


@engines
@pytest.mark.parametrize("usable, throughput, durability, expected", [
    # capacity alone: 750 TB raw → 2 big = 5000
    (750, 0, {"replicas": 1}, 5000),
    # + 40 GB/s: 100a + 400b ≥ 750, 10a + 2b ≥ 40 → a = 4, b = 1 (800 TB, 42 GB/s) = 6500
    (750, 40, {"replicas": 1}, 6500),
    # erasure 8+2: 600 usable × 10/8 = 750 raw, and at least 10 nodes → 10 fast = 10,000
    (600, 40, {"erasure": "8+2"}, 10_000),
    # 3 replicas of 100 TB = 300 TB raw, ≥ 3 nodes: 3 fast = 3000 (1 big is 400 TB but only 1 node)
    (100, 0, {"replicas": 3}, 3000),
])
def test_storage_capacity_throughput_and_minimum_nodes(engine, usable, throughput, durability, expected):
    k_m = (sum(int(x) for x in durability["erasure"].split("+")) if "erasure" in durability
           else durability["replicas"])
    overhead = (k_m / int(durability["erasure"].split("+")[0]) if "erasure" in durability
                else durability["replicas"])
    assert _storage_brute(usable * overhead, throughput, k_m if k_m > 1 else 0) == expected
    data = scenario([storage_workload("lake", usable, throughput, durability)], storage=STORAGE)
    check_optimal(data, expected, engine)


@engines
@pytest.mark.parametrize("n_sites, expected", [(2, 12_000), (3, 12_000)])
def test_storage_erasure_set_in_every_used_site(engine, n_sites, expected):
    # 200 TB usable, erasure 4+2 → 300 TB raw, ≥ 6 nodes in every site that holds data; the data must
    # survive any one site down. Two sites: 6 fast in each = 12,000. Three sites: 2 fast per site would
    # cover any two (400 TB) for 6000, but a site with data needs 6 nodes → still two full sites, 12,000.
    per_site = [(a, b) for a in range(0, 7) for b in range(0, 2)]

    def ok(v):
        if any(0 < a + b < 6 for a, b in v):
            return False
        return all(sum(100 * a + 400 * b for j, (a, b) in enumerate(v) if j != down) >= 300
                   for down in range(n_sites))
    best = brute_min([per_site] * n_sites, lambda v: sum(1000 * a + 2500 * b for a, b in v), ok)
    assert best == expected
    work = storage_workload("lake", 200, 0, {"erasure": "4+2"}, survive_site_failure=True)
    data = scenario([work], sites=[site(f"s{i}") for i in range(n_sites)], storage=STORAGE)
    plan = check_optimal(data, expected, engine)
    for s in plan.sites:
        assert units(plan, category="storage", site_name=s.name) in (0, 6)


# --------------------------------------------------------------------------- 5. site power × PUE

POWER_SERVERS = [cpu_server("hot", 1000, vcpus=64, power=2.0), cpu_server("cool", 1500, vcpus=64, power=1.0)]


@engines
@pytest.mark.parametrize("pue, expected", [
    # 10 servers; IT ≤ 15 kW / PUE. PUE 1.0: 2h + c ≤ 15, h + c ≥ 10 → h = 5, c = 5 → 12,500.
    (1.0, 12_500),
    # PUE 1.5: IT ≤ 10 kW → all cool → 15,000.
    (1.5, 15_000),
])
def test_site_power_times_pue_forces_the_lower_power_server(engine, pue, expected):
    it = 15 / pue
    best = brute_min((range(0, 11), range(0, 11)), lambda v: 1000 * v[0] + 1500 * v[1],
                     lambda v: v[0] + v[1] >= 10 and 2 * v[0] + v[1] <= it + 1e-9)
    assert best == expected
    data = scenario([cpu_workload("web", 640)], sites=[site(power=15, pue=pue)], servers=POWER_SERVERS)
    check_optimal(data, expected, engine)


@engines
def test_site_power_spills_onto_a_second_site(engine):
    # s1: 15 kW at PUE 1.5 (IT 10 kW) alone needs 10 cool = 15,000 (previous case). Add s2: 6 kW at
    # PUE 1.2 (IT 5 kW): 2h1 + c1 ≤ 10, 2h2 + c2 ≤ 5, 10 servers → 5 hot at s1 + 5 cool at s2 = 12,500.
    sites = [site("s1", power=15, pue=1.5), site("s2", power=6, pue=1.2)]

    def ok(v):
        h1, c1, h2, c2 = v
        return h1 + c1 + h2 + c2 >= 10 and (2 * h1 + c1) * 1.5 <= 15 + 1e-9 and (2 * h2 + c2) * 1.2 <= 6 + 1e-9
    expected = brute_min([range(0, 11)] * 4, lambda v: 1000 * (v[0] + v[2]) + 1500 * (v[1] + v[3]), ok)
    assert expected == 12_500
    data = scenario([cpu_workload("web", 640)], sites=sites, servers=POWER_SERVERS)
    plan = check_optimal(data, expected, engine)
    assert units(plan, category="server", site_name="s2") > 0


# --------------------------------------------------------------------------- 6. racks

@engines
@pytest.mark.parametrize("racks, expected", [
    # Site: 10 U and 12 kW per rack; rack price 100; 1100 vCPU.
    # dense: 2 U, 3 kW, 64 vCPU, 1000 → 4 per rack (power bound; 5 by rack units).
    # slim: 1 U, 1 kW, 48 vCPU, 900 → 10 per rack (rack-unit bound; 12 by power).
    # Racks r(d, s) = ⌈d/4⌉ + ⌈s/10⌉ (one item type per rack).
    (100, 18_200),  # 15 dense (4 racks) + 3 slim (1 rack): 15,000 + 2700 + 500
    (4, 18_700),    # 12 dense (3) + 7 slim (1): 12,000 + 6300 + 400
    (3, 20_400),    # 3 dense (1) + 19 slim (2): 3000 + 17,100 + 300
    (2, None),      # at most 8 dense or 4 + 10 or 20 slim: ≤ 960 vCPU → infeasible
])
def test_rack_units_and_rack_power_pack_servers(engine, racks, expected):
    def racks_used(d, s):
        return math.ceil(d / 4) + math.ceil(s / 10)

    brute = brute_min((range(0, 19), range(0, 24)),
                      lambda v: 1000 * v[0] + 900 * v[1] + 100 * racks_used(*v),
                      lambda v: 64 * v[0] + 48 * v[1] >= 1100 and racks_used(*v) <= racks)
    assert brute == expected
    servers = [cpu_server("dense", 1000, vcpus=64, power=3, rack_units=2),
               cpu_server("slim", 900, vcpus=48, power=1, rack_units=1)]
    data = scenario([cpu_workload("web", 1100)], sites=[site(racks=racks, rack_power=12, rack_units=10)],
                    servers=servers, policies={"costs": {"rack_price": 100}})
    if expected is None:
        with pytest.raises(NoPlan) as err:
            solve(data, engine)
        assert err.value.status == "infeasible"
        return
    plan = check_optimal(data, expected, engine)
    assert units(plan, category="rack") == racks_used(units(plan, item="dense"), units(plan, item="slim"))


@engines
@pytest.mark.parametrize("racks", [5, 6])
def test_an_item_larger_than_a_rack_takes_several_positions(engine, racks):
    # 30 kW at 12 kW per rack → 3 positions each; 2 needed (512 vCPU) → 6 positions.
    data = scenario([cpu_workload("hpc", 512)], sites=[site(racks=racks, rack_power=12, rack_units=10)],
                    servers=[cpu_server("big", 3000, vcpus=256, power=30, rack_units=4)])
    if racks < 6:
        with pytest.raises(NoPlan) as err:
            solve(data, engine)
        assert err.value.status == "infeasible"
        return
    plan = check_optimal(data, 6000, engine)
    assert units(plan, category="rack") == 6


# --------------------------------------------------------------------------- 7. network

NET_SWITCHES = [switch("leaf8", 1000, ports=8, port_speed=100, optic_price=10),
                switch("slow64", 1, ports=64, port_speed=25, optic_price=0)]   # too slow for 100 Gb/s ports


@engines
@pytest.mark.parametrize("oversub, dual", [(3, False), (1, False), (3, True)])
def test_network_leaves_spines_and_optics(engine, oversub, dual):
    # 10 servers × 2 ports (× 2 if dual-homed). 8-port leaf at o:1 has floor(8o/(1+o)) server ports.
    # o = 3, 20 ports: 6 down → 4 leaves, 7 uplinks, 1 spine; optics 2·20 + 2·7 = 54 → 5000 + 540.
    # o = 1, 20 ports: 4 down → 5 leaves, 20 uplinks, 3 spines; optics 80 → 8000 + 800.
    # o = 3, dual: 40 ports → 7 leaves, 14 uplinks, 2 spines; optics 108 → 9000 + 1080.
    ports = 10 * 2 * (2 if dual else 1)
    net, counts = fabric_cost(ports, NET_SWITCHES[0], oversub)
    assert net == {(3, False): 5540, (1, False): 8800, (3, True): 10_080}[(oversub, dual)]
    server = cpu_server("web1", 100, vcpus=64, nics={"count": 2, "speed": 100})
    data = scenario([cpu_workload("web", 640)], servers=[server], switches=NET_SWITCHES,
                    policies={"network": {"frontend_oversubscription": oversub, "dual_homed": dual}})
    plan = check_optimal(data, 1000 + net, engine)
    assert units(plan, category="switch", item="leaf8") == counts["leaves"] + counts["spines"]
    assert units(plan, category="switch", item="slow64") == 0
    assert units(plan, category="optic") == counts["optics"]


@engines
def test_training_backend_is_non_blocking_while_frontend_is_three_to_one(engine):
    # A training cluster of 3 ta servers (as in the training case) with 4 × 100 Gb/s ports each:
    # back-end at 1:1 → 12 ports, 4 down per 8-port leaf → 3 leaves, 12 uplinks, 2 spines, 48 optics.
    # (At 3:1 it would be 2 leaves, 4 uplinks, 1 spine.)
    acc = [a for a in TRAIN_ACCS if a["id"] == "t1"]
    server = gpu_server("ta", 1000, "t1", 4, nics={"count": 4, "speed": 100})
    work = dict(name="pretrain", type="training", model={"params": 1e9}, tokens=5.76e9, goodput=1.0, storage=None, deadline=1)
    data = scenario([work], servers=[server], accelerators=acc, switches=NET_SWITCHES,
                    policies={"network": {"frontend_oversubscription": 3, "training_oversubscription": 1}})
    net, counts = fabric_cost(12, NET_SWITCHES[0], 1)
    assert counts == {"leaves": 3, "spines": 2, "optics": 48, "uplinks": 12}
    plan = check_optimal(data, 3000 + net, engine)
    assert units(plan, category="switch") == 5 and units(plan, category="optic") == 48


# --------------------------------------------------------------------------- 8. redundancy

@engines
def test_availability_adds_binomial_spares_per_pool(engine):
    # Failure rate 8.76/yr × MTTR 100 h / 8760 h → u = 0.1 (frail); 0.876/yr → u = 0.01 (sturdy).
    # 10 servers needed at availability 0.99. Per pool: frail 10 + k(10, 0.1) = 10 + 4 at 1000 = 14,000;
    # sturdy 10 + k(10, 0.01) = 10 + 1 at 1300 = 14,300. Mixed pools pay spares twice. Brute force:
    servers = [cpu_server("frail", 1000, vcpus=64, failure_rate=8.76),
               cpu_server("sturdy", 1300, vcpus=64, failure_rate=0.876)]
    pf, ps = unavailability(8.76, 100), unavailability(0.876, 100)
    assert pf == pytest.approx(0.1) and ps == pytest.approx(0.01)
    for n in range(2, 12):  # n = 1 at u = 0.1 is an exact tie: see test_availability_exact_tie_needs_no_extra_spare
        assert spares_for(n, 0.1, 0.99) == spares_needed(n, pf, 0.99)
        assert spares_for(n, 0.01, 0.99) == spares_needed(n, ps, 0.99)
    assert spares_for(10, 0.1, 0.99) == 4 and spares_for(10, 0.01, 0.99) == 1
    expected = brute_min((range(0, 11), range(0, 11)),
                         lambda v: 1000 * (v[0] + spares_for(v[0], 0.1, 0.99))
                         + 1300 * (v[1] + spares_for(v[1], 0.01, 0.99)),
                         lambda v: v[0] + v[1] >= 10)
    assert expected == 14_000
    data = scenario([cpu_workload("web", 640, availability=0.99)], servers=servers,
                    policies={"redundancy": {"mttr": 100}})
    plan = check_optimal(data, expected, engine)
    [a] = plan.assignments
    assert (a.item, a.servers, a.spares) == ("frail", 10, 4)


@pytest.mark.parametrize("engine", ["scip", "highs"])
def test_availability_exact_tie_needs_no_extra_spare(engine):
    # One server, u = 8.76 × 100 / 8760 = 0.1, A = 0.99: with k = 1 spare, P(both down) = 0.1² = 0.01 ≤ 1 − A,
    # so k = 1 (docs/model.md: "smallest k such that P(more than k of n+k down) ≤ 1 − A") → 2 × 1000.
    assert spares_for(1, 0.1, 0.99) == 1
    assert spares_needed(1, unavailability(8.76, 100), 0.99) == 1
    data = scenario([cpu_workload("web", 64, availability=0.99)],
                    servers=[cpu_server("frail", 1000, vcpus=64, failure_rate=8.76)],
                    policies={"redundancy": {"mttr": 100}})
    check_optimal(data, 2000, engine)


@engines
def test_explicit_n_plus_2_per_pool_with_idle_power(engine):
    # 10 servers of 1 kW (idle 0.3 kW), N+2 per pool; two sites of 7 kW each (PUE 1).
    # A pool of x servers at a site draws x + 2 × 0.3 ≤ 7 → x ≤ 6; so 6 + 4 over both sites,
    # each pool with 2 spares → 14 servers = 14,000.
    def ok(v):
        return v[0] + v[1] >= 10 and all(x + (0.6 if x else 0) <= 7 + 1e-9 for x in v)
    expected = brute_min((range(0, 11), range(0, 11)), lambda v: 1000 * sum(x + (2 if x else 0) for x in v), ok)
    assert expected == 14_000
    data = scenario([cpu_workload("web", 640, spares="N+2")], sites=[site("s1", power=7), site("s2", power=7)],
                    servers=[cpu_server("node", 1000, vcpus=64, power=1.0)])
    plan = check_optimal(data, expected, engine)
    assert all(a.spares == 2 for a in plan.assignments) and len(plan.assignments) == 2


@engines
def test_percent_spares_round_up(engine):
    # 30 servers needed; 5 % → ⌈1.5⌉ = 2 spares → 32 × 1000.
    data = scenario([cpu_workload("web", 30 * 64, spares="5%")], servers=[cpu_server("node", 1000, vcpus=64)])
    plan = check_optimal(data, (30 + math.ceil(0.05 * 30)) * 1000, engine)
    assert plan.assignments[0].spares == 2


# --------------------------------------------------------------------------- 9. security

@engines
def test_confidential_work_only_on_confidential_servers_and_encrypted_storage(engine):
    # public 128 vCPU on plain (1000) → 2000; confidential 128 vCPU on cc (1200) → 2400;
    # confidential 200 TB on enc (800 per 100 TB) → 1600, though plain storage costs 500. Total 6000.
    servers = [cpu_server("plain", 1000, vcpus=64), cpu_server("cc", 1200, vcpus=64, confidential_computing=True)]
    storage = [storage_node("raw", 500, capacity=100, throughput=1),
               storage_node("enc", 800, capacity=100, throughput=1, encryption=True)]
    work = [cpu_workload("pub", 128, security="public"), cpu_workload("sec", 128, security="confidential"),
            storage_workload("vault", 200, security="confidential")]
    data = scenario(work, servers=servers, storage=storage)
    plan = check_optimal(data, 2 * 1000 + 2 * 1200 + 2 * 800, engine)
    items = {(a.workload, a.item) for a in plan.assignments}
    assert items == {("pub", "plain"), ("sec", "cc"), ("vault", "enc")}


@engines
@pytest.mark.parametrize("isolate", [False, True])
def test_isolated_level_gets_its_own_racks_and_leaves(engine, isolate):
    # One CC server type (1U, 2 × 100 Gb/s, 1000); 10 U racks at 100 each; 8-port leaves at 50, 3:1.
    # app (internal) 3 servers, vault (restricted) 3 servers. Racks hold one item type per group.
    # Shared: 6 servers → 1 rack; 12 ports → 2 leaves + 1 spine (1 rack) → 6000 + 150 + 200 = 6350.
    # Isolated: per group 3 servers (1 rack) + 6 ports → 1 leaf + 1 spine (1 rack) → 6000 + 2 × (100 + 200).
    sw = switch("leaf8", 50, ports=8, port_speed=100)
    server = cpu_server("ccx", 1000, vcpus=64, confidential_computing=True, nics={"count": 2, "speed": 100})
    groups = [6] if not isolate else [3, 3]
    expected = 6000
    for n in groups:
        net, counts = fabric_cost(2 * n, sw, 3)
        expected += net + 100 * (math.ceil(n / 10) + math.ceil((counts["leaves"] + counts["spines"]) / 10))
    assert expected == (6600 if isolate else 6350)
    work = [cpu_workload("app", 192, security="internal"), cpu_workload("vault", 192, security="restricted")]
    data = scenario(work, sites=[site(rack_units=10)], servers=[server], switches=[sw],
                    policies={"costs": {"rack_price": 100},
                              "security": {"isolate": ["restricted"] if isolate else []}})
    plan = check_optimal(data, expected, engine)
    assert units(plan, category="switch") == (4 if isolate else 3)
    assert units(plan, category="rack") == (4 if isolate else 2)


# --------------------------------------------------------------------------- 10. site failure

@engines
def test_survive_site_failure_with_uneven_sites(engine):
    # 4 servers (256 vCPU) must remain with any one of three sites down; s3 fits 1 server (1 kW).
    # x1 + x2 ≥ 4, x1 + x3 ≥ 4, x2 + x3 ≥ 4, x3 ≤ 1 → (3, 3, 1) = 7000.
    def ok(v):
        return v[2] <= 1 and all(sum(x for j, x in enumerate(v) if j != down) >= 4 for down in range(3))
    expected = brute_min([range(0, 6)] * 3, lambda v: 1000 * sum(v), ok)
    assert expected == 7000
    sites = [site("s1"), site("s2"), site("s3", power=1)]
    data = scenario([cpu_workload("web", 256, survive_site_failure=True)], sites=sites,
                    servers=[cpu_server("node", 1000, vcpus=64, power=1.0)])
    plan = check_optimal(data, expected, engine)
    assert sorted(units(plan, category="server", site_name=s) for s in ("s1", "s2", "s3")) == [1, 3, 3]


# --------------------------------------------------------------------------- 11. generic constraints

@engines
def test_generic_min_and_max_constraints(engine):
    # 10 servers from: basic (1000, score 1), hardened (1100, score 3), cheap (900, score 0, 2 kW).
    # Σ score ≥ 20; Σ quantity of cheap ≤ 2; Σ power of servers ≤ 11.5 kW (cheap 2 kW, others 1 kW).
    servers = [cpu_server("basic", 1000, attrs={"security_score": 1}),
               cpu_server("hardened", 1100, attrs={"security_score": 3}),
               cpu_server("cheap", 900, power=2.0)]
    constraints = [{"name": "score", "sum": "attrs.security_score", "where": {"category": "server"}, "min": 20},
                   {"name": "few-cheap", "sum": "quantity", "where": {"id": "cheap"}, "max": 2},
                   {"name": "power-cap", "sum": "power", "where": {"category": "server"}, "max": 11.5}]
    data = scenario([cpu_workload("web", 640)], servers=servers, constraints=constraints)

    def ok(v):
        b, h, c = v
        return b + h + c >= 10 and b + 3 * h >= 20 and c <= 2 and b + h + 2 * c <= 11.5
    expected = brute_min([range(0, 11)] * 3, lambda v: 1000 * v[0] + 1100 * v[1] + 900 * v[2], ok)
    # c ≤ 1 by power; b + h ≥ 9, b + 3h ≥ 20 → h = 6, b = 3, c = 1: 3000 + 6600 + 900 = 10,500
    assert expected == 10_500
    check_optimal(data, expected, engine)


# --------------------------------------------------------------------------- 12. limits

@engines
@pytest.mark.parametrize("cap, feasible", [(9999, False), (10_000, True)])
def test_capex_limit_infeasible(engine, cap, feasible):
    data = scenario([cpu_workload("web", 640)], servers=[cpu_server("node", 1000)], limits={"capex": cap})
    if not feasible:
        with pytest.raises(NoPlan) as err:
            solve(data, engine)
        assert err.value.status == "infeasible"
        return
    check_optimal(data, 10_000, engine)


@engines
def test_facility_power_limit_over_all_sites(engine):
    # limits.power 12 kW facility over s1 (PUE 1.0) and s2 (PUE 1.5), both otherwise unlimited.
    # 10 servers from hot (2 kW, 1000) and cool (1 kW, 1500): all at s1, 2h + c ≤ 12 → h = 2: 14,000.
    sites = [site("s1", pue=1.0), site("s2", pue=1.5)]

    def ok(v):
        h1, c1, h2, c2 = v
        return h1 + c1 + h2 + c2 >= 10 and (2 * h1 + c1) + 1.5 * (2 * h2 + c2) <= 12 + 1e-9
    expected = brute_min([range(0, 11)] * 4, lambda v: 1000 * (v[0] + v[2]) + 1500 * (v[1] + v[3]), ok)
    assert expected == 14_000
    data = scenario([cpu_workload("web", 640)], sites=sites, servers=POWER_SERVERS, limits={"power": 12})
    plan = check_optimal(data, expected, engine)
    assert plan.totals["facility_power_kw"] <= 12 + 1e-6


# --------------------------------------------------------------------------- 13. objectives

OBJ_SERVERS = [cpu_server("c1", 1000, power=2.0), cpu_server("c2", 1500, power=1.0),
               cpu_server("c3", 3000, power=0.5)]
OBJ_SITE = site(electricity_price=0.05, carbon_intensity=0.5, pue=1.25)


def _metrics(counts: tuple[int, int, int], maintenance: float = 0.0) -> dict:
    """Capex, yearly MWh, carbon, TCO (4 years) and facility kW of (c1, c2, c3) counts, by hand.

    Energy of one server at load 0.6 with idle 30 %: (0.3 P + 0.6 × 0.7 P) = 0.72 P kW, × 8760 h × PUE.
    """
    prices, powers = (1000, 1500, 3000), (2.0, 1.0, 0.5)
    capex = sum(n * p for n, p in zip(counts, prices))
    mwh = sum(n * energy_mwh(p, 0.6, pue=1.25) for n, p in zip(counts, powers))
    facility = sum(n * p for n, p in zip(counts, powers)) * 1.25
    return {"capex": capex, "energy": mwh, "carbon": mwh * 0.5, "power": facility,
            "tco": capex + 4 * (mwh * 1000 * 0.05 + maintenance * capex)}


@pytest.mark.parametrize("objective, maintenance, winner", [
    # Per server: energy 0.72 P × 8760 h × 1.25 = 15.768 MWh (c1), 7.884 (c2), 3.942 (c3);
    # 4 years at 0.05/kWh: 3153.6, 1576.8, 788.4; carbon at 0.5 kg/kWh: 7.884 t, 3.942 t, 1.971 t.
    ("capex", 0.0, "c1"),                 # 1000 < 1500 < 3000
    ("tco", 0.0, "c2"),                   # 4153.6, 3076.8, 3788.4
    ("energy", 0.0, "c3"),
    ("power", 0.0, "c3"),                 # facility kW: 2.5, 1.25, 0.625
    ("tco", 1.0, "c1"),                   # maintenance 100 %/yr: 5 × capex + energy → 8153.6, 9076.8, 15,788
    ({"capex": 1, "carbon": 1000}, 0.0, "c3"),   # 8884, 5442, 4971
    ({"capex": 1, "carbon": 300}, 0.0, "c2"),    # 3365.2, 2682.6, 3591.3
])
@engines
def test_objectives_pick_different_servers(engine, objective, maintenance, winner):
    def value(v):
        m = _metrics(v, maintenance)
        weights = {objective: 1.0} if isinstance(objective, str) else objective
        return sum(w * m[k] for k, w in weights.items())
    grid = [range(0, 5)] * 3
    expected = brute_min(grid, value, lambda v: sum(v) >= 4)
    best = [v for v in ((4, 0, 0), (0, 4, 0), (0, 0, 4)) if math.isclose(value(v), expected)]
    assert best == [{"c1": (4, 0, 0), "c2": (0, 4, 0), "c3": (0, 0, 4)}[winner]]
    data = scenario([cpu_workload("web", 256)], sites=[OBJ_SITE], servers=OBJ_SERVERS, objective=objective,
                    policies={"costs": {"maintenance": maintenance}})
    plan = check_optimal(data, expected, engine)
    assert units(plan, item=winner) == 4


@engines
@pytest.mark.parametrize("limit, metric", [("energy", 40.0), ("carbon", 12.0), ("tco", 15_000.0)])
def test_energy_carbon_and_tco_limits(engine, limit, metric):
    # Capex objective on the objective-case servers, 4 servers; the cap pushes towards frugal ones.
    # energy ≤ 40 MWh: 15.768a + 7.884b + 3.942c ≤ 40 → e.g. (1, 2, 1) or (0, 4, 0) ... brute force.
    expected = brute_min([range(0, 5)] * 3, lambda v: _metrics(v)["capex"],
                         lambda v: sum(v) >= 4 and _metrics(v)[limit] <= metric + 1e-9)
    assert expected > 4000  # the cap binds (c1 alone would cost 4000)
    data = scenario([cpu_workload("web", 256)], sites=[OBJ_SITE], servers=OBJ_SERVERS, limits={limit: metric})
    check_optimal(data, expected, engine)


# --------------------------------------------------------------------------- bugs found here

@pytest.mark.parametrize("engine", ["scip", "cbc"])
@pytest.mark.parametrize("with_fast_switch", [True, False])
def test_switch_speed_follows_the_ports_actually_bought(engine, with_fast_switch):
    # 10 servers; slownic (1000, 2 × 25 Gb/s) is far cheaper than fastnic (5000, 2 × 400 Gb/s).
    # 20 ports at 3:1 on 8-port sw25 (100): 4 leaves + 1 spine = 500 → 10,500.
    # dcplan: sw400 (10,000 each) forced → 60,000; without sw400 it reports infeasible.
    servers = [cpu_server("slownic", 1000, nics={"count": 2, "speed": 25}),
               cpu_server("fastnic", 5000, nics={"count": 2, "speed": 400})]
    switches = [switch("sw25", 100, 8, port_speed=25)] + (
        [switch("sw400", 10_000, 8, port_speed=400)] if with_fast_switch else [])
    net, _ = fabric_cost(20, switches[0], 3)
    assert net == 500
    data = scenario([cpu_workload("web", 640)], servers=servers, switches=switches)
    check_optimal(data, 10_000 + net, engine)


@pytest.mark.parametrize("engine", ["scip", "highs"])
def test_generic_min_can_require_more_than_the_demand(engine):
    # 10 servers meet 640 vCPU; Σ security_score ≥ 40 at 3 per server → 14 servers = 15,400.
    servers = [cpu_server("hard", 1100, attrs={"security_score": 3})]
    constraints = [{"name": "score", "sum": "attrs.security_score", "where": {"category": "server"}, "min": 40}]
    data = scenario([cpu_workload("web", 640)], servers=servers, constraints=constraints)
    check_optimal(data, 14 * 1100, engine)


@engines
def test_security_floor_by_a_bare_attribute_name(engine):
    """A worked example of a generic constraint: Σ security_score ≥ 500 over servers scoring 1, 2 and 3 at costs 1, 10 and 100
    (called cpu, gpu and tpu; all serve the workload's one vCPU, so only the floor decides). Cost per point is 1, 5
    and 33.3, so the optimum is 500 of the first at 500. `sum: security_score` (no `attrs.`) is the attribute:
    it used to count 0, and the scenario was called infeasible."""
    servers = [cpu_server(name, price, vcpus=1, power=0.0, rack_units=0, attrs={"security_score": score})
               for name, price, score in (("cpu", 1, 1), ("gpu", 10, 2), ("tpu", 100, 3))]
    constraints = [{"name": "security-floor", "sum": "security_score", "where": {"category": "server"}, "min": 500}]
    data = scenario([cpu_workload("web", 1)], servers=servers, constraints=constraints)
    # Brute force over the gpu and tpu counts; the cpu count is then the least that meets both rows.
    expected = min(max(0, 500 - 2 * g - 3 * t, 1 - g - t) + 10 * g + 100 * t for g in range(251) for t in range(168))
    assert expected == 500
    plan = check_optimal(data, expected, engine)
    assert units(plan, item="cpu") == 500 and units(plan, item="gpu") == units(plan, item="tpu") == 0


@engines
@pytest.mark.parametrize("cap", [0, 4, 5])
def test_racks_are_a_category_constraints_can_cap(engine, cap):
    """`where: {category: rack}` counts each site's rack positions (it used to match nothing: a cap of 0 still
    bought racks). 640 vCPU from small (64 vCPU, 1,000) or dense (128 vCPU, 2,500) servers, 32 U each: two per
    64 U rack. Alone small costs 10,000 in 5 racks; at most 4 racks means x + y ≤ 8."""
    servers = [cpu_server("small", 1000, vcpus=64, rack_units=32), cpu_server("dense", 2500, vcpus=128, rack_units=32)]
    constraints = [{"name": "rack-cap", "sum": "quantity", "where": {"category": "rack"}, "max": cap}]
    data = scenario([cpu_workload("web", 640)], servers=servers, constraints=constraints)
    expected = brute_min([range(0, 11), range(0, 6)], lambda v: 1000 * v[0] + 2500 * v[1],
                         lambda v: 64 * v[0] + 128 * v[1] >= 640 and ceil((v[0] + v[1]) / 2) <= cap)
    if cap == 0:
        assert expected is None and objective_or_none(data, engine) is None
        return
    assert expected == {4: 11_000, 5: 10_000}[cap]  # cap 4: 6 small + 2 dense in 4 racks
    plan = check_optimal(data, expected, engine)
    assert units(plan, category="rack") <= cap


def _outcomes(data: dict) -> dict:
    out = {}
    for engine in ENGINES:
        try:
            out[engine] = solve(data, engine).objective_value
        except NoPlan as err:
            out[engine] = err.status
    return out


@pytest.mark.parametrize("rps, site_power", [(5, 1e6), (10, 5)])
def test_engines_agree_on_near_integral_demand(rps, site_power):
    # toy-10b with 2 bytes of KV per token: per server (1 accelerator, batch 10, 20 GB weights at 1000 GB/s)
    # 10 / ((20e9 + 10 × 50 × 2) / 1e12) / 100 = 4.99999975 requests/s; 2 kW per server.
    acc = accelerator("acc1", bf16=1000, hbm=100, bandwidth=1000)
    model = dict(id="toy-10b", source="test", params=10e9, kv_bytes_per_token=2)
    work = dict(name="chat", type="inference", model="toy-10b", requests_per_s=rps, prompt_tokens=0,
                output_tokens=100, max_tpot=100, hbm_efficiency=1.0, compute_efficiency=1.0, max_batch=10,
                step_overhead=0, allreduce_latency=0)
    data = scenario([work], sites=[site(power=site_power)], servers=[gpu_server("one-1", 10_000, "acc1", 1, power=2)],
                    accelerators=[acc], models=[model])
    assert _rps_per_server(1, 10, 20e9, 2, 50, 1000, 100) == pytest.approx(4.99999975, rel=1e-12)
    outcomes = _outcomes(data)
    assert len(set(outcomes.values())) == 1, outcomes


@pytest.mark.parametrize("engine", [
    "scip", "cp-sat", "highs",
    "cbc",
])
def test_cbc_preprocessing_infeasible_is_reported_infeasible(engine):
    # Racks hold one item type; two workloads pinned to two types need two racks, the site has one.
    work = [cpu_workload("a", 1, servers=["x"]), cpu_workload("b", 1, servers=["y"])]
    data = scenario(work, sites=[site(racks=1)], servers=[cpu_server("x", 100), cpu_server("y", 100)])
    with pytest.raises(NoPlan) as err:
        solve(data, engine)
    assert err.value.status == "infeasible"


# --------------------------------------------------------------------------- 11. storage a training run buys

@engines
def test_training_buys_its_checkpoint_storage_at_the_cluster_site(engine):
    # Training as in case 3 (1e9 params, 5.76e9 tokens, 1 day, goodput 1) on tb: 5 t2 accelerators → 1 server,
    # 8 accelerators installed, 10 kW: only s1 (20 kW) can hold it; s0 (5 kW) could hold storage alone.
    # Derived storage: usable 2 × 1e9 × 14 B + 5.76e9 × 4 B = 51.04 GB at erasure 2+1 (≥ 3 nodes);
    # throughput 0.427 GB/s × 8 accelerators + 23.04 GB / 86,400 s = 3.41627 GB/s.
    # Nodes fast (2 GB/s, 1000) and slow (0.5 GB/s, 300): min 1000a + 300b, a + b ≥ 3, 2a + 0.5b ≥ 3.41627
    # → a = 1, b = 3: 1,900. Plan: 2,500 + 1,900 = 4,400, storage at s1 with the cluster.
    need = 0.427 * 8 + 5.76e9 * 4 / 86400 / 1e9
    expected_storage = brute_min((range(0, 8), range(0, 12)), lambda v: 1000 * v[0] + 300 * v[1],
                                 lambda v: v[0] + v[1] >= 3 and 2 * v[0] + 0.5 * v[1] >= need)
    assert expected_storage == 1900
    tb = [s for s in TRAIN_SERVERS if s["id"] == "tb"]
    storage = [storage_node("fast", 1000, capacity=1, throughput=2), storage_node("slow", 300, capacity=1,
                                                                                  throughput=0.5)]
    work = dict(name="pretrain", type="training", model={"params": 1e9}, tokens=5.76e9, deadline=1, goodput=1.0,
                storage={"durability": {"erasure": "2+1"}})
    data = scenario([work], sites=[site("s0", power=5), site("s1", power=20)], servers=tb, storage=storage,
                    accelerators=TRAIN_ACCS)
    plan = check_optimal(data, 2500 + expected_storage, engine)
    placed = {(a.workload, a.item): (a.site, a.servers) for a in plan.assignments}
    assert placed == {("pretrain", "tb"): ("s1", 1), ("pretrain.storage", "fast"): ("s1", 1),
                      ("pretrain.storage", "slow"): ("s1", 3)}
