"""The Experiments page (see initviz.ui.experiments)."""

from initviz.ui.frame import run_page

run_page("experiments")
