"""The fast paths give the straightforward implementation's numbers: exact histograms by bincount,
chunked/threaded sampling (reproducible, thread-count independent, exact laws), rejection sampling
of the truncated normal, in-place sampling."""

import math

import numpy as np
import pytest
from scipy import stats

from initviz import draws, propagation, truncated_normal
from initviz.engine import histograms, moments, quantiles
from initviz.laws import Law
from initviz.limits import SAMPLE_CHUNK_ENTRIES, Budget
from initviz.rng import stream
from fp_bounds import gamma, moments_error, sum_depth, variance_error

# --- histograms --------------------------------------------------------------------------------


def _numpy_hist(x, edges):
    counts, _ = np.histogram(x, bins=len(edges) - 1, range=(float(edges[0]), float(edges[-1])))
    return counts, 1.0 - float(counts.sum()) / x.size


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binner_equals_numpy_histogram_including_values_on_edges(dtype):
    rng = np.random.default_rng(11)
    binner = histograms.Binner()
    with np.errstate(all="ignore"):
        for _ in range(150):
            bins = int(rng.integers(2, 513))
            lo = float(rng.normal()) * 10 ** rng.uniform(-3, 4)
            hi = lo + max(float(rng.exponential()) * 10 ** rng.uniform(-4, 3), abs(lo) * 1e-3)
            x = (lo + (hi - lo) * rng.uniform(-0.2, 1.2, size=(40, 61))).astype(dtype)
            edges = np.linspace(lo, hi, bins + 1)
            flat = x.reshape(-1)
            # values exactly on the edges (both roundings) and one ulp below them, plus extremes
            flat[:bins + 1] = edges.astype(dtype)
            flat[bins + 1:2 * bins + 2] = np.linspace(lo, hi, bins + 1, dtype=dtype)
            flat[2 * bins + 2:3 * bins + 3] = np.nextafter(np.linspace(lo, hi, bins + 1, dtype=dtype), dtype(-np.inf))
            flat[-4:] = [np.finfo(dtype).max, -np.finfo(dtype).max, 0.0, hi]
            counts, outside = binner(x, edges)
            expected, expected_outside = _numpy_hist(x, edges)
            np.testing.assert_array_equal(counts, expected)
            assert outside == expected_outside


def test_propagate_histograms_equal_numpy_on_a_float32_run():
    from initviz.network import Network
    net = Network.mlp(input_dim=64, widths=[48, 48, 32], activation="relu", init="kaiming_normal")
    res = propagation.propagate(net, batch=50, seed=4, dtype="float32", backward=False, bins=37)
    x = stream(4, 0, 0, 0).standard_normal((50, 64), dtype=np.float32)
    a = x
    for layer in range(1, 4):
        W = net.weight_law(layer).sample(net.shapes[layer - 1], stream(4, 0, 1, layer), "float32")
        pre = a @ W.T
        a = net.activation(layer)(pre)
        for which, values in (("preact", pre), ("act", a)):
            edges = getattr(res, f"{which}_edges")
            counts, outside = _numpy_hist(values, edges)
            np.testing.assert_array_equal(getattr(res, f"{which}_hist")[layer - 1], counts)
            assert getattr(res, f"{which}_outside")[layer - 1] == outside


# --- sampling ------------------------------------------------------------------------------------

IID = {"normal": Law("normal", loc=0.5, scale=2.0), "uniform": Law("uniform", loc=-1.0, scale=3.0),
       "rademacher": Law("rademacher", scale=0.7), "trunc_2sigma": Law("trunc_normal", scale=0.3, a=-0.6, b=0.6),
       "trunc_asym": Law("trunc_normal", loc=1.0, scale=2.0, a=1.0, b=3.0),
       "trunc_tail": Law("trunc_normal", a=2.5, b=math.inf)}
