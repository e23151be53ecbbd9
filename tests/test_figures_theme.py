"""The light and dark templates and a chart's dark view (:func:`initviz.figures.theme.on_dark`)."""

import copy
import json
import tomllib
from pathlib import Path

import pandas as pd
import plotly.colors

from initviz.figures import fig_curves, theme
from initviz.figures.export import with_caption
from initviz.figures.training import fig_steps

ROOT = Path(__file__).resolve().parents[1]


def _spec(fig) -> dict:
    """A figure as the app stores it (plotly's JSON form, caption added)."""
    return with_caption(json.loads(fig.to_json()), ["initviz · a caption line"])


def _charts() -> list[dict]:
    """Charts that name every ink colour :data:`theme.DARK_COLORS` maps: seven series (the palette's
    black), a marked value (INK) and a note, a training curve with markers (PAPER outlines) and a
    reference line, and the export caption (MUTED)."""
    groups = [f"s{i}" for i in range(len(theme.PALETTE))]
    table = pd.DataFrame({"group": [g for g in groups for _ in (0, 1)], "n": [1, 2] * len(groups),
                          "y": [float(i + k) for i in range(len(groups)) for k in (1, 2)]})
    curves = fig_curves(table, x="n", y="y", x_title="n", y_title="y", mark_x=1.5, mark_label="here")
    steps = pd.DataFrame({"group": "a", "step": [0, 1, 2], "median": [1.0, 0.5, 0.25], "q25": [0.9, 0.4, 0.2],
                          "q75": [1.1, 0.6, 0.3]})
    points = steps.assign(group="a")
    training = fig_steps(steps, points, y_title="loss", reference=0.3, reference_label="chance")
    return [_spec(curves), _spec(training)]


def _colours(node, path=()):
    """(path, value) of every ``…color`` string property of a spec, outside its template."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "template":
                continue
            if isinstance(value, str) and key.endswith("color"):
                yield path + (key,), value
            else:
                yield from _colours(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _colours(value, path + (i,))


def _blank(node):
    """``node`` without its template and with every ``…color`` string emptied."""
    if isinstance(node, dict):
        return {k: "" if isinstance(v, str) and k.endswith("color") else _blank(v)
                for k, v in node.items() if k != "template"}
    return [_blank(v) for v in node] if isinstance(node, list) else node


def test_the_dark_view_swaps_the_template_and_the_ink_colours_and_keeps_everything_else():
    mapped = set()
    for spec in _charts():
        before = copy.deepcopy(spec)
        dark = theme.on_dark(spec)
        assert spec == before  # the stored (light) spec is shared by every session: left as it is
        theme.validate(dark)
        assert dark["layout"]["template"] == theme.DARK_TEMPLATE_SPEC
        light_colours, dark_colours = dict(_colours(spec)), dict(_colours(dark))
        assert light_colours.keys() == dark_colours.keys()
        for path, value in light_colours.items():
            assert dark_colours[path] == theme.DARK_COLORS.get(value, value), path
        mapped |= set(light_colours.values()) & theme.DARK_COLORS.keys()
        assert _blank(dark) == _blank(spec)  # nothing else changed
    assert mapped == theme.DARK_COLORS.keys()  # every mapping was exercised


def _contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio (L1 + 0.05) / (L2 + 0.05) of relative luminances (sRGB linearised)."""
    def luminance(c):
        rgb = plotly.colors.hex_to_rgb(c) if c.startswith("#") else (255, 255, 255) if c == "white" else None
        lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in (x / 255 for x in rgb)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_both_templates_are_readable():
    """Text ≥ 4.5:1 against its paper (WCAG 1.4.3); on dark paper, every series colour ≥ 3:1 (WCAG
    1.4.11, graphics: the light palette's orange and sky blue are below it on white, as before)."""
    for tpl in (theme.TEMPLATE_SPEC, theme.DARK_TEMPLATE_SPEC):
        lay = tpl["layout"]
        assert lay["plot_bgcolor"] == lay["paper_bgcolor"]
        assert _contrast(lay["font"]["color"], lay["paper_bgcolor"]) >= 4.5
    dark = theme.DARK_TEMPLATE_SPEC["layout"]
    assert all(_contrast(c, theme.DARK_PAPER) >= 3.0 for c in dark["colorway"]), dark["colorway"]
    assert _contrast(theme.MUTED, theme.PAPER) >= 4.5 and _contrast(theme.DARK_MUTED, theme.DARK_PAPER) >= 4.5
    dark_grid = theme.DARK_TEMPLATE_SPEC["layout"]["xaxis"]["gridcolor"]
    assert 1.2 <= _contrast(dark_grid, theme.DARK_PAPER) < 3.0  # a grid is seen, and stays behind the data


def test_each_template_paper_is_the_app_background_of_its_theme():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
    assert "base" not in config  # no forced theme: the browser's preference picks light or dark
    assert config["dark"]["backgroundColor"].upper() == theme.DARK_TEMPLATE_SPEC["layout"]["paper_bgcolor"].upper()
    assert config["light"]["backgroundColor"].upper() == "#FFFFFF" and theme.TEMPLATE_SPEC["layout"]["paper_bgcolor"] \
        == "white"
    assert config["light"]["primaryColor"] == config["dark"]["primaryColor"] == theme.PALETTE[0]
