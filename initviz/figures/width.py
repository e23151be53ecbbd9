"""Figures of width scaling: mup's coordinate-check grid from :func:`initviz.coord_check`'s frame.

Tidy table (:func:`coord_table`): ``step, layer_index, layer, width, mean, q25, q75`` — the mean over
seeds of one statistic and its quartiles, finite positive values only (a log axis cannot show 0:
``delta_rms`` at step 0, a zero readout's output at init).

:func:`fig_coord_check` draws one panel per step (t updates done), log₂ width across and the statistic
on a log axis, one line per layer, each layer keeping its colour, dash and marker in every panel, as
mup's plots do: flat lines are a correct μP setup.

Learning-rate transfer (:func:`initviz.lr_sweep`'s frame): :func:`transfer_table` holds ``preset,
width, log2_lr, mean, q25, q75, best`` — the mean over seeds of the training loss after T steps (+inf
when a seed diverged, as :func:`initviz.lr_optimum` counts it), its quartiles, and whether the rate is
that width's optimum; :func:`fig_lr_transfer` draws one panel per parametrisation, the loss (log axis)
against log₂ η, one line per width (diverged rates left out), each width's optimum a star.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..transfer import lr_optimum
from . import theme

STAT_TITLES = {"mean_abs": "mean |x|", "rms": "rms x", "delta_rms": "rms of the change since init"}
"""Axis titles of :data:`initviz.coordcheck.COORD_STATISTICS`."""
PANEL_SPACING = 0.03


def coord_table(frame: pd.DataFrame, statistic: str = "mean_abs") -> pd.DataFrame:
    """Mean and quartiles over seeds of ``statistic`` per step, layer and width (module docstring)."""
    rows = frame[frame.statistic == statistic]
    rows = rows[np.isfinite(rows.value.to_numpy(np.float64)) & (rows.value > 0)]
    keys = ["step", "layer_index", "layer", "width"]
    if not len(rows):
        return pd.DataFrame(columns=[*keys, "mean", "q25", "q75"])
    g = rows.groupby(keys, sort=True)["value"]
    out = pd.concat([g.mean().rename("mean"), g.quantile(0.25).rename("q25"), g.quantile(0.75).rename("q75")],
                    axis=1)
    return out.reset_index()


def fig_coord_check(frame: pd.DataFrame, statistic: str = "mean_abs", *, steps=None, title: str | None = None,
                    height: int = 380):
    """The coordinate-check grid of ``statistic``: a panel per step in ``steps`` (default: every
    step of the frame), lines per layer over log₂ width (module docstring)."""
    table = coord_table(frame, statistic)
    steps = sorted(frame.step.unique()) if steps is None else list(steps)
    layers = frame[["layer_index", "layer"]].drop_duplicates().sort_values("layer_index")
    widths = sorted(frame.width.unique())
    layout = theme.panels(len(steps), PANEL_SPACING, [f"t = {t}" for t in steps], shared_y=True)
    data, named = [], set()  # a layer's legend entry comes with its first drawn line, in whichever panel
    for j, t in enumerate(steps, start=1):
        x_id, y_id = theme.axis_ids(j)
        for i, (index, name) in enumerate(layers.itertuples(index=False)):
            part = table[(table.step == t) & (table.layer_index == index)]
            if not len(part):
                continue
            data.append({"type": "scatter", "mode": "lines+markers", "name": name, "legendgroup": name,
                         "showlegend": name not in named, "x": part.width.to_numpy(float), "y": part["mean"].to_numpy(),
                         "xaxis": x_id, "yaxis": y_id,
                         "line": {"color": theme.color(i), "dash": theme.dash(i)},
                         "marker": {"symbol": theme.symbol(i), "color": theme.color(i)},
                         "hovertemplate": f"{name}<br>width %{{x}}<br>{STAT_TITLES.get(statistic, statistic)} "
                                          "%{y:.4g}<extra></extra>"})
            named.add(name)
    for j in range(1, len(steps) + 1):
        suffix = "" if j == 1 else str(j)
        layout[f"xaxis{suffix}"].update(type="log", tickvals=widths, ticktext=[f"2^{int(np.log2(w))}" if w > 0 and
                                        float(np.log2(w)).is_integer() else str(w) for w in widths],
                                        title={"text": "width" if j == 1 else ""})
        layout[f"yaxis{suffix}"].update({"dtick": "D2", **theme.log_axis(data, "y")})  # short panels: 1, 2, 5 labelled
    layout["yaxis"]["title"] = {"text": STAT_TITLES.get(statistic, statistic)}
    layout.update(theme.title_layout(title, 2), height=height)
    layout["legend"] = {"orientation": "h", "yanchor": "bottom", "y": 1.08, "xanchor": "left", "x": 0.0}
    return theme.figure(data, layout)


def transfer_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean and quartiles over seeds of the loss per preset, width and log₂ η, and each width's
    optimum (module docstring)."""
    keys = ["preset", "width", "log2_lr"]
    g = frame.groupby(keys, sort=False)["loss"]
    out = pd.concat([g.mean().rename("mean"), g.quantile(0.25).rename("q25"), g.quantile(0.75).rename("q75")],
                    axis=1).reset_index()
    best = lr_optimum(frame)
    best = best[np.isfinite(best.loss.to_numpy(np.float64))]  # a width that diverged at every rate has none
    marks = set(zip(best.preset, best.width, best.log2_lr))
    out["best"] = [key in marks for key in zip(out.preset, out.width, out.log2_lr)]
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def width_label(width) -> str:
    """``2^7`` for a power of two, else the number."""
    w = int(width)
    return f"2^{w.bit_length() - 1}" if w > 0 and w & (w - 1) == 0 else str(w)


