"""`dcplan sweep` and `dcplan pareto` as a user runs them: real processes, real solvers.

A sweep's points equal individual `dcplan solve --set` runs; the Pareto frontier of a straight
trade-off has every requested point; infeasible and crashed points are rows; Ctrl-C stops every
worker and writes nothing; bad input exits 2 with a clear message.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINE = ROOT / "tests" / "studies" / "two-site-line.yaml"
PLATFORM = ROOT / "scenarios" / "inference-platform.yaml"
DCPLAN = [sys.executable, "-m", "dcplan"]


def dcplan(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*DCPLAN, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def in_process(*args):
    """Input errors are found before any worker starts: the typer app in this process is enough."""
    from typer.testing import CliRunner

    from dcplan.cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def solved(*args) -> dict:
    run = dcplan(*args, "--format", "json")
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


# --------------------------------------------------------------------------- sweeps


def test_sweep_points_equal_individual_solves(tmp_path):
    plans = tmp_path / "plans"
    document = solved("sweep", PLATFORM, "--vary", "sites.virginia-1.power=3MW,6 MW",
                      "--vary", "workloads.chat-70b.requests_per_s=30,90", "--gap", "0", "-j", "2", "--plans", plans)
    assert [p["values"] for p in document["points"]] == [
        {"sites.virginia-1.power": "3MW", "workloads.chat-70b.requests_per_s": 30},
        {"sites.virginia-1.power": "3MW", "workloads.chat-70b.requests_per_s": 90},
        {"sites.virginia-1.power": "6 MW", "workloads.chat-70b.requests_per_s": 30},
        {"sites.virginia-1.power": "6 MW", "workloads.chat-70b.requests_per_s": 90}]
    for point in document["points"]:
        sets = [f"--set={path}={value}" for path, value in point["values"].items()]
        alone = solved("solve", PLATFORM, *sets, "--gap", "0")
        assert point["status"] == alone["status"] == "optimal"
        assert point["objective"]["value"] == pytest.approx(alone["objective"]["value"], rel=1e-9)
        for key, value in alone["totals"].items():
            assert point["totals"][key] == pytest.approx(value, rel=1e-9), key
        kept = json.loads(Path(point["plan_file"]).read_text())  # --plans: the plan JSON `solve` writes
        assert kept["totals"] == point["totals"] and kept["bom"] and kept.keys() == alone.keys()
    assert sorted(p.name for p in plans.iterdir()) == [f"point-{i}.json" for i in range(4)]
    assert document["summary"]["with_plan"] == 4 and set(document["summary"]["totals"]["tco"]) == {
        "min", "p5", "p50", "p95", "max", "mean"}


def test_weighted_sums_find_only_the_ends_of_a_straight_frontier():
    """The premise of the Pareto test below: sweeping the carbon weight jumps from one end to the other."""
    document = solved("sweep", LINE, "--vary", "objective.carbon=0,100,400,700,2000", "-j", "2")
    carbon = {round(p["totals"]["carbon_t_per_year"], 6) for p in document["points"]}
    assert len(carbon) == 2
    assert document["summary"]["bom_changes"] and document["vary"][0]["path"] == "objective.carbon"


def test_monte_carlo_draws_and_their_percentiles_are_reproducible(tmp_path):
    args = ("sweep", LINE, "--vary", "workloads.batch.vcpus=uniform(640, 1920)",
            "--vary", "sites.cheap.electricity_price=triangular(0.03, 0.05, 0.09)", "--samples", "5", "--seed", "11")
    first, again = solved(*args), solved(*args)
    assert [p["values"] for p in first["points"]] == [p["values"] for p in again["points"]]
    assert [p["totals"] for p in first["points"]] == [p["totals"] for p in again["points"]]
    assert first["study"] == "samples" and first["seed"] == 11 and len(first["points"]) == 5
    tco = sorted(p["totals"]["tco"] for p in first["points"])
    stats = first["summary"]["totals"]["tco"]
    assert stats["p50"] == pytest.approx(tco[2]) and stats["p5"] == pytest.approx(tco[0] + 0.2 * (tco[1] - tco[0]))


def test_an_infeasible_point_is_a_row_and_csv_has_one_line_per_point():
    run = dcplan("sweep", LINE, "--set", "sites.clean.power=1 kW", "--vary", "sites.cheap.power=1MW,2 kW",
                 "--format", "csv", "-j", "2")
    assert run.returncode == 0, run.stderr  # one point has a plan
    lines = run.stdout.splitlines()
    assert lines[0].startswith("index,sites.cheap.power,status,objective,capex,")
    assert [line.split(",")[2] for line in lines[1:]] == ["optimal", "infeasible"]
    assert "2/2 done" in run.stderr
    everything_fails = dcplan("sweep", LINE, "--set", "sites.clean.power=1 kW", "--vary", "sites.cheap.power=1kW,2kW",
                              "--format", "json", "-q")
    assert everything_fails.returncode == 1 and everything_fails.stderr == ""  # no plan at all: exit 1, quiet
    assert [p["status"] for p in json.loads(everything_fails.stdout)["points"]] == ["infeasible", "infeasible"]


# --------------------------------------------------------------------------- Pareto


def test_pareto_frontier_of_a_straight_trade_off_has_every_point(tmp_path):
    plans = tmp_path / "frontier"
    document = solved("pareto", LINE, "--objectives", "tco,carbon", "--points", "6", "-j", "2", "--plans", plans)
    points = document["points"]
    assert document["objectives"] == ["tco", "carbon"] and len(points) == 6
    tco = [p["values"]["tco"] for p in points]
    carbon = [p["values"]["carbon"] for p in points]
    assert all(a < b for a, b in zip(tco, tco[1:])) and all(a > b for a, b in zip(carbon, carbon[1:]))
    # One straight line: a weighted sum would find only its ends (test above).
    slope = (carbon[-1] - carbon[0]) / (tco[-1] - tco[0])
    assert all(c == pytest.approx(carbon[0] + slope * (t - tco[0]), rel=1e-9, abs=1e-6) for t, c in zip(tco, carbon))
    assert tco[0] == pytest.approx(solved("solve", LINE, "--objective", "tco", "--gap", "0")["totals"]["tco"],
                                   rel=1e-12)
    assert carbon[-1] == pytest.approx(
        solved("solve", LINE, "--objective", "carbon", "--gap", "0")["totals"]["carbon_t_per_year"], rel=1e-12)
    for point in points:  # every point a verified plan, kept in --plans
        assert point["status"] == "optimal" and point["plan"]["totals"] == point["totals"]
        assert json.loads(Path(point["plan_file"]).read_text()) == point["plan"]
    ideal = [math.hypot((t - tco[0]) / (tco[-1] - tco[0]), (c - carbon[-1]) / (carbon[0] - carbon[-1]))
             for t, c in zip(tco, carbon)]
    assert [p["knee"] for p in points].count(True) == 1
    assert ideal[[p["knee"] for p in points].index(True)] == pytest.approx(min(ideal))


# --------------------------------------------------------------------------- faults


def _start_sweep(tmp_path, *extra, points: int = 24):
    output, plans = tmp_path / "out.json", tmp_path / "plans"
    proc = subprocess.Popen([*DCPLAN, "sweep", str(PLATFORM), "--vary", f"sites.0.power=3MW..8MW:{points}",
                             "--format", "json", "-o", str(output), "--plans", str(plans), *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, output, plans


def _wait_for(proc, pattern: str, seconds: float = 120) -> str:
    """Read stderr until a line matches the regular expression `pattern`."""
    seen, ends = "", time.time() + seconds
    while not re.search(pattern, seen) and time.time() < ends:
        line = proc.stderr.readline()
        assert line or proc.poll() is None, f"dcplan ended before {pattern!r}: {seen}"
        seen += line
    assert re.search(pattern, seen), seen
    return seen


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc to find the worker processes")
def test_ctrl_c_during_a_local_sweep_stops_every_worker_and_writes_nothing(tmp_path):
    # Many points, so that the sweep is still running when the first finished one is reported
    # (progress is printed every two seconds; 24 points took under five on a quiet machine).
    proc, output, plans = _start_sweep(tmp_path, "-j", "2", points=400)
    _wait_for(proc, r"\b[1-9][0-9]*/400 done, 2 running")
    workers = children(proc.pid)
    assert len(workers) == 2
    proc.send_signal(signal.SIGINT)
    began = time.time()
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert time.time() - began < 10
    assert "interrupted" in stderr and "Traceback" not in stderr and stdout == ""
    assert not output.exists() and not plans.exists()
    assert list(tmp_path.iterdir()) == []
    time.sleep(0.5)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "a worker was left running"


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc to find the worker processes")
def test_a_worker_that_dies_is_a_failed_row_and_the_sweep_goes_on(tmp_path):
    proc, output, plans = _start_sweep(tmp_path, "-j", "2", points=6)
    _wait_for(proc, "running")
    time.sleep(1.0)
    victim = children(proc.pid)[0]
    os.kill(victim, signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    statuses = [p["status"] for p in json.loads(output.read_text())["points"]]
    assert statuses.count("failed") == 1 and statuses.count("optimal") == 5, statuses
    failed = next(p for p in json.loads(output.read_text())["points"] if p["status"] == "failed")
    assert "worker process died (signal 9)" in failed["reason"]
    assert len(list(plans.iterdir())) == 5


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc to find the worker processes")
def test_workers_end_with_a_parent_killed_outright(tmp_path):
    """SIGKILL leaves dcplan no chance to stop its workers: they must notice and end by themselves."""
    proc, _, _ = _start_sweep(tmp_path, "-j", "2", points=400)
    _wait_for(proc, "running")
    time.sleep(1.0)
    workers = children(proc.pid)
    assert len(workers) == 2
    proc.kill()
    proc.communicate(timeout=30)
    ends = time.time() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.time() < ends:
        time.sleep(0.2)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "a worker outlived its parent"


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(("args", "message"), [
    (["--vary", "sites.virgina-1.power=6MW"], "did you mean 'virginia-1'"),
    (["--vary", "sites.0.powr=6MW"], "did you mean `power`"),
    (["--vary", "sitez.0.power=6MW"], "did you mean `sites`"),
    (["--vary", "sites.0.power=6MW,6 kg"], "found '6 kg', which is a mass"),
    (["--vary", "sites.0.power=normal(6 s, 1 s)", "--samples", "3"], "which is a duration"),
    (["--vary", "sites.0.power=6MW..8MW:0"], "the range is empty"),
    (["--vary", "sites.0.power=poisson(3)", "--samples", "3"], "unknown distribution 'poisson'"),
    (["--vary", "sites.0.power=normal(6MW, 1MW)"], "give --samples N"),
    (["--vary", "sites.0.power=6MW", "--samples", "3"], "--samples draws from distributions"),
    (["--vary", "sites.0.power=6MW", "--seed", "3"], "a grid has no draws"),
    (["--vary", "sites.0.power=6MW", "--vary", "sites.0.power=7MW"], "given twice"),
    (["--vary", "sites.0.power=6MW", "--format", "yaml"], "supports --format table, json, csv"),
    (["--vary", "sites.0.power=6MW", "--executor", "ray"], "needs the address of a running Ray cluster"),
])
def test_bad_sweep_input_exits_2_with_a_clear_message(args, message, monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    run = in_process("sweep", PLATFORM, *args)
    assert run.exit_code == 2, run.stderr
    assert message in run.stderr and "Traceback" not in run.stderr and run.stdout == ""


@pytest.mark.parametrize(("objectives", "message"), [
    ("tco", "found 1 different"), ("tco,carbon,capex", "found 3 different"), ("tco,tco", "found 1 different"),
    ("tco,co2", "unknown 'co2'"),
])
def test_pareto_needs_two_known_objectives(objectives, message):
    run = in_process("pareto", LINE, "--objectives", objectives)
    assert run.exit_code == 2 and message in run.stderr and run.stdout == "", run.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_ray_address_where_nothing_listens_exits_2_at_once():
    began = time.time()
    run = dcplan("sweep", LINE, "--vary", "objective.carbon=0,1", "--executor", "ray", "--address",
                 f"127.0.0.1:{_free_port()}")
    assert run.returncode == 2 and "no Ray cluster answers at 127.0.0.1" in run.stderr, run.stderr
    assert time.time() - began < 30 and run.stdout == ""


@pytest.mark.parametrize("reply, says", [(None, "said nothing"),
                                         (b"HTTP/1.1 400 Bad Request\r\n\r\n", "does not speak gRPC")])
def test_a_ray_address_that_accepts_but_is_no_ray_exits_2_within_30_s(reply, says):
    """A port that accepts connections and says nothing, or answers as a web server (no Ray there): the study
    stops, it does not hang."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.5)
        while not stop.is_set():
            try:
                connection = listener.accept()[0]
            except OSError:
                continue
            accepted.append(connection)
            if reply is not None:
                connection.sendall(reply)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        began = time.time()
        run = dcplan("sweep", LINE, "--vary", "objective.carbon=0,1", "--executor", "ray", "--address",
                     f"127.0.0.1:{listener.getsockname()[1]}", timeout=60)
        assert time.time() - began < 30, run.stderr
    finally:
        stop.set()
        thread.join(5)
        for connection in accepted:
            connection.close()
        listener.close()
    assert says in run.stderr, run.stderr
    assert run.returncode == 2 and "Ray cluster" in run.stderr and "Traceback" not in run.stderr, run.stderr
