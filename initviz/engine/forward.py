"""The forward pass: h^l = a^{l−1} W_lᵀ + b_l, a^l = N(φ_l(h^l)) (N the network's norm, or none),
measured layer by layer.

For repeat r of a :class:`~initviz.engine.run.Run`, every layer l records into ``run.stats[·][r, l−1]``
(the statistics of :mod:`initviz.propagation`'s docstring): moments of h^l and a^l over all B·n_l
entries, the per-sample norm ratios ‖a^l‖/‖x‖ and single-layer gains ‖W_l a^{l−1}‖/‖a^{l−1}‖ (mean,
5th and 95th percentiles), the mean square ratio (‖a^l‖²/n_l)/(‖x‖²/n_0), saturated and dead
fractions, the mean cosine of paired pre-activations, the unit spread, std(W_l) and max|a^l|. It stops
at the first layer holding a non-finite value (``nonfinite_layer``, its statistics absent) or whose
max|a^l| falls below the dtype's smallest normal number (``vanished_layer``, its statistics kept).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..norms import normalise
from .moments import PRODUCTS, ScaledMoments, mean_cosine, mean_var_max, scaled_moments
from .quantiles import rows_sample_stats
from .run import Kept, Run, times_transpose


@dataclass
class _Layer:
    """One layer's values and their moments: ``pre`` = h^l, ``a`` = N(φ_l(h^l)), ``z_norm`` the
    per-sample ‖W_l a^{l−1}‖ (before the bias), ``w_moments`` (mean, var, max|W|) of the weights,
    ``phi`` = φ_l(h^l) when a norm makes it differ from ``a`` (its saturated and dead units)."""

    pre: np.ndarray
    a: np.ndarray
    act: object
    w_moments: tuple
    z_norm: np.ndarray
    pre_sum: ScaledMoments
    a_sum: ScaledMoments
    phi: np.ndarray | None = None


def forward(run: Run, rep: int) -> Kept:
    """Forward pass of repeat ``rep``. Returns what the later passes need: the checkpoints
    {segment start: input activation} and the (W, b, pre) of the last segment reached."""
    net = run.net
    x, x_norm = inputs(run, rep)
    keep = run.backward or (rep == 0 and bool(run.histograms.hist))
    kept = Kept({}, 0, [])
    a_prev, prev_norm = x, x_norm
    seg_starts = {start for start, _ in run.segments}
    for layer, (W, b) in zip(range(1, net.depth + 1), run.draws(rep, 1, net.depth + 1)):
        run.step(rep, layer - 1, f"repeat {rep}, forward layer {layer}")
        if layer in seg_starts:
            kept.release(a_prev)
            kept.checkpoints[layer], kept.start = a_prev, layer
        values = _layer(run, layer, W, b, a_prev)
        if values is None:
            run.faults["nonfinite_layer"][rep] = layer
            return kept
        run.done[rep] = layer
        norm = _record(run, rep, layer, values, x_norm, prev_norm)
        if rep == 0 and run.histograms.sub:
            run.histograms.subsample(layer - 1, values.pre, values.a)
        kept.store.append((W, b, values.pre))
        if not keep:
            kept.release(values.a)
        if values.a_sum.scale < run.tiny:
            run.faults["vanished_layer"][rep] = layer
            return kept
        a_prev, prev_norm = values.a, norm
    return kept


def inputs(run: Run, rep: int) -> tuple[np.ndarray, np.ndarray]:
    """The input batch of repeat ``rep`` and its per-sample norms, its max|x| and pair cosine recorded."""
    x = run.draw_inputs(rep)
    x_sum = scaled_moments(x, run.scratch)
    run.input_scale[rep] = x_sum.scale
    run.input_corr_measured[rep] = mean_cosine(x_sum.scaled, x_sum.row_squares())
    return x, x_sum.row_norms()


def _layer(run: Run, layer: int, W: np.ndarray, b: np.ndarray | None, a_prev: np.ndarray) -> _Layer | None:
    """h^l, a^l and their moments, or None when W_l, W_l a^{l−1}, h^l or a^l holds a non-finite value."""
    w_mom = mean_var_max(W, run.scratch)
    c = run.constant[layer - 1]
    out = None if c is not None else PRODUCTS.take((a_prev.shape[0], W.shape[0]), W.dtype)
    pre = times_transpose(a_prev, W, c, out=out)
    z_sum = scaled_moments(pre, run.scratch)  # W a^{l−1}, before the bias (its rows: pre may be it)
    z_norm = z_sum.row_norms() if z_sum is not None else None
    if b is not None:
        pre += b
    pre_sum = scaled_moments(pre, run.scratch) if b is not None else z_sum
    act = run.net.activation(layer)
    phi = act(pre) if pre_sum is not None else None
    a = normalise(run.net.norm, phi) if phi is not None else None
    a_sum = scaled_moments(a, run.scratch) if a is not None else None
    if a_sum is None or z_sum is None or w_mom is None:
        return None
    return _Layer(pre, a, act, w_mom, z_norm, pre_sum, a_sum, None if a is phi else phi)


def _record(run: Run, rep: int, layer: int, v: _Layer, x_norm: np.ndarray, prev_norm: np.ndarray) -> np.ndarray:
    """Write layer ``layer``'s forward statistics of repeat ``rep``; return its per-sample ‖a^l‖."""
    st, net, i = run.stats, run.net, layer - 1
    pre_sum, a_sum, a = v.pre_sum, v.a_sum, v.a
    st["weight_std"][rep, i] = math.sqrt(v.w_moments[1])
    st["preact_mean"][rep, i], st["preact_var"][rep, i] = pre_sum.mean, pre_sum.var
    st["act_mean"][rep, i], st["act_var"][rep, i], st["max_abs"][rep, i] = a_sum.mean, a_sum.var, a_sum.scale
    norm = a_sum.row_norms()
    per_sample = np.empty((2, norm.size))  # the ratios ‖a^l‖/‖x‖ and the gains, as rows
    ratio, layer_gain = per_sample
    np.divide(norm, x_norm, out=ratio)
    positive = prev_norm > 0
    if positive.all():
        np.divide(v.z_norm, prev_norm, out=layer_gain)
    else:
        layer_gain[:] = np.where(positive, v.z_norm / np.where(positive, prev_norm, 1.0), np.nan)
    ((st["norm_ratio"][rep, i], st["norm_ratio_p05"][rep, i], st["norm_ratio_p95"][rep, i]),
     (st["layer_ratio"][rep, i], st["layer_ratio_p05"][rep, i], st["layer_ratio_p95"][rep, i])) = \
        rows_sample_stats(per_sample)
    msq = np.square(ratio)
    msq *= net.input_dim / net.widths[i]
    st["msq_ratio"][rep, i], st["msq_ratio_var"][rep, i] = _mean_var(msq)
    phi = a if v.phi is None else v.phi
    if v.act.rails is not None:
        st["saturated"][rep, i] = v.act.saturated_fraction(phi)
    if v.act.has_dead_units:
        st["dead"][rep, i] = 1.0 - float((phi != 0).any(axis=0).mean())
    st["corr"][rep, i] = mean_cosine(pre_sum.scaled, pre_sum.row_squares())  # the rows' squares of ‖z‖ when no bias
    st["unit_spread"][rep, i] = a_sum.spread()
    return norm


def _mean_var(values: np.ndarray) -> tuple[float, float]:
    """``values.mean()`` and ``values.var()`` of a 1-D float64 array (numpy's two passes: the
    pairwise mean, then the pairwise mean of the squared deviations), without their Python layers;
    the variance is +inf when a value is not finite (float64 beyond ~1e154: the square itself is +inf)."""
    n = values.size
    mean = float(np.add.reduce(values)) / n
    if not math.isfinite(mean):
        return mean, math.inf
    dev = np.subtract(values, mean)
    return mean, float(np.add.reduce(np.multiply(dev, dev, out=dev))) / n
