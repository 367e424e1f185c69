"""Golden LP text per constraint family: each small scenario in tests/golden/lp/ is built and its
`--save-model` LP text compared with the checked-in file, and its optimum with expected.json.

A change to how a family writes its rows shows here as a readable diff. Regenerate only on
purpose, after reading the diff: `make golden` (DCPLAN_REGENERATE_GOLDEN=1).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dcplan.usecases.planning import SolveOptions, plan_scenario
from dcplan.scenario.load import load_scenario

GOLDEN = Path(__file__).parent / "golden" / "lp"
SCENARIOS = sorted(p.stem for p in GOLDEN.glob("*.yaml"))
REGENERATE = os.environ.get("DCPLAN_REGENERATE_GOLDEN") == "1"


def _plan(name: str, tmp_path: Path):
    loaded = load_scenario(GOLDEN / f"{name}.yaml")
    assert loaded.ok, loaded.diagnostics
    lp_file = tmp_path / f"{name}.lp"
    plan = plan_scenario(loaded.scenario, SolveOptions(save_model=str(lp_file), gap=0.0, time_limit=60))
    return plan, lp_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SCENARIOS)
def test_lp_text_matches_golden(name, tmp_path):
    plan, text = _plan(name, tmp_path)
    golden = GOLDEN / f"{name}.lp"
    expected_file = GOLDEN / "expected.json"
    expected = json.loads(expected_file.read_text()) if expected_file.exists() else {}
    if REGENERATE:
        golden.write_text(text, encoding="utf-8")
        expected[name] = plan.objective_value
        expected_file.write_text(json.dumps(dict(sorted(expected.items())), indent=2) + "\n")
        return
    assert text == golden.read_text(encoding="utf-8"), f"LP text of {name} changed: run `make golden` if intended"
    assert plan.status == "optimal"
    assert plan.objective_value == pytest.approx(expected[name], rel=1e-9)


def test_every_family_has_a_golden_scenario():
    """The scenarios together write a row of every constraint family the model has."""
    families = set()
    for name in SCENARIOS:
        text = (GOLDEN / f"{name}.lp").read_text(encoding="utf-8")
        families |= {line.split("(")[0].strip() for line in text.splitlines()
                     if line.startswith(" ") and ":" in line and "(" in line.split(":")[0]}
    for family in ("demand", "site_failure", "durability.min_nodes", "durability.site_used", "spares.step",
                   "spares.availability", "spares.fixed", "spares.percent", "network.leaf_ports",
                   "network.uplinks", "network.spine_ports", "network.ports", "racks.packing", "racks", "power",
                   "constraint", "limit", "train.choose", "cut.rounding", "cut.spares", "cut.erasure_set",
                   "colocation.site", "colocation.throughput"):
        assert family in families, f"no golden scenario writes a {family} row"


def test_every_row_family_is_in_the_vocabulary():
    """Row families are a contract (explain relaxes some, plans report some): each one the model writes is
    a dcplan.vocab.RowFamily, so a new family cannot slip in as a bare string."""
    from dcplan import model
    from dcplan.scenario.catalog import effective
    from dcplan.sizing import size_scenario
    from dcplan.vocab import RowFamily

    seen = set()
    for name in SCENARIOS:
        scenario = load_scenario(GOLDEN / f"{name}.yaml").scenario
        catalog = effective(scenario.catalog)
        built = model.build(scenario, catalog, size_scenario(scenario, catalog))
        seen |= {row.family for row in built.lm.rows}
    assert seen <= set(RowFamily.values()), seen - set(RowFamily.values())
    assert len(seen) >= 10


def test_a_period_scope_names_and_owns_what_is_built_in_it():
    """A build-out builds one period's model next to another's in one LinearModel: while
    `LinearModel.period` is set, names gain `period=<label>` and owners the period."""
    from dcplan.model.linear import LinearModel, Owner

    lm = LinearModel()
    lm.var("x[workload=a,item=c,site=k]", owner=Owner("a", "c", "k"))
    lm.period = "2027"
    later = lm.var("x[workload=a,item=c,site=k]", owner=Owner("a", "c", "k"))
    row = lm.ge("power[site=k]", "power", later, 1.0, owner=Owner(site="k"))
    assert [v.name for v in lm.variables] == ["x[workload=a,item=c,site=k]", "x[workload=a,item=c,site=k,period=2027]"]
    assert lm.variables[1].owner == Owner("a", "c", "k", period="2027")
    assert lm.find("x", Owner("a", "c", "k", period="2027")) == 1
    assert row.name == "power[site=k,period=2027]" and row.owner.site == "k" and row.owner.period == "2027"
