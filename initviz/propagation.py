"""Signal propagation through a random MLP, forward and backward, as per-layer statistics.

**Forward.** For each repeat r = 0..n_seeds−1 a batch of B inputs x (rows) goes through the
:class:`~initviz.network.Network`: h^l = a^{l−1} W_lᵀ + b_l (torch layout, W_l of shape
(n_l, n_{l−1})), a^l = φ_l(h^l), a⁰ = x. Randomness comes from :func:`initviz.rng.stream`
``(seed, r, role, layer)`` with the roles of :mod:`initviz.rng` (0 inputs, 1 weights, 2 biases,
3 the output probe): adding a layer leaves the earlier weights unchanged, and two networks run with
the same seed see the same inputs (and, for schemes of the same base distribution, proportional weights).

Inputs (``inputs``): ``"normal"`` — i.i.d. N(0, 1) entries, shape (B, n_0); ``"unit_norm"`` —
the same rows rescaled onto the sphere of radius √n_0, so every coordinate still has mean square 1
but ‖x‖ no longer fluctuates; ``"correlated"`` — rows (2k, 2k+1) form pairs with correlation
``input_corr``: x_{2k+1} = c·x_{2k} + √(1 − c²)·ξ, ξ ~ N(0, I) (an odd last row is unpaired).
Whatever the inputs, rows (2k, 2k+1) are the pairs whose correlation is tracked layer by layer
(≈ 0 at the input unless correlated).

Per layer and repeat (arrays of shape (n_seeds, L); **NaN means absent**: after a fault, past a
deadline, or undefined for the layer — never a computed NaN):

* ``preact_mean``, ``preact_var``, ``act_mean``, ``act_var`` — mean and variance of all B·n_l
  entries of h^l and a^l (pooled over samples and units);
* ``norm_ratio`` (+ ``_p05``, ``_p95``) — over the B samples, the mean (5th, 95th percentile) of
  ‖a^l‖/‖x‖, a^l the layer's activation output, norms Euclidean over units;
* ``layer_ratio`` (+ ``_p05``, ``_p95``) — the same for the single-layer gain
  ‖W_l a^{l−1}‖/‖a^{l−1}‖ (bias excluded; samples with a^{l−1} = 0 are skipped);
* ``msq_ratio``, ``msq_ratio_var`` — mean and variance over samples of
  (‖a^l‖²/n_l)/(‖x‖²/n_0), the per-unit mean square relative to the input's (Hanin & Rolnick 2018);
* ``saturated`` — fraction of the B·n_l outputs within 1 % of a rail (tanh, sigmoid; absent for
  the others, see :mod:`initviz.activations`); ``dead`` — fraction of the n_l units whose output
  is exactly 0 for every sample (relu-like activations only);
* ``corr`` — mean over the pairs of the cosine ⟨h_a, h_b⟩/(‖h_a‖‖h_b‖) of pre-activations (the
  mean-field c^l); ``input_corr_measured`` (n_seeds,) is the same at the input;
* ``unit_spread`` — symmetry: max over samples b and units i of |a_{b,i} − a_{b,1}|/max|a^l|, exactly
  0 when every unit of the layer computes the same value (constant init), of order 1 otherwise. A
  layer whose weights are all equal (:attr:`~initviz.laws.Law.constant_value`: constant, zeros,
  ones, a zero std or gain) computes a^{l−1}W_lᵀ as one sum per sample, Σ_j c·a_j, given to every
  unit (and ∂L/∂a^{l−1} = δW_l as Σ_i c·δ_i given to every input), so equal units are equal by
  construction on any BLAS and thread count: a GEMM promises no common rounding across output
  columns, and its tile edges and FMA order differ between kernels (OpenBLAS Haswell, SkylakeX,
  MKL, Accelerate);
* ``weight_std`` — std of the sampled W_l entries; ``max_abs`` — max |a^l|.

**Backward** (``backward=True``), for the stated probe loss L = Σ_b ⟨g_b, a^L_b⟩ with
g ~ N(0, 1) drawn once per repeat (a random Gaussian gradient at the output; summed, not
averaged, over the batch, so ∂L/∂h is the per-sample gradient and ∂L/∂W the sum of B per-sample
terms):

* ``grad_var`` — variance of the entries of ∂L/∂h^l (pre-activations; Glorot & Bengio's backward
  quantity); ``grad_act_var`` — of ∂L/∂a^l;
* ``grad_w_var`` — variance of the entries of ∂L/∂W_l = (∂L/∂h^l)ᵀ a^{l−1} (``weight_grad=True``);
* ``grad_ratio`` — std(∂L/∂W_l)/std(W_l), absent when std(W_l) = 0 (e.g. zero init);
* ``grad_spread`` — the symmetry measure above for ∂L/∂h^l.

**Faults are results.** Per repeat, ``nonfinite_layer`` is the first layer where h^l or a^l holds
an inf or NaN and ``vanished_layer`` the first layer where max|a^l| < the dtype's smallest normal
number (``finfo.tiny``: every entry zero or subnormal; the inputs never are); 0 means never.
Forward statistics stop there (a vanished layer keeps its own statistics, a non-finite one does
not), and the backward pass, which needs a^L, is skipped. Backward faults are recorded the same
way, counting down from L (``grad_nonfinite_layer``, ``grad_vanished_layer``). Statistics are
float64 and computed after scaling by max|·| (on the values themselves when max|·| is within
``NO_COPY_SCALE`` or ``SAFE_SCALE``: the same to rounding), so float32 data near 3.4e38 never
overflow in the statistic itself (in float64 runs, a second moment of values beyond ~1e154 exceeds float64 and is
reported as +inf, never NaN). No floating-point flags are consulted.

**Deadline.** ``deadline`` seconds after the call starts, checked between layers, the run stops and
returns what it has with ``truncated=True`` and a ``reason``.

**Histograms** (first repeat only), of the kinds in ``histograms`` (default all of
:data:`HISTOGRAMS`; ``()`` for none): ``preact_hist``/``act_hist`` (L, bins) counts over common
edges ``preact_edges``/``act_edges`` (bins + 1). The range is the 0.5–99.5 % quantile range of an
evenly strided subsample (``HIST_SUBSAMPLE`` values per layer) pooled over all layers — or the
rails [lo, hi] for tanh/sigmoid activations — and ``preact_outside``/``act_outside`` hold the
exact fraction of each layer's values outside it. ``grad_hist``/``grad_edges``/``grad_outside``
are the histograms of the back-propagated gradient ∂L/∂h (Glorot & Bengio 2010, Fig. 7) over common
edges from the pooled 0.5–99.5 % range; each layer's counts are those of an evenly strided subsample
of ``grad_hist_values`` values of that layer (all its values when it has fewer), at most
``GRAD_HIST_VALUES`` per layer and ``GRAD_HIST_TOTAL`` over all layers, because the backward pass
meets the layers before the common range is known. A kind that is asked for is always there in
full shape, layers without data having zero counts and NaN outside — so ``"grad"`` with
``backward=False`` (no layer reached; not an error, since the default asks for every kind) gives
zero counts, NaN ``grad_outside`` and placeholder edges [−1, 1]. A kind that is not asked for is
**absent**: its ``*_hist``, ``*_edges`` and ``*_outside`` are None (``grad_hist_values`` 0),
:meth:`PropagationResult.histogram_frame` refuses it with an :class:`~initviz.errors.InitvizError`,
and the run does no work for it (no subsample, no edges, no binning, no buffers; without
activation or pre-activation histograms the forward pass keeps nothing for them).

**Memory.** Only per-layer statistics are kept. For the backward pass the weights and
pre-activations of a segment of layers are held (at most ``MAX_STORE_BYTES``, or the ``budget``'s
``store_bytes``); longer networks are checkpointed: each segment's input is kept and its weights
are redrawn from their streams (bit-identical) when the backward pass reaches it.

**Speed** (the numbers are those of the plain computation; ``tests/test_fast_paths.py`` checks
each route against it). Everything stays in the run's dtype (float32 by default) except the
float64 scalars of the statistics. Weights are drawn one layer ahead on a helper thread
(``PREFETCH_MIN_ENTRIES``), each draw in chunks on two threads (:mod:`initviz.laws`); variances
come from two pairwise passes into reused buffers, without a scaled copy when max|x| is moderate;
histograms are exact bincounts (:class:`_Binner`); percentiles are numpy's, bit for bit, from
candidate subsets rather than a partition of everything (:func:`_order_statistics`); the variance
of ∂L/∂W_l comes from B×B Grams instead of the n_out×n_in product when B is small against the
widths (:func:`_gram_moments`, ``GRAM_MAX_RATIO``).
"""