BIG = (3 * SAMPLE_CHUNK_ENTRIES // 256 + 7, 256)  # several chunks and a partial one


@pytest.mark.parametrize("name", IID)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_chunked_draws_are_reproducible_and_independent_of_threads(name, dtype, monkeypatch):
    law = IID[name]
    first = law.sample(BIG, stream(5, 1), dtype)
    np.testing.assert_array_equal(first, law.sample(BIG, stream(5, 1), dtype))
    monkeypatch.setattr(draws, "SAMPLE_THREADS", 1)
    np.testing.assert_array_equal(first, law.sample(BIG, stream(5, 1), dtype))
    # sample is transform(base) on the same stream, bit for bit
    np.testing.assert_array_equal(first, law.transform(law.base(BIG, stream(5, 1), dtype)))
    assert not np.array_equal(first, law.sample(BIG, stream(5, 2), dtype))
    lo, hi = law.support
    assert first.dtype == np.dtype(dtype) and first.min() >= lo and first.max() <= hi


def test_chunks_are_distinct_streams():
    """Each chunk has its own stream: no chunk repeats another (a shared stream would)."""
    x = Law("normal").base((4 * SAMPLE_CHUNK_ENTRIES,), stream(0, 9), "float64").reshape(4, -1)
    for i in range(4):
        for j in range(i + 1, 4):
            assert not np.array_equal(x[i, :100], x[j, :100])


@pytest.mark.parametrize("name", IID)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_chunked_draws_follow_the_law(name, dtype):
    """KS against the exact law (continuous laws) or the exact ±s frequencies; N = 300k entries.
    KS: with a fixed seed the p-value is one draw of U(0, 1) under the law; 1e-4 keeps false alarms
    negligible while a wrong sampler (e.g. a wrong cut or scale) gives p ≈ 0 at this N."""
    law = IID[name]
    x = law.sample(BIG, stream(7, 3), dtype).astype(np.float64).ravel()
    if law.kind == "rademacher":
        share = np.mean(x > 0)
        np.testing.assert_allclose(np.unique(x), [-0.7, 0.7], rtol=1e-7)
        assert abs(share - 0.5) < 5 * math.sqrt(0.25 / x.size)  # 5 standard errors
        return
    if law.kind == "normal":
        ref = stats.norm(law.loc, law.scale)
    elif law.kind == "uniform":
        ref = stats.uniform(law.loc - law.scale, 2 * law.scale)
    else:
        ref = stats.truncnorm(law.alpha, law.beta, loc=law.loc, scale=law.scale)
    assert stats.kstest(x, ref.cdf).pvalue > 1e-4
    # moments: 5 standard errors, SE(mean) = sqrt(var/N), SE(var) = sqrt((m4 - var²)/N)
    assert abs(x.mean() - law.mean) < 5 * math.sqrt(law.var / x.size)
    m4 = law.kurtosis * law.var ** 2
    assert abs(x.var() - law.var) < 5 * math.sqrt((m4 - law.var ** 2) / x.size)


def test_rejection_sampler_is_used_for_wide_intervals_and_inverse_for_thin():
    wide, thin = Law("trunc_normal", a=-2, b=2), Law("trunc_normal", a=3, b=4)
    assert wide._fill(np.dtype("float32")).func is truncated_normal.fill_by_rejection
    assert not hasattr(thin._fill(np.dtype("float32")), "func")
    x = thin.sample((50_000,), 1, "float32")
    assert x.min() >= 3 and x.max() <= 4
    assert stats.kstest(x.astype(np.float64), stats.truncnorm(3, 4).cdf).pvalue > 1e-4


def test_rejection_bounds_hold_in_float32_when_the_cut_is_not_representable():
    """a = −0.1 is not a float32: nothing below it (in exact arithmetic) may be accepted."""
    law = Law("trunc_normal", a=-0.1, b=0.1)
    out = np.empty(200_000, np.float32)
    truncated_normal.fill_by_rejection(law.alpha, law.beta, np.dtype("float32"), out, np.random.default_rng(2))
    assert out.astype(np.float64).min() >= -0.1 and out.astype(np.float64).max() <= 0.1


# --- statistics without scaled copies ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("magnitude", [1e-12, 1e-3, 1.0, 1e5, 1e20])
def test_moments_equal_the_scaled_summary_and_numpy(dtype, magnitude):
    """Inside SAFE_SCALE x is used directly, outside it x/max|x|: both agree with the scaled
    summary and with numpy's float64 var. Tolerance: pairwise sums err by ≲ eps·log2(N) relative
    (N = 2^16, log2 N = 16), times a few for the two passes: 50·eps·16."""
    rng = np.random.default_rng(3)
    x = ((rng.standard_normal((256, 256)) + 0.3) * magnitude).astype(dtype)
    scratch = moments.Scratch()
    mean, var, scale = moments.mean_var_max(x, scratch)
    full = moments.scaled_moments(x, scratch)
    rel = 50 * float(np.finfo(dtype).eps) * 16
    x64 = x.astype(np.float64)
    assert scale == full.scale == np.abs(x64).max()
    assert var == pytest.approx(full.var, rel=rel) and var == pytest.approx(x64.var(), rel=rel)
    assert mean == pytest.approx(x64.mean(), rel=rel, abs=rel * float(np.sqrt(x64.var())))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("magnitude", [1e-12, 0.1, 1.0, 10.0, 1e5, 1e30])
def test_summary_with_and_without_a_scaled_copy_equals_numpy(dtype, magnitude):
    """Inside NO_COPY_SCALE the summary works on x itself, outside on x/max|x|: mean, variance, row
    norms and spread agree with float64 numpy either way. Tolerance as above (50·eps·16; row norms
    sum 256 terms: 16·eps)."""
    rng = np.random.default_rng(5)
    x = ((rng.standard_normal((256, 256)) + 0.3) * magnitude).astype(dtype)
    summary = moments.scaled_moments(x, moments.Scratch())
    x64 = x.astype(np.float64)
    inside = moments.NO_COPY_SCALE[0] <= summary.scale <= moments.NO_COPY_SCALE[1]
    assert (summary.scaled is x) == inside
    eps = float(np.finfo(dtype).eps)
    assert summary.var == pytest.approx(x64.var(), rel=50 * eps * 16)
    assert summary.mean == pytest.approx(x64.mean(), rel=50 * eps * 16)
    np.testing.assert_allclose(summary.row_norms(), np.linalg.norm(x64, axis=1), rtol=16 * eps)
    spread = np.abs(x64 - x64[:, :1]).max() / np.abs(x64).max()
    assert summary.spread() == pytest.approx(spread, rel=4 * eps)


def test_moments_of_constant_and_nonfinite_arrays():
    scratch = moments.Scratch()
    assert moments.mean_var_max(np.full((8, 8), 0.1, np.float32), scratch) == (np.float32(0.1), 0.0, np.float32(0.1))
    assert moments.mean_var_max(np.zeros((3, 3)), scratch) == (0.0, 0.0, 0.0)
    bad = np.ones((4, 4), np.float32)
    bad[1, 2] = np.inf
    assert moments.mean_var_max(bad, scratch) is None
    bad[1, 2] = np.nan
    assert moments.mean_var_max(bad, scratch) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 2, 3, 20, 257, 512, 4 * quantiles.SELECT_SAMPLE + 1, 300_001])
