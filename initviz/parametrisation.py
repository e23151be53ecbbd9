"""Width parametrisations of an MLP: how initialisation, learning rates and the output scale change
with width — standard (SP), NTK and the maximal-update parametrisation μP (Yang & Hu, Tensor
Programs V, Table 3; the width-multiplier form of ``microsoft/mup``, its Table 8).

A :class:`Parametrisation` of an L-layer :class:`~initviz.Network` is three per-layer lists and one
number, applied by :func:`initviz.train` on top of the network's own init scheme:

* ``init_scales`` c_l — W_l is the scheme's draw times c_l (0: zero-initialised);
* ``lr_scales`` s_l and ``bias_lr_scales`` s_l^b — W_l and b_l train with learning rate η·s_l, η·s_l^b
  (torch parameter groups: :mod:`initviz.optimizers`);
* ``output_multiplier`` α — the last layer computes h^L = (α·a^{L−1}) W_Lᵀ + b_L (mup's
  ``MuReadout``: the bias is not multiplied).

**Widths.** Layer 1 is the *input* layer (fan_in n_0, the data's dimension, fixed), layers 2…L−1
are *hidden* (both sides scale with width), layer L is the *output* layer (fan_out n_L, the classes,
fixed). Each hidden dimension n_j has a width multiplier m_j = n_j / n̄ against a ``base_width`` n̄ (mup's
base shapes); the fixed dimensions have multiplier 1. At n_j = n̄ every preset is SP (all scales 1).

**Presets** (m_in, m_out the multipliers of a layer's fan_in and fan_out; the scheme's draw has
variance σ²/fan_in — use a fan_in scheme such as ``kaiming_normal``):

* ``"sp"`` — standard: the scheme's draw, one learning rate, α = 1 (PyTorch default / Kaiming).
* ``"ntk"`` — the NTK parametrisation W_l = w_l/√fan_in with w_l ~ N(0, σ²) trained at η is the same
  training trajectory as SP weights trained at η·(n̄/fan_in) for SGD (the gradient in w is
  ∂L/∂W/√fan_in, and W moves by 1/√fan_in of w's move) and at η·√(n̄/fan_in) for Adam (whose step
  is invariant to the gradient's scale; up to ε): ``lr_scales`` = 1/m_in (SGD) or 1/√m_in (Adam), for
  weights and biases alike (a bias has no fan_in: scale 1). Relative to the base width, as μP.
* ``"mup"`` — μP in mup's form. Init: input and hidden layers the scheme's draw (variance 1/fan_in,
  Table 3); the output layer zero (``readout_zero``, mup's recommendation) or the draw times √m_in
  (mup's ``_rescale_parameters``), read through α = ``output_mult``/m_in, so its effective variance
  is ∝ 1/fan_in² (Table 3). Learning rates (mup's ``MuSGD`` / ``MuAdam``):

  ====================  ==================  ==================  ==============
  parameter             SGD (``MuSGD``)     Adam (``MuAdam``)   Table 3
  ====================  ==================  ==================  ==============
  input W, biases       × m_out             × 1                 fan_out / 1
  hidden W              × m_out/m_in        × 1/m_in            1 / 1/fan_in
  output W (via α)      × m_in              × 1                 1/fan_in both
  output bias           × 1                 × 1                 —
  ====================  ==================  ==================  ==============

  (the output W's rate is on the stored weight; through α = 1/m_in its effective rate is η/m_in².
  SGD: η/m_in on the effective weight, Table 3's 1/fan_in; Adam: η/m_in.) Weight decay λ is scaled
  by 1/s wherever the learning rate is scaled by s (mup's default), so AdamW's decay η_i·λ_i stays η·λ.

**Residual networks** (``Network.residual_net`` with ``in_features`` and ``out_features``;
:mod:`initviz.residual_training`): the weight layers in :func:`initviz.train`'s order — the input layer
is *input*, every branch layer *hidden* (its own fan_in and fan_out: a branch of ``hidden`` units
has m_out ≠ m_in), the readout *output* (it reads α·o, o the blocks' output) — with the same rules
(Tensor Programs V, Table 3, as for the MLP). The preset's branch multipliers and the norms are the
network's own and stay as they are.

**Deliberate mistakes** (the issues people post about their coordinate checks): ``readout_zero=False``
(the output at init shrinks as 1/√width — harmless but not flat, mup issue #42); :func:`parametrise`'s
``learning_rates="sp"`` (μP's init and α with SP learning rates); Adam with coupled weight decay
(``optimizer="adam"`` and a ``weight_decay`` in :func:`initviz.train`: the L2 term is normalised with
the gradient, mup PR #73).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import invalid, one_of
from .limits import MAX_WIDTH, check_float, check_int

PARAMETRISATIONS = ("sp", "ntk", "mup")
"""Preset names :func:`parametrise` accepts (module docstring)."""

LAYER_KINDS = ("input", "hidden", "output")
"""How a layer's fan_in and fan_out scale: fixed → width, width → width, width → fixed."""


