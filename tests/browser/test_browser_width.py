"""The Width page in a real browser: the coordinate-check grids draw one panel per step with a line
per layer at every width asked, for the chosen parametrisation and for SP; on a phone too; and the
learning-rate transfer view draws a line and a best-rate star per width and parametrisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser_support import chart_data, open_page, wait_hydrated

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
LAYERS = {"input", "hidden 1", "output"}


@pytest.mark.parametrize("viewport", [{"width": 1400, "height": 2400}, {"width": 390, "height": 844}],
                         ids=["desktop", "phone"])
def test_the_page_draws_its_grid_for_both_parametrisations(page, viewport):
    page.set_viewport_size(viewport)
    open_page(page, "width?max_width=512&n_seeds=2&steps=2", "coord_sp")
    for key in ("coord_mup", "coord_sp"):
        traces = chart_data(page, key)
        assert {t["name"] for t in traces} == LAYERS
        # steps 0, 1, 2: three panels; a zero readout (μP's output at t = 0) is not drawn on a log axis
        assert len(traces) == (8 if key == "coord_mup" else 9)
        for t in traces:
            assert t["x"] == [128, 256, 512] and all(y > 0 for y in t["y"])
        box = page.locator(f".st-key-{key} .js-plotly-plot").bounding_box()
        assert box["width"] <= viewport["width"]
    if viewport["width"] > 1000:
        wait_hydrated(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "width-mup.png"), full_page=True)


def test_the_transfer_view_draws_a_line_and_a_star_per_width_on_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, "width?view=transfer&max_width=256&sweep_steps=5&sweep_from=-2&sweep_to=0", "lr_transfer")
    traces = chart_data(page, "lr_transfer")
    stars = [t for t in traces if t["name"].startswith("best, ")]
    lines = [t for t in traces if t not in stars]
    assert sorted(t["name"] for t in lines) == ["width 2^7", "width 2^7", "width 2^8", "width 2^8"]  # μP and SP
    assert len(stars) == 4 and all(len(t["x"]) == 1 and t["x"][0] in (-2, -1, 0) for t in stars)
    assert page.locator(".st-key-lr_transfer .js-plotly-plot").bounding_box()["width"] <= 390
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".st-key-lr_transfer").screenshot(path=str(SHOTS / "width-transfer-phone.png"))


def test_a_residual_link_draws_a_line_per_branch_layer_on_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, "width?arch=pre&branch_depth=2&preset=gpt2&max_width=256&n_seeds=1&steps=1", "coord_sp")
    blocks = {"input", "block 1 W_1", "block 1 W_2", "block 2 W_1", "block 2 W_2", "output"}
    for key in ("coord_mup", "coord_sp"):
        traces = chart_data(page, key)
        assert {t["name"] for t in traces} == blocks
        assert all(t["x"] == [128, 256] and all(y > 0 for y in t["y"]) for t in traces)
        assert page.locator(f".st-key-{key} .js-plotly-plot").bounding_box()["width"] <= 390
    assert page.get_by_text("pre-norm blocks", exact=False).count() >= 1
