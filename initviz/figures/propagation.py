"""Figures of signal propagation through depth: per-layer statistics with their mean-field theory,
histograms across depth, and the layer where a run overflowed or vanished.

Tidy tables (built here from :class:`initviz.propagation.PropagationResult` objects keyed by a
series name, e.g. one per compared init scheme; only finite numbers ever enter a table):

* layer statistic: ``group, layer, value[, lo, hi]`` — :func:`stat_table`, :func:`values_table`;
* fault: ``group, layer, kind, label`` — :func:`fault_table`;
* histogram across depth: ``group, layer, left, right, count, density`` — :func:`depth_hist_table`;
* deep linear Jacobian spectrum: ``group, depth, median, q05, q95, var_sq, theory_…`` — :func:`jacobian_table`.

Figures follow :mod:`initviz.figures.charts`: a series and its theory share colour and legend
group (the i-th series of the table gets the i-th palette colour in every chart, so one scheme
keeps one colour across the page); a fault is a dotted vertical line with a label at its layer,
never a run of garbage values.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..engine.run import STOPPED
from . import theme
from .charts import _groups, by_group, curves_spec
from .tables import text_column

LOG_SPAN = 10.0
"""An automatic log axis is used when the positive values span at least this factor (a decade)."""
MAX_LOG_LABELS = 8
"""A log axis over many decades is labelled at powers of ten, every ⌈decades / 8⌉ decades."""
FEW_DECADES = 3.0
"""Up to this many decades a log axis is labelled at 1-2-5 steps instead."""
FAULT_LABEL_STEP = 0.09
"""Labels of several faults are stacked this far apart (fraction of the plot height)."""
HIST_LAYERS = 5
"""Layers drawn as curves under the histogram heatmap (first, last and evenly spaced between)."""
HEATMAP_HEIGHT = 460


# --- tables ----------------------------------------------------------------------------------------

def stat_table(runs: Mapping[str, object], stat: str, band: str | None = None) -> pd.DataFrame:
    """One row per (series, layer) where ``stat`` was measured: the mean over seeds as ``value``.

    ``band="seeds"``: ``lo``/``hi`` = min/max of the statistic over seeds; ``band="samples"``: the
    min over seeds of its 5th percentile and the max of its 95th (``<stat>_p05``/``_p95``: the band
    covers samples and seeds), each from :meth:`~initviz.propagation.PropagationResult.over_seeds`.
    Layers with any non-finite number are left out.
    """
    parts = {}
    for group, res in runs.items():
        value = res.over_seeds(stat, "mean")
        columns = {"layer": np.arange(1, value.size + 1), "value": value}
        if band == "seeds":
            columns["lo"], columns["hi"] = res.over_seeds(stat, "min"), res.over_seeds(stat, "max")
        elif band == "samples":
            columns["lo"] = res.over_seeds(f"{stat}_p05", "min")
            columns["hi"] = res.over_seeds(f"{stat}_p95", "max")
        keep = np.isfinite(np.stack([v for k, v in columns.items() if k != "layer"])).all(axis=0)
        parts[group] = {k: v[keep] for k, v in columns.items()}
    return _long(parts, ["layer", "value", *(["lo", "hi"] if band else [])])


def values_table(values: Mapping[str, np.ndarray | None], upto: Mapping[str, int] | None = None) -> pd.DataFrame:
    """Per-layer values (e.g. a mean-field prediction) as ``group, layer, value``: layers 1..``upto[group]``
    (all when not given), finite values only; a series whose values are None is left out."""
    parts = {}
    for group, v in values.items():
        if v is None:
            continue
        v = np.asarray(v, dtype=np.float64)
        last = len(v) if upto is None else min(len(v), upto.get(group, len(v)))
        keep = np.isfinite(v[:last])
        parts[group] = {"layer": np.arange(1, last + 1)[keep], "value": v[:last][keep]}
    return _long(parts, ["layer", "value"])


def _long(parts: Mapping[str, Mapping[str, np.ndarray]], columns: list[str]) -> pd.DataFrame:
    """The tidy frame ``group, *columns`` of per-series column arrays, made in one go."""
    sizes = [len(cols[columns[0]]) for cols in parts.values()]
    data = {"group": text_column(np.repeat(np.array(list(parts), dtype=object), sizes))}
    for c in columns:
        data[c] = np.concatenate([cols[c] for cols in parts.values()]) if parts else np.array([])
    return pd.DataFrame(data)


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def fault_table(runs: Mapping[str, object], backward: bool = False) -> pd.DataFrame:
    """The layer where each series stopped: forward overflow (inf/NaN) or vanishing (every |a| below
    the dtype's smallest normal number), or with ``backward`` the same for the gradient, plus a
    deadline stop (or a stop asked: cancelled). Columns ``group, layer, kind, label``."""
    rows = []
    for group, res in runs.items():
        tiny = f"{float(np.finfo(res.dtype).tiny):.3g}"
        found = [("overflow", res.first_nonfinite_layer, f"overflow ({res.dtype}) at layer {{}}"),
                 ("vanished", res.first_vanished_layer, f"all |a| < {tiny} at layer {{}}")]
        if backward:
            found += [("grad_overflow", res.first_grad_nonfinite_layer, "gradient overflow at layer {}"),
                      ("grad_vanished", res.first_grad_vanished_layer, f"gradient < {tiny} at layer {{}}")]
        for kind, layer, text in found:
            if layer is not None:
                rows.append({"group": group, "layer": int(layer), "kind": kind, "label": text.format(layer)})
        if res.truncated:
            done = int(res.layers_done.min())
            why = "cancelled" if (res.reason or "").startswith(STOPPED) else "time limit"
            rows.append({"group": group, "layer": max(done, 1), "kind": "deadline",
                         "label": f"stopped after layer {done} ({why})"})
    frame = pd.DataFrame(rows, columns=["group", "layer", "kind", "label"])
    return frame.assign(group=text_column(frame["group"].to_numpy(dtype=object)))


def theory_fault_table(values: Mapping[str, np.ndarray | None], upto: Mapping[str, int] | None = None) -> pd.DataFrame:
    """The first layer (up to ``upto[group]``) where a prediction is beyond float64 (±∞): the theory
    did not fail there, its value is ∞ — drawn as a fault mark, like a measured overflow. Columns as
    :func:`fault_table`."""
    rows = []
    for group, v in values.items():
        if v is None:
            continue
        v = np.asarray(v, dtype=np.float64)[:None if upto is None else upto.get(group)]
        beyond = np.flatnonzero(np.isinf(v))
        if beyond.size:
            layer = int(beyond[0]) + 1
            rows.append({"group": group, "layer": layer, "kind": "theory_overflow",
                         "label": f"mean field ∞ (beyond float64) from layer {layer}"})
    return pd.DataFrame(rows, columns=["group", "layer", "kind", "label"])


def depth_hist_table(runs: Mapping[str, object], which: str = "act") -> pd.DataFrame:
    """Each series' pre-binned histograms across depth (first seed; ``which`` = ``"act"``,
    ``"preact"`` or ``"grad"``) as ``group, layer, left, right, count, density`` (density over all of the layer's
    values, including those outside the common range)."""
    frames = []
    for group, res in runs.items():
        frame = res.histogram_frame(which).rename(columns={"bin_lo": "left", "bin_hi": "right"})
        frame.insert(0, "group", text_column(np.full(len(frame), group, dtype=object)))
        frames.append(frame[np.isfinite(frame[["left", "right", "density"]].to_numpy(dtype=float)).all(axis=1)])
    return _concat(frames, ["group", "layer", "left", "right", "count", "density"])


def jacobian_table(spectra: Mapping[str, object]) -> pd.DataFrame:
    """Singular values of deep linear Jacobians (:class:`initviz.jacobian.JacobianSpectrum` per
    series) as ``group, depth, median, q05, q95, var_sq, theory_log10_sigma, theory_var_sq``:
    log10 σ quantiles and the spectral variance of σ², averaged over the repeats."""
    frames = []
    for group, spec in spectra.items():
        quantiles = spec.quantiles.mean(axis=0)  # (depths, 5): q05, q25, q50, q75, q95
        with np.errstate(over="ignore"):
            var_sq = (10.0 ** spec.log10_var_sq).mean(axis=0)
        frames.append(pd.DataFrame({"group": group, "depth": spec.depths, "median": quantiles[:, 2],
                                    "q05": quantiles[:, 0], "q95": quantiles[:, -1], "var_sq": var_sq,
                                    "theory_log10_sigma": spec.theory_log10_sigma,
                                    "theory_var_sq": spec.theory_var_sq}))
    return _concat(frames, ["group", "depth", "median", "q05", "q95", "var_sq", "theory_log10_sigma", "theory_var_sq"])


def block_spectrum_table(blocks, singular_values: np.ndarray) -> pd.DataFrame:
    """The singular values of residual blocks' Jacobians (:func:`initviz.block_jacobian.block_singular_values`:
    one row of n per block, descending) as ``group`` ("block l"), ``fraction`` = (k − ½)/n for the k-th
    largest, ``sigma``."""
    parts = {}
    for block, sv in zip(blocks, np.asarray(singular_values, dtype=np.float64)):
        parts[f"block {block}"] = {"fraction": (np.arange(sv.size) + 0.5) / sv.size, "sigma": sv}
    return _long(parts, ["fraction", "sigma"])


def pick_layers(depth: int, count: int = HIST_LAYERS) -> list[int]:
    """``count`` layers spread over 1..depth (first and last included), without repeats."""
    return sorted({int(round(x)) for x in np.linspace(1, depth, min(count, depth))})


# --- figures ----------------------------------------------------------------------------------------

def _positive_range(*columns) -> tuple[float, float] | None:
    """(min, max) of the values when every one is finite and > 0 (None otherwise, or when empty)."""
    values = np.concatenate([np.asarray(c, dtype=np.float64).ravel() for c in columns]) if columns else np.array([])
    if values.size == 0 or not np.all(np.isfinite(values)) or not np.all(values > 0):
        return None
    return float(values.min()), float(values.max())


def log_ticks(lo: float, hi: float) -> dict:
    """Tick settings of a log axis over [lo, hi], every label a plain value (plotly's own labels
    between powers of ten are bare mantissas — "2", "5" — that read as values): 1-2-5 steps up to
    ``FEW_DECADES``, powers of ten (one label every ⌈decades / MAX_LOG_LABELS⌉) beyond."""
    decades = math.log10(hi) - math.log10(lo)  # hi / lo may be beyond float64
    if decades > FEW_DECADES:
        return dict(dtick=max(1, math.ceil(decades / MAX_LOG_LABELS)), minor=dict(ticks="", showgrid=False))
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    steps = (1, 2, 5) if decades > 1 else (1, 1.5, 2, 3, 5, 7)
    values = [m * 10.0 ** k for k in range(first, last + 1) for m in steps]
    values = [v for v in values if lo / 1.5 <= v <= hi * 1.5]
    return dict(tickvals=values, ticktext=[f"{v:.3g}" for v in values], minor=dict(ticks="", showgrid=False))


def _colors(*frames: pd.DataFrame | None) -> dict[str, str]:
    """Series → palette colour, in the order :func:`initviz.figures.charts.fig_curves` assigns them."""
    return {g: theme.color(i) for i, g in enumerate(_groups(*frames))}


def mark_faults(faults: pd.DataFrame | None, colors: Mapping[str, str], *, depth: int,
                axis: str = "x") -> tuple[list[dict], list[dict]]:
    """(shapes, annotations): a dotted line at each fault's layer, in its series' colour, with the
    label beside it; labels are stacked so several faults stay readable. ``axis="y"`` draws
    horizontal lines (layer on y)."""
    shapes, notes = [], []
    if faults is None:
        return shapes, notes
    for k, (group, layer, label) in enumerate(zip(faults["group"], faults["layer"], faults["label"])):
        color = colors.get(group, theme.INK)
        line = {"color": color, "width": 2, "dash": "dot"}
        note = {"text": f"{group}: {label}", "showarrow": False,
                "font": {"color": color, "size": theme.FONT_SIZE - 2}}
        if axis == "x":
            shapes.append(theme.vline(layer, line))
            right = layer > depth / 2
            note.update(x=layer, y=1.0 - FAULT_LABEL_STEP * k, xref="x", yref="paper",
                        xanchor="right" if right else "left", yanchor="top", xshift=-4 if right else 4)
        else:
            shapes.append(theme.hline(layer, line))
            note.update(x=0.0, y=layer, xref="paper", yref="y", xanchor="left", yanchor="bottom")
        notes.append(note)
    return shapes, notes


def fig_layers(table: pd.DataFrame, theory: pd.DataFrame | None = None, *, y_title: str, depth: int,
               title: str | None = None, faults: pd.DataFrame | None = None, log_y: bool | None = None,
               measured: str = "measured", predicted: str = "mean field", height: int = 440,
               x_title: str = "layer l") -> go.Figure:
    """A per-layer statistic (``group, layer, value[, lo, hi]``; lines with markers, the band as
    error bars) with its theory (``group, layer, value``; solid lines) and fault marks.

    ``log_y``: None chooses a log axis when every value is positive and they span a decade; True
    asks for one whenever every value is positive; False never (and the axis includes 0). Zeros or
    negative values keep a linear axis rather than being dropped. The x axis always spans layers 1..``depth``.
    """
    band = "lo" in table.columns and "hi" in table.columns
    columns = [table["value"], *([table["lo"], table["hi"]] if band else [])]
    if theory is not None:
        columns.append(theory["value"])
    bounds = _positive_range(*columns)
    use_log = bounds is not None and (log_y is True or (log_y is None and bounds[1] >= LOG_SPAN * bounds[0]))
    data, lay = curves_spec(table, theory, x="layer", y="value", lo="lo" if band else None,
                            hi="hi" if band else None, x_title=x_title, y_title=y_title, title=title,
                            log_y=use_log, lines=True, measured=measured, predicted=predicted, height=height)
    lay["xaxis"]["range"] = [0.5, depth + 0.5] if depth > 1 else [0.5, 1.5]
    if use_log:
        lay["yaxis"].update(log_ticks(*bounds))
    if log_y is False:  # fractions, spreads, correlations: 0 is part of the story
        lay["yaxis"]["rangemode"] = "tozero"
    shapes, notes = mark_faults(faults, _colors(table, theory), depth=depth)
    lay["shapes"] += shapes
    lay["annotations"] += notes
    return theme.figure(data, lay)


def _panels(table: pd.DataFrame, groups: list[str] | None) -> list[str]:
    return groups or _groups(table)


def fig_depth_heatmap(hist: pd.DataFrame, *, x_title: str, depth: int, groups: list[str] | None = None,
                      title: str | None = None, faults: pd.DataFrame | None = None,
                      height: int = HEATMAP_HEIGHT) -> go.Figure:
    """Histograms across depth, one panel per series side by side: layer (y, shared) × value (x),
    colour = log₁₀ of the share of the layer's values in the bin (density × bin width: comparable
    across panels whatever their value ranges) on one shared scale; empty bins are gaps, not a colour."""
    panels = _panels(hist, groups)
    lay = theme.panels(len(panels), 0.04 if len(panels) > 1 else 0.0, panels, shared_y=True)
    share = (hist["density"] * (hist["right"] - hist["left"])).to_numpy(dtype=float)
    positive = share[share > 0]
    lo, hi = (float(np.log10(positive.min())), float(np.log10(positive.max()))) if positive.size else (0.0, 1.0)
    parts, marks = by_group(hist), by_group(faults)
    data, shapes = [], []
    for j, g in enumerate(panels, start=1):
        xa, ya = theme.axis_ids(j)
        sub = parts.get(g)
        if sub is not None:
            x = 0.5 * (sub["left"].to_numpy(float) + sub["right"].to_numpy(float))
            centres, col = np.unique(x, return_inverse=True)
            layers, row = np.unique(sub["layer"].to_numpy(), return_inverse=True)
            dens = np.full((layers.size, centres.size), np.nan)
            dens[row, col] = (sub["density"] * (sub["right"] - sub["left"])).to_numpy(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.where(np.isfinite(dens) & (dens > 0), np.log10(dens), np.nan)
            data.append({"type": "heatmap", "z": np.where(np.isfinite(z), z, None), "x": centres, "y": layers,
                         "coloraxis": "coloraxis", "name": g, "xaxis": xa, "yaxis": ya,
                         "hovertemplate": "layer %{y}, value %{x:.3g}: log₁₀ share %{z:.2f}<extra>" + g + "</extra>"})
        if len(panels) == 1:
            lay["xaxis"]["title"] = {"text": x_title}
        for row in marks[g].itertuples(index=False) if g in marks else ():
            shapes.append(theme.hline(row.layer, {"color": theme.INK, "width": 2, "dash": "dot"}, panel=j))
            lay["annotations"].append({"text": row.label, "x": 0, "xref": f"{xa} domain", "y": row.layer, "yref": ya,
                                       "xanchor": "left", "yanchor": "bottom", "showarrow": False,
                                       "font": {"size": theme.FONT_SIZE - 3}})
    lay["yaxis"].update(title={"text": "layer l"}, range=[0.5, depth + 0.5])
    lay.update(height=height, shapes=shapes,
               coloraxis={"colorscale": theme.SEQUENTIAL, "cmin": lo, "cmax": hi,
                          "colorbar": {"title": {"text": "log₁₀ share<br>of the layer"}}})
    if len(panels) > 1:
        lay["annotations"].append({"text": x_title, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.0,
                                   "yshift": -50, "showarrow": False, "font": {"size": theme.AXIS_TITLE_SIZE}})
    lay.update(theme.title_layout(title, rows=1))
    return theme.figure(data, lay)


def fig_layer_histograms(hist: pd.DataFrame, layers: list[int], *, x_title: str, groups: list[str] | None = None,
                         title: str | None = None, height: int = 400) -> go.Figure:
    """The histograms of a few ``layers`` as step curves (one colour per layer, one panel per
    series, shared layer legend): how the distribution of values changes with depth."""
    panels = _panels(hist, groups)
    lay = theme.panels(len(panels), 0.06, panels)
    parts = by_group(hist)
    data, shown = [], set()
    for j, g in enumerate(panels, start=1):
        xa, ya = theme.axis_ids(j)
        sub = parts.get(g)
        by_layer = {} if sub is None else dict(tuple(sub.groupby("layer", sort=False)))
        for i, layer in enumerate(layers):
            h = by_layer.get(layer)
            if h is None:
                continue
            left, right, density = (h[c].to_numpy(float) for c in ("left", "right", "density"))
            data.append({"type": "scatter", "x": np.append(left, right[-1]), "y": np.append(density, density[-1]),
                         "mode": "lines", "line": {"shape": "hv", "color": theme.color(i), "width": 2.5},
                         "name": f"layer {layer}", "legendgroup": f"layer {layer}", "showlegend": layer not in shown,
                         "xaxis": xa, "yaxis": ya})
            shown.add(layer)
        lay[f"xaxis{'' if j == 1 else j}"]["title"] = {"text": x_title}
    lay["yaxis"]["title"] = {"text": "probability density"}
    lay["height"] = height
    lay.update(theme.title_layout(title, rows=2 if len(panels) > 1 else 1))
    return theme.figure(data, lay)


__all__ = ["stat_table", "values_table", "fault_table", "depth_hist_table", "jacobian_table", "pick_layers", "mark_faults",
           "fig_layers", "fig_depth_heatmap", "fig_layer_histograms", "log_ticks", "LOG_SPAN"]
