"""Inference sizing against published measurements (calibration/inference.yaml, docs/sizing.md).

The shipped factors were fitted on the calibration part only; these tests hold the validation
part to the fidelity dcplan promises, report the calibration part beside it, and fail when the
table in docs/sizing.md no longer matches what the code predicts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dcplan.sizing import calibrate, sizing_docs
from dcplan.sizing.calibration import MEASUREMENTS, load, predict_all, summarise
from dcplan.sizing.efficiency import calibrated

ROOT = Path(__file__).resolve().parent.parent
PREDICTIONS = predict_all(calibrated())
VALIDATION = [p for p in PREDICTIONS if p.point.split == "validation"]
CALIBRATION = [p for p in PREDICTIONS if p.point.split == "calibration"]

KNOWN_LIMITS = {
    # A fine-grained mixture of experts (256 experts, 8 per token) with latent attention and answers of up to
    # 32,768 tokens, at a tight 80 ms p99 TPOT: the step model has no expert-parallel all-to-all, expert
    # imbalance or attention-data-parallel imbalance, and predicts ~3x. Documented in docs/sizing.md; held
    # below its present error so that it cannot silently get worse.
    "mlperf-v5.1-nvidia-b200x8-deepseek-r1-server": 3.2,
}


def test_the_measurement_set_is_large_independent_and_split_before_fitting():
    points, _ = load(MEASUREMENTS)
    assert len(points) >= 40
    assert len({p.source for p in points}) >= 3
    assert {p.split for p in points} == {"calibration", "validation"}
    assert len(CALIBRATION) == 55 and len(VALIDATION) == 54
    for p in points:
        assert p.url.startswith("http") and p.measured > 0 and p.prompt >= 0 and p.output > 0


def test_validation_part_meets_the_fidelity_targets():
    s = summarise("validation", VALIDATION)
    assert s.within_30 >= 0.80, s
    assert 0.9 <= s.median <= 1.1, s


def test_no_validation_point_is_off_by_2x_beyond_the_documented_limits():
    for p in VALIDATION:
        bound = KNOWN_LIMITS.get(p.point.id, 2.0)
        assert 1 / bound < p.ratio < bound, (p.point.id, p.ratio)


def test_calibration_part_is_reported_and_fits_no_worse_than_the_targets():
    s = summarise("calibration", CALIBRATION)
    assert s.within_30 >= 0.75 and s.off_2x == 0 and 0.9 <= s.median <= 1.1, s


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
