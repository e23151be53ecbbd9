"""Sampled distributions beside their laws: angles between random vectors, the eigenvalues of
WᵀW (Marchenko–Pastur), and ‖Wx‖/‖x‖ — each binned into a :class:`Histogram` with the expected
counts of the exact or limiting law (:mod:`initviz.randmat`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .. import randmat
from ..errors import invalid, one_of
from ..laws import Law, as_dtype, law_with_variance
from ..limits import check_float, check_int
from ..rng import as_generator
from .ensembles import IID_KINDS, MAX_ORTHOGONAL_WORK, MAX_REPEATS, as_ensemble, check_shape, iid_base, sample_matrix

MAX_ANGLE_DIM = 100_000
"""Largest dimension for sampled angles."""

MAX_ANGLE_ENTRIES = 2 ** 24
"""Most entries 2·pairs·n drawn by :func:`sample_angles`, per distribution."""

MAX_PAIRS = 100_000
"""Most vector pairs per distribution in :func:`sample_angles`."""

SPECTRUM_MAX_WORK = 2 ** 31
"""Most eigensolver work repeats·min(m,n)³ in :func:`gram_spectrum`."""

ZERO_EIGENVALUE = 1e-9
"""Eigenvalues below this times m·s² (or times the largest) are the exact zeros of a wide WᵀW."""

MAX_NORM_SAMPLES = 200_000
"""Most ‖Wx‖/‖x‖ samples in :func:`norm_ratios`."""

NORM_MATRICES = 16
"""Independent matrices behind :func:`norm_ratios` (each maps samples/16 inputs)."""

MAX_NORM_WORK = 2 ** 36
"""Most multiply–adds samples·m·n of the products W·x in :func:`norm_ratios` (~7e10: seconds);
orthogonal W also keep their QR work NORM_MATRICES·min(m,n)²·max(m,n) within
:data:`MAX_ORTHOGONAL_WORK` (16 orthogonal 4096×4096 draws took minutes)."""

MAX_BINS = 512
"""Most histogram bins."""


@dataclass(frozen=True)
class Histogram:
    """Pre-binned values: ``edges`` (bins+1), ``counts``, and ``expected`` counts under the theory
    (N·(F(right) − F(left)), NaN where no law is known). ``total`` counts every value, including
    those outside the edges (and atoms reported separately)."""

    edges: np.ndarray
    counts: np.ndarray
    expected: np.ndarray
    total: int

    def to_frame(self, **labels):
        """One row per bin: left, right, count, density (count/(total·width)), expected and
        expected_density, plus constant ``labels`` columns."""
        import pandas as pd
        width = np.diff(self.edges)
        frame = pd.DataFrame({"left": self.edges[:-1], "right": self.edges[1:], "count": self.counts,
                              "density": self.counts / (self.total * width), "expected": self.expected,
                              "expected_density": self.expected / (self.total * width)})
        for key, value in labels.items():
            frame.insert(0, key, value)
        return frame


def check_bins(bins) -> int:
    return check_int("bins", bins, 1, MAX_BINS)


def binned(values: np.ndarray, edges: np.ndarray, cdf=None, total: int | None = None) -> Histogram:
    counts, _ = np.histogram(values, bins=edges)
    total = values.size if total is None else total
    expected = np.full(counts.shape, math.nan) if cdf is None else total * np.diff(cdf(edges))
    return Histogram(edges=edges, counts=counts, expected=expected, total=total)


@dataclass(frozen=True)
class Angles:
    """Angles θ ∈ [0, π] between ``pairs`` pairs of independent random vectors of ℝⁿ per kind
    (``theta[k]`` for ``kinds[k]``), with the isotropic theory (:func:`randmat.angle_moments`)."""

    n: int
    kinds: tuple[str, ...]
    theta: np.ndarray
    theory: randmat.AngleMoments

    def histogram(self, kind: str, bins: int = 60, width: float = 6.0) -> Histogram:
        """Histogram of one kind's angles over π/2 ± width·std(θ) (clipped to [0, π]), with the
        expected counts of the exact density (:func:`randmat.angle_cdf`)."""
        if kind not in self.kinds:
            raise one_of("kind", self.kinds, kind)
        half = min(0.5 * math.pi, check_float("width", width, 0.0) * self.theory.theta_std)
        edges = np.linspace(0.5 * math.pi - half, 0.5 * math.pi + half, check_bins(bins) + 1)
        return binned(self.theta[self.kinds.index(kind)], edges, lambda x: randmat.angle_cdf(x, self.n))

    def to_frame(self):
        """Per kind: measured mean and std of θ and variance of cos θ beside the theory."""
        import pandas as pd
        cos = np.cos(self.theta)
        return pd.DataFrame({"kind": self.kinds, "n": self.n, "pairs": self.theta.shape[1],
                             "theta_mean": self.theta.mean(axis=1), "theta_std": self.theta.std(axis=1, ddof=1),
                             "cos_var": np.mean(np.square(cos), axis=1),
                             "theory_theta_mean": self.theory.theta_mean, "theory_theta_std": self.theory.theta_std,
                             "theory_cos_var": self.theory.cos_var})


def sample_angles(n: int, kinds=IID_KINDS, pairs: int = 2000, seed=None, dtype="float64") -> Angles:
    """Angles between ``pairs`` pairs of independent vectors of ℝⁿ with i.i.d. entries of each kind.

    θ = arccos(⟨x, y⟩/(‖x‖‖y‖)). Gaussian vectors are isotropic, so θ has the density
    ∝ sin^{n−2}θ exactly; for the other i.i.d. laws cos θ still has mean 0 and variance exactly 1/n
    (see :func:`randmat.angle_moments`) and the density holds as n grows.
    """
    n = check_int("n", n, 2, MAX_ANGLE_DIM)
    pairs = check_int("pairs", pairs, 2, MAX_PAIRS)
    if 2 * pairs * n > MAX_ANGLE_ENTRIES:
        raise invalid("pairs", f"keep 2·pairs·n = {2 * pairs * n:,} within MAX_ANGLE_ENTRIES = "
                      f"{MAX_ANGLE_ENTRIES:,}", pairs)
    kinds = tuple(kinds)
    for kind in kinds:
        if kind not in IID_KINDS:
            raise one_of("kinds", IID_KINDS, kind)
    dt = as_dtype(dtype)
    thetas = []
    for kind, gen in zip(kinds, as_generator(seed).spawn(len(kinds))):
        law = law_with_variance(kind, 1.0 / n)
        x, y = (law.transform(iid_base(law, pairs, n, gen, dt)) for _ in range(2))
        dots = np.einsum("ij,ij->i", x, y, dtype=np.float64)
        norms = np.sqrt(np.einsum("ij,ij->i", x, x, dtype=np.float64) * np.einsum("ij,ij->i", y, y, dtype=np.float64))
        thetas.append(np.arccos(np.clip(dots / norms, -1.0, 1.0)))
    return Angles(n=n, kinds=kinds, theta=np.array(thetas).reshape(len(kinds), pairs), theory=randmat.angle_moments(n))


@dataclass(frozen=True)
class GramSpectrum:
    """Eigenvalues of WᵀW (n per matrix, ``repeats`` matrices pooled), with Marchenko–Pastur.

    ``eigenvalues`` are sorted, with the exact zeros of a wide W (n > m) snapped to 0;
    ``zero_fraction`` is their share, to compare with ``mp.atom`` = 1 − m/n (exact here: rank m).
    """

    m: int
    n: int
    ensemble: str
    law: Law
    eigenvalues: np.ndarray = field(repr=False)
    zero_fraction: float
    mp: randmat.MarchenkoPastur

    def histogram(self, bins: int = 60) -> Histogram:
        """The non-zero eigenvalues binned on [0, max(edge, largest)·1.02], with the expected counts
        of the continuous Marchenko–Pastur part (the atom is reported by ``zero_fraction``)."""
        top = 1.02 * max(self.mp.hi, float(self.eigenvalues[-1]))
        edges = np.linspace(0.0, top, check_bins(bins) + 1)
        positive = self.eigenvalues[self.eigenvalues > 0]
        return binned(positive, edges, lambda x: randmat.mp_cdf(x, self.m, self.n, self.law.var),
                          total=self.eigenvalues.size)

    def to_frame(self):
        """One row per eigenvalue (sorted)."""
        import pandas as pd
        return pd.DataFrame({"eigenvalue": self.eigenvalues})


def gram_spectrum(m: int, n: int, ensemble="normal", repeats: int = 1, seed=None,
                  dtype="float64") -> GramSpectrum:
    """All eigenvalues of WᵀW for ``repeats`` draws: ``eigvalsh`` of the smaller Gram plus the n − m
    exact zeros when n > m (the non-zero eigenvalues of WᵀW and WWᵀ coincide)."""
    m, n = check_shape(m, n)
    repeats = check_int("repeats", repeats, 1, MAX_REPEATS)
    k = min(m, n)
    if repeats * k ** 3 > SPECTRUM_MAX_WORK:
        raise invalid("repeats", f"keep repeats·min(m,n)³ within SPECTRUM_MAX_WORK = {SPECTRUM_MAX_WORK:,}", repeats)
    ens = as_ensemble(ensemble)
    law = ens.law(m, n)
    pooled = []
    for gen in as_generator(seed).spawn(repeats):
        w = sample_matrix(ens, m, n, gen, dtype).astype(np.float64)
        eig = np.linalg.eigvalsh(w.T @ w if m >= n else w @ w.T)
        pooled.append(np.concatenate([np.zeros(n - k), np.clip(eig, 0.0, None)]))
    eigenvalues = np.sort(np.concatenate(pooled))
    scale = max(m * law.var, float(eigenvalues[-1]))
    eigenvalues[eigenvalues < ZERO_EIGENVALUE * scale] = 0.0
    mp = randmat.marchenko_pastur(m, n, law.var)
    return GramSpectrum(m=m, n=n, ensemble=ens.label, law=law, eigenvalues=eigenvalues,
                        zero_fraction=float(np.mean(eigenvalues == 0.0)), mp=mp)


@dataclass(frozen=True)
class NormRatios:
    """Samples of ‖Wx‖/‖x‖ (``ratios``; R = ratios² = ‖Wx‖²/‖x‖²) with the theory of R.

    ``theory`` holds E R and Var R (:func:`randmat.norm_ratio_moments_for_law`); ``exact_law`` says
    whether :meth:`histogram`'s expected counts are exact (Gaussian W, or orthogonal with m < n).
    """

    m: int
    n: int
    ensemble: str
    law: Law
    x: str
    ratios: np.ndarray = field(repr=False)
    theory: randmat.NormRatioMoments

    @property
    def exact_law(self) -> bool:
        return self.law.kind == "normal" or (self.law.kind == "orthogonal" and self.m < self.n)

    def histogram(self, bins: int = 60, width: float = 6.0) -> Histogram:
        """‖Wx‖/‖x‖ binned over √(E R) ± width·sd (sd of √R by the delta method, √Var R/(2√E R)),
        clipped at 0, with exact expected counts when :attr:`exact_law`."""
        centre = math.sqrt(self.theory.mean)
        half = max(width * math.sqrt(self.theory.var) / (2.0 * centre), 1e-6 * centre)
        edges = np.linspace(max(0.0, centre - half), centre + half, check_bins(bins) + 1)
        cdf = (lambda t: randmat.norm_ratio_cdf(np.square(t), self.m, self.n, self.law)) if self.exact_law else None
        return binned(self.ratios, edges, cdf)

    def to_frame(self):
        """Measured mean and variance of R beside the theory (one row)."""
        import pandas as pd
        r = np.square(self.ratios)
        return pd.DataFrame({"ensemble": [self.ensemble], "m": self.m, "n": self.n, "x": self.x,
                             "samples": r.size, "r_mean": r.mean(), "r_var": r.var(ddof=1),
                             "theory_r_mean": self.theory.mean, "theory_r_var": self.theory.var})


def norm_ratios(m: int, n: int, ensemble="normal", samples: int = 20_000, x=randmat.ISOTROPIC, seed=None,
                dtype="float64") -> NormRatios:
    """‖Wx‖/‖x‖ for ``samples`` pairs (W, x): :data:`NORM_MATRICES` independent W each applied to
    samples/NORM_MATRICES inputs. ``x="isotropic"`` draws x ~ N(0, I_n) afresh for every sample;
    an array of length n fixes x. Each sample's marginal law is exactly that of R for one random W;
    samples sharing a W are dependent, which widens the histogram's fluctuation, not its mean.
    """
    m, n = check_shape(m, n)
    samples = check_int("samples", samples, NORM_MATRICES, MAX_NORM_SAMPLES)
    ens = as_ensemble(ensemble)
    law = ens.law(m, n)
    if samples * m * n > MAX_NORM_WORK:
        raise invalid("samples", f"keep samples·m·n = {samples * m * n:,} within MAX_NORM_WORK = {MAX_NORM_WORK:,}",
                      samples)
    qr_work = NORM_MATRICES * min(m, n) ** 2 * max(m, n)
    if law.kind == "orthogonal" and qr_work > MAX_ORTHOGONAL_WORK:
        raise invalid("n", f"keep the orthogonal QR work {NORM_MATRICES}·min(m,n)²·max(m,n) = {qr_work:,} within "
                      f"MAX_ORTHOGONAL_WORK = {MAX_ORTHOGONAL_WORK:,}", n)
    theory = randmat.norm_ratio_moments_for_law(law, m, n, x)
    fixed = None if isinstance(x, str) else np.asarray(x, dtype=float)
    per = samples // NORM_MATRICES
    ratios = []
    for gen in as_generator(seed).spawn(NORM_MATRICES):
        w = sample_matrix(ens, m, n, gen, dtype).astype(np.float64)
        xs = gen.standard_normal((n, per)) if fixed is None else np.repeat(fixed[:, None], per, axis=1)
        ratios.append(np.linalg.norm(w @ xs, axis=0) / np.linalg.norm(xs, axis=0))
    return NormRatios(m=m, n=n, ensemble=ens.label, law=law, x=randmat.ISOTROPIC if fixed is None else "fixed",
                      ratios=np.concatenate(ratios), theory=theory)
