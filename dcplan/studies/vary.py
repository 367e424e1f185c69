"""`--vary PATH=VALUES`: what a study varies, read from the command line.

VALUES is one of
  a list      `6 MW,8 MW,10 MW`   each item read as YAML like a `--set` VALUE
  a range     `6MW..10MW:5`       N evenly spaced values from A to B, both ends included
  a draw      `normal(8 MW, 1 MW)`, `uniform(a, b)`, `triangular(low, mode, high)`, `lognormal(median, sigma)`
PATH is the `--set` addressing (dotted, indices or names). Numbers may carry a unit; the ends of a
range and the parameters of a draw are converted to the unit of the first one that has a unit, so
the field's own validation checks the dimension (a power where a time is expected is an error).
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

from dcplan.scenario import units
from dcplan.scenario.overrides import OverrideError, parse_override, split_path


class StudyInputError(ValueError):
    """A `--vary`, `--samples`, `--objectives` or executor option that cannot be used (exit 2)."""


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*(.*?)\s*$")
_RANGE = re.compile(r"^(?P<a>[^:]+?)\s*\.\.\s*(?P<b>[^:]+?)\s*:\s*(?P<n>\S+)\s*$")
_CALL = re.compile(r"^\s*(?P<name>[A-Za-z_]\w*)\s*\((?P<args>.*)\)\s*$", re.S)

DISTRIBUTIONS = {
    "normal": ("mean", "sd"),
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "lognormal": ("median", "sigma"),
}
"""Each distribution and its parameters, in order. lognormal's sigma is of the logarithm (no unit)."""


@dataclass(frozen=True)
class Distribution:
    name: str
    params: tuple[float, ...]
    unit: str  # the unit of the parameters ('' for plain numbers); sigma of lognormal has none

    def draw(self, rng: random.Random) -> float:
        p = self.params
        if self.name == "normal":
            return rng.gauss(p[0], p[1])
        if self.name == "uniform":
            return rng.uniform(p[0], p[1])
        if self.name == "triangular":
            return rng.triangular(p[0], p[2], p[1])  # random.triangular(low, high, mode)
        return p[0] * math.exp(rng.gauss(0.0, p[1]))

    @property
    def centre(self) -> float:
        """The value a study validates before drawing: mean, midpoint, mode or median."""
        p = self.params
        return {"normal": p[0], "uniform": (p[0] + p[1]) / 2, "triangular": p[1], "lognormal": p[0]}[self.name]

    def text(self) -> str:
        names = DISTRIBUTIONS[self.name]
        shown = [_with_unit(v, self.unit if not (self.name == "lognormal" and n == "sigma") else "")
                 for v, n in zip(self.params, names)]
        return f"{self.name}({', '.join(shown)})"


@dataclass(frozen=True)
class Vary:
    """One `--vary`: a path and either its listed values or a distribution to draw from."""

    path: str
    spec: str  # VALUES as given
    kind: str  # list | range | a distribution's name
    values: tuple = ()
    distribution: Distribution | None = None


def parse_vary(text: str) -> Vary:
    """'sites.ash1.power=6MW..10MW:3' → Vary(path, values=('6 MW', '8 MW', '10 MW')). Raises StudyInputError."""
    if "=" not in text:
        raise StudyInputError(f"--vary {text!r}: expected PATH=VALUES")
    path, spec = (part.strip() for part in text.split("=", 1))
    if not path:
        raise StudyInputError(f"--vary {text!r}: the PATH before '=' is empty")
    try:
        split_path(path)
    except OverrideError as err:
        raise StudyInputError(f"--vary {text!r}: {err}") from None
    if not spec:
        raise StudyInputError(f"--vary {text!r}: no values after '='")
    items = _top_level_split(spec)
    call, span = _CALL.match(spec), _RANGE.match(spec)
    if call and len(items) == 1:
        distribution = _distribution(text, call["name"], call["args"])
        return Vary(path, spec, distribution.name, distribution=distribution)
    if span and len(items) == 1:
        return Vary(path, spec, "range", values=_range(text, span))
    if any(not item.strip() for item in items):
        raise StudyInputError(f"--vary {text!r}: an empty value between commas")
    try:
        values = tuple(parse_override(f"{path}={item}", "--vary")[1] for item in items)
    except OverrideError as err:
        raise StudyInputError(str(err)) from None
    return Vary(path, spec, "list", values=values)


def _top_level_split(spec: str) -> list[str]:
    """Split at commas outside brackets, braces, parentheses and quotes (a value may be a YAML list)."""
    parts, depth, quote, current = [], 0, "", []
    for char in spec:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    return [*parts, "".join(current)]


