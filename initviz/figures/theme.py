"""The plotly templates of initviz: readable on a slide, colour-blind safe, paired theory/measurement.

* Palette: Okabe & Ito (2008), "Color Universal Design" — distinguishable under the common colour
  vision deficiencies. Yellow is left out (too faint on white); black is the last resort.
* Sizes: 16 px body text, 18 px axis titles, 20 px titles, so a chart exported at its on-screen
  size stays legible when a slide shows it at half width.
* Pairing: a measurement (markers, bars) and its theory (a line) share colour and ``legendgroup``;
  theory is drawn solid on top, measurement as markers or translucent bars beneath.
* Maths in titles is Unicode (θ, ‖Wx‖, WᵀW, λ), because the app's plotly renderer has no MathJax.
* Light and dark: builders draw on :data:`TEMPLATE` (light paper), and every stored chart and export
  stays so; a screen in dark mode shows :func:`on_dark` of it — :data:`DARK_TEMPLATE` and the ink
  colours builders name (:data:`INK`, the palette's black, :data:`PAPER`, :data:`MUTED`) swapped by
  :data:`DARK_COLORS`. The data colours (palette, colour scales) are the same in both, so a value has
  one colour everywhere: the palette's hues keep ≥ 3:1 contrast on the dark paper, and a heatmap
  fills its plot, so its colours are read against each other and its colour bar, not the page.
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
PAPER = "white"
MUTED = "#555555"
"""Secondary text (the export caption)."""
NOTE_BG = "rgba(255,255,255,0.85)"
"""Behind an annotation (template default): a note stays readable over the lines it crosses."""
DARK_INK = "#E6E8EB"
DARK_PAPER = "#0E1117"
"""The app's dark background (``.streamlit/config.toml``, ``[theme.dark]``): a chart is part of the page."""
DARK_GRID = "#343a46"
DARK_MUTED = "#A3A9B2"
DARK_NOTE_BG = "rgba(14,17,23,0.85)"

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
"""Okabe–Ito: blue, vermillion, bluish green, reddish purple, orange, sky blue, black."""
THEORY_DASH = "solid"
BAR_OPACITY = 0.45
MARKER_SIZE = 9
LINE_WIDTH = 3
TITLE_PX = 50
"""Room for a chart title above the legend."""
LEGEND_ROW_PX = 28
"""Height of one row of legend (or of a line of its title), with the rows' spacing."""
GAP_PX = 12
DECADES_FOR_POWERS = 1.5
"""A log axis spanning more decades than this is labelled at powers of ten only (minor ticks between)."""

SEQUENTIAL = "Cividis"
"""Colour scale for magnitudes (perceptually uniform, colour-blind safe)."""
DIVERGING = [[0.0, "#0072B2"], [0.5, "#f7f7f7"], [1.0, "#D55E00"]]
"""Colour scale for signed values centred on 0: Okabe–Ito blue, white, vermillion."""



def _template(*, ink: str, paper: str, grid: str, note_bg: str, colorway: tuple[str, ...]) -> go.layout.Template:
    """The template with these colours (the rest — fonts, sizes, margins, axes — shared)."""
    axis = dict(showline=True, linecolor=ink, linewidth=1.5, ticks="outside", gridcolor=grid,
                zeroline=False, title=dict(font=dict(size=AXIS_TITLE_SIZE)), automargin=True,
                exponentformat="power")
    return go.layout.Template(
        layout=go.Layout(
            font=dict(family=FONT, size=FONT_SIZE, color=ink),
            title=dict(font=dict(size=TITLE_SIZE), x=0.0, xanchor="left", pad=dict(l=GAP_PX, t=GAP_PX)),
            colorway=list(colorway),
            paper_bgcolor=paper,
            plot_bgcolor=paper,
            margin=dict(l=80, r=30, t=70, b=70),
            legend=dict(font=dict(size=FONT_SIZE - 1), title=dict(side="top", font=dict(size=FONT_SIZE - 2))),
            hoverlabel=dict(font=dict(family=FONT, size=FONT_SIZE - 2)),
            xaxis=axis,
            yaxis=axis,
            annotationdefaults=dict(bgcolor=note_bg),
            bargap=0.0,
            modebar=dict(orientation="v"),  # upright at the right edge, not across the title (phones)
        )
    )