def fig_lr_transfer(frame: pd.DataFrame, names: dict[str, str], *, title: str | None = None, height: int = 420):
    """The learning-rate transfer chart: a panel per preset of ``names`` (preset → panel title, in
    order), the loss after T steps against log₂ η, a line per width and a star at its optimum."""
    table = transfer_table(frame)
    presets = [p for p in names if p in set(table.preset)]
    widths = sorted(table.width.unique())
    layout = theme.panels(len(presets), 0.04, [names[p] for p in presets], shared_y=True)
    data = []
    for j, preset in enumerate(presets, start=1):
        x_id, y_id = theme.axis_ids(j)
        for i, width in enumerate(widths):
            part = table[(table.preset == preset) & (table.width == width)]
            drawn = part[np.isfinite(part["mean"].to_numpy(np.float64))]
            label = f"width {width_label(width)}"
            style = {"line": {"color": theme.color(i), "dash": theme.dash(i)},
                     "marker": {"symbol": theme.symbol(i), "color": theme.color(i)}}
            data.append({"type": "scatter", "mode": "lines+markers", "name": label, "legendgroup": label,
                         "showlegend": j == 1, "x": drawn.log2_lr.to_numpy(float), "y": drawn["mean"].to_numpy(),
                         "xaxis": x_id, "yaxis": y_id, **style,
                         "hovertemplate": f"{names[preset]}, {label}<br>log₂ η %{{x}}<br>loss %{{y:.4g}}<extra></extra>"})
            best = drawn[drawn.best]
            if len(best):
                k = int(best.log2_lr.iloc[0])
                data.append({"type": "scatter", "mode": "markers", "name": f"best, {label}", "legendgroup": label,
                             "showlegend": False, "x": [float(k)], "y": best["mean"].to_numpy(), "xaxis": x_id,
                             "yaxis": y_id, "marker": {"symbol": "star", "size": 16, "color": theme.color(i),
                                                       "line": {"width": 1, "color": "#222222"}},
                             "hovertemplate": f"{names[preset]}, {label}<br><b>best log₂ η = {k}</b> (η = {2.0 ** k:g})"
                                              "<br>loss %{y:.4g}<extra></extra>"})
    rates = sorted(table.log2_lr.unique())
    ticks = rates if len(rates) <= 10 else rates[::2]
    for j in range(1, len(presets) + 1):
        suffix = "" if j == 1 else str(j)
        layout[f"xaxis{suffix}"].update(tickvals=ticks, ticktext=[f"{int(k)}" for k in ticks],
                                        title={"text": "log₂ η"})
        layout[f"yaxis{suffix}"].update({"dtick": "D2", **theme.log_axis(data, "y")})  # short panels: 1, 2, 5 labelled
    layout["yaxis"]["title"] = {"text": "training loss after T steps"}
    layout.update(theme.title_layout(title, 2), height=height)
    layout["legend"] = {"orientation": "h", "yanchor": "bottom", "y": 1.08, "xanchor": "left", "x": 0.0}
    return theme.figure(data, layout)


def optimum_text(frame: pd.DataFrame, names: dict[str, str]) -> str:
    """Each preset's best log₂ η per width in words: ``μP: 2^7 → −1, 2^8 → −1; SP: …`` (— where
    every rate diverged)."""
    best = lr_optimum(frame)
    parts = []
    for preset in (p for p in names if p in set(best.preset)):
        rows = best[best.preset == preset].sort_values("width")
        cells = [f"{width_label(w)} → {int(k) if np.isfinite(loss) else '—'}".replace("-", "−")
                 for w, k, loss in zip(rows.width, rows.log2_lr, rows.loss)]
        parts.append(f"{names[preset]}: {', '.join(cells)}")
    return "; ".join(parts)


__all__ = ["coord_table", "fig_coord_check", "STAT_TITLES", "transfer_table", "fig_lr_transfer", "optimum_text",
           "width_label"]
