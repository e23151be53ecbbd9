"""Explicit limits on what one network and one propagation may ask for.

Every size a user (or a URL) can choose is bounded here, by name, and checked in the core — not
only in the UI — so the most expensive allowed request still finishes in seconds and in bounded
memory. The budgets are on the work actually done:

* a network's weights: Σ_l n_{l−1}·n_l entries (``MAX_WEIGHTS``);
* one propagation: n_seeds·batch·Σ_l n_l activation entries (``MAX_ACTIVATIONS``, the elementwise
  work and the statistics) and n_seeds·batch·Σ_l n_{l−1}·n_l multiply–adds of the forward pass
  (``MAX_MACS``; the backward pass costs about twice that again), both counted twice in float64;
  and the sampling work n_seeds·Σ_l n_{l−1}·n_l·cost(law) (``MAX_WEIGHT_DRAWS``, ``DRAW_COST``:
  a truncated normal costs ~9 normal draws, an orthogonal matrix a QR);
* memory kept for the backward pass (``MAX_STORE_BYTES``): beyond it, weights and
  pre-activations are recomputed from their seeded streams segment by segment (checkpointing).

These constants are the budget of a hosted instance (:meth:`Budget.hosted`), which the app passes
to the core when it serves the public (``INITVIZ_LIMITS=hosted``, see ``initviz.ui.deployment``).
A Python caller gets :meth:`Budget.local` by default: no compute budget beyond the structural limits
(``MAX_DEPTH``, ``MAX_WIDTH``, ``MAX_BATCH``, ``MAX_SEEDS``) and bounded memory; passing
``budget=Budget.hosted()`` to ``Network.mlp`` and ``propagate`` applies the hosted limits.

CPU time on one core of the development machine (float32, OpenBLAS, forward + backward +
histograms), at each budget: batch 2048 through 1000 gelu layers of width 16 (2^25 activations)
0.45 s; batch 4096 through 8 relu layers of width 512 (2^33 MACs) 1.2 s; batch 64 through 256
layers of width 512 (2^26 normal draws, drawn twice by the checkpointed backward pass) 2.3 s;
24 orthogonal layers of width 512, 0.9 s; 28 truncated-normal layers of width 512, 0.85 s. The
default view (30 × 512, batch 256) takes 0.4 s; peak memory stays below ~230 MB. (Measured before
the speed work of issue 5 — chunked threaded sampling, rejection truncated normal, exact bincount
histograms, prefetched draws — which cut single-thread CPU time by ~25–40 %; these are upper bounds.)
"""

from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass, fields

from .errors import invalid

MAX_DEPTH = 1000
"""Most layers in a network."""

MAX_WIDTH = 4096
"""Widest layer (and largest input dimension)."""

MAX_BATCH = 4096
"""Most input samples propagated per seed."""

MIN_BATCH = 2
"""Fewest input samples: one correlated pair, and a variance needs two values."""

MAX_SEEDS = 32
"""Most independent repeats (networks and input batches) in one propagation."""

MAX_WEIGHTS = 2 ** 27
"""Most weight entries Σ_l n_{l−1}·n_l in one network (~134 M: depth 500 at width 512). Theory
(mean field) handles such a network at once; propagating it is bounded by the budgets below."""

MAX_ACTIVATIONS = 2 ** 25
"""Most activation entries n_seeds·batch·Σ_l n_l in one propagation (~34 M: ~1.5 s of statistics)."""

MAX_MACS = 2 ** 33
"""Most forward multiply–adds n_seeds·batch·Σ_l n_{l−1}·n_l in one propagation (~8.6e9: ~1.7 s
forward and backward at ~80 GFLOP/s float32)."""

MAX_WEIGHT_DRAWS = 2 ** 26
"""Most weight-sampling work in one propagation, n_seeds·Σ_l cost_l·n_{l−1}·n_l in normal-draw
equivalents (~67 M: ~1 s; the checkpointed backward pass may draw a second time)."""

DRAW_COST = {"normal": 1.0, "uniform": 0.3, "rademacher": 0.3, "trunc_normal": 9.0, "sparse": 4.0,
             "constant": 0.05, "eye": 0.05, "dirac": 0.05}
