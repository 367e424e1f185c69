"""An engine-neutral mixed-integer linear model with named rows.

model.py writes the plan's mathematics into a LinearModel; solve.py hands the
same model to OR-Tools or PuLP. Keeping one neutral form means every engine
sees identical rows, the LP dump reads like the scenario (rows are named
`power[site=ash1]`), and nothing downstream depends on an engine's API.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

INF = math.inf
MAX_COEFFICIENT = 1e12  # beyond this an engine's tolerances stop meaning anything
MAX_BOUND = 1e15  # a finite row bound beyond this is a slip (engines treat ~1e20 as infinite)
ROW_TOLERANCE = 1e-6  # relative: how far a plan may sit outside a row's bounds (engine feasibility noise)


class Expr:
    """A linear expression: {variable index: coefficient} + constant."""

    __slots__ = ("terms", "constant")

    def __init__(self, terms: dict[int, float] | None = None, constant: float = 0.0):
        self.terms = terms if terms is not None else {}
        self.constant = constant

    def copy(self) -> "Expr":
        return Expr(dict(self.terms), self.constant)

    def add_term(self, index: int, coefficient: float) -> "Expr":
        if coefficient:
            self.terms[index] = self.terms.get(index, 0.0) + coefficient
        return self

    def add_scaled(self, other: "Expr", factor: float) -> "Expr":
        """self += factor · other, in place (building big sums without temporary copies)."""
        for index, coefficient in other.terms.items():
            self.add_term(index, coefficient * factor)
        self.constant += other.constant * factor
        return self

    def __iadd__(self, other):
        if isinstance(other, Expr):
            for index, coefficient in other.terms.items():
                self.add_term(index, coefficient)
            self.constant += other.constant
        else:
            self.constant += float(other)
        return self

    def __add__(self, other):
        result = self.copy()
        result += other
        return result

    __radd__ = __add__

    def __mul__(self, factor: float):
        factor = float(factor)
        return Expr({i: c * factor for i, c in self.terms.items() if c * factor}, self.constant * factor)

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other if isinstance(other, Expr) else -float(other))

    def __rsub__(self, other):
        return (-self) + other

    def value(self, values) -> float:
        return self.constant + sum(c * values[i] for i, c in self.terms.items())


def total(expressions) -> Expr:
    result = Expr()
    for expression in expressions:
        result += expression
    return result


@dataclass(frozen=True)
class Owner:
    """Who a variable or row belongs to, recorded when it is created (never parsed back from names).

    `detail` tells apart variables of one owner and symbol (a spare step j, a switch type and
    port speed). Moving an owner to another site (`at`) finds the same variable there, which is
    how a workload's configuration is shifted between sites (dcplan.solve.master).
    """

    workload: str | None = None
    item: str | None = None
    site: str | None = None
    group: str | None = None
    period: str | None = None
    detail: tuple = ()

    def at(self, site: str) -> "Owner":
        return Owner(self.workload, self.item, site, self.group, self.period, self.detail)


@dataclass
class Variable:
    name: str
    lb: float
    ub: float
    integer: bool
    owner: Owner | None = None

    @property
    def symbol(self) -> str:
        """The name's symbol: `x` for `x[workload=...]`."""
        return self.name.split("[", 1)[0]


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


