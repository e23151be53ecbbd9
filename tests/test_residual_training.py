"""Residual networks on a task: the input layer and readout around the blocks (their draws and
validation) and what :func:`initviz.train` does with them (fixed seeds; each tolerance is derived in
its test). Exactness against torch is tests/test_residual_training_torch.py."""

import math

import numpy as np
import pytest

import initviz as iv
from initviz.engine.run import draw_io_layer, draw_layer


def _net(**kwargs):
    return iv.Network.residual_net(**{"width": 16, "depth": 3, "activation": "tanh", "init": "xavier_normal",
                                      "in_features": 8, "out_features": 4, **kwargs})


# --- the description ------------------------------------------------------------------------------

def test_the_input_layer_and_readout_leave_the_blocks_as_they_are():
    net, blocks = _net(bias="normal", bias_value=0.1), _net(bias="normal", bias_value=0.1, in_features=None,
                                                            out_features=None)
    assert net != blocks and net.shapes == blocks.shapes and net.io_shapes == ((16, 8), (4, 16))
    assert blocks.io_shapes == (None, None) and iv.Network.from_dict(net.to_dict()) == net
    dt = np.dtype("float64")
    for k in range(1, len(net.shapes) + 1):  # the same streams: the same numbers
        for a, b in zip(draw_layer(net, 5, 0, k, dt), draw_layer(blocks, 5, 0, k, dt)):
            assert np.array_equal(a, b)
    w_in, w_out = draw_io_layer(net, 5, 0, 0, dt)[0], draw_io_layer(net, 5, 0, 1, dt)[0]
    assert w_in.shape == (16, 8) and w_out.shape == (4, 16)
    assert not any(np.array_equal(w_in, draw_layer(net, 5, 0, k, dt)[0][:, :8]) for k in range(1, 7))
    assert "input layer 8→n" in net.describe() and "readout n→4" in net.describe()


def test_the_input_layer_and_readout_follow_the_schemes_laws_for_their_shapes():
    # xavier_normal: std √(2/(fan_in + fan_out)); the sample std of N i.i.d. normals has relative
    # standard error 1/√(2N), so 5 standard errors bound it (N = 512·64 here: 2 %)
    net = _net(width=512, in_features=64, out_features=64, bias="normal", bias_value=0.3, depth=1)
    for which, (out, fan_in) in enumerate(net.io_shapes):
        W, b = draw_io_layer(net, 1, 0, which, np.dtype("float64"))
        assert W.shape == (out, fan_in)
        assert W.std() == pytest.approx(math.sqrt(2 / (fan_in + out)), rel=5 / math.sqrt(2 * W.size))
        assert b.shape == (out,) and b.std() == pytest.approx(0.3, rel=5 / math.sqrt(2 * out))
    assert draw_io_layer(_net(), 1, 0, 0, np.dtype("float64"))[1] is None  # bias rule zeros: no bias


@pytest.mark.parametrize("kwargs, argument", [
    ({"in_features": 0}, "in_features"),
    ({"out_features": 2.5}, "out_features"),
    ({"in_features": "8"}, "in_features"),
    ({"out_features": True}, "out_features"),
    ({"in_features": 10 ** 9}, "in_features"),
])
def test_invalid_input_and_readout_sizes_name_their_argument(kwargs, argument):
    with pytest.raises(iv.InitvizError, match=f"Argument `{argument}`"):
        _net(**kwargs)


def test_the_weight_budget_counts_the_input_layer_and_readout():
    net = _net()
    iv.Network.residual_net(16, 3, "tanh", "xavier_normal", in_features=8, out_features=4,
                            budget=iv.Budget(weights=net.n_weights + 16 * 8 + 4 * 16))
    with pytest.raises(iv.InitvizError, match="Argument `widths`"):
        iv.Network.residual_net(16, 3, "tanh", "xavier_normal", in_features=8, out_features=4,
                                budget=iv.Budget(weights=net.n_weights + 16 * 8 + 4 * 16 - 1))
    with pytest.raises(iv.InitvizError, match="Argument `which`"):
        _net(out_features=None).io_laws(1)
