"""Singular values of the input–output Jacobian of a deep network, in the log domain.

A network of constant width n computes h^l = W_l φ(h^{l−1}) + b_l (torch layout, n×n layers,
h⁰ ↦ x), and its input–output Jacobian is J = D_L W_L ⋯ D_1 W_1 with D_l = diag φ′_l(h^l) — the
Jacobian of a^L = φ_L(h^L) with respect to x, evaluated at one input x. For a linear network D_l = I
and J = W_L⋯W_1 does not depend on x (biases never enter J). Saxe et al. (2013) and Pennington,
Schoenholz & Ganguli (2017, "Resurrecting the sigmoid in deep learning through dynamical
isometry"): with Gaussian weights the squared singular values of J spread with depth, while
orthogonal weights keep a linear network's at exactly g^{2L} and bring sigmoidal networks close to
isometry as q* → 0 (ReLU cannot: half its D_l are zero). Theory beside the measurement:

* linear networks (:mod:`initviz.randmat`): E[mean σ²] = E tr(JᵀJ)/n = ∏ n s_l² for any zero-mean
  i.i.d. law; E[spectral variance of σ²] from the exact finite-n Wishart recursion of
  :func:`randmat.product_sv_moments` (Gaussian weights; → L as n → ∞); orthogonal weights: every
  σ = g^L;
* nonlinear networks at the fixed point q* (the input drawn so that every layer's pre-activations
  have variance q*; n → ∞, free probability — Pennington et al. 2017, 2018). The S-transform of a
  product of free matrices is the product of their S-transforms, and S(z) = m₁⁻¹(1 − (v/m₁²)z + …)
  for a law of mean m₁ and variance v; so JJᵀ, the free product of L copies of D² (moments
  μ_k = E[φ′(√q* z)^{2k}]) and of WWᵀ (mean σ_w², normalised variance s = 1 for i.i.d. weights —
  Marchenko–Pastur —, 0 for orthogonal ones), has
  m₁ = (σ_w² μ₁)^L and m₂ = m₁²·(1 + L(μ₂/μ₁² − 1 + s)). For hardtanh μ₁ = μ₂ = p(q*) =
  erf(1/√(2q*)): Gaussian m₂ = m₁²(L + p)/p — at criticality (σ_w² p = 1) the variance grows
  linearly in L —, orthogonal m₂ = m₁²(1 + L(1 − p)/p) → isometry as q* → 0. The full density of
  σ² has no closed form (it solves a polynomial equation of degree ~L); only these two moments are
  drawn, and their finite-width corrections are O(L/n).

**Numerics.** The smallest singular values of J fall below float64 resolution of the formed
product after a few layers (for n = 100, σ_min/σ_max ≈ 10^{−1.3 L}; at depth 40 an SVD of the
product misreads them by decades), and beyond ~300 layers they underflow. So J is never formed:

1. *Lyapunov QR* (Benettin et al. 1980), shown for a linear net (a nonlinear one pushes the factors
   D_l W_l the same way): W_l Q_{l−1} = Q_l R_l with diag R_l > 0, so
   J = Q_L T with T = R_L⋯R_1 upper triangular and σ(J) = σ(T). T is kept graded, T = D·U with
   D = diag(e^{ℓ_i}) held in logs and U unit upper triangular: R·D·U = D·(D⁻¹RD)·U, where
   (D⁻¹RD)_ij = R_ij e^{ℓ_j−ℓ_i} stays bounded because the ℓ_i come out (nearly) decreasing.
   U stays well conditioned (κ(U) ~ 10³–10⁵ measured up to depth 400).
2. *Jacobi SVD* of the column-scaled Tᵀ = Uᵀ·D: LAPACK ``dgejsv`` (Drmač & Veselić 2008,
   JOBA='E') computes every singular value of B·D to relative accuracy O(n ε κ) with κ the
   condition number of B with unit columns, whatever the range of D (Demmel & Veselić 1992). D is
   scaled to a window of :data:`JSV_WINDOW` decades at a time (columns far above are capped, far
   below dropped; either changes the kept values by less than 10⁻⁴⁰ relative), so any depth works.
   ``error_bound`` reports log10(1 + n ε κ̂) decades with LAPACK's estimate κ̂ (an estimate, not a
   certificate). Checked against 200-digit arithmetic (tests/fixtures): agreement ~1e−13 decades.

*Zeros of φ′* (ReLU's negative half, hardtanh beyond ±1) make D_l singular: with k_l active units
J = P_Lᵀ·(D̃_L W_L[act_L, act_{L−1}])⋯(D̃_1 W_1[act_1, :]), P_l the selection of layer l's active
units and D̃_l their non-zero derivatives. So each layer pushes only its k_l × k_{l−1} active block
into the factorisation, Q and R become rectangular when k_l is below the running rank r, and R·D·U
keeps its graded form with U r×n unit upper trapezoidal; J has r = min_l k_l (generically) non-zero
singular values and n − r exact zeros (log10 σ = −inf).

The mean and spectral variance of σ² are sums over the accurate singular values (log-sum-exp),
the exact zeros included.

**Randomness.** Weights and biases are drawn exactly as :mod:`initviz.propagation` draws them
(:func:`initviz.engine.run.draw_layer`: ``stream(seed, repeat, ROLE_WEIGHTS, l)`` and
``ROLE_BIASES``), so the Jacobian belongs to the very network a propagation with the same seed and
dtype runs; the forward pass that fixes D_l runs in float64. The input at the fixed point is
``stream(seed, repeat, ROLE_INPUTS, 0).standard_normal(n)`` times √E[φ(√q* z)²] — a layer's output
at the fixed point, so W_1 x + b_1 has variance q* like every later layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import randmat
from .errors import invalid
from .laws import as_dtype
from .limits import MAX_MACS, as_budget, check_int
from .rng import ROLE_INPUTS, ROLE_WEIGHTS, stream

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles of log10 σ reported per checkpoint (with the minimum and maximum)."""

