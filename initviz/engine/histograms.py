"""Histograms of a run's first repeat: exact uniform-bin counts over common edges.

Per kind of :data:`HISTOGRAMS` — activations a^l, pre-activations h^l, back-propagated ∂L/∂h^l —
every layer is binned over the same edges: the rails [lo, hi] of a bounded activation, else the
:data:`HIST_QUANTILES` (0.5–99.5 %) percentile range of a subsample pooled over the layers
(``HIST_SUBSAMPLE`` evenly strided values per layer for the forward kinds; for ∂L/∂h, which the
backward pass meets before the range is known, an evenly strided subsample of each layer of at
most :data:`GRAD_HIST_VALUES` values, :data:`GRAD_HIST_TOTAL` over all layers). Counts follow
numpy's rule (``np.histogram``: bins [e_i, e_{i+1}), the last closed), and the fraction of each
layer's values outside the edges is kept beside them.
"""

from __future__ import annotations

import numpy as np

from ..limits import HIST_SUBSAMPLE
from .quantiles import percentiles

HISTOGRAMS = ("act", "preact", "grad")
"""What :meth:`PropagationResult.histogram_frame` bins: activations, pre-activations, ∂L/∂h."""

GRAD_HIST_VALUES = 2 ** 15
"""At most this many values of each layer's ∂L/∂h are kept for its gradient histogram."""

GRAD_HIST_TOTAL = 2 ** 22
"""At most this many gradient values are kept over all layers (16 MiB in float32)."""

HIST_QUANTILES = (0.5, 99.5)
"""Percentiles of the pooled subsample that bound the common histogram range."""


class Binner:
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


def common_edges(sample: np.ndarray, bins: int, rails) -> np.ndarray:
    """Common edges: the rails, or the pooled 0.5–99.5 % range of the finite subsample."""
    if rails is not None:
        lo, hi = rails
    else:
        finite = np.isfinite(sample)
        values = sample.reshape(-1) if finite.all() else sample[finite]
        lo, hi = percentiles(values, HIST_QUANTILES) if values.size else (-1.0, 1.0)
        if not hi > lo:
            pad = 0.5 * max(abs(lo), 1.0)
            lo, hi = lo - pad, hi + pad
    return np.linspace(lo, hi, bins + 1)


class RunHistograms:
    """The histograms of one run's first repeat, for the asked ``kinds`` (a subset of
    :data:`HISTOGRAMS`): the forward kinds' subsamples (``sub``), counts (``hist``) and edges, the
    kept ∂L/∂h subsamples (``grad_sub``, rows of the layers the backward pass reached: from
    ``grad_reached`` to L − 1, 0-based) and the fractions outside the edges (``outside``). A kind
    not asked for has no arrays at all, and costs no work."""

    def __init__(self, net, batch: int, bins: int, kinds: tuple, backward: bool, dtype: np.dtype):
        self.net, self.bins, self.kinds = net, bins, kinds
        depth = net.depth
        forward_kinds = [k for k in kinds if k != "grad"]  # binned from the forward values
        self.sub = {k: np.full((depth, HIST_SUBSAMPLE), np.nan) for k in forward_kinds}
        self.hist = {k: np.zeros((depth, bins), dtype=np.int64) for k in forward_kinds}
        self.outside = {k: np.full(depth, np.nan) for k in kinds}
        binned_grad = "grad" in kinds
        # the smallest ∂L/∂h of a layer (an MLP's narrowest width; a residual branch's hidden or stream width)
        self.grad_values = min(batch * min(out for out, _ in net.shapes), GRAD_HIST_VALUES,
                               max(1, GRAD_HIST_TOTAL // depth)) \
            if binned_grad else 0
        # rows of the layers the backward pass reaches
        self.grad_sub = np.empty((depth, self.grad_values), dtype=dtype) if binned_grad and backward else None
        self.grad_reached = depth  # the backward pass fills rows L−1, L−2, …, grad_reached (0-based)
        self.edges = {}
        self.binner = Binner()

    def subsample(self, i: int, pre: np.ndarray, a: np.ndarray):
        """Keep an evenly strided subsample of layer ``i`` (0-based) for the common edges."""
        for key in self.sub:
            flat = (pre if key == "preact" else a).ravel()
            step = max(1, flat.size // HIST_SUBSAMPLE)
            picked = flat[::step][:HIST_SUBSAMPLE]
            self.sub[key][i, :picked.size] = picked

    def choose_edges(self, done: int):
        """Common edges from the subsample of the ``done`` layers (or the rails), once the first
        repeat's forward pass is over."""
        if "preact" in self.sub:
            self.edges["preact"] = common_edges(self.sub["preact"][:done], self.bins, None)
        if "act" in self.sub:
            rails = {self.net.output_rails(layer) for layer in range(1, done + 1)}
            self.edges["act"] = common_edges(self.sub["act"][:done], self.bins, rails.pop() if len(rails) == 1 else None)

    def bin_layer(self, layer: int, pre: np.ndarray, a: np.ndarray | None = None):
        """Bin 1-based ``layer`` for the asked forward kinds (from its pre-activation; its output
        ``a`` when given, else recomputed from ``pre``)."""
        for key in self.hist:
            values = pre if key == "preact" else a if a is not None else self.net.output(layer, pre)
            self.hist[key][layer - 1], self.outside[key][layer - 1] = self.binner(values, self.edges[key])

    def keep_grad(self, i: int, delta: np.ndarray):
        """Keep the strided subsample of ∂L/∂h of layer ``i`` (0-based), reached by the backward pass."""
        if self.grad_sub is not None:
            flat = delta.reshape(-1)
            self.grad_sub[i] = flat[::flat.size // self.grad_values][:self.grad_values]
        self.grad_reached = i

    def unbinned(self, done: int) -> list[int]:
        """The 1-based layers up to ``done`` whose forward kinds are not binned yet (all of them
        without a backward pass, which bins the layers it reaches)."""
        if not self.hist:
            return []
        first = self.outside[next(iter(self.hist))]
        return [layer for layer in range(1, done + 1) if np.isnan(first[layer - 1])]

    def grad_counts(self) -> np.ndarray | None:
        """Counts of the ∂L/∂h subsamples over common edges (layers the backward pass reached;
        the others stay zero with ``grad_outside`` NaN); None when not asked for."""
        if "grad" not in self.kinds:
            return None
        counts = np.zeros((self.net.depth, self.bins), dtype=np.int64)
        reached = range(self.grad_reached, self.net.depth)
        if reached:
            self.edges["grad"] = common_edges(self.grad_sub[self.grad_reached:], self.bins, None)
            for i in reached:
                counts[i], self.outside["grad"][i] = self.binner(self.grad_sub[i], self.edges["grad"])
        return counts

    def fields(self) -> dict:
        """``<kind>_hist``, ``<kind>_edges``, ``<kind>_outside`` for every kind of :data:`HISTOGRAMS`
        (None for a kind not asked for; placeholder edges [−1, 1] for an asked kind without data)."""
        hist = {**self.hist, "grad": self.grad_counts()}
        edges = {k: self.edges.get(k, np.linspace(-1.0, 1.0, self.bins + 1)) for k in self.kinds}
        return {f"{k}_{part}": arrays.get(k) for k in HISTOGRAMS
                for part, arrays in (("hist", hist), ("edges", edges), ("outside", self.outside))}
