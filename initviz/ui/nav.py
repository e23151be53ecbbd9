"""The page list of the app, in one place (pure data: no Streamlit import).

Each entry names the page's URL path (also its key in :data:`initviz.ui.links.SCHEMAS`), its title
and icon in the navigation, and the module whose ``render(settings)`` draws it. The page script that
Streamlit runs is ``initviz/ui/pages/<path>.py`` (a two-line file calling :func:`initviz.ui.frame.run_page`).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import one_of


@dataclass(frozen=True)
class PageEntry:
    path: str
    title: str
    icon: str
    module: str

    @property
    def script(self) -> str:
        """The page script, relative to ``app.py``."""
        return f"initviz/ui/pages/{self.path}.py"


PAGES: tuple[PageEntry, ...] = (
    PageEntry("geometry", "Geometry", ":material/scatter_plot:", "initviz.ui.geometry"),
    PageEntry("propagation", "Propagation", ":material/stacked_line_chart:", "initviz.ui.propagation"),
    PageEntry("training", "Training", ":material/model_training:", "initviz.ui.training"),
    PageEntry("criticality", "Criticality", ":material/blur_on:", "initviz.ui.criticality"),
    PageEntry("width", "Width", ":material/width:", "initviz.ui.width"),
    PageEntry("initializers", "Initializers", ":material/tune:", "initviz.ui.initializers"),
    PageEntry("experiments", "Experiments", ":material/science:", "initviz.ui.experiments"),
)
"""Navigation order."""

DEFAULT_PAGE = "propagation"
"""The page the bare app URL opens (it redirects there, so every page keeps its own path)."""


def entry(path: str) -> PageEntry:
    for page in PAGES:
        if page.path == path:
            return page
    raise one_of("page", [p.path for p in PAGES], path)
