"""Exports that say where they came from: the caption of a chart, the header of a CSV, the HTML report.

Pure (no Streamlit import): :mod:`.widgets` and :mod:`.frame` call it with what the page run knows.

* :func:`summary` — one line naming the page and its headline settings (``depth=20 · width=256 ·
  scheme=xavier_normal · seed=0``), for the caption inside every exported chart (with the link);
* :func:`csv_header` / :func:`with_header` — the comment line that starts every CSV:
  ``# initviz 0.1.0 · propagation · 2026-12-03 16:04 UTC · <link>``; read the table back with
  ``pandas.read_csv(path, comment="#")`` (no value of initviz's tables contains ``#``);
* :func:`build_html` — one self-contained HTML file for a view: every chart (interactive, plotly.js
  inlined: it opens offline), a PNG and an SVG button per chart (``Plotly.downloadImage`` at
  :data:`EXPORT_SCALE`), the settings as a table, the link, the page's formulas and the charts'
  captions. Formulas are converted from LaTeX to MathML (``latex2mathml``), which Chromium, Firefox and
  Safari render natively — no script and no network; one that does not convert is shown as its LaTeX.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .. import __version__
from . import links

EXPORT_SCALE = 3
"""Raster exports (the modebar's PNG, the report's PNG) at 3× the CSS pixel size: print quality."""
EXPORT_WIDTH = 900
"""Width in CSS pixels of an exported image, whatever the screen (a phone's chart is ~360 px wide):
a report's full text width at 3× is 2,700 px. The height is the chart's own."""
HEADLINE = ("task", "step", "layer", "activation", "depth", "width", "n_in", "n_out", "kernel", "scheme",
            "compare", "optimizer", "lr", "seed", "draws")
"""The parameters a chart's caption names when its page has them and they apply (network, scheme,
seed, draw version); the link beside them names every setting that differs from its default."""
RESIDUAL_HEADLINE = ("arch", "norm", "branch_depth", "preset")
"""Named after ``layer`` too when the network is residual (``arch`` is not ``mlp``): a chart of a
pre-norm stack must not read like one of an MLP of the same depth and width."""


@dataclass(frozen=True)
class ReportChart:
    """One chart of a view as the report shows it: its figure spec (plotly's dict form, caption
    included), its export file name and the caption shown under it on the page (may be empty)."""

    key: str
    name: str
    spec: dict
    caption: str = ""


def summary(path: str, settings: Mapping, title: str) -> str:
    """``initviz <version> · <title> · name=value · …`` for the :data:`HEADLINE` parameters of the page
    that apply (and :data:`RESIDUAL_HEADLINE`'s for a residual network; an empty ``compare`` left
    out), in the link's canonical text."""
    schema = links.schema_of(path)
    parts = []
    residual = settings.get("arch", "mlp") != "mlp"
    names = HEADLINE[:3] + (RESIDUAL_HEADLINE if residual else ()) + HEADLINE[3:]
    for name in names:
        param = schema.by_name.get(name)
        if param is None or not param.applies(settings):
            continue
        text = links.format_value(param, settings[name])
        if text:
            parts.append(f"{name}={text}")
    return " · ".join([f"initviz {__version__}", title, *parts])


def settings_rows(path: str, settings: Mapping) -> list[tuple[str, str, str]]:
    """(URL name, control label, value) of every parameter of the page that applies, in the page's
    order; a choice's value is given with its display name."""
    rows = []
    for param in links.schema_of(path).params:
        if not param.applies(settings):
            continue
        value = settings[param.name]
        text = links.format_value(param, value)
        if param.kind == "choice" and param.label_of(value) != value:
            text = f"{text} ({param.label_of(value)})"
        elif param.kind == "multi" and param.labels:
            text = ", ".join(param.label_of(v) for v in value) or "(none)"
        rows.append((param.name, param.label, text))
    return rows


def csv_header(path: str, link: str, when: str) -> str:
    """The comment line that starts a CSV export: version, page, UTC time ``when``, link."""
    return f"# initviz {__version__} · {path} · {when} · {link}"


def with_header(table: pd.DataFrame, header: str) -> str:
    """``table`` as CSV (no index) after the comment line ``header``."""
    return header + "\n" + table.to_csv(index=False)


