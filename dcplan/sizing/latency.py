"""Latency of a loaded replica, and the busiest operating point that meets the targets.

Requests arrive at random (Poisson, as in MLPerf's server scenario and in production traffic).
Two effects make tighter targets cost throughput:

* Time per output token. With m sequences decoding on average, the number decoding at a given
  moment is Poisson distributed, so at percentile p it is N_p = m + z_p·√m (normal
  approximation, z_p the standard normal quantile). TPOT at the percentile is the step time
  with N_p sequences: τ(N_p) ≤ max_tpot.
* Time to first token. Each step has a token budget c (the engine's max_num_tokens); the m
  decode tokens take m of it, leaving c_p = c − m for prompts. The prompt lane is a queue
  with Poisson arrivals λ = m / (output · τ(m)) and service time s = prompt · τ_c / c_p
  per request, τ_c the step time with a full chunk: an M/D/1 queue (a workload's prompts are
  all `prompt_tokens` long) with utilisation ρ = λ·s. Its waiting time exceeds x with
  probability ≈ ρ·exp(−2(1−ρ)x/s) (the exponential tail with the M/D/1 mean wait
  ρs/(2(1−ρ)); Kingman), so at percentile p the wait is x_p = s/(2(1−ρ)) · ln(ρ/(1−p))
  (0 when ρ ≤ 1−p). Then the prompt is processed (one step with it, or prompt/c_p full
  steps), after waiting for the running step to end:
  TTFT_p = x_p + τ(m, prompt) + τ(m) ≤ max_ttft (prompt ≤ c_p; else prompt/c_p · τ_c). In a
  pipeline of pp stages the prompt crosses the stages in turn, adding (pp − 1) times its
  compute share of a step.

Both grow with the load, and the throughput m/τ(m) grows with m, so the operating point is the
largest m (bisection) that keeps within the KV-cache memory, the batch cap and both targets.
Without targets (offline, maximum-throughput runs) only memory binds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

from dcplan.sizing.serving import Replica

BISECTION_STEPS = 48
RELATIVE_TOLERANCE = 1e-4
"""The operating point's batch is found to 0.01 %: far below the model's own accuracy."""
MIN_BATCH = 0.01
"""The lightest load searched (sequences decoding on average): a replica that misses a target even
this idle cannot meet it at all, and its latencies here are the best it achieves."""


@dataclass(frozen=True)
class Targets:
    tpot_s: float | None = None
    ttft_s: float | None = None
    percentile: float = 0.99

    @property
    def z(self) -> float:
        return _z(self.percentile)


@dataclass(frozen=True)
class Operating:
    batch: float                # decoding sequences on average
    step_s: float               # mean step time (= mean time per output token)
    tpot_s: float               # at the percentile
    ttft_s: float               # at the percentile
    tokens_per_s: float         # output tokens per second of the replica
    requests_per_s: float
    bound: str                  # what stopped a larger batch
    step_bound: str             # bandwidth | compute: the roofline side of a step


@lru_cache(maxsize=64)
def _z(percentile: float) -> float:
    return NormalDist().inv_cdf(percentile)


def ttft_at(replica: Replica, batch: float, percentile: float) -> float:
    """Time to first token at the percentile (math in the module docstring); inf if prompts starve."""
    return Probe(replica, Targets(percentile=percentile)).ttft(batch)


class Probe:
    """The latencies of one replica at one batch after another, against one set of targets.

    operating_point bisects the batch, some 17 evaluations per layout and a quarter of a million for a
    scenario of a thousand workloads: what does not depend on the batch (the quantile z, the pipeline
    delay of a prompt, the request's lengths) is taken once here rather than at every evaluation.
    """

    __slots__ = ("seconds", "z", "tpot_s", "ttft_s", "tail", "chunk", "prompt", "output", "delay")

    def __init__(self, replica: Replica, targets: Targets):
        serving = replica.serving
        self.seconds = replica.seconds
        self.z, self.tpot_s, self.ttft_s = targets.z, targets.tpot_s, targets.ttft_s
        self.tail = 1.0 - targets.percentile  # share of requests beyond the percentile
        self.chunk, self.prompt, self.output = serving.chunk, serving.prompt, serving.output
        self.delay = replica.pipeline_delay(serving.prompt)

    def tpot(self, batch: float) -> float:
        """Time per output token at the percentile: the step time with N_p = batch + z·√batch sequences
        (batch > 0: operating points are searched from MIN_BATCH up)."""
        return self.seconds(batch + self.z * math.sqrt(batch))

    def ttft(self, batch: float) -> float:
        """Time to first token at the percentile (math in the module docstring); inf if prompts starve."""
        budget = self.chunk - batch
        if budget < 1.0:
            return math.inf
        step = self.seconds(batch)
        rate = batch / (self.output * step)
        full = self.seconds(batch, budget)
        service = self.prompt * full / budget
        utilisation = rate * service
        if utilisation >= 1.0:
            return math.inf
        wait = 0.0
        if utilisation > self.tail:
            wait = service / (2.0 * (1.0 - utilisation)) * math.log(utilisation / self.tail)
        if self.prompt <= budget:
            own = self.seconds(batch, float(self.prompt))
        else:
            own = self.prompt / budget * full
        return wait + own + self.delay + step

    def meets(self, batch: float) -> str | None:
        """None if the batch meets every target, else the name of the first target it misses."""
        if self.tpot_s is not None and self.tpot(batch) > self.tpot_s:
            return "max_tpot"
        ttft = self.ttft(batch)
        if self.ttft_s is not None and ttft > self.ttft_s:
            return "max_ttft"
        if ttft == math.inf:  # prompts arrive faster than the steps' token budget can take them
            return "prefill capacity"
        return None


def _limits(replica: Replica) -> tuple[float, str]:
    """Largest batch memory, the batch cap and the step's token budget allow, and which binds."""
    serving = replica.serving
    limits = [(replica.max_batch_memory(), "memory"), (float(serving.chunk) - 1.0, "token budget")]
    if serving.max_batch is not None:
        limits.append((float(serving.max_batch), "max_batch"))
    return min(limits)


def operating_point(replica: Replica, targets: Targets, beat: float | None = None) -> Operating | None:
    """The busiest operating point within memory and the targets; None if even one sequence misses them.

    With `beat` (output tokens per second): also None as soon as even the top of the batches left to
    search serves no more than that. Throughput m/τ(m) grows with m (as `ceiling` assumes), so the point
    the search would have found serves no more either: a caller looking for the busiest layout skips it.
    """
    top, bound = _limits(replica)
    probe = Probe(replica, targets)
    if top < MIN_BATCH or probe.meets(MIN_BATCH) is not None:
        return None
    missed = probe.meets(top)
    if missed is None:
        batch = top
    else:
        low, high = MIN_BATCH, top
        while high > low * (1.0 + RELATIVE_TOLERANCE):
            middle = (low * high) ** 0.5  # geometric: the range spans orders of magnitude
            reason = probe.meets(middle)
            if reason is None:
                low = middle
            else:
                high, missed = middle, reason  # what `high` misses: the bound, when the bisection ends
                if beat is not None and high / replica.seconds(high) <= beat:
                    return None
        batch, bound = low, missed
    return _point(probe, replica, batch, bound)


def ceiling(replica: Replica) -> float:
    """Output tokens per second at the largest batch memory allows: no operating point does better."""
    top, _ = _limits(replica)
    return top / replica.seconds(top) if top >= MIN_BATCH else 0.0


def _point(probe: Probe, replica: Replica, batch: float, bound: str) -> Operating:
    step = replica.step(batch)
    tokens = batch / step.seconds
    return Operating(batch=batch, step_s=step.seconds, tpot_s=probe.tpot(batch), ttft_s=probe.ttft(batch),
                     tokens_per_s=tokens, requests_per_s=tokens / replica.serving.output, bound=bound,
                     step_bound=step.bound)


def best_latency(replica: Replica, targets: Targets) -> tuple[float, float]:
    """(TPOT, TTFT) at the percentile when (nearly) idle: the best this replica can do."""
    probe = Probe(replica, targets)
    return probe.tpot(MIN_BATCH), probe.ttft(MIN_BATCH)


def closed_loop(replica: Replica, users: int) -> Operating:
    """A fixed number of users, each sending its next request when the last one ends (benchmarks).

    Each user spends TTFT + output · τ per request, of which output · τ decoding, so the decode
    batch m solves m = users · output·τ(m) / (s + output·τ(m)) with s the prefill time.
    """
    serving = replica.serving
    low, high = 0.0, float(users)
    for _ in range(BISECTION_STEPS):
        m = 0.5 * (low + high)
        step = replica.step(m).seconds
        prefill = max(1.0, serving.prompt / max(serving.chunk - m, 1.0)) * replica.step(m, prefill=min(
            serving.prompt, serving.chunk - m)).seconds
        decoding = users * serving.output * step / (prefill + serving.output * step)
        if decoding > m:
            low = m
        else:
            high = m
    return _point(Probe(replica, Targets()), replica, max(low, 1e-9), "concurrency")
