"""`make bench-reports`: size and render time of each kind of HTML report, written into docs/reports.md.

Each plan is solved once: the bundled scenarios, and two generated platforms
(bench/generate.py) to see how a report grows with the plan. Then, R times
each (medians): rendering the page in Python, and loading it in the system's
Chromium, from navigation to the load event and to every chart measured (the
browser tests' own check of every shape: what a reader waits for, and more).
The study documents of tests/reports/ are measured the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

import dcplan
from bench.generate import generate
from dcplan.report.html import render
from tests.browser import CHARTS_JS, DOCUMENTS, SCENARIOS, chromium_path, launch

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "reports.md"
START, END = "<!-- bench-reports: start -->", "<!-- bench-reports: end -->"
GENERATED = {"generated W=200, S=20, K=2": (200, 20, 2), "generated W=1000, S=60, K=4": (1000, 60, 4)}


def solved(path: Path) -> dict:
    loaded = dcplan.load_scenario(path)
    if not loaded.ok:
        raise SystemExit(dcplan.render_diagnostics(loaded.diagnostics))
    return dcplan.plan_scenario(loaded.scenario, dcplan.SolveOptions(time_limit=120)).to_dict(verbose=True)


def documents(quick: bool) -> dict[str, dict]:
    out = {f"plan {p.stem}": solved(p) for p in SCENARIOS}
    for name, (workloads, servers, sites) in list(GENERATED.items())[: 1 if quick else 2]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "generated.yaml"
            path.write_text(yaml.safe_dump(generate(workloads, servers, sites)), encoding="utf-8")
            print(f"solving {name}", file=sys.stderr, flush=True)
            out[f"plan {name}"] = solved(path)
    for path in sorted(DOCUMENTS.glob("*.json")):
        out[path.stem.replace("-", " ")] = json.loads(path.read_text(encoding="utf-8"))
    return out


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def measure(context, name: str, document: dict, folder: Path, repeats: int) -> dict:
    page_text = render(document)
    path = folder / "report.html"
    path.write_text(page_text, encoding="utf-8")
    renders = [timed(lambda: render(document)) for _ in range(repeats)]
    loads, drawn, charts = [], [], 0
    for _ in range(repeats):
        page = context.new_page()
        try:
            start = time.perf_counter()
            page.goto(path.as_uri(), wait_until="load")
            state = page.evaluate(CHARTS_JS)
            drawn.append((time.perf_counter() - start) * 1000)
            loads.append(state["loadMs"])
            charts = len(state["charts"])
        finally:
            page.close()
    print(f"{name}: {len(page_text.encode()) / 1024:.0f} kB", file=sys.stderr, flush=True)
    return {"name": name, "kB": len(page_text.encode()) / 1024, "charts": charts,
            "render": statistics.median(renders), "load": statistics.median(loads), "drawn": statistics.median(drawn)}


def table(rows: list[dict], repeats: int) -> str:
    lines = [f"Measured by `make bench-reports` on {time.strftime('%Y-%m-%d')}: medians of {repeats} runs, "
             f"{os.cpu_count()} cores, headless Chromium.", "",
             "| document | report size | charts | render in Python | browser: load event | "
             "browser: every chart measured |", "|---|--:|--:|--:|--:|--:|"]
    lines += [f"| {r['name']} | {r['kB']:,.0f} kB | {r['charts']} | {r['render']:,.0f} ms | {r['load']:,.0f} ms | "
              f"{r['drawn']:,.0f} ms |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="only the smaller generated platform")
    args = parser.parse_args()
    if chromium_path() is None:
        raise SystemExit("no Chromium on PATH (make chromium)")
    from playwright.sync_api import sync_playwright

    docs = documents(args.quick)
    profile, folder = tempfile.mkdtemp(), Path(tempfile.mkdtemp())
    try:
        with sync_playwright() as playwright:
            context = launch(playwright, profile)
            rows = [measure(context, name, doc, folder, args.repeats) for name, doc in docs.items()]
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(START)
    DOC.write_text(head + START + "\n" + table(rows, args.repeats) + "\n" + END + rest.split(END)[1],
                   encoding="utf-8")
    print(table(rows, args.repeats))


if __name__ == "__main__":
    main()
