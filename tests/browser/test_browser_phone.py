"""At a phone's 390×844 the page, not the sidebar, is what a link opens on (issue 12, item 5, in
part): the sidebar starts collapsed, the charts are drawn, nothing scrolls sideways; on a desktop it
starts open."""

from __future__ import annotations

import pytest

from browser_support import open_page

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _sidebar_open(tab) -> bool:
    """Whether the sidebar is on screen (collapsed, Streamlit moves it off to the left at width 0)."""
    box = tab.locator("[data-testid=stSidebar]").bounding_box()
    return box is not None and box["width"] > 0 and box["x"] + box["width"] > 0


@pytest.mark.parametrize("path,chart", [("propagation", "preact_var"), ("training", "loss"), ("criticality", "map_chi1")])
def test_a_phone_opens_on_the_page_with_the_sidebar_collapsed(page, path, chart):
    page.set_viewport_size(PHONE)
    open_page(page, path, chart)
    assert not _sidebar_open(page)
    assert page.locator(f".st-key-{chart} .js-plotly-plot").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_desktop_opens_with_the_sidebar(page):
    open_page(page, "propagation", "preact_var")
    assert _sidebar_open(page)
