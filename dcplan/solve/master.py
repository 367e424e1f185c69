"""Restricted master: choose one configuration per workload, and the shared network and racks.

For a model too large to solve whole, each workload gets a few candidate
configurations (columns): its own block optimum (dcplan/blocks.py), the same
servers moved to each other site it may use, and its part of the greedy plan.
The master problem has one binary λ[w,q] per column with Σ_q λ[w,q] = 1; every
pool variable is replaced by Σ_q value_q · λ[w,q] in the shared rows (site
power and racks, fabrics, rack packing, limits, generic constraints) and the
objective, and the shared variables (switches, links, racks) stay free.

Every column satisfies its workload's own rows, so every solution of the
master is a plan of the full model: the master restricts, never relaxes. Its
size is a few binaries per workload plus the shared variables, which an
engine solves in seconds where the full model gives no plan in a minute.
Its optimum is not a bound: the bound reported stays the full model's
(the LP relaxation with workload cuts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from dcplan.model.linear import Expr, LinearModel, Owner, Row, Variable


def _shifted(model: LinearModel, block, column: dict[int, float], sites: list[str], shift: int):
    """The same configuration with every site moved `shift` places along the scenario's site list.

    Sizing does not depend on the site, so the counts, spares and fabric stay valid;
    None if the workload may not use a site it would move to. Each variable is found at
    its new site through the owner it was created with.
    """
    rename = {site: sites[(k + shift) % len(sites)] for k, site in enumerate(sites)}
    moved: dict[int, float] = {}
    for i, v in column.items():
        if abs(v) <= 1e-9:
            continue
        variable = model.variables[i]
        owner = variable.owner
        target = None if owner is None or owner.site is None else model.find(variable.symbol,
                                                                            owner.at(rename[owner.site]))
        if target is None or target not in block.costs:
            return None
        moved[target] = v
    return moved


def satisfies(model: LinearModel, rows: list[int], column: dict[int, float]) -> bool:
    """Does a column (its non-zero values; the rest 0) meet these rows?"""
    return all(model.rows[j].holds(sum(c * column.get(i, 0.0) for i, c in model.rows[j].terms.items()))
               for j in rows)


def columns(built, blocks, plans: list[list[float]]) -> dict[str, list[dict[int, float]]]:
    """Distinct configurations per workload: block optimum, its moves to other sites, and each plan's."""
    chosen: dict[str, list[dict[int, float]]] = {name: [] for name in blocks}
    add_columns(built, blocks, chosen, {name: block.solution for name, block in blocks.items()})
    for plan in plans:
        add_columns(built, blocks, chosen, {name: {i: plan[i] for i in block.variables}
                                            for name, block in blocks.items()}, shifts=False)
    return {name: found for name, found in chosen.items() if found}


def add_columns(built, blocks, chosen: dict[str, list[dict[int, float]]], solutions: dict,
                shifts: bool = True) -> int:
    """Add each workload's configuration (and, with `shifts`, its moves along the site list) to `chosen`,
    if new and valid for the workload's rows; return how many were added."""
    model = built.lm
    site_names = [s.name for s in built.scenario.sites]
    added = 0
    for name, solution in solutions.items():
        if solution is None or name not in chosen:
            continue
        block = blocks[name]
        known = {tuple(sorted(c.items())) for c in chosen[name]}
        for shift in range(len(site_names) if shifts else 1):
            column = solution if shift == 0 else _shifted(model, block, solution, site_names, shift)
            if column is None:
                continue
            column = {i: v for i, v in column.items() if abs(v) > 1e-9}
            key = tuple(sorted(column.items()))
            if key not in known and satisfies(model, block.rows, column):
                known.add(key)
                chosen[name].append(column)
                added += 1
    return added


@dataclass
class Master:
    """The master model and how it maps to the full model."""

    model: LinearModel
    full: LinearModel
    position: dict[int, int]  # shared full-model variable -> master variable
    lambdas: dict[str, list[int]]  # workload -> master variable of each column
    columns: dict[str, list[dict[int, float]]]
    row_source: list[int | None]  # master row -> full-model row (None: a choose row)
    choose_row: dict[str, int]  # workload -> its master row Σ_q λ = 1
    expansion: dict[int, list[tuple[int, float]]] = field(default_factory=dict)

    def to_full(self, values: list[float]) -> list[float]:
        full = [0.0] * len(self.full.variables)
        for i, k in self.position.items():
            full[i] = values[k]
        for i, parts in self.expansion.items():
            full[i] = sum(v * round(values[k]) for k, v in parts)
        return full

    def from_full(self, full: list[float], blocks) -> list[float] | None:
        """Master values for a full plan whose every workload uses one of its columns (else None)."""
        values = [0.0] * len(self.model.variables)
        for i, k in self.position.items():
            values[k] = full[i]
        for name, cols in self.columns.items():
            for q, column in enumerate(cols):
                if all(abs(full[i] - column.get(i, 0.0)) <= 1e-6 for i in blocks[name].variables):
                    values[self.lambdas[name][q]] = 1.0
                    break
            else:
                return None
        return values

    def relaxation(self) -> LinearModel:
        """The master's LP relaxation with λ ≤ 1 left to the choose rows, so their duals price whole columns."""
        variables = [replace(v, integer=False) for v in self.model.variables]
        for indices in self.lambdas.values():
            for k in indices:
                variables[k].ub = math.inf
        return LinearModel(variables, self.model.rows, self.model.objective, self.model.names)


def build_master(model: LinearModel, blocks, chosen: dict[str, list[dict[int, float]]]) -> Master:
    """The master over `chosen` columns; workloads without columns keep their own variables."""
    owner = {i: name for name, block in blocks.items() if name in chosen for i in block.variables}
    master = LinearModel()
    position = {}
    for i, v in enumerate(model.variables):
        if i not in owner:
            position[i] = len(master.variables)
            master.variables.append(replace(v))
    lambdas: dict[str, list[int]] = {}
    row_source: list[int | None] = []
    choose_row: dict[str, int] = {}
    expansion: dict[int, list[tuple[int, float]]] = {}
    for name, cols in chosen.items():
        lambdas[name] = []
        for q, column in enumerate(cols):
            k = len(master.variables)
            lambdas[name].append(k)
            master.variables.append(Variable(f"lambda[workload={name},q={q}]", 0.0, 1.0, True,
                                             Owner(name, detail=(("q", q),))))
            for i, v in column.items():
                expansion.setdefault(i, []).append((k, v))
        choose_row[name] = len(master.rows)
        row_source.append(None)
        master.rows.append(Row(f"master.choose[workload={name}]", "master", {k: 1.0 for k in lambdas[name]},
                               1.0, 1.0))

    def translate(terms: dict[int, float]) -> dict[int, float]:
        """Σ c·v over full-model variables, as master variables (pool values through the columns)."""
        out: dict[int, float] = {}
        for i, c in terms.items():
            if i in position:
                out[position[i]] = out.get(position[i], 0.0) + c
            else:
                for k, v in expansion.get(i, ()):
                    out[k] = out.get(k, 0.0) + c * v
        return {k: c for k, c in out.items() if c}

    in_block = {j for name, block in blocks.items() if name in chosen for j in block.rows}
    for j, row in enumerate(model.rows):
        if j in in_block:
            continue  # every column satisfies its own workload's rows
        terms = translate(row.terms)
        if terms:
            row_source.append(j)
            master.rows.append(Row(row.name, row.family, terms, row.lo, row.hi, row.origin))
    master.objective = Expr(translate(model.objective.terms), model.objective.constant)
    return Master(master, model, position, lambdas, chosen, row_source, choose_row, expansion)
