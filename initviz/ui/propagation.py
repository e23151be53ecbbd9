"""The Propagation page: a signal (and its gradient) through a deep random MLP — or a stack of
residual blocks —, layer by layer, measured by :func:`initviz.propagate` beside the mean-field
prediction for the very same network (:func:`initviz.predict`; residual blocks:
:func:`initviz.predict_residual`); up to four init schemes on shared axes, same seed and inputs."""

from __future__ import annotations

import math
from functools import cache, partial

import numpy as np
import pandas as pd
import streamlit as st

from .. import meanfield as mf
from .. import normals
from ..activations import get_activation
from ..figures import propagation as fp
from ..figures import theme
from ..limits import Budget
from ..network import Network
from ..propagation import PropagationResult, propagate
from ..block_jacobian import MAX_BLOCK_JACOBIAN_WORK, block_singular_values
from ..figures import fig_curves
from ..residual import PRESETS
from ..residual_theory import ResidualPrediction, predict_residual, residual_mean_field_applies
from . import deployment, links, nav, progress, workers
from . import propagation_charts as charts
from .caching import NETWORK_HASH
from .frame import computed_view, control_notices, guard
from .links import criticality as critical
from .links import propagation as plan
from .links.propagation import histogram_kinds, needs_backward
from .widgets import chart, chart_in_worker, control, draw_deferred, file_name, formula, offer_choices

CACHE = dict(max_entries=1024, max_size=128 * 2 ** 20, hash_funcs=NETWORK_HASH)
"""Propagation results and predictions are per-layer statistics and pre-binned histograms: 5–15 kB
for the forward view at the defaults, ~140 kB for 200 layers of histograms. Bounded in bytes first;
the entries allow every configuration of a slider sweep to stay (20 users moving the depth and
width sliders visit ~180). Networks in their keys by :func:`.caching.network_key`."""
HALF = 2
"""Charts per row."""
SCALE_DECADES = 3.0
"""Histograms across depth warn when the layers' max|a| differ by more than this many decades."""


# --- the runs of a view (their plan: links.propagation.runs) -------------------------------------------

def network(settings: links.Settings, scheme: str, configured: bool) -> Network:
    """The network of a view for one scheme (its configured parameters, or its defaults), within the
    deployment's budget (:mod:`.deployment`), as the view's run plan builds it."""
    return plan.build(plan.network_kwargs(settings, scheme, configured))


def run_deadline() -> float:
    """Seconds one of a view's up to 1 + ``links.MAX_COMPARED`` runs may take before it returns what
    it has: its share of the deployment's view deadline (hosted: 20 s for the view, 5 s a run)."""
    return deployment.current().view_deadline / (1 + links.MAX_COMPARED)


@st.cache_data(**CACHE, show_spinner=False)
def simulate(net: Network, *, batch: int, seed: int, dtype: str, n_seeds: int, inputs: str, input_corr: float,
             backward: bool, weight_grad: bool, histograms: tuple[str, ...], budget: Budget, draws: int,
             deadline: float, _result: tuple[PropagationResult] | None = None) -> tuple[PropagationResult]:
    """The kept ``propagate`` result of a run (:class:`.links.propagation.Run`, within ``deadline``
    seconds) — a store (:func:`.progress.kept`): :func:`runs_of` computes it in a worker process and
    keeps it here, on the small, hashable configuration."""
    return progress.kept(_result)


@st.cache_data(**CACHE, show_spinner=False)
def theory(net: Network, input_corr: float, batch: int) -> tuple[mf.Prediction | ResidualPrediction | None, str | None]:
    """The mean-field prediction for ``net`` (residual blocks: :func:`predict_residual`, for inputs of
    unit variance — every input kind of the page; it has no correlation map), or None and the reason
    it does not apply."""
    if net.residual is not None:
        reason = residual_mean_field_applies(net)
        return (None, reason) if reason else (workers.run(predict_residual, net, batch=batch), None)
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


