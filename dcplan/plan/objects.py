"""The Plan and its parts, as frozen values: what extraction builds, verification checks and
every renderer reads. Nothing here knows the model or an engine."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

PLAN_DIGITS = 12
"""Significant digits of the numbers in plan JSON (and every other JSON or YAML dcplan writes): float
noise such as 140.57420000000002 goes, and every figure stays far more precise than its inputs."""


def tidy_numbers(data):
    """`data` with every finite float rounded to PLAN_DIGITS significant digits (ints, bools, None unchanged)."""
    if isinstance(data, float):
        return float(f"{data:.{PLAN_DIGITS}g}") if data == data and abs(data) != float("inf") else data
    if isinstance(data, dict):
        return {key: tidy_numbers(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [tidy_numbers(value) for value in data]
    return data


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
    period: str | None = None  # build-outs: the period it is bought in
    sourcing: str | None = None  # "leased" for units leased instead of bought (no capex); None: bought
    lease_per_year: float | None = None  # leased lines: the lease of one unit for a year (price per hour × 8760)


@dataclass(frozen=True)
class Assignment:
    workload: str
    site: str
    item: str
    servers: int
    spares: int
    accelerators: int
    group: str = "shared"  # isolation group of the pool: "shared" or an isolated security level
    period: str | None = None  # build-outs: the period the assignment holds in


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


@dataclass(frozen=True)
class PeriodSummary:
    """A build-out period: its purchases' capex, its yearly opex, what is in use, and what is owned."""

    label: str
    capex: float
    opex: float  # per year
    it_power_kw: float
    facility_power_kw: float
    racks: int
    accelerators: int
    energy_mwh_per_year: float = 0.0
    carbon_t_per_year: float = 0.0
    installed: tuple = ()  # ({site, item, quantity}, ...): owned and in service (installed base and purchases)
    sites: tuple = ()  # SiteSummary of each site in this period
    in_use: tuple = ()  # ({site, category, item, quantity, power_kw, rack_units}, ...): equipment running in it


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
    periods: list[PeriodSummary] = field(default_factory=list)  # build-outs only
    installed: list[dict] = field(default_factory=list)  # a single purchase's installed base ({site, item, quantity})
    period_plans: list["Plan"] = field(default_factory=list)  # build-outs: what is in use in each period (verify)

    def to_dict(self, verbose: bool = False) -> dict:
        """The plan JSON keys of docs/cli.md, then what a report needs to draw the plan from its JSON alone
        (`currency`, `site_details`, `racks`, `fabrics`, `assignments[].group`: small, per site and item);
        `requirements` (per workload and candidate, large at scale) only when verbose. Numbers to PLAN_DIGITS."""
        data = {
            "dcplan": 1, "scenario": self.scenario, "status": self.status,
            "objective": {"name": self.objective_name, "value": self.objective_value, "bound": self.bound,
                          "gap": self.gap},
            "solver": {"engine": self.engine, "solve_seconds": round(self.solve_seconds, 3),
                       "build_seconds": round(self.build_seconds, 3)},
            "totals": self.totals,
            "sites": [asdict(s) for s in self.sites],
            "bom": [_without_period(asdict(b)) for b in self.bom],
            "assignments": [_without_period(asdict(a)) for a in self.assignments],
            "constraints": [asdict(c) for c in self.constraints],
            "warnings": list(self.warnings),
            "currency": self.currency,
            "site_details": [asdict(s) for s in self.site_details],
            "racks": self._racks_by_item(),
            "fabrics": [asdict(f) for f in self.fabrics],
        }
        if self.periods:
            data["periods"] = [{**{k: v for k, v in asdict(p).items() if k not in ("sites", "in_use")},
                                "installed": [dict(i) for i in p.installed],
                                "sites": [asdict(s) for s in p.sites],
                                "in_use": [dict(i) for i in p.in_use]} for p in self.periods]
        if self.installed:
            data["installed"] = [dict(i) for i in self.installed]
        if verbose:
            data["requirements"] = self.requirements
        return tidy_numbers(data)

    def _racks_by_item(self) -> list[dict]:
        """Racks per (site, item, isolation group): one item type and group per rack, as the model packs them."""
        out = []
        for key, count in self.racks.items():
            item, site, group = key.split("|")
            out.append({"site": site, "item": item, "group": group, "racks": count})
        return out


def _without_period(line: dict) -> dict:
    """A single purchase's BOM lines and assignments keep exactly their keys; a build-out's say their period,
    and leased lines say so (`sourcing`, `lease_per_year`): a plan without leases is written as it always was."""
    for key in ("period", "sourcing", "lease_per_year"):
        if line.get(key) is None:
            line.pop(key, None)
    return line
