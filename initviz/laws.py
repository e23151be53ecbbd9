"""Exact laws of weight-tensor entries: moments, density, distribution function, sampling.

A :class:`Law` is the distribution of one uniformly chosen entry of a weight tensor produced by an
initialization scheme. For the i.i.d. schemes (normal, truncated normal, uniform, Rademacher) every
entry has this law; for the structured ones it is the exact marginal:

* ``orthogonal`` (Saxe et al. 2013; torch ``orthogonal_``): the tensor is flattened to
  ``(rows, cols = numel/rows)``; every row (rows < cols) or every column (rows >= cols) is a
  Haar-uniform unit vector in R^N, N = max(rows, cols), times the gain g. One coordinate u of a
  uniform unit vector in R^N has density Γ(N/2)/(√π Γ((N−1)/2)) (1−u²)^((N−3)/2) on [−1, 1], i.e.
  (u+1)/2 ~ Beta((N−1)/2, (N−1)/2); hence var = g²/N and kurtosis E[u⁴]/E[u²]² = 3N/(N+2).
  N = 1 is the atom pair ±g.
* ``delta_orthogonal`` (Xiao et al. 2018; JAX ``delta_orthogonal``): a conv kernel (out, in, *k)
  with in ≤ out, zero except its centre tap, a Haar (out, in) matrix with orthonormal columns times
  the scale g. A uniformly chosen entry is 0 with probability 1 − 1/K (K = ∏k, the taps) and
  otherwise one coordinate of a Haar unit vector in R^out times g — the orthogonal law above with
  N = out: var = g²/(K·out), kurtosis 3K·out/(out + 2). K = 1 is plain orthogonal.
* ``sparse`` (Martens 2010; torch ``sparse_``): N(0, σ²) entries, then exactly ⌈sparsity·rows⌉
  zeros in each column: a mixture with zero mass p₀ = ⌈sparsity·rows⌉/rows, var (1−p₀)σ²,
  kurtosis 3/(1−p₀).
* ``constant``, ``eye``, ``dirac``: deterministic tensors; the law is the empirical distribution
  of their entries (value v with fraction f, 0 otherwise; f = 1 for constant).

Truncated normal (torch ``trunc_normal_``): parent N(μ, σ²) restricted to the *absolute* interval
[a, b]; with α=(a−μ)/σ, β=(b−μ)/σ, Z=Φ(β)−Φ(α): density φ((x−μ)/σ)/(σZ) on [a, b], mean
μ + σ(φ(α)−φ(β))/Z, variance σ²[1 + (αφ(α)−βφ(β))/Z − ((φ(α)−φ(β))/Z)²] (Johnson, Kotz &
Balakrishnan 1994, §10.1). Z is computed in log space and the moments by quadrature about the
mean, so neither loses precision far in a tail, where the closed forms cancel catastrophically.

Sampling is ``loc + scale · base``: the *base* draw depends only on the base distribution
(standard normal, U(−1, 1), standard normal truncated to [α, β], Rademacher ±1, Haar orthogonal
with torch's sign fix, a 0/1 pattern), which :attr:`Law.base_key` identifies. The same generator
therefore gives exactly proportional tensors for laws that differ only in scale, and a base draw
can be cached and rescaled. Truncated normal is drawn by rejection from the normal when the
interval holds at least :data:`~initviz.limits.TRUNC_REJECTION_MIN_MASS` of the parent mass (exact:
an accepted normal draw *is* a truncated-normal draw; for [−2, 2] 95.4 % are accepted, so it costs
~1.1 normal draws instead of ~9 for the inverse), else by the inverse distribution function, in log
space and on the side of the smaller tail (``scipy.special.log_ndtr`` / ``ndtri_exp``), so it is
exact for any [a, b], including intervals far in a tail (torch's erfinv method is not).

**Stream layout.** An i.i.d. base (normal, uniform, Rademacher, truncated normal) of more than
:data:`~initviz.limits.SAMPLE_CHUNK_ENTRIES` entries is filled chunk by chunk (C-order), chunk i
from ``gen.spawn(chunks)[i]``, on :data:`~initviz.limits.SAMPLE_THREADS` threads; smaller ones
come from ``gen`` itself. The layout depends on the shape alone, so a seed gives the same tensor on
any machine and thread count (it changed once, before the first release, when chunks came in).
A normal base is drawn in the draw version ``draws`` (:mod:`initviz.normals`): version 1, the default,
is numpy's ``standard_normal``; version 2 is Box–Muller in float32 (float64: version 1 again).

The truncated-normal mathematics (log-space mass, moments, the two samplers) live in
:mod:`initviz.truncated_normal`, the base draws of every kind in :mod:`initviz.draws`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from .draws import chunked, delta_orthogonal, deterministic_pattern, haar, sparse_pattern
from .errors import InitvizError, invalid, one_of
from .limits import TRUNC_REJECTION_MIN_MASS
from .normals import DEFAULT_DRAWS, check_draws, filler
from .rng import as_generator, rng_alias
from .truncated_normal import (TRUNC_QUADRATURE_LOG_RANGE, TRUNC_QUADRATURE_NODES,  # noqa: F401  (public here too)
                               draw_by_inverse, fill_by_rejection, log_mass, log_mass_upto, log_phi, standard_moments)

KINDS = ("normal", "trunc_normal", "uniform", "rademacher", "orthogonal", "constant", "eye", "dirac", "sparse",
         "delta_orthogonal")
"""Every law kind, in the order the UI lists them."""

EQUAL_VARIANCE_KINDS = ("normal", "uniform", "rademacher", "trunc_normal", "orthogonal")
"""Kinds :func:`law_with_variance` can build at a prescribed entry variance."""

DTYPES = ("float32", "float64")
"""Floating-point types a sample can be drawn in."""

TRUNC_CUT = 2.0
"""Keras/JAX truncated normal: cut points at ±2 parent standard deviations."""

TRUNC_STD_RATIO = 0.87962566103423978
"""Std of a standard normal truncated to [−2, 2] (Keras/JAX's correction constant)."""

_DETERMINISTIC = ("constant", "eye", "dirac")
_IID = ("normal", "uniform", "rademacher", "trunc_normal")
_SHAPED = ("orthogonal", "eye", "dirac", "sparse", "delta_orthogonal")
_SIGNED = ("orthogonal", "delta_orthogonal", *_DETERMINISTIC)
"""Kinds whose scale (a gain or a value) may be negative."""


def as_dtype(dtype) -> np.dtype:
    """``"float32"``/``"float64"`` (or the numpy types) as a numpy dtype; anything else is an error."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise one_of("dtype", DTYPES, dtype) from None
    if dt.name not in DTYPES:
        raise one_of("dtype", DTYPES, dtype)
    return dt


def as_shape(shape) -> tuple[int, ...]:
    """A tuple of non-negative ints (numpy ints accepted, bools rejected)."""
    try:
        dims = tuple(shape)
    except TypeError:
        raise invalid("shape", "be a sequence of non-negative ints", shape) from None
    if not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in dims):
        raise invalid("shape", "be a sequence of non-negative ints", shape)
    return tuple(int(d) for d in dims)


@dataclass(frozen=True)
class Law:
    """The exact law of a uniformly chosen entry of a weight tensor.

    Parameters (by ``kind``):

    * ``loc`` — normal/trunc_normal: parent mean μ; uniform: centre; rademacher: centre.
    * ``scale`` — normal/trunc_normal: parent std σ; uniform: half-width; rademacher: magnitude s;
      orthogonal, delta_orthogonal: gain g (may be negative, as in torch); constant/eye/dirac: the value;
      sparse: std of the non-zeros.
    * ``a``, ``b`` — trunc_normal: *absolute* cut points (torch semantics).
    * ``sparsity`` — sparse: torch's ``sparsity`` (⌈sparsity·rows⌉ zeros per column).
    * ``shape`` — the tensor shape; required by orthogonal, delta_orthogonal, eye, dirac and sparse, whose marginal
      depends on it. ``groups`` — dirac only.
    """

    kind: str
    loc: float = 0.0
    scale: float = 1.0
    a: float = -math.inf
    b: float = math.inf
    sparsity: float = 0.0
    shape: tuple[int, ...] | None = None
    groups: int = 1

    def __post_init__(self):
        if self.kind not in KINDS:
            raise one_of("kind", KINDS, self.kind)
        for name in ("loc", "scale", "sparsity"):
            value = getattr(self, name)
            if not isinstance(value, (int, float, np.number)) or isinstance(value, bool) \
                    or not math.isfinite(value):
                raise invalid(name, "be a finite number", value)
            object.__setattr__(self, name, float(value))
        if self.kind not in _SIGNED and self.scale < 0:
            raise invalid("scale", f"be >= 0 for kind={self.kind!r}", self.scale)
        for name in ("a", "b"):
            value = getattr(self, name)
            if not isinstance(value, (int, float, np.number)) or isinstance(value, bool) or math.isnan(value):
                raise invalid(name, "be a number (±inf allowed)", value)
            object.__setattr__(self, name, float(value))
        if self.kind == "trunc_normal":
            if not self.a < self.b:
                raise invalid("b", f"be > a={self.a} (trunc_normal cut points)", self.b)
            if self.scale == 0:
                raise invalid("scale", "be > 0 for kind='trunc_normal'", self.scale)
        if not 0.0 <= self.sparsity <= 1.0:
            raise invalid("sparsity", "be in [0, 1]", self.sparsity)
        if self.shape is not None:
            object.__setattr__(self, "shape", as_shape(self.shape))
        if self.kind in _SHAPED:
            self._check_shape()

    def _check_shape(self):
        shape = self.shape
        if shape is None:
            raise invalid("shape", f"be given for kind={self.kind!r} (its marginal depends on it)", None)
        if self.kind == "orthogonal" and len(shape) < 2:
            raise invalid("shape", "have 2 or more dimensions for orthogonal", shape)
        if self.kind == "delta_orthogonal":
            if len(shape) not in (3, 4, 5):
                raise invalid("shape", "have 3, 4 or 5 dimensions for delta_orthogonal (a conv kernel)", shape)
            if shape[1] > shape[0]:
                raise invalid("shape", "have in_channels <= out_channels for delta_orthogonal (shape[1] <= shape[0])",
                              shape)
        if self.kind in ("eye", "sparse") and len(shape) != 2:
            raise invalid("shape", f"have exactly 2 dimensions for {self.kind}", shape)
        if self.kind == "dirac":
            if len(shape) not in (3, 4, 5):
                raise invalid("shape", "have 3, 4 or 5 dimensions for dirac", shape)
            if self.groups < 1 or shape[0] % self.groups:
                raise invalid("groups", f"be a positive divisor of shape[0]={shape[0]}", self.groups)
        if math.prod(shape) == 0:
            raise invalid("shape", "have no zero dimension", shape)

    # --- structure ---------------------------------------------------------------------------
    @property
    def alpha(self) -> float:
        """trunc_normal: lower cut point in parent standard units, (a − μ)/σ."""
        return (self.a - self.loc) / self.scale

    @property
    def beta(self) -> float:
        """trunc_normal: upper cut point in parent standard units, (b − μ)/σ."""
        return (self.b - self.loc) / self.scale

    @property
    def haar_dim(self) -> int:
        """orthogonal: N = max(rows, numel/rows), the dimension of each Haar unit vector;
        delta_orthogonal: N = out, that of its centre tap's columns."""
        rows = self.shape[0]
        if self.kind == "delta_orthogonal":
            return rows
        return max(rows, math.prod(self.shape) // rows)

    @property
    def zero_fraction(self) -> float:
        """Exact fraction of entries that are 0 by construction (sparse, eye, dirac, the off-centre taps of
        delta_orthogonal); else 0."""
        if self.kind == "sparse":
            rows = self.shape[0]
            return math.ceil(self.sparsity * rows) / rows
        if self.kind == "eye":
            return 1.0 - min(self.shape) / math.prod(self.shape)
        if self.kind == "delta_orthogonal":
            return 1.0 - 1.0 / math.prod(self.shape[2:])
        if self.kind == "dirac":
            per_group = min(self.shape[0] // self.groups, self.shape[1])
            return 1.0 - self.groups * per_group / math.prod(self.shape)
        return 0.0

    @property
    def base_key(self) -> tuple:
        """Identifies the base draw: laws with equal keys sample as ``loc + scale·base``
        from the same base, so one base draw serves them all."""
        if self.kind == "trunc_normal":
            return ("trunc_normal", self.alpha, self.beta)
        if self.kind == "sparse":
            return ("sparse", self.shape, math.ceil(self.sparsity * self.shape[0]))
        if self.kind in _SHAPED:
            return (self.kind, self.shape, self.groups)
        return (self.kind,)

    # --- moments -----------------------------------------------------------------------------
    def _standard_moments(self) -> tuple[float, float, float]:
        """Mean, variance, 4th central moment of the base law (before loc + scale·)."""
        kind = self.kind
        if kind == "normal":
            return 0.0, 1.0, 3.0
        if kind == "uniform":
            return 0.0, 1.0 / 3.0, 1.0 / 5.0
        if kind == "rademacher":
            return 0.0, 1.0, 1.0
        if kind == "trunc_normal":
            return standard_moments(self.alpha, self.beta)
        if kind in ("orthogonal", "delta_orthogonal"):  # a Haar coordinate, with probability `keep`
            n, keep = self.haar_dim, 1.0 - self.zero_fraction
            return 0.0, keep / n, keep * 3.0 / (n * (n + 2))
        if kind == "sparse":
            keep = 1.0 - self.zero_fraction
            return 0.0, keep, 3.0 * keep
        f = 1.0 - self.zero_fraction  # deterministic 0/1 pattern: Bernoulli(f)
        return f, f * (1 - f), f * (1 - f) * (1 - 3 * f * (1 - f))

    @property
    def mean(self) -> float:
        """E[w] (realised, e.g. after truncation)."""
        return self.loc + self.scale * self._standard_moments()[0]

    @property
    def var(self) -> float:
        """Var[w] (realised, e.g. after truncation)."""
        return self.scale ** 2 * self._standard_moments()[1]

    @property
    def std(self) -> float:
        """Realised standard deviation √Var[w]."""
        return math.sqrt(self.var)

    @property
    def kurtosis(self) -> float:
        """E[(w − E w)⁴]/Var[w]² (normal 3, uniform 9/5, Rademacher 1); NaN when Var[w] = 0."""
        _, var, m4 = self._standard_moments()
        return m4 / var ** 2 if var > 0 and self.scale != 0 else math.nan

    @property
    def support(self) -> tuple[float, float]:
        """(lo, hi): the smallest closed interval holding every value."""
        kind, s = self.kind, abs(self.scale)
        if kind == "trunc_normal":
            return self.a, self.b
        if kind in ("uniform", "rademacher", "orthogonal", "delta_orthogonal"):
            return self.loc - s, self.loc + s
        if kind in _DETERMINISTIC:
            values = [self.scale] + ([0.0] if self.zero_fraction > 0 else [])
            return min(values), max(values)
        if s == 0 or self.zero_fraction == 1.0:
            return self.loc, self.loc
        return -math.inf, math.inf

    @property
    def constant_value(self) -> float | None:
        """The value of every entry when the law is a single point (constant, zeros, ones, a zero
        std or gain, sparsity 1), else None: the tensor is then that value everywhere, exactly."""
        lo, hi = self.support
        return lo if lo == hi else None

    @property
    def is_random(self) -> bool:
        """False for the deterministic tensors (constant, eye, dirac)."""
        return self.kind not in _DETERMINISTIC

    @property
    def is_continuous(self) -> bool:
        """True when the law has a density (no atoms)."""
        if self.scale == 0 or self.kind in ("rademacher", *_DETERMINISTIC):
            return False
        if self.kind in ("orthogonal", "delta_orthogonal"):
            return self.haar_dim >= 2 and self.zero_fraction == 0.0
        return self.zero_fraction == 0.0

    def mixture(self) -> tuple[float, list[tuple[float, float]]]:
        """The law as ``weight · (a density) + Σ mass · δ_x``: ``(weight, [(x, mass), …])``, weight and
        masses summing to 1.

        The density of the continuous part is ``weight · pdf`` of the zero-free law (sparse: a normal
        with a point mass ⌈sparsity·rows⌉/rows at 0; delta_orthogonal: its centre tap's orthogonal law
        with a point mass 1 − 1/K at 0 — :meth:`continuous_part`); Rademacher (and a 1-dimensional
        Haar vector) is ±s with ½ each; constant, eye and dirac are the value with its fraction and 0
        with the rest; a zero scale is a single atom.
        """
        if self.is_continuous:
            return 1.0, []
        lo, hi = self.support
        if lo == hi:
            return 0.0, [(lo, 1.0)]
        zero = self.zero_fraction
        if self.kind == "rademacher" or self.kind in ("orthogonal", "delta_orthogonal") and self.haar_dim == 1:
            side = 0.5 * (1.0 - zero)
            return 0.0, [(lo, side), (hi, side)] + ([(0.0, zero)] if zero > 0 else [])
        if self.kind in ("sparse", "delta_orthogonal"):
            return 1.0 - zero, [(0.0, zero)]
        return 0.0, [(self.scale, 1.0 - zero), (0.0, zero)]

    def continuous_part(self) -> "Law":
        """The law whose density, times the weight of :meth:`mixture`, is this law's continuous part:
        itself when continuous, the N(0, σ²) of a sparse law's non-zeros, the orthogonal (out, in)
        law of a delta_orthogonal kernel's centre tap."""
        if self.kind == "sparse":
            return Law("normal", scale=self.scale)
        if self.kind == "delta_orthogonal":
            return Law("orthogonal", scale=self.scale, shape=self.shape[:2])
        return self

    # --- density and distribution function ----------------------------------------------------
    def _standardise(self, x):
        if not self.is_continuous:
            raise invalid("kind", f"be continuous to have a density; {self._describe()} has atoms", self.kind)
        return (np.asarray(x, dtype=float) - self.loc) / abs(self.scale)

    def pdf(self, x) -> np.ndarray:
        """Density at ``x`` (continuous laws only)."""
        z = self._standardise(x)
        s = abs(self.scale)
        kind = self.kind
        if kind in ("normal", "sparse"):
            return np.exp(log_phi(z)) / s
        if kind == "uniform":
            return np.where(np.abs(z) <= 1.0, 0.5 / s, 0.0)
        if kind == "trunc_normal":
            alpha, beta = self.alpha, self.beta
            inside = (z >= alpha) & (z <= beta)
            with np.errstate(over="ignore"):  # outside a far-tail support φ(z)/mass overflows: not used
                return np.where(inside, np.exp(log_phi(z) - log_mass(alpha, beta)), 0.0) / s
        h = 0.5 * (self.haar_dim - 1)  # orthogonal: (u+1)/2 ~ Beta(h, h)
        with np.errstate(divide="ignore", invalid="ignore"):
            dens = np.exp((h - 1) * np.log1p(-np.square(z)) - special.betaln(h, h) - (2 * h - 1) * math.log(2.0))
        return np.where(np.abs(z) < 1.0, dens, 0.0) / s

    def cdf(self, x) -> np.ndarray:
        """Distribution function P(w ≤ x) (continuous laws only)."""
        z = self._standardise(x)
        kind = self.kind
        if kind in ("normal", "sparse"):
            return special.ndtr(z)
        if kind == "uniform":
            return np.clip(0.5 * (z + 1.0), 0.0, 1.0)
        if kind == "trunc_normal":
            alpha, beta = self.alpha, self.beta
            zc = np.clip(z, alpha, beta)
            if alpha >= 0.0:  # upper tail: 1 − P(−w' ≤ −x) on the mirrored interval
                return 1.0 - np.exp(log_mass_upto(-beta, -zc) - log_mass(-beta, -alpha))
            return np.exp(log_mass_upto(alpha, zc) - log_mass(alpha, beta))
        h = 0.5 * (self.haar_dim - 1)
        return special.betainc(h, h, np.clip(0.5 * (z + 1.0), 0.0, 1.0))

    # --- sampling ----------------------------------------------------------------------------
    @rng_alias
    def base(self, shape=None, seed=None, dtype="float64", draws: int = DEFAULT_DRAWS) -> np.ndarray:
        """One draw of the base distribution (see :attr:`base_key`) in ``dtype``, from ``seed``
        (an int, a SeedSequence, a Generator or None: :func:`initviz.as_generator`). ``draws``: the
        draw version (:mod:`initviz.normals`) of the ``normal`` kind's standard normals and of the
        ``orthogonal`` and ``delta_orthogonal`` kinds' Gaussian and QR (:func:`initviz.draws.haar`);
        every other kind draws as it always has, whatever the version."""
        shape = self._sample_shape(shape)
        dt = as_dtype(dtype)
        draws = check_draws(draws)
        gen = as_generator(seed)
        kind = self.kind
        if kind in _IID:
            return chunked(self._fill(dt, draws), shape, gen, dt)
        if kind == "orthogonal":
            return haar(shape, gen, dt, draws)
        if kind == "sparse":
            return sparse_pattern(shape, math.ceil(self.sparsity * shape[0]), gen, dt)
        if kind == "delta_orthogonal":
            return delta_orthogonal(shape, gen, dt, draws)
        return deterministic_pattern(kind, shape, self.groups, dt)

    def _fill(self, dt: np.dtype, draws: int = DEFAULT_DRAWS):
        """``fill(out, gen)``: ``out`` (1-D, dtype ``dt``) ← i.i.d. base draws from ``gen`` (a normal's
        of draw version ``draws``)."""
        kind = self.kind
        if kind == "normal":
            return filler(draws, dt)
        if kind == "uniform":
            def uniform(out, gen):
                gen.random(dtype=dt, out=out)
                out *= dt.type(2)
                out -= dt.type(1)
            return uniform
        if kind == "rademacher":
            def rademacher(out, gen):
                np.multiply(gen.integers(0, 2, size=out.size, dtype=np.int8), 2, out=out)
                out -= dt.type(1)
            return rademacher
        alpha, beta = self.alpha, self.beta
        if math.exp(log_mass(alpha, beta)) >= TRUNC_REJECTION_MIN_MASS:
            return functools.partial(fill_by_rejection, alpha, beta, dt)
        return lambda out, gen: np.copyto(out, draw_by_inverse(alpha, beta, out.size, gen), casting="unsafe")

    def transform(self, base: np.ndarray) -> np.ndarray:
        """``loc + scale · base``, kept inside the support (rounding could step over a cut point)."""
        return self._shift(base * base.dtype.type(self.scale))

    def _shift(self, out: np.ndarray) -> np.ndarray:
        """``out`` (= scale·base) + loc, clipped to the support, in place."""
        if self.loc:
            out += out.dtype.type(self.loc)
        if self.kind in ("trunc_normal", "uniform"):
            np.clip(out, *self.support, out=out)
        return out

    @rng_alias
    def sample(self, shape=None, seed=None, dtype="float64", draws: int = DEFAULT_DRAWS) -> np.ndarray:
        """A fresh tensor of this law: ``transform(base(shape, seed, dtype, draws))`` (computed in place on
        the fresh base — the same numbers without a second tensor).

        ``shape`` defaults to the law's own; shape-dependent kinds (orthogonal, eye, dirac, sparse)
        accept only that shape. ``seed``: an int, a SeedSequence, a Generator or None (see
        :func:`initviz.as_generator`; ``rng=`` is its deprecated name). ``draws``: the draw version
        of a normal or orthogonal law's draws (:mod:`initviz.normals`; 1, the default, is numpy's ziggurat).
        """
        out = self.base(shape, seed, dtype, draws)
        out *= out.dtype.type(self.scale)
        return self._shift(out)

    @rng_alias
    def entries(self, count: int, seed=None, dtype="float64") -> np.ndarray:
        """The entries (flat) of one draw of this law's tensor when it has at most ``count`` of them;
        else ``count`` entries, each with this law, drawn without making the whole tensor:

        * i.i.d. and constant kinds: ``count`` fresh entries;
        * orthogonal, flattened to (rows, cols): the first c = ⌊count/rows⌋ columns when rows ≥ cols,
          the first r = ⌊count/cols⌋ rows (at least one; then its first ``count`` entries) when
          rows < cols. A column (row) subset of a Haar matrix with orthonormal columns (rows) is
          Haar of that shape, with the same entry law (variance 1/max(rows, cols));
        * sparse: the first ⌊count/rows⌋ columns (each column has its own ⌈sparsity·rows⌉ zeros);
        * eye and dirac (deterministic): ``count`` distinct positions drawn uniformly, each entry
          read from the pattern's rule (eye: 1 where i = j; dirac: 1 at the centre tap of input
          channel d of output channel g·(out/groups) + d, d < min(out/groups, in));
        * delta_orthogonal: ``count`` distinct positions drawn uniformly; the m of them at the centre
          tap take the first m entries of a Haar (out, ⌈m/out⌉) column part of the tap, the others 0.
        """
        shape = self._sample_shape(None) if self.shape is not None else (count,)
        total = math.prod(shape)
        if total <= count:
            return self.sample(shape, seed, dtype).ravel()
        if self.kind not in _SHAPED:
            return self.sample((count,), seed, dtype)
        if self.kind == "delta_orthogonal":
            return self._delta_entries(shape, count, as_generator(seed), as_dtype(dtype))
        rows, cols = shape[0], total // shape[0]
        if self.kind in ("orthogonal", "sparse"):
            part = (rows, max(1, count // rows)) if self.kind == "sparse" or rows >= cols else \
                (max(1, count // cols), cols)
            return _replace(self, shape=part).sample(seed=seed, dtype=dtype).ravel()[:count]
        gen = as_generator(seed)
        where = np.unravel_index(gen.choice(total, size=count, replace=False), shape)
        if self.kind == "eye":
            ones = where[0] == where[1]
        else:
            per_group = shape[0] // self.groups
            d = where[0] % per_group
            ones = (where[1] == d) & (d < min(per_group, shape[1]))
            for axis, k in zip(where[2:], shape[2:]):
                ones &= axis == k // 2
        return self.transform(ones.astype(as_dtype(dtype)))

    def _delta_entries(self, shape, count: int, gen: np.random.Generator, dt: np.dtype) -> np.ndarray:
        """:meth:`entries` of a delta_orthogonal kernel larger than ``count``."""
        where = np.unravel_index(gen.choice(math.prod(shape), size=count, replace=False), shape)
        centre = np.ones(count, dtype=bool)
        for axis, k in zip(where[2:], shape[2:]):
            centre &= axis == (k - 1) // 2
        out = np.zeros(count, dtype=dt)
        m = int(centre.sum())
        if m:
            tap = Law("orthogonal", scale=self.scale, shape=(shape[0], -(-m // shape[0])))
            out[centre] = tap.sample(seed=gen, dtype=dt).ravel()[:m]
        return out

    def _sample_shape(self, shape) -> tuple[int, ...]:
        if shape is None:
            if self.shape is None:
                raise invalid("shape", "be given (this law has no shape of its own)", None)
            return self.shape
        shape = as_shape(shape)
        if self.kind in _SHAPED and shape != self.shape:
            raise invalid("shape", f"equal the law's shape {self.shape} for kind={self.kind!r}", shape)
        return shape

    def scaled(self, c: float) -> "Law":
        """The law of c·W."""
        c = float(c)
        if self.kind in _SIGNED:
            return _replace(self, scale=self.scale * c)
        if self.kind == "trunc_normal":
            a, b = sorted((self.a * c, self.b * c))
            if c == 0:
                return Law("constant", scale=0.0)
            return _replace(self, loc=self.loc * c, scale=self.scale * abs(c), a=a, b=b)
        return _replace(self, loc=self.loc * c, scale=self.scale * abs(c))

    def _describe(self) -> str:
        return f"Law(kind={self.kind!r}, loc={self.loc}, scale={self.scale})"


def _replace(law: Law, **changes) -> Law:
    fields = {name: getattr(law, name) for name in Law.__dataclass_fields__}
    fields.update(changes)
    return Law(**fields)


def law_with_variance(kind: str, var: float, shape=None) -> Law:
    """The zero-mean law of ``kind`` whose *realised* entry variance is ``var``.

    * normal N(0, var); uniform U(±√(3·var)); rademacher ±√var;
    * trunc_normal: cut at ±2 parent std, parent std √var/0.87962566103423978 (Keras/JAX);
    * orthogonal (needs ``shape``): gain g = √(var·N), N = max(rows, numel/rows), so g²/N = var.

    A given ``shape`` is attached to the law (so ``law.sample()`` needs no shape).
    """
    if kind not in EQUAL_VARIANCE_KINDS:
        raise one_of("kind", EQUAL_VARIANCE_KINDS, kind)
    if not isinstance(var, (int, float, np.number)) or isinstance(var, bool) or not var >= 0 \
            or not math.isfinite(var):
        raise invalid("var", "be a finite number >= 0", var)
    s = math.sqrt(var)
    if kind == "uniform":
        return Law("uniform", scale=math.sqrt(3.0 * var), shape=shape)
    if kind == "trunc_normal":
        if s == 0:
            raise invalid("var", "be > 0 for trunc_normal", var)
        sigma = s / TRUNC_STD_RATIO
        return Law("trunc_normal", scale=sigma, a=-TRUNC_CUT * sigma, b=TRUNC_CUT * sigma, shape=shape)
    if kind == "orthogonal":
        if shape is None:
            raise invalid("shape", "be given for kind='orthogonal'", None)
        probe = Law("orthogonal", shape=shape)
        return Law("orthogonal", scale=math.sqrt(var * probe.haar_dim), shape=probe.shape)
    return Law(kind, scale=s, shape=shape)


__all__ = ["Law", "law_with_variance", "KINDS", "EQUAL_VARIANCE_KINDS", "DTYPES", "TRUNC_CUT",
           "TRUNC_STD_RATIO", "as_dtype", "as_shape", "InitvizError"]
