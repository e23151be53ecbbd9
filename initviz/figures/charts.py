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

from . import theme

ATOM_HEADROOM = 1.3
"""With point masses on a density chart, the y axis ends 30% above the density's peak."""
ATOM_WIDTH = 5
"""Line width (px) of a point mass's stem: wider than a density curve, so it reads as a bar."""
ATOM_PAD = 0.04
"""With point masses, the x axis extends this fraction of the data's span past each end."""
EMPTY = pd.DataFrame()


def _drawable(frame: pd.DataFrame | dict[str, np.ndarray], columns, *, positive: bool = False) -> np.ndarray:
    """Mask of rows whose ``columns`` (of a frame, or of :func:`columns_by_group`'s arrays) are all
    finite (and > 0 when ``positive``)."""
    ok = np.ones(len(frame[columns[0]]), dtype=bool)
    for c in columns:
        v = _numbers(frame[c])
        ok &= np.isfinite(v)
        if positive:
            with np.errstate(invalid="ignore"):
                ok &= v > 0
    return ok


def _numbers(values: pd.Series | np.ndarray) -> np.ndarray:
    """A numeric column as a numpy array: its own dtype when numeric, else float64 (missing → NaN)."""
    v = values.to_numpy() if isinstance(values, pd.Series) else values
    if v.dtype.kind in "biuf":
        return v
    return (values.to_numpy(dtype=np.float64, na_value=np.nan) if isinstance(values, pd.Series)
            else v.astype(np.float64))


def columns_by_group(frame: pd.DataFrame | None, columns: list[str], column: str = "group") -> dict[str, dict[str, np.ndarray]]:
    """Each series' ``columns`` as numpy arrays (rows in table order), series in order of first
    appearance: the table is read once, and each series is a numpy selection, not a sub-frame."""
    if frame is None or not len(frame):
        return {}
    cols = {c: _numbers(frame[c]) for c in columns}
    names, first, codes = np.unique(frame[column].to_numpy(dtype=object), return_index=True, return_inverse=True)
    if len(names) == 1:
        return {str(names[0]): cols}
    return {str(names[k]): {c: v[codes == k] for c, v in cols.items()} for k in np.argsort(first)}


def note_dropped(dropped: int, why: str) -> list[dict]:
    """The annotation saying how many values were not drawn (none when ``dropped`` is 0)."""
    if not dropped:
        return []
    return [{"text": f"{dropped} value{'s' if dropped != 1 else ''} not drawn ({why})", "xref": "paper",
             "yref": "paper", "x": 1.0, "y": 1.0, "xanchor": "right", "yanchor": "top", "showarrow": False,
             "font": {"size": theme.FONT_SIZE - 2}}]


def _name(group: str, role: str, groups: list[str]) -> str:
    """Legend text: the role alone for a single series, else "group (role)"."""
    return role if len(groups) == 1 else f"{group} ({role})"


LEGEND_PLOT_PX = 280
"""Narrowest plot area a legend must fit (a half-width chart: ~290 px at a 1280-px window), which
plotly's horizontal legend wraps at: sets the rows reserved for it."""
LEGEND_CHAR_PX = 8.6
LEGEND_SYMBOL_PX = 44


def _legend_rows(data: list[dict], legend_title: str | None = None) -> int:
    """Rows the horizontal legend above the plot needs in a half-width chart (its title's lines count):
    entries packed into rows of :data:`LEGEND_PLOT_PX` as plotly wraps them (an entry is never split)."""
    names = [t.get("name") or "" for t in data if t.get("showlegend") is not False]
    if not names:
        return 0
    rows, used = 1, 0.0
    for name in names:
        width = len(name) * LEGEND_CHAR_PX + LEGEND_SYMBOL_PX
        if used and used + width > LEGEND_PLOT_PX:
            rows, used = rows + 1, 0.0
        used += width
    return rows + (legend_title.count("<br>") + 1 if legend_title else 0)


