"""Waits and chart readers for the browser tests (waits on state, never fixed sleeps)."""


def wait_idle(tab) -> None:
    """Wait until the script run has finished (the app is not running)."""
    tab.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", state="attached")


def open_page(tab, path_and_query: str, chart_key: str) -> None:
    """Open a URL of the app and wait for its run to finish and the chart ``chart_key`` to draw."""
    tab.goto(f"{tab.base}/{path_and_query}")
    tab.wait_for_selector(f".st-key-{chart_key} .js-plotly-plot .main-svg", state="attached")
    wait_idle(tab)


def chart_data(tab, key: str) -> list[dict]:
    """The plotted traces of chart ``key`` (plotly's ``_fullData``: name, type, x, y, z)."""
    return tab.evaluate(
        """key => {
            const el = document.querySelector(`.st-key-${key} .js-plotly-plot`);
            if (!el || !el._fullData) return null;
            const arr = v => (v == null ? null : Array.from(v, r => (r && r.length !== undefined ? Array.from(r) : r)));
            return el._fullData.map(t => ({name: t.name, type: t.type, x: arr(t.x), y: arr(t.y), z: arr(t.z)}));
        }""", key)


def choose(tab, key: str, label: str, attempts: int = 3) -> None:
    """Pick ``label`` in the selectbox with widget key ``key`` (a react-aria combobox). The input can
    be replaced once while its component hydrates, which closes a just-opened list: retry the click."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = tab.locator(f".st-key-{key} input")
    box.wait_for(state="visible")
    option = tab.get_by_role("option", name=label, exact=True)
    for attempt in range(attempts):
        box.click()
        try:
            option.wait_for(state="visible", timeout=5_000)
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
            continue
        option.click()
        return


def wait_hydrated(tab) -> None:
    """Wait until every element has its component loaded (no loading skeleton is left)."""
    tab.wait_for_function("() => document.querySelectorAll('[data-testid=stSkeleton]').length === 0")


def shared_link(tab, expected: str | None = None, where: str = "[data-testid=stSidebar]") -> str:
    """The link the link box under ``where`` shows once its script has written it (it is filled in
    the browser after the element is attached): any text, or ``expected`` when given (then waited for
    until the page's timeout, so a wrong link fails)."""
    import re

    from playwright.sync_api import expect

    box = tab.locator(f"{where} .initviz-link").first
    expect(box).to_have_text(re.compile(r"\S") if expected is None else expected, timeout=30_000)
    return box.inner_text().strip()
