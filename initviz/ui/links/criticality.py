"""The Criticality page's link: the activation, the window and resolution of the phase diagram over
(σ_w, σ_b), the chosen point, and the finite networks measured there; the links both ways with the
Propagation page (:func:`propagation_settings`, :func:`phase_point`).

Every view within the schema's bounds fits a hosted instance as asked: the diagram has at most
:data:`CRITICALITY_MAX_RES`² points, and the measurement (``initviz.measure_maps``: width·2 normals
per layer and pair) of the largest view, 16 networks of 100 layers of width 1000, takes ~0.5 s on one core."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ...activations import ACTIVATIONS
from ...criticality import MEASURE_MAX_WIDTH, critical_line, map_iterates, measure_maps, phase_diagram
from ...initializers import SCHEMES
from .common import scheme_settings, seed
from .grammar import Notice, PageSchema, Param, Settings
from .propagation import PROPAGATION_MAX_DEPTH, PROPAGATION_MAX_WIDTH, activation_params
from .propagation import SCHEMA as _PROPAGATION

SIGMA_LIMIT = 6.0
"""Largest σ_w and σ_b of the window and the point (deepchaos' grid ends at 5 and 4; σ_w = 6 is σ_w² = 36)."""
CRITICALITY_MAX_RES = 41
"""Most grid points per axis, deepchaos' own: 41² = 1,681 points, ≲ 0.8 s for the slowest activation
(tanh) on one core."""
CRITICALITY_DEFAULT_RES = 17
"""The default view's resolution (σ steps of 0.25 on the deepchaos window): its phase diagram
computes within ~0.15 s for every activation, so the page's default view stays under 0.3 s."""
CRITICALITY_MAX_DEPTH = 100
CRITICALITY_MAX_SEEDS = 16
IID_KINDS = ("normal", "uniform", "trunc_normal")
"""Weight laws whose entries are i.i.d.: their σ_w² = fan_in·Var W is the mean-field one."""
CRITICALITY_VIEWS = ("diagram", "qmap")
QMAP_SIGMAS = (1.3, 2.5, 4.0)
"""σ_w of the variance-map view besides the chosen point's (deepchaos' Figure 1: weight_sigmas[3, 15, 30])."""
QMAP_MAX = 15.0
"""The variance-map view's range of q (deepchaos' Figure 1)."""
QMAP_POINTS = 20
"""Starting variances measured per σ_w in the variance-map view (q = 0.75, 1.5, …, 15)."""


def qmap_sigmas(settings: Mapping[str, Any]) -> tuple[float, ...]:
    """The σ_w drawn by the variance-map view: :data:`QMAP_SIGMAS` and the chosen point's."""
    return tuple(sorted(set(QMAP_SIGMAS) | {settings["pt_sw"]}))


def window(settings: Mapping[str, Any]) -> tuple[tuple[float, float], tuple[float, float]]:
    """((σ_w min, max), (σ_b min, max)) of the diagram."""
    return (settings["sw_min"], settings["sw_max"]), (settings["sb_min"], settings["sb_max"])


def _constrain(settings: Settings) -> tuple[Settings, list[Notice]]:
    """Each window's ends in order: swapped when reversed, the defaults when equal."""
    notices = []
    for lo, hi in (("sw_min", "sw_max"), ("sb_min", "sb_max")):
        if settings[lo] > settings[hi]:
            settings[lo], settings[hi] = settings[hi], settings[lo]
            notices.append(Notice(lo, f"above {hi}", f"swapped: {lo}={settings[lo]:g}, {hi}={settings[hi]:g}"))
        elif settings[lo] == settings[hi]:
            settings[lo], settings[hi] = SCHEMA.by_name[lo].default, SCHEMA.by_name[hi].default
            notices.append(Notice(lo, f"equal to {hi}: an empty window", f"using {settings[lo]:g} to {settings[hi]:g}"))
    return settings, notices


def propagation_settings(settings: Mapping[str, Any]) -> Settings:
    """The Propagation view of the chosen point: ``depth`` layers of ``width`` units (at most the
    Propagation page's), square (input width = width, so fan_in is the width everywhere), weights
    ``variance_scaling`` with scale σ_w², mode fan_in, the untruncated normal — Var W = σ_w²/fan_in —,
    biases N(0, σ_b²) (zeros when σ_b = 0), the activation, and correlated input pairs with c⁰.
    (Propagation's inputs have unit variance: its layer-0 q is 1, not the page's q⁰.)"""
    sw2, sb = settings["pt_sw"] ** 2, settings["pt_sb"]
    out = _PROPAGATION.defaults()
    out.update(depth=min(settings["depth"], PROPAGATION_MAX_DEPTH), width=min(settings["width"], PROPAGATION_MAX_WIDTH),
               in_width=0, activation=settings["activation"], scheme="variance_scaling",
               variance_scaling_scale=sw2, variance_scaling_mode="fan_in", variance_scaling_distribution="normal",
               bias="normal" if sb > 0 else "zeros", bias_value=sb if sb > 0 else out["bias_value"],
               inputs="correlated", input_corr=settings["c0"], compare=())
    spec = ACTIVATIONS[settings["activation"]]
    if spec.param_name:
        name = f"{settings['activation']}_{spec.param_name}"
        out[name] = settings[name]
    return out


def phase_point(prop: Mapping[str, Any]) -> tuple[float, float] | None:
    """(σ_w, σ_b) of a Propagation view's configured network, when the mean-field point is well
    defined: every layer square (input width 0 or the width: one fan_in), weights i.i.d. of mean 0
    from a normal, uniform or truncated normal law (σ_w² = fan_in·Var W), biases zero or N(0, σ_b²).
    None otherwise (an orthogonal, sparse or constant scheme, a constant or uniform bias, …)."""
    width = prop["width"]
    if prop["in_width"] not in (0, width):
        return None
    try:
        law = SCHEMES[prop["scheme"]].law((width, width), **scheme_settings(prop, prop["scheme"]))
    except Exception:  # a parameter set the scheme refuses: the page shows its error, the link stays out
        return None
    if law.kind not in IID_KINDS or law.mean != 0.0 or not law.var > 0:
        return None
    bias = {"zeros": 0.0, "normal": abs(prop["bias_value"])}.get(prop["bias"])
    if bias is None:
        return None
    sw = round(math.sqrt(width * law.var), 12)  # σ_w² = fan_in·Var W up to rounding: 1, not 0.9999999999999999
    if not (sw <= SIGMA_LIMIT and bias <= SIGMA_LIMIT):
        return None
    return sw, bias


def settings_at(prop: Mapping[str, Any], point: tuple[float, float]) -> Settings:
    """The Criticality view of a Propagation view at its ``point`` (:func:`phase_point`): its
    activation, depth, width (at most :data:`MEASURE_MAX_WIDTH`) and input correlation, the window
    widened to hold the point."""
    out = SCHEMA.defaults()
    sw, sb = point
    out.update(activation=prop["activation"], pt_sw=sw, pt_sb=sb,
               depth=min(prop["depth"], CRITICALITY_MAX_DEPTH), width=min(prop["width"], MEASURE_MAX_WIDTH),
               sw_min=min(out["sw_min"], math.floor(sw * 10) / 10), sw_max=max(out["sw_max"], math.ceil(sw * 10) / 10),
               sb_max=max(out["sb_max"], math.ceil(sb * 10) / 10))
    if out["sw_min"] == out["sw_max"]:
        out["sw_max"] = out["sw_min"] + 1.0
    if prop["inputs"] == "correlated":
        out["c0"] = max(0.0, prop["input_corr"])
    spec = ACTIVATIONS[prop["activation"]]
    if spec.param_name:
        name = f"{prop['activation']}_{spec.param_name}"
        out[name] = prop[name]
    return SCHEMA.constrained(out)[0]


DIAGRAM = (("view", ("diagram",)),)
"""``when`` of the parameters the variance-map view does not use."""


# --- the core's calls of a view (module-level: a worker process runs them) ------------------------------

def diagram_tables(activation: str, param, sw: tuple[float, float], sb: tuple[float, float], res: int):
    """The phase diagram on a res × res grid uniform in σ_w and σ_b, and its critical line (columns
    ``sigma_b2``, ``sigma_w2`` on χ₁ = 1, on a σ_b grid four times finer)."""
    import pandas as pd

    w2, b2 = np.linspace(*sw, res) ** 2, np.linspace(*sb, res) ** 2
    fine = np.linspace(*sb, 4 * res - 3) ** 2
    line = pd.DataFrame({"sigma_b2": fine, "sigma_w2": critical_line(activation, fine, activation_param=param)})
    return phase_diagram(activation, w2, b2, activation_param=param), line


def point_tables(activation: str, param, sw: float, sb: float, depth: int, width: int, q0: float, c0: float,
                 n_seeds: int, seed: int):
    """At the chosen point: its one-row phase diagram, the maps measured on finite networks
    (``measure_maps``) and iterated (``map_iterates``)."""
    kwargs = dict(q0=q0, c0=c0, activation_param=param)
    return (phase_diagram(activation, [sw * sw], [sb * sb], activation_param=param),
            measure_maps(activation, sw * sw, sb * sb, depth, width, n_seeds=n_seeds, seed=seed, **kwargs),
            map_iterates(activation, sw * sw, sb * sb, depth, **kwargs))


def qmap_frames(activation: str, param, sigmas: tuple[float, ...], sb: float, width: int, n_seeds: int, seed: int):
    """The one-layer variance map for each σ_w of ``sigmas`` at σ_b ``sb``: (measured, theory) by legend
    name, measured at :data:`QMAP_POINTS` starting variances up to :data:`QMAP_MAX` (one layer per σ_w
    and seed, every start through it), the theory on a three times finer grid."""
    starts = np.linspace(0, QMAP_MAX, QMAP_POINTS + 1)[1:]
    curve = np.linspace(0, QMAP_MAX, 3 * QMAP_POINTS + 1)[1:]
    measured, theory = {}, {}
    for sw in sigmas:
        name = f"σ_w = {sw:g}"
        measured[name] = measure_maps(activation, sw * sw, sb * sb, 1, width, q0=starts, n_seeds=n_seeds, seed=seed,
                                      activation_param=param)
        theory[name] = map_iterates(activation, sw * sw, sb * sb, 1, q0=curve, activation_param=param)
    return measured, theory


def _sigma(name: str, default: float, label: str, help: str, when=()) -> Param:
    return Param(name, "float", default, label, lo=0.0, hi=SIGMA_LIMIT, step=0.05, help=help, when=when)


SCHEMA = PageSchema("criticality", (
    Param("view", "choice", "diagram", "View", options=CRITICALITY_VIEWS,
          labels=("Phase diagram and the chosen point", "Variance map q^(l−1) ↦ q^l"), widget="segmented",
          help="the phase diagram with the maps measured at the chosen point, or the one-layer variance map "
          f"for σ_w = {', '.join(map(str, QMAP_SIGMAS))} and the point's, at the point's σ_b (Poole et al. 2016, Fig. 1)"),
    Param("activation", "choice", "tanh", "Activation φ", options=tuple(ACTIVATIONS),
          help="the activation of every layer"),
    *activation_params(),
    _sigma("pt_sw", 2.0, "σ_w of the point", "the chosen network's weight scale: Var W = σ_w²/fan_in"),
    _sigma("pt_sb", 0.3, "σ_b of the point", "the chosen network's bias scale: b ~ N(0, σ_b²)"),
    _sigma("sw_min", 1.0, "σ_w from", "left end of the diagram's σ_w axis", DIAGRAM),
    _sigma("sw_max", 5.0, "σ_w to", "right end of the diagram's σ_w axis", DIAGRAM),
    _sigma("sb_min", 0.0, "σ_b from", "lower end of the diagram's σ_b axis", DIAGRAM),
    _sigma("sb_max", 4.0, "σ_b to", "upper end of the diagram's σ_b axis", DIAGRAM),
    Param("res", "int", CRITICALITY_DEFAULT_RES, "Grid points per axis", lo=5, hi=CRITICALITY_MAX_RES, step=4,
          when=DIAGRAM, help=f"points of each axis of the diagram (deepchaos: 41); at most {CRITICALITY_MAX_RES}"),
    Param("depth", "int", 30, "Depth L (layers)", lo=1, hi=CRITICALITY_MAX_DEPTH, step=1, widget="slider",
          when=DIAGRAM, help="layers of the measured networks and of the maps' iteration"),
    Param("width", "int", 500, "Width n", lo=2, hi=MEASURE_MAX_WIDTH, step=1,
          help="units per layer of the measured networks (the theory is the n → ∞ limit)"),
    Param("c0", "float", 0.5, "Input correlation c⁰", lo=0.0, hi=1.0, step=0.05, widget="slider",
          when=DIAGRAM, help="correlation of the two inputs' layer-0 pre-activations"),
    Param("q0", "float", 1.0, "Input variance q⁰", lo=0.01, hi=100.0, step=0.1,
          when=DIAGRAM, help="variance of the layer-0 pre-activations"),
    Param("n_seeds", "int", 4, "Networks (seeds)", lo=1, hi=CRITICALITY_MAX_SEEDS, step=1, widget="slider",
          help="independent networks and input pairs; the band spans their mean ± one standard deviation"),
    seed(),
), _constrain)
"""The Criticality page's parameters, in display order."""
