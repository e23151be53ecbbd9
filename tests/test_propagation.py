"""propagate: statistics against a plain re-implementation, seeded streams, faults, deadline,
checkpointing, histograms, inputs, budgets."""

import math
import pickle

import numpy as np
import pandas as pd
import pytest

import initviz as iv
from initviz import InitvizError, limits, propagation
from initviz.engine import histograms
from initviz.engine.run import Run, times_transpose
from initviz.limits import Budget
from initviz.network import Network
from initviz.propagation import BACKWARD_STATS, FORWARD_STATS, propagate
from initviz.rng import stream
from fp_bounds import gamma, moments_error


def _reference(net, batch, seed, dtype=np.float64):
    """Forward and backward by hand (float64 statistics, numpy's own var/norm/percentile)."""
    x = stream(seed, 0, 0, 0).standard_normal((batch, net.input_dim), dtype=dtype)
    a, acts, pres, Ws = x, [x], [], []
    for layer in range(1, net.depth + 1):
        W = net.weight_law(layer).sample(net.shapes[layer - 1], stream(seed, 0, 1, layer), dtype)
        bl = net.bias_law(layer)
        b = 0 if bl is None else bl.sample((net.widths[layer - 1],), stream(seed, 0, 2, layer), dtype)
        z = a @ W.T
        h = z + b
        gain = np.linalg.norm(z, axis=1) / np.linalg.norm(a, axis=1)
        a = net.activation(layer)(h)
        pres.append((h, gain))
        acts.append(a)
        Ws.append(W)
    g = stream(seed, 0, 3, 0).standard_normal((batch, net.widths[-1]), dtype=dtype)
    grads = [None] * net.depth
    for layer in range(net.depth, 0, -1):
        h = pres[layer - 1][0]
        delta = g * net.activation(layer).derivative(h)
        dW = delta.T @ acts[layer - 1]
        grads[layer - 1] = (g, delta, dW)
        g = delta @ Ws[layer - 1]
    return x, acts[1:], pres, Ws, grads


@pytest.fixture(scope="module")
def small():
    net = Network.mlp(input_dim=24, widths=[32, 16, 20], activation="tanh", init="xavier_normal",
                      bias="normal", bias_value=0.1, layer_activations={2: "relu"})
    return net, propagate(net, batch=40, seed=3, dtype="float64", bins=20)


def test_forward_statistics_match_a_plain_implementation(small):
    net, res = small
    x, acts, pres, Ws, _ = _reference(net, 40, 3)
    x_norm = np.linalg.norm(x, axis=1)
    for i in range(net.depth):
        h, gain = pres[i]
        a = acts[i]
        assert res.preact_mean[0, i] == pytest.approx(h.mean(), abs=1e-12)
        assert res.preact_var[0, i] == pytest.approx(h.var(), rel=1e-10)
        assert res.act_var[0, i] == pytest.approx(a.var(), rel=1e-10)
        ratio = np.linalg.norm(a, axis=1) / x_norm
        assert res.norm_ratio[0, i] == pytest.approx(ratio.mean(), rel=1e-10)
        assert res.norm_ratio_p05[0, i] == pytest.approx(np.percentile(ratio, 5), rel=1e-10)
        assert res.norm_ratio_p95[0, i] == pytest.approx(np.percentile(ratio, 95), rel=1e-10)
        assert res.layer_ratio[0, i] == pytest.approx(gain.mean(), rel=1e-10)
        msq = ratio ** 2 * net.input_dim / net.widths[i]
        assert (res.msq_ratio[0, i], res.msq_ratio_var[0, i]) == pytest.approx((msq.mean(), msq.var()), rel=1e-10)
        assert res.weight_std[0, i] == pytest.approx(Ws[i].std(), rel=1e-10)
        assert res.max_abs[0, i] == pytest.approx(np.abs(a).max(), rel=1e-12)
        cos = [h[k] @ h[k + 1] / np.linalg.norm(h[k]) / np.linalg.norm(h[k + 1]) for k in range(0, 40, 2)]
        assert res.corr[0, i] == pytest.approx(np.mean(cos), rel=1e-10)
    # tanh layers: saturation within 1 % of the range; relu layer: dead units
    assert res.saturated[0, 0] == pytest.approx(np.mean(np.abs(acts[0]) >= 0.98))
    assert np.isnan(res.saturated[0, 1]) and np.isnan(res.dead[0, 0])
    assert res.dead[0, 1] == pytest.approx(np.mean(~(acts[1] > 0).any(axis=0)))


