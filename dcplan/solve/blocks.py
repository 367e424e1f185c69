"""Per-workload blocks: each workload's own integer problem, its lower bound as a cut, and its plan.

Every workload owns its pool variables (servers, spares, spare steps, site use) and, for training, its
back-end fabric; the rows over those variables alone (demand, site failure, durability, spares,
rounding cuts) form its block. The shared rows (site power and racks, front-end fabrics, rack
packing, limits) couple the blocks. Solving each block alone, exactly and with integer variables,
gives two things the whole model struggles to find:

- a **lower bound** LB_w = min f_w(v) over the block's integer points, for any linear f_w. Every plan
  restricted to w is such a point, so the cut f_w(v_w) ≥ LB_w is valid. With f_w = the objective's
  own coefficients plus the least price of the front-end network ports and rack space each unit
  needs (see `port_and_rack_prices`), the LP relaxation must pay for whole servers, whole spares and
  their ports, as integer plans do (docs/model.md, "Workload cuts"). Those prices never exceed what
  any plan pays for its shared network and racks, so Σ_w LB_w is itself a lower bound on every plan;
- a **configuration**: the block's optimum, a column for dcplan/solve/master.py.

A block solve that hits its time limit still gives a valid bound: the engine's proven dual bound, never
its incumbent. Blocks are cut out of the model's arrays (`Matrix.sub`) and solved inside OR-Tools, two at
a time (the engines release the GIL): by SCIP first, and by HiGHS as well when SCIP stops short of the
block's gap, starting from SCIP's point; the block keeps the better point and the higher bound.

Why two engines (measured on the 1,050 blocks of W=1000 × 60 × 4, 0.2 s each, one thread): HiGHS alone
took 36 s of CPU, and its points added up to 501.4 M against bounds of 490.7 M (2.2 %): on small
services that must survive a site failure it often stops at a point twice the optimum (one block:
3.01 M; SCIP proves 1.29 M in 1.3 s). SCIP alone took 19.9 s, points 493.3 M, bounds 488.4 M (1.0 %).
The better of both per block: points 493.3 M, bounds 491.9 M (0.29 %). SCIP stops short on about 35
blocks, so the second pass costs about 7 s of CPU.
"""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from dcplan.model.linear import Expr, LinearModel

