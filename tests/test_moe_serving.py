"""The step model of a mixture of experts and the roofline overlap, checked against hand arithmetic.

DeepSeek-V3's shape (671B parameters, 37B active, 256 routed experts, 8 per token) on 8 accelerators of a
made-up round-number chip, so that every expected figure below is computed by hand from the equations in
docs/sizing.md ("Mixture of experts", "Overlap").
"""

from __future__ import annotations

import math

import pytest

from dcplan.scenario.catalog import builtin
from dcplan.sizing.efficiency import Factors, Table
from dcplan.sizing.inference import shape_of
from dcplan.sizing.serving import Chip, Efficiency, Layout, Replica, Serving, Shape

DEEPSEEK = shape_of(builtin().models["deepseek-v3"], "test")
CHIP = Chip(peak_flops=1e15, attention_flops=1e15, hbm_bytes=200e9, hbm_bandwidth=5e12, scale_up=400e9,
            scale_out=50e9)
SERVING = Serving(prompt=1000, output=1000, weight_bytes=1.0, kv_bytes=35136.0, chunk=8192, headroom=0.9)
IDEAL = Efficiency(hbm=1.0, compute=1.0, allreduce_s=0.0, step_s=0.0)


def replica(shape: Shape = DEEPSEEK, tp: int = 8, eff: Efficiency = IDEAL, serving: Serving = SERVING) -> Replica:
    return Replica(shape, CHIP, eff, Layout(tp=tp, pp=1, per_server=8), serving)


def test_a_tokens_experts_land_on_the_expected_number_of_other_ranks():
    # 256 experts, 32 per rank, 8 chosen: a rank holds none of them with probability C(224, 8) / C(256, 8).
    none_here = math.comb(224, 8) / math.comb(256, 8)
    assert DEEPSEEK.remote_ranks(8) == pytest.approx(7 * (1 - none_here), rel=1e-12)
    assert DEEPSEEK.remote_ranks(8) == pytest.approx(4.64, abs=0.01)
    assert DEEPSEEK.remote_ranks(1) == 0.0
    every = Shape(params=8e9, active=8e9, layers=1, hidden=1, attention_width=1, kv_bytes_16bit=1.0, experts=8,
                  experts_per_token=8)
    assert every.remote_ranks(4) == pytest.approx(3.0)  # all experts used: every other rank is reached


def test_a_step_reads_the_experts_its_tokens_touch():
    r = replica()
    dense, experts = DEEPSEEK.dense_params, DEEPSEEK.expert_params
    assert dense + experts == pytest.approx(671e9)
    assert r.weight_bytes_read(1) == pytest.approx(dense + experts * 8 / 256)
    assert r.weight_bytes_read(10) == pytest.approx(dense + experts * (1 - (1 - 8 / 256) ** 10))
    assert r.weight_bytes_read(4096) == pytest.approx(671e9, rel=1e-6)  # a large batch reads every expert


def test_expert_parallel_holds_the_dense_part_on_every_rank_and_splits_the_experts():
    r = replica()
    assert r.expert_parallel
    assert r.weights_total == pytest.approx(8 * DEEPSEEK.dense_params + DEEPSEEK.expert_params)
    one = replica(tp=1)
    assert not one.expert_parallel and one.weights_total == pytest.approx(671e9)


def test_the_busiest_rank_carries_a_whole_prompt_until_every_rank_has_one():
    r = replica()
    assert r.critical_prefill(300.0) == 300.0      # less than one prompt: all of it on one rank
    assert r.critical_prefill(3000.0) == 1000.0    # three prompts on three ranks: one prompt each
    assert r.critical_prefill(16000.0) == 2000.0   # sixteen prompts: an even share, 16,000 / 8


def test_an_expert_parallel_step_adds_up_as_written():
    # 800 decoding sequences, no prompts (output = prompt would add them): set the prefill to 0 explicitly.
    r = replica()
    m, g = 800.0, 8
    touched = 1 - (1 - 8 / 256) ** m
    weights = DEEPSEEK.dense_params / CHIP.hbm_bandwidth + DEEPSEEK.expert_params * touched / g / CHIP.hbm_bandwidth
    flops = (m / g * 2 * DEEPSEEK.dense_params * g + m * 2 * (DEEPSEEK.active - DEEPSEEK.dense_params)) / (
        g * CHIP.peak_flops)
    context = SERVING.prompt + SERVING.output / 2
    kv = m * context * SERVING.kv_bytes / g / CHIP.hbm_bandwidth
    attention = m * 4 * DEEPSEEK.layers * DEEPSEEK.attention_width * context / (g * CHIP.attention_flops)
    a2a = m * DEEPSEEK.layers * DEEPSEEK.remote_ranks(g) * DEEPSEEK.hidden * (1 + 2) / (g * CHIP.scale_up)
    assert r.seconds(m, prefill=0.0) == pytest.approx(max(weights, flops) + max(kv, attention) + a2a, rel=1e-9)


