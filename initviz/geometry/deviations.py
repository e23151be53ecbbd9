"""The deviation of WᵀW from I for one matrix, four ways, by the cheapest exact route.

``msq`` = ‖WᵀW − I‖²_F/n² (the mean over the n² entries), its diagonal part mean_i (‖w_i‖² − 1)²,
its off-diagonal part mean_{i≠j} (w_iᵀw_j)², and the operator norm ‖WᵀW − I‖₂ — see the package
docstring (:mod:`initviz.geometry`) for the exact routes (the Gram of the smaller side, column
norms, ``eigvalsh`` or Lanczos) and the one estimate (the off-diagonal mean from the first c
columns above :data:`GRAM_EXACT_WORK`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg

from .. import randmat
from ..errors import invalid
from ..laws import Law
from ..limits import check_int
from ..rng import as_generator
from .ensembles import MAX_MATRIX_ENTRIES, MAX_REPEATS, as_ensemble, check_shape, sample_matrix, theory_deviation, theory_opnorm

STATS = ("msq", "msq_diag", "msq_offdiag", "opnorm")
"""The four deviations of WᵀW from I: entrywise mean square (all n² entries), its mean over the
diagonal and over the off-diagonal entries, and the operator norm ‖WᵀW − I‖₂."""

GRAM_EXACT_WORK = 2 ** 31
"""Largest min(m,n)²·max(m,n) for which the full smaller Gram is formed (~0.04 s in float32)."""

EIGH_MAX_DIM = 128
"""Largest min(m, n) whose Gram spectrum is computed by ``eigvalsh`` in a deviation measurement."""

KRYLOV_MAX_STEPS = 160
"""Most Lanczos steps (Krylov dimension) for the operator norm; the square i.i.d. sweep needs 20–50."""

KRYLOV_RTOL = 1e-4
"""Lanczos stops when ‖G − I‖₂ can exceed its estimate by at most this times μ_max (error estimates
of :func:`_krylov_opnorm`)."""

ROW_CHUNK_ENTRIES = 2 ** 18
"""Entries per row chunk of W when summing its column norms (fits in cache)."""


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
    """Row slices of W of about ROW_CHUNK_ENTRIES entries (they stay in cache)."""
    rows = max(1, ROW_CHUNK_ENTRIES // w.shape[1])
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
    return deviations(w, 1.0, as_generator(seed))


def deviations(w: np.ndarray, scale: float, gen: np.random.Generator, rtol: float = KRYLOV_RTOL) -> dict:
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


def gram_matrix(m: int, n: int, ensemble="normal", seed=None, dtype="float32") -> np.ndarray:
    """G = WᵀW (n×n, float64) for one sampled W (m×n), e.g. for a heatmap beside I."""
    m, n = check_shape(m, n)
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
    m, n = check_shape(m, n)
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
