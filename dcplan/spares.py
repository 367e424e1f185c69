"""Spares from an availability target (binomial), or from an explicit rule.

A pool of n working servers gets the smallest k spares such that

    P(more than k of the n + k servers are down) ≤ 1 − A,

with each server down independently with probability
u = annual failure rate × MTTR / 8760 h (SPEC §3; FACTS §7.2 uses the Poisson
approximation of the same binomial). k(n) is a non-decreasing step function
of n, so the model needs only its breakpoints: N_j = the smallest pool size
that needs j spares.
"""

from __future__ import annotations

import math
import re

HOURS_PER_YEAR = 8760.0


def unavailability(failure_rate: float, mttr_hours: float) -> float:
    """Share of time a server is down: failures per year × hours to repair / hours per year."""
    return min(1.0, failure_rate * mttr_hours / HOURS_PER_YEAR)


def binomial_tail(trials: int, p: float, k: int) -> float:
    """P(X > k) for X ~ Binomial(trials, p), summed in log space for large pools."""
    if k >= trials:
        return 0.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    log_n = math.lgamma(trials + 1)
    cdf = 0.0
    for i in range(k + 1):
        cdf += math.exp(log_n - math.lgamma(i + 1) - math.lgamma(trials - i + 1) + i * log_p + (trials - i) * log_q)
    return max(0.0, 1.0 - cdf)


def spares_needed(n: int, p: float, availability: float) -> int:
    """Smallest k with P(more than k of n + k down) ≤ 1 − availability; 0 for an empty pool.

    P(Bin(n+k, p) > k) never rises with k (one more server and one more allowed
    failure), so the smallest k is found by bisection.
    """
    if n <= 0 or p <= 0.0:
        return 0
    # A tie (P exactly 1 − A) meets the target; the tolerance absorbs float noise in both sides.
    allowed = (1.0 - availability) * (1.0 + 1e-9) + 1e-15

    def enough(k: int) -> bool:
        return binomial_tail(n + k, p, k) <= allowed

    high = 1
    while not enough(high):
        high *= 2
        if high > 4 * n + 1000:  # p close to 1: no finite answer worth buying
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


def breakpoints(max_pool: int, p: float, availability: float) -> list[int]:
    """[N_1, N_2, ...]: N_j is the smallest pool size n ≤ max_pool with spares_needed(n) ≥ j."""
    top = spares_needed(max_pool, p, availability)
    points = []
    for j in range(1, top + 1):
        low, high = 1, max_pool  # spares_needed(high) ≥ j by construction
        while low < high:
            mid = (low + high) // 2
            if spares_needed(mid, p, availability) >= j:
                high = mid
            else:
                low = mid + 1
        points.append(low)
    return points


_RULE_RE = re.compile(r"^\s*(?:N\s*\+\s*(\d+)|(\d+(?:\.\d+)?)\s*%)\s*$")


def explicit_rule(rule: int | str) -> tuple[str, float]:
    """`2` or 'N+2' → ('fixed', 2); '5%' → ('percent', 0.05)."""
    if isinstance(rule, int):
        return ("fixed", float(rule))
    match = _RULE_RE.match(rule)
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
