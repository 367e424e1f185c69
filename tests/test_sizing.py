"""Sizing: workloads -> requirements per candidate, tied to published figures (datasheets and papers).

The test catalog is built here from published figures, so the tests do not depend on
the built-in catalog's data (prices in particular).
"""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dcplan.scenario.catalog import Catalog, builtin, effective
from dcplan.scenario.schema import CpuWorkload, InferenceWorkload, Scenario, StorageWorkload, TrainingWorkload
from dcplan.scenario.catalog_schema import Accelerator, ModelSpec, Nics, Server, StorageNode
from dcplan.sizing import Candidate, Requirement, size_scenario, size_workload
from dcplan.sizing.inference import chip_of, shape_of
from dcplan.sizing.serving import Efficiency, Layout, Replica, Serving

# --------------------------------------------------------------------------- accelerators (vendor datasheets)

ACCELERATORS = {
    a["id"]: Accelerator.model_validate(a) for a in [
        dict(id="h100-sxm", bf16_flops=989.4, fp8_flops=1978.9, hbm=80, hbm_bandwidth=3350, tdp=700,
             confidential_computing=True),
        dict(id="h200-sxm", bf16_flops=989.4, fp8_flops=1978.9, hbm=141, hbm_bandwidth=4800, tdp=700,
             confidential_computing=True),
        dict(id="a100-sxm-80gb", bf16_flops=312, hbm=80, hbm_bandwidth=2039, tdp=400),
        dict(id="l40s", bf16_flops=362.05, fp8_flops=733, hbm=48, hbm_bandwidth=864, tdp=350),
        dict(id="l4", bf16_flops=121, fp8_flops=242.5, hbm=24, hbm_bandwidth=300, tdp=72),
    ]
}


def _gpu_server(item_id, acc, count, cc, price=100000.0):
    return Server.model_validate(dict(id=item_id, price=price, power=10.2, rack_units=8,
                                      accelerators={"model": acc, "count": count}, vcpus=224, memory=2000,
                                      confidential_computing=cc))


SERVERS = {s.id: s for s in [
    _gpu_server("h100-1", "h100-sxm", 1, True),
    _gpu_server("h100-2", "h100-sxm", 2, True),
    _gpu_server("h100-8", "h100-sxm", 8, True),
    _gpu_server("h200-1", "h200-sxm", 1, True),
    _gpu_server("h200-8", "h200-sxm", 8, True, price=None),
    _gpu_server("a100-8", "a100-sxm-80gb", 8, False),
    _gpu_server("l40s-8", "l40s", 8, False),
    _gpu_server("l4-8", "l4", 8, False),
    Server.model_validate(dict(id="epyc-2s", price=20000, power=1.1, rack_units=2, vcpus=384, memory=1536,
                               confidential_computing=True)),
    Server.model_validate(dict(id="xeon-2s", price=18000, power=1.1, rack_units=2, vcpus=224, memory=1024)),
    Server.model_validate(dict(id="no-cpu", price=1000, power=0.1, rack_units=1)),
]}

STORAGE = {n.id: n for n in [
    StorageNode.model_validate(dict(id="nvme", price=60000, power=1.2, rack_units=2, capacity=737,
                                    throughput=25, encryption=True)),
    StorageNode.model_validate(dict(id="hdd", price=30000, power=1.0, rack_units=4, capacity=1440,
                                    throughput=10)),
]}

# Hugging Face config.json files
MODELS = {m.id: m for m in [
    ModelSpec(id="llama3-8b", params=8.03e9, layers=32, hidden_size=4096, heads=32, kv_heads=8, head_dim=128),
    ModelSpec(id="llama3-70b", params=70.55e9, layers=80, hidden_size=8192, heads=64, kv_heads=8, head_dim=128),
    ModelSpec(id="llama3-405b", params=405e9, layers=126, hidden_size=16384, heads=128, kv_heads=8,
              head_dim=128),
    ModelSpec(id="mixtral-8x7b", params=46.7e9, active_params=12.9e9, layers=32, kv_heads=8, head_dim=128),
]}