CUT_SAFETY = 1e-6
"""Relative slack on each cut's right-hand side, so engine tolerances can never cut off a plan."""
BLOCK_PASSES = (("scip", 0.2), ("highs", 0.2))
"""(engine, seconds) a block is solved by, in turn; the next runs only when the previous one stopped
short of BLOCK_GAP, from its point. Almost every block closes in milliseconds; a slow one keeps its
proven bound (see the module's docstring for the measurements behind the order)."""
FIRST_PASSES = (("scip", 0.2),)
"""The passes of a quick look at every block of a decomposed model: at the LP relaxation's prices, in
each pricing round, at a build-out's ownership prices (dcplan/solve/ownership.py), and for the blocks the
first look did not reach. The blocks left open are solved longer later, only if the plan needs a higher
bound (DEEPER_PASSES; dcplan/solve/lagrange.py, `finish`). On the 1,050 blocks of W=1000 × 60 × 4 at the
LP relaxation's prices, with SCIP's default settings: 12.0 s of CPU against 17.4 s for BLOCK_PASSES
(seed 1), and the sum of their bounds lower by 0.02 % (seed 1), 0.12 % (held-out seed 2) and 0.29 %
(seed 3).

The first look at the LP's prices once added CP-SAT for 0.3 s on the blocks SCIP left open (+0.39 M of
bound on seed 2, +0.82 M on seed 1), when without it some draws needed the bound finished. Measured again
on the current path (60 s, `--gap 0.01`, the same hour; docs/benchmarks.md): without that pass each of
eight draws of W=1000 × 60 × 4 ended 1.0–2.5 s sooner (seed 1 11.7 → 10.3 s, seed 2 13.6 → 12.0 s,
seed 3 15.3 → 13.3 s), all still within the gap right after the first plan (0.75–0.98 % against
0.61–0.91 %); of three draws of W=300, one 20.3–23.7 → 9.2–9.3 s, one 22.0 → 25.5 s, one unchanged."""
QUICK_PASSES = (("scip", 0.05),)
"""The passes of a large model's blocks priced without the LP relaxation (a single purchase above
lagrange.LP_PRICES_MAX_VARIABLES), first at port and rack prices and again at site power and rack prices
(dcplan/solve/limits.py). There the bound needs every block, and a few slow blocks take most of the time:
of the 5,247 blocks of W=5000 × 60 × 8 solved again, 257 reached 0.2 s, took 52.6 s of the 101 s of CPU
and gained 9.5 M of the 171.0 M. At 120 s, with 0.05 s instead of FIRST_PASSES' 0.2 s for both: all
5,250 blocks solved in 27.5 s (5,173 in 42.2 s), 4,267 solved again (3,402), bound 2,783.7 M (2,762.0 M);
the second pass then ran on one thread (block_workers), on two it solves all 5,250 again in 26.5 s."""
DEEPER_PASSES = (("cp-sat", 2.5), ("highs", 0.5))
"""The passes for the blocks FIRST_PASSES left open, from their points. Measured on those blocks of
W=1000 × 60 × 4 at the LP relaxation's prices, each block alone on one thread, widest gap first (CPU
seconds; the bound gained within 11 s and 22 s, what finishing gets on two threads in 11 s):
- held-out seed 2, 43 blocks: HiGHS 0.5 s then SCIP 2 s +1.78 M and +2.08 M (38 closed in 35.6 s);
  CP-SAT 2.5 s then HiGHS 0.5 s +2.32 M and +2.77 M (38 in 26.7 s); CP-SAT alone +2.17 M and +2.68 M;
- held-out seed 3, 46 blocks: HiGHS then SCIP +3.16 M and +3.66 M (43 in 33.8 s); CP-SAT then HiGHS
  +3.56 M and +4.00 M (44 in 14.5 s);
- W=300 × 60 × 4, 9 blocks: all closed either way, +0.49 M, in 5.3 s and 5.5 s.
CP-SAT scales the blocks' float coefficients to integers; on all 43 blocks of seed 2 its bound never
exceeded the optimum HiGHS and SCIP proved (gap 0). On 3 of those blocks it proved far less in 10 s than
that optimum: the HiGHS pass is for such blocks (and a block keeps the best bound any pass proved,
better_of). Earlier, before CP-SAT was tried: HiGHS 0.5 s, SCIP 1 s, HiGHS 1 s did about as well as
HiGHS then SCIP."""
QUICK_SCIP = True
"""Blocks are solved by SCIP with its FAST presolving, heuristics and separation (mathopt._quick_scip).
Measured on the 1,050 blocks of W=1000 × 60 × 4 at the LP relaxation's prices, FIRST_PASSES one block at
a time on one thread, each open block raised to its LP (with_lp_bound); defaults → FAST (CPU seconds,
blocks left open, sum of bounds):
- seed 1: 14.3 s → 10.3 s, 30 → 14 open, 504.15 M → 504.51 M;
- held-out seed 2: 17.2 s → 12.6 s, 43 → 17, 548.81 M → 549.55 M;
- held-out seed 3: 16.7 s → 12.7 s, 46 → 22, 565.33 M → 566.79 M;
- seed 5: 18.2 s → 14.4 s, 43 → 24, 605.60 M → 606.23 M.
The sum of the blocks' points was within 0.06 % either way. FAST presolving and heuristics alone (seed 3):
13.8 s, 26 open; FAST heuristics alone (seed 2) 15.3 s, 35 open; separation off instead of FAST, SCIP's
EASY_CIP emphasis, symmetry handling off, heuristics off or OPTIMALITY emphasis did worse (seed 3:
16.0 s, 14.4 s, 15.1 s, 20.0 s; seed 2: 19.0 s and 45 open)."""
BLOCK_GAP = 1e-4
"""Relative gap a block solve stops at: its proven bound is then within 0.01 % of its optimum,
and the cuts and the Lagrangian bound lose at most that."""


@dataclass
class Block:
    workload: str
    variables: np.ndarray  # indices in the full model
    rows: np.ndarray  # rows over these variables only
    costs: np.ndarray | None = None  # f_w per variable: objective + port and rack prices
    bound: float | None = None  # proven min of f_w over the block's integer points
    floor: float = 0.0  # a weaker bound on f_w read off single rows, known before any solve (see row_floors)
    solution: np.ndarray | None = None  # the block's best integer point (values of `variables`)
    matrix: object = None  # its rows over its variables (dcplan.model.matrix.Matrix), cut out once