MAX_JACOBIAN_WIDTH = 1024
"""Widest layer for a Jacobian spectrum (each layer costs a few n³ operations)."""

MAX_JACOBIAN_WORK = 2 ** 32
"""Most n³·(depth + checkpoints)·n_seeds under the hosted budget: ≈3 s on one core (measured 2.8 s
at n = 256, depth 100, 32 checkpoints, 2 seeds). A ``budget`` scales it by budget.macs/MAX_MACS, so
the local budget (the default) leaves only the structural limits: a notebook may ask for depth 300
at width 1024 and wait for it."""

MAX_SEEDS = 64
"""Most independent networks per spectrum."""

JSV_WINDOW = 160.0
"""Decades between the reference scales of successive ``dgejsv`` windows (one window when the
spectrum spans less than JSV_ACCEPT decades)."""

JSV_ACCEPT = 140.0
"""A window keeps the singular values within this many decades below its reference."""

JSV_CAP = 60.0
"""Columns more than this many decades above a window's reference are capped there."""

JSV_FLOOR = 180.0
"""Columns more than this many decades below a window's reference are dropped."""

_LN10 = math.log(10.0)


@dataclass(frozen=True)
class ProductSpectrum:
    """log10 of all n singular values of one product at one depth (descending), the estimated error
    in decades, and log10 of the mean and of the spectral variance of σ²."""

    depth: int
    log10_sigma: np.ndarray
    error_bound: float
    log10_mean_sq: float
    log10_var_sq: float


def _jacobi_log10_sigma(logd: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, float]:
    """log10 σ (descending) of D·U, D = diag(e^logd) (r×r), U r×m (r ≤ m), by windowed ``dgejsv``
    on Uᵀ·D (step 2 of the module docstring), and the estimated error in decades."""
    from scipy.linalg import lapack
    n = logd.size
    if n == 0:
        return np.empty(0), 0.0
    l10 = logd / _LN10
    top = float(l10.max())
    windows = 1 + max(0, math.ceil((top - float(l10.min()) - JSV_ACCEPT) / JSV_WINDOW))
    kept: list[float] = []
    kappa = 1.0
    for w in range(windows):
        ref = top - JSV_WINDOW * w
        shift = l10 - ref
        scale = np.where(shift < -JSV_FLOOR, 0.0, 10.0 ** np.minimum(shift, JSV_CAP))
        # joba=1 ('E'): column-scaled accuracy plus a condition estimate; no vectors; no range restriction
        sva, _, _, work, _, info = lapack.dgejsv(np.asfortranarray(upper.T * scale[None, :]),
                                                  joba=1, jobu=3, jobv=3, jobr=0, jobt=0, jobp=1)
        if info != 0:
            raise invalid("weights", "give a Jacobian whose Jacobi SVD converges", f"dgejsv info={info}")
        with np.errstate(divide="ignore"):
            values = np.sort(np.log10(sva * (work[0] / work[1])))[::-1] + ref
        stop = n if w == windows - 1 else int(np.sum(values >= ref - JSV_ACCEPT))
        kept.extend(values[len(kept):stop])
        kappa = max(kappa, float(work[2]))
    return np.array(kept), math.log10(1.0 + n * np.finfo(float).eps * kappa)


