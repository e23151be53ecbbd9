"""The Propagation page: a signal (and its gradient) through a deep random MLP, layer by layer,
measured by :func:`initviz.propagate` beside the mean-field prediction of :func:`initviz.predict`
for the very same network; up to four init schemes on shared axes, same seed and inputs."""

from __future__ import annotations

import math
from functools import cache, cached_property, partial

import numpy as np
import pandas as pd
import streamlit as st

from .. import meanfield as mf
from ..activations import get_activation
from ..figures import propagation as fp
from ..figures import theme
from ..limits import Budget
from ..network import Network
from ..propagation import PropagationResult, propagate
from . import deployment, links, nav, workers
from .frame import VIEW_KEY, control_notices, guard
from .links import criticality as critical
from .links import propagation as plan
from .links.propagation import histogram_kinds, needs_backward
from .widgets import chart, control, file_name, formula, offer_choices

CACHE = dict(max_entries=1024, max_size=128 * 2 ** 20)
"""Propagation results and predictions are per-layer statistics and pre-binned histograms: 5–15 kB
for the forward view at the defaults, ~140 kB for 200 layers of histograms. Bounded in bytes first;
the entries allow every configuration of a slider sweep to stay (20 users moving the depth and
width sliders visit ~180)."""
HALF = 2
"""Charts per row."""
SCALE_DECADES = 3.0
"""Histograms across depth warn when the layers' max|a| differ by more than this many decades."""


# --- the runs of a view (their plan: links.propagation.runs) -------------------------------------------

def network(settings: links.Settings, scheme: str, configured: bool) -> Network:
    """The MLP of a view for one scheme (its configured parameters, or its defaults), within the
    deployment's budget (:mod:`.deployment`), as the view's run plan builds it."""
    return Network.mlp(**plan.network_kwargs(settings, scheme, configured))


def run_deadline() -> float:
    """Seconds one of a view's up to 1 + ``links.MAX_COMPARED`` runs may take before it returns what
    it has: its share of the deployment's view deadline (hosted: 20 s for the view, 5 s a run)."""
    return deployment.current().view_deadline / (1 + links.MAX_COMPARED)


@st.cache_data(**CACHE, show_spinner="Propagating through the network…")
def simulate(net: Network, *, batch: int, seed: int, dtype: str, n_seeds: int, inputs: str, input_corr: float,
             backward: bool, weight_grad: bool, histograms: tuple[str, ...], budget: Budget,
             deadline: float) -> PropagationResult:
    """``propagate`` with the arguments of a run (:class:`.links.propagation.Run`) within ``deadline``
    seconds, in a worker process (cached on the small, hashable configuration)."""
    grace = deployment.current().worker_grace
    return workers.run(propagate, net, batch=batch, seed=seed, dtype=dtype, n_seeds=n_seeds, inputs=inputs,
                       input_corr=input_corr, backward=backward, weight_grad=weight_grad, histograms=histograms,
                       deadline=deadline, budget=budget, timeout=max(workers.RESULT_TIMEOUT, deadline + grace))


@st.cache_data(**CACHE, show_spinner=False)
def theory(net: Network, input_corr: float, batch: int) -> tuple[mf.Prediction | None, str | None]:
    """The mean-field prediction for ``net``, or None and the reason it does not apply."""
    reason = mf.mean_field_applies(net)
    if reason is not None:
        return None, reason
    return workers.run(mf.predict, net, input_corr=input_corr, batch=batch), None


def regime(net: Network, pred: mf.Prediction) -> str:
    """σ_w, σ_b of the last layer and its gradient factor χ = σ_w² E[φ′(hᴸ)²] at the predicted qᴸ
    (χ₁ of Schoenholz et al. 2017 when qᴸ has reached the fixed point), in words."""
    layer = net.depth
    w2 = net.dims[layer - 1] * net.weight_law(layer).var
    bias = net.bias_law(layer)
    b2, mu = (0.0, 0.0) if bias is None else (bias.var, bias.mean)
    q = float(pred.preact_var[layer - 1])
    head = f"σ_w = {math.sqrt(w2):.4g}, σ_b = {math.sqrt(b2):.3g}"
    if not math.isfinite(q):
        return f"{head}: the predicted variance overflows float64 before layer {layer}."
    chi = mf.chi1(net.activation(layer), math.sqrt(w2), q, mu)
    trend = "gradients shrink" if chi < 1 - 1e-6 else "gradients grow" if chi > 1 + 1e-6 else "critical"
    return (f"{head}: last layer's pre-activation variance qᴸ = {theme.number(q)}, gradient factor per layer "
            f"χ = σ_w² E[φ′(h)²] = {theme.number(chi)} ({trend}).")