CATALOG = Catalog(accelerators=ACCELERATORS, servers=SERVERS, storage=STORAGE, models=MODELS)


def training(**kw) -> TrainingWorkload:
    data = dict(name="train", type="training", model="llama3-405b", tokens=15.6e12, deadline=68)
    data.update(kw)
    return TrainingWorkload.model_validate(data)


def inference(**kw) -> InferenceWorkload:
    data = dict(name="chat", type="inference", model="llama3-8b", requests_per_s=10, prompt_tokens=1000,
                output_tokens=500, max_tpot=50)
    data.update(kw)
    return InferenceWorkload.model_validate(data)


def storage(**kw) -> StorageWorkload:
    data = dict(name="data", type="storage", capacity=1000, durability={"erasure": "8+3"})
    data.update(kw)
    return StorageWorkload.model_validate(data)


def cpu(**kw) -> CpuWorkload:
    data = dict(name="web", type="cpu", vcpus=1000, memory=4000)
    data.update(kw)
    return CpuWorkload.model_validate(data)


def by_item(req: Requirement) -> dict[str, Candidate]:
    return {c.item: c for c in req.candidates}


def one_server_catalog(server_id: str) -> Catalog:
    return Catalog(accelerators=ACCELERATORS, servers={server_id: SERVERS[server_id]}, models=MODELS)


def assert_finite(req: Requirement) -> None:
    numbers = [*req.demand.values(), *(v for v in req.detail.values() if isinstance(v, (int, float)))]
    for c in req.candidates:
        numbers += [*c.per_unit.values(), c.load, *(v for v in c.detail.values() if isinstance(v, (int, float)))]
        if c.fixed_count is not None:
            numbers.append(c.fixed_count)
    assert all(math.isfinite(x) for x in numbers), req


# --------------------------------------------------------------------------- training (6·N·D; the Llama 3 paper)

def test_llama3_405b_pretraining_flops_match_the_paper():
    req = size_workload(training(), CATALOG)
    assert req.kind == "training"
    assert req.detail["flops_total"] == pytest.approx(3.8e25, rel=0.01)  # arXiv:2407.21783


def test_llama3_405b_on_16k_h100_at_mfu_040_takes_63_to_71_days():
    flops = 6 * 405e9 * 15.6e12
    usable = 989.4e12 * 0.40
    days_on_16k = flops / (16384 * usable) / 86400
    assert 63 <= days_on_16k <= 71  # the Llama 3 paper's 38-43 % MFU
    req = size_workload(training(deadline=days_on_16k, goodput=1.0), CATALOG)
    cand = by_item(req)["h100-8"]
    assert cand.detail["accelerators"] == pytest.approx(16384, rel=0.01)
    assert cand.fixed_count == math.ceil(cand.detail["accelerators"] / 8)
    assert cand.fixed_count == pytest.approx(2048, rel=0.01)
    assert cand.detail["bound"] == "compute"
    assert 63 <= cand.detail["days_at_this_count"] <= days_on_16k * (1 + 1e-9)
    assert cand.load == 0.9 and cand.per_unit == {} and req.demand == {}


def test_training_state_memory_bound_70b_needs_16_h100():
    # 70B x 16 B / (80 GB x 0.9) = 15.6 -> 16 accelerators (ZeRO: 16 bytes/param for mixed-precision Adam)
    req = size_workload(training(model=ModelSpec(params=70e9), tokens=1e9, deadline=1000), CATALOG)
    cands = by_item(req)
    assert cands["h100-8"].detail["accelerators_for_memory"] == 16
    assert cands["h100-8"].detail["accelerators"] == 16
    assert cands["h100-8"].detail["bound"] == "memory"
    assert cands["h100-8"].fixed_count == 2
    assert cands["h100-1"].fixed_count == 16
    # one H200 per server: 9 x 126.9 GB hold the state when the optimizer is sharded over replicas
    assert cands["h200-1"].fixed_count == math.ceil(70e9 * 16 / (141e9 * 0.9)) == 9