class _ProductTracker:
    """Accumulates the graded Lyapunov factorisation J = Q·D·U of A_l⋯A_1 (module docstring): Q has
    orthonormal columns (k_l × r), D = diag(e^logd) (r × r), U unit upper trapezoidal (r × n)."""

    def __init__(self, n: int):
        self.n = n
        self.depth = 0
        self.basis = np.eye(n)
        self.logd = np.zeros(n)
        self.upper = np.eye(n)

    def push(self, a: np.ndarray) -> None:
        """Multiply by the next factor ``a`` (k × the previous factor's row count)."""
        self.depth += 1
        q, r = np.linalg.qr(np.asarray(a, dtype=np.float64) @ self.basis)  # r: min(k, rank) × rank
        rows = r.shape[0]
        signs = np.where(np.diagonal(r) < 0, -1.0, 1.0)
        self.basis = q * signs
        r *= signs[:, None]
        mask = np.triu(np.ones(r.shape, dtype=bool))
        ratio = np.exp(np.where(mask, self.logd[None, :] - self.logd[:rows, None], 0.0))
        m = np.where(mask, r * ratio, 0.0) @ self.upper
        diag = np.diagonal(m).copy()
        if not np.all(np.isfinite(m)) or np.any(diag <= 0):
            raise invalid("weights", "be finite and of full rank on the active units", f"layer {self.depth}")
        self.logd = self.logd[:rows] + np.log(diag)
        self.upper = m / diag[:, None]

    def spectrum(self, count: int | None = None) -> ProductSpectrum:
        """The ``count`` (default n) largest singular values: the rank's accurate ones, then exact zeros."""
        count = self.n if count is None else count
        found, bound = _jacobi_log10_sigma(self.logd, self.upper)
        log10_sigma = np.concatenate([found, np.full(max(count - found.size, 0), -math.inf)])[:count]
        if found.size == 0:
            return ProductSpectrum(depth=self.depth, log10_sigma=log10_sigma, error_bound=bound,
                                   log10_mean_sq=-math.inf, log10_var_sq=-math.inf)
        top = log10_sigma[0]
        rel = 10.0 ** (2.0 * (log10_sigma - top))  # σ²/σ_max², no overflow (zeros give 0)
        mean_sq = float(np.mean(rel))
        var_sq = max(float(np.mean(np.square(rel))) - mean_sq ** 2, 0.0)
        return ProductSpectrum(depth=self.depth, log10_sigma=log10_sigma, error_bound=bound,
                               log10_mean_sq=math.log10(mean_sq) + 2.0 * top,
                               log10_var_sq=math.log10(var_sq) + 4.0 * top if var_sq > 0 else -math.inf)


def product_spectra(matrices, checkpoints=None) -> list[ProductSpectrum]:
    """The spectrum of W_l⋯W_1 after each depth l in ``checkpoints`` (default: every layer) for
    square n×n ``matrices`` (an iterable, consumed one at a time) — see the module docstring."""
    tracker, out = None, []
    wanted = None if checkpoints is None else set(int(c) for c in checkpoints)
    for w in matrices:
        w = np.asarray(w)
        if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] < 1:
            raise invalid("matrices", "be square n×n arrays", getattr(w, "shape", w))
        if tracker is None:
            tracker = _ProductTracker(w.shape[0])
        elif w.shape[0] != tracker.n:
            raise invalid("matrices", f"all be {tracker.n}×{tracker.n}", w.shape)
        tracker.push(w)
        if wanted is None or tracker.depth in wanted:
            out.append(tracker.spectrum())
    return out


