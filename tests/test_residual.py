"""Residual and normalised networks: the description, the presets' constants, and what propagation
measures on them (fixed seeds; each tolerance is derived in its test). Exactness against torch is
tests/test_residual_torch.py."""

import math

import numpy as np
import pytest

import initviz as iv
from initviz.engine.residual import block_backward, block_forward
from initviz.rng import stream


# --- presets: constants against their sources' formulas ------------------------------------------------

@pytest.mark.parametrize("L", [1, 6, 48, 1000])
@pytest.mark.parametrize("m", [1, 2])
def test_preset_constants_follow_their_formulas(L, m):
    expected = {  # (alpha, skip, weights) from the papers' formulas, written out here
        "none": (1.0, 1.0, [1.0] * m),
        "gpt2": (1.0, 1.0, [1.0] * (m - 1) + [(2 * L) ** -0.5]),
        "fixup": (1.0, 1.0, [L ** (-1 / (2 * m - 2))] * (m - 1) + [0.0]) if m >= 2 else None,
        "rezero": (0.0, 1.0, [1.0] * m),
        "deepnorm": (1.0, (2 * L) ** 0.25, [(8 * L) ** -0.25] * m),
        "t_fixup": (1.0, 1.0, [0.67 * L ** -0.25] * m),
        "depth_mup": (L ** -0.5, 1.0, [1.0] * m),
    }
    assert set(expected) == set(iv.PRESETS)
    for name, want in expected.items():
        if want is None:
            continue
        got = iv.PRESETS[name].scales(L, m)
        assert got.alpha == pytest.approx(want[0], rel=1e-15) and got.skip == pytest.approx(want[1], rel=1e-15)
        np.testing.assert_allclose(got.weights, want[2], rtol=1e-15)
        assert iv.PRESETS[name].help.count("—") == 1  # formula — source


@pytest.mark.parametrize("preset", ["gpt2", "fixup", "deepnorm", "t_fixup"])
def test_preset_multipliers_reach_the_weight_laws(preset):
    placement = "post" if preset == "deepnorm" else "pre"
    norm = "none" if preset in ("fixup", "t_fixup") else "layernorm"
    net = iv.Network.residual_net(32, 10, norm=norm, placement=placement, preset=preset, hidden=48)
    base = [iv.law("kaiming_normal", shape).std for shape in net.residual.shapes(32)]
    for block in (1, 10):
        for j, k in enumerate(net.block_layers(block)):
            assert net.weight_law(k).std == pytest.approx(base[j] * net.branch_scales.weights[j], rel=1e-12)


# --- the description ------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, argument", [
    ({"preset": "fixup", "norm": "layernorm"}, "norm"),
    ({"preset": "t_fixup", "norm": "rmsnorm"}, "norm"),
    ({"preset": "fixup", "norm": "none", "branch_depth": 1}, "branch_depth"),
    ({"preset": "deepnorm", "placement": "pre"}, "placement"),
    ({"norm": "none", "final_norm": True}, "final_norm"),
    ({"preset": "gpt3"}, "preset"),
    ({"placement": "sandwich"}, "placement"),
    ({"branch_depth": 3}, "branch_depth"),
    ({"branch_depth": True}, "branch_depth"),
    ({"norm": "batchnorm"}, "norm"),
    ({"branch_depth": 1, "hidden": 64}, "hidden"),
    ({"depth": 0}, "depth"),
    ({"final_norm": "yes"}, "final_norm"),
    ({"preset": {}}, "preset"),
    ({"placement": ["pre"]}, "placement"),
    ({"norm": {"layernorm": 1}}, "norm"),
    ({"hidden": 2.5}, "hidden"),
])
def test_invalid_residual_descriptions_name_their_argument(kwargs, argument):
    with pytest.raises(iv.InitvizError, match=f"Argument `{argument}`"):
        iv.Network.residual_net(**{"width": 16, "depth": 4, **kwargs})


def test_residual_widths_must_be_the_streams_and_the_description_round_trips():
    with pytest.raises(iv.InitvizError, match="Argument `widths`"):
        iv.Network(16, (16, 32), (("relu", None),) * 2, "kaiming_normal", residual={"preset": "gpt2"})
    with pytest.raises(iv.InitvizError, match="Argument `residual`"):
        iv.Network(16, (16,), (("relu", None),), "kaiming_normal", residual="pre")
    for hostile in (5, {"bogus": 1}, ["pre"], {"preset": None}):
        data = {**iv.Network.residual_net(16, 2).to_dict(), "residual": hostile}
        with pytest.raises(iv.InitvizError):
            iv.Network.from_dict(data)
    net = iv.Network.residual_net(16, 5, norm="rmsnorm", placement="post", preset="deepnorm", final_norm=True)
    assert iv.Network.from_dict(net.to_dict()) == net and hash(iv.Network.from_dict(net.to_dict())) == hash(net)
    assert net.residual.hidden == 16 and net.n_weights == 5 * 2 * 16 * 16 and "deepnorm" in net.describe()
    mlp = iv.Network.mlp(16, [16] * 3, norm="layernorm")
    assert iv.Network.from_dict(mlp.to_dict()) == mlp and mlp != iv.Network.mlp(16, [16] * 3)


