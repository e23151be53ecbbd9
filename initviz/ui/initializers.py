"""The Initializers page: every scheme for one layer, a sampled weight against its exact law, and
the same init in PyTorch, Keras and JAX."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from .. import initializers as inits
from ..errors import InitvizError
from ..fans import compute_fans
from ..figures import curve_table, fig_density, hist_table
from ..laws import Law
from ..residual import PRESETS as RESIDUAL_PRESETS
from . import links, snippets
from .frame import guard, view_export
from .widgets import chart, control, control_row, file_name

CACHE = dict(max_entries=64, max_size=64 * 2 ** 20)
HIST_BINS = 80
DENSITY_POINTS = 400
TAIL_STDS = 5.0
"""A law with unbounded support is drawn over mean ± 5 std (the bars say how much falls outside)."""

TABLE_COLUMNS = {
    "label": "Scheme", "library": "Library", "law": "Distribution", "gain": "Gain g", "mode": "Fan mode",
    "std": "Std (realised)", "bound": "Bound ±", "var_x_fan_in": "Var × fan_in", "kurtosis": "Kurtosis",
    "note": "Note",
}
NUMERIC_COLUMNS = ("gain", "std", "bound", "var_x_fan_in", "kurtosis")
TABLE_HEIGHT = 460


def _short(err: InitvizError) -> str:
    """"Argument `shape` must have 3, 4 or 5 dimensions for dirac. Received: …" → "not for this shape:
    must have 3, 4 or 5 dimensions for dirac"."""
    text = str(err)
    rule = text.split(" must ", 1)[-1].split(". Received:", 1)[0]
    return f"not for this shape: must {rule}"


def _display(table: pd.DataFrame) -> pd.DataFrame:
    """The table as text: 4 significant digits, a dash where a column does not apply."""
    shown = table.drop(columns="scheme").copy()
    for col in NUMERIC_COLUMNS:
        shown[col] = [f"{v:.4g}" if isinstance(v, float) and math.isfinite(v) else "—" for v in shown[col]]
    return shown.fillna("").rename(columns=TABLE_COLUMNS)


def _plot_range(w: Law) -> tuple[float, float]:
    lo, hi = w.support
    if math.isfinite(lo) and math.isfinite(hi) and lo < hi:
        pad = 0.02 * (hi - lo)
        return lo - pad, hi + pad
    half = TAIL_STDS * w.std if w.std > 0 else 1.0
    return w.mean - half, w.mean + half


@st.cache_data(**CACHE, show_spinner=False)
def scheme_table(shape: tuple[int, ...]) -> pd.DataFrame:
    """One row per registered scheme at its default parameters, for a weight of ``shape``."""
    fan_in, _ = compute_fans(shape)
    rows = []
    for s in inits.SCHEMES.values():
        params = {p.name: p.default for p in s.params if p.name not in links.SCHEME_PARAM_HIDDEN}
        row = {"scheme": s.name, "label": s.label, "library": s.library}
        try:
            w = s.law(shape, **params)
        except InitvizError as err:
            rows.append({**row, "note": _short(err)})
            continue
        spec = snippets.variance_spec(s.name, params)
        gain = math.sqrt(spec[0]) if spec else params.get("gain", math.nan)
        bound = w.support[1] if math.isfinite(w.support[1]) else math.nan
        kind = {"trunc_normal": "truncated normal"}.get(w.kind, w.kind)
        rows.append({**row, "law": kind, "gain": gain, "mode": spec[1] if spec else "",
                     "std": w.std, "bound": bound, "var_x_fan_in": w.var * fan_in,
                     "kurtosis": w.kurtosis, "note": ""})
    return pd.DataFrame(rows, columns=["scheme", *TABLE_COLUMNS])


@st.cache_data(**CACHE, show_spinner=False)
def weight_histogram(scheme: str, params: tuple, shape: tuple[int, ...], seed: int) -> pd.DataFrame:
    """Histogram of one sampled weight (``initviz.sample`` with this seed; beyond
    :data:`links.MAX_SAMPLED_WEIGHTS` entries, that many of them: :meth:`initviz.laws.Law.entries`),
    binned over the plot range."""
    w = inits.law(scheme, shape, **dict(params))
    sample = w.entries(links.MAX_SAMPLED_WEIGHTS, seed=seed)
    frame = hist_table(sample, group=scheme, bins=HIST_BINS, range=_plot_range(w))
    frame.attrs.update(sample_mean=float(sample.mean()), sample_std=float(sample.std()))
    return frame


def _theory(scheme: str, w: Law) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    weight, atoms = w.mixture()
    curve = None
    if weight > 0:
        lo, hi = _plot_range(w)
        x = np.linspace(lo, hi, DENSITY_POINTS)
        continuous = w.continuous_part()
        curve = curve_table(x, weight * continuous.pdf(x), group=scheme)
    atom_table = pd.DataFrame([{"group": scheme, "x": x, "mass": m} for x, m in atoms if m > 0]) if atoms else None
    return curve, atom_table