class Runs(dict):
    """Every run of a view by legend name → (network, measurement, prediction, why no prediction),
    with the tables all charts of the view share, made once per script run."""

    @cached_property
    def measured(self) -> dict[str, PropagationResult]:
        return {name: res for name, (_, res, _, _) in self.items()}

    @cached_property
    def complete(self) -> bool:
        """No run was cut short by its deadline: the view is a function of its settings alone."""
        return not any(res.truncated for res in self.measured.values())

    @cached_property
    def faults(self) -> pd.DataFrame:
        """Forward faults and deadline stops (``fp.fault_table``)."""
        return fp.fault_table(self.measured)

    @cached_property
    def all_faults(self) -> pd.DataFrame:
        """Forward and backward faults and deadline stops."""
        return fp.fault_table(self.measured, backward=True)


def runs_of(settings: links.Settings) -> Runs:
    """Every run of the view (see :class:`Runs`), as its run plan (:func:`.links.propagation.runs`) says."""
    out = Runs()
    for run in plan.runs(settings):
        net = Network.mlp(**run.network)
        args = dict(run.propagate, deadline=run_deadline())
        res = simulate(net, **args)
        if res.truncated:  # cut short by the deadline (a busy server, say): shown this once, not kept
            simulate.clear(net, **args)
        pred, reason = theory(net, **run.predict)
        out[run.name] = (net, res, pred, reason)
    return out


def forward_limit(res: PropagationResult) -> int:
    """The last layer with forward data: the fault layer, the deadline's stop, or the depth."""
    fault = res.first_nonfinite_layer or res.first_vanished_layer
    last = int(res.layers_done.min()) if res.truncated else res.depth
    return min(fault, last) if fault else last


# --- the page ------------------------------------------------------------------------------------------

INTRO = (
    r"Layer $l$ computes $h^l = W_l\,a^{l-1} + b_l$ and $a^l = \phi(h^l)$ ($W_l$ of shape $n_l \times n_{l-1}$, "
    r"PyTorch layout). With weight variance $s^2 = \sigma_w^2/n_{l-1}$ and bias variance $\sigma_b^2$, the "
    "*mean field* (Poole et al. 2016; Schoenholz et al. 2017) carries the pre-activation variance q and the "
    "gradient from layer to layer:")
INTRO_MATH = (r"q^{l} = \sigma_w^2\,\mathbb{E}_{z\sim\mathcal{N}(0,1)}\!\big[\phi(\sqrt{q^{l-1}}\,z)^2\big]"
              r" + \sigma_b^2,\qquad \mathbb{E}\big[(\partial_{h^{l-1}}L)^2\big] = "
              r"\sigma_w^2\,\mathbb{E}\big[\phi'(h^{l-1})^2\big]\;\mathbb{E}\big[(\partial_{h^{l}}L)^2\big].")
INTRO_AFTER = (
    "A linear layer keeps the scale when n·s² = 1 (LeCun; Xavier on square layers), a ReLU layer when "
    "n·s² = 2 (He); gradients vanish when χ₁ = σ_w² E[φ′(h)²] < 1 and explode when it is > 1. "
    "**Points:** measured on sampled networks (float32 or float64); **lines:** the mean field for the same "
    "network. An overflow or a vanished signal is marked at its layer; nothing past it is drawn. "
    "The network is configured in the sidebar; the page computes the view chosen below (the backward "
    "pass only for the views that show it).")


def render(settings: links.Settings) -> None:
    st.markdown(INTRO)
    formula(INTRO_MATH)
    st.markdown(INTRO_AFTER)
    fitted = plan.fit(settings)
    _controls(settings, fitted)
    control("compare")
    control("view")
    if not fitted.fits:
        _unfit(fitted)
        return
    computed = fitted.settings
    if fitted.cut:  # what the charts show: the view with its sample cut (a function of the link on this deployment)
        st.session_state[VIEW_KEY] = ("propagation", tuple(links.canonical("propagation", computed).items()))
    with guard("propagation: compute"):
        runs = runs_of(computed)
        _caption_runs(computed, runs)
        _phase_link(settings)
        VIEWS[settings["view"]](computed, runs)


