"""Exports in a real browser (issue 12, item 4): a chart's PNG from the modebar (3×, white, its
caption inside, the title clear of the edges), its CSV with the settings on top, and the view's HTML
report — opened with the network cut off, every chart draws, with its settings, link and formulas,
and its PNG and SVG buttons download the chart with its caption."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from browser_support import open_page, shared_link, wait_idle
from initviz.figures import theme
from initviz.ui import report

pytestmark = pytest.mark.browser

REPORT_VIEWS = [("propagation", "preact_var"), ("geometry?step=spectrum&seed=3", "mp_hist")]
"""Views whose report is opened offline: (path and query, a chart key to wait for)."""


def _app_link(tab) -> str:
    return shared_link(tab)


def _boxes(tab, key: str) -> dict:
    """Bounding boxes (relative to the chart's SVG) of the chart's title, x-axis title(s), export
    caption, and the SVG itself."""
    return tab.evaluate(
        """key => {
            const root = document.querySelector(`.st-key-${key} .js-plotly-plot .main-svg`);
            const at = root.getBoundingClientRect();
            const rel = el => { const b = el.getBoundingClientRect();
                                return {left: b.left - at.left, top: b.top - at.top, right: b.right - at.left,
                                        bottom: b.bottom - at.top}; };
            const plot = root.parentElement.parentElement;
            const notes = [...plot.querySelectorAll('.annotation')];
            const caption = notes.filter(a => a.textContent.startsWith('initviz '));
            return {svg: {width: at.width, height: at.height},
                    title: [...plot.querySelectorAll('.gtitle')].map(rel),
                    xtitle: [...plot.querySelectorAll('.xtitle, .x2title')].map(rel),
                    caption: caption.map(rel), captionText: caption.map(a => a.textContent)};
        }""", key)


def test_a_charts_png_has_its_caption_a_white_background_and_3x_pixels_and_its_csv_its_settings(page):
    open_page(page, "geometry?angle_n=200&seed=4", "angle_hist")
    link = _app_link(page)
    box = _boxes(page, "angle_hist")
    assert len(box["caption"]) == 1
    text = box["captionText"][0]
    assert text.startswith("initviz ") and "seed=4" in text and link in text  # the link, whole
    caption, svg = box["caption"][0], box["svg"]
    assert all(caption["top"] >= x["bottom"] for x in box["xtitle"])  # under the axis title, not over it
    assert caption["bottom"] <= svg["height"] and caption["left"] >= 0 and caption["right"] <= svg["width"]
    title = box["title"][0]
    assert title["left"] >= theme.GAP_PX - 1 and title["top"] >= theme.GAP_PX / 2  # not touching the edge

    plot = page.locator(".st-key-angle_hist .js-plotly-plot")
    plot.hover()
    with page.expect_download() as info:
        plot.locator(".modebar-btn[data-title^='Download plot']").click()
    png = info.value
    assert png.suggested_filename == "geometry-angles-n200-seed4.png"
    image = Image.open(png.path()).convert("RGB")
    assert image.width == report.EXPORT_WIDTH * report.EXPORT_SCALE  # whatever the chart's width on screen
    assert image.getpixel((2, 2)) == (255, 255, 255) and image.getpixel((image.width - 3, image.height - 3)) \
        == (255, 255, 255)  # white paper, also where the screen has none

    with page.expect_download() as info:
        page.locator(".st-key-angle_hist_csv button").click()
    csv = info.value
    assert csv.suggested_filename == "geometry-angles-n200-seed4.csv"
    first, second = Path(csv.path()).read_text(encoding="utf-8").splitlines()[:2]
    assert first.startswith("# initviz ") and " · geometry · " in first and first.endswith(link)
    assert second.startswith("group,left,right,count,density")
    table = pd.read_csv(csv.path(), comment="#")
    assert len(table) > 0 and table["count"].sum() > 0


def _offline_context(browser, blocked: list[str]):
    """A context with the network off: offline, and every request but the file itself aborted
    (and listed in ``blocked``)."""
    context = browser.new_context(viewport={"width": 1200, "height": 1000}, accept_downloads=True, offline=True)

    def deny(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", deny)
    return context


@pytest.mark.parametrize("view, key", REPORT_VIEWS, ids=[v.split("?")[0] for v, _ in REPORT_VIEWS])
def test_the_views_html_report_opens_offline_with_every_chart_its_settings_link_and_formulas(
        page, browser, tmp_path, view, key):
    open_page(page, view, key)
    wait_idle(page)
    charts = page.locator("[data-testid=stPlotlyChart]").count()
    formulas = page.locator(".katex-display").count()  # the page's display equations (st.latex)
    link = _app_link(page)
    assert charts >= 1
    with page.expect_download() as info:
        page.locator(".st-key-view_report button").first.click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name.startswith(f"initviz-{view.split('?')[0]}") and saved.suffix == ".html"

    blocked: list[str] = []
    context = _offline_context(browser, blocked)
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    tab.goto(saved.as_uri())
    tab.wait_for_function(
        """n => { const plots = [...document.querySelectorAll('.js-plotly-plot')];
                  return plots.length === n && plots.every(p => p._fullData && p._fullData.length > 0
                                                            && p.querySelector('.main-svg')); }""", arg=charts)
    assert blocked == []  # nothing outside the file was even asked for
    assert tab.locator("a.link").inner_text() == link
    settings = dict(zip(tab.locator("table.settings tbody tr td:first-child").all_inner_texts(),
                        tab.locator("table.settings tbody tr td:last-child").all_inner_texts()))
    assert "seed" in settings and (view.endswith("seed=3") == (settings["seed"] == "3"))
    maths = tab.locator(".formula math")
    assert maths.count() == formulas and formulas >= 1
    assert all(maths.nth(i).bounding_box()["height"] > 20 for i in range(formulas))  # typeset, not raw text
    captions = tab.evaluate("() => [...document.querySelectorAll('.js-plotly-plot .annotation')]"
                            ".filter(a => a.textContent.startsWith('initviz ')).length")
    assert captions == charts

    first = tab.locator("figure.chart").first
    with tab.expect_download() as info:
        first.locator("button[data-format=svg]").click()
    svg = Path(info.value.path()).read_text(encoding="utf-8")
    assert info.value.suggested_filename.endswith(".svg") and svg.lstrip().startswith("<svg")
    assert "initviz " in svg and link.split("://", 1)[-1].split("?")[0] in svg
    with tab.expect_download() as info:
        first.locator("button[data-format=png]").click()
    image = Image.open(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert image.width == report.EXPORT_WIDTH * report.EXPORT_SCALE
    assert blocked == []
    context.close()


@pytest.mark.parametrize("viewport", [{"width": 1400, "height": 1100}, {"width": 390, "height": 844}],
                         ids=["laptop", "phone"])
def test_the_caption_block_fits_under_the_x_titles_and_inside_each_propagation_chart(page, viewport):
    """The caption sits below the x-axis titles, on the multi-panel charts too (the histograms' shared
    title is an annotation), and is not cut at the right edge: half-width charts on a laptop, full
    width on a phone. (Three panels on a phone rotate their tick labels into the caption's room: the
    phone layout's business; exports are laid out at report.EXPORT_WIDTH.)"""
    page.set_viewport_size(viewport)
    open_page(page, "propagation?view=histograms&compare=kaiming_normal,orthogonal", "hist_heatmap")
    for key in ("hist_heatmap", "hist_layers") if viewport["width"] > 1000 else ("hist_heatmap",):
        box = _boxes(page, key)
        assert len(box["caption"]) == 1, key
        others = page.evaluate(
            """key => { const root = document.querySelector(`.st-key-${key} .js-plotly-plot`);
                        return [...root.querySelectorAll('.annotation')]
                          .filter(a => !a.textContent.startsWith('initviz '))
                          .map(a => a.getBoundingClientRect().bottom - root.querySelector('.main-svg')
                                                                            .getBoundingClientRect().top); }""",
            key)
        caption = box["caption"][0]
        assert all(bottom <= caption["top"] for bottom in others + [x["bottom"] for x in box["xtitle"]]), \
            (key, others, caption)
        assert caption["bottom"] <= box["svg"]["height"] and caption["right"] <= box["svg"]["width"], (key, box)
    open_page(page, "propagation?compare=kaiming_normal,orthogonal&activation=relu", "preact_var")
    box = _boxes(page, "preact_var")
    assert box["caption"][0]["right"] <= box["svg"]["width"], box
