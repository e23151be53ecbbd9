"""Light and dark (issue 12, item 8): the app and its charts follow the browser's colour-scheme
preference (``prefers-color-scheme``, emulated by Playwright's ``color_scheme``), and the view's
HTML report stays light whatever the screen shows. The dark page is screenshotted for the README
(``SHOTS``, as the other pages in test_browser.py)."""

from __future__ import annotations

import re

import pytest

from browser_support import open_page, wait_hydrated
from conftest import PAGE_TIMEOUT_MS, VIEWPORT
from initviz.figures import theme
from test_browser import SHOT_VIEWPORT, SHOTS

pytestmark = pytest.mark.browser

DARK_BELOW = 0.2
"""Relative luminance (0 black … 1 white) under which a colour counts as dark; light text and paper
are above 1 − DARK_BELOW. The themes' colours are far from both (paper ~0.005 or 1, ink ~0.8 or 0.02)."""


def _luminance(css: str) -> float:
    """Relative luminance of a CSS ``rgb(…)``/``rgba(…)``/``#rrggbb``/``white`` colour (WCAG 2.1)."""
    if css == "white":
        rgb = (255, 255, 255)
    elif css.startswith("#"):
        rgb = tuple(int(css[i:i + 2], 16) for i in (1, 3, 5))
    else:
        rgb = tuple(float(v) for v in re.findall(r"[\d.]+", css)[:3])
    lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in (x / 255 for x in rgb)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _colours(tab, key: str) -> dict:
    """The page's background, and chart ``key``'s paper, text, axis-tick text and annotation
    backgrounds as the browser drew them."""
    return tab.evaluate(
        """key => {
            const plot = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            const tick = plot.querySelector('.xtick text');
            return {app: getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor,
                    paper: plot._fullLayout.paper_bgcolor, plot: plot._fullLayout.plot_bgcolor,
                    ink: plot._fullLayout.font.color, tick: getComputedStyle(tick).fill,
                    notes: plot._fullLayout.annotations.map(a => a.bgcolor)};
        }""", key)


@pytest.fixture(params=["light", "dark"])
def scheme_page(request, browser, server):
    """A fresh session in a browser whose colour-scheme preference is the parameter."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, color_scheme=request.param)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    tab = context.new_page()
    tab.base = server
    yield request.param, tab
    context.close()


def test_the_app_and_its_charts_follow_the_browsers_light_or_dark_preference_and_are_screenshotted(scheme_page):
    scheme, tab = scheme_page
    tab.set_viewport_size(SHOT_VIEWPORT)
    open_page(tab, "propagation", "preact_var")
    seen = _colours(tab, "preact_var")
    dark = scheme == "dark"
    for name in ("app", "paper", "plot"):
        assert (_luminance(seen[name]) < DARK_BELOW) == dark, (name, seen)
    for name in ("ink", "tick"):
        assert (_luminance(seen[name]) > 1 - DARK_BELOW) == dark, (name, seen)
    assert seen["notes"]  # the export caption at least
    assert all((_luminance(n) < DARK_BELOW) == dark for n in seen["notes"]), seen["notes"]
    if dark:  # the light page is test_browser.py's
        wait_hydrated(tab)
        SHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SHOTS / "propagation-dark.png"))


@pytest.mark.parametrize("scheme_page", ["dark"], indirect=True)
def test_the_html_report_is_light_on_a_dark_screen(scheme_page):
    _, tab = scheme_page
    open_page(tab, "propagation", "preact_var")
    with tab.expect_download() as info:
        tab.locator(".st-key-view_report button").first.click()
    text = open(info.value.path(), encoding="utf-8").read()
    papers = re.findall(r'"paper_bgcolor":\s*"([^"]+)"', text)
    assert papers and all(_luminance(p) > 1 - DARK_BELOW for p in papers), papers


@pytest.mark.parametrize("scheme_page", ["dark"], indirect=True)
def test_the_charts_follow_a_theme_change_without_a_click(scheme_page):
    """The system preference turns light under an open page (the app menu's Light does the same to
    the app's background): the page reruns and its charts are light, with no interaction."""
    _, tab = scheme_page
    open_page(tab, "propagation", "preact_var")
    assert _luminance(_colours(tab, "preact_var")["paper"]) < DARK_BELOW
    tab.emulate_media(color_scheme="light")
    tab.wait_for_function(
        """paper => { const el = document.querySelector('.st-key-preact_var .js-plotly-plot');
                      return el && el._fullLayout && el._fullLayout.paper_bgcolor === paper; }""", arg=theme.PAPER)
    seen = _colours(tab, "preact_var")
    assert _luminance(seen["app"]) > 1 - DARK_BELOW and _luminance(seen["ink"]) < DARK_BELOW
