"""Independent check of a plan: recompute every constraint and the totals from the plan alone.

Uses only the Plan (BOM, assignments, fabrics, racks), the scenario, the
catalog and the sizing requirements — never the model's rows — so a bug in
the model or an engine's tolerance shows up here. Any violation is a bug in
dcplan and raises PlanVerificationError.
"""

from __future__ import annotations

import math
from collections import defaultdict

from dcplan.sizing import spares as spares_math
from dcplan.scenario.catalog import Catalog
from dcplan.rules import (CONSTRAINT_CATEGORIES, HOURS_PER_YEAR, POWER_BLOCK, RackItem, attribute, block_price,
                          group_of, idle_kw, leaf_split, placement_refusal, rack_share, serves_fabric,
                          where_matches)
from dcplan.plan.extract import Plan
from dcplan.scenario.schema import Scenario
from dcplan.sizing import Requirement

REL_TOL = 1e-6


class PlanVerificationError(AssertionError):
    def __init__(self, problems: list[str]):
        super().__init__("plan failed verification (a bug in dcplan):\n  " + "\n  ".join(problems))
        self.problems = problems


def _close_enough(lhs: float, rhs: float, sense: str) -> bool:
    tol = REL_TOL * max(1.0, abs(rhs), abs(lhs))
    return lhs <= rhs + tol if sense == "<=" else lhs >= rhs - tol


def verify(plan: Plan, scenario: Scenario, catalog: Catalog, requirements: dict[str, Requirement],
           whole: bool = True) -> None:
    """Raise PlanVerificationError listing every rule the plan breaks. `whole=False` checks what is in
    use in one period of a build-out: every physical rule, but not the totals, objective and limits,
    which a build-out checks over its purchases (dcplan/plan/buildout_verify.py)."""
    problems: list[str] = []
    check = _Checker(plan, scenario, catalog, requirements, problems)
    check.demand()
    check.spares()
    check.security()
    check.storage()
    check.colocation()
    check.network()
    check.racks()
    check.power()
    check.generic_constraints()
    if whole:
        check.totals()
        check.limits()
    if problems:
        raise PlanVerificationError(problems)


def period_energy(plan: Plan, scenario: Scenario, catalog: Catalog, requirements: dict[str, Requirement]) -> dict:
    """Energy (MWh/year), its cost (per year), carbon (t/year) and facility power (kW) of what a plan has
    in use, recomputed from its assignments and BOM alone."""
    return _Checker(plan, scenario, catalog, requirements, []).recompute_totals()


