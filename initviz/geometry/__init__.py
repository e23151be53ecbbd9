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
  :data:`KRYLOV_RTOL`·μ_max of the estimate (:func:`.deviations._krylov_opnorm`). Ritz values lie inside the
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

**Modules.** :mod:`~initviz.geometry.ensembles` (how a matrix is drawn, its theory, the size
limits), :mod:`~initviz.geometry.deviations` (one matrix's deviation of WᵀW from I, and repeats of
it), :mod:`~initviz.geometry.sweep` (the same against n), :mod:`~initviz.geometry.distributions`
(angles, Gram eigenvalues, ‖Wx‖/‖x‖, binned beside their laws) and :mod:`~initviz.geometry.timing`
(the modelled CPU seconds of the app's Geometry steps); every public name is importable from here.
"""

from .deviations import (EIGH_MAX_DIM, GRAM_EXACT_WORK, KRYLOV_MAX_STEPS, KRYLOV_RTOL, ROW_CHUNK_ENTRIES, STATS,
                         GramDeviations, gram_deviations, gram_matrix, matrix_deviations)
from .distributions import (MAX_ANGLE_DIM, MAX_ANGLE_ENTRIES, MAX_BINS, MAX_NORM_SAMPLES, MAX_NORM_WORK, MAX_PAIRS,
                            NORM_MATRICES, SPECTRUM_MAX_WORK, ZERO_EIGENVALUE, Angles, GramSpectrum, Histogram,
                            NormRatios, gram_spectrum, norm_ratios, sample_angles)
from .ensembles import (DEFAULT_KINDS, IID_KINDS, MAX_DIM, MAX_MATRIX_ENTRIES, MAX_ORTHOGONAL_WORK, MAX_REPEATS,
                        Ensemble, as_ensemble, sample_matrix, theory_deviation, theory_opnorm)
from .sweep import (BAND, MAX_SWEEP_ENTRIES, MAX_SWEEP_POINTS, SWEEP_KRYLOV_RTOL, SWEEP_REPEAT_ENTRIES, GramSweep,
                    gram_sweep)
from .timing import (NORM_SAMPLES, ORTHOGONAL_SWEEP_MAX, ORTHOGONAL_SWEEP_SECONDS, RECT_SECONDS_PER_ENTRY, SECONDS_PER_QR_WORK,
                     SPECTRUM_EIGENVALUES, SPECTRUM_SECONDS_PER_EIGEN_WORK, SWEEP_SECONDS, norm_ratio_seconds,
                     spectrum_seconds, sweep_seconds)

__all__ = ["Ensemble", "as_ensemble", "sample_matrix", "matrix_deviations", "theory_deviation", "theory_opnorm",
           "Histogram", "Angles", "sample_angles", "gram_matrix", "GramDeviations", "gram_deviations",
           "GramSweep", "gram_sweep", "GramSpectrum", "gram_spectrum", "NormRatios", "norm_ratios",
           "IID_KINDS", "DEFAULT_KINDS", "STATS", "sweep_seconds", "spectrum_seconds", "norm_ratio_seconds",
           "SPECTRUM_EIGENVALUES", "ORTHOGONAL_SWEEP_MAX", "NORM_SAMPLES"]
