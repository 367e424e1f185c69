"""Spares from an availability target (binomial), or from an explicit rule.

A pool of n working servers gets the smallest k spares such that

    P(more than k of the n + k servers are down) ≤ 1 − A,

with each server down independently with probability
u = annual failure rate × MTTR / 8760 h (the common Poisson approximation of the
same binomial gives nearly the same counts). k(n) is a non-decreasing step function
of n, so the model needs only its breakpoints: N_j = the smallest pool size
that needs j spares.
"""

from __future__ import annotations

import functools
import math
from dcplan.rules import HOURS_PER_YEAR, SPARES_RULE



def unavailability(failure_rate: float, mttr_hours: float) -> float:
    """Share of time a server is down: failures per year × hours to repair / hours per year."""
    return min(1.0, failure_rate * mttr_hours / HOURS_PER_YEAR)


MAX_UNAVAILABILITY = 0.5
"""Spares reach an availability only while a unit is up more often than down: the spares needed grow
like p·n/(1 − p), so beyond p = 1/2 they outnumber the pool (and at p = 1 nothing is ever up)."""


def unreachable(p: float, availability: float) -> str | None:
    """Why no number of spares reaches `availability` when each unit is down a share p of the time, or None.

    Availability 1 asks that a pool is never short, which spares cannot promise while units fail at all.
    """
    if p <= 0.0:
        return None
    if availability >= 1.0:
        return ("never being short of a unit is what no number of spares promises while units fail; ask for "
                "e.g. 0.99999 (five nines)")
    if p > MAX_UNAVAILABILITY:
        return (f"each unit is down {p:.0%} of the time (failure_rate x mttr / 8760 h): spares cannot make up "
                "for units that are down more often than up")
    return None


def binomial_tail(trials: int, p: float, k: int) -> float:
    """P(X > k) for X ~ Binomial(trials, p), summed in log space for large pools."""
    if k >= trials:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    if k > 64:
        return _tail_in_window(trials, p, k, log_p, log_q)
    log_n = math.lgamma(trials + 1)
    cdf = 0.0
    for i in range(k + 1):
        cdf += math.exp(log_n - math.lgamma(i + 1) - math.lgamma(trials - i + 1) + i * log_p + (trials - i) * log_q)
    return max(0.0, 1.0 - cdf)


TAIL_WIDTH = 40.0
"""Terms further than this many standard deviations (plus TAIL_SLACK) from the mean are below 1e-300."""
TAIL_SLACK = 100


def _tail_in_window(trials: int, p: float, k: int, log_p: float, log_q: float) -> float:
    """P(X > k) for a large pool, summed over the terms i > k that lie within TAIL_WIDTH standard deviations
    of the mean: an absurd demand asks for millions of servers, and summing every term from 0 (as the small
    case does) took seconds per pool. Summing the upper tail directly also avoids 1 − (a sum close to 1).

    log pmf(lo) comes from lgamma; the rest by the recurrence pmf(i+1)/pmf(i) = (n−i)/(i+1)·p/q, with numpy.
    """
    import numpy as np

    mean, sd = trials * p, math.sqrt(trials * p * (1.0 - p))
    lo = max(k + 1, int(mean - TAIL_WIDTH * sd) - TAIL_SLACK)
    hi = min(trials, int(mean + TAIL_WIDTH * sd) + TAIL_SLACK)
    if lo > hi:
        return 0.0
    first = (math.lgamma(trials + 1) - math.lgamma(lo + 1) - math.lgamma(trials - lo + 1)
             + lo * log_p + (trials - lo) * log_q)
    i = np.arange(lo, hi, dtype=float)
    steps = np.log((trials - i) / (i + 1.0)) + (log_p - log_q)
    logs = np.concatenate(([first], first + np.cumsum(steps)))
    return min(1.0, float(np.exp(logs).sum()))


