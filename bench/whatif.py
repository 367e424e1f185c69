"""What-if studies at scale: a 64-point sweep of a bundled scenario on each executor, in one run.

Measures, on the same 64 points (scenarios/inference-platform.yaml, 8 request rates of chat-70b ×
8 of assistant-8b):
  * in process: each point planned one after the other in this process with the options a sweep
    uses (one solver thread, sizing reused) — the cost of the solves themselves;
  * the local executor with one worker and with two, each twice in the order 1 2 2 1 (so a load that
    drifts through the run weighs on both alike), wall-clock from the call to the result;
  * the Ray executor on a single-node head on 127.0.0.1 with 2 CPUs (bench/ray_head.py), when Ray
    is installed.
Overhead per point is measured two ways. In CPU time: (CPU of the study, its worker processes
included, − CPU of the in-process run) / points — the work the executor adds per point (process
start, shipping scenarios and results, progress), whatever else runs on the machine. In wall-clock
time: (slots × wall − in-process wall) / points, which on a shared machine also counts the time the
other processes held the cores. Every executor's rows are compared with the in-process rows.
`python -m bench.whatif` runs this part alone and rewrites its section of docs/benchmarks.md;
`make bench` runs it with everything else.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "inference-platform.yaml"
VARY = ["workloads.chat-70b.requests_per_s=20..160:8", "workloads.assistant-8b.requests_per_s=100..800:8"]
ORDER = (1, 2, 2, 1)
"""Local runs, by worker count: each twice, in A B B A order, and the mean of each is reported."""
SPEEDUP_TARGET = 1.7
OVERHEAD_TARGET = 0.3


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the local workers, once joined)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _rows(result) -> list[tuple]:
    return [(p["status"], p["objective"] and round(p["objective"]["value"], 6)) for p in result.points]


def in_process(log) -> tuple[float, float, list[tuple]]:
    """Plan every point in this process, one after the other, as a sweep's worker would."""
    from dcplan.studies.points import grid_points, load_base
    from dcplan.studies.sizing import requirements_for, size_base
    from dcplan.studies.sweep import solving_options
    from dcplan.studies.vary import parse_vary
    from dcplan.usecases.planning import plan_scenario

    base = load_base(SCENARIO)
    points = grid_points(base, [parse_vary(v) for v in VARY])
    requirements, options = size_base(base.scenario), solving_options(None)
    began, cpu = time.perf_counter(), _cpu()
    rows = []
    for point in points:
        reused, _ = requirements_for(point.scenario, base.scenario, requirements)
        plan = plan_scenario(point.scenario, options, requirements=reused)
        rows.append((plan.status, round(plan.objective_value, 6)))
    seconds, cpu = time.perf_counter() - began, _cpu() - cpu
    log(f"  in process: {seconds:.1f} s, {cpu:.1f} s CPU")
    return seconds, cpu, rows


def on_executor(study, log, label: str):
    import dcplan

    began, cpu = time.perf_counter(), _cpu()
    result = dcplan.sweep(SCENARIO, VARY, study=study)
    seconds, cpu = time.perf_counter() - began, _cpu() - cpu
    log(f"  {label}: {seconds:.1f} s, {cpu:.1f} s CPU of this process and its workers")
    return seconds, cpu, _rows(result)