def _mark(x: float, label: str, *, color: str, log_x: bool, dash: str, width: float,
          where: str) -> tuple[list[dict], list[dict]]:
    """A vertical line at data value ``x`` with a label (annotations on a log axis take log10(x)):
    (shapes, annotations)."""
    shapes = [theme.vline(x, {"color": color, "width": width, "dash": dash})]
    if not label:
        return shapes, []
    return shapes, [{"x": np.log10(x) if log_x and x > 0 else x, "xref": "x", "yref": "paper",
                     "y": 1.0 if where == "top" else 0.0, "yanchor": "top" if where == "top" else "bottom",
                     "xanchor": "left", "text": label, "showarrow": False, "font": {"size": theme.FONT_SIZE - 2}}]


def by_group(frame: pd.DataFrame | None, column: str = "group") -> dict[str, pd.DataFrame]:
    """The rows of each value of ``column`` (the series, as text), in order of first appearance:
    one pass over the table instead of one comparison per series."""
    if frame is None or not len(frame):
        return {}
    names = frame[column].unique()  # (pandas' own unique: no per-row Python strings)
    if len(names) == 1:  # one series: the frame itself
        return {str(names[0]): frame}
    return {str(g): sub for g, sub in frame.groupby(column, sort=False)}


def _groups(*frames: pd.DataFrame | None) -> list[str]:
    """Series names in order of first appearance across the frames (colour assignment)."""
    seen: dict[str, None] = {}
    for f in frames:
        if f is not None and len(f):
            seen.update(dict.fromkeys(str(g) for g in f["group"].unique()))
    return list(seen)


def fig_density(hist: pd.DataFrame, theory: pd.DataFrame | None = None, *, x_title: str,
                y_title: str = "probability density", atoms: pd.DataFrame | None = None,
                title: str | None = None, log_y: bool = False, sampled: str = "sampled",
                exact: str = "exact", height: int = 440) -> go.Figure:
    """Pre-binned histograms (bars, ``group, left, right, density``) with exact densities
    (lines, ``group, x, density``) and point masses (``group, x, mass``, drawn as stems)."""
    data, shapes, notes = [], [], []
    groups = _groups(hist, theory, atoms)
    bars, lines, masses = by_group(hist), by_group(theory), by_group(atoms)
    dropped = 0
    for i, g in enumerate(groups):
        c = theme.color(i)
        h = bars.get(g, EMPTY)
        if len(h):
            ok = _drawable(h, ["left", "right", "density"], positive=log_y)
            dropped += int((~ok).sum())
            h = h[ok]
        if len(h):
            left, right = h["left"].to_numpy(np.float64), h["right"].to_numpy(np.float64)
            data.append({"type": "bar", "x": 0.5 * (left + right), "y": h["density"].to_numpy(),
                         "width": right - left, "name": _name(g, sampled, groups), "legendgroup": g,
                         "marker": {"color": c, "opacity": theme.BAR_OPACITY, "line": {"width": 0}}})
        t = lines.get(g, EMPTY)
        if len(t):
            ok = _drawable(t, ["x", "density"], positive=log_y)
            dropped += int((~ok).sum())
            t = t[ok]
        if len(t):
            data.append({"type": "scatter", "x": t["x"].to_numpy(), "y": t["density"].to_numpy(), "mode": "lines",
                         "name": _name(g, exact, groups), "legendgroup": g,
                         "line": {"color": c, "width": theme.LINE_WIDTH, "dash": theme.THEORY_DASH}})
        atom = masses.get(g, EMPTY)
        for x, mass in atom[["x", "mass"]].itertuples(index=False) if len(atom) else ():
            if not (np.isfinite(x) and np.isfinite(mass)):
                dropped += 1
                continue
            line, note = _mark(float(x), f"atom: mass {mass:.3g} at {x:.3g}", color=c, log_x=False, dash="solid",
                               width=ATOM_WIDTH, where="top")
            shapes += line
            notes += note
    notes += note_dropped(dropped, "not finite" + (" or ≤ 0 on a log axis" if log_y else ""))
    lay = theme.layout(x_title=x_title, y_title=y_title, title=title, log_y=log_y, height=height,
                       legend_rows=_legend_rows(data), data=data)
    lay.update(barmode="overlay", shapes=shapes, annotations=notes)
    if atoms is not None and len(atoms) and theory is not None and not log_y:
        # a point mass makes its bin's bar arbitrarily tall: scale the axis to the density instead
        top = theory["density"].to_numpy(dtype=np.float64)
        top = top[np.isfinite(top)]
        if top.size and top.max() > 0:
            lay["yaxis"]["range"] = [0.0, ATOM_HEADROOM * float(top.max())]
    if atoms is not None and len(atoms):
        lay["xaxis"]["range"] = _padded(hist, theory, atoms)  # an atom at the edge (0) is not under the axis line
    return theme.figure(data, lay)


