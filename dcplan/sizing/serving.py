"""How fast one replica of a model serves requests: a roofline step model under load.

A replica is `tp × pp` accelerators (tensor parallel inside a pipeline stage, pipeline
stages in sequence), possibly spanning servers. The engine batches continuously: every
step advances each of the m decoding sequences by one token and, in the same step,
processes a chunk of prompt tokens of waiting requests (chunked prefill). In steady state
a request contributes `prompt` prefill tokens and `output` decode steps, so a step carries
m decode tokens and q = m · prompt / output prefill tokens. Its time is

    τ(m) = R(T_w, T_gemm) + R(T_kv, T_attn) + T_comm + T_step,   R(x, y) = max(x, y) + κ·min(x, y)

    T_w    = W / tp / (B · η_mem),        T_gemm = (m + q) · 2A / (g · Π · η_flop)
    T_kv   = m · C̄ · kv / g / (B · η_mem), T_attn = (m · 4·L·a·C̄ + q · 4·L·a·prompt/2) / (g · Π_kv · η_flop)
    T_comm = 2·L·α + 4·L·(tp−1)/tp · n·h·2 B / (pp · β_tp) + (pp > 1) · n·h·2 B / β_pp
    T_step = pp · t_s

with g = tp·pp accelerators, W the weight bytes read per step (every expert an MoE step
touches: shared + experts × (1 − (1 − k/E)^n) for n = m + q tokens), C̄ = prompt + output/2
the average context a decoding sequence reads, kv the KV-cache bytes per token, A active
parameters, L layers, a = heads × head_dim the attention width, h the hidden size, B and Π
the accelerator's memory bandwidth and dense peak at the precision, β_tp the tensor-parallel
link (NVLink within a server, the NIC across servers), β_pp the inter-stage link, α the
latency of one all-reduce and t_s a fixed cost per micro-batch step (scheduling, kernel launches;
a stage runs pp micro-batches per step).
η_mem and η_flop are the calibrated efficiencies (dcplan/sizing/efficiency.py); κ, the calibrated share of
the shorter side of an operator's roofline that the longer does not hide (0: the classic roofline).

Mixture of experts: the routed experts' weights and FLOPs run at η_moe of the dense efficiencies (grouped
GEMMs), and over tp > 1 ranks the replica is expert parallel with data-parallel attention: every rank holds
and reads the dense part, computes it for its own sequences only (and a whole prompt lands on one rank, the
busiest setting the step: max(q/tp, min(q, prompt)) prompt tokens), and each layer replaces the two
all-reduces by a dispatch and a combine all-to-all to the ranks holding each token's experts
(DeepSeek-V3 technical report, arXiv:2412.19437; docs/sizing.md, "Mixture of experts").

A pipeline stage reads its weights once per micro-batch (pp micro-batches in flight), so
the weights cost W/tp per step whatever pp is: pipelining adds capacity, not bandwidth.
Output tokens per second = m / τ(m); requests per second λ = m / (output · τ(m)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

ACTIVATION_BYTES = 2.0  # activations travel in 16-bit between GPUs
DISPATCH_BYTES = 1.0    # tokens dispatched to experts in FP8 (DeepSeek-V3 technical report, arXiv:2412.19437)
RESERVE = 1.0


@dataclass(frozen=True)
class Shape:
    """What the step model needs of a transformer (SI units: parameters, bytes)."""

    params: float
    active: float
    layers: int
    hidden: int
    attention_width: int        # heads × head_dim
    kv_bytes_16bit: float       # KV-cache bytes per token at 16-bit
    experts: int = 0            # routed experts (0 = dense)
    experts_per_token: int = 0

    # The derived sizes below are cached_property: sizing reads them for each of thousands of replicas. On a
    # frozen dataclass the cached value sits in the instance's __dict__, outside its fields, eq and hash.

    @cached_property
    def expert_params(self) -> float:
        """Parameters in routed experts: params − active = experts_params × (1 − k/E)."""
        if not self.experts or not self.experts_per_token:
            return 0.0
        return (self.params - self.active) / (1.0 - self.experts_per_token / self.experts)

    @cached_property
    def dense_params(self) -> float:
        """Parameters every token uses: attention, dense layers, shared experts, embeddings."""
        return self.params - self.expert_params

    def remote_ranks(self, ranks: int) -> float:
        """Expected number of other ranks a token's k experts live on, E experts spread evenly over
        `ranks`: (ranks − 1) · (1 − C(E − E/ranks, k) / C(E, k)) (k distinct experts, none on a rank)."""
        e, k = self.experts, self.experts_per_token
        local = e / ranks
        none_here = 1.0
        for i in range(k):
            none_here *= max(0.0, (e - local - i) / (e - i))
        return (ranks - 1) * (1.0 - none_here)


@dataclass(frozen=True)
class Chip:
    """One accelerator: dense peak at the compute precision, memory, and its links (bytes/s per direction)."""

    peak_flops: float
    attention_flops: float      # dense peak at the KV-cache precision (attention runs at it)
    hbm_bytes: float
    hbm_bandwidth: float
    scale_up: float             # tensor-parallel link inside a server
    scale_out: float            # NIC bandwidth per accelerator, for layouts that span servers


@dataclass(frozen=True)
class Efficiency:
    hbm: float
    compute: float
    allreduce_s: float
    step_s: float
    moe: float = 1.0            # share of the dense efficiencies the routed experts' grouped GEMMs achieve
    exposed: float = 0.0        # share of the shorter side of an operator's roofline not hidden under the longer


@dataclass(frozen=True)
class Layout:
    tp: int
    pp: int = 1
    per_server: int = 8         # accelerators per server: a layout larger than this spans servers

    @property
    def gpus(self) -> int:
        return self.tp * self.pp

    @property
    def servers(self) -> int:
        return max(1, math.ceil(self.gpus / self.per_server))


@dataclass(frozen=True)
class Serving:
    """The request and the engine's choices: lengths, byte widths, chunk, memory share, batch cap."""

    prompt: int
    output: int
    weight_bytes: float         # per parameter (bf16 2, fp8 1, fp4 0.5625 with its block scales)
    kv_bytes: float             # KV-cache bytes per token at the KV precision
    chunk: int                  # token budget of one step (max_num_tokens)
    headroom: float             # share of HBM for weights and KV cache
    max_batch: int | None = None
    output_cv: float = 0.0      # coefficient of variation of output lengths (0: all answers equally long)


