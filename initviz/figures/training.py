"""Figures of training: losses and accuracy over steps per init scheme, with the loss of chance (or
of the best constant predictor) drawn and labelled, and per-layer diagnostics over steps.

Tidy tables (built here from the frames of ``TrainingResult.to_frame()`` / ``layer_frame()``, keyed by
a series name — one per compared scheme; only finite numbers ever enter a table):

* over seeds: ``group, step, median, q25, q75`` — :func:`seed_table` (a column of ``to_frame()``);
* per layer over seeds: ``group, layer, step, median, q25, q75`` — :func:`layer_table`;
* histograms of one layer and seed: ``group, step, bin_lo, bin_hi, count, density`` —
  :func:`histogram_table` (of ``histogram_frame()``).

Every chart gives series i the i-th palette colour, the i-th dash and the i-th marker symbol
(:data:`DASHES`, :data:`SYMBOLS`), so a scheme keeps its look across the page and series that
coincide (zeros and a constant init, say) stay visible under each other.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from . import theme
from .charts import _groups, _legend_rows, columns_by_group, note_dropped
from .tables import text_column

DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star")
BAND_ALPHA = 0.18
"""Opacity of an interquartile band."""
GUIDE_UPDATE_DATA = -3.0
"""The usual guide for log₁₀(lr·std(∂L/∂W)/std(W)) (Karpathy, makemore part 3)."""
QUANTILES = (0.25, 0.5, 0.75)


def style(i: int) -> dict:
    """Colour, dash and marker symbol of series ``i``."""
    return {"color": theme.color(i), "dash": DASHES[i % len(DASHES)], "symbol": SYMBOLS[i % len(SYMBOLS)]}


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[k:k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


# --- tables ----------------------------------------------------------------------------------------

def _quantiles(frame: pd.DataFrame, keys: list[str], column: str) -> pd.DataFrame:
    """Median and quartiles of ``column`` over seeds for each ``keys`` (finite values only)."""
    finite = frame[np.isfinite(frame[column].to_numpy(dtype=np.float64))]
    if not len(finite):
        return pd.DataFrame(columns=[*keys, "median", "q25", "q75"])
    q = finite.groupby(keys, sort=True)[column].quantile(list(QUANTILES)).unstack()
    q.columns = ["q25", "median", "q75"]
    return q.reset_index()[[*keys, "median", "q25", "q75"]]


def _stack(parts: Mapping[str, pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    parts = {g: p for g, p in parts.items() if len(p)}
    if not parts:
        return pd.DataFrame({c: [] for c in ["group", *columns]})
    out = pd.concat([p.assign(group=g) for g, p in parts.items()], ignore_index=True)
    out["group"] = text_column(out["group"].to_numpy(dtype=object))
    return out[["group", *columns]]


def seed_table(frames: Mapping[str, pd.DataFrame], column: str) -> pd.DataFrame:
    """``group, step, median, q25, q75`` of ``column`` (``train_loss``, ``test_loss``,
    ``test_accuracy``) over the seeds of each series' ``to_frame()``; steps where no seed has a finite
    value are left out."""
    return _stack({g: _quantiles(f, ["step"], column) for g, f in frames.items()},
                  ["step", "median", "q25", "q75"])


def layer_table(frames: Mapping[str, pd.DataFrame], stat: str, layer: int = 0) -> pd.DataFrame:
    """``group, layer, step, median, q25, q75`` of a per-layer statistic over the seeds of each
    series' ``layer_frame()``; ``layer`` 0 keeps every layer."""
    return _stack({g: _quantiles(f if not layer else f[f["layer"] == layer], ["layer", "step"], stat)
                   for g, f in frames.items()}, ["layer", "step", "median", "q25", "q75"])


def histogram_table(frames: Mapping[str, pd.DataFrame], layer: int, seed: int = 0) -> pd.DataFrame:
    """``group, step, bin_lo, bin_hi, count, density`` of one ``layer`` and ``seed`` of each series'
    ``histogram_frame()`` (the steps it reached)."""
    return _stack({g: f[(f["layer"] == layer) & (f["seed"] == seed)].drop(columns=["seed", "layer"])
                   for g, f in frames.items()}, ["step", "bin_lo", "bin_hi", "count", "density"])


