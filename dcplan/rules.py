"""Domain rules that several stages share: the model builds rows from them, the greedy planner
and pruning estimate with them, and verification recomputes a plan with them.

Keeping them here, below every stage, is what lets dcplan.plan.verify check a plan without
importing anything of dcplan.model: a bug in the model cannot hide in the check.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

HOURS_PER_YEAR = 8760.0

BOM_ORDER = {"server": 0, "storage": 1, "switch": 2, "optic": 3, "rack": 4, "facility": 5}
"""The order of BOM lines of one site: equipment, then rack positions, then facility power built."""

POWER_BLOCK = "power-block"
"""The BOM item of a block of facility power built at a site with `build`."""


def lease_factor(lease, horizon: float) -> float:
    """What one leased unit adds to opex per year of the horizon: it is paid every hour of the horizon
    and for at least one term, price_per_hour · 8760 · max(horizon, term) / horizon."""
    return lease.price_per_hour * HOURS_PER_YEAR * max(horizon, lease.term) / horizon


def lease_years(term: float, starts: list[float], lengths: list[float], q: int) -> dict[int, float]:
    """The years a lease signed at the start of period q is paid in each period it covers: {p: years}.

    A lease runs whole periods: q and every later period p that starts before its term is over,
    y_p < y_q + T, each paid for its length L_p. At least one term is paid: the part of a term that
    runs past the last period, y_q + T − (y_last + L_last), is paid with the last period. A single
    purchase (one period of H years) pays max(H, T), as `lease_factor` says."""
    end = starts[-1] + lengths[-1]
    paid = {p: lengths[p] for p in range(q, len(starts)) if starts[p] < starts[q] + term - 1e-9}
    beyond = starts[q] + term - end
    if beyond > 1e-9:
        last = len(starts) - 1
        paid[last] = paid.get(last, 0.0) + beyond
    return paid


def on_market(item, year: float | None) -> bool:
    """Can the item be bought or leased in `year` (a period's start): inside its `available` window.
    None (a single purchase) is always on the market."""
    window = getattr(item, "available", None)
    if window is None or year is None:
        return True
    return ((window.start is None or year >= window.start - 1e-9)
            and (window.until is None or year <= window.until + 1e-9))


def price_after(item, years: float) -> float:
    """The item's price `years` after the first period: its catalog price changing by `price_change` a year."""
    return item.price * (1.0 + getattr(item, "price_change", 0.0)) ** years


def serves_fabric(switch, kind: str) -> bool:
    """Can a switch serve a fabric of this kind: InfiniBand only in a training back-end, Ethernet in any."""
    return getattr(switch, "fabric", "ethernet") == "ethernet" or kind == "backend"


def pays_electricity(site) -> bool:
    """Is the site's electricity paid by the kWh? Not at a colocation site (in the rent) or in the cloud
    (in the instances' hourly price)."""
    return getattr(site, "colocation", None) is None and not getattr(site, "cloud", False)


def colocation_per_kw_year(site) -> float:
    """What a colocation site charges per kW of IT power per year (electricity included)."""
    return 12.0 * site.colocation.price_per_kw_month


def block_price(site) -> float:
    """The price of one block of facility power at a site with `build`: MW per block × cost per MW."""
    return site.build.block / 1000.0 * site.build.cost_per_mw
DEFAULT_IDLE_SHARE = 0.30
"""Idle power when a catalog item gives none: 30 % of its maximum draw (documented in
docs/scenario-format.md; typical of servers at idle, SPECpower_ssj2008 results)."""
TRAINING_LOAD = 0.9
"""Share of maximum power a training server draws on average (energy only)."""
DEMAND_TOLERANCE = 1e-6
"""Requirements are met to this relative tolerance, the verifier's. Without it, a demand a hair
above a whole number of servers (float noise from sizing) lands inside the engines' own
feasibility tolerances and engines disagree."""

SPARES_RULE = re.compile(r"^\s*(?:N\s*\+\s*(\d+)|(\d+(?:\.\d+)?)\s*%)\s*$")
"""`spares:` written as `N+k` (k spares per pool) or `p%` (of the pool, rounded up)."""


def idle_kw(item) -> float:
    """Power an item draws idle (spares stand by at idle)."""
    return item.idle_power if item.idle_power is not None else DEFAULT_IDLE_SHARE * item.power


def group_of(scenario, security: str) -> str:
    """The isolation group of a security level: the level itself when isolated, else 'shared'."""
    return security if security in scenario.policies.security.isolate else "shared"


def leaf_split(ports: int, oversubscription: float) -> tuple[int, int]:
    """Leaf ports facing servers (down) and spines (up) for a down:up ratio o: down = floor(P·o/(1+o))."""
    down = max(1, math.floor(ports * oversubscription / (1.0 + oversubscription)))
    return down, ports - down


def units_per_rack(site, rack_units: int, power_kw: float, rack_power: float | None = None) -> float:
    """Racks one unit of an item takes: 1/n for n units per rack (by rack units and rack power),
    or the number of rack positions one unit needs when it exceeds a rack (a 120 kW rack-scale
    system at a 40 kW-per-rack site takes 3 positions); 0 for items that take no rack space.
    `rack_power` is the power of the racks the item goes in (default the site's `rack_power`)."""
    rack_power = site.rack_power if rack_power is None else rack_power
    by_units = math.floor(site.rack_units / rack_units) if rack_units > 0 else math.inf
    by_power = math.floor(rack_power / power_kw) if power_kw > 0 else math.inf
    per_rack = min(by_units, by_power)
    if per_rack >= 1:
        return 0.0 if per_rack == math.inf else 1.0 / per_rack
    return float(max(math.ceil(rack_units / site.rack_units), math.ceil(power_kw / rack_power)))


def cooling_of(item) -> str:
    """How an item is cooled: servers say (`cooling`); storage, switches and racks are air-cooled."""
    return getattr(item, "cooling", "air")


def rack_power_for(site, item) -> float:
    """Power per rack of the racks an item goes in. A site with `cooling: both` has air racks of
    `rack_power` and liquid racks of `liquid_rack_power`; every other site has one kind, `rack_power`."""
    if cooling_of(item) == "liquid" and getattr(site, "cooling", "air") == "both":
        liquid = getattr(site, "liquid_rack_power", None)
        return site.rack_power if liquid is None else liquid
    return site.rack_power


def placement_refusal(site, item) -> str | None:
    """Why an item cannot stand at a site, or None. A liquid-cooled item needs a site with liquid
    cooling (`liquid` or `both`); a rack-scale item (a whole rack as shipped) needs racks of at
    least its power, since it cannot be spread over several positions."""
    if getattr(item, "cloud", False) and not getattr(site, "cloud", False):
        return f"{item.id} is a cloud offer and site {site.name} is not a cloud site"
    if getattr(site, "cloud", False) and not getattr(item, "cloud", False):
        return f"site {site.name} is a cloud site: only cloud offers run there, not {item.id}"
    wanted = getattr(site, "provider", None)
    if wanted is not None and getattr(item, "provider", None) != wanted:
        return f"site {site.name} is {wanted}'s: {item.id} is not one of its offers"
    if cooling_of(item) == "liquid" and getattr(site, "cooling", "air") == "air":
        return f"{item.id} is liquid-cooled and site {site.name} has air cooling only"
    if getattr(item, "rack_scale", False) and item.power > rack_power_for(site, item) + 1e-9:
        return (f"{item.id} is a {item.power:g} kW rack as shipped and the racks it would use at site {site.name} "
                f"take {rack_power_for(site, item):g} kW")
    return None


def rack_share(site, item) -> float:
    """Rack positions one unit of `item` takes at `site`: a rack-scale item is one whole rack;
    any other item packs by rack units and by the power of the racks of its cooling kind
    (units_per_rack). Each item has racks of its own in the model, so liquid-cooled items never
    share a rack with air-cooled ones."""
    if getattr(site, "cloud", False):
        return 0.0  # the provider's racks
    if getattr(item, "rack_scale", False):
        return 1.0
    return units_per_rack(site, item.rack_units, item.power, rack_power_for(site, item))


def item_of(catalog, kind: str, item_id: str):
    """The catalog entry a workload of `kind` buys: a storage node for storage, else a server."""
    return catalog.storage[item_id] if kind == "storage" else catalog.servers[item_id]


def category_of(kind: str) -> str:
    """The BOM category of the units a workload of `kind` buys."""
    return "storage" if kind == "storage" else "server"


@dataclass(frozen=True)
class RackItem:
    """A rack position, as `constraints` see it: bought per site (`where: {category: rack}`), with a
    price (policies.costs.rack_price) and a quantity, and no other field."""

    price: float
    id: str = "rack"
    attrs: dict = field(default_factory=dict)


RACK_FIELDS = ("price",)
"""The fields a rack has for `constraints[].sum` and `where`, besides its quantity."""
CONSTRAINT_CATEGORIES = ("server", "storage", "switch", "rack")
"""What `where: {category: ...}` may name: the BOM categories a generic constraint can count."""
FILTER_KEYS = ("category", "id", "site")
"""`where` keys that are not item fields: what the item is, which one, and where it is bought."""


def item_field(item, name: str):
    """The value `where` and `sum` see for `name` on an item: its own field, else its `attrs` entry
    (a bare attribute name resolves to attrs); None when the item has neither."""
    if isinstance(item, RackItem):
        return item.price if name in RACK_FIELDS else None
    if name in type(item).model_fields and name != "attrs":
        return getattr(item, name)
    return item.attrs.get(name)


def attribute(item, name: str) -> float:
    """The number that `constraints[].sum` names on an item: 'quantity' counts items, 'accelerators'
    counts their accelerators, `attrs.X` or a bare X not a field reads attrs. The scenario's names were
    checked at validation (scenario/constraint_names.py): an item that lacks one contributes 0."""
    if name == "quantity":
        return 1.0
    if name == "accelerators":
        ref = getattr(item, "accelerators", None)
        return float(ref.count) if ref else 0.0
    value = item.attrs.get(name[len("attrs."):]) if name.startswith("attrs.") else item_field(item, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    return float(value)


def where_matches(where: dict, category: str, item_id: str, site: str | None, item,
                  ignore_site: bool = False) -> bool:
    """Does a bought item match a `constraints[].where` filter (category, id, site or any field)?"""
    for key, wanted in where.items():
        if key == "site" and ignore_site:
            continue
        actual = {"category": category, "id": item_id, "site": site}[key] if key in FILTER_KEYS \
            else item_field(item, key)
        if isinstance(wanted, list):
            if actual not in wanted:
                return False
        elif actual != wanted:
            return False
    return True


POOL_SIZE_LIMIT = 10_000_000
"""A workload that would need more units than this of its best candidate is a unit slip (validation
refuses it; planning refuses it too, for library callers that skip validation)."""


def least_units(req) -> int:
    """Units of its best candidate a workload needs at the least: its training cluster, or the pool that
    alone meets its demand (0 when nothing can serve it)."""
    sizes = [c.fixed_count if c.fixed_count is not None else pool_bound(req, c) for c in req.candidates]
    return min(sizes, default=0)


def pool_bound(req, cand, extra: int = 0) -> int:
    """Units one pool may hold: what alone meets the whole demand, plus `extra` for generic minimums, in
    whole replicas when a replica spans several servers (a pool of k-server replicas holds a multiple of
    k: its spares are counted on that many units, never fewer)."""
    most = {**req.demand, **getattr(req, "demand_bound", {})}  # storage coupled to a training choice
    needed = [math.ceil(most[d] / cand.per_unit[d] - 1e-9)
              for d in most if most[d] > 0 and cand.per_unit.get(d, 0) > 0]
    units = (max([req.min_units] + needed) if needed else req.min_units) + extra
    whole = max(1, getattr(cand, "units_per_replica", 1))
    return -(-units // whole) * whole