@dataclass(frozen=True)
class Parametrisation:
    """Per-layer init multipliers, learning-rate multipliers of weights and biases, and the output
    multiplier α of one network (module docstring). ``name`` says which preset made it."""

    name: str
    init_scales: tuple[float, ...]
    lr_scales: tuple[float, ...]
    bias_lr_scales: tuple[float, ...]
    output_multiplier: float = 1.0

    def __post_init__(self):
        depth = len(self.init_scales)
        for field in ("init_scales", "lr_scales", "bias_lr_scales"):
            values = tuple(check_float(field, v, 0.0) for v in getattr(self, field))
            if len(values) != depth:
                raise invalid(field, f"give one value per layer ({depth})", len(values))
            object.__setattr__(self, field, values)
        object.__setattr__(self, "output_multiplier", check_float("output_multiplier", self.output_multiplier))

    @property
    def depth(self) -> int:
        return len(self.init_scales)

    def param_lr_scales(self, biases: bool = True) -> tuple[float, ...]:
        """The learning-rate multipliers in :func:`initviz.train`'s parameter order (W_1, b_1, W_2, …;
        the weights alone without ``biases``)."""
        if not biases:
            return self.lr_scales
        return tuple(s for pair in zip(self.lr_scales, self.bias_lr_scales) for s in pair)

    def param_weight_decay_scales(self, biases: bool = True) -> tuple[float, ...]:
        """Weight-decay multipliers 1/s per parameter (same order): λ_i = λ/s_i keeps η_i·λ_i = η·λ, mup's
        rule for both coupled and decoupled decay (``MuSGD``/``MuAdam`` with ``decoupled_wd=False``)."""
        return tuple(1.0 / s if s > 0 else 1.0 for s in self.param_lr_scales(biases))

    @classmethod
    def standard(cls, depth: int) -> "Parametrisation":
        """SP: every scale 1, α = 1 (what :func:`initviz.train` does without a parametrisation)."""
        return cls("sp", (1.0,) * depth, (1.0,) * depth, (1.0,) * depth)


def layer_kinds(depth: int) -> tuple[str, ...]:
    """``("input", "hidden", …, "output")`` for ``depth`` ≥ 2 layers."""
    return ("input",) + ("hidden",) * (depth - 2) + ("output",)


