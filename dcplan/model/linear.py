"""An engine-neutral mixed-integer linear model with named rows.

dcplan.model writes the plan's mathematics into a LinearModel; dcplan.solve hands the same model
to an engine. Keeping one neutral form means every engine sees identical rows, the LP dump reads
like the scenario (rows are named `power[site=ash1]`), and nothing downstream depends on an
engine's API.

The model is stored column by column and its rows as one sparse matrix (`matrix()`, CSR arrays),
so a model of a million variables costs arrays, not a million Python objects. Families add rows
one at a time (`add`, `ge`, `le`, `eq` with an `Expr`) or many at once (`add_rows`, from flat
lists); `variables[i]` and `rows[j]` are views read from the columns when asked for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

from dcplan.model.expr import Expr, total
from dcplan.model.matrix import ROW_TOLERANCE, Matrix, csr

__all__ = ["INF", "MAX_COEFFICIENT", "MAX_BOUND", "Expr", "total", "Owner", "Variable", "Row", "LinearModel", "RowBatch",
           "VarBatch"]

INF = math.inf
MAX_COEFFICIENT = 1e12  # beyond this an engine's tolerances stop meaning anything
MAX_BOUND = 1e15  # a finite row bound beyond this is a slip (engines treat ~1e20 as infinite)


class Owner(NamedTuple):
    """Who a variable or row belongs to, recorded when it is created (never parsed back from names).

    `detail` tells apart variables of one owner and symbol (a spare step j, a switch type and
    port speed). Moving an owner to another site (`at`) finds the same variable there, which is
    how a workload's configuration is shifted between sites (dcplan.solve.master).

    A named tuple: a large model makes one per pool and spare step (W=1000: 80,000) and finds variables by
    (symbol, owner). A tuple is made and hashed in C; a frozen dataclass hashes a new tuple of its fields
    each time (measured: made in 0.26 µs against 0.31 µs, made and looked up in a dict in 0.32 µs against
    1.0 µs; the W=1000 process 8 MiB smaller).
    """

    workload: str | None = None
    item: str | None = None
    site: str | None = None
    group: str | None = None
    period: str | None = None
    detail: tuple = ()

    def at(self, site: str) -> "Owner":
        return self._replace(site=site)

    def with_detail(self, detail: tuple) -> "Owner":
        """The same owner with `detail` ((name, value) pairs: a spare step, a port speed)."""
        return Owner(self.workload, self.item, self.site, self.group, self.period, detail)


class Variable:
    """One variable of a model: a view of its columns (setting `lb`, `ub` or `integer` writes through)."""

    __slots__ = ("_model", "index")

    def __init__(self, model: "LinearModel", index: int):
        self._model, self.index = model, index

    name = property(lambda self: self._model._vname[self.index])
    owner = property(lambda self: self._model._vowner[self.index])
    lb = property(lambda self: self._model._lb[self.index],
                  lambda self, value: self._model._set_column(self._model._lb, self.index, float(value)))
    ub = property(lambda self: self._model._ub[self.index],
                  lambda self, value: self._model._set_column(self._model._ub, self.index, float(value)))
    integer = property(lambda self: self._model._int[self.index],
                       lambda self, value: self._model._set_column(self._model._int, self.index, bool(value)))

    @property
    def symbol(self) -> str:
        """The name's symbol: `x` for `x[workload=...]`."""
        return self.name.split("[", 1)[0]

    def __repr__(self) -> str:
        return f"Variable({self.name!r}, {self.lb}, {self.ub}, integer={self.integer})"


@dataclass
class Row:
    """lo ≤ expr ≤ hi, with the expression's constant already moved into the bounds."""

    name: str
    family: str
    terms: dict[int, float]
    lo: float
    hi: float
    origin: str = ""  # dotted scenario path the row comes from, for explanations
    owner: Owner | None = None

    def holds(self, activity: float, tolerance: float = ROW_TOLERANCE) -> bool:
        """lo ≤ activity ≤ hi, to a tolerance relative to the bounds (as plans are checked everywhere)."""
        slack = tolerance * max(1.0, abs(self.lo) if self.lo > -INF else 0.0, abs(self.hi) if self.hi < INF else 0.0)
        return self.lo - slack <= activity <= self.hi + slack


