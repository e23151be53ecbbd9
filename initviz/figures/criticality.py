"""Charts of the Criticality page: the phase-diagram maps over (σ_w, σ_b), the maps layer by layer,
and the Jacobian spectra at the chosen point (histogram of log σ, its statistics against depth).

Every builder is a function of the core's frames (:func:`initviz.phase_diagram`,
:func:`initviz.critical_line`, :func:`initviz.map_iterates`, :func:`initviz.measure_maps`, and the
Jacobian tables of :func:`initviz.ui.links.criticality.jacobian_tables`). Points
where the core reports no finite stable fixed point (q* = ∞, "unbounded"; or none found) are drawn
as a grey mask that says so on hover and in the legend — never as colours of a number."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from . import theme
from .charts import _legend_rows, fig_curves, fig_density
from .tables import hist_table

MAPS = {
    "q_star": ("q*", "q*: stationary variance",
               "q*, the fixed point of the variance map q ↦ σ_w² E[φ(√q z)²] + σ_b² reached from q⁰ = 1."),
    "chi1": ("χ₁", "χ₁: ordered < 1 < chaotic",
             "χ₁ = σ_w² E[φ′(√q* z)²], on a log colour scale centred at 1: ordered (blue) below, chaotic (red) above."),
    "c_star": ("c*", "c*: stationary correlation",
               "c*, the stable fixed point of the correlation map: 1 in the ordered phase, below 1 in the chaotic one."),
    "xi_q": ("ξ_q", "ξ_q: depth scale of q",
             "ξ_q = −1/ln χ_q, the layers over which q^l approaches q* (log colour)."),
    "xi_c": ("ξ_c", "ξ_c: depth scale of c",
             "ξ_c = −1/ln χ_c, the layers over which c^l approaches c* (log colour): it diverges on the critical "
             "line, and signals survive ~6ξ_c layers."),
}
"""Column → (symbol, short title, caption) of each map."""
LOG_MAPS = ("xi_q", "xi_c")
PICK = "grid point"
"""Name of the transparent markers on the grid's points: hover shows a point's value, a click picks it
(plotly reports clicks on scatter points, not on heatmap cells)."""
MASK = "#9a9a9a"
POINT = "#000000"
LINE = "#009E73"
X_TITLE = "σ_w  (Var W = σ_w²/fan_in)"
Y_TITLE = "σ_b  (b ~ N(0, σ_b²))"
HEIGHT = 430


def _grid(diagram: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(σ_w axis, σ_b axis, values[σ_b, σ_w]) of a diagram column."""
    wide = diagram.pivot(index="sigma_b2", columns="sigma_w2", values=column)
    return np.sqrt(wide.columns.to_numpy(float)), np.sqrt(wide.index.to_numpy(float)), wide.to_numpy(float)


def _gaps(z: np.ndarray) -> list[list[float | None]]:
    """A heatmap's values with every non-finite one a gap (None): a chart holds finite numbers only."""
    return [[float(v) if np.isfinite(v) else None for v in row] for row in z]