def parametrise(net, preset: str = "mup", optimizer: str = "sgd", base_width: int = 128, *,
                readout_zero: bool = True, output_mult: float = 1.0, learning_rates: str | None = None
                ) -> Parametrisation:
    """The :class:`Parametrisation` of preset ``preset`` (:data:`PARAMETRISATIONS`) for ``net`` (an
    MLP of depth ≥ 2, or a residual network with an input layer and a readout) trained by
    ``optimizer`` (``"sgd"``, or ``"adam"``/``"adamw"``: Adam's rules), with width multipliers against ``base_width`` (module docstring). ``readout_zero`` and
    ``output_mult`` shape μP's output layer; ``learning_rates`` (default: the preset's own) takes the
    learning-rate multipliers of another preset — ``"sp"`` with ``preset="mup"`` is the mistake
    "μP init with SP learning rates".

    >>> import initviz as iv
    >>> net = iv.Network.mlp(64, [256, 256, 10], "tanh", "kaiming_normal", {"nonlinearity": "linear"})
    >>> p = parametrise(net, "mup", "sgd", base_width=128)
    >>> p.lr_scales, p.output_multiplier
    ((2.0, 1.0, 2.0), 0.5)
    """
    if preset not in PARAMETRISATIONS:
        raise one_of("preset", PARAMETRISATIONS, preset)
    rates = preset if learning_rates is None else learning_rates
    if rates not in PARAMETRISATIONS:
        raise one_of("learning_rates", PARAMETRISATIONS, rates)
    if optimizer not in ("sgd", "adam", "adamw"):
        raise one_of("optimizer", ("sgd", "adam", "adamw"), optimizer)
    shapes = _weight_layers(net)
    if not isinstance(readout_zero, bool):
        raise invalid("readout_zero", "be True or False", readout_zero)
    base = check_int("base_width", base_width, 1, MAX_WIDTH)
    output_mult = check_float("output_mult", output_mult)
    adam = optimizer != "sgd"
    init, lrs, bias_lrs = [], [], []
    for kind, (out, fan_in) in zip(layer_kinds(len(shapes)), shapes):
        # m_j of each side: the data's (fan_in of the input layer) and the classes' (fan_out of the output) fixed
        m_in, m_out = 1.0 if kind == "input" else fan_in / base, 1.0 if kind == "output" else out / base
        init.append(_init_scale(preset, kind, m_in, readout_zero))
        lrs.append(_lr_scale(rates, kind, m_in, m_out, adam))
        bias_lrs.append(_bias_lr_scale(rates, kind, m_out, adam))
    alpha = output_mult / m_in if preset == "mup" else 1.0  # m_in of the output layer
    name = preset if rates == preset else f"{preset} (lr {rates})"
    return Parametrisation(name, tuple(init), tuple(lrs), tuple(bias_lrs), alpha)


def _weight_layers(net) -> tuple[tuple[int, int], ...]:
    """The (fan_out, fan_in) of ``net``'s weight layers in :func:`initviz.train`'s order (input,
    hidden…, output); InitvizError when there is no input and output layer to tell apart."""
    if getattr(net, "residual", None) is None:
        if net.depth < 2:
            raise invalid("net", "be an MLP of depth ≥ 2 (input, hidden…, output layers)", net.depth)
        return net.shapes
    if None in net.io_shapes:
        raise invalid("net", "have an input layer and a readout (residual_net's in_features and out_features) "
                      "to be parametrised", net.io_shapes)
    return (net.io_shapes[0], *net.shapes, net.io_shapes[1])


def _init_scale(preset: str, kind: str, m_in: float, readout_zero: bool) -> float:
    if preset != "mup" or kind != "output":
        return 1.0
    return 0.0 if readout_zero else math.sqrt(m_in)


def _lr_scale(rates: str, kind: str, m_in: float, m_out: float, adam: bool) -> float:
    if rates == "sp":
        return 1.0
    if rates == "ntk":
        return 1.0 / math.sqrt(m_in) if adam else 1.0 / m_in
    if kind == "input":
        return 1.0 if adam else m_out
    if kind == "hidden":
        return 1.0 / m_in if adam else m_out / m_in
    return 1.0 if adam else m_in


def _bias_lr_scale(rates: str, kind: str, m_out: float, adam: bool) -> float:
    if rates != "mup" or adam or kind == "output":
        return 1.0
    return m_out


__all__ = ["Parametrisation", "PARAMETRISATIONS", "LAYER_KINDS", "layer_kinds", "parametrise"]