def test_training_moe_uses_active_params_for_flops_and_total_for_state():
    req = size_workload(training(model="mixtral-8x7b", tokens=1e12, deadline=1000), CATALOG)
    assert req.detail["flops_total"] == pytest.approx(6 * 12.9e9 * 1e12)
    assert req.detail["state_bytes"] == pytest.approx(46.7e9 * 16)
    assert by_item(req)["h100-8"].detail["accelerators_for_memory"] == math.ceil(46.7e9 * 16 / (80e9 * 0.9))


def test_training_fp8_excludes_a100_and_mfu_is_against_the_bf16_peak_unless_said():
    bf16 = by_item(size_workload(training(), CATALOG))
    req = size_workload(training(precision="fp8"), CATALOG)
    assert "a100-8" not in by_item(req)
    assert "FP8" in req.excluded["a100-8"]
    # MFU is stated against the BF16 peak by default, so FP8 alone buys nothing ...
    assert by_item(req)["h100-8"].detail["accelerators"] == bf16["h100-8"].detail["accelerators"]
    # ... unless the MFU is a share of the FP8 peak
    on_fp8 = by_item(size_workload(training(precision="fp8", mfu_basis="fp8"), CATALOG))["h100-8"]
    assert on_fp8.detail["accelerators"] == pytest.approx(bf16["h100-8"].detail["accelerators"] * 989.4 / 1978.9,
                                                          rel=0.002)


def test_training_candidates_are_accelerated_servers_only():
    req = size_workload(training(), CATALOG)
    assert {"epyc-2s", "xeon-2s", "no-cpu"} <= set(req.excluded)
    assert "accelerators" in req.excluded["epyc-2s"]
    assert set(by_item(req)) == {s for s in SERVERS if SERVERS[s].accelerators is not None}


@pytest.mark.parametrize("field", ["mfu", "memory_headroom"])
def test_training_efficiencies_of_zero_are_refused_by_the_schema(field):
    """Sizing divides by them: 0 is an input error (validate says so at its line), not an empty candidate list."""
    with pytest.raises(ValidationError, match=field):
        training(**{field: 0})


# --------------------------------------------------------------------------- inference (docs/sizing.md)

def _batch1_tokens_per_s(model_id, acc_id, tp):
    """Roofline decode rate of one sequence at 100 % efficiency and no fixed costs (Pope et al. 2022)."""
    model, acc = MODELS[model_id], ACCELERATORS[acc_id]
    shape = shape_of(model, "check")
    chip = chip_of(acc, "bf16", "bf16", 0.0)
    serving = Serving(prompt=0, output=1, weight_bytes=2.0, kv_bytes=model.kv_bytes(), chunk=8192, headroom=0.9)
    replica = Replica(shape, chip, Efficiency(hbm=1.0, compute=1.0, allreduce_s=0.0, step_s=0.0), Layout(tp=tp),
                      serving)
    return 1.0 / replica.step(1, prefill=0).seconds


def test_llama3_8b_batch1_decode_on_one_h100_is_about_208_tokens_per_s():
    assert _batch1_tokens_per_s("llama3-8b", "h100-sxm", 1) == pytest.approx(3.35e12 / 16.1e9, rel=0.01)