def _colour(column: str, z: np.ndarray) -> tuple[np.ndarray, dict]:
    """The values drawn (log10 for the depth scales) and the heatmap's colour settings."""
    symbol = MAPS[column][0]
    bar = {"title": {"text": symbol, "side": "right"}, "thickness": 14, "len": 0.85}
    if column == "chi1":
        finite = z[np.isfinite(z)]
        span = max(float(np.max(np.abs(np.log(finite[finite > 0])))) if np.any(finite > 0) else 1.0, 1e-3)
        drawn = np.log(np.where(z > 0, z, np.nan))  # centred at χ₁ = 1 on a log scale: ×2 and ÷2 look alike
        ticks = np.array([v for v in (0.1, 0.25, 0.5, 1, 2, 4, 10, 25) if abs(np.log(v)) <= span])
        bar.update(tickvals=np.log(ticks).tolist(), ticktext=[f"{v:g}" for v in ticks],
                   title={"text": "χ₁  (ordered < 1 < chaotic)", "side": "right"})
        return drawn, {"colorscale": theme.DIVERGING, "zmid": 0.0, "zmin": -span, "zmax": span, "colorbar": bar}
    if column in LOG_MAPS:
        drawn = np.log10(np.where((z > 0) & np.isfinite(z), z, np.nan))
        finite = drawn[np.isfinite(drawn)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        ticks = np.arange(np.floor(lo), np.ceil(hi) + 1)
        bar.update(tickvals=ticks.tolist(), ticktext=[f"{10 ** t:g}" for t in ticks])
        return drawn, {"colorscale": theme.SEQUENTIAL, "colorbar": bar}
    return z, {"colorscale": theme.SEQUENTIAL, "colorbar": bar}


def phase_map_spec(diagram: pd.DataFrame, line: pd.DataFrame, point: tuple[float, float], column: str,
                   *, title: str | None = None) -> tuple[list[dict], dict]:
    """One map of the phase diagram: ``column`` of ``diagram`` as a heatmap over (σ_w, σ_b), the
    points without a finite stable q* as a grey mask, the critical line χ₁ = 1 (``line``: columns
    ``sigma_b2``, ``sigma_w2``; a single point for the leaky family), transparent markers on the grid
    points (:data:`PICK`: their hover shows the value, a click can pick them) and the chosen ``point``
    (σ_w, σ_b)."""
    sw, sb, z = _grid(diagram, column)
    _, _, q_star = _grid(diagram, "q_star")
    masked = ~np.isfinite(q_star)
    drawn, colour = _colour(column, np.where(masked, np.nan, z))
    symbol = MAPS[column][0]
    text = np.array([[theme.number(v) for v in row] for row in z], dtype=object)
    grid_w, grid_b = np.meshgrid(sw, sb)
    data = [{"type": "heatmap", "x": sw, "y": sb, "z": _gaps(drawn), "name": symbol, "showlegend": False,
             "hoverinfo": "skip", **colour}]
    picks = {"type": "scatter", "mode": "markers", "x": grid_w.ravel(), "y": grid_b.ravel(), "name": PICK,
             "showlegend": False, "marker": {"size": 12, "opacity": 0, "color": POINT}, "text": text.ravel(),
             "customdata": np.column_stack([grid_w.ravel() ** 2, grid_b.ravel() ** 2]),
             "hovertemplate": f"σ_w %{{x:.3g}} (σ_w² %{{customdata[0]:.3g}})<br>σ_b %{{y:.3g}} (σ_b² %{{customdata[1]:.3g}})"
                              f"<br>{symbol} = %{{text}}<br>(click: move the point here)<extra></extra>"}
    if masked.any():
        data.append({"type": "heatmap", "x": sw, "y": sb, "z": _gaps(np.where(masked, 1.0, np.nan)),
                     "colorscale": [[0, MASK], [1, MASK]], "showscale": False, "hoverinfo": "skip",
                     "showlegend": False})
        data.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers", "name": "no stable finite q* (q* = ∞)",
                     "marker": {"symbol": "square", "size": 14, "color": MASK}})
    crit = line[np.isfinite(line["sigma_w2"])]
    if len(crit):
        lone = len(crit) == 1
        data.append({"type": "scatter", "x": np.sqrt(crit["sigma_w2"].to_numpy(float)),
                     "y": np.sqrt(crit["sigma_b2"].to_numpy(float)), "mode": "markers" if lone else "lines",
                     "name": "critical point χ₁ = 1" if lone else "critical line χ₁ = 1",
                     "line": {"color": LINE, "width": theme.LINE_WIDTH},
                     "marker": {"color": LINE, "size": 14, "symbol": "diamond", "line": {"color": "white", "width": 1.5}},
                     "hovertemplate": "χ₁ = 1 at σ_w %{x:.4g}, σ_b %{y:.3g}<extra></extra>"})
    data.append(picks)  # on top of the mask and the line: every grid point can be clicked
    data.append({"type": "scatter", "x": [point[0]], "y": [point[1]], "mode": "markers", "name": "you are here",
                 "marker": {"symbol": "x", "size": 15, "color": POINT, "line": {"color": "white", "width": 1.5}},
                 "hovertemplate": "the chosen network: σ_w %{x:.3g}, σ_b %{y:.3g}<extra></extra>"})
    layout = theme.layout(x_title=X_TITLE, y_title=Y_TITLE, title=title, height=HEIGHT, legend_rows=_legend_rows(data))
    layout["xaxis"].update(range=[float(sw.min()), float(sw.max())], constrain="domain")
    layout["yaxis"].update(range=[float(sb.min()), float(sb.max())])
    return data, layout


