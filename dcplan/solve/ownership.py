"""A build-out's workloads priced by what owning their equipment costs, without the LP relaxation.

In a build-out the servers, switches, optics and racks are bought by shared purchase variables and the
workloads' pools only use them (dcplan/model/buildout.py): for item c at site k in period p,

    used[c,k,p] − Σ_{j: bought or leased in time, still in service in p} x_j ≤ I[c,k,p]     (ownership row r)

So a workload's block, alone, sees its servers as free, and its bound means little until the ownership
rows are priced. The LP relaxation's duals price them (dcplan/solve/lagrange.py), but above a few hundred
thousand variables no engine solves that LP in time (the W=1000 × 60 × 4 build-out over 4 periods: 93 s
for HiGHS's dual simplex; PDLP's iterate after 26 s prices the blocks into a bound of 303.0 M where the
optimal duals give 388.6 M).

Prices π_r ≥ 0 on the ownership rows alone give, for every plan x (Geoffrion, 1974),

    c·x ≥ c·x + Σ_r π_r·(used_r(x) − owned_r(x) − I_r) = c'·x − Σ_r π_r·I_r,

c' = c + π on what the pools and switches use, and c'_j = c_j − Σ_{r ∋ j} π_r·|a_rj| on each purchase or
lease j. When every c'_j ≥ 0, the purchases drop out (≥ 0), and what is left is a single purchase per
period at the costs c': each unit pays its ownership price in every period it is used, and the front-end
ports and rack space it needs at least their price at c' (blocks.port_and_rack_prices, with each period's
own fabrics and racks, whose switches and rack positions now carry their own ownership prices). So

    L(π) = Σ_w min_{v ∈ block w} f'_w(v) − Σ_r π_r·I_r,   f'_w = c'_w + port_and_rack_prices(c')_w

bounds every plan, and each block's optimum is a configuration for the master, as at the LP's prices.

Which π: the largest the purchases allow, from the last period back. π_r of period p is the least cost
any purchase j of that row has left once the later periods' prices are paid,

    π_r = min_{j ∈ r} (c_j − Σ_{r' ∋ j, later than p} π_r'·|a_r'j|) / |a_rj|,

so a unit used in the last period pays what buying it just in time costs, and earlier periods what
remains. Demand in a build-out grows, so the last periods use the most and are where prices count;
a purchase's cost split evenly over its periods instead proved 340.8 M on the W=1000 build-out above,
and this rule 381.2 M (blocks in 12 s, no LP). On W=200 × 20 × 2 over 4 periods, whose LP HiGHS solves
in a few seconds, the LP's duals prove 94.85 M and this rule 93.94 M, so the LP still prices the
build-outs whose LP fits (lagrange.highs_lp_fits).
"""

from __future__ import annotations

import time

import numpy as np

from dcplan.solve.blocks import FIRST_PASSES, block_of_variables, port_and_rack_prices, row_floors, rows_owned, \
    solve_blocks
from dcplan.solve.lagrange import PricedBlocks, record, row_terms

OWNERSHIP = "ownership"
SHRINK = 1e-9
"""Relative amount each price is kept below what its purchases have left, so that floating-point sums
never leave a purchase a negative priced cost (which would void the bound)."""


def ownership_prices(built) -> np.ndarray:
    """y on every row of the full model: −π_r on the ownership rows (upper limits, y ≤ 0), 0 elsewhere,
    with π taken from the last period back (module docstring)."""
    full = built.lm.matrix()
    rows_period = _row_periods(built, full)
    entries = (rows_period[full.row_ids] >= 0) & (full.data < 0)  # a purchase or lease in its row
    rows, cols, weight = full.row_ids[entries], full.indices[entries], -full.data[entries]
    spent = np.zeros(full.shape[1])
    pi = np.zeros(full.shape[0])
    for period in range(int(rows_period.max(initial=-1)), -1, -1):
        now = rows_period[rows] == period
        r, c, a = rows[now], cols[now], weight[now]
        least = np.full(full.shape[0], np.inf)
        np.minimum.at(least, r, np.maximum(full.cost[c] - spent[c], 0.0) / a)
        priced = np.unique(r)
        pi[priced] = least[priced] * (1.0 - SHRINK)
        np.add.at(spent, c, pi[r] * a)
    return -pi


def _row_periods(built, full) -> np.ndarray:
    """The period index of each ownership row that is an upper limit (−1 for every other row)."""
    labels = {label: index for index, label in enumerate(getattr(built, "labels", []) or [])}
    families = built.lm.families()
    limits = (families == OWNERSHIP) & np.isfinite(full.row_hi) & ~np.isfinite(full.row_lo)
    periods = np.full(full.shape[0], -1, dtype=np.int64)
    for j in np.flatnonzero(limits):
        owner = built.lm.row_owner(int(j))
        periods[j] = labels.get(owner.period if owner is not None else None, 0)
    return periods


def cuts_at_ownership_prices(built, blocks, budget: float, threads: int,
                             deadline: float) -> tuple[int, float | None] | None:
    """Price the ownership rows (`ownership_prices`), solve every block at f'_w, record each block's costs,
    proven minimum and point (a cut and a column, as lagrange.cuts_at_lp_prices does), and return (blocks
    solved, L(π) or None); None when some purchase or shared variable would still pay to grow (then
    no such bound holds, and the caller prices by the LP)."""
    full = built.lm.matrix()
    y = ownership_prices(built)
    priced_cost = full.cost - full.transposed_product(y)
    of_variable = block_of_variables(full.shape[1], blocks)
    if (priced_cost[of_variable < 0] < 0).any() or (full.lb < 0).any():
        return None
    costs = priced_cost + port_and_rack_prices(built, priced_cost)
    results = solve_blocks(built, blocks, max(0.0, min(budget, deadline - time.perf_counter())), threads=threads,
                           costs=lambda block: costs[block.variables], deadline=deadline, passes=FIRST_PASSES)
    floors = row_floors(full, costs, rows_owned(full, of_variable), of_variable, len(blocks))
    # The shared variables' part is left out: each costs c' ≥ 0, and the network and racks at least
    # what the port and rack prices charge the blocks (module docstring).
    priced = PricedBlocks(full.offset + row_terms(full, y), costs,
                          {name: float(floors[k]) for k, name in enumerate(blocks)}, set(), results,
                          prices=OWNERSHIP)
    built.priced = priced  # finished later if the decomposition has time (lagrange.finish)
    record(blocks, priced, dict(results))
    return len(results), priced.bound()