@dataclass
class LinearModel:
    variables: list[Variable] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    objective: Expr = field(default_factory=Expr)
    names: dict[str, int] = field(default_factory=dict)
    owned: dict[tuple[str, Owner], int] = field(default_factory=dict)  # (symbol, owner) -> variable
    period: str | None = None
    """While set, every variable and row created belongs to this period of a build-out: its name gains
    `period=<label>` and its owner the period, so one period's model can be built next to another's."""

    def _in_period(self, name: str, owner: Owner | None) -> tuple[str, Owner | None]:
        if self.period is None:
            return name, owner
        scoped = f"{name[:-1]},period={self.period}]" if name.endswith("]") else f"{name}[period={self.period}]"
        return scoped, replace(owner or Owner(), period=self.period)

    def var(self, name: str, lb: float = 0.0, ub: float = INF, integer: bool = True,
            owner: Owner | None = None) -> Expr:
        name, owner = self._in_period(name, owner)
        if name in self.names:
            raise ValueError(f"variable {name} defined twice")
        index = len(self.variables)
        variable = Variable(name, lb, ub, integer, owner)
        self.variables.append(variable)
        self.names[name] = index
        if owner is not None:
            self.owned[(variable.symbol, owner)] = index
        return Expr({index: 1.0})

    def find(self, symbol: str, owner: Owner) -> int | None:
        """The variable of this symbol and owner, if the model has one."""
        return self.owned.get((symbol, owner))

    def add(self, name: str, family: str, expr: Expr, lo: float = -INF, hi: float = INF, origin: str = "",
            owner: Owner | None = None) -> Row:
        """Add lo ≤ expr ≤ hi. Refuses NaN, infinite or absurd coefficients: a solver must never see them."""
        name, owner = self._in_period(name, owner)
        for index, coefficient in expr.terms.items():
            if not math.isfinite(coefficient) or abs(coefficient) > MAX_COEFFICIENT:
                raise ValueError(f"row {name}: coefficient {coefficient!r} of {self.variables[index].name} "
                                 f"is not a safe number")
        lo, hi = lo - expr.constant, hi - expr.constant
        for bound in (lo, hi):
            if math.isnan(bound) or (math.isfinite(bound) and abs(bound) > MAX_BOUND):
                raise ValueError(f"row {name}: bound {bound!r} is not a safe number")
        row = Row(name, family, {i: c for i, c in expr.terms.items() if c}, lo, hi, origin, owner)
        self.rows.append(row)
        return row

    def ge(self, name: str, family: str, lhs: Expr, rhs, origin: str = "", owner: Owner | None = None) -> Row:
        return self.add(name, family, lhs - rhs, lo=0.0, origin=origin, owner=owner)

    def le(self, name: str, family: str, lhs: Expr, rhs, origin: str = "", owner: Owner | None = None) -> Row:
        return self.add(name, family, lhs - rhs, hi=0.0, origin=origin, owner=owner)

    def eq(self, name: str, family: str, lhs: Expr, rhs, origin: str = "", owner: Owner | None = None) -> Row:
        return self.add(name, family, lhs - rhs, lo=0.0, hi=0.0, origin=origin, owner=owner)

    def to_lp(self) -> str:
        """CPLEX LP text, with names made LP-safe, for bug reports (--save-model)."""
        safe = [_lp_name(v.name) for v in self.variables]

        def linear(terms: dict[int, float]) -> str:
            parts = [f"{'+' if c >= 0 else '-'} {abs(c):.12g} {safe[i]}" for i, c in sorted(terms.items())]
            return " ".join(parts) if parts else "0 " + safe[0]

        lines = ["\\ dcplan model", "Minimize", f" obj: {linear(self.objective.terms)}", "Subject To"]
        for row in self.rows:
            name = _lp_name(row.name)
            if row.lo == row.hi:
                lines.append(f" {name}: {linear(row.terms)} = {row.lo:.12g}")
                continue
            if row.lo > -INF:
                lines.append(f" {name}_lo: {linear(row.terms)} >= {row.lo:.12g}")
            if row.hi < INF:
                lines.append(f" {name}_hi: {linear(row.terms)} <= {row.hi:.12g}")
        lines.append("Bounds")
        for v, name in zip(self.variables, safe):
            upper = "+inf" if v.ub == INF else f"{v.ub:.12g}"
            lines.append(f" {v.lb:.12g} <= {name} <= {upper}")
        integers = [name for v, name in zip(self.variables, safe) if v.integer]
        if integers:
            lines.append("General")
            lines.extend(f" {name}" for name in integers)
        lines.append("End")
        return "\n".join(lines) + "\n"


    def to_mps(self) -> str:
        """Free-format MPS text (integer columns between MARKER lines, explicit bounds)."""
        safe = [_lp_name(v.name) for v in self.variables]
        rows = []  # (name, kind, rhs, range) for rows that constrain anything
        for j, row in enumerate(self.rows):
            name = f"{_lp_name(row.name)}_{j}"
            if row.lo == row.hi:
                rows.append((j, name, "E", row.lo, None))
            elif row.lo > -INF and row.hi < INF:
                rows.append((j, name, "G", row.lo, row.hi - row.lo))
            elif row.lo > -INF:
                rows.append((j, name, "G", row.lo, None))
            elif row.hi < INF:
                rows.append((j, name, "L", row.hi, None))
        columns: dict[int, list[tuple[str, float]]] = {i: [] for i in range(len(self.variables))}
        for i, c in self.objective.terms.items():
            columns[i].append(("obj", c))
        for j, name, _, _, _ in rows:
            for i, c in self.rows[j].terms.items():
                columns[i].append((name, c))
        lines = ["NAME dcplan", "ROWS", " N obj"] + [f" {kind} {name}" for _, name, kind, _, _ in rows]
        lines.append("COLUMNS")
        marker_open = False
        for i, v in enumerate(self.variables):
            if v.integer != marker_open:
                lines.append(f"    MARKER 'MARKER' '{'INTORG' if v.integer else 'INTEND'}'")
                marker_open = v.integer
            entries = columns[i] or [("obj", 0.0)]
            lines.extend(f"    {safe[i]} {row} {c:.17g}" for row, c in entries)
        if marker_open:
            lines.append("    MARKER 'MARKER' 'INTEND'")
        lines.append("RHS")
        lines.extend(f"    rhs {name} {rhs:.17g}" for _, name, _, rhs, _ in rows if rhs)
        if self.objective.constant:
            lines.append(f"    rhs obj {-self.objective.constant:.17g}")
        ranged = [(name, span) for _, name, _, _, span in rows if span is not None]
        if ranged:
            lines.append("RANGES")
            lines.extend(f"    rng {name} {span:.17g}" for name, span in ranged)
        lines.append("BOUNDS")
        for v, name in zip(self.variables, safe):
            lines.append(f" LO bnd {name} {v.lb:.17g}")
            lines.append(f" PL bnd {name}" if v.ub == INF else f" UP bnd {name} {v.ub:.17g}")
        lines.append("ENDATA")
        return "\n".join(lines) + "\n"

    def widest_row(self) -> tuple[str, float, float]:
        """(name, smallest, largest) non-zero |coefficient| of the row, or the objective, whose coefficients
        span the most; ("", 1, 1) for an empty model. Engines scale every row by itself, so a span within
        one row costs precision, not one across the model (a cluster costing 1.6e8 in the capex row and a
        rack packing factor of 0.02 in another are both fine)."""
        widest = ("", 1.0, 1.0)
        for name, terms in [(row.name, row.terms) for row in self.rows] + [("objective", self.objective.terms)]:
            sizes = [abs(c) for c in terms.values() if c]
            if sizes and max(sizes) / min(sizes) > widest[2] / widest[1]:
                widest = (name, min(sizes), max(sizes))
        return widest


_LP_ALLOWED = set("!\"#$%&()/,.;?@_`'{}|~")


def _lp_name(name: str) -> str:
    """`power[site=ash1]` → `power(site_ash1)`: CPLEX LP names allow no brackets or '='."""
    name = name.replace("[", "(").replace("]", ")")
    return "".join(ch if ch.isalnum() or ch in _LP_ALLOWED else "_" for ch in name)
