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

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("batch", "n_out", "n_in", "corr"), [(64, 512, 300, 0.0), (64, 512, 300, 0.99),
                                                              (32, 256, 256, 0.9)])
def test_gram_moments_equal_the_product_route(dtype, batch, n_out, n_in, corr):
    """Σ G and Σ G² of G = δᵀa from ⟨δδᵀ, aaᵀ⟩ agree with the float64 product. Tolerance: Gram
    entries err by ≲ n·u relative to ‖x_b‖‖x_c‖ (u = eps/2), and here ΣG² is within a factor ~4
    of Σ_b ‖a_b‖²‖δ_b‖² (no cancellation to speak of), so 8·n·u bounds it (measured: ≤ 2e-8 in
    float32, ≤ 3e-16 in float64); the product route in the run's dtype errs the same way."""
    rng = np.random.default_rng(batch + n_out)
    common = rng.standard_normal((1, n_in))
    a = np.tanh(corr * common + math.sqrt(1 - corr * corr) * rng.standard_normal((batch, n_in))).astype(dtype)
    delta = (rng.standard_normal((batch, n_out)) * 1e-3 + 2e-4).astype(dtype)
    scratch = moments.Scratch()
    mean, var, _ = moments.gram_moments(moments.scaled_moments(delta, scratch), a, float(np.abs(a).max()))
    g = delta.astype(np.float64).T @ a.astype(np.float64)
    tol = 8 * max(n_in, n_out) * float(np.finfo(dtype).eps) / 2
    assert var == pytest.approx(g.var(), rel=tol)
    assert mean == pytest.approx(g.mean(), rel=tol, abs=tol * math.sqrt(g.var()))


def test_gram_moments_defer_to_the_product_route_on_overflow_or_cancellation():
    scratch = moments.Scratch()
    a = np.ones((4, 8), np.float32)
    huge = moments.scaled_moments(np.full((4, 8), 1e37, np.float32), scratch)
    assert moments.gram_moments(huge, a, 1.0) is None  # B·max|δ|·max|a| ≥ float32 max / 2
    offset = moments.scaled_moments((1.0 + 1e-3 * np.random.default_rng(0).standard_normal((4, 8))).astype(np.float32),
                                  scratch)
    assert moments.gram_moments(offset, a, 1.0) is None  # mean² > E[G²]/2


def test_propagate_with_gram_route_equals_the_product_route(monkeypatch):
    """A network where every layer takes the Gram route (B·(n_in + n_out) ≤ n_in·n_out) gives the
    product route's grad_w_var to float32 rounding (rel 1e-5, see above: 8·n·u ≈ 1.5e-4 bounds it,
    measured ≤ 1e-6), and every other statistic unchanged."""
    from initviz.network import Network
    net = Network.mlp(input_dim=256, widths=[256, 200, 256], activation="tanh", init="xavier_normal")
    assert all(moments.GRAM_MAX_RATIO * o * i >= 40 * (o + i) for o, i in net.shapes)
    gram = propagation.propagate(net, batch=40, seed=3, n_seeds=2)
    monkeypatch.setattr(moments, "GRAM_MAX_RATIO", 0.0)
    product = propagation.propagate(net, batch=40, seed=3, n_seeds=2)
    for name in propagation.STATS:
        if name in ("grad_w_var", "grad_ratio"):
            np.testing.assert_allclose(gram.stats[name], product.stats[name], rtol=1e-5, err_msg=name)
        else:
            np.testing.assert_array_equal(gram.stats[name], product.stats[name], err_msg=name)
