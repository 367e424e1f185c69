"""The Plan and its parts, as frozen values: what extraction builds, verification checks and
every renderer reads. Nothing here knows the model or an engine."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class BomLine:
    site: str
    category: str  # server | storage | switch | optic | rack
    item: str
    description: str
    quantity: int
    unit_price: float
    extended_price: float
    power_kw: float  # nameplate power of the whole line
    rack_units: int  # rack units of the whole line


@dataclass(frozen=True)
class Assignment:
    workload: str
    site: str
    item: str
    servers: int
    spares: int
    accelerators: int
    group: str = "shared"  # isolation group of the pool: "shared" or an isolated security level


@dataclass(frozen=True)
class SiteSummary:
    name: str
    it_power_kw: float
    facility_power_kw: float
    power_limit_kw: float
    racks: int
    rack_limit: int


@dataclass(frozen=True)
class SiteDetail:
    """The rack size and PUE of a site, so a saved plan can be drawn (rack elevations) without its scenario."""

    name: str
    rack_units: int
    rack_power_kw: float
    pue: float


@dataclass(frozen=True)
class ConstraintReport:
    name: str
    kind: str
    lhs: float
    rhs: float
    slack: float
    binding: bool


@dataclass(frozen=True)
class FabricReport:
    """One network fabric as built: switch counts per switch type under leaves, spines, assigned
    (server links cabled to that leaf type) and uplinks. Verification reads it; the JSON carries it."""

    name: str
    kind: str
    site: str
    group: str
    oversubscription: float
    ports: float
    leaves: dict
    spines: dict
    assigned: dict
    uplinks: dict


@dataclass
class Plan:
    scenario: str
    status: str
    objective_name: str
    objective_value: float | None
    bound: float | None
    gap: float | None
    engine: str
    solve_seconds: float
    build_seconds: float
    totals: dict = field(default_factory=dict)
    sites: list[SiteSummary] = field(default_factory=list)
    bom: list[BomLine] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    constraints: list[ConstraintReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    fabrics: list[FabricReport] = field(default_factory=list)
    racks: dict = field(default_factory=dict)  # "item|site|group" -> racks
    requirements: dict = field(default_factory=dict)
    currency: str = "USD"
    site_details: list[SiteDetail] = field(default_factory=list)

    def to_dict(self, verbose: bool = False) -> dict:
        """The plan JSON keys of docs/cli.md, then what a report needs to draw the plan from its JSON alone
        (`currency`, `site_details`, `racks`, `fabrics`, `assignments[].group`: small, per site and item);
        `requirements` (per workload and candidate, large at scale) only when verbose."""
        data = {
            "dcplan": 1, "scenario": self.scenario, "status": self.status,
            "objective": {"name": self.objective_name, "value": self.objective_value, "bound": self.bound,
                          "gap": self.gap},
            "solver": {"engine": self.engine, "solve_seconds": round(self.solve_seconds, 3),
                       "build_seconds": round(self.build_seconds, 3)},
            "totals": self.totals,
            "sites": [asdict(s) for s in self.sites],
            "bom": [asdict(b) for b in self.bom],
            "assignments": [asdict(a) for a in self.assignments],
            "constraints": [asdict(c) for c in self.constraints],
            "warnings": list(self.warnings),
            "currency": self.currency,
            "site_details": [asdict(s) for s in self.site_details],
            "racks": self._racks_by_item(),
            "fabrics": [asdict(f) for f in self.fabrics],
        }
        if verbose:
            data["requirements"] = self.requirements
        return data

    def _racks_by_item(self) -> list[dict]:
        """Racks per (site, item, isolation group): one item type and group per rack, as the model packs them."""
        out = []
        for key, count in self.racks.items():
            item, site, group = key.split("|")
            out.append({"site": site, "item": item, "group": group, "racks": count})
        return out
