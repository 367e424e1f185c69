"""Spares from availability: dcplan's binomial against published worked examples (Poisson spares for 2,048 and 256 nodes)
and against a brute-force binomial sum written here independently."""

import math

import pytest
from hypothesis import given, settings, strategies as st

from dcplan.sizing.spares import (binomial_tail, breakpoints, explicit_spares, spares_needed, unavailability)

LLAMA3_NODE_RATE = 1.07  # hardware interruptions per 8-GPU node-year (Llama 3 paper Table 5, derived)


def brute_tail(n: int, p: float, k: int) -> float:
    return sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k + 1, n + 1))


def brute_spares(n: int, p: float, a: float) -> int:
    k = 0
    while brute_tail(n + k, p, k) > 1 - a:
        k += 1
    return k if n else 0


def test_unavailability_is_rate_times_mttr_over_a_year():
    assert unavailability(1.07, 72) == pytest.approx(1.07 * 72 / 8760)


@pytest.mark.parametrize("nodes, availability, poisson_k, binomial_k", [
    (2048, 0.99, 29, 29), (2048, 0.999, 32, 33), (256, 0.99, 6, 6), (256, 0.999, 8, 8)])
def test_facts_worked_examples(nodes, availability, poisson_k, binomial_k):
    p = unavailability(LLAMA3_NODE_RATE, 72)
    assert nodes * p == pytest.approx(18.0 if nodes == 2048 else 2.25, rel=0.01)  # the mean number of nodes down
    k = spares_needed(nodes, p, availability)
    assert k == binomial_k
    assert abs(k - poisson_k) <= 1  # the spares can fail too: at most one more than Poisson


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 60), p=st.floats(0.0005, 0.2), a=st.sampled_from([0.9, 0.99, 0.999]))
def test_matches_brute_force_binomial(n, p, a):
    assert spares_needed(n, p, a) == brute_spares(n, p, a)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 200), p=st.floats(0.001, 0.1), k=st.integers(0, 10))
def test_tail_matches_brute_force(n, p, k):
    assert binomial_tail(n, p, k) == pytest.approx(brute_tail(n, p, k), abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(top=st.integers(1, 400), p=st.floats(0.001, 0.05), a=st.sampled_from([0.99, 0.999]))
def test_breakpoints_are_where_the_step_function_rises(top, p, a):
    points = breakpoints(top, p, a)
    needed = [spares_needed(n, p, a) for n in range(0, top + 1)]
    assert all(x <= y for x, y in zip(needed, needed[1:]))  # non-decreasing
    for j, n_j in enumerate(points, start=1):
        assert needed[n_j] >= j and needed[n_j - 1] < j
    assert len(points) == needed[top]


def test_explicit_rules():
    assert explicit_spares("N+2", 10) == 2
    assert explicit_spares(3, 10) == 3
    assert explicit_spares("5%", 100) == 5
    assert explicit_spares("5%", 101) == 6
    assert explicit_spares("N+2", 0) == 0


@pytest.mark.parametrize("top, p, a", [(3000, 0.0088, 0.999), (20000, 0.0088, 0.99), (5000, 0.05, 0.999)])
def test_envelope_is_never_below_the_step_function(top, p, a):
    from dcplan.sizing.spares import envelope

    slope, intercept = envelope(top, p, a)
    for n in list(range(1, 200)) + list(range(200, top + 1, max(1, top // 300))) + [top]:
        assert slope * n + intercept >= spares_needed(n, p, a) - 1e-9, n
    assert slope * top + intercept <= spares_needed(top, p, a) + 1  # at most one spare too many at the top


def test_large_pools_match_the_normal_approximation():
    # Of the n + k servers, (n+k)·p are down on average; the 99.9 % quantile is about 3.09 sigma above.
    n, p = 1_000_000, 0.0088
    k = spares_needed(n, p, 0.999)
    mean = (n + k) * p
    sigma = (mean * (1 - p)) ** 0.5
    assert 2.9 < (k - mean) / sigma < 3.4


@pytest.mark.parametrize("p, availability", [(0.01, 1.0), (0.6, 0.9), (1.0, 0.5)])
def test_unreachable_availability_is_refused_with_its_reason(p, availability):
    from dcplan.sizing.spares import unreachable

    why = unreachable(p, availability)
    assert why and ("never being short" in why or "down" in why)
    with pytest.raises(ValueError, match="never being short|down more often"):
        spares_needed(10, p, availability)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 5000), p=st.floats(0.3, 0.5), a=st.sampled_from([0.9, 0.999, 0.99999]))
def test_every_reachable_availability_gets_an_answer(n, p, a):
    """Up to p = 1/2 the search never gives up: spares about p·n/(1 − p) ≤ n, plus a few deviations."""
    k = spares_needed(n, p, a)
    assert binomial_tail(n + k, p, k) <= (1 - a) * (1 + 1e-9) + 1e-15


def test_a_pool_of_a_million_gets_the_exact_count_fast():
    """1,329,963 servers each down 30.3 % of the time, at six nines. Summed in 40-digit arithmetic (mpmath, the
    upper tail term by term), P(Bin(n + k, p) > k) is 1.0039e-6 at k = 583,668 and 9.985e-7 at k = 583,669: the
    answer is 583,669. Summing the lower tail from zero and taking 1 − the sum drifted by two spares here, and took
    seconds per pool (an absurd demand asks for millions of servers)."""
    n, p = 1_329_963, 0.30342554771985014
    assert spares_needed(n, p, 0.999999) == 583_669
    assert binomial_tail(n + 583_668, p, 583_668) == pytest.approx(1.0038738595656687e-06, rel=1e-6)
    assert binomial_tail(n + 583_669, p, 583_669) == pytest.approx(9.984593840397905e-07, rel=1e-6)
