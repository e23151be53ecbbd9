"""A long view in a real browser: its progress bar, Cancel, and the partial charts with the notice.

The test server runs the hosted limits (:mod:`loadtest.server`, no ``INITVIZ_LIMITS``), so the link
is a view within the hosted budget that still takes seconds: 1,000 pre-norm residual blocks of width
128 at batch 64, forward (modelled 2.0 s on one core, :func:`initviz.ui.links.propagation.
propagation_seconds`; ~4 s measured on the test machine, under the hosted run's 5-s deadline)."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from browser_support import chart_data, wait_idle

pytestmark = pytest.mark.browser

LINK = "propagation?arch=pre&depth=1000&width=128&batch=64&seed=8675309"  # a seed no other test computes


def test_a_long_view_shows_its_progress_and_cancel_keeps_what_was_computed(page):
    page.goto(f"{page.base}/{LINK}")
    bar = page.locator("[data-testid=stProgress]")
    try:
        bar.filter(has_text="layer").filter(has_text="of 1000").wait_for(state="visible", timeout=60_000)  # after "Starting…"
    except PlaywrightTimeoutError:  # say what the page showed instead
        pytest.fail("no progress bar counting layers; the page shows: " + page.locator("body").inner_text()[:3000])
    page.get_by_role("button", name="Cancel").click()
    notice = page.locator(".st-key-progress_notice")
    notice.wait_for(state="visible")
    page.locator(".st-key-msq_ratio .js-plotly-plot .main-svg").first.wait_for(state="attached")
    wait_idle(page)
    assert "Cancelled at layer" in notice.inner_text() and "Compute again" in notice.inner_text()
    assert bar.count() == 0  # no bar left once the view is drawn
    measured = [t for t in chart_data(page, "msq_ratio") if t["type"] == "scatter" and t["name"] == "measured"]
    drawn = [y for y in measured[0]["y"] if y is not None]
    assert 0 < len(drawn) < 1000  # the blocks computed before Cancel, not the whole stack