def test_backward_statistics_match_a_plain_implementation(small):
    net, res = small
    *_, Ws, grads = _reference(net, 40, 3)
    for i, (grad_a, delta, dW) in enumerate(grads):
        assert res.grad_act_var[0, i] == pytest.approx(grad_a.var(), rel=1e-10)
        assert res.grad_var[0, i] == pytest.approx(delta.var(), rel=1e-10)
        assert res.grad_w_var[0, i] == pytest.approx(dW.var(), rel=1e-10)
        assert res.grad_ratio[0, i] == pytest.approx(dW.std() / Ws[i].std(), rel=1e-10)
    assert res.loss.startswith("L = sum_b <g_b, a^L_b>")


def test_issue_public_api_and_frame():
    net = iv.Network.mlp(input_dim=64, widths=[64] * 6, activation="relu", init="kaiming_normal",
                         init_params={"nonlinearity": "relu"})
    res = iv.propagate(net, batch=32, seed=0, dtype="float32", n_seeds=3)
    frame = res.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 6 and frame["layer"].tolist() == list(range(1, 7))
    for column in ("layer", "preact_var", "act_var", "norm_ratio", "grad_var", "norm_ratio_p05", "norm_ratio_p95",
                   "norm_ratio_lo", "norm_ratio_hi", "grad_w_var", "grad_ratio", "corr", "dead", "unit_spread"):
        assert column in frame.columns
    assert res.first_nonfinite_layer is None and res.first_vanished_layer is None
    assert (frame["norm_ratio_lo"] <= frame["norm_ratio"]).all() and (frame["norm_ratio"] <= frame["norm_ratio_hi"]).all()
    np.testing.assert_allclose(frame["preact_var"].to_numpy(dtype=float), res.preact_var.mean(axis=0))
    # pooled over repeats: the variance of all 3·32 per-sample values, from per-repeat moments
    all_msq_var = res.msq_ratio_var.mean(axis=0) + res.msq_ratio.var(axis=0)
    np.testing.assert_allclose(frame["msq_ratio_var"].to_numpy(dtype=float), all_msq_var)
    np.testing.assert_allclose(frame["msq_ratio_relvar"].to_numpy(dtype=float),
                               all_msq_var / res.msq_ratio.mean(axis=0) ** 2)
    assert frame["saturated"].isna().all()  # relu has no rails: absent, shown as NA
    again = pickle.loads(pickle.dumps(res))
    np.testing.assert_array_equal(again.grad_var, res.grad_var)


def test_streams_adding_a_layer_keeps_earlier_layers_and_inputs_are_shared():
    short = Network.mlp(input_dim=32, widths=[32] * 4, activation="tanh", init="kaiming_normal")
    longer = Network.mlp(input_dim=32, widths=[32] * 5, activation="tanh", init="kaiming_normal")
    a, b = propagate(short, batch=16, seed=7, backward=False), propagate(longer, batch=16, seed=7, backward=False)
    for name in FORWARD_STATS:
        np.testing.assert_array_equal(a.stats[name], b.stats[name][:, :4])
    # a different scheme of the same base distribution sees the same inputs and proportional
    # weights: layer 1 pre-activation variances are in the ratio of the weight variances
    xav = Network.mlp(input_dim=32, widths=[32] * 4, activation="tanh", init="xavier_normal")
    c = propagate(xav, batch=16, seed=7, backward=False)
    assert c.input_corr_measured[0] == a.input_corr_measured[0]
    expected = xav.weight_law(1).var / short.weight_law(1).var
    # two GEMMs, not one: h = x Wᵀ with W = fl(σ·z) in float32 (z the shared base draw) is within
    # γ_{n+3}·σ(|x||z|ᵀ) of σ·x zᵀ entrywise (n = 32 products, σ and σ·z rounded, a scaled copy in the
    # statistic; tests/fp_bounds.py), whose variances are exactly in the ratio of the σ²; each
    # variance's bound (fp_bounds.moments_error) relative to it, the two added: ≤ 3e-5 here
    x = stream(7, 0, 0, 0).standard_normal((16, 32), dtype=np.float32).astype(np.float64)
    z = short.weight_law(1).base((32, 32), stream(7, 0, 1, 1), "float32").astype(np.float64)
    rel = []
    for net in (short, xav):
        s = net.weight_law(1).scale
        h, err = s * (x @ z.T), (gamma(32 + 3, np.float32) + gamma(32, np.float64)) * s * (np.abs(x) @ np.abs(z).T)
        rel.append(moments_error(h, err, np.float32)[1] / h.var())
    bound = (rel[0] + rel[1]) / (1 - rel[0]) + 8 * 2.0 ** -53
    assert bound < 1e-3  # a wrong variance rule is a factor, e.g. 2 between Xavier and He
    assert abs(c.preact_var[0, 0] / a.preact_var[0, 0] / expected - 1) <= bound
    # and the whole call is deterministic
    np.testing.assert_array_equal(propagate(short, batch=16, seed=7).grad_var,
                                  propagate(short, batch=16, seed=7).grad_var)


