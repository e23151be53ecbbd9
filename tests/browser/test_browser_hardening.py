"""Hostile links in the real browser (issue 4): Markdown links, images, LaTeX, HTML and scripts put
in every text-ish parameter and as unknown keys are shown back only as plain text — the page builds
no link, image, script or KaTeX element from them, runs no injected handler, and says what it
ignored. (The ≥ 200-link catalogue runs through AppTest in tests/hardening/.)"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from browser_support import chart_data, open_page

pytestmark = pytest.mark.browser

EVIL = "evil.example"
PAYLOADS = {
    "link": "[x](//evil.example/a)",
    "image": "![x](http://evil.example/y.png)",
    "latex": "$\\href{//evil.example/b}{x}$",
    "html": "<img src=x onerror=window.__pwned=1>",
    "script": "<script>window.__pwned=2</script>",
    "anchor": "<a href=//evil.example/c>x</a>",
}
LINKS = {
    "propagation": ("preact_var", {"activation": "link", "scheme": "image", "bias": "latex", "dtype": "html",
                                   "hist_of": "script", "compare": "anchor", "depth": "latex"}),
    "geometry": ("angle_hist", {"gram_dist": "html", "sweep_dists": "link", "rule": "latex", "mp_dist": "image",
                                "rect_dist": "script", "mp_ratio": "anchor"}),
}
"""Per page: a chart to wait for, and which payload goes into which parameter."""

_COUNTS = """evil => ({
  a: document.querySelectorAll('a').length,
  img: document.querySelectorAll('img').length,
  script: document.querySelectorAll('script').length,
  katex: document.querySelectorAll('.katex').length,
  iframe: document.querySelectorAll('iframe').length,
  evil_attr: [...document.querySelectorAll('*')].filter(e => [...e.attributes].some(a => a.value.includes(evil))).length,
  onerror: document.querySelectorAll('[onerror]').length,
  pwned: window.__pwned === undefined ? 0 : window.__pwned,
})"""


def _query(page: str) -> str:
    _, params = LINKS[page]
    pairs = [f"{name}={quote(PAYLOADS[kind], safe='')}" for name, kind in params.items()]
    pairs += [f"{quote(p, safe='')}=1" for p in (PAYLOADS["link"], PAYLOADS["html"])]  # as unknown keys
    return "&".join(pairs)


@pytest.mark.parametrize("path", list(LINKS))
def test_injected_markup_builds_no_element_and_is_reported_as_text(browser, server, path):
    chart, _ = LINKS[path]
    counts = {}
    for name, query in (("clean", ""), ("hostile", _query(path))):
        context = browser.new_context(viewport={"width": 1400, "height": 1100})
        context.set_default_timeout(90_000)
        tab = context.new_page()
        tab.base = server
        try:
            open_page(tab, f"{path}?{query}" if query else path, chart)
            if name == "hostile":
                notices = tab.locator(".st-key-link_notices")
                notices.wait_for(state="visible")
                text = notices.inner_text()
            counts[name] = tab.evaluate(_COUNTS, EVIL)
        finally:
            context.close()
    assert counts["hostile"]["pwned"] == 0, "an injected handler ran"
    assert counts["hostile"]["evil_attr"] == 0 and counts["hostile"]["onerror"] == 0
    for kind in ("a", "img", "script", "katex", "iframe"):
        assert counts["hostile"][kind] == counts["clean"][kind], (kind, counts)
    assert "could not be used as given" in text and EVIL in text  # quoted back, as plain text


def test_the_checks_see_markup_that_was_built(browser):
    """What the test above must never find, it finds when it is there (a link, an image whose handler ran)."""
    context = browser.new_context()
    try:
        tab = context.new_page()
        tab.set_content('<a href="//evil.example/a">x</a><img src="data:," onerror="window.__pwned=1">'
                        '<img src="x" onerror="window.__pwned=1">')
        tab.wait_for_function("() => window.__pwned === 1")
        counts = tab.evaluate(_COUNTS, EVIL)
    finally:
        context.close()
    assert counts["a"] == 1 and counts["img"] == 2 and counts["evil_attr"] == 1 and counts["onerror"] == 2
    assert counts["pwned"] == 1


def test_a_link_streamlit_dropped_whole_is_said_so_and_a_bare_one_is_not(page):
    """A query of more than 1,000 parameters never reaches the app (Streamlit drops it whole): the page
    draws its defaults and says, from the browser's address, how many parameters it did not receive."""
    pairs = [f"p{i}=1" for i in range(1_097)] + ["depth=7", f"{quote(PAYLOADS['html'], safe='')}=1", "embed=true"]
    open_page(page, "propagation?" + "&".join(pairs), "preact_var")
    notice = page.locator(".dropped")
    notice.wait_for(state="visible")
    assert "1,099 parameters" in notice.inner_text()  # Streamlit's own embed is not counted
    assert page.evaluate("() => window.__pwned") is None
    depths = {len(t["y"]) for t in chart_data(page, "preact_var") if t["type"] == "scatter" and t["y"]}
    assert 7 not in depths  # the defaults, not the link's depth
    open_page(page, "propagation", "preact_var")  # a bare link received nothing either, and lacks nothing
    assert page.locator(".dropped").count() == 1 and not page.locator(".dropped").is_visible()
    open_page(page, "propagation?depth=7", "preact_var")  # a link received: nothing to watch for
    assert page.locator(".dropped").count() == 0
