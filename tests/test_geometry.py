"""Monte Carlo geometry (initviz.geometry): exact routes against direct computation, measurements
against the closed forms of initviz.randmat with tolerances from standard errors, and budgets.

Direct computations here form WᵀW − I in float64 and take its entries, diagonal and eigenvalues —
the slow obvious way — so that the cheaper routes of the module are checked, not repeated.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from initviz import InitvizError, law_with_variance
from initviz import geometry as G
from initviz.geometry import deviations
from initviz import randmat as R

Z = 5.0  # tolerance in standard errors


def direct(w):
    """msq, msq_diag, msq_offdiag, opnorm of WᵀW − I, straight from the n×n matrix."""
    w = np.asarray(w, dtype=np.float64)
    n = w.shape[1]
    d = w.T @ w - np.eye(n)
    off = d[~np.eye(n, dtype=bool)]
    return {"msq": np.mean(d ** 2), "msq_diag": np.mean(np.diag(d) ** 2),
            "msq_offdiag": np.mean(off ** 2) if n > 1 else math.nan,
            "opnorm": np.max(np.abs(np.linalg.eigvalsh(d)))}


@given(m=st.integers(1, 40), n=st.integers(1, 40), seed=st.integers(0, 2 ** 16), scale=st.floats(0.2, 3.0))
@settings(max_examples=60, deadline=None)
def test_smaller_gram_route_equals_the_direct_computation(m, n, seed, scale):
    w = np.random.default_rng(seed).standard_normal((m, n)) * scale / math.sqrt(m)
    got, want = G.matrix_deviations(w), direct(w)
    assert got["gram_columns"] == n
    for key in G.STATS:
        if n == 1 and key == "msq_offdiag":
            assert math.isnan(got[key])
        else:
            assert got[key] == pytest.approx(want[key], rel=1e-9, abs=1e-12), key


@pytest.mark.parametrize("m,n,gain", [(300, 200, 1.3), (200, 300, 1.3), (260, 260, 1.3), (500, 120, 1.3),
                                      (260, 260, 0.6), (400, 250, 0.9)])
def test_lanczos_and_column_block_routes(monkeypatch, m, n, gain):
    # force both cheap routes at a size where the direct computation is still affordable; gain 0.6
    # (square) and 0.9 make 1 − μ_min the larger end, square with μ_min at the hard edge near 0
    monkeypatch.setattr(deviations, "GRAM_EXACT_WORK", 40 * 40 * max(m, n))
    monkeypatch.setattr(deviations, "EIGH_MAX_DIM", 16)
    rng = np.random.default_rng(m + n)
    w = rng.standard_normal((m, n)) * gain / math.sqrt(m)
    got, want = G.matrix_deviations(w, seed=1), direct(w)
    c = got["gram_columns"]
    assert c < n
    block = w[:, :c].T @ w[:, :c]
    assert got["msq_offdiag"] == pytest.approx(np.mean(block[~np.eye(c, dtype=bool)] ** 2), rel=1e-10)
    assert got["msq_diag"] == pytest.approx(want["msq_diag"], rel=1e-10)
    # Lanczos stops when its error estimates put ‖G − I‖₂ within KRYLOV_RTOL·μ_max (float64 W here:
    # no rounding to speak of); Ritz values lie inside the spectrum, so it errs from below
    mu_max = np.linalg.eigvalsh(w.T @ w)[-1]
    assert want["opnorm"] - G.KRYLOV_RTOL * mu_max <= got["opnorm"] <= want["opnorm"] * (1 + 1e-12)


def test_sweep_points_stop_lanczos_at_the_sweep_tolerance(monkeypatch):
    # a sweep's points are Monte-Carlo means: Lanczos stops at SWEEP_KRYLOV_RTOL there, at
    # KRYLOV_RTOL for a single matrix; each result errs from below by at most its tolerance·μ_max
    asked = []
    krylov = deviations._krylov_opnorm
    monkeypatch.setattr(deviations, "_krylov_opnorm", lambda *args: asked.append(args[-1]) or krylov(*args))
    G.gram_sweep(dims=(200,), ensembles=("normal",), repeats=1, seed=0)
    assert asked == [G.SWEEP_KRYLOV_RTOL] and G.KRYLOV_RTOL < G.SWEEP_KRYLOV_RTOL
    w = np.random.default_rng(3).standard_normal((300, 300)) / math.sqrt(300)
    G.matrix_deviations(w, seed=1)
    assert asked[-1] == G.KRYLOV_RTOL
    want, mu_max = direct(w)["opnorm"], np.linalg.eigvalsh(w.T @ w)[-1]
    got = deviations.deviations(w, 1.0, np.random.default_rng(1), G.SWEEP_KRYLOV_RTOL)["opnorm"]
    assert want - G.SWEEP_KRYLOV_RTOL * mu_max <= got <= want * (1 + 1e-12)


@pytest.mark.parametrize("kind", ["normal", "rademacher"])
def test_lanczos_on_float32_w_beyond_the_exact_gram(kind):
    # n = 1300 > GRAM_EXACT_WORK^(1/3): Lanczos on x ↦ Wᵀ(Wx), float32 W and vectors. Tolerance:
    # KRYLOV_RTOL·μ_max (the stopping rule) + the rounding of float32 products of length n,
    # |Δ(vᵀGv)| ≤ n·u·μ_max with u = 2⁻²⁴ (the worst-case γ_n bound; typical errors are ~√n·u)
    n = 1300
    law = law_with_variance(kind, 1 / n)
    w = law.sample((n, n), rng=11, dtype="float32")
    assert n ** 3 > G.GRAM_EXACT_WORK
    got = G.matrix_deviations(w, seed=2)
    eig = np.linalg.eigvalsh(w.astype(np.float64).T @ w.astype(np.float64))
    want = max(eig[-1] - 1, 1 - eig[0])
    assert abs(got["opnorm"] - want) <= (G.KRYLOV_RTOL + n * 2.0 ** -24) * eig[-1]


def test_exact_gram_with_lanczos_above_eigh_limit():
    w = np.random.default_rng(3).standard_normal((400, 300)) / 20
    got, want = G.matrix_deviations(w, seed=0), direct(w)
    assert got["gram_columns"] == 300 and 300 > G.EIGH_MAX_DIM
    assert got["msq"] == pytest.approx(want["msq"], rel=1e-9)
    mu_max = np.linalg.eigvalsh(w.T @ w)[-1]
    assert want["opnorm"] - G.KRYLOV_RTOL * mu_max <= got["opnorm"] <= want["opnorm"] * (1 + 1e-12)


def test_float32_agrees_with_float64():
    w = np.random.default_rng(4).standard_normal((700, 600)) / math.sqrt(700)
    lo, hi = G.matrix_deviations(w.astype(np.float32), seed=0), G.matrix_deviations(w, seed=0)
    for key in G.STATS:
        assert lo[key] == pytest.approx(hi[key], rel=1e-5), key


@pytest.mark.parametrize("kind", G.IID_KINDS)
@pytest.mark.parametrize("m,n,routes", [(300, 200, "eigvalsh"), (320, 300, "gram lanczos"), (300, 260, "w lanczos"),
                                         (200, 300, "w lanczos")])
def test_unscaled_blocks_equal_the_scaled_matrix(monkeypatch, kind, m, n, routes):
    # a sweep measures s·B from a strided block B of its unscaled base, scaling results in float64.
    # Tolerance: column norms and Gram entries are float32 sums of m products, relative error
    # ≤ γ_m ≈ m·2⁻²⁴ on either side (rounding s·B adds 2·2⁻²⁴); squares move by 2γ_m, and
    # (G_ii − 1)² by 2γ_m·G_ii/|G_ii − 1| ≈ 8.7γ_m at G_ii ≈ 1.3: rel 10·m·2⁻²⁴ (Rademacher's unscaled
    # sums are exact, so the scaled side carries it all). Lanczos may stop a step apart on the two:
    # both lie within KRYLOV_RTOL·μ_max below ‖G − I‖₂.
    if routes == "w lanczos":
        monkeypatch.setattr(deviations, "GRAM_EXACT_WORK", 40 * 40 * max(m, n))
    law = law_with_variance(kind, 1.3 / m)
    base = law.base((2 * m, 2 * n), np.random.default_rng(7), "float32")
    block = base[m:, n:]
    got = deviations.deviations(block, law.scale, np.random.default_rng(1))
    want = G.matrix_deviations(law.transform(block), seed=np.random.default_rng(1))
    assert got["gram_columns"] == want["gram_columns"]
    for key in ("msq", "msq_diag", "msq_offdiag"):
        assert got[key] == pytest.approx(want[key], rel=10 * m * 2.0 ** -24), key
    if routes == "eigvalsh":
        assert got["opnorm"] == pytest.approx(want["opnorm"], rel=10 * m * 2.0 ** -24)
    else:  # μ_max ≤ 1 + ‖G − I‖₂
        assert got["opnorm"] == pytest.approx(want["opnorm"], abs=G.KRYLOV_RTOL * (1 + want["opnorm"]))


def test_orthogonal_matrices_are_exact():
    for m, n, gain in ((40, 30, 1.0), (40, 30, 1.5), (30, 40, 1.2)):
        law = law_with_variance("orthogonal", gain ** 2 / max(m, n), shape=(m, n))
        got = G.matrix_deviations(law.sample(rng=0))
        want = R.gram_deviation_orthogonal(m, n, gain).total
        assert got["msq"] == pytest.approx(want, rel=1e-9, abs=1e-24)
        assert got["opnorm"] == pytest.approx(max(abs(gain ** 2 - 1), 1.0 if n > m else 0.0), abs=1e-9)


# --- ensembles and single points ----------------------------------------------------------------

def test_ensembles_read_rules_gains_and_schemes():
    assert G.Ensemble("uniform", rule="1/n").law(30, 20).var == pytest.approx(1 / 20)
    assert G.Ensemble("normal", rule="2/(m+n)", gain=2.0).law(30, 20).var == pytest.approx(4 * 2 / 50)
    he = G.Ensemble.named("kaiming_normal", nonlinearity="relu")
    assert he.law(30, 20).var == pytest.approx(2 / 20)  # fan_in = n in torch layout
    assert he.label == "kaiming_normal nonlinearity=relu"
    assert G.as_ensemble("xavier_uniform").scheme and not G.as_ensemble("uniform").scheme
    with pytest.raises(InitvizError, match="rule"):
        G.Ensemble("normal", rule="1/k")
    with pytest.raises(InitvizError, match="kind"):
        G.Ensemble("cauchy")
    with pytest.raises(InitvizError, match="ensemble"):
        G.Ensemble.named("eye").law(4, 4)


@pytest.mark.parametrize("ensemble,m,n", [("rademacher", 60, 40), ("trunc_normal", 30, 45),
                                          (G.Ensemble.named("kaiming_uniform", a=1.0), 50, 40)])
def test_measured_deviations_match_theory(ensemble, m, n):
    res = G.gram_deviations(m, n, ensemble, repeats=200, seed=5, dtype="float64")
    for key, want in (("msq", res.theory.total), ("msq_diag", res.theory.diag), ("msq_offdiag", res.theory.offdiag)):
        v = res.values[key]
        se = v.std(ddof=1) / math.sqrt(v.size)
        assert abs(v.mean() - want) <= Z * se + 1e-12, (key, v.mean(), want, se)
    assert len(res.to_frame()) == 200


def test_gaussian_operator_norm_tracks_tracy_widom():
    res = G.gram_deviations(120, 120, "normal", repeats=100, seed=2, dtype="float64")
    v = res.values["opnorm"]
    # E‖·‖ ≈ E λ_max − 1 (Ma 2012 centring, error ≲ 0.1 σ_TW ≈ 0.01 here); SE = sd/√100.
    # The mean sits below the limit 3 by ~1.2 σ_TW ≈ 0.12 (single draws can exceed it).
    assert abs(v.mean() - res.theory_opnorm_finite) <= Z * v.std(ddof=1) / 10 + 0.01
    assert res.theory_opnorm == pytest.approx(3.0) and v.mean() < 2.95


# --- sweeps --------------------------------------------------------------------------------------

def test_sweep_table_theory_and_repeats():
    dims = (8, 32, 128)
    res = G.gram_sweep(dims=dims, ensembles=("normal", "rademacher"), aspects=(1.0, 2.0), repeats=6, seed=1)
    f = res.to_frame()
    assert len(f) == len(dims) * 2 * 2 and res.dtype == "float32"
    for row in f.itertuples():
        law = G.Ensemble(row.ensemble).law(row.m, row.n)
        theory = R.gram_deviation(row.m, row.n, law.var, law.kurtosis)
        assert row.m == round(row.aspect * row.n)
        assert row.theory_msq == pytest.approx(theory.total) and row.theory_msq_diag == pytest.approx(theory.diag)
        assert row.theory_opnorm == pytest.approx(R.opnorm_limit(row.m, row.n, law.var))
        assert row.repeats == min(6, max(1, G.SWEEP_REPEAT_ENTRIES // (row.m * row.n)))
        assert row.msq_lo <= row.msq_mean <= row.msq_hi
        # repeats are independent blocks: 6 matrices, 5 SE of their mean
        assert abs(row.msq_mean - row.theory_msq) <= Z * row.msq_std / math.sqrt(row.repeats)
    again = G.gram_sweep(dims=dims, ensembles=("normal", "rademacher"), aspects=(1.0, 2.0), repeats=6, seed=1)
    assert again.to_frame().equals(f)
    other = G.gram_sweep(dims=dims, ensembles=("normal", "rademacher"), aspects=(1.0, 2.0), repeats=6, seed=2)
    assert not np.allclose(other.to_frame()["msq_mean"], f["msq_mean"])


def test_large_sweep_points_use_one_matrix_and_a_column_block():
    res = G.gram_sweep(dims=(2048,), ensembles=("uniform",), repeats=4, seed=0).to_frame().iloc[0]
    assert res.repeats == 1 and res.gram_columns == math.isqrt(G.GRAM_EXACT_WORK // 2048)
    # one matrix: relative SD of the entrywise mean ≈ √2/min(n, c) (c(c−1) off-diagonal pairs);
    # 5 of those, and the operator norm within TW's spread (σ_TW ≈ 0.015 at n = 2048) of E λ_max − 1
    assert res.msq_mean == pytest.approx(res.theory_msq, rel=Z * math.sqrt(2) / res.gram_columns)
    assert abs(res.opnorm_mean - res.theory_opnorm_finite) < 0.08


def test_sweep_handles_schemes_orthogonal_and_wide_shapes():
    f = G.gram_sweep(dims=(16, 64), ensembles=("orthogonal", G.Ensemble.named("xavier_normal")),
                     aspects=(0.5,), repeats=3, seed=0).to_frame()
    ortho = f[f.kind == "orthogonal"]
    np.testing.assert_allclose(ortho.msq_mean, ortho.theory_msq, rtol=1e-5)  # exact for wide Haar too
    np.testing.assert_allclose(ortho.opnorm_mean, 1.0, atol=1e-5)
    assert (f[f.rule == "scheme"].kind == "normal").all()


@pytest.mark.parametrize("n", [8, 1000, 4096])
def test_bench_notebook_draws_initviz_truncated_normal(n):
    # bench/torch_reference.py calls nn.init.trunc_normal_(std=σ, a=−2σ, b=2σ) with σ from the
    # workload; it must be the law the Geometry page sweeps (realised variance 1/n)
    from bench.workloads import GEOMETRY
    law = law_with_variance("trunc_normal", 1 / n)
    sigma = GEOMETRY.trunc_normal_std(n)
    assert sigma == pytest.approx(law.scale, rel=1e-12)
    assert (-GEOMETRY.trunc_cut * sigma, GEOMETRY.trunc_cut * sigma) == pytest.approx((law.a, law.b), rel=1e-12)
    assert law.var == pytest.approx(1 / n, rel=1e-12)
    assert "trunc_normal" in GEOMETRY.kinds and "orthogonal" not in GEOMETRY.kinds


def test_sweep_budgets():
    with pytest.raises(InitvizError, match="dims"):
        G.gram_sweep(dims=tuple(range(2, 80)))
    with pytest.raises(InitvizError, match="MAX_MATRIX_ENTRIES"):
        G.gram_sweep(dims=(8192,))
    with pytest.raises(InitvizError, match="MAX_ORTHOGONAL_WORK"):
        G.gram_sweep(dims=(4096,), ensembles=("orthogonal",))


# --- spectra, norm ratios, angles -----------------------------------------------------------------

def test_spectrum_of_a_wide_matrix_has_the_exact_atom_and_mp_bulk():
    res = G.gram_spectrum(150, 300, "uniform", repeats=3, seed=7)
    assert res.eigenvalues.size == 900 and res.zero_fraction == pytest.approx(res.mp.atom) == pytest.approx(0.5)
    h = res.histogram(bins=30)
    assert h.counts.sum() == np.count_nonzero(res.eigenvalues)
    assert h.expected.sum() == pytest.approx(res.eigenvalues.size * (1 - res.mp.atom), rel=1e-9)
    # binned total variation vs MP: finite-n error O(log n / n) (rigidity), ≈ 0.03 at m = 150; allow 0.08
    assert np.abs(h.counts - h.expected).sum() / h.counts.sum() < 0.08


def test_norm_ratios_match_their_law():
    res = G.norm_ratios(30, 50, "normal", samples=8000, seed=3)
    r = np.square(res.ratios).reshape(G.NORM_MATRICES, -1)
    # samples sharing a W are dependent: the 16 per-matrix means are the independent units
    per_matrix = r.mean(axis=1)
    assert abs(per_matrix.mean() - res.theory.mean) <= Z * per_matrix.std(ddof=1) / math.sqrt(per_matrix.size)
    h = res.histogram(bins=40)
    assert res.exact_law and h.expected.sum() == pytest.approx(h.total, rel=1e-3)
    frame = res.to_frame()
    assert frame.loc[0, "theory_r_var"] == pytest.approx(R.norm_ratio_moments(30, 50, 1 / 30, 3.0).var)
    fixed = G.norm_ratios(30, 50, "rademacher", samples=1600, x=np.arange(1.0, 51), seed=1)
    assert fixed.x == "fixed" and not fixed.exact_law and math.isnan(fixed.histogram().expected[0])


def test_orthogonal_norm_ratio_is_exact_when_tall():
    res = G.norm_ratios(40, 30, G.Ensemble("orthogonal", gain=1.3), samples=320, seed=0, dtype="float64")
    np.testing.assert_allclose(res.ratios, 1.3, rtol=1e-12)


@pytest.mark.parametrize("kind", G.IID_KINDS)
def test_angle_cosines_have_variance_one_over_n(kind):
    n, pairs = 40, 6000
    res = G.sample_angles(n, kinds=(kind,), pairs=pairs, seed=9)
    c2 = np.cos(res.theta[0]) ** 2
    assert abs(c2.mean() - 1 / n) <= Z * c2.std(ddof=1) / math.sqrt(pairs)  # exact for every i.i.d. sign-symmetric law
    if kind == "normal":
        assert stats.kstest(res.theta[0], lambda t: R.angle_cdf(t, n)).pvalue > 1e-3
        h = res.histogram("normal", bins=30)
        assert h.expected.sum() == pytest.approx(pairs, rel=1e-4)  # ±6 std hold all but ~1e-8 of the mass
    assert set(res.to_frame().columns) >= {"theta_std", "theory_theta_std", "cos_var", "theory_cos_var"}


def test_input_checks():
    with pytest.raises(InitvizError, match="pairs"):
        G.sample_angles(100_000, pairs=1000)
    with pytest.raises(InitvizError, match="kinds"):
        G.sample_angles(10, kinds=("orthogonal",))
    with pytest.raises(InitvizError, match="`w`"):
        G.matrix_deviations(np.ones(3))
    with pytest.raises(InitvizError, match="repeats"):
        G.gram_spectrum(2048, 2048, repeats=2)
    with pytest.raises(InitvizError, match="samples"):
        G.norm_ratios(10, 10, samples=5)


def test_modelled_seconds_follow_their_formulas():
    # the formulas written out: i.i.d. sweeps by table, orthogonal ones by table at min(top, 1024)
    iid = {256: 0.1, 512: 0.25, 1024: 0.4, 2048: 0.6, 4096: 2.0}
    ortho = {256: 0.2, 512: 0.55, 1024: 1.15}
    assert G.ORTHOGONAL_SWEEP_MAX == 1024 and G.SPECTRUM_EIGENVALUES == 4000
    for top in iid:
        want = 2 * iid[top] + ortho[min(top, 1024)]
        assert G.sweep_seconds(top, ("normal", "orthogonal", "uniform")) == pytest.approx(want, rel=1e-15)
    # the orthogonal sweep stops at ORTHOGONAL_SWEEP_MAX: asking for more costs no more
    assert G.sweep_seconds(4096, ("orthogonal",)) == G.sweep_seconds(G.ORTHOGONAL_SWEEP_MAX, ("orthogonal",))
    assert G.sweep_seconds(512, ()) == 0
    for m, n in ((100, 400), (800, 200), (1600, 1600), (7, 3)):
        repeats = -(-4000 // n)
        eig = repeats * min(m, n) ** 3 * 2.5e-10
        qr = repeats * max(m, n) * min(m, n) ** 2 * 1e-9
        assert G.spectrum_seconds(m, n, "normal") == pytest.approx(eig, rel=1e-15)
        assert G.spectrum_seconds(m, n, "orthogonal") == pytest.approx(eig + qr, rel=1e-15)
        rect = m * n * 1e-6
        assert G.norm_ratio_seconds(m, n, "trunc_normal") == pytest.approx(rect, rel=1e-15)
        assert G.norm_ratio_seconds(m, n, "orthogonal") == pytest.approx(
            rect + 16 * max(m, n) * min(m, n) ** 2 * 1e-9, rel=1e-15)
    with pytest.raises(InitvizError, match="sweep_max"):
        G.sweep_seconds(300, ("normal",))
    with pytest.raises(InitvizError, match="ensemble"):
        G.spectrum_seconds(10, 10, "kaiming_normal")
