"""`dcplan diff A B`: BOM lines added/removed/changed and totals deltas, over plan JSON files and scenarios.

The expected differences are recomputed here from the two plan JSON files
themselves (set operations on BOM keys, B − A on every total), so a diff that
drops, misclassifies or mis-subtracts anything fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dcplan.cli import app
from dcplan.report.diff import render
from dcplan.usecases.diff import TOTAL_KEYS, DiffInputError, diff_plans, load_plan_dict

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "inference-platform.yaml"
# Serving the Mixtral service on L40S only: a server type comes in, the rest changes around it (the calibrated
# sizing buys MI300X, MI325X, H200, H100 and B200 for this scenario, and more traffic alone only grows their counts).
BIGGER = "workloads.code-mixtral.servers=[l40s-8]"
# The tests compare plans of the same scenario solved twice: only proven optima are the same plan every time
# (within a gap the engine may stop at any plan inside it, depending on what it found first).
EXACT = ("--gap", "0")
LINE_KEYS = {"site", "category", "item", "description", "old_quantity", "new_quantity", "quantity_delta",
             "old_unit_price", "new_unit_price", "old_extended_price", "new_extended_price", "extended_price_delta"}


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def no_traceback(result) -> bool:
    return result.exception is None or isinstance(result.exception, SystemExit)


@pytest.fixture(scope="module")
def plans(tmp_path_factory) -> tuple[Path, Path]:
    """A: the bundled scenario; B: the same with its Mixtral service on L40S only; both as plan JSON files."""
    folder = tmp_path_factory.mktemp("plans")
    a, b = folder / "a.json", folder / "b.json"
    assert run("solve", SCENARIO, "--format", "json", "-o", a, *EXACT).exit_code == 0
    assert run("solve", SCENARIO, "--format", "json", "-o", b, "--set", BIGGER, *EXACT).exit_code == 0
    return a, b


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def diff_json(*args) -> dict:
    result = run("diff", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def bom(plan: dict) -> dict:
    return {(x["site"], x["category"], x["item"]): x for x in plan["bom"]}


def keys(lines: list[dict]) -> set:
    return {(x["site"], x["category"], x["item"]) for x in lines}


# --------------------------------------------------------------------------- the difference itself


def test_a_changed_scenario_gives_the_lines_and_deltas_of_b_minus_a(plans):
    a, b = plans
    old, new, got = read(a), read(b), diff_json(a, b)
    bom_a, bom_b = bom(old), bom(new)
    assert keys(got["bom"]["added"]) == bom_b.keys() - bom_a.keys()
    assert keys(got["bom"]["removed"]) == bom_a.keys() - bom_b.keys()
    changed = {k for k in bom_a.keys() & bom_b.keys()
               if (bom_a[k]["quantity"], bom_a[k]["unit_price"]) != (bom_b[k]["quantity"], bom_b[k]["unit_price"])}
    assert keys(got["bom"]["changed"]) == changed
    assert got["bom"]["unchanged"] == len(bom_a.keys() & bom_b.keys()) - len(changed)
    assert got["bom"]["added"] and changed, "the --set change should add and change lines"
    for line in got["bom"]["changed"]:
        k = (line["site"], line["category"], line["item"])
        assert (line["old_quantity"], line["new_quantity"]) == (bom_a[k]["quantity"], bom_b[k]["quantity"])
        assert line["quantity_delta"] == bom_b[k]["quantity"] - bom_a[k]["quantity"]
        assert line["extended_price_delta"] == pytest.approx(bom_b[k]["extended_price"] - bom_a[k]["extended_price"],
                                                             rel=1e-11)
    for line in got["bom"]["added"]:
        k = (line["site"], line["category"], line["item"])
        assert (line["old_quantity"], line["new_quantity"], line["old_unit_price"]) == (0, bom_b[k]["quantity"], None)
        assert line["extended_price_delta"] == bom_b[k]["extended_price"]
    for name in TOTAL_KEYS:
        total = got["totals"][name]
        assert (total["old"], total["new"]) == (old["totals"][name], new["totals"][name])
        # JSON numbers are rounded to 12 significant digits (docs/cli.md), the difference of two of them too
        assert total["delta"] == pytest.approx(new["totals"][name] - old["totals"][name], rel=1e-11, abs=1e-9)
        assert total["relative"] == pytest.approx(total["delta"] / abs(total["old"]))
    assert got["totals"]["capex"]["delta"] > 0 and got["identical"] is False
    site_a, site_b = old["sites"][0], new["sites"][0]
    site = got["sites"][0]
    assert site["facility_power_kw"]["delta"] == pytest.approx(site_b["facility_power_kw"] - site_a["facility_power_kw"],
                                                               rel=1e-11)
    assert site["racks"]["delta"] == site_b["racks"] - site_a["racks"]


def test_a_plan_against_itself_is_empty_with_zero_deltas(plans):
    a, _ = plans
    got = diff_json(a, a)
    assert got["identical"] is True
    assert got["bom"]["added"] == got["bom"]["removed"] == got["bom"]["changed"] == []
    assert got["bom"]["unchanged"] == len(read(a)["bom"])
    assert all(t["delta"] == 0 for t in got["totals"].values())
    assert "No difference" in run("diff", a, a, "--format", "markdown").stdout


def test_plan_json_and_scenario_inputs_agree(plans):
    a, b = plans
    assert diff_json(a, SCENARIO, *EXACT)["identical"] is True
    from_files = diff_json(a, b)
    mixed = diff_json(a, SCENARIO, "--set", BIGGER, *EXACT)  # --set applies to the scenario only
    assert mixed["totals"] == from_files["totals"]
    assert mixed["bom"] == from_files["bom"]
    # plan JSON carries its currency, so a saved plan and a solved scenario agree on it
    assert (mixed["a"]["currency"], mixed["b"]["currency"], mixed["currency"]) == ("USD", "USD", "USD")


def test_a_scenario_written_as_json_is_a_scenario(tmp_path, plans):
    from dcplan.scenario.loader import read_file

    scenario_json = tmp_path / "scenario.json"
    scenario_json.write_text(json.dumps(read_file(SCENARIO).data), encoding="utf-8")
    assert diff_json(plans[0], scenario_json, *EXACT)["identical"] is True


def test_library_load_plan_dict_reads_both_kinds(plans):
    a, _ = plans
    assert load_plan_dict(a) == read(a)
    from dcplan.usecases.planning import SolveOptions

    solved = load_plan_dict(SCENARIO, [BIGGER], SolveOptions(gap=0.0))
    assert solved["totals"] == read(plans[1])["totals"] and solved["currency"] == "USD"


def _plan(bom_lines, sites=(("s1", 100.0, 2),), **totals) -> dict:
    base = dict.fromkeys(TOTAL_KEYS, 0)
    base.update(totals)
    return {"dcplan": 1, "scenario": "t", "status": "optimal", "objective": {"name": "tco", "value": 1.0},
            "totals": base,
            "sites": [{"name": n, "facility_power_kw": p, "racks": r} for n, p, r in sites],
            "bom": [{"site": "s1", "category": c, "item": i, "description": d, "quantity": q, "unit_price": u,
                     "extended_price": q * u} for c, i, d, q, u in bom_lines]}


def test_price_change_is_a_change_description_change_is_not():
    a = _plan([("server", "x", "old text", 2, 10.0), ("switch", "y", "s", 1, 5.0), ("rack", "rack", "", 3, 0.0)],
              capex=25, racks=0)
    b = _plan([("server", "x", "new text", 2, 10.0), ("switch", "y", "s", 1, 7.0), ("optic", "o", "", 4, 1.0)],
              sites=(("s1", 100.0, 2), ("s2", 50.0, 1)), capex=31, racks=3)
    d = diff_plans(a, b)
    assert [x.item for x in d.changed] == ["y"] and d.changed[0].extended_price_delta == 2.0
    assert [x.item for x in d.added] == ["o"] and [x.item for x in d.removed] == ["rack"]
    assert d.unchanged == 1
    assert d.total("capex").relative == pytest.approx(6 / 25)
    assert d.total("racks").relative is None  # undefined when A is 0
    s2 = next(s for s in d.sites if s.name == "s2")
    assert (s2.in_a, s2.in_b, s2.facility_power_kw.delta, s2.racks.delta) == (False, True, 50.0, 1)
    assert json.loads(render(d, "json"))["totals"]["racks"]["relative"] is None
    markdown = render(d, "markdown")
    added, rest = markdown.split("#### Added BOM lines")[1].split("#### Removed BOM lines")
    removed, changed = rest.split("#### Changed BOM lines")
    assert "| s1 | optic | o |" in added and "| s1 | rack | rack |" in removed
    assert "| s1 | switch | y | 1 | 1 | 0 | 5 | 7 | 5 | 7 | +2 |" in changed and "| server |" not in markdown


def test_names_with_markup_and_pipes_are_data(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # a table as wide as a terminal: no cell is cut short ("gpu[bol…")
    a = _plan([("server", "gpu[bold]|x", "a | b", 1, 1.0)])
    b = _plan([("server", "gpu[bold]|x", "a | b", 2, 1.0)])
    d = diff_plans(a, b)
    assert "gpu[bold]|x" in render(d, "table")
    assert "gpu[bold]\\|x" in render(d, "markdown")


# --------------------------------------------------------------------------- formats


def test_markdown_has_the_headline_and_tables(plans):
    a, _ = plans
    got = diff_json(a, SCENARIO, "--set", BIGGER, *EXACT)
    text = run("diff", a, SCENARIO, "--set", BIGGER, "--format", "markdown", *EXACT).stdout
    capex = got["totals"]["capex"]
    headline = f"capex {capex['delta']:+,.0f} USD ({capex['relative'] * 100:+.1f} %)"
    assert text.splitlines()[0] == "<!-- dcplan-diff -->"  # the marker CI jobs find their comment by
    assert headline in text.splitlines()[3]
    for section in ("#### Totals", "#### Added BOM lines", "#### Changed BOM lines", "| site | category | item |"):
        assert section in text
    assert f"{len(got['bom']['added'])} line" in text and f"{len(got['bom']['changed'])} changed" in text


def test_json_output_has_the_documented_keys(plans):
    got = diff_json(*plans)
    assert set(got) == {"dcplan_diff", "a", "b", "currency", "identical", "totals", "sites", "bom", "warnings"}
    assert got["dcplan_diff"] == 1
    assert set(got["a"]) == {"source", "scenario", "status", "objective", "currency"}
    assert list(got["totals"]) == list(TOTAL_KEYS)
    assert all(set(t) == {"old", "new", "delta", "relative"} for t in got["totals"].values())
    assert set(got["bom"]) == {"added", "removed", "changed", "unchanged"}
    for kind in ("added", "removed", "changed"):
        assert all(set(line) == LINE_KEYS for line in got["bom"][kind])
    assert set(got["sites"][0]) == {"name", "in_a", "in_b", "facility_power_kw", "racks"}


def test_table_is_the_default(plans):
    result = run("diff", *plans)
    assert result.exit_code == 0
    assert "Totals" in result.stdout and "Changed BOM lines" in result.stdout and result.stderr == ""


@pytest.mark.parametrize("fmt", ["csv", "yaml", "pdf"])
def test_other_formats_are_usage_errors(plans, fmt):
    result = run("diff", *plans, "--format", fmt)
    assert result.exit_code == 2 and result.stdout == ""


def test_output_file_is_written_atomically(plans, tmp_path, monkeypatch):
    target = tmp_path / "diff.md"
    result = run("diff", *plans, "--format", "markdown", "-o", target)
    assert result.exit_code == 0 and result.stdout == ""
    assert target.read_text(encoding="utf-8") == run("diff", *plans, "--format", "markdown").stdout

    def fail(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    result = run("diff", *plans, "--format", "json", "-o", target)
    assert result.exit_code == 74 and "cannot write" in result.stderr  # a full disk: the output failed
    assert target.read_text(encoding="utf-8").startswith("<!-- dcplan-diff -->\n### dcplan diff")  # the old file, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diff.md"]  # no temporary left behind


def test_set_on_a_plan_json_is_a_warning(plans):
    result = run("diff", *plans, "--set", BIGGER)
    assert result.exit_code == 0 and "--set does not apply" in result.stderr


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(("text", "message"), [
    ('{"dcplan": 1, "bom": [', "not valid JSON"),
    ("[1, 2]", "must be an object"),
    ('{"dcplan": 1, "status": "optimal"}', "missing key `objective`"),
    ('{"dcplan": 1, "status": "optimal", "bom": [], "totals": {"capex": NaN}}', "NaN"),
    (b"\xff\xfe{".decode("latin-1"), "not UTF-8"),
], ids=["truncated", "list", "missing-objective", "nan", "binary"])
def test_malformed_plan_json_exits_2(tmp_path, plans, text, message):
    bad = tmp_path / "bad.json"
    bad.write_bytes(text.encode("latin-1"))
    result = run("diff", bad, plans[0])
    assert result.exit_code == 2 and no_traceback(result), result.output
    assert message in result.stderr and str(bad) in result.stderr and result.stdout == ""


@pytest.mark.parametrize(("drop", "message"), [
    (lambda p: p.pop("bom"), "missing key `bom`"),
    (lambda p: p["totals"].pop("carbon_t_per_year"), "missing key `carbon_t_per_year`"),
    (lambda p: p["bom"][1].pop("quantity"), "`bom[1]`: missing key `quantity`"),
    (lambda p: p["sites"][0].update(racks="six"), "`sites[0].racks` must be a finite number"),
    (lambda p: p.update(dcplan=2), "unsupported plan version"),
    (lambda p: p["bom"].append(dict(p["bom"][0])), "a second line"),
], ids=["bom", "total", "quantity", "racks-type", "version", "duplicate-line"])
def test_plan_json_with_a_missing_key_names_it(tmp_path, plans, drop, message):
    plan = read(plans[0])
    drop(plan)
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps(plan), encoding="utf-8")
    result = run("diff", plans[0], bad)
    assert result.exit_code == 2 and no_traceback(result), result.output
    assert message in result.stderr
    with pytest.raises(DiffInputError, match="B: "):
        diff_plans(read(plans[0]), plan)


def test_both_invalid_inputs_are_reported(tmp_path):
    bad_json, bad_yaml = tmp_path / "x.json", tmp_path / "y.yaml"
    bad_json.write_text("{", encoding="utf-8")
    bad_yaml.write_text("dcplan: 1\nname: y\nsitez: []\n", encoding="utf-8")
    result = run("diff", bad_json, bad_yaml)
    assert result.exit_code == 2
    assert "x.json" in result.stderr and "sitez" in result.stderr and "y.yaml:3:1" in result.stderr


def test_missing_files_exit_2(tmp_path, plans):
    for missing in (tmp_path / "gone.json", tmp_path / "gone.yaml"):
        result = run("diff", plans[0], missing)
        assert result.exit_code == 2 and str(missing) in result.stderr


def test_infeasible_inputs_exit_1(tmp_path, plans):
    result = run("diff", plans[0], SCENARIO, "--set", "sites.0.power=50 kW")
    assert result.exit_code == 1 and "infeasible" in result.stderr and result.stdout == ""
    stub = tmp_path / "stub.json"
    assert run("solve", SCENARIO, "--set", "sites.0.power=50 kW", "-f", "json", "-o", stub).exit_code == 1
    result = run("diff", stub, plans[0])
    assert result.exit_code == 1 and "status infeasible" in result.stderr


def test_real_command_has_no_traceback_and_imports_lazily(tmp_path, plans):
    bad = tmp_path / "bad.json"
    bad.write_text('{"dcplan": 1, "status": "optimal", "objective": {}, "totals": {}}', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "dcplan", "diff", bad, plans[0]], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "missing key" in proc.stderr
    code = "import sys, dcplan.cli.app; print(sorted(m for m in sys.modules if m.startswith(('dcplan.usecases.diff', 'rich'))))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[]", proc.stdout
