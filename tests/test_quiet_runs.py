"""`dcplan solve` on every bundled scenario and on `dcplan init`'s starter says nothing on stderr
but the plan's own warnings: no engine banner, no complaint about the built-in catalog."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def solve(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dcplan", "solve", str(path), "--format", "json"],
                          capture_output=True, text=True, timeout=600, cwd=path.parent)


def assert_only_plan_notes(done: subprocess.CompletedProcess) -> None:
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    expected = "".join(f"warning: {warning}\n" for warning in plan["warnings"])
    assert done.stderr == expected
    assert "no price" not in done.stderr and "HiGHS" not in done.stderr


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_a_bundled_scenario_solves_quietly(path):
    assert_only_plan_notes(solve(path))


def test_the_starter_solves_quietly(tmp_path):
    made = subprocess.run([sys.executable, "-m", "dcplan", "init", str(tmp_path / "s.yaml")], capture_output=True,
                          text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    done = solve(tmp_path / "s.yaml")
    assert_only_plan_notes(done)
    assert json.loads(done.stdout)["warnings"] == []
