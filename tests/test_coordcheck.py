"""The μP coordinate check (initviz.coordcheck): its frame, determinism and limits, and the physics —
flat in width under μP, growing under SP, the deliberate mistakes visible.

**Tolerances.** Every statistic is averaged over k seeds at each width; r_w = sd_w/(mean_w·√k) is the
relative standard error of that mean. If the true curve is flat, log mean_w = log μ + e_w with
|e_w| ≲ r_w, so the spread max/min of the means stays below exp(Z·√2·r_max) (the difference of two
such errors), and the least-squares slope of log mean against log width (the *exponent*) has standard
error r_max/√Σ(ln w − mean ln w)². Z = 4: a two-sided normal tail of 6e-5, Bonferroni-safe over the
few hundred (cell, width) comparisons here. Finite-width corrections (O(1/n) in μP's limit) are below
these bounds at widths ≥ 128 (the μP tests check exactly that). "Not flat" means beyond the same bound.
"""

import functools
import math

import numpy as np
import pandas as pd
import pytest

import initviz as iv
from initviz import coordcheck

Z = 4.0
WIDTHS = (128, 256, 512, 1024, 2048)  # the 2^7 … 2^11
SMALL = (128, 256, 512, 1024)
SEEDS = 4


@functools.lru_cache(maxsize=None)
def _frame(widths=WIDTHS, **kw):
    return iv.coord_check(widths=list(widths), steps=3, n_seeds=SEEDS, dtype="float64", **kw)


def _cell(frame, step, layer, statistic):
    """(spread, exponent, flat spread bound, exponent standard error) of one cell (module docstring)."""
    rows = frame[(frame.step == step) & (frame.layer == layer) & (frame.statistic == statistic)]
    g = rows.groupby("width")["value"]
    mean, sd, k = g.mean(), g.std(ddof=1), g.count()
    r_max = float((sd / (mean * np.sqrt(k))).max())
    logw = np.log(mean.index.to_numpy(float))
    spread_row = iv.coord_spread(rows).iloc[0]
    return (spread_row.spread, spread_row.exponent, math.exp(Z * math.sqrt(2) * r_max),
            r_max / math.sqrt(((logw - logw.mean()) ** 2).sum()))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_mup_input_and_hidden_coordinates_are_flat_in_width(optimizer):
    frame = _frame(preset="mup", optimizer=optimizer)
    for layer in ("input", "hidden 1"):
        for step in (1, 2, 3):
            for stat in ("mean_abs", "rms") + (("delta_rms",) if step > 1 else ()):
                spread, exponent, bound, se = _cell(frame, step, layer, stat)
                assert spread <= bound, (layer, step, stat, spread, bound)
                assert abs(exponent) <= Z * se, (layer, step, stat, exponent, se)
        # the zero readout passes no gradient back at the first update: the first change is exactly 0
        first = frame[(frame.step == 1) & (frame.layer == layer) & (frame.statistic == "delta_rms")]
        assert (first.value == 0).all()


def test_sp_sgd_updates_grow_like_width_at_the_output_and_slower_in_the_hidden_layer():
    # One SGD step under SP (Tensor Programs V §5): Δlogits = η·δ_L·‖a‖² grows like n (exponent 1);
    # a hidden layer's change grows like √n (½) in the limit, less at finite width where tanh saturates.
    frame = _frame(preset="sp", optimizer="sgd")
    out_spread, out_exp, bound, out_se = _cell(frame, 1, "output", "delta_rms")
    hid_spread, hid_exp, hid_bound, hid_se = _cell(frame, 1, "hidden 1", "delta_rms")
    assert out_spread > bound and hid_spread > hid_bound
    assert abs(out_exp - 1.0) <= 0.1  # ±0.1: the tanh layers' O(1/√n) saturation, measured ≈ 0.95
    assert Z * hid_se < hid_exp <= 0.5 + Z * hid_se and hid_exp < out_exp - Z * out_se


def test_sp_adam_spread_grows_with_the_step():
    frame = _frame(preset="sp", optimizer="adam")
    spreads = [_cell(frame, t, "hidden 1", "mean_abs") for t in (1, 2, 3)]
    assert spreads[0][0] < spreads[1][0] < spreads[2][0] and spreads[2][0] > spreads[2][2]


