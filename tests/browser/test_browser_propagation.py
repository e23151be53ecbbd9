"""The Propagation and Experiments pages in a real browser: a preset link opens the phenomenon,
and a control change redraws the Propagation charts with new data."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from browser_support import chart_data, choose, open_page, wait_idle
from initviz.ui import experiments

pytestmark = pytest.mark.browser


def _query(url: str) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def _vertical_lines(tab, key: str) -> list[float]:
    """x of the vertical lines (fault marks) of chart ``key``, from plotly's laid-out figure."""
    return tab.evaluate(
        """key => { const el = document.querySelector(`.st-key-${key} .js-plotly-plot`);
                    return (el && el._fullLayout ? el._fullLayout.shapes : []).map(s => s.x0); }""", key)


def test_the_explosion_preset_link_opens_propagation_with_the_overflow_marked(page):
    preset = next(p for p in experiments.PRESETS if p.key == "explosion")
    open_page(page, "experiments", "jacobian_sigma")
    page.locator(".st-key-preset_explosion [data-testid=stPageLink-NavLink]").click()
    page.wait_for_selector(".st-key-act_var .js-plotly-plot .main-svg", state="attached")
    page.wait_for_function(
        """() => { const el = document.querySelector('.st-key-act_var .js-plotly-plot');
                   return el && el._fullData && el._fullData.some(t => t.name === 'xavier_normal'); }""")
    wait_idle(page)
    assert urlsplit(page.url).path == "/propagation"
    assert _query(page.url) == preset.query()
    traces = {t["name"]: t for t in chart_data(page, "act_var")}
    last = max(traces["normal"]["x"])
    assert last in (27, 28) and len(traces["xavier_normal"]["x"]) == 100
    assert _vertical_lines(page, "act_var") == [last + 1]


def test_changing_the_activation_redraws_with_dead_units_and_updates_the_link(page):
    open_page(page, "propagation", "saturated")
    before = {t["name"]: t["y"] for t in chart_data(page, "act_var")}
    choose(page, "activation", "relu")
    page.wait_for_selector(".st-key-dead .js-plotly-plot .main-svg", state="attached")
    wait_idle(page)
    after = {t["name"]: t["y"] for t in chart_data(page, "act_var")}
    assert after["measured"] != before["measured"]
    assert page.locator(".st-key-saturated").count() == 0
    assert _query(page.url) == {"activation": "relu"}


def test_the_backward_view_draws_the_gradients_of_the_same_network_and_goes_into_the_link(page):
    open_page(page, "propagation", "act_var")
    page.locator(".st-key-view").get_by_text("Backward: the gradients").click()
    page.wait_for_selector(".st-key-grad_var .js-plotly-plot .main-svg", state="attached")
    wait_idle(page)
    assert page.locator(".st-key-act_var").count() == 0  # only the view shown is drawn (and computed)
    assert [t["name"] for t in chart_data(page, "grad_var")] == ["measured", "mean field"]
    assert _query(page.url) == {"view": "backward"}


def test_a_residual_link_draws_its_blocks_and_choosing_the_architecture_puts_it_in_the_link(page):
    preset = next(p for p in experiments.PRESETS if p.key == "resid_pre_ln")
    query = "&".join(f"{k}={v}" for k, v in preset.query().items())
    open_page(page, f"propagation?{query}", "msq_ratio")
    assert [t["name"] for t in chart_data(page, "msq_ratio")] == ["measured", "mean field"]
    msq = next(t for t in chart_data(page, "msq_ratio") if t["name"] == "measured")
    assert len(msq["x"]) == 48 and msq["y"][-1] > 10 * msq["y"][0]  # pre-LN: the stream grows with depth
    assert {t["name"] for t in chart_data(page, "branch_skip")} >= {"xavier_normal: branch α·F",
                                                                    "xavier_normal: skip s·x"}
    assert page.locator(".st-key-act_var .js-plotly-plot").count() == 1 and page.locator(".st-key-layer_ratio").count() == 0
    choose(page, "arch", "residual, post-norm")
    page.wait_for_function(
        """() => { const el = document.querySelector('.st-key-msq_ratio .js-plotly-plot');
                   const t = el && el._fullData && el._fullData.find(t => t.name === 'measured');
                   return t && Math.max(...t.y) < 2; }""")  # post-norm: ‖x_l‖²/‖x_0‖² stays ≈ 1
    wait_idle(page)
    assert _query(page.url) == {**preset.query(), "arch": "post"}