def test_checkpointed_backward_equals_stored_backward():
    net = Network.mlp(input_dim=48, widths=[48] * 9, activation="gelu", init="orthogonal", bias="normal",
                      bias_value=0.1)
    full = propagate(net, batch=24, seed=1, n_seeds=2)
    per_layer = 4 * (48 * 48 + 24 * 48)
    budget = Budget(store_bytes=2 * per_layer)  # segments of 2 layers
    run = Run(net, 24, 1, np.dtype("float32"), 2, "normal", 0.5, True, True, 60, None, budget.store_bytes)
    assert len(run.segments) == 5
    chunked = propagate(net, batch=24, seed=1, n_seeds=2, budget=budget)
    for name in FORWARD_STATS + BACKWARD_STATS:
        np.testing.assert_array_equal(full.stats[name], chunked.stats[name], err_msg=name)
    np.testing.assert_array_equal(full.act_hist, chunked.act_hist)


@pytest.mark.parametrize("activation", ["linear", "tanh"])
@pytest.mark.parametrize(("backward", "store_bytes"), [(True, None), (True, 1), (False, None)])
def test_products_reused_between_runs_change_no_number(activation, backward, store_bytes, monkeypatch):
    """The forward products come from arrays earlier runs handed back (``moments.PRODUCTS``): runs
    one after the other, checkpointed into one-layer segments or forward only, with an activation
    whose output is its input array (linear: a^l is h^l, the next layer's input and a checkpoint),
    give the numbers of runs that draw every array afresh, bit for bit."""
    from initviz.engine import moments
    net = Network.mlp(input_dim=24, widths=[24] * 5, activation=activation, init="xavier_normal", bias="normal",
                      bias_value=0.1)
    budget = None if store_bytes is None else Budget(store_bytes=store_bytes)

    def run():
        return propagate(net, batch=12, seed=5, n_seeds=2, backward=backward, budget=budget)

    runs = [run() for _ in range(3)]
    assert moments.PRODUCTS.free  # products were handed back and taken again
    monkeypatch.setattr(moments.PRODUCTS, "limit", 0)  # keeps nothing: every product is a new array
    monkeypatch.setattr(moments.PRODUCTS, "free", {})
    fresh = run()
    assert not moments.PRODUCTS.free
    for res in runs:
        for name in FORWARD_STATS + BACKWARD_STATS:
            np.testing.assert_array_equal(res.stats[name], fresh.stats[name], err_msg=name)
    assert np.isfinite(fresh.act_var).all() and (np.isfinite(fresh.grad_var).all() == backward)


def test_nonfinite_fault_stops_and_leaves_statistics_absent():
    net = Network.mlp(input_dim=64, widths=[64] * 40, activation="linear", init="normal",
                      init_params={"std": 1e4})
    res = propagate(net, batch=8)
    # per layer ‖h‖ grows by ≈ √64·1e4 = 8e4 (log10 4.9): float32's 3.4e38 is passed at layer 8 or 9
    assert res.first_nonfinite_layer in (8, 9)
    f = res.first_nonfinite_layer
    assert np.isfinite(res.preact_var[0, :f - 1]).all() and np.isnan(res.preact_var[0, f - 1:]).all()
    assert np.isnan(res.grad_var).all()  # the probe needs a^L: no backward pass
    frame = res.to_frame()
    assert frame["act_var"].iloc[f - 1:].isna().all() and frame["grad_var"].isna().all()
    assert res.layers_done[0] == f - 1
    # float64 survives the same net
    assert propagate(net, batch=8, dtype="float64").first_nonfinite_layer is None


