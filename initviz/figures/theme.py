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
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0.0,
                    font=dict(size=FONT_SIZE - 1)),
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
           log_x: bool = False, log_y: bool = False, height: int = 440) -> go.Figure:
    """Apply the template, axis titles (with units) and log axes to ``fig``; returns it."""
    fig.update_layout(template=TEMPLATE, height=height, title_text=title or None,
                      xaxis_title_text=x_title, yaxis_title_text=y_title)
    if log_x:
        fig.update_xaxes(type="log")
    if log_y:
        fig.update_yaxes(type="log")
    return fig
