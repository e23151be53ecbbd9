"""The Criticality page: the order-to-chaos phase diagram of deep random networks (Poole et al. 2016;
Schoenholz et al. 2017) for the chosen activation — maps of q*, χ₁, c*, ξ_q and ξ_c over (σ_w, σ_b)
with the critical line — a chosen point marked on every map and opened in Propagation, the q-
and c-maps measured there on finite networks beside the theory's iteration, and the singular values
of the input–output Jacobian there, Gaussian vs orthogonal weights (Pennington et al. 2017)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from ..activations import get_activation
from ..criticality import phase_diagram
from ..figures import criticality as fc
from ..figures import theme
from . import deployment, links, nav, workers
from .frame import computed_view, control_notices, guard
from .links import criticality as plan
from .links.propagation import activation_param
from .widgets import chart, control, control_row, file_name, formula

CACHE = dict(max_entries=64, max_size=64 * 2 ** 20)
"""A diagram at the largest resolution is 1,681 rows of 8 columns (~0.2 MB); a measurement ≤ 1,616 rows."""


@st.cache_data(**CACHE, show_spinner="Solving the mean-field maps…")
def diagram(activation: str, param, sw: tuple, sb: tuple, res: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`.links.criticality.diagram_tables`, in a worker process."""
    return workers.run(plan.diagram_tables, activation, param, sw, sb, res)


@st.cache_data(**CACHE, show_spinner="Measuring finite networks…")
def at_point(*args) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """:func:`.links.criticality.point_tables`, in a worker process."""
    return workers.run(plan.point_tables, *args)


@st.cache_data(**CACHE, show_spinner="Measuring one layer at many variances…")
def qmaps(*args) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """:func:`.links.criticality.qmap_frames`, in a worker process."""
    return workers.run(plan.qmap_frames, *args)


INTRO = (
    "A deep random network with weights W ~ N(0, σ_w²/fan_in) and biases b ~ N(0, σ_b²) has, as the width "
    "grows, a stationary pre-activation variance q* and a correlation map between two inputs. **Ordered** "
    "(χ₁ < 1): nearby inputs converge to c* = 1 and gradients vanish. **Chaotic** (χ₁ > 1): they decorrelate to "
    "c* < 1 and gradients explode. On the **critical line** χ₁ = 1 the depth scale ξ_c diverges: signals (and "
    "gradients) survive about **6 ξ_c layers** (Schoenholz et al. 2017), so only near it does a deep network train.")
MATH = (r"q^{l} = \sigma_w^2\,\mathbb{E}_z\big[\phi(\sqrt{q^{l-1}}\,z)^2\big] + \sigma_b^2,\qquad"
        r"\chi_1 = \sigma_w^2\,\mathbb{E}_z\big[\phi'(\sqrt{q^*}\,z)^2\big]")
MATH_DEPTH = (r"\xi_q^{-1} = -\ln\!\big(\chi_1 + \sigma_w^2\,\mathbb{E}_z[\phi''(\sqrt{q^*}z)\,\phi(\sqrt{q^*}z)]\big),"
              r"\qquad \xi_c^{-1} = -\ln\!\big(\sigma_w^2\,\mathbb{E}[\phi'(u_1)\phi'(u_2)]\big)\big|_{c^*}")
MASK_NOTE = ("Grey: no stable finite q* — the variance grows without limit with depth (ReLU and its kin for "
             "σ_w² above their critical gain, e.g. σ_w² > 2 for ReLU); these points have no fixed point to be "
             "ordered or chaotic about. The leaky family (linear, ReLU, leaky ReLU) has a single critical point "
             "σ_w² = 2/(1 + a²), σ_b = 0 (ReLU: σ_w = √2), not a line.")


