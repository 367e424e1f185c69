"""`make bench`: measure dcplan on this machine and write docs/benchmarks.md.

Measures, in one run (so ratios compare like with like):
  1. cold process start: `dcplan --help`, and `dcplan validate` of one file;
  2. validating 50 scenario files in one process, and whether any solver was imported;
  3. every bundled scenario end to end (process start to output), against the 3 s target;
  4. every engine on every bundled scenario, as a ratio to SCIP (the default).
`--quick` repeats each timing fewer times. Results are medians.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DCPLAN = [sys.executable, "-m", "dcplan"]
SOLVER_MODULES = ("ortools", "pulp", "highspy")


def machine() -> dict:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(next(ln for ln in Path("/proc/meminfo").read_text().splitlines()
                      if ln.startswith("MemTotal")).split()[1])
        memory = f"{kb / 2**20:.0f} GiB"
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": memory, "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}"}


def wall(command: list[str], repeat: int) -> tuple[float, subprocess.CompletedProcess]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def fifty_files(directory: Path) -> list[Path]:
    sources = sorted((ROOT / "scenarios").glob("*.yaml")) + [ROOT / "dcplan" / "templates" / "starter.yaml"]
    files = []
    for i in range(50):
        target = directory / f"scenario-{i:02d}.yaml"
        shutil.copy(sources[i % len(sources)], target)
        files.append(target)
    return files


def validate_in_process(files: list[Path], repeat: int) -> dict:
    code = ("import sys,time,json\n"
            "t=time.perf_counter()\n"
            "from dcplan.scenario_file import load_scenario\n"
            "imported=time.perf_counter()-t\n"
            "t=time.perf_counter()\n"
            "ok=all(load_scenario(f).ok for f in sys.argv[1:])\n"
            "loop=time.perf_counter()-t\n"
            f"solvers=[m for m in sys.modules if m.split('.')[0] in {SOLVER_MODULES!r}]\n"
            "print(json.dumps({'import':imported,'loop':loop,'ok':ok,'solvers':solvers}))\n")
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code, *map(str, files)], capture_output=True, text=True,
                             cwd=ROOT, check=True)
        data = json.loads(out.stdout)
        data["process"] = time.perf_counter() - start
        runs.append(data)
    best = sorted(runs, key=lambda r: r["process"])[len(runs) // 2]
    return best


def engines(repeat: int) -> list[dict]:
    from dcplan import api
    from dcplan.scenario_file import load_scenario

    rows = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        scenario = load_scenario(path).scenario
        for engine in ("scip", "cp-sat", "cbc", "highs"):
            times, plan = [], None
            for _ in range(repeat):
                plan = api.plan_scenario(scenario, api.SolveOptions(engine=engine))
                times.append(plan.solve_seconds)
            rows.append({"scenario": path.stem, "engine": engine, "status": plan.status,
                         "objective": plan.objective_value, "build": plan.build_seconds,
                         "solve": statistics.median(times)})
    return rows


def report(results: dict) -> str:
    m = results["machine"]
    lines = ["# Benchmarks", "",
             "Written by `make bench` (`python -m bench`); do not edit by hand. Medians of "
             f"{results['repeat']} runs. Targets are from the issues; ratios compare results of the same run.", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, Python {m['python']}, {m['system']}.", "",
             "## Start-up and validation", "",
             "| measure | time | target | met |", "|---|---|---|---|"]
    for name, seconds, target in results["startup"]:
        lines.append(f"| {name} | {seconds:.3f} s | < {target} s | {'yes' if seconds < target else 'NO'} |")
    v = results["validate50"]
    lines += [f"| validate 50 files in one process (whole process) | {v['process']:.3f} s | < 1.5 s | "
              f"{'yes' if v['process'] < 1.5 else 'NO'} |",
              f"| of which importing the loader | {v['import']:.3f} s | | |",
              f"| of which loading and checking 50 files | {v['loop']:.3f} s "
              f"({v['loop'] / 50 * 1000:.1f} ms per file) | | |", "",
              f"Solver modules imported by validation: {', '.join(v['solvers']) or 'none'}.", "",
              "## Bundled scenarios end to end (`dcplan solve FILE --format json`, process start to output)", "",
              "| scenario | status | time | target | met |", "|---|---|---|---|---|"]
    for row in results["e2e"]:
        lines.append(f"| {row['scenario']} | {row['status']} | {row['seconds']:.2f} s | < 3 s | "
                     f"{'yes' if row['seconds'] < 3 else 'NO'} |")
    lines += ["", "## Engines (in-process solve time; ratio to SCIP, the default, in the same run)", "",
              "| scenario | engine | status | objective | build | solve | × SCIP |", "|---|---|---|---|---|---|---|"]
    baseline = {r["scenario"]: r["solve"] for r in results["engines"] if r["engine"] == "scip"}
    for r in results["engines"]:
        ratio = r["solve"] / baseline[r["scenario"]] if baseline[r["scenario"]] > 0 else float("nan")
        lines.append(f"| {r['scenario']} | {r['engine']} | {r['status']} | {r['objective']:,.0f} | "
                     f"{r['build']:.3f} s | {r['solve']:.3f} s | {ratio:.1f} |")
    lines += ["", "Not yet measured here: scenarios of a thousand workloads, the PuLP+CBC and greedy baselines at "
              "scale, and peak memory (issue 5)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    results = {"machine": machine(), "repeat": repeat}
    starter = ROOT / "dcplan" / "templates" / "starter.yaml"
    help_time, _ = wall([*DCPLAN, "--help"], repeat)
    validate_time, _ = wall([*DCPLAN, "validate", str(starter)], repeat)
    results["startup"] = [("cold `dcplan --help`", help_time, 0.5),
                          ("cold `dcplan validate` of one file", validate_time, 1.5)]
    with tempfile.TemporaryDirectory() as tmp:
        results["validate50"] = validate_in_process(fifty_files(Path(tmp)), repeat)
    results["e2e"] = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        seconds, run = wall([*DCPLAN, "solve", str(path), "--format", "json"], repeat)
        status = json.loads(run.stdout)["status"] if run.returncode == 0 else f"exit {run.returncode}"
        results["e2e"].append({"scenario": path.stem, "status": status, "seconds": seconds})
    results["engines"] = engines(1 if args.quick else 3)
    text = report(results)
    Path(args.out).write_text(text, encoding="utf-8")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