def _padded(hist: pd.DataFrame, theory: pd.DataFrame | None, atoms: pd.DataFrame) -> list[float]:
    """The x range of the bars, the curves and the atoms, widened by :data:`ATOM_PAD` on each side."""
    parts = [hist[["left", "right"]].to_numpy(np.float64).ravel(), atoms["x"].to_numpy(np.float64)]
    if theory is not None and len(theory):
        parts.append(theory["x"].to_numpy(np.float64))
    v = np.concatenate(parts)
    v = v[np.isfinite(v)]
    lo, hi = float(v.min()), float(v.max())
    pad = ATOM_PAD * (hi - lo) if hi > lo else 1.0
    return [lo - pad, hi + pad]


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
    return theme.figure(*curves_spec(table, theory, x=x, y=y, x_title=x_title, y_title=y_title, lo=lo, hi=hi,
                                     title=title, log_x=log_x, log_y=log_y, measured=measured, predicted=predicted,
                                     mark_x=mark_x, mark_label=mark_label, lines=lines, height=height))


def _kept(cols: dict[str, np.ndarray] | None, columns: list[str], *, log_x: bool,
          log_y: bool) -> tuple[dict[str, np.ndarray], int]:
    """(the series' columns on its drawable rows — finite, and positive on a log axis; the first of
    ``columns`` is x, the others are on y — and how many rows were dropped); ({}, 0) for no series."""
    if not cols:
        return {}, 0
    ok = _drawable(cols, columns[1:], positive=log_y) & _drawable(cols, columns[:1], positive=log_x)
    return ({c: v[ok] for c, v in cols.items()} if ok.any() else {}), int(ok.size - np.count_nonzero(ok))


COINCIDE_RTOL = 1e-9
"""Two series whose values agree to this relative tolerance at every common x are "equal" on a chart
(far below what a chart can show; equal by construction when it happens, e.g. ReLU's scale
invariance with proportional draws)."""
OVERLAP_FRACTION = 0.01
"""Two series whose values differ by at most this fraction of the y axis's span (of its decades on a
log axis) at every common x hide each other (a marker is ~2–3 % of a chart's height): "nearly
equal" — e.g. the same ReLU statistic of proportional draws, equal up to float32 rounding."""
DODGE = 0.12
"""A coinciding series is drawn this fraction of the x spacing to the side (a log axis: of a decade's
log-spacing), so each one stays visible."""


def coinciding(points: dict[str, dict[str, np.ndarray]], groups: list[str], x: str, y: str,
               atol: float = 0.0) -> dict[str, list[str]]:
    """Series whose (x, y) points are those of an earlier series (same x; y equal to
    :data:`COINCIDE_RTOL`, or within ``atol``): {first series: [the later ones equal to it]}."""
    same: dict[str, list[str]] = {}
    for j, g in enumerate(groups):
        b = points.get(g)
        if not b or not len(b[x]):
            continue
        for first in groups[:j]:
            a = points.get(first)
            if a and first not in sum(same.values(), []) and _equal(a[x], b[x]) and _equal(a[y], b[y], atol):
                same.setdefault(first, []).append(g)
                break
    return same