"""Cost of one weight entry per law kind, relative to a standard normal draw, measured on the
development machine (``Law.sample`` of 512×512 float32, one thread, CPU time, median of 40: normal
9.4 ns, uniform 2.5, Rademacher 2.4). The truncated normal is charged its worst case: intervals
holding ≥ 25 % of the parent mass are drawn by rejection (±2σ: 11.5 ns, 1.2 normal draws), thinner
ones by the inverse distribution function (~9–12 normal draws), and the budget cannot tell them
apart by kind. ``orthogonal`` is :func:`draw_cost`'s QR term."""

ORTHOGONAL_COST_BASE, ORTHOGONAL_COST_PER_DIM = 2.0, 1.0 / 60.0
"""An orthogonal (m, n) draw costs ≈ (2 + min(m, n)/60) per entry (Householder QR, ~n³ flops)."""

MAX_STORE_BYTES = 2 ** 27
"""Most bytes of weights and pre-activations kept for the backward pass (128 MiB: W1 of the bench,
50 layers of 512×512 at batch 512 in float32, needs 100 MiB and is then never redrawn — redrawing
its first 32 layers cost ~30 % of its CPU time at 64 MiB); longer networks are checkpointed and
recomputed segment by segment."""

SAMPLE_CHUNK_ENTRIES = 2 ** 16
"""i.i.d. weight tensors larger than this are drawn in chunks of this many entries, chunk i from
the i-th child generator spawned by the caller's generator (:func:`initviz.laws.Law.base`): the
layout depends on the shape only, so draws are reproducible whatever the thread count, and a
chunk (256 KiB in float32) stays in cache."""

SAMPLE_THREADS = min(2, os.cpu_count() or 1)
"""Threads filling the chunks of one draw (numpy releases the GIL in bulk fills)."""

TRUNC_REJECTION_MIN_MASS = 0.25
"""Truncated normals whose interval holds at least this parent mass Φ(β) − Φ(α) are drawn by
rejection from the normal (≤ 4 draws per entry; [−2, 2]: 95.4 % accepted); thinner intervals
by the inverse distribution function in log space."""

MAX_BINS = 512
"""Most histogram bins per layer."""

HIST_SUBSAMPLE = 1024
"""Values per layer kept (first seed, evenly strided) to choose the common histogram range."""


LOCAL_STORE_BYTES = 2 ** 31
"""Most bytes kept for the backward pass under :meth:`Budget.local` (2 GiB: W2 of the bench, 200
layers of 1024×1024 at batch 256 in float32, keeps 1000 MiB and is then never redrawn)."""


