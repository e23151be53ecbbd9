"""Closed forms for random vectors and random matrices: the theory beside :mod:`initviz.geometry`.

Notation (torch layout): W is m×n (m = fan_out rows, n = fan_in columns); its entries are
independent with mean 0, variance s² and kurtosis κ = E[w⁴]/s⁴ (normal 3, uniform 9/5,
Rademacher 1). This is the mathematics of the source blog's Corollaries 1–4:

1. **Angles.** Two independent isotropic vectors of ℝⁿ meet at an angle θ with density
   p(θ) = Γ(n/2)/(√π Γ((n−1)/2)) · sin^{n−2}θ on [0, π]; cos θ has mean 0 and variance exactly 1/n,
   so random vectors are almost orthogonal in high dimension (:func:`angle_pdf`).
2. **Entrywise.** With s² = 1/m, WᵀW ≈ I entry by entry: the mean over the n² entries of
   (WᵀW − I)² is E = [(n−1)·m s⁴ + Var‖w‖² + (m s² − 1)²]/n, where ‖w‖² is a column's squared
   norm (Var = m s⁴(κ−1) for i.i.d. entries), i.e. (n + κ − 2)/(m n) with s² = 1/m
   (:func:`gram_deviation`). Orthogonal W is exact: E = (g²−1)²/n when m ≥ n.
3. **Per vector.** R = ‖Wx‖²/‖x‖² has mean m s² and variance m s⁴[2 + (κ−3)Σx⁴/(Σx²)²]; for
   Gaussian W exactly R = s²χ²_m (:func:`norm_ratio_moments`, :func:`norm_ratio_pdf`).
4. **Not as an operator.** The eigenvalues of WᵀW follow Marchenko–Pastur (1967): for λ = n/m
   they fill [(1−√λ)², (1+√λ)²]·m s², so ‖WᵀW − I‖₂ tends to max(|λ₊−1|, |λ₋−1|) (plus 1 from the
   zero eigenvalues when n > m), which does not shrink with n (:func:`mp_pdf`, :func:`opnorm_limit`).
   Only tall W (m ≫ n, s² = 1/m) approaches an isometry. Corollary 4's compromise s² = 2/(m+n)
   (Glorot & Bengio 2010) is one of the :data:`RULES`.

Products of layers (deep linear networks, :mod:`initviz.jacobian`): exact finite-width moments of
the squared singular values of J = W_L⋯W_1 for Gaussian weights (:func:`product_sv_moments`), and
the expected Lyapunov spectrum of the QR iteration (Newman 1986, :func:`gaussian_lyapunov_mean`).

Every function takes plain numbers (dimensions, variance, kurtosis, gain) so that a simulation and
its overlay read the same configuration; :func:`gram_deviation_for_law` and
:func:`norm_ratio_moments_for_law` read them from an :class:`initviz.laws.Law`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from .errors import invalid, one_of
from .limits import check_float, check_int

RULES = ("1/m", "1/n", "2/(m+n)")
"""Variance rules for an m×n matrix: 1/m (fan_out; makes E[WᵀW] = I_n), 1/n (fan_in; makes
E[WWᵀ] = I_m) and 2/(m+n) (Glorot & Bengio 2010; the source's Corollary 4)."""

MAX_DIM = 10 ** 7
"""Largest dimension the closed forms accept (they are evaluated in log space and stay finite)."""

ANGLE_QUADRATURE_NODES = 256
"""Gauss–Legendre nodes for the angle's standard deviation (relative accuracy ~1e-13)."""

ANGLE_LOG_RANGE = 60.0
"""The angle quadrature ignores where the density is below e^-60 of its maximum."""

TW1_MEAN = -1.2065335745820
"""Mean of the Tracy–Widom law F₁ (largest eigenvalue, real case; Tracy & Widom 1996)."""

TW1_STD = 1.2680340580
"""Standard deviation of F₁ (variance 1.6077810345810)."""

ISOTROPIC = "isotropic"
"""``x`` for :func:`norm_ratio_moments`: x ~ N(0, I_n), averaged over (not conditioned on)."""


def _dim(name: str, value) -> int:
    return check_int(name, value, 1, MAX_DIM)


def _var(value, name: str = "var") -> float:
    v = check_float(name, value, 0.0)
    if v == 0.0:
        raise invalid(name, "be > 0", value)
    return v


def rule_variance(rule: str, m: int, n: int) -> float:
    """Entry variance s² of an m×n matrix under ``rule``: "1/m", "1/n" or "2/(m+n)"."""
    m, n = _dim("m", m), _dim("n", n)
    if rule == "1/m":
        return 1.0 / m
    if rule == "1/n":
        return 1.0 / n
    if rule == "2/(m+n)":
        return 2.0 / (m + n)
    raise one_of("rule", RULES, rule)


# --- 1. angles between random vectors ----------------------------------------------------------

def angle_log_normaliser(n: int) -> float:
    """log[Γ(n/2)/(√π Γ((n−1)/2))], the normaliser of sin^{n−2}θ on [0, π]; finite for any n ≥ 2."""
    n = check_int("n", n, 2, MAX_DIM)
    return float(special.gammaln(n / 2) - 0.5 * math.log(math.pi) - special.gammaln((n - 1) / 2))


def angle_pdf(theta, n: int) -> np.ndarray:
    """Density of the angle between two independent isotropic vectors of ℝⁿ (n ≥ 2):

    p(θ) = Γ(n/2)/(√π Γ((n−1)/2)) · sin^{n−2}θ on [0, π], 0 elsewhere; evaluated in log space so
    that n up to :data:`MAX_DIM` neither overflows nor underflows at the mode. n = 2 is uniform 1/π.
    """
    log_c = angle_log_normaliser(n)
    theta = np.asarray(theta, dtype=float)
    inside = (theta >= 0) & (theta <= math.pi)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = log_c + special.xlogy(n - 2, np.sin(np.where(inside, theta, 0.5)))
    return np.where(inside, np.exp(log_p), 0.0)


def angle_cdf(theta, n: int) -> np.ndarray:
    """P(angle ≤ θ): (1 − cos θ)/2 = sin²(θ/2) ~ Beta((n−1)/2, (n−1)/2), so the CDF is the
    regularised incomplete beta I_{sin²(θ/2)}((n−1)/2, (n−1)/2) (sin²(θ/2) avoids 1 − cos θ's
    cancellation near 0)."""
    n = check_int("n", n, 2, MAX_DIM)
    theta = np.clip(np.asarray(theta, dtype=float), 0.0, math.pi)
    h = 0.5 * (n - 1)
    return special.betainc(h, h, np.square(np.sin(0.5 * theta)))


@dataclass(frozen=True)
class AngleMoments:
    """Moments of the angle θ between two independent isotropic vectors of ℝⁿ."""

    n: int
    theta_mean: float
    theta_std: float
    cos_mean: float
    cos_var: float


@functools.cache
def _legendre_rule() -> tuple[np.ndarray, np.ndarray]:
    """The ANGLE_QUADRATURE_NODES-point Gauss–Legendre rule on [−1, 1] (built once: ~7 ms)."""
    nodes, weights = np.polynomial.legendre.leggauss(ANGLE_QUADRATURE_NODES)
    nodes.setflags(write=False)
    weights.setflags(write=False)
    return nodes, weights


def angle_moments(n: int) -> AngleMoments:
    """E θ = π/2 (θ ↦ π − θ symmetry); cos θ has mean 0 and variance exactly 1/n.

    cos θ = ⟨u, v⟩ for independent uniform unit vectors, and E⟨u, v⟩² = Σᵢ E uᵢ² E vᵢ² = n·(1/n)² = 1/n.
    The same holds for *any* i.i.d. sign-symmetric entries (exchangeability gives E[xᵢ²/‖x‖²] = 1/n),
    although the density above is exact only for isotropic laws. Std θ has no elementary closed
    form: it is Var θ = ∫ψ² cos^{n−2}ψ dψ / ∫cos^{n−2}ψ dψ over ψ = θ − π/2 ∈ [−π/2, π/2], computed
    by Gauss–Legendre quadrature over the range where the integrand exceeds e^{−60} of its peak
    (n = 2: π²/12; n = 3: π²/4 − 2; large n: ≈ 1/(n − 2)).
    """
    n = check_int("n", n, 2, MAX_DIM)
    half = 0.5 * math.pi
    reach = half if n <= 2 else min(half, math.acos(math.exp(-ANGLE_LOG_RANGE / (n - 2))))
    nodes, weights = _legendre_rule()
    psi = reach * nodes
    w = weights * np.exp(special.xlogy(n - 2, np.cos(psi)))
    var = float(w @ np.square(psi) / w.sum())
    return AngleMoments(n=n, theta_mean=half, theta_std=math.sqrt(var), cos_mean=0.0, cos_var=1.0 / n)


# --- 2. entrywise deviation of WᵀW from I ------------------------------------------------------

@dataclass(frozen=True)
class GramDeviation:
    """Expected squared deviation of G = WᵀW (n×n) from I, entry by entry.

    * ``total``: E of the mean over all n² entries of (G − I)² = E‖WᵀW − I‖²_F / n² (the source's number);
    * ``diag``: E of the mean over the n diagonal entries, E(‖w_i‖² − 1)²;
    * ``offdiag``: E of the mean over the n(n−1) off-diagonal entries, E G_ij² (NaN when n = 1).

    total = (diag + (n − 1)·offdiag)/n.
    """

    m: int
    n: int
    total: float
    diag: float
    offdiag: float


def gram_deviation(m: int, n: int, var: float, kurtosis: float) -> GramDeviation:
    """E over the n² entries of (WᵀW − I)² for W m×n with i.i.d. entries (mean 0, variance s², kurtosis κ).

    With G_ij = Σ_k W_ki W_kj: off the diagonal E G_ij² = Σ_k E W_ki² E W_kj² = m s⁴ (the cross
    terms k ≠ l have mean 0); on it G_ii = ‖w_i‖² has mean m s² and variance m s⁴(κ − 1), so
    E(G_ii − 1)² = m s⁴(κ−1) + (m s² − 1)². Averaging n(n−1) off-diagonal and n diagonal entries:

        E = [(n−1)·m s⁴ + m s⁴(κ−1) + (m s² − 1)²] / n,

    which for s² = 1/m is (n + κ − 2)/(m n): normal, n = m = 100 gives 0.0101.
    """
    m, n = _dim("m", m), _dim("n", n)
    var = _var(var)
    kurtosis = check_float("kurtosis", kurtosis, 1.0)
    return _column_deviation(m, n, var, m * var * var * (kurtosis - 1.0))


def _column_deviation(m: int, n: int, var: float, colnorm_var: float) -> GramDeviation:
    """The deviation for independent columns with sign-symmetric entries of variance s² and a
    squared column norm of variance ``colnorm_var``."""
    offdiag = m * var * var
    diag = colnorm_var + (m * var - 1.0) ** 2
    total = (diag + (n - 1) * offdiag) / n
    return GramDeviation(m=m, n=n, total=total, diag=diag, offdiag=offdiag if n > 1 else math.nan)


def gram_deviation_orthogonal(m: int, n: int, gain: float) -> GramDeviation:
    """The same expectation for W = g·(Haar orthogonal m×n), torch ``orthogonal_(gain=g)``.

    * m ≥ n: WᵀW = g² I_n exactly, so E = (g² − 1)²/n (diag (g²−1)², offdiag 0).
    * m < n: WᵀW = g² P with P the projection onto a Haar-random m-dimensional subspace, so
      ‖WᵀW − I‖²_F = m(g²−1)² + (n − m) exactly and E = [m(g²−1)² + (n − m)]/n². Its parts:
      P_ii ~ Beta(m/2, (n−m)/2), E P_ii² = m(m+2)/(n(n+2)), so diag = g⁴ m(m+2)/(n(n+2)) − 2g² m/n + 1;
      Σ_{i≠j} P_ij² = tr P² − Σ P_ii² = m − Σ P_ii², so offdiag = g⁴ m(n−m)/(n(n−1)(n+2)).
    """
    m, n = _dim("m", m), _dim("n", n)
    g2 = check_float("gain", gain) ** 2
    if m >= n:
        diag, offdiag = (g2 - 1.0) ** 2, 0.0
    else:
        diag = g2 * g2 * m * (m + 2) / (n * (n + 2)) - 2.0 * g2 * m / n + 1.0
        offdiag = g2 * g2 * m * (n - m) / (n * (n - 1) * (n + 2))
    total = (diag + (n - 1) * offdiag) / n
    return GramDeviation(m=m, n=n, total=total, diag=diag, offdiag=offdiag if n > 1 else math.nan)


def _law_dims(law, m: int, n: int) -> None:
    if law.kind in ("orthogonal", "sparse") and tuple(law.shape) != (m, n):
        raise invalid("law", f"have shape (m, n) = {(m, n)} for kind={law.kind!r}", law.shape)
    if not law.is_random or law.mean != 0.0:
        raise invalid("law", "be a random law with mean 0", law)


def gram_deviation_for_law(law, m: int, n: int) -> GramDeviation:
    """:func:`gram_deviation` for an :class:`initviz.laws.Law` drawn as an m×n matrix.

    i.i.d. kinds use (var, kurtosis); ``orthogonal`` uses :func:`gram_deviation_orthogonal` with
    the law's gain; ``sparse`` (exactly z = ⌈sparsity·m⌉ zeros per column, N(0, σ²) elsewhere)
    keeps E G_ij² = m s⁴ but its column norms are σ²χ²_{m−z}, so Var‖w‖² = 2σ⁴(m − z).
    """
    m, n = _dim("m", m), _dim("n", n)
    _law_dims(law, m, n)
    if law.kind == "orthogonal":
        return gram_deviation_orthogonal(m, n, law.scale)
    if law.kind == "sparse":
        nonzero = round(m * (1.0 - law.zero_fraction))
        return _column_deviation(m, n, law.var, 2.0 * law.scale ** 4 * nonzero)
    return gram_deviation(m, n, law.var, law.kurtosis)


# --- 3. the norm ratio R = ‖Wx‖²/‖x‖² -----------------------------------------------------------

@dataclass(frozen=True)
class NormRatioMoments:
    """Mean and variance of R = ‖Wx‖²/‖x‖² over the draw of W (and of x when isotropic)."""

    m: int
    n: int
    mean: float
    var: float


def _flatness(x, n: int) -> float:
    """ρ = Σx⁴/(Σx²)² for a fixed x (1/n when flat, 1 when one-hot); E ρ = 3/(n+2) for x ~ N(0, I_n)."""
    if isinstance(x, str):
        if x != ISOTROPIC:
            raise one_of("x", (ISOTROPIC, "an array of length n"), x)
        return 3.0 / (n + 2)
    x = np.asarray(x, dtype=float)
    if x.shape != (n,) or not np.all(np.isfinite(x)) or not np.any(x):
        raise invalid("x", f"be a finite non-zero vector of length n={n}", x.shape)
    x2 = np.square(x / np.max(np.abs(x)))
    return float(np.sum(np.square(x2)) / np.sum(x2) ** 2)


def norm_ratio_moments(m: int, n: int, var: float, kurtosis: float, x=ISOTROPIC) -> NormRatioMoments:
    """R = ‖Wx‖²/‖x‖² for W m×n with i.i.d. entries (mean 0, variance s², kurtosis κ).

    Each (Wx)_i = Σ_j W_ij x_j is independent across rows with E(Wx)_i² = s²‖x‖² and
    E(Wx)_i⁴ = κ s⁴ Σx⁴ + 3 s⁴(‖x‖⁴ − Σx⁴), so E R = m s² and, for a fixed x,

        Var R = m s⁴ [2 + (κ − 3) ρ],  ρ = Σx⁴/(Σx²)².

    For x ~ N(0, I_n) (``x="isotropic"``) E[R | x] = m s² does not depend on x, so the total
    variance is E Var[R | x], i.e. ρ replaced by E ρ = 3/(n+2) (u = x/‖x‖ is uniform on the sphere,
    E u₁⁴ = 3/(n(n+2))).
    """
    m, n = _dim("m", m), _dim("n", n)
    var = _var(var)
    kurtosis = check_float("kurtosis", kurtosis, 1.0)
    rho = _flatness(x, n)
    return NormRatioMoments(m=m, n=n, mean=m * var, var=m * var * var * (2.0 + (kurtosis - 3.0) * rho))


def norm_ratio_moments_orthogonal(m: int, n: int, gain: float) -> NormRatioMoments:
    """W = g·(Haar orthogonal m×n): m ≥ n gives R = g² exactly; m < n gives R = g²·B with
    B = ‖Px‖²/‖x‖² ~ Beta(m/2, (n−m)/2) for every fixed x (P a Haar-random rank-m projection),
    so E R = g² m/n and Var R = g⁴ · 2m(n−m)/(n²(n+2))."""
    m, n = _dim("m", m), _dim("n", n)
    g2 = check_float("gain", gain) ** 2
    if m >= n:
        return NormRatioMoments(m=m, n=n, mean=g2, var=0.0)
    return NormRatioMoments(m=m, n=n, mean=g2 * m / n, var=g2 * g2 * 2.0 * m * (n - m) / (n * n * (n + 2)))


def norm_ratio_moments_for_law(law, m: int, n: int, x=ISOTROPIC) -> NormRatioMoments:
    """:func:`norm_ratio_moments` for an i.i.d. :class:`initviz.laws.Law`, or the orthogonal case."""
    m, n = _dim("m", m), _dim("n", n)
    _law_dims(law, m, n)
    if law.kind == "orthogonal":
        return norm_ratio_moments_orthogonal(m, n, law.scale)
    if law.kind == "sparse":
        raise invalid("law", "have independent entries (sparse columns are not)", law.kind)
    return norm_ratio_moments(m, n, law.var, law.kurtosis, x)


def _norm_ratio_law(m: int, n: int, law):
    """(scipy distribution, scale c) with R = c·X exactly: Gaussian W gives X ~ χ²_m, c = s²
    (Wx/‖x‖ ~ N(0, s² I_m) for every fixed or isotropic x); orthogonal W with m < n gives
    X ~ Beta(m/2, (n−m)/2), c = g² (the projection of a fixed direction on a Haar m-subspace)."""
    m, n = _dim("m", m), _dim("n", n)
    _law_dims(law, m, n)
    from scipy import stats  # the distributions module is heavy; load it on first use
    if law.kind == "normal":
        return stats.chi2(m), law.var
    if law.kind == "orthogonal" and m < n:
        return stats.beta(m / 2, (n - m) / 2), law.scale ** 2
    raise invalid("law", "be normal, or orthogonal with m < n, for an exact law of R", law.kind)


def norm_ratio_pdf(r, m: int, n: int, law) -> np.ndarray:
    """Exact density of R = ‖Wx‖²/‖x‖² where it is known: Gaussian W, R = s²χ²_m, density
    f_{χ²_m}(r/s²)/s²; orthogonal W with m < n, R = g²·Beta(m/2, (n−m)/2). (Orthogonal m ≥ n is
    the point mass at g², which has no density.)"""
    dist, c = _norm_ratio_law(m, n, law)
    return dist.pdf(np.asarray(r, dtype=float) / c) / c


def norm_ratio_cdf(r, m: int, n: int, law) -> np.ndarray:
    """P(R ≤ r) for the laws of :func:`norm_ratio_pdf`."""
    dist, c = _norm_ratio_law(m, n, law)
    return dist.cdf(np.asarray(r, dtype=float) / c)


def norm_pdf(t, m: int, n: int, law) -> np.ndarray:
    """Density of √R = ‖Wx‖/‖x‖ from :func:`norm_ratio_pdf`: f_√R(t) = 2t·f_R(t²)
    (Gaussian W: s·χ_m). At t = 0 it is the limit: 0 for m ≥ 2; for m = 1, where f_R(r) ≈ K·r^(−1/2)/√c
    with R = c·X, it is 2K/√c — K = 1/√(2π) for χ²₁ (the half-normal's √(2/(πc))), 1/B(½, (n−1)/2)
    for Beta(½, (n−1)/2)."""
    t = np.asarray(t, dtype=float)
    with np.errstate(invalid="ignore"):  # 0·∞ at t = 0 when m = 1: replaced by the limit
        out = np.where(t > 0, 2.0 * t * norm_ratio_pdf(np.square(t), m, n, law), 0.0)
    if m == 1:
        _, c = _norm_ratio_law(m, n, law)
        k = 1.0 / math.sqrt(2.0 * math.pi) if law.kind == "normal" else math.exp(-special.betaln(0.5, (n - 1) / 2))
        out = np.where(t == 0, 2.0 * k / math.sqrt(c), out)
    return out


# --- 4. Marchenko–Pastur and the operator norm ---------------------------------------------------

@dataclass(frozen=True)
class MarchenkoPastur:
    """The limiting law of the eigenvalues of WᵀW (W m×n, i.i.d. variance s², λ = n/m).

    Continuous part on [lo, hi] = [(1−√λ)², (1+√λ)²]·m s² with total mass min(1, 1/λ); an atom of
    mass ``atom`` = 1 − 1/λ at 0 when n > m (the n − m zero eigenvalues).
    """

    m: int
    n: int
    var: float
    ratio: float
    scale: float
    lo: float
    hi: float
    atom: float


def marchenko_pastur(m: int, n: int, var: float) -> MarchenkoPastur:
    """Parameters of Marchenko & Pastur (1967) for eig(WᵀW), W m×n with i.i.d. entries of variance s²."""
    m, n = _dim("m", m), _dim("n", n)
    var = _var(var)
    lam = n / m
    scale = m * var
    return MarchenkoPastur(m=m, n=n, var=var, ratio=lam, scale=scale,
                           lo=scale * (1.0 - math.sqrt(lam)) ** 2, hi=scale * (1.0 + math.sqrt(lam)) ** 2,
                           atom=max(0.0, 1.0 - 1.0 / lam))


def mp_pdf(x, m: int, n: int, var: float) -> np.ndarray:
    """Density of the continuous part: √((b−x)(x−a)) / (2π λ x · m s²) on [a, b] (a, b the
    scaled edges), 0 elsewhere; it integrates to 1 − atom. In units of m s²: √((b'−u)(u−a'))/(2πλu)."""
    mp = marchenko_pastur(m, n, var)
    u = np.asarray(x, dtype=float) / mp.scale
    a, b = mp.lo / mp.scale, mp.hi / mp.scale
    inside = (u > a) & (u < b) & (u > 0)
    safe = np.where(inside, u, 0.5 * (a + b))
    dens = np.sqrt((b - safe) * (safe - a)) / (2.0 * math.pi * mp.ratio * safe)
    return np.where(inside, dens / mp.scale, 0.0)


def mp_cdf(x, m: int, n: int, var: float) -> np.ndarray:
    """Distribution function of the limiting eigenvalue law, atom included (P(eig ≤ x), x ≥ 0).

    Closed form (derived by substituting u = c − r cos θ, c = 1 + λ, r = 2√λ, in units of m s²):

        F(θ) = (2/π)[sin θ/(2√λ) + (1+λ)θ/(4λ) − (|1−λ|/(2λ))·arctan(k·tan(θ/2))],
        k = (1+√λ)/|1−√λ|,  tan(θ/2) = √((u−a)(b−u))/(b−u),

    which rises from 0 at u = a to min(1, 1/λ) at u = b; the atom 1 − 1/λ is added for x ≥ 0.
    """
    mp = marchenko_pastur(m, n, var)
    lam = mp.ratio
    u = np.asarray(x, dtype=float) / mp.scale
    a, b = mp.lo / mp.scale, mp.hi / mp.scale
    uc = np.clip(u, a, b)
    root = np.sqrt((uc - a) * (b - uc))
    theta = np.arctan2(root, (1.0 + lam) - uc)
    cont = (2.0 / math.pi) * (root / (4.0 * lam) + (1.0 + lam) * theta / (4.0 * lam))
    if lam != 1.0:
        k = (1.0 + math.sqrt(lam)) / abs(1.0 - math.sqrt(lam))
        cont = cont - (2.0 / math.pi) * abs(1.0 - lam) / (2.0 * lam) * np.arctan2(k * root, b - uc)
    cont = np.where(u >= b, min(1.0, 1.0 / lam), np.where(u <= a, 0.0, cont))
    return np.where(u >= 0, cont + mp.atom, 0.0)


def opnorm_limit(m: int, n: int, var: float) -> float:
    """Limit of ‖WᵀW − I‖₂ as m, n → ∞ with λ = n/m fixed (Bai & Yin 1993: the extreme eigenvalues
    converge to the Marchenko–Pastur edges when the entries have a finite fourth moment):

        max(|m s²(1+√λ)² − 1|, |m s²(1−√λ)² − 1|), and at least 1 when n > m (zero eigenvalues).

    The edges scale with m s², so the limit is stated for that product held fixed; it is 3 for a
    square matrix with s² = 1/n, whatever n. At finite n the largest eigenvalue sits below the edge
    by O(n^{−2/3}) (see :func:`wishart_top_mean`), so measurements approach the limit from below.
    """
    mp = marchenko_pastur(m, n, var)
    out = max(abs(mp.hi - 1.0), abs(mp.lo - 1.0))
    return max(out, 1.0) if n > m else out


def wishart_top_mean(m: int, n: int, var: float) -> float:
    """Approximate E[largest eigenvalue of WᵀW] for Gaussian W m×n at finite size (Tracy–Widom).

    Johnstone (2001) with the centring and scaling of Ma (2012): for W with N(0, s²) entries,
    (λ_max/s² − μ)/σ → F₁ with μ = (√(m−½) + √(n−½))², σ = (√(m−½) + √(n−½))(1/√(m−½) + 1/√(n−½))^{1/3},
    so E λ_max ≈ s²(μ + σ·E F₁), E F₁ = −1.2065. The error is O(n^{−2/3}) relative to σ; by edge
    universality (Péché 2009) the same holds asymptotically for other i.i.d. laws with light tails.
    An approximation, not an exact expectation; it needs min(m, n) ≥ 2.
    """
    m, n = check_int("m", m, 2, MAX_DIM), check_int("n", n, 2, MAX_DIM)
    var = _var(var)
    a, b = math.sqrt(m - 0.5), math.sqrt(n - 0.5)
    mu = (a + b) ** 2
    sigma = (a + b) * (1.0 / a + 1.0 / b) ** (1.0 / 3.0)
    return var * (mu + sigma * TW1_MEAN)


# --- products of layers: deep linear networks ---------------------------------------------------

@dataclass(frozen=True)
class ProductMoments:
    """Exact moments of the squared singular values of J_l = W_l⋯W_1 (n₀ = input dimension).

    ``mean_sq[l]`` = E[tr J_lᵀJ_l]/n₀ (the mean of σ²), ``var_sq[l]`` = E of the spectral variance
    (1/n₀)Σσ⁴ − ((1/n₀)Σσ²)², for l = 0 … L (l = 0 is the identity).
    """

    widths: tuple[int, ...]
    mean_sq: np.ndarray
    var_sq: np.ndarray


def product_sv_moments(widths, variances) -> ProductMoments:
    """Moments of σ²(J) for J = W_L⋯W_1, W_l of shape n_l × n_{l−1} with N(0, s_l²) entries.

    ``widths`` = (n₀, n₁, …, n_L); ``variances`` = (s₁², …, s_L²) (a scalar is used for every layer).
    With B = J_{l−1}J_{l−1}ᵀ and S = W_lᵀW_l ~ Wishart_{n_{l−1}}(n_l, s² I), the Wishart identities
    E[SBS] = s⁴[n_l(n_l+1)B + n_l tr(B) I] and E[(tr SB)²] = s⁴[n_l²(tr B)² + 2n_l tr B²] give, for
    t = (tr JᵀJ)² and u = tr (JᵀJ)², the exact linear recursion

        E t_l = s⁴[n_l² E t_{l−1} + 2 n_l E u_{l−1}],   E u_l = s⁴[n_l(n_l+1) E u_{l−1} + n_l E t_{l−1}],

    from t₀ = n₀², u₀ = n₀. Then E[mean σ²] = ∏ n_l s_l² (any i.i.d. law: only second moments
    enter) and E[spectral var σ²] = E u/n₀ − E t/n₀² (Gaussian only). For n_l s_l² = 1 and all
    widths → ∞ the latter tends to L (the second Fuss–Catalan moment L + 1, minus 1): the spread
    of σ² grows linearly with depth.
    """
    widths = tuple(_dim("widths", w) for w in widths)
    if len(widths) < 1:
        raise invalid("widths", "hold at least the input dimension", widths)
    depth = len(widths) - 1
    if np.ndim(variances) == 0:
        variances = [variances] * depth
    variances = [_var(v, "variances") for v in variances]
    if len(variances) != depth:
        raise invalid("variances", f"have one entry per layer ({depth})", len(variances))
    n0 = widths[0]
    # scaled by n0 to stay finite: a = E t / n0², b = E u / n0
    a, b, mean = 1.0, 1.0, 1.0
    mean_sq, var_sq = [mean], [0.0]
    for nl, s2 in zip(widths[1:], variances):
        s4 = s2 * s2
        a, b = s4 * (nl * nl * a + 2.0 * nl * b / n0), s4 * (nl * (nl + 1) * b + nl * n0 * a)
        mean *= nl * s2
        mean_sq.append(mean)
        var_sq.append(b - a)
    return ProductMoments(widths=widths, mean_sq=np.array(mean_sq), var_sq=np.array(var_sq))


def gaussian_lyapunov_mean(n: int, var: float) -> np.ndarray:
    """E log|r_ii| per layer of the QR iteration W_l Q_{l−1} = Q_l R_l for n×n N(0, s²) layers.

    W_l Q_{l−1} is again N(0, s²) and independent of the past (rotation invariance), so the
    diagonal of R_l holds independent r_ii² ~ s² χ²_{n−i+1} (Bartlett decomposition), and
    E log|r_ii| = ½[log(2s²) + ψ((n−i+1)/2)], i = 1 … n (Newman 1986). Summed over L layers it is
    the exact mean of the accumulated log-diagonal; its sum over i is E log|det W|.
    """
    n = _dim("n", n)
    var = _var(var)
    dof = n - np.arange(n)
    return 0.5 * (math.log(2.0 * var) + special.digamma(0.5 * dof))


__all__ = ["RULES", "ISOTROPIC", "rule_variance", "angle_pdf", "angle_cdf", "angle_moments", "AngleMoments",
           "GramDeviation", "gram_deviation", "gram_deviation_orthogonal", "gram_deviation_for_law",
           "NormRatioMoments", "norm_ratio_moments", "norm_ratio_moments_orthogonal",
           "norm_ratio_moments_for_law", "norm_ratio_pdf", "norm_ratio_cdf", "norm_pdf", "MarchenkoPastur",
           "marchenko_pastur", "mp_pdf", "mp_cdf", "opnorm_limit", "wishart_top_mean",
           "ProductMoments", "product_sv_moments", "gaussian_lyapunov_mean"]
