"""The classic experiments of REFERENCE.md, from propagate's own numbers (float32, small batches).

Notation: width n = 512, per-layer factor of the squared norm of a linear layer with W ~ N(0, s²):
‖Wh‖²/‖h‖² ~ s²·χ²_n, so ln‖h_l‖² − ln‖x‖² is a sum of l independent ln(s²χ²_n) terms with mean
≈ ln(n s²) − 1/n and variance ≈ 2/n.
"""

import math

import numpy as np
import pytest

from initviz.network import Network
from initviz.propagation import propagate

N = 512
FLOAT32_MAX = float(np.finfo(np.float32).max)  # 3.4028235e38
FLOAT32_TINY = float(np.finfo(np.float32).tiny)  # 1.1754944e-38


def _linear_100(std):
    return Network.mlp(input_dim=N, widths=[N] * 100, activation="linear", init="normal", init_params={"std": std})


def test_standard_normal_weights_overflow_at_layer_28_or_29():
    # Each layer multiplies the typical entry by √(n·1) = √512, i.e. ½·log10(512) = 1.355 decades.
    # After l layers entries are ~N(0, 512^l); the largest of the B·n = 32768 entries is ≈ 4σ
    # (0.6 decades). float32's max 3.4e38 (38.53 decades) is first exceeded when
    # 1.355·l + 0.6 > 38.53, i.e. l > 27.99: at layer 28, or 29 if the maximum stays below 4σ.
    res = propagate(_linear_100(1.0), batch=64, backward=False)
    assert res.first_nonfinite_layer in (28, 29)
    f = res.first_nonfinite_layer
    # statistics stop at the fault: absent (NaN in arrays, NA in the frame), never inf garbage
    assert np.isnan(res.act_var[0, f - 1:]).all() and res.to_frame()["act_var"].iloc[f - 1:].isna().all()
    # and just before it they are still right, although squaring 1e36 would overflow float32:
    # log10 Var(h_27) = 27·log10(512) = 73.15, with sd √(27·2/512)/ln10 = 0.14 decades → 5 sd
    assert res.max_abs[0, 26] ** 2 > FLOAT32_MAX
    assert abs(math.log10(res.preact_var[0, 26]) - 27 * math.log10(N)) < 5 * math.sqrt(27 * 2 / N) / math.log(10)


def test_small_weights_vanish():
    # std 0.01: per layer the entries shrink by √512·0.01 = 0.2263 (−0.645 decades). The max entry
    # (≈ 4σ, +0.6 decades) drops below float32's tiny 1.18e-38 (−37.93 decades) when
    # 0.645·l > 38.53, l > 59.7; the log-scale sd √(60·2/512)/ln10 = 0.21 decades is 0.33 layers,
    # so 5 sd allow layers 58–62.
    res = propagate(_linear_100(0.01), batch=64, backward=False)
    assert res.first_nonfinite_layer is None
    assert 58 <= res.first_vanished_layer <= 62
    v = res.first_vanished_layer
    assert res.max_abs[0, v - 1] < FLOAT32_TINY <= res.max_abs[0, v - 2]
    assert np.isnan(res.act_var[0, v:]).all()


def test_std_one_over_sqrt_n_holds_the_scale():
    # n s² = 1: E‖h_100‖² = ‖x‖² exactly. Per sample, ln(‖h_100‖/‖x‖) has mean ≈ −100/(2n) = −0.1 and
    # sd ½√(2·100/512) = 0.31, so 5 sd keep every sample's ratio within [e^{−1.66}, e^{1.46}].
    res = propagate(_linear_100(1 / math.sqrt(N)), batch=32, backward=False)
    assert res.first_nonfinite_layer is None and res.first_vanished_layer is None
    low, high = math.exp(-0.1 - 5 * 0.31), math.exp(-0.1 + 5 * 0.31)
    assert low < res.norm_ratio_p05[0, -1] <= res.norm_ratio_p95[0, -1] < high
    # the per-unit mean square has mean exactly 1 and relative variance (1 + 2/n)^100 − 1 = 0.477
    # (Hanin & Rolnick, linear): the mean of one network's samples is within 5 such sd of 1
    assert abs(res.msq_ratio[0, -1] - 1) < 5 * math.sqrt((1 + 2 / N) ** 100 - 1)


