"""Mean-field theory of signal propagation, read from the same :class:`~initviz.network.Network`
the simulation runs, so a theory overlay can never drift from the measurement.

**Model** (Poole et al. 2016; Schoenholz et al. 2017). Layer l computes h^l = W^l a^{l−1} + b^l
(torch layout, W^l of shape (n_l, n_{l−1})), a^l = φ_l(h^l), a⁰ = x. Weight entries are i.i.d.
with mean 0 and variance s_l² = σ_{w,l}²/n_{l−1} — so σ_w² = n_{l−1}·Var[w] for *any* scheme and
distribution — and bias entries have mean μ_b and variance σ_b². For wide layers every
pre-activation is Gaussian, N(μ_b, q^l), with

    q^l = σ_w² · E[(a^{l−1})²] + σ_b²,      E[(a^l)²] = E_z[φ(μ_b + √q^l z)²],  z ~ N(0, 1),

and E[(a⁰)²] = input_var + input_mean². With μ_b = 0 this is the q-map
q^{l+1} = σ_w² E_z[φ(√q^l z)²] + σ_b². Its fixed point q* and the slope

    χ₁ = σ_w² E_z[φ′(μ_b + √q* z)²]

separate order (χ₁ < 1) from chaos (χ₁ > 1); χ₁ = 1 is the edge of chaos (ReLU: σ_w = √2,
σ_b = 0; tanh: σ_w = 1, σ_b = 0).

**Correlation map.** Two inputs with (uncentred) correlation c⁰ give pre-activations with common
variance q^l and covariance κ^l = σ_w² E[a_a^{l−1} a_b^{l−1}] + σ_b², where (h_a, h_b) are jointly
Gaussian with means μ_b, variances q and centred correlation ρ = κ/q. The reported correlation is
the uncentred cosine c^l = (κ^l + μ_b²)/(q^l + μ_b²) — the quantity the simulation measures,
⟨h_a, h_b⟩/(‖h_a‖‖h_b‖) — which equals ρ when μ_b = 0.

**Backward** (gradient independence, Schoenholz et al. 2017), for the propagation probe
L = Σ_b ⟨g_b, a^L_b⟩ with g ~ N(0, 1): E[(∂L/∂a^L)²] = 1, E[(∂L/∂h^l)²] = E[(∂L/∂a^l)²]·E[φ′(h^l)²],
E[(∂L/∂a^{l−1})²] = n_l s_l² E[(∂L/∂h^l)²], and since the probe is independent across samples,
Var[∂L/∂W^l] = batch · E[(∂L/∂h^l)²] · E[(a^{l−1})²].

**Numerics** (see REFERENCE.md). The leaky family (linear, relu, leaky_relu) uses closed forms,
including the arc-cosine kernel (Cho & Saul 2009) for the correlation map when μ_b = 0; so do
hardtanh (truncated Gaussian moments, any μ_b: E[φ′²] = P(|U| < 1), at μ_b = 0 erf(1/√(2q)) — the
p(q*) of Pennington et al. 2017) and erf at μ_b = 0 (E[erf(U)²] = (2/π) arcsin(2q/(1 + 2q)),
E[erf′(U)²] = (4/π)/√(1 + 4q), and the pair kernel (2/π) arcsin(2ρq/(1 + 2q)), Williams 1997). Smooth
activations at q ≤ ``TRAPEZOID_MAX_VAR`` use the trapezoid rule on a uniform grid z ∈ [−12, 12]
(``QUAD_POINTS`` nodes in 1-D; in 2-D spacing min(0.1, 0.4/√q)), exponentially accurate for
smooth integrands — Gauss–Hermite is not, at large q. Kinked activations (ELU, SELU, relu-like
with a bias mean; hardtanh's correlation map) and every activation at larger q use a piecewise
Gauss–Legendre rule in u = μ + √q z, cut at u = −8, 0, 8 (``SPLIT_POINTS``, ``SPLIT_NODES`` per
piece) and at φ's kinks (``ActivationSpec.kinks``: ±1 for hardtanh): every kink is a breakpoint,
φ's unit-scale non-linearity is resolved however wide the Gaussian, and outside |u| ≤ 8 the
integrand is smooth on the Gaussian's scale. The 2-D expectation is the same rule in
u and, for each u node, in v given u.

**Finite width** (Hanin & Rolnick 2018). For positively homogeneous φ (linear, relu, leaky_relu),
Gaussian weights and zero bias, M_l = ‖a^l‖²/n_l satisfies E[M_l | M_{l−1}] = c M_{l−1} and
Var[M_l | M_{l−1}] = K c² M_{l−1}²/n_l with K = E[φ(z)⁴]/E[φ(z)²]² − 1 (relu 5, linear 2), so the
relative variance of M_l/M_0 is exactly ∏_{k≤l}(1 + K/n_k) − 1 — He init keeps the mean, not the
spread. Other weight laws add a kurtosis term; the formula is then an approximation.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from .activations import ACTIVATIONS, get_activation
from .errors import invalid
from .limits import MAX_BATCH, check_float, check_int
from .network import Network

QUAD_Z_MAX = 12.0
"""Gaussian expectations integrate z over [−QUAD_Z_MAX, QUAD_Z_MAX] (the tails beyond carry e^{−72})."""

QUAD_POINTS = 4001
"""Trapezoid nodes for 1-D Gaussian expectations (spacing 0.006)."""

TRAPEZOID_MAX_VAR = 100.0
"""The trapezoid rule serves smooth activations up to this variance: the u-spacing √q·h must
resolve φ's unit-scale features (tanh's poles at u = ±iπ/2 bound the error by ~e^{−π²/(h√q)})."""

QUAD2_MIN_POINTS = 241
"""Fewest trapezoid nodes per axis for the 2-D expectation of the correlation map (spacing 0.1)."""

QUAD2_RESOLUTION = 0.4
"""2-D trapezoid spacing h = min(0.1, QUAD2_RESOLUTION/√q): ≤ 601 nodes per axis up to TRAPEZOID_MAX_VAR."""

SPLIT_POINTS = (-8.0, 0.0, 8.0)
"""Breakpoints in u of the piecewise rule: a possible kink at 0, and the unit-scale region
|u| ≤ 8 where φ is non-linear, so that outside it φ is smooth on the scale of the Gaussian."""

SPLIT_NODES = 48
"""Gauss–Legendre nodes per piece of the piecewise rule (~1e-12 against adaptive quadrature)."""

FIXED_POINT_TOL = 1e-14
"""Relative change at which the q-map iteration has reached its fixed point."""

CRITICAL_TOL = 1e-12
"""Leaky family: σ_w²(1 + a²)/2 this close to 1 is the critical point (σ_w = √2 is not exact in floats)."""

FIXED_POINT_MAX_ITER = 5000
"""Most q-map iterations before :func:`fixed_point` gives up (returns NaN)."""

_Z = np.linspace(-QUAD_Z_MAX, QUAD_Z_MAX, QUAD_POINTS)
_W = np.exp(-0.5 * _Z ** 2) / math.sqrt(2 * math.pi) * (_Z[1] - _Z[0])
_W[[0, -1]] *= 0.5
_KINKED = tuple(name for name, spec in ACTIVATIONS.items() if spec.kinks)
"""Activations whose φ′ jumps somewhere (``ActivationSpec.kinks``): the piecewise rule, cut at the
kinks, always serves them."""


# --- 1-D Gaussian expectations -------------------------------------------------------------
def _leaky_moments(a: float, mean: float, var: float) -> tuple[float, float, float]:
    """E[φ], E[φ²], E[φ′²] for φ(x) = x (x > 0), a·x (x ≤ 0) and X ~ N(mean, var), in closed form.

    With s = √var, t = mean/s: E[relu(X)] = mean·Φ(t) + s·φ_N(t),
    E[relu(X)²] = (mean² + var)Φ(t) + mean·s·φ_N(t), and φ(X) = relu(X) − a·relu(−X)."""
    if var == 0.0:
        value = mean if mean > 0 else a * mean
        return value, value * value, 1.0 if mean > 0 else a * a
    s = math.sqrt(var)
    t = mean / s
    cdf, cdf_neg, pdf = special.ndtr(t), special.ndtr(-t), math.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)
    r1_pos = mean * cdf + s * pdf  # E[relu(X)]
    r1_neg = -mean * cdf_neg + s * pdf  # E[relu(−X)]
    r2_pos = (mean * mean + var) * cdf + mean * s * pdf
    r2_neg = (mean * mean + var) * cdf_neg - mean * s * pdf
    return r1_pos - a * r1_neg, r2_pos + a * a * r2_neg, cdf + a * a * cdf_neg


def _split_nodes(act, mean, sd: float) -> tuple[np.ndarray, np.ndarray]:
    """Piecewise Gauss–Legendre nodes u and weights (times the N(mean, sd²) density) for
    E[f(U)], U ~ N(mean, sd²): [mean − Z·sd, mean + Z·sd] cut at ``SPLIT_POINTS`` and at the kinks
    of ``act``.

    ``mean`` may be an array (one rule per entry); shapes mean.shape + ((4 + kinks)·SPLIT_NODES,).
    Pieces outside the range get zero length and zero weight."""
    return piecewise_rule(mean, sd, u_cuts=SPLIT_POINTS + act.spec.kinks)


@functools.lru_cache(maxsize=None)
def _gauss_legendre(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(nodes)


def piecewise_rule(mean, sd, nodes: int = SPLIT_NODES, u_cuts=SPLIT_POINTS, z_cuts=(),
                   z_max: float = QUAD_Z_MAX) -> tuple[np.ndarray, np.ndarray]:
    """Nodes u and weights w with Σ w·f(u) ≈ E[f(U)], U ~ N(mean, sd²), for many Gaussians at once.

    The range [mean − z_max·sd, mean + z_max·sd] is cut at the points ``u_cuts`` (in u: a kink,
    the edge of φ's non-linear region; each a number or an array broadcasting against ``mean``)
    and ``z_cuts`` (in standard units: mean + z·sd, which keeps every piece short on the
    Gaussian's scale), and each piece gets ``nodes`` Gauss–Legendre nodes. ``mean`` and ``sd``
    (> 0) broadcast to a shape S; u and w have shape S + (pieces·nodes,). Cuts outside the range
    give pieces of zero length and zero weight. The defaults are the module's rule
    (``SPLIT_POINTS``, ``SPLIT_NODES``, ``QUAD_Z_MAX``); :func:`moments` and :func:`pair_moment`
    use them, :mod:`initviz.criticality` vectorises over a grid of variances with fewer nodes.
    """
    x, weights = _gauss_legendre(nodes)
    mean = np.asarray(mean, dtype=float)[..., None]
    sd = np.asarray(sd, dtype=float)[..., None]
    lo, hi = mean - z_max * sd, mean + z_max * sd
    inner = [np.clip(np.asarray(c, dtype=float)[..., None], lo, hi) for c in u_cuts]
    inner += [mean + z * sd for z in z_cuts]
    cuts = np.sort(np.concatenate(np.broadcast_arrays(lo, *inner, hi), axis=-1), axis=-1)
    a, b = cuts[..., :-1, None], cuts[..., 1:, None]
    half, centre = 0.5 * (b - a), 0.5 * (b + a)
    u = half * x
    u += centre
    u = u.reshape(*cuts.shape[:-1], (cuts.shape[-1] - 1) * len(x))
    z = u - mean
    z /= sd
    w = np.multiply(z, -0.5)  # the weights, built in place: half·weight·exp(−z²/2)/(sd√(2π))
    w *= z
    np.exp(w, out=w)
    w *= (half * weights).reshape(u.shape)
    w /= sd * math.sqrt(2 * math.pi)
    return u, w


def _hardtanh_parts(mean, sd):
    """The pieces of hardtanh's Gaussian expectations for X ~ N(mean, sd²), sd > 0 (arrays
    broadcast): with a = (−1 − mean)/sd and b = (1 − mean)/sd, (a, b, φ_N(a), φ_N(b), P(X < −1),
    P(X > 1), I = P(|X| < 1)) — I taken from the side of the smaller tail, so it keeps its relative
    accuracy when X sits far outside (−1, 1)."""
    a, b = (-1.0 - mean) / sd, (1.0 - mean) / sd
    pa, pb = np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi), np.exp(-0.5 * b * b) / math.sqrt(2 * math.pi)
    below, above = special.ndtr(a), special.ndtr(-b)
    inside = np.where(a < 0, special.ndtr(b) - below, special.ndtr(-a) - above)
    return a, b, pa, pb, below, above, inside


def _hardtanh_moments(mean: float, var: float) -> tuple[float, float, float]:
    """E[φ], E[φ²], E[φ′²] for φ = hardtanh and X ~ N(mean, var > 0), in closed form.

    With s = √var, a = (−1 − mean)/s, b = (1 − mean)/s, I = Φ(b) − Φ(a) = P(|X| < 1) = E[φ′²]
    and the truncated moments E[Z 1{a<Z<b}] = φ_N(a) − φ_N(b), E[Z² 1{a<Z<b}] = I + aφ_N(a) − bφ_N(b):
    E[φ] = mean·I + s(φ_N(a) − φ_N(b)) + P(X > 1) − P(X < −1) and
    E[φ²] = (mean² + var)I + 2·mean·s(φ_N(a) − φ_N(b)) + var(aφ_N(a) − bφ_N(b)) + P(|X| > 1)."""
    return tuple(float(x) for x in hardtanh_moments(mean, var))


def hardtanh_moments(mean, var):
    """:func:`_hardtanh_moments` on arrays (broadcast; var > 0)."""
    s = np.sqrt(var)
    a, b, pa, pb, below, above, inside = _hardtanh_parts(mean, s)
    first = mean * inside + s * (pa - pb) + above - below
    second = (mean * mean + var) * inside + 2 * mean * s * (pa - pb) + var * (a * pa - b * pb) + above + below
    return first, second, inside


def _hardtanh_mean_slope(mean, sd):
    """(E[φ(X)], E[φ′(X)]) for φ = hardtanh, X ~ N(mean, sd²) (arrays): mean·I + sd(φ_N(a) − φ_N(b))
    + P(X > 1) − P(X < −1), and I = P(|X| < 1) (:func:`_hardtanh_moments`)."""
    _, _, pa, pb, below, above, inside = _hardtanh_parts(mean, sd)
    return mean * inside + sd * (pa - pb) + above - below, inside


def _erf_mean_slope(mean, sd):
    """(E[erf X], E[erf′ X]) for X ~ N(mean, sd²) (arrays): erf(mean/r) and (2/√π)e^{−mean²/r²}/r with
    r = √(1 + 2sd²) — erf x = 2Φ(√2 x) − 1 and E[Φ(α + βZ)] = Φ(α/√(1 + β²)); the second is the
    Gaussian integral of e^{−x²}."""
    r2 = 1.0 + 2.0 * sd * sd
    return special.erf(mean / np.sqrt(r2)), 2.0 / math.sqrt(math.pi) * np.exp(-mean * mean / r2) / np.sqrt(r2)


GAUSSIAN_MEAN_SLOPE = {"hardtanh": _hardtanh_mean_slope, "erf": _erf_mean_slope}
"""Closed-form (E[φ(X)], E[φ′(X)]) for X ~ N(mean, sd²), sd > 0, arrays broadcast: the inner
expectations of :mod:`initviz.criticality`'s 2-D integrals, which then need no inner rule."""


def erf_moments(var):
    """(E[erf(U)²], E[erf′(U)²], E[erf(U)·erf″(U)]) for U ~ N(0, q), q = ``var`` > 0 (a number or an
    array), in closed form: (2/π) arcsin(2q/(1 + 2q)), (4/π)/√(1 + 4q) and, from Stein's
    d/dq E[φ²] = E[φ′²] + E[φφ″], −(8q/π)/((1 + 2q)√(1 + 4q))."""
    q = np.asarray(var, dtype=float)
    root = np.sqrt(1.0 + 4.0 * q)
    return (2.0 / math.pi * np.arcsin(2.0 * q / (1.0 + 2.0 * q)), 4.0 / math.pi / root,
            -8.0 * q / math.pi / ((1.0 + 2.0 * q) * root))


def _erf_moments(mean: float, var: float) -> tuple[float, float, float] | None:
    """E[φ], E[φ²], E[φ′²] for φ = erf and X ~ N(0, var) from :func:`erf_moments` (E[φ] = 0). None
    for a non-zero mean (E[erf(X)²] then needs Owen's T function: quadrature serves it)."""
    if mean != 0.0:
        return None
    square, slope, _ = erf_moments(var)
    return 0.0, float(square), float(slope)


_CLOSED_MOMENTS = {"hardtanh": _hardtanh_moments, "erf": _erf_moments}
"""Closed-form (E[φ], E[φ²], E[φ′²]) at variance > 0 beside the leaky family's (None: use quadrature)."""


def kink_term(activation, mean, sd):
    """Σ_k φ(x_k)·[φ′(x_k⁺) − φ′(x_k⁻)]·p(x_k), p the N(mean, sd²) density, over the kinks x_k of φ:
    the Dirac part of E[φ(U)φ″(U)] that φ″ (defined almost everywhere) leaves out. Zero for the
    kinks at 0 (φ(0) = 0); hardtanh's gives −p(1) − p(−1). ``mean`` and ``sd`` (> 0) broadcast."""
    act = get_activation(activation)
    mean, sd = np.asarray(mean, dtype=float), np.asarray(sd, dtype=float)
    total = np.zeros(np.broadcast(mean, sd).shape)
    for x in act.spec.kinks:
        left, right = act.derivative(np.array([np.nextafter(x, -math.inf), np.nextafter(x, math.inf)]))
        z = (x - mean) / sd
        total += float(act(np.array(x))) * float(right - left) * np.exp(-0.5 * z * z) / (sd * math.sqrt(2 * math.pi))
    return total


def _trapezoid_serves(act, var: float) -> bool:
    """REFERENCE's uniform-grid trapezoid: smooth φ and a variance its spacing resolves."""
    return act.name not in _KINKED and var <= TRAPEZOID_MAX_VAR


def moments(activation, mean: float = 0.0, var: float = 1.0) -> tuple[float, float, float]:
    """(E[φ(X)], E[φ(X)²], E[φ′(X)²]) for X ~ N(mean, var).

    Closed forms for the leaky family (linear, relu, leaky_relu), hardtanh and erf (mean 0);
    otherwise the trapezoid rule
    (smooth φ, var ≤ ``TRAPEZOID_MAX_VAR``) or the piecewise Gauss–Legendre rule (module docstring). ``activation`` is a name or an :class:`~initviz.activations.Activation`.
    """
    act = get_activation(activation)
    mean, var = float(mean), float(var)
    if not var >= 0 or not math.isfinite(var) or not math.isfinite(mean):
        raise invalid("var", "be a finite number >= 0 (with a finite mean)", var)
    slope = act.leaky_slope
    if slope is not None:
        return _leaky_moments(slope, mean, var)
    if var == 0.0:
        return float(act(np.array(mean))), float(act(np.array(mean))) ** 2, float(act.derivative(np.array(mean))) ** 2
    closed = _CLOSED_MOMENTS.get(act.name, lambda m, v: None)(mean, var)
    if closed is not None:
        return closed
    if _trapezoid_serves(act, var):
        x, w = mean + math.sqrt(var) * _Z, _W
    else:
        x, w = _split_nodes(act, mean, math.sqrt(var))
    f, fp = act(x), act.derivative(x)
    return float(w @ f), float(w @ (f * f)), float(w @ (fp * fp))


def _arccos_kernel(rho: float) -> float:
    """E[relu(u) relu(v)] for unit-variance (u, v) with correlation ρ: (√(1−ρ²) + (π − arccos ρ)ρ)/(2π)."""
    rho = min(max(rho, -1.0), 1.0)
    return (math.sqrt(1.0 - rho * rho) + (math.pi - math.acos(rho)) * rho) / (2.0 * math.pi)


def pair_moment(activation, mean: float, var: float, rho: float) -> float:
    """E[φ(u)φ(v)] for (u, v) jointly Gaussian with means ``mean``, variances ``var``, correlation ρ.

    Leaky family with mean 0: (1 + a²)k(ρ) − 2a·k(−ρ) times var, k the arc-cosine kernel; erf with
    mean 0: (2/π) arcsin(2ρq/(1 + 2q)) (Williams 1997); otherwise a product rule over u and
    v | u ~ N(m + ρ(u − m), q(1 − ρ²)): the trapezoid for smooth φ at q ≤ ``TRAPEZOID_MAX_VAR``, else
    piecewise Gauss–Legendre in u and, per u, in v (cut at φ's kinks).
    """
    act = get_activation(activation)
    rho = min(max(float(rho), -1.0), 1.0)
    slope = act.leaky_slope
    if var == 0.0 or rho == 1.0:
        return moments(act, mean, var)[1]
    if slope is not None and mean == 0.0:
        return var * ((1 + slope * slope) * _arccos_kernel(rho) - 2 * slope * _arccos_kernel(-rho))
    if act.name == "erf" and mean == 0.0:
        return 2.0 / math.pi * math.asin(2 * rho * var / (1 + 2 * var))
    sd, sd_cond = math.sqrt(var), math.sqrt(1.0 - rho * rho) * math.sqrt(var)
    if not _trapezoid_serves(act, var):  # piecewise Gauss–Legendre in u, then in v given u
        u, w1 = _split_nodes(act, mean, sd)
        centre = mean + rho * (u - mean)  # E[v | u]
        if sd_cond == 0.0:
            return float(w1 @ (act(u) * act(centre)))
        v, w2 = _split_nodes(act, centre, sd_cond)
        return float(w1 @ (act(u) * np.sum(act(v) * w2, axis=1)))
    h = min(2 * QUAD_Z_MAX / (QUAD2_MIN_POINTS - 1), QUAD2_RESOLUTION / sd)
    z = np.linspace(-QUAD_Z_MAX, QUAD_Z_MAX, 2 * math.ceil(QUAD_Z_MAX / h) + 1)
    w = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi) * (z[1] - z[0])
    v = (mean + sd * rho * z)[:, None] + sd_cond * z[None, :]
    inner = act(v) @ w  # E over z₂ for each z₁
    return float(w @ (act(mean + sd * z) * inner))


