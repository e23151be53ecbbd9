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

CAPTION_FONT_SIZE = 12
CAPTION_LINE_PX = 16
"""Height of one caption line (12 px text and its leading)."""
AXIS_PX = 70
"""Room under the plot for the x tick labels and the x-axis title: the template's bottom margin."""
CAPTION_CHARS = 110
"""A caption line longer than this is broken (at ``&`` in a link, else at a space): about 800 px of
12 px Arial, the width of a half-page chart exported for a report."""
CAPTION_COLOR = "#555555"


def wrap(line: str, width: int = CAPTION_CHARS) -> list[str]:
    """``line`` broken before ``&`` or after a space into pieces of at most ``width`` characters
    where it can be (a single longer piece is kept whole)."""
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
    """``line`` cut before each ``&`` and after each space (joining the pieces gives it back)."""
    out, start = [], 0
    for i, ch in enumerate(line):
        if ch == "&" and i > start:
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
    margin["b"] = margin.get("b", AXIS_PX) + len(shown) * CAPTION_LINE_PX + theme.GAP_PX
    block = {"text": "<br>".join(html.escape(piece, quote=False) for piece in shown),
             "xref": "paper", "yref": "paper", "x": 0.0, "y": 0.0, "xanchor": "left", "yanchor": "top",
             "yshift": -AXIS_PX, "align": "left", "showarrow": False, "name": "export_caption",
             "font": {"size": CAPTION_FONT_SIZE, "color": CAPTION_COLOR}}
    layout["annotations"] = [*layout.get("annotations", ()), block]
    layout["margin"] = margin
    return {**spec, "layout": layout}
