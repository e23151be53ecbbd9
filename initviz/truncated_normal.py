"""The standard normal truncated to [α, β]: its mass, density and moments in log space, and two exact samplers.

With Z = Φ(β) − Φ(α), the truncated law has density φ(x)/Z on [α, β]. log Z is computed without
cancellation for any interval, far tails included (:func:`log_mass`); the mean, variance and 4th
central moment by Gauss–Legendre quadrature about the mean (:func:`standard_moments`); draws by
rejection from the normal when Z is large (:func:`fill_by_rejection`, exact: an accepted normal
draw *is* a truncated-normal draw) or by the inverse distribution function in log space on the
side of the smaller tail (:func:`draw_by_inverse`). :class:`initviz.laws.Law` scales and shifts
these to the parent N(μ, σ²) restricted to [a, b].
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy import special

TRUNC_QUADRATURE_NODES = 128
"""Gauss–Legendre nodes for the truncated-normal moments (accurate to ~1e-12)."""

TRUNC_QUADRATURE_LOG_RANGE = 40.0
"""The moment quadrature ignores where the density is below e^-40 of its maximum."""

LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def log_phi(x):
    """log of the standard normal density."""
    return -0.5 * np.square(x) - LOG_SQRT_2PI


def log_mass(alpha: float, beta: float) -> float:
    """log(Φ(β) − Φ(α)) without cancellation, for α < β (possibly infinite)."""
    if alpha >= 0.0:  # both in the upper tail: use the symmetric lower-tail expression
        alpha, beta = -beta, -alpha
    if beta <= 0.0:
        hi, lo = special.log_ndtr(beta), special.log_ndtr(alpha)
        return float(hi + np.log(-np.expm1(lo - hi)))
    return math.log(0.5 * (special.erf(beta / math.sqrt(2.0)) - special.erf(alpha / math.sqrt(2.0))))


def log_mass_upto(alpha: float, z: np.ndarray) -> np.ndarray:
    """log(Φ(z) − Φ(α)) elementwise for α ≤ z, α < 0 side (lower tail or straddling)."""
    hi, lo = special.log_ndtr(z), special.log_ndtr(alpha)
    with np.errstate(divide="ignore"):
        return hi + np.log(-np.expm1(lo - hi))


@functools.lru_cache(maxsize=256)
def standard_moments(alpha: float, beta: float) -> tuple[float, float, float]:
    """Mean, variance and 4th central moment of N(0, 1) truncated to [α, β].

    Gauss–Legendre quadrature (``TRUNC_QUADRATURE_NODES`` nodes) of e^{−(x²−x₀²)/2} over the part of
    [α, β] where the density is within e^{−40} of its maximum at x₀ (the point of [α, β] nearest 0);
    central moments are summed about the mean, so nothing cancels even far in a tail. Agrees with
    the closed form m_k = (k−1)m_{k−2} + (α^{k−1}φ(α) − β^{k−1}φ(β))/Z and with 40-digit mpmath
    quadrature to ~1e−12 for intervals from [−2, 2] to [200, 201].
    """
    x0 = min(max(0.0, alpha), beta)
    reach = math.sqrt(x0 * x0 + 2.0 * TRUNC_QUADRATURE_LOG_RANGE)
    lo, hi = max(alpha, -reach), min(beta, reach)
    nodes, weights = np.polynomial.legendre.leggauss(TRUNC_QUADRATURE_NODES)
    x = 0.5 * (hi - lo) * nodes + 0.5 * (hi + lo)
    w = weights * np.exp(-0.5 * (x - x0) * (x + x0))
    w /= w.sum()
    mean = 0.0 if alpha == -beta else float(w @ x)  # symmetric: exactly 0, not a rounding residue
    d2 = np.square(x - mean)
    return mean, float(w @ d2), float(w @ np.square(d2))


def fill_by_rejection(alpha: float, beta: float, dt: np.dtype, out: np.ndarray, gen: np.random.Generator) -> None:
    """``out`` ← N(0, 1) truncated to [α, β] by rejection: normal draws in ``dt``, those outside
    replaced by further draws until every entry is inside. Exact (an accepted normal draw has the
    truncated law; which positions get redrawn depends only on rejected draws). The bounds are
    compared as the nearest ``dt`` values inside [α, β], so nothing outside is accepted."""
    lo, hi = dt.type(alpha), dt.type(beta)
    lo = np.nextafter(lo, dt.type(np.inf)) if lo < alpha else lo
    hi = np.nextafter(hi, dt.type(-np.inf)) if hi > beta else hi
    mass = math.exp(log_mass(alpha, beta))
    gen.standard_normal(dtype=dt, out=out)
    bad = np.flatnonzero((out < lo) | (out > hi))
    while bad.size:
        extra = gen.standard_normal(int(1.2 * bad.size / mass) + 16, dtype=dt)
        extra = extra[(extra >= lo) & (extra <= hi)][:bad.size]
        out[bad[:extra.size]] = extra
        bad = bad[extra.size:]


def draw_by_inverse(alpha: float, beta: float, shape, gen: np.random.Generator) -> np.ndarray:
    """N(0, 1) truncated to [α, β] by the inverse distribution function, in log space.

    With u ~ U[0, 1): p = (1−u)Φ(α) + uΦ(β) and q = 1 − p = (1−u)Φ(−α) + uΦ(−β); the quantile is
    Φ⁻¹(p) when p ≤ q, else −Φ⁻¹(q), each through log Φ so that neither tail loses precision.
    """
    u = gen.random(shape)
    with np.errstate(divide="ignore"):
        lu, l1u = np.log(u), np.log1p(-u)
        lp = np.logaddexp(l1u + special.log_ndtr(alpha), lu + special.log_ndtr(beta))
        lq = np.logaddexp(l1u + special.log_ndtr(-alpha), lu + special.log_ndtr(-beta))
    lower = lp <= lq
    x = np.where(lower, special.ndtri_exp(np.where(lower, lp, -1.0)),
                 -special.ndtri_exp(np.where(lower, -1.0, lq)))
    return np.clip(x, alpha, beta)