# --- maps -------------------------------------------------------------------------------------
def qmap(q: float, activation, sigma_w: float, sigma_b: float = 0.0, bias_mean: float = 0.0) -> float:
    """One layer of the variance map: σ_w² E_z[φ(μ_b + √q z)²] + σ_b²."""
    return sigma_w ** 2 * moments(activation, bias_mean, q)[1] + sigma_b ** 2


def chi1(activation, sigma_w: float, q: float, bias_mean: float = 0.0) -> float:
    """χ₁ = σ_w² E_z[φ′(μ_b + √q z)²], the slope of the correlation map at c = 1 (and the
    per-layer growth of gradients) at pre-activation variance q (usually q*)."""
    return sigma_w ** 2 * moments(activation, bias_mean, q)[2]


def correlation_map(c: float, q: float, activation, sigma_w: float, sigma_b: float = 0.0,
                    bias_mean: float = 0.0) -> float:
    """One layer of the correlation map, for two inputs whose pre-activations have variance q and
    uncentred correlation c: returns the next layer's uncentred correlation (module docstring).

    Stationary q is assumed (q the variance at both the current and the next layer's input), as
    in Poole et al.; :func:`predict` tracks q layer by layer instead."""
    m2 = q + bias_mean ** 2
    rho = (c * m2 - bias_mean ** 2) / q if q > 0 else 1.0
    kappa = sigma_w ** 2 * pair_moment(activation, bias_mean, q, rho) + sigma_b ** 2
    q_next = qmap(q, activation, sigma_w, sigma_b, bias_mean)
    return (kappa + bias_mean ** 2) / (q_next + bias_mean ** 2)