def test_vanishing_dead_relu_layer():
    net = Network.mlp(input_dim=16, widths=[16] * 5, activation="relu", bias="constant", bias_value=-100.0)
    res = propagate(net, batch=8)
    assert res.first_vanished_layer == 1 and res.first_nonfinite_layer is None
    assert res.dead[0, 0] == 1.0 and res.max_abs[0, 0] == 0.0  # the vanished layer keeps its own stats
    assert np.isnan(res.act_var[0, 1:]).all() and np.isnan(res.grad_var).all()


def test_deadline_truncates_with_a_reason():
    net = Network.mlp(input_dim=32, widths=[32] * 10)
    res = propagate(net, batch=8, deadline=0.0)
    assert res.truncated and "deadline" in res.reason
    assert np.isnan(res.act_var).all()
    assert not propagate(net, batch=8, deadline=60.0).truncated


def test_histograms_counts_and_outside_fraction():
    net = Network.mlp(input_dim=64, widths=[64] * 4, activation="tanh", init="normal", init_params={"std": 0.5})
    res = propagate(net, batch=32, bins=25)
    assert res.act_edges[0] == -1.0 and res.act_edges[-1] == 1.0 and res.act_hist.shape == (4, 25)
    total = 32 * 64
    np.testing.assert_allclose(res.act_hist.sum(axis=1) / total + res.act_outside, 1.0)
    np.testing.assert_allclose(res.preact_hist.sum(axis=1) / total + res.preact_outside, 1.0)
    # pooled 0.5–99.5 % range: about 1 % of all pre-activations fall outside
    assert 0.0 < res.preact_outside.mean() < 0.05
    # exact counts against numpy's histogram of the same layer
    _, acts, pres, _, _ = _reference(net, 32, 0, np.float32)
    np.testing.assert_array_equal(res.act_hist[2], np.histogram(acts[2], res.act_edges)[0])
    tidy = res.histogram_frame("preact")
    assert set(tidy.columns) == {"layer", "bin_lo", "bin_hi", "count", "density"} and len(tidy) == 4 * 25


