"""The order-to-chaos phase diagram of deep random networks, for any activation.

**Model** (Poole et al. 2016, "Exponential expressivity in deep neural networks through transient
chaos"; Schoenholz et al. 2017, "Deep Information Propagation"). Weights N(0, σ_w²/n), biases
N(0, σ_b²), pre-activations h^l = W^l φ(h^{l−1}) + b^l of a wide network; z ~ N(0, 1).

* **Variance map** q ↦ M(q) = σ_w² E[φ(√q z)²] + σ_b². q* is the fixed point the iteration
  q^{l+1} = M(q^l) reaches from q⁰ = ``q0``. M is increasing, so the iterates move monotonically
  towards the nearest fixed point in the direction of M(q⁰) − q⁰; q* = ∞ ("unbounded") when
  they grow without limit — every activation that grows linearly (ReLU and its kin, ELU, SELU,
  GELU, SiLU, softplus) once σ_w²·(φ′(+∞)² + φ′(−∞)²)/2 > 1, e.g. ReLU for σ_w² > 2.
* **χ₁** = σ_w² E[φ′(√q* z)²]: the slope of the correlation map at c = 1 and the per-layer
  growth of squared gradients. Ordered χ₁ < 1, chaotic χ₁ > 1, critical χ₁ = 1 (within
  ``CRITICAL_BAND``).
* **Correlation map** of two inputs at the stationary variance q*:
  c ↦ f(c) = (σ_w² E[φ(u₁)φ(u₂)] + σ_b²)/q*, (u₁, u₂) Gaussian with variances q* and correlation
  c. Its Mehler expansion E[φ(u₁)φ(u₂)] = Σ_k a_k² c^k has non-negative coefficients, so f is
  increasing and convex on [0, 1] with f(1) = 1 and f′(1) = χ₁. Hence, from any c⁰ in [0, 1):
  c* = 1 when χ₁ ≤ 1, and c* is the unique fixed point in [0, 1) when χ₁ > 1.
* **Depth scales** (Schoenholz et al. 2017, §3): ξ = −1/ln χ for a linearisation slope χ < 1,
  ∞ at χ = 1 (within ``CRITICAL_BAND``):

  - χ_q = M′(q*). Gaussian integration by parts (E[z g(z)] = E[g′(z)]) gives
    d/dq E[φ(√q z)²] = E[φ′(√q z)² + φ(√q z)φ″(√q z)], so χ_q = χ₁ + σ_w² E[φ(u)φ″(u)],
    u = √q* z — the paper's ξ_q⁻¹ = −ln[χ₁ + σ_w² ∫Dz φ″(√q* z)φ(√q* z)] is this same slope.
    φ″ is defined almost everywhere: at a kink x_k, where φ′ jumps by Δ_k, the Dirac mass
    Δ_k·δ(u − x_k) adds φ(x_k)·Δ_k·p(x_k) (:func:`initviz.meanfield.kink_term`) — nothing for the
    kinks at 0 (φ(0) = 0), −p(1) − p(−1) for hardtanh, whose χ_q is otherwise all Dirac mass.
  - χ_c = f′(c*) = σ_w² E[φ′(u₁)φ′(u₂)] at variance q*, correlation c* (Price's theorem:
    ∂E[φ(u₁)φ(u₂)]/∂c = q·E[φ′(u₁)φ′(u₂)]). At c* = 1, χ_c = χ₁, so ξ_c diverges at
    criticality; signals and gradients survive ~6ξ_c layers.

**Special points, stated rather than computed into nonsense.**

* q* = ∞ ("unbounded"): no fixed point to linearise about — q*, c*, ξ_q, ξ_c are ∞/NaN, and χ₁
  is its limit q → ∞, σ_w²(φ′(+∞)² + φ′(−∞)²)/2 (σ_w²/2 for ReLU), the gradients' growth there.
* The leaky family (linear, ReLU, leaky ReLU) has M(q) = σ_w²(1 + a²)q/2 + σ_b² and χ₁ =
  σ_w²(1 + a²)/2 for every q: it is never chaotic with a finite q*; its one critical point is
  σ_w² = 2/(1 + a²), σ_b² = 0 (ReLU (2, 0)), where M is the identity and q* = q⁰. These points
  use :func:`initviz.meanfield.fixed_point` and :func:`~initviz.meanfield.chi1` (closed forms).
* q* = 0 (σ_b² = 0 and φ(0) = 0 — or σ_w² = 0 — with iterates that shrink to 0: tanh with
  σ_w² ≤ 1, GELU with σ_w² < 2, …): χ₁ and χ_q are their limits at q → 0⁺ (σ_w² times the mean of
  φ′(0±)², and of φ′(0±)² + φ(0)φ″(0±)). The stationary correlation map is then 0/0; it is taken
  as its σ_b² → 0⁺ limit f(c) = χ₁c + 1 − χ₁, so c* = 1 and χ_c = χ₁. (A network with exactly
  zero bias whose q → 0 becomes linear and, to leading order, keeps its input correlation.) q*
  below ``Q_ZERO``·max(1, q⁰) counts as 0: the tanh map at σ_w² = 1 creeps to 0 like 1/(2l).

**Numerics.** Everything is vectorised over the grid (numpy broadcasting, no loop over points).
Gaussian expectations use :func:`initviz.meanfield.piecewise_rule`: Gauss–Legendre pieces cut at
the kinks of φ (0; ±1 for hardtanh), at u = 0, ±2, ±8, ±32 (φ's unit-scale non-linearity and its
exponential approach to its asymptotes) and at ±4 standard deviations (erf's 1-D expectations are
closed forms, :func:`initviz.meanfield.erf_moments`). In 1-D, ``GRID_NODES`` per piece give the same
numbers as :func:`~initviz.meanfield.moments` to ~1e−13 (q up to ~1e4). In 2-D the conditional
form E[φ(u₁)·E[φ(u₂) | u₁]] with the fine rule of ``PAIR_RULES`` is within ~1e−10 of a reference
with twice the nodes and cuts (kinked φ get extra outer cuts around the kink at the conditional
spread, whose smoothed step would otherwise go unresolved; for tanh and sigmoid the symmetry
φ(−u) − φ(0) = −(φ(u) − φ(0)) halves the work). For hardtanh and erf the inner expectations
E[φ(u₂) | u₁] and E[φ′(u₂) | u₁] are closed forms (:data:`~initviz.meanfield.GAUSSIAN_MEAN_SLOPE`) and
their 1-D moments too: only the outer rule remains. q* is found by safeguarded Newton iterations on
M(q) − q (derivative χ_q − 1) in a bracket that keeps the fixed point the plain iteration would
reach; c* by safeguarded Newton on f(c) − c (derivative χ_c − 1) in [0, 1), started from a model
of f built from its first ``MEHLER_TERMS`` Mehler coefficients (1-D integrals) and run first with a
coarse then the fine 2-D rule. Accuracy: q* and χ₁ ~1e−13 relative (q* to Q_TOL/(1 − χ_q)); ξ_q
~1e−10; c* to ~1e−10/(1 − χ_c) — near the critical line c* → 1 and χ_c → 1, so c* and ξ_c
there carry the quadrature error magnified (ELU/SELU, whose c* approaches 1 like
1 − O((χ₁ − 1)²), to ~1 % in ξ_c within χ₁ − 1 ≲ 1e−4).
"""