def block_matrix(model: LinearModel, block: Block):
    """The block's own rows over its own variables, with the model's costs (cut out once, then kept)."""
    if block.matrix is None:
        block.matrix = model.matrix().sub(block.variables, block.rows)
    return block.matrix


def cut_out(model: LinearModel, blocks: dict[str, Block]) -> None:
    """Every block's matrix (block_matrix) cut out in one pass. Blocks share no variable, and a block's
    rows touch its own variables only, so one numbering of all their variables serves every cut. Cut
    one at a time, each made a model-sized cost vector and index map: quadratic in the workloads, 8.4 s
    at W=5000 × 60 × 8 for the master's columns alone."""
    todo = [block for block in blocks.values() if block.matrix is None]
    if not todo:
        return
    full = model.matrix()
    local = np.full(len(full.lb), -1, dtype=np.int64)
    for block in todo:
        local[block.variables] = np.arange(len(block.variables))
    for block in todo:
        block.matrix = full.sub(block.variables, block.rows, local=local)


@dataclass
class BlockResult:
    bound: float | None  # proven minimum of the block's objective (None: not solved in time)
    solution: np.ndarray | None  # its best integer point, aligned with the block's variables
    value: float | None = None  # the objective at that point

    def closed(self, gap: float) -> bool:
        """Is the point proven within `gap` of the block's optimum (or the block infeasible)?"""
        if self.bound is None:
            return False
        if math.isinf(self.bound):
            return True
        return self.value is not None and self.value - self.bound <= gap * max(abs(self.value), 1e-9)


def read_answer(sub, answer: dict) -> BlockResult:
    """A block's result from one engine's answer: its proven bound, its point and that point's value."""
    bound, values = answer["bound"], answer["values"]
    value = None if values is None else float(sub.cost @ values)
    if answer["status"] == "infeasible":
        bound = math.inf
    elif answer["status"] == "optimal" and bound is None and value is not None:
        bound = value
    return BlockResult(bound, values, value)


def better_of(first: BlockResult | None, second: BlockResult) -> BlockResult:
    """Both engines' answers on one block: the higher proven bound, and the point of lower value."""
    if first is None:
        return second
    bounds = [b for b in (first.bound, second.bound) if b is not None]
    best = min((r for r in (first, second) if r.value is not None), key=lambda r: r.value, default=first)
    return BlockResult(max(bounds) if bounds else None, best.solution, best.value)


def with_lp_bound(sub, result: BlockResult) -> BlockResult:
    """An open block's result with its bound raised to the block's LP relaxation where the engine proved
    less. An engine stopped before its root LP proves little or nothing: on W=1000 × 60 × 4 (held-out seed
    2), SCIP's 0.2 s on a 400-row inference block once ended with a bound of 0 against an LP of 9.18 M
    (optimum 10.67 M), which kept the Lagrangian bound 2 % low until the block was solved again. GLOP
    solves such an LP in 1–6 ms; its optimum is a valid bound on every integer point of the block."""
    from dcplan.solve import mathopt
    from dcplan.vocab import Status

    answer = mathopt.solve_matrix(sub, "glop", LP_FLOOR_SECONDS, None, relax=True)
    lp = answer["bound"] if answer["status"] == Status.OPTIMAL else None
    if lp is None or (result.bound is not None and result.bound >= lp):
        return result
    return BlockResult(lp, result.solution, result.value)


LP_FLOOR_SECONDS = 0.5
"""At most this long for an open block's LP relaxation (with_lp_bound); they take milliseconds."""


def owners(model: LinearModel) -> dict[str, list[int]]:
    """Variable indices each workload owns: its pools, spares, steps, site use and training fabric,
    as recorded on each variable when the model was built."""
    owned: dict[str, list[int]] = {}
    for index, owner in enumerate(model._vowner):
        if owner is not None and owner.workload is not None:
            owned.setdefault(owner.workload, []).append(index)
    return owned


def workload_of_variables(model: LinearModel, names: list[str]) -> np.ndarray:
    """For each variable, the position in `names` of the workload owning it (-1: shared)."""
    position = {name: k for k, name in enumerate(names)}
    return np.fromiter((position.get(o.workload, -1) if o is not None and o.workload is not None else -1
                        for o in model._vowner), dtype=np.int64, count=len(model._vowner))


