"""The Criticality page's link: the activation, the window and resolution of the phase diagram over
(σ_w, σ_b), the chosen point, and the finite networks measured there; the links both ways with the
Propagation page (:func:`propagation_settings`, :func:`phase_point`).

Every diagram and variance-map view within the schema's bounds fits a hosted instance as asked: the
diagram has at most :data:`CRITICALITY_MAX_RES`² points, and the measurement (``initviz.measure_maps``:
width·2 normals per layer and pair) of the largest view, 16 networks of 100 layers of width 1000, takes
~0.5 s on one core. The Jacobian view (up to 300 layers of width 1024) is fitted to the deployment's
budget by cutting its sample (:func:`jacobian_fit`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...activations import ACTIVATIONS
from ...criticality import MEASURE_MAX_WIDTH, critical_line, map_iterates, measure_maps, phase_diagram
from ...initializers import SCHEMES
from ...jacobian import (DEFAULT_CHECKPOINTS, MAX_JACOBIAN_WIDTH, MAX_JACOBIAN_WORK, default_checkpoints,
                         jacobian_work, jacobian_work_limit)
from .. import deployment
from .common import scheme_settings, seed
from .grammar import Notice, PageSchema, Param, Settings
from .propagation import FIT_PROBLEM, PROPAGATION_MAX_DEPTH, PROPAGATION_MAX_WIDTH, activation_params, times
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
CRITICALITY_VIEWS = ("diagram", "qmap", "jacobian")
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
MAPS_VIEWS = (("view", ("diagram", "qmap")),)
"""``when`` of the parameters of the maps' measurements (not the Jacobian view's)."""
JACOBIAN = (("view", ("jacobian",)),)
"""``when`` of the Jacobian view's own parameters."""
JACOBIAN_MAX_DEPTH = 300
"""Deepest network of the Jacobian view (Pennington et al. 2017 go to a few hundred layers)."""
JACOBIAN_INITS = (("Gaussian", "variance_scaling"), ("orthogonal", "orthogonal"))
"""(legend name, scheme) of the two weight laws the Jacobian view compares at the chosen point: i.i.d.
N(0, σ_w²/n) and a random orthogonal matrix times σ_w — the same σ_w² = n·Var W."""
JACOBIAN_VIEW_MAX_WORK = MAX_JACOBIAN_WORK // 4
"""Most :func:`initviz.jacobian.jacobian_work` of one hosted Jacobian view, both laws together (each
runs in its own worker): 2³⁰, 2²⁹ per law — measured 0.7 s of CPU per law at width 128, depth 100, 2
networks (the presets; 5.2·10⁸); small widths cost more than n³ says (per-layer overhead: width 64,
depth 100, 4 networks, 1.3·10⁸, also 0.7 s). The two laws run at once: about 1 s of wall time expected
on an idle 2-core machine (3–5 s measured for the AppTest of a view while the machine ran at a load of 8)."""
JACOBIAN_MIN_CHECKPOINTS = 8
"""Fewest checkpoint depths a compute budget cuts the depth charts to (log-spaced, the last included)."""


@dataclass(frozen=True)
class JacobianFit:
    """How a Jacobian view meets the compute budget (:func:`jacobian_fit`): ``fits`` whether it is
    computed; the sample computed — ``n_seeds`` networks per law at ``checkpoints`` —; ``cut``, one
    notice per cut parameter; ``choices``, when even one network at the fewest checkpoints is over
    the budget, (label, settings) pairs that each fit (a smaller depth or width)."""

    fits: bool
    n_seeds: int
    checkpoints: tuple[int, ...]
    cut: tuple[Notice, ...] = ()
    choices: tuple[tuple[str, Settings], ...] = ()


