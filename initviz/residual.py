"""Residual blocks and the branch-initialisation presets of modern architectures.

A residual :class:`~initviz.network.Network` (``Network.residual_net``) has L blocks on a stream of
width n (= ``input_dim``), x_0 = x, and for l = 1..L, with N the network's ``norm``
(:mod:`initviz.norms`, γ = 1, β = 0) and s, α the preset's skip and branch multipliers:

* pre-norm (``placement="pre"``): x_l = s·x_{l−1} + α·F_l(N(x_{l−1}));
* post-norm (``placement="post"``): x_l = N(s·x_{l−1} + α·F_l(x_{l−1})) (DeepNorm: s = (2L)^(1/4));

and, with ``final_norm``, the output N(x_L). The branch F_l is an MLP of m = ``branch_depth``
weight layers: m = 1, F(u) = φ(u W_1ᵀ + b_1) (ReZero's fully connected block); m = 2,
F(u) = φ(u W_1ᵀ + b_1) W_2ᵀ + b_2 (weights → activation → weights; W_1 of shape (hidden, n)).
Weight layer j of block l is the network's weight layer k = (l − 1)·m + j, drawn from the scheme's
law times the preset's multiplier c_j from ``stream(seed, r, ROLE_WEIGHTS, k)``.

**Presets** (:data:`PRESETS`; L the number of blocks, m the branch depth), each the constants of
its source at initialisation:

* ``none`` — α = 1, every c_j = 1;
* ``gpt2`` — the branch's output projection × 1/√(2L) (Radford et al. 2019; nanoGPT's
  ``c_proj`` std 0.02/√(2·n_layer): a GPT-2 layer holds two residual branches, here L counts the
  layers as GPT-2's n_layer does);
* ``fixup`` — branch layers 1..m−1 × L^(−1/(2m−2)), the last branch layer 0, no normalisation
  (Zhang et al. 2019, hongyi-zhang/Fixup; its scalar multiplier, 1, and scalar biases, 0, are the
  identity at init); use a He (kaiming) init; m ≥ 2;
* ``rezero`` — α = 0 (SkipInit, De & Smith 2020; ReZero, Bachlechner et al. 2020, whose α is
  learnable): every block is the identity at init;
* ``deepnorm`` — post-norm with the skip × α = (2L)^(1/4), every branch layer × β = (8L)^(−1/4)
  (Wang et al. 2022, DeepNet, encoder-only; torchscale);
* ``t_fixup`` — every branch layer × 0.67·L^(−1/4), no normalisation (Huang et al. 2020,
  layer6ai-labs/T-Fixup, encoder fc1/fc2);
* ``depth_mup`` — α = 1/√L (depth-μP: branch × a/√L with a = 1; Yang et al. 2023, Bordelon et al. 2023).

**On a task** (what :func:`initviz.train` trains, as a torch user builds it): with ``in_features`` d
an *input layer* x_0 = x W_inᵀ + b_in (W_in of shape (n, d), no activation) maps the task's d inputs
to the stream, and with ``out_features`` C a *readout* z = o W_outᵀ + b_out (W_out of shape (C, n))
maps the blocks' output o (N(x_L) or x_L) to the C outputs (the logits of a cross-entropy task):
``nn.Sequential(nn.Linear(d, n), *blocks, [norm], nn.Linear(n, C))``. Without them (None) x_0 is the
input itself and o the output. Both are drawn by the network's scheme for their own shapes (fan-in,
fan-out; no preset multiplier), W_in from ``stream(seed, r, ROLE_IO_WEIGHTS, 0)`` and W_out from
``stream(seed, r, ROLE_IO_WEIGHTS, 1)``, their biases by the bias rule from ``stream(seed, r,
ROLE_IO_BIASES, 0 | 1)`` (:mod:`initviz.rng`): streams no block uses, so the blocks' weights are
those of the same network without them. Propagation, theory and Jacobians study the blocks' stream
x_0 … x_L (of width n) and leave these two layers out.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Callable, Mapping

from .errors import invalid, one_of
from .limits import MAX_WIDTH, check_int

PLACEMENTS = ("pre", "post")
"""Where the norm sits in a block (module docstring)."""

BRANCH_DEPTHS = (1, 2)
"""Weight layers per branch."""


@dataclass(frozen=True)
class BranchScales:
    """The constants of a preset for one network: ``alpha`` multiplies the branch's output, ``skip``
    the stream x_{l−1}, ``weights[j]`` the j-th branch layer's weights (the scheme's law scaled)."""

    alpha: float
    skip: float
    weights: tuple[float, ...]


@dataclass(frozen=True)
class Preset:
    """A branch-initialisation preset: its ``name``, a ``label``, the ``formula`` and ``source`` of its
    constants (the help text), the ``scales`` (L, m) → :class:`BranchScales`, and what it needs:
    ``needs_placement`` (a placement or None) and ``no_norm`` (the source removes normalisation)."""

    name: str
    label: str
    formula: str
    source: str
    scales: Callable[[int, int], BranchScales]
    needs_placement: str | None = None
    no_norm: bool = False
    min_branch_depth: int = 1

    @property
    def help(self) -> str:
        """One line for a control's help: formula — source."""
        return f"{self.formula} — {self.source}"


