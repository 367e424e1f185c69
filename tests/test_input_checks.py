"""Input that used to slip through validation: every number bounded with its reason, whole numbers
written as floats, names in generic constraints that refer to nothing, and whatever `solve` refuses
refused by `validate` too, at the same position."""

from __future__ import annotations

from pathlib import Path

import pytest

from dcplan.scenario.load import load_scenario

BASE = """\
dcplan: 1
name: demo
catalog:
  builtin: false
  servers:
    - {id: cpu-a, price: 1000, power: 1 kW, rack_units: 1, vcpus: 64}
sites:
  - {name: ash1, power: 12 MW, racks: 400, rack_power: 40 kW}
workloads:
  - {name: etl, type: cpu, vcpus: 4000}
"""


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def diagnostics(tmp_path: Path, text: str, overrides=()) -> list:
    return load_scenario(write(tmp_path, text), overrides).diagnostics


def test_base_is_valid(tmp_path):
    assert diagnostics(tmp_path, BASE) == []


# --------------------------------------------------------------------------- whole numbers


@pytest.mark.parametrize("override", ["workloads.0.vcpus=4e3", "sites.0.racks=4.0e2", "catalog.servers.0.vcpus=6.4e1",
                                      "workloads.0.spares=2.0", "solver.threads=2e0"])
def test_integral_floats_are_whole_numbers(tmp_path, override):
    """YAML 1.2 reads `4e3` as a float; it still spells the whole number 4000."""
    result = load_scenario(write(tmp_path, BASE), [override])
    assert result.ok, [d.message for d in result.diagnostics]
    path, value = override.split("=")
    node = result.scenario
    for part in path.split("."):
        node = node[int(part)] if part.isdigit() else getattr(node, part)
    assert node == int(float(value)) and isinstance(node, int)


@pytest.mark.parametrize("value", ["4000.5", "1e30", ".inf"])
def test_fractions_and_huge_floats_are_not_whole(tmp_path, value):
    found = diagnostics(tmp_path, BASE.replace("vcpus: 4000}", f"vcpus: {value}}}"))
    assert [d.path for d in found if d.is_error] == ["workloads[0].vcpus"]