def test_percentiles_equal_numpy_bit_for_bit(n, dtype):
    """Unsorted values, beyond the size where the order statistics come from candidate subsets;
    ties (rounded values) and a sorted input (the strided sample then sees the order)."""
    rng = np.random.default_rng(n)
    qs = (0, 0.5, 5, 50, 95, 99.5, 100)
    for values in (rng.lognormal(size=n).astype(dtype), np.round(rng.standard_normal(n) * 4).astype(dtype),
                   np.sort(rng.standard_normal(n).astype(dtype))):
        assert quantiles.percentiles(values, qs) == np.percentile(values, qs).tolist()


@pytest.mark.parametrize("n", [1, 2, 257, 4096])
def test_sample_stats_and_mean_cosine_equal_numpy_bit_for_bit(n):
    """The per-layer summaries without numpy's Python layers: the same numbers as mean/percentile of
    the finite values and nanmean of the pair cosines, with non-finite values and zero rows mixed in."""
    rng = np.random.default_rng(n)
    values = rng.lognormal(size=n)
    values[::7] = np.resize([np.nan, np.inf, -np.inf], values[::7].size)
    finite = values[np.isfinite(values)]
    expected = (np.mean(finite), *np.percentile(finite, (5, 95))) if finite.size else (np.nan,) * 3
    np.testing.assert_array_equal(quantiles.sample_stats(values), expected)
    y = rng.standard_normal((2 * n + 1, 33)).astype(np.float32)
    y[2::5] = 0.0  # zero rows: their pairs are skipped
    cos = moments.pair_cosines(y)
    assert np.isnan(cos).any() or n < 3
    np.testing.assert_array_equal(moments.mean_cosine(y), np.nanmean(cos))
    assert np.isnan(moments.mean_cosine(np.zeros((4, 3), dtype=np.float32)))
    # the rows' squares handed in (ScaledMoments.row_squares): the same nanmean of their cosines, which
    # agree with the cosines from the pairs' own sums of squares to rounding (each float32 sum of 33
    # squares errs by ≤ γ_33 relative, the cosine by ≤ γ_33 + a few u: 2·33·u32)
    summary = moments.scaled_moments(y, moments.Scratch())
    from_rows = moments.pair_cosines(summary.scaled, summary.row_squares())
    np.testing.assert_array_equal(np.isnan(from_rows), np.isnan(cos))
    np.testing.assert_allclose(from_rows, cos, rtol=2 * 33 * np.finfo(np.float32).eps)
    np.testing.assert_array_equal(moments.mean_cosine(summary.scaled, summary.row_squares()), np.nanmean(from_rows))
    clean = rng.standard_normal((2 * n + 1, 33)).astype(np.float32)  # no zero row: the sum without nanmean's mask
    np.testing.assert_array_equal(moments.mean_cosine(clean), np.nanmean(moments.pair_cosines(clean)))


