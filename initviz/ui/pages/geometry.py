"""The Geometry page (see initviz.ui.geometry)."""

from initviz.ui.frame import run_page

run_page("geometry")
