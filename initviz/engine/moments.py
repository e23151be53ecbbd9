"""Moments of whole arrays, safe from overflow, and the products the engine measures without forming.

Every statistic is a float64 scalar computed from the run's float32/float64 arrays:

* mean and variance of all entries by two pairwise passes (numpy's pairwise sum, then the pairwise
  mean of the squared deviations), in reused buffers (:class:`Scratch`);
* computed on x/max|x| and scaled back in float64 unless max|x| is moderate (``SAFE_SCALE``,
  ``NO_COPY_SCALE``), so float32 values near 3.4e38 never overflow in the statistic itself;
* the mean and variance of the entries of ∂L/∂W = δᵀa from two B×B Grams (:func:`gram_moments`);
* cosines of row pairs (the correlation of pre-activations between paired samples);
* reused arrays: a run's temporaries (:class:`Scratch`) and the forward products kept from run to
  run (:data:`PRODUCTS`).
"""

from __future__ import annotations

import math
import threading

import numpy as np


class Scratch:
    """Reused temporaries, one per (shape, dtype, slot): fresh megabyte arrays cost more in page
    faults than the arithmetic done in them (measured on the development VM: ~0.8 ms of system time
    per fresh MiB; a fresh 128 KiB product output took 40 µs more than the product itself). Slot 0
    holds the moments' temporaries; callers that need an array to outlive the next one use others."""

    def __init__(self):
        self.buffers = {}

    def get(self, shape: tuple, dtype: np.dtype, slot: int = 0) -> np.ndarray:
        key = (shape, dtype, slot)
        if key not in self.buffers:
            self.buffers[key] = np.empty(shape, dtype)
        return self.buffers[key]


class BufferPool:
    """Arrays handed back by finished runs, kept in the process for the next ones, by (shape, dtype),
    up to ``limit`` bytes: a run's pre-activations are kept for its backward pass, so each run
    would otherwise fault in fresh pages for all of them (the allocator returns freed heap memory
    to the system between runs). Thread-safe; an array given back must have no other user."""

    def __init__(self, limit: int):
        self.limit, self.held, self.free, self.lock = limit, 0, {}, threading.Lock()

    def take(self, shape: tuple, dtype: np.dtype) -> np.ndarray:
        """A kept array of this shape and dtype (its values are garbage), or a new one."""
        with self.lock:
            stack = self.free.get((shape, dtype))
            if stack:
                out = stack.pop()
                self.held -= out.nbytes
                return out
        return np.empty(shape, dtype)

    def give(self, arrays) -> None:
        """Keep these arrays for later runs while the pool holds less than ``limit`` bytes."""
        with self.lock:
            for array in arrays:
                if self.held + array.nbytes <= self.limit:
                    self.free.setdefault((array.shape, array.dtype), []).append(array)
                    self.held += array.nbytes


POOL_BYTES = 2 ** 25
"""Bytes of pre-activation arrays the process keeps between runs (:data:`PRODUCTS`): all of them
for an interactive network (depth 10, width 128, batch 256: 1.3 MB), a part of larger ones."""

PRODUCTS = BufferPool(POOL_BYTES)
"""The forward products h^l = a^{l−1}W_lᵀ of MLP runs, reused from run to run."""


SAFE_SCALE = (2.0 ** -30, 2.0 ** 30)
"""max|x| range in which x is summarised without dividing by max|x| first: squares stay within
[2^-60, 2^60] and their sums over at most 2^33 entries below 2^93, far from float32's limits
(2^-126 normal, 2^128 overflow)."""


def centred_moments(y: np.ndarray, scratch: Scratch) -> tuple[float, float]:
    """(mean, variance) of all entries, two-pass: numpy's pairwise mean, then the pairwise mean of
    the squared deviations, computed in a reused buffer."""
    mean = float(np.add.reduce(y, axis=None)) / y.size  # numpy's pairwise sum, without mean()'s Python layer
    centred = np.subtract(y, y.dtype.type(mean), out=scratch.get(y.shape, y.dtype))
    return mean, float(np.add.reduce(np.square(centred, out=centred), axis=None)) / y.size


def extremes(x: np.ndarray) -> tuple[float, float]:
    """(max, min) of all entries as floats (NaN if any entry is): ``x.max()``, ``x.min()`` without
    their Python layer."""
    return float(np.maximum.reduce(x, axis=None)), float(np.minimum.reduce(x, axis=None))


