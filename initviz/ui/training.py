"""The Training page: does this initialization train? Up to four init schemes train the same MLP (or
residual network: the Propagation page's blocks between an input layer and a readout) on
the same task, batches and seeds with :func:`initviz.train`; the page draws their losses (median and
interquartile band over seeds) beside the loss of chance, the test accuracy, and per-layer
diagnostics over steps (update:data ratio, gradient std, dead or saturated units, distinct units) and
the histograms of one layer's weight gradients and activations at step 0 and at a chosen step."""

from __future__ import annotations

import math
from functools import cached_property

import pandas as pd
import streamlit as st

from ..activations import get_activation
from ..figures import training as ft
from ..network import Network
from ..training import TrainingResult
from . import deployment, links, progress, workers
from .caching import NETWORK_HASH
from .frame import computed_view, control_notices, guard
from .links import training as plan
from .propagation import blocks_line, mlp_controls, residual_controls
from .widgets import chart, control, control_row, file_name, offer_choices

CACHE = dict(max_entries=256, max_size=64 * 2 ** 20, hash_funcs=NETWORK_HASH)
"""A view's results are losses and per-layer statistics at ~30 logged steps (the final weights are
dropped: :func:`.links.training.fit`): ~60 kB for the default view."""
HALF = 2


def run_deadline(n_runs: int) -> float:
    """Seconds one of a view's ``n_runs`` runs may take before it returns what it has: the runs share
    the worker processes, so each gets the deployment's view deadline × workers / runs."""
    return deployment.current().view_deadline * min(workers.WORKERS, n_runs) / n_runs


@st.cache_data(**CACHE, show_spinner=False)
def trained(nets: tuple[Network, ...], task: str, train: tuple, deadline: float,
            _result: tuple[TrainingResult, ...] | None = None) -> tuple[TrainingResult, ...]:
    """The kept ``initviz.train`` results of a view's networks with its arguments (``train``: their
    items) — a store (:func:`.progress.kept`): :func:`runs_of` trains them in the worker processes, all
    at once (:func:`.links.training.fit`), and keeps them here, on the small configuration."""
    return progress.kept(_result)


class Runs(dict):
    """Every run of a view by legend name → its :class:`~initviz.training.TrainingResult`, with the
    tables the charts share, made once per script run."""

    @cached_property
    def complete(self) -> bool:
        return not any(res.truncated for res in self.values())

    @cached_property
    def frames(self) -> dict[str, pd.DataFrame]:
        return {name: res.to_frame() for name, res in self.items()}

    @cached_property
    def layer_frames(self) -> dict[str, pd.DataFrame]:
        return {name: res.layer_frame() for name, res in self.items()}

    def histogram_frames(self, which: str) -> dict[str, pd.DataFrame]:
        return {name: res.histogram_frame(which) for name, res in self.items()}

    def seeds(self, column: str) -> pd.DataFrame:
        return ft.seed_table(self.frames, column)

    @property
    def first(self) -> TrainingResult:
        return next(iter(self.values()))


def runs_of(settings: links.Settings) -> Runs:
    """Every run of the view (:func:`.links.training.runs`), trained together — with a progress bar,
    the loss curves drawn as they arrive and Cancel when the view is long (:mod:`.progress`); a
    cancelled view has what was trained until then."""
    planned = plan.runs(settings)
    nets = tuple(run.build() for run in planned)
    task, train, deadline = planned[0].task, planned[0].train, run_deadline(len(nets))
    rounds = math.ceil(len(nets) / workers.WORKERS)
    timeout = max(workers.RESULT_TIMEOUT, rounds * deadline + deployment.current().worker_grace)
    names = [run.name for run in planned]
    seconds = plan.training_seconds(settings) / min(workers.WORKERS, len(nets))
    key = ("training", nets, task, tuple(train.items()), deadline)
    with progress.View(key, seconds, "Training the networks…") as view:
        results = view.step(0, trained, dict(nets=nets, task=task, train=tuple(train.items()), deadline=deadline),
                            [progress.Job(plan.fit, (net, task), dict(train, deadline=deadline), train["n_seeds"] * train["steps"])
                             for net in nets],
                            timeout=timeout, label=_steps,
                            partial=lambda parts: _live_losses(settings, dict(zip(names, parts))))
        view.notice()
    return Runs((name, res) for name, res in zip(names, results or ()) if res is not None)


def _steps(done: int, total: int) -> str:
    """The bar's words: training steps done over every network and seed."""
    return f"training step {done:,} of {total:,} (every scheme and seed)"