def test_he_keeps_the_variance_and_xavier_halves_it_per_layer():
    kwargs = dict(input_dim=N, widths=[N] * 30, activation="relu")
    he = propagate(Network.mlp(**kwargs, init="kaiming_normal", init_params={"nonlinearity": "relu"}),
                   batch=64, n_seeds=2, backward=False)
    xavier = propagate(Network.mlp(**kwargs, init="xavier_normal"), batch=64, n_seeds=2, backward=False)
    # Same seed, same inputs, same base draws: Xavier's W is He's times √(1/512)/√(2/512) = 1/√2,
    # and relu is positively homogeneous, so a^l(Xavier) = 2^{−l/2}·a^l(He) up to float32 rounding
    layers = np.arange(1, 31)
    np.testing.assert_allclose(xavier.msq_ratio / he.msq_ratio, np.broadcast_to(2.0 ** -layers, (2, 30)), rtol=1e-4)
    # He: per-unit mean square relative to the input has mean 1 and relative variance
    # (1 + 5/512)^30 − 1 = 0.34 per sample (Hanin & Rolnick); each network's sample mean is within
    # 5 such sd — and Xavier's is 2^-30 ≈ 1e-9 of that
    sd = math.sqrt((1 + 5 / N) ** 30 - 1)
    assert np.all(np.abs(he.msq_ratio[:, -1] - 1) < 5 * sd)
    assert np.all(np.abs(xavier.msq_ratio[:, -1] * 2 ** 30 - 1) < 5 * sd)


@pytest.mark.parametrize("activation,multiplier,kurtosis_term", [("tanh", 1 / 3, 2), ("relu", 1 / 6, 5)])
def test_pytorch_default_shrinks_the_signal(activation, multiplier, kurtosis_term):
    # nn.Linear's default weight U(±1/√n) has variance (1/√n)²/3 = 1/(3n): the linear-regime
    # multiplier n·s² is 1/3 (tanh, once the signal is small) and n·s²/2 = 1/6 for relu.
    # Bias zeros here: torch's own U(±1/√n) bias would add a floor σ_b² = 1/(3n).
    bound = 1 / math.sqrt(N)
    assert multiplier == pytest.approx(N * bound ** 2 / 3 / (1 if activation == "tanh" else 2))
    net = Network.mlp(input_dim=N, widths=[N] * 25, activation=activation, init="torch_default")
    res = propagate(net, batch=64, backward=False)
    per_layer = res.msq_ratio[0, 1:] / res.msq_ratio[0, :-1]
    ratios = per_layer[9:]  # layers 11–25: tanh is in its linear regime (q < 1e-4)
    # each ratio fluctuates with relative sd ≤ √(K/n) (K = 2 linear, 5 relu); the geometric mean
    # of 15 of them within 5·√(K/n)/√15
    geo = math.exp(np.log(ratios).mean())
    assert abs(geo / multiplier - 1) < 5 * math.sqrt(kurtosis_term / N) / math.sqrt(len(ratios))


@pytest.mark.parametrize("dtype,tol", [("float64", 1e-13), ("float32", 2e-6)])
def test_orthogonal_linear_net_keeps_every_norm(dtype, tol):
    # square orthogonal W: ‖Wh‖ = ‖h‖ for every h, so every ratio is 1 up to rounding
    # (50 layers of float rounding: ~50·√n·eps)
    net = Network.mlp(input_dim=128, widths=[128] * 50, activation="linear", init="orthogonal")
    res = propagate(net, batch=32, dtype=dtype)
    for name in ("norm_ratio", "norm_ratio_p05", "norm_ratio_p95", "layer_ratio", "layer_ratio_p05",
                 "layer_ratio_p95"):
        np.testing.assert_allclose(res.stats[name], 1.0, rtol=0, atol=tol, err_msg=name)
    # backward too: ∂L/∂a^{l−1} = ∂L/∂h^l·W_l keeps each sample's gradient norm, so the mean square
    # of the gradient entries is the same at every layer; the variance differs from it by the
    # squared mean of B·n = 4096 entries, ≲ 25/4096 = 6e-3 relative (5 sd of a χ²₁)
    np.testing.assert_allclose(res.grad_var[0] / res.grad_var[0, -1], 1.0, atol=1e-2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_constant_init_never_breaks_symmetry(dtype):
    net = Network.mlp(input_dim=64, widths=[64] * 6, activation="tanh", init="constant", init_params={"val": 0.05})
    res = propagate(net, batch=16, dtype=dtype)
    # forward: every unit of a layer computes the same function of the input
    assert np.all(res.unit_spread == 0.0)
    # backward: hidden-layer gradients are identical across units (∂L/∂a^{l−1} = c·Σ_i ∂L/∂h^l_i),
    # so the rows of every hidden ∂L/∂W_l are equal; only the output layer sees the probe's
    # per-unit differences
    assert np.all(res.grad_spread[0, :-1] == 0.0) and res.grad_spread[0, -1] > 0
    # std(W) = 0: the grad:data ratio is absent, not inf
    assert np.isnan(res.grad_ratio).all() and res.to_frame()["grad_ratio"].isna().all()


def test_zero_init_vanishes_at_the_first_layer():
    res = propagate(Network.mlp(input_dim=32, widths=[32] * 5, activation="relu", init="zeros"), batch=8)
    assert res.first_vanished_layer == 1 and res.first_nonfinite_layer is None
    assert res.unit_spread[0, 0] == 0.0 and np.isnan(res.grad_var).all()
