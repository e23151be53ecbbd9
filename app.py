"""initviz — the Streamlit app: page config, the navigation, shared sidebar text.

Run with ``make run`` (or ``streamlit run app.py``). Pages live in ``initviz/ui`` (see its
docstring for how to add one); every control is in the page's URL.
"""

import streamlit as st
from threadpoolctl import threadpool_limits

from initviz.ui import nav

st.set_page_config(page_title="initviz — what weight initialization does", page_icon=":material/grain:",
                   layout="wide", initial_sidebar_state="expanded")
st.set_option("client.showErrorDetails", "none")


@st.cache_resource
def _one_blas_thread():
    """One BLAS thread per computation, process-wide: sessions already run in parallel threads, and
    many threads per product made 20 sessions ~20× slower at the 95th percentile (PLATFORM.md)."""
    return threadpool_limits(limits=1)


_one_blas_thread()

pages = {e.path: st.Page(e.script, title=e.title, icon=e.icon, url_path=e.path) for e in nav.PAGES}


def _home() -> None:
    """The bare URL opens the default page at its own path, keeping the link's query."""
    st.switch_page(pages[nav.DEFAULT_PAGE], query_params={k: st.query_params.get_all(k) for k in st.query_params})


home = st.Page(_home, title="initviz", url_path="home", default=True, visibility="hidden")
current = st.navigation([home, *pages.values()], position="sidebar")
with st.sidebar:
    st.caption("**initviz** — see what weight initialization does to a neural network.")
current.run()
