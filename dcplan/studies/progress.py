"""How far a study has come: points done, running and failed, time elapsed, time left.

The executors report each task's start and end; Progress counts them and hands a snapshot to the
caller's `on_progress` (the CLI writes it on stderr). The estimate of the time left is the
wall-clock time per finished point so far (which already counts the workers running in parallel)
times the points still to finish.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

NO_PLAN = ("infeasible", "no_solution", "invalid", "failed")


@dataclass(frozen=True)
class Snapshot:
    label: str
    total: int
    done: int
    running: int
    failed: int  # done without a plan: infeasible, stopped, invalid or crashed
    elapsed: float
    eta: float | None  # seconds; None until a point has finished
    finished: bool = False

    def line(self) -> str:
        eta = "—" if self.eta is None else _duration(self.eta)
        return (f"{self.label}: {self.done}/{self.total} done, {self.running} running, {self.failed} failed, "
                f"elapsed {_duration(self.elapsed)}, ETA {eta}")


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(seconds + 0.5), 60)
    return f"{minutes} min {seconds:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


class Progress:
    """Counts events from an executor (start, done, tick) and reports snapshots to `on_progress`."""

    def __init__(self, label: str, total: int, slots: int, on_progress=None, on_point=None):
        self.label, self.total, self.slots = label, total, max(1, slots)
        self.on_progress, self.on_point = on_progress, on_point
        self.started = time.monotonic()
        self.submitted = self.done = self.failed = 0
        self.offset = 0  # rows finished before this executor run (a Pareto frontier runs in phases)

    def __call__(self, kind: str, index, row) -> None:
        if kind == "start":
            self.submitted += 1
        elif kind == "done":
            self.done += 1
            self.failed += row["status"] in NO_PLAN
            if self.on_point is not None:
                self.on_point(index, row)
        if self.on_progress is not None:
            self.on_progress(self.snapshot())

    def skip(self, rows: list[dict]) -> None:
        """Rows that needed no worker (invalid draws): counted as done at once."""
        for row in rows:
            self.submitted += 1
            self.done += 1
            self.failed += row["status"] in NO_PLAN

    def snapshot(self, finished: bool = False) -> Snapshot:
        elapsed = time.monotonic() - self.started
        running = min(self.submitted - self.done, self.slots)
        left = self.total - self.done
        eta = None
        if self.done and left:
            eta = elapsed / self.done * left
        elif not left:
            eta = 0.0
        return Snapshot(self.label, self.total, self.done, running, self.failed, elapsed, eta, finished)

    def finish(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.snapshot(finished=True))