from __future__ import annotations

import math

import numpy as np

from .activations import get_activation
from .errors import invalid
from .limits import MAX_DEPTH, MAX_SEEDS, check_float, check_int
from .meanfield import (_KINKED, GAUSSIAN_MEAN_SLOPE, chi1, erf_moments, fixed_point, hardtanh_moments, kink_term,
                        pair_moment, piecewise_rule, qmap)
from .rng import ROLE_BIASES, ROLE_INPUTS, ROLE_WEIGHTS, stream

PHASE_COLUMNS = ("sigma_w2", "sigma_b2", "q_star", "chi1", "c_star", "xi_q", "xi_c", "phase")
"""Columns of :func:`phase_diagram`'s frame."""

PHASES = ("ordered", "critical", "chaotic", "unbounded")
"""Values of the ``phase`` column."""

CRITICAL_BAND = 1e-9
"""|χ₁ − 1| ≤ this is "critical" (and a slope this close to 1 has depth scale ∞): far above the
~1e−12 error of χ₁, far below any grid spacing."""

MAX_GRID_POINTS = 201 * 201
"""Most (σ_w², σ_b²) points in one diagram (≲ 15 s on one core; the 41 × 41 default takes < 1 s)."""

GRID_NODES = 16
"""Gauss–Legendre nodes per piece for the 1-D expectations (q-map, χ₁, χ_q)."""

MEHLER_TERMS = 12
"""Hermite coefficients of the starting model of the correlation map (:func:`_c_guess`)."""

PAIR_RULES = ((6, 6), (12, 12))
"""Gauss–Legendre nodes per piece of the outer (u₁) and inner (u₂ | u₁) rule of the 2-D
expectations: a coarse rule (relative error ~1e−4) that Newton's method converges with first, then
the fine one (≲ 1e−10 relative against a 40-node reference with twice the cuts; ≲ 1e−12 for
tanh and sigmoid at c ≤ 0.9) that polishes in two or three steps."""

PAIR_INNER_Z_CUTS = (-4.0, 0.0, 4.0)
"""Inner cuts in standard units (a narrow conditional Gaussian otherwise falls in one long piece)."""

GRID_U_CUTS = (-32.0, -8.0, -2.0, 0.0, 2.0, 8.0, 32.0)
"""Cuts in u of the grid rules: the kink at 0 and φ's unit-scale non-linearity."""

GRID_Z_CUTS = (-4.0, 4.0)
"""Cuts in standard units: no piece spans more than 4 standard deviations."""

GRID_Z_MAX = 8.0
"""Expectations integrate ±8 standard deviations (the tails carry e^{−32} ≈ 1e−14)."""

KINK_CUTS = (2.0, 6.0)
"""Kinked φ: extra outer cuts at u₁ = (x_k ± k·s)/c for each kink x_k, where E[φ(u₂) | u₁] smooths
the kink over the conditional standard deviation s = √(q(1 − c²)) (and at x_k/c itself)."""

Q_TOL = 1e-14
"""The q Newton iteration stops at |M(q) − q| ≤ Q_TOL·M(q)."""

C_TOL = 1e-11
"""The fine c Newton iteration stops at a step ≤ C_TOL, or at |f(c) − c| ≤ G_NOISE."""

STAGE_STEPS = (1e-4, C_TOL)
"""Newton steps this small end a stage of :data:`PAIR_RULES`."""

G_NOISE = (1e-6, 1e-10)
"""|f(c) − c| this small is below the coarse / fine rule's error: the iteration stays where it is
(near the critical line, where f′(c*) → 1, c* is only determined to G_NOISE/(1 − χ_c))."""

Q_ZERO = 1e-12
"""A fixed point below Q_ZERO·max(1, q⁰) is reported as q* = 0."""

Q_UNBOUNDED = 1e12
"""Iterates that pass Q_UNBOUNDED·max(1, q⁰, σ_b²) with M(q) > q report q* = ∞: beyond it the
map's asymptotic slope decides (a fixed point further out needs σ_w²(φ′(+∞)² + φ′(−∞)²)/2 within
~1e−6 of 1)."""

