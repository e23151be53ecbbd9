"""Forward and backward passes of a residual network, block by block (:mod:`initviz.residual`).

Block l maps x = x_{l−1} to y = x_l through u = N(x) (pre-norm; u = x post-norm),
h = u W_1ᵀ + b_1, a = φ(h), f = a W_2ᵀ + b_2 (m = 2; f = a for m = 1), the sum
t = s·x + α·f and y = t (pre-norm) or N(t) (post-norm); the output is N(x_L) with a final norm,
else x_L. The backward pass of the probe L = Σ_b ⟨g_b, output_b⟩ runs the chain rule through the
same steps: ∂L/∂t = N'ᵀ∂L/∂y (post) or ∂L/∂y, ∂L/∂f = α·∂L/∂t, ∂L/∂W_2 = (∂L/∂f)ᵀ a,
∂L/∂h = (∂L/∂f W_2) ⊙ φ'(h), ∂L/∂W_1 = (∂L/∂h)ᵀ u, ∂L/∂x = s·∂L/∂t + N'ᵀ(∂L/∂h W_1) (pre; without
N' post) — :mod:`initviz.norms` for N'ᵀ.

Per block the statistics of :mod:`initviz.propagation` keep their names, read on the block:
``preact_*`` of h (the branch's pre-activation; ``corr`` the cosine of its pairs), ``act_*``,
``max_abs``, ``unit_spread`` and the norm ratios of the stream x_l (``layer_ratio`` = ‖x_l‖/‖x_{l−1}‖,
``msq_ratio`` = ‖x_l‖²/‖x_0‖², the stream's width being constant), ``saturated``/``dead`` of a,
``weight_std`` of W_1; backward ``grad_act_var`` of ∂L/∂x_l (the gradient reaching the block's
output), ``grad_var``/``grad_spread`` of ∂L/∂h, ``grad_w_var``/``grad_ratio`` of ∂L/∂W_1; and the
residual statistics ``branch_var`` (variance of α·f's entries), ``skip_var`` (of s·x's) and
``grad_w_out_var`` (of ∂L/∂W_m's, the branch's last layer). Histograms: ``preact`` h, ``act`` x_l,
``grad`` ∂L/∂h.

Memory: blocks are cut into segments whose weights and values fit in the run's ``store_bytes``
(:meth:`~initviz.engine.run.Run._plan_segments`); the forward pass keeps each segment's input and
the values of the last segment, and the backward pass recomputes the others from their inputs (the
same streams: the same numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..norms import normalise, normalise_backward
from .forward import _Layer, _record, inputs
from .moments import mean_var_max, scaled_moments
from .run import Run


@dataclass
class Block:
    """One block's values: input ``x``, branch input ``u``, pre-activation ``h``, activation ``a``,
    branch output ``f``, sum ``t``, output ``y`` and the branch's (W, b) ``params``."""

    x: np.ndarray
    u: np.ndarray
    h: np.ndarray
    a: np.ndarray
    f: np.ndarray
    t: np.ndarray
    y: np.ndarray
    params: list


def block_forward(net, block: int, x: np.ndarray, params: list) -> Block:
    """Block ``block`` (1-based) of ``net`` on the stream ``x`` with its branch ``params`` [(W, b)]."""
    res, scales, dt = net.residual, net.branch_scales, x.dtype
    u = normalise(net.norm, x) if res.placement == "pre" else x
    W1, b1 = params[0]
    h = u @ W1.T
    if b1 is not None:
        h += b1
    a = net.activation(block)(h)
    f = a
    if res.branch_depth == 2:
        W2, b2 = params[1]
        f = a @ W2.T
        if b2 is not None:
            f += b2
    branch = f if scales.alpha == 1.0 else f * dt.type(scales.alpha)
    t = (x if scales.skip == 1.0 else x * dt.type(scales.skip)) + branch
    y = normalise(net.norm, t) if res.placement == "post" else t
    return Block(x, u, h, a, f, t, y, params)


