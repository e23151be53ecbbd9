"""The state of one propagation: its arrays, randomness, checkpoint segments and deadline.

A :class:`Run` holds what :func:`initviz.propagate` fills — per-layer statistics (n_seeds, L)
(NaN = absent), per-repeat fault layers (0 = never), the histograms of the first repeat — and
draws what it needs: the input batch, W_l and b_l of repeat r and the backward probe from
``stream(seed, r, role, l)`` (roles of :mod:`initviz.rng`), their normals of the run's draw version
(:mod:`initviz.normals`), one layer ahead on a helper thread
when a prefetch pool is set. For the backward pass the layers are cut into segments whose weights
and pre-activations fit in ``store_bytes``; a segment the forward pass did not keep is recomputed
from its input (:class:`Kept`), the same streams giving the same numbers. A layer computes
h^l = a^{l−1} W_lᵀ + b_l (:func:`times_transpose`). A residual network's run plans its own
segments of blocks (:mod:`initviz.engine.residual`) and has :data:`RESIDUAL_STATS` too.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..limits import Budget
from ..normals import DEFAULT_DRAWS, standard_normal
from ..rng import ROLE_BIASES, ROLE_INPUTS, ROLE_IO_BIASES, ROLE_IO_WEIGHTS, ROLE_PROBE, ROLE_WEIGHTS, stream
from .histograms import HISTOGRAMS, RunHistograms
from .moments import PRODUCTS, Scratch, gram_route, scaled_moments

FORWARD_STATS = ("preact_mean", "preact_var", "act_mean", "act_var", "norm_ratio", "norm_ratio_p05",
                 "norm_ratio_p95", "layer_ratio", "layer_ratio_p05", "layer_ratio_p95", "msq_ratio",
                 "msq_ratio_var", "saturated", "dead", "corr", "unit_spread", "weight_std", "max_abs")
BACKWARD_STATS = ("grad_var", "grad_act_var", "grad_w_var", "grad_ratio", "grad_spread")
STATS = FORWARD_STATS + BACKWARD_STATS
"""Every per-layer statistic, each an (n_seeds, L) float64 array of :class:`~initviz.propagation.PropagationResult`."""

RESIDUAL_STATS = ("branch_var", "skip_var", "grad_w_out_var")
"""The statistics only residual networks have, per block (:mod:`initviz.engine.residual`)."""

FAULTS = ("nonfinite_layer", "vanished_layer", "grad_nonfinite_layer", "grad_vanished_layer")
"""Per-repeat fault layers (1-based, 0 = never)."""


@dataclass
class Kept:
    """What the forward pass keeps for the later passes: ``checkpoints`` {segment start: that
    segment's input a^{start−1}} and the (W, b, pre) of layers ``start``, ``start + 1``, … of the
    last segment it reached (``store``; empty when nothing is kept)."""

    checkpoints: dict
    start: int
    store: list

    def release(self, *in_use: np.ndarray) -> None:
        """Hand the kept pre-activations to :data:`~initviz.engine.moments.PRODUCTS` and empty the
        store. Statistics and histograms copy what they keep; the arrays ``in_use`` (an activation
        that is its pre-activation, as linear's: the next layer's input or a checkpoint) are not
        handed over."""
        PRODUCTS.give([pre for _, _, pre in self.store if not any(pre is x for x in in_use)])
        self.store = []


def times_transpose(x: np.ndarray, W: np.ndarray, c, out: np.ndarray | None = None) -> np.ndarray:
    """x Wᵀ for a (B, n) batch ``x`` and W of shape (m, n); when every entry of W is ``c`` (not
    None), the row sums Σ_j c·x_bj repeated over the m outputs — one value per sample by
    construction, where a GEMM may round the m columns differently. ``x @ W`` is
    ``times_transpose(x, W.T, c)``. ``out``: a (B, m) array for the product (not for the row sums)."""
    if c is None:
        return np.matmul(x, W.T, out=out)
    sums = np.add.reduce(x * x.dtype.type(c), axis=1)
    return np.repeat(sums[:, None], W.shape[0], axis=1)


STOPPED = "stopped when asked"
"""How the ``reason`` of a run stopped by its ``progress`` callable begins (propagate, train, coord_check)."""


class Deadline(Exception):
    """Raised between layers when the deadline has passed."""


HAAR_CACHE_BYTES = 64 * 2 ** 20
"""Haar bases (orthogonal draws before their gain) kept per process, most recently used first."""
_haar_cache: OrderedDict = OrderedDict()
_haar_lock = threading.Lock()


def _haar_base(law, shape: tuple[int, int], seed: int, rep: int, layer: int, dtype: np.dtype,
               draws: int) -> np.ndarray:
    """The Haar matrix of ``stream(seed, rep, ROLE_WEIGHTS, layer)`` for ``shape`` in draw version
    ``draws`` (read-only): a QR
    computed once and kept (:data:`HAAR_CACHE_BYTES`), since views that differ in anything but the
    weights — the batch, the inputs, the other schemes compared, a slider moved back — draw the same
    orthogonal W again. The same stream gives the same numbers, so a kept base is the fresh one."""
    key = (seed, rep, layer, shape, np.dtype(dtype).str, draws)
    with _haar_lock:
        base = _haar_cache.get(key)
        if base is not None:
            _haar_cache.move_to_end(key)
            return base
    base = law.base(shape, stream(seed, rep, ROLE_WEIGHTS, layer), dtype, draws)
    base.setflags(write=False)
    with _haar_lock:
        _haar_cache[key] = base
        while sum(b.nbytes for b in _haar_cache.values()) > HAAR_CACHE_BYTES and len(_haar_cache) > 1:
            _haar_cache.popitem(last=False)
    return base


def draw_layer(net, seed: int, rep: int, layer: int, dtype: np.dtype, draws: int = DEFAULT_DRAWS):
    """(W_l, b_l) of repeat ``rep`` under ``seed``: W_l from ``stream(seed, rep, ROLE_WEIGHTS, l)``,
    b_l from ``stream(seed, rep, ROLE_BIASES, l)`` (None for a zero bias), normal laws in draw version
    ``draws`` (:mod:`initviz.normals`; orthogonal laws too). Propagation draws its networks with it, and
    :func:`initviz.train` starts from the same weights. An orthogonal W is its gain times a kept Haar
    basis (:func:`_haar_base`); every other law is drawn afresh."""
    out, fan_in = net.shapes[layer - 1]
    law = net.weight_law(layer)
    if law.kind == "orthogonal":
        W = law.transform(_haar_base(law, (out, fan_in), seed, rep, layer, dtype, draws))
    else:
        W = law.sample((out, fan_in), stream(seed, rep, ROLE_WEIGHTS, layer), dtype, draws)
    bias_law = net.bias_law(layer)
    b = None if bias_law is None else bias_law.sample((out,), stream(seed, rep, ROLE_BIASES, layer), dtype, draws)
    return W, b


def draw_io_layer(net, seed: int, rep: int, which: int, dtype: np.dtype, draws: int = DEFAULT_DRAWS):
    """(W, b) of repeat ``rep`` of a residual network's input layer (``which`` = 0) or readout (1)
    (:mod:`initviz.residual`): W from ``stream(seed, rep, ROLE_IO_WEIGHTS, which)``, b from
    ``stream(seed, rep, ROLE_IO_BIASES, which)`` (None for a zero bias), by the laws of
    :meth:`~initviz.network.Network.io_laws`, normal laws in draw version ``draws``."""
    shape = net.io_shapes[which]
    law, bias_law = net.io_laws(which)
    W = law.sample(shape, stream(seed, rep, ROLE_IO_WEIGHTS, which), dtype, draws)
    b = None if bias_law is None else bias_law.sample((shape[0],), stream(seed, rep, ROLE_IO_BIASES, which), dtype,
                                                      draws)
    return W, b


class Run:
    """Mutable state of one :func:`initviz.propagate` call (module docstring); the passes are
    :func:`initviz.engine.forward.forward` and :func:`initviz.engine.backward.backward`."""

    def __init__(self, net, batch, seed, dtype, n_seeds, inputs, input_corr, backward, weight_grad,
                 bins, deadline, store_bytes: int = Budget().store_bytes, histograms: tuple = HISTOGRAMS,
                 draw_version: int = DEFAULT_DRAWS, progress=None):
        self.net, self.batch, self.seed, self.dtype = net, batch, seed, dtype
        self.draw_version = draw_version
        self.n_seeds, self.inputs, self.input_corr = n_seeds, inputs, input_corr
        self.backward, self.weight_grad, self.bins = backward, weight_grad, bins
        self.t_end = None if deadline is None else time.monotonic() + deadline
        self.deadline = deadline
        self.progress = progress
        self.passes = net.depth * (2 if backward else 1)  # layer passes of one repeat: forward, then backward
        self.tiny = float(np.finfo(dtype).tiny)
        depth = net.depth
        names = STATS if net.residual is None else STATS + RESIDUAL_STATS
        self.stats = {name: np.full((n_seeds, depth), np.nan) for name in names}
        self.faults = {name: np.zeros(n_seeds, dtype=np.int64) for name in FAULTS}
        self.done = np.zeros(n_seeds, dtype=np.int64)
        self.input_corr_measured = np.full(n_seeds, np.nan)
        self.input_scale = np.zeros(n_seeds)  # max|x| of each repeat's inputs
        self.gram = [gram_route(batch, out, fan_in) for out, fan_in in net.shapes]
        self.constant = [net.weight_law(layer).constant_value for layer in range(1, depth + 1)]
        self.histograms = RunHistograms(net, batch, bins, histograms, backward, dtype)
        self.scratch = Scratch()
        self.prefetch = None  # set by propagate for large layers
        self.truncated, self.reason = False, None
        self.segments = self._plan_segments(store_bytes)

    def check_time(self, where: str):
        """Raise :class:`Deadline` (recording why) once the deadline has passed."""
        if self.t_end is not None and time.monotonic() > self.t_end:
            self.truncated = True
            self.reason = f"deadline of {self.deadline:g} s reached ({where})"
            raise Deadline

    def step(self, rep: int, done: int, where: str):
        """Before the next layer pass of repeat ``rep`` (``done`` of its :attr:`passes` finished):
        report ``progress(rep·passes + done, n_seeds·passes)`` and stop when it returns True (as at the
        deadline: :class:`Deadline`, the run truncated, the reason saying where), then check the deadline."""
        if self.progress is not None and self.progress(rep * self.passes + done, self.n_seeds * self.passes):
            self.truncated = True
            self.reason = f"{STOPPED} ({where})"
            raise Deadline
        self.check_time(where)

    def _plan_segments(self, store_bytes: int) -> list[tuple[int, int]]:
        """Consecutive layer ranges [start, stop) (1-based) whose weights and pre-activations fit
        in ``store_bytes`` together (each holds at least one layer); for a residual network, ranges
        of blocks, each block holding its branch's weights and two values per output and four
        stream-wide values (x, u, t, y: :class:`~initviz.engine.residual.Block`)."""
        item, net, batch = self.dtype.itemsize, self.net, self.batch
        if net.residual is None:
            costs = [item * (out * fan_in + batch * out) for out, fan_in in net.shapes]
        else:
            block = sum(out * fan_in + 2 * batch * out for out, fan_in in net.residual.shapes(net.input_dim))
            costs = [item * (block + 4 * batch * net.input_dim)] * net.depth
        segments, start, used = [], 1, 0
        for layer, cost in enumerate(costs, start=1):
            if layer > start and used + cost > store_bytes:
                segments.append((start, layer))
                start, used = layer, 0
            used += cost
        segments.append((start, self.net.depth + 1))
        return segments

    # randomness
    def draw(self, rep: int, layer: int):
        """(W_l, b_l) of repeat ``rep`` (b_l None for a zero bias), from their own streams."""
        with np.errstate(all="ignore"):  # numpy's error state is per thread; this may run on the prefetch thread
            return draw_layer(self.net, self.seed, rep, layer, self.dtype, self.draw_version)

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

    def normals(self, rep: int, role: int, width: int) -> np.ndarray:
        """A (B, width) batch of standard normals from ``stream(seed, rep, role, 0)`` in the run's
        dtype and draw version: the inputs (:data:`ROLE_INPUTS`) or the backward probe (:data:`ROLE_PROBE`)."""
        return standard_normal(stream(self.seed, rep, role, 0), (self.batch, width), self.dtype, self.draw_version)

    def probe(self, rep: int, width: int) -> np.ndarray:
        """The backward probe g of repeat ``rep``: (B, width) standard normals."""
        return self.normals(rep, ROLE_PROBE, width)

    def draw_inputs(self, rep: int) -> np.ndarray:
        """The (B, n_0) input batch of repeat ``rep`` (``inputs``: normal, unit_norm or correlated pairs)."""
        x = self.normals(rep, ROLE_INPUTS, self.net.input_dim)
        if self.inputs == "unit_norm":
            x *= (math.sqrt(self.net.input_dim) / scaled_moments(x, self.scratch).row_norms()).astype(self.dtype)[:, None]
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
            pre = times_transpose(a, W, self.constant[layer - 1])
            if b is not None:
                pre += b
            out.append((W, b, pre))
            a = self.net.output(layer, pre)
        return out

    def layers(self, rep: int, start: int, stop: int, kept: "Kept") -> list:
        """(W, b, pre) of layers [start, stop) of one segment: from the forward pass if it kept
        them, else recomputed from the segment's checkpoint (same streams, same numbers)."""
        if kept.start == start and len(kept.store) >= stop - start:
            return kept.store[:stop - start]
        return self.segment_layers(rep, start, stop, kept.checkpoints[start])

    def bin_unbinned(self, kept: Kept):
        """Bin the layers of repeat 0 the backward pass did not reach (all, without backward),
        recomputing each segment's layers from its checkpoint where the forward pass kept none."""
        missing = self.histograms.unbinned(int(self.done[0]))
        for start, stop in self.segments:
            todo = [layer for layer in missing if start <= layer < stop]
            if todo:
                layers = self.layers(0, start, todo[-1] + 1, kept)
                for layer in todo:
                    self.histograms.bin_layer(layer, layers[layer - start][2])
