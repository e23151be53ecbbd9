"""Small tidy tables for the figure builders: histograms binned in numpy, densities on grids.

The browser only ever receives these (bin edges and densities, a few hundred numbers per series),
never raw samples. Column conventions, shared by every builder in :mod:`initviz.figures`:

* ``group`` (the series) is always an object column (:func:`text_column`);
* histogram: ``group, left, right, count, density`` — density = count / (N · width), where N counts
  every finite sample (so the bars integrate to the fraction of samples inside the range);
* curve: ``group, x, density`` (a theory density) or ``group, <x>, <y>[, lo, hi]`` (a measured line
  with its band);
* atom: ``group, x, mass`` (a point mass of a distribution, e.g. Marchenko–Pastur's zero atom).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_BINS = 60


def text_column(values) -> pd.Series:
    """Series names as an object column, not pandas' default Arrow strings: the figure builders
    group by it on every rerun, and each Arrow call releases the GIL — which a thread then waits
    to get back behind every other session's script (the app serves all sessions in one process)."""
    return pd.Series(np.asarray(values, dtype=object), dtype=object)


def hist_table(samples, *, group: str, bins: int = DEFAULT_BINS, range: tuple[float, float] | None = None,
               ) -> pd.DataFrame:
    """Bin ``samples`` (non-finite ones dropped) into a tidy histogram table.

    ``range`` defaults to the finite samples' min and max. The frame's ``attrs`` record
    ``n`` (finite samples), ``nonfinite`` (dropped) and ``outside`` (finite but outside the range).
    """
    x = np.asarray(samples, dtype=np.float64).ravel()
    finite = np.isfinite(x)
    x = x[finite]
    if range is None:
        range = (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)
        if range[0] == range[1]:
            range = (range[0] - 0.5, range[1] + 0.5)
    counts, edges = np.histogram(x, bins=bins, range=range)
    width = np.diff(edges)
    density = counts / (max(x.size, 1) * width)
    frame = pd.DataFrame({"group": text_column([group] * bins), "left": edges[:-1], "right": edges[1:],
                          "count": counts, "density": density})
    frame.attrs.update(n=int(x.size), nonfinite=int((~finite).sum()), outside=int(x.size - counts.sum()))
    return frame


def curve_table(x, y, *, group: str, x_name: str = "x", y_name: str = "density") -> pd.DataFrame:
    """A theory curve as a tidy table."""
    x = np.asarray(x, dtype=np.float64)
    return pd.DataFrame({"group": text_column([group] * x.size), x_name: x, y_name: np.asarray(y, dtype=np.float64)})
