"""Load a report in real headless Chromium and say what is wrong with it (an empty list: nothing).

Playwright drives the system's Chromium (Debian's `chromium` package, found on
PATH or at DCPLAN_CHROMIUM), never a browser Playwright downloads. One checker
serves every report kind and the negative tests: it must fail on a blank page,
a page whose charts have no drawn shapes, a page that asks the network for
anything, and a page with a script or console error.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = Path(__file__).resolve().parent / "reports"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
# The flags a headless browser in a container needs: no sandbox (no user namespaces when run as
# root), no GPU, and none of the background fetches a fresh profile would start.
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}
DOCS_SHOT = {"x": 0, "y": 0, "width": 1280, "height": 1100}  # the top of a report: what docs/reports.md shows

# Runs in the page: every chart must be an SVG (or canvas) with a box on screen and at least
# one shape of non-zero size; a canvas must have a non-blank pixel.
CHARTS_JS = """
() => {
  const shapes = 'rect,circle,ellipse,path,line,polyline,polygon';
  const out = [];
  document.querySelectorAll('svg.chart, canvas').forEach((el, i) => {
    const box = el.getBoundingClientRect();
    let drawn = 0;
    if (el.tagName.toLowerCase() === 'canvas') {
      const data = el.getContext('2d').getImageData(0, 0, el.width || 1, el.height || 1).data;
      for (let k = 3; k < data.length; k += 4) { if (data[k] !== 0) { drawn = 1; break; } }
    } else {
      el.querySelectorAll(shapes).forEach((s) => {
        const b = s.getBBox();
        if (b.width > 0 || b.height > 0) drawn += 1;
      });
    }
    out.push({name: el.getAttribute('data-chart') || ('#' + i), width: box.width, height: box.height, drawn});
  });
  const nav = performance.getEntriesByType('navigation')[0];
  return {charts: out, loadMs: nav ? nav.loadEventEnd : null,
          text: document.body ? document.body.innerText : '', height: document.documentElement.scrollHeight};
}
"""


def chromium_path() -> str | None:
    return os.environ.get("DCPLAN_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def launch(playwright, profile: str):
    """A persistent context on a new, empty profile (so no state of another run can leak in)."""
    return playwright.chromium.launch_persistent_context(
        profile, executable_path=chromium_path(), headless=True, args=LAUNCH_ARGS, viewport=VIEWPORT,
        service_workers="block")


@dataclass
class PageReport:
    path: Path
    problems: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    charts: list[dict] = field(default_factory=list)
    load_ms: float | None = None
    size: int = 0
    screenshot: Path | None = None


def _watch(page, report: PageReport, url: str) -> None:
    """Record every request (refusing all but the document) and every error the page reports."""
    def route(r):
        if r.request.url != url:
            report.requests.append(r.request.url)
            return r.abort()
        return r.continue_()

    page.route("**/*", route)
    # requests the page's own Content-Security-Policy blocks never reach the router: record them here
    page.on("request", lambda req: req.url not in (url, *report.requests) and report.requests.append(req.url))
    page.on("console", lambda msg: msg.type in ("error", "assert") and report.errors.append(f"console: {msg.text}"))
    page.on("pageerror", lambda exc: report.errors.append(f"page error: {exc}"))


def check_page(context, path: Path, expected: list[str], shots: Path | None, min_charts: int = 1,
               docs_dir: Path | None = None) -> PageReport:
    """Open `path`, verify requests, errors, charts and texts; take a full-page screenshot into `shots`
    (none when None: a broken page's picture helps nobody) and, with `docs_dir`, the top of the page as
    docs_dir/<name>.png for the documentation."""
    url = path.resolve().as_uri()
    report = PageReport(path, size=path.stat().st_size)
    page = context.new_page()
    try:
        _watch(page, report, url)
        page.goto(url, wait_until="load", timeout=30_000)
        state = page.evaluate(CHARTS_JS)
        report.charts, report.load_ms = state["charts"], state["loadMs"]
        if shots is not None:
            report.screenshot = shots / (path.stem + ".png")
            page.screenshot(path=str(report.screenshot), full_page=True)
        if docs_dir is not None:
            page.screenshot(path=str(docs_dir / (path.stem + ".png")), clip=DOCS_SHOT, full_page=True)
        _judge(report, state, expected, min_charts)
    finally:
        page.close()
    return report


def section_shot(context, path: Path, section: str, target: Path, height: int = 1100) -> None:
    """The top of one section of a report (`#racks`), as a picture for the documentation."""
    page = context.new_page()
    try:
        page.goto(path.resolve().as_uri(), wait_until="load")
        box = page.locator(f"section#{section}").bounding_box()
        clip = {"x": box["x"], "y": box["y"], "width": box["width"], "height": min(box["height"], height)}
        page.screenshot(path=str(target), full_page=True, clip=clip)
    finally:
        page.close()


def _judge(report: PageReport, state: dict, expected: list[str], min_charts: int) -> None:
    text = state["text"] or ""
    if len(text.strip()) < 40 or state["height"] < 200:
        report.problems.append(f"blank page: {len(text.strip())} characters of text, {state['height']} px tall")
    if report.requests:
        report.problems.append(f"network requests: {report.requests}")
    report.problems += report.errors
    if len(report.charts) < min_charts:
        report.problems.append(f"{len(report.charts)} chart(s), expected at least {min_charts}")
    for chart in report.charts:
        if chart["width"] <= 0 or chart["height"] <= 0 or chart["drawn"] < 1:
            report.problems.append(f"chart {chart['name']} not drawn: {chart}")
    missing = [s for s in expected if s not in text]
    if missing:
        report.problems.append(f"missing from the page text: {missing[:12]}")


@functools.lru_cache(maxsize=None)
def bundled_plan(name: str) -> str:
    """The plan JSON (with --verbose's requirements) of a bundled scenario, solved once per test session."""
    import dcplan

    loaded = dcplan.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
    return json.dumps(dcplan.plan_scenario(loaded.scenario).to_dict(verbose=True))


def document(name: str) -> dict:
    """A document of tests/reports (written by tests/reports/make_documents.py)."""
    return json.loads((DOCUMENTS / name).read_text(encoding="utf-8"))


HOSTILE = {"par-1": '<script>alert("site")</script>',
           "b200-8": "b200 \"8\" & <b>'bold'</b>",  # a server the plan buys
           "claims-assistant": "\x1b[31mclaims\x1b[0m</td></tr></table><img src=x onerror=alert(1)>",
           "osl-1": "osl-" + "very-long-site-name-" * 12}


def hostile_plan() -> dict:
    """The enterprise plan with its names replaced by markup, quotes, an ESC sequence and a very long name."""
    text = bundled_plan("enterprise-multisite")
    for old, new in HOSTILE.items():
        text = text.replace(old, json.dumps(new)[1:-1])
    return json.loads(text)