LINE_SCAN_PER_DECADE = 10
"""Points per decade of the scan of q that brackets the roots of :func:`critical_line`."""

LINE_BISECTIONS = 60
"""Bisections of each bracket (a factor 10^0.1 shrinks to ~1e−19 relative)."""

LINE_TOL = 1e-9
"""A root of :func:`critical_line` counts when χ₁ at the solver's q* is within this of 1."""

MAX_ITER = 200
"""Most Newton/bisection steps per fixed point (a non-converged point reports NaN)."""

_PAIR_CHUNK = 150_000
"""Most 2-D quadrature nodes evaluated at once (a few MB: the arrays stay in cache)."""

_ODD = ("tanh", "sigmoid", "erf", "hardtanh")
"""Activations with φ − φ(0) odd (φ′ even): the 2-D expectations integrate u₁ > 0 only, doubled."""

_AT_ZERO = 1e-300
"""φ′(0±) are read at ±_AT_ZERO (the two sides of a kink)."""

_AT_INFINITY = 1e12
"""φ′(±∞) are read at ±_AT_INFINITY."""


# --- Gaussian expectations over a grid ------------------------------------------------------------
def _u_cuts(act) -> tuple[float, ...]:
    """``GRID_U_CUTS`` and the kinks of φ, sorted, without repeats."""
    return tuple(sorted(set(GRID_U_CUTS) | set(act.spec.kinks)))


