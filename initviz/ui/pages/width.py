"""The Width page (see initviz.ui.width)."""

from initviz.ui.frame import run_page

run_page("width")
