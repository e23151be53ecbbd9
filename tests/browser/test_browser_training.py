"""The Training page in a real browser: the default view draws its loss curves with chance marked,
a preset link opens the phenomenon, and the per-layer view goes into the link."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from browser_support import chart_data, open_page, wait_idle
from initviz.ui import experiments

pytestmark = pytest.mark.browser


def _query(url: str) -> dict:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


def _named(tab, key: str) -> dict:
    return {t["name"]: t for t in chart_data(tab, key) if t["name"] and t["type"] == "scatter"}


def test_the_default_view_draws_four_schemes_and_the_initial_loss_against_chance(page):
    open_page(page, "training", "loss")
    traces = _named(page, "loss")
    for name in ("kaiming_normal", "keras_glorot_uniform", "torch_default", "zeros"):
        assert name in traces and len(traces[name]["y"]) == 300
    assert page.locator(".st-key-accuracy .js-plotly-plot").count() == 1
    caption = page.get_by_text("chance is 2.30")  # the caption under the curves, not the intro
    assert caption.count() == 1 and "starts at" in caption.inner_text()


def test_the_zeros_preset_link_opens_training_with_the_loss_at_chance(page):
    preset = next(p for p in experiments.PRESETS if p.key == "train_zeros_large_he")
    open_page(page, "experiments", "jacobian_sigma")
    page.locator(".st-key-preset_train_zeros_large_he [data-testid=stPageLink-NavLink]").click()
    page.wait_for_function(
        """() => { const el = document.querySelector('.st-key-loss .js-plotly-plot');
                   return el && el._fullData && el._fullData.some(t => t.name === 'zeros'); }""")
    wait_idle(page)
    assert urlsplit(page.url).path == "/training"
    assert _query(page.url) == preset.query()
    zeros = np.array(_named(page, "loss")["zeros"]["y"], dtype=float)
    assert np.all(np.abs(zeros - np.log(10)) < 0.05)


def test_the_layers_view_goes_into_the_link_and_counts_distinct_units(page):
    open_page(page, "training", "loss")
    page.locator(".st-key-view").get_by_text("Per-layer diagnostics").click()
    page.wait_for_selector(".st-key-distinct_units .js-plotly-plot .main-svg", state="attached")
    wait_idle(page)
    assert page.locator(".st-key-loss").count() == 0
    assert _query(page.url) == {"view": "layers"}


def test_the_histograms_draw_on_a_phone_and_their_step_goes_into_the_link(page):
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, "training?view=layers&steps=40&hist_step=30&compare=zeros", "hist_grad")
    wait_idle(page)
    for key in ("hist_grad", "hist_act"):
        names = {t["name"] for t in chart_data(page, key)}
        assert {"step 0", "step 30", "kaiming_normal · step 30", "zeros · step 0"} <= names, names
        box = page.locator(f".st-key-{key} .js-plotly-plot").bounding_box()
        assert box["width"] <= 390  # drawn within the phone's width
    field = page.locator(".st-key-hist_step input")
    field.fill("20")
    field.press("Enter")
    page.wait_for_function("() => new URLSearchParams(location.search).get('hist_step') === '20'")
    wait_idle(page)
    page.wait_for_function(
        """() => { const el = document.querySelector('.st-key-hist_grad .js-plotly-plot');
                   return el && el._fullData && el._fullData.some(t => t.name === 'step 20'); }""")
    assert _query(page.url)["hist_step"] == "20"


RESIDUAL = "training?arch=pre&width=16&norm=layernorm&preset=gpt2&steps=30&compare=torch_default&view=layers"
"""Three pre-LN blocks of two layers: weight layers input, block l W_1, W_2 (l = 1…3), readout."""


def test_a_residual_link_draws_its_layers_named_on_a_phone(page):
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, RESIDUAL, "grad_std")
    labels = ["input", *(f"block {b} W_{j}" for b in (1, 2, 3) for j in (1, 2)), "readout"]
    texts = page.evaluate(
        """() => document.querySelector('.st-key-grad_std .js-plotly-plot')._fullData
                 .filter(t => Array.isArray(t.text)).map(t => [t.name, Array.from(t.text)])""")
    assert {name for name, _ in texts} == {"kaiming_normal", "torch_default"}
    assert all(text == labels for _, text in texts), texts  # one point per weight layer, named
    for key in ("update_data", "grad_std", "dead", "distinct_units", "hist_grad", "hist_act"):
        box = page.locator(f".st-key-{key} .js-plotly-plot").bounding_box()
        assert box is not None and box["width"] <= 390, key
    assert "every layer" in page.locator(".st-key-diag_layer").inner_text()
    assert page.get_by_text("residual pre-norm layernorm").count() == 1  # the summary line says the architecture
    assert _query(page.url) == _query("/" + RESIDUAL)
