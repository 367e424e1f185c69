"""Every kind of HTML report, checked in real headless Chromium; and the checker's own failures.

Each page must load with no network request and no console error, draw every
chart, show the plan's site names, item ids and totals (formatted here,
independently of the renderer), and leave a screenshot. Plans are solved from
the bundled scenarios in this session; sweep, Monte Carlo, Pareto and build-out
documents come from tests/reports/. The negative tests feed the same checker
pages that are blank, broken, chatty on the network or erroring, and expect it
to complain. One browser serves the whole module (this is the only module
that starts one). Without Chromium the module skips, unless
DCPLAN_BROWSER_REQUIRED=1 (`make test`), where it fails.

With DCPLAN_SCREENSHOT_DIR set (`make screenshots`), the top of each kind of
report is also saved there for docs/reports.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dcplan.cli import app
from dcplan.report.html import render_pareto, render_plan, render_sweep
from tests.browser import (HOSTILE, ROOT, SCENARIOS, bundled_plan, check_page, chromium_path, document,
                           hostile_plan, launch, section_shot)

MAX_REPORT_BYTES = 5_000_000


@pytest.fixture(scope="module")
def chromium():
    """One browser context on a fresh profile for every test of this module."""
    if chromium_path() is None:
        message = "no Chromium on PATH (apt-get install -y chromium, or set DCPLAN_CHROMIUM)"
        if os.environ.get("DCPLAN_BROWSER_REQUIRED") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="dcplan-chromium-")
    with sync_playwright() as playwright:
        context = launch(playwright, profile)
        try:
            yield context
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def docs_dir() -> Path | None:
    target = os.environ.get("DCPLAN_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
    return Path(target) if target else None


def money(value: float) -> str:
    """A total as the page must show it (whole units, thousands separators)."""
    return f"{round(value):,}"


def plan_expectations(plan: dict) -> list[str]:
    names = [s["name"] for s in plan["sites"]] + [line["item"] for line in plan["bom"]]
    names += [w["workload"] for w in plan["assignments"]]
    totals = plan["totals"]
    names += [money(totals[k]) for k in ("capex", "tco", "npv") if k in totals]
    names += [f"{totals[k]:,}" for k in ("racks", "accelerators")]
    return sorted(set(names))


def write(tmp_path: Path, name: str, page: str) -> Path:
    path = tmp_path / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    return path


def assert_good(report) -> None:
    assert not report.problems, report.problems
    assert report.size < MAX_REPORT_BYTES
    assert report.screenshot.stat().st_size > 10_000  # a blank page's screenshot is a few kB


# ---------------------------------------------------------------- every kind of report


@pytest.mark.parametrize("scenario", [p.stem for p in SCENARIOS])
def test_plan_report_of_each_bundled_scenario(chromium, shots, docs_dir, tmp_path, scenario):
    plan = json.loads(bundled_plan(scenario))
    path = write(tmp_path, f"plan-{scenario}", render_plan(plan))
    report = check_page(chromium, path, plan_expectations(plan), shots, min_charts=5,
                        docs_dir=docs_dir if scenario == "enterprise-multisite" else None)
    assert_good(report)
    racks = [c for c in report.charts if "-rack-" in c["name"]]
    assert racks and all(c["drawn"] >= 1 for c in racks)  # rack elevations are part of every plan report
    if docs_dir is not None and scenario == "enterprise-multisite":
        for section in ("racks", "network", "workloads"):
            section_shot(chromium, path, section, docs_dir / f"plan-{section}.png")


def test_solve_format_html_in_browser(chromium, shots, tmp_path):
    """The page `dcplan solve --format html -o FILE` writes, with its sizing figures."""
    path = tmp_path / "plan-solve-cli.html"
    result = CliRunner().invoke(app, ["solve", str(SCENARIOS[0]), "--format", "html", "-o", str(path), "-q"])
    assert result.exit_code == 0, result.output
    plan = json.loads(bundled_plan(SCENARIOS[0].stem))
    report = check_page(chromium, path, plan_expectations(plan) + ["Sizing behind each assignment"], shots,
                        min_charts=5)
    assert_good(report)


def test_buildout_plan_report(chromium, shots, docs_dir, tmp_path):
    plan = document("buildout.json")
    path = write(tmp_path, "plan-buildout", render_plan(plan))
    periods = [p["label"] for p in plan["periods"]]
    report = check_page(chromium, path, plan_expectations(plan) + periods + ["Build-out by period"], shots,
                        min_charts=8, docs_dir=docs_dir)
    assert_good(report)
    assert any(c["name"] == "plan-period-spend" for c in report.charts)


def solved_with(scenario: str, overrides: list[str]) -> dict:
    import dcplan

    loaded = dcplan.load_scenario(ROOT / "scenarios" / f"{scenario}.yaml", overrides)
    return dcplan.plan_scenario(loaded.scenario).to_dict()


@pytest.fixture(scope="module")
def diff_files(tmp_path_factory) -> tuple[Path, dict]:
    """`dcplan diff --format html` (and its JSON) of enterprise-multisite against more claims traffic."""
    folder = tmp_path_factory.mktemp("diff")
    (folder / "today.json").write_text(bundled_plan("enterprise-multisite"), encoding="utf-8")
    changed = solved_with("enterprise-multisite", ["workloads.claims-assistant.requests_per_s=40"])
    (folder / "next-year.json").write_text(json.dumps(changed), encoding="utf-8")
    here = os.getcwd()
    os.chdir(folder)  # the page names its inputs as given: short relative names read better in docs/reports.md
    try:
        inputs = ["diff", "today.json", "next-year.json", "--format"]
        result = CliRunner().invoke(app, [*inputs, "html", "-o", "diff.html"])
        diff = CliRunner().invoke(app, [*inputs, "json"]).stdout
    finally:
        os.chdir(here)
    assert result.exit_code == 0, result.output
    return folder / "diff.html", json.loads(diff)


def test_diff_report(chromium, shots, docs_dir, diff_files):
    diff_file, diff = diff_files
    assert diff["bom"]["changed"], "the override should change the BOM"
    expected = [x["item"] for x in diff["bom"]["changed"] + diff["bom"]["added"]] + [s["name"] for s in diff["sites"]]
    expected += [money(diff["totals"]["capex"][k]) for k in ("old", "new")]
    report = check_page(chromium, diff_file, expected, shots, min_charts=4, docs_dir=docs_dir)
    assert_good(report)
    assert {"diff-waterfall-category", "diff-waterfall-site"} <= {c["name"] for c in report.charts}


@pytest.mark.parametrize("name", ["sweep-grid", "sweep-samples"])
def test_sweep_report(chromium, shots, docs_dir, tmp_path, name):
    sweep = document(f"{name}.json")
    path = write(tmp_path, name, render_sweep(sweep))
    solved = [p for p in sweep["points"] if "totals" in p]
    expected = list(sweep["points"][0]["values"]) + [money(p["totals"]["capex"]) for p in solved[:5]]
    report = check_page(chromium, path, expected, shots, min_charts=8, docs_dir=docs_dir)
    assert_good(report)


def test_pareto_report_and_a_click_opens_a_points_plan(chromium, shots, docs_dir, tmp_path):
    pareto = document("pareto.json")
    path = write(tmp_path, "pareto", render_pareto(pareto))
    items = {x["item"] for p in pareto["points"] for x in p["plan"]["bom"] if x["category"] == "server"}
    expected = sorted(items) + [money(p["values"]["tco"]) for p in pareto["points"]] + ["knee"]
    report = check_page(chromium, path, expected, shots, min_charts=1, docs_dir=docs_dir)
    assert_good(report)
    knee = next(i for i, p in enumerate(pareto["points"]) if p.get("knee")) + 1
    page = chromium.new_page()
    try:
        page.goto(path.resolve().as_uri())
        assert not page.locator(f"details#point-{knee}").evaluate("d => d.open")
        page.locator(f'svg.chart a[href="#point-{knee}"] path').click()  # the knee's diamond in the chart
        assert page.locator(f"details#point-{knee}").evaluate("d => d.open")
        assert page.locator(f"details#point-{knee} table").first.is_visible()
    finally:
        page.close()


def test_plan_prints_whole_figures_with_details_open(chromium, tmp_path):
    """Print media: navigation hidden, every <details> opened, figures not split across pages."""
    path = write(tmp_path, "print", render_plan(json.loads(bundled_plan("enterprise-multisite"))))
    page = chromium.new_page()
    try:
        page.goto(path.resolve().as_uri())
        page.emulate_media(media="print")
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        styles = page.evaluate("""() => ({
            nav: getComputedStyle(document.querySelector('nav.toc')).display,
            figures: [...document.querySelectorAll('figure.chart-box')].map(f => getComputedStyle(f).breakInside),
            closed: document.querySelectorAll('details:not([open])').length})""")
        pdf = page.pdf(format="A4", print_background=True)
    finally:
        page.close()
    assert styles["nav"] == "none" and styles["closed"] == 0
    assert styles["figures"] and set(styles["figures"]) == {"avoid"}
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 2


# ---------------------------------------------------------------- names from user files are data


def test_hostile_names_stay_text(chromium, shots, tmp_path):
    path = write(tmp_path, "plan-hostile-names", render_plan(hostile_plan()))
    dialogs = []

    def watch(page):
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    chromium.on("page", watch)
    shown = [HOSTILE["par-1"], HOSTILE["b200-8"], "claims\ufffd[0m</td></tr></table><img src=x onerror=alert(1)>"]
    try:
        report = check_page(chromium, path, shown, shots, min_charts=5)
    finally:
        chromium.remove_listener("page", watch)
    assert not report.problems, report.problems
    assert not dialogs


# ---------------------------------------------------------------- the checker fails on broken pages


@pytest.fixture(scope="module")
def good_page() -> tuple[str, list[str]]:
    plan = json.loads(bundled_plan("enterprise-multisite"))
    return render_plan(plan), plan_expectations(plan)


def _check(chromium, tmp_path, name: str, page: str, expected: list[str]):
    return check_page(chromium, write(tmp_path, f"broken-{name}", page), expected, None, min_charts=5)


def _without_policy(page: str) -> str:
    """The page without its Content-Security-Policy, so the browser really tries what was injected."""
    return re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page)


def test_checker_fails_on_a_blank_page(chromium, tmp_path, good_page):
    report = _check(chromium, tmp_path, "blank", "<!DOCTYPE html><html><body></body></html>", good_page[1])
    assert any("blank page" in p for p in report.problems)
    assert any("chart(s)" in p for p in report.problems)


def test_checker_fails_when_charts_have_no_shapes(chromium, tmp_path, good_page):
    stripped = re.sub(r"<(rect|line|circle|path|polyline)\b[^>]*?(/>|>.*?</\1>)", "", good_page[0], flags=re.S)
    report = _check(chromium, tmp_path, "no-shapes", stripped, good_page[1])
    assert any("not drawn" in p for p in report.problems)


def test_checker_fails_on_a_truncated_page(chromium, tmp_path, good_page):
    report = _check(chromium, tmp_path, "truncated", good_page[0][: len(good_page[0]) // 5], good_page[1])
    assert any("missing from the page text" in p for p in report.problems)


def test_checker_fails_on_a_network_request(chromium, tmp_path, good_page):
    page = _without_policy(good_page[0]).replace("</main>", '<img src="http://example.invalid/p.png" alt=""></main>')
    report = _check(chromium, tmp_path, "network", page, good_page[1])
    assert any("network requests" in p and "example.invalid" in p for p in report.problems), report.problems


def test_checker_fails_on_a_script_error(chromium, tmp_path, good_page):
    page = _without_policy(good_page[0]).replace("</main>", "<script>undefinedFunction()</script></main>")
    report = _check(chromium, tmp_path, "script-error", page, good_page[1])
    assert any("page error" in p for p in report.problems), report.problems


def test_the_pages_policy_blocks_an_injected_resource(chromium, tmp_path, good_page):
    """With the report's own policy in place an injected image is blocked, and Chromium says so on its console."""
    page = good_page[0].replace("</main>", '<img src="http://example.invalid/p.png" alt=""></main>')
    report = _check(chromium, tmp_path, "csp", page, good_page[1])
    assert any("Content Security Policy" in p for p in report.problems), report.problems


def test_sweep_and_pareto_commands_write_html_that_draws(chromium, shots, tmp_path):
    """`dcplan sweep --format html` and `dcplan pareto --format html`, end to end in the browser."""
    sweep_page, pareto_page = tmp_path / "sweep-cli.html", tmp_path / "pareto-cli.html"
    line = ROOT / "tests" / "studies" / "two-site-line.yaml"
    result = CliRunner().invoke(app, ["sweep", str(SCENARIOS[0]), "--vary", "sites.0.power=6 MW,8 MW,10 MW",
                                      "--format", "html", "-o", str(sweep_page), "-q", "-j", "1"])
    assert result.exit_code == 0, result.output
    report = check_page(chromium, sweep_page, ["sites.0.power", "6 MW", "10 MW"], shots, min_charts=4)
    assert_good(report)
    result = CliRunner().invoke(app, ["pareto", str(line), "--objectives", "tco,carbon", "--points", "4",
                                      "--format", "html", "-o", str(pareto_page), "-q", "-j", "1"])
    assert result.exit_code == 0, result.output
    report = check_page(chromium, pareto_page, ["tco", "carbon", "knee"], shots, min_charts=1)
    assert_good(report)
