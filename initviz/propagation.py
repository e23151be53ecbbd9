"""Signal propagation through a random MLP, forward and backward, as per-layer statistics.

**Forward.** For each repeat r = 0..n_seeds−1 a batch of B inputs x (rows) goes through the
:class:`~initviz.network.Network`: h^l = a^{l−1} W_lᵀ + b_l (torch layout, W_l of shape
(n_l, n_{l−1})), a^l = φ_l(h^l), a⁰ = x. Randomness comes from :func:`initviz.rng.stream`
``(seed, r, role, layer)`` with the roles of :mod:`initviz.rng` (0 inputs, 1 weights, 2 biases,
3 the output probe): adding a layer leaves the earlier weights unchanged, and two networks run with
the same seed see the same inputs (and, for schemes of the same base distribution, proportional weights).
The normals among them — inputs, probe, the weights and biases of normal laws — are of the run's draw
version ``draws`` (:mod:`initviz.normals`; 1 by default, the numbers of every earlier release).

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

**Deadline and progress.** ``deadline`` seconds after the call starts, checked between layers, the run stops and
returns what it has with ``truncated=True`` and a ``reason``. ``progress`` (a callable, or None) is
called before each layer pass as ``progress(done, total)`` — ``done`` layer passes finished of
``total`` = n_seeds·L (forward) or 2·n_seeds·L (forward then backward, per repeat), increasing, and
``(total, total)`` once at the end of a run that was not stopped (a faulted repeat skips its
remaining passes); when it returns True the run stops there exactly as at its deadline (truncated,
with what was computed: the layers done, each as the full run has it).

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
are redrawn from their streams (bit-identical) when the backward pass reaches it. Between calls the
process keeps up to ``POOL_BYTES`` (32 MiB) of product arrays for the next call's h^l
(:data:`~initviz.engine.moments.PRODUCTS`): fresh memory costs its page faults on every call.

**Speed** (the numbers are those of the plain computation; ``tests/test_fast_paths.py`` checks
each route against it). Everything stays in the run's dtype (float32 by default) except the
float64 scalars of the statistics. Weights are drawn one layer ahead on a helper thread
(``PREFETCH_MIN_ENTRIES``), each draw in chunks on two threads (:mod:`initviz.laws`); variances
come from two pairwise passes into reused buffers, without a scaled copy when max|x| is moderate;
histograms are exact bincounts (:class:`~initviz.engine.histograms.Binner`); percentiles are numpy's,
bit for bit, from candidate subsets rather than a partition of everything
(:func:`~initviz.engine.quantiles.order_statistics`); the variance
of ∂L/∂W_l comes from B×B Grams instead of the n_out×n_in product when B is small against the
widths (:func:`~initviz.engine.moments.gram_moments`, ``GRAM_MAX_RATIO``).

**Residual networks** (``net.residual``, :mod:`initviz.residual`): the same statistics per block,
read on the block as :mod:`initviz.engine.residual` states, plus ``branch_var``, ``skip_var`` and
``grad_w_out_var`` (:data:`RESIDUAL_STATS`, present only for them); the probe is taken at the output
(N(x_L) with a final norm, else x_L).

The computation is :mod:`initviz.engine`'s (forward and backward passes, moments, quantiles,
histograms); this module validates, budgets, runs it and holds the result.
"""

from __future__ import annotations

import math
import numbers
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np

from .activations import Activation
from .engine.backward import backward as backward_pass
from .engine.forward import forward as forward_pass
from .engine.histograms import GRAD_HIST_TOTAL, GRAD_HIST_VALUES, HIST_QUANTILES, HISTOGRAMS  # noqa: F401
from .engine import residual as residual_passes
from .engine.run import BACKWARD_STATS, FAULTS, FORWARD_STATS, RESIDUAL_STATS, STATS, Deadline, Run
from .errors import invalid, one_of
from .laws import as_dtype
from .limits import (MAX_BATCH, MAX_BINS, MAX_SEEDS, MIN_BATCH, Budget, as_budget, check_budget, check_float,
                     check_int, draw_cost)
from .network import Network
from .normals import DEFAULT_DRAWS, check_draws
from .rng import ROLE_BIASES, ROLE_INPUTS, ROLE_PROBE, ROLE_WEIGHTS  # noqa: F401  (re-exported: their home is rng)

INPUTS = ("normal", "unit_norm", "correlated")
"""Input batches :func:`propagate` can draw (module docstring)."""

DEFAULT_BINS = 60
"""Histogram bins per layer unless asked otherwise."""

PREFETCH_MIN_ENTRIES = 2 ** 16
"""Networks with a layer of at least this many weights draw each layer's weights one layer ahead
on a helper thread (smaller draws take less time than handing them over)."""

LOSS = "L = sum_b <g_b, a^L_b>, g ~ N(0, 1)"
"""The backward probe, as stated in every result."""

