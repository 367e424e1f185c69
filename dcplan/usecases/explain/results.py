"""What an explanation says: conflicts and verified fixes, or binding limits and their worth."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


class InvalidScenario(Exception):
    """The scenario does not load (diagnostics) or cannot be modelled (message)."""

    def __init__(self, message: str, diagnostics: list | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics or []


class ExplainTimeout(Exception):
    """Not even the scenario's own status could be established within the time limit (exit 3)."""


@dataclass(frozen=True)
class Conflict:
    item: str
    path: str
    file: str
    line: int | None
    column: int | None
    description: str


@dataclass(frozen=True)
class Suggestion:
    path: str
    from_: float | str | None
    to: float | str
    unit: str
    set_argument: str
    verified: bool
    description: str

    def to_dict(self) -> dict:
        data = asdict(self)
        data["from"] = data.pop("from_")
        return {k: data[k] for k in ("path", "from", "to", "unit", "set_argument", "verified", "description")}


@dataclass(frozen=True)
class Binding:
    name: str
    item: str
    path: str
    file: str
    line: int | None
    column: int | None
    value: float
    limit: float
    unit: str
    relaxed_to: float | None = None
    set_argument: str | None = None
    objective_after: float | None = None
    improvement: float | None = None
    proven: bool = False
    description: str = ""


@dataclass
class Explanation:
    scenario: str
    file: str
    status: str  # infeasible | optimal | feasible
    objective_name: str
    objective_value: float | None = None
    currency: str = "USD"
    irreducible: bool | None = None
    conflicts: list[Conflict] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    binding: list[Binding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    solves: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {
            "dcplan": 1, "scenario": self.scenario, "file": self.file, "status": self.status,
            "objective": {"name": self.objective_name, "value": self.objective_value},
            "irreducible": self.irreducible,
            "conflicts": [asdict(c) for c in self.conflicts],
            "suggestions": [s.to_dict() for s in self.suggestions],
            "binding": [asdict(b) for b in self.binding],
            "warnings": list(self.warnings),
            "solves": self.solves, "seconds": round(self.seconds, 3),
        }