class BlockGrads(NamedTuple):
    """The gradients of one block (module docstring): ∂L/∂x ``x``, ∂L/∂h ``h``, ∂L/∂W_1 ``w1``,
    ∂L/∂W_m ``w_out`` (W_1's for m = 1) and ∂L/∂f ``f`` (so ∂L/∂b_1 = Σ_b ∂L/∂h, ∂L/∂b_2 = Σ_b ∂L/∂f)."""

    x: np.ndarray | None
    h: np.ndarray
    w1: np.ndarray | None
    w_out: np.ndarray | None
    f: np.ndarray


def block_backward(net, block: int, v: Block, grad_y: np.ndarray, weights: bool = True,
                   inputs: bool = True) -> BlockGrads:
    """The :class:`BlockGrads` of block ``block`` from ∂L/∂y = ``grad_y`` (module docstring); the
    weight gradients are None unless ``weights``, ∂L/∂x None unless ``inputs``."""
    res, scales, dt = net.residual, net.branch_scales, grad_y.dtype
    grad_t = normalise_backward(net.norm, v.t, grad_y) if res.placement == "post" else grad_y
    grad_f = grad_t if scales.alpha == 1.0 else grad_t * dt.type(scales.alpha)
    grad_w_out = None
    if res.branch_depth == 2:
        grad_w_out = grad_f.T @ v.a if weights else None
        grad_a = grad_f @ v.params[1][0]
    else:
        grad_a = grad_f
    grad_h = grad_a * net.activation(block).derivative(v.h)
    grad_w1 = grad_h.T @ v.u if weights else None
    grad_x = None
    if inputs:
        grad_u = grad_h @ v.params[0][0]
        grad_x = grad_u if res.placement == "post" else normalise_backward(net.norm, v.x, grad_u)
        grad_x += grad_t if scales.skip == 1.0 else grad_t * dt.type(scales.skip)
    return BlockGrads(grad_x, grad_h, grad_w1, grad_w1 if res.branch_depth == 1 else grad_w_out, grad_f)


def final_output(net, x_last: np.ndarray) -> np.ndarray:
    """The network's output: N(x_L) with a final norm, else x_L."""
    return normalise(net.norm, x_last) if net.residual.final_norm else x_last


def _params(run: Run, rep: int, start: int, stop: int):
    """The branch parameters [(W, b)] of blocks [start, stop), block by block (drawn one layer ahead)."""
    net = run.net
    m = net.residual.branch_depth
    draws = run.draws(rep, (start - 1) * m + 1, (stop - 1) * m + 1)
    for _ in range(start, stop):
        yield [next(draws) for _ in range(m)]


def _replay(run: Run, rep: int, start: int, stop: int, x: np.ndarray) -> list[Block]:
    """The values of blocks [start, stop) recomputed from the segment's input ``x``."""
    out = []
    for block, params in zip(range(start, stop), _params(run, rep, start, stop)):
        run.check_time(f"recomputing block {block}")
        out.append(block_forward(run.net, block, x, params))
        x = out[-1].y
    return out


@dataclass
class KeptBlocks:
    """What the forward pass keeps: each segment's input, the values of the last segment reached
    (from block ``start``) and the last block's output x_L."""

    checkpoints: dict
    start: int
    store: list
    last: np.ndarray | None = None


def forward(run: Run, rep: int) -> KeptBlocks:
    """Forward pass of repeat ``rep``: every block's statistics (module docstring)."""
    net = run.net
    x, x_norm = inputs(run, rep)
    keep = run.backward or (rep == 0 and bool(run.histograms.hist))
    kept = KeptBlocks({}, 0, [])
    prev_norm = x_norm
    starts = {start for start, _ in run.segments}
    for block, params in zip(range(1, net.depth + 1), _params(run, rep, 1, net.depth + 1)):
        run.step(rep, block - 1, f"repeat {rep}, forward block {block}")
        if block in starts:
            kept.checkpoints[block], kept.start, kept.store = x, block, []
        v = block_forward(net, block, x, params)
        norm = _record_block(run, rep, block, v, x_norm, prev_norm)
        if norm is None:
            run.faults["nonfinite_layer"][rep] = block
            return kept
        run.done[rep] = block
        if rep == 0 and run.histograms.sub:
            run.histograms.subsample(block - 1, v.h, v.y)
        if keep:
            kept.store.append(v)
        if run.stats["max_abs"][rep, block - 1] < run.tiny:
            run.faults["vanished_layer"][rep] = block
            return kept
        x, prev_norm = v.y, norm
    if net.residual.final_norm and not np.isfinite(final_output(net, x)).all():
        run.faults["nonfinite_layer"][rep] = net.depth
    kept.last = x
    return kept