def find_blocks(built, priced: bool = True) -> dict[str, Block]:
    """One block per workload, with the rows that touch only its variables and its cost function: the
    objective's coefficients plus, when `priced`, the port and rack prices of a single purchase (a
    build-out's blocks are priced by the LP relaxation instead, dcplan/solve/lagrange.py)."""
    model = built.lm
    matrix = model.matrix()
    owned = owners(model)
    names = list(owned)
    of_variable = workload_of_variables(model, names)
    row_owner = rows_owned(matrix, of_variable)
    rows_by_block = _group(row_owner, len(names))
    costs = matrix.cost + port_and_rack_prices(built, matrix.cost) if priced else matrix.cost.copy()
    floors = row_floors(matrix, costs, row_owner, of_variable, len(names))
    blocks = {}
    for k, name in enumerate(names):
        variables = np.asarray(owned[name], dtype=np.int64)
        blocks[name] = Block(name, variables, rows_by_block[k], costs[variables], floor=float(floors[k]))
    return blocks


def row_floors(matrix, costs: np.ndarray, row_owner: np.ndarray, of_variable: np.ndarray, count: int) -> np.ndarray:
    """For each block, max over its rows a·v ≥ lo (lo > 0, every a > 0) of lo · min_i f_i / a_i.

    With f ≥ 0 and v ≥ 0 on the block, f(v) ≥ (min_i f_i/a_i) · a·v ≥ that, for every point of the block
    (the LP of one covering row): a bound in microseconds, for blocks not solved in time. 0 when no row
    qualifies or some f_i or lower bound is negative.
    """
    floors = np.zeros(count)
    ratio = np.where(matrix.data > 0, costs[matrix.indices] / np.where(matrix.data > 0, matrix.data, 1.0), -np.inf)
    counts = np.diff(matrix.indptr)
    rows = np.flatnonzero((counts > 0) & (row_owner >= 0) & (matrix.row_lo > 0) & np.isfinite(matrix.row_lo))
    if not len(rows):
        return floors
    least = np.minimum.reduceat(ratio, matrix.indptr[:-1][counts > 0])
    least_by_row = np.full(len(counts), -np.inf)
    least_by_row[counts > 0] = least
    value = matrix.row_lo[rows] * least_by_row[rows]
    ok = np.isfinite(value) & (value > 0)
    np.maximum.at(floors, row_owner[rows[ok]], value[ok])
    unsafe = np.zeros(count, dtype=bool)  # a block with a negative cost or lower bound gets no floor
    bad = ((costs < 0) | (matrix.lb < 0)) & (of_variable >= 0)
    unsafe[np.unique(of_variable[bad])] = True
    floors[unsafe] = 0.0
    return floors


def block_of_variables(variable_count: int, blocks: dict[str, Block]) -> np.ndarray:
    """For each variable, the position in `blocks` (in its order) of the block owning it (-1: shared)."""
    of_variable = np.full(variable_count, -1, dtype=np.int64)
    for k, block in enumerate(blocks.values()):
        of_variable[block.variables] = k
    return of_variable


def rows_owned(matrix, of_variable: np.ndarray) -> np.ndarray:
    """For each row, the block all its variables belong to (-1: a shared row, or an empty one)."""
    owner = of_variable[matrix.indices]
    counts = np.diff(matrix.indptr)
    nonempty = counts > 0
    out = np.full(len(counts), -1, dtype=np.int64)
    if len(owner):
        starts = matrix.indptr[:-1][nonempty]
        low = np.minimum.reduceat(owner, starts)
        high = np.maximum.reduceat(owner, starts)
        out[nonempty] = np.where(low == high, low, -1)
    return out


def _group(labels: np.ndarray, count: int) -> list[np.ndarray]:
    """Indices with each label 0..count-1 (in increasing order)."""
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    bounds = np.searchsorted(sorted_labels, np.arange(count + 1))
    return [order[bounds[k]:bounds[k + 1]] for k in range(count)]


