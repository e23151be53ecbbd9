"""Residual networks on a task: the input layer and readout around the blocks (their draws and
validation) and what :func:`initviz.train` does with them (fixed seeds; each tolerance is derived in
its test). Exactness against torch is tests/test_residual_training_torch.py."""

import math

import numpy as np
import pytest

import initviz as iv
from initviz import training
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


# --- training ------------------------------------------------------------------------------------

TASK = iv.tasks.get_task("mixture", n=120, classes=4, dim=8)


def test_training_starts_from_the_draws_and_names_every_weight_layer():
    net = _net(branch_depth=2, hidden=12, bias="normal", bias_value=0.1)
    res = iv.train(net, TASK, lr=0.0, steps=2, batch=8, dtype="float64", seed=4)  # lr 0: the weights stay the draws
    dt = np.dtype("float64")
    draws = [draw_io_layer(net, 4, 0, 0, dt)] + [draw_layer(net, 4, 0, k, dt) for k in range(1, 7)] \
        + [draw_io_layer(net, 4, 0, 1, dt)]
    assert len(res.params[0]) == len(draws) == 8
    for (W, b), (W0, b0) in zip(res.params[0], draws):
        assert np.array_equal(W, W0) and np.array_equal(b, b0)
    assert res.layer_labels == ("input", "block 1 W_1", "block 1 W_2", "block 2 W_1", "block 2 W_2", "block 3 W_1",
                                "block 3 W_2", "readout")
    frame = res.layer_frame()
    assert len(frame) == 2 * 8 and list(frame["label"][:8]) == list(res.layer_labels)
    assert frame["saturated"].notna().sum() == 2 * 3  # tanh rails: only the branches' first layers
    m1 = iv.train(_net(branch_depth=1, in_features=None, out_features=16), iv.tasks.get_task(
        "teacher", n=60, in_dim=16, out_dim=16), steps=1, batch=8)
    assert m1.layer_labels == ("block 1 W_1", "block 2 W_1", "block 3 W_1", "readout")


def _loss(net, params, x, y, alpha):
    model = training._model(net, alpha)
    return iv.losses.cross_entropy(model.output(model.forward(params, x)), y)[0]


@pytest.mark.parametrize("kwargs, alpha", [
    ({"placement": "pre", "final_norm": True, "preset": "gpt2", "branch_depth": 2, "hidden": 12}, 1.0),
    ({"placement": "post", "preset": "deepnorm", "branch_depth": 1, "norm": "rmsnorm"}, 0.5),
    ({"placement": "pre", "norm": "none", "preset": "t_fixup", "activation": "gelu", "in_features": None}, 1.0),
])
def test_every_gradient_is_the_derivative_of_the_loss(kwargs, alpha):
    # central differences in float64: error ≈ h²·|f'''|/6 + ε·|f|/h ≈ 1e-12 for h = 1e-5 at unit scale,
    # so 1e-6 relative (of the largest entry) leaves a wide margin while one missing factor (s, α, N')
    # is an O(1) error
    net = _net(bias="normal", bias_value=0.2, **kwargs)
    task = TASK if net.io_dims[0] == 8 else iv.tasks.get_task("mixture", n=40, classes=4, dim=16)
    dt, x, y = np.dtype("float64"), task.x_train[:6], task.y_train[:6]
    params = training._initial_params(net, 2, 0, dt)
    model = training._model(net, alpha)  # α: the readout's multiplier (a width parametrisation's)
    values = model.forward(params, x)
    grads = model.backward(params, values, iv.losses.cross_entropy(model.output(values), y)[1])
    rng, h = np.random.default_rng(0), 1e-5
    for (W, b), (gW, gb) in zip(params, grads):
        for p, g in ((W, gW), (b, gb)):
            for index in {tuple(rng.integers(0, s) for s in p.shape) for _ in range(4)}:
                p[index] += h
                up = _loss(net, params, x, y, alpha)
                p[index] -= 2 * h
                down = _loss(net, params, x, y, alpha)
                p[index] += h
                assert g[index] == pytest.approx((up - down) / (2 * h), abs=1e-6 * max(np.abs(g).max(), 1e-3))


def test_a_residual_network_that_does_not_fit_the_task_is_refused():
    with pytest.raises(iv.InitvizError, match="Argument `net`.*8 inputs.*in_features"):
        iv.train(_net(in_features=None), TASK, steps=1)
    with pytest.raises(iv.InitvizError, match="Argument `net`.*4 outputs.*out_features"):
        iv.train(_net(out_features=3), TASK, steps=1)
    with pytest.raises(iv.InitvizError, match="Argument `parametrisation`"):
        iv.train(_net(), TASK, steps=1, parametrisation=iv.parametrisation.Parametrisation.standard(7))  # 8 layers


def test_residual_training_is_deterministic_and_learns_the_mixture():
    # the four well-separated Gaussian classes are learnt by any sane optimizer: Adam, 60 steps
    kw = dict(optimizer="adam", lr=1e-2, steps=60, batch=16, seed=1, n_seeds=2, dtype="float64")
    a, b = iv.train(_net(), TASK, **kw), iv.train(_net(), TASK, **kw)
    assert np.array_equal(a.train_loss, b.train_loss) and a.layer_frame().equals(b.layer_frame())
    assert (a.train_loss[:, -1] < 0.5 * a.train_loss[:, 0]).all()


# --- width parametrisations ------------------------------------------------------------------------

def test_mup_of_a_residual_network_follows_table_3_layer_by_layer():
    # width n = 256, branch hidden 512, base 128: the input layer's m_out = 2; W_1 (512, 256) has
    # m_in = 2, m_out = 4; W_2 (256, 512) m_in = 4, m_out = 2; the readout's m_in = 2 (α = 1/2). MuSGD:
    # input × m_out, hidden × m_out/m_in, readout × m_in; MuAdam: 1, 1/m_in, 1 (module docstring's table)
    net = _net(width=256, hidden=512, depth=2, in_features=16, out_features=10)
    sgd = iv.parametrise(net, "mup", "sgd", base_width=128)
    assert sgd.lr_scales == (2.0, 2.0, 0.5, 2.0, 0.5, 2.0) and sgd.output_multiplier == 0.5
    assert sgd.bias_lr_scales == (2.0, 4.0, 2.0, 4.0, 2.0, 1.0) and sgd.init_scales == (1.0,) * 5 + (0.0,)
    adam = iv.parametrise(net, "mup", "adam", base_width=128, readout_zero=False)
    assert adam.lr_scales == (1.0, 0.5, 0.25, 0.5, 0.25, 1.0) and adam.init_scales[-1] == math.sqrt(2.0)
    with pytest.raises(iv.InitvizError, match="Argument `net`.*in_features and out_features"):
        iv.parametrise(_net(in_features=None), "mup")
