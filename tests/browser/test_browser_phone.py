"""At a phone's 390×844 the page, not the sidebar, is what a link opens on (issue 12, item 5, in
part): the sidebar starts collapsed, the charts are drawn, nothing scrolls sideways; on a desktop it
starts open."""

from __future__ import annotations

import pytest

from browser_support import open_page, shared_link

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _sidebar_open(tab) -> bool:
    """Whether the sidebar is on screen (collapsed, Streamlit moves it off to the left at width 0)."""
    box = tab.locator("[data-testid=stSidebar]").bounding_box()
    return box is not None and box["width"] > 0 and box["x"] + box["width"] > 0


@pytest.mark.parametrize("path,chart", [("propagation", "preact_var"), ("training", "loss"), ("criticality", "map_chi1"),
                                        ("propagation?arch=pre&norm=layernorm", "branch_skip"),  # residual blocks
                                        ("initializers", "weight_hist")])  # with the residual blocks' code tabs
def test_a_phone_opens_on_the_page_with_the_sidebar_collapsed(page, path, chart):
    page.set_viewport_size(PHONE)
    open_page(page, path, chart)
    assert not _sidebar_open(page)
    assert page.locator(f".st-key-{chart} .js-plotly-plot").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_desktop_opens_with_the_sidebar(page):
    open_page(page, "propagation", "preact_var")
    assert _sidebar_open(page)


def _overlap(a: dict, b: dict) -> bool:
    return a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] and \
        a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def test_on_a_phone_titles_are_clear_of_the_toolbar_equations_scroll_and_the_link_is_on_the_page(page):
    """Issue 12 item 5: the chart toolbar covered every title, the display equation was cut off on
    the right, and the share link sat in the closed sidebar."""
    page.set_viewport_size(PHONE)
    open_page(page, "propagation", "preact_var")
    chart = page.locator(".st-key-preact_var .js-plotly-plot")
    chart.hover()  # the toolbar shows on hover / tap
    bar = chart.locator(".modebar").bounding_box()
    title = chart.locator(".gtitle").bounding_box()
    assert bar and title and not _overlap(bar, title)
    equations = page.locator(".katex-display").all()
    assert equations
    for eq in equations:  # wider than the screen: scrolls inside its box
        assert eq.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        box = eq.bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"]
    assert page.locator(".st-key-phone_link .initviz-link").is_visible()
    assert shared_link(page, page.url, where=".st-key-phone_link") == page.url


def test_on_a_desktop_the_link_is_in_the_sidebar_only(page):
    open_page(page, "propagation", "preact_var")
    assert not page.locator(".st-key-phone_link").is_visible()
    assert page.locator("[data-testid=stSidebar] .initviz-link").is_visible()