def test_training_and_mean_field_refuse_what_they_do_not_model():
    net = iv.Network.mlp(8, [8, 3], "tanh", norm="layernorm")
    with pytest.raises(iv.InitvizError, match="Argument `net`"):
        iv.train(net, iv.tasks.get_task("mixture", n=40, classes=3, dim=8), steps=1)
    with pytest.raises(iv.InitvizError, match="Argument `net`"):
        iv.predict(net)
    for norm, preset in (("layernorm", "none"), ("none", "fixup")):
        with pytest.raises(iv.InitvizError, match="Argument `net`"):
            iv.predict(iv.Network.residual_net(8, 3, norm=norm, preset=preset))


# --- measured -------------------------------------------------------------------------------------

def _msq(net, **kw):
    return iv.propagate(net, batch=64, seed=1, dtype="float64", backward=False, histograms=(), n_seeds=4,
                        **kw).to_frame()


@pytest.mark.parametrize("L", [24, 48])
def test_pre_norm_stream_grows_linearly_without_scaling_and_stays_order_one_with_gpt2(L):
    """Pre-LN, relu branch of 2 He-initialised layers: u = LN(x) has unit mean square, h = uW_1ᵀ has
    variance 2, relu keeps E[a²] = 1, f = aW_2ᵀ has variance 2·1 = 2, and f is uncorrelated with x
    (W_2 is fresh and zero-mean), so q_l = q_{l−1} + 2α²c²: q_L = 1 + 2L without scaling and
    1 + 2L/(2L) = 2 with GPT-2's c = 1/√(2L). What the batch does not average out: relu's common
    mean vector m (E[relu]² = 1/π of E[relu²] = 1) meets the same W_2 in every sample, and
    ‖W_2 m‖²/‖m‖² fluctuates by √(2/n) ≈ 9 % at n = 256, so a block's branch variance by ~3 % (1σ),
    weighing most in the first blocks (q_1 = 1 + 2); over 4 seeds ~1.5 %, and 10 % is > 3σ
    (single-seed deviations up to 7.8 % were seen)."""
    plain = _msq(iv.Network.residual_net(256, L, preset="none"))
    gpt2 = _msq(iv.Network.residual_net(256, L, preset="gpt2"))
    blocks = np.arange(1, L + 1)
    np.testing.assert_allclose(plain.msq_ratio.to_numpy(float), 1 + 2 * blocks, rtol=0.1)
    np.testing.assert_allclose(gpt2.msq_ratio.to_numpy(float), 1 + blocks / L, rtol=0.1)


def test_post_norm_stream_is_renormalised_every_block():
    """Post-LN with unit-norm inputs (‖x_0‖ = √n): each row of x_l = LN(t) has mean 0 and mean square
    v/(v + ε) for its variance v, so ‖x_l‖/‖x_0‖ = √(v/(v + ε)) ∈ [1 − ε/(2v), 1]; here v ≥ 1
    (the skip alone carries a unit-variance row), so every block's ratio is within 1e-5 of 1."""
    frame = iv.propagate(iv.Network.residual_net(128, 40, placement="post"), batch=32, seed=2, dtype="float64",
                         inputs="unit_norm", histograms=()).to_frame()
    ratio = frame.norm_ratio.to_numpy(float)
    assert np.all(ratio <= 1.0 + 1e-12) and np.all(ratio >= 1.0 - 1e-5)
    np.testing.assert_allclose(frame.norm_ratio_p05.to_numpy(float), ratio, rtol=1e-5)


@pytest.mark.parametrize("norm, placement, m", [("layernorm", "pre", 2), ("rmsnorm", "post", 1), ("none", "pre", 2)])
def test_rezero_blocks_are_the_identity_at_init(norm, placement, m):
    """α = 0: x_l = x_{l−1} + 0·F exactly, and the vector–Jacobian product of every block returns its
    argument exactly (0·g adds nothing), so every block's Jacobian is I — exact by construction."""
    net = iv.Network.residual_net(48, 6, "tanh", norm=norm, placement=placement, preset="rezero", branch_depth=m)
    gen = stream(5, 0)
    for block in range(1, 7):
        params = [iv.engine.run.draw_layer(net, 5, 0, k, np.dtype("float64")) for k in net.block_layers(block)]
        x = gen.standard_normal((8, 48))
        values = block_forward(net, block, x, params)
        assert np.array_equal(values.y, x) if placement == "pre" else np.array_equal(values.y, iv.norms.normalise(norm, x))
        if placement == "pre":
            for _ in range(3):
                v = gen.standard_normal((8, 48))
                assert np.array_equal(block_backward(net, block, values, v)[0], v)
    if placement == "pre":
        res = iv.propagate(net, batch=16, seed=3, dtype="float64", histograms=())
        assert np.all(res.norm_ratio[0] == 1.0) and np.all(res.grad_act_var[0] == res.grad_act_var[0, 0])