def render(settings: links.Settings) -> None:
    _controls(settings)
    st.markdown(INTRO)
    formula(MATH)
    formula(MATH_DEPTH)
    control("view")
    if settings["view"] == "qmap":
        with guard("criticality: variance map"):
            _qmap(settings)
        return
    if settings["view"] == "jacobian":
        with guard("criticality: Jacobian spectra"):
            _jacobian(settings)
        return
    point = (settings["pt_sw"], settings["pt_sb"])
    param = activation_param(settings)
    tables = None  # the point's row, measurement and theory (none if they could not be computed)
    with guard("criticality: the chosen point"):
        tables = at_point(settings["activation"], param, *point, settings["depth"], settings["width"],
                          settings["q0"], settings["c0"], settings["n_seeds"], settings["seed"])
        _here(settings, tables[0].iloc[0])
    with guard("criticality: phase diagram"):
        table, line = diagram(settings["activation"], param, *plan.window(settings), settings["res"])
        st.caption(MASK_NOTE)
        for column, (_, title, caption) in fc.MAPS.items():
            chart(lambda column=column, title=title: fc.fig_phase_map(table, line, point, column, title=title),
                  table, key=f"map_{column}", name=_name(settings, column), caption=caption,
                  on_select=partial(_move_to_click, f"map_{column}"))
    if tables is not None:
        with guard("criticality: measurement"):
            _measurement(settings, *tables[1:])


PHASE_WORDS = {"ordered": "ordered", "critical": "critical", "chaotic": "chaotic",
               "unbounded": "unbounded: no stable finite q*, the variance grows without limit with depth"}
"""How the box names the point's phase (:data:`initviz.criticality.PHASES`)."""


def _controls(settings: links.Settings) -> None:
    with st.sidebar, st.container(key="criticality_controls"):
        st.subheader("Network")
        control("activation")
        act_param = get_activation(settings["activation"]).spec.param_name
        if act_param:
            control(f"{settings['activation']}_{act_param}")
        st.subheader("The chosen point")
        control_row("pt_sw", "pt_sb")
        diagram_view = settings["view"] == "diagram"
        if diagram_view:
            st.subheader("Diagram window")
            control_row("sw_min", "sw_max")
            control_row("sb_min", "sb_max")
            control("res")
        st.subheader("Measured networks")
        if settings["view"] == "jacobian":
            fitted = plan.jacobian_fit(settings)
            control("jac_depth")
            control_notices("jac_depth", [n for n in fitted.cut if n.param == "jac_depth"])
            control("jac_width")
            control("n_seeds")
            control_notices("n_seeds", [n for n in fitted.cut if n.param == "n_seeds"])
            control("seed")
            return
        if diagram_view:
            control("depth")
        control("width")
        if diagram_view:
            control("c0")
            control("q0")
        control("n_seeds")
        control("seed")


def _move_to_click(key: str) -> None:
    """A click on a grid point of map ``key`` moves the chosen point there (before the rerun, so the
    controls and the link take the new values)."""
    points = st.session_state[key].selection["points"]
    if points:
        st.session_state["pt_sw"] = round(float(points[0]["x"]), 9)
        st.session_state["pt_sb"] = round(float(points[0]["y"]), 9)


def _here(settings: links.Settings, row: pd.Series) -> None:
    """The chosen point: its exact mean-field values (``row`` of its phase diagram), and the link that
    opens it in Propagation."""
    sw, sb = settings["pt_sw"], settings["pt_sb"]
    values = " · ".join(f"{symbol} = {theme.number(row[c])}" for c, (symbol, _, _) in fc.MAPS.items())
    xi_c = row["xi_c"]
    survive = (f"; signals survive ≈ 6ξ_c = {6 * xi_c:.3g} layers" if np.isfinite(xi_c)
               else "; ξ_c = ∞: signals survive at any depth" if xi_c == np.inf else "")
    with st.container(border=True, key="criticality_here"):
        st.markdown(f"**You are here:** σ_w = {sw:g}, σ_b = {sb:g} (σ_w² = {sw * sw:.4g}, σ_b² = {sb * sb:.4g}) — "
                    f"**{PHASE_WORDS.get(row['phase'], 'no fixed point found')}**. {values}{survive}.")
        prop = plan.propagation_settings(settings)
        st.page_link(nav.entry("propagation").script, label="Open this network in Propagation",
                     query_params=links.canonical("propagation", prop), icon=":material/open_in_new:")
        st.caption(f"There: {prop['depth']} layers of width {prop['width']}, weights variance_scaling(scale = σ_w², "
                   "fan_in, normal) = N(0, σ_w²/fan_in), biases N(0, σ_b²), correlated input pairs with c⁰ "
                   "(Propagation's inputs have variance 1). Move the point by clicking a map, or with the σ_w and σ_b controls.")


