"""Build the mixed-integer model of the whole purchase (docs/model.md has the full math).

One `add_<family>` function per constraint family, each in a module of dcplan.model with its
mathematics in the docstring and rows named after the scenario (`power[site=ash1]`).
"""

from __future__ import annotations

from dcplan.model.built import BuiltModel
from dcplan.model.capacity import add_power, add_racks
from dcplan.model.colocation import add_colocation
from dcplan.model.cuts import add_valid_inequalities
from dcplan.model.demand import add_demand, add_site_failure, add_storage_durability
from dcplan.model.leases import add_leases
from dcplan.model.linear import LinearModel
from dcplan.model.network import add_network
from dcplan.model.pools import add_pools
from dcplan.model.spares import add_spares
from dcplan.model.totals import add_generic_constraints, add_limits, add_metrics, set_objective
from dcplan.scenario.catalog import Catalog
from dcplan.scenario.schema import Scenario
from dcplan.sizing import Requirement


def build(scenario: Scenario, catalog: Catalog, requirements: dict[str, Requirement],
          strengthen: bool = True, lm: LinearModel | None = None, whole: bool = True,
          between=None) -> BuiltModel:
    """The model of the purchase. `strengthen=False` gives the plain reference formulation
    (no coefficient clipping, no valid inequalities), kept to test that strengthening never
    changes an optimum.

    A build-out (dcplan/model/buildout.py) builds each period into one shared `lm` with
    `whole=False`: the period's rows and totals, but no limits and no objective, which the
    build-out sets over all periods. `between()`, when given, is called after each constraint family
    (the planner checks its time limit there and may raise to stop)."""
    built = BuiltModel(scenario, catalog, requirements, lm if lm is not None else LinearModel(),
                       strengthen=strengthen, period=None if lm is None else lm.period, between=between)
    steps = [add_pools, add_demand, add_site_failure, add_storage_durability, add_colocation, add_spares,
             *([add_valid_inequalities] if strengthen else []), add_network, add_racks, add_power,
             *([add_leases] if whole else []),  # a build-out buys what it uses: leases are for single purchases
             add_metrics, add_generic_constraints]
    for step in steps:
        step(built)
        if between is not None:
            between()
    if whole:
        add_limits(built)
        set_objective(built)
    return built
