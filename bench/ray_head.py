"""A single-node Ray head on 127.0.0.1 for the tests and the benchmark, stopped by its own process ids.

`ray start --head --block` runs in a session of its own (start_new_session), so the head, its
GCS server, raylet and workers share one process group that we end with os.killpg — never
`ray stop` or a kill by name, which would reach other users' Ray processes on a shared machine.
Memory is bounded: 2 CPUs and a small object store (Ray's default is 30 % of RAM).

Ray replaces 127.0.0.1 by the machine's network address unless RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0
(its single-machine mode); LOCAL_HEAD_ENV sets it for the head and must be set for the drivers too
(the dcplan processes that connect), so all Ray traffic stays on the loopback interface. The head
runs without its dashboard, so it collects no metrics either (a driver would wait for a metrics
agent that is not there, and say so).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

LOCAL_HEAD_ENV = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_USAGE_STATS_ENABLED": "0",
                  "RAY_enable_metrics_collection": "0"}
OBJECT_STORE_BYTES = 100 * 1024 * 1024
STARTED = "Ray runtime started"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ray_command() -> str:
    return str(Path(sys.executable).with_name("ray"))


@contextlib.contextmanager
def local_head(directory: Path, cpus: int = 2, timeout: float = 120):
    """Start a head, yield its address ("127.0.0.1:PORT"), stop it and everything it started."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = directory / "head.log"
    command = [ray_command(), "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port),
               "--num-cpus", str(cpus), "--num-gpus", "0", "--object-store-memory", str(OBJECT_STORE_BYTES),
               "--include-dashboard", "false", "--disable-usage-stats", "--temp-dir", str(directory / "t"),
               "--block"]
    with open(log, "w") as out:
        head = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                env={**os.environ, **LOCAL_HEAD_ENV})
    try:
        _wait_started(head, log, timeout)
        yield f"127.0.0.1:{port}"
    finally:
        stop(head)


def _wait_started(head: subprocess.Popen, log: Path, timeout: float) -> None:
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        if head.poll() is not None:
            raise RuntimeError(f"ray start exited with {head.returncode}:\n{log.read_text()[-2000:]}")
        if STARTED in log.read_text():
            return
        time.sleep(0.5)
    raise RuntimeError(f"ray start did not start within {timeout:.0f} s:\n{log.read_text()[-2000:]}")


def stop(head: subprocess.Popen) -> None:
    """SIGTERM to the head's process group (its session), then SIGKILL what is left after 20 s."""
    group = head.pid  # start_new_session: the head leads its own session and process group
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        head.wait(20)
    ends = time.monotonic() + 10
    while time.monotonic() < ends and _alive(group):
        time.sleep(0.5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        head.wait(5)


def _alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True
