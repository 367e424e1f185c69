"""`dcplan sweep`: solve every combination of the varied values, or N random draws, in parallel.

    result = sweep("s.yaml", ["sites.ash1.power=6MW,8MW,10MW", "objective.carbon=0,40,80"])
    result.to_dict()   # {"dcplan": 1, "scenario": ..., "points": [...], "summary": {...}}

The scenario is read, validated and sized once; every point is validated like the file and
re-sizes only the workloads it changes (dcplan/studies/sizing.py). Points run on an executor (a
local process pool, or Ray) and each ends as a row with its status: an infeasible, stopped or
failed point never aborts the study. Rows are in the order of the cross product (the first
--vary varies slowest) or of the draws.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from dcplan.studies.executors import make_executor
from dcplan.studies.plans import plan_store
from dcplan.studies.points import field_unit, grid_points, load_base, read_back, sample_points
from dcplan.studies.progress import Progress
from dcplan.studies.sizing import size_base
from dcplan.studies.summary import summarise
from dcplan.studies.tasks import StudyContext, SweepTask
from dcplan.studies.vary import StudyInputError, Vary, parse_vary


@dataclass
class StudyOptions:
    """Where and how a study's points run (the solving options are dcplan.SolveOptions)."""

    executor: str = "local"  # local | ray
    jobs: int | None = None  # local worker processes; default: this machine's cores
    address: str | None = None  # Ray cluster address; default RAY_ADDRESS
    time_limit: float | None = None  # seconds for all the study's solves; default: each solve its own limit
    plans: str | None = None  # keep every plan JSON in this folder


@dataclass
class SweepResult:
    scenario: str
    study: str  # grid | samples
    varies: list[dict]
    points: list[dict]
    summary: dict
    executor: str
    samples: int | None = None
    seed: int | None = None
    seconds: float = 0.0
    currency: str = "USD"

    def to_dict(self) -> dict:
        return {"dcplan": 1, "scenario": self.scenario, "study": self.study, "samples": self.samples,
                "seed": self.seed, "executor": self.executor, "currency": self.currency, "vary": self.varies,
                "points": self.points, "summary": self.summary}

    @property
    def has_plan(self) -> bool:
        return any(point["totals"] for point in self.points)


def solving_options(options, default_gap: float | None = None):
    """Per-point solving options: one solver thread per point unless --threads (the points are the
    parallelism); the objective is applied to the base scenario instead, so --vary objective.* adds to it."""
    from dcplan.usecases.planning import SolveOptions

    options = options or SolveOptions()
    return replace(options, objective=None, time_limit=None,
                   threads=1 if options.threads is None else options.threads,
                   gap=default_gap if options.gap is None else options.gap)


def sweep(path, vary: list[str], *, overrides=(), samples: int | None = None, seed: int | None = None,
          options=None, study: StudyOptions | None = None, on_progress=None, on_point=None) -> SweepResult:
    """Run a sweep; raises StudyInputError (bad --vary, invalid points: exit 2) or Interrupted."""
    study = study or StudyOptions()
    varies = [parse_vary(text) for text in vary]
    _check_design(varies, samples, seed)
    base = load_base(path, overrides, options.objective if options else None)
    if samples is not None:
        seed = 0 if seed is None else seed
        points = sample_points(base, varies, samples, seed)
    else:
        points = grid_points(base, varies)
    context = StudyContext(base.scenario, size_base(base.scenario), solving_options(options), bool(study.plans),
                           None if study.time_limit is None else time.time() + study.time_limit)
    rows = _run_points(points, context, study, on_progress, on_point)
    described = [{"path": v.path, "kind": v.kind, "spec": v.spec, "unit": field_unit(base.scenario, v.path)}
                 for v in varies]
    for point, row in zip(points, rows):
        row["inputs"] = {v.path: read_back(point.scenario, v.path) if point.scenario else None for v in varies}
    return SweepResult(base.scenario.name, "samples" if samples is not None else "grid", described,
                       [_public(point, row) for point, row in zip(points, rows)], summarise(rows),
                       study.executor, samples, seed if samples is not None else None, currency=base.scenario.currency)


def _check_design(varies: list[Vary], samples: int | None, seed: int | None) -> None:
    if not varies:
        raise StudyInputError("give at least one --vary PATH=VALUES")
    if seed is not None and samples is None:
        raise StudyInputError("--seed seeds the draws of --samples; a grid has no draws")
    paths = [v.path for v in varies]
    for path in paths:
        if paths.count(path) > 1:
            raise StudyInputError(f"--vary {path} is given twice; list all its values in one --vary")
    drawn = [v for v in varies if v.distribution is not None]
    if samples is None and drawn:
        raise StudyInputError(f"--vary {drawn[0].path}={drawn[0].spec} is a distribution: give --samples N "
                              "(and --seed S) to draw from it")
    if samples is not None and len(drawn) != len(varies):
        listed = next(v for v in varies if v.distribution is None)
        raise StudyInputError(f"--samples draws from distributions; --vary {listed.path}={listed.spec} lists values. "
                              "Use uniform(a, b) for it, or drop --samples for a grid")


def _run_points(points, context: StudyContext, study: StudyOptions, on_progress, on_point) -> list[dict]:
    """Every valid point on the executor; invalid draws become rows at once. Plans go to --plans DIR."""
    store = plan_store(study.plans)
    width = len(str(max(len(points) - 1, 0)))
    rows: list[dict | None] = [None] * len(points)
    runnable = [p for p in points if p.scenario is not None]

    def arrived(position, row):
        if row.get("plan") is not None:
            row["plan_file"] = store.write(f"point-{runnable[position].index:0{width}d}.json", row["plan"])
        row.pop("plan", None)
        if on_point is not None:
            on_point(runnable[position].index, row)

    try:
        with make_executor(study.executor, context, study.jobs, study.address) as executor:
            progress = Progress("sweep", len(points), executor.slots, on_progress, arrived)
            for point in points:
                if point.scenario is None:
                    rows[point.index] = {"status": point.status, "reason": point.reason, "objective": None,
                                         "totals": None, "warnings": [], "bom": [], "seconds": 0.0}
            progress.skip([rows[p.index] for p in points if p.scenario is None])
            done = executor.run([SweepTask(p.index, p.scenario) for p in runnable], progress)
            progress.finish()
    except BaseException:
        store.discard()
        raise
    for point, row in zip(runnable, done):
        rows[point.index] = row
    store.commit()
    return rows


def _public(point, row: dict) -> dict:
    """A point as the JSON shows it (its BOM quantities are in the summary's bom_changes, its plan in
    --plans DIR)."""
    return {"index": point.index, "values": point.values, "inputs": row.get("inputs", {}), "status": row["status"],
            "reason": row.get("reason"), "objective": row.get("objective"), "totals": row.get("totals"),
            "plan_file": row.get("plan_file"), "seconds": row.get("seconds"), "warnings": row.get("warnings", [])}
