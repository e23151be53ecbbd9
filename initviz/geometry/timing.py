"""Modelled CPU seconds of the app's Geometry computations, measured on the development machine.

The app (``initviz.ui``) keeps a Geometry view within its time budget by shrinking its costliest
step; these models say what each step costs as the app calls it: one :func:`~initviz.geometry.gram_sweep`
per distribution, a :func:`~initviz.geometry.gram_spectrum` pooling :data:`SPECTRUM_EIGENVALUES`
eigenvalues, and :func:`~initviz.geometry.norm_ratios` of :data:`NORM_SAMPLES` samples.
"""

from __future__ import annotations

import math

from ..errors import one_of
from ..laws import EQUAL_VARIANCE_KINDS
from ..limits import check_int
from .distributions import NORM_MATRICES
from .ensembles import MAX_DIM

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

NORM_SAMPLES = 10_000
"""‖Wx‖/‖x‖ samples the app's rectangular step draws (what :func:`norm_ratio_seconds` models)."""

RECT_SECONDS_PER_ENTRY = 1e-6
"""CPU seconds per entry m·n of W in the ‖Wx‖/‖x‖ step (16 matrices drawn, NORM_SAMPLES products)."""


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