def test_gradient_histograms_bin_a_strided_subsample_of_dl_dh(monkeypatch):
    net = Network.mlp(input_dim=48, widths=[40, 40, 40], activation="tanh", init="xavier_uniform")
    # all values kept: the counts are numpy's histogram of each layer's ∂L/∂h
    res = propagate(net, batch=30, seed=2, dtype="float64", bins=16)
    *_, grads = _reference(net, 30, 2)
    assert res.grad_hist_values == 30 * 40
    pooled = np.concatenate([d.ravel() for _, d, _ in grads])
    lo, hi = np.percentile(pooled, propagation.HIST_QUANTILES)
    np.testing.assert_allclose(res.grad_edges[[0, -1]], [lo, hi], rtol=1e-12)
    for i, (_, delta, _) in enumerate(grads):
        np.testing.assert_array_equal(res.grad_hist[i], np.histogram(delta, res.grad_edges)[0])
        assert res.grad_outside[i] == pytest.approx(np.mean((delta < lo) | (delta > hi)))
    # a cap below the layer size keeps an evenly strided subsample of it
    monkeypatch.setattr(histograms, "GRAD_HIST_VALUES", 100)
    capped = propagate(net, batch=30, seed=2, dtype="float64", bins=16)
    assert capped.grad_hist_values == 100 and (capped.grad_hist.sum(axis=1) <= 100).all()
    delta = grads[1][1].ravel()
    np.testing.assert_array_equal(capped.grad_hist[1],
                                  np.histogram(delta[::delta.size // 100][:100], capped.grad_edges)[0])
    assert len(capped.histogram_frame("grad")) == 3 * 16
    # no backward pass, no gradient histogram
    forward_only = propagate(net, batch=30, backward=False)
    assert forward_only.grad_hist.sum() == 0 and np.isnan(forward_only.grad_outside).all()


HIST_FIELDS = [f"{kind}_{part}" for kind in propagation.HISTOGRAMS for part in ("hist", "edges", "outside")]


@pytest.mark.parametrize("checkpointed", [False, True])
@pytest.mark.parametrize("kinds", [(), ("act",), ("preact",), ("grad",), ["grad", "act"], {"preact", "act"},
                                   ("act", "act", "preact", "grad")])
def test_histogram_subsets_equal_the_full_run(kinds, checkpointed):
    """Asked kinds: the full run's arrays bit for bit; unasked: None and refused by histogram_frame;
    every statistic, fault and count identical."""
    net = Network.mlp(input_dim=48, widths=[48] * 7, activation="tanh", init="xavier_normal", bias="normal",
                      bias_value=0.1)
    budget = Budget(store_bytes=2 * 4 * (48 * 48 + 24 * 48)) if checkpointed else None  # segments of 2 layers
    full = propagate(net, batch=24, seed=5, n_seeds=2, budget=budget)
    part = propagate(net, batch=24, seed=5, n_seeds=2, budget=budget, histograms=kinds)
    assert part.histograms == tuple(k for k in propagation.HISTOGRAMS if k in kinds)
    asked = [name for name in HIST_FIELDS if name.split("_")[0] in kinds]
    for name, values in {**full.stats, **full.faults, "layers_done": full.layers_done,
                         "input_corr_measured": full.input_corr_measured,
                         **{name: getattr(full, name) for name in asked}}.items():
        np.testing.assert_array_equal(values, getattr(part, name), err_msg=name)
    assert all(getattr(part, name) is None for name in HIST_FIELDS if name not in asked)
    for kind in propagation.HISTOGRAMS:
        if kind in kinds:
            pd.testing.assert_frame_equal(full.histogram_frame(kind), part.histogram_frame(kind))
        else:
            with pytest.raises(InitvizError, match="be a kind this run binned"):
                part.histogram_frame(kind)
    assert part.grad_hist_values == (full.grad_hist_values if "grad" in kinds else 0)
    pickle.loads(pickle.dumps(part))


def test_gradient_histogram_without_backward_has_no_layer_reached():
    """``"grad"`` with backward=False is no error (the default asks for it): zero counts, NaN outside."""
    net = Network.mlp(input_dim=32, widths=[32] * 3, activation="tanh")
    res = propagate(net, batch=16, backward=False, histograms=("grad",))
    assert res.grad_hist.shape == (3, propagation.DEFAULT_BINS) and res.grad_hist.sum() == 0
    assert np.isnan(res.grad_outside).all() and res.act_hist is None and res.preact_edges is None
    assert res.histogram_frame("grad").empty


@pytest.mark.parametrize("value", ["act", ("activations",), ("act", 1), None, 3, {"act": 1}.keys()])
def test_histogram_kinds_are_validated(value):
    net = Network.mlp(input_dim=16, widths=[16] * 2)
    with pytest.raises(InitvizError, match="Argument `histograms` must be a tuple of kinds from act, preact, grad"):
        propagate(net, batch=8, histograms=value)


def test_relu_histogram_starts_at_zero():
    net = Network.mlp(input_dim=64, widths=[64] * 3, activation="relu")
    res = propagate(net, batch=32)
    assert res.act_edges[0] == 0.0 and res.act_hist[:, 0].sum() > 0.4 * 3 * 32 * 64  # the zeros


def test_input_kinds():
    net = Network.mlp(input_dim=128, widths=[128], activation="linear", init="eye")
    normal = propagate(net, batch=64, inputs="normal", backward=False)
    unit = propagate(net, batch=64, inputs="unit_norm", backward=False)
    # eye + linear: a¹ = x. unit_norm rows have ‖x‖² = n exactly, so the pooled mean square is 1
    assert unit.preact_var[0, 0] + unit.preact_mean[0, 0] ** 2 == pytest.approx(1.0, rel=1e-6)
    assert unit.msq_ratio_var[0, 0] < 1e-10
    # normal rows: mean square 1 ± 5 SE, SE = √(2/(B·n))
    assert abs(normal.preact_var[0, 0] + normal.preact_mean[0, 0] ** 2 - 1) < 5 * math.sqrt(2 / (64 * 128))
    for c in (0.0, 0.5, 0.9):
        res = propagate(net, batch=256, inputs="correlated", input_corr=c, backward=False, n_seeds=2)
        # a pair's cosine has variance ≈ (1 − c²)²/n; mean over 128 pairs × 2 seeds: 5 SE
        se = (1 - c * c) / math.sqrt(128 * 256)
        assert abs(res.input_corr_measured.mean() - c) < 5 * se + 1e-6
        assert res.corr[:, 0].mean() == pytest.approx(res.input_corr_measured.mean(), rel=1e-5)


def test_symmetry_measure():
    rand = propagate(Network.mlp(input_dim=32, widths=[32] * 3, activation="tanh"), batch=8)
    assert (rand.unit_spread > 0.1).all() and (rand.grad_spread > 0.1).all()


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(batch=1), "Argument `batch` must be an int in [2, 4096]"),
    (dict(batch=4096, n_seeds=32, budget=Budget.hosted()), "MAX_ACTIVATIONS"),
    (dict(n_seeds=0), "Argument `n_seeds` must be an int in [1, 32]"),
    (dict(dtype="float16"), "Argument `dtype` must be one of float32, float64"),
    (dict(inputs="uniform"), "Argument `inputs` must be one of normal, unit_norm, correlated"),
    (dict(input_corr=1.5), "Argument `input_corr` must be a finite number in [-1.0, 1.0]"),
    (dict(seed=-1), "Argument `seed` must be a non-negative int"),
    (dict(bins=1), "Argument `bins` must be an int in [2, 512]"),
    (dict(deadline=float("nan")), "Argument `deadline` must be a finite number"),
    (dict(backward="yes"), "Argument `backward` must be True or False"),
])
def test_invalid_arguments(kwargs, fragment):
    net = Network.mlp(input_dim=512, widths=[512] * 30)
    with pytest.raises(InitvizError) as err:
        propagate(net, **kwargs)
    assert fragment in str(err.value)
    with pytest.raises(InitvizError, match="Argument `net` must be an initviz Network"):
        propagate("net")


