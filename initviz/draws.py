"""Base draws of the law kinds (:attr:`initviz.laws.Law.base_key`), before ``loc + scale·base``.

* i.i.d. bases (normal, uniform, Rademacher, truncated normal) are filled by :func:`chunked`:
  at once from the generator up to :data:`~initviz.limits.SAMPLE_CHUNK_ENTRIES` entries, else
  chunk i (C-order) from ``gen.spawn(chunks)[i]`` on :data:`~initviz.limits.SAMPLE_THREADS`
  threads, so the layout depends on the shape alone;
* :func:`haar` — a Haar-orthogonal matrix by QR with torch's sign fix (``orthogonal_``), in draw
  version 2 from version-2 normals by a QR in the draw's own precision (:mod:`initviz.normals`);
* :func:`sparse_pattern` — a standard normal matrix with exactly ``zeros`` zeros per column
  (``sparse_``); :func:`deterministic_pattern` — the 0/1 tensors of constant, eye and dirac.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from scipy import linalg

from .limits import SAMPLE_CHUNK_ENTRIES, SAMPLE_THREADS
from .normals import DEFAULT_DRAWS, standard_normal

_POOL: list = []


def chunked(fill, shape, gen: np.random.Generator, dt: np.dtype) -> np.ndarray:
    """An array of ``shape`` filled by ``fill(out, gen)``: at once from ``gen`` up to
    SAMPLE_CHUNK_ENTRIES entries, else chunk i from ``gen.spawn(chunks)[i]`` on SAMPLE_THREADS
    threads (module docstring: the layout depends on the shape only). A Generator whose bit
    generator has no SeedSequence cannot spawn and fills serially."""
    size = math.prod(shape)
    out = np.empty(size, dtype=dt)
    chunks = -(-size // SAMPLE_CHUNK_ENTRIES)
    if chunks <= 1 or not isinstance(getattr(gen.bit_generator, "seed_seq", None), np.random.SeedSequence):
        fill(out, gen)
        return out.reshape(shape)
    parts = [out[i * SAMPLE_CHUNK_ENTRIES:(i + 1) * SAMPLE_CHUNK_ENTRIES] for i in range(chunks)]
    if SAMPLE_THREADS > 1:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(max_workers=SAMPLE_THREADS, thread_name_prefix="initviz-sample"))
        list(_POOL[0].map(fill, parts, gen.spawn(chunks)))
    else:
        for part, child in zip(parts, gen.spawn(chunks)):
            fill(part, child)
    return out.reshape(shape)


def haar(shape, gen: np.random.Generator, dt: np.dtype, draws: int = DEFAULT_DRAWS) -> np.ndarray:
    """torch ``orthogonal_`` with gain 1: QR of a standard normal (rows, numel/rows) matrix,
    transposed when rows < cols, Q times sign(diag R) — which makes Q Haar-distributed
    (Mezzadri 2007) — transposed back and reshaped.

    Version 1 (``draws`` = 1, and float64 in version 2): numpy's normals and ``numpy.linalg.qr``,
    which factors a float32 matrix in float64 LAPACK (dgeqrf/dorgqr) and rounds Q to float32. Version
    2 in float32: version-2 normals (:func:`initviz.normals.standard_normal`) and the QR in float32
    LAPACK (sgeqrf/sorgqr, ``scipy.linalg.qr``) — what ``torch.linalg.qr`` does with a float32 tensor,
    ~2.2× faster at 512² (``python -m bench.normals``: 16.8 → 7.7 ms, one thread). Both are Householder
    QR, backward stable: the computed Q is orthogonal to within a modest multiple of n·u in its
    working precision u."""
    rows = shape[0]
    cols = math.prod(shape) // rows
    flat = standard_normal(gen, (rows, cols), dt, draws)
    if rows < cols:
        flat = flat.T
    if draws == 2 and np.dtype(dt) == np.float32:
        q, r = linalg.qr(flat, mode="economic", overwrite_a=True, check_finite=False)
    else:
        q, r = np.linalg.qr(flat)
    q *= np.where(np.diagonal(r) < 0, -1, 1).astype(dt)
    if rows < cols:
        q = q.T
    return np.ascontiguousarray(q).reshape(shape)


def delta_orthogonal(shape, gen: np.random.Generator, dt: np.dtype, draws: int = DEFAULT_DRAWS) -> np.ndarray:
    """Delta-orthogonal conv kernel (Xiao et al. 2018; JAX ``delta_orthogonal``) in torch layout
    (out, in, *k), in ≤ out: zeros, and at the centre tap ((k−1)//2 along every spatial axis, JAX's
    index) the Haar (out, in) matrix with orthonormal columns of :func:`haar` (draw version ``draws``)."""
    out = np.zeros(shape, dtype=dt)
    centre = tuple((k - 1) // 2 for k in shape[2:])
    out[(slice(None), slice(None), *centre)] = haar(shape[:2], gen, dt, draws)
    return out


def sparse_pattern(shape, zeros: int, gen: np.random.Generator, dt: np.dtype) -> np.ndarray:
    """Standard normal (rows, cols) with exactly ``zeros`` zeros at uniformly random rows of
    each column (torch ``sparse_``)."""
    rows, cols = shape
    out = gen.standard_normal(shape, dtype=dt)
    order = np.argsort(gen.random(shape), axis=0)
    out[order[:zeros], np.arange(cols)] = 0
    return out


def deterministic_pattern(kind: str, shape, groups: int, dt: np.dtype) -> np.ndarray:
    """The 0/1 tensor of constant (all ones), eye (torch ``eye_``) or dirac (torch ``dirac_``)."""
    if kind == "constant":
        return np.ones(shape, dtype=dt)
    if kind == "eye":
        return np.eye(*shape, dtype=dt)
    out = np.zeros(shape, dtype=dt)
    per_group = shape[0] // groups
    centre = tuple(k // 2 for k in shape[2:])
    for d in range(min(per_group, shape[1])):
        out[(np.arange(groups) * per_group + d, d, *centre)] = 1
    return out
