"""The chart builders: tidy pandas tables in, a themed ``go.Figure`` out (pure functions).

Every builder follows ``fig_<what>(table, theory=None, **style) -> go.Figure``:

* ``table`` is the measurement (Monte-Carlo points, a pre-binned histogram, a matrix as long rows);
  ``theory`` (optional) is what the mathematics predicts for the same configuration;
* a measurement and its theory share colour and ``legendgroup`` (one click toggles both);
* rows with non-finite values — or non-positive ones on a log axis — are never drawn; the figure
  says how many were left out in an annotation instead;
* axis titles carry units (or "dimensionless"), log axes are used where values span decades.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from . import theme

ATOM_HEADROOM = 1.3
"""With point masses on a density chart, the y axis ends 30% above the density's peak."""


def _drawable(frame: pd.DataFrame, columns, *, positive: bool = False) -> np.ndarray:
    """Mask of rows whose ``columns`` are all finite (and > 0 when ``positive``)."""
    ok = np.ones(len(frame), dtype=bool)
    for c in columns:
        v = frame[c].to_numpy(dtype=np.float64, na_value=np.nan)
        ok &= np.isfinite(v)
        if positive:
            with np.errstate(invalid="ignore"):
                ok &= v > 0
    return ok


def _note_dropped(fig: go.Figure, dropped: int, why: str) -> None:
    if dropped:
        fig.add_annotation(text=f"{dropped} value{'s' if dropped != 1 else ''} not drawn ({why})",
                           xref="paper", yref="paper", x=1.0, y=1.0, xanchor="right", yanchor="top",
                           showarrow=False, font=dict(size=theme.FONT_SIZE - 2),
                           bgcolor="rgba(255,255,255,0.85)")


def _name(group: str, role: str, groups: list[str]) -> str:
    """Legend text: the role alone for a single series, else "group (role)"."""
    return role if len(groups) == 1 else f"{group} ({role})"


LEGEND_PLOT_PX = 330
"""Narrowest plot area a legend must fit (a half-width chart): sets the rows reserved for it."""
LEGEND_CHAR_PX = 8.6
LEGEND_SYMBOL_PX = 44