# --- figures ---------------------------------------------------------------------------------------

def _band(x, lo, hi, color: str, group: str) -> list[dict]:
    """An interquartile band: the upper edge (invisible), then the lower edge filled up to it."""
    common = {"type": "scatter", "mode": "lines", "legendgroup": group, "showlegend": False, "hoverinfo": "skip",
              "line": {"width": 0, "color": color}}
    return [{**common, "x": x, "y": hi},
            {**common, "x": x, "y": lo, "fill": "tonexty", "fillcolor": _rgba(color, BAND_ALPHA)}]


def _kept(cols: dict, columns: list[str], positive: bool) -> tuple[dict, int]:
    """The rows whose ``columns`` (values on y) are finite, and > 0 when ``positive``; and how many were not."""
    ok = np.ones(len(cols[columns[0]]), dtype=bool)
    for c in columns:
        v = cols[c].astype(np.float64)
        ok &= np.isfinite(v) & ((v > 0) if positive else True)
    return {c: v[ok] for c, v in cols.items()}, int(ok.size - ok.sum())


def _reference(y: float | None, label: str) -> tuple[list[dict], list[dict]]:
    """A labelled horizontal reference line (chance, the best constant, a guide)."""
    if y is None or not np.isfinite(y):
        return [], []
    line = theme.hline(y, {"color": theme.INK, "width": 1.5, "dash": "dash"})
    note = {"text": label, "x": 1.0, "xref": "x domain", "y": y, "yref": "y", "xanchor": "right", "yanchor": "bottom",
            "showarrow": False, "font": {"size": theme.FONT_SIZE - 2}}
    return [line], [note]


def fig_steps(table: pd.DataFrame, points: pd.DataFrame | None = None, *, y_title: str, title: str | None = None,
              log_y: bool = False, reference: float | None = None, reference_label: str = "",
              lines: str = "train", markers: str = "test", band: bool = True, height: int = 440) -> go.Figure:
    """Series over steps: ``table`` (``group, step, median, q25, q75``) as a line per group in its
    colour and dash with the interquartile band; ``points`` (the same columns, e.g. the test loss at
    the logged steps) as markers in its colour and symbol; a labelled dashed ``reference`` line.
    On a log axis, values ≤ 0 are left out (and counted in a note)."""
    groups = _groups(table, points)
    data, dropped = [], 0
    lined = columns_by_group(table, ["step", "median", "q25", "q75"])
    marked = columns_by_group(points, ["step", "median", "q25", "q75"])
    for i, g in enumerate(groups):
        s = style(i)
        if g in lined:
            m, lost = _kept(lined[g], ["median", "q25", "q75"], log_y)
            dropped += lost
            if len(m["step"]):
                if band and np.any(m["q75"] > m["q25"]):
                    data += _band(m["step"], m["q25"], m["q75"], s["color"], g)
                data.append({"type": "scatter", "mode": "lines", "x": m["step"], "y": m["median"], "name": g,
                             "legendgroup": g, "line": {"color": s["color"], "dash": s["dash"], "width": 2.5}})
        if g in marked:
            m, lost = _kept(marked[g], ["median"], log_y)
            dropped += lost
            if len(m["step"]):
                data.append({"type": "scatter", "mode": "markers", "x": m["step"], "y": m["median"],
                             "name": g if g not in lined else f"{g} ({markers})", "legendgroup": g,
                             "showlegend": g not in lined,
                             "marker": {"color": s["color"], "symbol": s["symbol"], "size": theme.MARKER_SIZE,
                                        "line": {"color": theme.PAPER, "width": 1}}})
    legend_title = None
    if points is not None and len(points) and len(table):
        legend_title = f"lines: {lines} (median{', band: interquartile over seeds' if band else ''}) · markers: {markers}"
    lay = theme.layout(x_title="step", y_title=y_title, title=title, log_y=log_y, height=height, data=data,
                       legend_rows=_legend_rows(data, legend_title))
    if legend_title:
        lay["legend"]["title"] = {"text": legend_title}
    shapes, notes = _reference(reference if not log_y or (reference or 0) > 0 else None, reference_label)
    lay.update(shapes=shapes, annotations=notes + note_dropped(dropped, "not finite" + (" or ≤ 0 on a log axis" if log_y else "")))
    return theme.figure(data, lay)