from __future__ import annotations

import math
import numbers
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np

from .activations import Activation
from .errors import invalid, one_of
from .laws import as_dtype
from .limits import (HIST_SUBSAMPLE, MAX_BATCH, MAX_BINS, MAX_SEEDS, MIN_BATCH, Budget, as_budget, check_budget,
                     check_float, check_int, draw_cost)
from .network import Network
from .rng import ROLE_BIASES, ROLE_INPUTS, ROLE_PROBE, ROLE_WEIGHTS, stream

INPUTS = ("normal", "unit_norm", "correlated")
"""Input batches :func:`propagate` can draw (module docstring)."""

HISTOGRAMS = ("act", "preact", "grad")
"""What :meth:`PropagationResult.histogram_frame` bins: activations, pre-activations, ∂L/∂h."""

DEFAULT_BINS = 60
"""Histogram bins per layer unless asked otherwise."""

PREFETCH_MIN_ENTRIES = 2 ** 16
"""Networks with a layer of at least this many weights draw each layer's weights one layer ahead
on a helper thread (smaller draws take less time than handing them over)."""

GRAD_HIST_VALUES = 2 ** 15
"""At most this many values of each layer's ∂L/∂h are kept for its gradient histogram."""

GRAD_HIST_TOTAL = 2 ** 22
"""At most this many gradient values are kept over all layers (16 MiB in float32)."""

HIST_QUANTILES = (0.5, 99.5)
"""Percentiles of the pooled subsample that bound the common histogram range."""

LOSS = "L = sum_b <g_b, a^L_b>, g ~ N(0, 1)"
"""The backward probe, as stated in every result."""

FORWARD_STATS = ("preact_mean", "preact_var", "act_mean", "act_var", "norm_ratio", "norm_ratio_p05",
                 "norm_ratio_p95", "layer_ratio", "layer_ratio_p05", "layer_ratio_p95", "msq_ratio",
                 "msq_ratio_var", "saturated", "dead", "corr", "unit_spread", "weight_std", "max_abs")
BACKWARD_STATS = ("grad_var", "grad_act_var", "grad_w_var", "grad_ratio", "grad_spread")
STATS = FORWARD_STATS + BACKWARD_STATS
"""Every per-layer statistic, each an (n_seeds, L) float64 array of :class:`PropagationResult`."""

BAND_STATS = ("preact_var", "act_var", "norm_ratio", "layer_ratio", "msq_ratio", "corr", "saturated", "dead",
              "grad_var", "grad_w_var", "grad_ratio")
"""Statistics whose spread over repeats ``to_frame`` reports as ``<name>_lo``/``<name>_hi`` (min/max)."""

FAULTS = ("nonfinite_layer", "vanished_layer", "grad_nonfinite_layer", "grad_vanished_layer")
"""Per-repeat fault layers (1-based, 0 = never)."""


@dataclass(frozen=True, eq=False)
class PropagationResult:
    """What :func:`propagate` measured; arrays only (cheap to pickle). See the module docstring.

    Per-layer statistics are (n_seeds, L) float64 arrays with NaN = absent, in ``stats`` and as
    attributes (``res.preact_var``); faults are (n_seeds,) int arrays with 0 = never, in ``faults``
    and as attributes (``res.nonfinite_layer``); histograms describe the first repeat, for the kinds
    in ``histograms`` (the others' arrays are None).
    """

    net: Network
    batch: int
    seed: int
    dtype: str
    n_seeds: int
    inputs: str
    input_corr: float
    loss: str
    stats: dict = field(repr=False)
    faults: dict = field(repr=False)
    layers_done: np.ndarray = field(repr=False)
    input_corr_measured: np.ndarray = field(repr=False)
    preact_hist: np.ndarray | None = field(repr=False)
    preact_edges: np.ndarray | None = field(repr=False)
    preact_outside: np.ndarray | None = field(repr=False)
    act_hist: np.ndarray | None = field(repr=False)
    act_edges: np.ndarray | None = field(repr=False)
    act_outside: np.ndarray | None = field(repr=False)
    grad_hist: np.ndarray | None = field(repr=False)
    grad_edges: np.ndarray | None = field(repr=False)
    grad_outside: np.ndarray | None = field(repr=False)
    grad_hist_values: int = 0
    histograms: tuple = HISTOGRAMS
    truncated: bool = False
    reason: str | None = None

    def __getattr__(self, name):
        stats = self.__dict__.get("stats", {})
        if name in stats:
            return stats[name]
        faults = self.__dict__.get("faults", {})
        if name in faults:
            return faults[name]
        raise AttributeError(name)

    @property
    def depth(self) -> int:
        return self.net.depth

    def _first(self, name: str) -> int | None:
        """Earliest fault over repeats: the lowest layer forward, the highest backward (the
        backward pass runs from L down)."""
        hits = self.faults[name][self.faults[name] > 0]
        if not hits.size:
            return None
        return int(hits.max() if name.startswith("grad") else hits.min())

    @property
    def first_nonfinite_layer(self) -> int | None:
        """The 1-based layer where values stopped being finite (earliest over repeats), or None."""
        return self._first("nonfinite_layer")

    @property
    def first_vanished_layer(self) -> int | None:
        """The 1-based layer where max|a^l| fell below the dtype's tiny (earliest over repeats), or None."""
        return self._first("vanished_layer")

    @property
    def first_grad_nonfinite_layer(self) -> int | None:
        """The 1-based layer where the backward pass stopped being finite (first reached), or None."""
        return self._first("grad_nonfinite_layer")

    @property
    def first_grad_vanished_layer(self) -> int | None:
        """The 1-based layer where the gradient fell below tiny (first reached), or None."""
        return self._first("grad_vanished_layer")

    def to_frame(self):
        """pandas DataFrame, one row per layer: ``layer``, ``width``, ``activation``, every statistic
        averaged over the repeats that have it (pandas NA where none has), and for
        :data:`BAND_STATS` the min and max over repeats as ``<name>_lo``/``<name>_hi``.
        ``msq_ratio_var`` pools the repeats (within-repeat variance plus variance of the means) and
        ``msq_ratio_relvar`` = msq_ratio_var/msq_ratio² is the relative spread that Hanin & Rolnick's
        ∏(1 + K/n_l) − 1 predicts (:func:`initviz.meanfield.predict`).
        """
        import pandas as pd

        columns = {"layer": np.arange(1, self.depth + 1), "width": np.array(self.net.widths),
                   "activation": [Activation(*pair).label for pair in self.net.activations]}
        for name in STATS:
            columns[name] = _mean_over_seeds(self.stats[name])
            if name in BAND_STATS:
                columns[f"{name}_lo"], columns[f"{name}_hi"] = _range_over_seeds(self.stats[name])
        columns["msq_ratio_var"] = _pooled_variance(self.stats["msq_ratio"], self.stats["msq_ratio_var"])
        with np.errstate(divide="ignore", invalid="ignore"):
            relvar = columns["msq_ratio_var"] / np.square(columns["msq_ratio"])
        columns["msq_ratio_relvar"] = np.where(np.isfinite(relvar), relvar, np.nan)
        frame = pd.DataFrame(columns)
        floats = [c for c in frame.columns if c not in ("layer", "width", "activation")]
        return frame.astype({c: "Float64" for c in floats})

    def histogram_frame(self, which: str = "act"):
        """Tidy histogram of the first repeat: ``layer, bin_lo, bin_hi, count, density`` (density
        normalised over the layer's values, including those outside the range) for ``which`` in
        ``HISTOGRAMS`` (``"grad"``: ∂L/∂h from its subsample); layers without data are left out. A
        kind the run did not bin (``propagate(..., histograms=...)``) raises InitvizError."""
        import pandas as pd

        if which not in HISTOGRAMS:
            raise one_of("which", HISTOGRAMS, which)
        if which not in self.histograms:
            raise invalid("which", "be a kind this run binned (" + (", ".join(self.histograms) or "none")
                          + "; propagate's `histograms` argument chooses them)", which)
        counts, edges = getattr(self, f"{which}_hist"), getattr(self, f"{which}_edges")
        total = counts.sum(axis=1) / np.where(np.isnan(getattr(self, f"{which}_outside")), 1.0,
                                              1.0 - getattr(self, f"{which}_outside"))
        rows = np.flatnonzero(counts.sum(axis=1) > 0)
        width = np.diff(edges)
        return pd.DataFrame({
            "layer": np.repeat(rows + 1, len(width)),
            "bin_lo": np.tile(edges[:-1], len(rows)), "bin_hi": np.tile(edges[1:], len(rows)),
            "count": counts[rows].ravel(),
            "density": (counts[rows] / (total[rows, None] * width)).ravel(),
        })