def test_the_experts_share_slows_only_the_routed_experts():
    fast, slow = replica(), replica(eff=Efficiency(hbm=1.0, compute=1.0, allreduce_s=0.0, step_s=0.0, moe=0.5))
    # One sequence, memory-bound: the step reads the dense part and 8 experts; halving the experts' share
    # doubles only the experts' part.
    dense_s = DEEPSEEK.dense_params / CHIP.hbm_bandwidth
    experts_s = DEEPSEEK.expert_params * (8 / 256) / 8 / CHIP.hbm_bandwidth
    kv_s = (SERVING.prompt + SERVING.output / 2) * SERVING.kv_bytes / 8 / CHIP.hbm_bandwidth
    assert fast.step(1.0, prefill=0.0).memory_s == pytest.approx(dense_s + experts_s + kv_s, rel=1e-9)
    assert slow.step(1.0, prefill=0.0).memory_s == pytest.approx(dense_s + 2 * experts_s + kv_s, rel=1e-9)


def test_the_exposed_share_runs_from_the_classic_roofline_to_memory_plus_arithmetic():
    dense = Shape(params=70e9, active=70e9, layers=80, hidden=8192, attention_width=8192, kv_bytes_16bit=327680.0)
    m = 100.0
    weights = 70e9 / CHIP.hbm_bandwidth
    gemm = m * 2 * 70e9 / CHIP.peak_flops
    context = SERVING.prompt + SERVING.output / 2
    kv = m * context * SERVING.kv_bytes / CHIP.hbm_bandwidth
    attention = m * 4 * 80 * 8192 * context / CHIP.attention_flops
    for exposed in (0.0, 0.5, 1.0):
        eff = Efficiency(hbm=1.0, compute=1.0, allreduce_s=0.0, step_s=0.0, exposed=exposed)
        expected = (max(weights, gemm) + exposed * min(weights, gemm)
                    + max(kv, attention) + exposed * min(kv, attention))
        assert replica(dense, tp=1, eff=eff).seconds(m, prefill=0.0) == pytest.approx(expected, rel=1e-12)


def test_a_workload_that_sets_both_efficiencies_sets_them_for_its_experts_too():
    table = Table(groups={("hopper", "fp8"): Factors(0.8, 0.5, 3, "hopper/fp8")}, allreduce_s=1e-5, step_s=1e-3,
                  moe=0.5, exposed=1.0)
    calibrated, _ = table.efficiency("hopper", "fp8")
    own, _ = table.efficiency("hopper", "fp8", hbm=0.6, compute=0.4)
    half, _ = table.efficiency("hopper", "fp8", hbm=0.6)
    assert (calibrated.moe, own.moe, half.moe) == (0.5, 1.0, 0.5)
    assert calibrated.exposed == own.exposed == 1.0


@pytest.mark.parametrize("exposed", [0.0, 0.5, 1.0])
def test_the_written_out_step_time_is_the_step_models_bit_for_bit(exposed):
    # Replica.seconds spells out _parts and the rooflines that step() adds up (it is sizing's inner loop):
    # the two must agree exactly, dense and mixture of experts, expert parallel or not, pipelined or not.
    dense = Shape(params=70e9, active=70e9, layers=80, hidden=8192, attention_width=8192, kv_bytes_16bit=327680.0)
    eff = Efficiency(hbm=0.8, compute=0.6, allreduce_s=4e-5, step_s=5e-4, moe=0.57, exposed=exposed)
    batches = (0.01, 0.5, 1.0, 3.7, 64.0, 800.0, 5000.0)
    prefills = (None, 0.0, 0.3, 700.0, 1000.0, 2500.0, 8000.0)
    for shape in (dense, DEEPSEEK):
        for tp, pp, per_server in ((1, 1, 8), (8, 1, 8), (4, 2, 8), (8, 2, 4), (16, 1, 8)):
            r = Replica(shape, CHIP, eff, Layout(tp=tp, pp=pp, per_server=per_server), SERVING)
            for m in batches:
                for q in prefills:
                    assert r.seconds(m, q) == r.step(m, q).seconds, (shape.experts, tp, pp, m, q)
