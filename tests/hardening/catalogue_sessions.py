"""Opening a link of the catalogue (``links_catalogue.py``) in AppTest, as a stranger would: shared by
``test_links_catalogue.py`` (what each link shows) and ``bench/links.py`` (how long each takes).

Streamlit's server turns the query string into ``st.query_params`` with
``urllib.parse.parse_qs(query, keep_blank_values=True)``; :func:`link_params` does the same and
:class:`Sessions` hands the result to ``AppTest.query_params`` (which re-encodes it, so the app sees
exactly those keys and values). Links to the default page (Propagation) each get a fresh session, as
a stranger opening the link would (the bare URL redirects there with the query). Links to the other
pages are opened in one session per page that is already on that page: a link that differs from the
query the app last wrote is a new link for the frame (``initviz.ui.frame.sync_settings``) and is
parsed from scratch; a link that does not (empty, or equal to the last canonical query) gets a fresh
session.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs

from streamlit.testing.v1 import AppTest

from initviz.ui import links, nav
from links_catalogue import Link
from test_app_support import APP

TIMEOUT = 30
"""Seconds AppTest lets one run take before it raises: a link that hangs fails."""


def link_params(link: Link) -> dict[str, list[str]]:
    """The query as Streamlit's server parses it."""
    return parse_qs(link.query, keep_blank_values=True)


def written(at) -> dict[str, list[str]]:
    """The query the app left in the URL, without Streamlit's own ``embed`` parameters."""
    return {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items()
            if k not in links.STREAMLIT_RESERVED}


class Sessions:
    """One session per non-default page, already on that page (see the module docstring)."""

    def __init__(self):
        self.by_page: dict[str, AppTest] = {}

    def fresh(self, page: str) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.run()
        at.switch_page(nav.entry(page).script).run()
        assert not at.exception, [e.value for e in at.exception]
        self.by_page[page] = at
        return at

    def open(self, link: Link) -> tuple[AppTest, float, float]:
        params = link_params(link)
        if link.page == nav.DEFAULT_PAGE:
            at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        else:
            at = self.by_page.get(link.page) or self.fresh(link.page)
            own = {k: v for k, v in params.items() if k not in links.STREAMLIT_RESERVED}
            if not own or own == written(at):
                at = self.fresh(link.page)
            at.query_params.clear()
        at.query_params.update(params)
        cpu, wall = time.process_time(), time.perf_counter()
        at.run()
        return at, time.process_time() - cpu, time.perf_counter() - wall