@dataclass(frozen=True)
class JacobianSpectrum:
    """Singular values of J_l = D_l W_l⋯D_1 W_1 at the ``depths`` checkpoints for ``n_seeds`` networks.

    Arrays have shape (n_seeds, n_depths): ``quantiles`` (…, len(QUANTILES)) of log10 σ, ``log10_min``
    and ``log10_max``, ``log10_mean_sq`` and ``log10_var_sq`` (mean and spectral variance of σ²),
    ``zero_fraction`` (the share of exact zeros, from zeros of φ′), and ``error_bound`` (estimated
    error of every non-zero log10 σ, decades); ``log10_sigma`` (n_seeds, n_depths, n) holds every
    singular value (descending; −inf for the zeros). Theory per depth: ``theory_mean_sq`` and
    ``theory_var_sq`` (linear nets: exact at finite n, the variance for Gaussian laws; nonlinear
    nets at the fixed point: the free-probability moments of the module docstring), and
    ``theory_log10_sigma`` (linear orthogonal: every σ = |g|^l); NaN where no theory applies.
    ``q_star`` is the fixed point the input was drawn at (NaN for a linear net or a given input).
    """

    width: int
    init: str
    depths: np.ndarray
    quantiles: np.ndarray = field(repr=False)
    log10_min: np.ndarray = field(repr=False)
    log10_max: np.ndarray = field(repr=False)
    log10_mean_sq: np.ndarray = field(repr=False)
    log10_var_sq: np.ndarray = field(repr=False)
    error_bound: np.ndarray = field(repr=False)
    theory_mean_sq: np.ndarray = field(repr=False)
    theory_var_sq: np.ndarray = field(repr=False)
    theory_log10_sigma: np.ndarray = field(repr=False)
    log10_sigma: np.ndarray = field(default=None, repr=False)
    zero_fraction: np.ndarray = field(default=None, repr=False)
    q_star: float = math.nan

    def to_frame(self):
        """One row per (repeat, depth): the quantiles as q05 … q95, min/max, mean_sq, var_sq,
        zero_fraction, error_bound and the theory columns."""
        import pandas as pd
        seeds, depths = self.log10_min.shape
        frame = pd.DataFrame({"repeat": np.repeat(np.arange(seeds), depths), "depth": np.tile(self.depths, seeds)})
        for k, q in enumerate(QUANTILES):
            frame[f"q{round(100 * q):02d}"] = self.quantiles[:, :, k].ravel()
        with np.errstate(over="ignore"):
            frame = frame.assign(log10_min=self.log10_min.ravel(), log10_max=self.log10_max.ravel(),
                                 mean_sq=10.0 ** self.log10_mean_sq.ravel(), var_sq=10.0 ** self.log10_var_sq.ravel(),
                                 zero_fraction=self.zero_fraction.ravel(), error_bound=self.error_bound.ravel(),
                                 theory_mean_sq=np.tile(self.theory_mean_sq, seeds),
                                 theory_var_sq=np.tile(self.theory_var_sq, seeds),
                                 theory_log10_sigma=np.tile(self.theory_log10_sigma, seeds))
        return frame

    def values_frame(self):
        """Every singular value: one row per (repeat, depth, index) with ``log10_sigma`` (−inf for
        an exact zero) — the histogram of log σ."""
        import pandas as pd
        seeds, depths, n = self.log10_sigma.shape
        return pd.DataFrame({"repeat": np.repeat(np.arange(seeds), depths * n),
                             "depth": np.tile(np.repeat(self.depths, n), seeds),
                             "index": np.tile(np.arange(n), seeds * depths),
                             "log10_sigma": self.log10_sigma.ravel()})


DEFAULT_CHECKPOINTS = 32
"""Checkpoint depths of a spectrum by default (:func:`default_checkpoints`)."""


def default_checkpoints(depth: int, count: int = DEFAULT_CHECKPOINTS) -> tuple[int, ...]:
    """Every layer up to ``count``; beyond, ``count`` log-spaced depths from 1 to ``depth``
    (inclusive; rounding may merge a few)."""
    if depth <= count:
        return tuple(range(1, depth + 1))
    return tuple(sorted(set(np.unique(np.round(np.geomspace(1, depth, count)).astype(int)).tolist()) | {depth}))


