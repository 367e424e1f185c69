"""The context of one explanation: the scenario, its model, the time left and the solves spent."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from dcplan.model.linear import Expr, LinearModel, Row

ITEM_FAMILIES = ("demand", "site_failure", "durability", "spares", "pinning", "power", "racks", "limits",
                 "constraints")
"""Row families that stand for a scenario item (the rest is physics an explanation always keeps)."""
PER_SOLVE_SECONDS = 10.0


@dataclass
class Work:
    path: str
    overrides: tuple[str, ...]
    loaded: object  # LoadResult
    built: object  # BuiltModel (unpinned, with pin rows)
    deadline: float
    step: float
    max_solves: int = 120
    solves: int = 0
    warnings: list[str] = field(default_factory=list)
    engine_log: object = None  # hears the engines' lines (SolveOptions.engine_log)

    @property
    def scenario(self):
        return self.loaded.scenario

    @property
    def lm(self) -> LinearModel:
        return self.built.lm

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def solve(self, lm: LinearModel, gap: float = 1e-6, cap: float = PER_SOLVE_SECONDS):
        from dcplan.errors import Interrupted
        from dcplan.solve.engines import SolveResult, solve

        seconds = min(cap, self.remaining())
        if seconds <= 0.05 or self.solves >= self.max_solves:
            return SolveResult("no_solution", "ortools-scip")
        self.solves += 1
        result = solve(lm, engine="scip", time_limit=seconds, gap=gap, log=self.engine_log)
        if result.status == "interrupted":
            raise Interrupted()
        return result

    def feasible(self, keep: set[str], drop_rows: frozenset[str] = frozenset()) -> bool | None:
        """Feasibility of the physics plus the items in `keep`: True, False (proven) or None (unknown)."""
        rows = [r for r in self.lm.rows if r.name not in drop_rows and (not is_item(r) or r.origin in keep)]
        result = self.solve(self.lm.with_rows(rows, Expr()))
        return {"optimal": True, "feasible": True, "infeasible": False}.get(result.status)


def is_item(row: Row) -> bool:
    return bool(row.origin) and row.family in ITEM_FAMILIES