def render(settings: links.Settings) -> None:
    st.markdown(
        "An initialization scheme fixes the law of every weight entry from the layer's shape. "
        "For a weight of shape (out, in, *k) in PyTorch's layout, **fan_in** = in·∏k and "
        "**fan_out** = out·∏k; variance-scaling schemes set Var w = g² / fan, with g the **gain** "
        "(√2 for ReLU, 5/3 for tanh). Libraries agree on the fans but not on the distribution: "
        "PyTorch's `kaiming_normal_` is an untruncated normal, Keras' and JAX's `he_normal` cut it at "
        "±2σ and rescale so that the *realised* std is still g/√fan."
    )
    layer = settings["layer"]
    control_row("layer", "n_in", "n_out", None if layer == "dense" else "kernel", widths=[2, 1, 1, 1])
    shape = links.layer_shape(settings)
    fan_in, fan_out = compute_fans(shape)
    st.markdown(f"Weight shape (PyTorch layout): `{shape}` · fan_in = **{fan_in}** · fan_out = **{fan_out}**")

    st.subheader("Every scheme for this layer")
    table = scheme_table(shape)
    st.dataframe(_display(table), hide_index=True, width="stretch", height=TABLE_HEIGHT, key="scheme_table")
    st.caption("Default parameters of each scheme. Var × fan_in compares schemes across libraries: 1 for LeCun, "
               "2 for He, 1/3 for the PyTorch default; kurtosis 3 = normal, 1.8 = uniform, ≈ 2.37 = truncated at ±2σ.")
    export = view_export()
    st.download_button("Table (CSV)", data=lambda: export.csv(table), on_click="ignore",
                       file_name=file_name("initializers", "schemes", layer, *shape) + ".csv", mime="text/csv",
                       key="scheme_table_csv", icon=":material/download:")

    st.subheader("Sample one scheme")
    left, right = st.columns([1, 3])
    scheme = settings["scheme"]
    with left:
        control("scheme")
        for name in links.scheme_param_names(scheme).values():
            control(name)
        control("seed")
    params = links.scheme_settings(settings, scheme)
    with right, guard("initializers: sample"):
        w = inits.law(scheme, shape, **params)
        hist = weight_histogram(scheme, tuple(sorted(params.items())), shape, settings["seed"])
        curve, atoms = _theory(scheme, w)
        name = file_name("initializers", scheme, layer, "x".join(map(str, shape)), f"seed{settings['seed']}")
        fig = fig_density(hist, curve, atoms=atoms, x_title="weight value w", y_title="probability density",
                          title=f"{inits.SCHEMES[scheme].label}: {_sampled(shape)}")
        chart(fig, hist, key="weight_hist", name=name,
              caption=f"Exact law: std {w.std:.4g} (sample {hist.attrs['sample_std']:.4g}), "
                      f"mean {w.mean:.3g} (sample {hist.attrs['sample_mean']:.3g}), kurtosis {w.kurtosis:.4g}.")

    st.subheader("The same init in PyTorch, Keras and JAX")
    args = (scheme, params, layer, settings["n_in"], settings["n_out"], settings["kernel"])
    with guard("initializers: code"):
        _code(args)
    _residual_code()


def _sampled(shape) -> str:
    total = math.prod(shape)
    if total <= links.MAX_SAMPLED_WEIGHTS:
        return f"{total:,} sampled weights"
    return f"{links.MAX_SAMPLED_WEIGHTS:,} of its {total:,} weights sampled"


RESIDUAL_CODE_KEY = "residual_code"
"""Key of the residual blocks' code section (tests find it)."""


def _residual_code() -> None:
    """Each branch preset of :data:`initviz.residual.PRESETS` as a ``torch.nn`` residual block with its init."""
    st.subheader("Residual blocks: the branch initialisations in PyTorch")
    st.markdown("Deep residual networks scale their branches at initialisation so that the stream does not grow "
                "with depth. Each tab is a `torch.nn` block of a two-layer branch, initialised as its source does; "
                "the constants are formulas of the depth L. The Propagation page shows what each does to a signal "
                "(architecture: residual; branch initialisation).")
    with st.container(key=RESIDUAL_CODE_KEY):
        for tab, name in zip(st.tabs([p.label for p in RESIDUAL_PRESETS.values()]), RESIDUAL_PRESETS):
            with tab:
                st.code(snippets.torch_residual_code(name), language="python")


def _code(args) -> None:
    for tab, make in zip(st.tabs(["PyTorch", "Keras 3", "JAX / Flax"]),
                         (snippets.torch_code, snippets.keras_code, snippets.jax_code)):
        with tab:
            st.code(make(*args), language="python")