def _equal(a: np.ndarray, b: np.ndarray, atol: float = 0.0) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.all((a == b) | np.isclose(a, b, rtol=COINCIDE_RTOL, atol=atol)))


def overlapping(points: dict[str, dict[str, np.ndarray]], groups: list[str], x: str, y: str,
                log_y: bool) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(equal, nearly equal) series of a chart (:func:`coinciding`): nearly equal within
    :data:`OVERLAP_FRACTION` of the span of every series' drawable y (log10 y on a log axis)."""
    equal = coinciding(points, groups, x, y)
    ys = [v[y].astype(np.float64) for v in points.values() if v and len(v[y])]
    ys = np.concatenate(ys) if ys else np.zeros(0)
    ys = ys[np.isfinite(ys) & (ys > 0 if log_y else True)]
    if ys.size < 2:
        return equal, {}
    if log_y:
        ys = np.log10(ys)
        points = {g: {**v, y: np.log10(np.where(v[y] > 0, v[y], np.nan))} for g, v in points.items() if v}
    near = coinciding(points, groups, x, y, atol=OVERLAP_FRACTION * float(ys.max() - ys.min()))
    return equal, {g: [r for r in rest if r not in equal.get(g, [])] for g, rest in near.items()
                   if any(r not in equal.get(g, []) for r in rest)}


def _dodged(xv: np.ndarray, rank: int, count: int, log_x: bool) -> np.ndarray:
    """x moved ``rank``/``count`` of :data:`DODGE` of the x spacing to the right (multiplicatively on a log axis)."""
    xv = np.asarray(xv, dtype=np.float64)
    u = np.unique(np.log10(xv) if log_x else xv)
    step = float(np.min(np.diff(u))) if u.size > 1 else 1.0
    shift = DODGE * step * rank / max(count, 1)
    return xv * 10.0 ** shift if log_x else xv + shift


def coincide_note(equal: dict[str, list[str]], near: dict[str, list[str]]) -> str | None:
    """The legend's line naming the series drawn side by side (None when there are none)."""
    parts = [f"equal values: {'; '.join(' = '.join([g, *rest]) for g, rest in equal.items())}"] if equal else []
    parts += [f"nearly equal: {'; '.join(' ≈ '.join([g, *rest]) for g, rest in near.items())}"] if near else []
    return "<br>".join(parts) + "<br>(drawn side by side)" if parts else None