def _record_block(run: Run, rep: int, block: int, v: Block, x_norm: np.ndarray,
                  prev_norm: np.ndarray) -> np.ndarray | None:
    """Write block ``block``'s forward statistics; its per-sample ‖x_l‖, or None when a value is not finite."""
    scales = run.net.branch_scales
    w_mom = mean_var_max(v.params[0][0], run.scratch)
    h_sum = scaled_moments(v.h, run.scratch)
    y_sum = scaled_moments(v.y, run.scratch)
    branch = mean_var_max(v.f if scales.alpha == 1.0 else v.f * v.f.dtype.type(scales.alpha), run.scratch)
    skip = mean_var_max(v.x if scales.skip == 1.0 else v.x * v.x.dtype.type(scales.skip), run.scratch)
    if None in (w_mom, h_sum, y_sum, branch, skip) or not np.isfinite(v.a).all():
        return None
    norm = y_sum.row_norms()
    _record(run, rep, block, _Layer(v.h, v.y, run.net.activation(block), w_mom, norm, h_sum, y_sum, v.a),
            x_norm, prev_norm)
    run.stats["branch_var"][rep, block - 1] = branch[1]
    run.stats["skip_var"][rep, block - 1] = skip[1]
    return norm


def backward(run: Run, rep: int, kept: KeptBlocks) -> None:
    """Backward pass of repeat ``rep`` after its complete forward pass (module docstring)."""
    net, st = run.net, run.stats
    probe = run.probe(rep, net.input_dim)
    grad = normalise_backward(net.norm, kept.last, probe) if net.residual.final_norm else probe
    for start, stop in reversed(run.segments):
        values = kept.store if kept.start == start and len(kept.store) == stop - start \
            else _replay(run, rep, start, stop, kept.checkpoints[start])
        for block in range(stop - 1, start - 1, -1):
            run.step(rep, 2 * net.depth - block, f"repeat {rep}, backward block {block}")
            i, v = block - 1, values[block - start]
            g_y = mean_var_max(grad, run.scratch)  # ∂L/∂x_l: None when not finite
            if g_y is None:
                run.faults["grad_nonfinite_layer"][rep] = block
                return
            # ∂L/∂x_0 is not needed
            grad, grad_h, grad_w1, grad_w_out, _ = block_backward(net, block, v, grad, run.weight_grad, block > 1)
            gh = scaled_moments(grad_h, run.scratch)
            gw1 = mean_var_max(grad_w1, run.scratch) if run.weight_grad and gh is not None else None
            gwo = mean_var_max(grad_w_out, run.scratch) if gw1 is not None else None
            if gh is None or (run.weight_grad and gwo is None):
                run.faults["grad_nonfinite_layer"][rep] = block
                return
            st["grad_act_var"][rep, i], st["grad_var"][rep, i], st["grad_spread"][rep, i] = g_y[1], gh.var, gh.spread()
            if gw1 is not None:
                st["grad_w_var"][rep, i], st["grad_w_out_var"][rep, i] = gw1[1], gwo[1]
                if st["weight_std"][rep, i] > 0:
                    st["grad_ratio"][rep, i] = math.sqrt(gw1[1]) / st["weight_std"][rep, i]
            if rep == 0:
                run.histograms.bin_layer(block, v.h, v.y)
                run.histograms.keep_grad(i, grad_h)
            if max(abs(g_y[2]), gh.scale) < run.tiny:
                run.faults["grad_vanished_layer"][rep] = block
                return


def bin_unbinned(run: Run, kept: KeptBlocks) -> None:
    """Bin the blocks of repeat 0 the backward pass did not reach, recomputing their segments."""
    missing = run.histograms.unbinned(int(run.done[0]))
    for start, stop in run.segments:
        todo = [block for block in missing if start <= block < stop]
        if todo:
            values = kept.store if kept.start == start and len(kept.store) >= todo[-1] - start + 1 \
                else _replay(run, 0, start, todo[-1] + 1, kept.checkpoints[start])
            for block in todo:
                run.histograms.bin_layer(block, values[block - start].h, values[block - start].y)