def runs_of(settings: links.Settings) -> charts.Runs:
    """Every run of the view (see :class:`.propagation_charts.Runs`), as its run plan (:func:`.links.propagation.runs`) says:
    those not kept computed at once, spread over the workers longest first (:meth:`.progress.View.each`,
    :func:`.links.propagation.run_seconds`) — with a
    progress bar and Cancel when the view is long (:mod:`.progress`); a cancelled view has what its
    runs computed until then."""
    out = charts.Runs()
    planned = plan.runs(settings)
    calls = [(run.build(), dict(run.propagate, deadline=run_deadline())) for run in planned]
    timeout = max(workers.RESULT_TIMEOUT, run_deadline() + deployment.current().worker_grace)
    key = ("propagation", tuple((net, tuple(sorted(args.items()))) for net, args in calls))
    seconds = plan.propagation_seconds(settings) / min(workers.WORKERS, len(calls))  # the runs go at once
    with progress.View(key, seconds, "Propagating through the network…") as view:
        items = [(simulate, dict(net=net, **args), progress.Job(propagate, (net,), args, _passes(net, args), cost))
                 for (net, args), cost in zip(calls, plan.run_seconds(settings))]
        first, args = calls[0]  # every run of a view has the same depth, seeds and passes (the schemes differ)
        label = partial(_where, first.depth, args["n_seeds"], args["backward"])
        for run, (net, _), result in zip(planned, calls, view.each(0, items, timeout=timeout, label=label)):
            if result is None:  # a cancelled view stopped before this run started
                continue
            pred, reason = theory(net, **run.predict)
            out[run.name] = (net, result, pred, reason)
        view.notice()
    return out


def _passes(net: Network, args: dict) -> int:
    """The layer passes ``propagate`` reports as its total: n_seeds·L, twice with the backward pass."""
    return args["n_seeds"] * net.depth * (2 if args["backward"] else 1)


def _where(depth: int, n_seeds: int, backward: bool, done: int, total: int, parts: int) -> str:
    """Where the view is, in words: one run's "layer 312 of 1000" (forward), "backward pass, layer 40
    of 200", with the seed when there are several; several runs computing at once, the layer passes
    done of all (:func:`_passes`)."""
    if parts > 1:
        return f"{parts} schemes at once: {done:,} of {total:,} layer passes"
    passes = depth * (2 if backward else 1)  # of one seed
    rep, k = divmod(done, passes)
    if rep >= n_seeds:  # every pass done
        rep, k = n_seeds - 1, passes
    text = f"layer {k} of {depth}" if k <= depth else f"backward pass, layer {2 * depth - k} of {depth}"
    if backward and k <= depth:
        text = f"forward pass, {text}"
    if n_seeds > 1:
        text += f", seed {rep + 1} of {n_seeds}"
    return text


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


RESIDUAL_INTRO = (
    "A **block** *l* adds a branch F to the stream x: with the norm N before the branch (*pre-norm*, GPT-2 and "
    "most transformers since) or after the sum (*post-norm*, the original Transformer and BERT):")
RESIDUAL_MATH = (r"x_l = s\,x_{l-1} + \alpha\,F_l\big(N(x_{l-1})\big)\quad\text{or}\quad "
                 r"x_l = N\big(s\,x_{l-1} + \alpha\,F_l(x_{l-1})\big),\qquad "
                 r"F_l(u) = W_2\,\phi(W_1 u + b_1) + b_2\ \ (\text{or } \phi(W_1 u + b_1)).")
RESIDUAL_AFTER = (
    "The branch's weights come from the init scheme, times the **branch initialisation**'s constants (α, s and "
    "a multiplier per branch layer, chosen in the sidebar). With pre-norm the stream's second moment grows by the "
    "branch's variance at every block — linearly in L unless α or the branch carries 1/√L (GPT-2, depth-μP); "
    "without any norm the branch scales with the stream, so it grows geometrically unless the branch starts near "
    "zero (Fixup, T-Fixup, ReZero); post-norm holds it at 1. **Points:** measured; "
    "**lines:** the residual mean field for the same network (Gaussian branch pre-activations in the wide limit; "
    "exact for α = 0 and the post-norm stream's scale), layer = block.")


