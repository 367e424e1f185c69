"""The Ray executor on a real single-node Ray head that this module starts on 127.0.0.1 (one head for
all its tests, in its own session, stopped by its process ids: bench/ray_head.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

pytest.importorskip("ray")

from bench.ray_head import LOCAL_HEAD_ENV, local_head  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LINE = ROOT / "tests" / "studies" / "two-site-line.yaml"
PLATFORM = ROOT / "scenarios" / "inference-platform.yaml"
DCPLAN = [sys.executable, "-m", "dcplan"]


@pytest.fixture(scope="module")
def head():
    # A short directory of its own: Ray's socket paths (…/session_<date>/sockets/plasma_store) must stay under
    # the 107 bytes of a Unix socket name, which pytest's temporary paths exceed under parallel workers.
    with tempfile.TemporaryDirectory(prefix="dcray", dir="/tmp") as folder, local_head(Path(folder)) as address:
        yield address


def env(address: str | None = None) -> dict:
    extra = {"RAY_ADDRESS": address} if address else {}
    return {**{k: v for k, v in os.environ.items() if k != "RAY_ADDRESS"}, **LOCAL_HEAD_ENV, **extra}


def sweep_json(*args, address: str | None = None) -> dict:
    run = subprocess.run([*DCPLAN, "sweep", *map(str, args), "--format", "json"], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, env=env(address))
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def rows(document: dict) -> list[tuple]:
    return [(p["values"], p["status"], p["reason"], p["objective"], p["totals"]) for p in document["points"]]


def test_a_sweep_on_ray_returns_the_rows_of_the_local_executor(head):
    args = (LINE, "--vary", "objective.carbon=0,300,600,1200", "--vary", "sites.clean.electricity_price=0.1,0.2",
            "--gap", "0")
    on_ray = sweep_json(*args, "--executor", "ray", address=head)  # the address from RAY_ADDRESS
    local = sweep_json(*args, "-j", "2")
    assert on_ray["executor"] == "ray" and len(on_ray["points"]) == 8
    assert rows(on_ray) == rows(local)
    assert on_ray["summary"] == local["summary"]


def test_pareto_on_ray_equals_local(head):
    args = ("pareto", LINE, "--points", "4", "--format", "csv", "--quiet")
    on_ray = subprocess.run([*DCPLAN, *map(str, args), "--executor", "ray", "--address", head], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, env=env())
    local = subprocess.run([*DCPLAN, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert on_ray.returncode == 0 and local.returncode == 0, on_ray.stderr + local.stderr
    assert on_ray.stdout == local.stdout and len(on_ray.stdout.splitlines()) == 5
    assert on_ray.stderr == "", on_ray.stderr  # --quiet: nothing from Ray or the engines either


def _task_processes() -> list[int]:
    """Ray worker processes running a dcplan task (Ray titles them `ray::execute` while it runs)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                title = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")[0]
            except OSError:
                continue
            if title.startswith(b"ray::execute"):
                found.append(int(entry))
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc to find Ray's worker processes")
def test_ctrl_c_during_a_ray_sweep_cancels_its_tasks_and_writes_nothing(head, tmp_path):
    output, plans = tmp_path / "out.json", tmp_path / "plans"
    proc = subprocess.Popen([*DCPLAN, "sweep", str(PLATFORM), "--vary", "sites.0.power=3MW..8MW:30", "--executor",
                             "ray", "--address", head, "--format", "json", "-o", str(output), "--plans", str(plans)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env())
    seen, ends = "", time.time() + 180
    while "1/30 done" not in seen and time.time() < ends:
        line = proc.stderr.readline()
        assert line or proc.poll() is None, seen
        seen += line
    assert _task_processes(), "no Ray task was running"
    proc.send_signal(signal.SIGINT)
    began = time.time()
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert time.time() - began < 20
    assert "interrupted" in stderr and "Traceback" not in stderr and stdout == ""
    assert not output.exists() and not plans.exists()
    ends = time.time() + 20
    while _task_processes() and time.time() < ends:
        time.sleep(0.5)
    assert not _task_processes(), "Ray tasks still running after Ctrl-C"
