"""Build-outs at scale: generated scenarios planned over 4 yearly periods beside the same scenario as one
purchase, in one run.

For each size W × S × K (workloads, server and storage types, sites) the generator (bench/generate.py,
seed 1) writes the one-purchase scenario and its 4-period build-out (`--periods 4`: demand growing to
the generated value in the last period, training runs in seeded periods, a 10 % discount rate). Each
is solved by `dcplan solve --gap 0.01 --time-limit T --format json` in its own process; reported are
the wall-clock seconds from process start to the plan (loading, sizing, building, solving and the
independent verification included), the status, the proven gap and the peak memory of that process.
The issue's targets: W=200 × 4 periods within 30 s, W=1000 × S=60 × K=4 × 4 periods a verified plan
within 1 % of a proven bound within 120 s.
`python -m bench.buildout` runs this part alone and rewrites its section of docs/benchmarks.md;
`make bench-full` runs it after the rest.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = ((200, 20, 2), (1000, 60, 4))
PERIODS = 4
TARGETS = {(200, 20, 2): 30.0, (1000, 60, 4): 120.0}
"""Seconds from process start to a verified plan within 1 % (W=200: any S, K; we use the generator's
defaults S=20, K=2)."""
HEADING = "## Build-outs at scale"


def generate(size: tuple[int, int, int], periods: int, path: Path) -> None:
    workloads, servers, sites = size
    args = [sys.executable, "-m", "bench.generate", "-w", str(workloads), "-s", str(servers), "-k", str(sites),
            "--seed", "1", "-o", str(path)] + (["--periods", str(periods)] if periods else [])
    subprocess.run(args, cwd=ROOT, check=True, capture_output=True)


def solve(path: Path, time_limit: float) -> dict:
    """One `dcplan solve` in its own process: wall seconds, status, gap, peak memory of that process (MiB),
    the objective and its bound, and the large-model path's notes."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        began = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "dcplan", "solve", str(path), "--gap", "0.01",
                                 "--time-limit", str(time_limit), "--format", "json", "--quiet"], cwd=ROOT,
                                stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # reaped here, so its own rusage: ru_maxrss in KiB
        seconds = time.perf_counter() - began
        code = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    peak = usage.ru_maxrss / 1024
    if code != 0:
        return {"seconds": seconds, "status": f"exit {code}", "gap": None, "peak_mib": peak,
                "error": stderr.decode(errors="replace")[-300:]}
    plan = json.loads(stdout)
    # The objective, its bound and what the large-model path said, so that a run far from the others can be
    # understood from the log alone.
    return {"seconds": seconds, "status": plan["status"], "gap": plan["objective"]["gap"], "peak_mib": peak,
            "build": plan["solver"]["build_seconds"], "solve": plan["solver"]["solve_seconds"],
            "objective": plan["objective"]["value"], "bound": plan["objective"]["bound"],
            "notes": [w for w in plan["warnings"] if w.startswith("large model")]}


def measure(sizes=SIZES, time_limit: float = 300.0, log=print) -> dict:
    results = {}
    with tempfile.TemporaryDirectory(prefix="dcplan-bench-buildout-") as folder:
        for size in sizes:
            for periods in (0, PERIODS):
                path = Path(folder) / f"w{size[0]}-p{periods}.yaml"
                generate(size, periods, path)
                result = solve(path, time_limit)
                results[f"{size[0]}x{size[1]}x{size[2]}/{periods or 1}"] = result
                log(f"W={size[0]} S={size[1]} K={size[2]}, {periods or 1} period(s): {result}")
    return {"time_limit": time_limit, "runs": results}


def _cell(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def section(data: dict) -> list[str]:
    lines = [HEADING, "",
             f"Generated scenarios (seed 1) as one purchase and as a {PERIODS}-period build-out, each solved by "
             f"`dcplan solve --gap 0.01 --time-limit {data['time_limit']:g}` in its own process (`python -m "
             "bench.buildout`). Seconds are wall-clock from process start to the verified plan; memory is the "
             "peak of the process.", "",
             "| size | periods | status | gap | build s | solve s | wall s | peak MiB | target |",
             "|---|---|---|---|---|---|---|---|---|"]
    for key, run in data["runs"].items():
        size, periods = key.split("/")
        workloads, servers, sites = (int(x) for x in size.split("x"))
        target = TARGETS.get((workloads, servers, sites)) if periods != "1" else None
        met = "" if target is None else (
            f"≤ {target:g} s: " + ("met" if run["status"] in ("optimal", "feasible") and run["gap"] is not None
                                   and run["gap"] <= 0.01 and run["seconds"] <= target else "**not met**"))
        gap = "–" if run["gap"] is None else f"{100 * run['gap']:.2f} %"
        lines.append(f"| W={workloads} S={servers} K={sites} | {periods} | {run['status']} | {gap} | "
                     f"{_cell(run.get('build'))} | {_cell(run.get('solve'))} | {_cell(run['seconds'])} | "
                     f"{_cell(run['peak_mib'], 0)} | {met} |")
    return lines + [""]


def update(path: Path, data: dict) -> None:
    """Replace (or append) this section of docs/benchmarks.md."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    start = next((i for i, ln in enumerate(lines) if ln.startswith(HEADING)), None)
    if start is None:
        lines += [""] + section(data)
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = section(data)
    path.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"), help="the report to update")
    parser.add_argument("--time-limit", type=float, default=300.0, help="time limit of each solve (s)")
    parser.add_argument("--sizes", nargs="+", metavar="WxSxK", help="sizes (default 200x20x2 1000x60x4)")
    args = parser.parse_args()
    sizes = tuple(tuple(int(x) for x in s.split("x")) for s in args.sizes) if args.sizes else SIZES
    data = measure(sizes, args.time_limit)
    update(Path(args.out), data)
    sys.stdout.write("\n".join(section(data)) + "\n")


if __name__ == "__main__":
    main()
