"""How fast one replica of a model serves requests: a roofline step model under load.

A replica is `tp × pp` accelerators (tensor parallel inside a pipeline stage, pipeline
stages in sequence), possibly spanning servers. The engine batches continuously: every
step advances each of the m decoding sequences by one token and, in the same step,
processes a chunk of prompt tokens of waiting requests (chunked prefill). In steady state
a request contributes `prompt` prefill tokens and `output` decode steps, so a step carries
m decode tokens and q = m · prompt / output prefill tokens. Its time is

    τ(m) = max(T_mem, T_flop) + T_comm + T_step

    T_mem  = (W / tp + m · C̄ · kv / g + q · prompt / 2 · kv / (chunk · g)) / (B · η_mem)
    T_flop = (m · (2A + 4·L·a·C̄) + q · (2A + 4·L·a·prompt/2)) / (g · Π · η_flop)
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
η_mem and η_flop are the calibrated efficiencies (dcplan/sizing/efficiency.py).

A pipeline stage reads its weights once per micro-batch (pp micro-batches in flight), so
the weights cost W/tp per step whatever pp is: pipelining adds capacity, not bandwidth.
Output tokens per second = m / τ(m); requests per second λ = m / (output · τ(m)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ACTIVATION_BYTES = 2.0
RESERVE = 1.0  # activations travel in 16-bit between GPUs


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

    @property
    def expert_params(self) -> float:
        """Parameters in routed experts: params − active = experts_params × (1 − k/E)."""
        if not self.experts or not self.experts_per_token:
            return 0.0
        return (self.params - self.active) / (1.0 - self.experts_per_token / self.experts)


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
        self.weights_total = shape.params * s.weight_bytes
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
        self._dense_weights_s = self.weights_total / tp / self.bandwidth
        message_per_token = shape.hidden * ACTIVATION_BYTES
        self._comm_fixed_s = 2.0 * shape.layers * eff.allreduce_s if tp > 1 else 0.0
        self._comm_per_token_s = ((4.0 * shape.layers * (tp - 1) / tp / (pp * self.tp_link) if tp > 1 else 0.0)
                                  + (1.0 / self.pp_link if pp > 1 else 0.0)) * message_per_token
        self._fixed_s = eff.step_s * pp  # each stage runs pp micro-batches per step, each with its launch cost
        self._moe = shape.expert_params > 0.0

    def weight_bytes_read(self, tokens: float) -> float:
        shape = self.shape
        experts = shape.expert_params
        if experts <= 0.0:
            return self.weights_total
        touched = 1.0 - (1.0 - shape.experts_per_token / shape.experts) ** max(tokens, 1.0)
        return (shape.params - experts + experts * touched) * self.serving.weight_bytes

    def seconds(self, batch: float, prefill: float | None = None) -> float:
        """Time of one step with `batch` decoding sequences and `prefill` prompt tokens (see `step`)."""
        q = batch * self.prefill_ratio if prefill is None else prefill
        tokens = batch + q
        weights = self.weight_bytes_read(tokens) / self.layout.tp / self.bandwidth if self._moe \
            else self._dense_weights_s
        gemm = max(weights, tokens * self._gemm_flop_s)
        attention = max(batch * self._kv_s, batch * self._attention_decode_s + q * self._attention_prefill_s)
        return gemm + attention + self._comm_fixed_s + tokens * self._comm_per_token_s + self._fixed_s

    def step(self, batch: float, prefill: float | None = None) -> Step:
        """One step with `batch` decoding sequences and `prefill` prompt tokens, and its parts.

        Operators run one after another, each at its own roofline: the weight GEMMs over all
        tokens of the step, then attention (decode: reading every sequence's KV cache; prefill:
        compute over the prompt), then the collectives, then the fixed cost per micro-batch.
        """
        q = batch * self.prefill_ratio if prefill is None else prefill
        tokens = batch + q
        weights = self.weight_bytes_read(tokens) / self.layout.tp / self.bandwidth
        attention_memory = batch * self._kv_s
        memory = weights + attention_memory
        compute = tokens * self._gemm_flop_s + batch * self._attention_decode_s + q * self._attention_prefill_s
        comm = self._comm_fixed_s + tokens * self._comm_per_token_s
        return Step(batch, q, memory, compute, comm, self.seconds(batch, prefill))

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