def _quantity(text: str, where: str) -> tuple[float, str, tuple]:
    """'6 MW' → (6.0, 'MW', (factor, dimension)); a plain number has unit ''."""
    match = _QUANTITY.match(text)
    if not match:
        raise StudyInputError(f"{where}: {text.strip()!r} is not a number (with an optional unit)")
    unit_text = match.group(2)
    try:
        scale = units.parse_unit(unit_text) if unit_text else (1.0, units.DIMENSIONLESS)
    except units.UnitError as err:
        raise StudyInputError(f"{where}: {err}") from None
    number = float(match.group(1))
    if not math.isfinite(number):
        raise StudyInputError(f"{where}: {text.strip()!r} is not a finite number")
    return number, unit_text, scale


def _common_unit(quantities: list[tuple[float, str, tuple]], where: str) -> tuple[list[float], str]:
    """The numbers in the unit of the first quantity that has one (plain numbers are taken in it)."""
    with_unit = [q for q in quantities if q[1]]
    if not with_unit:
        return [q[0] for q in quantities], ""
    _, symbol, (factor, dim) = with_unit[0]
    numbers = []
    for number, unit_text, (f, d) in quantities:
        if unit_text and d != dim:
            raise StudyInputError(f"{where}: {number:g} {unit_text} and {symbol} are quantities of different kinds")
        numbers.append(number * f / factor if unit_text else number)
    return numbers, symbol


def _range(text: str, match) -> tuple:
    where = f"--vary {text!r}"
    try:
        count = int(match["n"])
    except ValueError:
        raise StudyInputError(f"{where}: the count after ':' must be a whole number, found {match['n']!r}") from None
    ends = [_quantity(match["a"], where), _quantity(match["b"], where)]
    (a, b), symbol = _common_unit(ends, where)
    if count < 1:
        raise StudyInputError(f"{where}: the range is empty (A..B:N needs N ≥ 1)")
    if count == 1 and a != b:
        raise StudyInputError(f"{where}: one value cannot span {match['a'].strip()}..{match['b'].strip()}; "
                              "give N ≥ 2, or list the one value")
    if count > 100_000:
        raise StudyInputError(f"{where}: {count:,} values is more than a study of 100,000 points")
    step = 0.0 if count == 1 else (b - a) / (count - 1)
    numbers = [float(f"{a + i * step:.12g}") for i in range(count)]
    integral = not symbol and all(re.fullmatch(r"\s*[-+]?\d+\s*", e) for e in (match["a"], match["b"])) and \
        all(n == int(n) for n in numbers)
    return tuple(int(n) if integral else _with_unit(n, symbol) for n in numbers)


def _with_unit(number: float, symbol: str):
    return f"{number:.12g} {symbol}" if symbol else number


def _distribution(text: str, name: str, args: str) -> Distribution:
    where = f"--vary {text!r}"
    if name not in DISTRIBUTIONS:
        known = ", ".join(f"{n}({', '.join(p)})" for n, p in DISTRIBUTIONS.items())
        raise StudyInputError(f"{where}: unknown distribution {name!r}; expected {known}")
    expected = DISTRIBUTIONS[name]
    parts = [p for p in _top_level_split(args)]
    if len(parts) != len(expected) or any(not p.strip() for p in parts):
        raise StudyInputError(f"{where}: {name} takes {len(expected)} parameters ({', '.join(expected)})")
    quantities = [_quantity(p, where) for p in parts]
    if name == "lognormal":
        if quantities[1][1]:
            raise StudyInputError(f"{where}: lognormal's sigma is of the logarithm and has no unit")
        (median,), symbol = _common_unit(quantities[:1], where)
        params = (median, quantities[1][0])
    else:
        numbers, symbol = _common_unit(quantities, where)
        params = tuple(numbers)
    _check_parameters(where, name, params)
    return Distribution(name, params, symbol)


def _check_parameters(where: str, name: str, p: tuple[float, ...]) -> None:
    problem = None
    if name == "normal" and p[1] < 0:
        problem = "the standard deviation must be at least 0"
    elif name == "uniform" and p[0] > p[1]:
        problem = "low must not be above high"
    elif name == "triangular" and not p[0] <= p[1] <= p[2]:
        problem = "expected low ≤ mode ≤ high"
    elif name == "lognormal" and (p[0] <= 0 or p[1] < 0):
        problem = "the median must be above 0 and sigma at least 0"
    if problem:
        raise StudyInputError(f"{where}: {problem}")
