"""The Ray executor: each point is a Ray task on an existing cluster (`--address` or RAY_ADDRESS).

Ray is an optional extra (`pip install 'dcplan[ray]'`), imported only here, so no other command
pays for it. The driver connects (within CONNECT_SECONDS, or the study stops with exit 2), puts
the StudyContext in the object store once, and submits one task per point, one CPU each, not
retried (a task whose worker dies is a `failed` row, like the local executor's). Every node of the
cluster needs dcplan installed, in the same version as the driver. Ctrl-C cancels every task
(force: their workers are killed) and disconnects.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import warnings
from urllib.parse import urlsplit

from dcplan.errors import Interrupted
from dcplan.studies.tasks import StudyContext, execute, failed_row
from dcplan.studies.vary import StudyInputError

CONNECT_SECONDS = 20.0
"""How long the driver waits for a cluster to answer before the study stops (exit 2)."""
PROBE_SECONDS = 5.0
"""How long the probe waits for the address to answer a gRPC (HTTP/2) connection preface."""
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])  # + empty SETTINGS
HTTP2_SETTINGS = 4
TICK = 0.5


class ExecutorUnavailable(StudyInputError):
    """No Ray cluster answers at the address, or Ray is not installed (exit 2)."""


def cluster_address(address: str | None) -> str:
    """--address, else RAY_ADDRESS; a study runs on an existing cluster, never starts one."""
    address = (address or os.environ.get("RAY_ADDRESS") or "").strip()
    if not address:
        raise ExecutorUnavailable("--executor ray needs the address of a running Ray cluster: --address HOST:PORT "
                                  "or RAY_ADDRESS (start one with `ray start --head`)")
    if address in ("auto", "local"):
        raise ExecutorUnavailable(f"--address {address}: give the cluster's HOST:PORT (a study never starts "
                                  "a cluster of its own)")
    return address


def _probe(address: str) -> None:
    """Refuse at once an address where nothing listens, or where something that is not Ray does (ray.init
    would retry for minutes)."""
    parts = urlsplit(address if "://" in address else f"//{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise ExecutorUnavailable(f"--address {address!r}: expected HOST:PORT (or ray://HOST:PORT)")
    try:
        with socket.create_connection((host, port), timeout=PROBE_SECONDS) as connection:
            if os.environ.get("RAY_USE_TLS", "0") in ("0", ""):
                _expect_grpc(connection, address)
    except OSError as err:
        raise ExecutorUnavailable(f"no Ray cluster answers at {address}: {err.strerror or err}") from None


def _expect_grpc(connection: socket.socket, address: str) -> None:
    """A Ray head's GCS (and a Ray Client server) speak gRPC, that is HTTP/2: after a client's connection
    preface the server's first frame is its SETTINGS frame (RFC 9113, section 3.4). A port that accepts
    and then says nothing, or says something else, is no Ray cluster; we know within PROBE_SECONDS
    instead of waiting CONNECT_SECONDS for ray.init. (With RAY_USE_TLS the handshake is TLS first, so the
    probe stops at the TCP connection.)"""
    connection.sendall(HTTP2_PREFACE)
    header = b""
    try:
        while len(header) < 9:
            chunk = connection.recv(9 - len(header))
            if not chunk:
                break
            header += chunk
    except socket.timeout:
        raise ExecutorUnavailable(f"no Ray cluster answers at {address}: the port accepts connections but "
                                  f"said nothing within {PROBE_SECONDS:.0f} s (is it the head's GCS port, "
                                  "6379 unless `ray start --port` said otherwise?)") from None
    if len(header) < 9 or header[3] != HTTP2_SETTINGS:
        raise ExecutorUnavailable(f"no Ray cluster answers at {address}: the service there does not speak "
                                  "gRPC, as a Ray head's GCS port does")


class RayExecutor:
    name = "ray"

    def __init__(self, context: StudyContext, address: str | None):
        self.context, self.address = context, cluster_address(address)
        self.ray = None
        self.context_ref = None
        self.slots = 1

    def __enter__(self):
        # The driver only submits tasks: it exports no metrics (a head without its dashboard has no
        # metrics agent, and the driver would say so on stderr), and Ray's Python warnings stay quiet;
        # what goes wrong reaches the study as an exception or a row.
        os.environ.setdefault("RAY_enable_metrics_collection", "0")
        try:
            import ray
        except ImportError:
            raise ExecutorUnavailable("--executor ray needs Ray: pip install 'dcplan[ray]'") from None
        logging.getLogger("ray").setLevel(logging.ERROR)  # after the import, which sets up Ray's logger
        _probe(self.address)
        self._connect(ray)
        self.ray = ray
        self.slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.context_ref = ray.put(self.context)
        return self

    def _connect(self, ray) -> None:
        """ray.init in a thread we can stop waiting for: an address that accepts connections but is no
        Ray cluster would otherwise hold the study for minutes."""
        failure: list[BaseException] = []

        def connect():
            # Ray warns about a future change of GPU visibility on every connect; nothing dcplan can act on.
            warnings.filterwarnings("ignore", category=FutureWarning, module=r"ray\.")
            try:
                ray.init(address=self.address, log_to_driver=False, logging_level="ERROR", configure_logging=False)
            except BaseException as err:  # noqa: BLE001 - reported below, in the main thread
                failure.append(err)

        thread = threading.Thread(target=connect, name="ray-connect", daemon=True)
        thread.start()
        thread.join(CONNECT_SECONDS)
        if thread.is_alive():
            raise ExecutorUnavailable(f"no Ray cluster answered at {self.address} within {CONNECT_SECONDS:.0f} s")
        if failure:
            raise ExecutorUnavailable(f"cannot connect to the Ray cluster at {self.address}: {_first_line(failure[0])}")

    def __exit__(self, *exc) -> None:
        if self.ray is not None and self.ray.is_initialized():
            self.ray.shutdown()

    def run(self, tasks: list, on_event) -> list[dict]:
        ray = self.ray
        remote = ray.remote(num_cpus=1, max_retries=0)(execute)
        rows: list[dict | None] = [None] * len(tasks)
        pending = {}
        try:
            for index, task in enumerate(tasks):
                pending[remote.remote(self.context_ref, task)] = index
                on_event("start", index, None)
            while pending:
                done, _ = ray.wait(list(pending), num_returns=len(pending), timeout=TICK)
                on_event("tick", None, None)
                for ref in done:
                    index = pending.pop(ref)
                    rows[index] = self._result(ref)
                    on_event("done", index, rows[index])
        except KeyboardInterrupt:
            for ref in pending:
                ray.cancel(ref, force=True)
            ray.shutdown()
            raise Interrupted() from None
        return rows

    def _result(self, ref) -> dict:
        """The task's row; a task that could not run (its worker died) is a failed row saying so."""
        began = time.perf_counter()
        try:
            return self.ray.get(ref)
        except Exception as err:  # noqa: BLE001 - RayTaskError, WorkerCrashedError, ...: one point fails
            row = failed_row(f"the Ray task failed: {type(err).__name__}: {_first_line(err)}")
            row["seconds"] = round(time.perf_counter() - began, 3)
            return row


def _first_line(err: BaseException) -> str:
    """The first line of an error's message (Ray's carry the remote traceback below it), or its type."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