def test_budgets_weight_the_real_work():
    from initviz import limits

    # an orthogonal draw is a QR: (2 + min(m, n)/60) normal-draw equivalents per entry
    assert limits.draw_cost("orthogonal", (512, 256)) == pytest.approx(512 * 256 * (2 + 256 / 60))
    assert limits.draw_cost("trunc_normal", (10, 10)) == pytest.approx(100 * limits.DRAW_COST["trunc_normal"])
    ortho = Network.mlp(input_dim=512, widths=[512] * 30, init="orthogonal")
    assert 30 * 512 * 512 * (2 + 512 / 60) > limits.MAX_WEIGHT_DRAWS  # 30 QRs of 512² are over budget
    with pytest.raises(InitvizError, match="MAX_WEIGHT_DRAWS"):
        propagate(ortho, batch=2, budget=Budget.hosted())
    # float64 arithmetic counts double: a batch at exactly MAX_MACS in float32 is refused in float64
    net = Network.mlp(input_dim=512, widths=[512] * 8)
    batch = limits.MAX_MACS // net.n_weights
    assert batch * net.n_weights <= limits.MAX_MACS < 2 * batch * net.n_weights
    propagate(net, batch=batch, dtype="float32", budget=Budget.hosted(), deadline=0.0)  # within: runs
    with pytest.raises(InitvizError, match="MAX_MACS"):
        propagate(net, batch=batch, dtype="float64", budget=Budget.hosted())


def test_cost_is_what_the_budget_counts():
    # the widths 40, 30, 20 from 50 inputs, written out: Σ n_l = 90, Σ n_{l-1}·n_l = 2000 + 1200 + 600
    net = Network.mlp(input_dim=50, widths=[40, 30, 20], init="trunc_normal")
    c = propagation.cost(net, batch=16, n_seeds=3, dtype="float64")
    assert isinstance(c, propagation.Cost) and "cost" in propagation.__all__ and "Cost" in propagation.__all__
    assert (c.weights, c.activations, c.macs) == (3800, 2 * 3 * 16 * 90, 2 * 3 * 16 * 3800)
    assert c.weight_draws == pytest.approx(3 * 3800 * limits.DRAW_COST["trunc_normal"])
    assert propagation.cost(net, batch=16, n_seeds=3).macs == 3 * 16 * 3800  # float32 counts once
    ortho = Network.mlp(input_dim=512, widths=[512] * 30, init="orthogonal")
    assert propagation.cost(ortho, batch=2).weight_draws == pytest.approx(30 * 512 * 512 * (2 + 512 / 60))
    # propagate refuses exactly past the cost: a budget equal to the cost runs, one below it does not
    small = Network.mlp(input_dim=8, widths=[8] * 2)
    c = propagation.cost(small, batch=4)
    propagate(small, batch=4, budget=Budget(activations=c.activations, macs=c.macs,
                                            weight_draws=math.ceil(c.weight_draws)))
    for field in ("activations", "macs"):
        with pytest.raises(InitvizError, match=f"budget.{field}"):
            propagate(small, batch=4, budget=Budget(**{field: getattr(c, field) - 1}))
    with pytest.raises(InitvizError, match="budget.weight_draws"):
        propagate(small, batch=4, budget=Budget(weight_draws=math.ceil(c.weight_draws) - 1))
    for kwargs, fragment in ((dict(batch=1), "`batch`"), (dict(n_seeds=0), "`n_seeds`"),
                             (dict(dtype="float16"), "`dtype`")):
        with pytest.raises(InitvizError, match=fragment):
            propagation.cost(small, **kwargs)
    with pytest.raises(InitvizError, match="`net`"):
        propagation.cost("net")