def test_readout_not_zeroed_shows_a_shrinking_output_at_init():
    # μP's drawn readout: W_eff = α·√m·W, var ∝ 1/(n·m), so mean|logits| ∝ m^{-1/2} exactly at init
    frame = _frame(SMALL, preset="mup", optimizer="sgd", readout_zero=False)
    spread, exponent, bound, se = _cell(frame, 0, "output", "mean_abs")
    assert spread > bound and abs(exponent + 0.5) <= Z * se


def test_mup_init_with_sp_learning_rates_shrinks_the_input_update_like_width_squared():
    # SGD at η instead of η·m on the input layer (1/m) and on the readout (1/m, which scales δ¹ at the
    # next step): the input layer's change at step 2 is 1/m² of μP's, which is flat
    frame = _frame(SMALL, preset="mup", optimizer="sgd", learning_rates="sp")
    spread, exponent, bound, se = _cell(frame, 2, "input", "delta_rms")
    assert spread > bound and abs(exponent + 2.0) <= Z * se + 0.05  # + the μP curve's own |exponent| bound


def test_adam_with_coupled_weight_decay_passes_on_mean_abs_but_not_on_the_change():
    # mup PR #73: MuAdam with (coupled, L2) weight decay looks flat on mean |x|; the L2 term λ·m·W is
    # normalised with the gradient, so the hidden layer moves along −sign(W) by η/m: ‖Δx‖ is not flat
    frame = _frame(SMALL, preset="mup", optimizer="adam", weight_decay=0.1)
    spread, _, bound, _ = _cell(frame, 3, "hidden 1", "mean_abs")
    assert spread <= bound
    spread, exponent, bound, se = _cell(frame, 3, "hidden 1", "delta_rms")
    assert spread > bound and exponent < -Z * se
    decoupled = _frame(SMALL, preset="mup", optimizer="adamw", weight_decay=0.1)
    spread, _, bound, _ = _cell(decoupled, 3, "hidden 1", "delta_rms")
    assert spread <= bound  # AdamW with mup's λ/s keeps η·λ: flat


def test_frame_shape_labels_and_step_zero():
    frame = iv.coord_check("sp", "sgd", widths=[64, 96], steps=2, n_seeds=2, depth=4, dtype="float64",
                           task=iv.tasks.get_task("mixture", n=80, classes=3, dim=8), batch=16)
    assert list(frame.columns) == ["width", "step", "layer", "layer_index", "statistic", "value", "seed"]
    assert len(frame) == 2 * 2 * 3 * 4 * 3
    assert list(dict.fromkeys(frame.layer)) == ["input", "hidden 1", "hidden 2", "output"]
    assert (frame[(frame.step == 0) & (frame.statistic == "delta_rms")].value == 0).all()
    rows = frame.set_index(["width", "seed", "step", "layer_index", "statistic"]).value
    for key in [(64, 0, 1, 2), (96, 1, 2, 4)]:
        assert rows[key + ("rms",)] >= rows[key + ("mean_abs",)] > 0  # rms ≥ mean |x| (Jensen)
    assert frame.attrs["preset"] == "sp" and frame.attrs["lr"] == 0.1


def test_the_network_at_step_zero_is_train_s_network_and_its_statistics():
    task = iv.tasks.get_task("mixture", n=80, classes=3, dim=8)
    frame = iv.coord_check("sp", "sgd", widths=[32, 48], steps=1, n_seeds=1, task=task, batch=16, seed=3,
                           dtype="float64")
    net = coordcheck.width_family(task, 48)
    W = [w for w, _ in iv.training._initial_params(net, 3, 0, np.dtype("float64"), False)]
    x = task.x_train[coordcheck.fixed_batch(task, 16, 3)]
    h1 = x @ W[0].T
    got = frame.set_index(["width", "step", "layer_index", "statistic"]).value
    assert got[(48, 0, 1, "mean_abs")] == pytest.approx(np.abs(h1).mean(), rel=1e-12)
    assert got[(48, 0, 1, "rms")] == pytest.approx(np.sqrt((h1 ** 2).mean()), rel=1e-12)


