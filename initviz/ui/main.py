"""The app's frame on every run: page config, the process settings, the navigation, the sidebar's
common text. ``app.py`` calls :func:`main`."""

from __future__ import annotations

import gc
import sys
from urllib.parse import urlsplit

import streamlit as st
from threadpoolctl import threadpool_limits

from . import frame, nav, workers


SWITCH_INTERVAL_S = 0.001
"""How long a thread may hold the GIL while others wait for it (Python's default: 5 ms). The server's
event loop (the websocket, ``/_stcore/health``) waits its turn among the sessions' script threads:
with 4 tabs looping over the heaviest views (``make loadtest``'s heavy phase), 5 ms gave health
answers of p95 18–21 ms, max 71–114 ms; 1 ms gave p95 14–15 ms, max 48–74 ms, and as many views
computed (156–163 vs 164–167 in 45 s; two runs each on a 2-core machine, load average 1.6–4)."""


@st.cache_resource
def _tune_process():
    """Once per server process. One BLAS thread per computation: sessions already run in parallel
    threads, and many threads per product made 20 sessions ~20× slower at the 95th percentile
    (PLATFORM.md). The objects alive after the first run (the imported libraries) frozen out of the
    garbage collector: a full collection holds the GIL — every session waits — and scanned them
    all, 100–130 ms every ~2.5 s under 20 sessions (BENCHMARKS.md, "Load and soak"). The GIL's switch
    interval shortened (:data:`SWITCH_INTERVAL_S`). The worker
    processes of the heavy computations started (:mod:`.workers`)."""
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    workers.start()
    return threadpool_limits(limits=1)


def requested_path() -> str:
    """The page path the browser asked for: the URL's path after the app's base path (``""`` for
    the bare URL; ``""`` too outside a browser)."""
    url = st.context.url
    if not url:
        return ""
    base = frame.base_path()
    path = urlsplit(url).path.strip("/")
    return path[len(base):].strip("/") if base and (path + "/").startswith(base + "/") else path


def _home(pages: dict) -> None:
    """The bare URL opens the default page at its own path, keeping the link's query. A path that
    is no page (Streamlit runs this default page for it, under its own "Page not found" dialog)
    says so and links to the pages."""
    asked = requested_path()
    if asked not in ("", "home"):
        st.title("Page not found")
        st.text(f"initviz has no page at “/{asked[:80]}”. Its pages:")
        for page in pages.values():
            st.page_link(page)
        return
    st.switch_page(pages[nav.DEFAULT_PAGE], query_params={k: st.query_params.get_all(k) for k in st.query_params})


def main() -> None:
    st.set_page_config(page_title="initviz — what weight initialization does", page_icon=":material/grain:",
                       layout="wide", initial_sidebar_state="auto")
    st.set_option("client.showErrorDetails", "none")
    _tune_process()
    pages = {e.path: st.Page(e.script, title=e.title, icon=e.icon, url_path=e.path) for e in nav.PAGES}
    home = st.Page(lambda: _home(pages), title="initviz", url_path="home", default=True, visibility="hidden")
    current = st.navigation([home, *pages.values()], position="sidebar")
    with st.sidebar:
        st.caption("**initviz** — see what weight initialization does to a neural network.")
    current.run()