def fig_phase_map(diagram: pd.DataFrame, line: pd.DataFrame, point: tuple[float, float], column: str,
                  *, title: str | None = None) -> go.Figure:
    """:func:`phase_map_spec` as a figure."""
    return theme.figure(*phase_map_spec(diagram, line, point, column, title=title))


def layer_tables(measured: pd.DataFrame, theory: pd.DataFrame, column: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(measured, theory) per layer of one map's ``column`` ("q" or "c") in :func:`fig_curves`' form:
    the measured mean over seeds with mean ± one standard deviation, and the theory's iterates."""
    stats = measured.groupby("layer")[column].agg(["mean", "std"]).reset_index()
    spread = stats["std"].fillna(0.0)
    table = pd.DataFrame({"group": "measured", "layer": stats["layer"], column: stats["mean"],
                          "lo": stats["mean"] - spread, "hi": stats["mean"] + spread})
    return table, theory.assign(group="measured")[["group", "layer", column]]


def fig_layers(measured: pd.DataFrame, theory: pd.DataFrame, column: str, *, width: int, n_seeds: int) -> go.Figure:
    """q^l or c^l per layer: the finite networks (mean ± one standard deviation over seeds) over the
    mean-field map's iteration."""
    table, line = layer_tables(measured, theory, column)
    symbol = "c^l (correlation of the two inputs)" if column == "c" else "q^l (pre-activation variance)"
    return fig_curves(table, line, x="layer", y=column, x_title="layer l", y_title=symbol, lo="lo", hi="hi",
                      measured=f"width {width}, {n_seeds} network(s): mean ± sd", predicted="mean-field map",
                      lines=True, height=380)


def qmap_tables(measured: dict[str, pd.DataFrame], theory: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """deepchaos Figure 1 in :func:`fig_curves`' form: per group (a σ_w label) the one-layer map
    q^{l−1} ↦ q^l — measured (``measure_maps`` frames of depth 1, one pair per starting q: the mean
    over seeds, ± one standard deviation) and theory (``map_iterates`` frames of depth 1)."""
    def one_layer(frame: pd.DataFrame) -> pd.DataFrame:
        start = frame[frame.layer == 0].groupby("pair")["q"].mean()
        end = frame[frame.layer == 1].groupby("pair")["q"].agg(["mean", "std"])
        spread = end["std"].fillna(0.0)
        return pd.DataFrame({"q_in": start.to_numpy(), "q_out": end["mean"].to_numpy(),
                             "lo": (end["mean"] - spread).to_numpy(), "hi": (end["mean"] + spread).to_numpy()})

    table = pd.concat([one_layer(f).assign(group=g) for g, f in measured.items()], ignore_index=True)
    line = pd.concat([one_layer(f).assign(group=g) for g, f in theory.items()], ignore_index=True)
    return table, line[["group", "q_in", "q_out"]]


def fig_qmap(measured: dict[str, pd.DataFrame], theory: dict[str, pd.DataFrame], *, title: str | None = None) -> go.Figure:
    """The iterative variance map q^l against q^{l−1} per σ_w (theory lines over measured dots), with
    the identity: where a line crosses it is that σ_w's q*."""
    table, line = qmap_tables(measured, theory)
    fig = fig_curves(table, line, x="q_in", y="q_out", x_title="input variance q^(l−1)",
                     y_title="output variance q^l", lo="lo", hi="hi", title=title, height=440)
    top = float(max(line["q_in"].max(), line["q_out"].max()))
    fig.add_scatter(x=[0, top], y=[0, top], mode="lines", name="q^l = q^(l−1)",
                    line={"color": theme.INK, "dash": "dot", "width": 1.5})
    return fig


# --- Jacobian spectra at the chosen point (:func:`initviz.ui.links.criticality.jacobian_tables`) ---------

JACOBIAN_BINS = 60


def zero_shares(values: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Per group of a singular-value table (``group, log10_sigma``): (exact zeros, all values) — the
    zeros are log10 σ = −inf, which no histogram bin holds."""
    return {g: (int(np.isneginf(f["log10_sigma"].to_numpy(float)).sum()), len(f))
            for g, f in values.groupby("group", sort=False)}


def jacobian_hist_table(values: pd.DataFrame, bins: int = JACOBIAN_BINS) -> pd.DataFrame:
    """Histograms of the non-zero log10 σ per group on one common range (density over each group's
    non-zero values); a group with exact zeros is named with their share ("… 12.5 % exact zeros, not
    drawn")."""
    finite = values[np.isfinite(values["log10_sigma"].to_numpy(float))]
    x = finite["log10_sigma"].to_numpy(float)
    span = (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)
    frames = []
    for g, (zeros, total) in zero_shares(values).items():
        name = f"{g} ({100 * zeros / total:.3g} % exact zeros, not drawn)" if zeros else g
        frames.append(hist_table(finite.loc[finite["group"] == g, "log10_sigma"], group=name, bins=bins,
                                 range=span if span[1] > span[0] else None))
    return pd.concat(frames, ignore_index=True)


def fig_jacobian_hist(values: pd.DataFrame, *, depth: int, title: str | None = None) -> go.Figure:
    """The histogram of log10 σ of the Jacobian at ``depth``, every group on one axis, pooled over the
    networks; exact zeros (σ = 0, log σ = −inf) are counted in the legend and a note, never drawn."""
    hist = jacobian_hist_table(values)
    fig = fig_density(hist, x_title=f"log₁₀ σ at depth {depth}",
                      y_title="density (over the non-zero σ)", title=title, height=400)
    zeros = {g: z for g, z in zero_shares(values).items() if z[0]}
    text = ("exact zeros (φ′ = 0 units), not drawn: " + ", ".join(f"{g} {z:,} of {t:,}" for g, (z, t) in zeros.items())
            if zeros else "no exact zeros")
    fig.add_annotation(text=text, xref="paper", yref="paper", x=0.0, y=1.0, xanchor="left", yanchor="top",
                       showarrow=False, font={"size": theme.FONT_SIZE - 2})
    return fig


def _theory_words(stats: pd.DataFrame, theory: str | None) -> str:
    """Which groups of a depth chart have a theory line, and why the others have none."""
    if theory is None:
        return "no closed form: measured only"
    parts = []
    for g, f in stats.groupby("group", sort=False):
        t = f[theory].to_numpy(float)
        parts.append(f"{g}: " + ("free-probability line" if np.isfinite(t).any() else
                                 "theory 0 (every σ equal), off the log scale" if np.isneginf(t).all() else
                                 "no closed form"))
    return "theory — " + "; ".join(parts)


def fig_jacobian_depth(stats: pd.DataFrame, column: str, *, y_title: str, theory: str | None = None,
                       lo: str | None = None, hi: str | None = None, title: str | None = None) -> go.Figure:
    """A statistic of the Jacobian's spectrum (``column`` of the per-depth table, a log10 value) against
    depth per group, its band ``lo``…``hi``, with the ``theory`` column as lines where it is finite; a
    note on the chart says which groups have a theory line and why the others have none."""
    band = [c for c in (lo, hi) if c]
    table = stats[list(dict.fromkeys(["group", "depth", column, *band]))]
    line = None
    if theory is not None:
        line = stats[["group", "depth", theory]].rename(columns={theory: column})
        line = line[np.isfinite(line[column].to_numpy(float))]
    fig = fig_curves(table, line, x="depth", y=column, lo=lo, hi=hi, lines=True, x_title="depth l (layers)",
                     y_title=y_title, measured="measured", predicted="theory", title=title, height=400)
    fig.add_annotation(text=_theory_words(stats, theory), xref="paper", yref="paper", x=0.0, y=1.0, xanchor="left",
                       yanchor="top", showarrow=False, font={"size": theme.FONT_SIZE - 2})
    return fig