@pytest.mark.parametrize("n", [1, 2, 257, 4 * quantiles.SELECT_SAMPLE + 1])
def test_rows_sample_stats_equal_sample_stats_of_each_row_bit_for_bit(n):
    """One partition and one sum for all rows (the forward pass's ratios and gains) gives each
    row's own sample_stats: also past one partition's size and with non-finite values (row by row)."""
    rng = np.random.default_rng(n)
    rows = rng.lognormal(size=(3, n))
    expected = [quantiles.sample_stats(row) for row in rows]
    np.testing.assert_array_equal(quantiles.rows_sample_stats(rows), expected)
    rows[1, ::3] = np.nan
    rows[2, :] = np.inf
    expected = [quantiles.sample_stats(row) for row in rows]
    np.testing.assert_array_equal(quantiles.rows_sample_stats(rows), expected)


def test_order_statistics_fall_back_when_the_sample_misleads():
    """The strided sample holds the smallest values (every sampled position is below −1e6), so
    the bound for rank 1000 has only ~50 candidates below it: the check fails and the whole array
    is partitioned — still the exact answer; likewise mirrored for the upper ranks."""
    n = 64 * quantiles.SELECT_SAMPLE
    values = np.random.default_rng(1).standard_normal(n)
    step = n // quantiles.SELECT_SAMPLE
    values[::2 * step] = -1e6 - np.arange(values[::2 * step].size)
    values[step::2 * step] = 1e6 + np.arange(values[step::2 * step].size)
    ranks = [10, 1000, 1001, n // 2, n - 1002, n - 12]
    np.testing.assert_array_equal(quantiles.order_statistics(values, ranks), np.sort(values)[ranks])


# --- prefetching the next layer's weights -------------------------------------------------------------

@pytest.mark.parametrize("checkpointed", [False, True])
def test_prefetched_draws_give_identical_results(checkpointed, monkeypatch):
    """Drawing one layer ahead on a helper thread changes nothing: every statistic, fault and
    histogram equals the serial run's, also when the backward pass redraws checkpointed segments."""
    from initviz.network import Network
    net = Network.mlp(input_dim=256, widths=[256] * 4, activation="tanh", init="xavier_normal",
                      bias="normal", bias_value=0.1)
    budget = Budget(store_bytes=1) if checkpointed else None  # segments of one layer: every one is redrawn

    def run():
        return propagation.propagate(net, batch=6, seed=2, dtype="float32", n_seeds=2, budget=budget)

    assert min(o * i for o, i in net.shapes) >= propagation.PREFETCH_MIN_ENTRIES
    fast = run()
    monkeypatch.setattr(propagation, "PREFETCH_MIN_ENTRIES", 2 ** 62)
    slow = run()
    for name in propagation.STATS:
        np.testing.assert_array_equal(fast.stats[name], slow.stats[name], err_msg=name)
    for name in propagation.FAULTS:
        np.testing.assert_array_equal(fast.faults[name], slow.faults[name])
    np.testing.assert_array_equal(fast.act_hist, slow.act_hist)
    np.testing.assert_array_equal(fast.preact_hist, slow.preact_hist)
    assert np.isfinite(fast.grad_w_var).all()


# --- weight-gradient moments from B×B Grams ----------------------------------------------------------
#
# The Gram route and the product route are different computations of the moments of G = δᵀa (B×B
# Grams of δ and a, against the n_out×n_in product), so they agree to rounding, not bit for bit:
# each route is bounded against the exact moments (tests/fp_bounds.py: γ_n = n·u/(1 − n·u)) on the
# very arrays of the run, and the two bounds are added.


def _exact(delta, a):
    """G = δᵀa in float64 (the float32 or float64 entries exactly, products and sums within
    γ⁶⁴_B·C), C = |δ|ᵀ|a|, and bounds on the float64 error of G's mean and variance."""
    d64, a64 = delta.astype(np.float64), a.astype(np.float64)
    g, c = d64.T @ a64, np.abs(d64).T @ np.abs(a64)
    err_mean, err_var = moments_error(g, gamma(delta.shape[0], np.float64) * c, np.float64)
    return g, c, err_mean, err_var


def _gram_route_bound(delta, a) -> tuple[float, float]:
    """Bounds on |mean − E G| and |var − Var G| of ``moments.gram_moments`` (δ, a in the run's dtype).

    ΣG² = ⟨δδᵀ, aaᵀ⟩: a Gram entry (δδᵀ)_bc errs by ≤ γ_{n_out}Σ_i|δ_bi δ_ci| ≤ γ_{n_out}‖δ_b‖‖δ_c‖
    (Cauchy–Schwarz), by 2u more when it is formed from a copy δ/max|δ| (likewise aaᵀ with n_in), and
    their product is rounded once in the dtype: each term errs by ≤ γ_{n_out+n_in+5}·‖δ_b‖‖δ_c‖‖a_b‖‖a_c‖,
    so ΣG² by ≤ γ_{n_out+n_in+5}·(Σ_b ‖δ_b‖‖a_b‖)² — up to B times Σ_b ‖δ_b‖²‖a_b‖², as the B² cross
    terms may all err the same way — plus the float64 sum of the B² terms and the scaling back
    (γ⁶⁴_{depth+3}). ΣG = Σ_b (Σ_i δ_bi)(Σ_j a_bj), float64 sums of the entries (scaled: 2u):
    ≤ (γ_2 + γ⁶⁴_{n_out+n_in+B+3})·Σ_b ‖δ_b‖₁‖a_b‖₁."""
    dtype = delta.dtype
    batch, n_out = delta.shape
    n_in = a.shape[1]
    n = n_out * n_in
    d64, a64 = delta.astype(np.float64), a.astype(np.float64)
    cross = np.sum(np.linalg.norm(d64, axis=1) * np.linalg.norm(a64, axis=1)) ** 2
    l1 = np.sum(np.abs(d64).sum(axis=1) * np.abs(a64).sum(axis=1))
    err_sq = (gamma(n_out + n_in + 5, dtype) + gamma(sum_depth(batch * batch) + 3, np.float64)) * cross
    err_sum = (gamma(2, dtype) + gamma(n_out + n_in + batch + 3, np.float64)) * l1
    g, *_ = _exact(delta, a)
    return err_sum / n, variance_error(err_sum / n, err_sq / n, g.mean())


def _product_route_bound(delta, a, dtype) -> tuple[float, float]:
    """Bounds on |mean − E G| and |var − Var G| of the product route, ``_moments(δᵀa)`` with the
    product and its moments in ``dtype`` (numpy's mean and var of a float64 product: the same two
    passes): its entries err by ≤ γ_B·C_ij, C = |δ|ᵀ|a|, then ``moments_error``."""
    g, c, *_ = _exact(delta, a)
    return moments_error(g, gamma(delta.shape[0], dtype) * c, dtype)


def _route_bound(delta, a, product_dtype) -> tuple[float, float]:
    """|gram − product| ≤ |gram − exact| + |product − exact|, for the mean and the variance, plus
    the float64 error of the exact moments the bounds are evaluated with (``_exact``), once per side."""
    gm, gv = _gram_route_bound(delta, a)
    pm, pv = _product_route_bound(delta, a, product_dtype)
    *_, em, ev = _exact(delta, a)
    return gm + pm + 2 * em, gv + pv + 2 * ev


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("batch", "n_out", "n_in", "corr"), [(64, 512, 300, 0.0), (64, 512, 300, 0.99),
                                                              (32, 256, 256, 0.9)])