def _phase_link(settings: links.Settings) -> None:
    """A link to the configured network's point of the phase diagram, where that point is defined
    (:func:`.links.criticality.phase_point`: i.i.d. zero-mean weights on square layers, no or normal bias)."""
    point = critical.phase_point(settings)
    if point is not None:
        st.page_link(nav.entry("criticality").script, icon=":material/blur_on:",
                     label=f"See this network on the phase diagram (σ_w = {point[0]:.3g}, σ_b = {point[1]:.3g})",
                     query_params=links.canonical("criticality", critical.settings_at(settings, point)))


UNFIT_KEY = "propagation_unfit"
"""Key of the box a view over the hosted budget shows instead of its charts (tests find it)."""


def _unfit(fitted: plan.Fit) -> None:
    """A view that does not fit the hosted budget even with the smallest sample: what it would cost,
    and one link per choice that fits (the settings asked stay in the controls and the link)."""
    floor = plan.batch_floor(fitted.asked["width"])
    offer_choices("propagation", UNFIT_KEY,
                  f"This view would be {plan.times(fitted.over)} the work a hosted view may compute (a few seconds), "
                  f"and even with batch {min(fitted.asked['batch'], floor)} and one network it does not fit: nothing "
                  "is computed, and your settings stay as you set them. Each of these changes fits — or change the "
                  "controls yourself:", fitted.choices, "No single change fits: lower the depth and the width together.")


def _controls(settings: links.Settings, fitted: plan.Fit) -> None:
    """The network's controls, in the sidebar (the comparison stays above the charts)."""
    with st.sidebar, st.container(key="propagation_controls"):
        st.subheader("Network")
        control("depth")
        control("width")
        control("in_width")
        mlp_controls(settings)
        st.subheader("Inputs and sampling")
        control("inputs")
        if settings["inputs"] == "correlated":
            control("input_corr")
        control("batch")
        control_notices("batch", [n for n in fitted.cut if n.param == "batch"])
        control("n_seeds")
        control_notices("n_seeds", [n for n in fitted.cut if n.param == "n_seeds"])
        control("seed")
        control("dtype")
        st.divider()


def mlp_controls(settings: links.Settings) -> None:
    """The activation and the initialization of an MLP page (Propagation, Training): the activation
    and its parameter, the scheme and its parameters, the bias rule and its value."""
    scheme, activation = settings["scheme"], settings["activation"]
    control("activation")
    act_param = get_activation(activation).spec.param_name
    if act_param:
        control(f"{activation}_{act_param}")
    st.subheader("Initialization")
    control("scheme")
    for name in links.scheme_param_names(scheme).values():
        control(name)
    control("bias")
    if settings["bias"] in ("constant", "normal"):
        control("bias_value", label="bias std" if settings["bias"] == "normal" else "bias constant")


def _caption_runs(settings, runs) -> None:
    """The network in one line, then per run its regime (or why there is no mean-field prediction),
    its faults and whether it was cut short."""
    first_net = next(iter(runs.values()))[0]
    st.markdown(f"**Network:** {first_net.describe()} · batch {settings['batch']} × {settings['n_seeds']} "
                f"seed(s) from seed {settings['seed']} · {settings['dtype']}")
    lines = []
    for name, (net, res, pred, reason) in runs.items():
        if pred is not None:
            lines.append(f"{name} — {regime(net, pred)}")
        else:
            lines.append(f"{name} — no mean-field prediction: {reason}.")
        faults = runs.all_faults
        for label in faults.loc[faults["group"] == name, "label"]:
            lines.append(f"{name} — {label}.")
        if res.truncated:
            lines.append(f"{name} — partial result: {res.reason}.")
    st.caption("  \n".join(lines))


