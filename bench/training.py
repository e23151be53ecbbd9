"""The default Training view's computation, as the app runs it and in one process (``--only training``).

The view is the Training page's link defaults (:data:`bench.workloads.TRAINING` states them; a
change of the page's defaults fails loudly here rather than timing another view) — or those with
another depth (:data:`bench.workloads.TRAINING_ISSUE`, the issue's 6-layer net): one
``initviz.train`` run per compared scheme, each every seed, from the page's own run plan
(:func:`initviz.ui.links.training.runs` and ``fit``, local budget, no deadline). Two ways:

* **view** — what a visitor waits for: the runs on two worker processes with one BLAS thread each,
  as the app's workers (:mod:`initviz.ui.workers`, here a pool of our own started once before the
  timing, spawn, like theirs), from submitting the four runs to the last result back (pickled);
* **one process** — the runs one after another in this process with one BLAS thread: the engine's
  own cost, to set against the notebook with one torch thread.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor

from .workloads import TRAINING, TrainingView

WORKERS = 2
"""Worker processes of the timed view: the issue's 2 cores (the app runs one per core)."""


def view_runs(view: TrainingView = TRAINING) -> list:
    """The runs of the Training page's default view at ``view.depth`` (``initviz.ui.links.training.Run``),
    checked to be ``view``."""
    from initviz.limits import Budget
    from initviz.ui import links
    from initviz.ui.links import training as plan

    s, _ = links.constrain("training", links.SCHEMAS["training"].defaults())
    if view is not TRAINING:  # another depth than the page's: the view
        s, _ = links.constrain("training", {**s, "depth": view.depth})
    runs = plan.runs(s, budget=Budget.local())
    task = plan.task_of(s["task"])
    asked = dict(depth=s["depth"], width=s["width"], schemes=tuple(links.compared_schemes(s)), n_seeds=s["n_seeds"],
                 steps=s["steps"], batch=s["batch"], lr=s["lr"], momentum=s["momentum"],
                 log_every=runs[0].train["log_every"], dtype=s["dtype"])
    expected = {k: getattr(view, k) for k in asked}
    if asked != expected or s["task"] != "digits" or s["activation"] != "relu" or s["optimizer"] != "sgd" \
            or task.loss != "cross_entropy":
        raise RuntimeError(f"the Training page's default view is now {asked} ({s['task']}, {s['activation']}, "
                           f"{s['optimizer']}), not bench.workloads.TRAINING {expected}: update TRAINING and the "
                           "notebook (bench.torch_reference.train_view) to what the page trains")
    return list(runs)


def fit_run(run):
    """``fit`` of one run (a module-level function: the workers run it)."""
    from initviz.network import Network
    from initviz.ui.links import training as plan
    return plan.fit(Network.mlp(**run.network), run.task, **run.train)


def _one_blas_thread() -> None:
    from threadpoolctl import threadpool_limits
    global _LIMIT
    _LIMIT = threadpool_limits(limits=1, user_api="blas")  # kept for the worker's life


class ViewPool:
    """:data:`WORKERS` spawned worker processes with one BLAS thread, warmed up (numpy, initviz, the digits)."""

    def __init__(self, runs: list):
        self.runs = runs
        self.pool = ProcessPoolExecutor(min(WORKERS, os.cpu_count() or 1),
                                        mp_context=multiprocessing.get_context("spawn"), initializer=_one_blas_thread)

    def __call__(self) -> list:
        """The view: every run on the workers, all at once, their results back."""
        return list(self.pool.map(fit_run, self.runs))

    def close(self) -> None:
        self.pool.shutdown()


def one_process(runs: list):
    """The view's runs one after another in this process (call under one BLAS thread)."""
    def call():
        return [fit_run(run) for run in runs]
    return call


__all__ = ["view_runs", "fit_run", "ViewPool", "one_process", "WORKERS"]
