"""Figures of width scaling: mup's coordinate-check grid from :func:`initviz.coord_check`'s frame.

Tidy table (:func:`coord_table`): ``step, layer_index, layer, width, mean, q25, q75`` — the mean over
seeds of one statistic and its quartiles, finite positive values only (a log axis cannot show 0:
``delta_rms`` at step 0, a zero readout's output at init).

:func:`fig_coord_check` draws one panel per step (t updates done), log₂ width across and the statistic
on a log axis, one line per layer, each layer keeping its colour, dash and marker in every panel, as
mup's plots do: flat lines are a correct μP setup.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
        layout[f"yaxis{suffix}"].update(theme.log_axis(data, "y"))
    layout["yaxis"]["title"] = {"text": STAT_TITLES.get(statistic, statistic)}
    layout.update(theme.title_layout(title, 2), height=height)
    layout["legend"] = {"orientation": "h", "yanchor": "bottom", "y": 1.08, "xanchor": "left", "x": 0.0}
    return theme.figure(data, layout)


__all__ = ["coord_table", "fig_coord_check", "STAT_TITLES"]