def _ones(m: int) -> tuple[float, ...]:
    return (1.0,) * m


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("none", "none (α = 1)", "α = 1, branch weights as the scheme draws them", "the plain residual block",
           lambda L, m: BranchScales(1.0, 1.0, _ones(m))),
    Preset("gpt2", "GPT-2 (1/√(2L))", "output projection of each branch × 1/√(2L)",
           "Radford et al. 2019 (GPT-2); nanoGPT c_proj std 0.02/√(2·n_layer)",
           lambda L, m: BranchScales(1.0, 1.0, _ones(m - 1) + (1.0 / math.sqrt(2.0 * L),))),
    Preset("fixup", "Fixup", "branch layers × L^(−1/(2m−2)), last branch layer 0, no normalisation (He init)",
           "Zhang, Dauphin & Ma 2019 (Fixup), hongyi-zhang/Fixup",
           lambda L, m: BranchScales(1.0, 1.0, (L ** (-1.0 / (2 * m - 2)),) * (m - 1) + (0.0,)),
           no_norm=True, min_branch_depth=2),
    Preset("rezero", "SkipInit / ReZero (α = 0)", "α = 0: every block is the identity at init",
           "De & Smith 2020 (SkipInit); Bachlechner et al. 2020 (ReZero, α learnable)",
           lambda L, m: BranchScales(0.0, 1.0, _ones(m))),
    Preset("deepnorm", "DeepNorm", "post-norm N(α·x + F(x)), α = (2L)^(1/4), branch weights × β = (8L)^(−1/4)",
           "Wang et al. 2022 (DeepNet), encoder-only; microsoft/torchscale",
           lambda L, m: BranchScales(1.0, (2.0 * L) ** 0.25, ((8.0 * L) ** -0.25,) * m), needs_placement="post"),
    Preset("t_fixup", "T-Fixup", "branch weights × 0.67·L^(−1/4), no normalisation",
           "Huang et al. 2020 (T-Fixup), layer6ai-labs/T-Fixup, encoder fc1/fc2",
           lambda L, m: BranchScales(1.0, 1.0, (0.67 * L ** -0.25,) * m), no_norm=True),
    Preset("depth_mup", "depth-μP (1/√L)", "branch × 1/√L", "Yang et al. 2023; Bordelon et al. 2023 (depth-μP, a = 1)",
           lambda L, m: BranchScales(1.0 / math.sqrt(L), 1.0, _ones(m))),
)}
"""Branch-initialisation presets by name (module docstring)."""


