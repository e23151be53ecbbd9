"""Exact laws: moments vs closed forms and Monte Carlo, density and distribution function vs scipy,
exact sampling (KS), base-draw structure, dtypes and errors.

Statistical checks use fixed seeds. Tolerances: 5 standard errors, SE stated at each check;
KS tests pass at p > 1e-3 (P_MIN)."""

import math
import warnings

import numpy as np
import pytest
from scipy import integrate, stats

from initviz import InitvizError, Law, law_with_variance
from initviz.laws import TRUNC_STD_RATIO

P_MIN = 1e-3
Z = 5.0  # standard errors allowed in Monte Carlo comparisons

RANDOM_LAWS = {
    "normal": Law("normal", loc=0.3, scale=2.0),
    "uniform": Law("uniform", loc=-1.0, scale=0.5),
    "rademacher": Law("rademacher", loc=0.25, scale=0.7),
    "trunc_sym": Law("trunc_normal", scale=0.5, a=-1.0, b=1.0),
    "trunc_offset": Law("trunc_normal", loc=1.0, scale=2.0, a=0.0, b=4.0),
    "trunc_upper_tail": Law("trunc_normal", scale=1.0, a=1.5, b=math.inf),
    "trunc_lower_half": Law("trunc_normal", loc=-1.0, scale=0.5, a=-math.inf, b=-0.5),
    "orthogonal_square": Law("orthogonal", scale=1.5, shape=(8, 8)),
    "orthogonal_tall": Law("orthogonal", scale=1.0, shape=(20, 5)),
    "orthogonal_wide_conv": Law("orthogonal", scale=0.5, shape=(3, 10, 2)),
    "sparse": Law("sparse", scale=0.1, sparsity=0.3, shape=(40, 50)),
    "delta_orthogonal": Law("delta_orthogonal", scale=1.3, shape=(12, 5, 3, 3)),
}


def monte_carlo(law, n, seed, dtype="float64"):
    """≥ n entries of ``law``: repeated draws of shaped laws, one draw otherwise."""
    rng = np.random.default_rng(seed)
    if law.shape is None:
        return law.sample((n,), rng, dtype)
    reps = math.ceil(n / math.prod(law.shape))
    return np.concatenate([law.sample(seed=rng, dtype=dtype).ravel() for _ in range(reps)])


@pytest.mark.parametrize("name", RANDOM_LAWS)
def test_moments_match_monte_carlo(name):
    law = RANDOM_LAWS[name]
    x = monte_carlo(law, 200_000, seed=1)
    n = x.size
    # mean: SE = std/√n
    assert abs(x.mean() - law.mean) < Z * law.std / math.sqrt(n)
    d = x - law.mean
    # variance about the true mean: SE = √(Var[(w−μ)²]/n) = σ²√((κ−1)/n) (0 for Rademacher, hence
    # the rounding allowance of 1e-12 relative)
    rounding = 1e-12 * law.var
    assert abs(np.mean(d ** 2) - law.var) <= Z * law.var * math.sqrt((law.kurtosis - 1) / n) + rounding
    # 4th central moment κσ⁴: SE estimated from the sample, √(Var[(w−μ)⁴]/n)
    m4 = d ** 4
    assert abs(m4.mean() - law.kurtosis * law.var ** 2) <= Z * m4.std() / math.sqrt(n) + rounding * law.var


def test_textbook_kurtoses():
    assert Law("normal").kurtosis == 3
    assert Law("uniform").kurtosis == pytest.approx(9 / 5, rel=1e-14)
    assert Law("rademacher").kurtosis == 1
    # REFERENCE.md: normal truncated at ±2σ has kurtosis 2.3655367171
    assert Law("trunc_normal", a=-2, b=2).kurtosis == pytest.approx(2.3655367171, abs=1e-10)
    # Keras/JAX constant: std of N(0, 1) truncated to [−2, 2]
    assert Law("trunc_normal", a=-2, b=2).std == pytest.approx(stats.truncnorm(-2, 2).std(), rel=1e-13)
    assert TRUNC_STD_RATIO == pytest.approx(stats.truncnorm(-2, 2).std(), rel=1e-15)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 100])