def jacobian_work(width: int, depth: int, checkpoints: int, n_seeds: int) -> int:
    """The work :func:`jacobian_spectrum` is checked against: n³ per layer pushed and per checkpoint's
    SVD, for each network — n³·(depth + checkpoints)·n_seeds."""
    return width ** 3 * (depth + checkpoints) * n_seeds


def jacobian_work_limit(budget=None) -> int:
    """The most :func:`jacobian_work` a ``budget`` allows: :data:`MAX_JACOBIAN_WORK` scaled by
    budget.macs/MAX_MACS (the hosted budget's is MAX_JACOBIAN_WORK itself)."""
    return MAX_JACOBIAN_WORK * as_budget(budget).macs // MAX_MACS


def _quantiles(values: np.ndarray) -> np.ndarray:
    """:data:`QUANTILES` of log10 σ, linearly interpolated; −inf where a neighbour is an exact zero."""
    with np.errstate(invalid="ignore"):
        linear = np.quantile(values, QUANTILES)
    return np.where(np.isnan(linear), np.quantile(values, QUANTILES, method="lower"), linear)


def _is_linear(net) -> bool:
    return all(name == "linear" for name, _ in net.activations)


def fixed_point_input(net) -> tuple[float, float]:
    """(q*, E[φ(√q* z)²]) for a network whose layers all share φ, σ_w², and a zero-mean bias law of
    variance σ_b²: the stable fixed point of the variance map reached from q = 1
    (:func:`initviz.criticality.phase_diagram`, which also reports q* = 0 for maps that creep to 0)
    and the second moment of an input that puts layer 1 there. InitvizError otherwise (give an input)."""
    from .criticality import phase_diagram
    from .meanfield import _layer_constants, mean_field_applies, moments
    reason = mean_field_applies(net)
    constants = {(net.activations[l - 1], _layer_constants(net, l)) for l in range(1, net.depth + 1)}
    if reason is not None or len(constants) != 1:
        raise invalid("input", "be given: the network has no single fixed point (its layers differ, or its "
                      "weights are not random with mean 0)", reason or net.describe())
    ((name, param), (w2, b2, mu)), = constants
    if mu != 0.0:
        raise invalid("input", "be given: the fixed point needs zero-mean biases", f"bias mean {mu:g}")
    q_star = float(phase_diagram(name, [w2], [b2], activation_param=param).q_star.iloc[0])
    if not math.isfinite(q_star):
        raise invalid("input", "be given: the variance map has no finite fixed point here", f"q* = {q_star}")
    return q_star, (moments(net.activation(1), 0.0, q_star)[1] if q_star > 0 else 0.0)


def _input(net, input, seed: int, rep: int) -> np.ndarray:
    """The input of repeat ``rep``: ``input`` (a float array of n_0 finite values) or, when it is a
    float, standard normal coordinates of that variance from ``stream(seed, rep, ROLE_INPUTS, 0)``."""
    if isinstance(input, float):
        return stream(seed, rep, ROLE_INPUTS, 0).standard_normal(net.input_dim) * math.sqrt(input)
    return input


def _factors(net, x, seed: int, rep: int, stop: int, dt):
    """The active blocks D̃_l W_l[act_l, act_{l−1}] of layers 1..stop of repeat ``rep`` at input ``x``
    (module docstring); W_l and b_l drawn as propagation draws them, the forward pass in float64."""
    from .engine.run import draw_layer
    prev = np.arange(net.input_dim)
    for layer in range(1, stop + 1):
        if x is None:  # linear: J = W_L⋯W_1 at any input, the biases not drawn
            yield net.weight_law(layer).sample(net.shapes[layer - 1], stream(seed, rep, ROLE_WEIGHTS, layer), dt)
            continue
        W, b = draw_layer(net, seed, rep, layer, dt)
        W = np.asarray(W, dtype=np.float64)
        h = W @ x + (0.0 if b is None else np.asarray(b, dtype=np.float64))
        act = net.activation(layer)
        slope = act.derivative(h)
        active = np.flatnonzero(slope)
        yield slope[active, None] * W[np.ix_(active, prev)]
        x, prev = act(h), active


