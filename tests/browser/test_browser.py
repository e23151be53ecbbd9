"""The app in a real browser: every page draws, a control redraws, a link round-trips (exports:
test_browser_export.py).

Also saves a screenshot of each page (see ``SHOTS``; the README shows ``docs/screenshots``).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from playwright.sync_api import expect

import initviz.geometry as geo
from browser_support import chart_data, choose, open_page, shared_link, wait_hydrated, wait_idle
from initviz.ui import nav

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / ("docs" if os.environ.get("INITVIZ_UPDATE_SCREENSHOTS") == "1" else "artifacts") / "screenshots"
"""Where the page screenshots go: ``artifacts/`` (git-ignored) on every run, the README's
``docs/screenshots/`` with ``INITVIZ_UPDATE_SCREENSHOTS=1 make test``."""
SHOT_VIEWPORT = {"width": 1400, "height": 2000}


def _query(url: str) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def _heatmap(tab) -> np.ndarray:
    wt_w = [t for t in chart_data(tab, "gram_heatmap") if t["type"] == "heatmap"][0]
    return np.array(wt_w["z"], dtype=float)


@pytest.mark.parametrize("entry", nav.PAGES, ids=[p.path for p in nav.PAGES])
def test_each_page_loads_draws_and_is_screenshotted(page, entry):
    page.set_viewport_size(SHOT_VIEWPORT)  # tall enough for the README to show charts, not only controls
    page.goto(f"{page.base}/{entry.path}")
    page.wait_for_selector(f"h1:has-text('{entry.title}')")
    wait_idle(page)
    charts = page.locator("[data-testid=stPlotlyChart]")
    for i in range(charts.count()):  # every chart on the page is drawn (plotly made its SVG)
        charts.nth(i).locator(".js-plotly-plot .main-svg").first.wait_for(state="attached")
    assert page.locator("[data-testid=stException]").count() == 0
    assert urlsplit(page.url).path.rstrip("/").endswith(entry.path)
    wait_hydrated(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{entry.path}.png"))


def test_the_bare_url_opens_the_default_page_at_its_own_path_keeping_the_query(page):
    page.goto(f"{page.base}/?seed=5&bogus=1")
    page.wait_for_selector(f"h1:has-text('{nav.entry(nav.DEFAULT_PAGE).title}')")
    wait_idle(page)
    assert urlsplit(page.url).path == f"/{nav.DEFAULT_PAGE}"
    assert _query(page.url) == {"seed": "5"}
    assert "'bogus': not a parameter" in page.locator(".st-key-link_notices").inner_text()


def test_an_unknown_path_says_so_links_every_page_and_the_shared_link_is_the_pages_own(page):
    """Issue 12 items 6 and 9: ``/nosuchpage`` redirected silently and the link box then showed
    ``…/nosuchpage/propagation`` while the address bar said ``/propagation``."""
    page.goto(f"{page.base}/nosuchpage?depth=abc")
    main = page.locator("[data-testid=stMain]")
    # Streamlit's own "Page not found" dialog can show before the script runs: wait for the page's text
    main.get_by_text("no page at “/nosuchpage”", exact=False).wait_for()
    wait_idle(page)
    links = main.locator("[data-testid=stPageLink] a")
    expect(links).to_have_count(len(nav.PAGES), timeout=30_000)  # drawn after the message: wait for them
    assert [links.nth(i).get_attribute("href").strip("/").split("/")[-1] for i in range(links.count())] == \
        [entry.path for entry in nav.PAGES]
    page.keyboard.press("Escape")  # Streamlit's own "Page not found" dialog is open over the page
    links.filter(has_text=nav.entry(nav.DEFAULT_PAGE).title).click()
    page.wait_for_selector(f"h1:has-text('{nav.entry(nav.DEFAULT_PAGE).title}')")
    wait_idle(page)
    shared = shared_link(page, page.url)
    assert shared == page.url and urlsplit(shared).path == f"/{nav.DEFAULT_PAGE}"


def test_settings_come_back_after_visiting_another_page(page):
    open_page(page, "geometry?step=gram&gram_dist=uniform", "gram_heatmap")
    page.locator("[data-testid=stSidebarNav] a[href$='/initializers']").click()
    page.wait_for_selector("h1:has-text('Initializers')")
    wait_idle(page)
    assert _query(page.url) == {}  # the navigation cleared the query; Initializers is at its defaults
    page.locator("[data-testid=stSidebarNav] a[href$='/geometry']").click()
    page.wait_for_selector("h1:has-text('Geometry')")
    page.wait_for_function("() => new URLSearchParams(location.search).get('gram_dist') === 'uniform'")
    assert _query(page.url)["step"] == "gram"  # the step the page was left at
    dist = page.locator(".st-key-gram_dist input")
    dist.wait_for(state="visible")
    assert dist.input_value() == "Uniform"


def test_a_control_change_redraws_the_chart_with_new_data(page):
    open_page(page, "geometry", "angle_hist")  # step 1; step 2 is a click away
    page.locator(".st-key-step").get_by_text("2 · WᵀW ≈ I").click()
    page.wait_for_selector(".st-key-gram_heatmap .js-plotly-plot .main-svg", state="attached")
    wait_idle(page)
    assert page.locator(".st-key-angle_hist").count() == 0  # only the step shown is drawn (and computed)
    before = _heatmap(page)
    choose(page, "gram_dist", "Rademacher ±s")
    # wait for the new figure, not for "a chart": with ±1/√n entries every column has norm exactly 1
    page.wait_for_function(
        """() => { const el = document.querySelector('.st-key-gram_heatmap .js-plotly-plot');
                   const z = el && el._fullData && el._fullData[0].z;
                   return z && z.every((row, i) => Math.abs(row[i] - 1) < 1e-6); }""")
    wait_idle(page)
    after = _heatmap(page)
    assert not np.array_equal(before, after)
    np.testing.assert_allclose(np.diag(after), 1.0, atol=1e-6)
    assert _query(page.url) == {"step": "gram", "gram_dist": "rademacher"}


def test_a_link_round_trips_controls_and_numbers(page, browser):
    open_page(page, "geometry?step=Gram&gram_dist=UNIFORM&gram_n=16&seed=3&bogus=1", "gram_heatmap")
    assert _query(page.url) == {"step": "gram", "gram_n": "16", "gram_dist": "uniform", "seed": "3"}
    dist = page.locator(".st-key-gram_dist input")
    dist.wait_for(state="visible")
    assert dist.input_value() == "Uniform"
    assert page.locator(".st-key-seed input").input_value() == "3"
    assert "bogus" in page.locator(".st-key-link_notices").inner_text()
    np.testing.assert_array_equal(_heatmap(page), geo.gram_matrix(16, 16, "uniform", seed=3))
    shared = shared_link(page, page.url)
    assert shared == page.url
    # the shared link, opened in a new session, shows the same controls and the same numbers
    other = browser.new_context(viewport={"width": 1400, "height": 1100}).new_page()
    other.base = page.base
    other.set_default_timeout(90_000)
    open_page(other, shared.split("/", 3)[3], "gram_heatmap")
    assert _query(other.url) == _query(page.url)
    np.testing.assert_array_equal(_heatmap(other), _heatmap(page))
    other.context.close()


def test_the_copy_button_puts_the_link_on_the_clipboard(page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=page.base)
    open_page(page, "geometry?seed=5", "angle_hist")
    shown = shared_link(page, page.url)
    assert shown == page.url and "seed=5" in shown
    page.locator("[data-testid=stSidebar]").get_by_role("button", name="Copy").click()
    page.wait_for_function("() => navigator.clipboard.readText().then(t => t.length > 0)")
    assert page.evaluate("() => navigator.clipboard.readText()") == shown
    assert page.locator("[data-testid=stCode]").count() == 0  # no code block (and its highlighter) on the page
