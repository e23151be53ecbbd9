"""Helpers for the app tests (imported by tests/test_app_*.py and tests/test_figures_*.py), tested here.

* :func:`decode` turns plotly ≥ 6's typed arrays (``{"dtype": "f8", "bdata": <base64>, "shape": "r, c"}``)
  back into numpy arrays, recursively.
* :func:`chart` finds a chart in an ``AppTest`` by its widget key and returns its decoded figure JSON
  (after plotly has validated every property of it: the app builds figures unvalidated, see
  :func:`initviz.figures.theme.figure`); :func:`figure_json` does the same for a builder's figure.
* :func:`numbers` walks every number of a figure (to prove that none is NaN or infinite).
* :func:`open_page` opens a page with a link's query in an ``AppTest`` and checks it ran cleanly.
* :func:`assert_exportable` checks a drawn chart's export: the modebar's PNG at ≥ 3× and the caption
  inside the figure naming the page, the seed and the link.
"""

import base64
import json

import numpy as np
import plotly.graph_objects as go
import pytest

from initviz.figures import theme

APP = str(__import__("pathlib").Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 60


def decode(value):
    """Recursively replace plotly typed arrays by numpy arrays."""
    if isinstance(value, dict):
        if set(value) >= {"dtype", "bdata"}:
            arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
            if "shape" in value:
                arr = arr.reshape([int(s) for s in str(value["shape"]).split(",")])
            return arr
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def figure_json(fig: go.Figure) -> dict:
    """A builder's figure as decoded JSON, once plotly has validated every property of it."""
    spec = json.loads(fig.to_json())
    theme.validate(spec)
    return decode(spec)


def chart(at, key: str) -> dict:
    """The decoded figure ({"data": [...], "layout": {...}}) of the chart with widget key ``key``,
    validated by plotly, plus its plotly ``config`` under ``"config"``."""
    found = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}")]
    assert len(found) == 1, f"{len(found)} charts with key {key!r}"
    spec = json.loads(found[0].proto.spec)
    theme.validate(spec)
    fig = decode(spec)
    fig["config"] = json.loads(found[0].proto.config)
    return fig


def trace(fig: dict, name: str) -> dict:
    """The one trace called ``name``."""
    found = [t for t in fig["data"] if t.get("name") == name]
    assert len(found) == 1, f"{len(found)} traces named {name!r}: {[t.get('name') for t in fig['data']]}"
    return found[0]


def numbers(obj):
    """Every int/float in a decoded figure (arrays flattened), skipping the template."""
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fiu":
            yield from obj.ravel().tolist()
        elif obj.dtype == object:
            for v in obj.ravel():
                yield from numbers(v)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if k != "template":
                yield from numbers(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from numbers(v)
    elif isinstance(obj, (int, float)) and not isinstance(obj, bool):
        yield obj


def export_caption(fig: dict) -> str:
    """The text of the caption the app adds inside a chart (``initviz.figures.export``), or ""."""
    found = [a["text"] for a in fig["layout"].get("annotations", []) if a.get("name") == "export_caption"]
    assert len(found) <= 1, found
    return found[0] if found else ""


def assert_exportable(fig: dict, path: str, query: dict) -> None:
    """Chart ``fig`` of page ``path`` (link ``query``) exports as a PNG at ≥ 3× with a descriptive
    name, no plotly logo, and a caption naming the page, the seed and the link to its view."""
    opts = fig["config"]["toImageButtonOptions"]
    assert opts["format"] == "png" and opts["scale"] >= 3 and opts["filename"].startswith(f"{path}-"), opts
    assert fig["config"]["displaylogo"] is False
    caption = export_caption(fig).replace("&amp;", "&")
    seed = query.get("seed", "0")
    assert caption.startswith("initviz ") and f"seed={seed}" in caption, caption
    link = caption.replace("<br>", "").split(" · ")[-1]
    tail = f"/{path}" + ("?" if query else "")
    assert tail in link and all(f"{k}={v}" in link for k, v in query.items()), (link, query)


def all_finite(fig: dict) -> bool:
    return all(np.isfinite(v) for v in numbers(fig))


def open_page(path: str, query: dict, *, errors: bool = False):
    """An ``AppTest`` of page ``path`` opened with the link query ``query``, run, and checked to
    have no exception and (unless ``errors``) no error message on the page."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page(f"initviz/ui/pages/{path}.py")
    at.query_params.clear()
    at.query_params.update(query)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert errors or not at.error, [e.value for e in at.error]
    return at


def text_of(at) -> str:
    """All plain text, markdown, captions, warnings and errors of the page, joined."""
    parts = []
    for kind in ("markdown", "caption", "text", "warning", "error", "info", "code"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


# --- the helpers themselves ----------------------------------------------------------------------

@pytest.mark.parametrize("values", [np.array([0.5, -1.25, 3e-300]), np.arange(7, dtype=np.int8),
                                    np.arange(12.0, dtype=np.float32).reshape(3, 4)])
def test_decode_inverts_plotly_typed_arrays(values):
    fig = go.Figure(go.Heatmap(z=values) if values.ndim == 2 else go.Scatter(y=values))
    encoded = json.loads(fig.to_json())["data"][0]["z" if values.ndim == 2 else "y"]
    assert isinstance(encoded, dict) and "bdata" in encoded
    decoded = decode(encoded)
    assert decoded.shape == values.shape and np.array_equal(decoded, values)


def test_numbers_sees_every_value_and_all_finite_catches_nan():
    fig = decode(json.loads(go.Figure(go.Scatter(x=np.array([1.0, 2.0]), y=np.array([3, np.nan]))).to_json()))
    assert sorted(v for v in numbers(fig["data"]) if v == v) == [1.0, 2.0, 3.0]
    assert not all_finite(fig)


def test_figure_json_validates_what_the_app_builds_unvalidated():
    bad = theme.figure([{"type": "scatter", "y": [1.0], "colour": "red"}], {"height": 300})  # built unchecked
    with pytest.raises(ValueError, match="colour"):
        figure_json(bad)
    good = theme.figure([{"type": "scatter", "y": [1.0, 2.0], "line": {"color": theme.PALETTE[0]}}], {"height": 300})
    fig = figure_json(good)
    assert fig["layout"]["template"]["layout"]["font"]["family"] == theme.FONT and list(fig["data"][0]["y"]) == [1, 2]