TEMPLATE = _template(ink=INK, paper=PAPER, grid=GRID, note_bg=NOTE_BG, colorway=PALETTE)
TEMPLATE_SPEC = TEMPLATE.to_plotly_json()
"""The template as the plain dict a figure spec carries (validated once, here)."""
DARK_COLORS = {INK: DARK_INK, PALETTE[-1]: DARK_INK, PAPER: DARK_PAPER, MUTED: DARK_MUTED}
"""Light colour → dark one, for the colours builders name that are ink or paper, not data."""
DARK_TEMPLATE = _template(ink=DARK_INK, paper=DARK_PAPER, grid=DARK_GRID, note_bg=DARK_NOTE_BG,
                          colorway=tuple(DARK_COLORS.get(c, c) for c in PALETTE))
DARK_TEMPLATE_SPEC = DARK_TEMPLATE.to_plotly_json()


SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "triangle-down", "star")
"""Marker shape of the i-th series, with its colour: series stay apart without colour (print, colour blindness)."""
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "5px,2px")
"""Line style of the i-th series' measured curve."""


def color(i: int) -> str:
    """The i-th palette colour (cycling)."""
    return PALETTE[i % len(PALETTE)]


def symbol(i: int) -> str:
    return SYMBOLS[i % len(SYMBOLS)]


def dash(i: int) -> str:
    return DASHES[i % len(DASHES)]


# --- figure specs ----------------------------------------------------------------------------------
# Builders assemble a figure as plain dicts (traces, shapes, annotations, layout) and wrap them in
# one ``go.Figure`` at the end, instead of re-resolving the layout on every ``update_layout``/``add_*``
# call. Plotly's property validation of a finished spec (~2 ms a chart, the template most of it) is
# skipped here — ``_validate=False``, the constructor's own switch, with plotly pinned in
# requirements.txt — and done by the tests instead: ``validate`` on every builder's output and on
# every chart every page of the app draws (tests/test_figures_*.py, tests/test_app_*.py). Together
# this makes a chart ~40× cheaper to build, which was most of the cost of a rerun.

def figure(data: list[dict], layout: dict) -> go.Figure:
    """The figure of a spec: ``data`` (trace dicts with ``type``) and ``layout`` (the template added)."""
    return go.Figure({"data": data, "layout": {"template": TEMPLATE_SPEC, **layout}}, _validate=False)


def validate(spec: dict) -> go.Figure:
    """The spec (a figure's ``to_dict()`` or its JSON decoded) checked by plotly: raises
    ``ValueError`` naming the first invalid property."""
    return go.Figure(spec)


def title_layout(title: str | None, rows: int) -> dict:
    """Layout entries for the title at the very top and ``rows`` rows of legend or panel titles
    between it and the plot."""
    out = {"margin": {"t": (TITLE_PX if title else GAP_PX) + rows * LEGEND_ROW_PX}}
    if title:
        out["title"] = {"text": title, "yref": "container", "y": 1.0, "yanchor": "top",
                        "pad": {"t": GAP_PX, "l": GAP_PX}}
    return out


def layout(*, x_title: str, y_title: str, title: str | None = None, height: int = 440, legend_rows: int = 0,
           data: list[dict] = (), log_x: bool = False, log_y: bool = False) -> dict:
    """Layout of a single-panel chart: axis titles (with units), the title and ``legend_rows`` rows
    of horizontal legend above the plot, and log axes labelled from the values of ``data``."""
    out = title_layout(title, legend_rows)
    out["height"] = height + legend_rows * LEGEND_ROW_PX
    out["legend"] = {"orientation": "h", "traceorder": "normal", "yanchor": "bottom", "y": 1.0,
                     "xanchor": "left", "x": 0.0}
    for axis, log in (("x", log_x), ("y", log_y)):
        out[f"{axis}axis"] = {"title": {"text": x_title if axis == "x" else y_title},
                              **(log_axis(data, axis) if log else {})}
    return out


def log_axis(data: list[dict], axis: str) -> dict:
    """A log axis; labelled at powers of ten only when the traces' values on ``axis`` span more than
    DECADES_FOR_POWERS decades."""
    values = [np.asarray(t[axis], dtype=np.float64).ravel() for t in data if t.get(axis) is not None]
    v = np.concatenate(values) if values else np.array([])
    v = v[np.isfinite(v) & (v > 0)]
    out = {"type": "log"}
    if v.size and np.log10(v.max()) - np.log10(v.min()) > DECADES_FOR_POWERS:  # the ratio may overflow
        out.update(dtick=1, minor={"ticks": "outside", "ticklen": 4, "showgrid": False})
    return out


