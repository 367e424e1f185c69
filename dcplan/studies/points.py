"""A study's points: the scenario read once, then one validated Scenario per combination or draw.

Every point is the scenario file's data with `--set`, then the point's `--vary` values applied
(the `--set` addressing), validated exactly like the file (dcplan.scenario.load.ScenarioDocument).
A grid value the scenario's rules refuse is the user's input, so it stops the study (exit 2); a
draw outside a field's bounds (a normal draw below zero) is a row of its own with status `invalid`.
`objective.NAME` varies one weight of a weighted objective: a single-name objective `tco` first
becomes the weights {tco: 1}.
"""

from __future__ import annotations

import itertools
import random
import typing
from dataclasses import dataclass, field

from dcplan.diagnostics import Diagnostic
from dcplan.scenario.fields import Quantity
from dcplan.scenario.load import ScenarioDocument, read_document
from dcplan.scenario.overrides import OverrideError, parse_override, split_path
from dcplan.studies.vary import StudyInputError, Vary

MAX_POINTS = 100_000
DRAW_DIGITS = 6


class InvalidStudy(StudyInputError):
    """The scenario, or a point of the study, does not validate: its diagnostics say why (exit 2)."""

    def __init__(self, message: str, diagnostics: list[Diagnostic]):
        super().__init__(message)
        self.diagnostics = diagnostics


@dataclass
class Point:
    index: int
    values: dict  # PATH → the value set at this point (as given, or drawn)
    scenario: object | None  # the validated Scenario; None when the point is invalid
    status: str | None = None  # "invalid" for a draw the scenario's rules refuse
    reason: str | None = None


@dataclass
class Base:
    """The scenario file read and validated once, with the study's `--set` overrides (and --objective)."""

    document: ScenarioDocument
    pairs: list = field(default_factory=list)
    scenario: object = None

    def validate(self, varied: list[tuple[str, object]]):
        return self.document.validate([*self.pairs, *self._weights(varied), *varied],
                                      source="--set/--vary" if self.pairs else "--vary")

    def _weights(self, varied) -> list:
        """`objective.carbon` varies a weight: a single objective name becomes {name: 1} first."""
        if isinstance(self.scenario.objective, str) and any(split_path(p)[0] == "objective" for p, _ in varied):
            return [("objective", {self.scenario.objective: 1.0})]
        return []


def load_base(path, overrides=(), objective=None) -> Base:
    """Read and validate the scenario once; InvalidStudy with its diagnostics when it does not validate."""
    document, problems = read_document(path)
    if document is None:
        raise InvalidStudy(f"{path}: cannot be read", problems)
    base = Base(document)
    for text in overrides:
        try:
            base.pairs.append(parse_override(text))
        except OverrideError as err:
            raise StudyInputError(str(err)) from None
    if objective is not None:
        base.pairs.append(("objective", objective))
    loaded = document.validate(base.pairs)
    if not loaded.ok:
        raise InvalidStudy(f"{path}: the scenario does not validate", loaded.diagnostics)
    base.scenario = loaded.scenario
    return base


def grid_points(base: Base, varies: list[Vary]) -> list[Point]:
    """The cross product of every `--vary`'s values, the first --vary varying slowest."""
    count = 1
    for vary in varies:
        count *= len(vary.values)
    if count > MAX_POINTS:
        raise StudyInputError(f"the grid has {count:,} points; a study runs at most {MAX_POINTS:,}")
    points = []
    for index, combination in enumerate(itertools.product(*(vary.values for vary in varies))):
        pairs = [(vary.path, value) for vary, value in zip(varies, combination)]
        loaded = base.validate(pairs)
        if not loaded.ok:
            shown = ", ".join(f"{p}={v}" for p, v in pairs)
            raise InvalidStudy(f"the point {shown} does not validate", loaded.diagnostics)
        points.append(Point(index, dict(pairs), loaded.scenario))
    return points


def sample_points(base: Base, varies: list[Vary], samples: int, seed: int) -> list[Point]:
    """`samples` draws of every `--vary` distribution, reproducible from `seed` (draw i, --vary order)."""
    if not 1 <= samples <= MAX_POINTS:
        raise StudyInputError(f"--samples must be from 1 to {MAX_POINTS:,}, found {samples}")
    whole = {vary.path: isinstance(read_back(base.scenario, vary.path), int) for vary in varies}
    centre = [(v.path, _drawn(v, v.distribution.centre, whole[v.path])) for v in varies]
    loaded = base.validate(centre)
    if not loaded.ok:  # the parameters themselves are wrong (a unit of another kind, a bad path)
        raise InvalidStudy("the distributions' central values do not validate", loaded.diagnostics)
    rng = random.Random(seed)
    points = []
    for index in range(samples):
        pairs = [(v.path, _drawn(v, v.distribution.draw(rng), whole[v.path])) for v in varies]
        loaded = base.validate(pairs)
        if loaded.ok:
            points.append(Point(index, dict(pairs), loaded.scenario))
        else:
            reason = "; ".join(f"{d.path}: {d.message}" for d in loaded.diagnostics if d.is_error)
            points.append(Point(index, dict(pairs), None, "invalid", reason))
    return points


def _drawn(vary: Vary, number: float, whole: bool):
    """A drawn number as the value to set: rounded to a whole number for a whole-number field, else to
    DRAW_DIGITS significant digits (far finer than any planning input), with the unit if it has one."""
    number = round(number) if whole else float(f"{number:.{DRAW_DIGITS}g}")
    return f"{number!r} {vary.distribution.unit}" if vary.distribution.unit else number


def read_back(scenario, path: str):
    """The value at `path` in a validated Scenario (quantities in the field's unit); None if unset."""
    node = scenario
    for part in split_path(path):
        if isinstance(node, dict):
            node = node.get(str(part))
        elif isinstance(node, (list, tuple)):
            node = _element(node, part)
        elif node is not None:
            node = getattr(node, str(part), None)
        if node is None:
            return None
    return node if isinstance(node, (int, float, str, bool)) else None


def _element(items, part):
    if isinstance(part, int):
        return items[part] if 0 <= part < len(items) else None
    return next((item for item in items if part in (getattr(item, "name", None), getattr(item, "id", None))), None)


def field_unit(scenario, path: str) -> str | None:
    """The unit a field's plain numbers are in ('kW' for sites.0.power); None for counts and names."""
    node, info = scenario, None
    for part in split_path(path):
        if isinstance(node, (list, tuple)):
            node, info = _element(node, part), None
        elif hasattr(type(node), "model_fields") and str(part) in type(node).model_fields:
            info = type(node).model_fields[str(part)]
            node = getattr(node, str(part))
        else:
            return None
        if node is None and info is None:
            return None
    return _quantity_unit(info.metadata + [info.annotation]) if info is not None else None


def _quantity_unit(annotations) -> str | None:
    for annotation in annotations:
        if isinstance(annotation, Quantity):
            return annotation.unit.symbol or None
        found = _quantity_unit(list(typing.get_args(annotation))) if typing.get_args(annotation) else None
        if found:
            return found
    return None