def _legend_rows(fig: go.Figure) -> int:
    """Rows the horizontal legend above the plot needs in a half-width chart (its title counts)."""
    names = [t.name or "" for t in fig.data if t.showlegend is not False]
    if not names:
        return 0
    width = sum(len(n) * LEGEND_CHAR_PX + LEGEND_SYMBOL_PX for n in names)
    return -(-int(width) // LEGEND_PLOT_PX) + (1 if fig.layout.legend.title.text else 0)


def _mark(fig: go.Figure, x: float, label: str, *, color: str, log_x: bool, dash: str, width: float,
          where: str) -> None:
    """A vertical line at data value ``x`` with a label (annotations on a log axis take log10(x))."""
    fig.add_vline(x=x, line=dict(color=color, width=width, dash=dash))
    if label:
        fig.add_annotation(x=np.log10(x) if log_x and x > 0 else x, xref="x", yref="paper",
                           y=1.0 if where == "top" else 0.0, yanchor="top" if where == "top" else "bottom",
                           xanchor="left", text=label, showarrow=False, font=dict(size=theme.FONT_SIZE - 2),
                           bgcolor="rgba(255,255,255,0.8)")


def _groups(*frames: pd.DataFrame | None) -> list[str]:
    """Series names in order of first appearance across the frames (colour assignment)."""
    seen: dict[str, None] = {}
    for f in frames:
        if f is not None and len(f):
            seen.update(dict.fromkeys(f["group"].astype(str)))
    return list(seen)


def fig_density(hist: pd.DataFrame, theory: pd.DataFrame | None = None, *, x_title: str,
                y_title: str = "probability density", atoms: pd.DataFrame | None = None,
                title: str | None = None, log_y: bool = False, sampled: str = "sampled",
                exact: str = "exact", height: int = 440) -> go.Figure:
    """Pre-binned histograms (bars, ``group, left, right, density``) with exact densities
    (lines, ``group, x, density``) and point masses (``group, x, mass``, drawn as stems)."""
    fig = go.Figure()
    groups = _groups(hist, theory, atoms)
    dropped = 0
    for i, g in enumerate(groups):
        c = theme.color(i)
        h = hist[hist["group"].astype(str) == g]
        ok = _drawable(h, ["left", "right", "density"], positive=log_y)
        dropped += int((~ok).sum())
        h = h[ok]
        if len(h):
            fig.add_bar(x=(0.5 * (h["left"] + h["right"])).to_numpy(), y=h["density"].to_numpy(),
                        width=(h["right"] - h["left"]).to_numpy(), name=_name(g, sampled, groups),
                        legendgroup=g, marker=dict(color=c, opacity=theme.BAR_OPACITY, line=dict(width=0)))
        if theory is not None:
            t = theory[theory["group"].astype(str) == g]
            ok = _drawable(t, ["x", "density"], positive=log_y)
            dropped += int((~ok).sum())
            t = t[ok]
            if len(t):
                fig.add_scatter(x=t["x"].to_numpy(), y=t["density"].to_numpy(), mode="lines",
                                name=_name(g, exact, groups), legendgroup=g,
                                line=dict(color=c, width=theme.LINE_WIDTH, dash=theme.THEORY_DASH))
        if atoms is not None:
            for _, a in atoms[atoms["group"].astype(str) == g].iterrows():
                if not (np.isfinite(a["x"]) and np.isfinite(a["mass"])):
                    dropped += 1
                    continue
                _mark(fig, float(a["x"]), f"atom: mass {a['mass']:.3g} at {a['x']:.3g}", color=c,
                      log_x=False, dash="dot", width=theme.LINE_WIDTH, where="top")
    _note_dropped(fig, dropped, "not finite" + (" or ≤ 0 on a log axis" if log_y else ""))
    fig.update_layout(barmode="overlay")
    if atoms is not None and len(atoms) and theory is not None and not log_y:
        # a point mass makes its bin's bar arbitrarily tall: scale the axis to the density instead
        top = theory["density"].to_numpy(dtype=np.float64)
        top = top[np.isfinite(top)]
        if top.size and top.max() > 0:
            fig.update_yaxes(range=[0.0, ATOM_HEADROOM * float(top.max())])
    return theme.layout(fig, x_title=x_title, y_title=y_title, title=title, log_y=log_y, height=height,
                        legend_rows=_legend_rows(fig))


def fig_curves(table: pd.DataFrame, theory: pd.DataFrame | None = None, *, x: str, y: str,
               x_title: str, y_title: str, lo: str | None = None, hi: str | None = None,
               title: str | None = None, log_x: bool = False, log_y: bool = False,
               measured: str = "measured", predicted: str = "theory", mark_x: float | None = None,
               mark_label: str = "", lines: bool = False, height: int = 440) -> go.Figure:
    """Measured points per ``group`` (markers, with a band from ``lo`` to ``hi`` as error bars)
    and the theory for the same groups (lines, ``group, <x>, <y>``), paired by colour and legend
    group: with several groups, one legend entry per group (its theory toggles with it) and the
    legend's title says which mark is which; with one group, the entries are ``measured`` and
    ``predicted``. ``lines=True`` joins the measured points too (per-layer curves)."""
    fig = go.Figure()
    groups = _groups(table, theory)
    multi = len(groups) > 1
    dropped = 0
    band = [c for c in (lo, hi) if c]
    for i, g in enumerate(groups):
        c = theme.color(i)
        m = table[table["group"].astype(str) == g]
        ok = _drawable(m, [x, y, *band], positive=log_y) & _drawable(m, [x], positive=log_x)
        dropped += int((~ok).sum())
        m = m[ok]
        if len(m):
            err = None
            if lo and hi:
                yv = m[y].to_numpy(dtype=np.float64)
                err = dict(type="data", symmetric=False, array=np.maximum(m[hi].to_numpy(float) - yv, 0),
                           arrayminus=np.maximum(yv - m[lo].to_numpy(float), 0), color=c, thickness=1.5)
            fig.add_scatter(x=m[x].to_numpy(), y=m[y].to_numpy(), mode="lines+markers" if lines else "markers",
                            name=g if multi else measured, legendgroup=g, error_y=err,
                            marker=dict(color=c, size=theme.MARKER_SIZE, symbol="circle"),
                            line=dict(color=c, width=1.5))
        if theory is not None:
            t = theory[theory["group"].astype(str) == g]
            ok = _drawable(t, [x, y], positive=log_y) & _drawable(t, [x], positive=log_x)
            dropped += int((~ok).sum())
            t = t[ok]
            if len(t):
                fig.add_scatter(x=t[x].to_numpy(), y=t[y].to_numpy(), mode="lines",
                                name=f"{g} ({predicted})" if multi else predicted, legendgroup=g,
                                showlegend=not (multi and len(m)),
                                line=dict(color=c, width=theme.LINE_WIDTH, dash=theme.THEORY_DASH))
    if theory is not None and multi:
        fig.update_layout(legend_title_text=f"markers: {measured} · lines: {predicted}")
    if mark_x is not None:
        _mark(fig, mark_x, mark_label, color=theme.INK, log_x=log_x, dash="dash", width=1.5, where="bottom")
    _note_dropped(fig, dropped, "not finite" + (" or ≤ 0 on a log axis" if (log_x or log_y) else ""))
    return theme.layout(fig, x_title=x_title, y_title=y_title, title=title, log_x=log_x, log_y=log_y,
                        height=height, legend_rows=_legend_rows(fig))


def fig_heatmaps(table: pd.DataFrame, *, panels: list[str] | None = None, title: str | None = None,
                 value_title: str = "value", height: int = 460) -> go.Figure:
    """Matrices side by side (long table ``panel, row, col, value``) on one shared, diverging,
    zero-centred colour scale; rows run downwards as in a printed matrix."""
    panels = panels or list(dict.fromkeys(table["panel"].astype(str)))
    fig = make_subplots(rows=1, cols=len(panels), subplot_titles=panels, horizontal_spacing=0.08)
    finite = _drawable(table, ["value"])
    vmax = float(np.abs(table["value"].to_numpy(float)[finite]).max()) if finite.any() else 1.0
    for j, p in enumerate(panels, start=1):
        sub = table[table["panel"].astype(str) == p]
        grid = sub.pivot(index="row", columns="col", values="value").sort_index().sort_index(axis=1)
        z = grid.to_numpy(dtype=np.float64)
        z = np.where(np.isfinite(z), z, None)  # a gap, never a garbage colour
        fig.add_heatmap(z=z, x=grid.columns.to_numpy(), y=grid.index.to_numpy(), coloraxis="coloraxis",
                        name=p, hovertemplate="row %{y}, col %{x}: %{z:.4f}<extra>" + p + "</extra>",
                        row=1, col=j)
        fig.update_yaxes(autorange="reversed", scaleanchor=f"x{j if j > 1 else ''}", constrain="domain",
                         row=1, col=j)
        fig.update_xaxes(constrain="domain", row=1, col=j)
    _note_dropped(fig, int((~finite).sum()), "not finite")
    fig.update_layout(template=theme.TEMPLATE, height=height, title_text=title,
                      coloraxis=dict(colorscale=theme.DIVERGING, cmin=-vmax, cmax=vmax,
                                     colorbar=dict(title=dict(text=value_title))))
    fig.update_xaxes(title_text="column j")
    fig.update_yaxes(title_text="row i", col=1)
    return fig
