"""Per-workload blocks: each workload's own integer problem, its lower bound as a cut, and its plan.

Every workload owns its pool variables (servers, spares, spare steps, site
use) and, for training, its back-end fabric; the rows over those variables
alone (demand, site failure, durability, spares, rounding cuts) form its
block. The shared rows (site power and racks, front-end fabrics, rack
packing, limits) couple the blocks. Solving each block alone, exactly and
with integer variables, gives two things the whole model struggles to find:

- a **lower bound** LB_w = min f_w(v) over the block's integer points, for any
  linear f_w. Every plan restricted to w is such a point, so the cut
  f_w(v_w) ≥ LB_w is valid. With f_w = the objective's own coefficients plus
  the least price of the front-end network ports and rack space each unit
  needs (see `port_prices`), the LP relaxation must pay for whole servers,
  whole spares and their ports, as integer plans do (docs/model.md, "Workload
  cuts");
- a **configuration**: the block's optimum, a column for dcplan/master.py.

A block solve that hits its time limit still gives a valid bound: HiGHS's
proven dual bound, never its incumbent.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from dcplan.model.linear import Expr, LinearModel, Row

CUT_SAFETY = 1e-6
"""Relative slack on each cut's right-hand side, so engine tolerances can never cut off a plan."""
BLOCK_TIME_LIMIT = 0.2
"""Seconds one block may take: almost all finish in milliseconds; a slow one keeps its proven bound."""


BLOCK_GAP = 1e-4
"""Relative gap a block solve stops at: its proven bound is then within 0.01 % of its optimum,
and the cuts and the Lagrangian bound lose at most that."""


@dataclass
class Block:
    workload: str
    variables: list[int]  # indices in the full model
    rows: list[int] = field(default_factory=list)  # rows over these variables only
    costs: dict[int, float] = field(default_factory=dict)  # f_w: objective + port and rack prices
    bound: float | None = None  # proven min of f_w over the block's integer points
    solution: dict[int, float] | None = None  # the block's best integer point (its own variables)


def owners(model: LinearModel) -> dict[str, list[int]]:
    """Variable indices each workload owns: its pools, spares, steps, site use and training fabric,
    as recorded on each variable when the model was built."""
    owned: dict[str, list[int]] = {}
    for index, variable in enumerate(model.variables):
        if variable.owner is not None and variable.owner.workload is not None:
            owned.setdefault(variable.owner.workload, []).append(index)
    return owned


def find_blocks(built) -> dict[str, Block]:
    """One block per workload, with the rows that touch only its variables and its cost function."""
    model = built.lm
    blocks = {name: Block(name, indices) for name, indices in owners(model).items()}
    owner = {i: name for name, block in blocks.items() for i in block.variables}
    for j, row in enumerate(model.rows):
        names = {owner.get(i) for i in row.terms}
        if len(names) == 1:
            name = names.pop()
            if name is not None:
                blocks[name].rows.append(j)
    unit_prices = port_and_rack_prices(built)
    for block in blocks.values():
        block.costs = {i: model.objective.terms.get(i, 0.0) + unit_prices.get(i, 0.0) for i in block.variables}
    return blocks


def port_and_rack_prices(built) -> dict[int, float]:
    """What each unit of a service pool costs at least in shared front-end network and racks.

    A front-end port of speed v on switch type s, with d down and u up ports per
    leaf, P ports per spine and oversubscription o, needs in the LP relaxation
    one link a, leaves a·max(1/d, 1/(o·u)), uplinks a/o and spines a/(o·P):
        ρ_v = min_{s: speed_s ≥ v} c_a + c_L·max(1/d, 1/(o·u)) + c_U/o + c_S/(o·P)
    with c the objective's coefficients of those variables (price, optics, energy).
    A unit with n ports of speed v then costs n·ρ_v in network, and f units of
    its rack (r ≥ f·units) c_r·f in racks. Any price keeps the cuts valid; these
    make the LP's own network and rack cost at least what the cut charges.
    """
    from dcplan.rules import item_of, leaf_split, rack_share

    model, catalog = built.lm, built.catalog
    objective = model.objective.terms
    homing = 2 if built.scenario.policies.network.dual_homed else 1

    def coefficient(expr: Expr) -> float:
        return sum(objective.get(i, 0.0) * c for i, c in expr.terms.items())

    prices: dict[int, float] = {}

    def charge(expr: Expr, amount: float) -> None:
        for i, c in expr.terms.items():
            prices[i] = prices.get(i, 0.0) + c * amount

    per_port: dict[tuple[str, float], float] = {}
    for fabric in built.fabrics:
        if fabric.kind != "frontend":
            continue
        for speed in fabric.ports_by_speed:
            best = math.inf
            for s_id, links in fabric.links.items():
                if speed not in links:
                    continue
                switch = catalog.switches[s_id]
                down, up = leaf_split(switch.ports, fabric.oversubscription)
                o = fabric.oversubscription
                leaves_per_port = max(1.0 / down, 1.0 / (o * up)) if up > 0 else 1.0 / down
                best = min(best, coefficient(links[speed]) + coefficient(fabric.leaves[s_id]) * leaves_per_port
                           + coefficient(fabric.uplinks[s_id]) / o
                           + coefficient(fabric.spines[s_id]) / (o * switch.ports))
            if best < math.inf:
                per_port[(fabric.name, speed)] = best
    sites = {s.name: s for s in built.scenario.sites}
    for pool in built.pools:
        item = item_of(catalog, pool.kind, pool.item)
        unit = 0.0
        if pool.kind != "training" and item.nics is not None and item.nics.count:
            unit += item.nics.count * homing * per_port.get((f"frontend:{pool.group}@{pool.site}", item.nics.speed),
                                                            0.0)
        racks = built.racks.get((pool.item, pool.site, pool.group))
        if racks is not None:
            unit += coefficient(racks) * rack_share(sites[pool.site], item)
        if unit > 0:
            charge(pool.active + pool.spares, unit)
    return prices


