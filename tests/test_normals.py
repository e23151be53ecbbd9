"""Draw version 2's float32 normals (initviz.normals): the stated law (KS, moments, pair
independence, the construction from numpy's uniforms), its tail bound, determinism, and which calls
each version makes; and its orthogonal draws (initviz.draws.haar): the QR factor of its Gaussian,
Haar, kept apart from version 1's.

Statistical checks use fixed seeds. Tolerances: KS at α = 1e-3 (the test fails when p < 1e-3; the
grid of 2²⁴ uniforms and float32 rounding move the distribution function by ~1e-7, far below the
critical distance 1.95/√n ≈ 1.9e-3 at n = 2²⁰); moments within 5 standard errors of the normal's,
SE stated at each check."""

import math

import numpy as np
import pytest
from scipy import stats

from initviz import InitvizError, Law
from initviz import normals
from initviz.normals import BLOCK_ENTRIES, MAX_ABS_Z, TAIL_MASS_CUT, fill_box_muller, standard_normal

N = 2 ** 20
Z = 5.0  # standard errors allowed
F32 = np.float32
EPS32 = float(np.finfo(F32).eps)


def v2(n: int, seed: int) -> np.ndarray:
    return standard_normal(np.random.default_rng(seed), (n,), "float32", draws=2).astype(float)


@pytest.mark.parametrize("seed", [0, 1])
def test_version_2_passes_ks_against_the_standard_normal(seed):
    assert stats.kstest(v2(N, seed), stats.norm.cdf).pvalue > 1e-3


def test_version_2_moments_are_the_normals_within_their_standard_errors():
    z = v2(N, 2)
    assert abs(z.mean()) < Z / math.sqrt(N)                          # SE of the mean: 1/√n
    assert abs(z.var() - 1.0) < Z * math.sqrt(2.0 / N)               # SE of the variance: √(2/n)
    assert abs(np.mean(z ** 3)) < Z * math.sqrt(15.0 / N)            # E z⁶ = 15
    assert abs(np.mean(z ** 4) - 3.0) < Z * math.sqrt(96.0 / N)      # Var z⁴ = 105 − 9


