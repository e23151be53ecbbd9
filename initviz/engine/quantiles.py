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


def percentiles(values: np.ndarray, qs) -> list[float]:
    """``np.percentile(values, qs)`` (method "linear") of 1-D ``values`` without NaN, bit for bit:
    at position h = (n − 1)·q/100, a = x_(⌊h⌋), b = x_(⌊h⌋+1) (the last value past the end),
    t = h − ⌊h⌋, a + (b − a)·t if t < 0.5 else b − (b − a)·(1 − t), with b − a in the values'
    dtype and the rest in float64, as numpy's lerp; the order statistics come from
    :func:`order_statistics` instead of numpy's partition of the whole array."""
    n = values.size
    pos = (n - 1) * (np.asarray(qs, dtype=np.float64) / 100.0)
    lo = np.minimum(np.floor(pos), n - 1).astype(np.intp)
    hi = np.minimum(lo + 1, n - 1)
    ranks = sorted(set(lo.tolist()) | set(hi.tolist()))
    stats = dict(zip(ranks, order_statistics(values, ranks)))
    out = []
    for h, i, j in zip(pos.tolist(), lo.tolist(), hi.tolist()):
        t, a, b = h - i, stats[i], stats[j]
        d = float(b - a)  # in the values' dtype, as numpy
        out.append(float(a) + d * t if t < 0.5 else float(b) - d * (1.0 - t))
    return out


def sample_stats(values: np.ndarray) -> tuple[float, float, float]:
    """(mean, 5th, 95th percentile) of the finite values, NaNs if none."""
    finite = np.isfinite(values)
    if not finite.all():
        values = values[finite]
    if values.size == 0:
        return math.nan, math.nan, math.nan
    p05, p95 = percentiles(values, (5, 95))
    return float(np.add.reduce(values)) / values.size, p05, p95  # mean(), without its Python layer
