"""`--format html`, `dcplan report`, and the Markdown of solve and diff (Mermaid charts, the diff marker).

The pages themselves are checked in a browser by test_report_browser.py; here:
which command writes which page, what is refused and how, and what the
Markdown carries.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dcplan.cli import app
from dcplan.report import mermaid
from dcplan.report.html import render_diff, render_pareto, render_plan, render_sweep
from tests.browser import DOCUMENTS, ROOT, bundled_plan

ENTERPRISE = ROOT / "scenarios" / "enterprise-multisite.yaml"
MARKER = "<!-- dcplan-diff -->"


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, Path]:
    """A plan, a changed plan and their diff as files, as `dcplan solve` and `dcplan diff` write them."""
    folder = tmp_path_factory.mktemp("saved")
    a, b = folder / "a.json", folder / "b.json"
    a.write_text(bundled_plan("enterprise-multisite"), encoding="utf-8")
    changed = json.loads(bundled_plan("enterprise-multisite"))
    line = changed["bom"][0]
    line["quantity"] += 1
    line["extended_price"] += line["unit_price"]
    changed["totals"]["capex"] += line["unit_price"]
    changed["sites"][1]["facility_power_kw"] += 14.3
    b.write_text(json.dumps(changed), encoding="utf-8")
    diff = folder / "diff.json"
    assert run("diff", a, b, "--format", "json", "-o", diff).exit_code == 0
    return {"plan": a, "changed": b, "diff": diff}


# ---------------------------------------------------------------- dcplan report


@pytest.mark.parametrize("kind", ["plan", "diff", "sweep-grid", "sweep-samples", "pareto", "buildout"])
def test_report_renders_each_saved_document(saved, tmp_path, kind):
    source = saved.get(kind) or DOCUMENTS / f"{kind}.json"
    document = json.loads(source.read_text(encoding="utf-8"))
    renderer = {"plan": render_plan, "diff": render_diff, "pareto": render_pareto, "buildout": render_plan}.get(
        kind, render_sweep)
    target = tmp_path / "report.html"
    result = run("report", source, "-o", target)
    assert result.exit_code == 0 and result.stdout == ""
    assert target.read_text(encoding="utf-8") == renderer(document)


def test_report_of_an_infeasible_plan_shows_why(tmp_path):
    stub = tmp_path / "stub.json"
    stub.write_text(json.dumps({"dcplan": 1, "scenario": "s", "status": "infeasible", "totals": {},
                                "warnings": ["site a: 1,500 kW needed, 1,000 kW available"]}), encoding="utf-8")
    result = run("report", stub)
    assert result.exit_code == 0 and "infeasible" in result.stdout and "1,500 kW needed" in result.stdout


@pytest.mark.parametrize("content, message", [
    ("not json at all", "not valid JSON"),
    ('{"workloads": []}', "not a plan, diff, sweep or Pareto JSON"),
    ('{"dcplan": 1, "status": "optimal", "objective": {}, "totals": {}, "sites": [], "bom": []}',
     "missing key `capex`"),
    ("[1, 2]", "not a plan, diff, sweep or Pareto JSON"),
])
def test_report_refuses_what_it_cannot_render(tmp_path, content, message):
    source = tmp_path / "in.json"
    source.write_text(content, encoding="utf-8")
    target = tmp_path / "out.html"
    result = run("report", source, "-o", target)
    assert result.exit_code == 2 and message in result.stderr and str(source) in result.stderr
    assert not target.exists()
    assert run("report", tmp_path / "missing.json").exit_code == 2


BINDING = ["--set", "sites.0.racks=10", "--set", "limits.carbon=1100"]  # inference-platform (11 racks, 1,149 t): both bind


@pytest.fixture(scope="module")
def explained(tmp_path_factory) -> dict[str, Path]:
    """A plan whose racks bind, and `dcplan explain --format json` of the same scenario."""
    folder = tmp_path_factory.mktemp("explained")
    scenario = ROOT / "scenarios" / "inference-platform.yaml"
    files = {"plan": folder / "plan.json", "explain": folder / "explain.json"}
    assert run("solve", scenario, *BINDING, "--format", "json", "-o", files["plan"], "-q").exit_code == 0
    assert run("explain", scenario, *BINDING, "--format", "json", "-o", files["explain"], "-q").exit_code == 0
    return files


def test_report_with_an_explanation_shows_what_relaxing_each_binding_limit_is_worth(explained):
    binding = json.loads(explained["explain"].read_text(encoding="utf-8"))["binding"]
    assert binding, "the racks should bind"
    without = run("report", explained["plan"]).stdout
    with_worth = run("report", explained["plan"], "--explain", explained["explain"]).stdout
    for entry in binding:
        shown = f"{entry['description']} (--set {entry['set_argument']})"
        assert shown not in without and shown in with_worth
    assert "--explain explain.json" in without  # the page says how to get the figures


def test_an_explanation_must_match_the_plan(explained, saved, tmp_path):
    other_plan = tmp_path / "other.json"
    other_plan.write_text(bundled_plan("inference-platform"), encoding="utf-8")  # same name, 300 racks
    result = run("report", other_plan, "--explain", explained["explain"])
    assert result.exit_code == 2 and "another version of the scenario" in result.stderr
    result = run("report", saved["plan"], "--explain", explained["explain"])
    assert result.exit_code == 2 and "explains scenario 'inference-platform'" in result.stderr
    result = run("report", saved["diff"], "--explain", explained["explain"])
    assert result.exit_code == 2 and "goes with a plan" in result.stderr
    result = run("report", explained["plan"], "--explain", saved["plan"])
    assert result.exit_code == 2 and "not the JSON of `dcplan explain" in result.stderr


# ---------------------------------------------------------------- --format html


def test_diff_html_is_the_report_of_its_json(saved, tmp_path):
    target = tmp_path / "diff.html"
    assert run("diff", saved["plan"], saved["changed"], "--format", "html", "-o", target).exit_code == 0
    assert target.read_text(encoding="utf-8") == run("report", saved["diff"]).stdout


def test_solve_html_of_an_infeasible_scenario_writes_nothing(tmp_path):
    target = tmp_path / "plan.html"
    result = run("solve", ROOT / "tests" / "infeasible" / "site-power.yaml", "--format", "html", "-o", target)
    assert result.exit_code == 1 and not target.exists()


@pytest.mark.parametrize("args", [["validate", ENTERPRISE], ["explain", ENTERPRISE], ["catalog", "list"]])
def test_commands_without_a_report_refuse_html(args):
    result = run(*args, "--format", "html")
    assert result.exit_code == 2 and "--format" in result.output


def _on_a_terminal(*args: str) -> tuple[int, str]:
    """Run `python -m dcplan ARGS` with stdout on a pseudo-terminal; (exit code, stderr)."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "dcplan", *args], stdout=follower, stderr=subprocess.PIPE,
                              text=True, timeout=120, cwd=ROOT)
    finally:
        os.close(follower)
        os.close(leader)
    return done.returncode, done.stderr


