"""The deviations of WᵀW from I against the dimension n: :func:`gram_sweep`, a tidy table.

Each ensemble is drawn once at the largest size and every point's matrices are disjoint blocks of
that base (common random numbers across n; the package docstring, :mod:`initviz.geometry`, says why
every point is still exact in law); orthogonal and sparse laws, not i.i.d., are drawn afresh per block.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from ..errors import invalid
from ..laws import Law, as_dtype
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


PARTS = ("mean", "std", "lo", "hi")
"""What :func:`_repeat_summary` gives of each statistic over a point's repeats (``<stat>_<part>``)."""

COLUMNS = ("ensemble", "kind", "rule", "aspect", "m", "n", "repeats", "gram_columns",
           *(f"{stat}_{part}" for stat in STATS for part in PARTS),
           *(f"theory_{name}" for name in ("msq", "msq_diag", "msq_offdiag", "opnorm", "opnorm_finite")))
"""The columns of :attr:`GramSweep.data`, in order."""


class _Point(NamedTuple):
    """One point of a sweep: the aspect m/n asked for, the size, and its number of repeats."""

    aspect: float
    m: int
    n: int
    repeats: int


def _repeats_at(m: int, n: int, repeats: int) -> int:
    return int(min(repeats, max(1, SWEEP_REPEAT_ENTRIES // (m * n))))


def _block_grid(big_m: int, big_n: int, m: int, n: int, count: int):
    """Top-left corners of ``count`` disjoint m×n blocks tiling a big_m×big_n array row by row."""
    per_row = big_n // n
    return [((i // per_row) * m, (i % per_row) * n) for i in range(count)]


def _plan(dims, aspects, repeats: int) -> tuple[list[_Point], tuple[int, int]]:
    """The points (aspects × dims, m = aspect·n) and the size of the shared base, which holds every
    point's grid of disjoint blocks."""
    points = []
    for aspect in aspects:
        for n in dims:
            m, n = check_shape(max(1, round(aspect * n)), n)
            points.append(_Point(aspect, m, n, _repeats_at(m, n, repeats)))
    big_m, big_n = max(p.m for p in points), max(p.n for p in points)
    for p in points:  # every block grid must fit inside the shared base
        big_m = max(big_m, p.m * math.ceil(p.repeats / (big_n // p.n)))
    return points, (big_m, big_n)


def gram_sweep(dims=tuple(2 ** k for k in range(3, 13)), ensembles=DEFAULT_KINDS, rule: str = "1/m",
               aspects=(1.0,), repeats: int = 8, seed=None, dtype="float32") -> GramSweep:
    """The four deviations of WᵀW from I over n ∈ ``dims`` × ``ensembles`` × ``aspects`` (m = aspect·n).

    Each ensemble (an :class:`Ensemble`, or a kind name taking ``rule``, or a scheme name) is drawn
    once at the largest (m, n); every point uses repeats(n) = clip(SWEEP_REPEAT_ENTRIES // (m n),
    1, repeats) disjoint blocks of it (module docstring), so a whole sweep costs about one large draw
    per ensemble. Theory beside each point: :func:`theory_deviation` and :func:`theory_opnorm`.
    """
    dims, aspects, repeats, ensembles = _sweep_arguments(dims, aspects, repeats, ensembles, rule)
    dt = as_dtype(dtype)
    points, big = _plan(dims, aspects, repeats)
    rows = []
    for ens, gen in zip(ensembles, as_generator(seed).spawn(len(ensembles))):
        rows += _sweep_ensemble(ens, gen, points, big, dt)
    return GramSweep(data={key: np.array([row[key] for row in rows]) for key in COLUMNS}, dtype=dt.name)


def _sweep_arguments(dims, aspects, repeats, ensembles, rule: str):
    """``dims``, ``aspects``, ``repeats`` and ``ensembles`` validated (InitvizError otherwise)."""
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
    return dims, aspects, repeats, ensembles


def _sweep_ensemble(ens: Ensemble, gen: np.random.Generator, points: list[_Point], big: tuple[int, int],
                    dt: np.dtype) -> list[dict]:
    """One row per point for one ensemble: its shared base (i.i.d. laws whose base is the same at
    every size) drawn from the first of three child streams, fresh draws from the second, Lanczos
    start vectors from the third."""
    shared_gen, fresh_gen, lanczos_gen = gen.spawn(3)
    probe = ens.law(*big)
    shared = probe.kind in IID_KINDS and all(ens.law(p.m, p.n).base_key == probe.base_key for p in points)
    _check_sweep_budget(ens, points, shared, big[0] * big[1])
    base = iid_base(probe, *big, shared_gen, dt) if shared else None
    rows = []
    for p in points:
        law = ens.law(p.m, p.n)
        found = [deviations(w, scale, lanczos_gen, SWEEP_KRYLOV_RTOL)
                 for w, scale in _matrices(law, p, base, big, fresh_gen, dt)]
        rows.append(_point_row(ens, law, p, found))
    return rows


def _matrices(law: Law, p: _Point, base: np.ndarray | None, big: tuple[int, int], gen: np.random.Generator,
              dt: np.dtype):
    """The point's ``repeats`` matrices as (W, s), the matrix measured being s·W: disjoint blocks of
    the shared base (or fresh i.i.d. bases) with s the law's scale — s·W is never formed when
    loc = 0 (always, at mean 0) — or fresh draws of a law that is not i.i.d., with s = 1."""
    for top, left in _block_grid(*big, p.m, p.n, p.repeats):
        if law.kind not in IID_KINDS:
            yield law.sample((p.m, p.n), gen, dt), 1.0
            continue
        block = base[top:top + p.m, left:left + p.n] if base is not None else iid_base(law, p.m, p.n, gen, dt)
        yield (block, law.scale) if law.loc == 0.0 else (law.transform(block), 1.0)


def _point_row(ens: Ensemble, law: Law, p: _Point, found: list[dict]) -> dict:
    """The :data:`COLUMNS` of one point: what it is, its statistics over repeats, its theory."""
    theory = theory_deviation(law, p.m, p.n)
    limit, finite = theory_opnorm(law, p.m, p.n)
    row = {"ensemble": ens.label, "kind": law.kind, "rule": "scheme" if ens.scheme else ens.rule,
           "aspect": p.aspect, "m": p.m, "n": p.n, "repeats": p.repeats, "gram_columns": found[0]["gram_columns"],
           "theory_msq": theory.total if theory else math.nan,
           "theory_msq_diag": theory.diag if theory else math.nan,
           "theory_msq_offdiag": theory.offdiag if theory else math.nan,
           "theory_opnorm": limit, "theory_opnorm_finite": finite}
    for stat in STATS:
        row.update(zip((f"{stat}_{part}" for part in PARTS), _repeat_summary([one[stat] for one in found])))
    return row


def _check_sweep_budget(ens: Ensemble, points: list[_Point], shared: bool, base_entries: int) -> None:
    fresh = [] if shared else [(p.m, p.n, p.repeats) for p in points]
    entries = (base_entries if shared else 0) + sum(m * n * r for m, n, r in fresh)
    if entries > MAX_SWEEP_ENTRIES:
        raise invalid("dims", f"keep the entries drawn for {ens.label} ({entries:,}) within "
                      f"MAX_SWEEP_ENTRIES = {MAX_SWEEP_ENTRIES:,}", max(p.n for p in points))
    if ens.law(points[0].m, points[0].n).kind == "orthogonal":
        work = sum(min(m, n) ** 2 * max(m, n) * r for m, n, r in fresh)
        if work > MAX_ORTHOGONAL_WORK:
            raise invalid("dims", f"keep the orthogonal QR work Σ min(m,n)²·max(m,n) = {work:,} within "
                          f"MAX_ORTHOGONAL_WORK = {MAX_ORTHOGONAL_WORK:,}", max(p.n for p in points))