@dataclass(frozen=True)
class Residual:
    """The block structure of a residual network (module docstring): ``placement`` of the norm,
    ``branch_depth`` m, the ``preset`` of :data:`PRESETS`, ``final_norm`` (N after the last
    block), the branch's ``hidden`` width (m = 2; None: the stream's width), and ``in_features`` /
    ``out_features``, the task's dimensions d and C of the input layer and readout (None: no such
    layer; module docstring)."""

    placement: str = "pre"
    branch_depth: int = 2
    preset: str = "none"
    final_norm: bool = False
    hidden: int | None = None
    in_features: int | None = None
    out_features: int | None = None

    def __post_init__(self):
        if not isinstance(self.placement, str) or self.placement not in PLACEMENTS:
            raise one_of("placement", PLACEMENTS, self.placement)
        if not isinstance(self.branch_depth, numbers.Integral) or isinstance(self.branch_depth, bool) \
                or self.branch_depth not in BRANCH_DEPTHS:
            raise one_of("branch_depth", BRANCH_DEPTHS, self.branch_depth)
        if not isinstance(self.preset, str) or self.preset not in PRESETS:
            raise one_of("preset", tuple(PRESETS), self.preset)
        if not isinstance(self.final_norm, bool):
            raise invalid("final_norm", "be True or False", self.final_norm)
        if self.hidden is not None:
            object.__setattr__(self, "hidden", check_int("hidden", self.hidden, 1, MAX_WIDTH))
        for name in ("in_features", "out_features"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, check_int(name, getattr(self, name), 1, MAX_WIDTH))
        preset = PRESETS[self.preset]
        if preset.needs_placement and self.placement != preset.needs_placement:
            raise invalid("placement", f"be {preset.needs_placement!r} for the {self.preset} preset", self.placement)
        if self.branch_depth < preset.min_branch_depth:
            raise invalid("branch_depth", f"be at least {preset.min_branch_depth} for the {self.preset} preset "
                          "(its scale L^(−1/(2m−2)) needs m ≥ 2)", self.branch_depth)

    @classmethod
    def coerce(cls, value) -> "Residual":
        """A :class:`Residual` from itself or a mapping of its fields (InitvizError otherwise)."""
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping) and set(value) <= set(cls.__dataclass_fields__):
            return cls(**value)
        raise invalid("residual", "be an initviz.residual.Residual or a mapping of its fields "
                      "(placement, branch_depth, preset, final_norm, hidden, in_features, out_features)", value)

    def check_with(self, norm: str) -> None:
        """InitvizError when the preset or the final norm does not go with ``norm``."""
        if PRESETS[self.preset].no_norm and norm != "none":
            raise invalid("norm", f"be 'none' for the {self.preset} preset (its source removes normalisation)", norm)
        if self.final_norm and norm == "none":
            raise invalid("final_norm", "be False when norm is 'none' (it applies the network's norm)", True)

    def scales(self, blocks: int) -> BranchScales:
        """The preset's constants for ``blocks`` = L blocks."""
        if not isinstance(blocks, numbers.Integral) or blocks < 1:
            raise invalid("blocks", "be a positive int", blocks)
        return PRESETS[self.preset].scales(int(blocks), self.branch_depth)

    def shapes(self, width: int) -> tuple[tuple[int, int], ...]:
        """The (fan_out, fan_in) shapes of one block's branch layers."""
        if self.branch_depth == 1:
            return ((width, width),)
        hidden = self.hidden or width
        return ((hidden, width), (width, hidden))

    def io_shapes(self, width: int) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
        """The (fan_out, fan_in) shapes of the input layer, (n, d), and of the readout, (C, n)
        (None where there is none)."""
        return (None if self.in_features is None else (width, self.in_features),
                None if self.out_features is None else (self.out_features, width))

    def to_dict(self) -> dict:
        return {"placement": self.placement, "branch_depth": self.branch_depth, "preset": self.preset,
                "final_norm": self.final_norm, "hidden": self.hidden, "in_features": self.in_features,
                "out_features": self.out_features}


__all__ = ["Residual", "Preset", "PRESETS", "PLACEMENTS", "BRANCH_DEPTHS", "BranchScales"]
