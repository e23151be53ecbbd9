"""Singular values of the end-to-end Jacobian of a deep linear network, in the log domain.

A linear network of constant width n computes x ↦ J x with J = W_L⋯W_1 (torch layout, n×n
layers; biases do not enter J). Saxe et al. (2013) and Pennington et al. (2017): with Gaussian
weights of variance 1/n the squared singular values of J spread with depth — the mean of σ² stays
1 but its variance grows like L — while orthogonal weights keep every singular value at exactly 1
(gain g: g^L). Theory beside the measurement (:mod:`initviz.randmat`):

* E[mean σ²] = E tr(JᵀJ)/n = ∏ n s_l² for any zero-mean i.i.d. law (only second moments enter);
* E[spectral variance of σ²] from the exact Wishart recursion of :func:`randmat.product_sv_moments`
  (Gaussian weights; → L as n → ∞, the second Fuss–Catalan moment minus 1);
* orthogonal weights: σ = g^L for every singular value.

**Numerics.** The smallest singular values of J fall below float64 resolution of the formed
product after a few layers (for n = 100, σ_min/σ_max ≈ 10^{−1.3 L}; at depth 40 an SVD of the
product misreads them by decades), and beyond ~300 layers they underflow. So J is never formed:

1. *Lyapunov QR* (Benettin et al. 1980): W_l Q_{l−1} = Q_l R_l with diag R_l > 0, so
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

The mean and spectral variance of σ² are sums over the accurate singular values (log-sum-exp).

**Randomness.** Weights are drawn exactly as :mod:`initviz.propagation` draws them:
``net.weight_law(l).sample(shape, stream(seed, repeat, ROLE_WEIGHTS, l), dtype)``, so the Jacobian
belongs to the very network a propagation with the same seed and dtype runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import randmat
from .errors import invalid
from .laws import as_dtype
from .limits import check_int
from .rng import ROLE_WEIGHTS, stream

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles of log10 σ reported per checkpoint (with the minimum and maximum)."""

MAX_JACOBIAN_WIDTH = 1024
"""Widest layer for a Jacobian spectrum (each layer costs a few n³ operations)."""