def fixed_point(activation, sigma_w: float, sigma_b: float = 0.0, bias_mean: float = 0.0, q0: float = 1.0) -> float:
    """q* reached by iterating the q-map from q0 (the stable fixed point a deep network approaches).

    Closed form for the leaky family with μ_b = 0: q* = σ_b²/(1 − σ_w²(1 + a²)/2) when the
    denominator is positive, ∞ when it is negative (the variance explodes), q0 itself at the
    critical point with σ_b = 0 (every q is fixed; |σ_w²(1 + a²)/2 − 1| ≤ ``CRITICAL_TOL``).
    Otherwise the map is iterated, with an Aitken Δ² jump after every two steps that shrink by a
    common ratio (the iteration that follows still decides which fixed point is reached, so an
    unstable one is never returned); it stops at relative change ``FIXED_POINT_TOL`` and returns
    ∞ if q overflows, 0 if it underflows, NaN if it has not converged after
    ``FIXED_POINT_MAX_ITER`` maps (tanh with σ_w = 1, σ_b = 0: q → 0 only like 1/(2l), and
    below q ≈ 1e−8 the steps are lost in rounding).
    """
    act = get_activation(activation)
    slope = act.leaky_slope
    if slope is not None and bias_mean == 0.0:
        gain = sigma_w ** 2 * (1 + slope * slope) / 2
        if abs(gain - 1.0) <= CRITICAL_TOL:
            return float(q0) if sigma_b == 0 else math.inf
        return sigma_b ** 2 / (1.0 - gain) if gain < 1.0 else math.inf
    q = float(q0)
    history = []
    for _ in range(FIXED_POINT_MAX_ITER):
        q_next = qmap(q, act, sigma_w, sigma_b, bias_mean)
        if not math.isfinite(q_next) or q_next > 1e300:
            return math.inf
        if q_next < 1e-300:
            return 0.0
        if abs(q_next - q) <= FIXED_POINT_TOL * q_next:
            return q_next
        history = [*history[-1:], q_next - q]
        q = q_next
        if len(history) == 2 and history[0] != 0:
            ratio = history[1] / history[0]  # linear convergence: Aitken's Δ² jumps to the limit
            if -1.0 < ratio < 1.0 and q + history[1] * ratio / (1.0 - ratio) > 0:
                q += history[1] * ratio / (1.0 - ratio)
                history = []
    return math.nan


