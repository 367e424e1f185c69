"""How far a planning run has got: the stage it is in, what it says, and the best plan and bound known.

`Stages` times each stage of dcplan/usecases/planning.py for the benchmark's hook (`on_stage`), passes
what the run says to `on_progress`, and keeps a `Progress` up to date for a live display (`on_status`).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from dcplan.vocab import Stage


@dataclass
class Progress:
    """How far a planning run has got, for a progress display (`plan_scenario(on_status=...)`).

    `clock` is the time.perf_counter() the time limit counts from (the start of planning), `limit` its
    seconds; `incumbent` the objective of the best plan known (the greedy start, then the engine's);
    `bound` a proven lower bound once one is reported. Engines report neither while they run."""

    stage: Stage
    clock: float
    limit: float | None = None
    incumbent: float | None = None
    bound: float | None = None
    note: str = ""

    @property
    def gap(self) -> float | None:
        from dcplan.vocab import relative_gap

        return relative_gap(self.incumbent, self.bound, "feasible")


class Stages:
    """Times each stage for `on_stage(stage, seconds)` (the benchmark's hook), says what happens, and keeps
    `on_status` (a progress display) up to date."""

    def __init__(self, on_progress, on_stage, on_status=None):
        self.on_progress, self.on_stage, self.on_status = on_progress, on_stage, on_status
        self.progress = Progress(Stage.SIZE, time.perf_counter())

    @contextlib.contextmanager
    def __call__(self, stage: Stage):
        began = time.perf_counter()
        self.update(stage=stage)
        try:
            yield
        finally:
            if self.on_stage is not None:
                self.on_stage(stage, time.perf_counter() - began)

    def say(self, message: str) -> None:
        self.update(note=message)
        if self.on_progress is not None:
            self.on_progress(message)

    def update(self, **changes) -> None:
        for name, value in changes.items():
            setattr(self.progress, name, value)
        if self.on_status is not None:
            self.on_status(self.progress)
