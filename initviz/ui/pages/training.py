"""The Training page (see initviz.ui.training)."""

from initviz.ui.frame import run_page

run_page("training")