def fig_layer_steps(table: pd.DataFrame, *, y_title: str, title: str | None = None, log_y: bool = False,
                    reference: float | None = None, reference_label: str = "", height: int = 440,
                    labels: tuple[str, ...] = ()) -> go.Figure:
    """A per-layer statistic over steps (``group, layer, step, median, q25, q75``): one line per
    (group, layer), the group's colour and dash (one legend entry per group; the layer — ``labels[l − 1]``
    when given, else ``layer l`` — in the hover text, and its number at the line's end when several are
    drawn), and a labelled reference line."""
    groups = _groups(table)
    data, dropped = [], 0
    cols = columns_by_group(table, ["layer", "step", "median"])
    many = table["layer"].nunique() > 1 if len(table) else False
    for i, g in enumerate(groups):
        s = style(i)
        m, lost = _kept(cols[g], ["median"], log_y)
        dropped += lost
        for k, layer in enumerate(np.unique(m["layer"])):
            sel = m["layer"] == layer
            x, y = m["step"][sel], m["median"][sel]
            where = labels[int(layer) - 1] if labels else f"layer {int(layer)}"
            data.append({"type": "scatter", "mode": "lines+markers" if x.size < 3 else "lines", "x": x, "y": y,
                         "name": g, "legendgroup": g, "showlegend": k == 0,
                         "line": {"color": s["color"], "dash": s["dash"], "width": 2},
                         "marker": {"color": s["color"], "symbol": s["symbol"]},
                         "hovertemplate": f"{g} · {where}<br>step %{{x}}: %{{y:.4g}}<extra></extra>"})
            if many:
                data.append({"type": "scatter", "mode": "text", "x": x[-1:], "y": y[-1:], "text": [f"{int(layer)}"],
                             "textposition": "middle right", "legendgroup": g, "showlegend": False,
                             "hoverinfo": "skip", "textfont": {"color": s["color"], "size": theme.FONT_SIZE - 4}})
    lay = theme.layout(x_title="step", y_title=y_title, title=title, log_y=log_y, height=height, data=data,
                       legend_rows=_legend_rows(data))
    shapes, notes = _reference(reference, reference_label)
    lay.update(shapes=shapes, annotations=notes + note_dropped(dropped, "not finite" + (" or ≤ 0 on a log axis" if log_y else "")))
    return theme.figure(data, lay)


STEP_DASHES = ("dot", "solid", "dash", "dashdot")
"""Line dash of the i-th histogram step (step 0 dotted, the chosen step solid)."""
DASH_WORDS = {"dot": "dotted", "solid": "solid", "dash": "dashed", "dashdot": "dash-dotted"}
"""Each of :data:`STEP_DASHES` in words (a legend's title)."""