@pytest.mark.parametrize("args", [["solve", str(ENTERPRISE), "--format", "html"], ["report", "plan.json"]])
def test_a_page_on_a_terminal_is_refused_before_any_work(args):
    code, stderr = _on_a_terminal(*args)
    assert code == 2 and "give -o FILE" in stderr
    assert "HiGHS" not in stderr  # refused before solving (an engine would print its banner)


# ---------------------------------------------------------------- Markdown


def test_solve_markdown_has_the_headline_a_pie_and_the_site_chart():
    result = run("solve", ENTERPRISE, "--format", "markdown", "-q")
    plan = json.loads(bundled_plan("enterprise-multisite"))
    text = result.stdout
    assert result.exit_code == 0
    assert f"| capex | {plan['totals']['capex']:,.0f} USD |" in text
    pie = text.split("```mermaid\npie showData title Capex by category (USD)\n")[1].split("```")[0]
    by_category: dict[str, float] = {}
    for line in plan["bom"]:
        by_category[line["category"]] = by_category.get(line["category"], 0.0) + line["extended_price"]
    assert pie.splitlines() == [f'    "{c}" : {v:.0f}' for c, v in by_category.items() if v > 0]
    assert 'x-axis ["fra-1", "par-1", "osl-1"]' in text and "xychart-beta" in text


def test_diff_markdown_starts_with_the_marker_and_charts_site_power(saved):
    text = run("diff", saved["plan"], saved["changed"], "--format", "markdown").stdout
    assert text.splitlines()[0] == MARKER
    chart = text.split("```mermaid\nxychart-beta\n")[1].split("```")[0]
    diff = json.loads(saved["diff"].read_text(encoding="utf-8"))
    for series, side in (("bar", "new"), ("line", "old")):
        values = ", ".join(f"{site['facility_power_kw'][side]:.1f}" for site in diff["sites"])
        assert f"    {series} [{values}]" in chart


def test_diff_markdown_of_identical_plans_keeps_the_marker_and_draws_nothing(saved):
    text = run("diff", saved["plan"], saved["plan"], "--format", "markdown").stdout
    assert text.startswith(MARKER + "\n") and "No difference" in text and "mermaid" not in text


def test_mermaid_labels_cannot_break_out_of_their_block():
    assert mermaid.label('x"]; y`\n```') == "x___ y_____"
    lines = mermaid.pie('title"\n```', [('a"b', 1.0), ("c\n```", 2.0), ("zero", 0.0)])
    assert sum(line.count("```") for line in lines) == 2 and "zero" not in "".join(lines)
    assert mermaid.pie("one slice", [("a", 1.0)]) == []


def test_markdown_cells_do_not_pass_html_through(tmp_path):
    plan = json.loads(bundled_plan("enterprise-multisite"))
    plan["bom"][0]["description"] = '<img src=x onerror=alert(1)> | two\nlines'
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(plan), encoding="utf-8")
    plan["bom"][0]["quantity"] += 1
    plan["bom"][0]["item"] = "other"
    b.write_text(json.dumps(plan), encoding="utf-8")
    text = run("diff", a, b, "--format", "markdown").stdout
    assert "<img" not in text and "&lt;img src=x onerror=alert(1)&gt; \\| two lines" in text
