"""Studies in the library: the --vary grammar, draws reproducible by seed, percentiles, sizing once.

The command-line behaviour (sweep equals solve, the Pareto frontier, Ctrl-C, bad input) is in
tests/test_studies_cli.py; the Ray executor in tests/test_studies_ray.py.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from dcplan.scenario.catalog import effective
from dcplan.sizing import size_scenario
from dcplan.sizing.derived import with_derived_workloads
from dcplan.studies.points import grid_points, load_base, read_back, sample_points, field_unit
from dcplan.studies.sizing import requirements_for, size_base
from dcplan.studies.summary import bom_changes, percentile, summarise
from dcplan.studies.vary import StudyInputError, parse_vary

ROOT = Path(__file__).resolve().parent.parent
LINE = ROOT / "tests" / "studies" / "two-site-line.yaml"
PLATFORM = ROOT / "scenarios" / "inference-platform.yaml"


@pytest.mark.parametrize(("text", "kind", "values"), [
    ("sites.ash1.power=6MW,8MW,10MW", "list", ("6MW", "8MW", "10MW")),
    ("objective.carbon=0,40,80", "list", (0, 40, 80)),
    ("sites.0.power=6 MW..10 MW:3", "range", ("6 MW", "8 MW", "10 MW")),
    ("sites.0.power=6 MW..8000 kW:3", "range", ("6 MW", "7 MW", "8 MW")),  # the second end in the first's unit
    ("sites.0.racks=100..400:4", "range", (100, 200, 300, 400)),  # whole numbers stay whole
    ("sites.0.pue=1.1..1.5:5", "range", (1.1, 1.2, 1.3, 1.4, 1.5)),
    ("workloads.chat.sites=[a, b],[c]", "list", (["a", "b"], ["c"])),  # a YAML list per value
])
def test_vary_lists_and_ranges(text, kind, values):
    vary = parse_vary(text)
    assert vary.kind == kind and vary.values == values


@pytest.mark.parametrize(("text", "name", "params", "unit"), [
    ("sites.0.power=normal(8 MW, 500 kW)", "normal", (8.0, 0.5), "MW"),
    ("x=uniform(1, 3)", "uniform", (1.0, 3.0), ""),
    ("x=triangular(1, 2, 4)", "triangular", (1.0, 2.0, 4.0), ""),
    ("x=lognormal(40 kW, 0.25)", "lognormal", (40.0, 0.25), "kW"),
])
def test_vary_distributions(text, name, params, unit):
    distribution = parse_vary(text).distribution
    assert (distribution.name, distribution.params, distribution.unit) == (name, pytest.approx(params), unit)


@pytest.mark.parametrize(("text", "message"), [
    ("x=1..5:0", "the range is empty"),
    ("x=1..5:1", "give N ≥ 2"),
    ("x=1..5:many", "whole number"),
    ("x=1,,2", "empty value"),
    ("x=", "no values"),
    ("x=poisson(3)", "unknown distribution 'poisson'"),
    ("x=normal(1)", "normal takes 2 parameters"),
    ("x=uniform(3, 1)", "low must not be above high"),
    ("x=triangular(1, 5, 3)", "low ≤ mode ≤ high"),
    ("x=lognormal(0, 1)", "median must be above 0"),
    ("x=lognormal(1 kW, 1 kW)", "no unit"),
    ("x=normal(1 MW, 2 s)", "different kinds"),
    ("x=1 MW..2 s:3", "different kinds"),
    ("x=normal(1 furlong, 2)", "unknown unit"),
    ("sites..power=1", "cannot read path"),
    ("no-equals", "expected PATH=VALUES"),
])
def test_vary_refuses_bad_values(text, message):
    with pytest.raises(StudyInputError, match=message):
        parse_vary(text)


def test_grid_points_validate_like_the_file_and_read_back_in_the_field_unit():
    base = load_base(PLATFORM)
    points = grid_points(base, [parse_vary("sites.virginia-1.power=3MW,4 MW"),
                                parse_vary("workloads.chat-70b.requests_per_s=20..40:2")])
    assert [p.values for p in points] == [
        {"sites.virginia-1.power": "3MW", "workloads.chat-70b.requests_per_s": 20},
        {"sites.virginia-1.power": "3MW", "workloads.chat-70b.requests_per_s": 40},
        {"sites.virginia-1.power": "4 MW", "workloads.chat-70b.requests_per_s": 20},
        {"sites.virginia-1.power": "4 MW", "workloads.chat-70b.requests_per_s": 40}]  # first --vary slowest
    assert read_back(points[2].scenario, "sites.virginia-1.power") == 4000.0  # kW, the field's unit
    assert read_back(points[1].scenario, "workloads.1.requests_per_s") == 40
    assert field_unit(base.scenario, "sites.0.power") == "kW"
    assert field_unit(base.scenario, "sites.0.racks") is None


def test_a_weight_of_the_objective_turns_a_single_objective_into_weights():
    base = load_base(LINE)
    (point,) = grid_points(base, [parse_vary("objective.carbon=80")])
    assert point.scenario.objective == {"tco": 1.0, "carbon": 80}


def test_draws_are_reproducible_by_seed_and_respect_whole_number_fields():
    base = load_base(LINE)
    varies = [parse_vary("workloads.batch.vcpus=uniform(640, 1920)"),
              parse_vary("sites.cheap.electricity_price=normal(0.05, 0.01)")]
    first = [p.values for p in sample_points(base, varies, 20, seed=7)]
    again = [p.values for p in sample_points(base, varies, 20, seed=7)]
    other = [p.values for p in sample_points(base, varies, 20, seed=8)]
    assert first == again and first != other
    vcpus = [v["workloads.batch.vcpus"] for v in first]
    assert all(isinstance(v, int) and 640 <= v <= 1920 for v in vcpus)  # an int field gets whole draws
    # The same stream as Python's random with that seed, draw by draw in --vary order.
    rng = random.Random(7)
    expected = []
    for _ in range(20):
        expected.append(round(rng.uniform(640, 1920)))
        rng.gauss(0.05, 0.01)
    assert vcpus == expected


def test_a_draw_outside_a_fields_bounds_is_an_invalid_point_not_an_error():
    base = load_base(LINE)
    points = sample_points(base, [parse_vary("sites.cheap.pue=normal(1.05, 0.2)")], 30, seed=1)
    invalid = [p for p in points if p.status == "invalid"]
    assert invalid and all(p.scenario is None and "pue" in p.reason for p in invalid)  # pue < 1 is refused
    assert len(invalid) < len(points)


def test_sizing_is_reused_for_what_a_point_does_not_change():
    base = load_base(PLATFORM)
    requirements = size_base(base.scenario)
    (site_point,) = grid_points(base, [parse_vary("sites.0.power=3MW")])
    reused, sized = requirements_for(site_point.scenario, base.scenario, requirements)
    assert sized == 0 and all(reused[name] is requirements[name] for name in requirements)
    (demand_point,) = grid_points(base, [parse_vary("workloads.chat-70b.requests_per_s=90")])
    reused, sized = requirements_for(demand_point.scenario, base.scenario, requirements)
    fresh = size_scenario(demand_point.scenario, effective(demand_point.scenario.catalog))
    assert sized == 1 and reused == fresh
    assert reused["chat-70b"] != requirements["chat-70b"] and reused["assistant-8b"] is requirements["assistant-8b"]
    (price_point,) = grid_points(base, [parse_vary("catalog.prices.h100-sxm-8=250000")])
    assert requirements_for(price_point.scenario, base.scenario, requirements)[0] is None  # the catalog: all anew


def test_sizing_reuse_covers_the_storage_a_training_run_derives():
    # A point that changes the run's deadline changes the throughput its checkpoint storage must give; the
    # reused sizing must equal a fresh one, derived storage and its coupling to the run included.
    base = load_base(ROOT / "scenarios" / "frontier-pretraining.yaml")
    requirements = size_base(base.scenario)
    assert "pretrain-405b.storage" in requirements
    (point,) = grid_points(base, [parse_vary("workloads.pretrain-405b.deadline=60 days")])
    reused, sized = requirements_for(point.scenario, base.scenario, requirements)
    catalog = effective(point.scenario.catalog)
    fresh = size_scenario(with_derived_workloads(point.scenario, catalog), catalog)
    assert sized >= 1 and reused == fresh
    storage = "pretrain-405b.storage"
    assert reused[storage].demand_bound["throughput_GBps"] > requirements[storage].demand_bound["throughput_GBps"]


def test_percentiles_interpolate_like_numpy_linear():
    rng = random.Random(3)
    for size in (1, 2, 5, 64, 101):
        values = sorted(rng.uniform(-10, 1e6) for _ in range(size))
        for q in (0, 5, 50, 95, 100):
            assert percentile(values, q) == pytest.approx(np.percentile(values, q, method="linear"), rel=1e-12)


def test_summary_counts_statuses_and_finds_the_bom_lines_that_change():
    rows = [
        {"status": "optimal", "totals": {"tco": 10.0}, "bom": [["a", "server", "x", 2], ["a", "rack", "rack", 1]]},
        {"status": "infeasible", "totals": None, "bom": []},
        {"status": "optimal", "totals": {"tco": 30.0}, "bom": [["a", "server", "x", 5], ["a", "rack", "rack", 1],
                                                               ["b", "server", "y", 1]]},
    ]
    summary = summarise(rows)
    assert summary["statuses"] == {"optimal": 2, "infeasible": 1} and summary["with_plan"] == 2
    assert summary["totals"]["tco"] == {"min": 10.0, "p5": 11.0, "p50": 20.0, "p95": 29.0, "max": 30.0, "mean": 20.0}
    changes = bom_changes(rows)
    assert changes["bom_unchanged"] == 1
    assert changes["bom_changes"] == [
        {"site": "a", "category": "server", "item": "x", "min": 2, "max": 5, "quantities": [2, None, 5]},
        {"site": "b", "category": "server", "item": "y", "min": 0, "max": 1, "quantities": [0, None, 1]}]


def test_the_knee_is_where_the_frontier_bends_most():
    from dcplan.studies.pareto import _mark_knee

    def knee_of(values):
        frontier = [{"values": {"a": a, "b": b}, "knee": False} for a, b in values]
        _mark_knee(frontier, "a", "b")
        return [p["knee"] for p in frontier].index(True)

    # Scaled, (1, 4) is at (0.1, 0.4): bulge 0.5; (2, 2) at (0.2, 0.2): 0.6; (6, 1) at (0.6, 0.1): 0.3.
    assert knee_of([(0, 10), (1, 4), (2, 2), (6, 1), (10, 0)]) == 2
    assert knee_of([(0, 10), (1, 9), (2, 8), (9, 1), (10, 0)]) == 2  # all on the line: the closest to (0, 0)
    assert knee_of([(0, 10), (2.5, 7.5), (5, 5), (7.5, 2.5), (10, 0)]) == 2  # a straight frontier: its middle


def test_a_frontier_without_a_trade_off_is_one_plan():
    import dcplan

    # Every plan of the line scenario costs the same capex: the capex extreme, with TCO then minimised,
    # is the TCO extreme. One plan, however many points are asked for.
    frontier = dcplan.pareto(LINE, "capex,tco", 5, study=dcplan.StudyOptions(jobs=1))
    assert len(frontier.points) == 1 and frontier.removed == {"duplicates": 1, "dominated": 0}
    assert frontier.points[0]["values"] == {"capex": 200000.0, "tco": pytest.approx(230274.56)}


def test_points_not_started_within_the_studys_time_limit_are_rows():
    import dcplan

    result = dcplan.sweep(LINE, ["objective.carbon=0,1"], study=dcplan.StudyOptions(jobs=1, time_limit=1e-9))
    assert [p["status"] for p in result.points] == ["no_solution", "no_solution"]
    assert all("time limit ran out before this point started" in p["reason"] for p in result.points)
    assert not result.has_plan
