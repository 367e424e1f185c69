"""What the model is made of: pools of units, fabrics, and the built model that holds them.

Indices used across dcplan.model: w workload, c candidate item, k site, g isolation group,
s switch type, f fabric. A pool is (w, c, k): x = active units, y = spares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from dcplan.model.columns import pool_columns
from dcplan.model.linear import Expr, LinearModel, Owner
from dcplan.rules import RackItem, category_of, item_of
from dcplan.scenario.catalog import Catalog
from dcplan.scenario.schema import Scenario
from dcplan.sizing import Candidate, Requirement


class ModelInputError(ValueError):
    """The scenario asks for something the model cannot express (reported as invalid input)."""


@dataclass(slots=True)
class Pool:
    """Slotted: a model has a Pool per workload, item and site (52,000 at W=1000 × 60 × 4); without a
    __dict__ each is made and read faster (in interleaved runs from fresh processes the W=1000 build took
    0.68–0.79 s against 0.75–1.0 s)."""

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
    unit: tuple[int, float] | None = None
    """(variable, units per unit of it) of `active`: (x, 1), (replicas, k) for replicas of k servers, (z, n)
    for a training cluster of n. Set with `active` (once, by add_pools): the demand rows, cuts and spares of
    a large model read it millions of times."""

    owner_made: Owner | None = field(default=None, repr=False, compare=False)
    """`owner`, made once (add_pools makes it with the pool's variable and passes it in)."""

    @property
    def owner(self) -> Owner:
        if self.owner_made is None:
            self.owner_made = Owner(self.workload, self.item, self.site, self.group, self.period)
        return self.owner_made


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


TICK = 250
"""Items of a loop between two time checks while building (a few tenths of a second at most)."""


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
    between: object = None  # the planner's time check, called now and then in long loops (see tick)
    strengthen: bool = True  # clip demand coefficients and add valid inequalities
    tables: dict = field(default_factory=dict)  # arrays derived from the pools (see pool_table), built once
    period: str | None = None  # the period of a build-out this model stands for (None: a single purchase)
    priced: object = None  # the Lagrangian bound at the LP's prices (dcplan/solve/lagrange.py), to finish later

    def tick(self, count: int, every: int | None = None) -> None:
        """Call the planner's time check (`between`) once every `every` items of a long loop: one constraint
        family takes seconds at thousands of workloads (W=5000: the pools 9.7 s), too long between checks."""
        every = every or TICK
        if self.between is not None and count % every == every - 1:
            self.between()

    def workload(self, name: str) -> tuple[int, object]:
        """(index in the scenario, workload) by name, without scanning the list."""
        if not hasattr(self, "_workloads"):
            self._workloads = {w.name: (i, w) for i, w in enumerate(self.scenario.workloads)}
        return self._workloads[name]


def term(expr: Expr) -> tuple[int, float]:
    """(variable, coefficient) of a one-variable expression: a pool's x (1), k·replicas for a replica of k
    servers, n·z for a training cluster; its spare y, or z itself."""
    ((index, coefficient),) = expr.terms.items()
    return index, coefficient


def pools_of(built: BuiltModel, workload: str) -> list[Pool]:
    return built.by_workload.get(workload, [])


@dataclass
class PoolTable:
    """Every pool's active and spare units as arrays: term k of the actives is active_coef[k]·x[active_var[k]]
    in pool active_pool[k] (likewise the spares). Sums over pools (power, racks, totals) are then one
    weighted gather instead of a Python loop per term."""

    active_pool: np.ndarray
    active_var: np.ndarray
    active_coef: np.ndarray
    spare_pool: np.ndarray
    spare_var: np.ndarray
    spare_coef: np.ndarray

    def sum(self, active_weight: np.ndarray, spare_weight: np.ndarray, pools: np.ndarray | None = None) -> Expr:
        """Σ_p active_weight[p]·active_p + spare_weight[p]·spares_p, over the pools where `pools` is True."""
        a, s = self.active_pool, self.spare_pool
        keep_a = slice(None) if pools is None else pools[a]
        keep_s = slice(None) if pools is None else pools[s]
        return Expr.of(np.concatenate([self.active_var[keep_a], self.spare_var[keep_s]]),
                       np.concatenate([(self.active_coef * active_weight[a])[keep_a],
                                       (self.spare_coef * spare_weight[s])[keep_s]]))


    def grouped(self, label: np.ndarray, count: int, active_weight: np.ndarray, spare_weight: np.ndarray) -> list[Expr]:
        """For each group 0..count-1, Σ over its pools (label[p] = group; -1 = none) as `sum` gives it."""
        variables = np.concatenate([self.active_var, self.spare_var])
        coefficients = np.concatenate([self.active_coef * active_weight[self.active_pool],
                                       self.spare_coef * spare_weight[self.spare_pool]])
        group = np.concatenate([label[self.active_pool], label[self.spare_pool]])
        order = np.argsort(group, kind="stable")
        bounds = np.searchsorted(group[order], np.arange(count + 1))
        return [Expr.of(variables[order[bounds[k]:bounds[k + 1]]], coefficients[order[bounds[k]:bounds[k + 1]]])
                for k in range(count)]


def pool_table(built: "BuiltModel") -> PoolTable:
    """The pools' terms as arrays, once their spares are final (after add_spares)."""
    if "pools" not in built.tables:
        pools, count, columns = built.pools, len(built.pools), pool_columns(built)
        # A pool's active units are one term, its `unit`; its spares none, one (y, or k·z) or two (a training
        # cluster's k·z plus a top-up for generic minimums).
        spares = [pool.spares.terms for pool in pools]
        sizes = np.fromiter(map(len, spares), np.int64, count)
        terms = int(sizes.sum())
        built.tables["pools"] = PoolTable(
            np.arange(count, dtype=np.int64), columns.unit_var, columns.unit_coef,
            np.repeat(np.arange(count, dtype=np.int64), sizes),
            np.fromiter(chain.from_iterable(map(dict.keys, spares)), np.int64, terms),
            np.fromiter(chain.from_iterable(map(dict.values, spares)), float, terms))
    return built.tables["pools"]


def pool_counts(built: "BuiltModel", values) -> tuple[np.ndarray, np.ndarray]:
    """(active units, spare units) of every pool at `values`, in the order of built.pools: two weighted
    gathers, where reading each pool's expressions costs seconds at 10,000 workloads (a pool's
    expressions have no constant term)."""
    table, x, count = pool_table(built), np.asarray(values, dtype=float), len(built.pools)
    active = np.bincount(table.active_pool, weights=table.active_coef * x[table.active_var], minlength=count)
    spares = np.bincount(table.spare_pool, weights=table.spare_coef * x[table.spare_var], minlength=count)
    return active, spares


def item_values(built: "BuiltModel", read) -> np.ndarray:
    """One number per pool, `read(item)` of the catalog item it holds: read once per item, not per pool
    (W=1000 × 60 × 4 has 52,000 pools of 60 items)."""
    columns = pool_columns(built)
    items = [item_of(built.catalog, kind, item) for kind, item in columns.items]
    return np.array([float(read(item)) for item in items], dtype=float)[columns.item]


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