MAX_JACOBIAN_WORK = 2 ** 32
"""Most n³·(depth + checkpoints)·n_seeds: ≈3 s on one core (measured 2.8 s at n = 256, depth 100,
32 checkpoints, 2 seeds)."""

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
    """log10 σ (descending) of D·U, D = diag(e^logd), by windowed ``dgejsv`` on Uᵀ·D (step 2 of the
    module docstring), and the estimated error in decades."""
    from scipy.linalg import lapack
    n = logd.size
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
    """Accumulates the graded Lyapunov factorisation J = Q·D·U of W_l⋯W_1 (module docstring)."""

    def __init__(self, n: int):
        self.n = n
        self.depth = 0
        self.basis = np.eye(n)
        self.logd = np.zeros(n)
        self.upper = np.eye(n)
        self._mask = np.triu(np.ones((n, n), dtype=bool))

    def push(self, w: np.ndarray) -> None:
        self.depth += 1
        q, r = np.linalg.qr(np.asarray(w, dtype=np.float64) @ self.basis)
        signs = np.where(np.diagonal(r) < 0, -1.0, 1.0)
        self.basis = q * signs
        r *= signs[:, None]
        ratio = np.exp(np.where(self._mask, self.logd[None, :] - self.logd[:, None], 0.0))
        m = np.where(self._mask, r * ratio, 0.0) @ self.upper
        diag = np.diagonal(m).copy()
        if not np.all(np.isfinite(m)) or np.any(diag <= 0):
            raise invalid("weights", "be finite and invertible (the Jacobian has rank n)", f"layer {self.depth}")
        self.logd += np.log(diag)
        self.upper = m / diag[:, None]

    def spectrum(self) -> ProductSpectrum:
        log10_sigma, bound = _jacobi_log10_sigma(self.logd, self.upper)
        top = log10_sigma[0]
        rel = 10.0 ** (2.0 * (log10_sigma - top))  # σ²/σ_max², no overflow
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
    """Singular values of J_l = W_l⋯W_1 at the ``depths`` checkpoints for ``n_seeds`` networks.

    Arrays have shape (n_seeds, n_depths): ``quantiles`` (…, len(QUANTILES)) of log10 σ, ``log10_min``
    and ``log10_max``, ``log10_mean_sq`` and ``log10_var_sq`` (mean and spectral variance of σ²),
    and ``error_bound`` (estimated error of every log10 σ, decades). Theory per depth: ``theory_mean_sq``
    (exact for zero-mean i.i.d. laws), ``theory_var_sq`` (exact for Gaussian laws; 0 for
    orthogonal; NaN otherwise), ``theory_log10_sigma`` (orthogonal: every σ = |g|^l; NaN otherwise).
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

    def to_frame(self):
        """One row per (repeat, depth): the quantiles as q05 … q95, min/max, mean_sq, var_sq,
        error_bound and the theory columns."""
        import pandas as pd
        seeds, depths = self.log10_min.shape
        frame = pd.DataFrame({"repeat": np.repeat(np.arange(seeds), depths), "depth": np.tile(self.depths, seeds)})
        for k, q in enumerate(QUANTILES):
            frame[f"q{round(100 * q):02d}"] = self.quantiles[:, :, k].ravel()
        with np.errstate(over="ignore"):
            frame = frame.assign(log10_min=self.log10_min.ravel(), log10_max=self.log10_max.ravel(),
                                 mean_sq=10.0 ** self.log10_mean_sq.ravel(), var_sq=10.0 ** self.log10_var_sq.ravel(),
                                 error_bound=self.error_bound.ravel(),
                                 theory_mean_sq=np.tile(self.theory_mean_sq, seeds),
                                 theory_var_sq=np.tile(self.theory_var_sq, seeds),
                                 theory_log10_sigma=np.tile(self.theory_log10_sigma, seeds))
        return frame


def default_checkpoints(depth: int) -> tuple[int, ...]:
    """Every layer up to 32; beyond, 32 log-spaced depths from 1 to ``depth`` (inclusive)."""
    if depth <= 32:
        return tuple(range(1, depth + 1))
    return tuple(sorted(set(np.unique(np.round(np.geomspace(1, depth, 32)).astype(int)).tolist()) | {depth}))


def jacobian_spectrum(net, seed: int = 0, n_seeds: int = 4, checkpoints=None, dtype="float64") -> JacobianSpectrum:
    """Singular values of the end-to-end Jacobian of a linear :class:`initviz.network.Network`.

    The network must be linear everywhere and of constant width (input_dim = every width), e.g.
    ``Network.mlp(input_dim=128, widths=[128] * 50, activation="linear", init="orthogonal")`` or
    ``init="xavier_normal"`` for Gaussian weights of variance 1/n. Weights are drawn as propagation
    draws them (module docstring) in ``dtype`` and multiplied in float64.

    ``seed`` is an int, as :func:`initviz.propagate`'s: network r = 0..n_seeds−1 draws W_l from its
    own keyed stream ``stream(seed, r, ROLE_WEIGHTS, l)`` (:mod:`initviz.rng`), which a Generator —
    one running state — cannot define.
    """
    if net.residual is not None or net.norm != "none":
        raise invalid("net", "be a plain MLP (residual blocks: initviz.block_jacobian; a norm makes the Jacobian "
                      "depend on the input)", net.describe())
    if any(name != "linear" for name, _ in net.activations):
        raise invalid("net", "be linear in every layer (a nonlinear net's Jacobian depends on its input)",
                      net.describe())
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
    work = n ** 3 * (depth + len(depths)) * n_seeds
    if work > MAX_JACOBIAN_WORK:
        raise invalid("n_seeds", f"keep n³·(depth + checkpoints)·n_seeds = {work:,} within "
                      f"MAX_JACOBIAN_WORK = {MAX_JACOBIAN_WORK:,}", n_seeds)
    dt = as_dtype(dtype)
    spectra = []
    for rep in range(n_seeds):
        draws = (net.weight_law(l).sample((n, n), stream(seed, rep, ROLE_WEIGHTS, l), dt)
                 for l in range(1, depths[-1] + 1))
        spectra.append(product_spectra(draws, depths))
    theory = _theory(net, np.array(depths))
    pick = lambda attr: np.array([[getattr(s, attr) for s in row] for row in spectra])  # noqa: E731
    logs = [[s.log10_sigma for s in row] for row in spectra]
    return JacobianSpectrum(
        width=n, init=net.init, depths=np.array(depths),
        quantiles=np.array([[np.quantile(v, QUANTILES) for v in row] for row in logs]),
        log10_min=np.array([[v.min() for v in row] for row in logs]),
        log10_max=np.array([[v.max() for v in row] for row in logs]),
        log10_mean_sq=pick("log10_mean_sq"), log10_var_sq=pick("log10_var_sq"),
        error_bound=pick("error_bound"), **theory)


def _theory(net, depths: np.ndarray) -> dict:
    """Theory columns per checkpoint depth (see :class:`JacobianSpectrum`)."""
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


__all__ = ["QUANTILES", "ProductSpectrum", "product_spectra", "JacobianSpectrum", "jacobian_spectrum",
           "default_checkpoints"]