class _Checker:
    def __init__(self, plan, scenario, catalog, requirements, problems):
        self.plan, self.scenario, self.catalog, self.reqs, self.problems = (plan, scenario, catalog, requirements,
                                                                            problems)
        self.workloads = {w.name: w for w in scenario.workloads}
        self.sites = {s.name: s for s in scenario.sites}
        # Each workload's assignments, grouped once: the checks below look them up per workload, and
        # scanning every assignment per workload costs minutes at 10,000 workloads.
        self.assigned: dict[str, list] = defaultdict(list)
        for a in plan.assignments:
            self.assigned[a.workload].append(a)
        self._candidates = {name: {c.item: c for c in req.candidates} for name, req in requirements.items()}

    def fail(self, message: str) -> None:
        self.problems.append(message)

    def item(self, item_id: str):
        return self.catalog.find(item_id)[1]

    def candidate(self, workload: str, item_id: str):
        return self._candidates[workload].get(item_id)

    def demand(self) -> None:
        for name, req in self.reqs.items():
            rows = self.assigned.get(name, [])
            for a in rows:
                if self.candidate(name, a.item) is None:
                    self.fail(f"{name}: assigned to {a.item}, which sizing ruled out")
                elif a.servers % self.candidate(name, a.item).units_per_replica:
                    self.fail(f"{name}: {a.servers} x {a.item} at {a.site} is not a whole number of "
                              f"{self.candidate(name, a.item).units_per_replica}-server replicas")
                allowed = self.workloads[name].sites
                if allowed is not None and a.site not in allowed:
                    self.fail(f"{name}: placed at {a.site}, outside its sites {allowed}")
            if req.kind == "training":
                if len(rows) != 1:
                    self.fail(f"{name}: training must be one cluster, found {len(rows)} pools")
                elif self.candidate(name, rows[0].item) is None:
                    pass  # reported above: sizing ruled the item out
                elif rows[0].servers != self.candidate(name, rows[0].item).fixed_count:
                    self.fail(f"{name}: cluster has {rows[0].servers} servers, sizing needs "
                              f"{self.candidate(name, rows[0].item).fixed_count}")
                continue
            down_sites = [None] + (list(self.sites) if getattr(self.workloads[name], "survive_site_failure", False)
                                   else [])
            for down in down_sites:
                for dim, amount in req.demand.items():
                    supply = sum(a.servers * self.candidate(name, a.item).per_unit.get(dim, 0.0)
                                 for a in rows if a.site != down and self.candidate(name, a.item))
                    if not _close_enough(supply, amount, ">="):
                        where = f" with site {down} down" if down else ""
                        self.fail(f"{name}: supplies {supply:g} {dim}{where}, needs {amount:g}")

    def spares(self) -> None:
        mttr = self.scenario.policies.redundancy.mttr
        for a in self.plan.assignments:
            workload = self.workloads[a.workload]
            if workload.spares is not None:
                needed = spares_math.explicit_spares(workload.spares, a.servers)
            elif workload.availability is not None:
                p = spares_math.unavailability(self.item(a.item).failure_rate, mttr)
                needed = spares_math.spares_needed(a.servers, p, workload.availability)
            else:
                needed = 0
            if a.spares < needed:
                self.fail(f"{a.workload} at {a.site} on {a.item}: {a.spares} spares, availability needs {needed}")

    def security(self) -> None:
        for a in self.plan.assignments:
            level = self.workloads[a.workload].security
            item = self.item(a.item)
            if level in ("confidential", "restricted"):
                secure = item.encryption if self.reqs[a.workload].kind == "storage" else item.confidential_computing
                if not secure:
                    self.fail(f"{a.workload} ({level}) runs on {a.item}, which lacks "
                              f"{'encryption at rest' if self.reqs[a.workload].kind == 'storage' else 'confidential computing'}")

    def storage(self) -> None:
        for name, req in self.reqs.items():
            if req.kind != "storage":
                continue
            per_site = defaultdict(int)
            for a in self.assigned.get(name, []):
                per_site[a.site] += a.servers
            for site, nodes in per_site.items():
                if 0 < nodes < req.min_units:
                    self.fail(f"{name}: {nodes} storage nodes at {site}, durability needs at least {req.min_units}")

    def colocation(self) -> None:
        """Storage colocated with a training run sits at the run's site, with the throughput it needs."""
        for name, workload in self.workloads.items():
            target = getattr(workload, "colocate_with", None)
            if target is None or name not in self.reqs:
                continue
            cluster = self.assigned.get(target, [])
            sites = {a.site for a in cluster}
            for a in self.assigned.get(name, []):
                if a.site not in sites:
                    self.fail(f"{name}: storage at {a.site}, but training {target} runs at {sorted(sites)}")
            if name != target + ".storage" or len(cluster) != 1:
                continue
            chosen = self.candidate(target, cluster[0].item)
            need = chosen.detail.get("storage_throughput_GBps", 0.0) if chosen else 0.0
            supply = sum(a.servers * self.item(a.item).throughput for a in self.assigned.get(name, [])
                         if a.site == cluster[0].site)
            if not _close_enough(supply, need, ">="):
                self.fail(f"{name}: {supply:g} GB/s at {cluster[0].site}, training {target} needs {need:g} GB/s")

    def network(self) -> None:
        """Every port lands on a leaf of its fabric; leaves, uplinks and spines add up; the BOM buys them."""
        expected = self._expected_ports()
        fabrics = {f.name: f for f in self.plan.fabrics}
        switches, optics = defaultdict(int), defaultdict(int)
        for name, by_speed in expected.items():
            fabric = fabrics.get(name)
            if fabric is None:
                self.fail(f"fabric {name}: {sum(by_speed.values()):g} ports but no fabric")
                continue
            self._fabric(fabric, by_speed, switches, optics)
        self._network_bom(switches, optics)

    def _expected_ports(self) -> dict[str, dict[float, float]]:
        """Ports per fabric and NIC speed, from the assignments alone (servers and spares, dual-homing)."""
        homing = 2 if self.scenario.policies.network.dual_homed else 1
        ports = defaultdict(lambda: defaultdict(float))
        for a in self.plan.assignments:
            item = self.item(a.item)
            if item.nics is None or item.nics.count == 0:
                continue
            group = group_of(self.scenario, self.workloads[a.workload].security)
            label = f"train:{a.workload}" if self.reqs[a.workload].kind == "training" else f"frontend:{group}"
            ports[f"{label}@{a.site}"][item.nics.speed] += (a.servers + a.spares) * item.nics.count * homing
        return ports

    def _fabric(self, fabric, by_speed: dict[float, float], switches, optics) -> None:
        name, ports, o = fabric.name, sum(by_speed.values()), fabric.oversubscription
        capacity = 0
        for s_id in {**fabric.leaves, **fabric.spines}:
            if not serves_fabric(self.catalog.switches[s_id], fabric.kind):
                self.fail(f"fabric {name}: {s_id} is an InfiniBand switch; a front-end network is Ethernet")
        for s_id, leaves in fabric.leaves.items():
            sw = self.catalog.switches[s_id]
            down, up = leaf_split(sw.ports, o)
            capacity += down * leaves
            spines, links, uplinks = (fabric.spines.get(s_id, 0), fabric.assigned.get(s_id, 0),
                                      fabric.uplinks.get(s_id, 0))
            if links > down * leaves:
                self.fail(f"fabric {name}: {links} links on {leaves} leaves of {s_id} ({down} ports each)")
            if uplinks * o < links - 1e-9 or uplinks > up * leaves:
                self.fail(f"fabric {name}: {uplinks} uplinks for {links} links breaks {o:g}:1"
                          f" or exceeds {up * leaves} leaf uplink ports")
            if spines * sw.ports < uplinks:
                self.fail(f"fabric {name}: {spines} spines of {s_id} cannot take {uplinks} uplinks")
            switches[(fabric.site, s_id)] += leaves + spines
            optics[(fabric.site, s_id)] += 2 * links + 2 * uplinks
        for s_id, spines in fabric.spines.items():
            if s_id not in fabric.leaves:
                switches[(fabric.site, s_id)] += spines
        if not _close_enough(capacity, ports, ">="):
            self.fail(f"fabric {name}: leaves offer {capacity} server ports, {ports:g} needed")
        self._port_speeds(fabric, by_speed)
        if not _close_enough(sum(fabric.assigned.values()), ports, ">="):
            self.fail(f"fabric {name}: {sum(fabric.assigned.values()):g} ports cabled, {ports:g} needed")

    def _port_speeds(self, fabric, by_speed: dict[float, float]) -> None:
        """Hall's condition for nested speeds: ports at least this fast fit switches at least this fast."""
        for speed in by_speed:
            faster_ports = sum(n for v, n in by_speed.items() if v >= speed)
            fast_capacity = sum(leaf_split(self.catalog.switches[s_id].ports, fabric.oversubscription)[0] * n
                                for s_id, n in fabric.leaves.items()
                                if self.catalog.switches[s_id].port_speed >= speed)
            if not _close_enough(fast_capacity, faster_ports, ">="):
                self.fail(f"fabric {fabric.name}: {faster_ports:g} ports of {speed:g} Gb/s or more, but switches "
                          f"that fast offer {fast_capacity}")

    def _network_bom(self, switches, optics) -> None:
        for line in self.plan.bom:
            if line.category == "switch" and line.quantity != switches.get((line.site, line.item), 0):
                self.fail(f"BOM {line.site}/{line.item}: {line.quantity} switches, fabrics use "
                          f"{switches.get((line.site, line.item), 0)}")
            if line.category == "optic":
                s_id = line.item.removesuffix("-optic")
                if not _close_enough(line.quantity, optics.get((line.site, s_id), 0), ">="):
                    self.fail(f"BOM {line.site}/{line.item}: {line.quantity} optics, links need "
                              f"{optics.get((line.site, s_id), 0):g}")

    def racks(self) -> None:
        units = defaultdict(int)
        for a in self.plan.assignments:
            group = group_of(self.scenario, self.workloads[a.workload].security)
            units[(a.item, a.site, group)] += a.servers + a.spares
            refusal = placement_refusal(self.sites[a.site], self.item(a.item))
            if refusal is not None and a.servers + a.spares > 0:
                self.fail(f"{a.workload} at {a.site} on {a.item}: {refusal}")
        for fabric in self.plan.fabrics:
            for s_id in set(fabric.leaves) | set(fabric.spines):
                units[(s_id, fabric.site, fabric.group)] += fabric.leaves.get(s_id, 0) + fabric.spines.get(s_id, 0)
        used = defaultdict(int)
        for (item_id, site_name, group), count in units.items():
            item = self.item(item_id)
            factor = rack_share(self.sites[site_name], item)
            needed = math.ceil(count * factor - 1e-9)
            have = self.plan.racks.get(f"{item_id}|{site_name}|{group}", 0)
            if have < needed:
                self.fail(f"{item_id} at {site_name} ({group}): {count} units need {needed} racks, plan has {have}")
        for key, have in self.plan.racks.items():  # every group's racks, also one an engine left empty
            used[key.rsplit("|", 2)[1]] += have
        for site in self.scenario.sites:
            if used[site.name] > site.racks:
                self.fail(f"site {site.name}: {used[site.name]} racks used, {site.racks} available")
            summary = next(s for s in self.plan.sites if s.name == site.name)
            if summary.racks != used[site.name]:
                self.fail(f"site {site.name}: summary says {summary.racks} racks, groups add up to {used[site.name]}")

    def site_it_power(self) -> dict[str, float]:
        power = defaultdict(float)
        for a in self.plan.assignments:
            item = self.item(a.item)
            power[a.site] += a.servers * item.power + a.spares * idle_kw(item)
        for line in self.plan.bom:
            if line.category in ("switch", "optic"):
                power[line.site] += line.power_kw
        return power

    def power(self) -> None:
        power = self.site_it_power()
        for site in self.scenario.sites:
            facility = power[site.name] * site.pue
            if not _close_enough(facility, site.power, "<="):
                self.fail(f"site {site.name}: facility power {facility:,.1f} kW exceeds {site.power:,.1f} kW")
            self._built_power(site, facility)
            summary = next(s for s in self.plan.sites if s.name == site.name)
            if not math.isclose(summary.it_power_kw, power[site.name], rel_tol=1e-6, abs_tol=1e-6):
                self.fail(f"site {site.name}: reported IT power {summary.it_power_kw:g} kW, recomputed "
                          f"{power[site.name]:g} kW")

    def _built_power(self, site, facility: float) -> None:
        """A site being built draws no more than the blocks its BOM builds; no other site builds any."""
        lines = [line for line in self.plan.bom if line.site == site.name and line.category == "facility"]
        if site.build is None:
            if lines:
                self.fail(f"site {site.name}: the BOM builds facility power at a site that is not being built")
            return
        blocks = sum(line.quantity for line in lines)
        if not _close_enough(facility, blocks * site.build.block, "<="):
            self.fail(f"site {site.name}: facility power {facility:,.1f} kW exceeds the {blocks} block(s) of "
                      f"{site.build.block:,.0f} kW built")
        for line in lines:
            if line.item != POWER_BLOCK or not math.isclose(line.unit_price, block_price(site), rel_tol=1e-9):
                self.fail(f"BOM {site.name}/{line.item}: a block of facility power costs {block_price(site):,.2f}, "
                          f"the line says {line.unit_price:,.2f}")

    def recompute_totals(self) -> dict:
        capex = sum(line.unit_price * line.quantity for line in self.plan.bom)
        energy_kw = defaultdict(float)
        for a in self.plan.assignments:
            item = self.item(a.item)
            candidate = self.candidate(a.workload, a.item)
            load = 1.0 if candidate is None else candidate.load  # an item sizing ruled out is reported by demand()
            idle = idle_kw(item)
            energy_kw[a.site] += a.servers * (idle + load * (item.power - idle)) + a.spares * idle
        for line in self.plan.bom:
            if line.category in ("switch", "optic"):
                energy_kw[line.site] += line.power_kw
        energy = carbon = energy_cost = rent = 0.0
        it_power = self.site_it_power()
        for site in self.scenario.sites:
            mwh = energy_kw[site.name] * HOURS_PER_YEAR * site.pue / 1000.0
            energy += mwh
            carbon += mwh * site.carbon_intensity
            if site.colocation is None and not site.cloud:
                energy_cost += mwh * 1000.0 * site.electricity_price
            elif site.colocation is not None:  # electricity is in the rent, 12 months of the IT power contracted
                rent += it_power[site.name] * 12.0 * site.colocation.price_per_kw_month
        equipment = sum(line.unit_price * line.quantity for line in self.plan.bom if line.category != "facility")
        opex = energy_cost + rent + self.leases() + equipment * self.scenario.policies.costs.maintenance
        facility = sum(p * self.sites[k].pue for k, p in self.site_it_power().items())
        return {"capex": capex, "opex_per_year": opex, "tco": capex + self.scenario.horizon * opex,
                "energy_mwh_per_year": energy, "carbon_t_per_year": carbon, "facility_power_kw": facility,
                "energy_cost_per_year": energy_cost, "colocation_per_year": rent}

    def leases(self) -> float:
        """Yearly opex of the leased BOM lines: every hour of the horizon H is paid, and at least one term T,
        so a unit costs price_per_hour × 8760 × max(H, T) over the horizon. A leased line costs no capex."""
        horizon, total = self.scenario.horizon, 0.0
        for line in self.plan.bom:
            if line.sourcing is None:
                continue
            lease = getattr(self.item(line.item), "lease", None)
            if line.sourcing != "leased" or lease is None:
                self.fail(f"BOM {line.site}/{line.item}: {line.sourcing!r}, but the catalog offers no lease for it")
                continue
            if line.extended_price != 0 or not math.isclose(line.lease_per_year or 0.0, lease.price_per_hour * 8760.0,
                                                            rel_tol=1e-9):
                self.fail(f"BOM {line.site}/{line.item}: a leased line costs no capex and "
                          f"{lease.price_per_hour * 8760:,.2f} a year per unit; it says {line.extended_price:,.2f} "
                          f"and {line.lease_per_year}")
            total += line.quantity * lease.price_per_hour * 8760.0 * max(horizon, lease.term) / horizon
        return total

    def totals(self) -> None:
        expected = self.recompute_totals()
        for key, value in expected.items():
            if key not in self.plan.totals:
                continue
            if not math.isclose(self.plan.totals[key], value, rel_tol=1e-6, abs_tol=1e-6):
                self.fail(f"totals.{key}: plan says {self.plan.totals[key]:,.6g}, recomputed {value:,.6g}")
        metric = {"tco": "tco", "capex": "capex", "energy": "energy_mwh_per_year", "carbon": "carbon_t_per_year",
                  "power": "facility_power_kw"}
        objective = self.scenario.objective
        weights = {objective: 1.0} if isinstance(objective, str) else objective
        value = sum(w * expected[metric[name]] for name, w in weights.items())
        if not math.isclose(self.plan.objective_value, value, rel_tol=1e-6, abs_tol=1e-6):
            self.fail(f"objective: plan says {self.plan.objective_value:,.6g}, recomputed {value:,.6g}")
        bom_capex = sum(line.extended_price for line in self.plan.bom)
        if not math.isclose(bom_capex, self.plan.totals["capex"], rel_tol=1e-9, abs_tol=1e-6):
            self.fail(f"BOM sums to {bom_capex:,.2f}, capex is {self.plan.totals['capex']:,.2f}")

    def generic_constraints(self) -> None:
        """Each constraint summed over the BOM lines it matches: servers, storage, switches and racks."""
        rack = RackItem(self.scenario.policies.costs.rack_price)
        for constraint in self.scenario.constraints:
            value = 0.0
            for line in self.plan.bom:
                if line.category not in CONSTRAINT_CATEGORIES:
                    continue
                item = rack if line.category == "rack" else self.item(line.item)
                if where_matches(constraint.where, line.category, line.item, line.site, item):
                    value += attribute(item, constraint.sum) * line.quantity
            if constraint.min is not None and not _close_enough(value, constraint.min, ">="):
                self.fail(f"constraint {constraint.name}: {value:g} below min {constraint.min:g}")
            if constraint.max is not None and not _close_enough(value, constraint.max, "<="):
                self.fail(f"constraint {constraint.name}: {value:g} above max {constraint.max:g}")

    def limits(self) -> None:
        totals = self.recompute_totals()
        keys = {"capex": "capex", "tco": "tco", "power": "facility_power_kw", "energy": "energy_mwh_per_year",
                "carbon": "carbon_t_per_year"}
        for name, key in keys.items():
            cap = getattr(self.scenario.limits, name)
            if cap is not None and not _close_enough(totals[key], cap, "<="):
                self.fail(f"limit {name}: {totals[key]:,.6g} exceeds {cap:,.6g}")
