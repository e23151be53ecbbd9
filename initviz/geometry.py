"""Monte Carlo geometry of random vectors and matrices, measured beside :mod:`initviz.randmat`.

The source's Corollaries 1–4, sampled (torch layout: W is m×n, m = fan_out, n = fan_in):

* :func:`sample_angles` — angles between pairs of independent random vectors of ℝⁿ;
* :func:`gram_matrix`, :func:`gram_deviations` — G = WᵀW and its deviation from I, measured four
  ways: the mean over the n² entries of (G − I)² (the source's number), its diagonal and
  off-diagonal parts, and the operator norm ‖G − I‖₂;
* :func:`gram_sweep` — the same against the dimension n, for several distributions and aspect
  ratios m/n, with the theory beside every point (a tidy table);
* :func:`gram_spectrum` — the eigenvalues of WᵀW, binned, with the Marchenko–Pastur masses;
* :func:`norm_ratios` — ‖Wx‖/‖x‖, binned, with its law.

Matrices come from an :class:`Ensemble`: an equal-variance law (:func:`initviz.laws.law_with_variance`)
at a variance rule "1/m", "1/n" or "2/(m+n)" (times gain²), or a named init scheme
(:func:`initviz.initializers.law` with shape (m, n)).

**Exact routes, and the one estimate.** Nothing O(n³) is formed when something cheaper is exact:

* ‖WᵀW − I_n‖²_F = ‖WWᵀ − I_m‖²_F + (n − m) when m < n (the n − m zero eigenvalues of WᵀW each
  contribute 1), so the Gram of the *smaller* side suffices; the diagonal part needs only the column
  norms; the off-diagonal part is the difference.
* ‖WᵀW − I‖₂ = max(|μ_max − 1|, |μ_min − 1|, and 1 if n > m), μ the eigenvalues of the smaller
  Gram: ``eigvalsh`` up to :data:`EIGH_MAX_DIM`, above it Lanczos (Krylov) with full
  reorthogonalisation, stopped when the error estimates of both spectral ends put ‖G − I‖₂ within
  :data:`KRYLOV_RTOL`·μ_max of the estimate (:func:`_krylov_opnorm`). Ritz values lie inside the
  spectrum, so this is a lower bound that converges from below; the tests check it against
  ``eigvalsh`` (measured error ≤ 0.3·KRYLOV_RTOL·μ_max).
* When the Gram of the smaller side would cost more than :data:`GRAM_EXACT_WORK` multiply–adds
  (square n ≳ 1290), the off-diagonal mean square is measured on the first c columns only, c(c−1)
  pairs with m·c² ≤ :data:`GRAM_EXACT_WORK` (columns are exchangeable for every law here, so this is
  unbiased for the full matrix's expectation; relative SE ≈ √2/c). The diagonal part and the
  operator norm always use the whole matrix. ``gram_columns`` records c (= n when exact).

float32 is the default for matrices: the Gram is accumulated by BLAS in float32 (relative error
~1e-7·√m per entry) and every sum of squares in float64; float64 gives the same numbers to
~1e-5 relative (tested at 700×600). An orthogonal W with m ≥ n then shows a rounding floor ~1e-14 instead of 0.

**Randomness.** Every function takes ``seed``: an int, a SeedSequence or a ``np.random.Generator``
(:func:`initviz.rng.as_generator`); independent streams are spawned from it
(``Generator.spawn``), never global state. i.i.d. laws are drawn by :meth:`initviz.laws.Law.base`
in cache-sized chunks from spawned child streams, on two threads
(:data:`initviz.limits.SAMPLE_CHUNK_ENTRIES`). A sweep draws one base matrix B per ensemble at
the largest size and cuts every smaller size from it: the repeats at one n are *disjoint* blocks
(independent), different n overlap (common random numbers, so the curves are smooth); orthogonal
and sparse laws, which are not i.i.d., are drawn afresh for every block. Each point's matrices
have exactly the law of independent draws at that size — a block of an i.i.d. array is i.i.d.,
and the size's own scale s(m, n) multiplies the block's statistics (s·B is never formed) — so
every point, mean and band is exact in law; what sharing changes is the joint law *across* n:
neighbouring points are positively correlated, so a curve's wiggles are not independent errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg

from . import randmat
from .errors import invalid, one_of
from .laws import EQUAL_VARIANCE_KINDS, Law, as_dtype, law_with_variance
from .limits import check_float, check_int
from .rng import as_generator

IID_KINDS = ("normal", "uniform", "rademacher", "trunc_normal")
"""Law kinds with i.i.d. entries: sampled in chunks and shared across a sweep's block sizes."""

DEFAULT_KINDS = IID_KINDS
"""Distributions compared at equal variance by default."""

MAX_DIM = 16384
"""Largest m or n of one matrix."""

MAX_MATRIX_ENTRIES = 2 ** 24
"""Most entries m·n of one matrix (4096² in float32 is 64 MiB)."""

MAX_ANGLE_DIM = 100_000
"""Largest dimension for sampled angles."""

MAX_ANGLE_ENTRIES = 2 ** 24
"""Most entries 2·pairs·n drawn by :func:`sample_angles`, per distribution."""

MAX_PAIRS = 100_000
"""Most vector pairs per distribution in :func:`sample_angles`."""

