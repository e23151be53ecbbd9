"""Plotly figure builders for the app (imported by the app only; ``import initviz`` never loads plotly).

Builders are pure: tidy pandas tables in, a ``go.Figure`` styled by :mod:`initviz.figures.theme` out.
See :mod:`initviz.figures.charts` for the conventions and :mod:`initviz.figures.tables` for the tables.
"""

from .charts import fig_curves, fig_density, fig_heatmaps
from .tables import curve_table, hist_table

__all__ = ["curve_table", "fig_curves", "fig_density", "fig_heatmaps", "hist_table"]