def test_haar_entry_moments(n):
    law = Law("orthogonal", scale=2.0, shape=(n, n))
    # a coordinate of a uniform unit vector in R^n: E u² = 1/n, E u⁴ = 3/(n(n+2))
    assert law.var == pytest.approx(4.0 / n, rel=1e-14)
    assert law.kurtosis == pytest.approx(3 * n / (n + 2), rel=1e-14)
    assert law.is_continuous == (n >= 2)


def closed_form_trunc(mu, sigma, a, b):
    """Mean and variance from the textbook formulas (Johnson, Kotz & Balakrishnan §10.1)."""
    al, be = (a - mu) / sigma, (b - mu) / sigma
    z = stats.norm.cdf(be) - stats.norm.cdf(al)
    pa, pb = stats.norm.pdf(al), stats.norm.pdf(be)
    ta = al * pa if math.isfinite(al) else 0.0
    tb = be * pb if math.isfinite(be) else 0.0
    mean = mu + sigma * (pa - pb) / z
    var = sigma ** 2 * (1 + (ta - tb) / z - ((pa - pb) / z) ** 2)
    return mean, var


TRUNC_CASES = [(0.0, 1.0, -2.0, 2.0), (0.0, 0.1, -2.0, 2.0), (0.0, 1.0, -0.5, 1.0), (1.0, 2.0, 0.0, 4.0),
               (0.0, 1.0, 1.5, 3.0), (-1.0, 0.5, -3.0, -0.5), (0.0, 1.0, -math.inf, 0.3), (2.0, 1.0, 2.5, math.inf)]


@pytest.mark.parametrize("mu, sigma, a, b", TRUNC_CASES)
def test_trunc_normal_moments_closed_form(mu, sigma, a, b):
    law = Law("trunc_normal", loc=mu, scale=sigma, a=a, b=b)
    mean, var = closed_form_trunc(mu, sigma, a, b)
    assert law.mean == pytest.approx(mean, rel=1e-11, abs=1e-13)
    assert law.var == pytest.approx(var, rel=1e-11)
    ref = stats.truncnorm((a - mu) / sigma, (b - mu) / sigma, loc=mu, scale=sigma)
    assert law.kurtosis == pytest.approx(float(ref.stats(moments="k")) + 3, rel=1e-10)
    assert law.support == (a, b)


def quad_moments(alpha, beta):
    """Mean, variance, kurtosis of N(0,1) on [α, β] by adaptive quadrature of e^{−(x²−x₀²)/2},
    in the variable t ∈ [−1, 1] with x = c + h·t (so narrow intervals stay well scaled)."""
    x0 = min(max(0.0, alpha), beta)
    c, h = 0.5 * (alpha + beta), 0.5 * (beta - alpha)

    def mom(f):
        return integrate.quad(lambda t: f(t) * math.exp(-0.5 * (c + h * t - x0) * (c + h * t + x0)), -1.0, 1.0,
                              epsabs=1e-13, epsrel=1e-12, limit=200)[0]

    z = mom(lambda t: 1.0)
    m = mom(lambda t: t) / z
    v = mom(lambda t: (t - m) ** 2) / z
    return c + h * m, h * h * v, mom(lambda t: (t - m) ** 4) / z / v ** 2


@pytest.mark.parametrize("alpha, beta", [(10.0, 11.0), (-40.0, -39.0), (200.0, 201.0), (5.0, 5.001),
                                         (-1e-3, 1e-3), (30.0, math.inf)])
def test_trunc_normal_moments_far_tails(alpha, beta):
    """Where the closed forms cancel catastrophically, moments still agree with quadrature."""
    law = Law("trunc_normal", a=alpha, b=beta)
    # beyond √(α²+100) the density is below e^−50 of its peak at α: cut there for the quadrature
    m, v, k = quad_moments(alpha, min(beta, math.sqrt(alpha ** 2 + 100.0)))
    assert law.mean == pytest.approx(m, rel=1e-11, abs=1e-15)
    assert law.var == pytest.approx(v, rel=1e-9)
    assert law.kurtosis == pytest.approx(k, rel=1e-8)