def test_llama3_70b_does_not_fit_one_h100_and_decodes_47_then_34_tokens_per_s_at_batch_1():
    req = size_workload(inference(model="llama3-70b", max_tpot=1000), CATALOG)
    # 70.55e9 x 2 B = 141.1 GB: not on one H100 (72 GB usable), nor one H200 (126.9 GB)
    assert "weights do not fit one server" in req.excluded["h100-1"]
    assert "weights do not fit one server" in req.excluded["h200-1"]
    assert by_item(req)["h100-8"].detail["tp"] * by_item(req)["h100-8"].detail["pp"] >= 2
    assert _batch1_tokens_per_s("llama3-70b", "h100-sxm", 2) == pytest.approx(47, rel=0.02)
    assert _batch1_tokens_per_s("llama3-70b", "h200-sxm", 1) == pytest.approx(34, rel=0.02)


def test_kv_bytes_per_token_of_llama3_70b_at_each_cache_precision():
    assert size_workload(inference(model="llama3-70b"), CATALOG).detail["kv_bytes_per_token"] == 327680
    fp8 = size_workload(inference(model="llama3-70b", precision="fp8"), CATALOG).detail
    assert fp8["kv_bytes_per_token"] == 163840 and fp8["kv_precision"] == "fp8"
    wide = size_workload(inference(model="llama3-70b", precision="fp8", kv_precision="bf16"), CATALOG).detail
    assert wide["kv_bytes_per_token"] == 327680 and wide["weights_bytes"] == 70.55e9


def test_tight_max_tpot_excludes_with_the_best_latency_it_achieves():
    req = size_workload(inference(max_tpot=2), CATALOG)
    assert req.candidates == ()
    for item in ("h100-8", "l4-8", "a100-8"):
        assert req.excluded[item].startswith("cannot meet max_tpot 2 ms at p99: the best is ")
        assert "idle" in req.excluded[item]


def test_operating_point_is_the_largest_batch_within_memory_and_targets():
    w = inference(model="llama3-70b", max_tpot=40, max_ttft=2000)
    for cand in by_item(size_workload(w, CATALOG)).values():
        d = cand.detail
        assert 0 < d["batch"] <= d["max_batch_memory"] * (1 + 1e-9)
        assert d["tpot_p99_ms"] <= 40 * (1 + 1e-6) and d["ttft_p99_ms"] <= 2000 * (1 + 1e-6)
        if d["bound"] == "memory":
            assert d["batch"] == pytest.approx(d["max_batch_memory"])
        else:  # a latency target stops it: it sits on that target
            assert d["bound"] in ("max_tpot", "max_ttft")
            assert d[f"{d['bound'].replace('max_', '')}_p99_ms"] == pytest.approx(
                40 if d["bound"] == "max_tpot" else 2000, rel=1e-3)


def test_max_batch_caps_the_batch():
    free = by_item(size_workload(inference(model="llama3-8b", max_tpot=50), CATALOG))
    capped = by_item(size_workload(inference(model="llama3-8b", max_tpot=50, max_batch=16), CATALOG))
    for item, cand in capped.items():
        assert cand.detail["batch"] <= 16 * (1 + 1e-9)
        if free[item].detail["batch"] > 16 and free[item].detail["tp"] == cand.detail["tp"]:
            assert cand.detail["bound"] == "max_batch"
            assert cand.per_unit["requests_per_s"] < free[item].per_unit["requests_per_s"]


def test_requests_per_s_per_server_is_replicas_times_batch_over_step_and_output():
    w = inference(prompt_tokens=2000, output_tokens=300)
    req = size_workload(w, CATALOG)
    assert req.demand == {"requests_per_s": 10}
    for cand in req.candidates:
        d = cand.detail
        per_replica = d["batch"] / (d["step_ms"] / 1000) / 300
        assert cand.per_unit == {"requests_per_s": pytest.approx(d["replicas_per_server"] * per_replica)}
        gpus = d["tp"] * d["pp"]
        assert d["replicas_per_server"] == SERVERS[cand.item].accelerators.count // gpus
        assert cand.load == 0.6 and cand.units_per_replica == 1


