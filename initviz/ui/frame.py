"""The per-page frame: the link round trip, notices, the error catch-all and the "Copy link" box.

Every page script calls :func:`run_page`, which on each script run

1. works out the page's settings (:func:`sync_settings`):

   * a link that is new to this session (the URL's query differs from the last one the app wrote)
     is parsed strictly by :func:`initviz.ui.links.parse`; what it asked for but could not get is
     listed at the top of the page until the user changes a control;
   * otherwise the widgets are the truth (their values are validated and cross-checked again);
   * on a page switch (Streamlit clears the query) the page gets back the settings it had last;

2. seeds every widget of the page through ``st.session_state`` (the widget key is the URL name),
   and writes the canonical query (non-default values only) back into the URL;
3. calls the page module's ``render(settings)`` inside :func:`guard` (the catch-all);
4. offers the view as one HTML report (:func:`report_button`: the charts and formulas the page
   recorded through :func:`.widgets.chart` and :func:`.widgets.formula` in this run);
5. shows the shareable link in the sidebar, with a Copy button (:func:`link_box`);
6. on a page with charts, mounts :func:`follow_theme`: the charts are drawn for the screen's theme
   (:func:`.widgets.chart`), so a theme change (the app menu's Light/Dark/System, the system's
   preference) reruns the page; it also corrects a first run told the wrong theme (Streamlit #11920).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlsplit, urlunsplit

import pandas as pd
import streamlit as st

from ..errors import InitvizError
from . import links, nav, report

LOG = logging.getLogger("initviz.ui")

_STORE = "initviz:settings"    # path -> settings the page had last
_WRITTEN = "initviz:written"   # the query (dict[str, list[str]]) the app last put in the URL
_NOTICES = "initviz:notices"   # path -> (notices from the link, canonical query right after parsing)
PAGE_KEY = "initviz:page"      # path of the page of the previous run (widgets.current_page reads it)
VIEW_KEY = "initviz:view"      # (path, canonical query) of this run: what every chart of it shows (widgets.chart)
_PENDING = "initviz:pending"   # this run's notices not yet shown next to their control (the rest go on top)
_EXPORT = "initviz:export"     # (view, ViewExport) of the view last exported (view_export)
REPORT_KEY = "initviz:report"  # this run's RunRecord: the charts and formulas drawn, in page order
REPORT_BUTTON = "view_report"  # key of the "HTML report" download button (tests find .st-key-view_report)


@dataclass
class RunRecord:
    """What the page drew in this run, for its HTML report (:func:`report_button`)."""

    charts: list[report.ReportChart | None] = field(default_factory=list)
    formulas: list[str] = field(default_factory=list)
    deferred: list = field(default_factory=list)
    """Charts being built in worker processes, to draw in their places (:func:`.widgets.draw_deferred`)."""


@dataclass(frozen=True)
class ViewExport:
    """Where this run's charts come from, as every export states it: the page, the settings the
    charts show (the view's, :data:`VIEW_KEY`), the caption's summary line and the link."""

    path: str
    settings: dict
    summary: str
    link: str

    def csv(self, table: pd.DataFrame) -> str:
        """``table`` as CSV after its comment line (:func:`.report.csv_header`, the time of the click)."""
        return report.with_header(table, report.csv_header(self.path, self.link, _now()))


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def view_export() -> ViewExport:
    """The :class:`ViewExport` of this run's view: the settings behind its canonical query (which a
    page may set to what it computed, e.g. Propagation's cut sample), their summary and link. Made
    once per view and kept until the view changes: every chart of a run asks for it."""
    view = st.session_state[VIEW_KEY]
    kept = st.session_state.get(_EXPORT)
    if kept is not None and kept[0] == view:
        return kept[1]
    path, query = view
    settings, _ = links.parse(path, dict(query))
    export = ViewExport(path, settings, report.summary(path, settings, nav.entry(path).title),
                        share_url(path, settings))
    st.session_state[_EXPORT] = (view, export)
    return export


def _raw_query() -> dict[str, list[str]]:
    qp = st.query_params
    return {k: qp.get_all(k) for k in qp if k.lower() not in links.STREAMLIT_RESERVED}


def _to_widget(param: links.Param, value):
    return list(value) if param.kind == "multi" else value


def _from_widgets(schema: links.PageSchema, last: links.Settings) -> tuple[links.Settings, list[links.Notice]]:
    """The widgets' current values, each checked; a bad one (e.g. an emptied multiselect) keeps
    its last value, with a notice. Widgets not drawn in the last run keep their last value."""
    state = st.session_state
    settings, notices = {}, []
    for p in schema.params:
        value = state.get(p.name, last[p.name])
        if p.kind == "multi" and isinstance(value, list):
            value = tuple(value)
        if p.kind == "float" and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        reason = links.check(p, value)
        if reason:
            notices.append(links.Notice(p.name, f"must {reason}", f"kept {links.format_value(p, last[p.name])}"))
            value = last[p.name]
        settings[p.name] = value
    settings, cross = links.constrain(schema.path, settings)
    return settings, links.one_per_param(notices + cross)


def sync_settings(path: str) -> tuple[links.Settings, list[links.Notice]]:
    """This run's settings of page ``path`` and the notices to show (see the module docstring)."""
    schema = links.schema_of(path)
    state = st.session_state
    store = state.setdefault(_STORE, {})
    link_notices = state.setdefault(_NOTICES, {})
    raw = _raw_query()
    new_link = bool(raw) and raw != state.get(_WRITTEN)
    transient: list[links.Notice] = []
    if new_link or path not in store:
        settings, notices = links.parse(path, raw if new_link else {})
        link_notices[path] = (notices, links.canonical(path, settings))
    elif state.get(PAGE_KEY) != path:
        settings = store[path]
    else:
        settings, transient = _from_widgets(schema, store[path])
    for p in schema.params:
        state[p.name] = _to_widget(p, settings[p.name])
    store[path] = settings
    state[PAGE_KEY] = path
    query = links.canonical(path, settings)
    target = {k: [v] for k, v in query.items()}
    if raw != target:
        st.query_params.from_dict(query)
    state[_WRITTEN] = target
    state[VIEW_KEY] = (path, tuple(query.items()))
    notices, at = link_notices.get(path, ([], None))
    shown = notices if at == query else []
    return settings, shown + transient


def computed_view(path: str, settings: links.Settings) -> None:
    """Make ``settings`` the view this run's charts show (:data:`VIEW_KEY`: their export captions and
    links) — a page whose hosted budget computed a smaller sample than the link asked for."""
    st.session_state[VIEW_KEY] = (path, tuple(links.canonical(path, settings).items()))


def goto(path: str, settings: links.Settings) -> None:
    """Open page ``path`` with ``settings`` (e.g. an Experiments preset); does not return."""
    settings = links.validate(path, settings)
    st.session_state.setdefault(_STORE, {})[path] = settings
    st.session_state[PAGE_KEY] = None
    st.switch_page(nav.entry(path).script, query_params=links.canonical(path, settings))


def _reset(path: str) -> None:
    schema = links.schema_of(path)
    for p in schema.params:
        st.session_state[p.name] = _to_widget(p, p.default)


@contextlib.contextmanager
def guard(where: str) -> Iterator[None]:
    """Run a block; an :class:`InitvizError` is shown as its plain message, any other exception is
    logged server-side and shown as a short message with a reference id (never a traceback).
    Streamlit's own control flow (rerun, stop, switch_page) passes through."""
    try:
        yield
    except InitvizError as err:
        st.error("This could not be computed with these settings:", icon=":material/block:")
        st.text(str(err))
    except Exception:  # the catch-all: the user gets a reference, the log gets the traceback
        ref = uuid.uuid4().hex[:8]
        LOG.exception("initviz: %s failed (reference %s)", where, ref)
        st.error(f"Something went wrong while drawing this part of the page (reference {ref}). "
                 "It has been logged; other settings may work.", icon=":material/error:")


def base_path() -> str:
    """The app's base URL path (Streamlit's ``server.baseUrlPath``), without slashes; ``""`` at the root."""
    return (st.get_option("server.baseUrlPath") or "").strip("/")


def share_url(path: str, settings: links.Settings) -> str:
    """The full link to this view: the app's root URL (scheme and host from ``st.context.url``, then
    the app's base path — never the path the browser asked for, which may be no page at all;
    relative when the app is not in a browser), the page path and the canonical query."""
    query = links.query_string(path, settings)
    root = ""
    url = st.context.url
    if url:
        parts = urlsplit(url)
        base = base_path()
        root = urlunsplit((parts.scheme, parts.netloc, f"/{base}" if base else "", "", ""))
    return f"{root}/{path}" + (f"?{query}" if query else "")


def report_button(record: RunRecord) -> None:
    """The download of this view as one HTML file (:func:`.report.build_html`), built only when
    clicked, from what the run recorded; nothing when the run drew no chart."""
    charts = [c for c in record.charts if c is not None]  # None: a chart whose build failed
    if not charts:
        return
    export = view_export()
    title = f"initviz — {nav.entry(export.path).title}"
    formulas = list(record.formulas)

    def build() -> str:
        return report.build_html(title=title, link=export.link, created=_now(), formulas=formulas,
                                 settings=report.settings_rows(export.path, export.settings), charts=charts)

    st.download_button("Download this view as an HTML report", data=build,
                       file_name=f"initviz-{export.path}-report.html", mime="text/html", key=REPORT_BUTTON,
                       on_click="ignore", icon=":material/description:",
                       help="One file with every chart of this view (interactive, works offline; PNG and SVG "
                            "buttons under each), its settings, its link and its formulas.")


def show_notices(notices: list[links.Notice]) -> None:
    """List what the link (or a control) asked for that was not used, as plain text."""
    if not notices:
        return
    with st.container(key="link_notices"):
        st.warning("Some settings could not be used as given. What was used instead:", icon=":material/info:")
        st.text("\n".join(str(n) for n in notices))


def control_notices(name: str, extra: list[links.Notice] | tuple = ()) -> None:
    """Show, under the control of link parameter ``name`` just drawn, what was not used as asked: the
    page's own notices about it (``extra``, e.g. a compute budget's cut), merged with this run's link
    notices about the same parameter into one line per parameter that ends with the value actually
    used; in the control's label and words. Without ``extra`` the link's notices stay on top."""
    if not extra:
        return
    pending = st.session_state.get(_PENDING, [])
    mine = [n for n in pending if n.param == name]
    st.session_state[_PENDING] = [n for n in pending if n.param != name]
    param = links.schema_of(st.session_state[PAGE_KEY]).by_name[name]
    problems = [n.problem for n in mine] + [n.problem for n in extra]
    st.warning(f"{param.label}: {'; then '.join(problems)} — {extra[-1].used}.", icon=":material/info:")


THEME_WATCH_JS = """
let sent = null;  // the last theme reported: one rerun per change, never a loop
export default function ({ data, setTriggerValue }) {
  const app = document.querySelector('[data-testid=stApp]');
  if (!app) return;
  const type = () => {  // as Streamlit infers it: the app background's luminance
    const [r, g, b] = getComputedStyle(app).backgroundColor.match(/[0-9.]+/g).map(Number);
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 128 ? 'dark' : 'light';
  };
  const check = () => {
    const now = type();
    if (now !== data && now !== sent) { sent = now; setTriggerValue('theme', now); }
  };
  const seen = new MutationObserver(check);
  seen.observe(app, { attributes: true, attributeFilter: ['class', 'style'] });
  seen.observe(document.head, { childList: true });
  check();
  return () => seen.disconnect();
}
"""
"""Watches the app's background (a theme change restyles it) and reports the theme it shows when
it differs from the one this run drew the charts for (``data``)."""
_theme_watch = st.components.v2.component("initviz_theme_watch", js=THEME_WATCH_JS)


def follow_theme() -> None:
    """Mount the theme watcher (no visible element): a theme change reruns the page."""
    _theme_watch(key="theme_watch", data=st.context.theme.type or "light", on_theme_change=lambda: None)


STREAMLIT_MAX_QUERY_PARAMS = 1000
"""Streamlit (1.67) drops a link's whole query string when it has more parameters than this, before
the app sees it (and ``st.context.url`` holds no query): only the browser still has them."""
DROPPED_LINK_JS = """
export default function ({ data, parentElement }) {
  const box = parentElement.querySelector('.dropped');
  const names = [...new URLSearchParams(window.location.search).keys()]
    .filter((k) => !data.reserved.includes(k.toLowerCase()));
  if (names.length === 0) { box.hidden = true; return; }
  box.textContent = `This link has ${names.length.toLocaleString('en')} parameters, which the app never received: `
    + `Streamlit drops a query string of more than ${data.max.toLocaleString('en')} parameters whole, so this page `
    + 'shows its defaults. A link copied from initviz has at most a few dozen.';
  box.hidden = false;
}
"""
"""Shows, in the browser, the parameters of a link the app received none of (:func:`dropped_link`):
the count is the only thing of the link it uses, written as text (never as markup)."""
_dropped_link = st.components.v2.component(
    "initviz_dropped_link", html='<div class="dropped" role="alert" hidden></div>', js=DROPPED_LINK_JS,
    css=".dropped { padding: 0.75rem 1rem; border-radius: 0.5rem; background: rgba(255, 189, 69, 0.2); "
        "color: inherit; line-height: 1.5; }")


def dropped_link() -> None:
    """On a run that received no link parameters, say so if the browser's address holds some: a link of
    more than :data:`STREAMLIT_MAX_QUERY_PARAMS` parameters, which Streamlit dropped (issue 12)."""
    _dropped_link(key="dropped_link", data={"max": STREAMLIT_MAX_QUERY_PARAMS,
                                            "reserved": sorted(links.STREAMLIT_RESERVED)})


LINK_BOX_JS = """
export default function ({ data, parentElement }) {
  const url = parentElement.querySelector('.initviz-link');
  const button = parentElement.querySelector('.copy');
  url.textContent = data;  // text, never markup
  button.onclick = async () => {
    let copied = false;
    try {
      await navigator.clipboard.writeText(data);
      copied = true;
    } catch (err) {  // no clipboard API here (e.g. not a secure context): select it for the user
      const range = document.createRange();
      range.selectNodeContents(url);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      copied = document.execCommand('copy');
    }
    button.textContent = copied ? 'Copied' : 'Selected: copy it';
    setTimeout(() => { button.textContent = 'Copy'; }, 1500);
  };
}
"""
"""Writes the link (``data``) into the box as text and copies it on the button's click."""
_link_box = st.components.v2.component(
    "initviz_link_box",
    html='<div class="box"><code class="initviz-link"></code>'
         '<button type="button" class="copy" title="Copy the link to this view">Copy</button></div>',
    js=LINK_BOX_JS,
    css=".box { display: flex; gap: 0.5rem; align-items: flex-start; padding: 0.5rem 0.75rem; "
        "border-radius: 0.5rem; background: rgba(128, 128, 128, 0.12); } "
        ".initviz-link { flex: 1; min-width: 0; font-family: 'Source Code Pro', monospace; font-size: 0.8rem; "
        "line-height: 1.5; white-space: pre-wrap; word-break: break-all; color: inherit; background: none; } "
        ".copy { flex: none; font: inherit; font-size: 0.75rem; padding: 0.1rem 0.5rem; color: inherit; "
        "background: transparent; border: 1px solid rgba(128, 128, 128, 0.45); border-radius: 0.4rem; "
        "cursor: pointer; }")


def link_box(link: str, key: str) -> None:
    """The link to this view with a Copy button. Not ``st.code``: its syntax highlighter, loaded by
    the first code block of a page, cost ~0.28 s of Chromium's main thread before the first chart
    (BENCHMARKS.md, session 8)."""
    _link_box(key=key, data=link)


NARROW_PX = 768
"""Up to this viewport width the page's foot repeats the link box (a phone: the sidebar, which has
it, starts closed there)."""
PHONE_LINK = "phone_link"
LAYOUT_CSS = (
    # a display equation wider than a phone scrolls inside its own box instead of being cut off
    ".katex-display { overflow-x: auto; overflow-y: hidden; padding-bottom: 2px; }"
    # the link box at the page's foot, for screens where the sidebar (which has it too) starts closed
    f"@media (min-width: {NARROW_PX + 1}px) {{ .st-key-{PHONE_LINK} {{ display: none; }} }}"
)
"""The app's only style rules (no untrusted text ever reaches them)."""


def run_page(path: str) -> None:
    """The whole run of page ``path``: settings, notices, ``render(settings)``, link box. The link's
    notices are listed on top once the page has drawn (a page may show some next to their control,
    :func:`control_notices`)."""
    entry = nav.entry(path)
    received = bool(_raw_query())
    settings, notices = sync_settings(path)
    st.title(entry.title)
    top = st.container()
    if not received:
        with top:
            dropped_link()
    st.session_state[_PENDING] = list(notices)
    record = st.session_state[REPORT_KEY] = RunRecord()
    with guard(f"page {path}"):
        importlib.import_module(entry.module).render(settings)
    with guard(f"page {path}: report"):
        report_button(record)
    if record.charts:
        follow_theme()  # charts are drawn for the screen's theme: redraw when it changes
    with top:
        show_notices(st.session_state.pop(_PENDING, []))
    link = share_url(path, settings)
    with st.container(key=PHONE_LINK):  # shown on narrow screens only (LAYOUT_CSS): the sidebar starts closed there
        st.caption("Link to this view (copy button on the right)")
        link_box(link, "link_box_phone")
    st.html(f"<style>{LAYOUT_CSS}</style>")
    with st.sidebar:
        st.caption("Link to this view (copy button on the right)")
        link_box(link, "link_box")
        st.button("Reset this page", on_click=_reset, args=(path,), key="reset_page",
                  icon=":material/restart_alt:")