def jacobian_spectrum(net, seed: int = 0, n_seeds: int = 4, checkpoints=None, dtype="float64",
                      input=None, budget=None) -> JacobianSpectrum:
    """Singular values of the input–output Jacobian J = D_L W_L⋯D_1 W_1 of a constant-width
    :class:`initviz.network.Network` (module docstring), per seed and checkpoint depth.

    E.g. ``Network.mlp(input_dim=256, widths=[256] * 100, activation="hardtanh", init="orthogonal",
    init_params={"gain": g})`` or a linear network (J = W_L⋯W_1, no input needed). A nonlinear
    network's J depends on its input: by default (``input=None``) each repeat draws one at the
    fixed point q* of the variance map (:func:`fixed_point_input`; every layer must share φ, σ_w²
    and a zero-mean bias law); ``input`` may instead be an array of n_0 finite values used by every
    repeat. Weights are drawn as propagation draws them (module docstring) in ``dtype``, the
    product accumulated in float64 in the graded QR form (never formed, never overflowing: any
    depth works), its singular values by Jacobi SVD to relative accuracy (``error_bound``).

    ``seed`` is an int, as :func:`initviz.propagate`'s: network r = 0..n_seeds−1 draws W_l from its
    own keyed stream ``stream(seed, r, ROLE_WEIGHTS, l)`` (:mod:`initviz.rng`), which a Generator —
    one running state — cannot define. ``budget`` (:class:`initviz.limits.Budget`, default local)
    bounds the work n³·(depth + checkpoints)·n_seeds (:data:`MAX_JACOBIAN_WORK` when hosted).
    """
    if net.residual is not None or net.norm != "none":
        raise invalid("net", "be a plain MLP (residual blocks: initviz.block_jacobian; a norm makes the Jacobian "
                      "depend on the input in a way this product does not follow)", net.describe())
    n = net.input_dim
    if any(w != n for w in net.widths):
        raise invalid("net", f"have every width equal to input_dim={n}", net.widths)
    check_int("net.input_dim", n, 1, MAX_JACOBIAN_WIDTH)
    n_seeds = check_int("n_seeds", n_seeds, 1, MAX_SEEDS)
    depth = net.depth
    depths = default_checkpoints(depth) if checkpoints is None else \
        tuple(sorted({check_int("checkpoints", c, 1, depth) for c in checkpoints}))
    if not depths:
        raise invalid("checkpoints", "name at least one depth", checkpoints)
    work = jacobian_work(n, depth, len(depths), n_seeds)
    limit = jacobian_work_limit(budget)
    if work > limit:
        name = "MAX_JACOBIAN_WORK" if limit == MAX_JACOBIAN_WORK else "MAX_JACOBIAN_WORK·budget.macs/MAX_MACS"
        raise invalid("n_seeds", f"keep n³·(depth + checkpoints)·n_seeds = {work:,} within {name} = {limit:,}",
                      n_seeds)
    dt = as_dtype(dtype)
    q_star, x = math.nan, None
    if not _is_linear(net):
        if input is None:
            q_star, x = fixed_point_input(net)
        else:
            x = np.asarray(input, dtype=np.float64) if isinstance(input, (list, tuple, np.ndarray)) else None
            if x is None or x.shape != (n,) or not np.all(np.isfinite(x)):
                raise invalid("input", f"be an array of {n} finite numbers", getattr(input, "shape", input))
    spectra = []
    for rep in range(n_seeds):
        factors = _factors(net, None if x is None else _input(net, x, seed, rep), seed, rep, depths[-1], dt)
        tracker, row = _ProductTracker(n), []
        for a in factors:
            tracker.push(a)
            if tracker.depth in depths:
                row.append(tracker.spectrum())
        spectra.append(row)
    theory = _linear_theory(net, np.array(depths)) if _is_linear(net) else \
        _free_theory(net, np.array(depths), q_star)
    pick = lambda attr: np.array([[getattr(s, attr) for s in row] for row in spectra])  # noqa: E731
    logs = pick("log10_sigma")
    return JacobianSpectrum(
        width=n, init=net.init, depths=np.array(depths),
        quantiles=np.array([[_quantiles(v) for v in row] for row in logs]),
        log10_min=logs.min(axis=2), log10_max=logs.max(axis=2),
        log10_mean_sq=pick("log10_mean_sq"), log10_var_sq=pick("log10_var_sq"),
        error_bound=pick("error_bound"), log10_sigma=logs, zero_fraction=np.mean(np.isneginf(logs), axis=2),
        q_star=q_star, **theory)