def _measurement(settings: links.Settings, meas: pd.DataFrame, theory: pd.DataFrame) -> None:
    st.header("Measured beside theory at the chosen point")
    st.markdown("Two inputs whose layer-0 pre-activations have variance q⁰ and correlation c⁰ go through "
                f"{settings['n_seeds']} random network(s) of width {settings['width']}; the lines are the mean-field "
                "maps iterated layer by layer from the same q⁰ and c⁰ (the n → ∞ limit).")
    for column in ("c", "q"):
        chart(lambda column=column: fc.fig_layers(meas, theory, column, width=settings["width"],
                                                  n_seeds=settings["n_seeds"]),
              lambda: meas.merge(theory, on=["pair", "layer"], suffixes=("", "_theory")),
              key=f"layers_{column}", name=_name(settings, f"{column}-per-layer"))


def _qmap(settings: links.Settings) -> None:
    sb = settings["pt_sb"]
    sigmas = plan.qmap_sigmas(settings)
    st.markdown(f"One layer h¹ = W φ(h⁰) + b of width {settings['width']} ({settings['n_seeds']} network(s) per σ_w), "
                f"fed inputs of variance q from 0 to {plan.QMAP_MAX:g} at σ_b = {sb:g}: dots are the measured q¹ (mean ± "
                "sd over networks), lines the map q ↦ σ_w² E[φ(√q z)²] + σ_b². Where a line crosses the diagonal is "
                "its q*, which deep networks reach within a few layers (Poole et al. 2016, Figure 1A; ganguli-lab/deepchaos).")
    measured, theory = qmaps(settings["activation"], activation_param(settings), sigmas, sb, settings["width"],
                             settings["n_seeds"], settings["seed"])
    chart(lambda: fc.fig_qmap(measured, theory, title=f"The variance map at σ_b = {sb:g}"),
          lambda: pd.concat([f.assign(group=g) for g, f in measured.items()], ignore_index=True),
          key="qmap", name=_name(settings, "qmap"))