def relative_spread_constant(activation) -> float:
    """K = E[φ(z)⁴]/E[φ(z)²]² − 1 for the leaky family: 6(1 + a⁴)/(1 + a²)² − 1 (relu 5, linear 2).

    NaN for activations that are not positively homogeneous (their spread has no closed form)."""
    slope = get_activation(activation).leaky_slope
    if slope is None:
        return math.nan
    return 6 * (1 + slope ** 4) / (1 + slope ** 2) ** 2 - 1


def hanin_rolnick_spread(widths, constant: float = 5.0) -> np.ndarray:
    """∏_{k≤l}(1 + K/n_k) − 1 for each layer l: the relative variance of (‖a^l‖²/n_l)/(‖x‖²/n_0)
    over random networks (Hanin & Rolnick 2018; K = 5 for ReLU, Gaussian weights, zero bias)."""
    n = np.asarray(widths, dtype=float)
    return np.expm1(np.cumsum(np.log1p(constant / n)))


# --- per-network prediction -------------------------------------------------------------------
PREDICTION_COLUMNS = ("preact_mean", "preact_var", "preact_m2", "act_mean", "act_var", "act_m2", "forward_mult",
                      "backward_mult", "grad_act_var", "grad_var", "grad_w_var", "corr", "norm_ratio", "layer_ratio",
                      "msq_ratio", "msq_ratio_relvar")
