"""The Experiments page's link: the deep linear networks whose Jacobian spectrum it draws (the
classic demonstrations themselves are links to the other pages)."""

from __future__ import annotations

from .common import seed
from .grammar import PageSchema, Param

JACOBIAN_WIDTHS = (16, 32, 64, 128)
"""Widths of the deep linear networks whose Jacobian spectrum the Experiments page draws."""
JACOBIAN_DEPTHS = (10, 20, 50, 100)


SCHEMA = PageSchema("experiments", (
    Param("jac_width", "int", 64, "Width n", options=JACOBIAN_WIDTHS,
          help="width of the deep linear networks (every layer n×n)"),
    Param("jac_depth", "int", 50, "Depth L", options=JACOBIAN_DEPTHS, help="layers of the deep linear networks"),
    seed(),
))
"""The Experiments page's parameters, in display order."""
