"""Schema of a scenario file (format version 1), the single source of the format.

Every field has a unit (for quantities), a default and a one-line description;
`dcplan schema` emits these models as JSON Schema, and docs/scenario-format.md
is generated from them. Defaults that are figures carry their source in the
description. Cross-references (unknown sites, accelerators) are checked after
parsing, in references.py.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Literal, Optional, Union

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from dcplan.vocab import SECURITY_LEVELS, Engine, Objective
from dcplan.scenario import units
from dcplan.scenario.fields import (
    CARBON_INTENSITY, CARBON_T, COEFFICIENT, ELECTRICITY_PRICE, ENERGY_MWH, HORIZON_Y, ITEM_POWER, MTTR_H,
    OVERSUBSCRIPTION, PUE, RACK_UNITS, RACKS, ROW_BOUND, SITE_POWER, THREADS, TIME_LIMIT_S, WEIGHT,
    Fraction, Q, StrictModel, Whole, at_most, describe)
from dcplan.scenario.periods import Periods, per_period
from dcplan.scenario.catalog_schema import ID_PATTERN, Accelerator, ModelSpec, Server, StorageNode, Switch

from dcplan.scenario.workloads import (  # noqa: F401 - part of the schema, re-exported
    CpuWorkload, Durability, InferenceWorkload, ModelRef, ServiceBase, StorageWorkload, TrainingStorage,
    TrainingWorkload, Workload, WorkloadBase)

OBJECTIVES = Objective.values()
ENGINES = Engine.values()
NAME_PATTERN = ID_PATTERN

# The literals come from dcplan.vocab, so the schema, the CLI's choices and the plan JSON agree.
SecurityLevel = Literal[SECURITY_LEVELS]
ObjectiveName = Literal[OBJECTIVES]


class Limits(StrictModel):
    """Hard caps on plan totals over all sites."""

    capex: Optional[float] = describe("Maximum capital expenditure (currency)", default=None, ge=0,
                                      allow_inf_nan=False, ceiling=ROW_BOUND)
    tco: Optional[float] = describe("Maximum total cost of ownership over the horizon (currency)", default=None,
                                    ge=0, allow_inf_nan=False, ceiling=ROW_BOUND)
    power: Optional[Q("kW")] = describe("Maximum facility power over all sites (IT power x PUE)", default=None, ge=0,
                                     ceiling=SITE_POWER)
    energy: Optional[Q("MWh")] = describe("Maximum facility energy per year", default=None, ge=0,
                                        ceiling=ENERGY_MWH)
    carbon: Optional[Q("t")] = describe("Maximum carbon emissions per year (tonnes CO2e)", default=None, ge=0,
                                     ceiling=CARBON_T)


class SolverOptions(StrictModel):
    engine: Literal[ENGINES] = describe(
        "Optimisation engine: auto (HiGHS inside OR-Tools, measured fastest on dcplan models), highs (the same), "
        "scip or cp-sat (inside OR-Tools), cbc (CBC through PuLP)", default="auto")
    time_limit: Q("s") = describe("Time for everything after loading (sizing, building, solving, verifying); a "
                                  "plan found by then is reported feasible with its gap", default=60.0, gt=0,
                                  ceiling=TIME_LIMIT_S)
    gap: Fraction = describe("Accept a plan proven within this relative gap of the optimum", default=0.001)
    threads: Whole = describe("Solver threads; 0 = all cores", default=0, ge=0, ceiling=THREADS)


class CatalogSection(StrictModel):
    """What may be bought: the built-in catalog, restricted, extended and re-priced."""

    builtin: bool = describe("Start from the embedded catalog", default=True)
    only: Optional[list[str]] = describe("Restrict purchasable items to these ids", default=None)
    exclude: list[str] = describe("Ids that may not be bought", default_factory=list)
    accelerators: list[Accelerator] = describe("Extra or replacing accelerator specifications", default_factory=list)
    servers: list[Server] = describe("Extra or replacing servers", default_factory=list)
    storage: list[StorageNode] = describe("Extra or replacing storage nodes", default_factory=list)
    switches: list[Switch] = describe("Extra or replacing switches", default_factory=list)
    models: list[ModelSpec] = describe("Extra or replacing model presets", default_factory=list)
    prices: dict[str, Annotated[float, Field(ge=0, allow_inf_nan=False, **at_most(COEFFICIENT))]] = describe(
        "Price overrides by item id", default_factory=dict)


class SiteBuild(StrictModel):
    """A site not built yet: its facility power is bought in whole blocks as part of the plan."""

    cost_per_mw: float = describe(
        "Cost of one MW of facility power built (currency per MW): the building, its power and its cooling plant",
        ge=0, allow_inf_nan=False, ceiling=COEFFICIENT)
    block: Q("kW") = describe("Facility power built at a time (a hall or a phase of the site)", gt=0,
                              ceiling=SITE_POWER)


class Colocation(StrictModel):
    """A site whose power is rented: IT power contracted per month, energy included."""

    price_per_kw_month: float = describe(
        "Price per kW of IT power contracted, per month (currency); electricity is included",
        ge=0, allow_inf_nan=False, ceiling=COEFFICIENT)


class Site(StrictModel):
    name: str = describe("Site name, unique in the scenario", pattern=NAME_PATTERN)
    power: per_period(Q("kW"), "GrowingPower", SITE_POWER, gt=0) = describe(
        "Facility power cap: IT power x PUE must stay within it")
    pue: float = describe("Power usage effectiveness (facility / IT power); default 1.3, new large "
                          "builds per Uptime Institute 2023", default=1.3, ge=1.0, ceiling=PUE, allow_inf_nan=False)
    racks: per_period(Whole, "GrowingRacks", RACKS, ge=0) = describe("Rack positions available")
    rack_power: per_period(Q("kW"), "GrowingRackPower", ITEM_POWER, gt=0) = describe("Power and cooling per rack")
    rack_units: Whole = describe("Usable rack units per rack", default=42, ge=1, ceiling=RACK_UNITS)
    cooling: Literal["air", "liquid", "both"] = describe(
        "How racks are cooled: air, liquid (every rack liquid-cooled, at `rack_power`) or both (air racks at "
        "`rack_power`, liquid racks at `liquid_rack_power`); liquid-cooled servers need liquid or both",
        default="air")
    liquid_rack_power: Optional[Q("kW")] = describe(
        "Power per liquid-cooled rack at a site with `cooling: both`; default `rack_power`", default=None, gt=0,
        ceiling=ITEM_POWER)
    electricity_price: per_period(float, "GrowingPrice", ELECTRICITY_PRICE, ge=0, allow_inf_nan=False) = describe(
        "Electricity price per kWh (currency); default 0.0862, 2025 US industrial average (EIA EPM 5.3)",
        default=0.0862)
    carbon_intensity: per_period(Q("kg/kWh"), "GrowingCarbonIntensity", CARBON_INTENSITY, ge=0) = describe(
        "Grid carbon intensity; default 0.481 kg/kWh, 2023 world average (Ember)", default=0.481)
    build: Optional[SiteBuild] = describe(
        "A site not built yet: facility power bought in whole blocks as part of the plan ({cost_per_mw, block}); "
        "`power` is then the most that can be built", default=None)
    colocation: Optional[Colocation] = describe(
        "Power rented from a colocation provider ({price_per_kw_month}), charged per kW of IT power with energy "
        "included; `power` is the most the provider offers", default=None)
    cloud: bool = describe(
        "A virtual cloud site: no power or rack limits (leave out `power`, `racks` and `rack_power`); only cloud "
        "offers (servers with `cloud: true`) run there, and their hourly price includes the energy",
        default=False)
    provider: Optional[str] = describe(
        "A cloud site's provider (google-cloud, aws, azure, ...): only that provider's offers run there; "
        "omitted = every cloud offer", default=None, pattern=ID_PATTERN)

    @model_validator(mode="before")
    @classmethod
    def _cloud_has_no_limits(cls, data):
        """A cloud site has no power or rack limits: its limits are the fields' ceilings, never reached."""
        if isinstance(data, dict) and data.get("cloud") is True:
            data = dict(data)
            for name, ceiling in (("power", SITE_POWER), ("racks", RACKS), ("rack_power", ITEM_POWER)):
                data.setdefault(name, ceiling.value if name != "racks" else int(ceiling.value))
        return data

    @field_validator("liquid_rack_power")
    @classmethod
    def _liquid_racks_exist(cls, value, info):
        """Only a site with air and liquid racks has a second rack power; elsewhere it would be ignored."""
        cooling = info.data.get("cooling", "air")
        if value is not None and cooling != "both":
            where = ("an air-cooled site has no liquid racks" if cooling == "air" else
                     "at a liquid-cooled site every rack is liquid-cooled: give its power as rack_power")
            raise ValueError(f"liquid_rack_power is for sites with cooling: both; {where}")
        return value

    @field_validator("provider")
    @classmethod
    def _provider_of_a_cloud_site(cls, value, info):
        if value is not None and not info.data.get("cloud"):
            raise ValueError("`provider` is for cloud sites (cloud: true)")
        return value

    @field_validator("colocation")
    @classmethod
    def _built_or_rented(cls, value, info):
        """A site is built (its power bought) or rented (its power contracted), never both."""
        if value is not None and info.data.get("build") is not None:
            raise ValueError("a site is either built (`build`) or rented (`colocation`), not both: "
                             "give one of them")
        return value




