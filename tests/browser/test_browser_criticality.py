"""The Criticality page in a real browser: the phase diagram draws its heatmaps with the critical
line, a click on a grid point moves the chosen point there, the point opens in Propagation as the
same network, and Propagation links back to it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from browser_support import chart_data, open_page, wait_hydrated, wait_idle
from initviz.ui import links
from initviz.ui.links import criticality as plan

pytestmark = pytest.mark.browser

MAPS = ("q_star", "chi1", "c_star", "xi_q", "xi_c")
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _query(url: str) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def test_the_phase_diagram_draws_every_map_with_the_critical_line_and_the_point(page):
    open_page(page, "criticality", "map_xi_c")
    res = links.SCHEMAS["criticality"].defaults()["res"]
    for key in MAPS:
        page.wait_for_selector(f".st-key-map_{key} .js-plotly-plot .main-svg", state="attached")
        traces = chart_data(page, f"map_{key}")
        heat = [t for t in traces if t["type"] == "heatmap"][0]
        z = np.array([[np.nan if v is None else v for v in row] for row in heat["z"]], dtype=float)
        assert z.shape == (res, res) and np.isfinite(z).sum() > res  # drawn, not an empty grid
        names = {t["name"] for t in traces}
        assert {"critical line χ₁ = 1", "you are here"} <= names
    page.set_viewport_size({"width": 1400, "height": 2400})
    wait_hydrated(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "criticality-tanh.png"))


def test_the_point_opens_in_propagation_and_propagation_links_back(page):
    open_page(page, "criticality?activation=relu&pt_sw=1.2&pt_sb=0.5", "map_chi1")
    names = {t["name"] for t in chart_data(page, "map_chi1")}
    assert {"no stable finite q* (q* = ∞)", "critical point χ₁ = 1"} <= names  # ReLU: a mask and one point
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "criticality-relu.png"))
    page.locator(".st-key-criticality_here [data-testid=stPageLink-NavLink]").click()
    page.wait_for_selector(".st-key-act_var .js-plotly-plot .main-svg", state="attached")
    wait_idle(page)
    assert urlsplit(page.url).path == "/propagation"
    settings = {**links.SCHEMAS["criticality"].defaults(), "activation": "relu", "pt_sw": 1.2, "pt_sb": 0.5}
    assert _query(page.url) == links.canonical("propagation", plan.propagation_settings(settings))
    back = page.get_by_text("See this network on the phase diagram")
    assert "σ_w = 1.2, σ_b = 0.5" in back.inner_text()
    back.click()
    page.wait_for_selector(".st-key-map_chi1 .js-plotly-plot .main-svg", state="attached")
    wait_idle(page)
    assert urlsplit(page.url).path == "/criticality"
    query = _query(page.url)
    assert (query["activation"], float(query["pt_sw"]), float(query["pt_sb"])) == ("relu", 1.2, 0.5)
    here = [t for t in chart_data(page, "map_chi1") if t["name"] == "you are here"][0]
    assert (here["x"][0], here["y"][0]) == pytest.approx((1.2, 0.5))


def test_clicking_a_grid_point_of_a_map_moves_the_point_there(page):
    open_page(page, "criticality", "map_chi1")
    page.locator(".st-key-map_chi1").scroll_into_view_if_needed()
    # the grid point (σ_w, σ_b) = (3.0, 1.0) of the default 17 × 17 window, in screen pixels
    x, y = page.evaluate(
        """() => { const el = document.querySelector('.st-key-map_chi1 .js-plotly-plot');
                   const xa = el._fullLayout.xaxis, ya = el._fullLayout.yaxis;
                   const box = el.querySelector('.nsewdrag').getBoundingClientRect();
                   return [box.left + xa.l2p(3.0), box.top + ya.l2p(1.0)]; }""")
    page.mouse.move(x, y)
    page.mouse.click(x, y)
    page.wait_for_function("() => new URL(location.href).searchParams.get('pt_sw') === '3.0'")
    wait_idle(page)
    assert _query(page.url) == {"pt_sw": "3.0", "pt_sb": "1.0"}
    for key in MAPS:
        here = [t for t in chart_data(page, f"map_{key}") if t["name"] == "you are here"][0]
        assert (here["x"][0], here["y"][0]) == pytest.approx((3.0, 1.0))


def test_the_jacobian_view_opens_from_its_segment_and_the_preset_draws_both_laws(page):
    open_page(page, "criticality", "map_chi1")
    page.locator(".st-key-view button", has_text="Jacobian spectra").click()
    page.wait_for_selector(".st-key-jac_hist .js-plotly-plot .main-svg", state="attached")
    wait_idle(page)
    assert _query(page.url) == {"view": "jacobian"}
    from initviz.ui.experiments import PRESETS

    preset = next(p for p in PRESETS if p.key == "jacobian_tanh_critical")
    query = "&".join(f"{k}={v}" for k, v in preset.query().items())
    open_page(page, f"criticality?{query}", "jac_log10_mean_sq")
    bars = {t["name"] for t in chart_data(page, "jac_hist") if t["type"] == "bar"}
    assert bars == {"Gaussian (sampled)", "orthogonal (sampled)"}  # tanh: no exact zeros
    for key in ("jac_log10_var_sq", "jac_log10_mean_sq"):
        names = {t["name"] for t in chart_data(page, key)}
        assert {"Gaussian (theory)", "orthogonal (theory)"} <= names, names
    spread = {t["name"]: t["y"] for t in chart_data(page, "jac_log10_var_sq")}
    assert spread["orthogonal"][-1] < spread["Gaussian"][-1] - 0.5  # orthogonal: ≥ 3× less spread at depth 100
    page.set_viewport_size({"width": 1400, "height": 3000})
    wait_hydrated(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "criticality-jacobian-tanh-critical-depth100.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    wait_hydrated(page)
    page.locator(".st-key-jac_hist").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "criticality-jacobian-phone.png"))