@dataclass(frozen=True)
class Budget:
    """The compute and memory budgets one network and one propagation are checked against.

    The field defaults are the module's constants — what a hosted instance enforces
    (:meth:`hosted`); a field given replaces that one limit. :meth:`initviz.Network.mlp`
    (``weights``) and :func:`initviz.propagate` (the others) take one as ``budget``; without it they
    use :meth:`local`, for a caller on their own machine:

    * ``weights`` — Σ_l n_{l−1}·n_l of a network (``MAX_WEIGHTS``);
    * ``activations`` — n_seeds·batch·Σ_l n_l, twice in float64 (``MAX_ACTIVATIONS``);
    * ``macs`` — n_seeds·batch·Σ_l n_{l−1}·n_l forward multiply–adds, twice in float64 (``MAX_MACS``);
    * ``weight_draws`` — n_seeds·Σ_l cost_l·n_{l−1}·n_l normal-draw equivalents (``MAX_WEIGHT_DRAWS``);
    * ``store_bytes`` — weights and pre-activations kept for the backward pass before it
      checkpoints and redraws (``MAX_STORE_BYTES``); the numbers do not depend on it.

    Every field is a positive int. :meth:`local` lifts the compute budgets to what the structural
    limits (``MAX_DEPTH``, ``MAX_WIDTH``, ``MAX_BATCH``, ``MAX_SEEDS``) allow anyway and keeps memory
    bounded (``LOCAL_STORE_BYTES``): a run then takes as long as it takes, in at most ~2 GiB of
    kept arrays plus a few layers' temporaries.
    """

    weights: int = MAX_WEIGHTS
    activations: int = MAX_ACTIVATIONS
    macs: int = MAX_MACS
    weight_draws: int = MAX_WEIGHT_DRAWS
    store_bytes: int = MAX_STORE_BYTES

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                raise invalid(f"budget.{f.name}", "be a positive int", value)
            object.__setattr__(self, f.name, int(value))

    @classmethod
    def hosted(cls) -> "Budget":
        """The limits of a public instance: the module's constants (what the app passes when
        ``INITVIZ_LIMITS`` is ``hosted``, its default)."""
        return cls()

    @classmethod
    def local(cls) -> "Budget":
        """No hosted compute limits, bounded memory: for a caller on their own machine."""
        weights = MAX_DEPTH * MAX_WIDTH * MAX_WIDTH
        activations = 2 * MAX_SEEDS * MAX_BATCH * MAX_DEPTH * MAX_WIDTH
        draws = math.ceil(weights * max(max(DRAW_COST.values()),
                                        ORTHOGONAL_COST_BASE + ORTHOGONAL_COST_PER_DIM * MAX_WIDTH))
        return cls(weights=weights, activations=activations, macs=2 * MAX_SEEDS * MAX_BATCH * weights,
                   weight_draws=MAX_SEEDS * draws, store_bytes=LOCAL_STORE_BYTES)

    def limit_name(self, field_name: str, constant: str) -> str:
        """How a refusal names the limit: the module constant when it is the default, else the field."""
        return constant if getattr(self, field_name) == getattr(HOSTED_BUDGET, field_name) else f"budget.{field_name}"


HOSTED_BUDGET = Budget.hosted()
"""The limits of a public instance (the module's constants)."""

DEFAULT_BUDGET = Budget.local()
"""What the core applies when no ``budget`` is passed: a Python caller on their own machine."""


def as_budget(budget) -> Budget:
    """``budget`` (None: :data:`DEFAULT_BUDGET`, the local budget) as a :class:`Budget`, else InitvizError."""
    if budget is None:
        return DEFAULT_BUDGET
    if not isinstance(budget, Budget):
        raise invalid("budget", "be an initviz.limits.Budget (e.g. Budget.local()) or None", type(budget).__name__)
    return budget


def draw_cost(kind: str, shape: tuple[int, int]) -> float:
    """Sampling work of one weight tensor of law ``kind`` and ``shape``, in normal-draw equivalents."""
    entries = shape[0] * shape[1]
    if kind == "orthogonal":
        return entries * (ORTHOGONAL_COST_BASE + ORTHOGONAL_COST_PER_DIM * min(shape))
    return entries * DRAW_COST.get(kind, 1.0)


def check_int(name: str, value, lo: int, hi: int) -> int:
    """``value`` as an int in [lo, hi] (bools and non-integers rejected), else InitvizError."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or not lo <= int(value) <= hi:
        raise invalid(name, f"be an int in [{lo}, {hi}]", value)
    return int(value)


def check_float(name: str, value, lo: float = -math.inf, hi: float = math.inf) -> float:
    """``value`` as a finite float in [lo, hi] (bools rejected), else InitvizError."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value) \
            or not lo <= float(value) <= hi:
        rule = "be a finite number" + ("" if (lo, hi) == (-math.inf, math.inf) else f" in [{lo}, {hi}]")
        raise invalid(name, rule, value)
    return float(value)


def check_budget(argument: str, value, used: int, limit: int, what: str, limit_name: str) -> None:
    """Raise InitvizError when a compute budget is exceeded.

    The message names the argument the user can change, the product that broke the budget and the
    limit's name here, e.g. "Argument `batch` must keep n_seeds·batch·Σwidths = 80,000,000 within
    MAX_ACTIVATIONS = 67,108,864. Received: batch=4096".
    """
    if used > limit:
        raise invalid(argument, f"keep {what} = {used:,} within {limit_name} = {limit:,}", value)