def test_gram_moments_equal_the_product_route(dtype, batch, n_out, n_in, corr):
    """Σ G and Σ G² of G = δᵀa from ⟨δδᵀ, aaᵀ⟩ agree with the float64 product (numpy's mean and
    var of δᵀa) within the sum of the two routes' worst-case bounds (``_route_bound``): ≤ 3.1e-3 of
    the variance in float32 (≈ γ_{n_out+n_in}·B: the B² cross terms of the Grams may all err the same
    way) and ≤ 7e-12 in float64, where a wrong formula (a scale left out, the wrong count, the mean
    not subtracted) is an error of order 1; measured: ≤ 2e-4 of the bound."""
    rng = np.random.default_rng(batch + n_out)
    common = rng.standard_normal((1, n_in))
    a = np.tanh(corr * common + math.sqrt(1 - corr * corr) * rng.standard_normal((batch, n_in))).astype(dtype)
    delta = (rng.standard_normal((batch, n_out)) * 1e-3 + 2e-4).astype(dtype)
    scratch = moments.Scratch()
    mean, var, _ = moments.gram_moments(moments.scaled_moments(delta, scratch), a, float(np.abs(a).max()))
    g = delta.astype(np.float64).T @ a.astype(np.float64)
    err_mean, err_var = _route_bound(delta, a, np.float64)
    assert err_var < 1e-2 * g.var() and err_mean < 1e-2 * math.sqrt(g.var())  # errors of order 1 stay visible
    assert abs(var - g.var()) <= err_var
    assert abs(mean - g.mean()) <= err_mean