def curves_spec(table: pd.DataFrame, theory: pd.DataFrame | None = None, *, x: str, y: str,
                x_title: str, y_title: str, lo: str | None = None, hi: str | None = None,
                title: str | None = None, log_x: bool = False, log_y: bool = False,
                measured: str = "measured", predicted: str = "theory", mark_x: float | None = None,
                mark_label: str = "", lines: bool = False, height: int = 440) -> tuple[list[dict], dict]:
    """The (traces, layout) spec of :func:`fig_curves`, for builders that add to it."""
    data, shapes, notes = [], [], []
    groups = _groups(table, theory)
    band = [c for c in (lo, hi) if c]
    points, curves = columns_by_group(table, [x, y, *band]), columns_by_group(theory, [x, y])
    multi = len(groups) > 1
    drawn = {g: _kept(v, [x, y], log_x=log_x, log_y=log_y)[0] for g, v in points.items()}
    equal, near = overlapping(drawn, groups, x, y, log_y) if multi else ({}, {})
    moved = [[g, *rest] for g, rest in equal.items()] + [[g, *rest] for g, rest in near.items()]
    rank = {g: (k + 1, len(group) - 1) for group in moved for k, g in enumerate(group[1:])}
    dropped = 0
    for i, g in enumerate(groups):
        c = theme.color(i)
        m, lost = _kept(points.get(g), [x, y, *band], log_x=log_x, log_y=log_y)
        dropped += lost
        if m and g in rank:
            m = {**m, x: _dodged(m[x], *rank[g], log_x=log_x)}
        if m:
            err = None
            if lo and hi:
                yv = m[y].astype(np.float64)
                err = {"type": "data", "symmetric": False, "array": np.maximum(m[hi] - yv, 0),
                       "arrayminus": np.maximum(yv - m[lo], 0), "color": c, "thickness": 1.5}
            data.append({"type": "scatter", "x": m[x], "y": m[y],
                         "mode": "lines+markers" if lines else "markers", "name": g if multi else measured,
                         "legendgroup": g, "marker": {"color": c, "size": theme.MARKER_SIZE, "symbol": theme.symbol(i)},
                         "line": {"color": c, "width": 1.5, "dash": theme.dash(i)}, **({"error_y": err} if err else {})})
        t, lost = _kept(curves.get(g), [x, y], log_x=log_x, log_y=log_y)
        dropped += lost
        if t:
            data.append({"type": "scatter", "x": t[x], "y": t[y], "mode": "lines",
                         "name": f"{g} ({predicted})" if multi else predicted, "legendgroup": g,
                         "showlegend": not (multi and m),  # the measured trace, if drawn, carries the entry
                         "line": {"color": c, "width": theme.LINE_WIDTH, "dash": theme.THEORY_DASH}})
    legend_title = "<br>".join(t for t in (f"markers: {measured} · lines: {predicted}" if theory is not None and multi
                                           else None, coincide_note(equal, near)) if t) or None
    if mark_x is not None:
        shapes, notes = _mark(mark_x, mark_label, color=theme.INK, log_x=log_x, dash="dash", width=1.5, where="bottom")
    notes += note_dropped(dropped, "not finite" + (" or ≤ 0 on a log axis" if (log_x or log_y) else ""))
    lay = theme.layout(x_title=x_title, y_title=y_title, title=title, log_x=log_x, log_y=log_y, height=height,
                       legend_rows=_legend_rows(data, legend_title), data=data)
    if legend_title:
        lay["legend"]["title"] = {"text": legend_title, "side": "top"}
    lay.update(shapes=shapes, annotations=notes)
    return data, lay


def fig_heatmaps(table: pd.DataFrame, *, panels: list[str] | None = None, title: str | None = None,
                 value_title: str = "value", height: int = 460) -> go.Figure:
    """Matrices side by side (long table ``panel, row, col, value``) on one shared, diverging,
    zero-centred colour scale; rows run downwards as in a printed matrix."""
    parts = by_group(table, "panel")
    panels = panels or list(parts)
    lay = theme.panels(len(panels), 0.08, panels)
    finite = _drawable(table, ["value"])
    vmax = float(np.abs(table["value"].to_numpy(float)[finite]).max()) if finite.any() else 1.0
    data = []
    for j, p in enumerate(panels, start=1):
        grid = parts[p].pivot(index="row", columns="col", values="value").sort_index().sort_index(axis=1)
        z = grid.to_numpy(dtype=np.float64)
        z = np.where(np.isfinite(z), z, None)  # a gap, never a garbage colour
        xa, ya = theme.axis_ids(j)
        data.append({"type": "heatmap", "z": z, "x": grid.columns.to_numpy(), "y": grid.index.to_numpy(),
                     "coloraxis": "coloraxis", "name": p, "xaxis": xa, "yaxis": ya,
                     "hovertemplate": "row %{y}, col %{x}: %{z:.4f}<extra>" + p + "</extra>"})
        suffix = "" if j == 1 else str(j)
        lay[f"xaxis{suffix}"].update(constrain="domain", title={"text": "column j"})
        lay[f"yaxis{suffix}"].update(autorange="reversed", scaleanchor=xa, constrain="domain")
    lay["yaxis"]["title"] = {"text": "row i"}
    lay["annotations"] += note_dropped(int((~finite).sum()), "not finite")
    lay.update(height=height, coloraxis={"colorscale": theme.DIVERGING, "cmin": -vmax, "cmax": vmax,
                                         "colorbar": {"title": {"text": value_title}}})
    if title:
        lay["title"] = {"text": title}
    return theme.figure(data, lay)
