"""Code that produces the same initialization in PyTorch, Keras 3 and JAX/Flax (pure; no Streamlit).

Each function returns a short, runnable snippet for one layer and one scheme with its parameters.
Equivalences used (REFERENCE.md "Keras 3 and JAX/Flax"):

* torch ``xavier_*(gain)`` = ``VarianceScaling(gain², "fan_avg", …)``; ``kaiming_*(a, mode, nl)`` =
  ``VarianceScaling(calculate_gain(nl, a)², mode, …)``; the torch normal is *untruncated*, which is
  Keras' ``"untruncated_normal"`` and JAX's ``"normal"``;
* Keras/JAX ``he_normal``, ``glorot_normal``, ``lecun_normal`` are *truncated* at ±2 parent std with
  the parent std divided by 0.87962566103423978; in torch that is ``trunc_normal_`` with explicit
  absolute cut points;
* the fans agree across libraries for dense and conv kernels (Keras/JAX kernels are the transpose
  layout ``(*k, in, out)``), so the same ``mode`` gives the same variance.

When a library has no built-in for a scheme, the snippet defines a small custom initializer.
"""

from __future__ import annotations

import math

from ..fans import calculate_gain
from ..initializers import VS_FAMILIES, TORCH_DEFAULT_A, TORCH_FUNCTIONS, law
from .links.initializers import kernel_dims, weight_shape

PRESET_BASES = {
    "lecun_normal": "lecun_normal", "lecun_uniform": "lecun_uniform",
    "keras_glorot_uniform": "glorot_uniform", "keras_glorot_normal": "glorot_normal",
    "keras_he_normal": "he_normal", "keras_he_uniform": "he_uniform",
    "keras_lecun_normal": "lecun_normal", "keras_lecun_uniform": "lecun_uniform",
    "jax_lecun_normal": "lecun_normal", "jax_lecun_uniform": "lecun_uniform",
    "jax_he_normal": "he_normal", "jax_he_uniform": "he_uniform",
    "jax_glorot_normal": "glorot_normal", "jax_glorot_uniform": "glorot_uniform",
}
"""Keras/JAX presets by the name both libraries give them (``he_normal`` ↔ ``HeNormal``)."""


def num(x: float) -> str:
    """A float as code: 12 significant digits, so √2² prints as 2."""
    text = f"{float(x):.12g}"
    return text if any(c in text for c in ".en") else text + ".0"


def _camel(base: str) -> str:
    return "".join(part.capitalize() for part in base.split("_"))


PRESET_SPECS = {key: (scale, mode) for key, _, scale, mode in VS_FAMILIES}
"""(scale, mode) of the Keras/JAX presets, as both libraries document them: the core's table, the one
its preset schemes are built from."""


def variance_spec(scheme: str, params: dict) -> tuple[float, str, str] | None:
    """(scale, mode, distribution in JAX words) when ``scheme`` is a variance scaling: the entry
    variance is scale/fan_mode. ``None`` for the schemes that are not (normal, orthogonal, …)."""
    if scheme in PRESET_BASES:
        family, dist = PRESET_BASES[scheme].split("_")
        scale, mode = PRESET_SPECS[family]
        return scale, mode, "truncated_normal" if dist == "normal" else dist
    if scheme in ("xavier_uniform", "xavier_normal"):
        return params["gain"] ** 2, "fan_avg", scheme.split("_")[1]
    if scheme in ("kaiming_uniform", "kaiming_normal"):
        gain = calculate_gain(params["nonlinearity"], params["a"])
        return gain ** 2, params["mode"], scheme.split("_")[1]
    if scheme == "torch_default":
        return calculate_gain("leaky_relu", TORCH_DEFAULT_A) ** 2, "fan_in", "uniform"
    if scheme == "variance_scaling":
        return params["scale"], params["mode"], params["distribution"]
    return None


SPATIAL_EXAMPLE = 32
"""Spatial size of the example input the Keras/JAX snippets build a conv layer with."""


def _layer(layer: str, n_in: int, n_out: int, kernel: int, dense: str, conv: str) -> str:
    """The lines that build the layer: ``dense`` or ``conv`` filled with n_in, n_out, kernel, the
    number of spatial dimensions d, the kernel tuple ksize and an example spatial shape."""
    d = kernel_dims(layer)
    return (dense if d == 0 else conv).format(n_in=n_in, n_out=n_out, kernel=kernel, d=d, ksize=(kernel,) * d,
                                              spatial=", ".join([str(SPATIAL_EXAMPLE)] * d))


