"""Load a scenario file end to end: YAML → overrides → schema → references.

Returns a Scenario or the complete list of Diagnostics; never raises on bad
input. Nothing here imports a solver, so `dcplan validate` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from dcplan.diagnostics import Diagnostic
from dcplan.scenario.constraint_names import check_constraint_names
from dcplan.scenario.loader import Positions, YamlProblem, read_file
from dcplan.scenario.overrides import OverrideError, apply_override, override_diagnostic, parse_override
from dcplan.scenario.references import check_references, check_semantics
from dcplan.scenario.schema import Scenario
from dcplan.scenario.validation import schema_diagnostics


@dataclass
class LoadResult:
    path: str
    scenario: Scenario | None = None
    positions: Positions | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.scenario is not None and not any(d.is_error for d in self.diagnostics)


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> LoadResult:
    """Read and validate one scenario file; `overrides` are `PATH=VALUE` strings."""
    name = str(path)
    result = LoadResult(name)
    try:
        document = read_file(path, name)
    except YamlProblem as problem:
        result.diagnostics.append(problem.diagnostic)
        return result
    result.positions = document.positions
    result.diagnostics.extend(document.problems)
    data = document.data
    if not isinstance(data, dict):
        result.diagnostics.append(document.positions.diagnostic(
            "not-a-mapping", "a scenario must be a mapping of keys such as `dcplan:`, `sites:` and `workloads:`", ()))
        return result
    for text in overrides:
        try:
            key, value = parse_override(text)
            resolved = apply_override(data, key, value)
        except OverrideError as err:
            result.diagnostics.append(override_diagnostic(str(err)))
            continue
        document.positions.overridden.add(resolved)
    # References are checked on the raw data, so they are reported together with schema errors.
    result.diagnostics.extend(check_references(data, document.positions))
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        result.diagnostics.extend(schema_diagnostics(err, data, document.positions, Scenario))
        result.diagnostics.sort(key=_position)
        return result
    result.diagnostics.extend(check_semantics(scenario, document.positions))
    result.diagnostics.extend(check_constraint_names(scenario, document.positions))
    result.diagnostics.sort(key=_position)
    if not any(d.is_error for d in result.diagnostics):
        result.scenario = scenario
    return result


def _position(diagnostic: Diagnostic) -> tuple:
    """File order: by line and column; diagnostics without a position (from --set) last."""
    return (diagnostic.line is None, diagnostic.line or 0, diagnostic.column or 0, diagnostic.path)


def starter_text() -> str:
    """The commented starter scenario `dcplan init` writes (it validates and solves as is)."""
    return (Path(__file__).resolve().parent.parent / "templates" / "starter.yaml").read_text(encoding="utf-8")
