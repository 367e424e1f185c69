"""What-if studies at scale: a 64-point sweep of a bundled scenario on each executor, in one run.

Measures, on the same 64 points (scenarios/inference-platform.yaml, 8 request rates of chat-70b ×
8 of assistant-8b):
  * in process: each point planned one after the other in this process with the options a sweep
    uses (one solver thread, sizing reused) — the cost of the solves themselves;
  * the local executor with one worker, then with two, wall-clock from the call to the result;
  * the Ray executor on a single-node head on 127.0.0.1 with 2 CPUs (bench/ray_head.py), when Ray
    is installed.
Overhead per point = (slots × wall − in-process total) / points: the worker-seconds a point costs
beyond its solve (process start, shipping the scenario, results, progress). Every executor's rows
are compared with the local one-worker rows. `python -m bench.whatif` runs this part alone and
rewrites its section of docs/benchmarks.md; `make bench` runs it with everything else.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "inference-platform.yaml"
VARY = ["workloads.chat-70b.requests_per_s=20..160:8", "workloads.assistant-8b.requests_per_s=100..800:8"]
SPEEDUP_TARGET = 1.7
OVERHEAD_TARGET = 0.3


def _rows(result) -> list[tuple]:
    return [(p["status"], p["objective"] and round(p["objective"]["value"], 6)) for p in result.points]


def in_process(log) -> tuple[float, list[tuple]]:
    """Plan every point in this process, one after the other, as a sweep's worker would."""
    from dcplan.studies.points import grid_points, load_base
    from dcplan.studies.sizing import requirements_for, size_base
    from dcplan.studies.sweep import solving_options
    from dcplan.studies.vary import parse_vary
    from dcplan.usecases.planning import plan_scenario

    base = load_base(SCENARIO)
    points = grid_points(base, [parse_vary(v) for v in VARY])
    requirements, options = size_base(base.scenario), solving_options(None)
    began = time.perf_counter()
    rows = []
    for point in points:
        reused, _ = requirements_for(point.scenario, base.scenario, requirements)
        plan = plan_scenario(point.scenario, options, requirements=reused)
        rows.append((plan.status, round(plan.objective_value, 6)))
    seconds = time.perf_counter() - began
    log(f"  in process: {seconds:.1f} s")
    return seconds, rows


def on_executor(study, log, label: str):
    import dcplan

    began = time.perf_counter()
    result = dcplan.sweep(SCENARIO, VARY, study=study)
    seconds = time.perf_counter() - began
    log(f"  {label}: {seconds:.1f} s")
    return seconds, _rows(result)


def measure(log=lambda m: print(m, file=sys.stderr)) -> dict:
    import dcplan
    from bench.ray_head import LOOPBACK_ENV

    os.environ.update(LOOPBACK_ENV)  # before Ray is imported: its traffic stays on 127.0.0.1
    log("what-if: a 64-point sweep on each executor ...")
    load_before, share_before = _load(), _cpu_share()
    inproc, reference = in_process(log)
    runs = {}
    for jobs in (1, 2):
        seconds, rows = on_executor(dcplan.StudyOptions(jobs=jobs), log, f"local, {jobs} worker(s)")
        runs[f"local-{jobs}"] = {"seconds": seconds, "slots": jobs, "same_rows": rows == reference}
    runs["ray"] = _ray(log, reference)
    for run in runs.values():
        if run.get("seconds") is not None:
            run["overhead"] = (run["slots"] * run["seconds"] - inproc) / 64
    return {"points": 64, "scenario": SCENARIO.name, "vary": VARY, "in_process": inproc, "runs": runs,
            "speedup": runs["local-1"]["seconds"] / runs["local-2"]["seconds"], "cores": os.cpu_count(),
            "load": [load_before, _load()], "cpu_share": [share_before, _cpu_share()]}


def _cpu_share(seconds: float = 2.0) -> float:
    """The share of one core a busy loop gets: 1.0 on an idle machine, less when others hold the cores."""
    began, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - began < seconds:
        pass
    return (time.process_time() - cpu) / (time.perf_counter() - began)