def torch_code(scheme: str, params: dict, layer: str, n_in: int, n_out: int, kernel: int) -> str:
    """PyTorch: build the layer, then initialise ``layer.weight`` in place."""
    make = _layer(layer, n_in, n_out, kernel, "layer = nn.Linear({n_in}, {n_out})  # weight shape ({n_out}, {n_in})",
                  "layer = nn.Conv{d}d({n_in}, {n_out}, kernel_size={kernel})")
    head = f"import torch\nfrom torch import nn\n\n{make}\n"
    if scheme == "torch_default":
        return head + "# nothing to do: reset_parameters() already ran kaiming_uniform_(a=math.sqrt(5)),\n" \
                      "# i.e. U(±1/√fan_in) for the weight and for the bias\n"
    if scheme in TORCH_FUNCTIONS:
        args = "".join(f", {k}={_py(v)}" for k, v in params.items())
        return head + f"nn.init.{scheme}_(layer.weight{args})\n"
    w = law(scheme, weight_shape(layer, n_in, n_out, kernel), **params)
    if w.kind == "normal":
        return head + f"nn.init.normal_(layer.weight, mean={num(w.loc)}, std={num(w.scale)})\n"
    if w.kind == "uniform":
        lo, hi = w.support
        return head + f"nn.init.uniform_(layer.weight, a={num(lo)}, b={num(hi)})\n"
    if w.kind == "trunc_normal":
        return head + (f"nn.init.trunc_normal_(layer.weight, mean={num(w.loc)}, std={num(w.scale)}, "
                       f"a={num(w.a)}, b={num(w.b)})  # a, b: absolute cut points\n")
    if w.kind == "rademacher":
        return head + ("with torch.no_grad():\n"
                       f"    signs = torch.randint(0, 2, layer.weight.shape).mul_(2).sub_(1)\n"
                       f"    layer.weight.copy_({num(w.scale)} * signs)\n")
    if w.kind == "delta_orthogonal":
        return head + ("# delta-orthogonal (Xiao et al. 2018): no torch built-in; JAX's rule in torch layout\n"
                       "out_ch, in_ch, *k = layer.weight.shape  # (out, in, *k); needs in_ch <= out_ch\n"
                       "centre = tuple((s - 1) // 2 for s in k)  # JAX's centre tap\n"
                       "tap = torch.empty(out_ch, in_ch)\n"
                       f"nn.init.orthogonal_(tap, gain={num(w.scale)})  # orthonormal columns, times the gain\n"
                       "with torch.no_grad():\n"
                       "    layer.weight.zero_()\n"
                       "    layer.weight[(slice(None), slice(None), *centre)] = tap\n")
    return head + f"# {scheme}: no PyTorch equivalent written for a {w.kind} law\n"


_FRAMEWORKS = {  # imports; dense layer; conv layer; closing line
    "keras": ("import keras\n\n",
              "layer = keras.layers.Dense({n_out}, kernel_initializer=init)\nlayer.build((None, {n_in}))",
              "layer = keras.layers.Conv{d}D({n_out}, kernel_size={kernel}, kernel_initializer=init)\n"
              "layer.build((None, {spatial}, {n_in}))  # channels last", ""),
    "jax": ("import jax\nimport jax.numpy as jnp\nfrom flax import linen as nn\n\n",
            "layer = nn.Dense(features={n_out}, kernel_init=init)\nx = jnp.ones((1, {n_in}))",
            "layer = nn.Conv(features={n_out}, kernel_size={ksize}, kernel_init=init)\n"
            "x = jnp.ones((1, {spatial}, {n_in}))  # channels last", "params = layer.init(jax.random.key(0), x)\n"),
}


def _framework_code(framework: str, init: tuple[str, str], layer: str, n_in: int, n_out: int, kernel: int) -> str:
    head, dense, conv, tail = _FRAMEWORKS[framework]
    expr, custom = init
    return f"{head}{custom}init = {expr}\n{_layer(layer, n_in, n_out, kernel, dense, conv)}\n{tail}"


def keras_code(scheme: str, params: dict, layer: str, n_in: int, n_out: int, kernel: int) -> str:
    """Keras 3: pass the initializer as ``kernel_initializer`` (kernel layout (*k, in, out))."""
    return _framework_code("keras", _keras_init(scheme, params, layer, n_in, n_out, kernel), layer, n_in, n_out, kernel)


def jax_code(scheme: str, params: dict, layer: str, n_in: int, n_out: int, kernel: int) -> str:
    """Flax (linen): pass the initializer as ``kernel_init``; initializers take (key, shape, dtype)."""
    return _framework_code("jax", _jax_init(scheme, params, layer, n_in, n_out, kernel), layer, n_in, n_out, kernel)