def test_gram_moments_defer_to_the_product_route_on_overflow_or_cancellation():
    scratch = moments.Scratch()
    a = np.ones((4, 8), np.float32)
    huge = moments.scaled_moments(np.full((4, 8), 1e37, np.float32), scratch)
    assert moments.gram_moments(huge, a, 1.0) is None  # B·max|δ|·max|a| ≥ float32 max / 2
    offset = moments.scaled_moments((1.0 + 1e-3 * np.random.default_rng(0).standard_normal((4, 8))).astype(np.float32),
                                  scratch)
    assert moments.gram_moments(offset, a, 1.0) is None  # mean² > E[G²]/2


def _weight_gradient_factors(net, batch: int, seed: int, rep: int, dtype="float32") -> list:
    """(δ^l, a^{l−1}) of every layer l of repeat ``rep``, drawn from propagate's documented streams
    and computed with its calls (x Wᵀ, δW, the activations: the same calls on the same arrays, so
    the same numbers); for a network without biases."""
    dt = np.dtype(dtype)
    acts = [stream(seed, rep, propagation.ROLE_INPUTS, 0).standard_normal((batch, net.input_dim), dtype=dt)]
    pres, weights = [], []
    for layer in range(1, net.depth + 1):
        W = net.weight_law(layer).sample(net.shapes[layer - 1], stream(seed, rep, propagation.ROLE_WEIGHTS, layer), dt)
        pres.append(acts[-1] @ W.T)
        weights.append(W)
        acts.append(net.activation(layer)(pres[-1]))
    grad_a = stream(seed, rep, propagation.ROLE_PROBE, 0).standard_normal((batch, net.widths[-1]), dtype=dt)
    out = [None] * net.depth
    for layer in range(net.depth, 0, -1):
        delta = grad_a * net.activation(layer).derivative(pres[layer - 1])
        out[layer - 1] = (delta, acts[layer - 1])
        grad_a = delta @ weights[layer - 1]
    return out