@functools.cache
def plotly_js() -> str:
    """The plotly.js bundled with plotly.py (the version the app draws with), ~4.8 MB, read once."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def formula_html(tex: str) -> str:
    """Display-mode MathML of the LaTeX ``tex``; its LaTeX in a ``<pre>`` if it does not convert."""
    from latex2mathml.converter import convert

    try:
        return convert(tex, display="block")
    except Exception:  # latex2mathml raises its own errors and plain ones for unknown commands
        return f'<pre class="tex">{html.escape(tex)}</pre>'


def _script_json(value) -> str:
    """JSON safe inside a ``<script>`` element: plotly's encoder (numpy arrays, NaN) escapes ``<``,
    ``>`` and ``/`` in strings, so no text can close the element."""
    from plotly.io.json import to_json_plotly

    return to_json_plotly(value)


STYLE = """
body { font-family: Arial, Helvetica, sans-serif; color: #222; background: #fff; margin: 2rem auto;
       max-width: 1000px; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
table.settings { border-collapse: collapse; font-size: 0.9rem; }
table.settings td, table.settings th { border: 1px solid #ddd; padding: 0.2rem 0.6rem; text-align: left; }
code, .link { font-family: Menlo, Consolas, monospace; font-size: 0.85rem; word-break: break-all; }
.formula { overflow-x: auto; margin: 1rem 0; font-size: 1.15rem; }
figure.chart { margin: 1.5rem 0; border-top: 1px solid #eee; padding-top: 0.5rem; }
figcaption { color: #555; font-size: 0.9rem; }
.exports button { margin-right: 0.5rem; }
"""

SCRIPT = """
const EXPORT = %(export)s;
for (const chart of %(charts)s) {
  const gd = document.getElementById(chart.id);
  Plotly.newPlot(gd, chart.spec.data, chart.spec.layout,
                 {displaylogo: false, responsive: true,
                  toImageButtonOptions: {format: "png", scale: EXPORT.scale, width: EXPORT.width,
                                         filename: chart.name}});
  for (const button of document.querySelectorAll(`button[data-chart="${chart.id}"]`)) {
    button.addEventListener("click", () => Plotly.downloadImage(gd, {format: button.dataset.format,
      scale: EXPORT.scale, width: EXPORT.width, filename: chart.name}));
  }
}
"""


def build_html(*, title: str, link: str, created: str, settings: Sequence[tuple[str, str, str]],
               formulas: Sequence[str], charts: Sequence[ReportChart], plotlyjs: str | None = None) -> str:
    """The HTML report of a view: ``title`` (page and view), the ``link`` that reproduces it, when it
    was ``created``, its ``settings`` rows (:func:`settings_rows`), its ``formulas`` (LaTeX) and its
    ``charts`` in page order, each drawn by the inlined ``plotlyjs`` (plotly.py's own by default)
    with its caption and PNG/SVG buttons. Every text is escaped; nothing is fetched when it opens."""
    esc = html.escape
    rows = "\n".join(f"<tr><td><code>{esc(n)}</code></td><td>{esc(label)}</td><td>{esc(v)}</td></tr>"
                     for n, label, v in settings)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title><style>{STYLE}</style>",
        f"<script>{plotlyjs if plotlyjs is not None else plotly_js()}</script></head><body>",
        f"<h1>{esc(title)}</h1>",
        f'<p>Link to this view: <a class="link" href="{esc(link)}">{esc(link)}</a><br>'
        f"Made by initviz {esc(__version__)} on {esc(created)}. Every chart below is interactive; the "
        f"PNG ({EXPORT_SCALE}×) and SVG buttons download it with its caption.</p>",
        '<h2>Settings</h2><table class="settings"><thead><tr><th>parameter</th><th>control</th>'
        f"<th>value</th></tr></thead><tbody>{rows}</tbody></table>",
    ]
    if formulas:
        parts.append("<h2>Formulas</h2>")
        parts += [f'<div class="formula">{formula_html(tex)}</div>' for tex in formulas]
    parts.append(f"<h2>Charts ({len(charts)})</h2>")
    entries = []
    for i, chart in enumerate(charts):
        gid = f"chart-{i}"
        parts.append(
            f'<figure class="chart" id="figure-{esc(chart.key)}"><div id="{gid}" class="plot"></div>'
            f'<div class="exports"><button data-chart="{gid}" data-format="png">PNG</button>'
            f'<button data-chart="{gid}" data-format="svg">SVG</button></div>'
            + (f"<figcaption>{esc(chart.caption)}</figcaption>" if chart.caption else "") + "</figure>")
        entries.append({"id": gid, "name": chart.name, "spec": chart.spec})
    script = SCRIPT % {"export": _script_json({"scale": EXPORT_SCALE, "width": EXPORT_WIDTH}),
                       "charts": _script_json(entries)}
    parts.append(f"<script>{script}</script></body></html>")
    return "\n".join(parts)
