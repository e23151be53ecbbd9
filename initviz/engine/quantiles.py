"""Exact order statistics and numpy's percentiles, bit for bit, without partitioning everything.

For the per-sample norm ratios of a layer (B values) and the pooled histogram subsample:
:func:`percentiles` equals ``np.percentile(values, qs)`` (method "linear") exactly, taking its
order statistics from candidate subsets (:func:`order_statistics`).
"""

from __future__ import annotations

import math

import numpy as np


SELECT_SAMPLE = 2 ** 12
"""Order statistics of more than 4× this many values are selected from a candidate subset
(:func:`order_statistics`), bounded by an evenly strided sample of about this many values."""


def order_statistics(values: np.ndarray, ranks: list[int]) -> np.ndarray:
    """The values of 0-based ``ranks`` in the ascending order of 1-D ``values`` (no NaN), exactly.

    Up to 4·SELECT_SAMPLE values: one ``np.partition``. Beyond, per tail: a strided sample of m ≈
    SELECT_SAMPLE values, sorted, gives a bound τ whose expected rank exceeds the largest low rank
    r by 6 binomial standard deviations (+ 8); the candidates {x ≤ τ} are then exactly the first
    #{x ≤ τ} values of the sorted order, so if there are more than r of them their own partition
    at r is the answer (upper ranks mirrored with {x ≥ τ}). When a sample misleads (the check
    fails, probability < 1e-9 for any input order of i.i.d. data), the whole array is partitioned.
    Costs two passes plus a partition of ~r values instead of a partition of all n.
    """
    n = values.size
    if n <= 4 * SELECT_SAMPLE:
        return np.partition(values, ranks)[ranks]
    sample = np.sort(values[::n // SELECT_SAMPLE])
    m, out = sample.size, np.empty(len(ranks), values.dtype)
    low = [i for i, r in enumerate(ranks) if 2 * r < n]
    for side in (low, [i for i in range(len(ranks)) if i not in low]):
        if not side:
            continue
        upper = side is not low
        extreme = max(ranks[i] + 1 if not upper else n - ranks[i] for i in side)  # values needed from the tail
        k = min(m - 1, int(m * extreme / n + 6.0 * math.sqrt(m * extreme / n) + 8.0))
        cand = values[values >= sample[m - 1 - k]] if upper else values[values <= sample[k]]
        offset = n - cand.size if upper else 0  # rank of cand's smallest value
        at = [ranks[i] - offset for i in side]
        if not all(0 <= r < cand.size for r in at):
            cand, at = values, [ranks[i] for i in side]
        out[side] = np.partition(cand, at)[at]
    return out


def _positions(n: int, qs) -> list[tuple[float, int, int]]:
    """(h, ⌊h⌋, ⌊h⌋ + 1) of each percentile q of n values, h = (n − 1)·q/100 in float64 (Python's
    floats are IEEE doubles: numpy's own operations in the same order), both ranks capped at n − 1."""
    out = []
    for q in qs:
        h = (n - 1) * (float(q) / 100.0)
        i = min(math.floor(h), n - 1)
        out.append((h, i, min(i + 1, n - 1)))
    return out


def _lerp(h: float, i: int, a, b) -> float:
    """numpy's percentile between the order statistics a = x_(i) and b = x_(i+1) at position h:
    a + (b − a)·t if t < 0.5 else b − (b − a)·(1 − t), t = h − i, with b − a in the values' dtype
    and the rest in float64, as numpy's lerp."""
    t, d = h - i, float(b - a)  # b − a in the values' dtype, as numpy
    return float(a) + d * t if t < 0.5 else float(b) - d * (1.0 - t)


def percentiles(values: np.ndarray, qs) -> list[float]:
    """``np.percentile(values, qs)`` (method "linear") of 1-D ``values`` without NaN, bit for bit
    (:func:`_positions`, :func:`_lerp`); the order statistics come from :func:`order_statistics`
    instead of numpy's partition of the whole array."""
    pos = _positions(values.size, qs)
    ranks = sorted({r for _, i, j in pos for r in (i, j)})
    stats = dict(zip(ranks, order_statistics(values, ranks)))
    return [_lerp(h, i, stats[i], stats[j]) for h, i, j in pos]


def sample_stats(values: np.ndarray) -> tuple[float, float, float]:
    """(mean, 5th, 95th percentile) of the finite values, NaNs if none."""
    finite = np.isfinite(values)
    if not finite.all():
        values = values[finite]
    if values.size == 0:
        return math.nan, math.nan, math.nan
    p05, p95 = percentiles(values, (5, 95))
    return float(np.add.reduce(values)) / values.size, p05, p95  # mean(), without its Python layer


def rows_sample_stats(values: np.ndarray) -> list[tuple[float, float, float]]:
    """:func:`sample_stats` of each row of a 2-D float array, the same numbers: when every value
    is finite and a row is short enough for one partition (≤ 4·SELECT_SAMPLE), one ``np.partition``
    of all rows at the ranks of the 5th and 95th percentiles and one pairwise sum per row (numpy's
    reduction along a contiguous row is the 1-D one); otherwise row by row."""
    k, n = values.shape
    if n == 0 or n > 4 * SELECT_SAMPLE or not np.isfinite(values).all():
        return [sample_stats(row) for row in values]
    pos = _positions(n, (5, 95))
    ranks = sorted({r for _, i, j in pos for r in (i, j)})
    sums = np.add.reduce(values, axis=1).tolist()
    ordered = np.partition(values, ranks, axis=1)
    out = []
    for row, total in zip(ordered, sums):
        p05, p95 = (_lerp(h, i, row[i], row[j]) for h, i, j in pos)
        out.append((total / n, p05, p95))
    return out