def port_and_rack_prices(built, cost: np.ndarray) -> np.ndarray:
    """What each unit of a service pool costs at least in shared front-end network and racks.

    A front-end port of speed v on switch type s, with d down and u up ports per leaf, P ports per
    spine and oversubscription o, needs in the LP relaxation one link a, leaves a·max(1/d, 1/(o·u)),
    uplinks a/o and spines a/(o·P):
        ρ_v = min_{s: speed_s ≥ v} c_a + c_L·max(1/d, 1/(o·u)) + c_U/o + c_S/(o·P)
    with c the objective's coefficients of those variables (price, optics, energy). A unit with n ports
    of speed v then costs n·ρ_v in network, and f units of its rack (r ≥ f·units) c_r·f in racks. Any
    price keeps the cuts valid; these make the LP's own network and rack cost at least what the cut
    charges (and no plan pays less for its shared network and racks than these prices add up to).
    """
    from dcplan.model.built import pool_table
    from dcplan.rules import item_of, leaf_split, rack_share

    catalog = built.catalog
    homing = 2 if built.scenario.policies.network.dual_homed else 1

    def coefficient(expr: Expr) -> float:
        indices, coefficients = expr.arrays()
        return float(cost[indices] @ coefficients)

    per_port: dict[tuple[str, str | None, float], float] = {}  # (fabric, period, NIC speed)
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
                per_port[(fabric.name, fabric.period, speed)] = best
    rack_price = {key: coefficient(racks) for key, racks in _racks_by_period(built).items()}
    sites = {s.name: s for s in built.scenario.sites}
    unit = np.zeros(len(built.pools))  # per unit of each pool
    for p, pool in enumerate(built.pools):
        item = item_of(catalog, pool.kind, pool.item)
        if pool.kind != "training" and item.nics is not None and item.nics.count:
            unit[p] += item.nics.count * homing * per_port.get((f"frontend:{pool.group}@{pool.site}", pool.period,
                                                                item.nics.speed), 0.0)
        rack = rack_price.get((pool.item, pool.site, pool.group, pool.period))
        if rack:
            unit[p] += rack * rack_share(sites[pool.site], item)
    indices, coefficients = pool_table(built).sum(unit, unit).arrays()
    prices = np.zeros(len(cost))
    prices[indices] = coefficients
    return prices


def _racks_by_period(built) -> dict[tuple[str, str, str, str | None], Expr]:
    """Rack expressions by (item, site, group, period): a build-out's are its periods' (period None: one purchase)."""
    parts = getattr(built, "parts", None)
    if not parts or built.scenario.periods is None:
        return {(*key, None): racks for key, racks in built.racks.items()}
    return {(*key, label): racks for part, label in zip(parts, built.labels) for key, racks in part.racks.items()}


def solve_blocks(built, blocks: dict[str, Block], time_budget: float, threads: int = 2,
                 costs=None, deadline: float | None = None, passes=BLOCK_PASSES,
                 start: dict[str, BlockResult] | None = None, order=None, enough=None) -> dict[str, BlockResult]:
    """Solve every block alone, two at a time, within `time_budget` seconds (and before `deadline`).

    The objective is each block's f_w, or `costs(block)` (an array aligned with its variables, e.g.
    reduced costs when pricing columns for dcplan/solve/master.py). Each block goes through `passes`
    ((engine, seconds) in turn) until it closes, from its result in `start` if it has one (then at the
    same objective). Blocks are taken lowest `order(block, its result in start or None)` first (by
    default `_urgency`). Blocks not reached in time are missing from the result, and so are those not
    begun once `enough(the results so far)` holds.
    """
    from dcplan.solve import mathopt
    from dcplan.solve.engines import engine_stdout_discarded

    stop_at = time.perf_counter() + time_budget
    if deadline is not None:
        stop_at = min(stop_at, deadline)
    results: dict[str, BlockResult] = {}
    lock = threading.Lock()

    def solve_one(block: Block) -> None:
        if stop_at - time.perf_counter() <= 0.01:
            return  # out of time: blocks still queued return at once
        if enough is not None:
            with lock:
                if enough(dict(results)):
                    return
        sub = block_matrix(built.lm, block).with_cost(block.costs if costs is None else costs(block))
        result = None if start is None else start.get(block.workload)
        for engine, seconds in passes:
            remaining = stop_at - time.perf_counter()
            if remaining <= 0.01 or (result is not None and result.closed(BLOCK_GAP)):
                break
            hint = None if result is None else result.solution
            answer = mathopt.solve_matrix(sub, engine, min(seconds, remaining), BLOCK_GAP, hint=hint,
                                          threads=BLOCK_ENGINE_THREADS.get(engine, 0), quick=QUICK_SCIP)
            result = better_of(result, read_answer(sub, answer))
        if result is not None and not result.closed(BLOCK_GAP):
            result = with_lp_bound(sub, result)
        if result is not None:
            with lock:
                results[block.workload] = result

    order = order or _urgency
    ordered = sorted(blocks.values(), key=lambda b: order(b, None if start is None else start.get(b.workload)))
    cut_out(built.lm, blocks)
    executor = ThreadPoolExecutor(block_workers(threads), thread_name_prefix="dcplan-engine")
    try:
        with engine_stdout_discarded():
            for future in [executor.submit(solve_one, block) for block in ordered]:
                future.result()
    except KeyboardInterrupt:
        stop_at = 0.0  # blocks still queued return at once
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return results