@dataclass(frozen=True)
class Step:
    batch: float
    prefill: float
    memory_s: float
    compute_s: float
    comm_s: float
    seconds: float

    @property
    def bound(self) -> str:
        return "bandwidth" if self.memory_s >= self.compute_s else "compute"


class Replica:
    """One replica of a model on a layout: step times, memory capacity, operating points."""

    def __init__(self, shape: Shape, chip: Chip, eff: Efficiency, layout: Layout, serving: Serving):
        self.shape, self.chip, self.eff, self.layout, self.serving = shape, chip, eff, layout, serving
        s, g = serving, layout.gpus
        # Decode steps are spent mostly on long answers: the mean context a step reads is
        # E[prompt + position] over decode steps = prompt + E[O²] / (2 E[O]) = prompt + O/2 · (1 + cv²).
        self.context = s.prompt + s.output / 2.0 * (1.0 + s.output_cv ** 2)
        self.prefill_ratio = s.prompt / s.output
        # A mixture of experts over several ranks is served expert-parallel with data-parallel attention
        # (module docstring): the dense part is replicated on every rank of a stage, the experts are not.
        self.expert_parallel = shape.expert_params > 0.0 and layout.tp > 1
        copies = layout.tp if self.expert_parallel else 1
        self.weights_total = (shape.dense_params * copies + shape.expert_params) * s.weight_bytes
        self.bandwidth = chip.hbm_bandwidth * eff.hbm
        self.compute = g * chip.peak_flops * eff.compute
        self.attention_compute = g * chip.attention_flops * eff.compute
        a, layers = shape.attention_width, shape.layers
        self.attention_decode = 4.0 * layers * a * self.context
        self.attention_prefill = 4.0 * layers * a * s.prompt / 2.0
        self.tp_link = chip.scale_up if layout.tp <= layout.per_server else chip.scale_out
        self.pp_link = chip.scale_up if layout.servers == 1 else chip.scale_out
        # Per-step coefficients, so that `seconds` (called thousands of times per candidate) is arithmetic only.
        tp, pp = layout.tp, layout.pp
        self._gemm_flop_s = 2.0 * shape.active / self.compute                      # s per token
        self._kv_s = self.context * s.kv_bytes / g / self.bandwidth                 # s per decoding sequence
        self._attention_decode_s = self.attention_decode / self.attention_compute   # s per decoding sequence
        self._attention_prefill_s = self.attention_prefill / self.attention_compute  # s per prompt token
        self._dense_weights_s = shape.params * s.weight_bytes / tp / self.bandwidth
        message_per_token = shape.hidden * ACTIVATION_BYTES
        self._comm_fixed_s = 2.0 * shape.layers * eff.allreduce_s if tp > 1 else 0.0
        self._comm_per_token_s = ((4.0 * shape.layers * (tp - 1) / tp / (pp * self.tp_link) if tp > 1 else 0.0)
                                  + (1.0 / self.pp_link if pp > 1 else 0.0)) * message_per_token
        self._moe = shape.expert_params > 0.0
        if self._moe:
            self._set_experts()
        self._fixed_s = eff.step_s * pp  # each stage runs pp micro-batches per step, each with its launch cost
        self._exposed = eff.exposed

    def _set_experts(self) -> None:
        """Coefficients of a mixture-of-experts step (module docstring, "Mixture of experts").

        The routed experts run as grouped GEMMs at `eff.moe` of the dense efficiencies, on weights
        and FLOPs alike. Over several ranks (expert parallel, data-parallel attention) a rank computes
        the dense part (attention, shared experts) of its own sequences only, so those FLOPs are tp
        times a token's share of the replica, while the routed experts' FLOPs spread over all ranks.
        Instead of two all-reduces per layer, a layer dispatches each token to the ranks holding its
        experts and combines the results back: two all-to-alls of the same count, whose bytes per token
        are the token's hidden state (dispatched at FP8, as DeepSeek-V3 does, combined at 16 bits)
        times its expected number of remote ranks.
        """
        shape, serving, layout, moe = self.shape, self.serving, self.layout, self.eff.moe
        tp, pp, g = layout.tp, layout.pp, layout.gpus
        copies = tp if self.expert_parallel else 1
        self._ranks = copies  # ranks the dense part of a step is split over (by sequence)
        self._missed = 1.0 - shape.experts_per_token / shape.experts  # a token's chance of missing a given expert
        self._dense_flop_s = 2.0 * shape.dense_params * copies / self.compute       # s per token on its rank
        self._expert_flop_s = 2.0 * (shape.active - shape.dense_params) / self.compute / moe  # s per token, spread
        self._dense_weights_s = shape.dense_params * serving.weight_bytes / (tp / copies) / self.bandwidth
        self._expert_weights_s = shape.expert_params * serving.weight_bytes / tp / self.bandwidth / moe
        if self.expert_parallel:
            dispatch = min(serving.weight_bytes, DISPATCH_BYTES)
            per_token = shape.layers * shape.remote_ranks(tp) * shape.hidden * (dispatch + ACTIVATION_BYTES)
            self._comm_per_token_s = per_token / (g * self.tp_link) + (
                shape.hidden * ACTIVATION_BYTES / self.pp_link if pp > 1 else 0.0)

    def weight_bytes_read(self, tokens: float) -> float:
        """Weight bytes the replica reads in a step of `tokens` tokens: every expert some token is routed to,
        E · (1 − (1 − k/E)^n) of E per layer, and every dense parameter."""
        shape = self.shape
        experts = shape.expert_params
        if experts <= 0.0:
            return shape.params * self.serving.weight_bytes
        return (shape.dense_params + experts * self._touched(tokens)) * self.serving.weight_bytes

    # The two helpers below run in every step time of a mixture of experts (see `seconds`): they spell
    # max() and min() of two floats as conditional expressions, which return the same operand (a builtin
    # call costs more than the rest of the arithmetic). max(a, b) is `b if b > a else a`, min(a, b) is
    # `b if b < a else a`: the first argument wins ties and comparisons with NaN, as in the builtins.

    def _touched(self, tokens: float) -> float:
        """Share of the routed experts a step of `tokens` tokens (at least one) runs: 1 − (1 − k/E)^n."""
        return 1.0 - self._missed ** (1.0 if 1.0 > tokens else tokens)

    def critical_prefill(self, prefill: float) -> float:
        """Prompt tokens of a step on its busiest rank. With data-parallel attention a prompt is processed
        on one rank, and every rank waits for the slowest at the next all-to-all: up to one prompt per rank
        the busiest carries a whole prompt (or the step's prefill, if less), beyond that an even share."""
        prompt = float(self.serving.prompt)
        whole = prompt if prompt < prefill else prefill            # min(prefill, prompt)
        share = prefill / self.layout.tp
        return whole if whole > share else share                   # max(share, whole)

    def _parts(self, batch: float, q: float) -> tuple[float, float, float, float, float]:
        """(weight-read s, GEMM FLOP s, KV-read s, attention FLOP s, communication s) of one step."""
        tokens = batch + q
        if self._moe:
            ranks = self._ranks
            critical = self.critical_prefill(q) if self.expert_parallel else q
            weights = self._dense_weights_s + self._expert_weights_s * self._touched(tokens)
            flops = (batch / ranks + critical) * self._dense_flop_s + tokens * self._expert_flop_s
            attention_flops = batch * self._attention_decode_s + critical * ranks * self._attention_prefill_s
        else:
            weights = self._dense_weights_s
            flops = tokens * self._gemm_flop_s
            attention_flops = batch * self._attention_decode_s + q * self._attention_prefill_s
        comm = self._comm_fixed_s + tokens * self._comm_per_token_s
        return weights, flops, batch * self._kv_s, attention_flops, comm

    def seconds(self, batch: float, prefill: float | None = None) -> float:
        """Time of one step with `batch` decoding sequences and `prefill` prompt tokens: `step(...).seconds`.

        The same operations in the same order as `step`, with `_roofline` written out: sizing calls this
        about a million times for a large scenario (operating_point's bisection), and there a Python call
        costs as much as the arithmetic. tests/test_moe_serving.py checks that the two agree bit for bit.
        """
        q = batch * self.prefill_ratio if prefill is None else prefill
        weights, flops, kv, attention_flops, comm = self._parts(batch, q)
        exposed = self._exposed
        gemm = weights + exposed * flops if weights >= flops else flops + exposed * weights
        attention = kv + exposed * attention_flops if kv >= attention_flops else attention_flops + exposed * kv
        return gemm + attention + comm + self._fixed_s

    def _roofline(self, memory: float, arithmetic: float) -> float:
        """An operator's time: the longer of its memory and arithmetic times, plus the exposed share of the
        shorter (0: perfect overlap, the classic roofline; 1: none, the two one after the other)."""
        if memory >= arithmetic:
            return memory + self._exposed * arithmetic
        return arithmetic + self._exposed * memory

    def step(self, batch: float, prefill: float | None = None) -> Step:
        """One step with `batch` decoding sequences and `prefill` prompt tokens, and its parts.

        Operators run one after another, each at its own roofline: the weight GEMMs over all
        tokens of the step, then attention (decode: reading every sequence's KV cache; prefill:
        compute over the prompt), then the collectives, then the fixed cost per micro-batch.
        """
        q = batch * self.prefill_ratio if prefill is None else prefill
        weights, flops, kv, attention_flops, comm = self._parts(batch, q)
        seconds = self._roofline(weights, flops) + self._roofline(kv, attention_flops) + comm + self._fixed_s
        return Step(batch, q, weights + kv, flops + attention_flops, comm, seconds)

    def pipeline_delay(self, prompt: float) -> float:
        """Extra latency of one prompt in a pipeline: it crosses the pp stages one after another, so
        its compute takes pp times its share of a step (a step overlaps pp micro-batches)."""
        if self.layout.pp == 1:
            return 0.0
        flops = prompt * 2.0 * self.shape.active / self.compute + prompt * self.attention_prefill / self.attention_compute
        return (self.layout.pp - 1) * flops

    def kv_capacity_tokens(self) -> float:
        """KV-cache tokens that fit beside the weights (≤ 0: the weights alone do not fit)."""
        usable = self.layout.gpus * self.chip.hbm_bytes * self.serving.headroom - self.weights_total
        return usable / self.serving.kv_bytes

    def max_batch_memory(self) -> float:
        """Decoding sequences the KV cache holds, each reserved at its full length (prompt + output)."""
        return max(0.0, self.kv_capacity_tokens() / (self.serving.prompt + self.serving.output * RESERVE))

    def fits(self) -> bool:
        """Weights and the KV cache of one whole sequence fit."""
        return self.kv_capacity_tokens() >= self.serving.prompt + self.serving.output