def _live_losses(settings, partials: dict[str, TrainingResult | None]):
    """The training loss so far of the networks that sent some, or None."""
    runs = Runs((name, res) for name, res in partials.items() if res is not None)
    if not runs:
        return None
    table = runs.seeds("train_loss")
    if table.empty:
        return None
    return ft.fig_steps(table, y_title="training loss", title="Training loss so far (median over seeds)",
                        log_y=settings["log_y"], height=320)


# --- the page ------------------------------------------------------------------------------------------

INTRO = (
    "Does this initialization **train**? Each scheme initialises the same network, which then trains on the "
    "same mini-batches with the same optimizer (torch's SGD, Adam or AdamW, step for step); every seed draws "
    "new weights and a new data order. An untrained classifier should start near the loss of **chance**, "
    "−log(1/C) for C classes (a uniform guess): an initial loss far above it means over-confident logits "
    "(makemore part 3's 27 vs 3.29). Zero or constant weights keep every hidden unit identical for the whole "
    "run — the symmetry gradient descent never breaks (the Per-layer view counts the distinct units).")


UNFIT_KEY = "training_unfit"
"""Key of the box a view over the hosted budget shows instead of its charts (tests find it)."""


def render(settings: links.Settings) -> None:
    fitted = plan.fit_view(settings)
    _controls(settings, fitted)
    st.markdown(INTRO)
    control_row("compare", "view", widths=[3, 2])  # the question, above the charts
    if not fitted.fits:
        offer_choices("training", UNFIT_KEY,
                      f"This training would be {plan.times(fitted.over)} the work a hosted view may do (a few seconds), "
                      "and even with one network (seed) it does not fit: nothing is trained, and your settings stay as "
                      "you set them. Each of these changes fits — or change the controls yourself:", fitted.choices,
                      "No single change fits: lower several settings together.")
        return
    computed = fitted.settings
    if fitted.cut:  # what the charts show: the view with fewer seeds (a function of the link on this deployment)
        computed_view("training", computed)
    with guard("training: compute"):
        runs = runs_of(computed)
        if not runs:  # cancelled before a network sent its first steps: the notice says so
            return
        _caption_runs(computed, runs)
        draw = _layers if settings["view"] == "layers" else _curves  # links.TRAINING_VIEWS
        draw(computed, runs)


def _controls(settings: links.Settings, fitted) -> None:
    """The task, the network and the training, in the sidebar; a cut of the seeds under its control."""
    sidebar = st.sidebar.container(key="training_controls")
    with sidebar:
        st.subheader("Task")
        control("task")
        st.subheader("Network")
        for name in ("arch", "depth", "width"):
            control(name)
        if plan.is_residual(settings):
            control("norm")
            residual_controls(settings)
        mlp_controls(settings)
        st.subheader("Training")
        control("optimizer")
        control("lr")
        if settings["optimizer"] == "sgd":
            control("momentum")
        control("weight_decay")
        control("steps")
        control("batch")
        control("n_seeds")
        control_notices("n_seeds", list(fitted.cut))
        control("seed")
        control("dtype")
        st.divider()


def _caption_runs(settings, runs: Runs) -> None:
    res = runs.first
    task = plan.task_of(settings["task"])
    opt = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW"}[settings["optimizer"]]
    extra = f", momentum {settings['momentum']:g}" if settings["optimizer"] == "sgd" else ""
    st.markdown(f"**Network:** {res.net.describe()} · **task:** {task.description} · **{opt}** lr {settings['lr']:g}"
                f"{extra}, weight decay {settings['weight_decay']:g} · {settings['steps']} steps of batch "
                f"{settings['batch']} × {settings['n_seeds']} seed(s) from seed {settings['seed']} · {settings['dtype']}")
    if res.net.residual is not None:
        st.caption(blocks_line(res.net) + f" The task's {task.in_dim} inputs enter through an input layer "
                   f"Linear({task.in_dim}, {settings['width']}); a readout Linear({settings['width']}, "
                   f"{task.out_dim}) gives the outputs.")
    stopped = [f"{name} — partial result: {res.reason}." for name, res in runs.items() if res.truncated]
    if stopped:
        st.caption("  \n".join(stopped))


def _name(settings, what: str) -> str:
    return file_name("training", what, settings["task"], "-".join(links.compared_schemes(settings)),
                     settings["arch"] if plan.is_residual(settings) else None, settings["activation"],
                     f"L{settings['depth']}", f"n{settings['width']}", settings["optimizer"],
                     f"lr{settings['lr']:g}", f"seed{settings['seed']}")


