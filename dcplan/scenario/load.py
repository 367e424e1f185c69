"""Load a scenario file end to end: YAML → overrides → schema → references.

Returns a Scenario or the complete list of Diagnostics; never raises on bad
input. Nothing here imports a solver, so `dcplan validate` stays fast.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from dcplan.diagnostics import Diagnostic
from dcplan.scenario.constraint_names import check_constraint_names
from dcplan.scenario.loader import Positions, YamlProblem, read_file
from dcplan.scenario.overrides import OverrideError, apply_override, override_diagnostic, parse_override
from dcplan.scenario.references import check_references, check_semantics
from dcplan.scenario.schema import Scenario
from dcplan.scenario.timeline import check_timeline
from dcplan.scenario.validation import schema_diagnostics


@dataclass
class LoadResult:
    path: str
    scenario: Scenario | None = None
    positions: Positions | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    loaded_at: float | None = None  # time.perf_counter() when loading ended (validating for a solve)
    requirements: dict | None = None  # the workloads sized while validating for a solve, by name

    @property
    def ok(self) -> bool:
        return self.scenario is not None and not any(d.is_error for d in self.diagnostics)


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> LoadResult:
    """Read and validate one scenario file; `overrides` are `PATH=VALUE` strings."""
    document, problems = read_document(path)
    if document is None:
        return LoadResult(str(path), diagnostics=problems)
    pairs = []
    for text in overrides:
        try:
            pairs.append(parse_override(text))
        except OverrideError as err:
            problems.append(override_diagnostic(str(err)))
    return document.validate(pairs, problems)


@dataclass
class ScenarioDocument:
    """A scenario file read once, to be validated with different overrides (a sweep's points)."""

    name: str
    data: object
    positions: Positions
    problems: list[Diagnostic] = field(default_factory=list)

    def validate(self, overrides: list[tuple[str, object]] | tuple = (), problems: list[Diagnostic] = (),
                 source: str = "--set") -> LoadResult:
        """The file's data with `overrides` ((path, value) pairs) applied to a copy, validated like the file."""
        result = LoadResult(self.name, diagnostics=[*self.problems, *problems])
        result.positions = dataclasses.replace(self.positions, overridden=set(self.positions.overridden),
                                               override_source=source)
        if not isinstance(self.data, dict):
            result.diagnostics.append(result.positions.diagnostic(
                "not-a-mapping", "a scenario must be a mapping of keys such as `dcplan:`, `sites:` and `workloads:`",
                ()))
            return result
        # Overrides change a copy, so the document can be validated again with other values; validation
        # itself never changes the data.
        data = copy.deepcopy(self.data) if overrides else self.data
        for key, value in overrides:
            try:
                result.positions.overridden.add(apply_override(data, key, value))
            except OverrideError as err:
                result.diagnostics.append(override_diagnostic(str(err), source))
        return _validate(result, data)


def read_document(path: str | Path) -> tuple[ScenarioDocument | None, list[Diagnostic]]:
    """Read a scenario file once (YAML with positions); None and the problem when it cannot be read."""
    name = str(path)
    try:
        document = read_file(path, name)
    except YamlProblem as problem:
        return None, [problem.diagnostic]
    return ScenarioDocument(name, document.data, document.positions, list(document.problems)), []


def _validate(result: LoadResult, data: dict) -> LoadResult:
    # References are checked on the raw data, so they are reported together with schema errors.
    result.diagnostics.extend(check_references(data, result.positions))
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        result.diagnostics.extend(schema_diagnostics(err, data, result.positions, Scenario))
        result.diagnostics.sort(key=_position)
        return result
    result.diagnostics.extend(check_semantics(scenario, result.positions))
    result.diagnostics.extend(check_constraint_names(scenario, result.positions))
    result.diagnostics.extend(check_timeline(scenario, result.positions, _owned_catalog(scenario)))
    result.diagnostics.sort(key=_position)
    if not any(d.is_error for d in result.diagnostics):
        result.scenario = scenario
    return result


def _position(diagnostic: Diagnostic) -> tuple:
    """File order: by line and column; diagnostics without a position (from --set) last."""
    return (diagnostic.line is None, diagnostic.line or 0, diagnostic.column or 0, diagnostic.path)


def _owned_catalog(scenario: Scenario):
    """The catalog in effect with `only`/`exclude` ignored: what may be owned, bought or not."""
    from dcplan.scenario import catalog as catalog_module

    return catalog_module.effective(scenario.catalog.model_copy(update={"only": None, "exclude": []}))


def starter_text() -> str:
    """The commented starter scenario `dcplan init` writes (it validates and solves as is)."""
    return (Path(__file__).resolve().parent.parent / "templates" / "starter.yaml").read_text(encoding="utf-8")