def test_chosen_layout_serves_at_least_as_much_as_every_fixed_degree():
    req = by_item(size_workload(inference(model="llama3-70b"), CATALOG))
    for degree in (2, 4, 8):
        fixed = by_item(size_workload(inference(model="llama3-70b", tensor_parallel=degree), CATALOG))
        for item, cand in fixed.items():
            assert cand.detail["tp"] == degree
            assert req[item].per_unit["requests_per_s"] >= cand.per_unit["requests_per_s"] * (1 - 1e-9)


def test_max_ttft_excludes_slow_prefill_with_the_best_ttft():
    # 8,000-token prompts on 70B: 1.13 PFLOP each; 8 x L40S at 362 TFLOP/s cannot start within 1.5 s
    w = inference(model="llama3-70b", prompt_tokens=8000, output_tokens=200, max_tpot=1000, max_ttft=1500,
                  hbm_efficiency=0.8, compute_efficiency=0.6)
    req = size_workload(w, CATALOG)
    assert req.excluded["l40s-8"].startswith("cannot meet max_ttft 1.5e+03 ms at p99: the best is ")
    assert by_item(req)["h100-8"].detail["ttft_p99_ms"] <= 1500 * (1 + 1e-6)


def test_fp4_needs_an_accelerator_with_fp4_flops():
    req = size_workload(inference(precision="fp4"), CATALOG)
    assert req.candidates == ()
    assert req.excluded["h100-8"] == "accelerator h100-sxm has no FP4 support"
    blackwell = Accelerator.model_validate(dict(id="b200", bf16_flops=2250, fp8_flops=4500, fp4_flops=9000,
                                                hbm=180, hbm_bandwidth=7700, scale_up_bandwidth=1800))
    catalog = Catalog(accelerators={**ACCELERATORS, "b200": blackwell},
                      servers={"b200-8": _gpu_server("b200-8", "b200", 8, True)}, models=MODELS)
    fp4 = size_workload(inference(precision="fp4"), catalog)
    assert [c.item for c in fp4.candidates] == ["b200-8"]
    assert fp4.detail["bytes_per_param"] == 0.5625 and fp4.detail["kv_precision"] == "fp8"


def test_a_model_too_large_for_one_server_is_served_across_servers():
    networked = _gpu_server("h100-8n", "h100-sxm", 8, True).model_copy(
        update={"nics": Nics(count=8, speed=400)})
    catalog = Catalog(accelerators=ACCELERATORS, servers={"h100-8n": networked, "h100-8": SERVERS["h100-8"]},
                      models=MODELS)
    req = size_workload(inference(model="llama3-405b", max_tpot=200), catalog)  # 811.7 GB of BF16 weights
    assert "no network ports" in req.excluded["h100-8"]
    cand = by_item(req)["h100-8n"]
    assert cand.units_per_replica == cand.detail["servers_per_replica"] >= 2
    assert cand.detail["tp"] * cand.detail["pp"] == 8 * cand.units_per_replica
    assert 0 < cand.detail["network_gbps_per_server"] < 8 * 400
    assert cand.per_unit["requests_per_s"] == pytest.approx(
        cand.detail["requests_per_s_per_server"])


def test_inference_fp8_excludes_a100_and_halves_weights():
    req = size_workload(inference(precision="fp8"), CATALOG)
    assert "FP8" in req.excluded["a100-8"]
    assert req.detail["weights_bytes"] == 8.03e9


def test_confidential_keeps_only_cc_servers_and_encrypted_storage():
    req = size_workload(inference(security="confidential"), CATALOG)
    assert set(by_item(req)) == {"h100-1", "h100-2", "h100-8", "h200-1", "h200-8"}
    for item in ("a100-8", "l40s-8", "l4-8"):
        assert "confidential computing" in req.excluded[item]
    cpu_req = size_workload(cpu(security="restricted"), CATALOG)
    assert set(by_item(cpu_req)) == {"epyc-2s"} and "confidential" in cpu_req.excluded["xeon-2s"]
    st_req = size_workload(storage(security="confidential"), CATALOG)
    assert set(by_item(st_req)) == {"nvme"} and "encryption" in st_req.excluded["hdd"]
    assert set(by_item(size_workload(storage(), CATALOG))) == {"nvme", "hdd"}