@functools.lru_cache(maxsize=65536)
def spares_needed(n: int, p: float, availability: float) -> int:
    """Smallest k with P(more than k of n + k down) ≤ 1 − availability; 0 for an empty pool.

    P(Bin(n+k, p) > k) never rises with k (one more server and one more allowed
    failure), so the smallest k is found by bisection.
    """
    if n <= 0 or p <= 0.0:
        return 0
    why = unreachable(p, availability)
    if why is not None:
        raise ValueError(why)
    # A tie (P exactly 1 − A) meets the target; the tolerance absorbs float noise in both sides.
    allowed = (1.0 - availability) * (1.0 + 1e-9) + 1e-15

    def enough(k: int) -> bool:
        return binomial_tail(n + k, p, k) <= allowed

    high = 1
    while not enough(high):
        high *= 2
        if high > 4 * n + 1000:  # cannot happen for p ≤ 1/2 (about p·n/(1 − p) ≤ n spares, plus a few deviations)
            raise ValueError(f"availability {availability} is unreachable with unavailability {p}")
    low = 0
    while low < high:
        mid = (low + high) // 2
        if enough(mid):
            high = mid
        else:
            low = mid + 1
    return low


MAX_EXACT_STEPS = 64
"""Pools needing more spares than this get the linear envelope instead of one binary per step."""


def envelope(max_pool: int, p: float, availability: float) -> tuple[float, float]:
    """(slope, intercept) of a line above k(n) for 1 ≤ n ≤ max_pool: y ≥ p·n + (k(N) − p·N + 1).

    k(n) − p·n, the spares beyond the mean number down, grows with n (like
    z·√(n·p)) plus a saw-tooth under one spare (it falls by p per server between
    steps and rises by 1 at each), so its largest value is below k(N) − p·N + 1
    at N = max_pool. The line buys at most about one spare more than needed at
    N, and the √ margin more for smaller pools.
    """
    top = spares_needed(max_pool, p, availability)
    return p, max(0.0, top - p * max_pool) + 1.0


@functools.lru_cache(maxsize=4096)
def breakpoints(max_pool: int, p: float, availability: float) -> tuple[int, ...]:
    """[N_1, N_2, ...]: N_j is the smallest pool size n ≤ max_pool with spares_needed(n) ≥ j.

    k(n) ≥ j exactly when j − 1 spares are not enough for n servers, and that
    only becomes more true as n grows, so N_j is one bisection over n with a
    single binomial tail per step (not a search for k(n) at every step).
    Cached: the same (pool bound, unavailability, target) recurs across sites.
    """
    top = spares_needed(max_pool, p, availability)
    allowed = (1.0 - availability) * (1.0 + 1e-9) + 1e-15  # as in spares_needed
    points = []
    low = 1
    for j in range(1, top + 1):
        high = max_pool  # spares_needed(max_pool) ≥ j by construction
        while low < high:
            mid = (low + high) // 2
            if binomial_tail(mid + j - 1, p, j - 1) > allowed:  # j − 1 spares are too few for mid servers
                high = mid
            else:
                low = mid + 1
        points.append(low)  # N_j ≥ N_{j−1}: the next search starts here
    return tuple(points)




def explicit_rule(rule: int | str) -> tuple[str, float]:
    """`2` or 'N+2' → ('fixed', 2); '5%' → ('percent', 0.05)."""
    if isinstance(rule, int):
        return ("fixed", float(rule))
    match = SPARES_RULE.match(rule)
    if not match:
        raise ValueError(f"unknown spares rule {rule!r}")
    if match.group(1) is not None:
        return ("fixed", float(match.group(1)))
    return ("percent", float(match.group(2)) / 100.0)


def explicit_spares(rule: int | str, n: int) -> int:
    kind, amount = explicit_rule(rule)
    if n <= 0:
        return 0
    if kind == "fixed":
        return int(amount)
    return math.ceil(amount * n - 1e-9)
