"""The HTML renderer without a browser: escaping, numbers, the rack layout, diffs, robustness, self-containment.

Plans are solved from the bundled scenarios (once per session); the rack layout
the report draws must give exactly the racks the model bought, per site, item
and isolation group.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import re
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dcplan.report.html import (fmt, kind_of, racks, render, render_diff, render_pareto, render_plan,
                                render_sweep, sweep)
from dcplan.report.html.diff import capex_steps
from dcplan.report.html.svg import nice_ticks
from dcplan.rules import units_per_rack
from dcplan.usecases.diff import diff_plans, to_dict
from tests.browser import ROOT, SCENARIOS, bundled_plan, document, hostile_plan

REPORT_KEYS = ("currency", "site_details", "racks", "fabrics", "requirements")


def plan_of(name: str) -> dict:
    return json.loads(bundled_plan(name))


# ---------------------------------------------------------------- text and numbers


def test_escaping_of_markup_quotes_and_control_bytes():
    assert fmt.esc('<script>alert("x")</script>') == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    assert fmt.esc("it's & done") == "it&#x27;s &amp; done"
    assert fmt.esc("\x1b[31mred\x1b[0m\x00") == "\ufffd[31mred\ufffd[0m\ufffd"
    assert fmt.esc(None) == ""


@pytest.mark.parametrize("value, unit, shown", [
    (4929250.0, "money", "4,929,250 USD"), (124009.96, "money/yr", "124,010 USD/yr"),
    (161.11, "kW", "161.1 kW"), (15709.1016, "kW", "15.71 MW"), (3000.0, "kW", "3 MW"),
    (1098.199, "MWh/yr", "1,098 MWh/yr"), (46.37, "tCO2e/yr", "46 t CO\u2082e/yr"), (9408, "count", "9,408"),
    (None, "money", "\u2013"), (float("nan"), "kW", "\u2013"),
])
def test_quantities_have_separators_and_units(value, unit, shown):
    assert fmt.quantity(value, unit, "USD") == shown


def test_compact_numbers_for_chart_labels():
    assert [fmt.compact(v) for v in (4929250, 202803654, 1.2e3, 7, 0.25)] == ["4.93 M", "203 M", "1.2 k", "7", "0.25"]


@pytest.mark.parametrize("lo, hi", [(0, 1176), (0, 0.3), (-5, 1176), (4.7e6, 5.9e6), (3, 3)])
def test_ticks_cover_the_data(lo, hi):
    ticks = nice_ticks(lo, hi, 4)
    assert ticks[0] <= lo and ticks[-1] >= hi and len(ticks) >= 2


# ---------------------------------------------------------------- racks


@pytest.mark.parametrize("units, power, unit_ru, unit_kw, expected", [
    (42, 20.0, 1, 1.2, (16, 1)),      # power binds: 16 × 1.2 kW ≤ 20 kW
    (42, 20.0, 4, 1.2, (10, 1)),      # height binds: 10 × 4 U ≤ 42 U
    (42, 20.0, 10, 14.3, (1, 1)),
    (42, 20.0, 48, 120.0, (1, 6)),    # a rack-scale system takes max(⌈48/42⌉, ⌈120/20⌉) positions
    (42, None, 8, 10.2, (5, 1)),      # rack power unknown: by height only
    (42, 20.0, 0, 0.0, (0, 1)),       # takes no rack space
])
def test_rack_packing_is_the_models_rule(units, power, unit_ru, unit_kw, expected):
    spec = racks.RackSpec(units, power, "test")
    assert racks.per_rack(spec, unit_ru, unit_kw) == expected
    if power is not None and unit_ru:
        n, positions = expected
        site = racks._RackSite(units, power)
        assert units_per_rack(site, unit_ru, unit_kw) == pytest.approx(1 / n if positions == 1 else positions)


@pytest.mark.parametrize("scenario", [p.stem for p in SCENARIOS])
def test_the_drawn_racks_are_the_racks_the_model_bought(scenario):
    plan = plan_of(scenario)
    for layout in racks.site_layouts(plan):
        assert layout.racks_by_item() == racks.planned_racks(plan, layout.site), layout.site
        assert layout.spec.source == "site_details"
    assert "differently from the plan" not in render_plan(plan)


def test_isolated_groups_get_their_own_racks():
    layouts = {x.site: x for x in racks.site_layouts(plan_of("enterprise-multisite"))}
    restricted = {(t.item, t.per_rack * t.count) for t in layouts["par-1"].types if t.group == "restricted"}
    assigned = {a["item"]: a["servers"] + a["spares"] for a in plan_of("enterprise-multisite")["assignments"]
                if a["site"] == "par-1" and a["group"] == "restricted"}
    fabrics = [f for f in plan_of("enterprise-multisite")["fabrics"] if f["site"] == "par-1"
               and f["group"] == "restricted"]
    switches = {s: n + fabrics[0]["spines"].get(s, 0) for s, n in fabrics[0]["leaves"].items()}
    assert restricted == set(assigned.items()) | set(switches.items())


def test_a_plan_with_the_contracts_keys_only_still_draws_its_racks():
    plan = plan_of("enterprise-multisite")
    for key in REPORT_KEYS:
        plan.pop(key)
    for a in plan["assignments"]:
        del a["group"]
    # A site without a rack line on the bill gets the default rack: drop fra-1's.
    plan["bom"] = [b for b in plan["bom"] if (b["site"], b["category"]) != ("fra-1", "rack")]
    layouts = racks.site_layouts(plan)
    assert [x.spec.source for x in layouts] == ["default", "bom", "bom"]
    assert all(t.group == "shared" for x in layouts for t in x.types)
    page = render_plan(plan)
    assert "par-1" in page and "leaf/spine split" in page  # fabrics unknown: switches listed from the BOM


# ---------------------------------------------------------------- diffs


@pytest.fixture(scope="module")
def diff() -> dict:
    a = plan_of("enterprise-multisite")
    b = copy.deepcopy(a)
    b["bom"][0]["quantity"] += 2
    b["bom"][0]["extended_price"] += 2 * b["bom"][0]["unit_price"]
    b["totals"]["capex"] += 2 * b["bom"][0]["unit_price"]
    return to_dict(diff_plans(a, b, ("a.json", "b.json")))


@pytest.mark.parametrize("by", ["category", "site"])
def test_waterfall_steps_add_up_to_the_capex_change(diff, by):
    assert sum(capex_steps(diff, by).values()) == pytest.approx(diff["totals"]["capex"]["delta"])
    assert sum(capex_steps(diff, by).values()) > 0


def test_a_diff_page_shows_both_sources_and_the_changed_line(diff):
    page = render_diff(diff)
    assert "a.json" in page and "b.json" in page and diff["bom"]["changed"][0]["item"] in page
    with pytest.raises(TypeError):
        render_diff({"not": "a diff"})


# ---------------------------------------------------------------- pages: self-contained, escaped, robust


def all_pages() -> dict[str, str]:
    pages = {p.stem: render_plan(plan_of(p.stem)) for p in SCENARIOS}
    pages["buildout"] = render_plan(document("buildout.json"))
    for name in ("sweep-grid", "sweep-samples"):
        pages[name] = render_sweep(document(f"{name}.json"))
    pages["pareto"] = render_pareto(document("pareto.json"))
    return pages


def test_pages_reference_nothing_outside_themselves():
    for name, page in all_pages().items():
        assert len(page.encode()) < 5_000_000, name
        without_namespace = page.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", without_namespace, re.I), name
        assert not re.search(r"\bsrc=|@import|url\(|<link (?!rel=\"icon\" href=\"data:,\")", page), name
        assert "default-src 'none'" in page, name
        assert page.count("<script>") == 1, name  # the report's own (allowed by its hash), nothing else


def test_names_from_the_scenario_are_escaped():
    page = render_plan(hostile_plan())
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>" not in page and "\x1b" not in page
    assert "&lt;script&gt;alert(&quot;site&quot;)&lt;/script&gt;" in page
    assert page.count("<script>") == 1


def test_minimal_and_malformed_documents_still_render():
    stub = {"dcplan": 1, "scenario": "empty", "status": "infeasible", "totals": {}, "sites": [], "bom": [],
            "assignments": [], "constraints": [], "warnings": ["site power is too small"]}
    page = render_plan(stub)
    assert "This plan has no totals" in page and "site power is too small" in page
    broken = plan_of("inference-platform")
    broken["bom"].append("not a line")
    broken["sites"][0]["rack_limit"] = None
    broken["totals"]["capex"] = "n/a"
    broken["constraints"] = {"oops": 1}
    broken["fabrics"] = [{"site": "virginia-1", "leaves": "many"}]
    assert "virginia-1" in render_plan(broken)
    assert "Nothing to plot" in render_sweep({"points": []})
    assert "No point has both" in render_pareto({"objectives": ["tco"], "points": [{}]})


def _paths(value, prefix=()):
    """Every key path of a document, taking the first element of each list (its siblings look alike)."""
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list) and value:
        yield from _paths(value[0], (*prefix, 0))


def _replaced(document, path, junk):
    document = copy.deepcopy(document)
    if not path:
        return document
    *parent, last = path
    target = document
    for key in parent:
        target = target[key]
    target[last] = junk
    return document


JUNK = st.one_of(st.none(), st.booleans(), st.integers(), st.just(10**400), st.floats(allow_nan=False),
                 st.text(max_size=12), st.just([1, "x", None]), st.just({"k": [None]}))
DOCUMENTS = {"plan": (lambda: plan_of("enterprise-multisite"), render_plan),
             "buildout": (lambda: document("buildout.json"), render_plan),
             "sweep": (lambda: document("sweep-samples.json"), render_sweep),
             "pareto": (lambda: document("pareto.json"), render_pareto)}


@pytest.mark.parametrize("kind", list(DOCUMENTS))
def test_any_value_anywhere_in_a_document_renders_without_an_exception(kind):
    """Saved documents may be edited by hand: a wrong type in any place is shown as best it can be, never a crash."""
    load, renderer = DOCUMENTS[kind]
    original = load()
    paths = list(_paths(original))

    @settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(paths), JUNK)
    def renders(path, junk):
        assert renderer(_replaced(original, path, junk)).startswith("<!DOCTYPE html>")

    renders()


def test_binding_constraints_show_what_relaxing_is_worth():
    plan = plan_of("inference-platform")
    plan["constraints"][0].update(binding=True, slack=0.0, worth=125000.0)
    plan["constraints"][1].update(binding=True, slack=0.0, worth={
        "improvement": 1234.0, "set_argument": "sites.0.racks=330",
        "description": "raising sites[0].racks to 330 lowers tco by 1,234"})
    page = render_plan(plan)
    assert "relaxing it lowers tco by 125,000 USD" in page
    assert "raising sites[0].racks to 330 lowers tco by 1,234 (--set sites.0.racks=330)" in page


def test_monte_carlo_percentiles_come_from_the_summary_or_the_points():
    assert sweep.percentile([1, 2, 3, 4, 5], 50) == 3
    assert sweep.percentile([0, 10], 5) == pytest.approx(0.5)
    given = {"summary": {"percentiles": {"capex": {"p5": 1, "p50": 2, "p95": 3}}}}
    assert sweep.percentiles_of(given, [], "capex") == {"p5": 1, "p50": 2, "p95": 3}
    points = [{"status": "optimal", "totals": {"capex": v}} for v in range(101)]
    assert sweep.percentiles_of({}, points, "capex") == {"p5": 5, "p50": 50, "p95": 95}
    assert sweep.is_monte_carlo(document("sweep-samples.json"))
    assert not sweep.is_monte_carlo(document("sweep-grid.json"))


def test_documents_are_told_apart_by_their_keys(diff):
    assert [kind_of(x) for x in (plan_of("inference-platform"), diff, document("sweep-grid.json"),
                                 document("pareto.json"), {"workloads": []}, [1])] == \
        ["plan", "diff", "sweep", "pareto", None, None]
    assert render(document("pareto.json")) == render_pareto(document("pareto.json"))
    with pytest.raises(ValueError):
        render({"workloads": []})


# ---------------------------------------------------------------- start-up cost


def test_importing_the_renderer_imports_nothing_heavy():
    """`dcplan --help` and `validate` stay fast: the renderer needs only the standard library."""
    code = "import sys, dcplan.report.html; print(sorted(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    heavy = {"playwright", "numpy", "pydantic", "rich", "ortools", "pulp", "highspy", "yaml", "typer"}
    assert not heavy & {m.split(".")[0] for m in ast.literal_eval(out)}