MAX_REPEATS = 256
"""Most independent matrices per point."""

MAX_SWEEP_POINTS = 64
"""Most dimensions in one sweep."""

GRAM_EXACT_WORK = 2 ** 31
"""Largest min(m,n)²·max(m,n) for which the full smaller Gram is formed (~0.04 s in float32)."""

EIGH_MAX_DIM = 128
"""Largest min(m, n) whose Gram spectrum is computed by ``eigvalsh`` in a deviation measurement."""

KRYLOV_MAX_STEPS = 160
"""Most Lanczos steps (Krylov dimension) for the operator norm; the square i.i.d. sweep needs 20–50."""

KRYLOV_RTOL = 1e-4
"""Lanczos stops when ‖G − I‖₂ can exceed its estimate by at most this times μ_max (error estimates
of :func:`_krylov_opnorm`)."""

SWEEP_KRYLOV_RTOL = 1e-3
"""KRYLOV_RTOL for the points of :func:`gram_sweep`, which are Monte-Carlo means shown with their
spread: μ_max of one square n×n matrix (entry variance 1/n) fluctuates around 4 by the Tracy–Widom
law, sd ≈ 1.27·2^(4/3)·n^(−2/3) (3.1e-3·μ_max at n = 4096, the sweep's largest and least-repeated
point; 2 % at n = 256), so a stopping error of at most 1e-3·μ_max (measured: ≤ 0.3 of it) is under a
third of one matrix's own spread; at n = 4096 Lanczos then takes 27–44 steps instead of 35–70
(the four-distribution sweep to 4096: 1.57 → 1.39 s). Single matrices keep KRYLOV_RTOL."""

SAMPLE_CHUNK_ENTRIES = 2 ** 18
"""Entries per row chunk of W when summing its column norms (fits in cache)."""

SWEEP_REPEAT_ENTRIES = 2 ** 21
"""A sweep uses repeats(n) = clip(SWEEP_REPEAT_ENTRIES // (m·n), 1, repeats): fewer repeats where
one matrix already averages many entries (the SE of the entrywise mean shrinks like 1/n)."""

MAX_SWEEP_ENTRIES = 2 ** 26
"""Most entries drawn by one sweep per ensemble (the shared base plus fresh draws)."""

MAX_ORTHOGONAL_WORK = 2 ** 33
"""Most QR work Σ min(m,n)²·max(m,n) for the fresh orthogonal draws of one sweep (~seconds)."""

SPECTRUM_MAX_WORK = 2 ** 31
"""Most eigensolver work repeats·min(m,n)³ in :func:`gram_spectrum`."""

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

BAND = (0.05, 0.95)
"""Quantiles over repeats reported as a point's band (``_lo``, ``_hi``)."""

ZERO_EIGENVALUE = 1e-9
"""Eigenvalues below this times m·s² (or times the largest) are the exact zeros of a wide WᵀW."""

STATS = ("msq", "msq_diag", "msq_offdiag", "opnorm")
"""The four deviations of WᵀW from I: entrywise mean square (all n² entries), its mean over the
diagonal and over the off-diagonal entries, and the operator norm ‖WᵀW − I‖₂."""


# --- ensembles: how a matrix is drawn ------------------------------------------------------------

@dataclass(frozen=True)
class Ensemble:
    """A distribution over m×n matrices (torch layout (fan_out, fan_in)).

    * ``Ensemble("normal", rule="1/m", gain=1.0)`` — an equal-variance law
      (:data:`initviz.laws.EQUAL_VARIANCE_KINDS`) with variance gain²·rule(m, n);
    * ``Ensemble("kaiming_normal", scheme=True, params=(("nonlinearity", "relu"),))`` — a named
      scheme of :data:`initviz.initializers.SCHEMES`, whose own fans fix the variance
      (``rule`` and ``gain`` are ignored; use the scheme's ``gain`` parameter).
    """

    name: str
    rule: str = "1/m"
    gain: float = 1.0
    scheme: bool = False
    params: tuple = ()

    def __post_init__(self):
        if self.scheme:
            from .initializers import get_scheme
            get_scheme(self.name)
            object.__setattr__(self, "params", tuple(sorted(dict(self.params).items())))
        else:
            if self.name not in EQUAL_VARIANCE_KINDS:
                raise one_of("kind", EQUAL_VARIANCE_KINDS, self.name)
            if self.rule not in randmat.RULES:
                raise one_of("rule", randmat.RULES, self.rule)
            object.__setattr__(self, "gain", check_float("gain", self.gain, 0.0))
            if self.gain == 0.0:
                raise invalid("gain", "be > 0", self.gain)

    @classmethod
    def named(cls, scheme: str, **params) -> "Ensemble":
        """A named init scheme with its parameters (torch names)."""
        return cls(scheme, scheme=True, params=tuple(params.items()))

    @property
    def label(self) -> str:
        """Short legend text: ``normal`` (with `×g` when gain ≠ 1) or the scheme with its parameters."""
        if self.scheme:
            return self.name + "".join(f" {k}={v}" for k, v in self.params)
        return self.name if self.gain == 1.0 else f"{self.name} ×{self.gain:g}"

    def law(self, m: int, n: int) -> Law:
        """The entry law of an m×n matrix."""
        if self.scheme:
            from .initializers import law
            out = law(self.name, (m, n), **dict(self.params))
        else:
            out = law_with_variance(self.name, self.gain ** 2 * randmat.rule_variance(self.rule, m, n), shape=(m, n))
        if not out.is_random or out.mean != 0.0 or out.var == 0.0:
            raise invalid("ensemble", "draw random matrices with mean 0 and variance > 0", self.label)
        return out


