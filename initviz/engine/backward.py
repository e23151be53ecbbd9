"""The backward pass for the probe loss L = Σ_b ⟨g_b, a^L_b⟩, g ~ N(0, 1) drawn once per repeat.

From ∂L/∂a^L = g, layer by layer from L down: δ^l = ∂L/∂h^l = ∂L/∂a^l ⊙ φ_l'(h^l) (through the
network's norm first when it has one: :meth:`~initviz.network.Network.output_backward`),
∂L/∂W_l = δ^lᵀ a^{l−1} and ∂L/∂a^{l−1} = δ^l W_l. Each layer records into ``run.stats[·][r, l−1]``
the variances of ∂L/∂a^l (``grad_act_var``), of δ^l (``grad_var``) and of ∂L/∂W_l's entries
(``grad_w_var``, from B×B Grams when B is small against the widths:
:func:`~initviz.engine.moments.gram_moments`), std(∂L/∂W_l)/std(W_l) (``grad_ratio``) and the
unit spread of δ^l (``grad_spread``). Segments of layers are taken from the forward pass or
recomputed from their checkpoints (:meth:`~initviz.engine.run.Run.layers`). It stops at the first
layer (from L) holding a non-finite gradient (``grad_nonfinite_layer``) or whose max|δ^l| falls
below the dtype's smallest normal number (``grad_vanished_layer``).
"""

from __future__ import annotations

import math

import numpy as np

from .moments import ScaledMoments, gram_moments, mean_var_max, scaled_moments
from .run import Kept, Run, times_transpose


def backward(run: Run, rep: int, kept: Kept):
    """Backward pass of repeat ``rep`` (after its complete forward pass, whose ``kept`` it reads)."""
    net = run.net
    grad_a = run.probe(rep, net.widths[-1])
    phi = None  # φ_l(h^l) of the next layer down, when the weight gradient of the layer above needed it
    for start, stop in reversed(run.segments):
        layers = run.layers(rep, start, stop, kept)
        for layer in range(stop - 1, start - 1, -1):
            run.step(rep, 2 * net.depth - layer, f"repeat {rep}, backward layer {layer}")
            grad_a, phi = _layer(run, rep, layer, start, layers, kept, grad_a, phi)
            if grad_a is None:
                return


def _layer(run: Run, rep: int, layer: int, start: int, layers: list, kept: Kept,
           grad_a: np.ndarray, phi: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Measure layer ``layer`` from ∂L/∂a^l (``grad_a``; ``phi`` = φ_l(h^l) or None); return
    ∂L/∂a^{l−1} (``grad_a`` itself at layer 1, where ∂L/∂x is not needed), or None when the pass
    stops here (a fault), and φ_{l−1}(h^{l−1}) when it was at hand (a^{l−1} itself without a norm)."""
    st, i = run.stats, layer - 1
    W, _, pre = layers[layer - start]
    ga = mean_var_max(grad_a, run.scratch)
    delta = run.net.output_backward(layer, pre, grad_a, phi)
    gd = scaled_moments(delta, run.scratch) if ga is not None else None
    if gd is None:
        run.faults["grad_nonfinite_layer"][rep] = layer
        return None, None
    gw, a_prev = None, None
    if run.weight_grad:
        a_prev = _layer_input(run, layer, start, layers, kept)
        gw = _weight_grad_moments(run, rep, layer, gd, delta, a_prev)
        if gw is None:
            run.faults["grad_nonfinite_layer"][rep] = layer
            return None, None
    st["grad_act_var"][rep, i] = ga[1]
    st["grad_var"][rep, i] = gd.var
    st["grad_spread"][rep, i] = gd.spread()
    if gw is not None:
        st["grad_w_var"][rep, i] = gw[1]
        w_std = st["weight_std"][rep, i]
        if w_std > 0:
            st["grad_ratio"][rep, i] = math.sqrt(gw[1]) / w_std
    if rep == 0:
        run.histograms.bin_layer(layer, pre)
        run.histograms.keep_grad(i, delta)
    if gd.scale < run.tiny:
        run.faults["grad_vanished_layer"][rep] = layer
        return None, None
    if layer == 1:  # ∂L/∂x is not needed
        return grad_a, None
    # ∂L/∂a^{l−1} alternates between two reused arrays (scratch slots 1 and 2)
    out = run.scratch.get((run.batch, W.shape[1]), run.dtype, slot=1 + layer % 2)
    phi_prev = a_prev if run.net.norm == "none" else None
    return times_transpose(delta, W.T, run.constant[i], out=out), phi_prev


def _layer_input(run: Run, layer: int, start: int, layers: list, kept: Kept) -> np.ndarray:
    """a^{l−1}: the segment's checkpoint at its first layer, else recomputed from h^{l−1} (the same numbers)."""
    if layer == start:
        return kept.checkpoints[start]
    return run.net.output(layer - 1, layers[layer - start - 1][2])


def _weight_grad_moments(run: Run, rep: int, layer: int, gd: ScaledMoments, delta: np.ndarray,
                         a_prev: np.ndarray) -> tuple[float, float, float] | None:
    """(mean, variance, ·) of the entries of ∂L/∂W_l = δᵀa^{l−1}: from Grams when the run chose
    that route for the layer and it decides, else from the product; None if it is not finite."""
    i = layer - 1
    a_scale = run.stats["max_abs"][rep, i - 1] if layer > 1 else run.input_scale[rep]
    if run.gram[i]:
        moments = gram_moments(gd, a_prev, a_scale)
        if moments is not None:
            return moments
    product = np.matmul(delta.T, a_prev, out=run.scratch.get((delta.shape[1], a_prev.shape[1]), run.dtype, slot=3))
    return mean_var_max(product, run.scratch)
