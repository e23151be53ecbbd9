"""Issue 12 items 1, 2, 3 and 7 in a real browser: the network asked is the network drawn (or
choices are offered), compared series stay visible, the Initializers page keeps the layer asked,
and the Geometry angle axis can stay at 0–180°."""

from __future__ import annotations

import numpy as np
import pytest

from browser_support import chart_data, open_page, wait_hydrated, wait_idle
from initviz.ui.propagation import UNFIT_KEY

pytestmark = pytest.mark.browser


def _full(tab, key: str) -> list[dict]:
    """Chart ``key``'s traces with their marker symbol and the figure's annotations' texts."""
    return tab.evaluate(
        """key => {
            const el = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            return {traces: el._fullData.map(t => ({name: t.name, x: Array.from(t.x || []),
                                                     symbol: t.marker && t.marker.symbol})),
                    notes: (el._fullLayout.annotations || []).map(a => a.text),
                    legend_title: el._fullLayout.legend.title.text,
                    xrange: el._fullLayout.xaxis.range};
        }""", key)


def test_he_and_xavier_on_a_relu_net_are_both_visible_and_named_equal(page):
    open_page(page, "propagation?depth=6&width=32&activation=relu&scheme=kaiming_normal&compare=xavier_normal"
                    "&batch=16", "dead")
    fig = _full(page, "dead")
    he, xavier = (next(t for t in fig["traces"] if t["name"] == n) for n in ("kaiming_normal", "xavier_normal"))
    assert he["symbol"] != xavier["symbol"]
    assert min(np.subtract(xavier["x"], he["x"])) > 0  # drawn beside, not on top
    assert fig["legend_title"].startswith("equal values: kaiming_normal = xavier_normal")
    assert "positively homogeneous" in page.locator("[data-testid=stMain]").inner_text()


def test_the_initializers_page_keeps_a_large_conv_layer_as_asked(page):
    open_page(page, "initializers?layer=conv2d&n_in=512&n_out=512&scheme=xavier_normal", "weight_hist")
    main = page.locator("[data-testid=stMain]").inner_text()
    assert "(512, 512, 3, 3)" in main and "fan_in = 4608" in main and "fan_out = 4608" in main
    assert page.locator("[data-testid=stCode]").filter(has_text="nn.Conv2d(512, 512, kernel_size=3)").count() >= 1
    assert "1,048,576 of its 2,359,296 weights sampled" in page.locator(".st-key-weight_hist .gtitle").text_content()


def test_the_angle_axis_stays_at_0_to_180_degrees_when_asked(page):
    open_page(page, "geometry?angle_n=10000&angle_fixed=true", "angle_hist")
    assert _full(page, "angle_hist")["xrange"] == [0, 180]
    page.locator(".st-key-angle_fixed label").click()  # the toggle, off: the axis zooms on the sample
    page.wait_for_function("""() => { const el = document.querySelector('.st-key-angle_hist .js-plotly-plot');
                                      return el && el._fullLayout.xaxis.range[0] > 45; }""")
    wait_idle(page)
    assert "angle_fixed" not in page.url


def test_a_view_over_the_hosted_budget_draws_the_network_asked_or_offers_choices(page):
    """Issue 12 item 1's examples: depth 50, width 1024, three schemes compared — never depth 3."""
    page.goto(f"{page.base}/propagation?depth=50&width=1024&compare=orthogonal,lecun_normal&batch=32")
    page.wait_for_selector(f".st-key-{UNFIT_KEY}, .st-key-preact_var .js-plotly-plot .main-svg", state="attached")
    wait_idle(page)
    wait_hydrated(page)
    main = page.locator("[data-testid=stMain]").inner_text()
    charts = page.locator("[data-testid=stPlotlyChart]").count()
    if charts:  # computed with a smaller sample: the network drawn is the one asked
        traces = chart_data(page, "preact_var")
        assert max(max(t["x"]) for t in traces if t["x"]) == 50
    else:  # or choices, each a link to a view that fits
        choices = page.locator("[data-testid=stMain] [data-testid=stPageLink] a")
        assert "nothing is computed, and your settings stay as you set them" in main
        assert choices.count() >= 1 or "No single change fits" in main
    assert "depth=50" in page.url and "width=1024" in page.url


_LEGEND_BELOW_TITLE = """() => [...document.querySelectorAll('.js-plotly-plot')].map(plot => {
    const title = plot.querySelector('.gtitle'), legend = plot.querySelector('.legend');
    if (!title || !legend) return null;
    return {title: plot.closest('[class*=st-key-]').className.match(/st-key-(\\S+)/)[1],
            gap: legend.getBoundingClientRect().top - title.getBoundingClientRect().bottom};
}).filter(Boolean)"""


@pytest.mark.parametrize("link, key", [
    ("training?arch=pre&depth=20&width=32&compare=xavier_normal,torch_default&steps=30&n_seeds=1&view=layers",
     "grad_std"),
    ("propagation?depth=6&width=32&compare=kaiming_normal,orthogonal,lecun_normal&batch=16", "act_var"),
])
def test_a_legend_of_several_rows_stays_below_the_charts_title(page, link, key):
    """The rows reserved above the plot hold the legend as plotly wraps it (long scheme names, a legend
    title): no legend rises into its chart's title."""
    page.set_viewport_size({"width": 1280, "height": 900})  # half-width charts: the narrowest legends
    open_page(page, link, key)
    boxes = page.evaluate(_LEGEND_BELOW_TITLE)
    assert boxes and all(b["gap"] >= 0 for b in boxes), boxes