def _load() -> float | None:
    """The machine's 1-minute load average: on a shared machine, what else was running."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _ray(log, reference) -> dict:
    import dcplan
    from bench.ray_head import local_head

    try:
        import ray  # noqa: F401
    except ImportError:
        return {"seconds": None, "slots": 2, "note": "Ray is not installed"}
    with tempfile.TemporaryDirectory() as tmp, local_head(Path(tmp)) as address:
        seconds, rows = on_executor(dcplan.StudyOptions(executor="ray", address=address), log, "ray, 2 CPUs")
    return {"seconds": seconds, "slots": 2, "same_rows": rows == reference}


def section(whatif: dict) -> list[str]:
    runs = whatif["runs"]
    lines = ["## What-if studies (`dcplan sweep`)", "",
             f"A {whatif['points']}-point sweep of `{whatif['scenario']}` ({' × '.join(f'`{v}`' for v in whatif['vary'])}), "
             "planned in this process one point after the other (one solver thread, sizing reused, as a worker "
             "does), then on each executor, wall-clock from the call to the result. *Overhead per point* = "
             "(slots × wall − in-process total) / points: what a point costs beyond its solve. Ray runs on a "
             "single-node head on 127.0.0.1 with 2 CPUs started for the run. *Same rows*: every point's status "
             "and objective equal the in-process ones.", "",
             "| run | slots | wall | per point | overhead per point | same rows |", "|---|---|---|---|---|---|",
             f"| in process, one after the other | 1 | {whatif['in_process']:.1f} s | "
             f"{whatif['in_process'] / whatif['points']:.2f} s | — | — |"]
    for key, label in (("local-1", "local executor, `-j 1`"), ("local-2", "local executor, `-j 2`"),
                       ("ray", "Ray executor")):
        run = runs[key]
        if run.get("seconds") is None:
            lines.append(f"| {label} | {run['slots']} | {run.get('note', 'not measured')} | | | |")
            continue
        lines.append(f"| {label} | {run['slots']} | {run['seconds']:.1f} s | "
                     f"{run['seconds'] / whatif['points']:.2f} s | {run['overhead']:+.3f} s | "
                     f"{'yes' if run['same_rows'] else '**NO**'} |")
    load, share = whatif.get("load") or [None, None], whatif.get("cpu_share") or [None, None]
    busy = (f" The machine was shared: load average {load[0]:.1f} before and {load[1]:.1f} after this part, and a "
            f"busy loop got {share[0]:.0%} and {share[1]:.0%} of a core. With more runnable processes than cores, "
            "a second worker does not get a second core, and the ratio shows it."
            if None not in load and None not in share and max(load) > whatif["cores"] else "")
    ray = runs["ray"]
    versus = (f" The Ray executor against two local workers: {(ray['seconds'] - runs['local-2']['seconds']) / whatif['points']:+.3f} s "
              "per point of wall-clock time." if ray.get("seconds") is not None else "")
    lines += ["", f"Two workers against one: {whatif['speedup']:.2f}× faster (target ≥ {SPEEDUP_TARGET}×, "
              f"{whatif['cores']} cores).{busy}{versus}", ""]
    return lines


def targets(whatif: dict) -> list[tuple[str, str, bool | None]]:
    one = whatif["runs"]["local-1"]
    ray = whatif["runs"]["ray"]
    rows = [(f"64-point sweep: 2 local workers ≥ {SPEEDUP_TARGET}× faster than 1",
             f"{whatif['speedup']:.2f}×", whatif["speedup"] >= SPEEDUP_TARGET),
            (f"64-point sweep: overhead per point over an in-process solve ≤ {OVERHEAD_TARGET} s",
             f"{one['overhead']:+.3f} s", one["overhead"] <= OVERHEAD_TARGET)]
    if ray.get("seconds") is not None:
        rows.append(("Ray executor on a local head: overhead per point (reported)", f"{ray['overhead']:+.3f} s",
                     "reported"))
    return rows


def update(path: Path, whatif: dict) -> None:
    """Replace (or add) this section and its target rows in an existing docs/benchmarks.md."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    body = [ln for ln in lines if not ln.startswith("| 64-point sweep") and not ln.startswith("| Ray executor on")]
    start = next((i for i, ln in enumerate(body) if ln.startswith("## What-if studies")), None)
    if start is not None:
        end = next((i for i in range(start + 1, len(body)) if body[i].startswith("## ")), len(body))
        del body[start:end]
    target_rows = [f"| {t} | {m} | {'yes' if ok is True else ('**NO**' if ok is False else ok)} |"
                   for t, m, ok in targets(whatif)]
    header = next(i for i, ln in enumerate(body) if ln.startswith("| target (issue)"))
    end_of_table = next(i for i in range(header, len(body)) if not body[i].startswith("|"))
    body[end_of_table:end_of_table] = target_rows
    engines = next((i for i, ln in enumerate(body) if ln.startswith("## Engines on")), len(body))
    body[engines:engines] = section(whatif)
    path.write_text("\n".join(body) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"), help="the report to update")
    args = parser.parse_args()
    whatif = measure()
    update(Path(args.out), whatif)
    sys.stdout.write("\n".join(section(whatif)) + "\n")


if __name__ == "__main__":
    main()