def block_model(model: LinearModel, block: Block, costs: dict[int, float] | None = None) -> LinearModel:
    """The block as a model of its own: its variables, its rows, f_w (or `costs`) as the objective."""
    costs = block.costs if costs is None else costs
    local = {index: position for position, index in enumerate(block.variables)}
    sub = LinearModel([replace(model.variables[i]) for i in block.variables])
    for j in block.rows:
        row = model.rows[j]
        sub.rows.append(Row(row.name, row.family, {local[i]: c for i, c in row.terms.items()}, row.lo, row.hi,
                            row.origin))
    sub.objective = Expr({local[i]: costs.get(i, 0.0) for i in block.variables if costs.get(i, 0.0)})
    return sub


@dataclass
class BlockResult:
    bound: float | None  # proven minimum of the block's objective (None: not solved in time)
    solution: dict[int, float] | None  # its best integer point


def solve_blocks(built, blocks: dict[str, Block], time_budget: float, threads: int = 2,
                 costs=None) -> dict[str, BlockResult]:
    """Solve every block alone, two at a time, within `time_budget` seconds.

    The objective is each block's f_w, or `costs(block)` (a {variable: cost} map,
    e.g. reduced costs when pricing columns for dcplan/master.py). Blocks not
    reached in time are missing from the result.
    """
    from dcplan.solve.highs_direct import run, to_highs
    from dcplan.solve.engines import _engine_output_to_stderr

    deadline = time.perf_counter() + time_budget
    model = built.lm
    results: dict[str, BlockResult] = {}

    def solve_one(block: Block) -> None:
        remaining = deadline - time.perf_counter()
        if remaining <= 0.01:
            return
        sub = block_model(model, block, None if costs is None else costs(block))
        result = run(to_highs(sub), min(BLOCK_TIME_LIMIT, remaining), gap=BLOCK_GAP, threads=1)
        solution = None
        if result.values is not None:
            solution = {i: float(round(v)) if model.variables[i].integer else v
                        for i, v in zip(block.variables, result.values)}
        results[block.workload] = BlockResult(result.bound, solution)

    ordered = sorted(blocks.values(), key=lambda b: -len(b.variables))  # slow ones first, while time is plenty
    executor = ThreadPoolExecutor(max(1, threads))
    try:
        with _engine_output_to_stderr():
            for future in [executor.submit(solve_one, block) for block in ordered]:
                future.result()
    except KeyboardInterrupt:
        deadline = 0.0  # blocks still queued return at once
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return results


def solve_for_cuts(built, blocks: dict[str, Block], time_budget: float, threads: int = 2) -> int:
    """Solve each block for its f_w: record its proven bound and optimum; return how many were solved."""
    results = solve_blocks(built, blocks, time_budget, threads)
    for name, result in results.items():
        blocks[name].bound, blocks[name].solution = result.bound, result.solution
    return len(results)


def add_cuts(built, blocks: dict[str, Block]) -> int:
    """f_w(v_w) ≥ LB_w for every block with a positive proven bound, scaled to a right-hand side of 1."""
    added = 0
    for block in blocks.values():
        if block.bound is None or not math.isfinite(block.bound) or block.bound <= 0:
            continue
        scale = 1.0 / block.bound
        expr = Expr({i: c * scale for i, c in block.costs.items() if c})
        built.lm.ge(f"cut.workload[workload={block.workload}]", "cuts", expr, 1.0 - CUT_SAFETY,
                    origin=f"workloads[{built.workload(block.workload)[0]}]")
        added += 1
    return added
