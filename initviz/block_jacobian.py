"""The input–output Jacobian of each residual block at initialisation, and its singular values.

For block l of a residual :class:`~initviz.network.Network` (:mod:`initviz.residual`) and one input
sample, J_l = ∂x_l/∂x_{l−1} (n × n) at the stream's value x_{l−1} that sample reaches: pre-norm
J = s·I + α·J_F·J_N(x), post-norm J = J_N(t)·(s·I + α·J_F), with J_F = W_2 diag(φ′(h)) W_1
(m = 2) or diag(φ′(h)) W_1 (m = 1) — ReZero's Fig. 5 (Bachlechner et al. 2020): with α = 0 every
J_l is I. Row i of J is the vector–Jacobian product of e_i (the engine's exact backward,
:func:`initviz.engine.residual.block_backward`, on n copies of the sample), so J is exact to
rounding, not a finite difference. The sample is row ``sample`` of :func:`initviz.propagate`'s
``"normal"`` input batch of repeat 0 and the weights are its draws (the same seed: the same network).
"""

from __future__ import annotations

import numpy as np

from .engine.residual import block_backward, block_forward
from .engine.run import draw_layer
from .errors import invalid
from .laws import as_dtype
from .limits import MAX_BATCH, MAX_MACS, check_int
from .network import Network
from .rng import ROLE_INPUTS, stream

MAX_BLOCK_JACOBIAN_WORK = MAX_MACS
"""Most multiply–adds of one call, counted as ~8·n³ per block asked (the vector–Jacobian products of
n copies of the sample and the SVD): 2^33 allows one block per call at n = 1024, 64 at n = 256."""


def block_jacobians(net: Network, seed: int = 0, sample: int = 0, blocks=None, dtype="float64"):
    """An iterator of (block, J_l) for the 1-based ``blocks`` (default all) of a residual ``net``, in
    order, at the stream value of input sample ``sample`` (module docstring); arguments are checked
    at the call."""
    if not isinstance(net, Network) or net.residual is None:
        raise invalid("net", "be a residual initviz Network (see Network.residual_net)", net)
    check_int("seed", seed, 0, 2 ** 63 - 1)
    sample = check_int("sample", sample, 0, MAX_BATCH - 1)
    dt = as_dtype(dtype)
    return _jacobians(net, seed, sample, _blocks(net, blocks), dt)


def _jacobians(net: Network, seed: int, sample: int, wanted: list[int], dt: np.dtype):
    """The generator of :func:`block_jacobians`, its arguments validated."""
    n = net.input_dim
    x = stream(seed, 0, ROLE_INPUTS, 0).standard_normal((sample + 1, n), dtype=dt)[sample:]
    eye = np.eye(n, dtype=dt)
    with np.errstate(all="ignore"):
        for block in range(1, max(wanted) + 1):
            params = [draw_layer(net, seed, 0, k, dt) for k in net.block_layers(block)]
            if block in wanted:
                values = block_forward(net, block, np.repeat(x, n, axis=0), params)
                yield block, block_backward(net, block, values, eye, weights=False)[0]
                x = values.y[:1]
            else:
                x = block_forward(net, block, x, params).y


def block_singular_values(net: Network, seed: int = 0, sample: int = 0, blocks=None, dtype="float64") -> np.ndarray:
    """Singular values (descending) of J_l for each of ``blocks`` (default all): a (len(blocks), n) array."""
    return np.array([np.linalg.svd(J, compute_uv=False) for _, J in block_jacobians(net, seed, sample, blocks, dtype)])


def _blocks(net: Network, blocks) -> list[int]:
    """The asked blocks, validated, within :data:`MAX_BLOCK_JACOBIAN_WORK`."""
    if blocks is None:
        blocks = range(1, net.depth + 1)
    try:
        wanted = sorted({check_int("blocks", b, 1, net.depth) for b in blocks})
    except TypeError:
        raise invalid("blocks", "be a sequence of 1-based block numbers", blocks) from None
    if not wanted:
        raise invalid("blocks", "name at least one block", blocks)
    work = 8 * net.input_dim ** 3 * len(wanted)
    if work > MAX_BLOCK_JACOBIAN_WORK:
        raise invalid("blocks", f"ask for at most {max(1, MAX_BLOCK_JACOBIAN_WORK // (8 * net.input_dim ** 3))} blocks "
                      f"at width {net.input_dim} (MAX_BLOCK_JACOBIAN_WORK = 2^33 multiply–adds: ~8·n³ per block)",
                      f"{len(wanted)} blocks")
    return wanted


__all__ = ["block_jacobians", "block_singular_values", "MAX_BLOCK_JACOBIAN_WORK"]