def _tables(runs, stat: str, band: str | None, theory_of=None, backward: bool = False):
    """Measured table, theory table (``theory_of(net, pred) -> per-layer array``) and faults."""
    table = fp.stat_table(runs.measured, stat, band)
    prediction, faults = None, runs.all_faults if backward else runs.faults
    if theory_of is not None:
        values, upto = {}, {}
        for name, (net, res, pred, _) in runs.items():
            has_data = (not backward) or not np.isnan(res.stats[stat]).all()
            values[name] = theory_of(net, pred) if pred is not None and has_data else None
            upto[name] = res.depth if backward else forward_limit(res)
        prediction = fp.values_table(values, upto)
        beyond = fp.theory_fault_table(values, upto)
        if len(beyond):
            faults = pd.concat([faults, beyond], ignore_index=True)
    return table, prediction, faults


def _name(settings, what: str) -> str:
    return file_name("propagation", what, "-".join(links.compared_schemes(settings)), settings["activation"],
                     f"L{settings['depth']}", f"n{settings['width']}", settings["dtype"], f"seed{settings['seed']}")


def _csv(table: pd.DataFrame, prediction: pd.DataFrame | None) -> pd.DataFrame:
    parts = [table.assign(source="measured")]
    if prediction is not None and len(prediction):
        parts.append(prediction.assign(source="mean field"))
    return pd.concat(parts, ignore_index=True)


def _layer_chart(settings, runs, *, stat: str, key: str, title: str, y_title: str, band: str | None = None,
                 theory_of=None, backward: bool = False, log_y: bool | None = None, caption: str | None = None) -> None:
    if band == "seeds" and settings["n_seeds"] == 1:
        band = None
    measured = "measured" + (" (band: over seeds)" if band == "seeds" else
                             " (band: 5–95 % of samples, all seeds)" if band else "")

    def build():
        table, prediction, faults = _tables(runs, stat, band, theory_of, backward)
        return fp.fig_layers(table, prediction, y_title=y_title, depth=settings["depth"], title=title,
                             faults=faults, log_y=log_y, measured=measured)

    chart(build, lambda: _csv(*_tables(runs, stat, band, theory_of, backward)[:2]), key=key,
          name=_name(settings, key), caption=caption, reuse=runs.complete)


def _scale_free(settings, act) -> str:
    """Why series may coincide on the scale-free charts (dead units, symmetry, correlations): with a
    positively homogeneous φ and no bias, c·W gives c·(every layer's output), so schemes whose draws
    differ by a scale only (the same distribution from the same seed) give the same values there."""
    if act.leaky_slope is None or settings["bias"] != "zeros" or len(links.compared_schemes(settings)) < 2:
        return ""
    return (f" {act.label} is positively homogeneous (φ(cx) = c·φ(x), c > 0) and the bias is 0: schemes whose "
            "weights differ only by a scale — the same distribution from the same seed, e.g. He and Xavier "
            "normal — give exactly the same values here (drawn side by side).")


