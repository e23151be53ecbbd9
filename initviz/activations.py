"""Activation functions φ with their derivatives φ′, torch gains, saturation and dead units.

Every function maps an array to an array of the same floating dtype (float32 stays float32) and
never overflows on its own: sigmoid, silu and softplus are evaluated through e^{−|x|}, ELU/SELU
through expm1 of min(x, 0), so ±1e4 (or ±inf) inputs give the limits, not NaN.

| name | φ(x) | φ′(x) | φ″(x) | torch gain |
|---|---|---|---|---|
| linear | x | 1 | 0 | ``linear`` (1) |
| tanh | tanh x | 1 − tanh²x | −2 tanh x (1 − tanh²x) | ``tanh`` (5/3) |
| sigmoid | σ(x) = 1/(1 + e^{−x}) | σ(x)(1 − σ(x)) | σ(1 − σ)(1 − 2σ) | ``sigmoid`` (1) |
| relu | max(x, 0) | 1[x > 0] | 0 | ``relu`` (√2) |
| leaky_relu(a) | x if x > 0 else a·x (a = 0.01) | 1 if x > 0 else a | 0 | ``leaky_relu``, a |
| elu(α) | x if x > 0 else α(eˣ − 1) (α = 1) | 1 if x > 0 else α·eˣ | 0 if x > 0 else α·eˣ | — |
| selu | λ·elu_α(x), α ≈ 1.6733, λ ≈ 1.0507 | λ·elu_α′(x) | λ·elu_α″(x) | ``selu`` (3/4) |
| gelu | x·Φ(x) = x·½(1 + erf(x/√2)) | Φ(x) + x·φ_N(x) | φ_N(x)(2 − x²) | — |
| silu | x·σ(x) | σ(x)(1 + x(1 − σ(x))) | σ(1 − σ)(2 + x(1 − 2σ)) | — |
| softplus | log(1 + eˣ) | σ(x) | σ(x)(1 − σ(x)) | — |
| hardtanh | max(−1, min(x, 1)) | 1[−1 < x < 1] | 0 | — |
| erf | erf x | (2/√π) e^{−x²} | −2x·φ′(x) | — |

Derivatives at a kink take the value torch's autograd uses (relu′(0) = 0, leaky_relu′(0) = a,
hardtanh′(±1) = 0: ``nn.Hardtanh`` passes gradient only strictly inside (min_val, max_val) = (−1, 1)).
φ″ is the derivative of φ′ where it exists (almost everywhere): at a kink x_k (``kinks``: 0 for
relu, leaky_relu, ELU and SELU; ±1 for hardtanh) it would be a Dirac mass [φ′(x_k⁺) − φ′(x_k⁻)]·δ,
which φ″ leaves out. For the kinks at 0 φ(0) = 0, so Gaussian expectations of φ·φ″ (the slope of
the variance map) lose nothing by it; hardtanh's kinks have φ(±1) = ±1 and jumps ∓1, so its
E[φ(U)φ″(U)] is all Dirac mass, −p_U(1) − p_U(−1) (p_U the density of U) — the mean-field code adds
these terms (:func:`initviz.meanfield.kink_term`) and cuts its quadrature rules at every kink.
erf is ``torch.erf`` (``scipy.special.erf`` here); hardtanh is ``nn.Hardtanh()`` (min_val −1, max_val 1).
SELU constants are Klambauer et al. (2017); GELU is the exact (erf) form of Hendrycks & Gimpel
(2016), evaluated as x·Φ(x) with Φ = ``scipy.special.ndtr`` so the lower tail does not cancel.
The gain itself is :func:`initviz.fans.calculate_gain` (torch semantics); this module only names it.

*Saturation* (Glorot & Bengio 2010) is defined for the activations with two finite rails,
tanh, erf and hardtanh (−1, 1) and sigmoid (0, 1): a unit is saturated when its output lies within
``SATURATION_TOL`` = 1 % of the range (hi − lo) from a rail — |tanh| ≥ 0.98, sigmoid ≤ 0.01 or
≥ 0.99. Because tanh(x) = 2σ(2x) − 1, both definitions pick out the same pre-activations.
The other activations have no saturation in this sense (ELU/SELU approach a rail on one side only).

*Dead units* exist for the activations whose output is exactly 0 on a half-line — relu, and
leaky_relu / elu with a zero parameter: a unit is dead when its output is 0 for every sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import special

from .errors import invalid, one_of
from .limits import check_float

SATURATION_TOL = 0.01
"""A saturating unit is saturated within this fraction of its range (hi − lo) from a rail."""

SELU_ALPHA = 1.6732632423543772848170429916717
"""SELU α (Klambauer et al. 2017), as in torch."""

SELU_SCALE = 1.0507009873554804934193349852946
"""SELU λ (Klambauer et al. 2017), as in torch."""

_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _sigmoid(x):
    """σ(x) from e^{−|x|} ∈ (0, 1]: never overflows."""
    e = np.exp(-np.abs(x))
    r = 1.0 / (1.0 + e)
    return np.where(x >= 0, r, e * r)


def _ones_like(x):
    return np.ones_like(x)


def _tanh_prime(x):
    t = np.tanh(x)
    if not isinstance(t, np.ndarray):  # a scalar
        return 1.0 - t * t
    np.multiply(t, t, out=t)
    return np.subtract(1.0, t, out=t)  # the same 1 − t·t, in one array


def _one_minus_square(y):
    """1 − y·y (tanh′ from y = tanh x), in one fresh array."""
    t = np.multiply(y, y)
    return np.subtract(1.0, t, out=t) if isinstance(t, np.ndarray) else 1.0 - t


def _sigmoid_prime(x):
    s = _sigmoid(x)
    return s * (1.0 - s)


def _leaky(x, a):
    return np.where(x > 0, x, x * a)


def _leaky_prime(x, a):
    return np.where(x > 0, 1.0, a).astype(x.dtype, copy=False)


def _elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _elu_prime(x, alpha):
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype, copy=False)


def _gelu(x):
    return x * special.ndtr(x)


def _gelu_prime(x):
    return special.ndtr(x) + x * np.exp(-0.5 * x * x) / _SQRT_2PI


def _silu(x):
    return x * _sigmoid(x)


def _silu_prime(x):
    s = _sigmoid(x)
    return s * (1.0 + x * (1.0 - s))


def _softplus(x):
    return np.logaddexp(x, 0.0)


def _hardtanh_prime(x):
    return ((x > -1) & (x < 1)).astype(x.dtype)


def _erf_prime(x):
    return (2.0 / math.sqrt(math.pi)) * np.exp(-x * x)


def _erf_second(x):
    return -2.0 * x * _erf_prime(x)


def _zeros_like(x):
    return np.zeros_like(x)


def _tanh_second(x):
    t = np.tanh(x)
    return -2.0 * t * (1.0 - t * t)


def _sigmoid_second(x):
    s = _sigmoid(x)
    return s * (1.0 - s) * (1.0 - 2.0 * s)


def _elu_second(x, alpha):
    return np.where(x > 0, 0.0, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype, copy=False)


def _gelu_second(x):
    return np.exp(-0.5 * x * x) / _SQRT_2PI * (2.0 - x * x)


def _silu_second(x):
    s = _sigmoid(x)
    return s * (1.0 - s) * (2.0 + x * (1.0 - 2.0 * s))


@dataclass(frozen=True)
class ActivationSpec:
    """One entry of :data:`ACTIVATIONS`: the formula and its metadata.

    ``fn(x, param)`` and ``prime(x, param)`` evaluate φ and φ′; ``param_name``/``default`` name
    the optional parameter and its default; ``gain`` is the torch ``calculate_gain`` name (None
    where torch defines none); ``rails`` the two finite rails of a saturating activation;
    ``dead_when`` tells, for a parameter value, whether φ is exactly 0 on a half-line;
    ``leaky_slope`` gives a for the positively homogeneous φ(x) = x (x > 0), a·x (x ≤ 0);
    ``second(x, param)`` evaluates φ″ almost everywhere; ``kinks`` are the points where φ′ jumps
    (module docstring); ``prime_of_output(y, param)``, where defined, is φ′ computed from y = φ(x)
    by the same operations ``prime`` applies to its own φ(x) (tanh: 1 − y², sigmoid: y(1 − y)).
    """

    formula: str
    fn: Callable
    prime: Callable
    param_name: str | None = None
    default: float | None = None
    param_min: float = -math.inf
    gain: str | None = None
    rails: tuple[float, float] | None = None
    dead_when: Callable[[float | None], bool] = lambda p: False  # noqa: E731
    leaky_slope: Callable[[float | None], float | None] = lambda p: None  # noqa: E731
    second: Callable | None = None
    kinks: tuple[float, ...] = ()
    prime_of_output: Callable | None = None


ACTIVATIONS: dict[str, ActivationSpec] = {
    "linear": ActivationSpec("x", lambda x, p: x, lambda x, p: _ones_like(x), gain="linear",
                             leaky_slope=lambda p: 1.0, second=lambda x, p: _zeros_like(x)),
    "tanh": ActivationSpec("tanh x", lambda x, p: np.tanh(x), lambda x, p: _tanh_prime(x), gain="tanh",
                           rails=(-1.0, 1.0), second=lambda x, p: _tanh_second(x),
                           prime_of_output=lambda y, p: _one_minus_square(y)),
    "sigmoid": ActivationSpec("1/(1+e^-x)", lambda x, p: _sigmoid(x), lambda x, p: _sigmoid_prime(x),
                              gain="sigmoid", rails=(0.0, 1.0), second=lambda x, p: _sigmoid_second(x),
                              prime_of_output=lambda y, p: y * (1.0 - y)),
    "relu": ActivationSpec("max(x, 0)", lambda x, p: np.maximum(x, 0), lambda x, p: _leaky_prime(x, 0.0),
                           gain="relu", dead_when=lambda p: True, leaky_slope=lambda p: 0.0,
                           second=lambda x, p: _zeros_like(x), kinks=(0.0,)),
    "leaky_relu": ActivationSpec("x if x > 0 else a*x", _leaky, _leaky_prime, param_name="negative_slope",
                                 default=0.01, gain="leaky_relu", dead_when=lambda p: p == 0,
                                 leaky_slope=lambda p: p, second=lambda x, p: _zeros_like(x), kinks=(0.0,)),
    "elu": ActivationSpec("x if x > 0 else alpha*(e^x - 1)", _elu, _elu_prime, param_name="alpha",
                          default=1.0, param_min=0.0, dead_when=lambda p: p == 0, second=_elu_second,
                          kinks=(0.0,)),
    "selu": ActivationSpec("scale*elu(x, alpha)", lambda x, p: SELU_SCALE * _elu(x, SELU_ALPHA),
                           lambda x, p: SELU_SCALE * _elu_prime(x, SELU_ALPHA), gain="selu",
                           second=lambda x, p: SELU_SCALE * _elu_second(x, SELU_ALPHA), kinks=(0.0,)),
    "gelu": ActivationSpec("x*Phi(x)", lambda x, p: _gelu(x), lambda x, p: _gelu_prime(x),
                           second=lambda x, p: _gelu_second(x)),
    "silu": ActivationSpec("x*sigmoid(x)", lambda x, p: _silu(x), lambda x, p: _silu_prime(x),
                           second=lambda x, p: _silu_second(x)),
    "softplus": ActivationSpec("log(1+e^x)", lambda x, p: _softplus(x), lambda x, p: _sigmoid(x),
                               second=lambda x, p: _sigmoid_prime(x)),
    "hardtanh": ActivationSpec("max(-1, min(x, 1))", lambda x, p: np.clip(x, -1.0, 1.0),
                               lambda x, p: _hardtanh_prime(x), rails=(-1.0, 1.0),
                               second=lambda x, p: _zeros_like(x), kinks=(-1.0, 1.0)),
    "erf": ActivationSpec("erf(x)", lambda x, p: special.erf(x), lambda x, p: _erf_prime(x), rails=(-1.0, 1.0),
                          second=lambda x, p: _erf_second(x)),
}
"""Every supported activation by name; drives the UI choices and parametrised tests."""


@dataclass(frozen=True)
class Activation:
    """An activation with its parameter bound (``param`` is None for the parameter-free ones).

    Build it with :func:`get_activation`, which validates; calling it evaluates φ elementwise.
    """

    name: str
    param: float | None = None

    @property
    def spec(self) -> ActivationSpec:
        return ACTIVATIONS[self.name]

    @property
    def label(self) -> str:
        """``"leaky_relu(0.2)"`` or ``"tanh"``."""
        return self.name if self.param is None else f"{self.name}({self.param:g})"

    def __call__(self, x) -> np.ndarray:
        """φ(x), elementwise, in the dtype of ``x``."""
        x = np.asarray(x)
        return np.asarray(self.spec.fn(x, self.param), dtype=x.dtype)

    def derivative(self, x, phi=None) -> np.ndarray:
        """φ′(x), elementwise, in the dtype of ``x``; ``phi`` = φ(x) (as :meth:`__call__` gives it),
        when known, spares recomputing it where φ′ is a function of φ (the same numbers)."""
        x = np.asarray(x)
        if phi is not None and self.spec.prime_of_output is not None and x.dtype.kind == "f":
            return np.asarray(self.spec.prime_of_output(np.asarray(phi), self.param), dtype=x.dtype)
        return np.asarray(self.spec.prime(x, self.param), dtype=x.dtype)

    def second_derivative(self, x) -> np.ndarray:
        """φ″(x), elementwise, in the dtype of ``x`` (almost everywhere: 0 at a kink, see the module docstring)."""
        x = np.asarray(x)
        return np.asarray(self.spec.second(x, self.param), dtype=x.dtype)

    @property
    def gain_name(self) -> str | None:
        """The torch ``calculate_gain`` nonlinearity name, or None where torch defines no gain."""
        return self.spec.gain

    def gain(self) -> float | None:
        """torch's recommended gain, ``calculate_gain(gain_name, param)``; None if undefined."""
        if self.gain_name is None:
            return None
        from .fans import calculate_gain

        return calculate_gain(self.gain_name, self.param)

    @property
    def rails(self) -> tuple[float, float] | None:
        """(lo, hi) of a saturating activation (tanh, sigmoid); None for the others."""
        return self.spec.rails

    def saturated(self, out) -> np.ndarray:
        """Mask of outputs φ(x) within ``SATURATION_TOL``·(hi − lo) of a rail.

        Only defined for saturating activations (``rails`` not None)."""
        low, high = self._saturation_bounds()
        out = np.asarray(out)
        return (out <= low) | (out >= high)

    def saturated_fraction(self, out) -> float:
        """The fraction of outputs :meth:`saturated`: the two rails' counts (the tolerance band of one
        rail never reaches the other) over the size — the mean of the mask, without forming it."""
        low, high = self._saturation_bounds()
        out = np.asarray(out)
        return (np.count_nonzero(out <= low) + np.count_nonzero(out >= high)) / out.size

    def _saturation_bounds(self) -> tuple[float, float]:
        """Outputs at or below the first, or at or above the second, are saturated."""
        lo, hi = self.rails
        tol = SATURATION_TOL * (hi - lo)
        return lo + tol, hi - tol

    @property
    def has_dead_units(self) -> bool:
        """True when φ is exactly 0 on a half-line (relu; leaky_relu/elu with parameter 0)."""
        return bool(self.spec.dead_when(self.param))

    @property
    def leaky_slope(self) -> float | None:
        """a when φ(x) = x for x > 0 and a·x for x ≤ 0 (linear 1, relu 0, leaky_relu a), else None.

        These positively homogeneous activations have closed-form Gaussian moments."""
        return self.spec.leaky_slope(self.param)


def get_activation(name: str, param: float | None = None) -> Activation:
    """The activation ``name`` with its parameter (default when None), validated.

    ``leaky_relu`` takes ``negative_slope`` (default 0.01, torch's), ``elu`` takes ``alpha`` ≥ 0
    (default 1.0); the others take none.
    """
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise one_of("activation", ACTIVATIONS, name)
    spec = ACTIVATIONS[name]
    if spec.param_name is None:
        if param is not None:
            raise invalid("param", f"be None: {name} takes no parameter", param)
        return Activation(name)
    value = spec.default if param is None else check_float(spec.param_name, param, lo=spec.param_min)
    return Activation(name, value)


__all__ = ["ACTIVATIONS", "Activation", "ActivationSpec", "get_activation", "SATURATION_TOL",
           "SELU_ALPHA", "SELU_SCALE"]
