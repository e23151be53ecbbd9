"""Per-block input–output Jacobians of residual networks (initviz.block_jacobian)."""

import numpy as np
import pytest

import initviz as iv
from initviz.block_jacobian import block_jacobians, block_singular_values
from initviz.engine.residual import block_forward
from initviz.engine.run import draw_layer
from initviz.rng import ROLE_INPUTS, stream

F64 = np.dtype("float64")


def test_rezero_blocks_have_the_identity_jacobian_exactly():
    net = iv.Network.residual_net(32, 5, "tanh", norm="layernorm", preset="rezero")
    for _, J in block_jacobians(net, seed=1):
        assert np.array_equal(J, np.eye(32))
    assert np.array_equal(block_singular_values(net, seed=1), np.ones((5, 32)))


def test_a_linear_branch_without_norm_gives_identity_plus_the_weight_product():
    """Pre-norm, N = none, linear φ: x_l = x + W_2 W_1 x, so J = I + W_2 W_1 whatever x (the GPT-2
    multiplier is inside W_2's law); the two sides round differently, ~1e-15 relative."""
    net = iv.Network.residual_net(24, 4, "linear", "xavier_normal", norm="none", preset="gpt2", hidden=40)
    for block, J in block_jacobians(net, seed=2):
        W1, W2 = (draw_layer(net, 2, 0, k, F64)[0] for k in net.block_layers(block))
        np.testing.assert_allclose(J, np.eye(24) + W2 @ W1, rtol=0, atol=1e-13)


@pytest.mark.parametrize("placement, norm", [("post", "layernorm"), ("pre", "rmsnorm")])
def test_jacobians_agree_with_central_differences(placement, norm):
    """Central differences with step h have error O(h²·|∂³y|) + O(ε_mach/h): h = 1e-5 gives ~1e-10
    on unit-scale tanh blocks, so 1e-7 absolute has room to spare; the sample's stream value is
    reached by running the blocks before (rows of propagate's input batch)."""
    net = iv.Network.residual_net(16, 3, "tanh", "xavier_normal", norm=norm, placement=placement)
    x = stream(4, 0, ROLE_INPUTS, 0).standard_normal((3, 16))[2:]
    params = [[draw_layer(net, 4, 0, k, F64) for k in net.block_layers(b)] for b in (1, 2, 3)]
    for b in (1, 2):
        x = block_forward(net, b, x, params[b - 1]).y
    (_, J), = block_jacobians(net, seed=4, sample=2, blocks=[3])
    h = 1e-5
    steps = np.eye(16) * h
    diff = (block_forward(net, 3, x + steps, params[2]).y - block_forward(net, 3, x - steps, params[2]).y) / (2 * h)
    np.testing.assert_allclose(J, diff.T, rtol=0, atol=1e-7)


@pytest.mark.parametrize("kwargs, argument", [
    ({"net": iv.Network.mlp(8, [8])}, "net"),
    ({"blocks": []}, "blocks"),
    ({"blocks": [0]}, "blocks"),
    ({"blocks": 3}, "blocks"),
    ({"sample": -1}, "sample"),
    ({"seed": -2}, "seed"),
])
def test_invalid_arguments_name_themselves(kwargs, argument):
    args = {"net": iv.Network.residual_net(8, 3), **kwargs}
    with pytest.raises(iv.InitvizError, match=f"Argument `{argument}`"):
        block_jacobians(**args)  # checked at the call, before any iteration


def test_the_work_limit_bounds_wide_requests_before_computing():
    net = iv.Network.residual_net(1024, 3)
    with pytest.raises(iv.InitvizError, match="at most 1 blocks"):
        block_singular_values(net, blocks=[1, 2])


def test_the_linear_mlp_spectrum_refuses_residual_and_normalised_networks():
    """iv.jacobian.jacobian_spectrum multiplies W_L⋯W_1: true of a linear MLP only."""
    for net in (iv.Network.residual_net(16, 3, "linear", norm="none"),
                iv.Network.mlp(16, [16] * 3, "linear", norm="rmsnorm")):
        with pytest.raises(iv.InitvizError, match="Argument `net`"):
            iv.jacobian.jacobian_spectrum(net)