def _forward(settings, runs) -> None:
    st.header("Forward: the signal through depth")
    left, right = st.columns(HALF)
    with left:
        _layer_chart(settings, runs, stat="preact_var", key="preact_var", band="seeds", 
                     title="Pre-activation variance q<sup>l</sup>", y_title="Var h<sup>l</sup> (units of x²)",
                     theory_of=lambda net, pred: pred.preact_var,
                     caption="Variance of all batch × width entries of hˡ; line: the mean-field qˡ.")
    with right:
        _layer_chart(settings, runs, stat="act_var", key="act_var", band="seeds", 
                     title="Activation variance", y_title="Var a<sup>l</sup> (units of x²)",
                     theory_of=lambda net, pred: pred.act_var,
                     caption="Variance of aˡ = φ(hˡ); line: E[φ(h)²] − E[φ(h)]² under the mean field.")
    left, right = st.columns(HALF)
    with left:
        _layer_chart(settings, runs, stat="norm_ratio", key="norm_ratio", band="samples",
                     title="Norm through depth ‖a<sup>l</sup>‖ / ‖x‖", y_title="‖a<sup>l</sup>‖ / ‖x‖ (dimensionless)",
                     theory_of=lambda net, pred: pred.norm_ratio,
                     caption="Mean over samples; bars: 5th–95th percentile over samples and seeds; "
                             "line: √(n_l E[a²] / n_0 E[x²]) (the root mean square).")
    with right:
        _layer_chart(settings, runs, stat="layer_ratio", key="layer_ratio", band="samples",
                     title="One layer's gain ‖W<sub>l</sub> a‖ / ‖a‖", y_title="‖W<sub>l</sub> a<sup>l−1</sup>‖ / ‖a<sup>l−1</sup>‖",
                     theory_of=lambda net, pred: pred.layer_ratio,
                     caption="The weight matrix alone (no bias, no φ); line: √(n_l s_l²).")
    act = get_activation(settings["activation"], links.activation_param(settings))
    same = _scale_free(settings, act)
    left, right = st.columns(HALF)
    with left:
        if act.rails is not None:
            _layer_chart(settings, runs, stat="saturated", key="saturated", band="seeds", log_y=False,
                         title=f"Saturated units ({act.label})", y_title="fraction of outputs saturated",
                         caption="Outputs within 1 % of the range from a rail (|tanh| ≥ 0.98; sigmoid ≤ 0.01 "
                                 "or ≥ 0.99) — Glorot & Bengio's saturation.")
        elif act.has_dead_units:
            _layer_chart(settings, runs, stat="dead", key="dead", band="seeds", log_y=False,
                         title=f"Dead units ({act.label})", y_title="fraction of units dead",
                         caption="Units whose output is exactly 0 for every input of the batch." + same)
        else:
            st.subheader("Saturation and dead units")
            st.caption(f"{act.label} has neither two finite rails (no saturation) nor an exactly-zero half-line "
                       "(no dead units); tanh and sigmoid saturate, relu dies.")
    with right:
        _layer_chart(settings, runs, stat="unit_spread", key="unit_spread", log_y=False,
                     title="Symmetry: do the units of a layer differ?",
                     y_title="unit spread (0: all units equal)",
                     caption="max over inputs of (max − min over units of aˡ) / max|aˡ|. 0 means every unit of the "
                             "layer computes the same value for every input — constant or zero init never breaks "
                             "this symmetry." + same)
    if settings["inputs"] == "correlated":
        _layer_chart(settings, runs, stat="corr", key="corr", band="seeds", log_y=False,
                     title="Correlation of input pairs through depth", y_title="cos ∠(h<sub>a</sub><sup>l</sup>, h<sub>b</sub><sup>l</sup>)",
                     theory_of=lambda net, pred: pred.corr,
                     caption=f"Pairs of inputs with correlation {settings['input_corr']:g}; line: the mean-field "
                             "correlation map." + same)


HIST_AXES = {"act": "activation a = φ(h)", "preact": "pre-activation h", "grad": "gradient ∂L/∂h"}
"""x-axis title of each kind of histogram across depth (``hist_of``)."""


def _histograms(settings, runs) -> None:
    st.header("Histograms across depth")
    which = settings["hist_of"]
    control("hist_of")
    measured = runs.measured
    hist = cache(lambda: fp.depth_hist_table(measured, which))
    what = HIST_AXES[which]
    depth = settings["depth"]
    heatmap = partial(fp.fig_depth_heatmap, x_title=what, depth=depth, groups=list(runs),
                      title=f"Histogram of the {what.split(' ')[0]}s of every layer (first seed)")
    sampled = {name: res.grad_hist_values for name, res in measured.items()} if which == "grad" else {}
    outside = {name: float(np.nanmax(getattr(res, f"{which}_outside"))) if np.isfinite(getattr(res, f"{which}_outside")).any()
               else 0.0 for name, res in measured.items()}
    note = "; ".join(f"{n}: at most {v:.1%} of a layer's values outside the range" for n, v in outside.items() if v > 0)
    note += "." if note else ""
    wide = [name for name, res in measured.items() if _decades(res.stats["max_abs"][0]) > SCALE_DECADES]
    if wide:
        note += (" " if note else "") + (
            f"{', '.join(wide)}: the layers' scales differ by more than {SCALE_DECADES:g} decades, so on common "
            "bins the early layers collapse into the central bins — the variance charts show the scale.")
    chart(lambda: heatmap(hist(), faults=runs.faults), hist, key="hist_heatmap", name=_name(settings, f"hist-{which}"),
          reuse=runs.complete,
          caption=("Each row is one layer's histogram (" + (
                  f"an evenly strided subsample of {min(sampled.values()):,} of the batch × width values of ∂L/∂h"
                  if sampled else "all batch × width values") + " of the first seed); colour = log₁₀ "
                  "of the share of the layer's values in the bin; blank = no value there. Bins are common to all "
                  "layers of a scheme: the rails for tanh/sigmoid activations, else (and for gradients) the 0.5–99.5 % "
                  "range of all layers."
                  + (f" {note}" if note else "")))
    layers = fp.pick_layers(depth)
    chart(lambda: fp.fig_layer_histograms(hist(), layers, x_title=what, groups=list(runs),
                                          title=f"Layers {', '.join(map(str, layers))}"),
          lambda: hist()[hist()["layer"].isin(layers)], key="hist_layers",
          name=_name(settings, f"hist-layers-{which}"), reuse=runs.complete,
          caption="One panel per scheme; here colour = the layer (the other charts colour by scheme).")


