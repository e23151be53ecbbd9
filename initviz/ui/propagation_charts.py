"""The Propagation page's per-layer charts as data, so that a worker process can build them.

A view's runs (:class:`Runs`: legend name → network, measurement, prediction, why no prediction)
and a chart's definition (:class:`LayerChart`: the statistic, its band, which mean-field line, the
titles — plain values, no closures) are all :func:`layer_spec` needs to make the chart in plotly's
dict form; the page (:mod:`.propagation`) hands both to a worker (:func:`.widgets.chart_in_worker`),
so that the server's GIL only forwards the result. No Streamlit here.

The mean-field line of a chart (``LayerChart.theory``) is the prediction's attribute of that name
(one value per layer), or a module-level function ``(network, prediction) -> values``
(:func:`grad_ratio_theory`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..figures import propagation as fp
from ..network import Network
from ..propagation import PropagationResult


class Runs(dict):
    """Every run of a view by legend name → (network, measurement, prediction, why no prediction),
    with the tables all charts of the view share, made once per script run (or per worker call)."""

    @cached_property
    def measured(self) -> dict[str, PropagationResult]:
        return {name: res for name, (_, res, _, _) in self.items()}

    @cached_property
    def complete(self) -> bool:
        """No run was cut short by its deadline: the view is a function of its settings alone."""
        return not any(res.truncated for res in self.measured.values())

    @cached_property
    def faults(self) -> pd.DataFrame:
        """Forward faults and deadline stops (``fp.fault_table``)."""
        return fp.fault_table(self.measured)

    @cached_property
    def all_faults(self) -> pd.DataFrame:
        """Forward and backward faults and deadline stops."""
        return fp.fault_table(self.measured, backward=True)


def forward_limit(res: PropagationResult) -> int:
    """The last layer with forward data: the fault layer, the deadline's stop, or the depth."""
    fault = res.first_nonfinite_layer or res.first_vanished_layer
    last = int(res.layers_done.min()) if res.truncated else res.depth
    return min(fault, last) if fault else last


def grad_ratio_theory(net: Network, pred) -> np.ndarray:
    """The mean field's std(∂L/∂W_l) / std(W_l) per layer: √(predicted Var ∂L/∂W_l) over the law's std."""
    std = np.array([net.weight_law(layer).std for layer in range(1, net.depth + 1)])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(pred.grad_w_var) / std


Theory = str | Callable[[Network, object], np.ndarray] | None
"""Which mean-field line a chart draws: a prediction attribute's name, a function, or none."""


def tables(runs: Runs, stat: str, band: str | None, theory: Theory = None, backward: bool = False):
    """Measured table, theory table (``theory`` of each run's network and prediction, per layer) and
    faults of statistic ``stat``."""
    table = fp.stat_table(runs.measured, stat, band)
    prediction, faults = None, runs.all_faults if backward else runs.faults
    if theory is not None:
        values, upto = {}, {}
        for name, (net, res, pred, _) in runs.items():
            has_data = (not backward) or not np.isnan(res.stats[stat]).all()
            line = (theory(net, pred) if callable(theory) else getattr(pred, theory)) if pred is not None else None
            values[name] = line if has_data else None
            upto[name] = res.depth if backward else forward_limit(res)
        prediction = fp.values_table(values, upto)
        beyond = fp.theory_fault_table(values, upto)
        if len(beyond):
            faults = pd.concat([faults, beyond], ignore_index=True)
    return table, prediction, faults


def branch_skip_tables(runs: Runs, band: str | None):
    """The measured and predicted variances of the branch α·F and of the skip s·x, two series per run."""
    parts, theory, faults = [], {}, runs.faults
    for stat, what in (("branch_var", "branch α·F"), ("skip_var", "skip s·x")):
        table, prediction, _ = tables(runs, stat, band, stat)
        parts.append(table.assign(group=table["group"].astype(str) + f": {what}"))
        if len(prediction):
            theory[what] = prediction.assign(group=prediction["group"].astype(str) + f": {what}")
    predicted = pd.concat(list(theory.values()), ignore_index=True) if theory else None
    return pd.concat(parts, ignore_index=True), predicted, faults


@dataclass(frozen=True)
class LayerChart:
    """One per-layer chart of a view: statistic ``stat`` of every run against the layer (its ``band``:
    "seeds", "samples" or None), the mean-field line ``theory`` (:data:`Theory`), the backward
    pass's faults when ``backward``; ``branch_skip`` draws the branch's and the skip's variances
    together (:func:`branch_skip_tables`) instead. The rest is what ``fp.fig_layers`` writes."""

    stat: str
    title: str
    y_title: str
    x_title: str
    depth: int
    measured: str = "measured"
    band: str | None = None
    theory: Theory = None
    backward: bool = False
    log_y: bool | None = None
    branch_skip: bool = False

    def tables(self, runs: Runs):
        """(measured, prediction, faults) of this chart."""
        if self.branch_skip:
            return branch_skip_tables(runs, self.band)
        return tables(runs, self.stat, self.band, self.theory, self.backward)


def layer_spec(chart: LayerChart, runs: Runs) -> dict:
    """The chart in plotly's dict form (what :func:`.widgets.chart` stores and draws)."""
    table, prediction, faults = chart.tables(runs)
    return fp.fig_layers(table, prediction, y_title=chart.y_title, depth=chart.depth, title=chart.title,
                         faults=faults, log_y=chart.log_y, measured=chart.measured, x_title=chart.x_title).to_dict()


__all__ = ["Runs", "LayerChart", "Theory", "forward_limit", "grad_ratio_theory", "tables", "branch_skip_tables",
           "layer_spec"]