def test_backward_overflow_is_a_result():
    # Linear, W ~ N(0, 0.25²), width 64: every layer multiplies entries by √64·0.25 = 2, so
    # a^123 has std 2^123 ≈ 1e37 (its max ≈ 5e37 stays finite). ∂L/∂h^l has std 2^(123−l) and
    # ∂L/∂W_l = Σ_b over 4096 samples has std √4096·2^(123−l)·2^(l−1) = 2^128 ≈ 3.4e38 at every
    # layer: its largest entries overflow float32 at the first backward layer, 123.
    net = Network.mlp(input_dim=64, widths=[64] * 123, activation="linear", init="normal", init_params={"std": 0.25})
    res = propagate(net, batch=4096)
    assert res.first_nonfinite_layer is None and np.isfinite(res.act_var).all()
    assert res.first_grad_nonfinite_layer == 123
    assert np.isnan(res.grad_var).all() and res.to_frame()["grad_w_var"].isna().all()


def test_the_default_budget_is_local_and_the_hosted_one_names_its_constants():
    """Without a budget the core applies Budget.local() (a notebook user); Budget.hosted() is the
    module's constants and its refusals name them; a caller's Budget replaces them (the refusal then
    names the field); Budget.local() accepts W2 of the bench (200 × 1024², beyond MAX_WEIGHTS) and
    does not change what a network is (not a field: equal, same hash)."""
    wide = dict(input_dim=1024, widths=[1024] * 200, activation="tanh", init="xavier_normal")
    with pytest.raises(InitvizError, match="MAX_WEIGHTS"):
        Network.mlp(**wide, budget=Budget.hosted())
    net = Network.mlp(**wide)
    assert net == Network.mlp(**wide, budget=Budget.local())
    assert net == Network.mlp(**wide, budget=Budget(weights=net.n_weights)) and "budget" not in net.to_dict()
    small = Network.mlp(input_dim=32, widths=[32] * 3, activation="relu", init="kaiming_normal")
    assert hash(small) == hash(Network.mlp(input_dim=32, widths=[32] * 3, activation="relu", init="kaiming_normal",
                                           budget=Budget.local()))
    with pytest.raises(InitvizError, match=r"budget\.macs = 1,000"):
        propagate(small, batch=64, budget=Budget(macs=1000))
    with pytest.raises(InitvizError, match=r"budget\.weights"):
        Network.mlp(input_dim=32, widths=[32] * 3, budget=Budget(weights=100))
    local = Budget.local()
    assert local.store_bytes == limits.LOCAL_STORE_BYTES and local.macs >= 2 * 32 * 4096 * net.n_weights
    assert Budget() == Budget.hosted() == limits.HOSTED_BUDGET and Budget().macs == limits.MAX_MACS
    assert limits.DEFAULT_BUDGET == local
    for bad in (0, -1, 1.5, True, "1"):
        with pytest.raises(InitvizError, match="budget.activations"):
            Budget(activations=bad)
    with pytest.raises(InitvizError, match="budget"):
        propagate(small, budget={"macs": 10 ** 12})


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("init,params", [("constant", {"val": 0.05}), ("normal", {"mean": 0.04, "std": 0.0}),
                                         ("uniform", {"a": 0.03, "b": 0.03})])
