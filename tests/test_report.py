"""Exports that say where they came from (initviz.ui.report, initviz.figures.export): the caption
inside a chart, the CSV's comment line, the self-contained HTML report of a view."""

import io
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from initviz import __version__
from initviz.figures import export, theme
from initviz.ui import links, report

LINK = "https://example.org/propagation?depth=30&activation=relu&compare=kaiming_normal,orthogonal&seed=7"


def _propagation(**changes):
    settings = links.schema_of("propagation").defaults()
    settings.update(changes)
    return links.validate("propagation", settings)


# --- the caption inside a chart ------------------------------------------------------------------------

def test_wrap_breaks_long_lines_before_parameters_and_at_spaces_and_loses_nothing():
    pieces = export.wrap(LINK, width=40)
    assert "".join(pieces) == LINK
    assert all(len(p) <= 40 for p in pieces[:-1]) and len(pieces) > 1
    assert all(p[0] in "?&" for p in pieces[1:])  # broken before a parameter, never inside one
    words = "initviz 0.1.0 · Propagation · depth=30 · seed=7"
    assert " ".join(export.wrap(words, width=20)) == words
    assert export.wrap("short") == ["short"]


def test_the_caption_is_added_to_a_copy_below_the_plot_with_room_for_it():
    fig = theme.figure([{"type": "scatter", "y": [1.0, 2.0]}], theme.layout(x_title="x", y_title="y", title="T"))
    spec = fig.to_dict()
    before = repr(spec)
    out = export.with_caption(spec, ["initviz · <b>p</b>", LINK])
    assert repr(spec) == before  # the stored spec (shared by every session) is not touched
    notes = [a for a in out["layout"]["annotations"] if a.get("name") == "export_caption"]
    assert len(notes) == 1
    note = notes[0]
    assert note["yref"] == "paper" and note["y"] == 0 and note["yanchor"] == "top" and note["yshift"] < 0
    assert "&lt;b&gt;" in note["text"] and "<b>" not in note["text"]  # text, not markup
    lines = note["text"].split("<br>")
    assert len(lines) == 1 + len(export.wrap(LINK))
    assert out["layout"]["margin"]["b"] >= export.AXIS_PX + len(lines) * export.CAPTION_LINE_PX
    theme.validate(out)
    assert export.with_caption(spec, []) is spec


def test_the_title_keeps_a_gap_from_the_left_and_top_edges():
    title = theme.title_layout("T", rows=0)["title"]
    assert title["pad"]["l"] > 0 and title["pad"]["t"] > 0
    assert theme.TEMPLATE_SPEC["layout"]["paper_bgcolor"] == "white"


# --- what a caption, a CSV and a report say about the view -------------------------------------------

def test_the_summary_names_the_network_scheme_and_seed_in_link_text():
    text = report.summary("propagation", _propagation(depth=30, activation="relu", seed=7), "Propagation")
    assert text.startswith(f"initviz {__version__} · Propagation · ")
    assert {"activation=relu", "depth=30", "width=256", "scheme=xavier_normal", "seed=7", "draws=1"} \
        <= set(text.split(" · "))
    assert "compare=" not in text  # nothing compared: not named
    compared = report.summary("propagation", _propagation(compare=("orthogonal", "zeros")), "Propagation")
    assert "compare=orthogonal,zeros" in compared
    assert not any(part.startswith(("arch=", "norm=", "preset=")) for part in text.split(" · "))  # an MLP


@pytest.mark.parametrize("path", ["propagation", "training", "width"])
def test_the_summary_of_a_residual_network_names_its_architecture(path):
    schema = links.schema_of(path)
    settings = schema.validate({**schema.defaults(), "arch": "pre", "norm": "rmsnorm", "preset": "gpt2",
                                "branch_depth": 1})
    parts = report.summary(path, settings, path).split(" · ")
    assert {"arch=pre", "norm=rmsnorm", "preset=gpt2", "branch_depth=1"} <= set(parts), parts


def test_settings_rows_list_what_applies_with_display_names():
    rows = {name: (label, value) for name, label, value in report.settings_rows(
        "propagation", _propagation(scheme="orthogonal", orthogonal_gain=2.0))}
    assert rows["orthogonal_gain"][1] == "2.0"
    assert "xavier_normal_gain" not in rows  # does not apply to orthogonal
    assert rows["seed"] == ("Seed", "0")
    param = links.schema_of("propagation").by_name["inputs"]
    assert rows["inputs"] == (param.label, f"normal ({param.label_of('normal')})")