def fig_layer_profile(table: pd.DataFrame, labels: tuple[str, ...], *, y_title: str, title: str | None = None,
                      log_y: bool = False, reference: float | None = None, reference_label: str = "",
                      height: int = 440) -> go.Figure:
    """A per-layer statistic against the weight layer's index k = 1 … K at a few steps (``group,
    layer, step, median``; ``labels[k − 1]`` names layer k in the hover text): one line per (group,
    step), the group's colour (:func:`style`), dotted for the first step and solid for the next
    (:data:`STEP_DASHES`) — a network of many layers stays one line per scheme and step. The legend
    has one entry per group (its colour) under a title naming each step's dash."""
    groups = _groups(table)
    steps = sorted(int(s) for s in pd.unique(table["step"])) if len(table) else []
    dash = {step: STEP_DASHES[k % len(STEP_DASHES)] for k, step in enumerate(steps)}
    data, dropped = [], 0
    cols = columns_by_group(table, ["layer", "step", "median"])
    for i, g in enumerate(groups):
        color = style(i)["color"]
        m, lost = _kept(cols[g], ["median"], log_y)
        dropped += lost
        named = False  # the legend entry goes on the group's first drawn line (a diverged run has no last step)
        for k, step in enumerate(steps):
            sel = m["step"] == step
            x, y = m["layer"][sel].astype(int), m["median"][sel]
            shown, named = bool(len(x)) and not named, named or bool(len(x))
            data.append({"type": "scatter", "mode": "lines+markers", "x": x, "y": y, "name": g, "legendgroup": g,
                         "showlegend": shown, "text": [labels[j - 1] for j in x],
                         "line": {"color": color, "dash": dash[step], "width": 2 if k else 1.5},
                         "marker": {"color": color, "size": 4},
                         "hovertemplate": f"{g} · %{{text}} · step {step}: %{{y:.4g}}<extra></extra>"})
    legend_title = " · ".join(f"{DASH_WORDS[dash[step]]}: step {step}" for step in steps) or None
    lay = theme.layout(x_title=f"weight layer (1: {labels[0]}, {len(labels)}: {labels[-1]})" if labels else
                       "weight layer", y_title=y_title, title=title, log_y=log_y, height=height, data=data,
                       legend_rows=_legend_rows(data, legend_title))
    if legend_title:
        lay["legend"]["title"] = {"text": legend_title, "side": "top"}
    shapes, notes = _reference(reference, reference_label)
    lay.update(shapes=shapes, annotations=notes + note_dropped(dropped, "not finite" + (" or ≤ 0 on a log axis" if log_y else "")))
    return theme.figure(data, lay)


def fig_step_histograms(table: pd.DataFrame, *, x_title: str, title: str | None = None,
                        height: int = 400) -> go.Figure:
    """Histograms at a few steps (``group, step, bin_lo, bin_hi, density``), one panel per series with
    its own x range (schemes can differ by decades): each step a step curve in the series' colour
    (:func:`style`), dotted for the first step, solid for the next (:data:`STEP_DASHES`); the legend
    has one entry per step, drawn in ink (the colour is the panel's series)."""
    panels = _groups(table)
    lay = theme.panels(max(1, len(panels)), 0.06 if len(panels) > 1 else 0.0, panels or [""])
    steps = sorted(int(s) for s in pd.unique(table["step"])) if len(table) else []
    dash = {step: STEP_DASHES[k % len(STEP_DASHES)] for k, step in enumerate(steps)}
    data = [{"type": "scatter", "x": [None], "y": [None], "mode": "lines", "name": f"step {step}",
             "legendgroup": f"step {step}", "hoverinfo": "skip", "line": {"color": theme.INK, "dash": dash[step]}}
            for step in steps]
    for j, g in enumerate(panels, start=1):
        xa, ya = theme.axis_ids(j)
        color = style(j - 1)["color"]
        sub = table[table["group"] == g]
        for k, step in enumerate(steps):
            h = sub[sub["step"] == step]
            if not len(h):
                continue
            left, right, density = (h[c].to_numpy(float) for c in ("bin_lo", "bin_hi", "density"))
            data.append({"type": "scatter", "x": np.append(left, right[-1]), "y": np.append(density, density[-1]),
                         "mode": "lines", "name": f"{g} · step {step}", "legendgroup": f"step {step}",
                         "showlegend": False, "xaxis": xa, "yaxis": ya,
                         "line": {"shape": "hv", "color": color, "dash": dash[step], "width": 2 if k else 1.5},
                         "hovertemplate": f"{g} · step {step}<br>%{{x:.3g}}: density %{{y:.3g}}<extra></extra>"})
        lay[f"xaxis{'' if j == 1 else j}"]["title"] = {"text": x_title}
    lay["yaxis"]["title"] = {"text": "probability density"}
    lay["height"] = height
    lay.update(theme.title_layout(title, rows=2 if len(panels) > 1 else 1))
    return theme.figure(data, lay)


__all__ = ["seed_table", "layer_table", "histogram_table", "fig_steps", "fig_layer_steps", "fig_layer_profile",
           "fig_step_histograms",
           "style", "DASHES", "SYMBOLS", "STEP_DASHES", "DASH_WORDS", "GUIDE_UPDATE_DATA"]