def test_equal_weights_give_equal_units_by_construction(init, params, dtype):
    # every entry of W equal: a Law with a single point, computed as one sum per sample given to
    # every unit, so the symmetry is exact on any BLAS kernel and thread count (a GEMM promises
    # no common rounding across its output columns)
    net = Network.mlp(input_dim=48, widths=[40] * 5, activation="tanh", init=init, init_params=params,
                      bias="constant", bias_value=0.1)
    assert all(net.weight_law(layer).constant_value is not None for layer in range(1, 6))
    res = propagate(net, batch=12, dtype=dtype)
    assert np.all(res.unit_spread == 0.0)
    assert np.all(res.grad_spread[0, :-1] == 0.0) and res.grad_spread[0, -1] > 0
    if dtype == "float64":  # the same numbers as x @ Wᵀ to rounding: a length-48 dot product errs by
        # ≤ γ₄₈·Σ|c·x_j| (γ_n = n·u/(1 − n·u), u = 2^-53), ~1e-14 relative here; 1e-10 leaves room
        _, acts, pres, _, grads = _reference(net, 12, 0)
        for i in range(net.depth):
            assert res.preact_var[0, i] == pytest.approx(pres[i][0].var(), rel=1e-10)
            assert res.act_var[0, i] == pytest.approx(acts[i].var(), rel=1e-10)
            assert res.grad_var[0, i] == pytest.approx(grads[i][1].var(), rel=1e-10)


def test_times_transpose_of_equal_weights_is_one_value_per_sample():
    x = stream(0, 0, 0, 0).standard_normal((16, 300))
    W = np.full((70, 300), 0.3)
    y = times_transpose(x, W, 0.3)
    assert y.shape == (16, 70) and np.all(y == y[:, :1])
    # against the GEMM: |error| ≤ 2·γ₃₀₀·Σ_j|0.3·x_j| (both roundings), γ_n = n·u/(1 − n·u), u = 2^-53
    bound = 2 * 300 * 2.0 ** -53 / (1 - 300 * 2.0 ** -53) * np.abs(0.3 * x).sum(axis=1)
    assert np.all(np.abs(y - x @ W.T) <= bound[:, None])
    g = times_transpose(y, W.T, 0.3)  # δ·W: one value per input
    assert g.shape == (16, 300) and np.all(g == g[:, :1])
    assert np.array_equal(times_transpose(x, W, None), x @ W.T)  # the same BLAS call: by construction


def test_a_notebook_sized_network_runs_without_a_budget_argument():
    # issue 10: 20 layers of width 1000, batch 256, float64 is 2·256·2·10⁷ ≈ 1.0e10 weighted
    # multiply–adds, beyond the hosted MAX_MACS = 2³³ ≈ 8.6e9 — refused on a public instance, run here
    net = iv.Network.mlp(input_dim=1000, widths=[1000] * 20, activation="tanh", init="normal",
                         init_params={"std": 1.5 / 1000 ** 0.5}, bias="normal", bias_value=0.05)
    with pytest.raises(InitvizError, match="MAX_MACS"):
        iv.propagate(net, batch=256, dtype="float64", budget=Budget.hosted())
    res = iv.propagate(net, batch=256, dtype="float64")
    assert not res.truncated and res.first_nonfinite_layer is None and np.isfinite(res.grad_var).all()


def test_over_seeds_reduces_over_the_repeats_that_have_the_statistic():
    net = Network.mlp(input_dim=64, widths=[64] * 40, activation="linear", init="normal", init_params={"std": 0.2})
    res = propagate(net, batch=8, seed=1, n_seeds=3)
    values = res.stats["act_var"].copy()
    values[1, :5] = np.nan  # one repeat absent on the first layers, every repeat on the last
    values[:, -1] = np.nan
    res.stats["act_var"][...] = values
    present = ~np.isnan(values)
    for how, reduce in (("mean", np.mean), ("min", np.min), ("max", np.max)):
        got = res.over_seeds("act_var", how)
        want = [reduce(values[present[:, i], i]) if present[:, i].any() else np.nan for i in range(net.depth)]
        np.testing.assert_allclose(got, want, rtol=1e-15)
        assert np.isnan(got[-1])
    np.testing.assert_array_equal(res.over_seeds("act_var"), res.to_frame()["act_var"].to_numpy(float, na_value=np.nan))
    with pytest.raises(InitvizError, match="how"):
        res.over_seeds("act_var", "median")
    with pytest.raises(InitvizError, match="name"):
        res.over_seeds("nope")