def _decades(values: np.ndarray) -> float:
    """log10(max/min) of the positive finite values (0 when fewer than two)."""
    v = values[np.isfinite(values) & (values > 0)]
    return float(np.log10(v.max() / v.min())) if v.size > 1 else 0.0


def _grad_ratio_theory(net: Network, pred: mf.Prediction) -> np.ndarray:
    std = np.array([net.weight_law(layer).std for layer in range(1, net.depth + 1)])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(pred.grad_w_var) / std


def _backward(settings, runs) -> None:
    st.header("Backward: gradients through depth")
    st.markdown("The probe loss L = Σ_b ⟨g_b, aᴸ_b⟩ with g ~ N(0, 1) sends a random gradient back from the "
                "output. ∂L/∂hˡ is what reaches layer l (Glorot & Bengio's back-propagated gradient); "
                r"$\partial L/\partial W_l = (\partial L/\partial h^l)^\top a^{l-1}$ is the weight update, compared "
                r"with the weights by the ratio $\mathrm{std}(\partial L/\partial W_l) / \mathrm{std}(W_l)$.")
    skipped = [f"{name} (forward stopped at layer {forward_limit(res)})" for name, (_, res, _, _) in runs.items()
               if res.first_nonfinite_layer or res.first_vanished_layer]
    if skipped:
        st.caption("No backward pass for " + ", ".join(skipped) + ": it needs the output.")
    left, right = st.columns(HALF)
    with left:
        _layer_chart(settings, runs, stat="grad_var", key="grad_var", band="seeds", backward=True, 
                     title="Gradient variance Var ∂L/∂h<sup>l</sup>", y_title="Var ∂L/∂h<sup>l</sup>",
                     theory_of=lambda net, pred: pred.grad_var,
                     caption="Read from the right (output) to the left (input); line: gradient independence.")
    with right:
        _layer_chart(settings, runs, stat="grad_w_var", key="grad_w_var", band="seeds", backward=True, 
                     title="Weight-gradient variance Var ∂L/∂W<sub>l</sub>", y_title="Var ∂L/∂W<sub>l</sub>",
                     theory_of=lambda net, pred: pred.grad_w_var,
                     caption="Summed over the batch; line: batch · E[(∂L/∂hˡ)²] · E[(aˡ⁻¹)²].")
    left, right = st.columns(HALF)
    with left:
        _layer_chart(settings, runs, stat="grad_ratio", key="grad_ratio", band="seeds", backward=True,
                     title="Gradient to weight ratio", y_title="std(∂L/∂W<sub>l</sub>) / std(W<sub>l</sub>)",
                     theory_of=_grad_ratio_theory,
                     caption="How large one update is relative to the weights, layer by layer (absent when the "
                             "weights are all zero).")
    with right:
        _layer_chart(settings, runs, stat="grad_spread", key="grad_spread", backward=True, log_y=False,
                     title="Symmetry of the gradient", y_title="gradient spread (0: all units equal)",
                     caption="max over inputs of (max − min over units of δ = ∂L/∂hˡ) / max|δ|. 0: every unit of the layer "
                             "receives the same gradient, so gradient descent keeps them identical.")


VIEWS = {"forward": _forward, "histograms": _histograms, "backward": _backward}
"""What each value of the ``view`` link parameter draws (links.PROPAGATION_VIEWS)."""

__all__ = ["render", "Runs", "runs_of", "network", "simulate", "theory", "forward_limit", "needs_backward",
           "histogram_kinds"]