def mean_var_max(x: np.ndarray, scratch: Scratch) -> tuple[float, float, float] | None:
    """(mean, variance, max|x|) of all entries of ``x``, or None if any entry is not finite. The
    variance is that of x/max|x| scaled back (as :func:`scaled_moments`), except inside SAFE_SCALE, where
    x itself is used: the same numbers to rounding, without a scaled copy."""
    hi, lo = extremes(x)
    if not (math.isfinite(hi) and math.isfinite(lo)):
        return None
    scale = max(hi, -lo)
    if hi == lo:  # constant (e.g. constant init): exactly no variance, as x/max|x| ≡ ±1 gives
        return hi, 0.0, scale
    s = 1.0 if SAFE_SCALE[0] <= scale <= SAFE_SCALE[1] else scale
    mean, var = centred_moments(x if s == 1.0 else x / x.dtype.type(s), scratch)
    return mean * s, var * s * s, scale


NO_COPY_SCALE = (2.0 ** -4, 2.0 ** 4)
"""max|x| range in which :func:`scaled_moments` works on x itself rather than on a copy x/max|x|: every
square stays below 2^8·4096 and a value's square underflows only when it is 2^59 (~6e17) times
smaller than max|x| (scaled: 2^63), so the numbers agree with the scaled ones to rounding."""


class ScaledMoments:
    """An array's mean and variance (floats), s = max|x|, and y = x/u with u = s, or u = 1 when s
    is in NO_COPY_SCALE (no copy; also when s = 0).

    Everything downstream works on y, |y| ≤ 16, so squares never overflow in the dtype; norms
    and variances are scaled back by u in float64 (float32 data near 3.4e38 have variances ~1e77).
    The rows' sums of squares Σ_i y_bi² are computed once, when first asked for (:meth:`row_squares`),
    and serve both the row norms and the pair cosines."""

    __slots__ = ("mean", "var", "scale", "scaled", "unit", "scratch", "_row_sq")

    def __init__(self, mean: float, var: float, scale: float, scaled: np.ndarray, unit: float, scratch: Scratch):
        self.mean, self.var, self.scale, self.scaled, self.unit, self.scratch = mean, var, scale, scaled, unit, scratch
        self._row_sq = None

    def __repr__(self) -> str:
        return f"ScaledMoments(mean={self.mean!r}, var={self.var!r}, scale={self.scale!r}, unit={self.unit!r})"

    def row_squares(self) -> np.ndarray:
        """Σ_i y_bi² of each row b of y (float64; each row's sum in the dtype, as einsum)."""
        if self._row_sq is None:
            y = self.scaled
            self._row_sq = np.einsum("ij,ij->i", y, y).astype(np.float64)
        return self._row_sq

    def row_norms(self) -> np.ndarray:
        """Euclidean norm of each row (float64). A row ~6e17 times smaller than the largest one
        underflows to 0 in float32; nothing else loses precision."""
        if not self.scale:
            return np.zeros(self.scaled.shape[0])
        norms = np.sqrt(self.row_squares())
        if self.unit != 1.0:
            norms *= self.unit
        return norms

    def spread(self) -> float:
        """max over rows and units of |x_bi − x_b1|/max|x|: 0 exactly when every unit of every row
        agrees (symmetry never broken), of order 1 otherwise."""
        if not self.scale:
            return 0.0
        y = self.scaled
        hi, lo = extremes(np.subtract(y, y[:, :1], out=self.scratch.get(y.shape, y.dtype)))
        return max(hi, -lo) * (self.unit / self.scale)


def scaled_moments(x: np.ndarray, scratch: Scratch) -> ScaledMoments | None:
    """:class:`ScaledMoments` of all entries of ``x``, or None if any entry is not finite."""
    hi, lo = extremes(x)
    if not (math.isfinite(hi) and math.isfinite(lo)):
        return None
    scale = max(hi, -lo)
    if scale == 0.0:
        return ScaledMoments(0.0, 0.0, 0.0, x, 1.0, scratch)
    unit = 1.0 if NO_COPY_SCALE[0] <= scale <= NO_COPY_SCALE[1] else scale
    y = x if unit == 1.0 else x / x.dtype.type(unit)
    mean, var = centred_moments(y, scratch)
    return ScaledMoments(mean * unit, var * unit * unit, scale, y, unit, scratch)


GRAM_MAX_RATIO = 1.0
"""∂L/∂W_l's moments come from B×B Grams (:func:`gram_moments`) when B·(n_in + n_out) ≤ this ×
n_in·n_out: the two syrk products cost B²(n_in + n_out)/2 multiply–adds against B·n_in·n_out for
G = δᵀa, and run ~1.4× slower per multiply–add (measured, float32, one thread: 2.2 ms instead of
6.0 ms at B = 256, n = 1024; 4.0 instead of 2.9 at B = n = 512)."""