def _reference(res: TrainingResult, classes: int | None) -> tuple[float, str]:
    """Chance for a classifier of ``classes`` classes, else the best constant prediction's loss."""
    if classes:
        return res.chance, f"chance −log(1/{classes}) = {res.chance:.2f}"
    return res.baseline, f"best constant prediction = {res.baseline:.3g}"


def initial_losses(runs: Runs, classify: bool) -> str:
    """The initial training loss of each scheme (median over seeds) against chance, in words."""
    ref = runs.first.chance if classify else runs.first.baseline
    what = "chance is" if classify else "the best constant prediction scores"
    parts = []
    for name, res in runs.items():
        first = res.train_loss[:, 0]
        first = first[pd.notna(first)]
        start = f"{float(pd.Series(first).median()):.2f}" if first.size else "not finite"
        parts.append(f"{name} starts at {start}")
    return f"Initial loss (step 0, median over seeds): {'; '.join(parts)} — {what} {ref:.2f}."


def _curves(settings, runs: Runs) -> None:
    st.header("Loss curves")
    control("log_y")
    task = plan.task_of(settings["task"])
    classify = task.loss == "cross_entropy"
    classes = task.out_dim if classify else None
    ref, label = _reference(runs.first, classes)
    loss = "cross-entropy" if classify else "mean squared error"
    log_y = settings["log_y"]
    chart(lambda: ft.fig_steps(runs.seeds("train_loss"), runs.seeds("test_loss"), y_title=f"loss ({loss})",
                               title="Training loss (lines) and test loss (markers)", log_y=log_y, reference=ref,
                               reference_label=label),
          lambda: pd.concat([runs.seeds("train_loss").assign(split="train"),
                             runs.seeds("test_loss").assign(split="test")], ignore_index=True),
          key="loss", name=_name(settings, "loss"), reuse=runs.complete,
          caption=initial_losses(runs, classify) + " Lines: the training batch's loss before each update (median "
                  "over seeds, band: interquartile range); markers: the whole test set at the logged steps.")
    if classify:
        chart(lambda: ft.fig_steps(runs.seeds("test_accuracy"), y_title="test accuracy (fraction correct)",
                                   title="Test accuracy", reference=1.0 / classes,
                                   reference_label=f"chance 1/{classes} = {1.0 / classes:.2f}"),
              lambda: runs.seeds("test_accuracy"), key="accuracy", name=_name(settings, "accuracy"),
              reuse=runs.complete, caption="The whole test set at the logged steps (median over seeds, band: "
                                           "interquartile range).")


def _layer_chart(settings, runs: Runs, stat: str, *, key: str, title: str, y_title: str, log_y: bool = False,
                 reference: float | None = None, reference_label: str = "", caption: str | None = None,
                 hidden_only: bool = False) -> None:
    """One per-layer statistic: over steps, one line per layer (every layer of an MLP, or the chosen
    layer); every layer of a residual network against the layer's index at the first and last logged
    steps (:func:`~initviz.figures.training.fig_layer_profile`: one line per scheme and step however
    many blocks). ``hidden_only`` keeps the layers with an activation (:func:`.links.training.activated_layers`)."""
    layer, labels = settings["diag_layer"], runs.first.layer_labels
    profile = plan.is_residual(settings) and not layer

    def table():
        t = ft.layer_table(runs.layer_frames, stat, layer)
        if hidden_only:
            t = t[t["layer"].isin(plan.activated_layers(settings))]
        if profile and len(t):
            t = t[t["step"].isin((t["step"].min(), t["step"].max()))]
        return t

    def figure():
        common = dict(y_title=y_title, title=title, log_y=log_y, reference=reference, reference_label=reference_label)
        return ft.fig_layer_profile(table(), labels, **common) if profile else \
            ft.fig_layer_steps(table(), labels=labels, **common)

    chart(figure, table, key=key, name=_name(settings, key), reuse=runs.complete, caption=caption)


def _layer_choice(settings, runs: Runs) -> None:
    """The layer selector: a number for an MLP; the layers' names for a residual network."""
    if not plan.is_residual(settings):
        control("diag_layer")
        return
    labels = runs.first.layer_labels
    control("diag_layer", options=range(len(labels) + 1), labels=("every layer", *labels))


