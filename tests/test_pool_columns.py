"""The pool labels add_pools records as it makes the pools (dcplan/model/columns.py) are what the pools
themselves say: the families that group pools by them (network ports, racks, power, totals) rely on it."""

from __future__ import annotations

import numpy as np
import pytest

from bench.generate import generate
from dcplan.model.build import build
from dcplan.model.columns import first_seen, pool_columns, read_columns
from dcplan.scenario.catalog import effective
from dcplan.scenario.schema import Scenario
from dcplan.sizing import size_scenario
from dcplan.sizing.derived import with_derived_workloads


@pytest.mark.parametrize("seed", [2, 5])
def test_recorded_columns_match_the_pools(seed):
    data = generate(workloads=30, servers=12, sites=3, seed=seed, policies=True,
                    mix={"training": 0.2, "inference": 0.4, "cpu": 0.2, "storage": 0.2})
    for index, workload in enumerate(data["workloads"]):
        if workload["type"] in ("inference", "cpu") and index % 2:
            workload["average_load"] = 0.55  # loads differ between pools
    scenario = Scenario.model_validate(data)
    catalog = effective(scenario.catalog)
    scenario = with_derived_workloads(scenario, catalog)
    built = build(scenario, catalog, size_scenario(scenario, catalog))
    recorded, read = pool_columns(built), read_columns(built.pools, [s.name for s in scenario.sites])
    assert len(recorded.item) == len(built.pools) > 0
    for field in ("item", "site", "group", "workload", "training", "unit_var", "unit_coef", "load"):
        decode = {"item": recorded.items, "group": recorded.groups, "workload": recorded.workloads}.get(field)
        mine, theirs = getattr(recorded, field), getattr(read, field)
        if decode is not None:  # codes may be numbered differently: compare what they stand for
            theirs_decoded = {"item": read.items, "group": read.groups, "workload": read.workloads}[field]
            assert [decode[c] for c in mine] == [theirs_decoded[c] for c in theirs], field
        else:
            assert np.array_equal(mine, theirs), field
    assert recorded.training.any() and (~recorded.training).any() and len(set(recorded.load)) > 2
    assert len(recorded.groups) > 1  # an isolated security level has its own group


def test_first_seen_numbers_codes_as_a_dict_filled_in_order_would():
    codes = np.array([7, 3, 7, 9, 3, 1, 9])
    order: dict[int, int] = {}
    expected = [order.setdefault(c, len(order)) for c in codes.tolist()]
    distinct, position, first = first_seen(codes)
    assert distinct.tolist() == list(order) and position.tolist() == expected
    assert first.tolist() == [codes.tolist().index(c) for c in order]
