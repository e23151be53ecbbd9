"""The residual networks' mean-field recursion (initviz.residual_theory): its closed forms, where
it is exact, and its agreement with propagate's measurement (fixed seeds, tolerances stated)."""

import numpy as np
import pytest

import initviz as iv
from initviz.residual_theory import RESIDUAL_PREDICTION_COLUMNS, predict_residual

EPS_LN = 1e-5


def test_pre_norm_recursion_is_linear_in_depth_and_gpt2_makes_it_order_one():
    """Pre-LN, relu, He-initialised two-layer branch, no bias: u = LN(x) has second moment
    v/(v + ε), so q_l = q_{l−1} + 2·v/(v + ε) (σ_1² = σ_2² = 2, E[relu(h)²] = q_h/2): 1 + 2l up to
    ε/v ≤ 1e-5 relative per block; with GPT-2's 1/√(2L) on W_2, 1 + l/L."""
    L = 30
    blocks = np.arange(1, L + 1)
    plain = predict_residual(iv.Network.residual_net(64, L))
    gpt2 = predict_residual(iv.Network.residual_net(64, L, preset="gpt2"))
    np.testing.assert_allclose(plain.msq_ratio, 1 + 2 * blocks, rtol=1e-5)
    np.testing.assert_allclose(gpt2.msq_ratio, 1 + blocks / L, rtol=1e-5)
    np.testing.assert_allclose(plain.branch_var, 2.0, rtol=1e-5)


def test_post_norm_holds_the_stream_and_rezero_is_exactly_the_identity():
    post = predict_residual(iv.Network.residual_net(64, 20, placement="post", preset="deepnorm"))
    v = post.act_m2  # LN's output second moment v/(v + ε) with v ≥ 1
    assert np.all(v <= 1.0) and np.all(v >= 1.0 - EPS_LN)
    rezero = predict_residual(iv.Network.residual_net(64, 20, "tanh", norm="none", preset="rezero"), batch=8)
    assert np.all(rezero.msq_ratio == 1.0) and np.all(rezero.grad_act_var == 1.0)
    assert np.all(rezero.grad_var == 0.0) and np.all(rezero.branch_var == 0.0)


def test_pre_ln_last_block_gradient_shrinks_like_one_over_depth_and_post_ln_does_not():
    """Xiong et al. 2020: with a final LN, pre-LN's last branch sees the probe's gradient divided by
    the stream's variance 1 + 2L (so ‖∂L/∂W‖ ∝ 1/√L), post-LN's is the same at every depth. The
    theory says so to rounding, and the measurement agrees within 15 % (4 seeds, n = 256, B = 64:
    the last block's ∂L/∂W variance fluctuates by ~5–12 % between seeds, measured)."""
    last = {}
    for placement in ("pre", "post"):
        for L in (12, 48):
            net = iv.Network.residual_net(256, L, placement=placement, final_norm=True)
            measured = iv.propagate(net, batch=64, seed=0, dtype="float64", histograms=(), n_seeds=4)
            last[placement, L] = (predict_residual(net, batch=64).grad_w_out_var[-1],
                                  measured.over_seeds("grad_w_out_var")[-1])
    for k, rel in ((0, 1e-4), (1, 0.15)):  # theory (ε/v ≤ 1e-5 per block), measurement
        assert last["pre", 48][k] / last["pre", 12][k] == pytest.approx((1 + 2 * 12) / (1 + 2 * 48), rel=rel)
        assert last["post", 48][k] / last["post", 12][k] == pytest.approx(1.0, rel=rel)


@pytest.mark.parametrize("kwargs", [
    {"preset": "none"},
    {"preset": "gpt2", "final_norm": True},
    {"placement": "post", "preset": "deepnorm"},
    {"norm": "none", "preset": "t_fixup", "activation": "tanh", "init": "xavier_normal"},
    {"norm": "rmsnorm", "preset": "depth_mup", "branch_depth": 1, "activation": "tanh"},
    {"norm": "none", "preset": "fixup", "bias": "normal", "bias_value": 0.1},
], ids=lambda kw: kw["preset"])
def test_theory_matches_the_measurement(kwargs):
    """n = 512, 16 blocks, B = 64, 4 seeds, float64. A block's sample statistics fluctuate over
    weight draws by about √(2/n) ≈ 6 % relative (a random matrix's gain on a batch), and
    the stream carries them on; averaged over 4 seeds, 10 % holds every column (the largest
    deviation measured was 6.6 %, the branch's last-layer gradient without scaling)."""
    net = iv.Network.residual_net(512, 16, **kwargs)
    measured = iv.propagate(net, batch=64, seed=0, dtype="float64", histograms=(), n_seeds=4)
    theory = predict_residual(net, batch=64)
    for name in RESIDUAL_PREDICTION_COLUMNS:
        if name in ("act_mean", "act_m2"):
            continue  # the stream's mean is 0 in theory here (sampling noise measured); act_m2 is not measured
        want = getattr(theory, name)
        atol = 1e-12 * np.abs(want).max()  # Fixup's zero last layer: the branch gradient is 0 on both sides
        np.testing.assert_allclose(measured.over_seeds(name), want, rtol=0.1, atol=atol, err_msg=name)


def test_predict_residual_validates_its_arguments():
    with pytest.raises(iv.InitvizError, match="Argument `net`"):
        predict_residual(iv.Network.mlp(8, [8]))
    with pytest.raises(iv.InitvizError, match="Argument `input_var`"):
        predict_residual(iv.Network.residual_net(8, 2), input_var=-1.0)
    with pytest.raises(iv.InitvizError, match="Argument `batch`"):
        predict_residual(iv.Network.residual_net(8, 2), batch=0)
    frame = predict_residual(iv.Network.residual_net(8, 3)).to_frame()
    assert list(frame.columns) == ["layer", *RESIDUAL_PREDICTION_COLUMNS] and len(frame) == 3


@pytest.mark.parametrize("kwargs, applies", [
    (dict(init="xavier_normal"), True), (dict(init="orthogonal"), True),
    (dict(init="kaiming_normal", norm="none", preset="fixup"), True),  # its zero last layer is exact, not a fault
    (dict(init="zeros"), True),  # every branch 0: the identity, exactly
    (dict(init="constant"), False), (dict(init="ones"), False), (dict(init="eye"), False),
    (dict(init="normal", init_params={"mean": 0.5}), False),
])
def test_the_recursion_applies_to_zero_mean_random_branches_and_says_why_not_elsewhere(kwargs, applies):
    from initviz.residual_theory import residual_mean_field_applies

    reason = residual_mean_field_applies(iv.Network.residual_net(16, 3, **kwargs))
    assert (reason is None) == applies
    if not applies:
        assert "branch layer 1" in reason and "not random with mean 0" in reason
    with pytest.raises(iv.InitvizError):
        residual_mean_field_applies(iv.Network.mlp(16, [16] * 3))
