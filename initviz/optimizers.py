"""torch.optim's SGD, Adam and AdamW, step for step, on numpy arrays.

Each optimizer updates a list of parameter arrays in place from their gradients (its temporaries
preallocated once per parameter: the same products in the same order, without a fresh array per
operation), with the
arithmetic of torch 2.13's single-tensor implementation (what CPU tensors use), so the same
parameters and gradients give the same new parameters to rounding (``tests/test_optimizers.py``
against a fixture written by ``scripts/make_torch_training_fixture.py`` with real torch, float64,
1e-9 relative). For a parameter p with gradient g at step t = 1, 2, …:

**SGD** (``torch.optim.SGD``; momentum μ, dampening τ, weight decay λ, learning rate η)::

    g ← g + λ·p                                   (weight decay, before momentum)
    b ← g                       at the first step
    b ← μ·b + (1 − τ)·g         afterwards         (momentum buffer, when μ ≠ 0)
    d ← g + μ·b if nesterov else b                 (d = g without momentum)
    p ← p − η·d

**Adam** (``torch.optim.Adam``; β₁, β₂, ε, L2 weight decay λ)::

    g ← g + λ·p
    m ← m + (1 − β₁)·(g − m)                       (torch's lerp; m = 0 at t = 0)
    v ← β₂·v + (1 − β₂)·g²
    p ← p − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)

**AdamW** (``torch.optim.AdamW``): decoupled decay p ← p·(1 − η·λ) first, then the Adam step
without the L2 term (torch's default λ = 0.01 for AdamW, 0 for Adam).

**Per-parameter learning rates** (torch's parameter groups, one per parameter, differing in lr only):
``lr_scales`` (one multiplier s_i per parameter, in the order of ``step``'s lists; empty = all 1)
makes parameter i use η_i = η·s_i wherever η appears above (AdamW's decay too), and
``weight_decay_scales`` r_i its own decay λ_i = λ·r_i, as ``torch.optim.X([{"params": [p_i], "lr": η·s_i,
"weight_decay": λ·r_i}, …])`` does; s_i = r_i = 1 is η and λ themselves, bit for bit. The width
parametrisations of :mod:`initviz.parametrisation` use them.

``maximize``, ``amsgrad`` and other per-group options are not offered; invalid hyper-parameters are
refused with torch's rules (lr ≥ 0, momentum ≥ 0, Nesterov needs momentum > 0 and no dampening,
0 ≤ β < 1, ε ≥ 0, weight decay ≥ 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .errors import invalid, one_of
from .limits import check_float

OPTIMIZERS = ("sgd", "adam", "adamw")
"""Optimizer names :func:`make_optimizer` accepts."""


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> None:
    """start ← torch.lerp(start, end, weight), in place: start + w·(end − start) for w < 0.5, else
    end − (end − start)·(1 − w) (torch's two-sided formula, exact at both ends)."""
    diff = end - start
    if weight < 0.5:
        start += weight * diff
    else:
        np.subtract(end, diff * (1.0 - weight), out=start)


def _check_scales(name: str, scales) -> tuple:
    """Per-parameter multipliers as a tuple of finite floats ≥ 0."""
    try:
        return tuple(check_float(name, s, 0.0) for s in scales)
    except TypeError:
        raise invalid(name, "be a sequence of numbers ≥ 0", scales) from None


def _check_count(opt, params: list) -> None:
    for name in ("lr_scales", "weight_decay_scales"):
        scales = getattr(opt, name)
        if scales and len(scales) != len(params):
            raise invalid(name, f"give one multiplier per parameter ({len(params)})", len(scales))


def _wd(opt, i: int) -> float:
    """λ_i = λ·r_i of parameter i (λ when no scales are set)."""
    return opt.weight_decay * opt.weight_decay_scales[i] if opt.weight_decay_scales else opt.weight_decay


def _lr(opt, i: int) -> float:
    """η_i = η·s_i of parameter i (η when no scales are set; s_i = 1 gives η exactly)."""
    return opt.lr * opt.lr_scales[i] if opt.lr_scales else opt.lr


@dataclass
class SGD:
    """``torch.optim.SGD(params, lr, momentum, dampening, weight_decay, nesterov)`` (module docstring)."""

    lr: float = 1e-3
    momentum: float = 0.0
    dampening: float = 0.0
    weight_decay: float = 0.0
    nesterov: bool = False
    lr_scales: tuple = ()
    weight_decay_scales: tuple = ()
    buffers: list = field(default_factory=list, repr=False)
    scratch: list = field(default_factory=list, repr=False)

    def __post_init__(self):
        self.lr = check_float("lr", self.lr, 0.0)
        self.momentum = check_float("momentum", self.momentum, 0.0)
        self.dampening = check_float("dampening", self.dampening)
        self.weight_decay = check_float("weight_decay", self.weight_decay, 0.0)
        if not isinstance(self.nesterov, bool):
            raise invalid("nesterov", "be True or False", self.nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise invalid("nesterov", "come with momentum > 0 and dampening = 0 (torch's rule)", self.nesterov)
        self.lr_scales = _check_scales("lr_scales", self.lr_scales)
        self.weight_decay_scales = _check_scales("weight_decay_scales", self.weight_decay_scales)

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """One update of every parameter, in place (``grads`` are left unchanged)."""
        _check_count(self, params)
        if not self.buffers:
            self.buffers = [None] * len(params)
            self.scratch = [np.empty_like(p) for p in params]
        for i, (p, g, tmp) in enumerate(zip(params, grads, self.scratch)):
            wd, one = _wd(self, i), p.dtype.type
            d = g + one(wd) * p if wd else g
            if self.momentum:
                buf = self.buffers[i]
                if buf is None:
                    buf = self.buffers[i] = d.copy()
                else:
                    buf *= one(self.momentum)
                    if self.dampening:
                        buf += np.multiply(d, one(1.0 - self.dampening), out=tmp)
                    else:  # (1 − 0)·d is d itself
                        buf += d
                d = d + one(self.momentum) * buf if self.nesterov else buf
            p -= np.multiply(d, one(_lr(self, i)), out=tmp)


@dataclass
class Adam:
    """``torch.optim.Adam(params, lr, betas, eps, weight_decay)``; ``decoupled=True`` is
    ``torch.optim.AdamW`` (module docstring)."""

    lr: float = 1e-3
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    decoupled: bool = False
    lr_scales: tuple = ()
    weight_decay_scales: tuple = ()
    t: int = 0
    moments: list = field(default_factory=list, repr=False)
    scratch: list = field(default_factory=list, repr=False)

    def __post_init__(self):
        self.lr = check_float("lr", self.lr, 0.0)
        try:
            b1, b2 = self.betas
        except (TypeError, ValueError):
            raise invalid("betas", "be a pair (beta1, beta2)", self.betas) from None
        self.betas = (check_float("betas[0]", b1, 0.0, math.nextafter(1.0, 0.0)),
                      check_float("betas[1]", b2, 0.0, math.nextafter(1.0, 0.0)))
        self.eps = check_float("eps", self.eps, 0.0)
        self.weight_decay = check_float("weight_decay", self.weight_decay, 0.0)
        self.lr_scales = _check_scales("lr_scales", self.lr_scales)
        self.weight_decay_scales = _check_scales("weight_decay_scales", self.weight_decay_scales)

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """One update of every parameter, in place (``grads`` are left unchanged)."""
        _check_count(self, params)
        if not self.moments:
            self.moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
            self.scratch = [(np.empty_like(p), np.empty_like(p)) for p in params]
        self.t += 1
        b1, b2 = self.betas
        correction1 = 1.0 - b1 ** self.t
        correction2_sqrt = math.sqrt(1.0 - b2 ** self.t)
        for i, (p, g, (m, v), (tmp, denom)) in enumerate(zip(params, grads, self.moments, self.scratch)):
            one, lr = p.dtype.type, _lr(self, i)
            step_size, wd = lr / correction1, _wd(self, i)
            if wd and self.decoupled:
                p *= one(1.0 - lr * wd)
            elif wd:
                g = g + one(wd) * p
            _lerp(m, g, 1.0 - b1)
            v *= one(b2)
            v += np.multiply(np.multiply(g, g, out=tmp), one(1.0 - b2), out=tmp)
            np.divide(np.sqrt(v, out=denom), one(correction2_sqrt), out=denom)
            denom += one(self.eps)
            p -= np.multiply(np.divide(m, denom, out=tmp), one(step_size), out=tmp)


def make_optimizer(name: str, lr: float, momentum: float = 0.0, weight_decay: float | None = None,
                   **options) -> SGD | Adam:
    """A fresh optimizer by name (:data:`OPTIMIZERS`) with torch's defaults: ``weight_decay`` None
    means 0 for SGD and Adam, 0.01 for AdamW; ``options`` are the class's other fields
    (``dampening``, ``nesterov`` for SGD; ``betas``, ``eps`` for Adam/AdamW)."""
    if name not in OPTIMIZERS:
        raise one_of("optimizer", OPTIMIZERS, name)
    if name == "sgd":
        return SGD(lr=lr, momentum=momentum, weight_decay=weight_decay or 0.0, **options)
    if momentum:
        raise invalid("momentum", f"be 0 for {name} (its momentum is betas[0])", momentum)
    decay = (0.01 if name == "adamw" else 0.0) if weight_decay is None else weight_decay
    return Adam(lr=lr, weight_decay=decay, decoupled=name == "adamw", **options)


__all__ = ["SGD", "Adam", "OPTIMIZERS", "make_optimizer"]