def test_trunc_normal_pdf_of_a_far_tail_support_is_silent_and_normalised():
    # support [40, 41] in units of the parent std: at z near 0, φ(z)/mass = e^(800 − z²/2) overflows,
    # and is not used (no RuntimeWarning); on the support the density integrates to 1 (its mass lies
    # within ~1/α = 0.025 of α: the grid resolves it, trapezoid error ~1e-8)
    law = Law("trunc_normal", a=40.0, b=41.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outside = law.pdf(np.array([0.0, -3.0, 39.0, 42.0]))
        x = np.linspace(40.0, 41.0, 100001)
        inside = law.pdf(x)
    assert np.array_equal(outside, np.zeros(4))
    assert np.trapezoid(inside, x) == pytest.approx(1.0, rel=1e-6)


def scipy_reference(law):
    """The same distribution built by scipy from the law's parameters."""
    if law.kind == "normal":
        return stats.norm(law.loc, law.scale)
    if law.kind == "uniform":
        return stats.uniform(law.loc - law.scale, 2 * law.scale)
    if law.kind == "trunc_normal":
        return stats.truncnorm(law.alpha, law.beta, loc=law.loc, scale=law.scale)
    n = max(law.shape[0], math.prod(law.shape) // law.shape[0])  # orthogonal: (u+1)/2 ~ Beta
    g = abs(law.scale)
    return stats.beta((n - 1) / 2, (n - 1) / 2, loc=-g, scale=2 * g)


CONTINUOUS = [k for k, law in RANDOM_LAWS.items() if law.is_continuous]


@pytest.mark.parametrize("name", CONTINUOUS)
def test_pdf_and_cdf_match_scipy(name):
    law = RANDOM_LAWS[name]
    ref = scipy_reference(law)
    lo, hi = ref.ppf(1e-6), ref.ppf(1 - 1e-6)
    x = np.linspace(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo), 2001)
    np.testing.assert_allclose(law.cdf(x), ref.cdf(x), rtol=1e-10, atol=1e-13)
    inside = (x > law.support[0]) & (x < law.support[1])
    np.testing.assert_allclose(law.pdf(x[inside]), ref.pdf(x[inside]), rtol=1e-9)
    assert np.all(law.pdf(x[~inside]) == 0)


@pytest.mark.parametrize("name", CONTINUOUS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_samples_pass_ks_against_scipy(name, dtype):
    law = RANDOM_LAWS[name]
    x = monte_carlo(law, 20_000, seed=7, dtype=dtype)
    assert x.dtype == np.dtype(dtype)
    lo, hi = law.support
    assert lo <= x.min() and x.max() <= hi
    assert stats.kstest(x.astype(float), scipy_reference(law).cdf).pvalue > P_MIN


@pytest.mark.parametrize("a, b", [(8.0, 9.0), (-40.0, -39.5), (1e3, 1e3 + 1e-3), (-0.1, 0.1), (3.0, math.inf),
                                  (-math.inf, -12.0)])
def test_trunc_normal_sampling_is_exact_in_far_tails(a, b):
    law = Law("trunc_normal", a=a, b=b)
    x = law.sample((20_000,), seed=3)
    assert np.all((x >= a) & (x <= b))
    assert stats.kstest(x, law.cdf).pvalue > P_MIN
    if abs(a) < 100:
        assert stats.kstest(x, stats.truncnorm(a, b).cdf).pvalue > P_MIN
    # mean: SE = std/√n
    assert abs(x.mean() - law.mean) < Z * law.std / math.sqrt(x.size)


def test_rademacher_values_and_balance():
    law = Law("rademacher", loc=0.5, scale=2.0)
    x = law.sample((40_000,), seed=5)
    assert set(np.unique(x)) == {-1.5, 2.5}
    # P(+) = 1/2: SE = √(1/4n)
    assert abs(np.mean(x > 0) - 0.5) < Z * math.sqrt(0.25 / x.size)
    assert law.support == (-1.5, 2.5) and not law.is_continuous


def test_sparse_zeros_per_column_and_nonzeros_normal():
    law = Law("sparse", scale=0.5, sparsity=0.25, shape=(30, 400))
    w = law.sample(seed=2)
    assert np.all((w == 0).sum(axis=0) == math.ceil(0.25 * 30))
    assert law.zero_fraction == 8 / 30
    assert stats.kstest(w[w != 0], stats.norm(0, 0.5).cdf).pvalue > P_MIN
    rows_hit = np.flatnonzero((w == 0).sum(axis=1))  # zeros fall on every row, not a fixed set
    assert rows_hit.size == 30


@pytest.mark.parametrize("shape, groups", [((5, 8), None), ((4, 2, 3, 3), 2), ((6, 4, 5), 1)])
def test_deterministic_entry_laws(shape, groups):
    law = Law("eye", shape=shape) if groups is None else Law("dirac", shape=shape, groups=groups)
    w = law.sample(seed=None)
    assert not law.is_random and not law.is_continuous
    assert set(np.unique(w)) == {0.0, 1.0}
    # the law of a uniformly chosen entry of the tensor
    assert law.mean == pytest.approx(w.mean(), rel=1e-14)
    assert law.var == pytest.approx(w.var(), rel=1e-12)
    assert law.kurtosis == pytest.approx(np.mean((w - w.mean()) ** 4) / w.var() ** 2, rel=1e-12)
    assert law.zero_fraction == pytest.approx(np.mean(w == 0), rel=1e-14)


def test_constant_law():
    law = Law("constant", scale=0.3, shape=(2, 3))
    assert np.all(law.sample() == 0.3) and law.var == 0 and math.isnan(law.kurtosis)
    assert law.support == (0.3, 0.3)


@pytest.mark.parametrize("small, big", [
    (Law("normal", scale=0.1), Law("normal", scale=0.7)),
    (Law("uniform", scale=0.1), Law("uniform", scale=3.0)),
    (Law("rademacher", scale=0.2), Law("rademacher", scale=1.0)),
    (law_with_variance("trunc_normal", 0.01), law_with_variance("trunc_normal", 2.0)),
    (Law("orthogonal", scale=1.0, shape=(6, 9)), Law("orthogonal", scale=-2.5, shape=(6, 9))),
    (Law("sparse", scale=0.01, sparsity=0.2, shape=(10, 12)), Law("sparse", scale=1.0, sparsity=0.2, shape=(10, 12))),
])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_same_rng_gives_proportional_tensors(small, big, dtype):
    """loc + scale·base: laws that differ only in scale share the base draw."""
    assert small.base_key == big.base_key
    shape = small.shape or (50, 40)
    x = small.sample(shape, seed=11, dtype=dtype)
    y = big.sample(shape, seed=11, dtype=dtype)
    ratio = big.scale / small.scale
    np.testing.assert_allclose(y, ratio * x.astype(float), rtol=4 * np.finfo(dtype).eps, atol=0)
    base = small.base(shape, seed=11, dtype=dtype)
    np.testing.assert_array_equal(big.transform(base), y)


def test_base_keys_differ_when_bases_differ():
    assert Law("trunc_normal", a=-2, b=2).base_key != Law("trunc_normal", a=-1, b=2).base_key
    assert Law("normal").base_key != Law("uniform").base_key
    assert Law("orthogonal", shape=(3, 4)).base_key != Law("orthogonal", shape=(4, 3)).base_key


@pytest.mark.parametrize("c", [2.5, -0.5, -3.0])
@pytest.mark.parametrize("name", ["normal", "uniform", "trunc_offset", "orthogonal_tall", "rademacher", "sparse"])
def test_scaled_is_the_law_of_c_w(name, c):
    law = RANDOM_LAWS[name]
    scaled = law.scaled(c)
    assert scaled.mean == pytest.approx(c * law.mean, rel=1e-12, abs=1e-15)
    assert scaled.var == pytest.approx(c * c * law.var, rel=1e-12)
    assert scaled.kurtosis == pytest.approx(law.kurtosis, rel=1e-12)
    lo, hi = law.support
    assert scaled.support == pytest.approx(tuple(sorted((c * lo, c * hi))), rel=1e-14)
    if law.is_continuous:
        x = c * monte_carlo(law, 20_000, seed=4)
        assert stats.kstest(x, scaled.cdf).pvalue > P_MIN


@pytest.mark.parametrize("kind", ["normal", "uniform", "rademacher", "trunc_normal", "orthogonal"])
@pytest.mark.parametrize("var", [1e-4, 0.37, 2.0])
def test_law_with_variance(kind, var):
    law = law_with_variance(kind, var, shape=(12, 5, 3))
    assert law.var == pytest.approx(var, rel=1e-12)
    assert law.mean == 0
    if kind == "trunc_normal":  # cut at ±2 parent std, parent std corrected (Keras/JAX)
        assert law.b == pytest.approx(2 * law.scale, rel=1e-15) and law.a == -law.b
        assert law.scale == pytest.approx(math.sqrt(var) / 0.87962566103423978, rel=1e-15)
    if kind == "orthogonal":  # gain² = var·max(rows, numel/rows) = var·15
        assert law.scale ** 2 == pytest.approx(var * 15, rel=1e-14)


def test_law_with_variance_errors():
    with pytest.raises(InitvizError, match="`kind`"):
        law_with_variance("eye", 1.0)
    with pytest.raises(InitvizError, match="`var`"):
        law_with_variance("normal", -1.0)
    with pytest.raises(InitvizError, match="`shape`"):
        law_with_variance("orthogonal", 1.0)


@pytest.mark.parametrize("kwargs, argument", [
    ({"kind": "cauchy"}, "kind"), ({"kind": "normal", "scale": -1.0}, "scale"),
    ({"kind": "normal", "loc": math.nan}, "loc"), ({"kind": "trunc_normal", "a": 1.0, "b": 0.0}, "b"),
    ({"kind": "trunc_normal", "scale": 0.0}, "scale"), ({"kind": "orthogonal"}, "shape"),
    ({"kind": "orthogonal", "shape": (5,)}, "shape"), ({"kind": "eye", "shape": (2, 2, 2)}, "shape"),
    ({"kind": "dirac", "shape": (4, 2, 3), "groups": 3}, "groups"), ({"kind": "sparse", "shape": (0, 4)}, "shape"),
    ({"kind": "sparse", "sparsity": 1.5, "shape": (3, 4)}, "sparsity"), ({"kind": "normal", "scale": True}, "scale"),
])
def test_law_errors_name_the_argument(kwargs, argument):
    with pytest.raises(InitvizError, match=f"`{argument}`"):
        Law(**kwargs)


def test_sampling_errors():
    with pytest.raises(InitvizError, match="`kind`"):
        Law("rademacher").pdf(0.0)
    with pytest.raises(InitvizError, match="`shape`"):
        Law("orthogonal", shape=(3, 4)).sample((4, 3))
    with pytest.raises(InitvizError, match="`shape`"):
        Law("normal").sample()
    with pytest.raises(InitvizError, match="`dtype`"):
        Law("normal").sample((3,), dtype="float16")
    with pytest.raises(InitvizError, match="`seed`"):
        Law("normal").sample((3,), seed=-1)
    with pytest.raises(InitvizError, match="`rng`"), pytest.warns(DeprecationWarning):  # the old name names itself
        Law("normal").sample((3,), rng=-1)


MIXTURE_LAWS = {**RANDOM_LAWS, "eye": Law("eye", shape=(5, 8)), "dirac": Law("dirac", shape=(4, 2, 3, 3), groups=2),
                "constant": Law("constant", scale=0.3, shape=(2, 3)), "zero_scale": Law("normal", scale=0.0),
                "haar_1d": Law("orthogonal", scale=0.5, shape=(1, 1)),
                "delta_1d": Law("delta_orthogonal", scale=0.5, shape=(1, 1, 3)),
                "delta_one_tap": Law("delta_orthogonal", scale=0.5, shape=(6, 4, 1, 1))}


@pytest.mark.parametrize("name", MIXTURE_LAWS)
def test_mixture_splits_the_law_into_density_and_atoms_with_its_moments(name):
    law = MIXTURE_LAWS[name]
    weight, atoms = law.mixture()
    assert weight + sum(m for _, m in atoms) == pytest.approx(1.0, abs=1e-15)
    assert (weight == 1.0) == law.is_continuous and all(m > 0 for _, m in atoms)
    if name == "sparse":  # a point mass ⌈0.3·40⌉/40 = 0.3 at 0 beside the normal part (mean 0)
        assert atoms == [(0.0, pytest.approx(0.3))] and weight == pytest.approx(0.7)
    if name == "delta_orthogonal":  # 8 of the 9 taps are 0; the centre tap's entries have a density
        assert atoms == [(0.0, pytest.approx(8 / 9))] and weight == pytest.approx(1 / 9)
    if 0 < weight < 1:  # the density part carries the rest of the variance (atoms here sit at 0)
        assert weight * law.continuous_part().var == pytest.approx(law.var, rel=1e-14)
    if weight == 0.0:  # atoms only: they carry the law's mean and variance exactly
        mean = sum(x * m for x, m in atoms)
        assert mean == pytest.approx(law.mean, abs=1e-15)
        assert sum((x - mean) ** 2 * m for x, m in atoms) == pytest.approx(law.var, abs=1e-15)


@pytest.mark.parametrize("law,value", [
    (Law("constant", scale=0.25), 0.25), (Law("normal", loc=0.5, scale=0.0), 0.5), (Law("uniform", scale=0.0), 0.0),
    (Law("orthogonal", scale=0.0, shape=(4, 3)), 0.0), (Law("sparse", sparsity=1.0, shape=(5, 3)), 0.0),
    (Law("eye", scale=2.0, shape=(1, 1)), 2.0),
    (Law("normal"), None), (Law("eye", shape=(3, 3)), None), (Law("rademacher", scale=0.1), None),
    (Law("trunc_normal", a=-1, b=1), None), (Law("sparse", sparsity=0.5, shape=(4, 3)), None)])
def test_constant_value_is_the_single_point_of_a_degenerate_law(law, value):
    assert law.constant_value == value
    if value is not None:  # and the tensor is that value everywhere, exactly
        shape = law.shape or (6, 5)
        assert np.all(law.sample(shape, 0, "float32") == np.float32(value))


# --- entries of a weight too large to draw whole (the Initializers page's histogram) --------------

COUNT = 4096


@pytest.mark.parametrize("kind, shape", [("orthogonal", (64, 1024)), ("orthogonal", (1024, 64)),
                                         ("orthogonal", (2, 8192)), ("sparse", (256, 512)), ("eye", (256, 512)),
                                         ("dirac", (64, 32, 3, 3)), ("normal", (128, 128)),
                                         ("delta_orthogonal", (64, 32, 3, 3))])
def test_entries_of_a_large_weight_have_its_law(kind, shape):
    """``count`` entries of a weight with more: their mean and variance within 5 standard errors of
    the law's (SE of a mean √(var/k); of a variance √((κ − 1)/k)·var, κ the kurtosis — the entries of
    one draw are dependent for orthogonal/sparse, but weakly: O(1/n) correlations); the exact zero
    fraction for sparse (per column, by construction), and within 5 binomial SEs for eye/dirac."""
    law = Law(kind, shape=shape, sparsity=0.25, groups=2 if kind == "dirac" else 1)
    x = law.entries(COUNT, seed=3)
    assert math.prod(shape) > COUNT and x.shape == (COUNT,)
    k = x.size
    assert abs(x.mean() - law.mean) <= 5 * math.sqrt(law.var / k) + 1e-12
    assert abs(x.var() - law.var) <= 5 * math.sqrt(max(law.kurtosis - 1, 0) / k) * law.var + 1e-12
    p = law.zero_fraction
    if kind == "sparse":
        assert (x == 0).mean() == p
    elif kind in ("eye", "dirac", "delta_orthogonal"):
        assert abs((x == 0).mean() - p) <= 5 * math.sqrt(p * (1 - p) / k) + 1 / k


def test_entries_of_an_orthogonal_weight_are_a_haar_part_with_orthonormal_rows_or_columns():
    """Tall (rows ≥ cols): the first ⌊count/rows⌋ columns, orthonormal; wide: the first ⌊count/cols⌋
    rows, orthonormal (to float64 rounding, ~n·ε)."""
    tall = Law("orthogonal", shape=(1024, 64)).entries(COUNT, seed=0).reshape(1024, COUNT // 1024)
    np.testing.assert_allclose(tall.T @ tall, np.eye(COUNT // 1024), atol=1e-12)
    wide = Law("orthogonal", shape=(64, 1024)).entries(COUNT, seed=0).reshape(COUNT // 1024, 1024)
    np.testing.assert_allclose(wide @ wide.T, np.eye(COUNT // 1024), atol=1e-12)


def test_entries_of_a_weight_that_fits_are_the_weight_itself():
    """Exact by construction: the same draw as ``sample`` with the same seed."""
    for law in (Law("orthogonal", shape=(32, 64)), Law("normal", scale=0.1, shape=(16, 16))):
        np.testing.assert_array_equal(law.entries(COUNT, seed=5), law.sample(seed=5).ravel())