def as_ensemble(spec, rule: str = "1/m") -> Ensemble:
    """An :class:`Ensemble` from itself, an equal-variance kind name (with ``rule``) or a scheme name."""
    if isinstance(spec, Ensemble):
        return spec
    if isinstance(spec, str) and spec in EQUAL_VARIANCE_KINDS:
        return Ensemble(spec, rule=rule)
    if isinstance(spec, str):
        return Ensemble(spec, scheme=True)
    raise invalid("ensemble", "be an Ensemble, a law kind or a scheme name", spec)


def theory_deviation(law: Law, m: int, n: int) -> randmat.GramDeviation | None:
    """The expected entrywise deviation for ``law`` when a closed form exists (zero-mean random laws)."""
    if law.kind in (*IID_KINDS, "orthogonal", "sparse"):
        return randmat.gram_deviation_for_law(law, m, n)
    return None


def theory_opnorm(law: Law, m: int, n: int) -> tuple[float, float]:
    """(limit, finite-n approximation) of ‖WᵀW − I‖₂: orthogonal is exact (|g²−1|, at least 1 when
    n > m) for both; i.i.d. laws give :func:`randmat.opnorm_limit` and the Tracy–Widom-centred top
    eigenvalue (:func:`randmat.wishart_top_mean`) combined with the lower edge's limit; NaN otherwise."""
    if law.kind == "orthogonal":
        exact = abs(law.scale ** 2 - 1.0)
        exact = max(exact, 1.0) if n > m else exact
        return exact, exact
    if law.kind not in IID_KINDS:
        return math.nan, math.nan
    limit = randmat.opnorm_limit(m, n, law.var)
    if min(m, n) < 2:
        return limit, math.nan
    lo = randmat.marchenko_pastur(m, n, law.var).lo
    finite = max(abs(randmat.wishart_top_mean(m, n, law.var) - 1.0), abs(lo - 1.0), 1.0 if n > m else 0.0)
    return limit, finite


# --- sampling ----------------------------------------------------------------------------------

def _check_shape(m, n) -> tuple[int, int]:
    m, n = check_int("m", m, 1, MAX_DIM), check_int("n", n, 1, MAX_DIM)
    if m * n > MAX_MATRIX_ENTRIES:
        raise invalid("n", f"keep m·n = {m * n:,} within MAX_MATRIX_ENTRIES = {MAX_MATRIX_ENTRIES:,}", n)
    return m, n


def _iid_base(law: Law, m: int, n: int, gen: np.random.Generator, dtype) -> np.ndarray:
    """The base draw of an i.i.d. law as an m×n array (chunked and threaded by :meth:`Law.base`)."""
    return law.base((m, n), gen, dtype)


def sample_matrix(ensemble, m: int, n: int, seed=None, dtype="float32") -> np.ndarray:
    """One m×n matrix of ``ensemble`` (an :class:`Ensemble` or a kind/scheme name, rule 1/m)."""
    m, n = _check_shape(m, n)
    ens = as_ensemble(ensemble)
    law = ens.law(m, n)
    gen = as_generator(seed)
    dt = as_dtype(dtype)
    if law.kind in IID_KINDS:
        return law.transform(_iid_base(law, m, n, gen, dt))
    return law.sample((m, n), gen, dt)


# --- the four deviations of one matrix -----------------------------------------------------------

def _ritz_error(theta: np.ndarray, residual: np.ndarray, i: int, neighbour: int) -> float:
    """Error estimate of the Ritz value θ_i: min(‖r_i‖, ‖r_i‖²/δ), δ = |θ_i − θ_neighbour| (sorted
    θ: the next one inwards). Some eigenvalue lies within ‖r_i‖ of θ_i (a bound); ‖r_i‖²/δ is the
    Kato–Temple bound with the Ritz gap standing in for the unknown true gap (Parlett, *The
    Symmetric Eigenvalue Problem*, §10.6; an estimate: the neighbour interlaces the true one)."""
    r = float(residual[i])
    if theta.size == 1:
        return r
    gap = abs(float(theta[i] - theta[neighbour]))
    return min(r, r * r / gap) if gap > 0 else r


