"""What :func:`initviz.train` computes for a residual :class:`~initviz.Network` (:mod:`initviz.residual`).

**The model** (torch's ``nn.Sequential(nn.Linear(d, n), *blocks, [norm], nn.Linear(n, C))``): the
input layer x_0 = x W_inᵀ + b_in (when ``in_features`` is set; else x_0 = x), the L blocks of
:func:`initviz.engine.residual.block_forward` (pre-norm x_l = s·x_{l−1} + α·F_l(N(x_{l−1})), post-norm
x_l = N(s·x_{l−1} + α·F_l(x_{l−1})); F_l(u) = φ(u W_1ᵀ + b_1) W_2ᵀ + b_2, or φ(u W_1ᵀ + b_1) for a
one-layer branch), o = N(x_L) with a final norm (else x_L), and the readout z = o W_outᵀ + b_out
(when ``out_features`` is set; else z = o), which the loss sees. With a width parametrisation
(:mod:`initviz.parametrisation`) the readout reads α·o: z = (α·o) W_outᵀ + b_out.

**The parameters**, in this order — the *weight layers* of the diagnostics: (W_in, b_in), the
branch layers (W_1, b_1)[, (W_2, b_2)] of blocks 1 … L, (W_out, b_out). Repeat r starts from the draws
of :func:`initviz.engine.run.draw_io_layer` (input layer, readout) and
:func:`initviz.engine.run.draw_layer` (branch layer k: propagation's weights, the preset's
multiplier included), a bias the bias rule gives none starting at 0. The norms are not trained:
γ = 1 and β = 0 stay fixed (``nn.LayerNorm(n, elementwise_affine=False)``, ``nn.RMSNorm(n,
elementwise_affine=False)``), as are the preset's α and s.

**The backward pass** of ∂L/∂z: ∂L/∂W_out = (∂L/∂z)ᵀ (α·o), ∂L/∂o = α·∂L/∂z W_out, through the final norm
(N'ᵀ, :mod:`initviz.norms`), then :func:`initviz.engine.residual.block_backward` block by block
(∂L/∂W_1, ∂L/∂W_2, ∂L/∂b_1 = Σ_b ∂L/∂h, ∂L/∂b_2 = Σ_b ∂L/∂f, ∂L/∂x_{l−1}), and ∂L/∂W_in =
(∂L/∂x_0)ᵀ x, ∂L/∂b_in = Σ_b ∂L/∂x_0.

**A unit** of a weight layer is one of its outputs: a column of x_0 (input layer), of a = φ(h)
(a branch's first layer), of f (its second layer: the branch's output before α) or of z (readout).
The diagnostics ``act_var``, ``saturated``, ``dead`` and ``distinct_units`` read these outputs;
only a branch's first layer has an activation (its rails and dead units); the others are linear.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import Activation, get_activation
from .engine.residual import Block, block_backward, block_forward, final_output
from .engine.run import draw_io_layer, draw_layer
from .norms import normalise_backward


@dataclass
class ResidualPass:
    """The values of one forward pass: the input ``x``, the stream's start ``x0``, each block's
    :class:`~initviz.engine.residual.Block`, the blocks' output ``o`` and the network's output ``z``."""

    x: np.ndarray
    x0: np.ndarray
    blocks: list[Block]
    o: np.ndarray
    z: np.ndarray


class ResidualModel:
    """The residual network ``net`` as :func:`initviz.train` trains it (module docstring), its
    readout reading ``alpha``·o."""

    def __init__(self, net, alpha: float = 1.0):
        self.net, self.alpha = net, alpha
        self.m = net.residual.branch_depth
        shape_in, shape_out = net.io_shapes
        self.has_input, self.has_readout = shape_in is not None, shape_out is not None
        self.shapes = (shape_in,) * self.has_input + net.shapes + (shape_out,) * self.has_readout
        """(fan_out, fan_in) of every weight layer, in the parameters' order."""
        branch = ("W_1", "W_2") if self.m == 2 else ("W_1",)
        self.labels = ("input",) * self.has_input + tuple(
            f"block {block} {w}" for block in range(1, net.depth + 1) for w in branch) + ("readout",) * self.has_readout
        """What each weight layer is: ``input``, ``block l W_j``, ``readout``."""
        linear = get_activation("linear")
        self.activations: tuple[Activation, ...] = (linear,) * self.has_input + tuple(
            act for block in range(1, net.depth + 1) for act in (net.activation(block), linear)[:self.m]
        ) + (linear,) * self.has_readout
        """The function each weight layer's units apply (φ_l on a branch's first layer, else linear)."""

    def draws(self, seed: int, rep: int, dt: np.dtype):
        """(W, b) of every weight layer of repeat ``rep`` (b None for a zero bias), in order."""
        if self.has_input:
            yield draw_io_layer(self.net, seed, rep, 0, dt)
        for k in range(1, len(self.net.shapes) + 1):
            yield draw_layer(self.net, seed, rep, k, dt)
        if self.has_readout:
            yield draw_io_layer(self.net, seed, rep, 1, dt)

    def forward(self, params: list, x: np.ndarray) -> ResidualPass:
        """The forward pass of a batch ``x`` with ``params`` [[W, b], …] (module docstring)."""
        net, m = self.net, self.m
        x0 = x
        if self.has_input:
            W, b = params[0]
            x0 = x @ W.T
            x0 += b
        stream, blocks = x0, []
        for block, i in zip(range(1, net.depth + 1), range(int(self.has_input), len(params), m)):
            blocks.append(block_forward(net, block, stream, params[i:i + m]))
            stream = blocks[-1].y
        o = final_output(net, stream)
        z = o
        if self.has_readout:
            W, b = params[-1]
            z = self._readout_input(o) @ W.T
            z += b
        return ResidualPass(x, x0, blocks, o, z)

    @staticmethod
    def output(values: ResidualPass) -> np.ndarray:
        """What the loss sees: the network's output z."""
        return values.z

    def _readout_input(self, o: np.ndarray) -> np.ndarray:
        """What the readout multiplies by W_outᵀ: α·o (o itself when α = 1)."""
        return o if self.alpha == 1.0 else o * o.dtype.type(self.alpha)

    def outputs(self, values: ResidualPass) -> list[np.ndarray]:
        """The outputs of every weight layer (its units: module docstring), in order."""
        branch = [out for v in values.blocks for out in (v.a, v.f)[:self.m]]
        return [values.x0] * self.has_input + branch + [values.z] * self.has_readout

    def backward(self, params: list, values: ResidualPass, grad_z: np.ndarray) -> list[list[np.ndarray]]:
        """[∂L/∂W, ∂L/∂b] of every weight layer from ∂L/∂z = ``grad_z`` (module docstring)."""
        net, m = self.net, self.m
        grads, g = [None] * len(params), grad_z
        if self.has_readout:
            grads[-1] = [g.T @ self._readout_input(values.o), g.sum(axis=0)]
            g = g @ params[-1][0]
            if self.alpha != 1.0:
                g *= g.dtype.type(self.alpha)
        if net.residual.final_norm:
            g = normalise_backward(net.norm, values.blocks[-1].y, g)
        i = len(params) - self.has_readout
        for block in range(net.depth, 0, -1):
            i -= m
            back = block_backward(net, block, values.blocks[block - 1], g, True, block > 1 or self.has_input)
            grads[i] = [back.w1, back.h.sum(axis=0)]
            if m == 2:
                grads[i + 1] = [back.w_out, back.f.sum(axis=0)]
            g = back.x
        if self.has_input:
            grads[0] = [g.T @ values.x, g.sum(axis=0)]
        return grads


__all__ = ["ResidualModel", "ResidualPass"]
