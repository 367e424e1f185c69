"""Linear expressions: the sums the model's rows, totals and objective are written in."""

from __future__ import annotations

import numpy as np


class Expr:
    """A linear expression: {variable index: coefficient} + constant.

    Small expressions are a dict. Large sums (plan totals, the objective) are held as arrays of
    (index, coefficient) chunks, built in bulk with `Expr.of` and added up lazily, so a total over
    a million variables never becomes a million dict entries unless someone asks for `terms`.
    """

    __slots__ = ("_terms", "_chunks", "_normal", "constant")

    def __init__(self, terms: dict[int, float] | None = None, constant: float = 0.0):
        self._terms = terms if terms is not None else {}
        self._chunks = None
        self._normal = False
        self.constant = constant

    @classmethod
    def of(cls, indices, coefficients, constant: float = 0.0) -> "Expr":
        """Σ coefficients[k]·x[indices[k]] + constant, held as arrays (repeated indices add up)."""
        chunks = [(np.asarray(indices, dtype=np.int64), np.asarray(coefficients, dtype=float))]
        return cls._from_chunks(chunks, float(constant))

    @property
    def terms(self) -> dict[int, float]:
        if self._terms is None:
            indices, coefficients = self.arrays()
            self._terms = dict(zip(indices.tolist(), coefficients.tolist()))
            self._chunks = None
        return self._terms

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(indices, coefficients), each index once, no zero coefficient."""
        if self._terms is not None:
            n = len(self._terms)
            return (np.fromiter(self._terms.keys(), dtype=np.int64, count=n),
                    np.fromiter(self._terms.values(), dtype=float, count=n))
        if not self._normal:
            indices = np.concatenate([c[0] for c in self._chunks] + [np.zeros(0, dtype=np.int64)])
            coefficients = np.concatenate([c[1] for c in self._chunks] + [np.zeros(0)])
            unique, inverse = np.unique(indices, return_inverse=True)
            summed = np.bincount(inverse, weights=coefficients, minlength=len(unique))
            keep = summed != 0.0
            self._chunks, self._normal = [(unique[keep], summed[keep])], True
        return self._chunks[0]

    def __len__(self) -> int:
        return len(self._terms) if self._terms is not None else len(self.arrays()[0])

    @property
    def held_as_arrays(self) -> bool:
        """A large sum kept as arrays: evaluate it with a numpy array of values, not a list."""
        return self._terms is None

    def copy(self) -> "Expr":
        if self._terms is not None:
            return Expr(dict(self._terms), self.constant)
        copy = Expr._from_chunks(list(self._chunks), self.constant)
        copy._normal = self._normal
        return copy

    @classmethod
    def _from_chunks(cls, chunks, constant: float) -> "Expr":
        expr = cls.__new__(cls)
        expr._terms, expr._chunks, expr._normal, expr.constant = None, chunks, False, constant
        return expr

    def add_term(self, index: int, coefficient: float) -> "Expr":
        if coefficient:
            terms = self.terms
            terms[index] = terms.get(index, 0.0) + coefficient
        return self

    def add_scaled(self, other: "Expr", factor: float) -> "Expr":
        """self += factor · other, in place (building big sums without temporary copies)."""
        if self._terms is not None and other._terms is not None:
            terms = self._terms
            for index, coefficient in other._terms.items():
                if coefficient * factor:
                    terms[index] = terms.get(index, 0.0) + coefficient * factor
        else:
            if self._terms is not None:
                self._chunks, self._terms = [self.arrays()], None
            indices, coefficients = other.arrays()
            self._chunks.append((indices, coefficients * factor))
            self._normal = False
        self.constant += other.constant * factor
        return self

    def __iadd__(self, other):
        if isinstance(other, Expr):
            return self.add_scaled(other, 1.0)
        self.constant += float(other)
        return self

    def __add__(self, other):
        result = self.copy()
        result += other
        return result

    __radd__ = __add__

    def __mul__(self, factor: float):
        factor = float(factor)
        if self._terms is not None:
            return Expr({i: c * factor for i, c in self._terms.items() if c * factor}, self.constant * factor)
        indices, coefficients = self.arrays()
        return Expr.of(indices, coefficients * factor, self.constant * factor)

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other if isinstance(other, Expr) else -float(other))

    def __rsub__(self, other):
        return (-self) + other

    def value(self, values) -> float:
        if self._terms is not None:
            return self.constant + sum(c * values[i] for i, c in self._terms.items())
        indices, coefficients = self.arrays()
        if isinstance(values, np.ndarray):
            return self.constant + float(coefficients @ values[indices])
        picked = np.fromiter(map(values.__getitem__, indices.tolist()), dtype=float, count=len(indices))
        return self.constant + float(coefficients @ picked)  # a list: gather only this expression's terms


def total(expressions) -> Expr:
    result = Expr()
    for expression in expressions:
        result += expression
    return result
