"""Worst-case rounding bounds for the tests that compare two different computations of the same
quantity (imported by tests/test_*.py): two BLAS calls, a fast route against the plain one. Such
results agree to rounding, not bit for bit, and how they round differs between BLAS kernels
(OpenBLAS Haswell, SkylakeX, Sandybridge, MKL) and thread counts, so the tolerance is the standard
bound (Higham, "Accuracy and Stability of Numerical Algorithms", 2nd ed., §3.1): a sum of n
products, in any order and with or without FMA, errs by

    |fl(Σ_k x_k y_k) − Σ_k x_k y_k| ≤ γ_n·Σ_k |x_k y_k|,    γ_n = n·u/(1 − n·u),  u = eps/2,

and (1 + γ_j)(1 + γ_k) ≤ 1 + γ_{j+k}. The bounds are evaluated on the very arrays of the run."""

import math

import numpy as np


def gamma(n: int, dtype) -> float:
    """γ_n of ``dtype`` (u = eps/2: 2⁻²⁴ in float32, 2⁻⁵³ in float64)."""
    u = float(np.finfo(dtype).eps) / 2
    assert n * u < 0.5, (n, dtype)
    return n * u / (1 - n * u)


def sum_depth(n: int) -> int:
    """How many additions any term of numpy's float sum of n contiguous values passes through, at
    most: pairwise halving down to blocks of ≤ 128 that are summed 8-way (≤ 15 + 3 + 7 deep), in
    buffers of ≤ 8192 values accumulated one after the other, plus the initial value. A sum of n
    values then errs by ≤ γ_{sum_depth(n)}·Σ|x|."""
    return 26 + max(0, math.ceil(math.log2(max(n, 1) / 128))) + math.ceil(n / 8192)


def variance_error(err_mean: float, err_msq: float, mean: float) -> float:
    """|Δ(msq − mean²)| from |Δmsq| and |Δmean| (first and second order)."""
    return err_msq + (2 * abs(mean) + err_mean) * err_mean


def moments_error(h: np.ndarray, err: np.ndarray, dtype) -> tuple[float, float]:
    """Bounds on |Δmean| and |Δvar| of the mean and variance of an array of ``dtype`` whose entries
    are within ``err`` (entrywise) of the exact values ``h`` (float64), computed by two float sums
    in ``dtype`` — :func:`initviz.propagation._moments` and ``_summary``, numpy's mean and var:

    * the entries' own errors: |ΔΣh| ≤ Σerr, |ΔΣh²| ≤ Σ(2|h| + err)·err;
    * the first pass: the mean m̃ errs by ≤ γ_depth·Σ|h̃|/N more;
    * the second pass Σ(h̃ − m̃)² (a subtraction and a square rounded, then summed) errs by
      ≤ γ_{depth+2} of itself, which is Σ(h̃ − m)² + N(m − m̃)² (so the error of m̃ enters squared).
    """
    n = h.size
    mean, var = float(h.mean()), float(h.var())
    err_mean_h = float(err.sum()) / n
    err_var_h = variance_error(err_mean_h, float(np.sum((2 * np.abs(h) + err) * err)) / n, mean)
    depth = sum_depth(n)
    err_mean = err_mean_h + gamma(depth, dtype) * float(np.abs(h).sum() + err.sum()) / n
    err_var = err_var_h + gamma(depth + 2, dtype) * (var + err_var_h + err_mean ** 2) + err_mean ** 2
    return err_mean, err_var
