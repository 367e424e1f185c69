"""A linear model as arrays: the form every engine is handed, and the one large models are worked on.

    min  cost·x + offset   s.t.   row_lo ≤ A·x ≤ row_hi,   lb ≤ x ≤ ub,   x_j integer where integer[j]

A is stored by rows (CSR: `indptr`, `indices`, `data`), each row's columns strictly increasing, the
order engines accept without copying term by term. Sub-models (one workload's block, a neighbourhood
with most variables fixed) are cut out with numpy, never row by row in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

ROW_TOLERANCE = 1e-6
"""Relative: how far a plan may sit outside a row's bounds (engine feasibility noise)."""


@dataclass
class Matrix:
    lb: np.ndarray
    ub: np.ndarray
    integer: np.ndarray  # bool
    cost: np.ndarray
    offset: float
    row_lo: np.ndarray
    row_hi: np.ndarray
    indptr: np.ndarray  # int64, one more than there are rows
    indices: np.ndarray  # int64
    data: np.ndarray  # float64

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.row_lo), len(self.lb)

    @property
    def row_ids(self) -> np.ndarray:
        """The row of each non-zero (the CSR expanded)."""
        return np.repeat(np.arange(len(self.row_lo), dtype=np.int64), np.diff(self.indptr))

    def relaxed(self) -> "Matrix":
        """Every variable continuous: the LP relaxation (arrays shared, not copied)."""
        return replace(self, integer=np.zeros_like(self.integer))

    def with_cost(self, cost: np.ndarray, offset: float = 0.0) -> "Matrix":
        return replace(self, cost=np.asarray(cost, dtype=float), offset=float(offset))

    def activity(self, x) -> np.ndarray:
        """A·x, one value per row."""
        x = np.asarray(x, dtype=float)
        return np.bincount(self.row_ids, weights=self.data * x[self.indices], minlength=len(self.row_lo))

    def transposed_product(self, y: np.ndarray) -> np.ndarray:
        """Aᵀ·y, one value per variable (prices of the variables under row prices y)."""
        return np.bincount(self.indices, weights=self.data * y[self.row_ids], minlength=len(self.lb))

    def violated(self, x, tolerance: float = ROW_TOLERANCE) -> np.ndarray:
        """Rows that `x` breaks, beyond a tolerance relative to their bounds (as Row.holds)."""
        activity = self.activity(x)
        scale = np.maximum(1.0, np.maximum(np.where(np.isfinite(self.row_lo), np.abs(self.row_lo), 0.0),
                                           np.where(np.isfinite(self.row_hi), np.abs(self.row_hi), 0.0)))
        slack = tolerance * scale
        return np.flatnonzero((activity < self.row_lo - slack) | (activity > self.row_hi + slack))

    def objective(self, x) -> float:
        return float(self.cost @ np.asarray(x, dtype=float) + self.offset)

    def rows_within(self, columns: np.ndarray) -> np.ndarray:
        """Rows whose every non-zero lies in `columns` (and that have at least one)."""
        inside = np.zeros(len(self.lb), dtype=bool)
        inside[columns] = True
        outside_per_row = np.bincount(self.row_ids, weights=(~inside[self.indices]).astype(float),
                                      minlength=len(self.row_lo))
        counts = np.diff(self.indptr)
        return np.flatnonzero((outside_per_row == 0) & (counts > 0))

    def sub(self, columns: np.ndarray, rows: np.ndarray, cost: np.ndarray | None = None,
            fixed: np.ndarray | None = None, local: np.ndarray | None = None) -> "Matrix":
        """The model over `columns` and `rows`, numbered afresh.

        Terms of columns left out are moved into the row bounds at their `fixed` values (0 when
        None), so a neighbourhood keeps every other variable where the incumbent has it. `local`, when
        given, is the new number of every column these rows touch (-1: left out), made once for many
        cuts of disjoint parts (dcplan.solve.blocks.cut_out) instead of a model-sized array per cut.
        """
        columns = np.asarray(columns, dtype=np.int64)
        rows = np.asarray(rows, dtype=np.int64)
        if local is None:
            local = np.full(len(self.lb), -1, dtype=np.int64)
            local[columns] = np.arange(len(columns))
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        counts = ends - starts
        offsets = np.concatenate(([0], np.cumsum(counts)[:-1])) if len(counts) else np.zeros(0, dtype=np.int64)
        take = np.repeat(starts - offsets, counts) + np.arange(int(counts.sum()), dtype=np.int64)
        cols = local[self.indices[take]]
        data = self.data[take]
        row_of = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
        keep = cols >= 0
        shift = np.zeros(len(rows))
        if fixed is not None and not keep.all():
            gone = ~keep
            shift = np.bincount(row_of[gone], minlength=len(rows),
                                weights=data[gone] * np.asarray(fixed, dtype=float)[self.indices[take][gone]])
        kept_counts = np.bincount(row_of[keep], minlength=len(rows))
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(kept_counts, out=indptr[1:])
        return Matrix(self.lb[columns], self.ub[columns], self.integer[columns],
                      self.cost[columns] if cost is None else np.asarray(cost, dtype=float), 0.0,
                      self.row_lo[rows] - shift, self.row_hi[rows] - shift, indptr, cols[keep], data[keep])


def csr(row_ids: np.ndarray, cols: np.ndarray, data: np.ndarray, rows: int) -> tuple[np.ndarray, ...]:
    """(indptr, indices, data) of the triples, sorted by row then column, duplicates summed, zeros dropped."""
    row_ids = np.asarray(row_ids, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    data = np.asarray(data, dtype=float)
    if len(cols):
        order = np.lexsort((cols, row_ids))
        row_ids, cols, data = row_ids[order], cols[order], data[order]
        first = np.ones(len(cols), dtype=bool)
        first[1:] = (row_ids[1:] != row_ids[:-1]) | (cols[1:] != cols[:-1])
        if not first.all():
            starts = np.flatnonzero(first)
            data = np.add.reduceat(data, starts)
            row_ids, cols = row_ids[starts], cols[starts]
        nonzero = data != 0.0
        row_ids, cols, data = row_ids[nonzero], cols[nonzero], data[nonzero]
    indptr = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row_ids, minlength=rows), out=indptr[1:])
    return indptr, cols, data


def widest_row(matrix: Matrix) -> tuple[int | None, float, float]:
    """(row, smallest, largest) non-zero |coefficient| of the row whose coefficients span the most, row -1
    for the objective; (None, 1, 1) when there is no coefficient at all."""
    data = np.abs(matrix.data)
    keep = data > 0
    rows, data = matrix.row_ids[keep], data[keep]
    m = len(matrix.row_lo)
    small, large = np.full(m + 1, np.inf), np.zeros(m + 1)
    np.minimum.at(small, rows, data)
    np.maximum.at(large, rows, data)
    cost = np.abs(matrix.cost[matrix.cost != 0])
    if len(cost):
        small[m], large[m] = cost.min(), cost.max()
    used = np.flatnonzero(large > 0)
    if not len(used):
        return None, 1.0, 1.0
    k = int(used[np.argmax(large[used] / small[used])])
    return (-1 if k == m else k), float(small[k]), float(large[k])