BAND_STATS = ("preact_var", "act_var", "norm_ratio", "layer_ratio", "msq_ratio", "corr", "saturated", "dead",
              "grad_var", "grad_w_var", "grad_ratio")
"""Statistics whose spread over repeats ``to_frame`` reports as ``<name>_lo``/``<name>_hi`` (min/max)."""


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
    draws: int = DEFAULT_DRAWS
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

    def over_seeds(self, name: str, how: str = "mean") -> np.ndarray:
        """Per layer (an (L,) float64 array), the mean, min or max (``how``, :data:`SEED_SUMMARIES`)
        over the repeats of the statistic ``name`` (a key of ``stats``, e.g. ``"act_var"`` or
        ``"norm_ratio_p05"``), ignoring the repeats where it is absent; NaN where every repeat is."""
        if name not in self.stats:
            raise one_of("name", tuple(self.stats), name)
        if how not in SEED_SUMMARIES:
            raise one_of("how", SEED_SUMMARIES, how)
        return _over_seeds(self.stats[name], how)

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
        for name in STATS + tuple(n for n in RESIDUAL_STATS if n in self.stats):
            columns[name] = _over_seeds(self.stats[name])
            if name in BAND_STATS:
                columns[f"{name}_lo"], columns[f"{name}_hi"] = _over_seeds(self.stats[name], "min"), \
                    _over_seeds(self.stats[name], "max")
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


SEED_SUMMARIES = ("mean", "min", "max")
"""How :meth:`PropagationResult.over_seeds` reduces a statistic over the repeats."""


def _over_seeds(values: np.ndarray, how: str = "mean") -> np.ndarray:
    """Mean, min or max over the repeats (axis 0) of an (n_seeds, L) array, ignoring NaN (= absent);
    NaN where no repeat has a value. The one home of averaging over seeds: ``to_frame`` and the
    figures (through :meth:`PropagationResult.over_seeds`) both use it."""
    present = ~np.isnan(values)
    some = present.any(axis=0)
    if how == "mean":
        total = np.where(present, values, 0.0).sum(axis=0)
        return np.where(some, total / np.maximum(present.sum(axis=0), 1), np.nan)
    fill, reduce = (np.inf, np.min) if how == "min" else (-np.inf, np.max)
    return np.where(some, reduce(np.where(present, values, fill), axis=0), np.nan)


def _pooled_variance(means: np.ndarray, variances: np.ndarray) -> np.ndarray:
    """Variance over all samples of all repeats (equal batch sizes): E[var_r] + Var[mean_r]."""
    grand = _over_seeds(means)
    between = _over_seeds(np.square(means - grand))
    return _over_seeds(variances) + between


@dataclass(frozen=True)
class Cost:
    """The work of one :func:`propagate` call, as its :class:`~initviz.limits.Budget` counts it.

    * ``weights`` — Σ_l n_{l−1}·n_l, the network's weight entries (``Budget.weights``);
    * ``activations`` — wide·n_seeds·batch·Σ_l n_l activation entries (``Budget.activations``; a
      residual network's Σ over its weight layers' outputs, :attr:`~initviz.network.Network.n_units`);
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
    return Cost(weights=weights, activations=wide * n_seeds * batch * net.n_units,
                macs=wide * n_seeds * batch * weights, weight_draws=n_seeds * draws)


def propagate(net: Network, batch: int = 256, seed: int = 0, dtype="float32", n_seeds: int = 1,
              inputs: str = "normal", input_corr: float = 0.5, backward: bool = True, weight_grad: bool = True,
              bins: int = DEFAULT_BINS, deadline: float | None = None, budget: Budget | None = None,
              histograms=HISTOGRAMS, draws: int = DEFAULT_DRAWS, progress=None) -> PropagationResult:
    """Propagate ``n_seeds`` random batches through fresh draws of ``net``; per-layer statistics.

    See the module docstring for every statistic, the probe loss, faults and the deadline.
    ``seed`` is an int, not a Generator: repeat r = 0..n_seeds−1 draws its inputs, the weights and
    biases of each layer and its probe from keyed streams ``stream(seed, r, role, layer)``
    (:mod:`initviz.rng`), so adding a layer or a repeat changes nothing drawn before it — keyed
    streams a Generator, one running state, cannot define.
    ``budget`` (:class:`initviz.limits.Budget`; default ``Budget.local()``: the structural limits
    only, and at most 2 GiB kept for the backward pass) bounds the activations, multiply–adds and
    weight draws of the call and the bytes kept for the backward pass; a public instance passes
    ``Budget.hosted()``. ``histograms``: the
    kinds of :data:`HISTOGRAMS` to bin (a tuple, list or set; ``()`` for none; "Histograms" in the
    module docstring for what an unasked kind looks like). ``draws``: the draw version of the run's
    normals — the inputs, the backward probe and the weights and biases of normal laws (``normal``,
    ``xavier_normal``, ``kaiming_normal``, …; :mod:`initviz.normals`): 1 (the default) is numpy's
    ziggurat, the numbers every earlier release drew; 2 draws float32 normals about twice as fast
    (Box–Muller, |z| ≤ 5.77) and float32 orthogonal weights from them by a float32 QR
    (:func:`initviz.draws.haar`), float64 ones as version 1. Other laws (truncated normal, uniform,
    …) draw the same numbers in every version. ``progress``: called as ``progress(done,
    total)`` between layers; True stops the run as its deadline would ("Deadline and progress" in the
    module docstring).

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
    draws = check_draws(draws)
    _check_cost(cost(net, batch, n_seeds, dt), batch, n_seeds, budget)

    if progress is not None and not callable(progress):
        raise invalid("progress", "be a callable progress(done, total) or None", progress)
    run = Run(net, batch, int(seed), dt, n_seeds, inputs, input_corr, backward, weight_grad, bins, deadline,
              budget.store_bytes, histograms, draws, progress)
    # overflow and NaN are detected from the values themselves, never from floating-point flags
    prefetch = max(out * fan_in for out, fan_in in net.shapes) >= PREFETCH_MIN_ENTRIES
    with np.errstate(all="ignore"), ThreadPoolExecutor(max_workers=1) if prefetch else nullcontext() as pool:
        run.prefetch = pool
        _run_all(run, backward)
    return _result(run)