"""Per-layer columns of :class:`Prediction` (each an (L,) float64 array; NaN where undefined)."""

STATIONARY_TOL = 1e-13
"""Relative change below which a layer's input counts as unchanged (its output is reused)."""


@dataclass(frozen=True, eq=False)
class Prediction:
    """Mean-field prediction for every layer of a network (see :func:`predict`)."""

    net: Network
    input_var: float
    input_mean: float
    input_corr: float
    batch: int
    preact_mean: np.ndarray
    preact_var: np.ndarray
    preact_m2: np.ndarray
    act_mean: np.ndarray
    act_var: np.ndarray
    act_m2: np.ndarray
    forward_mult: np.ndarray
    backward_mult: np.ndarray
    grad_act_var: np.ndarray
    grad_var: np.ndarray
    grad_w_var: np.ndarray
    corr: np.ndarray
    norm_ratio: np.ndarray
    layer_ratio: np.ndarray
    msq_ratio: np.ndarray
    msq_ratio_relvar: np.ndarray

    def to_frame(self):
        """pandas DataFrame, one row per layer: ``layer`` and :data:`PREDICTION_COLUMNS` (NA where undefined)."""
        import pandas as pd

        frame = pd.DataFrame({"layer": np.arange(1, len(self.preact_var) + 1),
                              **{name: getattr(self, name) for name in PREDICTION_COLUMNS}})
        return frame.astype({name: "Float64" for name in PREDICTION_COLUMNS})