def render(settings: links.Settings) -> None:
    if plan.is_residual(settings):
        st.markdown(RESIDUAL_INTRO)
        formula(RESIDUAL_MATH)
        st.markdown(RESIDUAL_AFTER)
    else:
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
        computed_view("propagation", computed)
    with guard("propagation: compute"):
        runs = runs_of(computed)
        if not runs:  # cancelled before a run was computed: the notice says so
            return
        _caption_runs(computed, runs)
        _phase_link(settings)
        views = RESIDUAL_VIEWS if plan.is_residual(computed) else VIEWS
        views[settings["view"]](computed, runs)
        draw_deferred()  # the per-layer charts, built meanwhile in the workers


def _phase_link(settings: links.Settings) -> None:
    """A link to the configured network's point of the phase diagram, where that point is defined
    (:func:`.links.criticality.phase_point`: a plain MLP — no norm, no residual blocks — of i.i.d.
    zero-mean weights on square layers, no or normal bias)."""
    if plan.is_residual(settings) or settings["norm"] != "none":
        return
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
        control("arch")
        control("depth")
        control("width")
        if not plan.is_residual(settings):
            control("in_width")
        control("norm")
        if plan.is_residual(settings):
            residual_controls(settings)
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
        control("draws")
        st.divider()


def residual_controls(settings: links.Settings) -> None:
    """The residual blocks' controls: branch depth, branch initialisation (its formula and source
    under it) and, with a norm, the final norm."""
    control("branch_depth")
    control("preset")
    preset = PRESETS[settings["preset"]]
    st.caption(f"{preset.formula} — {preset.source}.")
    if settings["norm"] != "none":
        control("final_norm")


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
                f"seed(s) from seed {settings['seed']} · {settings['dtype']} · "
                f"{normals.describe(int(settings['draws']))}")
    lines = [blocks_line(first_net)] if first_net.residual is not None else []
    for name, (net, res, pred, reason) in runs.items():
        if pred is not None and net.residual is not None:
            lines.append(f"{name} — {_residual_regime(net, pred)}")
        elif pred is not None:
            lines.append(f"{name} — {regime(net, pred)}")
        else:
            lines.append(f"{name} — no mean-field prediction: {reason}.")
        faults = runs.all_faults
        for label in faults.loc[faults["group"] == name, "label"]:
            lines.append(f"{name} — {label}.")
        if res.truncated:
            lines.append(f"{name} — partial result: {res.reason}.")
    st.caption("  \n".join(lines))


def blocks_line(net: Network) -> str:
    """What a block is and what the preset does to it, with the preset's constants for this depth."""
    res, scales = net.residual, net.branch_scales
    preset = PRESETS[res.preset]
    where = "before the branch (pre-norm)" if res.placement == "pre" else "after the sum (post-norm)"
    norm = "no norm" if net.norm == "none" else f"{net.norm} {where}"
    mult = ", ".join(f"W{j + 1} × {c:.4g}" for j, c in enumerate(scales.weights))
    return (f"A block: the stream plus a branch of {res.branch_depth} weight layer{'s' if res.branch_depth > 1 else ''}"
            f", {norm}{', a final norm' if res.final_norm else ''}. {preset.label}: {preset.formula} — at L = "
            f"{net.depth}: α = {scales.alpha:.4g}, s = {scales.skip:.4g}, {mult}.")


def _residual_regime(net: Network, pred: ResidualPrediction) -> str:
    """The predicted stream ‖x_L‖²/‖x_0‖² and gradient ratio ∂L/∂x_1 over ∂L/∂x_L, in words."""
    q, g = float(pred.msq_ratio[-1]), pred.grad_act_var
    grad = (f"; Var ∂L/∂x₁ / Var ∂L/∂x_L = {float(g[0] / g[-1]):.4g}" if np.isfinite(g).all() and g[-1] > 0 else "")
    return f"mean field: ‖x_L‖²/‖x_0‖² = {q:.4g} after {net.depth} blocks{grad}."


