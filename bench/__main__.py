"""`make bench`: measure dcplan on this machine and write docs/benchmarks.md.

Measures, in one run (so ratios compare like with like):
  1. cold process start: `dcplan --help`, and `dcplan validate` of one file;
  2. validating 50 scenario files in one process, and whether any solver was imported;
  3. every bundled scenario end to end (process start to output), against the 3 s target;
  4. planning at scale: generated scenarios (bench/generate.py) of W workloads, S server and
     storage types and K sites, each method in its own time-limited process: the dcplan
     default, PuLP+CBC, PuLP+HiGHS, the greedy planner and the LP relaxation bound, with the
     time of each stage, peak memory, objective, bound and gap (bench/scale.py); in full mode
     also the scaling of the default path, W = 100 ... 10,000 (bench/scaling.py);
  5. a 64-point what-if sweep on the local executor (1 and 2 workers) and on Ray (bench/whatif.py);
  6. every engine on every bundled scenario, as a ratio to SCIP (the default).
The report (bench/report.py) starts with each target of the issues, met or missed.
`--quick` (`make bench`): 3 repetitions, W in {50, 200}, S = 20, K = 2, T = 30 s, a few
minutes. Default (`make bench-full`): 7 repetitions, W in {100, 1000}, S = 60, K = 4,
T = 60 s, then the scaling table, about an hour. Results are medians.
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

from bench import scale, scaling, whatif
from bench.report import kept_sections, report

ROOT = Path(__file__).resolve().parent.parent
DCPLAN = [sys.executable, "-m", "dcplan"]
SOLVER_MODULES = ("ortools", "pulp", "highspy")
LAYOUT_BASELINE = "5d909e1"
"""The last commit before dcplan was split into a subpackage per stage: start-up is compared with it."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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


def startup_against(revision: str, repeat: int) -> list[dict]:
    """Cold `dcplan --help` and `dcplan validate` of this checkout against `revision`, in turn (A B A B ...)
    in the same run, so the ratio holds when the machine's speed drifts. The older code is unpacked from
    git into a temporary directory and run with the same interpreter and packages; [] without git."""
    starter = ROOT / "dcplan" / "templates" / "starter.yaml"
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "archive", revision, "dcplan"], cwd=ROOT, capture_output=True)
        if archive.returncode != 0:
            return []
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        baseline_env = {**os.environ, "PYTHONPATH": tmp}
        rows = []
        for label, argv in (("cold `dcplan --help`", ["--help"]),
                            ("cold `dcplan validate` of one file", ["validate", str(starter)])):
            now, before = [], []
            for _ in range(repeat):
                for times, env in ((now, None), (before, baseline_env)):
                    start = time.perf_counter()
                    subprocess.run([*DCPLAN, *argv], capture_output=True, cwd=tmp if env else ROOT, env=env)
                    times.append(time.perf_counter() - start)
            ratios = [a / b for a, b in zip(now, before)]
            rows.append({"measure": label, "now": statistics.median(now), "before": statistics.median(before),
                         "ratio": statistics.median(ratios)})
        return rows


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
            "from dcplan.usecases.validate import validate_scenario\n"
            "imported=time.perf_counter()-t\n"
            "t=time.perf_counter()\n"
            "ok=all(validate_scenario(f).ok for f in sys.argv[1:])\n"
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
    from dcplan.usecases import planning as api
    from dcplan.scenario.load import load_scenario

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


def _size(text: str) -> tuple[int, int, int]:
    w, s, k = (int(x) for x in text.lower().split("x"))
    return w, s, k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, smaller generated scenarios")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument("--sizes", type=_size, nargs="+", metavar="WxSxK",
                        help="generated sizes instead of the mode's, e.g. 1000x60x4")
    parser.add_argument("--time-limit", type=float, help="time limit T of each run at scale (s)")
    parser.add_argument("--no-scale", action="store_true", help="skip the generated scenarios")
    parser.add_argument("--no-whatif", action="store_true", help="skip the 64-point sweep on each executor")
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    mode = "quick" if args.quick else "full"
    results = {"machine": machine(), "repeat": repeat, "mode": mode}
    log("start-up and validation ...")
    starter = ROOT / "dcplan" / "templates" / "starter.yaml"
    help_time, _ = wall([*DCPLAN, "--help"], repeat)
    validate_time, _ = wall([*DCPLAN, "validate", str(starter)], repeat)
    results["startup"] = [("cold `dcplan --help`", help_time, 0.5),
                          ("cold `dcplan validate` of one file", validate_time, 1.5)]
    results["startup_baseline"] = {"revision": LAYOUT_BASELINE,
                                   "rows": startup_against(LAYOUT_BASELINE, max(repeat, 5))}
    with tempfile.TemporaryDirectory() as tmp:
        results["validate50"] = validate_in_process(fifty_files(Path(tmp)), repeat)
    log("bundled scenarios end to end ...")
    results["e2e"] = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        seconds, run = wall([*DCPLAN, "solve", str(path), "--format", "json"], repeat)
        status = json.loads(run.stdout)["status"] if run.returncode == 0 else f"exit {run.returncode}"
        results["e2e"].append({"scenario": path.stem, "status": status, "seconds": seconds})
    if not args.no_scale:
        log(f"planning at scale ({mode} mode):")
        results["scale"] = scale.measure(mode, args.sizes, args.time_limit, log=log)
    if not args.no_scale and mode == "full":
        log("scaling of the default path (bench/scaling.py):")
        results["scaling"] = scaling.measure(log=log)
    if not args.no_whatif:
        results["whatif"] = whatif.measure(log=log)
    log("engines on the bundled scenarios ...")
    results["engines"] = engines(1 if args.quick else 3)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    out = Path(args.out)
    text = report(results) + kept_sections(out.read_text(encoding="utf-8") if out.exists() else "", results)
    out.write_text(text, encoding="utf-8")
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
