"""Width parametrisations (initviz.parametrisation) and how train() applies them: the presets' rules
as width doubles (Tensor Programs V Table 3 in mup's width-multiplier form), SP at the base width,
per-parameter learning rates, and the output multiplier's gradient. Exactness against torch is
tests/test_mup_torch.py."""

import math

import numpy as np
import pytest

import initviz as iv
from initviz import training
from initviz.parametrisation import parametrise


def _net(width, depth=3, in_dim=8, out=3):
    return iv.Network.mlp(in_dim, [width] * (depth - 1) + [out], "tanh", "kaiming_normal",
                          {"nonlinearity": "linear"}, layer_activations={depth: "linear"})


@pytest.mark.parametrize("preset", iv.PARAMETRISATIONS)
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_every_preset_is_standard_at_the_base_width(preset, optimizer):
    p = parametrise(_net(64, depth=4), preset, optimizer, base_width=64, readout_zero=False)
    assert p.init_scales == p.lr_scales == p.bias_lr_scales == (1.0,) * 4 and p.output_multiplier == 1.0


# How each scale changes when every hidden width doubles (m → 2m): powers of 2 of Table 3's rules
# (module docstring): SGD input/biases × m_out, hidden × m_out/m_in, output × m_in; Adam hidden × 1/m_in;
# α = 1/m_in; NTK 1/m_in (SGD), 1/√m_in (Adam).
DOUBLING = {("mup", "sgd"): ((2, 1, 1, 2), (2, 2, 2, 1), 0.5),
            ("mup", "adam"): ((1, 0.5, 0.5, 1), (1, 1, 1, 1), 0.5),
            ("ntk", "sgd"): ((1, 0.5, 0.5, 0.5), (1, 1, 1, 1), 1.0),
            ("ntk", "adam"): ((1, 2 ** -0.5, 2 ** -0.5, 2 ** -0.5), (1, 1, 1, 1), 1.0),
            ("sp", "sgd"): ((1, 1, 1, 1), (1, 1, 1, 1), 1.0)}


@pytest.mark.parametrize("key", DOUBLING, ids=["-".join(k) for k in DOUBLING])
def test_scales_follow_the_width_rules_as_width_doubles(key):
    preset, optimizer = key
    small, large = (parametrise(_net(w, depth=4), preset, optimizer, base_width=32, readout_zero=False)
                    for w in (64, 128))
    lr_ratio, bias_ratio, alpha_ratio = DOUBLING[key]
    np.testing.assert_allclose(np.divide(large.lr_scales, small.lr_scales), lr_ratio, rtol=1e-15)
    np.testing.assert_allclose(np.divide(large.bias_lr_scales, small.bias_lr_scales), bias_ratio, rtol=1e-15)
    assert large.output_multiplier / small.output_multiplier == pytest.approx(alpha_ratio, rel=1e-15)
    # μP's output layer: stored draw × √m_in read through α = 1/m_in → effective std ∝ 1/m_in^{1/2}·(1/√fan_in)
    if preset == "mup":
        assert large.init_scales[-1] / small.init_scales[-1] == pytest.approx(math.sqrt(2), rel=1e-15)


def test_readout_zero_and_the_sp_learning_rates_mistake():
    net = _net(256)
    zero = parametrise(net, "mup", "sgd", base_width=64)
    assert zero.init_scales == (1.0, 1.0, 0.0)
    wrong = parametrise(net, "mup", "sgd", base_width=64, learning_rates="sp")
    assert wrong.lr_scales == (1.0,) * 3 and wrong.init_scales == zero.init_scales
    assert wrong.output_multiplier == zero.output_multiplier and "lr sp" in wrong.name


@pytest.mark.parametrize("bad", [dict(preset="mupp"), dict(optimizer="rmsprop"), dict(base_width=0),
                                 dict(readout_zero=1), dict(learning_rates="x"), dict(output_mult=math.nan)])
def test_invalid_arguments_are_refused(bad):
    args = dict(preset="mup", optimizer="sgd", base_width=64) | bad
    with pytest.raises(iv.InitvizError):
        parametrise(_net(128), **args)
    with pytest.raises(iv.InitvizError):
        parametrise(iv.Network.mlp(8, [3], "linear", "kaiming_normal"))  # no hidden dimension


def test_train_with_standard_parametrisation_is_train_without_one():
    task = iv.tasks.get_task("mixture", n=80, classes=3, dim=8)
    net = _net(32)
    plain = iv.train(net, task, "adam", lr=1e-2, steps=5, batch=16, dtype="float64")
    sp = iv.train(net, task, "adam", lr=1e-2, steps=5, batch=16, dtype="float64",
                  parametrisation=iv.Parametrisation.standard(3))
    np.testing.assert_array_equal(plain.train_loss, sp.train_loss)  # same code path: scales 1 multiply nothing


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw"])
def test_a_parameters_lr_scale_is_its_own_learning_rate(name):
    # η·s with s a power of two is exact, so group lr η·s and a separate optimizer at lr η·s agree bit for bit
    rng = np.random.default_rng(0)
    p0, grads = rng.standard_normal((2, 5)), [rng.standard_normal((2, 5)) for _ in range(3)]
    scaled, alone, plain = [p0[0].copy(), p0[1].copy()], [p0[0].copy()], [p0[1].copy()]
    opt = iv.optimizers.make_optimizer(name, 1e-2, lr_scales=(4.0, 1.0))
    opt_alone, opt_plain = iv.optimizers.make_optimizer(name, 4e-2), iv.optimizers.make_optimizer(name, 1e-2)
    for g in grads:
        opt.step(scaled, [g[0], g[1]])
        opt_alone.step(alone, [g[0]])
        opt_plain.step(plain, [g[1]])
    np.testing.assert_array_equal(scaled[0], alone[0])
    np.testing.assert_array_equal(scaled[1], plain[0])
    with pytest.raises(iv.InitvizError):
        iv.optimizers.make_optimizer(name, 1e-2, lr_scales=(1.0,)).step(scaled, [g[0], g[1]])


def test_output_multiplier_gradients_match_finite_differences():
    task = iv.tasks.get_task("mixture", n=40, classes=3, dim=8)
    net = iv.Network.mlp(8, [16, 16, 3], "tanh", "kaiming_normal", layer_activations={3: "linear"}, bias="normal",
                         bias_value=0.1)
    alpha, x, y = 0.37, task.x_train[:10], task.y_train[:10]
    params = training._initial_params(net, 3, 0, np.dtype("float64"))

    def loss(ps):
        return iv.losses.cross_entropy(training._forward(net, ps, x, alpha)[1][-1], y)[0]

    pres, acts = training._forward(net, params, x, alpha)
    grads = training._backward(net, params, pres, acts, iv.losses.cross_entropy(acts[-1], y)[1], alpha)
    h = 1e-6  # central differences: error O(h²·L''') ≈ 1e-12, rounding O(ε/h) ≈ 1e-10
    for layer in range(3):
        for k in range(2):
            i = (0, 1) if k == 0 else (1,)
            plus = [[p.copy() for p in pair] for pair in params]
            minus = [[p.copy() for p in pair] for pair in params]
            plus[layer][k][i] += h
            minus[layer][k][i] -= h
            assert grads[layer][k][i] == pytest.approx((loss(plus) - loss(minus)) / (2 * h), abs=1e-8)