def _name(settings, what: str) -> str:
    return file_name("propagation", what, "-".join(links.compared_schemes(settings)), settings["activation"],
                     f"L{settings['depth']}", f"n{settings['width']}", settings["dtype"], f"seed{settings['seed']}")


def _csv(table: pd.DataFrame, prediction: pd.DataFrame | None) -> pd.DataFrame:
    parts = [table.assign(source="measured")]
    if prediction is not None and len(prediction):
        parts.append(prediction.assign(source="mean field"))
    return pd.concat(parts, ignore_index=True)


def _layer_chart(settings, runs, *, stat: str, key: str, title: str, y_title: str, band: str | None = None,
                 theory: charts.Theory = None, backward: bool = False, log_y: bool | None = None,
                 caption: str | None = None, branch_skip: bool = False) -> None:
    """A per-layer chart (:class:`.propagation_charts.LayerChart`), built in a worker process."""
    if band == "seeds" and settings["n_seeds"] == 1:
        band = None
    measured = "measured" + (" (band: over seeds)" if band == "seeds" else
                             " (band: 5–95 % of samples, all seeds)" if band else "")
    spec = charts.LayerChart(stat=stat, title=title, y_title=y_title, depth=settings["depth"], measured=measured,
                             x_title="block l" if plan.is_residual(settings) else "layer l", band=band,
                             theory=theory, backward=backward, log_y=log_y, branch_skip=branch_skip)
    chart_in_worker(charts.layer_spec, (spec, runs), lambda: _csv(*spec.tables(runs)[:2]), key=key,
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
                     theory="preact_var",
                     caption="Variance of all batch × width entries of hˡ; line: the mean-field qˡ.")
    with right:
        _layer_chart(settings, runs, stat="act_var", key="act_var", band="seeds", 
                     title="Activation variance", y_title="Var a<sup>l</sup> (units of x²)",
                     theory="act_var",
                     caption="Variance of aˡ = φ(hˡ); line: E[φ(h)²] − E[φ(h)]² under the mean field.")
    left, right = st.columns(HALF)
    with left:
        _layer_chart(settings, runs, stat="norm_ratio", key="norm_ratio", band="samples",
                     title="Norm through depth ‖a<sup>l</sup>‖ / ‖x‖", y_title="‖a<sup>l</sup>‖ / ‖x‖ (dimensionless)",
                     theory="norm_ratio",
                     caption="Mean over samples; bars: 5th–95th percentile over samples and seeds; "
                             "line: √(n_l E[a²] / n_0 E[x²]) (the root mean square).")
    with right:
        _layer_chart(settings, runs, stat="layer_ratio", key="layer_ratio", band="samples",
                     title="One layer's gain ‖W<sub>l</sub> a‖ / ‖a‖", y_title="‖W<sub>l</sub> a<sup>l−1</sup>‖ / ‖a<sup>l−1</sup>‖",
                     theory="layer_ratio",
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
                     theory="corr",
                     caption=f"Pairs of inputs with correlation {settings['input_corr']:g}; line: the mean-field "
                             "correlation map." + same)


HIST_AXES = {"act": "activation a = φ(h)", "preact": "pre-activation h", "grad": "gradient ∂L/∂h"}
"""x-axis title of each kind of histogram across depth (``hist_of``)."""
RESIDUAL_HIST_AXES = {"act": "stream x_l (block output)", "preact": "branch pre-activation h",
                      "grad": "branch gradient ∂L/∂h"}
"""The same for residual blocks, whose ``act`` is the stream x_l (:mod:`initviz.engine.residual`)."""


def _histograms(settings, runs) -> None:
    st.header("Histograms across depth")
    which = settings["hist_of"]
    control("hist_of")
    measured = runs.measured
    hist = cache(lambda: fp.depth_hist_table(measured, which))
    what = (RESIDUAL_HIST_AXES if plan.is_residual(settings) else HIST_AXES)[which]
    depth = settings["depth"]
    heatmap = partial(fp.fig_depth_heatmap, x_title=what, depth=depth, groups=list(runs),
                      title=f"Histogram of the {what} at every block (first seed)" if plan.is_residual(settings)
                      else f"Histogram of the {what.split(' ')[0]}s of every layer (first seed)")
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