def _krylov_opnorm(apply, k: int, dtype, need_lo: bool, gen: np.random.Generator,
                   rtol: float = KRYLOV_RTOL) -> tuple[float, float]:
    """(μ_min, μ_max) Ritz estimates of a symmetric PSD operator G on ℝᵏ by Lanczos.

    One start vector v₀ (Gaussian from ``gen``); each step applies G to the newest basis vector
    v_j (a matrix–vector product, which streams G — or W twice — at memory speed; an 8-column
    block costs ~4× as much per pass, as OpenBLAS packs W for every skinny product, and did not
    need proportionally fewer steps) and orthogonalises G v_j against the whole basis V (classical
    Gram–Schmidt, twice: full reorthogonalisation), which leaves α_j = v_jᵀGv_j and
    β_j = ‖G v_j − V Vᵀ G v_j‖; VᵀGV is then the tridiagonal T_j = tridiag(β, α, β) to rounding
    (float32 basis: ~1e-7·μ_max). Its eigenpairs (θ_i, s_i) — ``scipy.linalg.eigh_tridiagonal``,
    O(j²) and free of BLAS threads — are the Ritz values, and the Ritz vector V s_i has residual
    ‖r_i‖ = β_j |s_{j,i}|. Ritz values lie inside the spectrum, θ_min ≥ μ_min ≥ 0 and
    θ_max ≤ μ_max, so the returned ends err inwards (lower bounds of ‖G − I‖₂'s two candidates).
    Stops when ‖G − I‖₂ = max(μ_max − 1, 1 − μ_min) can exceed its estimate by at most
    ``rtol``·θ_max under the error estimates of :func:`_ritz_error` (μ_min's also capped by
    θ_min, as G is PSD), when the Krylov space is exhausted (β = 0 or k steps: then exact), or
    after KRYLOV_MAX_STEPS steps. ``need_lo=False`` ignores μ_min (it cannot matter when n > m,
    where the zero eigenvalues already give 1)."""
    steps = min(KRYLOV_MAX_STEPS, k)
    basis = np.empty((steps, k), dtype=dtype)
    alpha, beta = np.empty(steps), np.empty(steps)
    start = gen.standard_normal(k)
    basis[0] = start / np.linalg.norm(start)
    for j in range(steps):
        vs = basis[:j + 1]
        image = apply(basis[j])
        coef = vs @ image
        image -= coef @ vs
        image -= (vs @ image) @ vs
        alpha[j], beta[j] = coef[j], np.linalg.norm(image)
        theta, vectors = linalg.eigh_tridiagonal(alpha[:j + 1], beta[:j], check_finite=False)
        residual = beta[j] * np.abs(vectors[-1])
        lo, hi = float(theta[0]), float(theta[-1])
        norm = max(hi - 1.0, 1.0 - lo if need_lo else -math.inf)
        bound = max(hi + _ritz_error(theta, residual, -1, -2) - 1.0,
                    1.0 - lo + min(_ritz_error(theta, residual, 0, 1), lo) if need_lo else -math.inf)
        if bound - norm <= rtol * hi or beta[j] == 0.0 or j + 1 == steps:
            break
        basis[j + 1] = image / beta[j]
    return lo, hi