def jacobian_limit() -> int:
    """The most work one law's spectrum may take on this deployment (:mod:`.deployment`): the core's
    limit under its budget, and on a hosted instance its share of :data:`JACOBIAN_VIEW_MAX_WORK`."""
    limit = jacobian_work_limit(deployment.current().budget)
    if deployment.current().page_budgets:
        limit = min(limit, JACOBIAN_VIEW_MAX_WORK // len(JACOBIAN_INITS))
    return limit


def jacobian_fit(settings: Mapping[str, Any]) -> JacobianFit:
    """The Jacobian view of ``settings`` within :func:`jacobian_limit`: as asked when it fits; else
    the sample is cut — the networks (seeds) to the most that fit, then the checkpoint depths down to
    :data:`JACOBIAN_MIN_CHECKPOINTS` —, never the depth or the width; if one network at the fewest
    checkpoints is still over, nothing is computed and the choices name the largest depth and the
    largest width that fit."""
    n, depth, seeds = settings["jac_width"], settings["jac_depth"], settings["n_seeds"]
    limit = jacobian_limit()
    points = default_checkpoints(depth)
    if jacobian_work(n, depth, len(points), seeds) <= limit:
        return JacobianFit(True, seeds, points)
    fewest = default_checkpoints(depth, JACOBIAN_MIN_CHECKPOINTS)
    if jacobian_work(n, depth, len(fewest), 1) > limit:
        return JacobianFit(False, seeds, points, choices=_jacobian_choices(settings, limit))
    asked = jacobian_work(n, depth, len(points), seeds)
    problem = f"would be {times(asked / limit)} the work {FIT_PROBLEM}"
    cut = []
    used = max(1, min(seeds, limit // jacobian_work(n, depth, len(points), 1)))
    if used < seeds:
        cut.append(Notice("n_seeds", f"{seeds} networks per law {problem}", f"using {used}"))
    count = DEFAULT_CHECKPOINTS
    while jacobian_work(n, depth, len(points), used) > limit:
        count -= 1
        points = default_checkpoints(depth, count)
    if count < DEFAULT_CHECKPOINTS:
        cut.append(Notice("jac_depth", f"{DEFAULT_CHECKPOINTS} checkpoint depths {problem}",
                          f"using {len(points)} checkpoints"))
    return JacobianFit(True, used, points, tuple(cut))


def _jacobian_choices(settings: Mapping[str, Any], limit: int) -> tuple[tuple[str, Settings], ...]:
    """The largest depth, and the largest width, that fit ``limit`` with one network at the fewest checkpoints."""
    def fits(n: int, depth: int) -> bool:
        return jacobian_work(n, depth, len(default_checkpoints(depth, JACOBIAN_MIN_CHECKPOINTS)), 1) <= limit

    out = []
    for name, label, other in (("jac_depth", "depth", "jac_width"), ("jac_width", "width", "jac_depth")):
        lo, hi = SCHEMA.by_name[name].lo, settings[name] - 1
        pair = (lambda v: fits(settings[other], v)) if name == "jac_depth" else (lambda v: fits(v, settings[other]))
        if hi < lo or not pair(lo):
            continue
        while lo < hi:
            mid = (lo + hi + 1) // 2
            lo, hi = (mid, hi) if pair(mid) else (lo, mid - 1)
        out.append((f"{label} {lo}", {**settings, name: lo}))
    return tuple(out)


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


def jacobian_tables(activation: str, param, sw: float, sb: float, depth: int, width: int, n_seeds: int, seed: int,
                    checkpoints: tuple[int, ...], law: str, budget):
    """The Jacobian spectra at the chosen point for the weight ``law`` (a legend name of
    :data:`JACOBIAN_INITS`) — ``depth`` layers of ``width``, biases N(0, σ_b²), the input at the fixed
    point q* (``jacobian_spectrum``):

    * per depth: the mean over networks of log10 σ_max (``log10_max``, with its standard deviation
      ``log10_max_sd``) and of the quantiles ``q05``, ``q50``, ``q95`` of log10 σ; log10 of the mean
      over networks of the spectral mean and variance of σ² (``log10_mean_sq``, ``log10_var_sq``,
      averaged in the log domain: no overflow), the mean share of exact zeros (``zero_fraction``),
      and the theory ``theory_log10_mean_sq``, ``theory_log10_var_sq`` (NaN where the core gives
      none, −inf where it is 0);
    * per (repeat, index) at the last depth: every ``log10_sigma`` (−inf for an exact zero).

    Both frames carry the law's name in ``group``."""
    import pandas as pd

    from ...jacobian import jacobian_spectrum
    from ...network import Network

    def logmean(log10: np.ndarray) -> np.ndarray:
        """log10 of the mean over axis 0 of 10**log10 (−inf entries are zeros)."""
        top = np.max(log10, axis=0)
        safe = np.where(np.isfinite(top), top, 0.0)
        with np.errstate(divide="ignore"):
            return np.where(np.isneginf(top), -np.inf, safe + np.log10(np.mean(10.0 ** (log10 - safe), axis=0)))

    scheme = dict(JACOBIAN_INITS)[law]
    params = ({"scale": sw * sw, "mode": "fan_in", "distribution": "normal"} if scheme == "variance_scaling"
              else {"gain": sw})
    bias = dict(bias="normal", bias_value=sb) if sb > 0 else {}
    net = Network.mlp(width, (width,) * depth, activation, scheme, params, activation_param=param, budget=budget,
                      **bias)
    spec = jacobian_spectrum(net, seed=seed, n_seeds=n_seeds, checkpoints=checkpoints, budget=budget)
    with np.errstate(divide="ignore"):
        theory_mean, theory_var = np.log10(spec.theory_mean_sq), np.log10(spec.theory_var_sq)
    quantiles = spec.quantiles.mean(axis=0)
    stats = pd.DataFrame({
        "group": np.full(spec.depths.size, law, dtype=object), "depth": spec.depths,
        "log10_max": spec.log10_max.mean(axis=0), "log10_max_sd": spec.log10_max.std(axis=0),
        "q05": quantiles[:, 0], "q50": quantiles[:, 2], "q95": quantiles[:, -1],
        "log10_mean_sq": logmean(spec.log10_mean_sq), "log10_var_sq": logmean(spec.log10_var_sq),
        "zero_fraction": spec.zero_fraction.mean(axis=0),
        "theory_log10_mean_sq": theory_mean, "theory_log10_var_sq": theory_var})
    values = spec.values_frame()
    values = values[values["depth"] == spec.depths[-1]].drop(columns="depth").reset_index(drop=True)
    return stats, values.assign(group=np.full(len(values), law, dtype=object))


def _sigma(name: str, default: float, label: str, help: str, when=()) -> Param:
    return Param(name, "float", default, label, lo=0.0, hi=SIGMA_LIMIT, step=0.05, help=help, when=when)


SCHEMA = PageSchema("criticality", (
    Param("view", "choice", "diagram", "View", options=CRITICALITY_VIEWS,
          labels=("Phase diagram and the chosen point", "Variance map q^(l−1) ↦ q^l", "Jacobian spectra"),
          widget="segmented",
          help="the phase diagram with the maps measured at the chosen point, the one-layer variance map "
          f"for σ_w = {', '.join(map(str, QMAP_SIGMAS))} and the point's, at the point's σ_b "
          "(Poole et al. 2016, Fig. 1), "
          "or the singular values of the input–output Jacobian at the chosen point, Gaussian vs orthogonal weights "
          "(Pennington et al. 2017)"),
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
    Param("width", "int", 500, "Width n", lo=2, hi=MEASURE_MAX_WIDTH, step=1, when=MAPS_VIEWS,
          help="units per layer of the measured networks (the theory is the n → ∞ limit)"),
    Param("c0", "float", 0.5, "Input correlation c⁰", lo=0.0, hi=1.0, step=0.05, widget="slider",
          when=DIAGRAM, help="correlation of the two inputs' layer-0 pre-activations"),
    Param("q0", "float", 1.0, "Input variance q⁰", lo=0.01, hi=100.0, step=0.1,
          when=DIAGRAM, help="variance of the layer-0 pre-activations"),
    Param("jac_depth", "int", 50, "Depth L (layers)", lo=1, hi=JACOBIAN_MAX_DEPTH, step=1, when=JACOBIAN,
          help=f"layers of the networks whose Jacobian is taken; at most {JACOBIAN_MAX_DEPTH}"),
    Param("jac_width", "int", 64, "Width n", lo=2, hi=MAX_JACOBIAN_WIDTH, step=1, when=JACOBIAN,
          help=f"units per layer (n singular values per network; the theory is the n → ∞ limit); at most "
          f"{MAX_JACOBIAN_WIDTH}"),
    Param("n_seeds", "int", 4, "Networks (seeds)", lo=1, hi=CRITICALITY_MAX_SEEDS, step=1, widget="slider",
          help="independent networks and input pairs; the band spans their mean ± one standard deviation"),
    seed(),
), _constrain)
"""The Criticality page's parameters, in display order."""