class _Sequence:
    """`model.variables` / `model.rows`: indexable, sliceable, iterable views."""

    def __init__(self, model: "LinearModel", make, size):
        self._model, self._make, self._size = model, make, size

    def __len__(self) -> int:
        return self._size()

    def __getitem__(self, key):
        if isinstance(key, slice):
            return [self._make(i) for i in range(*key.indices(len(self)))]
        if key < 0:
            key += len(self)
        if not 0 <= key < len(self):
            raise IndexError(key)
        return self._make(key)

    def __iter__(self):
        return (self._make(i) for i in range(len(self)))


class LinearModel:
    """Variables (name, bounds, integrality, owner), rows (name, family, bounds, origin, owner, terms) and
    an objective to minimise."""

    def __init__(self):
        self._vname: list[str] = []
        self._lb: list[float] = []
        self._ub: list[float] = []
        self._int: list[bool] = []
        self._vowner: list[Owner | None] = []
        self._rname: list[str] = []
        self._family: list[str] = []
        self._lo: list[float] = []
        self._hi: list[float] = []
        self._origin: list[str] = []
        self._rowner: list[Owner | None] = []
        self._count: list[int] = []  # non-zeros per row
        self._cols: list[int] = []  # terms not yet moved into a chunk
        self._vals: list[float] = []
        self._chunks: list[tuple[np.ndarray, np.ndarray]] = []
        self._row_objects: list[Row | None] = []
        self._objective = Expr()
        self._names: dict[str, int] | None = None
        self._owned: dict[tuple[str, Owner], int] = {}
        self._owned_upto = 0  # variables indexed in _owned so far
        self._cache: dict = {}
        self.period: str | None = None
        """While set, every variable and row created belongs to this period of a build-out: its name gains
        `period=<label>` and its owner the period, so one period's model can be built next to another's."""

    # ------------------------------------------------------------------ views

    @property
    def variables(self) -> _Sequence:
        return _Sequence(self, lambda i: Variable(self, i), lambda: len(self._vname))

    @property
    def rows(self) -> _Sequence:
        return _Sequence(self, self._row, lambda: len(self._rname))

    @property
    def objective(self) -> Expr:
        return self._objective

    @objective.setter
    def objective(self, expr: Expr) -> None:
        self._objective = expr

    @property
    def names(self) -> dict[str, int]:
        """Variable index by name (built when first asked for)."""
        if self._names is None or len(self._names) != len(self._vname):
            self._names = {name: i for i, name in enumerate(self._vname)}
            if len(self._names) != len(self._vname):
                raise ValueError("a variable name is defined twice")
        return self._names

    def find(self, symbol: str, owner: Owner) -> int | None:
        """The variable of this symbol and owner, if the model has one."""
        start = self._owned_upto  # index the variables added since the last call (once: 900,000 at W=5000)
        self._owned.update(((name.split("[", 1)[0], owner), i) for i, name, owner in
                           zip(range(start, len(self._vname)), self._vname[start:], self._vowner[start:])
                           if owner is not None)
        self._owned_upto = len(self._vname)
        return self._owned.get((symbol, owner))

    def _row(self, j: int) -> Row:
        if j < len(self._row_objects) and self._row_objects[j] is not None:
            return self._row_objects[j]
        indptr, indices, data = self._csr()
        start, end = indptr[j], indptr[j + 1]
        row = Row(self._rname[j], self._family[j], dict(zip(indices[start:end].tolist(), data[start:end].tolist())),
                  self._lo[j], self._hi[j], self._origin[j], self._rowner[j])
        self._row_objects.extend([None] * (j + 1 - len(self._row_objects)))
        self._row_objects[j] = row  # the same object each time it is asked for (explanations compare rows)
        return row

    # ------------------------------------------------------------------ building

    def _in_period(self, name: str, owner: Owner | None) -> tuple[str, Owner | None]:
        if self.period is None:
            return name, owner
        scoped = f"{name[:-1]},period={self.period}]" if name.endswith("]") else f"{name}[period={self.period}]"
        return scoped, (owner or Owner())._replace(period=self.period)

    def _changed(self) -> None:
        self._cache.clear()

    def _set_column(self, column: list, index: int, value) -> None:
        column[index] = value
        self._changed()

    def var(self, name: str, lb: float = 0.0, ub: float = INF, integer: bool = True,
            owner: Owner | None = None) -> Expr:
        name, owner = self._in_period(name, owner)
        if self._names is not None and len(self._names) == len(self._vname):
            if name in self._names:
                raise ValueError(f"variable {name} defined twice")
            self._names[name] = len(self._vname)
        index = len(self._vname)
        self._vname.append(name)
        self._lb.append(float(lb))
        self._ub.append(float(ub))
        self._int.append(bool(integer))
        self._vowner.append(owner)
        self._changed()
        return Expr({index: 1.0})

    def add_vars(self, names: list[str], lb, ub, integer, owners: list[Owner | None]) -> np.ndarray:
        """Many variables at once (bounds and integrality a scalar or one per name); their indices."""
        n, start = len(names), len(self._vname)
        if self.period is not None:
            scoped = [self._in_period(name, owner) for name, owner in zip(names, owners)]
            names, owners = [s[0] for s in scoped], [s[1] for s in scoped]
        self._vname.extend(names)
        self._vowner.extend(owners)
        for column, values, kind in ((self._lb, lb, float), (self._ub, ub, float), (self._int, integer, bool)):
            column.extend(np.broadcast_to(np.asarray(values, dtype=kind), (n,)).tolist())
        self._changed()
        return np.arange(start, start + n, dtype=np.int64)

    def add(self, name: str, family: str, expr: Expr, lo: float = -INF, hi: float = INF, origin: str = "",
            owner: Owner | None = None) -> Row:
        """Add lo ≤ expr ≤ hi. Refuses NaN, infinite or absurd coefficients: a solver must never see them."""
        name, owner = self._in_period(name, owner)
        lo, hi = lo - expr.constant, hi - expr.constant
        for bound in (lo, hi):  # checked first: a refused row leaves the model as it was
            if math.isnan(bound) or (math.isfinite(bound) and abs(bound) > MAX_BOUND):
                raise ValueError(f"row {name}: bound {bound!r} is not a safe number")
        terms = {i: c for i, c in expr.terms.items() if c} if expr._terms is not None or len(expr) < 4096 else None
        if terms is None:  # a large sum: checked and stored as arrays
            indices, coefficients = expr.arrays()
            self._check(name, coefficients, indices)
            self._flush()
            self._chunks.append((indices, coefficients))
            self._count.append(len(indices))
        else:
            for index, coefficient in terms.items():
                if not math.isfinite(coefficient) or abs(coefficient) > MAX_COEFFICIENT:
                    raise ValueError(f"row {name}: coefficient {coefficient!r} of {self._vname[index]} "
                                     f"is not a safe number")
            self._cols.extend(terms.keys())
            self._vals.extend(terms.values())
            self._count.append(len(terms))
        self._append_row(name, family, lo, hi, origin, owner)
        if terms is not None:
            row = Row(name, family, terms, lo, hi, origin, owner)
            self._row_objects.extend([None] * (len(self._rname) - len(self._row_objects)))
            self._row_objects[-1] = row
            return row
        return self._row(len(self._rname) - 1)

    def _append_row(self, name, family, lo, hi, origin, owner) -> None:
        self._rname.append(name)
        self._family.append(family)
        self._lo.append(float(lo))
        self._hi.append(float(hi))
        self._origin.append(origin)
        self._rowner.append(owner)
        self._changed()

    def add_rows(self, family, names: list[str], counts, cols, vals, lo, hi, origins, owners) -> None:
        """Many rows at once: row k has `counts[k]` terms, the next ones of `cols`/`vals`; family, lo, hi and
        origins a scalar or one per row; owners one per row. Checked as `add` checks a row."""
        n = len(names)
        cols = np.asarray(cols, dtype=np.int64)
        vals = np.asarray(vals, dtype=float)
        counts = np.asarray(counts, dtype=np.int64)
        if int(counts.sum()) != len(cols) or len(counts) != n:
            raise ValueError(f"{n} rows, {len(counts)} counts and {len(cols)} terms do not match")
        bad = ~np.isfinite(vals) | (np.abs(vals) > MAX_COEFFICIENT)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            row = int(np.searchsorted(np.cumsum(counts), k, side="right"))
            self._check(names[row], vals[k:k + 1], cols[k:k + 1])
        indptr, cols, vals = csr(np.repeat(np.arange(n, dtype=np.int64), counts), cols, vals, n)  # as a dict would
        counts = np.diff(indptr)
        lo = np.broadcast_to(np.asarray(lo, dtype=float), (n,))
        hi = np.broadcast_to(np.asarray(hi, dtype=float), (n,))
        unsafe = np.isnan(lo) | np.isnan(hi) | (np.isfinite(lo) & (np.abs(lo) > MAX_BOUND)) | \
            (np.isfinite(hi) & (np.abs(hi) > MAX_BOUND))
        if unsafe.any():
            k = int(np.flatnonzero(unsafe)[0])
            raise ValueError(f"row {names[k]}: bounds {lo[k]!r}, {hi[k]!r} are not safe numbers")
        if self.period is not None:
            scoped = [self._in_period(name, owner) for name, owner in zip(names, owners)]
            names, owners = [s[0] for s in scoped], [s[1] for s in scoped]
        self._flush()
        self._chunks.append((cols, vals))
        self._count.extend(counts.tolist())
        self._rname.extend(names)
        self._family.extend([family] * n if isinstance(family, str) else family)
        self._lo.extend(lo.tolist())
        self._hi.extend(hi.tolist())
        self._origin.extend([origins] * n if isinstance(origins, str) else origins)
        self._rowner.extend(owners)
        self._changed()

    def add_batch(self, batch: "RowBatch") -> None:
        """The rows a RowBatch collected, in the order it collected them."""
        if batch.names:
            self.add_rows(batch.families, batch.names, batch.counts, batch.cols, batch.vals, batch.lo, batch.hi,
                          batch.origins, batch.owners)

    def _check(self, name: str, coefficients: np.ndarray, indices: np.ndarray) -> None:
        bad = ~np.isfinite(coefficients) | (np.abs(coefficients) > MAX_COEFFICIENT)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(f"row {name}: coefficient {float(coefficients[k])!r} of "
                             f"{self._vname[int(indices[k])]} is not a safe number")

    def _flush(self) -> None:
        if self._cols:
            self._chunks.append((np.array(self._cols, dtype=np.int64), np.array(self._vals, dtype=float)))
            self._cols, self._vals = [], []

    def ge(self, name: str, family: str, lhs: Expr, rhs, origin: str = "", owner: Owner | None = None) -> Row:
        return self.add(name, family, lhs - rhs, lo=0.0, origin=origin, owner=owner)

    def le(self, name: str, family: str, lhs: Expr, rhs, origin: str = "", owner: Owner | None = None) -> Row:
        return self.add(name, family, lhs - rhs, hi=0.0, origin=origin, owner=owner)

    def eq(self, name: str, family: str, lhs: Expr, rhs, origin: str = "", owner: Owner | None = None) -> Row:
        return self.add(name, family, lhs - rhs, lo=0.0, hi=0.0, origin=origin, owner=owner)

    def with_rows(self, rows, objective: Expr | None = None) -> "LinearModel":
        """A model with these variables (copied) and the given rows (Row objects) and objective."""
        out = LinearModel()
        out._vname, out._lb, out._ub = list(self._vname), list(self._lb), list(self._ub)
        out._int, out._vowner = list(self._int), list(self._vowner)
        for row in rows:
            out._cols.extend(row.terms.keys())
            out._vals.extend(row.terms.values())
            out._count.append(len(row.terms))
            out._append_row(row.name, row.family, row.lo, row.hi, row.origin, row.owner)
        out.objective = Expr() if objective is None else objective
        return out

    # ------------------------------------------------------------------ arrays

    def _csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The rows as CSR arrays in the order their terms were given (duplicates never occur: each row's
        terms come from one dict or from one normalised expression)."""
        if "csr" not in self._cache:
            self._flush()
            if len(self._chunks) > 1:
                self._chunks = [(np.concatenate([c[0] for c in self._chunks]),
                                 np.concatenate([c[1] for c in self._chunks]))]
            cols, vals = self._chunks[0] if self._chunks else (np.zeros(0, np.int64), np.zeros(0))
            indptr = np.zeros(len(self._count) + 1, dtype=np.int64)
            np.cumsum(self._count, out=indptr[1:])
            self._cache["csr"] = (indptr, cols, vals)
        return self._cache["csr"]

    def matrix(self) -> Matrix:
        """The model as arrays (cached while it does not change): bounds, objective, CSR rows sorted by column."""
        if "matrix" not in self._cache:
            indptr, cols, vals = self._csr()
            m = len(self._rname)
            rows = np.repeat(np.arange(m, dtype=np.int64), np.diff(indptr))
            indptr, cols, vals = csr(rows, cols, vals, m)
            self._cache["matrix"] = Matrix(np.array(self._lb, dtype=float), np.array(self._ub, dtype=float),
                                           np.array(self._int, dtype=bool), np.zeros(0), 0.0,
                                           np.array(self._lo, dtype=float), np.array(self._hi, dtype=float),
                                           indptr, cols, vals)
        base = self._cache["matrix"]
        cost = np.zeros(len(self._vname))
        indices, coefficients = self._objective.arrays()
        if len(indices):
            cost[indices] = coefficients
        return replace(base, cost=cost, offset=float(self._objective.constant))

    def families(self) -> np.ndarray:
        """Each row's family, as an array (to select rows by family without building Row objects)."""
        if "families" not in self._cache:
            self._cache["families"] = np.array(self._family, dtype=object)
        return self._cache["families"]

    def row_owner(self, j: int) -> Owner | None:
        """Row j's owner, without building (and caching) its Row object with all its terms."""
        return self._rowner[j]

    def widest_row(self) -> tuple[str, float, float]:
        """(name, smallest, largest) non-zero |coefficient| of the row, or the objective, whose coefficients
        span the most; ("", 1, 1) for an empty model. Engines scale every row by itself, so a span within
        one row costs precision, not one across the model (a cluster costing 1.6e8 in the capex row and a
        rack packing factor of 0.02 in another are both fine)."""
        from dcplan.model.matrix import widest_row

        k, small, large = widest_row(self.matrix())
        return ("", 1.0, 1.0) if k is None else ("objective" if k < 0 else self._rname[k], small, large)

    def to_lp(self) -> str:
        from dcplan.model.text import lp_text

        return lp_text(self)

    def to_mps(self) -> str:
        from dcplan.model.text import mps_text

        return mps_text(self)