def _linear_theory(net, depths: np.ndarray) -> dict:
    """Theory columns of a linear network per checkpoint depth (see :class:`JacobianSpectrum`)."""
    laws = [net.weight_law(l) for l in range(1, int(depths[-1]) + 1)]
    nan = np.full(depths.shape, math.nan)
    iid = all(law.kind in ("normal", "uniform", "rademacher", "trunc_normal") and law.mean == 0.0 for law in laws)
    if all(law.kind == "orthogonal" for law in laws):
        log_gain = np.cumsum([math.log10(abs(law.scale)) for law in laws])[depths - 1]
        return {"theory_mean_sq": 10.0 ** (2 * log_gain), "theory_var_sq": np.zeros(depths.shape),
                "theory_log10_sigma": log_gain}
    if not iid:
        return {"theory_mean_sq": nan, "theory_var_sq": nan, "theory_log10_sigma": nan}
    moments = randmat.product_sv_moments(net.dims[:int(depths[-1]) + 1], [law.var for law in laws])
    gaussian = all(law.kind == "normal" for law in laws)
    return {"theory_mean_sq": moments.mean_sq[depths], "theory_var_sq": moments.var_sq[depths] if gaussian else nan,
            "theory_log10_sigma": nan}


def derivative_moments(activation, q: float) -> tuple[float, float]:
    """(μ₁, μ₂) = (E[φ′(√q z)²], E[φ′(√q z)⁴]), z ~ N(0, 1): the first two moments of D² at
    variance q (at q = 0: φ′(0)² and φ′(0)⁴, the derivative the network takes at an exact 0).
    Closed forms for hardtanh (μ₁ = μ₂ = erf(1/√(2q))) and the leaky family ((1 + a^{2k})/2);
    otherwise :func:`initviz.meanfield.piecewise_rule` cut at φ's kinks."""
    from .activations import get_activation
    from .meanfield import SPLIT_POINTS, moments, piecewise_rule
    act = get_activation(activation)
    if q == 0.0:
        d = float(act.derivative(np.array(0.0)))
        return d ** 2, d ** 4
    if act.name == "hardtanh" or act.leaky_slope is not None:
        mu1 = moments(act, 0.0, q)[2]
        slope = act.leaky_slope
        return mu1, (mu1 if slope is None else (1 + slope ** 4) / 2)
    u, w = piecewise_rule(0.0, math.sqrt(q), u_cuts=SPLIT_POINTS + act.spec.kinks)
    d2 = act.derivative(u) ** 2
    return float(w @ d2), float(w @ (d2 * d2))


def _free_theory(net, depths: np.ndarray, q_star: float) -> dict:
    """Free-probability moments of σ² for a nonlinear network whose input sits at its fixed point
    (module docstring): i.i.d. weights (s = 1) or orthogonal ones (s = 0); NaN otherwise or for a
    given input."""
    nan = np.full(depths.shape, math.nan)
    law = net.weight_law(1)
    iid = law.kind in ("normal", "uniform", "rademacher", "trunc_normal") and law.mean == 0.0
    if math.isnan(q_star) or not (iid or law.kind == "orthogonal"):
        return {"theory_mean_sq": nan, "theory_var_sq": nan, "theory_log10_sigma": nan}
    mu1, mu2 = derivative_moments(net.activation(1), q_star)
    chi = net.input_dim * law.var * mu1
    mean_sq = chi ** depths.astype(float)
    spread = (mu2 / mu1 ** 2 - 1.0 + (1.0 if iid else 0.0)) if mu1 > 0 else math.nan
    return {"theory_mean_sq": mean_sq, "theory_var_sq": mean_sq ** 2 * depths * spread, "theory_log10_sigma": nan}


__all__ = ["QUANTILES", "ProductSpectrum", "product_spectra", "JacobianSpectrum", "jacobian_spectrum",
           "default_checkpoints", "jacobian_work", "jacobian_work_limit", "fixed_point_input", "derivative_moments"]