def test_the_csv_starts_with_its_settings_and_pandas_reads_it_back_with_comment():
    table = pd.DataFrame({"group": ["xavier_normal", "He (kaiming_normal)"], "layer": [1, 2],
                          "value": [0.5, np.nan]})
    header = report.csv_header("propagation", LINK, "2026-12-03 16:04 UTC")
    text = report.with_header(table, header)
    first, second = text.splitlines()[:2]
    assert first == header and first.startswith(f"# initviz {__version__} · propagation · ") and first.endswith(LINK)
    assert second == "group,layer,value"
    back = pd.read_csv(io.StringIO(text), comment="#")
    pd.testing.assert_frame_equal(back, table)


# --- the HTML report ---------------------------------------------------------------------------------

class _Collector(HTMLParser):
    """Tags, the text of each <script>, and whether anything points outside the file."""

    def __init__(self):
        super().__init__()
        self.tags, self.scripts, self.sources = [], [], []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        self.sources += [attrs[a] for a in ("src", "href") if a in attrs and tag != "a"]
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def _report(charts=None, formulas=(r"q^{l} = \sigma_w^2\,\mathbb{E}\big[\phi(h)^2\big] + \sigma_b^2",)):
    spec = theme.figure([{"type": "scatter", "x": np.arange(3.0), "y": np.array([1.0, np.nan, 3.0])}],
                        {"title": {"text": "</script><b>x</b>"}}).to_dict()
    charts = charts if charts is not None else [
        report.ReportChart("preact_var", "propagation-preact_var-seed7", spec, "Variance of <h>; line: q."),
        report.ReportChart("act_var", "propagation-act_var-seed7", spec, "")]
    settings = report.settings_rows("propagation", _propagation(depth=30, seed=7))
    return report.build_html(title="initviz — Propagation", link=LINK, created="2026-12-03 16:04 UTC",
                             settings=settings, formulas=list(formulas), charts=charts,
                             plotlyjs="/* plotly.js stand-in */ window.Plotly = {};"), settings


def test_the_report_holds_every_chart_its_settings_link_formulas_and_captions_and_nothing_external():
    text, settings = _report()
    parsed = _Collector()
    parsed.feed(text)
    assert parsed.sources == []  # no src/href to load: everything is inline
    assert parsed.scripts[0].startswith("/* plotly.js stand-in */")  # plotly.js first, then the charts
    assert text.count('class="plot"') == 2 and text.count('data-format="png"') == 2 \
        and text.count('data-format="svg"') == 2
    assert f'href="{LINK.replace("&", "&amp;")}"' in text
    for name, label, value in settings:
        assert f"<td><code>{name}</code></td>" in text
    assert "<figcaption>Variance of &lt;h&gt;; line: q.</figcaption>" in text
    assert text.count("<figcaption>") == 1  # a chart without a caption gets none
    assert "<math" in text and "<mi>&#x003C3;</mi>" in text  # σ, typeset as MathML
    # the chart data: one entry per chart, in page order, with the export names; "</script>" in a
    # title cannot close the element
    assert text.count("</script>") == len(parsed.scripts) == 2
    names = re.findall(r'"name":"(propagation-[a-z_]+-seed7)"', parsed.scripts[1])
    assert names == ["propagation-preact_var-seed7", "propagation-act_var-seed7"]
    assert f'"scale":{report.EXPORT_SCALE}' in parsed.scripts[1] and "Plotly.downloadImage" in parsed.scripts[1]


def test_a_formula_that_does_not_convert_is_shown_as_its_latex():
    assert report.formula_html(r"\frac{1}{2}").startswith("<math")
    bad = report.formula_html(r"\left( <b>")  # an unbalanced \left
    assert bad.startswith('<pre class="tex">') and "&lt;b&gt;" in bad


def test_the_default_plotly_js_is_the_one_plotly_py_ships():
    import plotly.offline

    js = report.plotly_js()
    assert js == plotly.offline.get_plotlyjs() and len(js) > 1_000_000


@pytest.mark.parametrize("formulas", [(), (r"x^2",)])
def test_a_report_without_formulas_has_no_formula_section(formulas):
    text, _ = _report(formulas=formulas)
    assert ("<h2>Formulas</h2>" in text) == bool(formulas)
