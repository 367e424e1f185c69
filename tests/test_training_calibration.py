"""Training sizing with its defaults against published runs (calibration/training.yaml, docs/sizing.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dcplan.scenario.catalog import builtin
from dcplan.scenario.loader import parse_text
from dcplan.scenario.schema import TrainingWorkload
from dcplan.sizing import size_workload
from dcplan.sizing.training import memory_per_accelerator, storage_need

ROOT = Path(__file__).resolve().parent.parent
# The project's YAML 1.2 loader: PyYAML's 1.1 rules would read `30.84e6` as a string.
RUNS = {run["id"]: run for run in parse_text((ROOT / "calibration" / "training.yaml").read_text(), "training.yaml")
        .data["runs"]}


def _with_h800_node(catalog):
    """DeepSeek-V3 ran on HGX H800 nodes, which dcplan does not ship (no public price): defined here as a planner
    would in `catalog.servers`, the HGX H100 node with the built-in H800 accelerator (same board, NVLink cut)."""
    import dataclasses

    h100 = catalog.servers["h100-sxm-8"]
    h800 = h100.model_copy(update={"id": "h800-sxm-8", "price": None,
                                   "accelerators": h100.accelerators.model_copy(update={"model": "h800-sxm"})})
    return dataclasses.replace(catalog, servers={**catalog.servers, "h800-sxm-8": h800})


CATALOG = _with_h800_node(builtin())


def sized(run_id: str, model: str, server: str, gpu_hours: float, gpus: int, **kw):
    """The cluster dcplan buys, with defaults, to finish the run in the wall-clock time it took."""
    run = RUNS[run_id]
    days = gpu_hours / gpus / 24.0
    work = TrainingWorkload.model_validate(dict(name=run_id, type="training", model=model,
                                                tokens=float(run["tokens"]), deadline=days, servers=[server], **kw))
    [candidate] = size_workload(work, CATALOG).candidates
    return candidate, work


def test_llama3_405b_with_defaults_is_within_20_percent_of_its_16384_h100():
    run = RUNS["llama3.1-405b-pretrain"]
    assert run["hardware"]["gpus"] == 16384 and run["gpu_hours"] == 30.84e6
    candidate, _ = sized("llama3.1-405b-pretrain", "llama3-405b", "h100-sxm-8", run["gpu_hours"], 16384)
    ratio = candidate.detail["accelerators_installed"] / 16384
    assert 0.8 <= ratio <= 1.2, ratio
    # the layout fits an 80 GB H100 with its activations (8,192-token sequences, as Llama 3 pre-trained)
    d = candidate.detail
    assert d["memory_gb_per_accelerator"] <= 80 * 0.9 and d["tp"] <= 8
    assert d["tp"] * d["pp"] * d["dp"] == d["accelerators"]


def test_deepseek_v3_in_fp8_with_defaults_is_within_30_percent_of_its_2048_h800():
    run = RUNS["deepseek-v3-pretrain"]
    hours = run["gpu_hours"]["pretraining"]
    assert run["hardware"]["gpus"] == 2048 and hours == 2.664e6
    candidate, _ = sized("deepseek-v3-pretrain", "deepseek-v3", "h800-sxm-8", hours, 2048, precision="fp8",
                         sequence_length=4096)  # DeepSeek-V3 pre-trained on 4K sequences
    ratio = candidate.detail["accelerators_installed"] / 2048
    assert 0.7 <= ratio <= 1.3, ratio
    assert candidate.detail["accelerator"] == "h800-sxm"


def test_mfu_against_the_fp8_peak_would_halve_the_fp8_cluster():
    run = RUNS["deepseek-v3-pretrain"]
    bf16, _ = sized("deepseek-v3-pretrain", "deepseek-v3", "h800-sxm-8", run["gpu_hours"]["pretraining"], 2048,
                    precision="fp8", sequence_length=4096)
    fp8, _ = sized("deepseek-v3-pretrain", "deepseek-v3", "h800-sxm-8", run["gpu_hours"]["pretraining"], 2048,
                   precision="fp8", sequence_length=4096, mfu_basis="fp8")
    assert fp8.detail["accelerators_for_compute"] == pytest.approx(bf16.detail["accelerators_for_compute"] / 2,
                                                                   rel=0.01)


def test_goodput_divides_the_rate():
    full, _ = sized("llama3.1-405b-pretrain", "llama3-405b", "h100-sxm-8", 30.84e6, 16384, goodput=1.0)
    ninety, _ = sized("llama3.1-405b-pretrain", "llama3-405b", "h100-sxm-8", 30.84e6, 16384)
    assert ninety.detail["accelerators_for_compute"] == pytest.approx(full.detail["accelerators_for_compute"] / 0.9,
                                                                      rel=1e-3)


def test_activation_memory_follows_korthikanti_and_decides_the_recomputation():
    # Llama 3 405B, 8,192 tokens, TP8: selective recomputation keeps s·h·L·34/t = 71.9 GB per GPU, too much for
    # an 80 GB H100 beside its state, so the run recomputes fully: s·h·(2L + 34)/t = 4.8 GB.
    _, work = sized("llama3.1-405b-pretrain", "llama3-405b", "h100-sxm-8", 30.84e6, 16384)
    model = CATALOG.models["llama3-405b"]
    _, selective = memory_per_accelerator(work, model, 8, 16, 128, "selective")
    _, full = memory_per_accelerator(work, model, 8, 16, 128, "full")
    assert selective == pytest.approx(8192 * 16384 * 126 * 34 / 8)
    assert full == pytest.approx(8192 * 16384 * (2 * 126 + 34) / 8)
    candidate, _ = sized("llama3.1-405b-pretrain", "llama3-405b", "h100-sxm-8", 30.84e6, 16384)
    assert candidate.detail["activation_recompute"] == "full"


def test_storage_need_of_llama3_405b():
    _, work = sized("llama3.1-405b-pretrain", "llama3-405b", "h100-sxm-8", 30.84e6, 16384)
    need = storage_need(work, CATALOG.models["llama3-405b"], accelerators=16384)
    checkpoint = 405.85e9 * 14 / 1e12                        # 5.68 TB per checkpoint
    dataset = 15.6e12 * 4 / 1e12                             # 62.4 TB of 32-bit token ids
    assert need["usable_tb"] == pytest.approx(2 * checkpoint + dataset)
    assert need["write_GBps"] == pytest.approx(0.427 * 16384)  # ~7 TB/s, Llama 3's storage peak
    assert need["read_GBps"] == pytest.approx(15.6e12 * 4 / (work.deadline * 86400 * 0.9) / 1e9)