def _backward(settings, runs) -> None:
    st.header("Backward: gradients through depth")
    st.markdown("The probe loss L = Σ_b ⟨g_b, aᴸ_b⟩ with g ~ N(0, 1) sends a random gradient back from the "
                "output. ∂L/∂hˡ is what reaches layer l (Glorot & Bengio's back-propagated gradient); "
                r"$\partial L/\partial W_l = (\partial L/\partial h^l)^\top a^{l-1}$ is the weight update, compared "
                r"with the weights by the ratio $\mathrm{std}(\partial L/\partial W_l) / \mathrm{std}(W_l)$.")
    skipped = [f"{name} (forward stopped at layer {charts.forward_limit(res)})" for name, (_, res, _, _) in runs.items()
               if res.first_nonfinite_layer or res.first_vanished_layer]
    if skipped:
        st.caption("No backward pass for " + ", ".join(skipped) + ": it needs the output.")
    left, right = st.columns(HALF)
    with left:
        _layer_chart(settings, runs, stat="grad_var", key="grad_var", band="seeds", backward=True, 
                     title="Gradient variance Var ∂L/∂h<sup>l</sup>", y_title="Var ∂L/∂h<sup>l</sup>",
                     theory="grad_var",
                     caption="Read from the right (output) to the left (input); line: gradient independence.")
    with right:
        _layer_chart(settings, runs, stat="grad_w_var", key="grad_w_var", band="seeds", backward=True, 
                     title="Weight-gradient variance Var ∂L/∂W<sub>l</sub>", y_title="Var ∂L/∂W<sub>l</sub>",
                     theory="grad_w_var",
                     caption="Summed over the batch; line: batch · E[(∂L/∂hˡ)²] · E[(aˡ⁻¹)²].")
    left, right = st.columns(HALF)
    with left:
        _layer_chart(settings, runs, stat="grad_ratio", key="grad_ratio", band="seeds", backward=True,
                     title="Gradient to weight ratio", y_title="std(∂L/∂W<sub>l</sub>) / std(W<sub>l</sub>)",
                     theory=charts.grad_ratio_theory,
                     caption="How large one update is relative to the weights, layer by layer (absent when the "
                             "weights are all zero).")
    with right:
        _layer_chart(settings, runs, stat="grad_spread", key="grad_spread", backward=True, log_y=False,
                     title="Symmetry of the gradient", y_title="gradient spread (0: all units equal)",
                     caption="max over inputs of (max − min over units of δ = ∂L/∂hˡ) / max|δ|. 0: every unit of the layer "
                             "receives the same gradient, so gradient descent keeps them identical.")


VIEWS = {"forward": _forward, "histograms": _histograms, "backward": _backward}
"""What each value of the ``view`` link parameter draws (links.PROPAGATION_VIEWS)."""


def _no_theory_note(runs) -> str:
    """Where the residual mean field is not drawn, and why (a caption's last sentence)."""
    missing = [f"{name} ({reason})" for name, (_, _, pred, reason) in runs.items() if pred is None]
    return (" No mean-field line for " + "; ".join(missing) + ".") if missing else ""


