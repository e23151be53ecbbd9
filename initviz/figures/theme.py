"""The one plotly template of initviz: readable on a slide, colour-blind safe, paired theory/measurement.

* Palette: Okabe & Ito (2008), "Color Universal Design" — distinguishable under the common colour
  vision deficiencies. Yellow is left out (too faint on white); black is the last resort.
* Sizes: 16 px body text, 18 px axis titles, 20 px titles, so a chart exported at its on-screen
  size stays legible when a slide shows it at half width.
* Pairing: a measurement (markers, bars) and its theory (a line) share colour and ``legendgroup``;
  theory is drawn solid on top, measurement as markers or translucent bars beneath.
* Maths in titles is Unicode (θ, ‖Wx‖, WᵀW, λ), because the app's plotly renderer has no MathJax.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

FONT = "Arial, Helvetica, sans-serif"
"""Fonts every SVG viewer has, so exported charts look the same everywhere."""
FONT_SIZE = 16
AXIS_TITLE_SIZE = 18
TITLE_SIZE = 20
INK = "#222222"
GRID = "#e3e3e3"

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
"""Okabe–Ito: blue, vermillion, bluish green, reddish purple, orange, sky blue, black."""
THEORY_DASH = "solid"
BAR_OPACITY = 0.45
MARKER_SIZE = 9
LINE_WIDTH = 3
TITLE_PX = 50
"""Room for a chart title above the legend."""
LEGEND_ROW_PX = 26
"""Height of one row of legend."""
GAP_PX = 12
DECADES_FOR_POWERS = 1.5
"""A log axis spanning more decades than this is labelled at powers of ten only (minor ticks between)."""

SEQUENTIAL = "Cividis"
"""Colour scale for magnitudes (perceptually uniform, colour-blind safe)."""
DIVERGING = [[0.0, "#0072B2"], [0.5, "#f7f7f7"], [1.0, "#D55E00"]]
"""Colour scale for signed values centred on 0: Okabe–Ito blue, white, vermillion."""

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font=dict(family=FONT, size=FONT_SIZE, color=INK),
        title=dict(font=dict(size=TITLE_SIZE), x=0.0, xanchor="left"),
        colorway=list(PALETTE),
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin=dict(l=80, r=30, t=70, b=70),
        legend=dict(font=dict(size=FONT_SIZE - 1), title=dict(side="top", font=dict(size=FONT_SIZE - 2))),
        hoverlabel=dict(font=dict(family=FONT, size=FONT_SIZE - 2)),
        xaxis=dict(showline=True, linecolor=INK, linewidth=1.5, ticks="outside", gridcolor=GRID,
                   zeroline=False, title=dict(font=dict(size=AXIS_TITLE_SIZE)), automargin=True,
                   exponentformat="power"),
        yaxis=dict(showline=True, linecolor=INK, linewidth=1.5, ticks="outside", gridcolor=GRID,
                   zeroline=False, title=dict(font=dict(size=AXIS_TITLE_SIZE)), automargin=True,
                   exponentformat="power"),
        bargap=0.0,
    )
)


def color(i: int) -> str:
    """The i-th palette colour (cycling)."""
    return PALETTE[i % len(PALETTE)]


def layout(fig: go.Figure, *, x_title: str, y_title: str, title: str | None = None,
           log_x: bool = False, log_y: bool = False, height: int = 440, legend_rows: int = 0) -> go.Figure:
    """Apply the template, axis titles (with units) and log axes to ``fig``; make room above the
    plot for the title and ``legend_rows`` rows of legend. Returns ``fig``."""
    fig.update_layout(template=TEMPLATE, title_text=title or None, xaxis_title_text=x_title,
                      yaxis_title_text=y_title,
                      margin_t=(TITLE_PX if title else GAP_PX) + legend_rows * LEGEND_ROW_PX,
                      height=height + legend_rows * LEGEND_ROW_PX)
    if title:  # the title at the very top, the legend between it and the plot
        fig.update_layout(title=dict(yref="container", y=1.0, yanchor="top", pad=dict(t=GAP_PX)))
    fig.update_layout(legend=dict(orientation="h", traceorder="normal", yanchor="bottom", y=1.02, xanchor="left",
                                  x=0.0))
    for log, axes in ((log_x, "x"), (log_y, "y")):
        if log:
            _log_axis(fig, axes)
    return fig


def _log_axis(fig: go.Figure, axis: str) -> None:
    """A log axis; labelled at powers of ten only when the data span more than DECADES_FOR_POWERS."""
    values = []
    for trace in fig.data:
        v = getattr(trace, axis, None)
        if v is not None:
            v = np.asarray(v, dtype=object)
            values.append(np.array([float(e) for e in v.ravel() if e is not None], dtype=float))
    v = np.concatenate(values) if values else np.array([])
    v = v[np.isfinite(v) & (v > 0)]
    update = fig.update_xaxes if axis == "x" else fig.update_yaxes
    update(type="log")
    if v.size and np.log10(v.max() / v.min()) > DECADES_FOR_POWERS:
        update(dtick=1, minor=dict(ticks="outside", ticklen=4, showgrid=False))
