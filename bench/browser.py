"""Browser-side figures: the real app (``streamlit run app.py``) in Debian's Chromium, via Playwright.

For each page (default: Propagation, Geometry and Training, at their default settings, and
``compare4``, four schemes compared on a local instance, :data:`LOCAL_VIEWS`, in draw version 1 and,
as ``compare4_v2``, 2):

* **first chart** — from ``page.goto(<page URL>)`` to the first ``[data-testid=stPlotlyChart]
  .js-plotly-plot`` whose plotly ``_fullData`` exists (a drawn chart). The first load after the
  server starts is *cold* (empty ``st.cache_data``); the next loads are *warm* (their median).
  The time to the app's shell (``[data-testid=stApp]`` attached: Streamlit's frontend loaded) is
  reported beside it (median over all loads).
* **redraw** — from the Enter key that commits a new value of a control (the sidebar's ``seed``
  number input, which every page has and which changes every sampled chart; each change a new
  seed, so the page's cache is cold) to the first animation frame at which the script has finished
  (``data-test-script-state`` went ``running`` → ``notRunning``) and at least one chart holds new
  data (a new ``_fullData`` object). Both ends are ``performance.now()`` in the page; median of
  several changes, with its phases: until the page sees the script start, the script's run, and
  from its end to the redrawn chart; and to the **first new chart**, the first animation frame at
  which any chart holds new data, the script running or not (a view that computes for long draws
  its partial curves while it runs: issue 13's "first curve points on screen").
* **CPU per redraw** — user + system seconds over the redraws, per redraw, of Chromium's processes
  (command name ``chrom…``) and of the app (the server and its worker pool: the server's process
  tree), from ``/proc`` (Linux): on a machine where both share the cores, what a redraw costs each side.
* **bytes per chart** — every websocket frame the server sent during the cold load, decoded as a
  Streamlit ``ForwardMsg``; for each ``plotly_chart`` element the frame's size in bytes (the
  figure JSON ``spec`` plus protobuf framing; Streamlit does not compress its websocket by
  default). The largest and the total are reported.

Nothing waits for a fixed time: every step waits for content (DESIGN.md, PLATFORM.md). The app
runs with the project's own settings (one BLAS thread per process, ``app.py``).

    python -m bench.browser [--quick] [--pages propagation,geometry]   # JSON on stdout
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from loadtest.server import serve

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
"""Chromium flags of PLATFORM.md."""
PAGES = ("propagation", "geometry", "training", "compare4", "compare4_v2")
_COMPARE4 = ("propagation?depth=30&width=512&activation=relu&scheme=kaiming_normal"
             "&kaiming_normal_nonlinearity=relu&compare=xavier_normal,orthogonal,lecun_normal&batch=128")
LOCAL_VIEWS = {"compare4": _COMPARE4, "compare4_v2": _COMPARE4 + "&draws=2"}
"""Views measured on a server with local limits (``INITVIZ_LIMITS=local``: a hosted one offers choices
instead of computing them), by name: issue 17's four schemes on the 30-layer width-512 preset, with the
draws of every existing link (version 1) and with the faster draws a user can choose (``draws=2``:
Box–Muller normals, float32 QR for the orthogonal scheme)."""
CONTROL = "seed"
"""The control changed for the redraw measurement (a number input every page has)."""
CHART = "[data-testid=stPlotlyChart] .js-plotly-plot"
APP_IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"
STEP_TIMEOUT_MS = 120_000
"""Longest wait for one load or one redraw before the page is reported as an error."""
LOADS = {"quick": 2, "full": 4}
"""Page loads per page: the first is cold, the rest are warm."""
CHANGES = {"quick": 3, "full": 7}
"""Control changes per page."""
VIEWPORT = {"width": 1400, "height": 1000}

_INSTRUMENT = """([control]) => {
  const app = document.querySelector('[data-testid=stApp]');
  window.__bench = {t0: null, started: null, done: null, end: null, old: []};
  new MutationObserver((records) => {
    const b = window.__bench;
    if (b.t0 === null) return;
    const state = app.getAttribute('data-test-script-state');
    const now = performance.now();
    if (b.started === null && (state === 'running' || records.some((r) => r.oldValue === 'running'))) b.started = now;
    if (state === 'notRunning' && b.started !== null && b.done === null) b.done = now;
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state'], attributeOldValue: true});
  document.querySelector(`.st-key-${control} input`).addEventListener('keydown', (e) => {
    if (e.key === 'Enter') window.__bench.t0 = performance.now();
  }, {capture: true});
}"""
_ARM = """([chart]) => {
  const b = window.__bench;
  Object.assign(b, {t0: null, started: null, done: null, first: null, end: null});
  b.old = [...document.querySelectorAll(chart)].map((e) => e._fullData);
}"""
_REDRAWN = """([chart]) => {
  const b = window.__bench;
  if (b.t0 === null) return false;
  const charts = [...document.querySelectorAll(chart)];
  const fresh = charts.some((e, i) => e._fullData && e._fullData !== b.old[i]);
  if (fresh && b.first === null) b.first = performance.now();
  if (b.done === null || !fresh) return false;
  if (b.end === null) b.end = performance.now();
  return true;
}"""
_FIRST_CHART = "([chart]) => [...document.querySelectorAll(chart)].some((e) => e._fullData)"


def chart_frames(frames: list[bytes]) -> list[dict]:
    """The plotly-chart elements among Streamlit ForwardMsg frames: frame bytes and spec bytes each."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    charts = []
    for payload in frames:
        msg = ForwardMsg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # noqa: BLE001 — not a ForwardMsg (never expected): not a chart
            continue
        if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
            continue
        element = msg.delta.new_element
        if element.WhichOneof("type") != "plotly_chart":
            continue
        spec = element.plotly_chart.spec
        title = (json.loads(spec).get("layout", {}).get("title") or {}) if spec else {}
        charts.append({"frame_bytes": len(payload), "spec_bytes": len(spec.encode()),
                       "title": title.get("text", "") if isinstance(title, dict) else str(title)})
    return charts


def _load(context, url: str) -> tuple[float, float, list[bytes], object]:
    """Open ``url`` in a new tab: seconds to the app's shell (``stApp``, the frontend loaded) and to
    the first drawn chart, the frames received until the script finished, and the tab (left open)."""
    page = context.new_page()
    frames: list[bytes] = []

    def on_socket(ws):
        ws.on("framereceived", lambda payload: frames.append(payload if isinstance(payload, bytes) else payload.encode()))

    page.on("websocket", on_socket)
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector("[data-testid=stApp]", state="attached", timeout=STEP_TIMEOUT_MS)
    shell = time.perf_counter() - start
    page.wait_for_function(_FIRST_CHART, arg=[CHART], polling="raf", timeout=STEP_TIMEOUT_MS)
    first = time.perf_counter() - start
    page.wait_for_selector(APP_IDLE, timeout=STEP_TIMEOUT_MS)
    return shell, first, frames, page


_PHASES = """() => { const b = window.__bench;
  return [b.end - b.t0, b.started - b.t0, b.done - b.started, b.end - b.done, b.first - b.t0].map((ms) => ms / 1000); }"""


def _redraws(page, changes: int) -> list[list[float]]:
    """For seeds 1…changes: seconds from committing the new seed to the redrawn chart, its phases —
    until the script starts, the script run (as the page sees its state), after it — and to the
    first chart with new data (a partial one drawn while the view computes, or the first redrawn)."""
    page.evaluate(_INSTRUMENT, [CONTROL])
    field = page.locator(f".st-key-{CONTROL} input")
    out = []
    for value in range(1, changes + 1):
        page.evaluate(_ARM, [CHART])
        field.fill(str(value))
        field.press("Enter")
        page.wait_for_function(_REDRAWN, arg=[CHART], polling="raf", timeout=STEP_TIMEOUT_MS)
        out.append(page.evaluate(_PHASES))
        page.wait_for_selector(APP_IDLE, timeout=STEP_TIMEOUT_MS)
    return out


def process_cpu(root_pid: int) -> dict[str, float]:
    """CPU seconds so far (user + system, ``/proc/<pid>/stat``) of Chromium's processes and of the app:
    process ``root_pid`` and its descendants. Processes that end meanwhile drop out of the sums."""
    tick = os.sysconf("SC_CLK_TCK")
    parent, cpu, chromium = {}, {}, set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended while listed
            continue
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        pid = int(entry.name)
        parent[pid], cpu[pid] = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick
        if name.lower().startswith("chrom"):
            chromium.add(pid)

    def in_app(pid: int) -> bool:
        while pid > 1:
            if pid == root_pid:
                return True
            pid = parent.get(pid, 0)
        return False
    return {"browser": sum(cpu[p] for p in chromium), "app": sum(t for p, t in cpu.items() if in_app(p))}


def measure_page(browser, base: str, path: str, loads: int, changes: int, app_pid: int) -> dict:
    """Loads (cold, then warm), bytes per chart of the cold load, redraws of one page and the CPU
    they cost Chromium and the app (``app_pid``: the server)."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        url = f"{base}/{path}"
        shell, first, frames, page = _load(context, url)
        charts = chart_frames(frames)
        errors = page.locator("[data-testid=stException], [data-testid=stAlertContentError]").count()
        warm, shells = [], [shell]
        for _ in range(loads - 1):
            page.close()
            shell, seconds, _, page = _load(context, url)
            warm.append(seconds)
            shells.append(shell)
        before = process_cpu(app_pid)
        phases = _redraws(page, changes)
        after = process_cpu(app_pid)
    finally:
        context.close()
    sizes = [c["frame_bytes"] for c in charts]
    redraw = [p[0] for p in phases]
    return {"url_path": path, "shell_median_s": statistics.median(shells), "first_chart_cold_s": first,
            "first_chart_warm_s": warm,
            "first_chart_median_s": statistics.median(warm) if warm else first,
            "control": CONTROL, "redraw_s": redraw, "redraw_median_s": statistics.median(redraw),
            "first_new_chart_median_s": statistics.median(p[4] for p in phases),
            "cpu_per_redraw_s": {side: (after[side] - before[side]) / changes for side in after},
            "redraw_phases_median_s": {name: statistics.median(p[i] for p in phases)
                                       for i, name in enumerate(("to_script_start", "script", "after_script"), 1)},
            "charts": len(charts), "chart_bytes": charts, "max_chart_bytes": max(sizes, default=0),
            "total_chart_bytes": sum(sizes), "errors_on_page": errors}


def measure(quick: bool = False, pages=PAGES) -> dict:
    """Every page's browser figures, or {"skipped": why} when Chromium or Playwright is missing."""
    if not Path(CHROMIUM).exists():
        return {"skipped": f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"}
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"skipped": "playwright is not installed (pip install -r requirements-dev.txt)"}
    from initviz.ui import nav

    mode = "quick" if quick else "full"
    known = {p.path: p.path for p in nav.PAGES}
    out = {"pages": {}, "missing": [p for p in pages if p not in known and p not in LOCAL_VIEWS]}
    for env, views in (({}, known), ({"INITVIZ_LIMITS": "local"}, LOCAL_VIEWS)):
        chosen = [p for p in pages if p in views]
        if not chosen:
            continue
        with serve(env=env) as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            try:
                for name in chosen:
                    try:
                        out["pages"][name] = measure_page(browser, server.base, views[name], LOADS[mode], CHANGES[mode],
                                                              server.proc.pid)
                    except PlaywrightError as exc:
                        out["pages"][name] = {"error": str(exc).splitlines()[0]}
            finally:
                browser.close()
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.browser", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pages", default=",".join(PAGES))
    args = parser.parse_args(argv)
    result = measure(args.quick, tuple(p.strip() for p in args.pages.split(",") if p.strip()))
    json.dump(result, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
