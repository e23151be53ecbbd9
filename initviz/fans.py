"""Fan-in, fan-out and gains, with the reference libraries' exact semantics.

**Layouts.** A torch weight is ``(fan_out, fan_in, *kernel)`` and a dense layer computes
``x @ W.T``; torch's ``_calculate_fan_in_and_fan_out`` reads ``fan_in = size(1)·rf`` and
``fan_out = size(0)·rf`` with ``rf = ∏ shape[2:]``, and refuses tensors with fewer than 2
dimensions. Keras and JAX/Flax kernels are ``(*kernel, in, out)`` and a dense layer computes
``x @ K``: ``fan_in = shape[−2]·rf``, ``fan_out = shape[−1]·rf`` with ``rf = ∏ shape[:−2]``. The
same layer therefore gets the same fans in both libraries — a dense Keras kernel is the transpose
of the torch weight, a conv kernel is a permutation of it. They differ only below 2 dimensions:
Keras uses (1, 1) for a scalar and (n, n) for a vector, JAX refuses both, as torch does.

**Groups and transposed convolutions.** Both libraries read fans from the weight's shape alone.
A grouped ``Conv`` weight is ``(out, in/groups, *k)``: its fan_in ``in/groups·∏k`` is what each
output unit sees, but its fan_out ``out·∏k`` counts ``groups`` times the ``out/groups·∏k``
outputs one input reaches. A ``ConvTranspose`` weight is ``(in, out/groups, *k)``, so torch's
"fan_in" is ``out/groups·∏k`` — the number of outputs each input unit feeds, i.e. the layer's
true fan-out (Keras's ``Conv*DTranspose`` kernel ``(*k, out, in)`` has the same swap). With the
default arguments :func:`compute_fans` returns the library's numbers exactly; ``transposed=True``
or ``groups > 1`` asks instead for the layer's *connectivity* fans (connections per output unit
and per input unit, counting every kernel tap, stride 1).

**Gains** (torch ``calculate_gain``): linear/conv/sigmoid 1, tanh 5/3, relu √2,
leaky_relu √(2/(1+slope²)) (slope 0.01 when no param is given), selu 3/4. The gain g makes
Var[w] = g²/fan keep the second moment of the signal (He et al. 2015); tanh's 5/3 and selu's 3/4
are empirical choices, not fixed points.
"""

from __future__ import annotations

import math
import numbers

from .errors import invalid, one_of
from .laws import as_shape

LAYOUTS = ("torch", "keras", "jax")
"""Weight layouts: torch ``(out, in, *k)``; Keras and JAX ``(*k, in, out)``."""

LINEAR_GAIN_NONLINEARITIES = ("linear", "conv1d", "conv2d", "conv3d",
                              "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid")
"""Names whose torch gain is 1."""

GAIN_NONLINEARITIES = (*LINEAR_GAIN_NONLINEARITIES, "tanh", "relu", "leaky_relu", "selu")
"""Every name torch's ``calculate_gain`` accepts."""

LEAKY_RELU_DEFAULT_SLOPE = 0.01
"""torch's negative slope for ``calculate_gain("leaky_relu")`` without a param."""

_FIXED_GAINS = {"tanh": 5.0 / 3, "relu": math.sqrt(2.0), "selu": 3.0 / 4}


def compute_fans(shape, *, layout: str = "torch", transposed: bool = False, groups: int = 1) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape`` in ``layout``.

    With ``transposed=False, groups=1`` this is exactly the library's own rule: torch's
    ``_calculate_fan_in_and_fan_out`` (``layout="torch"``), Keras's ``compute_fans``
    (``"keras"``, which also accepts 0-D and 1-D shapes) or JAX's ``_compute_fans`` with the
    default axes (``"jax"``). Otherwise the fans of the layer's connectivity (see the module
    docstring): for a grouped conv weight ``(out, in/g, *k)`` (Keras/JAX ``(*k, in/g, out)``)
    ``fan_in = in/g·∏k``, ``fan_out = out/g·∏k``; for a transposed conv weight
    ``(in, out/g, *k)`` (Keras ``(*k, out/g, in)``) ``fan_in = in/g·∏k``, ``fan_out = out/g·∏k``.

    >>> compute_fans((128, 64, 3, 3))
    (576, 1152)
    >>> compute_fans((3, 3, 64, 128), layout="keras")
    (576, 1152)
    """
    dims = as_shape(shape)
    if layout not in LAYOUTS:
        raise one_of("layout", LAYOUTS, layout)
    if not isinstance(transposed, bool):
        raise invalid("transposed", "be a bool", transposed)
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool) or groups < 1:
        raise invalid("groups", "be a positive int", groups)
    if len(dims) < 2:
        if layout == "keras" and not transposed and groups == 1:
            n = dims[0] if dims else 1
            return n, n
        raise invalid("shape", "have at least 2 dimensions to define fan in and fan out "
                      "(torch: 'Fan in and fan out can not be computed for tensor with fewer than 2 dimensions')",
                      dims)
    if layout == "torch":
        lead, per_group, rf = dims[0], dims[1], math.prod(dims[2:])
    else:
        lead, per_group, rf = dims[-1], dims[-2], math.prod(dims[:-2])
    if lead % groups:
        axis = "shape[0]" if layout == "torch" else "shape[-1]"
        raise invalid("groups", f"divide {axis}={lead}", groups)
    if transposed:
        return lead // groups * rf, per_group * rf
    return per_group * rf, lead // groups * rf


def calculate_gain(nonlinearity: str, param=None) -> float:
    """torch's recommended gain for ``nonlinearity`` (``param``: leaky_relu's negative slope).

    ==================  ==========================
    linear, conv*, sigmoid  1
    tanh                5/3
    relu                √2
    leaky_relu          √(2/(1 + slope²)), slope = param or 0.01 when param is None
    selu                3/4
    ==================  ==========================

    As in torch, ``param`` is read only for leaky_relu, where it must be a number (not a bool).
    """
    if nonlinearity in LINEAR_GAIN_NONLINEARITIES:
        return 1.0
    if nonlinearity in _FIXED_GAINS:
        return _FIXED_GAINS[nonlinearity]
    if nonlinearity != "leaky_relu":
        raise one_of("nonlinearity", GAIN_NONLINEARITIES, nonlinearity)
    if param is None:
        slope = LEAKY_RELU_DEFAULT_SLOPE
    elif isinstance(param, numbers.Real) and not isinstance(param, bool) and math.isfinite(param):
        slope = float(param)
    else:
        raise invalid("param", "be a finite number (leaky_relu's negative slope), not a bool", param)
    return math.sqrt(2.0 / (1 + slope ** 2))


__all__ = ["compute_fans", "calculate_gain", "LAYOUTS", "GAIN_NONLINEARITIES", "LINEAR_GAIN_NONLINEARITIES",
           "LEAKY_RELU_DEFAULT_SLOPE"]