def _keras_init(scheme, params, layer, n_in, n_out, kernel) -> tuple[str, str]:
    ki = "keras.initializers."
    if scheme in PRESET_BASES:
        return ki + _camel(PRESET_BASES[scheme]) + "()", ""
    spec = variance_spec(scheme, params)
    if spec:
        scale, mode, dist = spec
        if mode == "fan_geo_avg":
            return "None", "# Keras has no fan_geo_avg mode (JAX only)\n"
        dist = {"normal": "untruncated_normal"}.get(dist, dist)
        return ki + f'VarianceScaling(scale={num(scale)}, mode="{mode}", distribution="{dist}")', ""
    simple = {
        "orthogonal": lambda p: f"Orthogonal(gain={num(p['gain'])})",
        "normal": lambda p: f"RandomNormal(mean={num(p['mean'])}, stddev={num(p['std'])})",
        "uniform": lambda p: f"RandomUniform(minval={num(p['a'])}, maxval={num(p['b'])})",
        "constant": lambda p: f"Constant({num(p['val'])})",
        "zeros": lambda p: "Zeros()", "ones": lambda p: "Ones()", "eye": lambda p: "Identity()",
    }
    if scheme in simple:
        return ki + simple[scheme](params), ""
    if scheme == "trunc_normal" and math.isclose(params["a"], params["mean"] - 2 * params["std"]) \
            and math.isclose(params["b"], params["mean"] + 2 * params["std"]):
        return ki + f"TruncatedNormal(mean={num(params['mean'])}, stddev={num(params['std'])})", ""
    w = law(scheme, weight_shape(layer, n_in, n_out, kernel), **params)
    draw = _keras_draw(w)
    if draw is None:
        return "None", f"# {scheme}: no Keras built-in; see the PyTorch snippet for the rule\n"
    return "init_fn", f"def init_fn(shape, dtype=None):\n    return {draw}\n\n"


def _keras_draw(w) -> str | None:
    if w.kind == "rademacher":
        return f"{num(w.scale)} * (2.0 * keras.random.randint(shape, 0, 2, dtype=dtype or 'float32') - 1.0)"
    return None


def _jax_init(scheme, params, layer, n_in, n_out, kernel) -> tuple[str, str]:
    ji = "jax.nn.initializers."
    if scheme in PRESET_BASES:
        return ji + PRESET_BASES[scheme] + "()", ""
    spec = variance_spec(scheme, params)
    if spec:
        scale, mode, dist = spec
        return ji + f'variance_scaling({num(scale)}, "{mode}", "{dist}")', ""
    simple = {
        "orthogonal": lambda p: f"orthogonal(scale={num(p['gain'])})",
        "delta_orthogonal": lambda p: f"delta_orthogonal(scale={num(p['scale'])})  # kernel (*k, in, out)",
        "constant": lambda p: f"constant({num(p['val'])})",
        "zeros": lambda p: "zeros", "ones": lambda p: "ones",
    }
    if scheme in simple:
        return ji + simple[scheme](params), ""
    if scheme == "normal" and params["mean"] == 0:
        return ji + f"normal(stddev={num(params['std'])})", ""
    w = law(scheme, weight_shape(layer, n_in, n_out, kernel), **params)
    draw = {
        "normal": lambda: f"{num(w.loc)} + {num(w.scale)} * jax.random.normal(key, shape, dtype)",
        "uniform": lambda: f"jax.random.uniform(key, shape, dtype, {num(w.support[0])}, {num(w.support[1])})",
        "trunc_normal": lambda: (f"{num(w.loc)} + {num(w.scale)} * jax.random.truncated_normal("
                                 f"key, {num(w.alpha)}, {num(w.beta)}, shape, dtype)"),
        "rademacher": lambda: f"{num(w.scale)} * jax.random.rademacher(key, shape, dtype)",
        "eye": lambda: "jnp.eye(shape[0], shape[1], dtype=dtype)",
    }.get(w.kind)
    if draw is None:
        return "None", f"# {scheme}: no JAX built-in; see the PyTorch snippet for the rule\n"
    return "init_fn", f"def init_fn(key, shape, dtype=jnp.float32):\n    return {draw()}\n\n"


def _py(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float):
        return num(value)
    return repr(value)


# --- residual blocks: each branch preset of initviz.residual.PRESETS in torch.nn -----------------------

RESIDUAL_EXAMPLE = (48, 256)
"""(L blocks, width n) the residual snippets start from (the user edits them: every constant is a formula of L)."""

