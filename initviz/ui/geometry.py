"""The Geometry page: Su Jianlin's geometric argument, step by step — random vectors are almost orthogonal,
so a random matrix is almost orthogonal entrywise and per vector, but not as an operator."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from .. import geometry as geo
from .. import randmat
from ..geometry import ORTHOGONAL_SWEEP_MAX, SPECTRUM_EIGENVALUES
from ..figures import curve_table, fig_curves, fig_density, fig_heatmaps
from . import links
from .frame import guard
from .links.budget import times
from .widgets import chart, control, control_row, file_name, formula, offer_choices

CACHE = dict(max_entries=32, max_size=64 * 2 ** 20)
DEG = 180.0 / math.pi
ANGLE_PAIRS = 5000
"""Pairs of vectors behind the angle histogram (fewer when 2·pairs·n would pass the core's budget)."""
SPREAD_PAIRS = 200
"""Pairs per dimension behind the spread-against-n points (relative SE of a std ≈ 1/√(2·199) = 5%)."""
SPREAD_CURVE_POINTS = 24
"""Dimensions (log-spaced) at which the exact std of θ is drawn: a smooth ~1/√n line needs few."""
SWEEP_MIN = 8
SWEEP_REPEATS = 8
BINS = 60
CURVE_POINTS = 400
RULE_OF = dict(zip(links.RULES, randmat.RULES))
"""URL rule → core rule: fan_out → 1/m, fan_in → 1/n, fan_avg → 2/(m+n)."""
TRANSPOSED_RULE = {"1/m": "1/n", "1/n": "1/m", "2/(m+n)": "2/(m+n)"}
"""The same entry variance described from Wᵀ (n×m), whose own m is n."""


SPREAD_ENTRIES = 200_000
"""Above n = 1000 the spread points use SPREAD_ENTRIES // n pairs, so the ladder costs ~2·10⁶ draws."""


def _pairs(n: int, wanted: int) -> int:
    return max(2, min(wanted, geo.MAX_ANGLE_ENTRIES // (2 * n)))


# --- cached compute (small hashable arguments, small tables out) ----------------------------------

@st.cache_data(**CACHE, show_spinner=False)
def angle_histogram(n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """θ (degrees) between Gaussian vector pairs of ℝⁿ, binned, and the exact density ∝ sin^{n−2}θ."""
    angles = geo.sample_angles(n, kinds=("normal",), pairs=_pairs(n, ANGLE_PAIRS), seed=seed)
    hist = angles.histogram("normal", bins=BINS).to_frame(group=f"n = {n}")
    hist[["left", "right"]] *= DEG
    hist[["density", "expected_density"]] /= DEG
    theta = np.linspace(hist["left"].iloc[0], hist["right"].iloc[-1], CURVE_POINTS)
    theory = curve_table(theta, randmat.angle_pdf(theta / DEG, n) / DEG, group=f"n = {n}")
    return hist, theory


@st.cache_data(**CACHE, show_spinner=False)
def angle_spread(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Std of θ (degrees) against n: measured at every rung of the page's ladder, and exact."""
    rows = []
    for n in links.ANGLE_DIMS:
        pairs = _pairs(n, min(SPREAD_PAIRS, max(2, SPREAD_ENTRIES // n)))
        std = float(geo.sample_angles(n, kinds=("normal",), pairs=pairs, seed=seed).theta.std(ddof=1)) * DEG
        se = std / math.sqrt(2 * (pairs - 1))  # SE of a sample std of a near-normal variable
        rows.append({"group": "angle spread", "n": n, "theta_std": std, "lo": std - 2 * se, "hi": std + 2 * se,
                     "pairs": pairs})
    grid = np.unique(np.geomspace(links.ANGLE_DIMS[0], links.ANGLE_DIMS[-1], SPREAD_CURVE_POINTS).round().astype(int))
    theory = pd.DataFrame({"group": "angle spread", "n": grid,
                           "theta_std": [randmat.angle_moments(int(n)).theta_std * DEG for n in grid]})
    return pd.DataFrame(rows), theory


@st.cache_data(**CACHE, show_spinner=False)
def gram_heatmaps(n: int, kind: str, seed: int) -> pd.DataFrame:
    """WᵀW for one n×n W (variance 1/n) beside I, as a long table (panel, row, col, value)."""
    g = geo.gram_matrix(n, n, kind, seed=seed)
    rows, cols = np.indices((n, n))
    return pd.concat([pd.DataFrame({"panel": panel, "row": rows.ravel(), "col": cols.ravel(), "value": z.ravel()})
                      for panel, z in ((f"WᵀW ({kind}, n = {n})", g), ("I", np.eye(n)))], ignore_index=True)


@st.cache_data(**CACHE, show_spinner=False)
def sweep(kind: str, top: int, seed: int) -> pd.DataFrame:
    """Deviation of WᵀW from I for square n×n W (variance 1/n), n = 8, 16, … ≤ top."""
    dims = tuple(2 ** k for k in range(int(math.log2(SWEEP_MIN)), int(math.log2(top)) + 1))
    frame = geo.gram_sweep(dims=dims, ensembles=(kind,), repeats=SWEEP_REPEATS, seed=seed).to_frame()
    frame.insert(0, "group", kind)
    return frame


@st.cache_data(**CACHE, show_spinner=False)
def spectrum(m: int, n: int, kind: str, seed: int):
    """Eigenvalues of WᵀW (variance 1/m) binned, Marchenko–Pastur's density, its atom, zero share."""
    repeats = min(geo.MAX_REPEATS, math.ceil(SPECTRUM_EIGENVALUES / n),
                  max(1, geo.SPECTRUM_MAX_WORK // min(m, n) ** 3))
    spec = geo.gram_spectrum(m, n, kind, repeats=repeats, seed=seed)
    group = f"λ = {n}/{m}"
    hist = spec.histogram(bins=BINS).to_frame(group=group)
    mp = spec.mp
    x = np.linspace(mp.lo, mp.hi, CURVE_POINTS)
    theory = curve_table(x, randmat.mp_pdf(x, m, n, spec.law.var), group=group)
    atoms = pd.DataFrame({"group": [group], "x": [0.0], "mass": [mp.atom]}) if mp.atom > 0 else None
    return hist, theory, atoms, spec.zero_fraction, repeats


@st.cache_data(**CACHE, show_spinner=False)
def rules_table(m: int, n: int, kind: str) -> pd.DataFrame:
    """Per variance rule: s², E‖Wx‖²/‖x‖² = m s², E‖Wᵀg‖²/‖g‖² = n s², and the expected entrywise
    deviations of WᵀW and WWᵀ from I (closed forms)."""
    rows = []
    for url_rule, rule in RULE_OF.items():
        law = geo.Ensemble(kind, rule=rule).law(m, n)
        fwd = geo.theory_deviation(law, m, n)
        bwd = geo.theory_deviation(geo.Ensemble(kind, rule=TRANSPOSED_RULE[rule]).law(n, m), n, m)
        rows.append({"rule": url_rule, "variance": rule, "s2": law.var, "forward_gain": m * law.var,
                     "backward_gain": n * law.var, "msq_WtW": fwd.total if fwd else math.nan,
                     "msq_WWt": bwd.total if bwd else math.nan})
    return pd.DataFrame(rows)


@st.cache_data(**CACHE, show_spinner=False)
def norm_ratio_histogram(m: int, n: int, kind: str, rule: str, seed: int):
    """‖Wx‖/‖x‖ over 10,000 (W, x) pairs, binned, with its exact density where one is known."""
    res = geo.norm_ratios(m, n, geo.Ensemble(kind, rule=rule), samples=geo.NORM_SAMPLES, seed=seed)
    group = f"{kind}, {m}×{n}"
    hist = res.histogram(bins=BINS).to_frame(group=group)
    theory = None
    if res.exact_law:
        t = np.linspace(hist["left"].iloc[0], hist["right"].iloc[-1], CURVE_POINTS)
        theory = curve_table(t, randmat.norm_pdf(t, m, n, res.law), group=group)
    return hist, theory, res.to_frame()


# --- the page ---------------------------------------------------------------------------------------

def render(settings: links.Settings) -> None:
    seed = settings["seed"]
    with st.sidebar:
        control("seed")
    st.markdown(
        "Why does scaling random weights by 1/√n work? Because in high dimension random directions are "
        "almost orthogonal — so a random matrix with entry variance 1/m is *almost* orthogonal: entry by "
        "entry (WᵀW ≈ I) and vector by vector (‖Wx‖ ≈ ‖x‖), for any entry distribution, closer as n grows. "
        "But not as an operator: its singular values spread (Marchenko–Pastur). Five steps, each with the "
        "exact theory over the Monte-Carlo measurement; the page computes the step chosen below. "
        "W is m×n (m = fan_out rows, n = fan_in columns).")
    control("step")
    step = settings["step"]
    with guard(f"geometry: {step}"):
        STEPS[step](settings, seed)


UNFIT_KEY = "geometry_unfit"
"""Key of the box a step over the hosted budget shows instead of its charts (tests find it)."""


def fits(settings: links.Settings) -> bool:
    """Whether the step's view fits the hosted budget; if not, the choices that do are shown."""
    fitted = links.geometry.fit_view(settings)
    if not fitted.fits:
        offer_choices("geometry", UNFIT_KEY,
                      f"This step would be {times(fitted.over)} the computing a hosted view may do (about "
                      f"{links.GEOMETRY_MAX_SECONDS:g} s of CPU): nothing is computed, and your settings stay as you set "
                      "them. Each of these changes fits — or change the controls yourself:", fitted.choices,
                      "No single change fits: lower the sizes together.")
    return fitted.fits


def _angles(settings, seed) -> None:
    st.header("1 · Random vectors are almost orthogonal")
    st.markdown("The angle θ between two independent Gaussian vectors of ℝⁿ has the exact density")
    formula(r"p_n(\theta) = \frac{\Gamma(n/2)}{\sqrt{\pi}\,\Gamma\!\left(\frac{n-1}{2}\right)}\,"
             r"\sin^{n-2}\theta, \qquad \operatorname{E}\cos\theta = 0,\quad \operatorname{Var}\cos\theta = \frac1n,")
    st.markdown("so θ concentrates at 90° with a spread that shrinks like 1/√n.")
    n = settings["angle_n"]
    control_row("angle_n", "angle_fixed", widths=[3, 1])
    left, right = st.columns(2)
    with left:
        hist, theory = angle_histogram(n, seed)
        fig = fig_density(hist, theory, x_title="angle θ between the vectors (degrees)",
                          y_title="probability density (1/degree)", title=f"Angles between random vectors, n = {n}")
        if settings["angle_fixed"]:
            fig.update_xaxes(range=[0.0, 180.0], dtick=30)
        chart(fig, hist, key="angle_hist", name=file_name("geometry-angles", f"n{n}", f"seed{seed}"),
              caption=f"{int(hist['count'].sum()):,} pairs of N(0, I) vectors; line: exact density.")
    with right:
        table, theory = angle_spread(seed)
        fig = fig_curves(table, theory, x="n", y="theta_std", lo="lo", hi="hi", x_title="dimension n",
                         y_title="std of θ (degrees)", log_x=True, log_y=True, measured="measured ± 2 SE",
                         predicted="exact", mark_x=n, mark_label=f"n = {n}",
                         title="Spread of the angle shrinks like 1/√n")
        chart(fig, table, key="angle_spread", name=file_name("geometry-angle-spread", f"seed{seed}"),
              caption=f"{SPREAD_PAIRS} pairs per n (fewer at the largest n); line: exact std.")


def _gram(settings, seed) -> None:
    st.header("2 · So WᵀW is close to I, entry by entry")
    st.markdown("Entry (i, j) of WᵀW is the inner product of columns i and j. With entry variance 1/m the "
                "columns have squared norm ≈ 1 and are almost orthogonal, so WᵀW ≈ I. The mean square of "
                "the n² entries of WᵀW − I, for any law with kurtosis κ, is")
    formula(r"\operatorname{E}\frac{\|W^\top W - I\|_F^2}{n^2} = \frac{n + \kappa - 2}{m\,n}"
             r"\quad\text{(variance } 1/m\text{)}.")
    n, kind = settings["gram_n"], settings["gram_dist"]
    control_row("gram_n", "gram_dist")
    table = gram_heatmaps(n, kind, seed)
    g = table[table["panel"] != "I"]["value"].to_numpy().reshape(n, n)
    measured = float(np.mean(np.square(g - np.eye(n))))
    theory = geo.theory_deviation(geo.Ensemble(kind).law(n, n), n, n)
    fig = fig_heatmaps(table, title=f"One sampled WᵀW beside I (n = {n}, {kind})", value_title="entry")
    chart(fig, table, key="gram_heatmap", name=file_name("geometry-gram", kind, f"n{n}", f"seed{seed}"),
          caption=f"Mean square of WᵀW − I: {measured:.4g} for this draw; expected {theory.total:.4g}.")


def _sweep(settings, seed) -> None:
    st.header("3 · Closer as n grows — entrywise, not as an operator")
    st.markdown(
        "For n×n matrices with variance 1/n from several distributions at equal variance: the entrywise "
        "deviation falls like 1/n for every one of them (points: mean over draws, bars: 5–95% of draws; "
        "lines: the formula above). The **operator norm** ‖WᵀW − I‖₂ does not fall at all: it tends to 3.")
    left, right = st.columns([3, 1])
    with left:
        control("sweep_dists")
    with right:
        control("sweep_max", options=links.geometry.sweep_sizes(settings))
    if not fits(settings):
        return
    top = settings["sweep_max"]
    frames = [sweep(kind, min(top, ORTHOGONAL_SWEEP_MAX) if kind == "orthogonal" else top, seed)
              for kind in settings["sweep_dists"]]
    table = pd.concat(frames, ignore_index=True)
    left, right = st.columns(2)
    with left:
        theory = table[["group", "n", "theory_msq"]].rename(columns={"theory_msq": "msq_mean"})
        theory = theory[table["kind"] != "orthogonal"]  # exactly 0: no place on a log axis
        fig = fig_curves(table, theory, x="n", y="msq_mean", lo="msq_lo", hi="msq_hi", x_title="dimension n",
                         y_title="mean square of WᵀW − I entries", log_x=True, log_y=True,
                         title="Entrywise: mean of (WᵀW − I)² → 0")
        iid = table[table["kind"] != "orthogonal"]
        if len(iid):  # orthogonal W sits at rounding level (~1e-14): keep the axis on the i.i.d. laws
            values = iid[["msq_lo", "msq_hi", "theory_msq"]].to_numpy(dtype=float)
            values = values[np.isfinite(values) & (values > 0)]
            fig.update_yaxes(range=[math.log10(values.min() / 3), math.log10(values.max() * 3)])
        chart(fig, table, key="sweep_msq", name=file_name("geometry-sweep-entrywise", f"to{top}", f"seed{seed}"))
    with right:
        theory = table[["group", "n", "theory_opnorm_finite"]].rename(columns={"theory_opnorm_finite": "opnorm_mean"})
        fig = fig_curves(table, theory, x="n", y="opnorm_mean", lo="opnorm_lo", hi="opnorm_hi",
                         x_title="dimension n", y_title="operator norm ‖WᵀW − I‖₂", log_x=True,
                         title="As an operator: ‖WᵀW − I‖₂ → 3, not 0")
        chart(fig, table, key="sweep_opnorm", name=file_name("geometry-sweep-opnorm", f"to{top}", f"seed{seed}"))
    st.info(
        "Why they differ: the entrywise number averages n² small errors, each of size about 1/√n, so it "
        "shrinks. The operator norm is the *worst direction*: the n eigenvalues of WᵀW spread over [0, 4] "
        "(next step), so some direction is stretched ×2 and another squashed towards 0, whatever n is. "
        "Orthogonal W is exact in both senses (its deviation is floating-point rounding, below the left axis).",
        icon=":material/lightbulb:")


def _spectrum(settings, seed) -> None:
    st.header("4 · The eigenvalues of WᵀW spread out: Marchenko–Pastur")
    st.markdown("For W m×n with i.i.d. entries of variance 1/m and λ = n/m, the eigenvalues of WᵀW follow")
    formula(r"p(x) = \frac{\sqrt{(\lambda_+ - x)(x - \lambda_-)}}{2\pi\lambda x},\qquad "
             r"\lambda_\pm = (1 \pm \sqrt{\lambda})^2,")
    st.markdown("with an atom of mass 1 − 1/λ at 0 when λ > 1. Only tall matrices (λ → 0) approach an isometry.")
    control_row("mp_ratio", "mp_m", "mp_dist")
    if not fits(settings):
        return
    (m, n), kind = links.geometry.spectrum_shape(settings), settings["mp_dist"]
    hist, theory, atoms, zero_share, repeats = spectrum(m, n, kind, seed)
    fig = fig_density(hist, theory, atoms=atoms, x_title="eigenvalue of WᵀW", y_title="probability density",
                      exact="Marchenko–Pastur", title=f"Eigenvalues of WᵀW, W {m}×{n} ({kind}, variance 1/m)")
    caption = f"{repeats} matrices, {repeats * n:,} eigenvalues pooled."
    if atoms is not None:
        caption += f" Share of zero eigenvalues: {zero_share:.4f} (atom 1 − 1/λ = {atoms['mass'].iloc[0]:.4f})."
    chart(fig, hist, key="mp_hist", name=file_name("geometry-spectrum", kind, f"m{m}", f"n{n}", f"seed{seed}"),
          caption=caption)


def _rectangular(settings, seed) -> None:
    st.header("5 · Rectangular W: which variance? And ‖Wx‖/‖x‖")
    st.markdown(
        "For m ≠ n no single variance makes both WᵀW ≈ I (forward: ‖Wx‖ ≈ ‖x‖) and WWᵀ ≈ I "
        "(backward: ‖Wᵀg‖ ≈ ‖g‖). Variance 1/m gives the first, 1/n the second, 2/(m+n) (Glorot & Bengio; "
        "Corollary 4 of Su Jianlin's geometric view of initialisation) splits the difference. Variance 1/m keeps "
        "the *norm of the whole vector*; Xavier, LeCun and He count fan_in (= n) instead because they keep the "
        "*variance of each unit*: each output is a sum of n terms, so $\\operatorname{Var}(Wx)_i = n s^2 "
        "\\cdot \\overline{x^2}$. For Gaussian W, $R = \\|Wx\\|^2/\\|x\\|^2 = s^2\\chi^2_m$ exactly:")
    formula(r"\operatorname{E}R = m s^2,\qquad \operatorname{Var}R = m s^4\Big[2 + (\kappa - 3)"
             r"\frac{\sum x_i^4}{(\sum x_i^2)^2}\Big].")
    control_row("rect_m", "rect_n", "rule", "rect_dist", widths=[1, 1, 2, 1])
    if not fits(settings):
        return
    m, n, kind = settings["rect_m"], settings["rect_n"], settings["rect_dist"]
    rule = RULE_OF[settings["rule"]]
    rules = rules_table(m, n, kind)
    shown = rules.assign(chosen=rules["rule"] == settings["rule"]).drop(columns="rule")
    st.dataframe(shown.rename(columns={
        "variance": "variance s²", "s2": "s² value", "forward_gain": "E‖Wx‖²/‖x‖²",
        "backward_gain": "E‖Wᵀg‖²/‖g‖²", "msq_WtW": "WᵀW − I (mean sq.)",
        "msq_WWt": "WWᵀ − I (mean sq.)", "chosen": "chosen"}),
        hide_index=True, width="stretch", key="rules_table",
        column_config={c: st.column_config.NumberColumn(format="%.4g")
                       for c in ("s² value", "E‖Wx‖²/‖x‖²", "E‖Wᵀg‖²/‖g‖²", "WᵀW − I (mean sq.)",
                                 "WWᵀ − I (mean sq.)")})
    st.caption(f"W is {m}×{n}, {kind} entries. Gains of exactly 1 preserve the norm on average.")
    hist, theory, moments = norm_ratio_histogram(m, n, kind, rule, seed)
    fig = fig_density(hist, theory, x_title="‖Wx‖ / ‖x‖ (dimensionless)", y_title="probability density",
                      title=f"‖Wx‖/‖x‖ for W {m}×{n}, {kind}, variance {rule}")
    row = moments.iloc[0]
    note = "" if theory is not None else " No closed-form density for this law; compare the moments."
    chart(fig, hist, key="norm_hist", name=file_name("geometry-norm-ratio", kind, f"m{m}", f"n{n}",
                                                     settings["rule"], f"seed{seed}"),
          caption=f"E R: measured {row['r_mean']:.4g}, theory {row['theory_r_mean']:.4g}; "
                  f"Var R: measured {row['r_var']:.3g}, theory {row['theory_r_var']:.3g}.{note}")


STEPS = {"vectors": _angles, "gram": _gram, "sweep": _sweep, "spectrum": _spectrum, "rectangular": _rectangular}
"""What each value of the ``step`` link parameter draws (links.GEOMETRY_STEPS)."""