class NetworkPolicy(StrictModel):
    training_oversubscription: float = describe("Leaf down:up ratio for training back-ends (1 = non-blocking)",
                                                default=1.0, ge=1.0, ceiling=OVERSUBSCRIPTION, allow_inf_nan=False)
    frontend_oversubscription: float = describe("Leaf down:up ratio for front-end networks", default=3.0,
                                                ge=1.0, ceiling=OVERSUBSCRIPTION, allow_inf_nan=False)
    dual_homed: bool = describe("Every server port is cabled to two leaves", default=False)
    switch: Optional[str] = describe("Switch id to use for leaves and spines; default the cheapest that fits",
                                     default=None)


class RedundancyPolicy(StrictModel):
    mttr: Q("h") = describe("Mean time to repair a failed server; default 72 h, a planning figure for replacing a GPU node on site (vendors publish none)",
                            default=72.0, gt=0, ceiling=MTTR_H)


class SecurityPolicy(StrictModel):
    isolate: list[SecurityLevel] = describe("Levels that get dedicated racks and leaf switches",
                                            default_factory=list)


class CostPolicy(StrictModel):
    maintenance: Fraction = describe("Yearly maintenance and support as a share of capex; default 0",
                                     default=0.0)
    rack_price: float = describe("Price of one rack position fitted out (enclosure, PDUs); default 0",
                                 default=0.0, ge=0, allow_inf_nan=False, ceiling=COEFFICIENT)