def mean_field_applies(net) -> str | None:
    """None when the mean-field theory applies to ``net``, else the reason it does not.

    It needs random weights with mean 0 in every layer; deterministic tensors (constant, zeros,
    ones, eye, dirac) and non-zero-mean laws break the Gaussian limit. The recursion here is the
    plain MLP's: a network with a norm after each activation or residual blocks is not covered."""
    if net.residual is not None:
        return "the network has residual blocks; their recursion is initviz.residual_theory.predict_residual"
    if net.norm != "none":
        return f"the network normalises after each activation ({net.norm}); this recursion is the plain MLP's"
    for layer in range(1, net.depth + 1):
        law = net.weight_law(layer)
        if not law.is_random or law.mean != 0.0 or law.var == 0.0:
            return (f"layer {layer}'s weights ({net.init}, {law.kind}, mean {law.mean:g}, variance {law.var:g}) "
                    "are not random with mean 0")
    return None


def _layer_constants(net, layer: int) -> tuple[float, float, float]:
    """(σ_w², σ_b², μ_b) of a layer: σ_w² = n_{l−1}·Var[w], bias from its law (0 without bias)."""
    fan_in = net.dims[layer - 1]
    w2 = fan_in * net.weight_law(layer).var
    bias = net.bias_law(layer)
    return w2, (0.0 if bias is None else bias.var), (0.0 if bias is None else bias.mean)