def gram_moments(d: ScaledMoments, a: np.ndarray, a_scale: float) -> tuple[float, float, float] | None:
    """(mean, variance, NaN) of the entries of G = δᵀa (n_out × n_in) without forming G, or None
    when the product route must decide (:func:`mean_var_max` of δᵀa):

        Σ_ij G_ij = Σ_b (Σ_i δ_bi)(Σ_j a_bj),    Σ_ij G_ij² = ‖δᵀa‖_F² = ⟨δδᵀ, aaᵀ⟩_F,

    with the B×B Grams of ``d.scaled`` (δ or δ/max|δ|, :class:`ScaledMoments`) and of a (a/max|a|
    outside SAFE_SCALE) in the run's dtype (numpy calls syrk for ``x @ x.T``), their entrywise
    product summed in float64 and the scales restored in float64; var = Σ G²/N − (Σ G/N)²,
    N = n_in·n_out.

    None (the product route) when G could overflow in the dtype (B·max|δ|·max|a| ≥ finfo.max/2:
    the product route then reports the fault it meets) or when mean² > ½·E[G²] (the one-pass
    variance would lose more than a factor 2 of relative accuracy to cancellation). Rounding:
    each Gram entry errs by ≲ γ‖x_b‖‖x_c‖ with γ ≈ n·ε/2 (ε the dtype's eps), so
    |ΔΣG²| ≲ 2γ(Σ_b ‖a_b‖‖δ_b‖)², against ΣG² ≥ Σ_b ‖a_b‖²‖δ_b‖²·(1 − cross-sample
    cancellation); ``tests/test_fast_paths.py`` bounds the difference from the product route.
    """
    n_b, n_out = d.scaled.shape
    n = n_out * a.shape[1]
    if not d.scale or not a_scale:
        return 0.0, 0.0, math.nan
    if n_b * d.scale * a_scale >= float(np.finfo(a.dtype).max) / 2:
        return None
    y = a if SAFE_SCALE[0] <= a_scale <= SAFE_SCALE[1] else a / a.dtype.type(a_scale)
    y_scale = 1.0 if y is a else a_scale
    dd, aa = d.scaled @ d.scaled.T, y @ y.T
    total = float(np.add.reduce(np.multiply(dd, aa, out=dd), axis=None, dtype=np.float64))
    sum_g = float(np.dot(np.add.reduce(d.scaled, axis=1, dtype=np.float64), np.add.reduce(y, axis=1, dtype=np.float64)))
    scale = d.unit * y_scale
    mean, msq = sum_g * scale / n, total * (scale / n) * scale
    if mean * mean > 0.5 * msq:
        return None
    return mean, msq - mean * mean, math.nan


def pair_cosines(y: np.ndarray, row_sq: np.ndarray | None = None) -> np.ndarray:
    """cos∠(y_{2k}, y_{2k+1}) for every pair of rows of a scaled array; NaN where a row is zero.
    ``row_sq``: the rows' Σ_i y_bi² when already known (:meth:`ScaledMoments.row_squares`)."""
    pairs = y.shape[0] // 2
    a, b = y[0:2 * pairs:2], y[1:2 * pairs:2]
    dots = np.einsum("ij,ij->i", a, b).astype(np.float64)
    if row_sq is None:
        norms = np.sqrt(np.einsum("ij,ij->i", a, a).astype(np.float64) * np.einsum("ij,ij->i", b, b))
    else:
        norms = np.sqrt(row_sq[0:2 * pairs:2] * row_sq[1:2 * pairs:2])
    positive = norms > 0
    if positive.all():
        return np.divide(dots, norms, out=dots)
    return np.where(positive, dots / np.where(positive, norms, 1.0), np.nan)


def mean_cosine(y: np.ndarray, row_sq: np.ndarray | None = None) -> float:
    """Mean over the row pairs of their cosine (pairs with a zero row skipped; NaN if none): numpy's
    ``nanmean`` (the pairwise sum with the NaNs as zeros, over their count) without its Python layer;
    when no pair is skipped, the plain pairwise sum over the count (the same sum)."""
    cos = pair_cosines(y, row_sq)
    total = float(np.add.reduce(cos))
    if not math.isnan(total):
        return total / cos.size if cos.size else math.nan
    skipped = np.isnan(cos)
    count = cos.size - np.count_nonzero(skipped)
    return float(np.add.reduce(np.where(skipped, 0.0, cos))) / count if count else math.nan


def gram_route(batch: int, out: int, fan_in: int) -> bool:
    """True when ∂L/∂W's moments of an (out, fan_in) layer at ``batch`` samples come from Grams
    (:data:`GRAM_MAX_RATIO`)."""
    return batch * (out + fan_in) <= GRAM_MAX_RATIO * out * fan_in