class Policies(StrictModel):
    network: NetworkPolicy = describe("Network fabric policy", default_factory=NetworkPolicy)
    redundancy: RedundancyPolicy = describe("Redundancy policy", default_factory=RedundancyPolicy)
    security: SecurityPolicy = describe("Security policy", default_factory=SecurityPolicy)
    costs: CostPolicy = describe("Cost assumptions beyond the catalog prices", default_factory=CostPolicy)


class GenericConstraint(StrictModel):
    name: str = describe("Constraint name, shown in reports", pattern=NAME_PATTERN)
    sum: str = describe("What to add up per unit bought: quantity; accelerators; a numeric field (price, power, "
                        "vcpus, ...); attrs.NAME, or a bare NAME that is no field, for an attribute in `attrs`. "
                        "Racks have quantity and price (policies.costs.rack_price) only")
    where: dict[str, Union[str, Annotated[float, Field(allow_inf_nan=False)], bool, list[str]]] = describe(
        "Item filter: category (server, storage, switch or rack; a list for several), id, site, or any field or "
        "attribute of the items; every name must exist", default_factory=dict)
    min: Optional[float] = describe("Lower bound of the sum", default=None, allow_inf_nan=False,
                                   ge=-ROW_BOUND.value, ceiling=ROW_BOUND)
    max: Optional[float] = describe("Upper bound of the sum", default=None, allow_inf_nan=False,
                                   ge=-ROW_BOUND.value, ceiling=ROW_BOUND)

    @model_validator(mode="after")
    def _has_bound(self):
        if self.min is None and self.max is None:
            raise ValueError("give `min`, `max` or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min:g}) is above `max` ({self.max:g})")
        return self


