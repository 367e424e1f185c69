"""Restricted master: choose one configuration per workload, and the shared network and racks.

For a model too large to solve whole, each workload gets a few candidate configurations (columns): its
own block optimum (dcplan/solve/blocks.py), the same servers moved to each other site it may use, and
its part of the greedy plan. The master problem has one binary λ[w,q] per column with Σ_q λ[w,q] = 1;
every pool variable is replaced by Σ_q value_q · λ[w,q] in the shared rows (site power and racks,
fabrics, rack packing, limits, generic constraints) and the objective, and the shared variables
(switches, links, racks) stay free.

Every column satisfies its workload's own rows, so every solution of the master is a plan of the full
model: the master restricts, never relaxes. Its size is a few binaries per workload plus the shared
variables, which an engine solves in seconds where the full model gives no plan in a minute.

In arrays: with E the expansion (full variable i ← master variable k: 1 for a shared variable, value_q(i)
for a column's λ), the master's rows are A_shared·E and its costs Eᵀ·c, computed in bulk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dcplan.errors import Interrupted
from dcplan.model.linear import LinearModel
from dcplan.model.matrix import Matrix, csr
from dcplan.solve.blocks import block_matrix, cut_out
from dcplan.solve.engines import SolveResult, solve
from dcplan.vocab import Status


LP_ENGINE = "glop"
"""The engine of the master's LP relaxation (solve_lp): RINS's (dcplan/solve/rins.py), each pricing round's
(dcplan/solve/decompose.py) and every dive step's (dcplan/solve/dive.py). The master has several columns
per row and gains columns between solves, which suits GLOP's primal simplex; HiGHS's dual simplex slowed
down by up to ten times once the columns of the blocks solved again at site power and rack prices were
added. Measured on the masters of generated scenarios, one solve each, HiGHS against GLOP:
- W=5000 × 60 × 8: the first master (14,996 rows × 40,810 columns) 3.3–4.0 s against 4.3–4.8 s; with
  those columns (47,024) 42.6 s against 6.6 s, so that a 120-s run spent its last 40 s on this LP and
  ended with no time for the search (HiGHS's primal simplex 9.6 s, its barrier 7.4 s);
- W=3000 × 60 × 8: 1.4–1.7 s against 1.7 s; with those columns 12.1–12.5 s against 2.1–2.5 s;
- W=1000 × 60 × 4 (held-out seeds 2 and 3, 2,900 × 4,700): 0.13–0.14 s against 0.08–0.10 s;
- the W=200 × 20 × 2 build-out over 4 periods: 0.05–0.11 s against 0.02 s.
The full model's LP relaxation stays with HiGHS, which solves it three times faster (W=1000 × 60 × 4:
1.7–2.6 s against 6.5–7.2 s)."""


def solve_lp(matrix: Matrix, time_limit: float, threads: int, deadline: float | None) -> SolveResult:
    """The LP relaxation of a master (or of one with some variables fixed) by LP_ENGINE: its optimum, values
    and row duals; Ctrl-C raises Interrupted."""
    lp = solve(matrix, LP_ENGINE, time_limit=time_limit, gap=0.0, threads=threads, relax=True, deadline=deadline)
    if lp.status == Status.INTERRUPTED:
        raise Interrupted()
    return lp


def satisfies(model: LinearModel, block, column: np.ndarray) -> bool:
    """Does a configuration (values of the block's variables) meet the block's own rows?"""
    return len(block_matrix(model, block).violated(column)) == 0


def _shifted(model: LinearModel, block, column: np.ndarray, sites: list[str], shift: int) -> np.ndarray | None:
    """The same configuration with every site moved `shift` places along the scenario's site list.

    Sizing does not depend on the site, so the counts, spares and fabric stay valid; None if the workload
    may not use a site it would move to. Each variable is found at its new site through the owner it was
    created with.
    """
    rename = {site: sites[(k + shift) % len(sites)] for k, site in enumerate(sites)}
    moved = np.zeros(len(block.variables))
    for position in np.flatnonzero(np.abs(column) > 1e-9).tolist():
        variable = model.variables[int(block.variables[position])]
        owner = variable.owner
        target = None if owner is None or owner.site is None else model.find(variable.symbol,
                                                                            owner.at(rename[owner.site]))
        if target is None:
            return None
        local = int(np.searchsorted(block.variables, target))
        if local >= len(block.variables) or block.variables[local] != target:
            return None
        moved[local] = column[position]
    return moved


def columns(built, blocks, plans: list) -> dict[str, list[np.ndarray]]:
    """Distinct configurations per workload: block optimum, its moves to other sites, and each plan's."""
    chosen: dict[str, list[np.ndarray]] = {name: [] for name in blocks}
    add_columns(built, blocks, chosen, {name: block.solution for name, block in blocks.items()})
    for plan in plans:
        plan = np.asarray(plan, dtype=float)
        add_columns(built, blocks, chosen, {name: plan[block.variables] for name, block in blocks.items()},
                    shifts=False)
    return {name: found for name, found in chosen.items() if found}


def add_columns(built, blocks, chosen: dict[str, list[np.ndarray]], solutions: dict, shifts: bool = True) -> int:
    """Add each workload's configuration (and, with `shifts`, its moves along the site list) to `chosen`,
    if new and valid for the workload's rows; return how many were added."""
    model = built.lm
    cut_out(model, {name: blocks[name] for name in solutions if name in blocks})
    site_names = [s.name for s in built.scenario.sites]
    added = 0
    for name, solution in solutions.items():
        if solution is None or name not in chosen:
            continue
        block = blocks[name]
        known = {column.tobytes() for column in chosen[name]}
        for shift in range(len(site_names) if shifts else 1):
            column = solution if shift == 0 else _shifted(model, block, solution, site_names, shift)
            if column is None:
                continue
            column = np.where(np.abs(column) > 1e-9, column, 0.0)
            key = column.tobytes()
            if key not in known and satisfies(model, block, column):
                known.add(key)
                chosen[name].append(column)
                added += 1
    return added


@dataclass
class Master:
    """The master model and how it maps to the full model."""

    matrix: Matrix
    full: LinearModel
    kept: np.ndarray  # full-model variables kept as they are (master variables 0..len(kept)-1)
    lambdas: dict[str, np.ndarray]  # workload -> master variable of each column
    columns: dict[str, list[np.ndarray]]
    row_source: np.ndarray  # master row -> full-model row (-1: a choose row)
    choose_row: dict[str, int]  # workload -> its master row Σ_q λ = 1
    expansion: tuple[np.ndarray, np.ndarray, np.ndarray]  # (full variable, master variable, value) triples

    def to_full(self, values) -> np.ndarray:
        values = np.asarray(values, dtype=float).copy()
        lambdas = np.arange(len(self.kept), len(values))
        values[lambdas] = np.round(values[lambdas])
        rows, cols, vals = self.expansion
        return np.bincount(rows, weights=vals * values[cols], minlength=len(self.full._vname))

    def from_full(self, full, blocks) -> np.ndarray | None:
        """Master values for a full plan whose every workload uses one of its columns (else None)."""
        full = np.asarray(full, dtype=float)
        values = np.zeros(self.matrix.shape[1])
        values[:len(self.kept)] = full[self.kept]
        for name, cols in self.columns.items():
            mine = full[blocks[name].variables]
            for q, column in enumerate(cols):
                if np.all(np.abs(mine - column) <= 1e-6):
                    values[self.lambdas[name][q]] = 1.0
                    break
            else:
                return None
        return values

    def relaxation(self) -> Matrix:
        """The master's LP relaxation with λ ≤ 1 left to the choose rows, so their duals price whole columns."""
        ub = self.matrix.ub.copy()
        ub[len(self.kept):] = np.inf
        relaxed = self.matrix.relaxed()
        relaxed.ub = ub
        return relaxed


def build_master(model: LinearModel, blocks, chosen: dict[str, list[np.ndarray]]) -> Master:
    """The master over `chosen` columns; workloads without columns keep their own variables."""
    full = model.matrix()
    m, n = full.shape
    replaced = np.zeros(n, dtype=bool)
    dropped_rows = np.zeros(m, dtype=bool)
    for name in chosen:
        replaced[blocks[name].variables] = True
        dropped_rows[blocks[name].rows] = True  # every column satisfies its own workload's rows
    kept = np.flatnonzero(~replaced)
    triples = [(kept, np.arange(len(kept)), np.ones(len(kept)))]
    lambdas: dict[str, np.ndarray] = {}
    k = len(kept)
    for name, cols in chosen.items():
        lambdas[name] = np.arange(k, k + len(cols))
        variables = blocks[name].variables
        for column in cols:
            nonzero = np.flatnonzero(column)
            triples.append((variables[nonzero], np.full(len(nonzero), k), column[nonzero]))
            k += 1
    exp_rows = np.concatenate([t[0] for t in triples])
    exp_cols = np.concatenate([t[1] for t in triples])
    exp_vals = np.concatenate([t[2] for t in triples])
    row_source = np.flatnonzero(~dropped_rows)
    rows, cols, vals = _expand(full, row_source, exp_rows, exp_cols, exp_vals)
    nonempty = np.unique(rows)  # rows left with no term (every variable inside a column) are dropped
    renumber = np.full(len(row_source), -1, dtype=np.int64)
    renumber[nonempty] = np.arange(len(nonempty))
    rows, row_source = renumber[rows], row_source[nonempty]
    choose = len(row_source)
    choose_row = {name: choose + q for q, name in enumerate(chosen)}
    lambda_rows = np.concatenate([np.full(len(ks), choose_row[name]) for name, ks in lambdas.items()] or [[]])
    lambda_cols = np.concatenate(list(lambdas.values()) or [[]]).astype(np.int64)
    rows = np.concatenate([rows, lambda_rows.astype(np.int64)])
    cols = np.concatenate([cols, lambda_cols])
    vals = np.concatenate([vals, np.ones(len(lambda_cols))])
    total_rows = choose + len(chosen)
    indptr, indices, data = csr(rows, cols, vals, total_rows)
    cost = np.bincount(exp_cols, weights=exp_vals * full.cost[exp_rows], minlength=k)
    lam = k - len(kept)
    matrix = Matrix(np.concatenate([full.lb[kept], np.zeros(lam)]), np.concatenate([full.ub[kept], np.ones(lam)]),
                    np.concatenate([full.integer[kept], np.ones(lam, dtype=bool)]), cost, full.offset,
                    np.concatenate([full.row_lo[row_source], np.ones(len(chosen))]),
                    np.concatenate([full.row_hi[row_source], np.ones(len(chosen))]), indptr, indices, data)
    return Master(matrix, model, kept, lambdas, chosen, np.concatenate([row_source, np.full(len(chosen), -1)]),
                  choose_row, (exp_rows, exp_cols, exp_vals))


def _expand(full: Matrix, rows: np.ndarray, exp_rows, exp_cols, exp_vals):
    """(row, master variable, coefficient) triples of A[rows]·E, with E given by its triples (a sparse
    product, done by repeating each non-zero of A once per entry of E in its column)."""
    order = np.argsort(exp_rows, kind="stable")
    e_rows, e_cols, e_vals = exp_rows[order], exp_cols[order], exp_vals[order]
    e_start = np.searchsorted(e_rows, np.arange(len(full.lb) + 1))
    counts = np.diff(full.indptr)[rows]
    take = np.repeat(full.indptr[rows] - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + \
        np.arange(int(counts.sum()))
    a_rows = np.repeat(np.arange(len(rows)), counts)
    a_cols, a_vals = full.indices[take], full.data[take]
    per = e_start[a_cols + 1] - e_start[a_cols]
    repeated = np.repeat(np.arange(len(a_cols)), per)
    offsets = np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
    entries = e_start[a_cols[repeated]] + offsets
    return a_rows[repeated], e_cols[entries], a_vals[repeated] * e_vals[entries]
