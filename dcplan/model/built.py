"""What the model is made of: pools of units, fabrics, and the built model that holds them.

Indices used across dcplan.model: w workload, c candidate item, k site, g isolation group,
s switch type, f fabric. A pool is (w, c, k): x = active units, y = spares.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dcplan.model.linear import Expr, LinearModel, Owner
from dcplan.rules import RackItem, category_of, item_of
from dcplan.scenario.catalog import Catalog
from dcplan.scenario.schema import Scenario
from dcplan.sizing import Candidate, Requirement


class ModelInputError(ValueError):
    """The scenario asks for something the model cannot express (reported as invalid input)."""


@dataclass
class Pool:
    workload: str
    kind: str  # training | inference | cpu | storage
    item: str
    site: str
    group: str  # isolation group: an isolated security level, or "shared"
    candidate: Candidate
    active: Expr
    spares: Expr
    choice: Expr | None = None  # training: 1 if this (server, site) is the chosen cluster
    bound: int = 0  # services: most units the pool may hold (for big-M rows)
    period: str | None = None  # the build-out period the pool belongs to

    @property
    def owner(self) -> Owner:
        return Owner(self.workload, self.item, self.site, self.group, self.period)


@dataclass
class Fabric:
    name: str
    kind: str  # backend | frontend
    site: str
    group: str
    oversubscription: float
    ports: Expr
    leaves: dict[str, Expr] = field(default_factory=dict)
    spines: dict[str, Expr] = field(default_factory=dict)
    assigned: dict[str, Expr] = field(default_factory=dict)  # server links per switch type (all speeds)
    uplinks: dict[str, Expr] = field(default_factory=dict)
    links: dict[str, dict[float, Expr]] = field(default_factory=dict)  # switch type -> NIC speed -> links
    ports_by_speed: dict[float, Expr] = field(default_factory=dict)
    period: str | None = None  # the build-out period the fabric belongs to


@dataclass
class BuiltModel:
    scenario: Scenario
    catalog: Catalog
    requirements: dict[str, Requirement]
    lm: LinearModel
    pools: list[Pool] = field(default_factory=list)
    fabrics: list[Fabric] = field(default_factory=list)
    racks: dict[tuple[str, str, str], Expr] = field(default_factory=dict)  # (item, site, group)
    metrics: dict[str, Expr] = field(default_factory=dict)
    site_it_power: dict[str, Expr] = field(default_factory=dict)
    site_racks: dict[str, Expr] = field(default_factory=dict)
    site_blocks: dict[str, Expr] = field(default_factory=dict)  # blocks of power built at a site with `build`
    leases: dict[tuple[str, str], Expr] = field(default_factory=dict)  # (item, site) -> units leased
    objective_name: str = "tco"
    warnings: list[str] = field(default_factory=list)
    by_workload: dict[str, list[Pool]] = field(default_factory=dict)  # pools of each workload, in order
    strengthen: bool = True  # clip demand coefficients and add valid inequalities
    period: str | None = None  # the period of a build-out this model stands for (None: a single purchase)

    def workload(self, name: str) -> tuple[int, object]:
        """(index in the scenario, workload) by name, without scanning the list."""
        if not hasattr(self, "_workloads"):
            self._workloads = {w.name: (i, w) for i, w in enumerate(self.scenario.workloads)}
        return self._workloads[name]


def pools_of(built: BuiltModel, workload: str) -> list[Pool]:
    return built.by_workload.get(workload, [])


def switch_count(fabric: Fabric, s_id: str) -> Expr:
    return fabric.leaves[s_id] + fabric.spines[s_id]


def optics_count(built: BuiltModel, fabric: Fabric, s_id: str) -> Expr:
    """One transceiver per link end: server links and leaf-spine uplinks."""
    return (fabric.assigned[s_id] + fabric.uplinks[s_id]) * 2.0


def bought_units(built: BuiltModel) -> list[tuple[str, str, str, object, Expr]]:
    """(category, item id, site, item, units expression) for everything bought: pools, switches, and
    the rack positions of each site (a RackItem: quantity and price only). Needs add_racks to have run."""
    rows = []
    for pool in built.pools:
        rows.append((category_of(pool.kind), pool.item, pool.site, item_of(built.catalog, pool.kind, pool.item),
                     pool.active + pool.spares))
    for fabric in built.fabrics:
        for s_id in fabric.leaves:
            rows.append(("switch", s_id, fabric.site, built.catalog.switches[s_id], switch_count(fabric, s_id)))
    rack = RackItem(built.scenario.policies.costs.rack_price)
    for site, racks in built.site_racks.items():
        rows.append(("rack", rack.id, site, rack, racks))
    return rows


def constraint_name(row) -> str:
    """The name a plan reports a row under: `site.ash1.power` for a site's power or racks row (its owner
    says which site), else the row's own name (`constraint[name=floor]`, `limit[capex]`)."""
    if row.family in ("power", "racks") and row.owner is not None and row.owner.site is not None:
        name = f"site.{row.owner.site}.{row.family}"
        return name if row.owner.period is None else f"{name}[{row.owner.period}]"
    return row.name
