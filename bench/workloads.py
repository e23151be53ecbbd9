"""The workloads of issue 5, as data (no initviz or torch import here: both sides read this file).

Propagation workloads (W1–W3): an L-layer tanh MLP of constant width n, input dimension n, batch B,
no bias, weights ``xavier_normal`` with torch's tanh gain 5/3, i.e. W_l ~ N(0, g²·2/(n+n)) in torch
layout (n_out, n_in); float32 (torch's default dtype and initviz's interactive default). One run =
sample every weight and a batch x ~ N(0, I), forward with per-layer statistics (pre-activation and
activation mean and variance, norm ratios ‖a^l‖/‖x‖), then backward for the probe loss
L = Σ_b ⟨g_b, a^L_b⟩, g ~ N(0, I), with per-layer gradient variances (∂L/∂h^l and ∂L/∂W_l).
The notebook bins no histograms, so initviz is called with ``histograms=()`` (``propagate``
skips every histogram: no subsample, no edges, no binning) — the same computation on both sides.
initviz draws with draw version 2 (``draws=2``: Box–Muller float32 normals, :mod:`initviz.normals`;
torch's ``normal_`` is a Box–Muller too), the fastest sampler it has; its default, version 1
(numpy's ziggurat), is what links made before draw versions reproduce.

Work of one run, in multiply–adds (MACs; flops = 2·MACs):

* forward  h^l = a^{l−1} W_lᵀ:        B·n_in·n_out per layer;
* backward ∂L/∂a^{l−1} = δ^l W_l:      B·n_in·n_out per layer;
* weights  ∂L/∂W_l = (δ^l)ᵀ a^{l−1}:    B·n_in·n_out per layer (only when ``weight_grad``);

plus Σ_l n_in·n_out normal draws for the weights (and B·(n_0 + n_L) for inputs and probe).

The geometry sweep: for each of the four i.i.d. distributions of the Geometry page at entry
variance 1/n (normal, uniform, Rademacher, truncated normal at ±2 parent std), square n×n W for
n = 8, 16, …, 4096 (powers of two, log-spaced), the deviation of G = WᵀW from I: mean over the n²
entries of (G − I)², its diagonal and off-diagonal parts, and ‖G − I‖₂ — the sweep shows that
matrices with i.i.d. entries are almost orthogonal. Repeats per n are initviz's own rule,
r(n) = clip(2²¹ // n², 1, 8), and the torch notebook uses the same counts. Haar orthogonal W
(WᵀW = I exactly) is timed separately, to the largest n initviz accepts, outside the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

TANH_GAIN = 5.0 / 3.0
"""torch.nn.init.calculate_gain("tanh")."""

SEED = 0
"""Every workload runs with this seed (fixed work; the timings do not depend on the values)."""


@dataclass(frozen=True)
class Workload:
    """A propagation workload: a constant-width MLP and the passes run through it."""

    name: str
    depth: int
    width: int
    batch: int
    activation: str = "tanh"
    init: str = "xavier_normal"
    init_params: tuple = (("gain", TANH_GAIN),)
    dtype: str = "float32"
    backward: bool = True
    weight_grad: bool = True
    histograms: tuple = ()
    draws: int = 2
    local_budget: bool = False
    note: str = ""

    @property
    def weight_entries(self) -> int:
        """Σ_l n_in·n_out: weights sampled per run."""
        return self.depth * self.width * self.width

    @property
    def gemm_shapes(self) -> tuple[tuple[str, int, int, int], ...]:
        """The matrix products of one layer as (role, M, K, N) for an (M×K)·(K×N) product."""
        b, n = self.batch, self.width
        shapes = [("forward a·Wᵀ", b, n, n)]
        if self.backward:
            shapes.append(("backward δ·W", b, n, n))
            if self.weight_grad:
                shapes.append(("weight grad δᵀ·a", n, b, n))
        return tuple(shapes)

    @property
    def flops(self) -> int:
        """Floating-point operations of all matrix products of one run (2 per multiply–add)."""
        return self.depth * sum(2 * m * k * n for _, m, k, n in self.gemm_shapes)

    def network_kwargs(self) -> dict:
        """Keyword arguments of ``initviz.Network.mlp`` for this workload."""
        return dict(input_dim=self.width, widths=[self.width] * self.depth, activation=self.activation,
                    init=self.init, init_params=dict(self.init_params), bias="zeros")

    def propagate_kwargs(self) -> dict:
        """Keyword arguments of ``initviz.propagate`` (besides the network)."""
        return dict(batch=self.batch, seed=SEED, dtype=self.dtype, backward=self.backward,
                    weight_grad=self.weight_grad, histograms=self.histograms, draws=self.draws)

    def describe(self) -> str:
        params = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.init_params)
        grads = ("forward + backward" + (" with weight gradients" if self.weight_grad else "")) if self.backward \
            else "forward only"
        hists = f"histograms of {', '.join(self.histograms)}" if self.histograms else \
            "no histograms (as the notebook; initviz: histograms=())"
        budget = "; initviz with an explicit budget=Budget.local() (beyond the hosted limits)" if self.local_budget else ""
        return (f"depth {self.depth}, width {self.width}, batch {self.batch}, {self.activation}, "
                f"{self.init}({params}), {self.dtype}, {grads}, {hists}, initviz draws={self.draws}{budget}")


WORKLOADS: dict[str, Workload] = {w.name: w for w in (
    Workload("W1", depth=50, width=512, batch=512, note="the issue's reference case"),
    Workload("W2", depth=200, width=1024, batch=256, local_budget=True,
             note="deep and wide: beyond a hosted instance's limits, so initviz is called as a Python user on "
                  "their own machine would, with initviz.limits.Budget.local()"),
    Workload("W3", depth=10, width=128, batch=256, note="the interactive case"),
)}
"""W1–W3 of issue 5."""


@dataclass(frozen=True)
class GeometrySweep:
    """The WᵀW-deviation sweep: square n×n matrices, entry variance 1/n, per distribution.

    ``kinds`` make the target; ``extra_kinds`` are timed separately (not i.i.d., not in the target)."""

    name: str = "G"
    dims: tuple[int, ...] = tuple(2 ** k for k in range(3, 13))
    kinds: tuple[str, ...] = ("normal", "uniform", "rademacher", "trunc_normal")
    extra_kinds: tuple[str, ...] = ("orthogonal",)
    max_repeats: int = 8
    repeat_entries: int = 2 ** 21
    dtype: str = "float32"
    trunc_cut: float = 2.0
    stats: tuple[str, ...] = field(default=("msq", "msq_diag", "msq_offdiag", "opnorm"))

    def repeats(self, n: int) -> int:
        """Matrices at size n: clip(repeat_entries // n², 1, max_repeats) (initviz's sweep rule)."""
        return int(min(self.max_repeats, max(1, self.repeat_entries // (n * n))))

    def trunc_normal_std(self, n: int) -> float:
        """Parent std σ of the truncated normal N(0, σ²) on [−c·σ, c·σ] (c = ``trunc_cut``) whose
        realised variance is 1/n, as ``initviz.law_with_variance("trunc_normal", 1/n)``:
        σ = n^(−1/2)/s with s² = Var(Z | |Z| ≤ c) = 1 − 2c·φ(c)/(2Φ(c) − 1), Z ~ N(0, 1)
        (s = 0.8796… for c = 2)."""
        c = self.trunc_cut
        s2 = 1.0 - 2.0 * c * math.exp(-0.5 * c * c) / math.sqrt(2.0 * math.pi) / math.erf(c / math.sqrt(2.0))
        return 1.0 / math.sqrt(n * s2)

    def describe(self) -> str:
        return (f"n = {self.dims[0]}…{self.dims[-1]} ({len(self.dims)} sizes), "
                f"{', '.join(self.kinds)}, variance 1/n, {self.dtype}")


GEOMETRY = GeometrySweep()
"""The geometry sweep of issue 5 (to n = 4096)."""

@dataclass(frozen=True)
class TrainingView:
    """The Training page's default view (issue 13's speed target): ``schemes`` × ``n_seeds`` networks
    of ``depth`` ReLU hidden layers of ``width`` (bias zeros) and a linear output layer, trained on
    the digits (64 inputs, 10 classes, 1,442 training and 355 test images) for ``steps`` steps of
    ``batch`` with SGD (``lr``, ``momentum``) on the cross-entropy, float32; every ``log_every`` steps
    (and the last) the whole test set's loss and accuracy and, per layer, std(W), std(∂L/∂W) and
    ‖ΔW‖/‖W‖. ``bench.training`` checks these numbers against the page's link defaults."""

    name: str = "T"
    depth: int = 3
    width: int = 128
    schemes: tuple[str, ...] = ("kaiming_normal", "keras_glorot_uniform", "torch_default", "zeros")
    n_seeds: int = 3
    steps: int = 300
    batch: int = 64
    lr: float = 0.05
    momentum: float = 0.9
    log_every: int = 10
    dtype: str = "float32"

    def describe(self) -> str:
        return (f"digits, {self.depth} ReLU hidden layers of {self.width} + linear output, "
                f"{' + '.join(self.schemes)} × {self.n_seeds} seeds × {self.steps} steps of batch {self.batch}, "
                f"SGD lr {self.lr:g} momentum {self.momentum:g}, {self.dtype}, test set and per-layer statistics "
                f"every {self.log_every} steps")


TRAINING = TrainingView()
"""The default Training view the bench times (``--only training``)."""
TRAINING_ISSUE = TrainingView(name="T6", depth=5)
"""Issue 13's stated view, "a 6-layer width-128 net": the page's default view with 5 hidden layers
(+ the output: 6 weight layers) instead of the page's 3, timed beside it (``--only training``)."""
TRAINING_VIEWS = {view.name: view for view in (TRAINING, TRAINING_ISSUE)}
"""The timed training views by name."""

TARGETS = {
    "W1_speedup": 1.1, "W1_floor": 1.25, "W2_speedup": 1.1, "W3_speedup": 1.1,
    "geometry_s": 1.2, "page_s": 0.100, "redraw_s": 0.300, "payload_bytes": 150 * 1024,
    "width_s": 3.0, "width_transfer_s": 5.0, "training_s": 3.0, "training_speedup": 1.0,
    "training_first_points_s": 1.0, "compare4_redraw_s": 0.5, "compare4_v2_redraw_s": 0.5,
}
"""The targets as issue 17 restated issue 5's for a 2-core machine (W1–W3 ≥ 1.1× the notebook, W1 ≤ 1.25×
the machine's floor, the geometry sweep to n = 4096 < 1.2 s, a redraw after a control change < 300 ms):
speed-ups vs the notebook are lower bounds; floor ratio, times and sizes are upper bounds. Issue 13's
``training_*``: the default Training view < 3 s on 2 cores and ≥ 1.0× the notebook's loop (and issue 13's 6-layer
view, timed beside it), its first curve points on screen < 1 s after a control change (Chromium). ``compare4_redraw_s``: issue 17's
four schemes on the 30-layer width-512 preset redrawn < 0.5 s after a new seed (Chromium, a local instance), with
version-1 draws (every existing link) and ``compare4_v2`` with version 2's (``draws=2``). ``width_s``: issue 16's "the default Width view computes in < 3 s on 2 cores";
``width_transfer_s``: the Width page's learning-rate transfer view at its defaults (56 training runs
of 10 steps and their evaluations, 7.4·10¹⁰ multiply–adds in two workers, ~2 CPU-s each) within 5 s:
an opt-in view that trains 56 networks may take longer than the coordinate check, but not longer than
the few seconds a hosted view is given (``initviz.ui.links.width.TRANSFER_MAX_WORK``, ~4 s at most)."""