# Metrics an `assert` entry may bound: the plan's `totals` keys, each with the unit of its bounds
# (None: money in the scenario currency, or a count; plain numbers only).
ASSERT_METRICS = {"capex": None, "opex_per_year": None, "tco": None, "npv": None, "it_power_kw": "kW",
                  "facility_power_kw": "kW", "energy_mwh_per_year": "MWh", "carbon_t_per_year": "t",
                  "racks": None, "accelerators": None}
SITE_METRICS = ("facility_power_kw", "it_power_kw", "racks")
AssertMetric = Literal[tuple(ASSERT_METRICS)]
AssertBound = Optional[Union[Annotated[float, Field(allow_inf_nan=False)], str]]


class Assertion(StrictModel):
    """An expectation on the solved plan, checked by `dcplan check` after solving. Unlike `limits` (hard
    constraints of the model, which make a scenario infeasible), an assertion never changes the plan: a plan
    that breaks it fails the check."""

    name: str = describe("Assertion name, unique in the scenario; shown when the check fails",
                         pattern=NAME_PATTERN)
    metric: AssertMetric = describe("Plan total to bound (a key of the plan's `totals`); with `site`, that "
                                    "site's facility_power_kw, it_power_kw or racks")
    max: AssertBound = describe("Upper bound in the metric's unit: currency for capex, opex_per_year and tco; "
                                "kW for it_power_kw and facility_power_kw; MWh for energy_mwh_per_year; tonnes "
                                "CO2e for carbon_t_per_year (these three also take a string with a unit: "
                                "'20 MW', '2 GWh', '500 t'); a count for racks and accelerators", default=None)
    min: AssertBound = describe("Lower bound, in the same unit as `max`", default=None)
    site: Optional[str] = describe("A scenario site: bound that site's figure instead of the plan total",
                                   default=None)
    period: Optional[float] = describe("Build-outs: bound that period's figure (a period label, a year) instead "
                                       "of the plan total", default=None, ge=1900, le=2200)

    @field_validator("max", "min")
    @classmethod
    def _in_metric_unit(cls, value, info):
        metric = info.data.get("metric")
        if value is None or metric is None:
            return value
        symbol = ASSERT_METRICS[metric]
        if symbol is None and isinstance(value, str):
            raise ValueError(f"`{metric}` takes a plain number (currency or count), found {value!r}")
        try:
            return units.to_unit(value, units.unit(symbol or ""))
        except units.UnitError as err:
            raise ValueError(str(err)) from None

    @model_validator(mode="after")
    def _bounds_and_site(self):
        if self.min is None and self.max is None:
            raise ValueError("give `min`, `max` or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"`min` ({self.min:g}) is above `max` ({self.max:g})")
        if self.site is not None and self.metric not in SITE_METRICS:
            raise ValueError(f"with `site`, `metric` must be one of {', '.join(SITE_METRICS)}; "
                             f"found {self.metric!r}")
        if self.period is not None and self.metric in ("tco", "npv"):
            raise ValueError(f"`{self.metric}` is a total of the whole build-out: it has no value per `period`")
        return self


ObjectiveSpec = Annotated[
    Union[Annotated[ObjectiveName, Tag("name")],
          Annotated[dict[ObjectiveName, Annotated[float, Field(ge=0, allow_inf_nan=False, **at_most(WEIGHT))]],
                    Tag("weights")]],
    Discriminator(lambda v: "weights" if isinstance(v, dict) else "name"),
]


class Installed(StrictModel):
    """Equipment already owned at a site: it serves workloads without being bought again."""

    item: str = describe("Catalog id of a server, storage node or switch")
    site: str = describe("Site where it is installed")
    quantity: int = describe("Units owned", ge=1, le=10_000_000)
    since: Optional[float] = describe("Year it was bought (retires `lifetime` years later); default the "
                                      "first period", default=None, ge=1900, le=2200)


class Scenario(StrictModel):
    """A dcplan scenario: workloads to host, sites, policies and the catalog to buy from."""

    dcplan: Literal[1] = describe("Format version; must be 1")
    name: str = describe("Scenario name", min_length=1)
    description: str = describe("Free text about the scenario", default="")
    horizon: Q("years") = describe("TCO horizon", default=4.0, gt=0, ceiling=HORIZON_Y)
    currency: str = describe("Currency label for all money figures", default="USD")
    objective: ObjectiveSpec = describe("tco | capex | energy | carbon | power, or weights such as "
                                        "{tco: 1, carbon: 80}", default="tco")
    limits: Limits = describe("Hard caps on plan totals", default_factory=Limits)
    solver: SolverOptions = describe("Solver options", default_factory=SolverOptions)
    catalog: CatalogSection = describe("Catalog in effect", default_factory=CatalogSection)
    sites: list[Site] = describe("Sites that can host equipment", min_length=1)
    workloads: list[Workload] = describe("Workloads to host", min_length=1)
    policies: Policies = describe("Network, redundancy, security and cost policies", default_factory=Policies)
    constraints: list[GenericConstraint] = describe("Generic linear limits over what is bought",
                                                    default_factory=list)
    periods: Optional[Periods] = describe("A build-out over several periods: {start, count, length}; "
                                          "default one purchase", default=None)
    discount_rate: Fraction = describe("Yearly discount rate for the net present value of a build-out "
                                       "(8% or 0.08); default 0", default=0.0)
    installed: list[Installed] = describe("Equipment already owned (also for a single purchase)",
                                          default_factory=list)
    # `assert` is a Python keyword, so this field is declared through the class namespace (code reads it as
    # `scenario.assertions`). A real field name rather than an alias keeps the JSON Schema, the generated
    # docs, "did you mean" hints and error positions all saying `assert`.
    __annotations__["assert"] = "list[Assertion]"
    vars()["assert"] = describe("Expectations on the solved plan (bounds on its totals), checked by `dcplan "
                                "check` after solving; not constraints of the model", default_factory=list)

    @property
    def assertions(self) -> list[Assertion]:
        return getattr(self, "assert")

    @field_validator("objective")
    @classmethod
    def _weights_not_empty(cls, value):
        if isinstance(value, dict) and not any(w > 0 for w in value.values()):
            raise ValueError("give at least one positive weight")
        return value

    @field_validator("assert")
    @classmethod
    def _assertions_unique_and_sited(cls, value, info):
        """Assertion names are unique and a `site` names a scenario site (sites are validated first)."""
        sites = [s.name for s in info.data.get("sites", ())]
        problems, seen = [], set()
        for index, entry in enumerate(value):
            if entry.name in seen:
                problems.append(f"assert[{index}].name: {entry.name!r} is already used by another assertion")
            seen.add(entry.name)
            if sites and entry.site is not None and entry.site not in sites:
                close = difflib.get_close_matches(entry.site, sites, n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else f" (sites: {', '.join(sites)})"
                problems.append(f"assert[{index}].site: no site named {entry.site!r}{hint}")
        if problems:
            raise ValueError("; ".join(problems))
        return value
