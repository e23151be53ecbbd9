"""Drawing helpers shared by every page: one widget per link parameter, one way to show a chart.

* :func:`control` draws the widget of a link parameter of the current page. Its key is the
  parameter's URL name (so tests find it as ``.st-key-<name>`` or ``at.<kind>(key=name)``); its
  value comes from ``st.session_state``, seeded by :mod:`initviz.ui.frame` — never pass a value.
* :func:`chart` shows a figure with the app's export settings (the modebar's camera downloads a
  PNG at 3×, :data:`.report.EXPORT_WIDTH` wide, with a descriptive file name; no plotly logo) and a
  caption inside the figure naming the view's settings and link (:mod:`initviz.figures.export`),
  and offers the chart's data as CSV after a comment line with the same (generated only when
  clicked). It records the chart for the view's HTML report (:func:`.frame.report_button`). On a
  screen in dark mode (``st.context.theme.type``, the browser's preference or the app menu's choice)
  the chart is drawn with :func:`initviz.figures.theme.on_dark` of the stored light spec; the report
  and its PNG/SVG stay light, while the modebar's PNG is an image of the chart as shown (plotly's
  image export takes no colours of its own; :func:`.frame.follow_theme` redraws them when the theme
  changes). Given a
  function that builds the figure instead, it builds it once per view (the page and its canonical
  link, which determine every chart on it) and chart key, for every session: a rerun that comes
  back to a view (a slider moved back and forth, twenty users on the same defaults) draws the
  stored chart instead of making its tables and spec again.
* :func:`formula` shows a display equation and records it for the report.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from ..figures import theme
from ..figures.export import with_caption
from . import links, nav, workers
from .frame import PAGE_KEY, REPORT_KEY, VIEW_KEY, guard, view_export
from .report import EXPORT_SCALE, EXPORT_WIDTH, ReportChart

MODEBAR_REMOVED = ["select2d", "lasso2d", "zoomIn2d", "zoomOut2d", "autoScale2d"]
"""Buttons left out of the chart toolbar: with fewer, and the bar upright at the right edge
(``theme.TEMPLATE``), it does not cover the title on a phone; zoom, pan, reset and the image stay."""
FIGURES = dict(max_entries=4096, max_size=48 * 2 ** 20)
"""Charts kept built, across sessions (plotly's dict form: 3–30 kB each; 4–6 per view)."""


def current_page() -> str:
    return st.session_state[PAGE_KEY]


def control(name: str, *, container=None, label: str | None = None, disabled: bool = False,
            options: tuple | None = None, labels: tuple[str, ...] | None = None):
    """Draw the widget for link parameter ``name`` of the current page; returns its value.
    ``options`` narrows a ladder or choice to the values this view allows (e.g. within a budget);
    the current value must be one of them. ``labels`` names those options (default: the parameter's
    own labels of them)."""
    param = links.schema_of(current_page()).by_name[name]
    if options is not None:
        options = tuple(options)
        if labels is None:
            labels = tuple(map(param.label_of, options)) if param.labels else ()
        param = dataclasses.replace(param, options=options, labels=tuple(labels),
                                    default=param.default if param.default in options else options[0])
    where = container if container is not None else st
    common = dict(key=param.name, help=param.help or None, disabled=disabled)
    text = label or param.label
    hint = param.widget
    if param.kind == "bool":
        return where.toggle(text, **common)
    if param.kind == "choice":
        if hint == "radio":
            return where.radio(text, param.options, format_func=param.label_of, horizontal=True, **common)
        if hint == "segmented":
            return where.segmented_control(text, param.options, format_func=param.label_of, required=True,
                                           **common)
        return where.selectbox(text, param.options, format_func=param.label_of, **common)
    if param.kind == "multi":
        cap = param.max_items
        return where.multiselect(text, param.options, format_func=param.label_of, max_selections=cap,
                                 select_all=cap is None or cap >= len(param.options), **common)
    if param.options:
        return where.select_slider(text, options=list(param.options), format_func=param.label_of, **common)
    cast = int if param.kind == "int" else float
    bounds = dict(min_value=None if param.lo is None else cast(param.lo),
                  max_value=None if param.hi is None else cast(param.hi))
    step = None if param.step is None else cast(param.step)
    if hint == "slider":
        return where.slider(text, step=step, **bounds, **common)
    fmt = "%d" if param.kind == "int" else "%g"
    return where.number_input(text, step=step, format=fmt, **bounds, **common)


def control_row(*names: str | None, widths=None) -> None:
    """Draw the controls ``names`` side by side in columns (``None`` leaves its column empty)."""
    for column, name in zip(st.columns(widths or len(names)), names):
        if name:
            with column:
                control(name)


def file_name(*parts) -> str:
    """A descriptive, filesystem-safe export name, e.g. ``geometry-angles-n100-seed0``."""
    text = "-".join(str(p) for p in parts if p is not None and p != "")
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", text)[:120]


@st.cache_data(**FIGURES, show_spinner=False)
def _built(view: tuple, key: str, _build: Callable[[], go.Figure]) -> dict:
    """Chart ``key`` of ``view`` ((page, canonical query), set by the frame on each run) in plotly's
    dict form (arrays already base64-typed), built by ``_build`` the first time only."""
    return _build().to_dict()


class _Stored(go.Figure):
    """A stored chart (plotly's dict form, :func:`_built`) handed to ``st.plotly_chart`` as it is.
    ``st.plotly_chart`` asks a figure for ``to_dict()`` and serialises that; rebuilding a Figure from
    the dict first (deep copies, one object per trace and axis) and copying it again was a third of
    a stored chart's cost. Only ``to_dict`` is meant to be used: the Figure machinery is not set up."""

    def __init__(self, spec: dict):  # noqa: not calling go.Figure.__init__ is the point
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec


def chart(fig: go.Figure | Callable[[], go.Figure], table: pd.DataFrame | Callable[[], pd.DataFrame], *,
          key: str, name: str, caption: str | None = None, reuse: bool = True,
          on_select: Callable[[], None] | None = None) -> None:
    """Show ``fig`` (our template, not Streamlit's theme) with PNG export named ``name`` and a CSV
    download of ``table`` (the data behind the chart, or a function making it: either is turned
    into CSV only when the button is clicked), both saying which view they come from.

    ``fig`` may be a function building the figure from what this view's settings determine: it is
    then called only the first time this view (page and canonical link) shows chart ``key``, and the
    stored chart is drawn after that. ``reuse=False`` builds it every time (for a result that is not
    a function of the settings alone, e.g. one cut short by a deadline). ``on_select``: a callback run
    when a point of a scatter trace is clicked (its selection is ``st.session_state[key].selection``);
    plotly reports clicks on points of scatter-like traces only, not on heatmap cells."""
    if callable(fig):
        spec = _built(st.session_state[VIEW_KEY], key, fig) if reuse else fig().to_dict()
    else:
        spec = fig.to_dict()
    _draw(spec, table, key=key, name=name, caption=caption, on_select=on_select)


class _NotBuilt(Exception):
    """A stored chart asked for before it was built (never cached: :func:`_built` calls again)."""


def _not_built():
    raise _NotBuilt


@dataclasses.dataclass
class _Deferred:
    """A chart being built in a worker: where to draw it, its call, and what :func:`_draw` needs."""

    place: Any
    call: workers.Call
    view: tuple
    key: str
    reuse: bool
    index: int
    draw: dict


def chart_in_worker(build: Callable[..., dict], args: tuple, table, *, key: str, name: str,
                    caption: str | None = None, reuse: bool = True) -> None:
    """:func:`chart` of the figure ``build(*args)`` — a module-level function returning plotly's dict
    form, its arguments picklable — made in a worker process (:mod:`.workers`): a stored chart of this
    view is drawn at once; else the chart's place is kept, the build starts, and
    :func:`draw_deferred` (which the page calls after its last chart) draws it there. A page's
    charts are so built at once, over the workers, while the server's GIL only forwards them."""
    view = st.session_state[VIEW_KEY]
    if reuse:
        try:
            spec = _built(view, key, _not_built)
        except _NotBuilt:
            pass
        else:
            _draw(spec, table, key=key, name=name, caption=caption)
            return
    record = st.session_state[REPORT_KEY]
    record.deferred.append(_Deferred(st.container(), workers.submit(build, *args), view, key, reuse,
                                     len(record.charts), dict(table=table, key=key, name=name, caption=caption)))
    record.charts.append(None)  # its place in the report, filled when it is drawn


def draw_deferred() -> None:
    """Draw every chart of :func:`chart_in_worker` in its place, in page order, as their builds finish
    (each kept for its view, like :func:`chart`'s); one that fails says so in its place."""
    record = st.session_state[REPORT_KEY]
    pending, record.deferred = record.deferred, []
    for item in pending:
        with item.place, guard(f"chart {item.key}"):
            spec = item.call.result()
            if item.reuse:
                spec = _built(item.view, item.key, lambda spec=spec: _Stored(spec))
            _draw(spec, **item.draw, slot=item.index)


def _draw(spec: dict, table, *, key: str, name: str, caption: str | None, on_select=None,
          slot: int | None = None) -> None:
    """The chart of plotly dict ``spec`` with its export caption, config, CSV button and caption,
    recorded for the report (at index ``slot`` when its place was kept, else appended)."""
    export = view_export()
    spec = with_caption(spec, [export.summary, export.link])
    config = {"toImageButtonOptions": {"format": "png", "scale": EXPORT_SCALE, "width": EXPORT_WIDTH,
                                       "filename": name},
              "displaylogo": False, "modeBarButtonsToRemove": MODEBAR_REMOVED}
    select = {"on_select": on_select, "selection_mode": "points"} if on_select else {}
    shown = theme.on_dark(spec) if st.context.theme.type == "dark" else spec
    st.plotly_chart(_Stored(shown), width="stretch", theme=None, key=key, config=config, **select)
    charts = st.session_state[REPORT_KEY].charts
    entry = ReportChart(key, name, spec, caption or "")  # light
    if slot is None:
        charts.append(entry)
    else:
        charts[slot] = entry
    left, right = st.columns([4, 1], vertical_alignment="center")
    if caption:
        left.caption(caption)
    right.download_button("CSV", data=lambda: export.csv(table() if callable(table) else table),
                          file_name=f"{name}.csv", mime="text/csv", key=f"{key}_csv", on_click="ignore",
                          icon=":material/download:", width="stretch")


LOCAL_NOTE = ("On your own machine (`make run`, INITVIZ_LIMITS=local) there is no hosted budget: the view asked "
              "for is the view computed.")


def offer_choices(path: str, key: str, message: str, choices, none_text: str) -> None:
    """The box a view over the hosted budget shows instead of its charts: ``message`` (what it would
    cost; the settings asked stay in the controls and the link) and one link per (label, settings)
    choice that fits, on page ``path`` — or ``none_text`` when there is none."""
    with st.container(key=key, border=True):
        st.warning(message, icon=":material/speed:")
        if not choices:
            st.caption(none_text)
        for label, choice in choices:
            st.page_link(nav.entry(path).script, label=label, icon=":material/arrow_forward:",
                         query_params=links.canonical(path, choice))
        st.caption(LOCAL_NOTE)


def formula(tex: str) -> None:
    """Show the display equation ``tex`` (LaTeX) and record it for the view's HTML report."""
    st.latex(tex)
    st.session_state[REPORT_KEY].formulas.append(tex)