def _moments(act, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(E[φ²], E[φ′²], E[φφ″]) at u = √q z for each q > 0 of a 1-D array (E[φφ″] with the Dirac
    masses of φ″ at the kinks). erf's are closed forms (:func:`~initviz.meanfield.erf_moments`): its
    φ′² = (4/π)e^{−2u²} is narrower than the grid's pieces resolve to 1e−12 at large q; so are
    hardtanh's (:func:`~initviz.meanfield.hardtanh_moments`)."""
    if act.name == "erf":
        return erf_moments(q)
    sd = np.sqrt(q)
    if act.name == "hardtanh":  # closed forms; φφ″ is all Dirac mass at the kinks
        _, square, slope = hardtanh_moments(0.0, q)
        return square, slope, kink_term(act, 0.0, sd)
    u, w = piecewise_rule(0.0, sd, GRID_NODES, _u_cuts(act), GRID_Z_CUTS, GRID_Z_MAX)
    f, fp, fpp = act(u), act.derivative(u), act.second_derivative(u)
    return (np.sum(w * f * f, axis=-1), np.sum(w * fp * fp, axis=-1),
            np.sum(w * f * fpp, axis=-1) + kink_term(act, 0.0, sd))


def _moments_at_zero(act) -> tuple[float, float, float]:
    """The q → 0⁺ limits of :func:`_moments`: the means over the two sides of 0."""
    x = np.array([-_AT_ZERO, _AT_ZERO])
    f, fp, fpp = act(x), act.derivative(x), act.second_derivative(x)
    return float(np.mean(f * f)), float(np.mean(fp * fp)), float(np.mean(f * fpp))


def _slope_at_infinity(act) -> float:
    """lim E[φ′(√q z)²] as q → ∞, (φ′(+∞)² + φ′(−∞)²)/2: the variance map's slope there, per σ_w²."""
    fp = act.derivative(np.array([-_AT_INFINITY, _AT_INFINITY]))
    return float(np.mean(fp * fp))


def _pair_moments(act, q: np.ndarray, c: np.ndarray, rule: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(E[φ(u₁)φ(u₂)], E[φ′(u₁)φ′(u₂)]) for (u₁, u₂) Gaussian with variances q > 0 and correlation
    0 ≤ c < 1, by the conditional form u₁ ~ N(0, q), u₂ | u₁ ~ N(c·u₁, q(1 − c²)) with ``rule``
    nodes per piece (outer, inner). Cuts of ``GRID_U_CUTS`` that no rule of the batch reaches are
    left out (they would only add pieces of zero length)."""
    sd, sd_cond = np.sqrt(q), np.sqrt(q * (1.0 - c * c))
    reach_outer, reach_inner = GRID_Z_MAX * sd.max(), GRID_Z_MAX * (c * sd + sd_cond).max()
    u_cuts = tuple(x for x in _u_cuts(act) if abs(x) < reach_outer)
    kinks = act.spec.kinks
    if kinks:  # resolve each kink x_k as smoothed by the inner expectation: around u₁ = x_k/c
        inv_c = 1.0 / np.maximum(c, 1e-300)
        spread = sd_cond * inv_c
        u_cuts += tuple(x * inv_c + s * k * spread for x in kinks for k in KINK_CUTS for s in (-1.0, 1.0))
        u_cuts += tuple(x * inv_c for x in kinks if x != 0.0)
    u, w1 = piecewise_rule(0.0, sd, rule[0], u_cuts, GRID_Z_CUTS, GRID_Z_MAX)
    shift = 0.0
    if act.name in _ODD:  # symmetric cuts: the second half of the nodes is u₁ > 0
        u, w1 = u[:, u.shape[1] // 2:], 2.0 * w1[:, u.shape[1] // 2:]
        shift = float(act(np.array(0.0)))
    closed = GAUSSIAN_MEAN_SLOPE.get(act.name)
    if closed is not None:  # E[φ(u₂) | u₁] and E[φ′(u₂) | u₁] in closed form: no inner rule
        inner, inner_prime = closed(c[:, None] * u, sd_cond[:, None])
        inner = inner - shift
    else:
        v_cuts = tuple(x for x in _u_cuts(act) if abs(x) < reach_inner)
        v, w2 = piecewise_rule(c[:, None] * u, sd_cond[:, None], rule[1], v_cuts, PAIR_INNER_Z_CUTS, GRID_Z_MAX)
        inner, inner_prime = np.sum(w2 * (act(v) - shift), axis=-1), np.sum(w2 * act.derivative(v), axis=-1)
    return (shift * shift + np.sum(w1 * (act(u) - shift) * inner, axis=-1),
            np.sum(w1 * act.derivative(u) * inner_prime, axis=-1))


def _pair_moments_chunked(act, q: np.ndarray, c: np.ndarray, rule: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_pair_moments` in chunks of points of similar q (so that far cuts drop out together),
    each small enough for the node arrays to stay within ``_PAIR_CHUNK``."""
    kinks = act.spec.kinks
    outer = (len(_u_cuts(act)) + len(GRID_Z_CUTS) + 1 + 2 * len(KINK_CUTS) * len(kinks)
             + sum(x != 0.0 for x in kinks))
    inner = 1 if act.name in GAUSSIAN_MEAN_SLOPE else (len(_u_cuts(act)) + len(PAIR_INNER_Z_CUTS) + 1) * rule[1]
    step = max(1, _PAIR_CHUNK // (outer * rule[0] * inner))
    order = np.argsort(q, kind="stable")
    pair, pair_prime = np.empty(len(q)), np.empty(len(q))
    for i in range(0, len(q), step):
        idx = order[i:i + step]
        pair[idx], pair_prime[idx] = _pair_moments(act, q[idx], c[idx], rule)
    return pair, pair_prime


# --- fixed points -----------------------------------------------------------------------------------
def _solve_q(act, w2: np.ndarray, b2: np.ndarray, q0: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """q* for each (σ_w², σ_b²): the fixed point of M(q) = σ_w² E[φ(√q z)²] + σ_b² that iterating
    M from q0 reaches (∞ if the iterates diverge, NaN if not found in ``MAX_ITER`` steps) — with
    E[φ′²] and E[φφ″] at the last iterate, within ``Q_TOL`` of q* (NaN where q* is 0 or ∞).

    Safeguarded Newton on F(q) = M(q) − q, F′ = χ_q(q) − 1, inside a bracket [lo, hi] that holds
    the target: the iterates of the increasing map M move from q0 towards it without passing it,
    so q0 starts the bracket on the side M(q0) − q0 points away from. Steps leaving the bracket
    are replaced by bisection, or by growing q to max(M(q), 4q, q²) while hi = ∞."""
    n = len(w2)
    q = np.full(n, float(q0))
    lo, hi = np.zeros(n), np.full(n, math.inf)
    out, prime2, curv = np.full(n, math.nan), np.full(n, math.nan), np.full(n, math.nan)
    active = np.arange(n)
    scale = max(1.0, q0)
    at_zero = b2 + w2 * float(act(np.array(0.0))) ** 2  # M(0): q = 0 is a fixed point where this is 0
    big = Q_UNBOUNDED * np.maximum(scale, b2)
    for _ in range(MAX_ITER):
        if active.size == 0:
            break
        qa, wa, ba = q[active], w2[active], b2[active]
        m2, p2, pp = _moments(act, qa)
        mapped = wa * m2 + ba
        f = mapped - qa
        df = wa * (p2 + pp) - 1.0
        done = np.abs(f) <= Q_TOL * mapped
        out[active[done]], prime2[active[done]], curv[active[done]] = mapped[done], p2[done], pp[done]
        lo_a = np.where(f > 0, np.maximum(lo[active], qa), lo[active])
        hi_a = np.where(f < 0, np.minimum(hi[active], qa), hi[active])
        unbounded = ~done & (lo_a > big[active])
        out[active[unbounded]] = math.inf
        zero = ~done & (hi_a < Q_ZERO * scale) & (at_zero[active] == 0.0)
        out[active[zero]] = 0.0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # hi = ∞ takes `grow`
            newton = qa - f / df
            bisect = np.where(lo_a > 0.1 * hi_a, 0.5 * (lo_a + hi_a),
                              np.where(lo_a > 0, np.sqrt(lo_a * hi_a), 0.25 * hi_a))
            grow = np.maximum(mapped, np.maximum(4.0 * qa, qa * qa))
        inside = np.isfinite(newton) & (newton > lo_a) & (newton < hi_a)
        step = np.where(inside, newton, np.where(np.isinf(hi_a), grow, bisect))
        lo[active], hi[active], q[active] = lo_a, hi_a, step
        active = active[~(done | unbounded | zero)]
    return out, prime2, curv


def _c_guess(act, q: np.ndarray, w2: np.ndarray, b2: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A starting point for :func:`_solve_c` from 1-D expectations only, with G(0) and G′(0).

    Mehler's expansion E[φ(u₁)φ(u₂)] = Σ_k a_k² c^k, a_k = E[φ(√q z) He_k(z)]/√k!, is kept to
    k ≤ ``MEHLER_TERMS`` and its tail is modelled as R·c^m, with R and m·R the tail's exact sums
    E[φ²] − Σ a_k² and q E[φ′²] − Σ k a_k² (so the model has f(1) = 1 and f′(1) = χ₁). The model is
    convex like f; Newton's method from c = 0 climbs monotonically to its root in [0, 1)."""
    sd = np.sqrt(q)
    u, w = piecewise_rule(0.0, sd, GRID_NODES, _u_cuts(act), GRID_Z_CUTS, GRID_Z_MAX)
    z, f, fp = u / sd[:, None], act(u), act.derivative(u)
    h_prev, h = np.ones_like(z), z
    coef = [np.sum(w * f, axis=-1), np.sum(w * f * z, axis=-1)]
    for k in range(1, MEHLER_TERMS):  # orthonormal Hermite polynomials He_k/√k!
        h_prev, h = h, (z * h - math.sqrt(k) * h_prev) / math.sqrt(k + 1)
        coef.append(np.sum(w * f * h, axis=-1))
    a2 = np.array(coef) ** 2
    k = np.arange(len(coef))[:, None]
    tail = np.maximum(np.sum(w * f * f, axis=-1) - a2.sum(axis=0), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        power = np.where(tail > 0, (q * np.sum(w * fp * fp, axis=-1) - np.sum(k * a2, axis=0)) / tail, 0.0)
    power = np.maximum(power, MEHLER_TERMS + 1.0)
    g0, dg0 = (w2 * a2[0] + b2) / q, w2 * a2[1] / q - 1.0
    c = np.zeros(len(q))
    for _ in range(MAX_ITER):
        cp = c[None, :] ** k
        kern = np.sum(a2 * cp, axis=0) + tail * c ** power
        slope = np.sum(k[1:] * a2[1:] * cp[:-1], axis=0) + power * tail * c ** (power - 1)
        step = ((w2 * kern + b2) / q - c) / (1.0 - w2 * slope / q)
        c = np.clip(c + np.where(np.isfinite(step), step, 0.0), 0.0, 1.0)
        if np.all(np.abs(step) <= 1e-12):
            break
    return c, g0, dg0


def _solve_c(act, q: np.ndarray, w2: np.ndarray, b2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(c*, χ_c) for chaotic points (0 < q* < ∞, χ₁ > 1): the unique root of G(c) = f(c) − c in
    [0, 1), on which G(0) = (σ_w² E[φ]² + σ_b²)/q* ≥ 0 and G < 0 between c* and 1 (f convex,
    f′(1) = χ₁ > 1). Safeguarded Newton (G′ = χ_c(c) − 1) from :func:`_c_guess`, first with the
    coarse rule of ``PAIR_RULES`` to a step of 1e−4, then with the fine one to a step of ``C_TOL``."""
    n = len(q)
    c, g0, dg0 = _c_guess(act, q, w2, b2)
    c_star, chi_c = np.full(n, math.nan), np.full(n, math.nan)
    # G(0) ≈ 0 (odd φ without bias: f(0) = 0): c* = 0 up to one Newton step from 0, χ_c = σ_w² E[φ′]²
    at_zero = (g0 <= C_TOL) & (dg0 < 0)
    c_star[at_zero], chi_c[at_zero] = g0[at_zero] / -dg0[at_zero], dg0[at_zero] + 1.0
    start = np.flatnonzero(~at_zero)
    for rule, tol, noise in zip(PAIR_RULES, STAGE_STEPS, G_NOISE):
        lo, hi = np.zeros(n), np.ones(n)
        active = start
        for _ in range(MAX_ITER):
            if active.size == 0:
                break
            ca, qa, wa = c[active], q[active], w2[active]
            pair, pair_prime = _pair_moments_chunked(act, qa, ca, rule)
            g = (wa * pair + b2[active]) / qa - ca
            slope = wa * pair_prime
            with np.errstate(divide="ignore", invalid="ignore"):
                newton = ca - g / (slope - 1.0)
            lo_a = np.where(g >= 0, np.maximum(lo[active], ca), lo[active])
            hi_a = np.where(g < 0, np.minimum(hi[active], ca), hi[active])
            inside = np.isfinite(newton) & (newton > lo_a) & (newton < hi_a)
            step = np.where(inside, newton, 0.5 * (lo_a + hi_a))
            quiet = np.abs(g) <= noise
            step = np.where(quiet, ca, step)
            done = quiet | (np.abs(step - ca) <= tol) | (hi_a - lo_a <= tol)
            c_star[active[done]], chi_c[active[done]] = step[done], slope[done]
            c[active], lo[active], hi[active] = step, lo_a, hi_a
            active = active[~done]
    return c_star, chi_c


def _depth_scale(chi: np.ndarray) -> np.ndarray:
    """ξ = −1/ln χ for 0 ≤ χ < 1, ∞ for |χ − 1| ≤ ``CRITICAL_BAND``, NaN otherwise (no stable
    fixed point to decay to)."""
    chi = np.asarray(chi, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = np.where((chi >= 0) & (chi < 1), -1.0 / np.log(chi), math.nan)
    return np.where(np.abs(chi - 1.0) <= CRITICAL_BAND, math.inf, xi)


# --- the columns ----------------------------------------------------------------------------------
def _leaky_columns(act, w2, b2, q0):
    """q*, χ₁, χ_q for the leaky family by meanfield's closed forms (one cheap call per point)."""
    q_star = np.array([fixed_point(act, math.sqrt(w), math.sqrt(b), q0=q0) for w, b in zip(w2, b2)])
    chi_1 = np.array([chi1(act, math.sqrt(w), 1.0) for w in w2])  # E[φ′²] = (1 + a²)/2 at any q > 0
    return q_star, chi_1, chi_1.copy()  # M(q) = χ₁·q + σ_b²: slope χ₁


def _smooth_columns(act, w2, b2, q0):
    """q*, χ₁, χ_q for the other activations by the vectorised solver (module docstring)."""
    q_star, p2, pp = _solve_q(act, w2, b2, q0)
    chi_1, chi_q = w2 * p2, w2 * (p2 + pp)
    zero = q_star == 0
    _, p2_0, pp_0 = _moments_at_zero(act)
    chi_1[zero], chi_q[zero] = w2[zero] * p2_0, w2[zero] * (p2_0 + pp_0)
    inf = np.isinf(q_star)
    chi_1[inf] = w2[inf] * _slope_at_infinity(act)
    return q_star, chi_1, chi_q


def _grid(name: str, values) -> np.ndarray:
    """A 1-D grid of variances: finite numbers ≥ 0 (a number is a grid of one)."""
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=float))
    except (TypeError, ValueError):
        arr = np.array([math.nan])
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise invalid(name, "be a non-empty 1-D array of finite numbers >= 0", values)
    return arr


def _start(q0) -> float:
    """The variance q⁰ the variance map is iterated from: a finite number > 0."""
    q0 = check_float("q0", q0, 0.0)
    if q0 == 0.0:
        raise invalid("q0", "be a finite number > 0", q0)
    return q0


def phase_diagram(activation, sigma_w2, sigma_b2, activation_param=None, c0: float = 0.0, q0: float = 1.0):
    """The mean-field phase diagram over a grid of (σ_w², σ_b²): a tidy pandas DataFrame.

    One row per pair of the 1-D grids ``sigma_w2`` × ``sigma_b2`` (σ_w² varying slowest), with
    the columns :data:`PHASE_COLUMNS`: ``q_star`` (the fixed point of the variance map reached
    from ``q0``; ∞ where it diverges), ``chi1`` (σ_w² E[φ′(√q* z)²]), ``c_star`` (the stable
    fixed point of the correlation map), ``xi_q`` = −1/ln χ_q with χ_q = χ₁ + σ_w² E[φ(u)φ″(u)]
    (the slope of the variance map at q*), ``xi_c`` = −1/ln χ_c with χ_c = σ_w² E[φ′(u₁)φ′(u₂)]
    at (q*, c*) (∞ at criticality) and ``phase``, one of :data:`PHASES` — "critical" when
    |χ₁ − 1| ≤ ``CRITICAL_BAND``, "unbounded" where q* = ∞. Weights are N(0, σ_w²/n), biases
    N(0, σ_b²) (Poole et al. 2016; Schoenholz et al. 2017); the module docstring states the
    mathematics, the special points and the accuracy.

    ``c0`` in [0, 1] is the correlation the map is iterated from. By convexity every c0 < 1 reaches
    the same c*, so the solver need not start there (it starts from a model of the map); c0 = 1 —
    identical inputs — stays at c* = 1, the unstable fixed point of the chaotic phase.
    ``activation`` is a name of :data:`~initviz.activations.ACTIVATIONS` (``activation_param`` its
    parameter) or an :class:`~initviz.activations.Activation`.

    The deepchaos grid (σ_w from 1 to 5, σ_b from 0 to 4, steps of 0.1)::

        phase_diagram("tanh", np.linspace(1, 5, 41) ** 2, np.linspace(0, 4, 41) ** 2)
    """
    import pandas as pd

    act = get_activation(activation, activation_param)
    w_grid, b_grid = _grid("sigma_w2", sigma_w2), _grid("sigma_b2", sigma_b2)
    if w_grid.size * b_grid.size > MAX_GRID_POINTS:
        raise invalid("sigma_w2", f"and sigma_b2 span at most {MAX_GRID_POINTS} points",
                      f"{w_grid.size} × {b_grid.size}")
    c0, q0 = check_float("c0", c0, 0.0, 1.0), _start(q0)
    w2, b2 = (a.ravel() for a in np.meshgrid(w_grid, b_grid, indexing="ij"))
    columns = _leaky_columns if act.leaky_slope is not None else _smooth_columns
    q_star, chi_1, chi_q = columns(act, w2, b2, q0)
    bounded = np.isfinite(q_star)
    critical = bounded & (np.abs(chi_1 - 1.0) <= CRITICAL_BAND)
    chaotic = bounded & ~critical & (chi_1 > 1.0)
    # c* = 1 and χ_c = χ₁ wherever χ₁ ≤ 1 (module docstring), and from c0 = 1 anywhere
    c_star = np.where(bounded, 1.0, math.nan)
    chi_c = np.where(bounded, chi_1, math.nan)
    solve = chaotic & (q_star > 0) & (c0 < 1.0)
    if solve.any():
        c_star[solve], chi_c[solve] = _solve_c(act, q_star[solve], w2[solve], b2[solve])
    phase = np.where(~bounded, "unbounded", np.where(critical, "critical", np.where(chaotic, "chaotic", "ordered")))
    phase = np.where(np.isnan(q_star), None, phase)
    return pd.DataFrame({"sigma_w2": w2, "sigma_b2": b2, "q_star": q_star, "chi1": chi_1, "c_star": c_star,
                         "xi_q": np.where(bounded, _depth_scale(chi_q), math.nan),
                         "xi_c": np.where(bounded, _depth_scale(chi_c), math.nan), "phase": phase})


def critical_line(activation, sigma_b2_grid, activation_param=None, q0: float = 1.0) -> np.ndarray:
    """σ_w² on the critical line χ₁ = 1 for each σ_b² of a 1-D grid (NaN where there is none).

    On the line, σ_w² = 1/E[φ′(√q z)²] and the fixed-point equation q = σ_w² E[φ(√q z)²] + σ_b²
    leave one equation in q alone, H(q) = E[φ²]/E[φ′²] − q + σ_b² = 0 (expectations at variance q):
    its roots are bracketed on a logarithmic scan of q (plus q = 0, a root when φ(0) = 0 and
    σ_b² = 0) and bisected. A root counts when the diagram's own solver, started from ``q0`` at
    that (σ_w², σ_b²), reaches a q* with |χ₁ − 1| ≤ ``LINE_TOL``; the smallest such σ_w² is
    returned — where χ₁ first reaches 1 as σ_w² grows. Tanh at σ_b² = 0 gives 1 (q* = 0). The
    leaky family's only critical point is σ_w² = 2/(1 + a²) at σ_b² = 0 (ReLU: 2; linear: 1): for
    σ_b² > 0 its q* is infinite at that gain.
    """
    act = get_activation(activation, activation_param)
    b2 = _grid("sigma_b2_grid", sigma_b2_grid)
    q0 = _start(q0)
    slope = act.leaky_slope
    if slope is not None:
        return np.where(b2 == 0.0, 2.0 / (1.0 + slope * slope), math.nan)
    qs = np.logspace(-8.0, 8.0, 16 * LINE_SCAN_PER_DECADE + 1) * max(1.0, float(b2.max()))
    m2, p2, _ = _moments(act, qs)
    m2_0, p2_0, _ = _moments_at_zero(act)
    ratio = np.concatenate([[m2_0 / p2_0], m2 / p2 - qs])  # H(q) − σ_b², with q = 0 first
    grid_q = np.concatenate([[0.0], qs])
    h = ratio[None, :] + b2[:, None]
    row, col = np.nonzero((h[:, :-1] > 0) & (h[:, 1:] <= 0) | (h[:, :-1] < 0) & (h[:, 1:] >= 0))
    lo, hi, h_lo = grid_q[col], grid_q[col + 1], h[row, col]
    for _ in range(LINE_BISECTIONS):  # geometric bisection (arithmetic from q = 0)
        mid = np.where(lo > 0, np.sqrt(lo * hi), 0.5 * hi)
        m2_mid, p2_mid, _ = _moments(act, mid)
        h_mid = m2_mid / p2_mid - mid + b2[row]
        same = np.sign(h_mid) == np.sign(h_lo)
        lo, h_lo, hi = np.where(same, mid, lo), np.where(same, h_mid, h_lo), np.where(same, hi, mid)
    q_c = np.concatenate([np.where(ratio[0] + b2 == 0.0, 0.0, math.nan), np.where(lo > 0, np.sqrt(lo * hi), hi)])
    rows = np.concatenate([np.arange(len(b2)), row])
    keep = np.isfinite(q_c)
    q_c, rows = q_c[keep], rows[keep]
    w2 = np.where(q_c > 0, 1.0 / _moments(act, np.where(q_c > 0, q_c, 1.0))[1], 1.0 / p2_0)
    q_star, p2_star, _ = _solve_q(act, w2, b2[rows], q0)
    p2_star = np.where(q_star == 0, p2_0, p2_star)
    valid = np.isfinite(q_star) & (np.abs(w2 * p2_star - 1.0) <= LINE_TOL)
    out = np.full(len(b2), math.inf)
    np.minimum.at(out, rows[valid], w2[valid])
    return np.where(np.isinf(out), math.nan, out)


# --- the maps layer by layer: theory and a finite network --------------------------------------------
MAP_COLUMNS = ("pair", "layer", "q", "c")
"""Columns of :func:`map_iterates` (and, with ``seed``, of :func:`measure_maps`)."""

MEASURE_MAX_WIDTH = 1000
"""Widest network :func:`measure_maps` draws (deepchaos' Figure 1 width)."""

MEASURE_MAX_PAIRS = 64
"""Most input pairs (starting variances) of one measurement."""


def _starts(q0) -> np.ndarray:
    """Starting variances: one finite number > 0, or a 1-D array of at most ``MEASURE_MAX_PAIRS``."""
    try:
        arr = np.atleast_1d(np.asarray(q0, dtype=float))
    except (TypeError, ValueError):
        arr = np.array([math.nan])
    if arr.ndim != 1 or not 0 < arr.size <= MEASURE_MAX_PAIRS or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise invalid("q0", f"be a finite number > 0 or a 1-D array of 1 to {MEASURE_MAX_PAIRS} of them", q0)
    return arr


def map_iterates(activation, sigma_w2: float, sigma_b2: float, depth: int, q0=1.0, c0: float = 0.0,
                 activation_param=None):
    """The mean-field maps iterated layer by layer: a tidy frame with :data:`MAP_COLUMNS`, one row per
    starting variance (``pair``: its index in ``q0``) and layer 0…``depth``.

    Two inputs whose layer-0 pre-activations have variance q⁰ and correlation c⁰ give, layer after
    layer (Poole et al. 2016, eqs. 3 and 5; weights N(0, σ_w²/n), biases N(0, σ_b²)),

        q^l = σ_w² E[φ(√q^{l−1} z)²] + σ_b²,   c^l = (σ_w² E[φ(u₁)φ(u₂)] + σ_b²) / q^l,

    (u₁, u₂) Gaussian with variances q^{l−1} and correlation c^{l−1} — the transient, not only the
    fixed point. Where q^l reaches 0 (no bias, φ(0) = 0) c^l is undefined (NaN)."""
    act = get_activation(activation, activation_param)
    w2, b2 = check_float("sigma_w2", sigma_w2, 0.0), check_float("sigma_b2", sigma_b2, 0.0)
    depth, c0, starts = check_int("depth", depth, 0, MAX_DEPTH), check_float("c0", c0, -1.0, 1.0), _starts(q0)
    sw, sb = math.sqrt(w2), math.sqrt(b2)
    rows = []
    with np.errstate(all="ignore"):
        for pair, q_start in enumerate(starts):
            q, c = float(q_start), c0
            rows.append((pair, 0, q, c))
            for layer in range(1, depth + 1):
                if not (math.isfinite(q) and math.isfinite(c)):
                    q, c = math.nan, math.nan
                else:
                    kappa = w2 * pair_moment(act, 0.0, q, c) + b2
                    q = qmap(q, act, sw, sb)
                    c = kappa / q if q > 0 else math.nan
                rows.append((pair, layer, q, c))
    import pandas as pd

    return pd.DataFrame(rows, columns=list(MAP_COLUMNS))


def measure_maps(activation, sigma_w2: float, sigma_b2: float, depth: int, width: int, q0=1.0, c0: float = 0.0,
                 n_seeds: int = 4, seed: int = 0, activation_param=None):
    """q^l and c^l measured on finite networks: a tidy frame with ``seed`` and :data:`MAP_COLUMNS`,
    one row per repeat, starting variance (``pair``) and layer 0…``depth``.

    Repeat r is one network of ``depth`` layers of ``width`` units, h^l = W^l φ(h^{l−1}) + b^l with
    W^l_ij ~ N(0, σ_w²/width) and b^l_i ~ N(0, σ_b²) fresh at every layer, fed for each q⁰ of ``q0``
    one pair of layer-0 pre-activations h⁰₁ = √q⁰ z₁, h⁰₂ = √q⁰ (c⁰ z₁ + √(1 − c⁰²) z₂), z₁, z₂ ~ N(0, I)
    (every pair goes through the same network). Per layer,
    q^l = (‖h^l₁‖² + ‖h^l₂‖²)/(2·width) and c^l = ⟨h^l₁, h^l₂⟩/(‖h^l₁‖‖h^l₂‖) — the estimates of
    :func:`map_iterates`' q^l and c^l, to which they converge as width → ∞.

    **Exact sampling in width·k normals per layer instead of width².** Only the k = 2·len(q0) vectors
    A = [φ(h^{l−1}_1), …] (width × k) pass through W^l, and W^l A has independent rows (one per unit),
    each N(0, (σ_w²/width)·AᵀA) given A. Drawing those rows — R z_i with R Rᵀ = (σ_w²/width)·AᵀA
    (R from the eigendecomposition, which allows a singular AᵀA: c⁰ = 1), z_i ~ N(0, I_k) — gives the
    pre-activations the same joint law over all layers as drawing W^l itself (W^l is independent of
    A): the measurement of a real finite network, at the cost of k² per unit.

    **Seeds.** The inputs, the z_i and the biases of layer l come from ``stream(seed, 0, role, l)``
    (roles ROLE_INPUTS, ROLE_WEIGHTS, ROLE_BIASES), drawn for every repeat at once: repeat r is the
    r-th block of each stream, so fewer repeats or layers keep the same first networks."""
    act = get_activation(activation, activation_param)
    w2, b2 = check_float("sigma_w2", sigma_w2, 0.0), check_float("sigma_b2", sigma_b2, 0.0)
    depth, width = check_int("depth", depth, 1, MAX_DEPTH), check_int("width", width, 1, MEASURE_MAX_WIDTH)
    n_seeds, c0, starts = check_int("n_seeds", n_seeds, 1, MAX_SEEDS), check_float("c0", c0, -1.0, 1.0), _starts(q0)
    seed = check_int("seed", seed, 0, 2 ** 63 - 1)
    pairs, k = len(starts), 2 * len(starts)
    q = np.empty((n_seeds, depth + 1, pairs))
    c = np.empty((n_seeds, depth + 1, pairs))
    with np.errstate(all="ignore"):  # an overflowing network is a result (inf/NaN rows), not a warning
        # one stream per (role, layer), all repeats at once: repeat r's draws are the r-th block of
        # the stream, the same whatever n_seeds is
        z = stream(seed, 0, ROLE_INPUTS, 0).standard_normal((n_seeds, 2, pairs, width))
        root_q = np.sqrt(starts)[None, :, None]
        h = np.concatenate([root_q * z[:, 0], root_q * (c0 * z[:, 0] + math.sqrt(1.0 - c0 * c0) * z[:, 1])], axis=1)
        for layer in range(depth + 1):
            if layer:
                h = _next_layer(act(h), w2 / width, stream(seed, 0, ROLE_WEIGHTS, layer))
                if b2 > 0:
                    h += math.sqrt(b2) * stream(seed, 0, ROLE_BIASES, layer).standard_normal((n_seeds, 1, width))
            sq = np.einsum("ski,ski->sk", h, h)
            q[:, layer] = (sq[:, :pairs] + sq[:, pairs:]) / (2 * width)
            c[:, layer] = np.einsum("spi,spi->sp", h[:, :pairs], h[:, pairs:]) / np.sqrt(sq[:, :pairs] * sq[:, pairs:])
    import pandas as pd

    rep, layer, pair = np.meshgrid(np.arange(n_seeds), np.arange(depth + 1), np.arange(pairs), indexing="ij")
    return pd.DataFrame({"seed": rep.ravel(), "pair": pair.ravel(), "layer": layer.ravel(), "q": q.ravel(),
                         "c": c.ravel()})


def _next_layer(a: np.ndarray, scale: float, gen: np.random.Generator) -> np.ndarray:
    """W a for each repeat's k vectors ``a`` (repeats × k × n) and W with i.i.d. N(0, ``scale``)
    entries, drawn by its law (:func:`measure_maps`): unit i is R z_i, R Rᵀ = scale·a aᵀ, z_i ~ N(0, I_k).
    A repeat whose vectors overflowed stays NaN."""
    gram = scale * (a @ a.transpose(0, 2, 1))
    finite = np.all(np.isfinite(gram), axis=(1, 2))
    values, vectors = np.linalg.eigh(np.where(finite[:, None, None], gram, 0.0))
    root = vectors * np.sqrt(np.clip(values, 0.0, None))[:, None, :]
    out = root @ gen.standard_normal(a.shape)
    out[~finite] = math.nan
    return out


__all__ = ["phase_diagram", "critical_line", "map_iterates", "measure_maps", "PHASE_COLUMNS", "PHASES",
           "CRITICAL_BAND", "MAP_COLUMNS"]
