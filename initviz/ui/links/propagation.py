"""The Propagation page's link and run plan: the network (an MLP, with or without a norm after each
activation, or residual blocks with a branch preset: :data:`ARCHITECTURES`), its init schemes (the configured one and up to
:data:`MAX_COMPARED` comparisons), the inputs and the view; the core calls a view makes
(:func:`runs`: ``Network.mlp`` or ``Network.residual_net`` (:func:`build`), ``propagate`` and the
mean-field prediction, one run per scheme);
and, on a hosted instance (:mod:`initviz.ui.deployment`), the view's compute budget (:func:`fit`), met
by cutting the statistical sample only (batch, then seeds) — never depth, widths, activation or the
schemes compared; a view that still does not fit is not computed, and choices that fit are offered."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ...activations import ACTIVATIONS
from ...errors import InitvizError
from ...initializers import SCHEMES
from ...laws import DTYPES
from ...limits import MAX_ACTIVATIONS, MAX_MACS, MAX_WEIGHT_DRAWS, MAX_WEIGHTS, Budget
from ...network import BIAS_RULES, Network
from ...normals import DEFAULT_DRAWS, DRAW_VERSIONS
from ...norms import NORMS
from ...residual import BRANCH_DEPTHS, PRESETS
from ...propagation import INPUTS as PROPAGATION_INPUTS
from ...propagation import Cost, cost
from .. import deployment
from .common import order_scheme_params, scheme_choice, scheme_label, scheme_params, scheme_settings, seed
from .budget import FIT_PROBLEM, Fit, as_asked, fewer_compared, largest, times
from .grammar import Notice, PageSchema, Param, Settings, format_value

PROPAGATION_MAX_DEPTH = 200
"""Deepest MLP the Propagation page builds (the core allows ``limits.MAX_DEPTH``)."""
RESIDUAL_MAX_DEPTH = 1000
"""Most residual blocks the Propagation page builds (DeepNorm's 1,000 layers; ``limits.MAX_DEPTH``):
a residual stream keeps its scale through depth, so deep views are the point; the hosted budget
still cuts their sample (:func:`fit`)."""
ARCHITECTURES = ("mlp", "pre", "post")
"""The network of a view: a plain MLP (with ``norm`` after each activation), or residual blocks with
the norm before the branch (pre-norm) or after the sum (post-norm): :mod:`initviz.residual`."""
PROPAGATION_MAX_WIDTH = 2048
PROPAGATION_MAX_BATCH = 1024
PROPAGATION_MAX_SEEDS = 8
MAX_COMPARED = 3
"""Schemes compared with the configured one: four series at most on every chart."""
ACTIVATION_PARAM_LIMIT = 100.0
"""|activation parameter| (leaky slope, ELU α) accepted from a link."""
BIAS_LIMIT = 100.0
"""|bias value| (a constant, or the normal's std) accepted from a link."""
PAGE_MAX_MACS = 2 ** 32
"""Forward multiply–adds per page view, over every compared scheme and seed (float64: 2×):
(1 + compared)·n_seeds·batch·Σ n_{l−1}·n_l ≤ 2³² (a few seconds forward and backward on one core)."""
PAGE_MAX_DRAWS = 2 ** 27
"""Weight-sampling work per page view, over every compared scheme and seed, in the core's
normal-draw equivalents (``limits.draw_cost``) — each run also stays within ``limits.MAX_WEIGHT_DRAWS``."""
PAGE_MAX_ACTIVATIONS = 2 ** 24
"""Activation entries per page view, over every compared scheme and seed (float64: 2×): the per-layer
statistics scale with them (4 schemes × batch 1024 × 200 layers of width 64 = 2^25.6 took 3.5 s of
CPU; 4 × 932 × 200 × 45 = 2^25 with 800 layers, 2.9 s)."""
PAGE_MAX_LAYERS = 2 ** 10
"""Layers propagated per page view, over every compared scheme and seed: (1 + compared)·n_seeds·depth
≤ 2¹⁰. Each layer has a fixed cost (statistics, theory, drawing; ~1 ms) that the multiply–add and
sampling budgets do not see: 4 schemes × 8 seeds × 200 layers of width 64 took 7.3 s of CPU."""
TARGET_RSE = 0.05
"""Relative standard error a per-layer statistic keeps when a compute budget cuts the batch."""
MIN_BATCH = 32
"""The smallest batch a compute budget cuts to on its own (a user may still ask for less, down to 2).
Below it, a statistic over "every input of the batch" stops being about the network: a live ReLU unit
with symmetric pre-activations reads as dead on all B inputs with probability 2^−B (B = 32: < 10⁻⁹
per unit, so the dead-unit chart shows no false deaths at any width the page allows)."""
MIN_SAMPLE = 2
"""The smallest batch the link allows (one correlated pair): a "batch B" choice below the floor stops here."""


def batch_floor(width: int) -> int:
    """The batch a compute budget never cuts below at hidden width ``width``:
    max(:data:`MIN_BATCH`, ⌈2 / (n·r²)⌉) with r = :data:`TARGET_RSE`.

    Derivation: a per-layer statistic such as Var hˡ is estimated from the B·n entries of the layer
    (B inputs × n units). For (near-)Gaussian entries the variance estimate has relative standard error
    √(2/(B·n)); keeping it ≤ r needs B ≥ 2/(n·r²) — at r = 5 %, 800/n: 800 inputs at width 1, 32 at
    width 25, fewer than :data:`MIN_BATCH` from width 26 on (so the hard minimum decides: 32)."""
    return max(MIN_BATCH, math.ceil(2 / (max(width, 1) * TARGET_RSE ** 2)))
PROPAGATION_VIEWS = ("forward", "histograms", "backward")
"""The Propagation page's views; only the one shown is computed (the backward pass only when
the backward view or the gradient histograms need it)."""


def _dense_schemes() -> tuple[str, ...]:
    """Schemes that can initialise a dense (2-D) weight: every one but the conv-only ``dirac``."""
    usable = []
    for name, scheme in SCHEMES.items():
        try:
            scheme.law((2, 2))
        except InitvizError:
            continue
        usable.append(name)
    return tuple(usable)


def activation_params() -> tuple[Param, ...]:
    """One link parameter per parametrised activation of :data:`initviz.activations.ACTIVATIONS`,
    named ``<activation>_<param>`` (``leaky_relu_negative_slope``, ``elu_alpha``)."""
    return tuple(Param(f"{name}_{spec.param_name}", "float", spec.default, spec.param_name,
                       lo=max(spec.param_min, -ACTIVATION_PARAM_LIMIT), hi=ACTIVATION_PARAM_LIMIT,
                       when=(("activation", (name,)),), help=f"{spec.param_name} of {name}: {spec.formula}")
                 for name, spec in ACTIVATIONS.items() if spec.param_name)


def activation_param(settings: Mapping[str, Any]) -> float | None:
    """The chosen activation's parameter (None for parameter-free activations)."""
    spec = ACTIVATIONS[settings["activation"]]
    return settings[f"{settings['activation']}_{spec.param_name}"] if spec.param_name else None


def input_width(settings: Mapping[str, Any]) -> int:
    """n₀: ``in_width``, or the hidden width when ``in_width`` is 0."""
    return settings["in_width"] or settings["width"]


def compared_schemes(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """Every scheme a Propagation view runs: the configured one first, then the comparisons."""
    return (settings["scheme"], *settings["compare"])


# --- the run plan: settings → the core's calls ------------------------------------------------------

def needs_backward(settings: Mapping[str, Any]) -> bool:
    """Whether the view shows anything of the backward pass: the backward view, or histograms of ∂L/∂h."""
    return settings["view"] == "backward" or (settings["view"] == "histograms" and settings["hist_of"] == "grad")


def histogram_kinds(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The histograms the view draws: the chosen kind in the histograms view, none elsewhere."""
    return (settings["hist_of"],) if settings["view"] == "histograms" else ()


def series_name(settings: Mapping[str, Any], scheme: str, configured: bool) -> str:
    """The legend name of a run: the scheme, with the parameters that differ from its defaults
    when it is the configured one (``normal(std=0.01)``); comparisons run at their defaults."""
    if not configured:
        return scheme
    params = scheme_settings(settings, scheme)
    defaults = SCHEMES[scheme].defaults
    changed = [f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items() if v != defaults[k]]
    return f"{scheme}({', '.join(changed)})" if changed else scheme


def is_residual(settings: Mapping[str, Any]) -> bool:
    """Whether the view's network is made of residual blocks (``arch`` pre or post)."""
    return settings["arch"] != "mlp"


def network_kwargs(settings: Mapping[str, Any], scheme: str, configured: bool, budget: Budget | None = None) -> dict:
    """The keyword arguments of the view's network for one scheme (its configured parameters, or its
    defaults), within ``budget`` (None: the deployment's, :mod:`.deployment`): ``Network.mlp``'s for an
    MLP (the norm only when there is one: an MLP without keeps the arguments it always had),
    ``Network.residual_net``'s for residual blocks (the final norm only where it applies: a control
    left on keeps its value when the norm is set to none) — :func:`build` tells them apart."""
    width = settings["width"]
    common = dict(activation=settings["activation"], activation_param=activation_param(settings), init=scheme,
                  init_params=scheme_settings(settings, scheme) if configured else None, bias=settings["bias"],
                  bias_value=settings["bias_value"], budget=deployment.current().budget if budget is None else budget)
    if is_residual(settings):
        return dict(width=width, depth=settings["depth"], norm=settings["norm"], placement=settings["arch"],
                    branch_depth=settings["branch_depth"], preset=settings["preset"],
                    final_norm=SCHEMA.by_name["final_norm"].applies(settings) and settings["final_norm"], **common)
    norm = {} if settings["norm"] == "none" else {"norm": settings["norm"]}
    return dict(input_dim=input_width(settings), widths=(width,) * settings["depth"], **common, **norm)


def build(network: Mapping[str, Any]) -> Network:
    """The network of a run's keyword arguments (:func:`network_kwargs`): ``Network.residual_net``
    when they name a block ``placement``, else ``Network.mlp``."""
    return Network.residual_net(**network) if "placement" in network else Network.mlp(**network)


@dataclass(frozen=True)
class Run:
    """One run of a Propagation view: its legend ``name`` and the keyword arguments of the core calls
    that compute it — ``build(network)`` (``Network.mlp`` or ``Network.residual_net``), then
    ``propagate(net, **propagate)`` (the deadline is the page's to add) and the mean-field prediction
    (``meanfield.predict(net, **predict)``; a residual network's is
    ``residual_theory.predict_residual(net, batch=predict["batch"])``)."""

    name: str
    network: dict
    propagate: dict
    predict: dict

    def build(self) -> Network:
        """The run's network (:func:`build`)."""
        return build(self.network)


def runs(settings: Mapping[str, Any], budget: Budget | None = None) -> tuple[Run, ...]:
    """Every run of the view, the configured scheme first, then the comparisons (at their defaults),
    on the same inputs and seed; each within ``budget`` (None: the deployment's). ``propagate``
    computes what the view draws: the backward pass and the weight gradients only when
    :func:`needs_backward`, the :func:`histogram_kinds` only."""
    budget = deployment.current().budget if budget is None else budget
    backward = needs_backward(settings)
    corr = settings["input_corr"]
    sampling = dict(batch=settings["batch"], seed=settings["seed"], dtype=settings["dtype"],
                    n_seeds=settings["n_seeds"], inputs=settings["inputs"], input_corr=corr, backward=backward,
                    weight_grad=backward, histograms=histogram_kinds(settings), budget=budget,
                    draws=int(settings["draws"]))
    theory = dict(input_corr=corr if settings["inputs"] == "correlated" else 0.0, batch=settings["batch"])
    return tuple(Run(series_name(settings, scheme, configured=i == 0),
                     network_kwargs(settings, scheme, configured=i == 0, budget=budget), dict(sampling), dict(theory))
                 for i, scheme in enumerate(compared_schemes(settings)))


# --- the compute budget -----------------------------------------------------------------------

ESTIMATE_BUDGET = Budget.local()
"""The budget a view's networks are built within to be costed: the local one, so that a view over the
hosted budget still has a cost (and can be reduced to fit)."""


@lru_cache(maxsize=256)
def _costed_network(key: tuple) -> Network:
    """The network of a run's ``Network.mlp`` arguments (``key``: their items, ``init_params`` as
    items), kept for the next cost of the same network. A parameter set the scheme rejects counts
    as a normal-law network of the same sizes (the page then shows the scheme's error instead)."""
    kwargs = dict(key)
    kwargs["init_params"] = None if kwargs["init_params"] is None else dict(kwargs["init_params"])
    try:
        return build(kwargs)
    except InitvizError:
        return build({**kwargs, "init": "normal", "init_params": None})


def _run_costs(settings: Mapping[str, Any]) -> list[tuple[Cost, int]]:
    """Per run of the view (:func:`runs`, built within :data:`ESTIMATE_BUDGET`): the core's
    :func:`~initviz.propagation.cost` of its ``propagate`` call and the layers it propagates."""
    out = []
    for run in runs(settings, budget=ESTIMATE_BUDGET):
        params = run.network["init_params"]
        key = tuple({**run.network, "init_params": None if params is None else tuple(params.items())}.items())
        net = _costed_network(key)
        n_seeds = run.propagate["n_seeds"]
        out.append((cost(net, batch=run.propagate["batch"], n_seeds=n_seeds, dtype=run.propagate["dtype"]),
                    n_seeds * net.depth))
    return out


def propagation_cost(settings: Mapping[str, Any]) -> dict[str, float]:
    """What a Propagation view asks of the core, by the core's own accounting
    (:func:`initviz.propagation.cost` of each run; float64 arithmetic counts double): the largest
    per-run ``weights``, ``activations``, ``macs`` and ``draws`` (sampling work, see
    ``limits.draw_cost``) and, over every compared scheme, ``page_macs``, ``page_draws``,
    ``page_activations`` and ``page_layers``."""
    costs, layers = zip(*_run_costs(settings))
    return {"weights": max(c.weights for c in costs), "activations": max(c.activations for c in costs),
            "macs": max(c.macs for c in costs), "draws": max(c.weight_draws for c in costs),
            "page_macs": sum(c.macs for c in costs), "page_draws": sum(c.weight_draws for c in costs),
            "page_activations": sum(c.activations for c in costs), "page_layers": sum(layers)}


SECONDS_PER_MAC = 1.0e-10
SECONDS_PER_ACTIVATION = 5.0e-8
SECONDS_PER_LAYER = {"mlp": 2.0e-4, "residual": 1.0e-3}
BACKWARD_FACTOR = 1.8
"""The model of :func:`propagation_seconds`, fitted on one core (``threadpool_limits(1)``, float32,
histograms off): MLPs 1024×20 at batch 256 took 1.03 s forward (model 0.80) and 1.78 s with the
backward pass (1.45); 64×200, batch 256, 8 seeds 1.42 s (1.8); 2048×10 at batch 1024 4.8 s (5.3);
256×200 at batch 1024 with backward 4.3 s (7.2); pre-LN residual blocks 32×1000 at batch 32 1.13 s
forward (1.1), 256×1000 at batch 64 with backward 9.4 s (6.3) — within a factor 2, enough to tell a
view of a second from one of a tenth."""


SECONDS_PER_DRAW = 8.0e-9
"""One weight draw of unit cost (``limits.draw_cost``: a standard normal) on one core: numpy's ziggurat
draws ~120 M float32 normals a second (``python -m bench.normals``); a 512² Haar draw (16.8 ms there)
models at 22 ms."""


def run_seconds(settings: Mapping[str, Any], sampling: bool = True) -> list[float]:
    """Modelled seconds of each run of the view (:func:`runs`) on one core: (multiply–adds ×
    :data:`SECONDS_PER_MAC` + activation entries × :data:`SECONDS_PER_ACTIVATION` + layers ×
    :data:`SECONDS_PER_LAYER`) × :data:`BACKWARD_FACTOR` when the view needs the backward pass, plus
    with ``sampling`` the weight draws × :data:`SECONDS_PER_DRAW` (draw version 1's costs: an
    orthogonal run's QRs can outweigh its products, which orders the runs longest first)."""
    per_layer = SECONDS_PER_LAYER["residual" if is_residual(settings) else "mlp"]
    factor = BACKWARD_FACTOR if needs_backward(settings) else 1.0
    return [(c.macs * SECONDS_PER_MAC + c.activations * SECONDS_PER_ACTIVATION + layers * per_layer) * factor
            + (c.weight_draws * SECONDS_PER_DRAW if sampling else 0.0) for c, layers in _run_costs(settings)]


def propagation_seconds(settings: Mapping[str, Any]) -> float:
    """Modelled seconds of a Propagation view on one core: :func:`run_seconds` of every run, without
    the sampling (the model was fitted on normal draws, where the products dominate)."""
    return math.fsum(run_seconds(settings, sampling=False))


def _excess(settings: Mapping[str, Any]) -> float:
    """The largest ratio of a cost to its limit (≤ 1 when the view fits every budget)."""
    cost = propagation_cost(settings)
    return max(cost["page_macs"] / PAGE_MAX_MACS, cost["page_draws"] / PAGE_MAX_DRAWS, cost["weights"] / MAX_WEIGHTS,
               cost["activations"] / MAX_ACTIVATIONS, cost["macs"] / MAX_MACS, cost["draws"] / MAX_WEIGHT_DRAWS,
               cost["page_activations"] / PAGE_MAX_ACTIVATIONS, cost["page_layers"] / PAGE_MAX_LAYERS)


def _smallest_sample(settings: Mapping[str, Any]) -> Settings:
    """``settings`` with the smallest sample the page computes on its own: the batch at most
    :func:`batch_floor` and one network."""
    return {**settings, "batch": min(settings["batch"], batch_floor(settings["width"])), "n_seeds": 1}


def fit(settings: Mapping[str, Any]) -> Fit:
    """The view of ``settings`` within the hosted compute budget (:data:`PAGE_MAX_MACS`,
    :data:`PAGE_MAX_DRAWS`, :data:`PAGE_MAX_ACTIVATIONS`, :data:`PAGE_MAX_LAYERS` and the core's
    per-run hosted limits), on a hosted instance (:mod:`.deployment`; a local one computes the view
    as asked). Over the budget, only the statistical sample is cut: the batch down to
    :func:`batch_floor` of the width, then the seeds down to 1, each to the largest value that fits.
    If that is not enough the view is not computed and :attr:`Fit.choices` lists what would fit:
    fewer comparisons, a smaller depth, width or input width, or a batch below the floor."""
    whole = as_asked(settings, _excess)
    if whole.fits:
        return whole
    asked, over = whole.asked, whole.over
    used = dict(asked)
    floor = batch_floor(asked["width"])
    cut = []
    if used["batch"] > floor:
        used["batch"] = largest(used, "batch", floor, used["batch"], _excess) or floor
    if used["batch"] != asked["batch"]:
        cut.append(Notice("batch", f"{asked['batch']} would be {times(over)} the work {FIT_PROBLEM}",
                          f"using batch {used['batch']}"))
    if _excess(used) > 1 and used["n_seeds"] > 1:
        still = _excess(used)
        used["n_seeds"] = largest(used, "n_seeds", 1, used["n_seeds"], _excess) or 1
        at = f" with batch {used['batch']}" if used["batch"] != asked["batch"] else ""
        cut.append(Notice("n_seeds", f"{asked['n_seeds']} networks{at} would be {times(still)} the work "
                          f"{FIT_PROBLEM}", f"using {used['n_seeds']}"))
    if _excess(used) <= 1:
        return Fit(asked, True, used, tuple(cut), over)
    return Fit(asked, False, asked, (), over, _choices(asked))


def _choices(asked: Settings) -> tuple[tuple[str, Settings], ...]:
    """One change each that makes the view fit (with the sample :func:`fit` then uses)."""
    out = list(fewer_compared(asked, lambda s: _excess(_smallest_sample(s)) <= 1))
    for name, label, lo in (("depth", "depth", 1), ("width", "width", 1), ("in_width", "input width", 1)):
        if name == "in_width" and (asked["in_width"] == 0 or is_residual(asked)):
            continue
        value = largest(asked, name, lo, asked[name] - 1, _excess, _smallest_sample)
        if value is not None:
            out.append((f"{label} {value}", {**asked, name: value}))
    single = {**asked, "n_seeds": 1}
    batch = largest(single, "batch", MIN_SAMPLE, min(asked["batch"], batch_floor(asked["width"])) - 1, _excess)
    if batch is not None:
        out.append((f"batch {batch} (a noisier estimate)", {**asked, "batch": batch}))
    return tuple(out)


def _constrain_propagation(settings: Settings) -> tuple[Settings, list[Notice]]:
    """Cross-field rules of the Propagation page: an MLP's depth at most :data:`PROPAGATION_MAX_DEPTH`,
    the branch preset's needs (:func:`preset_rules`); a normal bias's std is |value|; at most
    :data:`MAX_COMPARED` comparisons, none equal to the configured scheme; the configured scheme's
    bounds in order (:func:`scheme_rules`). The compute budget is not a rule of the link: the page
    computes :func:`fit` of the settings as asked."""
    notices = []
    if not is_residual(settings) and settings["depth"] > PROPAGATION_MAX_DEPTH:
        settings["depth"] = PROPAGATION_MAX_DEPTH
        notices.append(Notice("depth", f"an MLP has at most {PROPAGATION_MAX_DEPTH} layers here (residual blocks: "
                              f"{RESIDUAL_MAX_DEPTH})", f"using {PROPAGATION_MAX_DEPTH}"))
    return settings, notices + preset_rules(settings) + scheme_rules(settings)


def preset_rules(settings: Settings) -> list[Notice]:
    """What the branch preset needs of the other fields (``Residual``'s own checks), applied to
    ``settings`` in place, each change with a notice: DeepNorm a post-norm block; Fixup and T-Fixup
    no norm (their sources remove it; so no final norm); Fixup a branch of two layers. A final norm
    needs a norm (its ``when``): it is dropped when a preset removes the norm."""
    if not is_residual(settings):
        return []
    preset, notices = PRESETS[settings["preset"]], []
    if preset.needs_placement and settings["arch"] != preset.needs_placement:
        settings["arch"] = preset.needs_placement
        notices.append(Notice("arch", f"the {preset.name} preset is defined on {preset.needs_placement}-norm blocks",
                              f"using {format_value(_ARCH_PARAM, settings['arch'])}"))
    if preset.no_norm and settings["norm"] != "none":
        settings["norm"] = "none"
        notices.append(Notice("norm", f"the {preset.name} preset removes normalisation (its source has none)",
                              "using none"))
        if settings.get("final_norm"):  # pages without a final norm (Width) have no such field
            settings["final_norm"] = False
            notices.append(Notice("final_norm", "a final norm needs a norm", "using false"))
    if settings["branch_depth"] < preset.min_branch_depth:
        settings["branch_depth"] = preset.min_branch_depth
        notices.append(Notice("branch_depth", f"the {preset.name} preset needs a branch of at least "
                              f"{preset.min_branch_depth} layers (its scale L^(−1/(2m−2)))",
                              f"using {preset.min_branch_depth}"))
    return notices


def scheme_rules(settings: Settings) -> list[Notice]:
    """The rules a page comparing schemes on one MLP shares (Propagation, Training), applied to
    ``settings`` in place: a normal bias's std is |value|; at most :data:`MAX_COMPARED` comparisons,
    none equal to the configured scheme; the configured scheme's bounds in order
    (:func:`.common.order_scheme_params`)."""
    notices = []
    if settings["bias"] == "normal" and settings["bias_value"] < 0:
        settings["bias_value"] = -settings["bias_value"]
        notices.append(Notice("bias_value", "a standard deviation cannot be negative",
                              f"using {format_value(_BIAS_PARAM, settings['bias_value'])}"))
    compare = settings["compare"]
    kept = tuple(s for s in compare if s != settings["scheme"])[:MAX_COMPARED]
    if kept != compare:
        settings["compare"] = kept
        notices.append(Notice("compare", f"at most {MAX_COMPARED} schemes other than the configured "
                              f"{settings['scheme']}", f"using {format_value(_COMPARE_PARAM, kept) or 'none'}"))
    return notices + order_scheme_params(settings, settings["scheme"])


_DENSE = _dense_schemes()
DENSE_SCHEMES = _DENSE
"""Every scheme that can initialise a dense layer (the schemes an MLP page offers)."""
BIAS_PARAM = Param("bias_value", "float", 0.05, "Bias value", lo=-BIAS_LIMIT, hi=BIAS_LIMIT,
                   when=(("bias", ("constant", "normal")),),
                   help="the constant of a constant bias, or the standard deviation of a normal bias")
COMPARE_PARAM = Param("compare", "multi", (), "Compare with other schemes (each at its default parameters)",
                      options=_DENSE, labels=tuple(map(scheme_label, _DENSE)), min_items=0,
                      max_items=MAX_COMPARED,
                      help=f"up to {MAX_COMPARED} more schemes on the same network, seed and inputs, one colour each "
                      "on every chart; torch's defaults for torch schemes (kaiming_*: a = 0, gain √2). Schemes of "
                      "the same base law (normal, xavier_normal) draw proportional weights from one seed, so "
                      "their scale-free statistics can coincide exactly")
"""The bias value and the comparison of the MLP pages (Propagation, Training: their own defaults by
``dataclasses.replace``)."""
_BIAS_PARAM, _COMPARE_PARAM = BIAS_PARAM, COMPARE_PARAM
RESIDUAL_WHEN = (("arch", ("pre", "post")),)
"""The ``when`` of the residual blocks' parameters."""
_ARCH_PARAM = Param("arch", "choice", "mlp", "Architecture", options=ARCHITECTURES,
                    labels=("MLP", "residual, pre-norm", "residual, post-norm"),
                    help="an MLP (layer l: weights, bias, activation, then the norm if any); or residual blocks "
                    "x_l = x_{l-1} + α·F(N(x_{l-1})) (pre-norm) or x_l = N(x_{l-1} + α·F(x_{l-1})) (post-norm), F "
                    "a branch of one or two weight layers, on a stream of the width's units")


DRAWS_PARAM = Param("draws", "choice", str(DEFAULT_DRAWS), "Draws", options=tuple(map(str, DRAW_VERSIONS)),
                    labels=("v1: numpy's ziggurat", "v2: Box–Muller (float32, ~2× faster)"), widget="radio",
                    help="which sampler draws the normals (inputs, probe, normal and orthogonal weights, biases): "
                    "v1, the one every link made before draw versions used (a link without `draws` is v1, so it "
                    "keeps its numbers); v2, Box–Muller on float32 uniforms, |z| ≤ 5.77, and orthogonal weights "
                    "by a float32 QR as torch computes it (float64 draws are v1's in both)")
"""The draw version of a Propagation view (:mod:`initviz.normals`); absent from a link, version 1."""


SCHEMA = PageSchema("propagation", (
    _ARCH_PARAM,
    Param("depth", "int", 20, "Depth L (layers or blocks)", lo=1, hi=RESIDUAL_MAX_DEPTH, step=1, widget="slider",
          help=f"number of layers (each weights + bias + activation; at most {PROPAGATION_MAX_DEPTH} in an MLP) "
          "or of residual blocks"),
    Param("width", "int", 256, "Width n (units per layer)", lo=1, hi=PROPAGATION_MAX_WIDTH, step=1,
          help="units in every layer (a residual stream's and its branches')"),
    Param("in_width", "int", 0, "Input width n₀ (0: same as n)", lo=0, hi=PROPAGATION_MAX_WIDTH, step=1,
          when=(("arch", ("mlp",)),), help="dimension of the inputs x; 0 means the same as the width"),
    Param("norm", "choice", "none", "Normalisation N", options=NORMS, labels=("none", "LayerNorm", "RMSNorm"),
          help="an MLP: after each activation; residual blocks: before the branch (pre-norm) or after the sum "
          "(post-norm). γ = 1, β = 0, torch's eps (LayerNorm 1e-5, RMSNorm the dtype's eps)"),
    Param("branch_depth", "int", 2, "Branch layers m", options=BRANCH_DEPTHS, when=RESIDUAL_WHEN,
          help="1: F(u) = φ(W₁u + b₁); 2: F(u) = W₂φ(W₁u + b₁) + b₂ (weights, activation, weights)"),
    Param("preset", "choice", "none", "Branch initialisation", options=tuple(PRESETS),
          labels=tuple(p.label for p in PRESETS.values()), when=RESIDUAL_WHEN,
          help="; ".join(f"{p.label}: {p.help}" for p in PRESETS.values())),
    Param("final_norm", "bool", False, "Final norm N(x_L)", when=(*RESIDUAL_WHEN, ("norm", ("layernorm", "rmsnorm"))),
          help="normalise the last block's output, as transformers do before their head"),
    Param("activation", "choice", "tanh", "Activation φ", options=tuple(ACTIVATIONS),
          help="the same activation after every layer"),
    *activation_params(),
    scheme_choice("scheme", "xavier_normal", "Init scheme", schemes=_DENSE),
    *scheme_params(schemes=_DENSE),
    Param("bias", "choice", "zeros", "Bias", options=BIAS_RULES,
          labels=("zeros", "constant", "normal N(0, value²)", "the scheme's own"),
          help="zeros, a constant, N(0, value²), or the scheme's rule (torch_default: U(±1/√fan_in))"),
    _BIAS_PARAM,
    _COMPARE_PARAM,
    Param("inputs", "choice", "normal", "Inputs x", options=PROPAGATION_INPUTS,
          labels=("N(0, I)", "on the sphere ‖x‖ = √n₀", "correlated pairs"), widget="radio",
          help="i.i.d. N(0, 1) coordinates; the same rescaled to norm √n₀; or pairs with correlation c"),
    Param("input_corr", "float", 0.5, "Pair correlation c", lo=-1.0, hi=1.0, step=0.05, widget="slider",
          when=(("inputs", ("correlated",)),), help="correlation of the input pairs (x₂ₖ, x₂ₖ₊₁)"),
    Param("batch", "int", 256, "Batch (inputs per seed)", lo=2, hi=PROPAGATION_MAX_BATCH, step=1,
          help="inputs propagated through each network"),
    Param("n_seeds", "int", 1, "Networks (seeds)", lo=1, hi=PROPAGATION_MAX_SEEDS, step=1, widget="slider",
          help="independent draws of weights and inputs; bands span them"),
    seed(),
    Param("dtype", "choice", "float32", "Precision", options=DTYPES, widget="radio",
          help="float32 overflows past 3.4e38 and underflows below 1.2e-38; float64 at 1.8e308 and 2.2e-308"),
    DRAWS_PARAM,
    Param("view", "choice", "forward", "View", options=PROPAGATION_VIEWS,
          labels=("Forward: the signal", "Histograms across depth", "Backward: the gradients"),
          widget="segmented", help="which part of the analysis the page computes and draws"),
    Param("hist_of", "choice", "act", "Histograms of", options=("act", "preact", "grad"),
          labels=("activations a = φ(h)", "pre-activations h", "gradients ∂L/∂h"), widget="radio",
          help="which values the histograms across depth show (gradients: the backward probe's ∂L/∂h)"),
), _constrain_propagation)
"""The Propagation page's parameters, in display order."""