BLOCK_ENGINE_THREADS = {"cp-sat": 1}
"""Threads a block's engine call asks for, where the engine's own default would start more than one (CP-SAT
runs two workers unless told): blocks are solved BLOCK_WORKERS at a time, one thread each. HiGHS and SCIP
keep their defaults (a HiGHS thread count, once asked for, holds for the whole process)."""
BLOCK_WORKERS = 2
"""Blocks solved at a time (each by a single-threaded engine call), unless fewer threads are asked for."""


def block_workers(threads: int) -> int:
    """Blocks solved at a time for a `threads` setting: 0 means all cores (the scenario's and the command
    line's meaning), so BLOCK_WORKERS; a positive count caps it. The workload cuts' pass and the LP that
    prices it take their threads from here too. Read as
    max(1, threads) before, 0 left the decomposition's pricing rounds, the finishing of its bound and
    its site prices on one thread (W=5000 × 60 × 8: 51.7 s of wall for 52.1 s of CPU)."""
    return min(BLOCK_WORKERS, threads) if threads > 0 else BLOCK_WORKERS


def _urgency(block: Block, known: BlockResult | None) -> tuple:
    """The order blocks are solved in (lowest first). Blocks without a bound, small ones first: when the
    budget runs out, the most workloads have their bound and column (the 1,050 blocks of W=1000 × 60 × 4
    take 13 s on two threads), and a block is capped by its passes' seconds, so a large one last leaves at
    most that tail. Then blocks solved before, the widest open gap (value − bound) first, as that is what
    the bound can gain: 10 s of the deeper passes on two threads raise it by 1.39 M on W=1000 held-out
    seed 2 in this order, and by 0.31 M smallest first (3.58 M and 0.85 M on seed 3)."""
    if known is None or known.bound is None:
        return (0, len(block.variables))
    gap = math.inf if known.value is None else known.value - known.bound
    return (1, -gap)


def solve_for_cuts(built, blocks: dict[str, Block], time_budget: float, threads: int = 2,
                   deadline: float | None = None, passes=BLOCK_PASSES) -> int:
    """Solve each block for its f_w: record its proven bound and optimum; return how many were solved."""
    results = solve_blocks(built, blocks, time_budget, threads, deadline=deadline, passes=passes)
    for name, result in results.items():
        blocks[name].bound, blocks[name].solution = result.bound, result.solution
    return len(results)


def add_cuts(built, blocks: dict[str, Block]) -> int:
    """f_w(v_w) ≥ LB_w for every block with a positive proven bound, scaled to a right-hand side of 1."""
    chosen = [b for b in blocks.values() if b.bound is not None and math.isfinite(b.bound) and b.bound > 0]
    counts, cols, vals = [], [], []
    for block in chosen:
        keep = block.costs != 0
        counts.append(int(keep.sum()))
        cols.append(block.variables[keep])
        vals.append(block.costs[keep] / block.bound)
    if chosen:
        built.lm.add_rows("cuts", [f"cut.workload[workload={b.workload}]" for b in chosen], counts,
                          np.concatenate(cols), np.concatenate(vals), 1.0 - CUT_SAFETY, math.inf,
                          [f"workloads[{built.workload(b.workload)[0]}]" for b in chosen], [None] * len(chosen))
    return len(chosen)


def sum_of_bounds(built, blocks: dict[str, Block]) -> float | None:
    """Σ_w LB_w (plus the objective's constant): a lower bound on every plan (see the module's docstring),
    with each block's row floor standing in for a block not solved in time; None when an objective
    coefficient is negative (the shared costs could then fall below the prices charged)."""
    cost = built.lm.matrix().cost
    if (cost < 0).any() or not blocks:
        return None
    bound = sum(b.floor if b.bound is None else max(b.bound, b.floor) for b in blocks.values())
    bound += float(built.lm.objective.constant)
    return bound if blocks and math.isfinite(bound) else None