def test_cc_server_with_a_non_cc_accelerator_is_excluded():
    odd = _gpu_server("odd", "l40s", 8, True)
    catalog = Catalog(accelerators=ACCELERATORS, servers={"odd": odd}, models=MODELS)
    req = size_workload(inference(security="confidential"), catalog)
    assert "accelerator l40s has no confidential computing" in req.excluded["odd"]


def test_servers_list_restricts_candidates_and_explains_unavailable_ids():
    req = size_workload(inference(servers=["h100-8", "gone-8"]), CATALOG)
    assert [c.item for c in req.candidates] == ["h100-8"]
    assert "servers" in req.excluded["l4-8"]
    assert "not purchasable" in req.excluded["gone-8"]


def test_unpriced_items_remain_candidates():
    assert SERVERS["h200-8"].price is None
    assert "h200-8" in by_item(size_workload(inference(), CATALOG))
    assert "h200-8" in by_item(size_workload(training(), CATALOG))


# --------------------------------------------------------------------------- cpu and storage

def test_cpu_packs_vcpus_and_memory_on_cpu_servers():
    req = size_workload(cpu(), CATALOG)
    assert req.kind == "cpu" and req.min_units == 0
    assert req.demand == {"vcpus": 1000, "memory_gb": 4000}
    assert by_item(req)["epyc-2s"].per_unit == {"vcpus": 384, "memory_gb": 1536}
    assert set(by_item(req)) == {"epyc-2s", "xeon-2s"}
    assert "not a CPU server" in req.excluded["h100-8"]
    assert "no vCPUs" in req.excluded["no-cpu"]
    no_memory = size_workload(cpu(memory=0), CATALOG)
    assert no_memory.demand == {"vcpus": 1000}
    assert by_item(no_memory)["xeon-2s"].per_unit == {"vcpus": 224}
    assert by_item(no_memory)["xeon-2s"].load == 0.6


def test_storage_erasure_8_3_needs_1375_times_usable_on_11_nodes():
    req = size_workload(storage(capacity=1000, throughput=40), CATALOG)
    assert req.kind == "storage"
    assert req.demand == {"raw_tb": pytest.approx(1375), "throughput_GBps": 40}
    assert req.min_units == 11
    assert by_item(req)["nvme"].per_unit == {"raw_tb": 737, "throughput_GBps": 25}


def test_storage_three_replicas_and_no_throughput_target():
    req = size_workload(storage(capacity=100, durability={"replicas": 3}), CATALOG)
    assert req.demand == {"raw_tb": pytest.approx(300)}
    assert req.detail["overhead"] == 3.0
    assert req.min_units == 3
    assert by_item(req)["hdd"].per_unit == {"raw_tb": 1440}


def test_demand_keys_match_candidate_keys():
    for w in (inference(), cpu(), cpu(memory=0), storage(), storage(throughput=5)):
        req = size_workload(w, CATALOG)
        assert req.candidates
        assert all(set(c.per_unit) == set(req.demand) for c in req.candidates)
        assert all(c.fixed_count is None for c in req.candidates)


# --------------------------------------------------------------------------- scenario level

def test_size_scenario_returns_requirements_by_name_in_order():
    scenario = Scenario.model_validate(dict(
        dcplan=1, name="mix", sites=[dict(name="a", power=10000, racks=100, rack_power=40)],
        workloads=[
            dict(name="z-store", type="storage", capacity=500, durability={"replicas": 3}),
            dict(name="a-chat", type="inference", model="llama3-8b", requests_per_s=5, prompt_tokens=500,
                 output_tokens=200, max_tpot=40),
            dict(name="m-train", type="training", model="llama3-8b", tokens=1e12, deadline=30),
            dict(name="b-web", type="cpu", vcpus=64),
        ]))
    reqs = size_scenario(scenario, effective(scenario.catalog))
    assert list(reqs) == ["z-store", "a-chat", "m-train", "b-web"]
    assert [r.kind for r in reqs.values()] == ["storage", "inference", "training", "cpu"]
    assert all(r.candidates for r in reqs.values())


