"""A long view in a real browser: its progress bar, Cancel, and the partial charts with the notice.

The test runs on a server with the local limits (``INITVIZ_LIMITS=local``, as ``make run``: no
compute budget), so that the view computes for far longer than any delay between the bar showing and
the click reaching the server: 1,000 pre-norm residual blocks of width 1024 at batch 256, forward
(modelled 81 s on one core, :func:`initviz.ui.links.propagation.propagation_seconds`). A view of a
few seconds made this test race the computation: on a busy machine the view could finish before
Cancel arrived, and then there is nothing to cancel (and no notice)."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from browser_support import chart_data, wait_idle

pytestmark = pytest.mark.browser

LINK = "propagation?arch=pre&depth=1000&width=1024&batch=256&seed=8675309"  # a seed no other test computes


def _fail_showing(page, what: str):
    pytest.fail(f"{what}; the page shows: " + page.locator("body").inner_text()[:3000])


def test_a_long_view_shows_its_progress_and_cancel_keeps_what_was_computed(local_page):
    page = local_page
    page.goto(f"{page.base}/{LINK}")
    bar = page.locator("[data-testid=stProgress]")
    try:
        bar.filter(has_text="layer").filter(has_text="of 1000").wait_for(state="visible", timeout=60_000)  # after "Starting…"
    except PlaywrightTimeoutError:  # say what the page showed instead
        _fail_showing(page, "no progress bar counting layers")
    page.get_by_role("button", name="Cancel").click()
    notice = page.locator(".st-key-progress_notice")
    try:
        notice.wait_for(state="visible")
    except PlaywrightTimeoutError:
        _fail_showing(page, "no notice after Cancel")
    page.locator(".st-key-msq_ratio .js-plotly-plot .main-svg").first.wait_for(state="attached")
    wait_idle(page)
    assert "Cancelled at layer" in notice.inner_text() and "Compute again" in notice.inner_text()
    assert bar.count() == 0  # no bar left once the view is drawn
    measured = [t for t in chart_data(page, "msq_ratio") if t["type"] == "scatter" and t["name"] == "measured"]
    drawn = [y for y in measured[0]["y"] if y is not None]
    assert 0 < len(drawn) < 1000  # the blocks computed before Cancel, not the whole stack