def test_propagate_with_gram_route_equals_the_product_route(monkeypatch):
    """A network where every layer takes the Gram route (B·(n_in + n_out) ≤ n_in·n_out) gives the
    product route's grad_w_var (and grad_ratio) within the two routes' worst-case rounding bounds
    (``_route_bound``, float32: ≤ 1.3e-3 relative here, against errors of order 1 from a wrong
    formula; measured ≤ 1.1e-4 of the bound, ~1.3e-7 relative), and every other statistic bit for bit
    (the forward and backward passes are the same calls on the same arrays; only the moments of δᵀa
    are computed another way)."""
    from initviz.network import Network
    net = Network.mlp(input_dim=256, widths=[256, 200, 256], activation="tanh", init="xavier_normal")
    assert all(moments.GRAM_MAX_RATIO * o * i >= 40 * (o + i) for o, i in net.shapes)
    assert all(net.bias_law(layer) is None for layer in range(1, net.depth + 1))
    gram = propagation.propagate(net, batch=40, seed=3, n_seeds=2)
    monkeypatch.setattr(moments, "GRAM_MAX_RATIO", 0.0)
    product = propagation.propagate(net, batch=40, seed=3, n_seeds=2)
    for name in propagation.STATS:
        if name not in ("grad_w_var", "grad_ratio"):
            np.testing.assert_array_equal(gram.stats[name], product.stats[name], err_msg=name)
    u64 = 2.0 ** -53
    for rep in range(2):
        for i, (delta, a) in enumerate(_weight_gradient_factors(net, 40, 3, rep)):
            # the bound is evaluated on the run's own δ and a: either route recomputed from them is its number
            scratch = moments.Scratch()
            assert moments.mean_var_max(delta.T @ a, scratch)[1] == product.grad_w_var[rep, i]
            summary = moments.scaled_moments(delta, scratch)
            assert moments.gram_moments(summary, a, float(np.abs(a).max()))[1] == gram.grad_w_var[rep, i]
            _, err = _route_bound(delta, a, np.float32)
            v_gram, v_prod = gram.grad_w_var[rep, i], product.grad_w_var[rep, i]
            assert err < 1e-2 * v_prod  # errors of order 1 stay visible
            assert abs(v_gram - v_prod) <= err, (rep, i, v_gram, v_prod, err)
            # grad_ratio = √v/std(W): |√v_g − √v_p| ≤ |v_g − v_p|/√v_p, and the root and the
            # division round (2u⁶⁴ on each side)
            r_gram, r_prod = gram.grad_ratio[rep, i], product.grad_ratio[rep, i]
            assert abs(r_gram - r_prod) <= err / v_prod * r_prod + 4 * u64 * max(r_gram, r_prod)


# --- kept Haar bases (orthogonal draws) -------------------------------------------------------------

def test_an_orthogonal_layer_drawn_again_is_the_fresh_draw_without_a_second_qr(monkeypatch):
    """Exact by construction: the kept basis is the same stream's QR, times the same gain."""
    from initviz import Network
    from initviz.engine import run
    from initviz.rng import ROLE_WEIGHTS
    run._haar_cache.clear()
    net = Network.mlp(48, [64, 32], "tanh", "orthogonal", {"gain": 1.7})
    qr_calls = []
    qr = np.linalg.qr
    monkeypatch.setattr(np.linalg, "qr", lambda a, *args, **kw: qr_calls.append(a.shape) or qr(a, *args, **kw))
    first, _ = run.draw_layer(net, 3, 1, 2, np.dtype(np.float64))
    again, _ = run.draw_layer(net, 3, 1, 2, np.dtype(np.float64))
    assert len(qr_calls) == 1
    fresh = net.weight_law(2).sample((32, 64), stream(3, 1, ROLE_WEIGHTS, 2), np.float64)  # a QR of its own
    np.testing.assert_array_equal(first, fresh)
    np.testing.assert_array_equal(again, fresh)
    again *= 0  # a caller (training) may update its W in place: the kept basis is not touched
    np.testing.assert_array_equal(run.draw_layer(net, 3, 1, 2, np.dtype(np.float64))[0], fresh)
    other, _ = run.draw_layer(net, 4, 1, 2, np.dtype(np.float64))  # another seed: another draw
    assert len(qr_calls) == 3 and not np.array_equal(other, fresh)


def test_kept_haar_bases_stay_within_their_byte_budget(monkeypatch):
    from initviz import Network
    from initviz.engine import run
    run._haar_cache.clear()
    monkeypatch.setattr(run, "HAAR_CACHE_BYTES", 3 * 64 * 64 * 8)
    net = Network.mlp(64, [64] * 6, "tanh", "orthogonal")
    for layer in range(1, 7):
        run.draw_layer(net, 0, 0, layer, np.dtype(np.float64))
    assert sum(b.nbytes for b in run._haar_cache.values()) <= run.HAAR_CACHE_BYTES
    assert [k[2] for k in run._haar_cache] == [4, 5, 6]  # the most recently used