_RESIDUAL_SNIPPETS = {  # preset: (placement, LayerNorm?, activation, base init of a branch layer or None, constants)
    "none": ("pre", True, "GELU", None, ("1.0", "1.0", "(1.0, 1.0)")),
    "gpt2": ("pre", True, "GELU", "nn.init.normal_(fc.weight, std=0.02)  # nanoGPT's base init",
             ("1.0", "1.0", "(1.0, 1 / math.sqrt(2 * L))")),
    "fixup": ("pre", False, "ReLU", 'nn.init.kaiming_normal_(fc.weight, nonlinearity="relu")  # He',
              ("1.0", "1.0", "(L ** (-1 / (2 * m - 2)), 0.0)")),
    "rezero": ("pre", False, "GELU", None, ("0.0", "1.0", "(1.0, 1.0)")),
    "deepnorm": ("post", True, "GELU", "nn.init.xavier_normal_(fc.weight)",
                 ("1.0", "(2 * L) ** 0.25", "((8 * L) ** -0.25, (8 * L) ** -0.25)")),
    "t_fixup": ("pre", False, "GELU", "nn.init.xavier_uniform_(fc.weight)",
                ("1.0", "1.0", "(0.67 * L ** -0.25, 0.67 * L ** -0.25)")),
    "depth_mup": ("pre", True, "GELU", None, ("1 / math.sqrt(L)", "1.0", "(1.0, 1.0)")),
}
"""How each preset's block is written: the source's placement, norm, activation and base init, and its
constants (α, s, the multipliers of fc1 and fc2) as formulas of L and m — the same as
:data:`initviz.residual.PRESETS` (a test evaluates them against it)."""


def torch_residual_code(preset: str, blocks: int = RESIDUAL_EXAMPLE[0], width: int = RESIDUAL_EXAMPLE[1]) -> str:
    """PyTorch: ``blocks`` residual blocks of ``width`` units with a two-layer branch, initialised as
    ``preset`` (:data:`initviz.residual.PRESETS`) prescribes. The constants come first, in plain Python
    (α, the skip's s, the branch layers' multipliers), then the ``torch.nn`` block and its init."""
    from ..residual import PRESETS

    placement, layer_norm, act, base, (alpha, skip, scale) = _RESIDUAL_SNIPPETS[preset]
    spec = PRESETS[preset]
    fixup = preset == "fixup"
    norm = "nn.LayerNorm(n)" if layer_norm else "nn.Identity()  # the source has no normalisation"
    branch = ("(self.fc2(self.act(self.fc1(u + self.b[0]) + self.b[1]) + self.b[2]) * self.multiplier + self.b[3])"
              if fixup else "self.fc2(self.act(self.fc1(u)))")
    alpha_term = "self.alpha" if preset == "rezero" else "alpha"
    out = (f"return self.norm(skip * x + {alpha_term} * {branch.replace('(u', '(x')})" if placement == "post"
           else f"u = self.norm(x)\n        return skip * x + {alpha_term} * {branch}")
    extra = ""
    if preset == "rezero":
        extra = "        self.alpha = nn.Parameter(torch.tensor(alpha))  # learnable, 0 at init\n"
    if fixup:
        extra = ("        self.b = nn.ParameterList(nn.Parameter(torch.zeros(1)) for _ in range(4))  # scalar biases\n"
                 "        self.multiplier = nn.Parameter(torch.ones(1))  # scalar multiplier\n")
    init = (f"            {base}\n            fc.weight.mul_(c)\n            nn.init.zeros_(fc.bias)\n" if base
            else "            fc.weight.mul_(c)  # on nn.Linear's default init\n")
    form = "N(s·x + α·F(x))" if placement == "post" else "s·x + α·F(N(x))" if layer_norm else "s·x + α·F(x), no norm"
    return (f"# {spec.label}: {spec.formula}\n# {spec.source}\nimport math\n\n"
            f"L, n, m = {blocks}, {width}, 2  # residual blocks, stream width, weight layers per branch\n"
            f"alpha = {alpha}  # multiplies the branch\nskip = {skip}  # multiplies the stream x\n"
            f"scale = {scale}  # multiply the init of the branch's fc1, fc2\n\n"
            "import torch\nfrom torch import nn\n\n\n"
            "class Block(nn.Module):\n"
            f'    """{placement + "-norm" if layer_norm else "Residual"}: x ↦ {form}, F(u) = fc2({act.lower()}(fc1(u)))."""\n\n'
            "    def __init__(self, n):\n        super().__init__()\n"
            f"        self.norm = {norm}\n"
            f"        self.fc1, self.act, self.fc2 = nn.Linear(n, n), nn.{act}(), nn.Linear(n, n)\n{extra}\n"
            f"    def forward(self, x):\n        {out}\n\n\n"
            "blocks = nn.Sequential(*(Block(n) for _ in range(L)))\n"
            "with torch.no_grad():\n    for block in blocks:\n"
            "        for fc, c in zip((block.fc1, block.fc2), scale):\n" + init)