def panels(count: int, spacing: float, titles: list[str], *, shared_y: bool = False) -> dict:
    """Layout of ``count`` side-by-side panels (what ``make_subplots(rows=1, cols=count)`` makes):
    axes ``xaxis``, ``xaxis2``, … with equal domains ``spacing`` apart, and each panel's title above
    it. Trace ``j`` (1-based) goes on axes :func:`axis_ids` ``(j)``."""
    width = (1.0 - spacing * (count - 1)) / count
    out: dict = {"annotations": []}
    for j in range(1, count + 1):
        x, y = axis_ids(j)
        lo = (j - 1) * (width + spacing)
        suffix = "" if j == 1 else str(j)
        out[f"xaxis{suffix}"] = {"anchor": y, "domain": [lo, lo + width]}
        out[f"yaxis{suffix}"] = {"anchor": x, "domain": [0.0, 1.0],
                                 **({"matches": "y", "showticklabels": False} if shared_y and j > 1 else {})}
        out["annotations"].append({"text": titles[j - 1], "x": lo + width / 2, "y": 1.0, "xref": "paper",
                                   "yref": "paper", "xanchor": "center", "yanchor": "bottom",
                                   "showarrow": False, "font": {"size": FONT_SIZE}})
    return out


def axis_ids(j: int) -> tuple[str, str]:
    """The x and y axis ids of panel ``j`` (1-based): ("x", "y"), ("x2", "y2"), …"""
    return ("x", "y") if j == 1 else (f"x{j}", f"y{j}")


def vline(x: float, line: dict, panel: int = 1) -> dict:
    """A vertical line at data value ``x`` across the whole height of panel ``panel``."""
    xref, yref = axis_ids(panel)
    return {"type": "line", "x0": x, "x1": x, "xref": xref, "y0": 0, "y1": 1, "yref": f"{yref} domain", "line": line}


def hline(y: float, line: dict, panel: int = 1) -> dict:
    """A horizontal line at data value ``y`` across the whole width of panel ``panel``."""
    xref, yref = axis_ids(panel)
    return {"type": "line", "x0": 0, "x1": 1, "xref": f"{xref} domain", "y0": y, "y1": y, "yref": yref, "line": line}


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
PLAIN_RANGE = (1e-3, 1e5)
"""Numbers with a magnitude in this range are written plainly; others as m × 10ᵏ."""


def number(x: float, digits: int = 4) -> str:
    """``x`` to ``digits`` significant digits as a reader writes it: ``0.0123``, ``8.453 × 10²⁷⁰``,
    ``∞``, and ``—`` where it is undefined (NaN) — never ``8.453e+270``."""
    x = float(x)
    if x != x:
        return "—"
    if x in (float("inf"), float("-inf")):
        return "∞" if x > 0 else "−∞"
    x = float(f"{x:.{digits}g}")  # rounded first: 99999.7 is 1 × 10⁵
    if x == 0 or PLAIN_RANGE[0] <= abs(x) < PLAIN_RANGE[1]:
        text = f"{x:.{digits}g}"
        return f"{x:.0f}" if "e" in text else text  # 12345.6 → 12350, not 1.235e+04
    mantissa, exponent = f"{x:.{digits - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa} × 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def on_dark(spec: dict) -> dict:
    """Figure ``spec`` (plotly's dict form, drawn on :data:`TEMPLATE`) as a dark screen shows it: a
    copy with :data:`DARK_TEMPLATE` and each ``…color`` property whose value :data:`DARK_COLORS` names
    swapped (in the layout, its annotations and shapes, and the traces); ``spec`` is left as it is."""
    layout = _dark({k: v for k, v in spec.get("layout", {}).items() if k != "template"})
    layout["template"] = DARK_TEMPLATE_SPEC
    return {**spec, "data": [_dark(trace) for trace in spec.get("data", ())], "layout": layout}


def _dark(node: dict) -> dict:
    """A copy of ``node`` with :data:`DARK_COLORS` applied to its ``…color`` strings, recursing into
    nested dicts and lists of dicts (data arrays, lists of numbers, are not walked)."""
    out = {}
    for key, value in node.items():
        if isinstance(value, dict):
            value = _dark(value)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            value = [_dark(v) if isinstance(v, dict) else v for v in value]
        elif isinstance(value, str) and key.endswith("color"):
            value = DARK_COLORS.get(value, value)
        out[key] = value
    return out