@st.cache_data(**CACHE, show_spinner="Computing Jacobian spectra…")
def jacobian(*args) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`.links.criticality.jacobian_tables` of every law of ``JACOBIAN_INITS``, each in its own worker
    process (at once), with the deployment's budget and view deadline: (per-depth table, values at the
    last depth), the laws stacked."""
    limits = deployment.current()
    timeout = max(workers.RESULT_TIMEOUT, limits.view_deadline + limits.worker_grace)
    laws = [law for law, _ in plan.JACOBIAN_INITS]
    with ThreadPoolExecutor(len(laws)) as pool:  # the threads only wait for the workers
        parts = list(pool.map(lambda law: workers.run(plan.jacobian_tables, *args, law, limits.budget,
                                                      timeout=timeout), laws))
    return tuple(pd.concat(frames, ignore_index=True) for frames in zip(*parts))


JACOBIAN_INTRO = (
    "The input–output Jacobian J = D_L W_L ⋯ D_1 W_1 (D_l = diag φ′(h^l)) of a deep network at the chosen point, "
    "its input drawn at the fixed point q*, for **Gaussian** weights N(0, σ_w²/n) and **orthogonal** ones (σ_w × a "
    "random orthogonal matrix) — the same σ_w², the same mean-field q*, χ₁ and phase. At criticality (χ₁ = 1) the "
    "mean of σ² stays 1 for both, but Gaussian weights spread the squared singular values in proportion to L, while "
    "orthogonal ones with a sigmoidal φ keep them close to 1 as q* → 0: **dynamical isometry** (Pennington, "
    "Schoenholz & Ganguli 2017). ReLU cannot: half its D_l are zero.")
JACOBIAN_MATH = (r"m_1 = \langle\sigma^2\rangle = \chi_1^L,\qquad \frac{m_2 - m_1^2}{m_1^2} = "
                 r"L\Big(\frac{\mu_2}{\mu_1^2} - 1 + s\Big),\quad \mu_k = \mathbb{E}\,\phi'(\sqrt{q^*}z)^{2k},"
                 r"\; s = 1 \text{ (Gaussian)},\ 0 \text{ (orthogonal)}")


def _jacobian(settings: links.Settings) -> None:
    st.markdown(JACOBIAN_INTRO)
    formula(JACOBIAN_MATH)
    fitted = plan.jacobian_fit(settings)
    if not fitted.fits:
        _jacobian_unfit(fitted)
        return
    computed = {**settings, "n_seeds": fitted.n_seeds}
    if fitted.n_seeds != settings["n_seeds"]:  # the charts show the view with its sample cut
        computed_view("criticality", computed)
    sw, sb, depth, width = settings["pt_sw"], settings["pt_sb"], settings["jac_depth"], settings["jac_width"]
    param = activation_param(settings)
    point = phase_diagram(settings["activation"], [sw * sw], [sb * sb], activation_param=param).iloc[0]  # one point: ms
    if sw == 0 or (settings["activation"] != "linear" and not np.isfinite(point["q_star"])):
        st.info(f"At σ_w = {sw:g}, σ_b = {sb:g} " + ("every weight is 0, so J = 0: there is no spectrum to draw."
                if sw == 0 else "the variance map has no finite fixed point q* (it grows without limit with depth): "
                "there is no input at q* to take the Jacobian at. Choose a point with a finite q* — e.g. on or below "
                "the critical line of the phase diagram."), icon=":material/info:")
        return
    stats, values = jacobian(settings["activation"], param, sw, sb, depth, width, fitted.n_seeds, settings["seed"],
                             fitted.checkpoints)
    st.markdown(f"**At σ_w = {sw:g}, σ_b = {sb:g}:** q* = {theme.number(point['q_star'])}, χ₁ = {theme.number(point['chi1'])} "
                f"(**{PHASE_WORDS.get(point['phase'], 'no fixed point found')}**). "
                f"{fitted.n_seeds} network(s) per law, "
                f"{depth} layers of width {width}; the lines are the free-probability moments (n → ∞; for a linear "
                "network the exact finite-n ones).")
    name = partial(_name, settings)
    chart(lambda: fc.fig_jacobian_hist(values, depth=depth, title=f"Singular values of J at depth {depth}"),
          values, key="jac_hist", name=name(f"jacobian-hist-L{depth}-n{width}"),
          caption="All singular values of the networks pooled; density over the non-zero ones. Exact zeros (units "
                  "with φ′ = 0: ReLU's negative half, hard-tanh beyond ±1) are counted in the legend, not drawn.")
    for column, theory, y_title, title, band in (
            ("log10_max", None, "log₁₀ σ_max", "The largest singular value", ("lo", "hi")),
            ("log10_var_sq", "theory_log10_var_sq", "log₁₀ (variance of σ² over the spectrum)",
             "The spread of σ²", None),
            ("log10_mean_sq", "theory_log10_mean_sq", "log₁₀ (mean of σ²)", "The mean of σ²", None)):
        table = stats.assign(lo=stats.log10_max - stats.log10_max_sd, hi=stats.log10_max + stats.log10_max_sd) \
            if band else stats
        chart(lambda table=table, column=column, theory=theory, y_title=y_title, title=title, band=band:
              fc.fig_jacobian_depth(table, column, y_title=y_title, theory=theory, title=title,
                                    lo=band[0] if band else None, hi=band[1] if band else None),
              stats, key=f"jac_{column}", name=name(f"jacobian-{column}-L{depth}-n{width}"))
    st.caption("Points: the mean over networks (σ_max: ± one standard deviation; σ² moments: averaged over networks "
               "in the log domain). Lines: the free-probability moments m₁ = χ₁^L and m₂ − m₁² of the module "
               "initviz.jacobian, for a network whose input sits at q*; σ_max and the quantiles have no closed form.")


JACOBIAN_UNFIT_KEY = "criticality_jacobian_unfit"
"""Key of the box a Jacobian view over the budget shows instead of its charts (tests find it)."""


def _jacobian_unfit(fitted: plan.JacobianFit) -> None:
    """A Jacobian view over the budget even with one network: one link per change that fits."""
    with st.container(key=JACOBIAN_UNFIT_KEY, border=True):
        st.warning("Even one network per law at the fewest checkpoints is more work than one view may compute here "
                   "(n³·(depth + checkpoints) per law): nothing is computed, and your settings stay as you set them. "
                   "Each of these fits — or change the controls yourself:", icon=":material/speed:")
        for label, choice in fitted.choices:
            st.page_link(nav.entry("criticality").script, label=label, icon=":material/arrow_forward:",
                         query_params=links.canonical("criticality", choice))
        st.caption("On your own machine (`make run`, INITVIZ_LIMITS=local) the hosted budget does not apply.")


def _name(settings, what: str) -> str:
    return file_name("criticality", what, settings["activation"], f"sw{settings['pt_sw']:g}", f"sb{settings['pt_sb']:g}")
