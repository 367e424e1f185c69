"""bench/generate.py: deterministic, valid scenarios of the requested sizes that solve to verified plans."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from dcplan.usecases.planning import SolveOptions, plan_scenario
from dcplan.scenario.catalog import builtin
from dcplan.scenario.load import load_scenario

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `bench` is a top-level directory of the repository, not an installed package
from bench.generate import DEFAULT_MIX, catalog_split, generate, main, split_counts, to_yaml  # noqa: E402


def test_same_seed_same_file_other_seed_other_file(tmp_path):
    a = to_yaml(generate(workloads=30, servers=12, sites=3, seed=7))
    assert a == to_yaml(generate(workloads=30, servers=12, sites=3, seed=7))
    assert a != to_yaml(generate(workloads=30, servers=12, sites=3, seed=8))
    for name in ("one.yaml", "two.yaml"):  # the file's text depends on the arguments only, not on -o
        main(["-w", "30", "-s", "12", "-k", "3", "--seed", "7", "-o", str(tmp_path / name)])
    assert (tmp_path / "one.yaml").read_bytes() == (tmp_path / "two.yaml").read_bytes()


@pytest.mark.parametrize("w,s,k", [(20, 6, 1), (40, 12, 2), (60, 25, 4)])
def test_requested_sizes_and_a_valid_file(tmp_path, w, s, k):
    path = tmp_path / "g.yaml"
    assert main(["--workloads", str(w), "--servers", str(s), "--sites", str(k), "--seed", "3", "-o",
                 str(path)]) == 0
    loaded = load_scenario(path)
    assert loaded.ok, [d.message for d in loaded.diagnostics]
    sc = loaded.scenario
    assert len(sc.workloads) == w and len(sc.sites) == k
    generated = sc.catalog.servers + sc.catalog.storage
    assert len(generated) == s
    assert all(item.source == "generated (bench)" and item.note and item.price > 0 for item in generated)
    split = catalog_split(s)
    gpu = [x for x in sc.catalog.servers if x.accelerators is not None]
    assert (len(gpu), len(sc.catalog.servers) - len(gpu), len(sc.catalog.storage)) == (
        split["gpu"], split["cpu"], split["storage"])
    assert set(sc.catalog.only) == {x.id for x in generated} | set(builtin().switches)  # the built-in switches
    kinds = [x.type for x in sc.workloads]
    assert {kind: kinds.count(kind) for kind in DEFAULT_MIX} == split_counts(w, DEFAULT_MIX)


def test_default_mix_and_policies():
    data = generate(workloads=200, servers=20, sites=3, seed=1)
    kinds = [x["type"] for x in data["workloads"]]
    assert (kinds.count("training"), kinds.count("inference"), kinds.count("cpu"), kinds.count("storage")) == (
        10, 90, 80, 20)
    assert {x.get("security", "internal") for x in data["workloads"]} >= {"public", "internal", "confidential",
                                                                           "restricted"}
    assert any(x.get("survive_site_failure") for x in data["workloads"])
    assert any(x.get("availability") for x in data["workloads"])
    assert data["policies"]["security"]["isolate"] == ["restricted"]
    assert data["policies"]["network"]["dual_homed"] is True
    bare = generate(workloads=50, servers=10, sites=2, seed=1, policies=False)
    assert not any(key in x for x in bare["workloads"] for key in ("availability", "spares",
                                                                  "survive_site_failure", "sites"))


@pytest.mark.parametrize("seed,policies", [(1, True), (2, False)])
def test_small_generated_scenarios_solve_to_verified_plans(seed, policies):
    from dcplan.scenario.schema import Scenario

    sc = Scenario.model_validate(generate(workloads=10, servers=8, sites=2, seed=seed, policies=policies))
    plan = plan_scenario(sc, SolveOptions(time_limit=20, gap=0.01))  # plan_scenario verifies the plan
    assert plan.status in ("optimal", "feasible") and plan.objective_value > 0
    assert {a.workload for a in plan.assignments} == {w.name for w in sc.workloads}


def test_bad_sizes_are_usage_errors():
    with pytest.raises(SystemExit):
        main(["--servers", "3", "-o", "-"])