def test_the_cosines_and_sines_of_a_block_are_independent():
    """R cos θ and R sin θ of one pair: uncorrelated, and so are their squares (independent normals;
    a radius shared without independence would correlate the squares)."""
    z = v2(BLOCK_ENTRIES * 16, 3).reshape(16, 2, BLOCK_ENTRIES // 2)
    a, b = z[:, 0].ravel(), z[:, 1].ravel()
    m = a.size
    assert abs(np.mean(a * b)) < Z / math.sqrt(m)                    # Var(ab) = 1
    assert abs(np.mean((a * a - 1) * (b * b - 1))) < Z * 2.0 / math.sqrt(m)  # Var = 2·2


@pytest.mark.parametrize("n", [1, 2, 7, BLOCK_ENTRIES - 1, BLOCK_ENTRIES + 3])
def test_version_2_is_box_muller_of_numpys_float32_uniforms_in_blocks(n):
    """The documented construction, recomputed in float64 from the same uniforms: block by block,
    m = ⌈k/2⌉ radial then m angular uniforms, R·cos θ first, R·sin θ after (the last sine dropped
    for odd k). Tolerance: a few float32 roundings of R (≤ 5.77) and of θ·R."""
    got = standard_normal(np.random.default_rng(4), (n,), "float32", draws=2).astype(float)
    gen = np.random.default_rng(4)
    want = []
    for start in range(0, n, BLOCK_ENTRIES):
        k = min(BLOCK_ENTRIES, n - start)
        m = -(-k // 2)
        u = gen.random(2 * m, dtype=F32).astype(float)
        r = np.sqrt(-2.0 * np.log(1.0 - u[:m]))
        theta = (u[m:] * F32(2 * math.pi)).astype(F32).astype(float)  # the angle is a float32 product
        want += [r * np.cos(theta), (r * np.sin(theta))[:k - m]]
    np.testing.assert_allclose(got, np.concatenate(want), rtol=0, atol=8 * MAX_ABS_Z * EPS32)


class _Extreme:
    """A generator whose every float32 uniform is the largest numpy draws, 1 − 2⁻²⁴: the smallest
    s = 1 − u, so the largest radius, at an angle just short of 2π."""

    def random(self, size=None, dtype=None, out=None):
        if out is None:
            return np.full(size, F32(1 - 2.0 ** -24), dtype=dtype)
        out[...] = F32(1 - 2.0 ** -24)
        return out


def test_the_tail_is_cut_at_the_stated_bound_and_zero_never_reaches_the_logarithm():
    out = np.empty(6, dtype=F32)
    fill_box_muller(out, _Extreme())
    assert np.all(np.isfinite(out))
    # the largest radius, cos(2π − 2π·2⁻²⁴) ≈ 1: the bound is reached (to float32 rounding)
    assert out[0] == pytest.approx(MAX_ABS_Z, rel=4 * EPS32)
    assert MAX_ABS_Z == pytest.approx(math.sqrt(-2 * math.log(2.0 ** -24)), rel=1e-15)
    assert TAIL_MASS_CUT == pytest.approx(2 * stats.norm.sf(MAX_ABS_Z), rel=1e-10)
    z = v2(4 * N, 5)
    assert np.abs(z).max() <= MAX_ABS_Z * (1 + 4 * EPS32)


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others():
    np.testing.assert_array_equal(v2(1000, 6), v2(1000, 6))
    assert not np.array_equal(v2(1000, 6), v2(1000, 7))
    law = Law("normal", scale=0.3)
    big = (300, 301)  # chunked over two threads: the layout depends on the shape alone
    np.testing.assert_array_equal(law.sample(big, seed=8, dtype="float32", draws=2),
                                  law.sample(big, seed=8, dtype="float32", draws=2))


def test_version_1_is_numpys_standard_normal_and_version_2_changes_only_float32_normals():
    gen = lambda: np.random.default_rng(9)  # noqa: E731
    np.testing.assert_array_equal(standard_normal(gen(), (5, 3), "float32", draws=1),
                                  gen().standard_normal((5, 3), dtype=F32))
    np.testing.assert_array_equal(standard_normal(gen(), (5, 3), "float64", draws=2),
                                  gen().standard_normal((5, 3)))
    assert not np.array_equal(standard_normal(gen(), (5, 3), "float32", draws=2),
                              standard_normal(gen(), (5, 3), "float32", draws=1))
    normal = Law("normal", loc=1.0, scale=2.0)
    for dtype, same in (("float32", False), ("float64", True)):
        assert np.array_equal(normal.sample((400,), seed=1, dtype=dtype, draws=2),
                              normal.sample((400,), seed=1, dtype=dtype)) == same
    for law in (Law("uniform"), Law("trunc_normal", a=-2.0, b=2.0), Law("rademacher")):
        np.testing.assert_array_equal(law.sample((400,), seed=1, dtype="float32", draws=2),
                                      law.sample((400,), seed=1, dtype="float32"))


@pytest.mark.parametrize("bad", [0, 3, -1, True, 2.0, "2", None])
def test_a_draw_version_that_is_not_one_names_draws(bad):
    with pytest.raises(InitvizError, match="`draws`"):
        normals.check_draws(bad)
    with pytest.raises(InitvizError, match="`draws`"):
        Law("normal").sample((3,), seed=0, draws=bad)


# --- orthogonal draws (initviz.draws.haar) ------------------------------------------------------

def _haar(shape, seed, dtype, draws):
    from initviz.draws import haar
    return haar(shape, np.random.default_rng(seed), np.dtype(dtype), draws)


@pytest.mark.parametrize("shape", [(512, 512), (300, 100), (100, 300)])
def test_a_version_2_orthogonal_draw_is_the_q_factor_of_the_version_2_gaussian(shape):
    """Version 2 in float32: Q of the QR of the version-2 Gaussian A (rows < cols: of Aᵀ), the R with
    a positive diagonal — the unique such factorisation, so QᵀA is upper triangular with a positive
    diagonal and QᵀQ = I. Tolerances: Householder QR in float32 (unit roundoff u = 2⁻²⁴·2) is backward
    stable with errors γ_{ck} (Higham 2002, Thm 19.4): |QᵀQ − I| ≤ k·u and the strict lower part
    of QᵀA ≤ k·u·max‖a_j‖, k the smaller side (measured 30–70× below both)."""
    q = _haar(shape, 1, "float32", 2)
    a = standard_normal(np.random.default_rng(1), shape, "float32", draws=2)
    assert q.dtype == F32 and q.shape == shape
    q, a = (q.T, a.T) if shape[0] < shape[1] else (q, a)
    q, a = q.astype(float), a.astype(float)
    k = q.shape[1]
    np.testing.assert_allclose(q.T @ q, np.eye(k), rtol=0, atol=k * EPS32)
    r = q.T @ a
    assert np.abs(np.tril(r, -1)).max() <= k * EPS32 * np.linalg.norm(a, axis=0).max()
    assert np.diagonal(r).min() > 0


def test_a_version_2_orthogonal_draw_is_haar():
    """Haar on O(3): a coordinate of a column is uniform on [−1, 1] (Archimedes), mean 0 with SE
    √(1/3/n); KS at α = 1e-3 as above."""
    rng = np.random.default_rng(8)
    q00 = np.array([_haar((3, 3), rng, "float32", 2)[0, 0] for _ in range(3000)], dtype=float)
    assert abs(q00.mean()) < Z * math.sqrt(1 / 3 / q00.size)
    assert stats.kstest(q00, stats.uniform(-1, 2).cdf).pvalue > 1e-3


def test_version_1_orthogonal_draws_are_numpys_qr_and_version_2_changes_only_float32():
    """Version 1 is numpy's normals and numpy's QR, the very calls (so every existing link keeps its
    numbers); version 2 changes float32 draws only (float64 is version 1's)."""
    gen = np.random.default_rng(2)
    q, r = np.linalg.qr(gen.standard_normal((40, 30), dtype=F32))
    want = q * np.where(np.diagonal(r) < 0, -1, 1).astype(F32)
    np.testing.assert_array_equal(_haar((40, 30), 2, "float32", 1), want)
    np.testing.assert_array_equal(_haar((40, 30), 2, "float64", 2), _haar((40, 30), 2, "float64", 1))
    assert not np.allclose(_haar((40, 30), 2, "float32", 2), want, atol=1e-3)
    np.testing.assert_array_equal(_haar((40, 30), 2, "float32", 2), _haar((40, 30), 2, "float32", 2))


def test_a_networks_kept_orthogonal_draws_are_kept_per_draw_version():
    """Propagation keeps Haar bases per (seed, layer, shape, dtype): a version-2 view never reads a
    version-1 base or the reverse — each gets the draw of its own version."""
    from initviz import Network
    from initviz.engine.run import draw_layer
    from initviz.rng import ROLE_WEIGHTS, stream

    net = Network.mlp(input_dim=16, widths=[16, 16], activation="tanh", init="orthogonal")
    law = net.weight_law(2)
    for draws in (1, 2, 1):
        W, _ = draw_layer(net, 11, 0, 2, np.dtype(F32), draws)
        np.testing.assert_array_equal(W, law.sample((16, 16), stream(11, 0, ROLE_WEIGHTS, 2), "float32", draws))
