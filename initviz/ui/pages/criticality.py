"""The Criticality page (see initviz.ui.criticality)."""

from initviz.ui.frame import run_page

run_page("criticality")
