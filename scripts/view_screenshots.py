"""Screenshots of chosen views of the app, for issue notes and reports: ``docs/screenshots/views/``.

Each view of :data:`VIEWS` is a link opened in Debian's Chromium (Playwright, as the browser tests)
on a fresh ``streamlit run app.py`` with the hosted limits, at a desktop (1280×900) or phone
(390×844) viewport, in the light or dark colour scheme, scrolled to one element (a chart or control
key) or at the top of the page. The script writes one PNG per view and ``index.md``: for each, its
link and what it shows. It waits for content, never for a fixed time, and fails (exit 1) when a view
shows an exception.

    .venv/bin/python scripts/view_screenshots.py [--only name,name] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from loadtest.server import serve  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
OUT = ROOT / "docs" / "screenshots" / "views"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"


@dataclass(frozen=True)
class View:
    name: str
    link: str
    shows: str
    key: str | None = None  # element to scroll to (``.st-key-<key>``); None: the top of the page
    viewport: dict | None = None
    dark: bool = False
    report: bool = False  # the view's HTML report, opened with the network off, instead of the page


VIEWS = (
    View("1-over-budget-choices", "propagation?depth=200&width=2048&compare=kaiming_normal,orthogonal,trunc_normal",
         "Issue 12 item 1: a view over the hosted budget keeps depth 200, width 2048 and the three schemes; it is "
         "not computed, and the page says what it would cost and offers choices as links."),
    View("1-sample-cut", "propagation?depth=50&width=1024&compare=kaiming_normal,orthogonal,trunc_normal",
         "Issue 12 item 1: depth 50, width 1024, three schemes: only the statistical sample (the batch) is cut, "
         "with the standard error it keeps, next to the control."),
    View("2-coinciding-series", "propagation?activation=relu&scheme=kaiming_normal&compare=xavier_normal",
         "Issue 12 item 2: He and Xavier on a ReLU net have identical dead-unit fractions (ReLU with zero bias is "
         "scale-invariant); both series stay visible (markers, dashes, offset) and the chart says why they "
         "coincide.", key="dead"),
    View("3-initializers-conv", "initializers?layer=conv2d&n_in=512&n_out=512&kernel=3&scheme=kaiming_normal",
         "Issue 12 item 3: Conv2d(512, 512, 3) stays the shape asked in the table, the fans and the code; only "
         "the sample drawn for the histogram is a subset (said how many)."),
    View("4-report-offline", "propagation",
         "Issue 12 item 4: the view's self-contained HTML report, opened with the network off: every chart "
         "draws, with the settings, link and formulas.", report=True),
    View("5-phone", "propagation", "Issue 12 item 5: the Propagation page at 390×844: sidebar closed on load, "
         "equations scroll in their box, the chart toolbar clear of titles.", viewport=PHONE),
    View("5-phone-link", "propagation", "Issue 12 item 5: the link box at the foot of the page on a phone.",
         key="phone_link", viewport=PHONE),
    View("6-words-and-math", "geometry?step=rectangular",
         "Issue 12 item 6: inline math typeset, help texts that speak to the user (Su's Corollary 4 named).",),
    View("7-angles-fixed-axis", "geometry?step=vectors&angle_n=10000&angle_fixed=true",
         "Issue 12 item 7: the angle axis kept at 0–180°, so the concentration at 90° shows as n grows.",
         key="angle_hist"),
    View("7-atom-at-zero", "geometry?step=spectrum&mp_ratio=2",
         "Issue 12 item 7: for λ > 1 the Marchenko–Pastur atom at 0 is a bar with its mass labelled.",
         key="mp_hist"),
    View("8-dark", "propagation", "Issue 12 item 8: the user's dark preference followed, charts included.",
         dark=True),
    View("9-link-notices", "propagation?scheme=uniform&uniform_a=5&uniform_b=-5&rect_n=999999999&depth=abc",
         "Issue 12 item 9: values valid one by one but not together get a notice and a value that works; one "
         "line per parameter with the value used."),
    View("13-residual-training", "training?arch=pre&depth=20&width=32&compare=xavier_normal,torch_default&steps=150"
         "&n_seeds=2", "Issue 13: 20 pre-activation residual blocks without a norm (input layer and readout around "
         "them) trained on the digits: He's and Xavier's branches blow the stream up and SGD diverges; PyTorch's "
         "default trains.", key="loss"),
    View("13-residual-training-layers", "training?arch=pre&depth=20&width=32&compare=xavier_normal,torch_default"
         "&steps=150&n_seeds=2&view=layers", "Issue 13: the per-layer diagnostics of the residual net, each weight "
         "layer named (input, block l W_j, readout).", key="grad_std"),
    View("16-residual-coord-check", "width?arch=pre",
         "Issue 16: the μP coordinate check of a pre-norm residual family (input layer, 2 blocks, readout): a "
         "line per nn.Linear output, flat over widths under μP."),
    View("9-dropped-link", "propagation?" + "&".join(f"p{i}=1" for i in range(1_100)),
         "Issue 12 item 9: a link of more than 1,000 parameters, which Streamlit drops whole, is said so."),
)


def _shoot(browser, base: str, view: View, out: Path) -> None:
    context = browser.new_context(viewport=view.viewport or DESKTOP, color_scheme="dark" if view.dark else "light",
                                  accept_downloads=True)
    context.set_default_timeout(120_000)
    try:
        page = context.new_page()
        page.goto(f"{base}/{view.link}")
        page.wait_for_selector(IDLE, state="attached")
        page.wait_for_function("() => document.querySelectorAll('[data-testid=stSkeleton]').length === 0")
        for chart in page.locator("[data-testid=stPlotlyChart]").all():
            chart.locator(".js-plotly-plot .main-svg").first.wait_for(state="attached")
        if page.locator("[data-testid=stException]").count():
            raise RuntimeError(f"{view.name}: the page shows an exception")
        if view.report:
            with page.expect_download() as info:
                page.locator(".st-key-view_report button").first.click()
            path = out / info.value.suggested_filename  # an .html name, so that Chromium renders it
            info.value.save_as(path)
            offline = browser.new_context(viewport=DESKTOP, offline=True)
            try:
                tab = offline.new_page()
                tab.goto(Path(path).as_uri())
                tab.wait_for_selector(".js-plotly-plot .main-svg")
                tab.screenshot(path=str(out / f"{view.name}.png"))
            finally:
                offline.close()
                path.unlink()
            return
        if view.key:
            page.locator(f".st-key-{view.key}").first.scroll_into_view_if_needed()
        page.screenshot(path=str(out / f"{view.name}.png"))
    finally:
        context.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="comma-separated view names")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    views = [v for v in VIEWS if not args.only or v.name in args.only.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    with serve() as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            for view in views:
                print(f"  {view.name} …", flush=True)
                _shoot(browser, server.base, view, args.out)
        finally:
            browser.close()
    lines = ["# Views of initviz", "", "Made by `scripts/view_screenshots.py` (Chromium, hosted limits).", ""]
    for view in VIEWS:
        if (args.out / f"{view.name}.png").exists():
            lines += [f"## {view.name}", "", view.shows, "", f"Link: `/{view.link[:200]}{'…' if len(view.link) > 200 else ''}`"
                      f"{' (dark colour scheme)' if view.dark else ''}{' (390×844)' if view.viewport == PHONE else ''}",
                      "", f"![{view.name}]({view.name}.png)", ""]
    (args.out / "index.md").write_text("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
