"""Draw version 2's float32 normals (initviz.normals): the stated law (KS, moments, pair
independence, the construction from numpy's uniforms), its tail bound, determinism, and which calls
each version makes.

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
