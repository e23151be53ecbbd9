"""The Propagation page (see initviz.ui.propagation)."""

from initviz.ui.frame import run_page

run_page("propagation")