@pytest.mark.parametrize("model_id", sorted(builtin().models))
def test_every_builtin_model_sizes_to_finite_numbers(model_id):
    catalog = builtin()
    for w in (inference(model=model_id), inference(model=model_id, precision="fp8", max_tpot=20),
              training(model=model_id, tokens=1e12, deadline=30), training(model=model_id, precision="fp8")):
        req = size_workload(w, catalog)
        assert_finite(req)
        assert set(req.excluded).isdisjoint(c.item for c in req.candidates)
        assert len(req.excluded) + len(req.candidates) >= len(catalog.servers)


# --------------------------------------------------------------------------- properties

def _servers_needed(req: Requirement) -> dict[str, int]:
    return {c.item: max(math.ceil(req.demand[k] / v) for k, v in c.per_unit.items()) for c in req.candidates}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rps=st.floats(0.01, 1e4), factor=st.floats(1.0, 100.0), model=st.sampled_from(sorted(MODELS)))
def test_more_requests_never_need_fewer_servers(rps, factor, model):
    low = _servers_needed(size_workload(inference(model=model, requests_per_s=rps), CATALOG))
    high = _servers_needed(size_workload(inference(model=model, requests_per_s=rps * factor), CATALOG))
    assert set(low) == set(high)
    assert all(high[i] >= low[i] for i in low)


@settings(max_examples=40, deadline=None)
@given(deadline=st.floats(0.5, 700), factor=st.floats(1.0, 50.0), model=st.sampled_from(sorted(MODELS)),
       precision=st.sampled_from(["bf16", "fp8"]))
def test_longer_deadline_never_needs_more_training_servers(deadline, factor, model, precision):
    short = by_item(size_workload(training(model=model, deadline=deadline, precision=precision), CATALOG))
    long = by_item(size_workload(training(model=model, deadline=deadline * factor, precision=precision),
                                 CATALOG))
    assert set(short) == set(long)
    assert all(long[i].fixed_count <= short[i].fixed_count for i in short)
    assert all(long[i].detail["days_at_this_count"] <= deadline * factor * (1 + 1e-9) for i in long)


@settings(max_examples=60, deadline=None)
@given(model=st.sampled_from(sorted(MODELS)), prompt=st.integers(0, 200_000), output=st.integers(1, 50_000),
       tpot=st.floats(0.01, 1e4), ttft=st.one_of(st.none(), st.floats(0.01, 1e5)),
       hbm_eff=st.floats(1e-6, 1), compute_eff=st.floats(1e-6, 1), headroom=st.floats(1e-6, 1),
       precision=st.sampled_from(["bf16", "fp8"]))
def test_inference_sizing_is_total_and_finite(model, prompt, output, tpot, ttft, hbm_eff, compute_eff, headroom,
                                              precision):
    w = inference(model=model, prompt_tokens=prompt, output_tokens=output, max_tpot=tpot, max_ttft=ttft,
                  hbm_efficiency=hbm_eff, compute_efficiency=compute_eff, memory_headroom=headroom,
                  precision=precision)
    req = size_workload(w, CATALOG)
    assert_finite(req)
    assert len(req.candidates) + len(req.excluded) == len(SERVERS)
    for c in req.candidates:
        assert c.per_unit["requests_per_s"] > 0
        assert c.detail["tpot_p99_ms"] <= tpot * (1 + 1e-6)
        assert 0 < c.detail["batch"] <= c.detail["max_batch_memory"] * (1 + 1e-9)
