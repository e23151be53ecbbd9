"""What a chart carries when it leaves the app: a caption inside the figure that says where it came from.

An exported image (the modebar's PNG, the report's PNG and SVG) is often found later without the page
around it, so the figure itself names its settings and its link, in a small grey block under the plot:
``with_caption(spec, lines)`` returns a copy of a figure spec (plotly's dict form, as the app stores
it) with that block added and the bottom margin grown to hold it. The builders stay functions of
tables; the app adds the caption when it shows a chart (:func:`initviz.ui.widgets.chart`).
"""

from __future__ import annotations

import html

from . import theme

CAPTION_FONT_SIZE = 11
CAPTION_LINE_PX = 15
"""Height of one caption line (11 px text and its leading)."""
AXIS_PX = theme.TEMPLATE_SPEC["layout"]["margin"]["b"]
"""Room under the plot for the x tick labels and the x-axis title: the template's bottom margin. Tick
labels that plotly rotates (narrow panels on a phone's screen) need more, and the caption would
cover them there; an export is laid out at EXPORT_WIDTH (``initviz.ui.report``), where they do not."""
CAPTION_GAP_PX = 6
"""Between the x-axis title and the caption, and under the caption."""
LEFT_PX = theme.TEMPLATE_SPEC["layout"]["margin"]["l"] - theme.GAP_PX
"""The caption starts this far left of the plot area: ``GAP_PX`` from the figure's edge (the
template's left margin; more when long tick labels widen it)."""
CAPTION_CHARS = 48
"""A caption line longer than this is broken (before ``?`` or ``&`` in a link, else at a space):
≤ ~320 px of 11 px Arial, so the block fits a chart on a phone (~360 px) and a half-width chart on a
laptop."""


def wrap(line: str, width: int = CAPTION_CHARS) -> list[str]:
    """``line`` broken before ``?`` or ``&`` or after a space into pieces of at most ``width``
    characters where it can be (a single longer piece is kept whole)."""
    pieces: list[str] = []
    current = ""
    for token in _tokens(line):
        if current and len(current) + len(token) > width:
            pieces.append(current.rstrip())
            current = token.lstrip()
        else:
            current += token
    if current or not pieces:
        pieces.append(current.rstrip())
    return pieces


def _tokens(line: str) -> list[str]:
    """``line`` cut before each ``?`` and ``&`` and after each space (joining the pieces gives it back)."""
    out, start = [], 0
    for i, ch in enumerate(line):
        if ch in "?&" and i > start:
            out.append(line[start:i])
            start = i
        elif ch == " ":
            out.append(line[start:i + 1])
            start = i + 1
    if start < len(line):
        out.append(line[start:])
    return out


def with_caption(spec: dict, lines: list[str]) -> dict:
    """A copy of figure ``spec`` (its ``layout`` and annotation list copied, the rest shared) with
    ``lines`` (plain text, each wrapped by :func:`wrap`) as a left-aligned grey block under the plot's
    x-axis title, and the bottom margin grown by the block's height."""
    shown = [piece for line in lines for piece in wrap(line)]
    if not shown:
        return spec
    layout = dict(spec.get("layout", {}))
    margin = dict(layout.get("margin", {}))
    margin["b"] = margin.get("b", AXIS_PX) + len(shown) * CAPTION_LINE_PX + 2 * CAPTION_GAP_PX
    block = {"text": "<br>".join(html.escape(piece, quote=False) for piece in shown),
             "xref": "paper", "yref": "paper", "x": 0.0, "y": 0.0, "xanchor": "left", "yanchor": "top",
             "yshift": -AXIS_PX - CAPTION_GAP_PX, "xshift": -LEFT_PX, "align": "left", "showarrow": False, "name": "export_caption",
             "font": {"size": CAPTION_FONT_SIZE, "color": theme.MUTED}}
    layout["annotations"] = [*layout.get("annotations", ()), block]
    layout["margin"] = margin
    return {**spec, "layout": layout}