def _residual_forward(settings, runs) -> None:
    st.header("Forward: the stream through the blocks")
    band = "seeds"
    note = _no_theory_note(runs)
    left, right = st.columns(HALF)
    with left:
        _layer_chart(settings, runs, stat="msq_ratio", key="msq_ratio", band=band,
                     title="The stream's size ‖x<sub>l</sub>‖² / ‖x<sub>0</sub>‖²",
                     y_title="‖x<sub>l</sub>‖² / ‖x<sub>0</sub>‖² (dimensionless)",
                     theory="msq_ratio",
                     caption="Mean over samples of ‖x_l‖²/‖x_0‖² after block l; line: the mean field's "
                             "E[x_l²]/E[x_0²] (pre-norm without scaling: grows ~linearly in L; post-norm: ~1)." + note)
    with right:
        _layer_chart(settings, runs, stat="branch_var", key="branch_skip", band=band,
                     title="Branch vs skip: Var α·F<sub>l</sub> and Var s·x<sub>l−1</sub>", y_title="variance (units of x²)",
                     branch_skip=True,
                     caption="What each block adds (the branch α·F) against what it carries (the skip s·x_{l−1}): "
                             "a branch far smaller than the skip makes the block close to the identity "
                             "(ReZero, α = 0: no branch at all; Fixup: the last branch layer is 0)." + note)
    left, right = st.columns(HALF)
    with left:
        _layer_chart(settings, runs, stat="act_var", key="act_var", band=band,
                     title="The stream's variance Var x<sub>l</sub>", y_title="Var x<sub>l</sub> (units of x²)",
                     theory="act_var",
                     caption="Variance of all batch × width entries of the block's output x_l; line: the mean field.")
    with right:
        _layer_chart(settings, runs, stat="preact_var", key="preact_var", band=band,
                     title="Branch pre-activation variance Var h<sub>l</sub>", y_title="Var h<sub>l</sub> (units of x²)",
                     theory="preact_var",
                     caption="h = W₁·N(x_{l−1}) + b₁ (pre-norm; W₁·x_{l−1} + b₁ post-norm), the input of the "
                             "branch's activation; line: σ₁²·E[u²] + σ_b².")
    act = get_activation(settings["activation"], links.activation_param(settings))
    left, right = st.columns(HALF)
    with left:
        if act.rails is not None:
            _layer_chart(settings, runs, stat="saturated", key="saturated", band="seeds", log_y=False,
                         title=f"Saturated branch units ({act.label})", y_title="fraction of φ(h) saturated",
                         caption="The branch's activations within 1 % of the range from a rail.")
        elif act.has_dead_units:
            _layer_chart(settings, runs, stat="dead", key="dead", band="seeds", log_y=False,
                         title=f"Dead branch units ({act.label})", y_title="fraction of units dead",
                         caption="Branch units whose φ(h) is exactly 0 for every input of the batch.")
    with right:
        _layer_chart(settings, runs, stat="unit_spread", key="unit_spread", log_y=False,
                     title="Symmetry: do the stream's units differ?", y_title="unit spread (0: all units equal)",
                     caption="max over inputs of (max − min over units of x_l) / max|x_l|.")
    if settings["inputs"] == "correlated":
        _layer_chart(settings, runs, stat="corr", key="corr", band="seeds", log_y=False,
                     title="Correlation of input pairs through the blocks",
                     y_title="cos ∠(h<sub>a</sub><sup>l</sup>, h<sub>b</sub><sup>l</sup>)",
                     caption=f"The branch pre-activations of pairs of inputs with correlation {settings['input_corr']:g}. "
                             "No mean-field line: the residual recursion carries variances, not a correlation map.")
    _block_jacobian(settings, runs)


def jacobian_blocks(net: Network) -> tuple[int, ...]:
    """The blocks whose Jacobian spectrum the page draws: up to :data:`initviz.figures.propagation.HIST_LAYERS`
    spread over the depth, as many as the core's ``MAX_BLOCK_JACOBIAN_WORK`` (~8·n³ each) allows — one
    at width 1024, none wider."""
    most = MAX_BLOCK_JACOBIAN_WORK // (8 * net.input_dim ** 3)
    return tuple(fp.pick_layers(net.depth, min(fp.HIST_LAYERS, most))) if most else ()


@st.cache_data(**CACHE, show_spinner="Computing the blocks' Jacobians…")
def block_spectra(net: Network, seed: int, blocks: tuple[int, ...]) -> pd.DataFrame:
    """:func:`.figures.propagation.block_spectrum_table` of the singular values of J_l = ∂x_l/∂x_{l−1} for
    ``blocks`` at input sample 0 (float64, in a worker process)."""
    return fp.block_spectrum_table(blocks, workers.run(block_singular_values, net, seed=seed, blocks=blocks))


