"""The deviations of WᵀW from I against the dimension n: :func:`gram_sweep`, a tidy table.

Each ensemble is drawn once at the largest size and every point's matrices are disjoint blocks of
that base (common random numbers across n; the package docstring, :mod:`initviz.geometry`, says why
every point is still exact in law); orthogonal and sparse laws, not i.i.d., are drawn afresh per block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import invalid
from ..laws import as_dtype
from ..limits import check_float, check_int
from ..rng import as_generator
from .deviations import STATS, deviations
from .ensembles import (DEFAULT_KINDS, IID_KINDS, MAX_ORTHOGONAL_WORK, MAX_REPEATS, Ensemble, as_ensemble,
                        check_shape, iid_base, theory_deviation, theory_opnorm)

MAX_SWEEP_POINTS = 64
"""Most dimensions in one sweep."""

SWEEP_KRYLOV_RTOL = 1e-3
"""KRYLOV_RTOL for the points of :func:`gram_sweep`, which are Monte-Carlo means shown with their
spread: μ_max of one square n×n matrix (entry variance 1/n) fluctuates around 4 by the Tracy–Widom
law, sd ≈ 1.27·2^(4/3)·n^(−2/3) (3.1e-3·μ_max at n = 4096, the sweep's largest and least-repeated
point; 2 % at n = 256), so a stopping error of at most 1e-3·μ_max (measured: ≤ 0.3 of it) is under a
third of one matrix's own spread; at n = 4096 Lanczos then takes 27–44 steps instead of 35–70
(the four-distribution sweep to 4096: 1.57 → 1.39 s). Single matrices keep KRYLOV_RTOL."""

SWEEP_REPEAT_ENTRIES = 2 ** 21
"""A sweep uses repeats(n) = clip(SWEEP_REPEAT_ENTRIES // (m·n), 1, repeats): fewer repeats where
one matrix already averages many entries (the SE of the entrywise mean shrinks like 1/n)."""

MAX_SWEEP_ENTRIES = 2 ** 26
"""Most entries drawn by one sweep per ensemble (the shared base plus fresh draws)."""

BAND = (0.05, 0.95)
"""Quantiles over repeats reported as a point's band (``_lo``, ``_hi``)."""


def _repeat_summary(values: np.ndarray) -> tuple[float, float, float, float]:
    """mean, std (ddof 1; NaN for one value), and the BAND quantiles of repeated measurements."""
    values = np.asarray(values, dtype=float)
    std = float(np.std(values, ddof=1)) if values.size > 1 else math.nan
    lo, hi = np.quantile(values, BAND)
    return float(np.mean(values)), std, float(lo), float(hi)


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
            points.append((aspect, *check_shape(m, n)))
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
        base = iid_base(probe, big_m, big_n, shared_gen, dt) if shared else None
        for aspect, m, n, r in plan:
            law = ens.law(m, n)
            rows = []
            for top, left in _block_grid(big_m, big_n, m, n, r):
                if law.kind in IID_KINDS:  # s·block is never formed when loc = 0 (always, at mean 0)
                    block = base[top:top + m, left:left + n] if base is not None else iid_base(law, m, n, fresh_gen, dt)
                    w, scale = (block, law.scale) if law.loc == 0.0 else (law.transform(block), 1.0)
                else:
                    w, scale = law.sample((m, n), fresh_gen, dt), 1.0
                rows.append(deviations(w, scale, lanczos_gen, SWEEP_KRYLOV_RTOL))
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
                for part, value in zip(("mean", "std", "lo", "hi"), _repeat_summary([row[stat] for row in rows])):
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