def test_deterministic_and_width_by_width():
    a = iv.coord_check(widths=[128, 256], steps=2, n_seeds=2, seed=4)
    b = iv.coord_check(widths=[128, 256], steps=2, n_seeds=2, seed=4)
    pd.testing.assert_frame_equal(a, b)
    c = iv.coord_check(widths=[256, 512], steps=2, n_seeds=2, seed=4)
    np.testing.assert_array_equal(a[a.width == 256].value.to_numpy(), c[c.width == 256].value.to_numpy())
    d = iv.coord_check(widths=[128, 256], steps=2, n_seeds=2, seed=5)
    assert not np.array_equal(a.value.to_numpy(), d.value.to_numpy())


def test_default_widths_are_mups_within_the_limits():
    task = iv.tasks.get_task("mixture", n=80, classes=3, dim=8)
    work = coordcheck.coord_work([8 * 128 + 128 * 128 + 128 * 3, 8 * 256 + 256 * 256 + 256 * 3], 1, 1, 16)
    frame = iv.coord_check(steps=1, n_seeds=1, task=task, batch=16, max_work=work)
    assert sorted(frame.width.unique()) == [128, 256]
    family = coordcheck.WidthFamily()
    assert all(w <= iv.limits.MAX_WIDTH for w in coordcheck._widths(None, task, family, 1, 1, 16, 2 ** 62))
    with pytest.raises(iv.InitvizError):
        iv.coord_check(widths=[128, 256, 512], steps=1, n_seeds=1, task=task, batch=16, max_work=work)


@pytest.mark.parametrize("bad", [dict(widths=[128]), dict(widths=[128, 10 ** 6]), dict(widths="ab"),
                                 dict(steps=0), dict(steps=10 ** 6), dict(n_seeds=0), dict(lr=-1.0),
                                 dict(lr=math.inf), dict(seed=-1), dict(batch=0), dict(task="nope"),
                                 dict(task=3), dict(preset="xp"), dict(depth=1), dict(weight_decay=-0.1),
                                 dict(max_work=1), dict(depth="3"), dict(batch="x"), dict(n_seeds=1.5),
                                 dict(activation="nope"), dict(dtype="int8"), dict(output_mult=math.inf)])
def test_invalid_arguments_are_refused(bad):
    with pytest.raises(iv.InitvizError):
        iv.coord_check(**({"widths": [64, 128], "steps": 1, "n_seeds": 1} | bad))


def test_ntk_is_lazy_its_features_move_like_one_over_root_width():
    # NTK parametrisation (Tensor Programs IV): the output moves by O(1) (flat), every feature layer by
    # O(1/√n) — the kernel regime, where hidden representations do not learn in the limit
    frame = _frame(SMALL, preset="ntk", optimizer="sgd")
    for step in (1, 3):
        spread, _, bound, _ = _cell(frame, step, "output", "delta_rms")
        assert spread <= bound
        for layer in ("input", "hidden 1"):
            spread, exponent, bound, se = _cell(frame, step, layer, "delta_rms")
            assert spread > bound and abs(exponent + 0.5) <= Z * se, (step, layer, exponent, se)


# --- residual families (arch "pre" / "post"): input layer, 2 blocks of Linear(n, 2n) → tanh → Linear(2n, n), readout


@pytest.mark.parametrize("arch,optimizer", [("pre", "sgd"), ("pre", "adam"), ("post", "adam")])
def test_mup_residual_branch_coordinates_are_flat_in_width(arch, optimizer):
    # the same bound as the MLP's (module docstring), on every branch layer of both blocks
    frame = _frame(SMALL, preset="mup", optimizer=optimizer, arch=arch, depth=2)
    hidden = ["block 1 W_1", "block 1 W_2", "block 2 W_1", "block 2 W_2"]
    assert list(dict.fromkeys(frame.layer)) == ["input", *hidden, "output"]
    for layer in ["input", *hidden]:
        for step in (1, 2, 3):
            for stat in ("mean_abs", "rms") + (("delta_rms",) if step > 1 else ()):
                spread, exponent, bound, se = _cell(frame, step, layer, stat)
                assert spread <= bound, (layer, step, stat, spread, bound)
                assert abs(exponent) <= Z * se, (layer, step, stat, exponent, se)


