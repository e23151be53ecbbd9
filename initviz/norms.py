"""Normalisation layers at initialisation (γ = 1, β = 0), forward and backward, as torch computes them.

Over the n units of each row x of a (B, n) batch, in the batch's dtype:

* ``"layernorm"`` — ``torch.nn.LayerNorm(n)``: y = (x − μ)/√(σ² + ε), μ = mean(x),
  σ² = mean((x − μ)²) (the biased variance), ε = :data:`LAYERNORM_EPS` = 1e-5;
  ∂L/∂x = r·(g − mean(g) − y·mean(g ⊙ y)), r = 1/√(σ² + ε), g = ∂L/∂y;
* ``"rmsnorm"`` — ``torch.nn.RMSNorm(n)`` (``eps=None``): y = x/√(mean(x²) + ε) with
  ε = ``finfo(dtype).eps`` (2.2e-16 in float64, 1.2e-7 in float32: torch 2.13's default, checked
  against it); ∂L/∂x = r·(g − y·mean(g ⊙ y)), r = 1/√(mean(x²) + ε);
* ``"none"`` — y = x.

Both backward formulas are exact (ε included): differentiating r(x) gives the second term.
"""

from __future__ import annotations

import numpy as np

from .errors import one_of

NORMS = ("none", "layernorm", "rmsnorm")
"""Normalisations a :class:`~initviz.network.Network` can apply (module docstring)."""

LAYERNORM_EPS = 1e-5
"""torch.nn.LayerNorm's default eps."""


def check_norm(norm) -> str:
    """``norm`` if it is one of :data:`NORMS`, else InitvizError."""
    if not isinstance(norm, str) or norm not in NORMS:
        raise one_of("norm", NORMS, norm)
    return norm


def norm_eps(norm: str, dtype) -> float:
    """The ε torch adds to the denominator: 1e-5 for LayerNorm, finfo(dtype).eps for RMSNorm."""
    return LAYERNORM_EPS if norm == "layernorm" else float(np.finfo(dtype).eps)


def _centred_and_scale(norm: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x − μ or x, r = 1/√(mean square + ε)) per row, in x's dtype."""
    d = x - x.mean(axis=1, keepdims=True, dtype=x.dtype) if norm == "layernorm" else x
    ms = np.mean(d * d, axis=1, keepdims=True, dtype=x.dtype)
    r = 1.0 / np.sqrt(ms + x.dtype.type(norm_eps(norm, x.dtype)))
    return d, r


def normalise(norm: str, x: np.ndarray) -> np.ndarray:
    """y = N(x) row by row (``x`` itself for ``"none"``)."""
    if norm == "none":
        return x
    d, r = _centred_and_scale(norm, x)
    return d * r


def normalise_backward(norm: str, x: np.ndarray, grad_y: np.ndarray) -> np.ndarray:
    """∂L/∂x from ∂L/∂y = ``grad_y`` for y = N(x) (``grad_y`` itself for ``"none"``)."""
    if norm == "none":
        return grad_y
    d, r = _centred_and_scale(norm, x)
    y = d * r
    proj = np.mean(grad_y * y, axis=1, keepdims=True, dtype=x.dtype)
    g = grad_y - grad_y.mean(axis=1, keepdims=True, dtype=x.dtype) if norm == "layernorm" else grad_y
    return r * (g - y * proj)


__all__ = ["NORMS", "LAYERNORM_EPS", "check_norm", "norm_eps", "normalise", "normalise_backward"]
