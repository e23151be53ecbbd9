"""The Initializers page (see initviz.ui.initializers)."""

from initviz.ui.frame import run_page

run_page("initializers")