def test_deepnorm_at_a_thousand_blocks_is_finite_forward_and_backward():
    net = iv.Network.residual_net(64, 1000, placement="post", preset="deepnorm")
    res = iv.propagate(net, batch=32, seed=4)
    assert res.first_nonfinite_layer is None and res.first_grad_nonfinite_layer is None
    assert res.first_grad_vanished_layer is None and res.layers_done[0] == 1000
    for name in ("act_var", "grad_act_var", "grad_w_var", "grad_w_out_var"):
        assert np.all(np.isfinite(res.stats[name][0])) and np.all(res.stats[name][0] > 0), name


def test_checkpointed_segments_give_the_numbers_of_one_segment():
    """A tiny store budget cuts the blocks into segments recomputed from their inputs: the same
    streams and the same operations, so the same numbers bit for bit."""
    net = iv.Network.residual_net(32, 9, "gelu", norm="layernorm", preset="gpt2", final_norm=True)
    whole = iv.propagate(net, batch=16, seed=6, dtype="float64")
    cut = iv.propagate(net, batch=16, seed=6, dtype="float64", budget=iv.Budget(store_bytes=40_000))
    for name in whole.stats:
        np.testing.assert_array_equal(whole.stats[name], cut.stats[name], err_msg=name)
    np.testing.assert_array_equal(whole.act_hist, cut.act_hist)


def test_histograms_cover_every_block_without_a_backward_pass():
    net = iv.Network.residual_net(32, 5, norm="rmsnorm", placement="post")
    res = iv.propagate(net, batch=16, backward=False)
    assert res.act_hist.shape == (5, 60) and np.all(res.act_hist.sum(axis=1) > 0)
    assert math.isnan(res.grad_outside[0])


def test_budgets_and_the_deadline_bound_residual_networks():
    """The weight budget counts the branch weights (m·L·n·hidden), the activation budget every weight
    layer's outputs; past the deadline a residual run returns what it has, as an MLP's does."""
    hosted = iv.Budget.hosted()
    with pytest.raises(iv.InitvizError, match="Argument `widths`"):
        iv.Network.residual_net(2048, 100, budget=hosted)  # 100·2·2048² = 2^29.6 > MAX_WEIGHTS = 2^27
    net = iv.Network.residual_net(256, 40, budget=hosted)  # 40·2·256² = 5.2M weights: allowed
    assert iv.propagation.cost(net, batch=64).activations == 64 * 40 * 2 * 256
    with pytest.raises(iv.InitvizError, match="Argument `batch`"):
        iv.propagate(net, batch=4096, budget=hosted)  # 4096·40·512 = 2^26.3 > MAX_ACTIVATIONS = 2^25
    res = iv.propagate(net, batch=16, deadline=0.0)
    assert res.truncated and "deadline" in res.reason and res.layers_done[0] < 40


@pytest.mark.parametrize("hidden", [8, 64])
def test_histograms_bin_every_block_whatever_the_hidden_width(hidden):
    """∂L/∂h of a block has B·hidden values: each block's gradient histogram counts that many (or
    its strided subsample), narrower or wider than the stream."""
    net = iv.Network.residual_net(32, 4, hidden=hidden)
    res = iv.propagate(net, batch=16, seed=1)
    counts = res.grad_hist.sum(axis=1) / (1 - res.grad_outside)
    np.testing.assert_allclose(counts, res.grad_hist_values)
    assert res.grad_hist_values == 16 * min(hidden, 32)


def test_without_weight_gradients_the_other_statistics_are_unchanged():
    """weight_grad=False skips the ∂L/∂W products only: the same operations give every other
    statistic bit for bit, and the weight-gradient columns are absent."""
    net = iv.Network.residual_net(32, 6, "tanh", norm="rmsnorm", placement="post", branch_depth=1)
    full = iv.propagate(net, batch=16, seed=5, dtype="float64")
    lean = iv.propagate(net, batch=16, seed=5, dtype="float64", weight_grad=False)
    for name in ("grad_w_var", "grad_w_out_var", "grad_ratio"):
        assert np.isnan(lean.stats[name]).all() and np.isfinite(full.stats[name]).all()
    for name in ("grad_act_var", "grad_var", "grad_spread", "act_var"):
        np.testing.assert_array_equal(lean.stats[name], full.stats[name], err_msg=name)