def _row_chunks(w: np.ndarray):
    """Row slices of W of about SAMPLE_CHUNK_ENTRIES entries (they stay in cache)."""
    rows = max(1, SAMPLE_CHUNK_ENTRIES // w.shape[1])
    return [w[start:start + rows] for start in range(0, w.shape[0], rows)]


def _column_norms(w: np.ndarray) -> np.ndarray:
    """‖w_i‖² for every column: float products summed per chunk, chunks summed in float64."""
    out = np.zeros(w.shape[1])
    for chunk in _row_chunks(w):
        out += np.einsum("ij,ij->j", chunk, chunk)
    return out


def _gram_operator(w: np.ndarray, s2: float, gram: np.ndarray | None = None):
    """x ↦ s²·WᵀW x: with the formed Gram one matrix–vector product, else two, each one pass over W.
    (Streaming W in row chunks through both products — one pass — saved 12–15 % of a 4096×4096
    Lanczos run with one BLAS thread and nothing or worse with two, depending on the chunk size.)"""

    def apply(x):
        out = gram @ x if gram is not None else w.T @ (w @ x)
        out *= s2
        return out

    return apply


def _square_sums(gram: np.ndarray, s2: float) -> tuple[float, float]:
    """(Σ_{i≠j} G_ij², Σ_i (G_ii − 1)²) for G = s²·``gram`` (k×k), products and sums in float64
    (``einsum`` casts in buffers: no float64 copy). The off-diagonal entries are summed directly —
    the flat array after G_00 is k − 1 rows of k + 1, each k off-diagonal entries then the next
    diagonal one — so an orthogonal W's zero deviation stays at its rounding floor, where
    ‖G‖²_F − Σ G_ii² would cancel to ±k·1e-16."""
    k = gram.shape[0]
    off = gram.reshape(-1)[1:].reshape(k - 1, k + 1)[:, :k]
    diag = s2 * np.diagonal(gram).astype(np.float64)
    return s2 * s2 * float(np.einsum("ij,ij->", off, off, dtype=np.float64)), float(np.sum(np.square(diag - 1.0)))


def matrix_deviations(w: np.ndarray, seed=None) -> dict:
    """The deviations of G = WᵀW from I for one matrix (see :data:`STATS` and the module docstring).

    Returns a dict: ``msq`` = ‖G − I‖²_F/n², ``msq_diag`` = mean_i (‖w_i‖² − 1)², ``msq_offdiag`` =
    mean_{i≠j} G_ij² (NaN when n = 1), ``opnorm`` = ‖G − I‖₂, ``gram_columns`` = columns behind the
    off-diagonal mean (n when exact). ``seed`` feeds the Lanczos start vector, used only above
    :data:`EIGH_MAX_DIM`.
    """
    w = np.asarray(w)
    if w.ndim != 2 or w.dtype.name not in ("float32", "float64") or not np.all(np.isfinite(w)):
        raise invalid("w", "be a finite 2-D float32/float64 array", getattr(w, "shape", w))
    return _deviations(w, 1.0, as_generator(seed))


def _deviations(w: np.ndarray, scale: float, gen: np.random.Generator, rtol: float = KRYLOV_RTOL) -> dict:
    """:func:`matrix_deviations` of s·W (s = ``scale``; Lanczos to ``rtol``) without forming it: the products are of W
    (which may be a strided block of a sweep's unscaled base) and every result is scaled by s² (s⁴
    for squares) in float64. Equal to the deviations of the rounded s·W up to rounding: each entry
    of s·W rounds by 2⁻²⁴ relative in float32, and both sides sum m float32 products per column norm
    and Gram entry (≤ m·2⁻²⁴ relative, ~√m·2⁻²⁴ typically)."""
    s2 = float(scale) ** 2
    m, n = w.shape
    k = min(m, n)
    colsq = s2 * _column_norms(w)
    diag_sum = float(np.sum(np.square(colsq - 1.0)))
    exact = k * k * max(m, n) <= GRAM_EXACT_WORK
    gram = None
    if exact:
        gram = w.T @ w if m >= n else w @ w.T
        off_sum, diag_dev = _square_sums(gram, s2)
        fro2 = off_sum + diag_dev + (n - m if m < n else 0)
        columns = n
        offdiag = (fro2 - diag_sum) / (n * (n - 1)) if n > 1 else math.nan
    else:
        columns = max(2, int(math.isqrt(GRAM_EXACT_WORK // m)))
        block = w[:, :columns]
        offdiag = _square_sums(block.T @ block, s2)[0] / (columns * (columns - 1))
        fro2 = diag_sum + n * (n - 1) * offdiag
    if gram is not None and k <= EIGH_MAX_DIM:
        eig = s2 * np.linalg.eigvalsh(gram.astype(np.float64))
        lo, hi = float(eig[0]), float(eig[-1])
    else:
        lo, hi = _krylov_opnorm(_gram_operator(w, s2, gram), k if gram is not None else n, w.dtype, m >= n, gen,
                                rtol)
    opnorm = max(abs(hi - 1.0), abs(lo - 1.0) if m >= n else 1.0)
    return {"msq": fro2 / (n * n), "msq_diag": diag_sum / n, "msq_offdiag": offdiag, "opnorm": opnorm,
            "gram_columns": columns}


# --- summaries ----------------------------------------------------------------------------------

def _summary(values: np.ndarray) -> tuple[float, float, float, float]:
    """mean, std (ddof 1; NaN for one value), and the BAND quantiles of repeated measurements."""
    values = np.asarray(values, dtype=float)
    std = float(np.std(values, ddof=1)) if values.size > 1 else math.nan
    lo, hi = np.quantile(values, BAND)
    return float(np.mean(values)), std, float(lo), float(hi)


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


def _bins(bins) -> int:
    return check_int("bins", bins, 1, MAX_BINS)


def _histogram(values: np.ndarray, edges: np.ndarray, cdf=None, total: int | None = None) -> Histogram:
    counts, _ = np.histogram(values, bins=edges)
    total = values.size if total is None else total
    expected = np.full(counts.shape, math.nan) if cdf is None else total * np.diff(cdf(edges))
    return Histogram(edges=edges, counts=counts, expected=expected, total=total)


# --- 1. angles ---------------------------------------------------------------------------------

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
        edges = np.linspace(0.5 * math.pi - half, 0.5 * math.pi + half, _bins(bins) + 1)
        return _histogram(self.theta[self.kinds.index(kind)], edges, lambda x: randmat.angle_cdf(x, self.n))

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
        x, y = (law.transform(_iid_base(law, pairs, n, gen, dt)) for _ in range(2))
        dots = np.einsum("ij,ij->i", x, y, dtype=np.float64)
        norms = np.sqrt(np.einsum("ij,ij->i", x, x, dtype=np.float64) * np.einsum("ij,ij->i", y, y, dtype=np.float64))
        thetas.append(np.arccos(np.clip(dots / norms, -1.0, 1.0)))
    return Angles(n=n, kinds=kinds, theta=np.array(thetas).reshape(len(kinds), pairs), theory=randmat.angle_moments(n))


# --- 2. WᵀW and its deviation from I ----------------------------------------------------------------

def gram_matrix(m: int, n: int, ensemble="normal", seed=None, dtype="float32") -> np.ndarray:
    """G = WᵀW (n×n, float64) for one sampled W (m×n), e.g. for a heatmap beside I."""
    m, n = _check_shape(m, n)
    if n * n > MAX_MATRIX_ENTRIES:
        raise invalid("n", f"keep n² within MAX_MATRIX_ENTRIES = {MAX_MATRIX_ENTRIES:,}", n)
    w = sample_matrix(ensemble, m, n, seed, dtype)
    return (w.T @ w).astype(np.float64)


@dataclass(frozen=True)
class GramDeviations:
    """The four deviations (:data:`STATS`) of ``repeats`` independent m×n matrices, with theory.

    ``values[stat]`` holds one value per repeat; ``theory`` is the expected entrywise deviation
    (:class:`randmat.GramDeviation`, or None without a closed form); ``theory_opnorm`` the operator
    norm's limit and ``theory_opnorm_finite`` its finite-size approximation (see :func:`theory_opnorm`).
    """

    m: int
    n: int
    ensemble: str
    law: Law
    values: dict = field(repr=False)
    gram_columns: int
    theory: randmat.GramDeviation | None
    theory_opnorm: float
    theory_opnorm_finite: float

    def to_frame(self):
        """One row per repeat: repeat, msq, msq_diag, msq_offdiag, opnorm."""
        import pandas as pd
        frame = pd.DataFrame(self.values)
        frame.insert(0, "repeat", np.arange(len(frame)))
        return frame


def gram_deviations(m: int, n: int, ensemble="normal", repeats: int = 8, seed=None,
                    dtype="float32") -> GramDeviations:
    """Measure the deviation of WᵀW from I for ``repeats`` independent m×n draws of ``ensemble``."""
    m, n = _check_shape(m, n)
    repeats = check_int("repeats", repeats, 1, MAX_REPEATS)
    ens = as_ensemble(ensemble)
    law = ens.law(m, n)
    rows = []
    for gen in as_generator(seed).spawn(repeats):
        draw, lanczos = gen.spawn(2)
        rows.append(matrix_deviations(sample_matrix(ens, m, n, draw, dtype), lanczos))
    values = {stat: np.array([row[stat] for row in rows]) for stat in STATS}
    limit, finite = theory_opnorm(law, m, n)
    return GramDeviations(m=m, n=n, ensemble=ens.label, law=law, values=values,
                          gram_columns=rows[0]["gram_columns"], theory=theory_deviation(law, m, n),
                          theory_opnorm=limit, theory_opnorm_finite=finite)


@dataclass(frozen=True)
class GramSweep:
    """Deviation of WᵀW from I against n, per ensemble and aspect ratio: one row per point.

    Columns (``data``, all 1-D arrays of equal length): ensemble, kind, rule, aspect (m/n), m, n,
    repeats, gram_columns; for each stat in :data:`STATS`: ``<stat>_mean``, ``_std``, ``_lo``,
    ``_hi`` (band = :data:`BAND` quantiles over repeats); theory: ``theory_msq``,
    ``theory_msq_diag``, ``theory_msq_offdiag``, ``theory_opnorm`` (limit) and
    ``theory_opnorm_finite``. ``dtype`` is the sampling precision.
    """

    data: dict = field(repr=False)
    dtype: str

    def to_frame(self):
        """The tidy table (pandas)."""
        import pandas as pd
        return pd.DataFrame(self.data)


def _repeats_at(m: int, n: int, repeats: int) -> int:
    return int(min(repeats, max(1, SWEEP_REPEAT_ENTRIES // (m * n))))


def _block_grid(big_m: int, big_n: int, m: int, n: int, count: int):
    """Top-left corners of ``count`` disjoint m×n blocks tiling a big_m×big_n array row by row."""
    per_row = big_n // n
    return [((i // per_row) * m, (i % per_row) * n) for i in range(count)]


def _sweep_points(dims, aspects):
    points = []
    for aspect in aspects:
        for n in dims:
            m = max(1, round(aspect * n))
            points.append((aspect, *_check_shape(m, n)))
    return points


def gram_sweep(dims=tuple(2 ** k for k in range(3, 13)), ensembles=DEFAULT_KINDS, rule: str = "1/m",
               aspects=(1.0,), repeats: int = 8, seed=None, dtype="float32") -> GramSweep:
    """The four deviations of WᵀW from I over n ∈ ``dims`` × ``ensembles`` × ``aspects`` (m = aspect·n).

    Each ensemble (an :class:`Ensemble`, or a kind name taking ``rule``, or a scheme name) is drawn
    once at the largest (m, n); every point uses repeats(n) = clip(SWEEP_REPEAT_ENTRIES // (m n),
    1, repeats) disjoint blocks of it (module docstring), so a whole sweep costs about one large draw
    per ensemble. Theory beside each point: :func:`theory_deviation` and :func:`theory_opnorm`.
    """
    dims = tuple(dims)
    if not 1 <= len(dims) <= MAX_SWEEP_POINTS:
        raise invalid("dims", f"hold 1 to {MAX_SWEEP_POINTS} dimensions", len(dims))
    aspects = tuple(check_float("aspects", a, 1e-4, 1e4) for a in aspects)
    if not aspects:
        raise invalid("aspects", "hold at least one m/n ratio", aspects)
    repeats = check_int("repeats", repeats, 1, MAX_REPEATS)
    ensembles = tuple(as_ensemble(e, rule) for e in ensembles)
    if not ensembles:
        raise invalid("ensembles", "hold at least one ensemble", ensembles)
    dt = as_dtype(dtype)
    points = _sweep_points(dims, aspects)
    plan = [(aspect, m, n, _repeats_at(m, n, repeats)) for aspect, m, n in points]
    big_m, big_n = max(m for _, m, _, _ in plan), max(n for _, _, n, _ in plan)
    for _, m, n, r in plan:  # every block grid must fit inside the shared base
        big_m = max(big_m, m * math.ceil(r / (big_n // n)))
    cols = {key: [] for key in ("ensemble", "kind", "rule", "aspect", "m", "n", "repeats", "gram_columns")}
    cols.update({f"{stat}_{part}": [] for stat in STATS for part in ("mean", "std", "lo", "hi")})
    cols.update({f"theory_{name}": [] for name in ("msq", "msq_diag", "msq_offdiag", "opnorm", "opnorm_finite")})
    for ens, gen in zip(ensembles, as_generator(seed).spawn(len(ensembles))):
        shared_gen, fresh_gen, lanczos_gen = gen.spawn(3)
        probe = ens.law(big_m, big_n)
        shared = probe.kind in IID_KINDS and all(ens.law(m, n).base_key == probe.base_key for _, m, n, _ in plan)
        _check_sweep_budget(ens, plan, shared, big_m * big_n)
        base = _iid_base(probe, big_m, big_n, shared_gen, dt) if shared else None
        for aspect, m, n, r in plan:
            law = ens.law(m, n)
            rows = []
            for top, left in _block_grid(big_m, big_n, m, n, r):
                if law.kind in IID_KINDS:  # s·block is never formed when loc = 0 (always, at mean 0)
                    block = base[top:top + m, left:left + n] if base is not None else _iid_base(law, m, n, fresh_gen, dt)
                    w, scale = (block, law.scale) if law.loc == 0.0 else (law.transform(block), 1.0)
                else:
                    w, scale = law.sample((m, n), fresh_gen, dt), 1.0
                rows.append(_deviations(w, scale, lanczos_gen, SWEEP_KRYLOV_RTOL))
            theory = theory_deviation(law, m, n)
            limit, finite = theory_opnorm(law, m, n)
            for key, value in (("ensemble", ens.label), ("kind", law.kind), ("rule", "scheme" if ens.scheme else ens.rule),
                               ("aspect", aspect), ("m", m), ("n", n), ("repeats", r),
                               ("gram_columns", rows[0]["gram_columns"]),
                               ("theory_msq", theory.total if theory else math.nan),
                               ("theory_msq_diag", theory.diag if theory else math.nan),
                               ("theory_msq_offdiag", theory.offdiag if theory else math.nan),
                               ("theory_opnorm", limit), ("theory_opnorm_finite", finite)):
                cols[key].append(value)
            for stat in STATS:
                for part, value in zip(("mean", "std", "lo", "hi"), _summary([row[stat] for row in rows])):
                    cols[f"{stat}_{part}"].append(value)
    return GramSweep(data={key: np.array(value) for key, value in cols.items()}, dtype=dt.name)


def _check_sweep_budget(ens: Ensemble, plan, shared: bool, base_entries: int) -> None:
    fresh = [] if shared else [(m, n, r) for _, m, n, r in plan]
    entries = (base_entries if shared else 0) + sum(m * n * r for m, n, r in fresh)
    if entries > MAX_SWEEP_ENTRIES:
        raise invalid("dims", f"keep the entries drawn for {ens.label} ({entries:,}) within "
                      f"MAX_SWEEP_ENTRIES = {MAX_SWEEP_ENTRIES:,}", max(n for _, _, n, _ in plan))
    if ens.law(plan[0][1], plan[0][2]).kind == "orthogonal":
        work = sum(min(m, n) ** 2 * max(m, n) * r for m, n, r in fresh)
        if work > MAX_ORTHOGONAL_WORK:
            raise invalid("dims", f"keep the orthogonal QR work Σ min(m,n)²·max(m,n) = {work:,} within "
                          f"MAX_ORTHOGONAL_WORK = {MAX_ORTHOGONAL_WORK:,}", max(n for _, _, n, _ in plan))


# --- 3. eigenvalues of WᵀW -----------------------------------------------------------------------

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
        edges = np.linspace(0.0, top, _bins(bins) + 1)
        positive = self.eigenvalues[self.eigenvalues > 0]
        return _histogram(positive, edges, lambda x: randmat.mp_cdf(x, self.m, self.n, self.law.var),
                          total=self.eigenvalues.size)

    def to_frame(self):
        """One row per eigenvalue (sorted)."""
        import pandas as pd
        return pd.DataFrame({"eigenvalue": self.eigenvalues})


def gram_spectrum(m: int, n: int, ensemble="normal", repeats: int = 1, seed=None,
                  dtype="float64") -> GramSpectrum:
    """All eigenvalues of WᵀW for ``repeats`` draws: ``eigvalsh`` of the smaller Gram plus the n − m
    exact zeros when n > m (the non-zero eigenvalues of WᵀW and WWᵀ coincide)."""
    m, n = _check_shape(m, n)
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


# --- 4. ‖Wx‖/‖x‖ -----------------------------------------------------------------------------------

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
        edges = np.linspace(max(0.0, centre - half), centre + half, _bins(bins) + 1)
        cdf = (lambda t: randmat.norm_ratio_cdf(np.square(t), self.m, self.n, self.law)) if self.exact_law else None
        return _histogram(self.ratios, edges, cdf)

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
    m, n = _check_shape(m, n)
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


# --- modelled CPU time of the app's Geometry computations ----------------------------------------

SWEEP_SECONDS = {256: 0.1, 512: 0.25, 1024: 0.4, 2048: 0.6, 4096: 2.0}
"""CPU seconds of one sweep n = 8 … ``sweep_max`` of an i.i.d. law, measured on the development
machine (2 cores; draws on two threads)."""

ORTHOGONAL_SWEEP_MAX = 1024
"""Orthogonal sweeps stop here: beyond it the QR work passes :data:`MAX_ORTHOGONAL_WORK`."""

ORTHOGONAL_SWEEP_SECONDS = {256: 0.2, 512: 0.55, 1024: 1.15}
"""The same for orthogonal W, whose sweep stops at :data:`ORTHOGONAL_SWEEP_MAX` (one QR per block)."""

SPECTRUM_EIGENVALUES = 4000
"""Eigenvalues the app's spectrum pools (Marchenko–Pastur histogram): repeats = ⌈4000 / n⌉."""

SPECTRUM_SECONDS_PER_EIGEN_WORK = 2.5e-10
"""CPU seconds per unit of repeats·min(m,n)³ (the eigensolver)."""

SECONDS_PER_QR_WORK = 1e-9
"""CPU seconds per unit of max(m,n)·min(m,n)² of one orthogonal draw (Householder QR and sign fix)."""

RECT_SECONDS_PER_ENTRY = 1e-6
"""CPU seconds per entry m·n of W in the ‖Wx‖/‖x‖ step (16 matrices drawn, 10,000 products)."""


def _distribution(ensemble) -> str:
    if not isinstance(ensemble, str) or ensemble not in EQUAL_VARIANCE_KINDS:
        raise one_of("ensemble", EQUAL_VARIANCE_KINDS, ensemble)
    return ensemble


def sweep_seconds(sweep_max: int, ensembles) -> float:
    """Modelled CPU seconds of the app's :func:`gram_sweep` n = 8 … ``sweep_max`` (one of the keys
    of :data:`SWEEP_SECONDS`) for each distribution in ``ensembles``: :data:`SWEEP_SECONDS` per
    i.i.d. law, :data:`ORTHOGONAL_SWEEP_SECONDS` at min(sweep_max, :data:`ORTHOGONAL_SWEEP_MAX`)
    for orthogonal W (measured on the development machine, 2 cores)."""
    if sweep_max not in SWEEP_SECONDS:
        raise one_of("sweep_max", tuple(SWEEP_SECONDS), sweep_max)
    return sum(ORTHOGONAL_SWEEP_SECONDS[min(sweep_max, ORTHOGONAL_SWEEP_MAX)] if _distribution(d) == "orthogonal"
               else SWEEP_SECONDS[sweep_max] for d in ensembles)


def spectrum_seconds(m: int, n: int, ensemble: str) -> float:
    """Modelled CPU seconds of the app's :func:`gram_spectrum` of m×n matrices pooling
    :data:`SPECTRUM_EIGENVALUES` eigenvalues (repeats = ⌈4000 / n⌉): the eigensolver,
    repeats·min(m,n)³·:data:`SPECTRUM_SECONDS_PER_EIGEN_WORK`, plus for orthogonal W the QR of
    each draw, repeats·max(m,n)·min(m,n)²·:data:`SECONDS_PER_QR_WORK`."""
    m, n = check_int("m", m, 1, MAX_DIM), check_int("n", n, 1, MAX_DIM)
    repeats = math.ceil(SPECTRUM_EIGENVALUES / n)
    seconds = repeats * min(m, n) ** 3 * SPECTRUM_SECONDS_PER_EIGEN_WORK
    if _distribution(ensemble) == "orthogonal":
        seconds += repeats * max(m, n) * min(m, n) ** 2 * SECONDS_PER_QR_WORK
    return seconds


def norm_ratio_seconds(m: int, n: int, ensemble: str) -> float:
    """Modelled CPU seconds of the app's :func:`norm_ratios` of m×n matrices (10,000 samples):
    m·n·:data:`RECT_SECONDS_PER_ENTRY`, plus for orthogonal W the QR of the :data:`NORM_MATRICES`
    draws, NORM_MATRICES·max(m,n)·min(m,n)²·:data:`SECONDS_PER_QR_WORK`."""
    m, n = check_int("m", m, 1, MAX_DIM), check_int("n", n, 1, MAX_DIM)
    seconds = m * n * RECT_SECONDS_PER_ENTRY
    if _distribution(ensemble) == "orthogonal":
        seconds += NORM_MATRICES * max(m, n) * min(m, n) ** 2 * SECONDS_PER_QR_WORK
    return seconds


__all__ = ["Ensemble", "as_ensemble", "sample_matrix", "matrix_deviations", "theory_deviation", "theory_opnorm",
           "Histogram", "Angles", "sample_angles", "gram_matrix", "GramDeviations", "gram_deviations",
           "GramSweep", "gram_sweep", "GramSpectrum", "gram_spectrum", "NormRatios", "norm_ratios",
           "IID_KINDS", "DEFAULT_KINDS", "STATS", "sweep_seconds", "spectrum_seconds", "norm_ratio_seconds",
           "SPECTRUM_EIGENVALUES", "ORTHOGONAL_SWEEP_MAX"]
