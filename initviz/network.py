"""A validated, immutable description of a fully connected network (an MLP).

Layer l = 1..L maps a^{l−1} ∈ ℝ^{n_{l−1}} to a^l = N(φ_l(h^l)), h^l = a^{l−1} W_lᵀ + b_l for a batch
of row vectors, N the ``norm`` after each activation (:data:`initviz.norms.NORMS`: none — the plain
MLP, a^l = φ_l(h^l) —, LayerNorm or RMSNorm, γ = 1, β = 0, torch's eps: :mod:`initviz.norms`), with
W_l in torch layout (n_l, n_{l−1}) = (fan_out, fan_in) and a⁰ = x ∈ ℝ^{n_0}.
The weights of every layer come from one init scheme (:func:`initviz.initializers.law` with the
layer's shape and the scheme's parameters); the biases from one bias rule:

* ``"zeros"`` — b = 0 (no bias term is added);
* ``"constant"`` — every entry ``bias_value``;
* ``"normal"`` — i.i.d. N(0, ``bias_value``²) (``bias_value`` is the standard deviation);
* ``"scheme"`` — the scheme's own rule (e.g. ``torch_default``: U(±1/√fan_in), as ``nn.Linear``);
  zero for schemes that have none.

With ``residual`` (a :class:`~initviz.residual.Residual`; build one with :meth:`Network.residual_net`)
the network is a stack of L residual blocks on a stream of width n = ``input_dim`` (every width n):
layer l of the description is block l, its activation the branch's, ``norm`` the blocks' N; its
weight layers are the branches' (:attr:`Network.shapes`, m per block, each with the preset's
multiplier) — :mod:`initviz.residual` states the block and the presets. Its ``in_features`` /
``out_features`` add an input layer (d → n) before the blocks and a readout (n → C) after them,
what :func:`initviz.train` trains on a task of d inputs and C outputs (:meth:`io_shapes`,
:meth:`io_laws`); they are not among :attr:`Network.shapes`, the blocks' weight layers.

A :class:`Network` is frozen and hashable — it is the cache key of the app — and equal
descriptions compare equal: per-layer activations are stored expanded, init parameters as a
sorted tuple of items. Sizes are bounded by :mod:`initviz.limits` (``MAX_DEPTH``, ``MAX_WIDTH``,
and the weight count by the ``budget``'s ``weights``: by default the local budget, ``MAX_WEIGHTS``
with ``budget=Budget.hosted()`` — a construction argument, not a field: it is not stored, compared
or serialised); every invalid field raises
:class:`~initviz.errors.InitvizError`.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import InitVar, dataclass
from typing import Mapping

import numpy as np

from .activations import Activation, get_activation
from .errors import invalid, one_of
from .initializers import SCHEMES, law
from .laws import Law
from .norms import check_norm, normalise, normalise_backward
from .residual import Residual
from .limits import MAX_DEPTH, MAX_WIDTH, Budget, as_budget, check_budget, check_float, check_int

BIAS_RULES = ("zeros", "constant", "normal", "scheme")
"""How biases are initialised (see the module docstring)."""

_PARAM_TYPES = (str, numbers.Real, type(None))


def _canonical_params(init_params) -> tuple[tuple[str, object], ...]:
    """A mapping (or items) of init parameters as a sorted tuple of (name, scalar) items."""
    if init_params is None:
        return ()
    try:
        items = tuple(init_params.items() if isinstance(init_params, Mapping) else init_params)
        items = tuple((k, v) for k, v in items)
    except (TypeError, ValueError):
        raise invalid("init_params", "be a mapping of parameter names to numbers or strings", init_params) from None
    for key, value in items:
        if not isinstance(key, str) or not isinstance(value, _PARAM_TYPES):
            raise invalid("init_params", "map str names to numbers, strings or None", init_params)
        if isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isfinite(value):
            raise invalid(f"init_params[{key!r}]", "be finite", value)
    if len({k for k, _ in items}) != len(items):
        raise invalid("init_params", "name each parameter once", init_params)
    plain = (v if isinstance(v, (str, bool, type(None))) else
             int(v) if isinstance(v, numbers.Integral) else float(v) for _, v in items)
    return tuple(sorted(zip((k for k, _ in items), plain)))


def weight_count(dims) -> int:
    """Σ_l n_{l−1}·n_l, the weight entries of an MLP of sizes ``dims`` = (n_0, n_1, …, n_L)."""
    return sum(fan_in * out for fan_in, out in zip(dims, dims[1:]))


def _activation_pair(choice) -> tuple:
    """``"relu"`` → ("relu",); ``("leaky_relu", 0.2)`` (tuple or list) → itself."""
    if isinstance(choice, str):
        return (choice,)
    if isinstance(choice, (tuple, list)) and len(choice) in (1, 2):
        return tuple(choice)
    raise invalid("activations", "hold names or (name, param) pairs", choice)


@dataclass(frozen=True)
class Network:
    """An L-layer MLP: sizes, per-layer activations, init scheme and bias rule (module docstring).

    Prefer :meth:`mlp` to build one. Fields:

    * ``input_dim`` n_0 and ``widths`` (n_1, …, n_L);
    * ``activations`` — one (name, param) per layer (param None for parameter-free activations);
    * ``init`` — a scheme name of :data:`initviz.initializers.SCHEMES`, ``init_params`` its
      parameters as sorted (name, value) items (torch's parameter names);
    * ``bias`` in :data:`BIAS_RULES` and ``bias_value`` (the constant, or the normal's std);
    * ``norm`` in :data:`initviz.norms.NORMS`, applied after each activation (``"none"``: a plain MLP),
      or in each residual block;
    * ``residual`` — None for an MLP, else the :class:`~initviz.residual.Residual` block structure.
    """

    input_dim: int
    widths: tuple[int, ...]
    activations: tuple[tuple[str, float | None], ...]
    init: str
    init_params: tuple[tuple[str, object], ...] = ()
    bias: str = "zeros"
    bias_value: float = 0.0
    norm: str = "none"
    residual: Residual | None = None
    budget: InitVar[Budget | None] = None

    def __post_init__(self, budget):
        budget = as_budget(budget)
        set_ = object.__setattr__
        set_(self, "input_dim", check_int("input_dim", self.input_dim, 1, MAX_WIDTH))
        try:
            widths = tuple(self.widths)
        except TypeError:
            raise invalid("widths", "be a sequence of ints", self.widths) from None
        if not 1 <= len(widths) <= MAX_DEPTH:
            raise invalid("widths", f"have between 1 and MAX_DEPTH = {MAX_DEPTH} layers", f"{len(widths)} layers")
        set_(self, "widths", tuple(check_int("widths", w, 1, MAX_WIDTH) for w in widths))
        check_norm(self.norm)
        if self.residual is not None:
            set_(self, "residual", self._check_residual(Residual.coerce(self.residual)))
        set_(self, "_shapes", self._weight_shapes())
        io_weights = sum(out * fan_in for out, fan_in in filter(None, self.io_shapes))
        check_budget("widths", f"{len(widths)} layers", self.n_weights + io_weights,
                     budget.weights, "the weight count Σ n_{l-1}·n_l", budget.limit_name("weights", "MAX_WEIGHTS"))
        try:
            pairs = tuple(self.activations)
        except TypeError:
            raise invalid("activations", "be a sequence of (name, param) pairs", self.activations) from None
        if len(pairs) != len(widths):
            raise invalid("activations", f"give one (name, param) per layer ({len(widths)})", len(pairs))
        acts = tuple(get_activation(*_activation_pair(pair)) for pair in pairs)
        set_(self, "activations", tuple((a.name, a.param) for a in acts))
        if not isinstance(self.init, str) or self.init not in SCHEMES:
            raise one_of("init", SCHEMES, self.init)
        # defaults filled in, values validated: equal networks get equal (hashable) keys
        set_(self, "init_params", _canonical_params(SCHEMES[self.init].resolve(dict(_canonical_params(self.init_params)))))
        if self.bias not in BIAS_RULES:
            raise one_of("bias", BIAS_RULES, self.bias)
        lo = 0.0 if self.bias == "normal" else -math.inf
        set_(self, "bias_value", check_float("bias_value", self.bias_value, lo=lo))
        set_(self, "_laws", self._build_laws())
        for which, shape in enumerate(self.io_shapes):
            if shape is not None:
                self.io_laws(which)  # the scheme accepts the layer's shape

    @classmethod
    def mlp(cls, input_dim: int = 512, widths=(512,) * 30, activation: str = "relu",
            init: str = "kaiming_normal", init_params: Mapping | None = None, bias: str = "zeros",
            bias_value: float = 0.0, *, activation_param: float | None = None,
            layer_activations: Mapping | None = None, norm: str = "none",
            budget: Budget | None = None) -> "Network":
        """An MLP with one activation everywhere, except the 1-based layers named in
        ``layer_activations`` (``{30: "linear"}`` or ``{3: ("leaky_relu", 0.2)}``), and ``norm``
        (:data:`initviz.norms.NORMS`) after every activation. ``budget``
        (:class:`initviz.limits.Budget`; default ``Budget.local()``, the app passes ``Budget.hosted()``
        on a public instance) bounds the weight count.

        >>> Network.mlp(input_dim=512, widths=[512] * 30, activation="relu",
        ...             init="kaiming_normal", init_params={"nonlinearity": "relu"}).depth
        30
        """
        try:
            depth = len(widths)
        except TypeError:
            raise invalid("widths", "be a sequence of ints", widths) from None
        default = (activation, activation_param)
        per_layer = [default] * depth
        for layer, choice in dict(layer_activations or {}).items():
            index = check_int("layer_activations", layer, 1, max(depth, 1)) - 1
            per_layer[index] = _activation_pair(choice)
        return cls(input_dim, tuple(widths), tuple(per_layer), init, init_params, bias, bias_value, norm, None, budget)

    @classmethod
    def residual_net(cls, width: int = 256, depth: int = 48, activation: str = "relu",
                     init: str = "kaiming_normal", init_params: Mapping | None = None, *,
                     norm: str = "layernorm", placement: str = "pre", branch_depth: int = 2,
                     preset: str = "none", final_norm: bool = False, hidden: int | None = None,
                     bias: str = "zeros", bias_value: float = 0.0, activation_param: float | None = None,
                     in_features: int | None = None, out_features: int | None = None,
                     budget: Budget | None = None) -> "Network":
        """``depth`` residual blocks on a stream of ``width`` units (:mod:`initviz.residual`): the
        branch has ``branch_depth`` weight layers (``hidden`` units between them; default
        ``width``) with ``activation``, drawn by ``init`` and scaled by ``preset``; ``norm`` sits
        before the branch (``placement="pre"``) or after the sum (``"post"``). ``in_features`` d and
        ``out_features`` C add an input layer Linear(d, width) and a readout Linear(width, C) around
        the blocks (a network :func:`initviz.train` trains on a task of d inputs and C outputs).

        >>> net = Network.residual_net(width=64, depth=12, norm="layernorm", placement="pre", preset="gpt2")
        >>> net.depth, len(net.shapes)
        (12, 24)
        """
        depth = check_int("depth", depth, 1, MAX_DEPTH)
        structure = Residual(placement, branch_depth, preset, final_norm, hidden, in_features, out_features)
        return cls(width, (width,) * depth, ((activation, activation_param),) * depth, init, init_params,
                   bias, bias_value, norm, structure, budget)

    def _check_residual(self, structure: Residual) -> Residual:
        """The block structure with its hidden width filled in, checked against the other fields."""
        if any(w != self.input_dim for w in self.widths):
            raise invalid("widths", f"all equal input_dim = {self.input_dim} in a residual network (the stream's width)",
                          self.widths)
        structure.check_with(self.norm)
        if structure.branch_depth == 1:
            if structure.hidden not in (None, self.input_dim):
                raise invalid("hidden", "be None with a one-layer branch (its width is the stream's)", structure.hidden)
            return dataclasses.replace(structure, hidden=None)
        return dataclasses.replace(structure, hidden=structure.hidden or self.input_dim)

    # --- structure -------------------------------------------------------------------------
    @property
    def depth(self) -> int:
        """L, the number of layers."""
        return len(self.widths)

    @property
    def dims(self) -> tuple[int, ...]:
        """(n_0, n_1, …, n_L)."""
        return (self.input_dim, *self.widths)

    @property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        """Weight shapes in torch layout, (n_l, n_{l−1}) = (fan_out, fan_in), for l = 1..L; for a
        residual network, of its weight layers k = 1..m·L (block l's are :meth:`block_layers`)."""
        return self._shapes

    def _weight_shapes(self) -> tuple[tuple[int, int], ...]:
        if self.residual is not None:
            return self.residual.shapes(self.input_dim) * self.depth
        dims = self.dims
        return tuple(zip(dims[1:], dims[:-1]))

    @property
    def io_shapes(self) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
        """(fan_out, fan_in) of a residual network's input layer (n, d) and readout (C, n), None
        where there is none (:mod:`initviz.residual`); (None, None) for an MLP."""
        return (None, None) if self.residual is None else self.residual.io_shapes(self.input_dim)

    @property
    def io_dims(self) -> tuple[int, int]:
        """(d, C): the size of the network's input and of its output — n_0 and n_L of an MLP; of a
        residual network ``in_features`` and ``out_features``, the stream's width n where not set."""
        if self.residual is None:
            return self.input_dim, self.widths[-1]
        shape_in, shape_out = self.io_shapes
        return (self.input_dim if shape_in is None else shape_in[1],
                self.input_dim if shape_out is None else shape_out[0])

    @property
    def n_weights(self) -> int:
        """Σ fan_in·fan_out over the weight layers (Σ_l n_{l−1}·n_l for an MLP)."""
        return sum(out * fan_in for out, fan_in in self.shapes)

    @property
    def n_units(self) -> int:
        """Σ fan_out over the weight layers (Σ_l n_l for an MLP): the activations of one sample."""
        return sum(out for out, _ in self.shapes)

    def block_layers(self, block: int) -> range:
        """The weight layers k of 1-based ``block`` of a residual network ((l − 1)·m + 1 .. l·m)."""
        m = self.residual.branch_depth
        return range((block - 1) * m + 1, block * m + 1)

    @property
    def branch_scales(self):
        """The preset's :class:`~initviz.residual.BranchScales` (residual networks), else None."""
        return None if self.residual is None else self.residual.scales(self.depth)

    def activation(self, layer: int) -> Activation:
        """φ_l of 1-based ``layer``."""
        return get_activation(*self.activations[layer - 1])

    def output(self, layer: int, pre: np.ndarray) -> np.ndarray:
        """a^l = N(φ_l(h^l)) of 1-based ``layer`` from its pre-activation ``pre`` = h^l."""
        return normalise(self.norm, self.activation(layer)(pre))

    def output_backward(self, layer: int, pre: np.ndarray, grad_a: np.ndarray, phi=None) -> np.ndarray:
        """∂L/∂h^l from ∂L/∂a^l = ``grad_a``: (∂L/∂a^l ⊙ φ_l'(h^l) without a norm; through N first
        with one); ``phi`` = φ_l(h^l) when the caller has it (:meth:`Activation.derivative`)."""
        act = self.activation(layer)
        if self.norm != "none":
            phi = act(pre) if phi is None else phi
            grad_a = normalise_backward(self.norm, phi, grad_a)
        slope = act.derivative(pre, phi)  # a new array: the product is written into it
        return np.multiply(grad_a, slope, out=slope) if slope.dtype == grad_a.dtype else grad_a * slope

    def output_rails(self, layer: int) -> tuple[float, float] | None:
        """The bounds of a^l: φ_l's rails in an MLP without a norm, else None (a residual stream has none)."""
        return self.activation(layer).rails if self.norm == "none" and self.residual is None else None

    def weight_law(self, layer: int) -> Law:
        """The exact entry law of W_l (1-based ``layer``; a residual network's weight layer k), from
        the init scheme (times the preset's multiplier in a residual branch)."""
        return self._laws[layer - 1][0]

    def bias_law(self, layer: int) -> Law | None:
        """The entry law of b_l (1-based ``layer``), or None for a zero bias."""
        return self._laws[layer - 1][1]

    def io_laws(self, which: int) -> tuple[Law, Law | None]:
        """(weight law, bias law or None) of the input layer (``which`` = 0) or the readout (1) of a
        residual network: the scheme's and the bias rule's for the layer's own shape, no preset multiplier."""
        shape = self.io_shapes[which]
        if shape is None:
            raise invalid("which", "name a layer the network has (0: input layer, 1: readout)", which)
        params = dict(self.init_params)
        return law(self.init, shape, **params), self._bias_for(shape, params)

    def _build_laws(self) -> tuple[tuple[Law, Law | None], ...]:
        """(weight law, bias law) per layer; one construction per distinct shape."""
        params = dict(self.init_params)
        shapes = self.shapes
        multipliers = (1.0,) * len(shapes) if self.residual is None else self.branch_scales.weights * self.depth
        by_key: dict[tuple, tuple[Law, Law | None]] = {}
        for key in zip(shapes, multipliers):
            if key not in by_key:
                shape, c = key
                weights = law(self.init, shape, **params)
                by_key[key] = (weights if c == 1.0 else weights.scaled(c), self._bias_for(shape, params))
        return tuple(by_key[key] for key in zip(shapes, multipliers))

    def _bias_for(self, shape: tuple[int, int], params: dict) -> Law | None:
        if self.bias == "constant" and self.bias_value != 0.0:
            return Law("constant", scale=self.bias_value)
        if self.bias == "normal" and self.bias_value > 0.0:
            return Law("normal", scale=self.bias_value)
        if self.bias == "scheme":
            bias = SCHEMES[self.init].bias_law(shape, **params)
            return None if bias is None or (bias.kind == "constant" and bias.scale == 0.0) else bias
        return None

    # --- serialisation -----------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain JSON-able fields; ``Network.from_dict(net.to_dict()) == net``."""
        return {"input_dim": self.input_dim, "widths": list(self.widths),
                "activations": [list(pair) for pair in self.activations], "init": self.init,
                "init_params": dict(self.init_params), "bias": self.bias, "bias_value": self.bias_value,
                "norm": self.norm, "residual": None if self.residual is None else self.residual.to_dict()}

    @classmethod
    def from_dict(cls, data: Mapping) -> "Network":
        """Inverse of :meth:`to_dict` (validated like any construction)."""
        try:
            fields = {k: data[k] for k in ("input_dim", "widths", "activations", "init")}
        except (KeyError, TypeError):
            raise invalid("data", "hold input_dim, widths, activations and init", data) from None
        fields["activations"] = tuple(tuple(pair) for pair in fields["activations"])
        return cls(**fields, init_params=data.get("init_params"), bias=data.get("bias", "zeros"),
                   bias_value=data.get("bias_value", 0.0), norm=data.get("norm", "none"),
                   residual=data.get("residual"))

    def describe(self) -> str:
        """One line: ``"30 × relu, widths 512…512 (in 512), kaiming_normal(nonlinearity=relu), bias zeros"``."""
        names = sorted({Activation(*a).label for a in self.activations})
        params = ", ".join(f"{k}={v}" for k, v in self.init_params)
        bias = {"zeros": "zeros", "constant": f"constant {self.bias_value:g}",
                "normal": f"N(0, {self.bias_value:g}²)", "scheme": f"{self.init}'s own"}[self.bias]
        return (f"{self.depth} × {'/'.join(names)}, widths {min(self.widths)}…{max(self.widths)} "
                f"(in {self.input_dim}), {self.init}({params}), bias {bias}"
                + ("" if self.norm == "none" or self.residual else f", {self.norm} after each activation")
                + ("" if self.residual is None else
                   f", residual {self.residual.placement}-norm {self.norm}, branch of {self.residual.branch_depth}"
                   f", preset {self.residual.preset}" + (", final norm" if self.residual.final_norm else "")
                   + ("" if self.residual.in_features is None else f", input layer {self.residual.in_features}→n")
                   + ("" if self.residual.out_features is None else f", readout n→{self.residual.out_features}")))


__all__ = ["Network", "BIAS_RULES", "weight_count"]
