"""Where a study's points run: a pool of local worker processes (the default), or a Ray cluster.

Both executors take the StudyContext once and a list of tasks, call `on_event(kind, index, row)`
as tasks start ("start") and end ("done"), and return one row per task in task order. Ctrl-C
stops every worker and raises Interrupted; a worker that dies mid-task gives that task a
`failed` row and is replaced, so the study never waits on it.

Local workers are forked processes, each in its own process group with SIGINT ignored: a
terminal's Ctrl-C reaches only the parent, which then kills each worker's whole group (an engine
such as CBC runs as the worker's child) — nothing is left running.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import deque
from multiprocessing.connection import wait

from dcplan.errors import Interrupted
from dcplan.studies.tasks import StudyContext, execute, failed_row

TICK = 0.5
"""Seconds between progress ticks while waiting for workers."""


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _worker_main(conn, context: StudyContext, siblings: list) -> None:
    """A worker: its own process group, deaf to SIGINT (the parent stops it), one task at a time.
    Its stdout and stderr go nowhere: the study's stdout carries the study's data only and its stderr
    the study's progress, whatever an engine prints (banners, logs) in several processes at once.
    What happened to a point, errors included, is in its row. It ends with its parent, however the
    parent ends (even by SIGKILL, which leaves no chance to stop the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    parent = os.getppid()
    _die_with_parent()
    os.setpgid(0, 0)
    for sibling in siblings:  # the parent's ends of the other workers' pipes, inherited by fork
        sibling.close()
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)
    while True:
        try:
            while not conn.poll(TICK * 4):
                if os.getppid() != parent:  # the parent is gone (where PR_SET_PDEATHSIG is not available)
                    return
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, task = message
        conn.send((index, execute(context, task)))


def _die_with_parent() -> None:
    """On Linux, ask the kernel to kill this process when its parent dies (prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


PR_SET_PDEATHSIG = 1


class _Worker:
    def __init__(self, mp, context: StudyContext, siblings: list):
        self.conn, child = mp.Pipe()
        self.process = mp.Process(target=_worker_main, args=(child, context, siblings), daemon=True)
        # SIGINT stays blocked from fork until the worker ignores it: a Ctrl-C in between cannot
        # kill a half-started worker with a traceback.
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            self.process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        child.close()
        self.index: int | None = None

    def kill(self) -> None:
        """The worker and everything it started (its process group)."""
        for target in (lambda: os.killpg(self.process.pid, signal.SIGKILL), self.process.kill):
            try:
                target()
            except (OSError, AttributeError):
                pass
        self.process.join(5)
        self.conn.close()


class LocalExecutor:
    """`jobs` worker processes on this machine, started on first use and reused across runs."""

    name = "local"

    def __init__(self, context: StudyContext, jobs: int | None = None):
        methods = multiprocessing.get_all_start_methods()
        self.mp = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.context, self.jobs = context, jobs or default_jobs()
        self.workers: list[_Worker] = []

    @property
    def slots(self) -> int:
        return self.jobs

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close(kill=exc[0] is not None)

    def run(self, tasks: list, on_event) -> list[dict]:
        rows: list[dict | None] = [None] * len(tasks)
        queue = deque(enumerate(tasks))
        try:
            while queue or any(w.index is not None for w in self.workers):
                self._hand_out(queue, on_event)
                self._collect(rows, on_event)
        except KeyboardInterrupt:
            self.close(kill=True)
            raise Interrupted() from None
        return rows

    def _hand_out(self, queue: deque, on_event) -> None:
        while queue:
            idle = next((w for w in self.workers if w.index is None), None)
            if idle is None and len(self.workers) < self.jobs:
                idle = _Worker(self.mp, self.context, [w.conn for w in self.workers])
                self.workers.append(idle)
            if idle is None:
                return
            index, task = queue.popleft()
            idle.index = index
            idle.conn.send((index, task))
            on_event("start", index, None)

    def _collect(self, rows: list, on_event) -> None:
        busy = [w for w in self.workers if w.index is not None]
        ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy], TICK))
        on_event("tick", None, None)
        for worker in busy:
            if worker.conn in ready:
                try:
                    index, row = worker.conn.recv()
                except (EOFError, OSError):  # died while answering
                    self._lost(worker, rows, on_event)
                    continue
                rows[index], worker.index = row, None
                on_event("done", index, row)
            elif worker.process.sentinel in ready:
                self._lost(worker, rows, on_event)

    def _lost(self, worker: _Worker, rows: list, on_event) -> None:
        """A worker died mid-task (killed, out of memory, a crash in an engine): report it and replace it."""
        index = worker.index
        worker.kill()
        code = worker.process.exitcode
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        rows[index] = failed_row(f"the worker process died ({how}) while planning this point")
        rows[index]["seconds"] = None
        self.workers.remove(worker)
        on_event("done", index, rows[index])

    def close(self, kill: bool = False) -> None:
        """Stop the workers: ask them to finish (or kill them), and wait; nothing is left running."""
        for worker in self.workers:
            if kill:
                worker.kill()
                continue
            try:
                worker.conn.send(None)
            except OSError:
                pass
        ends = time.monotonic() + 5
        for worker in self.workers:
            worker.process.join(max(0.0, ends - time.monotonic()))
            if worker.process.is_alive():
                worker.kill()
        self.workers = []


def make_executor(kind: str, context: StudyContext, jobs: int | None = None, address: str | None = None):
    """The executor a study asked for: "local" (default) or "ray" (needs an address of a running cluster)."""
    if kind == "ray":
        from dcplan.studies.ray_executor import RayExecutor

        return RayExecutor(context, address)
    return LocalExecutor(context, jobs)
