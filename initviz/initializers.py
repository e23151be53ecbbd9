"""Initialization schemes: torch.nn.init with torch's semantics, variance scaling, library presets.

Every scheme maps a weight shape (torch layout ``(fan_out, fan_in, *kernel)``, a dense layer
computes ``x @ W.T``) and its parameters to the exact :class:`~initviz.laws.Law` of the weight's
entries; sampling draws from that law. The registry :data:`SCHEMES` drives both the UI and the
tests; :func:`law` and :func:`sample` look schemes up by name, and the torch-named functions
(``kaiming_normal``, ``xavier_uniform``, …; torch's names without the in-place ``_``, torch's
parameter names) are thin shortcuts to :func:`sample`.

torch (``torch/nn/init.py``, torch 2.13):

* ``xavier_*`` (Glorot & Bengio 2010): std = gain·√(2/(fan_in+fan_out)); uniform bound √3·std.
* ``kaiming_*`` (He et al. 2015): std = gain/√fan_mode with gain = calculate_gain(nonlinearity, a),
  an *untruncated* normal; uniform bound √3·std.
* ``trunc_normal``: N(mean, std²) restricted to the *absolute* interval [a, b] (std is the parent's).
* ``orthogonal`` (Saxe et al. 2013): Haar (semi-)orthogonal after flattening to (rows, numel/rows).
* ``sparse`` (Martens 2010): N(0, std²) with ⌈sparsity·rows⌉ zeros per column.
* ``torch_default``: what ``nn.Linear``/``nn.Conv*`` do in ``reset_parameters``: weight
  ``kaiming_uniform_(a=√5)`` = U(±1/√fan_in) (variance 1/(3·fan_in)), bias U(±1/√fan_in).

Keras 3 / JAX (``keras/src/initializers/random_initializers.py``, ``jax/_src/nn/initializers.py``):
``variance_scaling(scale, mode, distribution)`` has variance scale/n with n = fan_in, fan_out,
(fan_in+fan_out)/2 or √(fan_in·fan_out) (JAX's ``fan_geo_avg``); ``"truncated_normal"`` cuts at
±2 parent std and divides the parent std by 0.87962566103423978 so the *realised* std is √(scale/n);
``"uniform"`` has limit √(3·scale/n); ``"normal"`` is untruncated **in JAX** — Keras silently maps
``"normal"`` to truncated normal, so the Keras presets here say ``truncated_normal`` explicitly.
Glorot = (1, fan_avg), He = (2, fan_in), LeCun = (1, fan_in); their *normal* variants are truncated
in both libraries. Keras/JAX schemes take ``layout``: the layout ``shape`` is written in —
``"torch"`` (the default, as everywhere in initviz) or the library's own ``(*k, in, out)``. Fans are
computed with the rule of that layout, so the same layer gets the same fans either way (see
:mod:`initviz.fans`). Keras guards n with max(1, n); initviz rejects zero-size shapes, so n ≥ 1.

``delta_orthogonal(scale)`` (Xiao et al. 2018, JAX ``jax.nn.initializers.delta_orthogonal``; torch
has none): a 3-5-D conv kernel that is zero except at its centre tap, an orthogonal (in, out) matrix
times ``scale``; in_channels ≤ out_channels, else an error (JAX: "`fan_in` must be less or equal than
`fan_out`"). JAX writes the kernel (*k, in, out) (HWIO for 2-D) with the tap at ((k−1)//2, …) and
orthonormal rows of the (in, out) tap; initviz takes torch's (out, in, *k) (OIHW): the same tap
index, the (out, in) tap with orthonormal columns — W_jax = W_torch.transpose(2, 3, 1, 0) for 2-D.
For an even k the centre is (k−1)//2, one below torch ``dirac_``'s k//2.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .errors import InitvizError, invalid, one_of
from .fans import GAIN_NONLINEARITIES, LAYOUTS, calculate_gain, compute_fans
from .laws import TRUNC_CUT, TRUNC_STD_RATIO, Law, as_shape, law_with_variance
from .rng import rng_alias

LIBRARIES = ("torch", "keras", "jax", "initviz")
"""Whose semantics a scheme follows."""

PARAM_KINDS = ("float", "int", "choice", "bool")

TORCH_FAN_MODES = ("fan_in", "fan_out")
"""torch ``kaiming_*`` modes."""

VS_MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
"""Variance-scaling modes (``fan_geo_avg`` is JAX's √(fan_in·fan_out))."""

VS_DISTRIBUTIONS = ("truncated_normal", "normal", "uniform")
"""Variance-scaling distributions, JAX meaning (``"normal"`` untruncated)."""

MAX_MAGNITUDE = 1e6
"""Largest |value| accepted for a float parameter (std, gain, bounds, …): far beyond any sensible
init, small enough that squares and products stay finite in float64."""

MAX_GROUPS = 1 << 16
"""Largest ``groups`` accepted by ``dirac``."""

TORCH_DEFAULT_A = math.sqrt(5.0)
"""The ``a`` of ``kaiming_uniform_`` in torch's ``nn.Linear``/``nn.Conv*`` ``reset_parameters``."""


@dataclass(frozen=True)
class SchemeParam:
    """One parameter of a scheme: its name (torch's where torch has it), default, kind
    (``float``/``int``/``choice``/``bool``), the allowed ``options`` of a choice, inclusive limits
    and a one-line ``help`` — the field names of the link grammar's :class:`initviz.ui.links.Param`,
    which wraps it (URL name, label, widget) and checks a link value with :meth:`validate`."""

    name: str
    default: object
    kind: str
    options: tuple = ()
    lo: float | None = None
    hi: float | None = None
    help: str = ""

    def validate(self, value):
        """``value`` converted to this parameter's type, or :class:`InitvizError`."""
        if self.kind == "choice":
            if not isinstance(value, str) or value not in self.options:
                raise one_of(self.name, self.options, value)
            return value
        if self.kind == "bool":
            if not isinstance(value, (bool, np.bool_)):
                raise invalid(self.name, "be a bool", value)
            return bool(value)
        integral = self.kind == "int"
        ok_type = numbers.Integral if integral else numbers.Real
        if not isinstance(value, ok_type) or isinstance(value, (bool, np.bool_)) or not math.isfinite(value):
            raise invalid(self.name, "be a finite " + ("int" if integral else "number"), value)
        if (self.lo is not None and value < self.lo) or (self.hi is not None and value > self.hi):
            raise invalid(self.name, f"be in [{self.lo}, {self.hi}]", value)
        return int(value) if integral else float(value)


Param = SchemeParam
"""The former name of :class:`SchemeParam` (``initviz.Param``), kept for existing imports."""


@dataclass(frozen=True)
class Scheme:
    """An initialization scheme: the registry entry behind :func:`law` and :func:`sample`.

    ``build(shape, **params) -> Law`` gives the weight law; ``bias(shape, **params) -> Law`` the
    scheme's own bias rule (``None`` when it has none), from the *weight* shape.
    """

    name: str
    label: str
    library: str
    params: tuple[SchemeParam, ...]
    doc: str
    build: Callable[..., Law] = field(repr=False)
    bias: Callable[..., Law] | None = field(default=None, repr=False)

    @property
    def defaults(self) -> dict:
        """Parameter name → default value."""
        return {p.name: p.default for p in self.params}

    def resolve(self, params: dict) -> dict:
        """Validated parameters with defaults filled in; unknown names are an error."""
        known = {p.name: p for p in self.params}
        for name in params:
            if name not in known:
                raise InitvizError(f"Scheme `{self.name}` has no parameter `{name}`; its parameters are: "
                                   + (", ".join(known) or "none") + f". Received: {name}={params[name]!r}")
        return {name: p.validate(params.get(name, p.default)) for name, p in known.items()}

    def law(self, shape, **params) -> Law:
        """The exact law of the entries of a weight of ``shape`` under this scheme."""
        return self.build(_weight_shape(shape), **self.resolve(params))

    def bias_law(self, shape, **params) -> Law | None:
        """The law of the bias that goes with a weight of ``shape``, if the scheme has a bias rule."""
        if self.bias is None:
            return None
        return self.bias(_weight_shape(shape), **self.resolve(params))


def _weight_shape(shape) -> tuple[int, ...]:
    dims = as_shape(shape)
    if math.prod(dims) == 0:
        raise invalid("shape", "have no zero dimension (a weight needs entries)", dims)
    return dims


# --- law builders (shape is validated; parameters are validated and complete) ------------------

def _uniform_law(shape, a, b):
    if a > b:
        raise invalid("b", f"be >= a={a} (torch: uniform_ expects from <= to)", b)
    return Law("uniform", loc=0.5 * (a + b), scale=0.5 * (b - a), shape=shape)


def _normal_law(shape, mean, std):
    return Law("normal", loc=mean, scale=std, shape=shape)


def _trunc_normal_law(shape, mean, std, a, b):
    if std <= 0:
        raise invalid("std", "be > 0", std)
    if not a < b:
        raise invalid("b", f"be > a={a}", b)
    return Law("trunc_normal", loc=mean, scale=std, a=a, b=b, shape=shape)


def _constant_law(shape, val):
    return Law("constant", scale=val, shape=shape)


def _eye_law(shape):
    return Law("eye", shape=shape)


def _dirac_law(shape, groups):
    return Law("dirac", shape=shape, groups=groups)


def _from_std(shape, std, distribution):
    """Zero-mean normal of std ``std``, or the uniform with the same std (bound √3·std),
    computed as torch does: ``bound = math.sqrt(3.0) * std``."""
    if distribution == "uniform":
        return Law("uniform", scale=math.sqrt(3.0) * std, shape=shape)
    return Law("normal", scale=std, shape=shape)


def _xavier_std(shape, gain):
    fan_in, fan_out = compute_fans(shape)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def _kaiming_std(shape, a, mode, nonlinearity):
    fan_in, fan_out = compute_fans(shape)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def _orthogonal_law(shape, gain):
    return Law("orthogonal", scale=gain, shape=shape)


def _sparse_law(shape, sparsity, std):
    return Law("sparse", scale=std, sparsity=sparsity, shape=shape)


def _torch_default_law(shape):
    return _from_std(shape, _kaiming_std(shape, TORCH_DEFAULT_A, "fan_in", "leaky_relu"), "uniform")


def _torch_default_bias(shape):
    """``nn.Linear``/``nn.Conv*`` bias: U(±1/√fan_in), fan_in from the weight (0 if fan_in = 0)."""
    fan_in, _ = compute_fans(shape)
    return Law("uniform", scale=1 / math.sqrt(fan_in) if fan_in > 0 else 0.0)


def _zero_bias(shape, **_):
    """Keras ``Dense`` and Flax ``Dense`` default bias: zeros."""
    return Law("constant", scale=0.0)


def _variance_scaling_law(shape, scale, mode, distribution, layout):
    if scale <= 0:
        raise invalid("scale", "be > 0", scale)
    fan_in, fan_out = compute_fans(shape, layout=layout)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0,
         "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]
    kind = "trunc_normal" if distribution == "truncated_normal" else distribution
    return law_with_variance(kind, scale / n, shape=shape)


def _delta_orthogonal_law(shape, scale):
    return Law("delta_orthogonal", scale=scale, shape=shape)


def _rademacher_law(shape, std):
    return Law("rademacher", scale=std, shape=shape)


# --- parameters ---------------------------------------------------------------------------------

def _float(name, default, doc, lo=-MAX_MAGNITUDE, hi=MAX_MAGNITUDE):
    return SchemeParam(name, float(default), "float", lo=lo, hi=hi, help=doc)


_GAIN = _float("gain", 1.0, "multiplies the std (or the orthogonal matrix)", lo=0.0)
_STD = _float("std", 1.0, "standard deviation of the normal", lo=0.0)
_A_SLOPE = _float("a", 0.0, "negative slope of the rectifier after this layer (used with leaky_relu only)")
_MODE = SchemeParam("mode", "fan_in", "choice", TORCH_FAN_MODES,
              help="fan_in keeps the forward variance, fan_out the backward variance")
_NONLIN = SchemeParam("nonlinearity", "leaky_relu", "choice", GAIN_NONLINEARITIES,
                help="activation after this layer; sets the gain (calculate_gain)")


def _layout(choices):
    return SchemeParam("layout", "torch", "choice", choices,
                 help="layout `shape` is written in: torch (out, in, *k) or the library's (*k, in, out)")


_TORCH = (
    ("uniform", "Uniform U(a, b)", (_float("a", 0.0, "lower bound"), _float("b", 1.0, "upper bound")),
     _uniform_law, "w ~ U(a, b)."),
    ("normal", "Normal N(mean, std²)", (_float("mean", 0.0, "mean"), _STD), _normal_law,
     "w ~ N(mean, std²)."),
    ("trunc_normal", "Truncated normal (absolute cut points)",
     (_float("mean", 0.0, "mean of the parent normal"),
      _float("std", 1.0, "std of the parent normal (before truncation)", lo=0.0),
      _float("a", -2.0, "lower cut point (absolute value, not in std units)"),
      _float("b", 2.0, "upper cut point (absolute value, not in std units)")),
     _trunc_normal_law, "N(mean, std²) restricted to [a, b]; a and b are absolute, std is the parent's."),
    ("constant", "Constant", (_float("val", 0.1, "the value of every entry"),), _constant_law,
     "every entry equals val: all units of a layer stay identical (symmetry is never broken)."),
    ("zeros", "Zeros", (), lambda shape: _constant_law(shape, 0.0), "every entry is 0."),
    ("ones", "Ones", (), lambda shape: _constant_law(shape, 1.0), "every entry is 1."),
    ("eye", "Identity (eye)", (), _eye_law, "2-D only: ones on the main diagonal."),
    ("dirac", "Dirac (identity convolution)",
     (SchemeParam("groups", 1, "int", lo=1, hi=MAX_GROUPS, help="conv groups; shape[0] must be divisible by it"),),
     _dirac_law, "3-5-D conv weight that passes input channel d to output channel d at the kernel centre."),
    ("xavier_uniform", "Xavier uniform (Glorot)", (_GAIN,),
     lambda shape, gain: _from_std(shape, _xavier_std(shape, gain), "uniform"),
     "U(±gain·√(6/(fan_in+fan_out))) — Glorot & Bengio 2010."),
    ("xavier_normal", "Xavier normal (Glorot)", (_GAIN,),
     lambda shape, gain: _from_std(shape, _xavier_std(shape, gain), "normal"),
     "N(0, gain²·2/(fan_in+fan_out)), untruncated — Glorot & Bengio 2010."),
    ("kaiming_uniform", "Kaiming uniform (He)", (_A_SLOPE, _MODE, _NONLIN),
     lambda shape, **p: _from_std(shape, _kaiming_std(shape, **p), "uniform"),
     "U(±gain·√(3/fan_mode)), gain = calculate_gain(nonlinearity, a) — He et al. 2015."),
    ("kaiming_normal", "Kaiming normal (He)", (_A_SLOPE, _MODE, _NONLIN),
     lambda shape, **p: _from_std(shape, _kaiming_std(shape, **p), "normal"),
     "N(0, gain²/fan_mode), untruncated, gain = calculate_gain(nonlinearity, a) — He et al. 2015."),
    ("orthogonal", "Orthogonal", (_float("gain", 1.0, "multiplies the orthogonal matrix"),), _orthogonal_law,
     "gain × a Haar (semi-)orthogonal matrix of shape (rows, numel/rows) — Saxe et al. 2013."),
    ("sparse", "Sparse (Martens)",
     (_float("sparsity", 0.1, "fraction of each column set to zero", lo=0.0, hi=1.0),
      _float("std", 0.01, "std of the non-zero entries", lo=0.0)),
     _sparse_law, "2-D only: N(0, std²) with ⌈sparsity·rows⌉ zeros in each column — Martens 2010."),
)

VS_FAMILIES = (("glorot", "Glorot", 1.0, "fan_avg"), ("he", "He", 2.0, "fan_in"), ("lecun", "LeCun", 1.0, "fan_in"))
"""Named variance-scaling families (key, name, scale, mode), identical in Keras and JAX."""

_VS_KINDS = (("normal", "truncated_normal", "normal (truncated)"), ("uniform", "uniform", "uniform"))
"""(name suffix, distribution, label): the Keras/JAX *normal* presets are truncated."""

_LIBRARY_DEFAULTS = {"keras_glorot_uniform": "Keras Dense default", "jax_lecun_normal": "Flax Dense default"}
"""Presets that are a library's default dense/conv kernel; their bias default is zeros."""


def _preset_scheme(name, label, library, scale, mode, distribution) -> Scheme:
    """A thin specialisation of :func:`variance_scaling` (scale, mode and distribution fixed)."""
    n = "fan_in" if mode == "fan_in" else "(fan_in+fan_out)/2"
    law_doc = (f"U(±√(3·{scale:g}/n))" if distribution == "uniform"
               else f"normal truncated at ±2 parent std, realised variance {scale:g}/n")
    doc = f"variance_scaling(scale={scale:g}, mode={mode!r}, distribution={distribution!r}): {law_doc}, n = {n}."
    bias = None
    if name in _LIBRARY_DEFAULTS:
        doc += f" The {_LIBRARY_DEFAULTS[name]} kernel; its bias is zeros."
        bias = _zero_bias
    layouts = ("torch", library) if library in LAYOUTS else LAYOUTS

    def build(shape, layout):
        return _variance_scaling_law(shape, scale, mode, distribution, layout)

    return Scheme(name, label, library, (_layout(layouts),), doc, build, bias)


def _presets() -> list[Scheme]:
    """lecun_normal/lecun_uniform, then the Keras and JAX Glorot/He/LeCun presets."""
    out = [_preset_scheme(f"lecun_{suffix}", f"LeCun {text}", "jax", 1.0, "fan_in", dist)
           for suffix, dist, text in _VS_KINDS]
    for library, title in (("keras", "Keras"), ("jax", "JAX")):
        for key, family, scale, mode in VS_FAMILIES:
            for suffix, dist, text in _VS_KINDS:
                name = f"{library}_{key}_{suffix}"
                head = f"{_LIBRARY_DEFAULTS[name]}:" if name in _LIBRARY_DEFAULTS else title
                out.append(_preset_scheme(name, f"{head} {family} {text}", library, scale, mode, dist))
    return out


def _build_registry() -> dict[str, Scheme]:
    schemes = [Scheme(name, label, "torch", params, doc, build) for name, label, params, build, doc in _TORCH]
    schemes.append(Scheme(
        "torch_default", "PyTorch default (nn.Linear / nn.Conv)", "torch", (),
        "weight kaiming_uniform(a=√5) = U(±1/√fan_in), variance 1/(3·fan_in); bias U(±1/√fan_in).",
        _torch_default_law, _torch_default_bias))
    schemes.append(Scheme(
        "variance_scaling", "Variance scaling (JAX)", "jax",
        (_float("scale", 1.0, "variance = scale / n", lo=0.0),
         SchemeParam("mode", "fan_in", "choice", VS_MODES, help="n = fan_in, fan_out, their mean or geometric mean"),
         SchemeParam("distribution", "truncated_normal", "choice", VS_DISTRIBUTIONS,
               help="truncated_normal (realised std √(scale/n)), normal (untruncated), uniform"),
         _layout(LAYOUTS)),
        "variance scale/n; JAX meaning: 'normal' is untruncated (Keras would truncate it).",
        _variance_scaling_law))
    schemes.extend(_presets())
    schemes.append(Scheme(
        "rademacher", "Rademacher ±std", "initviz", (_STD,),
        "w = ±std with probability 1/2 each: variance std², kurtosis 1 (for equal-variance comparisons).",
        _rademacher_law))
    schemes.append(Scheme(
        "delta_orthogonal", "Delta-orthogonal (JAX, conv)", "jax",
        (_float("scale", 1.0, "multiplies the orthogonal centre tap"),),
        "3-5-D conv kernel, in ≤ out channels: an orthogonal (out, in) centre tap times scale, zeros at "
        "every other tap — Xiao et al. 2018 (JAX delta_orthogonal; kernel (*k, in, out) there).",
        _delta_orthogonal_law))
    return {s.name: s for s in schemes}


SCHEMES: dict[str, Scheme] = _build_registry()
"""Every scheme by name, in UI order."""


def get_scheme(name: str) -> Scheme:
    """The registered scheme ``name``; unknown names list the valid ones."""
    if name not in SCHEMES:
        raise one_of("init", tuple(SCHEMES), name)
    return SCHEMES[name]


def law(name: str, shape, **params) -> Law:
    """The exact law of the entries of a weight of ``shape`` under scheme ``name``."""
    return get_scheme(name).law(shape, **params)


@rng_alias
def sample(name: str, shape, seed=None, dtype="float64", **params) -> np.ndarray:
    """A weight of ``shape`` drawn with scheme ``name``.

    ``seed``: an int, a ``np.random.SeedSequence``, a ``np.random.Generator`` or ``None`` (fresh
    entropy); ``dtype``: float32 or float64. ``rng=`` is the deprecated name of ``seed``.

    >>> sample("kaiming_normal", (256, 512), seed=0, mode="fan_out", nonlinearity="relu").shape
    (256, 512)
    """
    return law(name, shape, **params).sample(seed=seed, dtype=dtype)


# --- torch.nn.init, by name ---------------------------------------------------------------------

@rng_alias
def uniform(shape, a=0.0, b=1.0, seed=None, dtype="float64"):
    """torch ``uniform_``: w ~ U(a, b)."""
    return sample("uniform", shape, seed, dtype, a=a, b=b)


@rng_alias
def normal(shape, mean=0.0, std=1.0, seed=None, dtype="float64"):
    """torch ``normal_``: w ~ N(mean, std²)."""
    return sample("normal", shape, seed, dtype, mean=mean, std=std)


@rng_alias
def trunc_normal(shape, mean=0.0, std=1.0, a=-2.0, b=2.0, seed=None, dtype="float64"):
    """torch ``trunc_normal_``: N(mean, std²) restricted to the absolute interval [a, b]
    (drawn exactly, by the inverse distribution function)."""
    return sample("trunc_normal", shape, seed, dtype, mean=mean, std=std, a=a, b=b)


@rng_alias
def constant(shape, val, seed=None, dtype="float64"):
    """torch ``constant_``: every entry equals ``val``. (``seed``, here and in the other deterministic
    schemes, keeps the signature uniform; it is validated and not used.)"""
    return sample("constant", shape, seed, dtype, val=val)


@rng_alias
def zeros(shape, seed=None, dtype="float64"):
    """torch ``zeros_``."""
    return sample("zeros", shape, seed, dtype)


@rng_alias
def ones(shape, seed=None, dtype="float64"):
    """torch ``ones_``."""
    return sample("ones", shape, seed, dtype)


@rng_alias
def eye(shape, seed=None, dtype="float64"):
    """torch ``eye_``: 2-D identity (ones on the main diagonal of a possibly rectangular matrix)."""
    return sample("eye", shape, seed, dtype)


@rng_alias
def dirac(shape, groups=1, seed=None, dtype="float64"):
    """torch ``dirac_``: for a 3-5-D conv weight (out, in/groups, *k), entry
    [g·out/groups + d, d, centre] = 1 for d < min(out/groups, in/groups), so the convolution
    passes min(out/groups, in/groups) channels of each group through unchanged."""
    return sample("dirac", shape, seed, dtype, groups=groups)


@rng_alias
def xavier_uniform(shape, gain=1.0, seed=None, dtype="float64"):
    """torch ``xavier_uniform_``: U(±gain·√(6/(fan_in+fan_out))) (Glorot & Bengio 2010)."""
    return sample("xavier_uniform", shape, seed, dtype, gain=gain)


@rng_alias
def xavier_normal(shape, gain=1.0, seed=None, dtype="float64"):
    """torch ``xavier_normal_``: N(0, gain²·2/(fan_in+fan_out)) (Glorot & Bengio 2010)."""
    return sample("xavier_normal", shape, seed, dtype, gain=gain)


@rng_alias
def kaiming_uniform(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", seed=None, dtype="float64"):
    """torch ``kaiming_uniform_``: U(±gain·√(3/fan_mode)), gain = calculate_gain(nonlinearity, a)
    (He et al. 2015)."""
    return sample("kaiming_uniform", shape, seed, dtype, a=a, mode=mode, nonlinearity=nonlinearity)


@rng_alias
def kaiming_normal(shape, a=0.0, mode="fan_in", nonlinearity="leaky_relu", seed=None, dtype="float64"):
    """torch ``kaiming_normal_``: N(0, gain²/fan_mode), untruncated, gain =
    calculate_gain(nonlinearity, a) (He et al. 2015)."""
    return sample("kaiming_normal", shape, seed, dtype, a=a, mode=mode, nonlinearity=nonlinearity)


@rng_alias
def orthogonal(shape, gain=1.0, seed=None, dtype="float64"):
    """torch ``orthogonal_``: gain × Haar (semi-)orthogonal (rows, numel/rows) matrix, reshaped;
    rows ≥ cols ⇒ WᵀW = gain²·I, else WWᵀ = gain²·I (Saxe et al. 2013)."""
    return sample("orthogonal", shape, seed, dtype, gain=gain)


@rng_alias
def sparse(shape, sparsity, std=0.01, seed=None, dtype="float64"):
    """torch ``sparse_``: 2-D N(0, std²) with ⌈sparsity·rows⌉ zeros per column (Martens 2010)."""
    return sample("sparse", shape, seed, dtype, sparsity=sparsity, std=std)


@rng_alias
def variance_scaling(shape, scale=1.0, mode="fan_in", distribution="truncated_normal", layout="torch",
                     seed=None, dtype="float64"):
    """JAX ``variance_scaling``: variance scale/n, n from ``mode`` (fan_in, fan_out, fan_avg,
    fan_geo_avg) with fans computed in ``layout``; ``distribution`` truncated_normal (±2 parent std,
    parent std √(scale/n)/0.87962566103423978), normal (untruncated, JAX meaning) or uniform
    (limit √(3·scale/n))."""
    return sample("variance_scaling", shape, seed, dtype, scale=scale, mode=mode,
                  distribution=distribution, layout=layout)


@rng_alias
def delta_orthogonal(shape, scale=1.0, seed=None, dtype="float64"):
    """JAX ``delta_orthogonal`` in torch layout (out, in, *k), in ≤ out: zeros except the centre tap
    [:, :, (k−1)//2, …] = scale × a Haar (out, in) matrix with orthonormal columns (Xiao et al. 2018)."""
    return sample("delta_orthogonal", shape, seed, dtype, scale=scale)


@rng_alias
def lecun_normal(shape, layout="torch", seed=None, dtype="float64"):
    """LeCun normal (Keras/JAX): truncated at ±2 parent std, realised variance 1/fan_in."""
    return sample("lecun_normal", shape, seed, dtype, layout=layout)


@rng_alias
def lecun_uniform(shape, layout="torch", seed=None, dtype="float64"):
    """LeCun uniform (Keras/JAX): U(±√(3/fan_in))."""
    return sample("lecun_uniform", shape, seed, dtype, layout=layout)


TORCH_FUNCTIONS = ("uniform", "normal", "trunc_normal", "constant", "zeros", "ones", "eye", "dirac",
                   "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse")
"""The torch.nn.init schemes, by torch name without the trailing underscore."""

__all__ = ["SchemeParam", "Param", "Scheme", "SCHEMES", "get_scheme", "law", "sample", "variance_scaling",
           "delta_orthogonal",
           "lecun_normal", "lecun_uniform", "TORCH_FUNCTIONS", "LIBRARIES", "VS_MODES", "VS_DISTRIBUTIONS",
           "TRUNC_CUT", "TRUNC_STD_RATIO", *TORCH_FUNCTIONS]