def _mean_over_seeds(values: np.ndarray) -> np.ndarray:
    present = ~np.isnan(values)
    n = present.sum(axis=0)
    total = np.where(present, values, 0.0).sum(axis=0)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def _range_over_seeds(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    present = ~np.isnan(values)
    any_ = present.any(axis=0)
    lo = np.where(present, values, np.inf).min(axis=0)
    hi = np.where(present, values, -np.inf).max(axis=0)
    return np.where(any_, lo, np.nan), np.where(any_, hi, np.nan)


def _pooled_variance(means: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """Variance over all samples of all repeats (equal batch sizes): E[var_r] + Var[mean_r]."""
    grand = _mean_over_seeds(means)
    between = _mean_over_seeds(np.square(means - grand))
    return _mean_over_seeds(variances) + between


# --- robust statistics ------------------------------------------------------------------------
class _Scratch:
    """Reused temporaries, one per (shape, dtype): fresh megabyte arrays cost more in page faults
    than the arithmetic done in them (measured on the development VM: ~0.8 ms of system time per
    fresh MiB)."""

    def __init__(self):
        self.buffers = {}

    def get(self, shape: tuple, dtype: np.dtype) -> np.ndarray:
        key = (shape, dtype)
        if key not in self.buffers:
            self.buffers[key] = np.empty(shape, dtype)
        return self.buffers[key]


SAFE_SCALE = (2.0 ** -30, 2.0 ** 30)
"""max|x| range in which x is summarised without dividing by max|x| first: squares stay within
[2^-60, 2^60] and their sums over at most 2^33 entries below 2^93, far from float32's limits
(2^-126 normal, 2^128 overflow)."""


def _centred_moments(y: np.ndarray, scratch: _Scratch) -> tuple[float, float]:
    """(mean, variance) of all entries, two-pass: numpy's pairwise mean, then the pairwise mean of
    the squared deviations, computed in a reused buffer."""
    mean = float(np.add.reduce(y, axis=None)) / y.size  # numpy's pairwise sum, without mean()'s Python layer
    centred = np.subtract(y, y.dtype.type(mean), out=scratch.get(y.shape, y.dtype))
    return mean, float(np.add.reduce(np.square(centred, out=centred), axis=None)) / y.size


def _moments(x: np.ndarray, scratch: _Scratch) -> tuple[float, float, float] | None:
    """(mean, variance, max|x|) of all entries of ``x``, or None if any entry is not finite. The
    variance is that of x/max|x| scaled back (as :func:`_summary`), except inside SAFE_SCALE, where
    x itself is used: the same numbers to rounding, without a scaled copy."""
    hi, lo = float(x.max()), float(x.min())
    if not (math.isfinite(hi) and math.isfinite(lo)):
        return None
    scale = max(hi, -lo)
    if hi == lo:  # constant (e.g. constant init): exactly no variance, as x/max|x| ≡ ±1 gives
        return hi, 0.0, scale
    s = 1.0 if SAFE_SCALE[0] <= scale <= SAFE_SCALE[1] else scale
    mean, var = _centred_moments(x if s == 1.0 else x / x.dtype.type(s), scratch)
    return mean * s, var * s * s, scale


NO_COPY_SCALE = (2.0 ** -4, 2.0 ** 4)
"""max|x| range in which :func:`_summary` works on x itself rather than on a copy x/max|x|: every
square stays below 2^8·4096 and a value's square underflows only when it is 2^59 (~6e17) times
smaller than max|x| (scaled: 2^63), so the numbers agree with the scaled ones to rounding."""


@dataclass(frozen=True)
class _Summary:
    """An array's mean and variance (floats), s = max|x|, and y = x/u with u = s, or u = 1 when s
    is in NO_COPY_SCALE (no copy; also when s = 0).

    Everything downstream works on y, |y| ≤ 16, so squares never overflow in the dtype; norms
    and variances are scaled back by u in float64 (float32 data near 3.4e38 have variances ~1e77)."""

    mean: float
    var: float
    scale: float
    scaled: np.ndarray
    unit: float
    scratch: _Scratch = field(repr=False)

    def row_norms(self) -> np.ndarray:
        """Euclidean norm of each row (float64). A row ~6e17 times smaller than the largest one
        underflows to 0 in float32; nothing else loses precision."""
        y = self.scaled
        return self.unit * np.sqrt(np.einsum("ij,ij->i", y, y).astype(np.float64)) if self.scale else \
            np.zeros(y.shape[0])

    def spread(self) -> float:
        """max over rows and units of |x_bi − x_b1|/max|x|: 0 exactly when every unit of every row
        agrees (symmetry never broken), of order 1 otherwise."""
        if not self.scale:
            return 0.0
        y = self.scaled
        d = np.subtract(y, y[:, :1], out=self.scratch.get(y.shape, y.dtype))
        return max(float(d.max()), -float(d.min())) * (self.unit / self.scale)


def _summary(x: np.ndarray, scratch: _Scratch) -> _Summary | None:
    """:class:`_Summary` of all entries of ``x``, or None if any entry is not finite."""
    hi, lo = float(x.max()), float(x.min())
    if not (math.isfinite(hi) and math.isfinite(lo)):
        return None
    scale = max(hi, -lo)
    if scale == 0.0:
        return _Summary(0.0, 0.0, 0.0, x, 1.0, scratch)
    unit = 1.0 if NO_COPY_SCALE[0] <= scale <= NO_COPY_SCALE[1] else scale
    y = x if unit == 1.0 else x / x.dtype.type(unit)
    mean, var = _centred_moments(y, scratch)
    return _Summary(mean * unit, var * unit * unit, scale, y, unit, scratch)


GRAM_MAX_RATIO = 1.0
"""∂L/∂W_l's moments come from B×B Grams (:func:`_gram_moments`) when B·(n_in + n_out) ≤ this ×
n_in·n_out: the two syrk products cost B²(n_in + n_out)/2 multiply–adds against B·n_in·n_out for
G = δᵀa, and run ~1.4× slower per multiply–add (measured, float32, one thread: 2.2 ms instead of
6.0 ms at B = 256, n = 1024; 4.0 instead of 2.9 at B = n = 512)."""


def _gram_moments(d: _Summary, a: np.ndarray, a_scale: float) -> tuple[float, float, float] | None:
    """(mean, variance, NaN) of the entries of G = δᵀa (n_out × n_in) without forming G, or None
    when the product route must decide (:func:`_moments` of δᵀa):

        Σ_ij G_ij = Σ_b (Σ_i δ_bi)(Σ_j a_bj),    Σ_ij G_ij² = ‖δᵀa‖_F² = ⟨δδᵀ, aaᵀ⟩_F,

    with the B×B Grams of ``d.scaled`` (δ or δ/max|δ|, :class:`_Summary`) and of a (a/max|a|
    outside SAFE_SCALE) in the run's dtype (numpy calls syrk for ``x @ x.T``), their entrywise
    product summed in float64 and the scales restored in float64; var = Σ G²/N − (Σ G/N)²,
    N = n_in·n_out.

    None (the product route) when G could overflow in the dtype (B·max|δ|·max|a| ≥ finfo.max/2:
    the product route then reports the fault it meets) or when mean² > ½·E[G²] (the one-pass
    variance would lose more than a factor 2 of relative accuracy to cancellation). Rounding:
    each Gram entry errs by ≲ γ‖x_b‖‖x_c‖ with γ ≈ n·ε/2 (ε the dtype's eps), so
    |ΔΣG²| ≲ 2γ(Σ_b ‖a_b‖‖δ_b‖)², against ΣG² ≥ Σ_b ‖a_b‖²‖δ_b‖²·(1 − cross-sample
    cancellation); ``tests/test_fast_paths.py`` bounds the difference from the product route.
    """
    n_b, n_out = d.scaled.shape
    n = n_out * a.shape[1]
    if not d.scale or not a_scale:
        return 0.0, 0.0, math.nan
    if n_b * d.scale * a_scale >= float(np.finfo(a.dtype).max) / 2:
        return None
    y = a if SAFE_SCALE[0] <= a_scale <= SAFE_SCALE[1] else a / a.dtype.type(a_scale)
    y_scale = 1.0 if y is a else a_scale
    dd, aa = d.scaled @ d.scaled.T, y @ y.T
    total = float(np.add.reduce(np.multiply(dd, aa, out=dd), axis=None, dtype=np.float64))
    sum_g = float(np.dot(np.add.reduce(d.scaled, axis=1, dtype=np.float64), np.add.reduce(y, axis=1, dtype=np.float64)))
    scale = d.unit * y_scale
    mean, msq = sum_g * scale / n, total * (scale / n) * scale
    if mean * mean > 0.5 * msq:
        return None
    return mean, msq - mean * mean, math.nan


def _pair_cosines(y: np.ndarray) -> np.ndarray:
    """cos∠(y_{2k}, y_{2k+1}) for every pair of rows of a scaled array; NaN where a row is zero."""
    pairs = y.shape[0] // 2
    a, b = y[0:2 * pairs:2], y[1:2 * pairs:2]
    dots = np.einsum("ij,ij->i", a, b).astype(np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", a, a).astype(np.float64) * np.einsum("ij,ij->i", b, b))
    return np.where(norms > 0, dots / np.where(norms > 0, norms, 1.0), np.nan)


def _mean_cosine(y: np.ndarray) -> float:
    """Mean over the row pairs of their cosine (pairs with a zero row skipped; NaN if none): numpy's
    ``nanmean`` (the pairwise sum with the NaNs as zeros, over their count) without its Python layer."""
    cos = _pair_cosines(y)
    skipped = np.isnan(cos)
    count = cos.size - np.count_nonzero(skipped)
    return float(np.add.reduce(np.where(skipped, 0.0, cos))) / count if count else math.nan


SELECT_SAMPLE = 2 ** 12
"""Order statistics of more than 4× this many values are selected from a candidate subset
(:func:`_order_statistics`), bounded by an evenly strided sample of about this many values."""


def _order_statistics(values: np.ndarray, ranks: list[int]) -> np.ndarray:
    """The values of 0-based ``ranks`` in the ascending order of 1-D ``values`` (no NaN), exactly.

    Up to 4·SELECT_SAMPLE values: one ``np.partition``. Beyond, per tail: a strided sample of m ≈
    SELECT_SAMPLE values, sorted, gives a bound τ whose expected rank exceeds the largest low rank
    r by 6 binomial standard deviations (+ 8); the candidates {x ≤ τ} are then exactly the first
    #{x ≤ τ} values of the sorted order, so if there are more than r of them their own partition
    at r is the answer (upper ranks mirrored with {x ≥ τ}). When a sample misleads (the check
    fails, probability < 1e-9 for any input order of i.i.d. data), the whole array is partitioned.
    Costs two passes plus a partition of ~r values instead of a partition of all n.
    """
    n = values.size
    if n <= 4 * SELECT_SAMPLE:
        return np.partition(values, ranks)[ranks]
    sample = np.sort(values[::n // SELECT_SAMPLE])
    m, out = sample.size, np.empty(len(ranks), values.dtype)
    low = [i for i, r in enumerate(ranks) if 2 * r < n]
    for side in (low, [i for i in range(len(ranks)) if i not in low]):
        if not side:
            continue
        upper = side is not low
        extreme = max(ranks[i] + 1 if not upper else n - ranks[i] for i in side)  # values needed from the tail
        k = min(m - 1, int(m * extreme / n + 6.0 * math.sqrt(m * extreme / n) + 8.0))
        cand = values[values >= sample[m - 1 - k]] if upper else values[values <= sample[k]]
        offset = n - cand.size if upper else 0  # rank of cand's smallest value
        at = [ranks[i] - offset for i in side]
        if not all(0 <= r < cand.size for r in at):
            cand, at = values, [ranks[i] for i in side]
        out[side] = np.partition(cand, at)[at]
    return out


def _percentiles(values: np.ndarray, qs) -> list[float]:
    """``np.percentile(values, qs)`` (method "linear") of 1-D ``values`` without NaN, bit for bit:
    at position h = (n − 1)·q/100, a = x_(⌊h⌋), b = x_(⌊h⌋+1) (the last value past the end),
    t = h − ⌊h⌋, a + (b − a)·t if t < 0.5 else b − (b − a)·(1 − t), with b − a in the values'
    dtype and the rest in float64, as numpy's lerp; the order statistics come from
    :func:`_order_statistics` instead of numpy's partition of the whole array."""
    n = values.size
    pos = (n - 1) * (np.asarray(qs, dtype=np.float64) / 100.0)
    lo = np.minimum(np.floor(pos), n - 1).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    ranks = sorted(set(lo.tolist()) | set(hi.tolist()))
    stats = dict(zip(ranks, _order_statistics(values, ranks)))
    out = []
    for h, i, j in zip(pos.tolist(), lo.tolist(), hi.tolist()):
        t, a, b = h - i, stats[i], stats[j]
        d = float(b - a)  # in the values' dtype, as numpy
        out.append(float(a) + d * t if t < 0.5 else float(b) - d * (1.0 - t))
    return out


def _sample_stats(values: np.ndarray) -> tuple[float, float, float]:
    """(mean, 5th, 95th percentile) of the finite values, NaNs if none."""
    finite = np.isfinite(values)
    if not finite.all():
        values = values[finite]
    if values.size == 0:
        return math.nan, math.nan, math.nan
    p05, p95 = _percentiles(values, (5, 95))
    return float(np.add.reduce(values)) / values.size, p05, p95  # mean(), without its Python layer


class _Binner:
    """Exact uniform-bin histograms with numpy's rule, by one bincount into reused buffers.

    The counts equal ``np.histogram(x, bins, range=(lo, hi))`` exactly: numpy bins ``x`` (of
    dtype d) against ``e = linspace(lo, hi, bins + 1, dtype=d)``, ``[e_i, e_{i+1})`` with the last
    bin closed and values outside [e_0, e_bins] dropped. Here the slot of each value is first
    estimated as ⌊(x − e_0)·bins/(e_bins − e_0)⌋ + 1 (slot 0 below, bins + 1 above) and clipped;
    the estimate can be wrong only within its rounding error of an edge — at most 8·eps·(max|e|·k +
    bins + 2) in slot units, k = bins/(e_bins − e_0) — so the values that close to an integer are
    re-binned exactly by ``searchsorted`` on the edges (a handful per layer). The scratch arrays
    are allocated once per shape: fresh megabyte temporaries cost more in page faults than the
    arithmetic (measured: 0.7 ms instead of numpy's 1.6 ms for 512×512 float32 values).
    """

    def __init__(self):
        self.buffers, self.grids = {}, {}

    def _scratch(self, size: int, dtype: np.dtype):
        key = (size, dtype)
        if key not in self.buffers:
            self.buffers[key] = (np.empty(size, dtype), np.empty(size, dtype), np.empty(size, np.intp),
                                 np.empty(size, bool))
        return self.buffers[key]

    def _grid(self, edges: np.ndarray, dt: np.dtype):
        """numpy's edges in dtype ``dt``, the scale k, the offset, the tolerance and the exact
        bounds, once per (edges, dtype) of the run."""
        key = (id(edges), dt)
        if key not in self.grids:
            bins = len(edges) - 1
            e = np.linspace(float(edges[0]), float(edges[-1]), bins + 1, dtype=dt)  # numpy's edges in x's dtype
            lo, hi = float(e[0]), float(e[-1])
            k = bins / (hi - lo)
            tol = 8.0 * float(np.finfo(dt).eps) * (max(abs(lo), abs(hi)) * k + bins + 2.0)
            bounds = np.append(e[:-1], np.nextafter(e[-1], dt.type(np.inf)))
            self.grids[key] = (edges, dt.type(k), dt.type(1.0 - lo * k), dt.type(tol), bounds)
        return self.grids[key][1:]

    def __call__(self, x: np.ndarray, edges: np.ndarray) -> tuple[np.ndarray, float]:
        """Counts of x over uniform ``edges`` (numpy's rule: last bin closed) and the fraction outside."""
        bins, dt, flat = len(edges) - 1, x.dtype, x.reshape(-1)
        k, offset, tol, bounds = self._grid(edges, dt)
        t, r, slots, near = self._scratch(flat.size, dt)
        np.multiply(flat, k, out=t)
        t += offset
        np.subtract(t, np.rint(t, out=r), out=r)
        np.less(np.abs(r, out=r), tol, out=near)
        close = np.flatnonzero(near)
        np.clip(t, 0, bins + 1, out=t)
        slots[...] = t
        counts = np.bincount(slots, minlength=bins + 2)
        if close.size:  # re-bin exactly: slot = #{bounds ≤ x}, bounds e_0..e_{bins−1} and just above e_bins
            counts -= np.bincount(slots[close], minlength=bins + 2)
            counts += np.bincount(np.searchsorted(bounds, flat[close], side="right"), minlength=bins + 2)
        inner = counts[1:bins + 1]
        return inner, 1.0 - float(inner.sum()) / flat.size


def _edges(sample: np.ndarray, bins: int, rails) -> np.ndarray:
    """Common edges: the rails, or the pooled 0.5–99.5 % range of the finite subsample."""
    if rails is not None:
        lo, hi = rails
    else:
        finite = np.isfinite(sample)
        values = sample.reshape(-1) if finite.all() else sample[finite]
        lo, hi = _percentiles(values, HIST_QUANTILES) if values.size else (-1.0, 1.0)
        if not hi > lo:
            pad = 0.5 * max(abs(lo), 1.0)
            lo, hi = lo - pad, hi + pad
    return np.linspace(lo, hi, bins + 1)


# --- the run ----------------------------------------------------------------------------------
@dataclass
class _Kept:
    """What the forward pass keeps for the later passes: ``checkpoints`` {segment start: that
    segment's input a^{start−1}} and the (W, b, pre) of layers ``start``, ``start + 1``, … of the
    last segment it reached (``store``; empty when nothing is kept)."""

    checkpoints: dict
    start: int
    store: list


def _times_transpose(x: np.ndarray, W: np.ndarray, c) -> np.ndarray:
    """x Wᵀ for a (B, n) batch ``x`` and W of shape (m, n); when every entry of W is ``c`` (not
    None), the row sums Σ_j c·x_bj repeated over the m outputs — one value per sample by
    construction, where a GEMM may round the m columns differently. ``x @ W`` is
    ``_times_transpose(x, W.T, c)``."""
    if c is None:
        return x @ W.T
    sums = np.add.reduce(x * x.dtype.type(c), axis=1)
    return np.repeat(sums[:, None], W.shape[0], axis=1)


class _Deadline(Exception):
    """Raised between layers when the deadline has passed."""


class _Run:
    """Mutable state of one :func:`propagate` call."""

    def __init__(self, net, batch, seed, dtype, n_seeds, inputs, input_corr, backward, weight_grad,
                 bins, deadline, store_bytes: int = Budget().store_bytes, histograms: tuple = HISTOGRAMS):
        self.net, self.batch, self.seed, self.dtype = net, batch, seed, dtype
        self.n_seeds, self.inputs, self.input_corr = n_seeds, inputs, input_corr
        self.backward, self.weight_grad, self.bins = backward, weight_grad, bins
        self.t_end = None if deadline is None else time.monotonic() + deadline
        self.deadline = deadline
        self.tiny = float(np.finfo(dtype).tiny)
        depth = net.depth
        self.stats = {name: np.full((n_seeds, depth), np.nan) for name in STATS}
        self.faults = {name: np.zeros(n_seeds, dtype=np.int64) for name in FAULTS}
        self.done = np.zeros(n_seeds, dtype=np.int64)
        self.input_corr_measured = np.full(n_seeds, np.nan)
        self.input_scale = np.zeros(n_seeds)  # max|x| of each repeat's inputs
        self.gram = [batch * (out + fan_in) <= GRAM_MAX_RATIO * out * fan_in for out, fan_in in net.shapes]
        self.constant = [net.weight_law(layer).constant_value for layer in range(1, depth + 1)]
        self.kinds = histograms
        forward_kinds = [k for k in histograms if k != "grad"]  # binned from the forward values
        self.sub = {k: np.full((depth, HIST_SUBSAMPLE), np.nan) for k in forward_kinds}
        self.hist = {k: np.zeros((depth, bins), dtype=np.int64) for k in forward_kinds}
        self.outside = {k: np.full(depth, np.nan) for k in histograms}
        binned_grad = "grad" in histograms
        self.grad_values = min(batch * min(net.widths), GRAD_HIST_VALUES, max(1, GRAD_HIST_TOTAL // depth)) \
            if binned_grad else 0
        # rows of the layers the backward pass reaches
        self.grad_sub = np.empty((depth, self.grad_values), dtype=dtype) if binned_grad and backward else None
        self.grad_reached = depth  # the backward pass fills rows L−1, L−2, …, grad_reached (0-based)
        self.edges = {}
        self.binner = _Binner()
        self.scratch = _Scratch()
        self.prefetch = None  # set by propagate for large layers
        self.truncated, self.reason = False, None
        self.segments = self._plan_segments(store_bytes)

    def check_time(self, where: str):
        if self.t_end is not None and time.monotonic() > self.t_end:
            self.truncated = True
            self.reason = f"deadline of {self.deadline:g} s reached ({where})"
            raise _Deadline

    def _plan_segments(self, store_bytes: int) -> list[tuple[int, int]]:
        """Consecutive layer ranges [start, stop) (1-based) whose weights and pre-activations fit
        in ``store_bytes`` together (each holds at least one layer)."""
        item = self.dtype.itemsize
        segments, start, used = [], 1, 0
        for layer, (out, fan_in) in enumerate(self.net.shapes, start=1):
            cost = item * (out * fan_in + self.batch * out)
            if layer > start and used + cost > store_bytes:
                segments.append((start, layer))
                start, used = layer, 0
            used += cost
        segments.append((start, self.net.depth + 1))
        return segments

    # randomness
    def draw(self, rep: int, layer: int):
        out, fan_in = self.net.shapes[layer - 1]
        with np.errstate(all="ignore"):  # numpy's error state is per thread; this may run on the prefetch thread
            W = self.net.weight_law(layer).sample((out, fan_in), stream(self.seed, rep, ROLE_WEIGHTS, layer), self.dtype)
            bias_law = self.net.bias_law(layer)
            b = None if bias_law is None else bias_law.sample((out,), stream(self.seed, rep, ROLE_BIASES, layer),
                                                               self.dtype)
        return W, b

    def draws(self, rep: int, start: int, stop: int):
        """(W, b) of layers [start, stop) in order, each drawn one layer ahead on the run's
        prefetch thread while the caller works on the previous layer (the same streams, so the same
        numbers; the draw's own chunks run on the sampling threads of :mod:`initviz.laws`)."""
        if self.prefetch is None:
            for layer in range(start, stop):
                yield self.draw(rep, layer)
            return
        ahead = self.prefetch.submit(self.draw, rep, start) if start < stop else None
        for layer in range(start, stop):
            current = ahead
            ahead = self.prefetch.submit(self.draw, rep, layer + 1) if layer + 1 < stop else None
            yield current.result()

    def draw_inputs(self, rep: int) -> np.ndarray:
        gen = stream(self.seed, rep, ROLE_INPUTS, 0)
        x = gen.standard_normal((self.batch, self.net.input_dim), dtype=self.dtype)
        if self.inputs == "unit_norm":
            x *= (math.sqrt(self.net.input_dim) / _summary(x, self.scratch).row_norms()).astype(self.dtype)[:, None]
        elif self.inputs == "correlated":
            c = self.input_corr
            pairs = self.batch // 2
            x[1:2 * pairs:2] *= self.dtype.type(math.sqrt(1.0 - c * c))
            x[1:2 * pairs:2] += self.dtype.type(c) * x[0:2 * pairs:2]
        return x

    def segment_layers(self, rep: int, start: int, stop: int, a_in: np.ndarray) -> list:
        """Recompute (W, b, pre) for layers [start, stop) from the segment's input."""
        out, a = [], a_in
        for layer, (W, b) in zip(range(start, stop), self.draws(rep, start, stop)):
            self.check_time(f"recomputing layer {layer}")
            pre = _times_transpose(a, W, self.constant[layer - 1])
            if b is not None:
                pre += b
            out.append((W, b, pre))
            a = self.net.activation(layer)(pre)
        return out

    # forward
    def forward(self, rep: int):
        """Forward pass of repeat ``rep``. Returns what the later passes need: the checkpoints
        {segment start: input activation} and the (W, b, pre) of the last segment reached."""
        st, net = self.stats, self.net
        x = self.draw_inputs(rep)
        x_sum = _summary(x, self.scratch)
        self.input_scale[rep] = x_sum.scale
        x_norm = x_sum.row_norms()
        self.input_corr_measured[rep] = _mean_cosine(x_sum.scaled)
        keep = self.backward or (rep == 0 and bool(self.hist))
        kept = _Kept({}, 0, [])
        a_prev, prev_norm = x, x_norm
        seg_starts = {start for start, _ in self.segments}
        for layer, (W, b) in zip(range(1, net.depth + 1), self.draws(rep, 1, net.depth + 1)):
            self.check_time(f"repeat {rep}, forward layer {layer}")
            i = layer - 1
            if layer in seg_starts:
                kept.checkpoints[layer], kept.start, kept.store = a_prev, layer, []
            w_mom = _moments(W, self.scratch)
            pre = _times_transpose(a_prev, W, self.constant[i])
            z_sum = _summary(pre, self.scratch)  # W a^{l−1}, before the bias (its rows: pre may be it)
            z_norm = z_sum.row_norms() if z_sum is not None else None
            if b is not None:
                pre += b
            pre_sum = _summary(pre, self.scratch) if b is not None else z_sum
            act = net.activation(layer)
            a = act(pre) if pre_sum is not None else None
            a_sum = _summary(a, self.scratch) if a is not None else None
            if a_sum is None or z_sum is None or w_mom is None:
                self.faults["nonfinite_layer"][rep] = layer
                return kept
            self.done[rep] = layer
            st["weight_std"][rep, i] = math.sqrt(w_mom[1])
            st["preact_mean"][rep, i], st["preact_var"][rep, i] = pre_sum.mean, pre_sum.var
            st["act_mean"][rep, i], st["act_var"][rep, i], st["max_abs"][rep, i] = a_sum.mean, a_sum.var, a_sum.scale
            norm = a_sum.row_norms()
            ratio = norm / x_norm
            layer_gain = np.where(prev_norm > 0, z_norm / np.where(prev_norm > 0, prev_norm, 1.0), np.nan)
            (st["norm_ratio"][rep, i], st["norm_ratio_p05"][rep, i], st["norm_ratio_p95"][rep, i]) = _sample_stats(ratio)
            (st["layer_ratio"][rep, i], st["layer_ratio_p05"][rep, i], st["layer_ratio_p95"][rep, i]) = _sample_stats(layer_gain)
            msq = np.square(ratio) * (net.input_dim / net.widths[i])
            finite = bool(np.isfinite(msq).all())  # float64 beyond ~1e154: the square itself is +inf
            st["msq_ratio"][rep, i] = float(msq.mean())
            st["msq_ratio_var"][rep, i] = float(msq.var()) if finite else math.inf
            if act.rails is not None:
                st["saturated"][rep, i] = act.saturated_fraction(a)
            if act.has_dead_units:
                st["dead"][rep, i] = 1.0 - float((a != 0).any(axis=0).mean())
            st["corr"][rep, i] = _mean_cosine(pre_sum.scaled)
            st["unit_spread"][rep, i] = a_sum.spread()
            if rep == 0 and self.sub:
                self.subsample(i, pre, a)
            if keep:
                kept.store.append((W, b, pre))
            if a_sum.scale < self.tiny:
                self.faults["vanished_layer"][rep] = layer
                return kept
            a_prev, prev_norm = a, norm
        return kept

    def subsample(self, i: int, pre: np.ndarray, a: np.ndarray):
        for key in self.sub:
            flat = (pre if key == "preact" else a).ravel()
            step = max(1, flat.size // HIST_SUBSAMPLE)
            picked = flat[::step][:HIST_SUBSAMPLE]
            self.sub[key][i, :picked.size] = picked

    def layers(self, rep: int, start: int, stop: int, kept: "_Kept") -> list:
        """(W, b, pre) of layers [start, stop) of one segment: from the forward pass if it kept
        them, else recomputed from the segment's checkpoint (same streams, same numbers)."""
        if kept.start == start and len(kept.store) >= stop - start:
            return kept.store[:stop - start]
        return self.segment_layers(rep, start, stop, kept.checkpoints[start])

    # backward
    def backward_pass(self, rep: int, kept: "_Kept"):
        st, net = self.stats, self.net
        grad_a = stream(self.seed, rep, ROLE_PROBE, 0).standard_normal((self.batch, net.widths[-1]), dtype=self.dtype)
        for start, stop in reversed(self.segments):
            layers = self.layers(rep, start, stop, kept)
            for layer in range(stop - 1, start - 1, -1):
                self.check_time(f"repeat {rep}, backward layer {layer}")
                i = layer - 1
                W, _, pre = layers[layer - start]
                act = net.activation(layer)
                ga = _moments(grad_a, self.scratch)
                delta = grad_a * act.derivative(pre)
                gd = _summary(delta, self.scratch) if ga is not None else None
                if gd is None:
                    self.faults["grad_nonfinite_layer"][rep] = layer
                    return
                gw = None
                if self.weight_grad:
                    a_prev = kept.checkpoints[start] if layer == start else net.activation(layer - 1)(layers[layer - start - 1][2])
                    a_scale = st["max_abs"][rep, i - 1] if layer > 1 else self.input_scale[rep]
                    gw = (self.gram[i] and _gram_moments(gd, a_prev, a_scale)) or _moments(delta.T @ a_prev, self.scratch)
                    if gw is None:
                        self.faults["grad_nonfinite_layer"][rep] = layer
                        return
                st["grad_act_var"][rep, i] = ga[1]
                st["grad_var"][rep, i] = gd.var
                st["grad_spread"][rep, i] = gd.spread()
                if gw is not None:
                    st["grad_w_var"][rep, i] = gw[1]
                    w_std = st["weight_std"][rep, i]
                    if w_std > 0:
                        st["grad_ratio"][rep, i] = math.sqrt(gw[1]) / w_std
                if rep == 0:
                    self.bin_layer(layer, pre)
                    if self.grad_sub is not None:
                        flat = delta.reshape(-1)
                        self.grad_sub[i] = flat[::flat.size // self.grad_values][:self.grad_values]
                    self.grad_reached = i
                if gd.scale < self.tiny:
                    self.faults["grad_vanished_layer"][rep] = layer
                    return
                if layer > 1:  # ∂L/∂x is not needed
                    grad_a = _times_transpose(delta, W.T, self.constant[i])

    # histograms of repeat 0
    def choose_edges(self):
        """Common edges from repeat 0's subsample (or the rails), once its forward pass is done."""
        done = int(self.done[0])
        if "preact" in self.sub:
            self.edges["preact"] = _edges(self.sub["preact"][:done], self.bins, None)
        if "act" in self.sub:
            rails = {self.net.activation(layer).rails for layer in range(1, done + 1)}
            self.edges["act"] = _edges(self.sub["act"][:done], self.bins, rails.pop() if len(rails) == 1 else None)

    def bin_layer(self, layer: int, pre: np.ndarray):
        """Bin layer ``layer`` of repeat 0 for the asked forward kinds (from its pre-activation)."""
        for key in self.hist:
            values = pre if key == "preact" else self.net.activation(layer)(pre)
            self.hist[key][layer - 1], self.outside[key][layer - 1] = self.binner(values, self.edges[key])

    def histograms(self, kept: "_Kept"):
        """Bin the layers of repeat 0 the backward pass did not reach (all, without backward)."""
        if not self.hist:
            return
        first = self.outside[next(iter(self.hist))]
        missing = [layer for layer in range(1, int(self.done[0]) + 1) if np.isnan(first[layer - 1])]
        for start, stop in self.segments:
            todo = [layer for layer in missing if start <= layer < stop]
            if todo:
                layers = self.layers(0, start, todo[-1] + 1, kept)
                for layer in todo:
                    self.bin_layer(layer, layers[layer - start][2])

    def grad_histograms(self) -> np.ndarray | None:
        """Counts of repeat 0's ∂L/∂h subsamples over common edges (layers the backward pass
        reached; the others stay zero with ``grad_outside`` NaN); None when not asked for."""
        if "grad" not in self.kinds:
            return None
        counts = np.zeros((self.net.depth, self.bins), dtype=np.int64)
        reached = range(self.grad_reached, self.net.depth)
        if reached:
            self.edges["grad"] = _edges(self.grad_sub[self.grad_reached:], self.bins, None)
            for i in reached:
                counts[i], self.outside["grad"][i] = self.binner(self.grad_sub[i], self.edges["grad"])
        return counts

    def result(self) -> PropagationResult:
        grad_hist = self.grad_histograms()
        edges = {k: self.edges.get(k, np.linspace(-1.0, 1.0, self.bins + 1)) for k in self.kinds}
        hist = {**self.hist, "grad": grad_hist}
        return PropagationResult(
            net=self.net, batch=self.batch, seed=self.seed, dtype=self.dtype.name, n_seeds=self.n_seeds,
            inputs=self.inputs, input_corr=self.input_corr, loss=LOSS, stats=self.stats, faults=self.faults,
            layers_done=self.done, input_corr_measured=self.input_corr_measured,
            **{f"{k}_{part}": arrays.get(k) for k in HISTOGRAMS
               for part, arrays in (("hist", hist), ("edges", edges), ("outside", self.outside))},
            grad_hist_values=self.grad_values, histograms=self.kinds, truncated=self.truncated, reason=self.reason)


@dataclass(frozen=True)
class Cost:
    """The work of one :func:`propagate` call, as its :class:`~initviz.limits.Budget` counts it.

    * ``weights`` — Σ_l n_{l−1}·n_l, the network's weight entries (``Budget.weights``);
    * ``activations`` — wide·n_seeds·batch·Σ_l n_l activation entries (``Budget.activations``);
    * ``macs`` — wide·n_seeds·batch·Σ_l n_{l−1}·n_l forward multiply–adds (``Budget.macs``);
    * ``weight_draws`` — n_seeds·Σ_l :func:`~initviz.limits.draw_cost` (kind_l, shape_l), the
      sampling work in normal-draw equivalents (a float; the budget compares its ceiling);

    wide = 2 in float64, 1 in float32 (float64 arithmetic counts double).
    """

    weights: int
    activations: int
    macs: int
    weight_draws: float


def cost(net: Network, batch: int = 256, n_seeds: int = 1, dtype="float32") -> Cost:
    """What :func:`propagate` with these arguments would cost (:class:`Cost`), without running it.

    >>> import initviz as iv
    >>> net = iv.Network.mlp(input_dim=64, widths=[64] * 5)
    >>> cost(net, batch=32).macs == 32 * 5 * 64 * 64
    True
    """
    if not isinstance(net, Network):
        raise invalid("net", "be an initviz Network (see Network.mlp)", type(net).__name__)
    batch = check_int("batch", batch, MIN_BATCH, MAX_BATCH)
    wide = as_dtype(dtype).itemsize // 4  # float64 arithmetic counts double
    n_seeds = check_int("n_seeds", n_seeds, 1, MAX_SEEDS)
    weights = net.n_weights
    draws = sum(draw_cost(net.weight_law(layer).kind, shape) for layer, shape in enumerate(net.shapes, start=1))
    return Cost(weights=weights, activations=wide * n_seeds * batch * sum(net.widths),
                macs=wide * n_seeds * batch * weights, weight_draws=n_seeds * draws)


def propagate(net: Network, batch: int = 256, seed: int = 0, dtype="float32", n_seeds: int = 1,
              inputs: str = "normal", input_corr: float = 0.5, backward: bool = True, weight_grad: bool = True,
              bins: int = DEFAULT_BINS, deadline: float | None = None, budget: Budget | None = None,
              histograms=HISTOGRAMS) -> PropagationResult:
    """Propagate ``n_seeds`` random batches through fresh draws of ``net``; per-layer statistics.

    See the module docstring for every statistic, the probe loss, faults and the deadline.
    ``budget`` (:class:`initviz.limits.Budget`; default ``Budget.local()``: the structural limits
    only, and at most 2 GiB kept for the backward pass) bounds the activations, multiply–adds and
    weight draws of the call and the bytes kept for the backward pass; a public instance passes
    ``Budget.hosted()``. ``histograms``: the
    kinds of :data:`HISTOGRAMS` to bin (a tuple, list or set; ``()`` for none; "Histograms" in the
    module docstring for what an unasked kind looks like).

    >>> import initviz as iv
    >>> net = iv.Network.mlp(input_dim=64, widths=[64] * 5, activation="relu",
    ...                      init="kaiming_normal", init_params={"nonlinearity": "relu"})
    >>> iv.propagate(net, batch=32).first_nonfinite_layer is None
    True
    """
    if not isinstance(net, Network):
        raise invalid("net", "be an initviz Network (see Network.mlp)", type(net).__name__)
    batch = check_int("batch", batch, MIN_BATCH, MAX_BATCH)
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or seed < 0:
        raise invalid("seed", "be a non-negative int", seed)
    dt = as_dtype(dtype)
    n_seeds = check_int("n_seeds", n_seeds, 1, MAX_SEEDS)
    if inputs not in INPUTS:
        raise one_of("inputs", INPUTS, inputs)
    input_corr = check_float("input_corr", input_corr, -1.0, 1.0)
    for name, flag in (("backward", backward), ("weight_grad", weight_grad)):
        if not isinstance(flag, bool):
            raise invalid(name, "be True or False", flag)
    bins = check_int("bins", bins, 2, MAX_BINS)
    histograms = _histogram_kinds(histograms)
    if deadline is not None:
        deadline = check_float("deadline", deadline, 0.0)
    budget = as_budget(budget)
    work = cost(net, batch, n_seeds, dt)
    check_budget("batch", batch, work.activations, budget.activations,
                 "(float64: 2×) n_seeds·batch·Σwidths", budget.limit_name("activations", "MAX_ACTIVATIONS"))
    check_budget("batch", batch, work.macs, budget.macs,
                 "(float64: 2×) n_seeds·batch·Σ(n_in·n_out)", budget.limit_name("macs", "MAX_MACS"))
    check_budget("n_seeds", n_seeds, math.ceil(work.weight_draws), budget.weight_draws,
                 "the sampling work n_seeds·Σ(n_in·n_out·cost)", budget.limit_name("weight_draws", "MAX_WEIGHT_DRAWS"))

    run = _Run(net, batch, int(seed), dt, n_seeds, inputs, input_corr, backward, weight_grad, bins, deadline,
               budget.store_bytes, histograms)
    # overflow and NaN are detected from the values themselves, never from floating-point flags
    prefetch = max(out * fan_in for out, fan_in in net.shapes) >= PREFETCH_MIN_ENTRIES
    with np.errstate(all="ignore"), ThreadPoolExecutor(max_workers=1) if prefetch else nullcontext() as pool:
        run.prefetch = pool
        _run_all(run, backward)
    return run.result()


def _histogram_kinds(histograms) -> tuple[str, ...]:
    """The asked kinds in :data:`HISTOGRAMS` order (repeats merged), or InitvizError."""
    rule = "be a tuple of kinds from " + ", ".join(HISTOGRAMS) + " (() for none)"
    if not isinstance(histograms, (tuple, list, set, frozenset)) \
            or not all(isinstance(k, str) and k in HISTOGRAMS for k in histograms):
        raise invalid("histograms", rule, histograms)
    return tuple(k for k in HISTOGRAMS if k in histograms)


def _run_all(run: _Run, backward: bool) -> None:
    """Forward (and backward) for every repeat; histograms from repeat 0; stop at the deadline."""
    net = run.net
    try:
        for rep in range(run.n_seeds):
            kept = run.forward(rep)
            if rep == 0:
                run.choose_edges()
            complete = run.done[rep] == net.depth and run.faults["nonfinite_layer"][rep] == 0 \
                and run.faults["vanished_layer"][rep] == 0
            if backward and complete:
                run.backward_pass(rep, kept)
            if rep == 0:
                run.histograms(kept)
    except _Deadline:
        pass


__all__ = ["propagate", "PropagationResult", "cost", "Cost", "INPUTS", "HISTOGRAMS", "STATS", "FORWARD_STATS", "BACKWARD_STATS",
           "BAND_STATS", "FAULTS", "LOSS", "DEFAULT_BINS"]
