"""The machine's own limits, measured in the same run as the workloads: GEMM and RNG throughput.

**GEMM.** numpy ``matmul`` (the BLAS numpy links) at each product shape a workload performs, in
its transposition pattern (forward ``a @ W.T``, backward ``δ @ W``, weight gradient ``δ.T @ a``),
float32 and float64: seconds per product and GFLOP/s = 2·M·K·N / seconds. The *peak* of a workload
is the highest rate measured over its own shapes in its dtype. numpy's default BLAS threads (all
cores) are used, as numpy does in a notebook.

**RNG.** numpy's ``default_rng`` (PCG64, what initviz's streams are) filling one n×n layer:
``standard_normal`` (numpy's ziggurat, initviz's draw version 1), initviz's draw version 2
(:mod:`initviz.normals`: Box–Muller on float32 uniforms; in float64 the ziggurat again) and
``random`` (uniform) in float32 and float64, in entries per second, both as one call per layer and
in cache-sized chunks of :data:`CHUNK_ENTRIES`; the faster of the two is the sampling rate (one
stream, one core). The *normal rate* is the fastest normal sampler measured (``normal_fastest``).

**The physical floor** of a propagation workload (one run)::

    floor = flops / peak  +  Σ_l n_in·n_out / normal_rate

with flops = 2·B·Σ_l n_in·n_out per product kind (forward; backward; weight gradient when
computed; see :mod:`bench.workloads`), peak the workload's GEMM peak in its dtype and normal_rate
the fastest standard-normal sampling rate measured in its dtype (numpy's ziggurat or initviz's draw
version 2). Elementwise work (the activation, its derivative,
the statistics) and input/probe draws are left out: the floor is what no implementation on this
machine can beat without fewer products or faster sampling (e.g. parallel streams).

**Bare numpy** (:func:`bare_numpy`), timed with the workloads: the same run with no statistics at
all — draw every weight (numpy's ``standard_normal``, one stream), the products, the activation and
its derivative, in plain numpy. Unlike the floor it is an implementation, so it includes the
elementwise work; it draws with one stream, as the floor counts, where initviz draws large layers
on two threads while the products run — so initviz can beat it on a wide network, and neither it
nor the floor is a bound for an implementation that overlaps sampling with the products.

For the geometry sweep (r(n) matrices of size n per distribution)::

    floor = Σ_kinds Σ_n r(n)·n² / normal_rate  +  Σ_n r(n)·(8/3)n³ / peak_sq   (orthogonal only)

drawing every matrix once, plus for Haar-orthogonal W the Householder QR of an n×n Gaussian and
the forming of Q ((4/3)n³ flops each, counted at GEMM speed: optimistic), which no implementation
of a Haar draw avoids. No Gram product is counted: at large n, initviz measures the entrywise
deviation without forming WᵀW (an exact identity plus an unbiased column subsample, see
``initviz.geometry``), so a 2n³ term would not be a lower bound. peak_sq is the GEMM rate of a
square :data:`SQUARE_N` product.
"""

from __future__ import annotations

import numpy as np

from initviz.normals import LATEST_DRAWS, filler

from .timing import time_calls
from .workloads import GeometrySweep, Workload

CHUNK_ENTRIES = 2 ** 16
"""Entries per call in the chunked sampling measurement (a few hundred KiB: stays in L2)."""

SQUARE_N = 1024
"""Square GEMM size behind the geometry sweep's peak rate (2 GFLOP per product)."""

MIN_SECONDS = 0.05
"""Each throughput figure times enough back-to-back calls to last at least this long."""


def _calls_for(fn, seconds: float = MIN_SECONDS) -> int:
    """How many back-to-back calls of ``fn`` last about ``seconds`` (one probe call decides)."""
    probe = time_calls(fn, repeats=1, warmup=1)["median"]
    return max(1, int(seconds / max(probe, 1e-7)))


def gemm(role: str, m: int, k: int, n: int, dtype: str, repeats: int) -> dict:
    """Seconds per (M×K)·(K×N) product in ``role``'s transposition pattern, and GFLOP/s."""
    rng = np.random.default_rng(0)
    dt = np.dtype(dtype)
    if role.startswith("forward"):      # a (M×K) @ W.T, W (N×K)
        left, right = rng.standard_normal((m, k), dtype=dt), rng.standard_normal((n, k), dtype=dt)
        fn = lambda: left @ right.T  # noqa: E731
    elif role.startswith("weight"):     # δ.T @ a, δ (K×M), a (K×N)
        left, right = rng.standard_normal((k, m), dtype=dt), rng.standard_normal((k, n), dtype=dt)
        fn = lambda: left.T @ right  # noqa: E731
    else:                               # δ (M×K) @ W (K×N)
        left, right = rng.standard_normal((m, k), dtype=dt), rng.standard_normal((k, n), dtype=dt)
        fn = lambda: left @ right  # noqa: E731
    calls = _calls_for(fn)
    timing = time_calls(lambda: [fn() for _ in range(calls)], repeats, warmup=0)
    seconds = timing["median"] / calls
    return {"role": role, "shape": [m, k, n], "dtype": dtype, "seconds": seconds,
            "gflops": 2.0 * m * k * n / seconds / 1e9}


