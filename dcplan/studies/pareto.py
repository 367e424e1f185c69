"""`dcplan pareto`: the exact trade-off frontier between two objectives, by the epsilon-constraint method.

For objectives A and B (any two of tco, capex, energy, carbon, power):
  1. the two extremes, lexicographically: min A, then min B with A held at its optimum → (a*, b̄);
     min B, then min A with B held at its optimum → (ā, b*);
  2. N − 2 points between: for ε_k = b̄ − k (b̄ − b*) / (N − 1), k = 1 … N − 2, min A subject to
     B ≤ ε_k (the scenario's `limits.B`, tightened), then min B with A held at the value found.
The second solve of each step makes every point Pareto-optimal, not merely weakly so. Unlike
minimising weighted sums w·A + (1 − w)·B, which only ever finds the corners of the frontier's
convex hull (on a straight frontier: its two ends), the ε-constraint finds every point between
(Haimes, Lasdon & Wismer 1971; Mavrotas 2009, "Effective implementation of the ε-constraint
method", Applied Mathematics and Computation 213(2)). Solves run with gap 0 unless --gap says
otherwise, so each point is optimal, and every plan is verified. Equal points are merged and
dominated ones (from a solve stopped by the time limit) removed.

The knee is where the frontier bends most: with each objective scaled to [0, 1] between its
extremes, the point farthest from the straight line through the two extremes, on the side of the
ideal point (a*, b*) — the definition of Das (1999, "On characterizing the 'knee' of the Pareto
curve based on Normal-Boundary Intersection", Structural Optimization 18) and of Satopää et al.
(2011, "Finding a 'Kneedle' in a Haystack", ICDCS workshops). On a straight frontier every point is
equally far (zero): then the one closest to the ideal point, its middle.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from dcplan.studies.executors import make_executor
from dcplan.studies.plans import plan_store
from dcplan.studies.points import load_base
from dcplan.studies.progress import Progress
from dcplan.studies.sizing import size_base
from dcplan.studies.sweep import StudyOptions, solving_options
from dcplan.studies.tasks import StudyContext, LexTask
from dcplan.studies.vary import StudyInputError
from dcplan.vocab import OBJECTIVE_TOTALS, Objective

SAME = 1e-9
"""Two objective values closer than this (relative, plus 1e-6 absolute) are equal."""
KNEE_RULE = ("farthest from the line through the two extremes, toward the best of both, each objective scaled "
             "to [0, 1]; on a straight frontier the point closest to that best (its middle)")


class NoFrontier(Exception):
    """An extreme has no plan: the scenario is infeasible (exit 1) or the solver stopped (exit 3)."""

    def __init__(self, status: str, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Frontier:
    scenario: str
    objectives: tuple[str, str]
    requested: int
    points: list[dict]
    failed: list[dict]
    removed: dict
    executor: str
    currency: str = "USD"

    def to_dict(self) -> dict:
        return {"dcplan": 1, "scenario": self.scenario, "objectives": list(self.objectives),
                "requested": self.requested, "executor": self.executor, "currency": self.currency,
                "knee_rule": KNEE_RULE, "points": self.points, "failed": self.failed, "removed": self.removed}


def parse_objectives(text) -> tuple[str, str]:
    """'tco,carbon' → ('tco', 'carbon'): exactly two different known objectives."""
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text)]
    unknown = [n for n in names if n not in Objective.values()]
    if unknown or len(names) != 2 or names[0] == names[1]:
        why = f"unknown {unknown[0]!r}" if unknown else f"found {len(set(names))} different"
        raise StudyInputError(f"--objectives takes two different objectives of {', '.join(Objective.values())} "
                              f"(e.g. tco,carbon); {why}")
    return names[0], names[1]


def pareto(path, objectives="tco,carbon", points: int = 10, *, overrides=(), options=None,
           study: StudyOptions | None = None, on_progress=None) -> Frontier:
    """The frontier; raises StudyInputError (exit 2), NoFrontier (exit 1 or 3) or Interrupted."""
    study = study or StudyOptions()
    first, second = parse_objectives(objectives)
    if not 2 <= points <= 1000:
        raise StudyInputError(f"--points must be from 2 to 1000, found {points}")
    if options is not None and options.objective is not None:
        raise StudyInputError("--objective does not apply to pareto: it minimises the two --objectives in turn")
    base = load_base(path, overrides)
    if base.scenario.periods is not None or base.scenario.installed:
        # The frontier's second objective would be bounded per period (a build-out's limits hold in each
        # period) while its total over all periods is minimised: not the trade-off asked for.
        raise StudyInputError("pareto does not plan build-outs (periods or installed) yet; "
                              "use sweep with --vary on limits.carbon or another limit")
    context = StudyContext(base.scenario, size_base(base.scenario), solving_options(options, default_gap=0.0),
                           keep_plans=True,
                           deadline=None if study.time_limit is None else time.time() + study.time_limit)
    store = plan_store(study.plans)
    try:
        with make_executor(study.executor, context, study.jobs, study.address) as executor:
            progress = Progress("pareto", points, executor.slots, on_progress)
            rows = _frontier_rows(executor, progress, first, second, points)
            progress.finish()
        frontier = _frontier(base.scenario, (first, second), points, rows, study.executor)
        for position, point in enumerate(frontier.points):
            point["plan_file"] = store.write(f"pareto-{position:02d}.json", point["plan"])
    except BaseException:
        store.discard()
        raise
    store.commit()
    return frontier


def _frontier_rows(executor, progress: Progress, first: str, second: str, points: int) -> list[dict]:
    """The two extremes, then the ε-steps between them (each phase in parallel)."""
    ends = executor.run([LexTask(0, first, second), LexTask(1, second, first)], progress)
    for row in ends:
        if not row["totals"]:
            status = "infeasible" if row["status"] == "infeasible" else "no_solution"
            raise NoFrontier(status, f"no plan at an extreme of the frontier ({row['status']}): {row['reason']}")
        row["epsilon"] = None
    low, high = ends[1]["totals"][OBJECTIVE_TOTALS[second]], ends[0]["totals"][OBJECTIVE_TOTALS[second]]
    if points <= 2 or _same(low, high):  # no trade-off: both extremes are one plan
        progress.total = len(ends)
        return ends
    step = (high - low) / (points - 1)
    epsilons = [high - k * step for k in range(1, points - 1)]
    middle = executor.run([LexTask(k + 2, first, second, eps) for k, eps in enumerate(epsilons)], progress)
    for row, eps in zip(middle, epsilons):
        row["epsilon"] = {second: eps}
    return ends + middle


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= SAME * max(abs(a), abs(b)) + 1e-6


def _frontier(scenario, objectives: tuple[str, str], requested: int, rows: list[dict], executor: str) -> Frontier:
    first, second = objectives
    planned, failed = [], []
    for row in rows:
        if not row["totals"]:
            failed.append({"epsilon": row.get("epsilon"), "status": row["status"], "reason": row["reason"]})
            continue
        values = {first: row["totals"][OBJECTIVE_TOTALS[first]], second: row["totals"][OBJECTIVE_TOTALS[second]]}
        planned.append({"values": values, "status": row["status"], "gap": (row["objective"] or {}).get("gap"),
                        "epsilon": row.get("epsilon"), "knee": False, "totals": row["totals"],
                        "warnings": row.get("warnings", []), "plan_file": None, "plan": row["plan"]})
    kept, duplicates = _distinct(planned, first, second)
    frontier = [p for p in kept if not any(_dominates(q, p, first, second) for q in kept if q is not p)]
    frontier.sort(key=lambda p: (p["values"][first], p["values"][second]))
    _mark_knee(frontier, first, second)
    return Frontier(scenario.name, objectives, requested, frontier, failed,
                    {"duplicates": duplicates, "dominated": len(kept) - len(frontier)}, executor, scenario.currency)


def _distinct(points: list[dict], first: str, second: str) -> tuple[list[dict], int]:
    kept = []
    for point in points:
        if not any(_same(point["values"][first], k["values"][first]) and
                   _same(point["values"][second], k["values"][second]) for k in kept):
            kept.append(point)
    return kept, len(points) - len(kept)


def _dominates(p: dict, q: dict, first: str, second: str) -> bool:
    """p is no worse than q in both objectives and better in one."""
    pa, pb, qa, qb = p["values"][first], p["values"][second], q["values"][first], q["values"][second]
    no_worse = (pa <= qa or _same(pa, qa)) and (pb <= qb or _same(pb, qb))
    return no_worse and ((pa < qa and not _same(pa, qa)) or (pb < qb and not _same(pb, qb)))


def _mark_knee(frontier: list[dict], first: str, second: str) -> None:
    """Scaled to [0, 1], the extremes are (0, 1) and (1, 0) and the line through them x + y = 1: a point's
    bulge toward the ideal (0, 0) is 1 − x − y (√2 times its distance from that line)."""
    if len(frontier) < 3:
        return
    a = [p["values"][first] for p in frontier]
    b = [p["values"][second] for p in frontier]
    span_a, span_b = (max(a) - min(a)) or 1.0, (max(b) - min(b)) or 1.0
    scaled = [((x - min(a)) / span_a, (y - min(b)) / span_b) for x, y in zip(a, b)]
    bulge = [1.0 - x - y for x, y in scaled]
    most = max(bulge)
    ties = [i for i, value in enumerate(bulge) if value >= most - 1e-9]
    knee = min(ties, key=lambda i: math.hypot(*scaled[i]))
    frontier[knee]["knee"] = True