def _layers_caption(settings, runs: Runs) -> str:
    """What the per-layer charts show: which layers, on which axis."""
    layer, labels = settings["diag_layer"], runs.first.layer_labels
    if not plan.is_residual(settings):
        which = "every layer (its number at the line's end)" if not layer else f"layer {layer}"
        return (f"Median over seeds at the logged steps, {which}, measured on the step's batch before its update; "
                f"layer {settings['depth'] + 1} is the linear output layer.")
    where = (f"{labels[layer - 1]} over steps" if layer else
             f"every weight layer against its index (x: 1 = input layer, then each block's branch layers, "
             f"{len(labels)} = readout; hover a point for its name) at the first and last logged steps (dotted, "
             "solid) — pick a layer to follow it over every logged step")
    return (f"Median over seeds, {where}, measured on the step's batch before its update. The input layer, "
            "a two-layer branch's second layer W_2 and the readout are linear; a branch's W_1 has the activation.")


def _layers(settings, runs: Runs) -> None:
    st.header("Per-layer diagnostics over steps")
    _layer_choice(settings, runs)
    st.caption(_layers_caption(settings, runs))
    left, right = st.columns(HALF)
    with left:
        _layer_chart(settings, runs, "update_data", key="update_data", title="Update : data ratio",
                     y_title="log₁₀(lr · std ∂L/∂W / std W)", reference=ft.GUIDE_UPDATE_DATA,
                     reference_label="≈ −3: the usual guide",
                     caption="How large an SGD step is against the weights (Karpathy's update:data ratio); "
                             "far below −3 a layer barely learns, far above it the weights are thrown about. "
                             "Absent for all-zero weights (std W = 0).")
    with right:
        _layer_chart(settings, runs, "grad_std", key="grad_std", title="Gradient std", log_y=True,
                     y_title="std ∂L/∂W<sub>l</sub>",
                     caption="Vanishing or exploding gradients show as layers decades apart.")
    act = get_activation(settings["activation"], links.activation_param(settings))
    left, right = st.columns(HALF)
    with left:
        if act.rails is not None:
            _layer_chart(settings, runs, "saturated", key="saturated", title=f"Saturated units ({act.label})",
                         y_title="fraction of outputs saturated", hidden_only=True,
                         caption="Outputs within 1 % of a rail, layers with the activation.")
        elif act.has_dead_units:
            _layer_chart(settings, runs, "dead", key="dead", title=f"Dead units ({act.label})",
                         y_title="fraction of units dead", hidden_only=True,
                         caption="Units whose output is 0 for every example of the batch, layers with the "
                                 "activation.")
        else:
            st.subheader("Saturation and dead units")
            st.caption(f"{act.label} has neither two rails (no saturation) nor a zero half-line (no dead units).")
    with right:
        _layer_chart(settings, runs, "distinct_units", key="distinct_units", title="Symmetry: distinct units",
                     y_title="distinct units in the layer",
                     caption="Units whose outputs differ on the batch (beyond rounding, √ε·max|a|). 1 means every "
                             "unit of the layer computes the same function: zero or constant init never breaks it.")
    _histograms(settings, runs)


HISTOGRAM_TITLES = {"grad": ("Weight gradients", "∂L/∂W<sub>l</sub> (every entry)"),
                    "act": ("Activations", "a<sup>l</sup> (the batch's outputs of the layer)")}
"""Chart title and x-axis title of each kind of training histogram."""


def _histograms(settings, runs: Runs) -> None:
    """The first seed's histograms of one layer at step 0 and the chosen step, one panel per scheme."""
    layer = settings["diag_layer"] or plan.activated_layers(settings)[0]
    name = runs.first.layer_labels[layer - 1]
    steps = " and ".join(f"step {s}" for s in plan.histogram_steps(settings))
    st.subheader(f"Histograms of {name}: {steps}")
    control("hist_step")
    st.caption(f"The first network (seed {settings['seed']}) of each scheme, on the step's batch before its update; "
               + (f"{name}, the first layer with the activation (choose another with the Layer control)"
                  if not settings["diag_layer"] else name)
               + ". Colour: the scheme, as in every chart of the page; dotted: step 0 (the init), solid: the chosen "
               "step. Each panel has its own value axis, its bins shared by both steps.")
    for kind, (title, x_title) in HISTOGRAM_TITLES.items():
        def table(kind=kind):
            return ft.histogram_table(runs.histogram_frames(kind), layer)

        chart(lambda kind=kind, title=title, x_title=x_title: ft.fig_step_histograms(
                  table(kind), x_title=x_title, title=f"{title}, {name}"),
              table, key=f"hist_{kind}", name=_name(settings, f"hist_{kind}_layer{layer}"), reuse=runs.complete)


__all__ = ["render", "Runs", "runs_of", "trained", "initial_losses"]
