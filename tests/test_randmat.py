"""Closed forms of initviz.randmat against independent computations and Monte Carlo.

Every Monte Carlo comparison uses a fixed seed and a tolerance of Z standard errors, SE = sd/√N
from the sample itself, stated at the call. Expected values are recomputed here from the formulas
(or integrated numerically), never copied from the code's output.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats

from initviz import InitvizError, Law, law_with_variance
from initviz import randmat as R

Z = 5.0  # tolerance in standard errors: a false alarm has probability ~6e-7 per comparison
IID = ("normal", "uniform", "rademacher", "trunc_normal")
KURTOSIS = {"normal": 3.0, "uniform": 9 / 5, "rademacher": 1.0, "trunc_normal": 2.3655367171}


def close_in_se(samples, expected, z=Z):
    """|mean − expected| ≤ z·SE, plus 1e-12 for rounding when the quantity is deterministic
    (e.g. Rademacher column norms are exactly m·s²)."""
    samples = np.asarray(samples, dtype=float)
    se = samples.std(ddof=1) / math.sqrt(samples.size)
    assert abs(samples.mean() - expected) <= z * se + 1e-12, (samples.mean(), expected, se)


# --- variance rules -----------------------------------------------------------------------------

def test_rules_are_fan_out_fan_in_and_glorot():
    assert R.rule_variance("1/m", 300, 100) == 1 / 300
    assert R.rule_variance("1/n", 300, 100) == 1 / 100
    assert R.rule_variance("2/(m+n)", 300, 100) == 2 / 400
    with pytest.raises(InitvizError, match="rule"):
        R.rule_variance("1/sqrt(n)", 3, 3)


# --- angles -------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", [2, 3, 10, 1000, 100_000])
def test_angle_density_integrates_to_one(n):
    # the mass sits within ~1/√n of π/2: tell quad where to look
    total, _ = integrate.quad(lambda t: float(R.angle_pdf(t, n)), 0, math.pi, points=[math.pi / 2], limit=400)
    assert total == pytest.approx(1.0, abs=1e-7)


def test_angle_density_small_n_closed_forms():
    theta = np.linspace(0, math.pi, 7)
    np.testing.assert_allclose(R.angle_pdf(theta, 2), 1 / math.pi)
    np.testing.assert_allclose(R.angle_pdf(theta, 3), np.sin(theta) / 2, atol=1e-15)
    np.testing.assert_allclose(R.angle_pdf(theta, 4), 2 / math.pi * np.sin(theta) ** 2, atol=1e-15)
    assert R.angle_pdf(-0.1, 5) == 0 and R.angle_pdf(3.2, 5) == 0


def test_angle_cdf_is_the_integral_of_the_density():
    for n in (2, 5, 50):
        for t in (0.3, 1.2, math.pi / 2, 2.5):
            want, _ = integrate.quad(lambda u: float(R.angle_pdf(u, n)), 0, t)
            assert float(R.angle_cdf(t, n)) == pytest.approx(want, abs=1e-10)


def test_angle_moments_closed_forms_and_large_n():
    assert R.angle_moments(2).theta_std == pytest.approx(math.sqrt(math.pi ** 2 / 12), rel=1e-12)
    assert R.angle_moments(3).theta_std == pytest.approx(math.sqrt(math.pi ** 2 / 4 - 2), rel=1e-12)
    # Var θ = ∫ψ² cos^{n−2}ψ / ∫cos^{n−2}ψ; for large n Laplace's method gives 1/(n−2) + O(n⁻²)
    big = R.angle_moments(100_000)
    assert big.theta_std ** 2 * (100_000 - 2) == pytest.approx(1.0, rel=1e-4)
    assert R.angle_moments(17).cos_var == 1 / 17


def test_angles_of_gaussian_vectors_follow_the_density():
    rng = np.random.default_rng(11)
    n, pairs = 20, 4000
    x, y = rng.standard_normal((2, pairs, n))
    theta = np.arccos(np.sum(x * y, 1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1))
    # independent pairs: the KS p-value is valid; fixed seed, threshold 1e-3
    assert stats.kstest(theta, lambda t: R.angle_cdf(t, n)).pvalue > 1e-3
    close_in_se((theta - math.pi / 2) ** 2, R.angle_moments(n).theta_std ** 2)


# --- entrywise deviation of WᵀW ------------------------------------------------------------------

def test_reference_value_normal_100():
    # REFERENCE.md: normal, n = m = 100, s² = 1/100: E = 0.0101
    assert R.gram_deviation(100, 100, 1 / 100, 3.0).total == pytest.approx(0.0101, rel=1e-12)


@given(m=st.integers(1, 5000), n=st.integers(1, 5000), kurt=st.floats(1.0, 10.0))
def test_with_variance_one_over_m_it_is_n_plus_kappa_minus_2_over_mn(m, n, kurt):
    assert R.gram_deviation(m, n, 1 / m, kurt).total == pytest.approx((n + kurt - 2) / (m * n), rel=1e-12)


def _direct_deviation(w):
    """mean over n² entries of (WᵀW − I)², diagonal mean, off-diagonal mean — straight from G."""
    n = w.shape[1]
    d = w.T @ w - np.eye(n)
    off = d[~np.eye(n, dtype=bool)]
    return np.mean(d ** 2), np.mean(np.diag(d) ** 2), np.mean(off ** 2)


@pytest.mark.parametrize("kind", IID)
@pytest.mark.parametrize("m,n,scale", [(40, 30, 1.0), (12, 30, 1.0), (30, 30, 1.7)])
def test_gram_deviation_matches_monte_carlo(kind, m, n, scale):
    law = law_with_variance(kind, scale / m)
    assert law.kurtosis == pytest.approx(KURTOSIS[kind], rel=1e-9)
    theory = R.gram_deviation(m, n, law.var, law.kurtosis)
    assert theory.total == pytest.approx((theory.diag + (n - 1) * theory.offdiag) / n, rel=1e-12)
    rng = np.random.default_rng([IID.index(kind), m, n])
    rows = np.array([_direct_deviation(law.sample((m, n), rng)) for _ in range(1500)])
    for column, expected in zip(rows.T, (theory.total, theory.diag, theory.offdiag)):
        close_in_se(column, expected)


@given(m=st.integers(2, 30), n=st.integers(2, 30), gain=st.floats(0.2, 3.0))
@settings(max_examples=40, deadline=None)
def test_orthogonal_total_deviation_is_exact_for_every_draw(m, n, gain):
    law = law_with_variance("orthogonal", gain ** 2 / max(m, n), shape=(m, n))
    assert law.scale == pytest.approx(gain)
    total, _, _ = _direct_deviation(law.sample(seed=np.random.default_rng(m * 100 + n)))
    want = (gain ** 2 - 1) ** 2 / n if m >= n else (m * (gain ** 2 - 1) ** 2 + (n - m)) / n ** 2
    assert total == pytest.approx(want, rel=1e-9, abs=1e-13)
    assert R.gram_deviation_orthogonal(m, n, gain).total == pytest.approx(want, rel=1e-12, abs=1e-15)


def test_orthogonal_wide_parts_match_monte_carlo():
    m, n, gain = 6, 15, 1.4
    law = law_with_variance("orthogonal", gain ** 2 / n, shape=(m, n))
    theory = R.gram_deviation_for_law(law, m, n)
    rng = np.random.default_rng(5)
    rows = np.array([_direct_deviation(law.sample(seed=rng)) for _ in range(3000)])
    close_in_se(rows[:, 1], theory.diag)
    close_in_se(rows[:, 2], theory.offdiag)


def test_sparse_columns_use_the_chi_square_column_norm():
    m, n, std = 20, 25, 0.3
    law = Law("sparse", scale=std, sparsity=0.25, shape=(m, n))
    theory = R.gram_deviation_for_law(law, m, n)
    nonzero = m - math.ceil(0.25 * m)
    assert theory.diag == pytest.approx(2 * std ** 4 * nonzero + (nonzero * std ** 2 - 1) ** 2)
    rng = np.random.default_rng(8)
    rows = np.array([_direct_deviation(law.sample(seed=rng)) for _ in range(2000)])
    for column, expected in zip(rows.T, (theory.total, theory.diag, theory.offdiag)):
        close_in_se(column, expected)


def test_deterministic_or_shifted_laws_are_refused():
    with pytest.raises(InitvizError, match="law"):
        R.gram_deviation_for_law(Law("constant", scale=0.1), 3, 3)
    with pytest.raises(InitvizError, match="law"):
        R.gram_deviation_for_law(Law("uniform", loc=0.5, scale=0.1), 3, 3)
    with pytest.raises(InitvizError, match="shape"):
        R.gram_deviation_for_law(law_with_variance("orthogonal", 0.1, shape=(4, 3)), 3, 4)


# --- the norm ratio -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", IID)
def test_norm_ratio_moments_fixed_and_isotropic_x(kind):
    m, n = 15, 12
    law = law_with_variance(kind, 1.3 / m)
    rng = np.random.default_rng(21)
    x = np.arange(1.0, n + 1)  # far from flat: ρ = Σx⁴/(Σx²)² = 0.1378…
    rho = np.sum(x ** 4) / np.sum(x ** 2) ** 2
    w = law.sample((20000, m, n), rng)
    r_fixed = np.sum((w @ x) ** 2, axis=1) / (x @ x)
    xs = rng.standard_normal((20000, n))
    r_iso = np.sum(np.einsum("kij,kj->ki", w, xs) ** 2, axis=1) / np.sum(xs ** 2, axis=1)
    s2, kurt = law.var, law.kurtosis
    want_var = {"fixed": m * s2 ** 2 * (2 + (kurt - 3) * rho), "iso": m * s2 ** 2 * (2 + (kurt - 3) * 3 / (n + 2))}
    for label, r, x_arg in (("fixed", r_fixed, x), ("iso", r_iso, "isotropic")):
        theory = R.norm_ratio_moments(m, n, s2, kurt, x_arg)
        assert theory.mean == pytest.approx(m * s2) and theory.var == pytest.approx(want_var[label])
        close_in_se(r, theory.mean)
        # SE of the sample variance: √((μ₄ − σ⁴)/N), μ₄ estimated from the sample
        dev = r - r.mean()
        se_var = math.sqrt((np.mean(dev ** 4) - np.mean(dev ** 2) ** 2) / r.size)
        assert abs(dev.var(ddof=1) - theory.var) <= Z * se_var


def test_gaussian_norm_ratio_is_scaled_chi_square():
    m, n, s2 = 7, 30, 0.2
    law = law_with_variance("normal", s2)
    rng = np.random.default_rng(3)
    x = rng.standard_normal(n)
    r = np.sum((law.sample((5000, m, n), rng) @ x) ** 2, axis=1) / (x @ x)
    assert stats.kstest(r, lambda v: stats.chi2.cdf(v / s2, m)).pvalue > 1e-3  # independent W per sample
    assert stats.kstest(r, lambda v: R.norm_ratio_cdf(v, m, n, law)).pvalue > 1e-3
    t = np.linspace(0.1, 3, 5)
    np.testing.assert_allclose(R.norm_pdf(t, m, n, law), stats.chi.pdf(t / math.sqrt(s2), m) / math.sqrt(s2))
    val, _ = integrate.quad(lambda v: float(R.norm_ratio_pdf(v, m, n, law)), 0, np.inf)
    assert val == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("kind, n", [("normal", 9), ("orthogonal", 2), ("orthogonal", 7)])
def test_norm_pdf_at_zero_is_its_limit(kind, n):
    # one output (m = 1): ‖Wx‖/‖x‖ is |N(0, s²)| or g·|a Beta(½, (n−1)/2) root|, whose density at 0 is
    # finite and positive — not 2·0·f_R(0) = 0·∞; with m ≥ 2 it is 0
    law = law_with_variance(kind, 0.3, shape=(1, n) if kind == "orthogonal" else None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        at_zero, near_zero = R.norm_pdf(np.array([0.0, 1e-9]), 1, n, law)
        assert R.norm_pdf(np.array([0.0]), 2, n + 1, law_with_variance("normal", 0.3))[0] == 0.0
    assert np.isfinite(at_zero) and at_zero > 0 and near_zero == pytest.approx(at_zero, rel=1e-6)
    if kind == "normal":
        assert at_zero == pytest.approx(stats.chi.pdf(0.0, 1) / math.sqrt(0.3), rel=1e-12)


def test_orthogonal_norm_ratio_is_exact_or_beta():
    gain = 1.2
    tall = law_with_variance("orthogonal", gain ** 2 / 9, shape=(9, 5))
    x = np.random.default_rng(0).standard_normal(5)
    w = tall.sample(seed=1)
    assert np.sum((w @ x) ** 2) / (x @ x) == pytest.approx(gain ** 2, rel=1e-12)
    assert R.norm_ratio_moments_for_law(tall, 9, 5).var == 0.0
    wide = law_with_variance("orthogonal", gain ** 2 / 9, shape=(4, 9))
    rng = np.random.default_rng(2)
    x9 = rng.standard_normal(9)
    r = np.array([np.sum((wide.sample(seed=rng) @ x9) ** 2) for _ in range(3000)]) / (x9 @ x9)
    assert stats.kstest(r, lambda v: R.norm_ratio_cdf(v, 4, 9, wide)).pvalue > 1e-3
    theory = R.norm_ratio_moments_for_law(wide, 4, 9)
    assert theory.mean == pytest.approx(gain ** 2 * 4 / 9)
    close_in_se(r, theory.mean)


# --- Marchenko–Pastur -------------------------------------------------------------------------

@pytest.mark.parametrize("m,n", [(400, 100), (100, 100), (100, 250)])
def test_mp_cdf_is_the_integral_of_the_density_plus_the_atom(m, n):
    var = 0.8 / m
    mp = R.marchenko_pastur(m, n, var)
    assert mp.lo == pytest.approx(0.8 * (1 - math.sqrt(n / m)) ** 2)
    assert mp.atom == pytest.approx(max(0.0, 1 - m / n))
    mass, _ = integrate.quad(lambda x: float(R.mp_pdf(x, m, n, var)), mp.lo, mp.hi, limit=200)
    assert mass == pytest.approx(min(1.0, m / n), abs=1e-7)
    for x in np.linspace(mp.lo, mp.hi, 9):
        part, _ = integrate.quad(lambda u: float(R.mp_pdf(u, m, n, var)), mp.lo, x, limit=200)
        assert float(R.mp_cdf(x, m, n, var)) == pytest.approx(part + mp.atom, abs=1e-8)
    assert float(R.mp_cdf(-1e-3, m, n, var)) == 0.0
    assert float(R.mp_cdf(2 * mp.hi, m, n, var)) == pytest.approx(1.0)


def _ks_distance(eigs, cdf):
    eigs = np.sort(eigs)
    f = cdf(eigs)
    k = np.arange(1, eigs.size + 1)
    return max(np.max(k / eigs.size - f), np.max(f - (k - 1) / eigs.size))


@pytest.mark.parametrize("m,n", [(600, 300), (300, 300)])
def test_eigenvalues_follow_marchenko_pastur(m, n):
    """Eigenvalues are not independent, so no KS p-value: instead the KS distance is bounded.

    By eigenvalue rigidity (Erdős–Yau–Yin; Götze–Tikhomirov's rate) the empirical spectral CDF of one
    matrix is within O(log n / n) of the MP law, the soft edges included (the density vanishes like
    √ there, so an O(n^{-2/3}) edge shift moves the CDF by O(1/n)). Pooling 4 matrices, we allow
    D ≤ 4·log(n)/n (≈0.076 at n = 300). A wrong ratio λ must fail the same bound.
    """
    rng = np.random.default_rng(12)
    eigs = np.concatenate([np.linalg.eigvalsh((w := rng.standard_normal((m, n)) / math.sqrt(m)).T @ w)
                           for _ in range(4)])
    bound = 4 * math.log(n) / n
    assert _ks_distance(eigs, lambda x: R.mp_cdf(x, m, n, 1 / m)) <= bound
    assert _ks_distance(eigs, lambda x: R.mp_cdf(x, 2 * m, n, 1 / (2 * m))) > bound


def test_opnorm_limit_scales_with_m_s2():
    assert R.opnorm_limit(500, 500, 1 / 500) == pytest.approx(3.0)
    c, lam = 0.6, 0.25
    want = max(abs(c * (1 + math.sqrt(lam)) ** 2 - 1), abs(c * (1 - math.sqrt(lam)) ** 2 - 1))
    assert R.opnorm_limit(400, 100, c / 400) == pytest.approx(want)
    assert R.opnorm_limit(100, 400, 0.01 / 100) == 1.0  # wide: the zero eigenvalues give 1


def test_tracy_widom_top_eigenvalue_matches_monte_carlo():
    # E λ_max ≈ s²(μ + σ·E F₁); at m = n = 60 the approximation error is ≲ 0.05σ (Ma 2012),
    # we allow 5 SE of the Monte Carlo mean plus 0.1σ.
    m, n = 80, 60
    rng = np.random.default_rng(4)
    tops = np.array([np.linalg.eigvalsh((w := rng.standard_normal((m, n)) / math.sqrt(m)).T @ w)[-1]
                     for _ in range(1500)])
    a, b = math.sqrt(m - 0.5), math.sqrt(n - 0.5)
    sigma = (a + b) * (1 / a + 1 / b) ** (1 / 3) / m
    assert abs(tops.mean() - R.wishart_top_mean(m, n, 1 / m)) <= Z * tops.std() / math.sqrt(tops.size) + 0.1 * sigma
    assert tops.std() == pytest.approx(R.TW1_STD * sigma, rel=0.1)  # TW scale, finite-n within 10%


# --- products of layers --------------------------------------------------------------------------

@pytest.mark.parametrize("widths", [(10, 10, 10, 10), (8, 12, 6, 10)])
def test_product_moments_match_monte_carlo(widths):
    variances = [1.3 / w for w in widths[:-1]]
    rng = np.random.default_rng(9)
    means, spreads = [], []
    for _ in range(6000):
        j = np.eye(widths[0])
        for l, s2 in enumerate(variances, start=1):
            j = rng.standard_normal((widths[l], widths[l - 1])) * math.sqrt(s2) @ j
        sq = np.linalg.svd(j, compute_uv=False) ** 2
        sq = np.concatenate([sq, np.zeros(widths[0] - sq.size)])  # n₀ values, zeros included
        means.append(sq.mean())
        spreads.append(sq.var())
    theory = R.product_sv_moments(widths, variances)
    assert theory.mean_sq[-1] == pytest.approx(math.prod(w * v for w, v in zip(widths[1:], variances)))
    close_in_se(means, theory.mean_sq[-1])
    close_in_se(spreads, theory.var_sq[-1])


def test_product_spread_grows_like_depth_at_large_width():
    # one layer, square, s² = 1/n: E var σ² = 1 + 1/n − 2/n² exactly (expand the recursion by hand)
    n = 50
    assert R.product_sv_moments([n, n], 1 / n).var_sq[1] == pytest.approx(1 + 1 / n - 2 / n ** 2, rel=1e-12)
    big = R.product_sv_moments([10 ** 6] * 21, 1e-6)
    np.testing.assert_allclose(big.var_sq, np.arange(21), rtol=1e-3, atol=1e-9)  # Fuss–Catalan: L
    np.testing.assert_allclose(big.mean_sq, 1.0)


def test_gaussian_lyapunov_means_match_qr_monte_carlo():
    n, s2 = 6, 0.5
    rng = np.random.default_rng(13)
    logs = np.array([np.log(np.abs(np.diag(np.linalg.qr(rng.standard_normal((n, n)) * math.sqrt(s2))[1])))
                     for _ in range(20000)])
    want = R.gaussian_lyapunov_mean(n, s2)
    np.testing.assert_allclose(want, 0.5 * (np.log(2 * s2) + special.digamma((n - np.arange(n)) / 2)))
    for column, expected in zip(logs.T, want):
        close_in_se(column, expected)


def test_invalid_arguments_name_the_argument():
    with pytest.raises(InitvizError, match="`m`"):
        R.gram_deviation(0, 3, 0.1, 3.0)
    with pytest.raises(InitvizError, match="`var`"):
        R.gram_deviation(3, 3, 0.0, 3.0)
    with pytest.raises(InitvizError, match="`kurtosis`"):
        R.gram_deviation(3, 3, 0.1, 0.5)
    with pytest.raises(InitvizError, match="`n`"):
        R.angle_pdf(0.5, 1)
    with pytest.raises(InitvizError, match="`x`"):
        R.norm_ratio_moments(3, 4, 0.1, 3.0, x=np.zeros(4))
    with pytest.raises(InitvizError, match="`variances`"):
        R.product_sv_moments([3, 3, 3], [0.1])