def measure(log=lambda m: print(m, file=sys.stderr)) -> dict:
    import dcplan
    from bench.ray_head import LOCAL_HEAD_ENV

    os.environ.update(LOCAL_HEAD_ENV)  # before Ray is imported: its traffic stays on 127.0.0.1
    log("what-if: a 64-point sweep on each executor ...")
    load_before, share_before = _load(), _cpu_share()
    inproc, inproc_cpu, reference = in_process(log)
    runs = {"local-1": {"seconds": 0.0, "cpu": 0.0, "slots": 1, "same_rows": True},
            "local-2": {"seconds": 0.0, "cpu": 0.0, "slots": 2, "same_rows": True}}
    for jobs in ORDER:  # A B B A: a load that drifts through the run weighs on both alike
        seconds, cpu, rows = on_executor(dcplan.StudyOptions(jobs=jobs), log, f"local, {jobs} worker(s)")
        run = runs[f"local-{jobs}"]
        run["seconds"] += seconds / ORDER.count(jobs)
        run["cpu"] += cpu / ORDER.count(jobs)
        run["same_rows"] = run["same_rows"] and rows == reference
    runs["ray"] = _ray(log, reference)
    for run in runs.values():
        if run.get("seconds") is not None:
            run["overhead"] = (run["slots"] * run["seconds"] - inproc) / 64
        if run.get("cpu") is not None:
            run["cpu_overhead"] = (run["cpu"] - inproc_cpu) / 64
    return {"points": 64, "scenario": SCENARIO.name, "vary": VARY, "in_process": inproc,
            "in_process_cpu": inproc_cpu, "runs": runs,
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
        seconds, _, rows = on_executor(dcplan.StudyOptions(executor="ray", address=address), log, "ray, 2 CPUs")
    # The Ray workers are the head's processes, not ours: their CPU time is not counted here.
    return {"seconds": seconds, "slots": 2, "same_rows": rows == reference}


def section(whatif: dict) -> list[str]:
    runs, n = whatif["runs"], whatif["points"]
    lines = ["## What-if studies (`dcplan sweep`)", "",
             f"A {n}-point sweep of `{whatif['scenario']}` ({' × '.join(f'`{v}`' for v in whatif['vary'])}), "
             "planned in this process one point after the other (one solver thread, sizing reused, as a worker "
             "does), then on each executor, from the call to the result (the local runs: the mean of two, run "
             "in the order 1, 2, 2, 1 workers). *CPU overhead per point* = (CPU time of "
             "the study, its worker processes included, − CPU time of the in-process run) / points: the work an "
             "executor adds to each point, whatever else the machine runs. *Wall overhead per point* = (slots × "
             "wall − in-process wall) / points, which on a shared machine also counts the time other processes "
             "held the cores. Ray runs on a single-node head on 127.0.0.1 with 2 CPUs started for the run (its "
             "workers are the head's processes, so their CPU time is not counted). *Same rows*: every point's "
             "status and objective equal the in-process ones.", "",
             "| run | slots | wall | per point | CPU | CPU overhead per point | wall overhead per point | same rows |",
             "|---|---|---|---|---|---|---|---|",
             f"| in process, one after the other | 1 | {whatif['in_process']:.1f} s | "
             f"{whatif['in_process'] / n:.2f} s | {whatif['in_process_cpu']:.1f} s | — | — | — |"]
    for key, label in (("local-1", "local executor, `-j 1`"), ("local-2", "local executor, `-j 2`"),
                       ("ray", "Ray executor")):
        run = runs[key]
        if run.get("seconds") is None:
            lines.append(f"| {label} | {run['slots']} | {run.get('note', 'not measured')} | | | | | |")
            continue
        cpu = "—" if run.get("cpu") is None else f"{run['cpu']:.1f} s"
        cpu_overhead = "—" if run.get("cpu_overhead") is None else f"{run['cpu_overhead']:+.3f} s"
        lines.append(f"| {label} | {run['slots']} | {run['seconds']:.1f} s | {run['seconds'] / n:.2f} s | {cpu} | "
                     f"{cpu_overhead} | {run['overhead']:+.3f} s | {'yes' if run['same_rows'] else '**NO**'} |")
    lines += ["", f"Two workers against one: {whatif['speedup']:.2f}× faster (target ≥ {SPEEDUP_TARGET}×, "
              f"{whatif['cores']} cores).{_busy(whatif)}{_versus(runs, n)}", ""]
    return lines


def _busy(whatif: dict) -> str:
    load, share = whatif.get("load") or [None, None], whatif.get("cpu_share") or [None, None]
    if None in load or None in share or max(load) <= whatif["cores"]:
        return ""
    return (f" The machine was shared: load average {load[0]:.1f} before and {load[1]:.1f} after this part, and a "
            f"busy loop got {share[0]:.0%} and {share[1]:.0%} of a core. With more runnable processes than cores, "
            "a second worker does not get a second core, and the ratio shows it.")


def _versus(runs: dict, n: int) -> str:
    ray, local = runs["ray"], runs["local-2"]
    if ray.get("seconds") is None:
        return ""
    per_point = (ray["seconds"] - local["seconds"]) / n
    return f" The Ray executor against two local workers: {per_point:+.3f} s of wall per point."


def targets(whatif: dict) -> list[tuple[str, str, bool | None]]:
    one, ray = whatif["runs"]["local-1"], whatif["runs"]["ray"]
    rows = [(f"64-point sweep: 2 local workers ≥ {SPEEDUP_TARGET}× faster than 1",
             f"{whatif['speedup']:.2f}×", whatif["speedup"] >= SPEEDUP_TARGET),
            (f"64-point sweep: overhead per point over an in-process solve ≤ {OVERHEAD_TARGET} s (CPU time)",
             f"{one['cpu_overhead']:+.3f} s (wall: {one['overhead']:+.3f} s)", one["cpu_overhead"] <= OVERHEAD_TARGET)]
    if ray.get("seconds") is not None:
        rows.append(("Ray executor on a local head: overhead per point (reported)",
                     f"{ray['overhead']:+.3f} s of wall", "reported"))
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