@pytest.mark.parametrize("arch", ["pre", "post"])
def test_sp_adam_residual_branch_spread_grows_with_the_step(arch):
    # SP Adam moves every weight by ~η whatever the width, so a branch layer's output moves by ~η·fan_in:
    # its spread over widths grows with t, beyond the flat bound by t = 3
    frame = _frame(SMALL, preset="sp", optimizer="adam", arch=arch, depth=2)
    for layer in ("block 1 W_2", "block 2 W_2"):  # the branches' second layers (fan_in 2n)
        spreads = [_cell(frame, t, layer, "mean_abs") for t in (1, 2, 3)]
        assert spreads[0][0] < spreads[1][0] < spreads[2][0] and spreads[2][0] > spreads[2][2], (layer, spreads)


def test_residual_step_zero_is_the_networks_linear_outputs():
    task = iv.tasks.get_task("mixture", n=80, classes=3, dim=8)
    frame = iv.coord_check("sp", "sgd", widths=[32, 48], steps=1, n_seeds=1, task=task, batch=16, seed=3,
                           dtype="float64", arch="pre", depth=1, norm="rmsnorm")
    assert list(dict.fromkeys(frame.layer)) == ["input", "block 1 W_1", "block 1 W_2", "output"]
    family = coordcheck.WidthFamily("pre", 1, norm="rmsnorm")
    net = family.network(task, 48)
    assert net.residual.hidden == coordcheck.BRANCH_HIDDEN * 48
    W = [w for w, _ in iv.training._initial_params(net, 3, 0, np.dtype("float64"), False)]
    assert family.weights(task, 48) == sum(w.size for w in W)
    x0 = task.x_train[coordcheck.fixed_batch(task, 16, 3)] @ W[0].T
    u = x0 / np.sqrt((x0 ** 2).mean(axis=1, keepdims=True) + np.finfo(np.float64).eps)  # RMSNorm, torch's eps
    h = u @ W[1].T
    got = frame.set_index(["width", "step", "layer", "statistic"]).value
    assert got[(48, 0, "input", "mean_abs")] == pytest.approx(np.abs(x0).mean(), rel=1e-12)
    assert got[(48, 0, "block 1 W_1", "rms")] == pytest.approx(np.sqrt((h ** 2).mean()), rel=1e-12)
    f = np.tanh(h) @ W[2].T
    assert got[(48, 0, "block 1 W_2", "mean_abs")] == pytest.approx(np.abs(f).mean(), rel=1e-12)
    one = iv.coord_check("sp", "sgd", widths=[32, 48], steps=1, n_seeds=1, task=task, batch=16, arch="post",
                         depth=3, branch_depth=1)
    assert list(dict.fromkeys(one.layer)) == ["input", "block 1 W_1", "block 2 W_1", "block 3 W_1", "output"]
    assert one.attrs["arch"] == "post"


@pytest.mark.parametrize("bad", [dict(arch="resnet"), dict(arch="pre", depth=0), dict(arch="pre", norm="batch"),
                                 dict(arch="pre", branch_depth=3), dict(arch="pre", block_preset="nope"),
                                 dict(arch="pre", block_preset="deepnorm"), dict(arch="pre", block_preset="fixup"),
                                 dict(arch="post", branch_depth="2"), dict(arch=["pre"])])
def test_invalid_residual_families_are_refused(bad):
    with pytest.raises(iv.InitvizError):
        iv.coord_check(**({"widths": [64, 128], "steps": 1, "n_seeds": 1} | bad))


def test_residual_work_counts_every_branch_layer():
    # by hand: d·n + L·(n·2n + 2n·n) + n·k weights (digits: d = 64, k = 10; 2 blocks, n = 128)
    task = iv.tasks.get_task("digits")
    weights = [64 * n + 2 * (n * 2 * n + 2 * n * n) + n * 10 for n in (128, 256)]
    work = coordcheck.coord_work(weights, 1, 1, 16)
    kwargs = dict(widths=[128, 256], steps=1, n_seeds=1, batch=16, arch="pre", depth=2)
    assert len(iv.coord_check(**kwargs, max_work=work))
    with pytest.raises(iv.InitvizError):
        iv.coord_check(**kwargs, max_work=work - 1)