def _check_cost(work: Cost, batch: int, n_seeds: int, budget: Budget) -> None:
    """InitvizError naming ``batch`` or ``n_seeds`` when ``work`` exceeds one of ``budget``'s compute limits."""
    check_budget("batch", batch, work.activations, budget.activations,
                 "(float64: 2×) n_seeds·batch·Σwidths", budget.limit_name("activations", "MAX_ACTIVATIONS"))
    check_budget("batch", batch, work.macs, budget.macs,
                 "(float64: 2×) n_seeds·batch·Σ(n_in·n_out)", budget.limit_name("macs", "MAX_MACS"))
    check_budget("n_seeds", n_seeds, math.ceil(work.weight_draws), budget.weight_draws,
                 "the sampling work n_seeds·Σ(n_in·n_out·cost)", budget.limit_name("weight_draws", "MAX_WEIGHT_DRAWS"))


def _histogram_kinds(histograms) -> tuple[str, ...]:
    """The asked kinds in :data:`HISTOGRAMS` order (repeats merged), or InitvizError."""
    rule = "be a tuple of kinds from " + ", ".join(HISTOGRAMS) + " (() for none)"
    if not isinstance(histograms, (tuple, list, set, frozenset)) \
            or not all(isinstance(k, str) and k in HISTOGRAMS for k in histograms):
        raise invalid("histograms", rule, histograms)
    return tuple(k for k in HISTOGRAMS if k in histograms)


def _run_all(run: Run, backward: bool) -> None:
    """Forward (and backward) for every repeat; histograms from repeat 0; stop at the deadline. The
    passes are the MLP's or, for a residual network, :mod:`initviz.engine.residual`'s."""
    net = run.net
    if net.residual is None:
        forward, backward_, bin_unbinned = forward_pass, backward_pass, Run.bin_unbinned
    else:
        forward, backward_, bin_unbinned = residual_passes.forward, residual_passes.backward, residual_passes.bin_unbinned
    try:
        for rep in range(run.n_seeds):
            kept = forward(run, rep)
            if rep == 0:
                run.histograms.choose_edges(int(run.done[0]))
            complete = run.done[rep] == net.depth and run.faults["nonfinite_layer"][rep] == 0 \
                and run.faults["vanished_layer"][rep] == 0
            if backward and complete:
                backward_(run, rep, kept)
            if rep == 0:
                bin_unbinned(run, kept)
            if net.residual is None:
                kept.release()  # its products serve the next repeat or run
    except Deadline:
        return
    if run.progress is not None:
        total = run.n_seeds * run.passes
        run.progress(total, total)


def _result(run: Run) -> PropagationResult:
    """The run's arrays as a :class:`PropagationResult`."""
    return PropagationResult(
        net=run.net, batch=run.batch, seed=run.seed, dtype=run.dtype.name, n_seeds=run.n_seeds,
        inputs=run.inputs, input_corr=run.input_corr, loss=LOSS, stats=run.stats, faults=run.faults,
        layers_done=run.done, input_corr_measured=run.input_corr_measured, **run.histograms.fields(),
        grad_hist_values=run.histograms.grad_values, histograms=run.histograms.kinds, draws=run.draw_version,
        truncated=run.truncated,
        reason=run.reason)


__all__ = ["propagate", "PropagationResult", "cost", "Cost", "INPUTS", "HISTOGRAMS", "STATS", "FORWARD_STATS",
           "BACKWARD_STATS", "RESIDUAL_STATS",
           "BAND_STATS", "FAULTS", "LOSS", "DEFAULT_BINS"]
