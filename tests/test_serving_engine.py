"""An inference workload's `serving_engine`: which engine build the calibrated efficiencies describe.

Only a family whose calibration part holds enough measurements of both classes (CDNA3 in FP8: AMD's MLPerf builds
of vLLM and its released images) has factors per class (docs/sizing.md); for every other family the choice changes
nothing, and the `efficiency` detail says so."""

from __future__ import annotations

import pytest

from dcplan.scenario.catalog import builtin
from dcplan.scenario.load import load_scenario
from dcplan.scenario.schema import InferenceWorkload
from dcplan.sizing import calibrate, size_workload
from dcplan.sizing.calibration import load
from dcplan.sizing.efficiency import calibrated

CATALOG = builtin()


def _chat(server: str, **kw) -> InferenceWorkload:
    data = dict(name="chat", type="inference", model="llama3-70b", precision="fp8", requests_per_s=10,
                prompt_tokens=1000, output_tokens=300, max_tpot="50 ms", servers=[server])
    data.update(kw)
    return InferenceWorkload.model_validate(data)


def _served(workload: InferenceWorkload) -> tuple[float, str]:
    [candidate] = size_workload(workload, CATALOG).candidates
    return candidate.per_unit["requests_per_s"], candidate.detail["efficiency"]


def test_the_default_is_the_released_engine():
    assert _chat("mi300x-8").serving_engine == "released"
    assert _served(_chat("mi300x-8")) == _served(_chat("mi300x-8", serving_engine="released"))


def test_tuned_changes_what_an_mi300x_server_serves_and_nothing_on_an_h100():
    released, released_source = _served(_chat("mi300x-8"))
    tuned, tuned_source = _served(_chat("mi300x-8", serving_engine="tuned"))
    # AMD's MLPerf builds serve more than its released images on the same MI300X (calibration part), so the
    # tuned factors give more requests/s per server.
    assert tuned > released * 1.1
    assert "cdna3/fp8/tuned" in tuned_source and "cdna3/fp8/released" in released_source
    h100_released, source = _served(_chat("h100-sxm-8"))
    h100_tuned, _ = _served(_chat("h100-sxm-8", serving_engine="tuned"))
    assert h100_tuned == h100_released
    assert "the same for released and tuned" in source


def test_only_cdna3_fp8_has_factors_per_engine_class():
    split = {(family, precision) for family, precision, engine in calibrated().groups if engine is not None}
    assert split == {("cdna3", "fp8")}


def test_an_unknown_serving_engine_is_refused_with_its_position(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("dcplan: 1\nname: engine\nsites:\n  - {name: dc, power: 5 MW, racks: 50, rack_power: 40 kW}\n"
                    "workloads:\n  - name: chat\n    type: inference\n    model: llama3-70b\n"
                    "    requests_per_s: 10\n    prompt_tokens: 1000\n    output_tokens: 300\n"
                    "    serving_engine: nightly\n", encoding="utf-8")
    [found] = [d for d in load_scenario(path).diagnostics if d.is_error]
    assert (found.path, found.line, found.column) == ("workloads[0].serving_engine", 12, 21)
    assert "released" in found.message + (found.expected or "") + (found.hint or "")


@pytest.mark.parametrize("family", ["tpu", None])
def test_a_family_no_measurement_covers_gets_the_lowest_datasheet_share_unreduced(family):
    # The lowest η·s of the fitted groups over their calibration points (the MI300X with released vLLM builds),
    # a share of the datasheet peak, not lowered again for the board power (300 W would give s < 1 at k = 1.25).
    table = calibrated()
    points, _ = load()
    lowest = calibrate.uncalibrated_compute(table, [p for p in points if p.split == "calibration"], CATALOG)
    eff, source = table.efficiency(family, "bf16", bf16_tflops=918.0, tdp_w=300.0)
    assert eff.compute == table.uncalibrated_compute == pytest.approx(lowest, abs=5e-5)
    assert table.clock_share(918.0, 300.0) < 1.0
    assert "of the datasheet peak" in source