def predict(net, input_var: float = 1.0, input_mean: float = 0.0, input_corr: float = 0.0,
            batch: int = 1) -> Prediction:
    """The mean-field prediction for every layer of ``net`` (module docstring for the equations).

    Inputs have i.i.d. coordinates of mean ``input_mean`` and variance ``input_var`` (propagate's
    "normal" and "unit_norm" inputs: mean 0, variance 1) and pairs of inputs have correlation
    ``input_corr`` (propagate's "correlated" inputs; 0 for its other, independent rows). ``batch`` scales the weight-gradient
    variance, which sums ``batch`` per-sample terms under propagate's probe loss.

    Columns, per layer l: pre-activation mean μ_b, variance q^l and second moment; activation
    mean, variance and second moment; ``forward_mult`` = E[(a^l)²]/E[(a^{l−1})²] (linear n s²,
    relu n s²/2 without bias); ``backward_mult`` = E[(∂L/∂h^l)²]/E[(∂L/∂h^{l+1})²]
    = n_{l+1}s_{l+1}² E[φ′(h^l)²] (at L: E[φ′(h^L)²], relative to the probe); ``grad_act_var``,
    ``grad_var``, ``grad_w_var`` for the probe; ``corr`` = c^l; ``norm_ratio`` =
    √(n_l E[(a^l)²]/(n_0 E[x²])), the root mean square of ‖a^l‖/‖x‖; ``layer_ratio`` = √(n_l s_l²),
    the rms of ‖W_l a‖/‖a‖; ``msq_ratio`` = E[(a^l)²]/E[x²]; ``msq_ratio_relvar`` — the relative
    variance of (‖a^l‖²/n_l)/(‖x‖²/n_0) by Hanin & Rolnick's product, for positively homogeneous
    activations without bias (NaN otherwise).

    Raises InitvizError when the theory does not apply (see :func:`mean_field_applies`).
    """
    if not isinstance(net, Network):
        raise invalid("net", "be an initviz Network (see Network.mlp)", type(net).__name__)
    reason = mean_field_applies(net)
    if reason is not None:
        raise invalid("net", "have random zero-mean weights for the mean-field theory", reason)
    input_var = check_float("input_var", input_var, 0.0)
    input_mean = check_float("input_mean", input_mean)
    input_corr = check_float("input_corr", input_corr, -1.0, 1.0)
    batch = check_int("batch", batch, 1, MAX_BATCH)
    depth = net.depth
    out = {name: np.full(depth, np.nan) for name in PREDICTION_COLUMNS}
    m2_in = input_var + input_mean ** 2
    pair_in = input_corr * input_var + input_mean ** 2
    with np.errstate(all="ignore"):  # an overflowing q ends the table (checked below), not a warning
        _forward(net, out, m2_in, pair_in)
    _backward(net, out, m2_in, batch)
    out["msq_ratio_relvar"] = _hanin_rolnick(net)
    return Prediction(net, input_var, input_mean, input_corr, batch, **out)


