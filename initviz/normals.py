"""Standard normal draws, by draw version: which numbers a seed gives.

A *draw version* names the sampler behind every normal draw it covers, so that a seed keeps giving
the numbers it gave when a faster sampler comes in: links and calls that name no version get
version 1, the numbers initviz has always drawn.

* **Version 1** — numpy's ``Generator.standard_normal`` (its ziggurat), float32 and float64: the
  draws of every initviz release before draw versions, by the very same call.
* **Version 2** — float32: Box–Muller on numpy's float32 uniforms (:func:`fill_box_muller`), about
  twice as fast as the float32 ziggurat on one thread (``python -m bench.normals``); float64: the
  ziggurat, exactly version 1's numbers (Box–Muller on numpy's float64 ``log``/``cos``/``sin`` is about
  half as fast as numpy's float64 ziggurat, so it gains nothing there). An orthogonal (Haar) draw in
  float32 takes its Gaussian from these normals and its QR in float32 LAPACK, as torch does for a
  float32 tensor, where version 1 factors in float64 (:func:`initviz.draws.haar`).

**The law of a version-2 float32 draw.** ``out`` (n entries, flat) is filled in blocks of
:data:`BLOCK_ENTRIES` consecutive entries, in order, from one generator. A block of k entries takes
m = ⌈k/2⌉ pairs: 2m uniforms ``u = gen.random(2m, dtype=float32)`` — u_j = K_j·2⁻²⁴ with K_j i.i.d.
uniform on {0, …, 2²⁴ − 1} (numpy draws the top 24 bits of a 32-bit output) — the first m radial, the
last m angular. With s = 1 − u_j (exact in float32; s ∈ {2⁻²⁴, 2·2⁻²⁴, …, 1}, so 0 never occurs and
log s is finite), R = √(−2 ln s) and θ = 2π·u_{m+j} (float32 product with float32(2π)), the block's
first m entries are R·cos θ and its next k − m are R·sin θ (the last sine is dropped when k is odd).
Every operation is a float32 numpy ufunc (log, sqrt, cos, sin, multiply).

Up to the float32 rounding of those functions (numpy's SIMD loops, within a few ulp; they depend on
the CPU's instruction set, so version-2 numbers may differ in their last bits from one CPU family to
another, where version 1's do not), this is the exact Box–Muller transform of the discrete uniforms:
P(R ≥ √(−2 ln(K·2⁻²⁴))) = K·2⁻²⁴ for K = 1 … 2²⁴, the Rayleigh law at every atom, and θ uniform on a
grid of 2²⁴ angles. Its one departure from the normal law is the tail: |z| ≤ R ≤ :data:`MAX_ABS_Z` =
√(48 ln 2) = 5.768…, the Rayleigh mass beyond it (2⁻²⁴) sitting on that largest radius. A standard
normal exceeds it with probability :data:`TAIL_MASS_CUT` = 2Φ(−5.768) ≈ 8.0·10⁻⁹: in a 13-million-weight
network, about 0.1 weight expected; in the Kolmogorov distance the grid costs at most ~2⁻²⁴.
Consecutive pairs (R cos θ, R sin θ) are independent standard normals up to that same discreteness.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from .errors import invalid

DRAW_VERSIONS = (1, 2)
"""The draw versions there are (module docstring)."""

DEFAULT_DRAWS = 1
"""The draw version of every call that names none: today's and every earlier release's numbers."""

LATEST_DRAWS = 2
"""The fastest draws: what new work should ask for (``draws=2``)."""

BLOCK_ENTRIES = 2 ** 16
"""Version 2 fills this many entries per block (its uniforms and results, 256 KiB each, stay in cache)."""

MAX_ABS_Z = math.sqrt(48.0 * math.log(2.0))
"""The largest |z| a version-2 float32 draw reaches (before float32 rounding): √(−2 ln 2⁻²⁴) = 5.768…"""

TAIL_MASS_CUT = math.erfc(MAX_ABS_Z / math.sqrt(2.0))
"""P(|Z| > MAX_ABS_Z) for a standard normal Z: the normal tail version 2 never draws (≈ 8.0·10⁻⁹)."""

_TWO_PI = np.float32(2.0 * math.pi)


def check_draws(draws) -> int:
    """The draw version ``draws`` (an int of :data:`DRAW_VERSIONS`), or InitvizError naming `draws`."""
    if isinstance(draws, bool) or not isinstance(draws, numbers.Integral) or int(draws) not in DRAW_VERSIONS:
        raise invalid("draws", "be a draw version, one of " + ", ".join(map(str, DRAW_VERSIONS)), draws)
    return int(draws)


def fill_box_muller(out: np.ndarray, gen: np.random.Generator) -> None:
    """``out`` (flat, float32) ← version-2 standard normals from ``gen`` (module docstring)."""
    for start in range(0, out.size, BLOCK_ENTRIES):
        _box_muller_block(out[start:start + BLOCK_ENTRIES], gen)


def _box_muller_block(out: np.ndarray, gen: np.random.Generator) -> None:
    k = out.size
    m = -(-k // 2)
    dt = np.float32
    if k % 2:  # the uniforms need one more place than the block has
        u = gen.random(2 * m, dtype=dt)
        radius, angle = u[:m], u[m:]
    else:      # in place: the radial uniforms become the radii, the angular ones the sines
        gen.random(dtype=dt, out=out)
        radius, angle = out[:m].copy(), out[m:]
    np.subtract(dt(1), radius, out=radius)
    np.log(radius, out=radius)
    radius *= dt(-2)
    np.sqrt(radius, out=radius)
    angle *= _TWO_PI
    np.cos(angle, out=out[:m])
    np.sin(angle[:k - m], out=out[m:])
    out[:m] *= radius
    out[m:] *= radius[:k - m]


def filler(draws: int, dt: np.dtype):
    """``fill(out, gen)``: ``out`` (flat, dtype ``dt``) ← standard normals of draw version ``draws``.
    Version 1 (and version 2 in float64) is numpy's ``standard_normal`` itself."""
    if draws == 2 and dt == np.float32:
        return fill_box_muller
    return lambda out, gen: gen.standard_normal(dtype=dt, out=out)


def describe(draws: int) -> str:
    """The draw version in words, for a page's summary and an export's caption."""
    if draws == 1:
        return "draws v1 (numpy's ziggurat)"
    return f"draws v2 (float32: Box–Muller, |z| ≤ {MAX_ABS_Z:.3f}, float32 QR; float64: numpy's ziggurat)"


def standard_normal(gen: np.random.Generator, shape, dtype, draws: int = DEFAULT_DRAWS) -> np.ndarray:
    """An array of ``shape`` of standard normals from ``gen`` in ``dtype``, draw version ``draws``;
    version 1 is ``gen.standard_normal(shape, dtype=dtype)``, the same call."""
    dt = np.dtype(dtype)
    if draws == 1 or dt != np.float32:
        return gen.standard_normal(shape, dtype=dt)
    out = np.empty(shape, dtype=dt)
    fill_box_muller(out.reshape(-1), gen)
    return out


__all__ = ["DRAW_VERSIONS", "DEFAULT_DRAWS", "LATEST_DRAWS", "BLOCK_ENTRIES", "MAX_ABS_Z", "TAIL_MASS_CUT",
           "check_draws", "describe", "fill_box_muller", "filler", "standard_normal"]
