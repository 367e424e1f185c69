"""Inference sizing against published measurements (calibration/inference.yaml, docs/sizing.md).

The shipped factors were fitted on the calibration part only; these tests hold the validation
part to the fidelity dcplan promises, report the calibration part beside it, and fail when the
table in docs/sizing.md no longer matches what the code predicts.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dcplan.sizing import calibrate, sizing_docs
from dcplan.sizing.calibration import MEASUREMENTS, load, predict_all, summarise
from dcplan.sizing.efficiency import calibrated

ROOT = Path(__file__).resolve().parent.parent
PREDICTIONS = predict_all(calibrated())
VALIDATION = [p for p in PREDICTIONS if p.point.split == "validation"]
CALIBRATION = [p for p in PREDICTIONS if p.point.split == "calibration"]

FIRST_BATCH = 109
"""The points of the first hand-off; the fidelity targets were set on its validation part (54 points)."""

WORST = 1.8
"""No point of either part is predicted further than this factor from its measurement (present worst: 1.56 in the
calibration part, 1.72 in the validation part, docs/sizing.md)."""


def test_the_measurement_set_is_large_independent_and_split_before_fitting():
    points, _ = load(MEASUREMENTS)
    assert len(points) >= 40
    assert len({p.source for p in points}) >= 3
    assert {p.split for p in points} == {"calibration", "validation"}
    assert len(CALIBRATION) == 68 and len(VALIDATION) == 69
    for p in points:
        assert p.url.startswith("http") and p.measured > 0 and p.prompt >= 0 and p.output > 0


def test_the_mixture_of_experts_batch_is_split_by_the_same_rule_within_itself():
    points, _ = load(MEASUREMENTS)
    batch = points[FIRST_BATCH:]
    assert len(batch) == 28
    groups: dict[tuple[str, str], list] = {}
    for p in batch:
        groups.setdefault((p.accelerator, p.precision), []).append(p)
    for (accelerator, precision), members in groups.items():
        members.sort(key=lambda p: hashlib.sha256(p.id.encode()).hexdigest())
        start = int(hashlib.sha256(f"{accelerator}|{precision}".encode()).hexdigest()[0], 16) % 2
        assert [p.split for p in members] == [
            "calibration" if (k + start) % 2 == 0 else "validation" for k in range(len(members))]


def test_validation_part_meets_the_fidelity_targets():
    # The target, 80 % within ±30 %, is 56 of the 69 validation points; with factors per serving engine
    # build for CDNA3 (docs/sizing.md) 61 are, and 50 of the 54 of the first batch the target was set on: both held
    # at their present figures.
    first = summarise("validation", [p for p in VALIDATION if _position(p) < FIRST_BATCH])
    assert first.within_30 >= 50 / 54 - 1e-9, first
    s = summarise("validation", VALIDATION)
    assert s.within_30 >= 61 / 69 - 1e-9 and s.within_30 >= 0.8, s
    assert 0.9 <= s.median <= 1.1, s


def _position(prediction) -> int:
    return [p.point.id for p in PREDICTIONS].index(prediction.point.id)


def test_no_point_is_off_by_2x():
    assert summarise("validation", VALIDATION).off_2x == 0
    for p in PREDICTIONS:
        assert 1 / WORST < p.ratio < WORST, (p.point.id, p.ratio)


def test_calibration_part_is_reported_and_fits_no_worse_than_the_targets():
    s = summarise("calibration", CALIBRATION)
    assert s.within_30 >= 60 / 68 - 1e-9 and s.off_2x == 0 and 0.9 <= s.median <= 1.1, s


def test_interactive_targets_cost_llama2_70b_what_mlperf_runs_show():
    # MLPerf's Llama 2 70B systems serve 0.36-0.60 of their server throughput under interactive targets; the
    # issue's target is 0.3-0.8 of the server class for the same model and hardware.
    pairs = [(s, i) for s, i in sizing_docs.class_pairs(PREDICTIONS) if i.point.model == "llama2-70b"]
    assert len(pairs) == 5
    for server, interactive in pairs:
        assert 0.3 <= interactive.predicted / server.predicted <= 0.8, interactive.point.id


def test_interactive_runs_are_predicted_below_the_server_runs_of_the_same_system():
    # docs/sizing.md lists these pairs; the model must at least get the direction of every one right.
    pairs = sizing_docs.class_pairs(PREDICTIONS)
    assert len(pairs) == 10
    for server, interactive in pairs:
        assert server.point.scenario == "server" and interactive.point.measured < server.point.measured
        assert 0 < interactive.predicted < server.predicted, interactive.point.id


def test_no_group_rests_on_fewer_than_three_calibration_points():
    table = calibrated()
    assert all(f.points >= calibrate.MIN_POINTS for f in table.groups.values())
    assert all(0 < f.hbm <= calibrate.CEILING and 0 < f.compute <= calibrate.CEILING for f in table.groups.values())


def test_docs_table_is_what_the_code_predicts():
    text = (ROOT / "docs" / "sizing.md").read_text(encoding="utf-8")
    expected = sizing_docs.splice(text, sizing_docs.render(PREDICTIONS, calibrated()))
    assert text == expected, "docs/sizing.md is out of date: run `make sizing-docs` (or `make calibrate`)"


def test_shipped_factors_file_is_what_the_fit_writes():
    shipped = (ROOT / "dcplan" / "sizing" / "data" / "efficiency.yaml").read_text(encoding="utf-8")
    assert shipped == calibrate.factors_yaml(calibrated())


def test_nelder_mead_finds_a_known_minimum():
    best, value = calibrate.nelder_mead(lambda x: (x[0] - 1.5) ** 2 + (x[1] + 0.5) ** 2 + 2.0, [0.0, 0.0],
                                        iterations=200)
    assert best == pytest.approx([1.5, -0.5], abs=1e-3) and value == pytest.approx(2.0, abs=1e-6)


def test_board_power_limits_the_compute_of_a_power_limited_accelerator_only():
    # s = min(1, k · P / Π_bf16) (dcplan/sizing/efficiency.py): at the same datasheet peak the MI325X (1,000 W)
    # sustains 4/3 of an MI300X (750 W) once both are power-limited; an accelerator whose board power sustains its
    # peak, or without a stated board power, keeps its datasheet peak; a workload's own compute share is a share of
    # the datasheet peak and is not reduced.
    from dataclasses import replace

    table = replace(calibrated(), power_tflops_per_w=1.0)
    mi300x, _ = table.efficiency("cdna3", "fp8", bf16_tflops=1307.4, tdp_w=750.0)
    mi325x, source = table.efficiency("cdna3", "fp8", bf16_tflops=1307.4, tdp_w=1000.0)
    assert mi325x.compute / mi300x.compute == pytest.approx(4 / 3) and mi325x.hbm == mi300x.hbm
    assert mi300x.compute == pytest.approx(table.factors("cdna3", "fp8").compute * 750.0 / 1307.4)
    assert "1000 W of board power" in source
    assert table.clock_share(312.0, 400.0) == 1.0 and table.clock_share(197.0, None) == 1.0
    own, _ = table.efficiency("cdna3", "fp8", hbm=0.5, compute=0.4, bf16_tflops=1307.4, tdp_w=750.0)
    assert own.compute == 0.4
    assert replace(table, power_tflops_per_w=None).clock_share(1307.4, 750.0) == 1.0