def rng_rates(n_entries: int, dtype: str, repeats: int) -> dict:
    """Entries per second of standard_normal, initviz's latest draw version and uniform in
    ``dtype``: one call of ``n_entries`` and cache-sized chunks; ``normal``/``normal_v2``/``uniform``
    are the better of the two, ``normal_fastest`` the faster normal sampler."""
    gen = np.random.default_rng(0)
    dt = np.dtype(dtype)
    fill = filler(LATEST_DRAWS, dt)

    def latest(size):
        out = np.empty(size, dtype=dt)
        fill(out, gen)
        return out

    out = {}
    for name, draw in (("normal", lambda size: gen.standard_normal(size, dtype=dt)), ("normal_v2", latest),
                       ("uniform", lambda size: gen.random(size, dtype=dt))):
        whole = time_calls(lambda: draw(n_entries), repeats)["median"]
        chunks = max(1, n_entries // CHUNK_ENTRIES)
        chunked = time_calls(lambda: [draw(CHUNK_ENTRIES) for _ in range(chunks)], repeats)["median"]
        out[f"{name}_whole"] = n_entries / whole
        out[f"{name}_chunked"] = chunks * CHUNK_ENTRIES / chunked
        out[name] = max(out[f"{name}_whole"], out[f"{name}_chunked"])
    out["normal_fastest"] = max(out["normal"], out["normal_v2"])
    return {"dtype": dtype, "entries": n_entries, **out}


def bare_numpy(w: Workload):
    """A call running ``w`` in plain numpy with no statistics (module docstring): tanh MLP, weights
    N(0, gain²·2/(n+n)), x ~ N(0, I); backward for L = Σ⟨g, a^L⟩ with ∂L/∂W_l = δᵀa when
    ``w.weight_grad``. Returns the last ∂L/∂a (so nothing is optimised away)."""
    if w.activation != "tanh" or w.init != "xavier_normal":
        raise ValueError(f"bare_numpy models tanh + xavier_normal workloads, not {w.activation} + {w.init}")
    dt, n, b = np.dtype(w.dtype), w.width, w.batch
    std = dt.type(dict(w.init_params)["gain"] * np.sqrt(2.0 / (n + n)))

    def call():
        gen = np.random.default_rng(0)
        weights = [gen.standard_normal((n, n), dtype=dt) * std for _ in range(w.depth)]
        acts = [gen.standard_normal((b, n), dtype=dt)]
        for weight in weights:
            acts.append(np.tanh(acts[-1] @ weight.T))
        grad = gen.standard_normal((b, n), dtype=dt)
        if not w.backward:
            return acts[-1]
        for layer in range(w.depth - 1, -1, -1):
            delta = grad * (1 - acts[layer + 1] * acts[layer + 1])
            if w.weight_grad:
                delta.T @ acts[layer]
            grad = delta @ weights[layer]
        return grad
    return call


def workload_limits(w: Workload, repeats: int) -> dict:
    """GEMM rates at ``w``'s shapes, the sampling rate at its layer size, and its floor (seconds)."""
    products = [gemm(role, m, k, n, w.dtype, repeats) for role, m, k, n in w.gemm_shapes]
    peak = max(p["gflops"] for p in products) * 1e9
    rates = rng_rates(w.width * w.width, w.dtype, repeats)
    gemm_s = w.flops / peak
    sample_s = w.weight_entries / rates["normal_fastest"]
    return {"products": products, "peak_gflops": peak / 1e9, "rng": rates, "gemm_s": gemm_s,
            "sample_s": sample_s, "floor_s": gemm_s + sample_s}


def geometry_limits(sweep: GeometrySweep, repeats: int) -> dict:
    """The square GEMM peak, the sampling rate, and the sweep's floor (module docstring)."""
    square = gemm("forward square", SQUARE_N, SQUARE_N, SQUARE_N, sweep.dtype, repeats)
    peak = square["gflops"] * 1e9
    rates = rng_rates(SQUARE_N * SQUARE_N, sweep.dtype, repeats)
    entries = sum(sweep.repeats(n) * n * n for n in sweep.dims) * len(sweep.kinds)
    qr_flops = sum(sweep.repeats(n) * 8.0 / 3.0 * n ** 3 for n in sweep.dims) if "orthogonal" in sweep.kinds else 0.0
    gemm_s, sample_s = qr_flops / peak, entries / rates["normal_fastest"]
    return {"products": [square], "peak_gflops": peak / 1e9, "rng": rates, "gemm_s": gemm_s,
            "sample_s": sample_s, "floor_s": gemm_s + sample_s}


def peak_table(repeats: int) -> list[dict]:
    """Square GEMM at :data:`SQUARE_N` and RNG rates in both dtypes (the machine at a glance)."""
    rows = []
    for dtype in ("float32", "float64"):
        square = gemm("forward square", SQUARE_N, SQUARE_N, SQUARE_N, dtype, repeats)
        rows.append({"dtype": dtype, "square_gflops": square["gflops"], **rng_rates(2 ** 20, dtype, repeats)})
    return rows