def _block_jacobian(settings, runs) -> None:
    """The singular values of a few blocks' input–output Jacobians (ReZero's Fig. 5): the configured
    scheme's network, the first input of the seed's N(0, I) batch; exact (J = I) where α = 0."""
    name, (net, _, _, _) = next(iter(runs.items()))
    blocks = jacobian_blocks(net)
    if not blocks:
        st.caption(f"The blocks' Jacobian spectra are drawn up to width 1024 (~8·n³ work per block); "
                   f"this stream has {net.input_dim} units.")
        return
    table = block_spectra(net, settings["seed"], blocks)
    exact = None
    if net.branch_scales.alpha == 0.0:  # every block is the identity: σ = 1 exactly
        exact = table.assign(sigma=1.0)

    def build():
        return fig_curves(table, exact, x="fraction", y="sigma", lines=True, measured="measured",
                          predicted="exact: J = I", x_title="k/n (largest singular value first)",
                          y_title="σ<sub>k</sub>(J<sub>l</sub>)", title=f"Singular values of block Jacobians ({name})")

    chart(build, table, key="block_jacobian", name=_name(settings, "block-jacobian"), reuse=runs.complete,
          caption="J_l = ∂x_l/∂x_{l−1} of the blocks shown, at the first input of the seed's N(0, I) batch (exact "
                  "to rounding: the engine's backward pass, float64). A block close to the identity has every σ "
                  "near 1 (ReZero, α = 0: exactly 1; Bachlechner et al. 2020, Fig. 5).")


def _residual_backward(settings, runs) -> None:
    st.header("Backward: gradients through the blocks")
    st.markdown("The probe loss L = Σ_b ⟨g_b, output_b⟩ with g ~ N(0, 1) sends a random gradient back from the "
                "output (through the final norm, if any). ∂L/∂x_l reaches block l's output through the skips "
                "and the branches; ∂L/∂W₁ and ∂L/∂W_m are the updates of the branch's first and last layer — "
                "Xiong et al. 2020: at init, post-norm's last-layer gradients are large and independent of L, "
                "pre-norm's shrink like 1/√L.")
    note = _no_theory_note(runs)
    left, right = st.columns(HALF)
    with left:
        _layer_chart(settings, runs, stat="grad_act_var", key="grad_act_var", band="seeds", backward=True,
                     title="Stream gradient Var ∂L/∂x<sub>l</sub>", y_title="Var ∂L/∂x<sub>l</sub>",
                     theory="grad_act_var",
                     caption="Read from the right (output) to the left; line: gradient independence (mean field)."
                             + note)
    with right:
        _layer_chart(settings, runs, stat="grad_w_out_var", key="grad_w_out_var", band="seeds", backward=True,
                     title="Branch output layer Var ∂L/∂W<sub>m</sub>", y_title="Var ∂L/∂W<sub>m</sub>",
                     theory="grad_w_out_var",
                     caption="The branch's last weight layer (W₂; W₁ when m = 1), summed over the batch; "
                             "line: batch · E[(∂L/∂f)²] · E[φ²]." + note)
    left, right = st.columns(HALF)
    with left:
        _layer_chart(settings, runs, stat="grad_var", key="grad_var", band="seeds", backward=True,
                     title="Branch gradient Var ∂L/∂h<sub>l</sub>", y_title="Var ∂L/∂h<sub>l</sub>",
                     theory="grad_var",
                     caption="The gradient at the branch's pre-activation; line: the mean field.")
    with right:
        _layer_chart(settings, runs, stat="grad_w_var", key="grad_w_var", band="seeds", backward=True,
                     title="Branch input layer Var ∂L/∂W<sub>1</sub>", y_title="Var ∂L/∂W<sub>1</sub>",
                     theory="grad_w_var",
                     caption="Summed over the batch; line: batch · E[(∂L/∂h)²] · E[u²].")


RESIDUAL_VIEWS = {"forward": _residual_forward, "histograms": _histograms, "backward": _residual_backward}
"""The views of a residual network: per block; histograms as for an MLP (act: the stream x_l)."""

__all__ = ["render", "runs_of", "network", "simulate", "theory", "needs_backward", "histogram_kinds"]