class RowBatch:
    """Rows collected in flat lists and handed to a LinearModel in one call (`lm.add_batch`): how families
    write thousands of rows without a Python object per term."""

    def __init__(self):
        self.names: list[str] = []
        self.families: list[str] = []
        self.counts: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.origins: list[str] = []
        self.owners: list[Owner | None] = []

    def add(self, name: str, family: str, cols, vals, lo: float = -INF, hi: float = INF, origin: str = "",
            owner: Owner | None = None) -> None:
        """lo ≤ Σ vals·x[cols] ≤ hi (each column once)."""
        self.names.append(name)
        self.families.append(family)
        self.counts.append(len(cols))
        self.cols.extend(cols)
        self.vals.extend(vals)
        self.lo.append(lo)
        self.hi.append(hi)
        self.origins.append(origin)
        self.owners.append(owner)

    def expr(self, name: str, family: str, expr: Expr, lo: float = -INF, hi: float = INF, origin: str = "",
             owner: Owner | None = None) -> None:
        """lo ≤ expr ≤ hi, the expression's constant moved into the bounds (as LinearModel.add does)."""
        indices, coefficients = expr.arrays()
        self.add(name, family, indices.tolist(), coefficients.tolist(), lo - expr.constant, hi - expr.constant,
                 origin, owner)


class VarBatch:
    """Variables collected in order and added in one call (`lm.add_vars`); each knows its index at once."""

    def __init__(self, model: LinearModel):
        self.model, self.start = model, len(model._vname)
        self.names: list[str] = []
        self.lb: list[float] = []
        self.ub: list[float] = []
        self.integer: list[bool] = []
        self.owners: list[Owner | None] = []

    def add(self, name: str, lb: float = 0.0, ub: float = INF, integer: bool = True, owner: Owner | None = None) -> int:
        self.names.append(name)
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(integer)
        self.owners.append(owner)
        return self.start + len(self.names) - 1

    def commit(self) -> None:
        if len(self.model._vname) != self.start:
            raise RuntimeError("variables were added to the model while a VarBatch was open")
        if self.names:
            self.model.add_vars(self.names, self.lb, self.ub, self.integer, self.owners)