def _forward(net: Network, out: dict, m2_in: float, pair_in: float) -> None:
    """Fill the forward columns layer by layer; a layer whose input and constants equal the
    previous layer's (a stationary point reached) reuses its row."""
    m2_prev, pair_prev, key_prev, row_prev = m2_in, pair_in, None, None
    for layer in range(1, net.depth + 1):
        i = layer - 1
        act = net.activation(layer)
        w2, b2, mu = _layer_constants(net, layer)
        key = (act, w2, b2, mu)
        if key == key_prev and _close(m2_prev, row_prev[0]) and _close(pair_prev, row_prev[1]):
            row = row_prev[2]  # stationary: the same layer on the same input gives the same output
        else:
            q = w2 * m2_prev + b2
            if not math.isfinite(q):
                break
            kappa = w2 * pair_prev + b2
            rho = kappa / q if q > 0 else 1.0
            mean_a, m2_a, prime2 = moments(act, mu, q)
            pair = pair_moment(act, mu, q, rho)
            corr = (kappa + mu * mu) / (q + mu * mu) if q + mu * mu > 0 else 1.0
            row = (mu, q, q + mu * mu, mean_a, m2_a, prime2, pair, corr)
            if not all(math.isfinite(v) for v in row):
                break  # beyond float64: this layer and the next have no prediction
        key_prev, row_prev = key, (m2_prev, pair_prev, row)
        mu, q, m2_pre, mean_a, m2_a, prime2, pair, corr = row
        out["preact_mean"][i], out["preact_var"][i], out["preact_m2"][i] = mu, q, m2_pre
        out["act_mean"][i], out["act_m2"][i], out["act_var"][i] = mean_a, m2_a, max(m2_a - mean_a ** 2, 0.0)
        out["forward_mult"][i] = m2_a / m2_prev if m2_prev > 0 else np.nan
        out["corr"][i] = corr
        out["backward_mult"][i] = prime2  # times n_{l+1}s²_{l+1} below
        out["layer_ratio"][i] = math.sqrt(w2 * net.widths[i] / net.dims[i])
        out["msq_ratio"][i] = m2_a / m2_in if m2_in > 0 else np.nan
        out["norm_ratio"][i] = math.sqrt(net.widths[i] * m2_a / (net.input_dim * m2_in)) if m2_in > 0 else np.nan
        m2_prev, pair_prev = m2_a, pair


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= STATIONARY_TOL * max(abs(a), abs(b))


def _backward(net, out: dict, m2_in: float, batch: int) -> None:
    """Fill the gradient columns from the forward ones (gradient independence). A variance beyond
    float64 is the prediction ∞ (a result, drawn as such), not a warning."""
    with np.errstate(over="ignore"):
        _backward_layers(net, out, m2_in, batch)


def _backward_layers(net, out: dict, m2_in: float, batch: int) -> None:
    grad_a = 1.0  # E[(∂L/∂a^L)²] for the probe g ~ N(0, 1)
    for i in range(net.depth - 1, -1, -1):
        prime2 = out["backward_mult"][i]
        out["grad_act_var"][i] = grad_a
        out["grad_var"][i] = grad_a * prime2
        m2_prev = m2_in if i == 0 else out["act_m2"][i - 1]
        out["grad_w_var"][i] = batch * out["grad_var"][i] * m2_prev
        out_fan = net.widths[i] * net.weight_law(i + 1).var  # n_l s_l²
        grad_a = out_fan * out["grad_var"][i]
        if i < net.depth - 1:
            out["backward_mult"][i] = net.widths[i + 1] * net.weight_law(i + 2).var * prime2
    # NaN forward values propagate: a layer past an overflow has no prediction


def _hanin_rolnick(net) -> np.ndarray:
    """∏(1 + K_k/n_k) − 1 per layer when every activation is positively homogeneous and there is
    no bias; NaN otherwise."""
    constants = [relative_spread_constant(net.activation(l)) for l in range(1, net.depth + 1)]
    if any(math.isnan(k) for k in constants) or any(net.bias_law(l) is not None for l in range(1, net.depth + 1)):
        return np.full(net.depth, np.nan)
    return np.expm1(np.cumsum(np.log1p(np.array(constants) / np.array(net.widths, dtype=float))))


__all__ = ["moments", "pair_moment", "kink_term", "erf_moments",
           "piecewise_rule", "qmap", "chi1", "correlation_map", "fixed_point",
           "relative_spread_constant", "hanin_rolnick_spread", "predict", "Prediction", "mean_field_applies",
           "PREDICTION_COLUMNS"]
