"""The Training page's link and run plan: a task, the network that learns it — an MLP (hidden layers
of one width, a linear output layer) or residual blocks between an input layer and a readout
(``arch`` and the Propagation page's other architecture parameters) —, its init scheme and up to
:data:`~.propagation.MAX_COMPARED` comparisons, the optimizer and the sample sizes; the core calls a
view makes (:func:`runs`: ``Network.mlp`` or ``Network.residual_net``, and ``initviz.train``, one
run per scheme); and, on a hosted instance (:mod:`initviz.ui.deployment`), the view's compute budget
(:func:`fit_view`), met by training fewer seeds — the only sample size of a training view: the batch
and the number of steps are part of the training asked — and otherwise by offering choices, never by
changing the question."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...limits import Budget
from ...optimizers import OPTIMIZERS
from ...residual import BRANCH_DEPTHS
from ...tasks import TASKS, Task, get_task
from ...training import TrainingResult, train
from .. import deployment
from .common import scheme_choice, scheme_params, scheme_settings, seed
from .grammar import Notice, PageSchema, Param, Settings
from .budget import FIT_PROBLEM, Fit, as_asked, fewer_compared, largest, times
from .propagation import (BIAS_PARAM, COMPARE_PARAM, DENSE_SCHEMES, RESIDUAL_WHEN, activation_param,
                          activation_params, build, compared_schemes, is_residual, preset_rules, scheme_rules,
                          series_name)
from .propagation import network_kwargs as _propagation_network
from .propagation import SCHEMA as _PROPAGATION

TRAINING_MAX_DEPTH = 20
"""Most hidden layers (plus the linear output layer) or residual blocks (between an input layer and a
readout) the Training page builds."""
TRAINING_MAX_WIDTH = 512
TRAINING_MAX_STEPS = 2000
TRAINING_MAX_BATCH = 512
"""At most the smallest training set of :data:`TRAINING_TASKS` (800 points)."""
TRAINING_MAX_SEEDS = 8
TRAINING_TASKS = tuple(TASKS)
TRAINING_VIEWS = ("curves", "layers")
LR_LADDER = (1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)
"""Learning rates a link may ask for: a 1–2–5 ladder, evenly spaced on a log scale (a value off it
snaps to the nearest rung in log distance)."""
LOGGED_POINTS = 30
"""The diagnostics and the test loss are logged about this many times a run (every ⌈steps/30⌉ steps,
and the last): the per-step cost of a logged step is ~3 training steps (the test set, the statistics)."""

PAGE_MAX_FLOPS = 3 * 10 ** 10
"""Training work per view on a hosted instance, in weight multiply–adds: schemes × seeds × steps ×
batch × Σ weights × 3 (forward, and the backward pass's two products) ≤ 3·10¹⁰. The default view
(4 schemes × 3 seeds × 300 steps × batch 64 on digits, 3 hidden layers of 128: Σ weights = 42,240) is
2.92·10¹⁰ and takes 2.3–2.4 s of CPU with one BLAS thread (0.6 s a scheme, ~1.2·10¹⁰ multiply–adds
a second; the command is in the README's "Limits of a hosted instance"; 4.0 s before the engine's
overhead cuts), about half that in wall time on the hosted instance's two workers (``make bench``'s
``training``). The budget is the default view rounded up: a hosted view
never waits much longer than the default one (a link's view is shown within ~3 s)."""
RUN_MAX_FLOPS = PAGE_MAX_FLOPS // 2
"""One run (one scheme, every seed) at most: it runs on one worker of two, so a view of one scheme
waits no longer than a view of four on two workers."""
HISTOGRAM_BINS = 40
"""Bins of the Training page's gradient and activation histograms."""
HIST_STEP = 50
"""The default histogram step (or the run's last step, when it has fewer: :func:`histogram_steps`)."""
CHOICE_FLOORS = (("steps", 20), ("batch", 16), ("width", 1), ("depth", 1))
"""(parameter, smallest value offered) of the choices a view over the budget offers, in this order."""


def task_of(name: str) -> Task:
    """The task ``name`` at its default options (what the page trains on), built once per process."""
    return get_task(name)


def network_kwargs(settings: Mapping[str, Any], scheme: str, configured: bool, budget: Budget | None = None) -> dict:
    """The keyword arguments of the view's network for one scheme (:func:`~.propagation.build` tells
    them apart): an MLP's ``Network.mlp`` ones — the task's inputs, ``depth`` hidden layers of
    ``width``, the task's outputs through a linear last layer —, or residual blocks' ``Network.residual_net``
    ones — the Propagation page's blocks (``depth`` blocks on a stream of ``width`` units) with an input
    layer from the task's inputs and a readout to its outputs."""
    task, depth = task_of(settings["task"]), settings["depth"]
    if is_residual(settings):
        return dict(_propagation_network(settings, scheme, configured, budget), in_features=task.in_dim,
                    out_features=task.out_dim)
    return dict(input_dim=task.in_dim, widths=(settings["width"],) * depth + (task.out_dim,),
                activation=settings["activation"], activation_param=activation_param(settings), init=scheme,
                init_params=scheme_settings(settings, scheme) if configured else None, bias=settings["bias"],
                bias_value=settings["bias_value"], layer_activations={depth + 1: "linear"},
                budget=deployment.current().budget if budget is None else budget)


def weight_layers(settings: Mapping[str, Any]) -> int:
    """The network's weight layers (the layers of the diagnostics): an MLP's ``depth`` hidden layers
    and its output layer; residual blocks' input layer, ``depth`` × ``branch_depth`` branch layers and
    readout."""
    if is_residual(settings):
        return settings["depth"] * settings["branch_depth"] + 2
    return settings["depth"] + 1


def activated_layers(settings: Mapping[str, Any]) -> tuple[int, ...]:
    """The weight layers (1-based, as :func:`weight_layers` counts them) whose units apply the
    activation: an MLP's hidden layers 1 … L; a branch's first layer 2 + (l − 1)·m of each block l
    (the input layer, a two-layer branch's second layer and the readout are linear)."""
    if is_residual(settings):
        m = settings["branch_depth"]
        return tuple(2 + (block - 1) * m for block in range(1, settings["depth"] + 1))
    return tuple(range(1, settings["depth"] + 1))


def log_every(steps: int) -> int:
    """Steps between two logged steps (:data:`LOGGED_POINTS`)."""
    return max(1, -(-steps // LOGGED_POINTS))


def train_kwargs(settings: Mapping[str, Any]) -> dict:
    """The ``initviz.train`` keyword arguments of the view (every run the same; ``deadline`` is the page's)."""
    sgd = settings["optimizer"] == "sgd"
    return dict(optimizer=settings["optimizer"], lr=settings["lr"], momentum=settings["momentum"] if sgd else 0.0,
                weight_decay=settings["weight_decay"], steps=settings["steps"], batch=settings["batch"],
                seed=settings["seed"], dtype=settings["dtype"], n_seeds=settings["n_seeds"],
                log_every=log_every(settings["steps"]), histogram_steps=histogram_steps(settings),
                histogram_bins=HISTOGRAM_BINS)


def histogram_steps(settings: Mapping[str, Any]) -> tuple[int, ...]:
    """The steps whose histograms a view bins: step 0 (the init) and ``hist_step`` within the run —
    the default :data:`HIST_STEP` is the run's last step when it has fewer steps, a value asked
    beyond the run is cut (with a notice) by the link's rules; the other views, which draw no
    histogram, bin the same steps as the layers view of their link (switching trains nothing again)."""
    return tuple(sorted({0, min(settings["hist_step"], settings["steps"] - 1)}))


@dataclass(frozen=True)
class Run:
    """One run of a Training view: its legend ``name``, the keyword arguments of its network
    (``Network.mlp`` or ``Network.residual_net``: :meth:`build`), the ``task``'s name
    (:func:`task_of`) and ``initviz.train(net, task, **train)``."""

    name: str
    network: dict
    task: str
    train: dict

    def build(self):
        """The run's network (:func:`~.propagation.build`)."""
        return build(self.network)


def runs(settings: Mapping[str, Any], budget: Budget | None = None) -> tuple[Run, ...]:
    """Every run of the view, the configured scheme first, then the comparisons (at their defaults),
    on the same task, batches and seeds."""
    return tuple(Run(series_name(settings, scheme, configured=i == 0),
                     network_kwargs(settings, scheme, configured=i == 0, budget=budget), settings["task"],
                     train_kwargs(settings))
                 for i, scheme in enumerate(compared_schemes(settings)))


def fit(net, task: str, **kwargs) -> TrainingResult:
    """``initviz.train(net, task_of(task), **kwargs)`` without the final weights (what a page shows
    and keeps: the curves and diagnostics; a module-level function, so a worker process can run it)."""
    with np.errstate(all="ignore"):  # an overflowing init is a result here (NaN losses are not drawn), not a warning
        return dataclasses.replace(train(net, task_of(task), **kwargs), params=[])


# --- the compute budget -----------------------------------------------------------------------

def weights(settings: Mapping[str, Any]) -> int:
    """Σ n_out·n_in over the view's weight layers: an MLP's d → n → … → n → C; residual blocks' input
    layer d·n, the L branches' m layers (n·n each: a branch's hidden width is the stream's) and the
    readout n·C."""
    task, width, depth = task_of(settings["task"]), settings["width"], settings["depth"]
    if is_residual(settings):
        return task.in_dim * width + depth * settings["branch_depth"] * width * width + width * task.out_dim
    dims = (task.in_dim, *(width,) * depth, task.out_dim)
    return sum(a * b for a, b in zip(dims, dims[1:]))


LAYER_STEP_MACS = 4 * 10 ** 5
"""The fixed cost of one weight layer of a residual network in one training step, in multiply–add
equivalents (~55 µs at :data:`TRAINING_MACS_PER_SECOND`: the block's Python calls, the norm's and
the statistics' small arrays). Fitted on one core (``threadpool_limits(1)``, float32, SGD + momentum,
100 steps of batch 64 on digits, ReLU, GPT-2 preset): 20 pre-LN blocks of 2 layers at width 16 took
0.28 s (model 0.29 s), RMSNorm at width 32 0.34 s (0.40 s), width 128 1.31 s (2.2 s); 5 blocks at
width 512 2.8 s (7.3 s); 20 one-layer blocks at width 128 0.81 s (1.2 s); Fixup without norm at
width 128 0.99 s (2.0 s) — never under, up to 2.5× over at large widths.
An MLP's model is the default view's measured rate (:data:`TRAINING_MACS_PER_SECOND`), its per-layer
overhead included."""
NORM_ENTRY_MACS = 100
"""One normalised entry (batch × width per norm, per step: forward, backward and N'ᵀ), in
multiply–add equivalents: 20 LayerNorms at width 128 added 0.32 s to 100 steps of batch 64 (Fixup,
no norm, vs the GPT-2 preset above: ~140 per entry)."""


def residual_overhead(settings: Mapping[str, Any]) -> int:
    """Multiply–add equivalents one training step of one seed adds to the weights' products in a
    residual network (0 for an MLP): :data:`LAYER_STEP_MACS` per weight layer (the input layer, L·m
    branch layers, the readout) and :data:`NORM_ENTRY_MACS` per normalised entry (L norms, one more
    with a final norm, each of batch × width)."""
    if not is_residual(settings):
        return 0
    depth, norms = settings["depth"], 0
    if settings["norm"] != "none":
        norms = depth + bool(SCHEMA.by_name["final_norm"].applies(settings) and settings["final_norm"])
    layers = depth * settings["branch_depth"] + 2
    return layers * LAYER_STEP_MACS + norms * settings["batch"] * settings["width"] * NORM_ENTRY_MACS


def training_cost(settings: Mapping[str, Any]) -> dict[str, int]:
    """The view's training work in weight-multiply–adds: per ``run`` (one scheme, every seed)
    seeds × steps × (batch × Σ weights × 3 + a residual network's :func:`residual_overhead`), and over
    the ``page`` (× schemes)."""
    step = settings["batch"] * weights(settings) * 3 + residual_overhead(settings)
    run = settings["n_seeds"] * settings["steps"] * step
    return {"run": run, "page": run * len(compared_schemes(settings))}


TRAINING_MACS_PER_SECOND = 7.3e9
"""Training multiply–adds (:func:`training_cost`) one core does in a second: the default view's
2.92·10¹⁰ took 4.0 s of CPU with one BLAS thread (:data:`PAGE_MAX_FLOPS`)."""


def training_seconds(settings: Mapping[str, Any]) -> float:
    """Modelled CPU seconds of a Training view: its work over :data:`TRAINING_MACS_PER_SECOND`."""
    return training_cost(settings)["page"] / TRAINING_MACS_PER_SECOND


def _excess(settings: Mapping[str, Any]) -> float:
    cost = training_cost(settings)
    return max(cost["page"] / PAGE_MAX_FLOPS, cost["run"] / RUN_MAX_FLOPS)


def fit_view(settings: Mapping[str, Any]) -> Fit:
    """The view of ``settings`` within the hosted compute budget (:data:`PAGE_MAX_FLOPS`,
    :data:`RUN_MAX_FLOPS`) on a hosted instance (:mod:`.deployment`; a local one trains the view as
    asked). Over the budget fewer seeds are trained (each seed is an independent repeat of the same
    training: the median and band get noisier, the question stays). If one seed is still too much,
    nothing is trained and :attr:`Fit.choices` offers one change each that fits: fewer compared
    schemes, fewer steps, a smaller batch, width or depth (:data:`CHOICE_FLOORS`)."""
    whole = as_asked(settings, _excess)
    if whole.fits:
        return whole
    asked, over = whole.asked, whole.over
    seeds = largest(asked, "n_seeds", 1, asked["n_seeds"], _excess)
    if seeds is not None:
        cut = Notice("n_seeds", f"{asked['n_seeds']} networks would be {times(over)} the work {FIT_PROBLEM}",
                     f"using {seeds}")
        return Fit(asked, True, {**asked, "n_seeds": seeds}, (cut,), over)
    return Fit(asked, False, asked, (), over, _choices(asked))


def _choices(asked: Settings) -> tuple[tuple[str, Settings], ...]:
    """One change each that makes the view fit with one seed (:func:`fit_view`)."""
    def one_seed(s):
        return {**s, "n_seeds": 1}

    out = list(fewer_compared(asked, lambda s: _excess(one_seed(s)) <= 1))
    for name, floor in CHOICE_FLOORS:
        value = largest(asked, name, floor, asked[name] - 1, _excess, one_seed)
        if value is not None:
            out.append((f"{SCHEMA.by_name[name].label.split(' (')[0].lower()} {value}", {**asked, name: value}))
    return tuple(out)


def _constrain_training(settings: Settings) -> tuple[Settings, list[Notice]]:
    """Cross-field rules of the Training page: the branch preset's needs (:func:`~.propagation.preset_rules`,
    as on Propagation), those of every scheme-comparing page
    (:func:`~.propagation.scheme_rules`); the batch within the task's training set; the diagnosed
    layer within the network; the histogram step within the run. The compute budget is not a rule of
    the link: the page trains :func:`fit_view` of the settings as asked."""
    notices = preset_rules(settings) + scheme_rules(settings)
    available = task_of(settings["task"]).x_train.shape[0]
    if settings["batch"] > available:
        notices.append(Notice("batch", f"Batch {settings['batch']} is more than the {available} training examples "
                              f"of {settings['task']}", f"using {available}"))
        settings["batch"] = available
    if settings["hist_step"] >= settings["steps"] and settings["hist_step"] != HIST_STEP \
            and settings["view"] == "layers":  # the default, and the other views: histogram_steps
        notices.append(Notice("hist_step", f"the run has {settings['steps']} steps (0 … {settings['steps'] - 1})",
                              f"using {settings['steps'] - 1}"))
        settings["hist_step"] = settings["steps"] - 1
    layers = weight_layers(settings)
    if settings["diag_layer"] > layers:
        notices.append(Notice("diag_layer", f"the network has {layers} weight layers", "using 0 (every layer)"))
        settings["diag_layer"] = 0
    return settings, notices


_BY_NAME = _PROPAGATION.by_name

SCHEMA = PageSchema("training", (
    dataclasses.replace(_BY_NAME["arch"], help="an MLP (hidden layers of weights, bias and activation, then a linear "
                        "output layer); or residual blocks x_l = x_{l-1} + α·F(N(x_{l-1})) (pre-norm) or x_l = "
                        "N(x_{l-1} + α·F(x_{l-1})) (post-norm), F a branch of one or two weight layers, on a stream of "
                        "the width's units, between an input layer and a readout"),
    Param("task", "choice", "digits", "Task", options=TRAINING_TASKS,
          labels=("8×8 digits (10 classes, real)", "two spirals (2 classes)", "Gaussian mixture (4 classes)",
                  "teacher network (regression)"),
          help="what the network learns: the 1,797 handwritten digits shipped with initviz, or a synthetic "
          "task whose answer is known (initviz.tasks)"),
    Param("depth", "int", 3, "Hidden layers or blocks", lo=1, hi=TRAINING_MAX_DEPTH, step=1, widget="slider",
          help="hidden layers of the MLP, each weights + bias + activation, a linear output layer after them; or "
          "residual blocks, between an input layer Linear(inputs, width) and a readout Linear(width, outputs)"),
    Param("width", "int", 128, "Width (units per hidden layer or of the stream)", lo=1, hi=TRAINING_MAX_WIDTH,
          step=1, help="units in every hidden layer, or of a residual stream and its branches"),
    dataclasses.replace(_BY_NAME["norm"], when=RESIDUAL_WHEN,
                        help="residual blocks: before the branch (pre-norm) or after the sum (post-norm). γ = 1, "
                        "β = 0, not trained; torch's eps (LayerNorm 1e-5, RMSNorm the dtype's eps)"),
    _BY_NAME["branch_depth"],
    _BY_NAME["preset"],
    _BY_NAME["final_norm"],
    dataclasses.replace(_BY_NAME["activation"], default="relu"),
    *activation_params(),
    scheme_choice("scheme", "kaiming_normal", "Init scheme", schemes=DENSE_SCHEMES),
    *scheme_params(schemes=DENSE_SCHEMES),
    _BY_NAME["bias"],
    BIAS_PARAM,
    dataclasses.replace(COMPARE_PARAM, default=("keras_glorot_uniform", "torch_default", "zeros"),
                        help=COMPARE_PARAM.help.replace("seed and inputs", "task, batches and seeds")
                        + "; by default the Keras default (Glorot uniform), the PyTorch default and zeros"),
    Param("optimizer", "choice", "sgd", "Optimizer", options=OPTIMIZERS, labels=("SGD", "Adam", "AdamW"),
          widget="radio", help="torch.optim's SGD, Adam or AdamW, step for step (betas 0.9, 0.999; eps 1e-8)"),
    Param("lr", "float", 0.05, "Learning rate", options=LR_LADDER, help="the optimizer's learning rate η"),
    Param("momentum", "float", 0.9, "Momentum", lo=0.0, hi=0.99, step=0.01, when=(("optimizer", ("sgd",)),),
          help="SGD's momentum μ (torch: b ← μb + g; p ← p − ηb); 0 for plain SGD"),
    Param("weight_decay", "float", 0.0, "Weight decay", lo=0.0, hi=1.0, step=0.0001,
          help="λ: added to the gradient (SGD, Adam) or decoupled p ← p(1 − ηλ) (AdamW)"),
    Param("steps", "int", 300, "Steps", lo=1, hi=TRAINING_MAX_STEPS, step=10,
          help="optimizer steps, each on one mini-batch"),
    Param("batch", "int", 64, "Batch", lo=1, hi=TRAINING_MAX_BATCH, step=1,
          help="examples per step; the data order is part of the seed"),
    Param("n_seeds", "int", 3, "Networks (seeds)", lo=1, hi=TRAINING_MAX_SEEDS, step=1, widget="slider",
          help="independent draws of the weights and of the data order; curves are medians, bands interquartile"),
    seed(),
    _BY_NAME["dtype"],
    Param("log_y", "bool", True, "Log-scale loss", help="draw the losses on a log axis"),
    Param("view", "choice", "curves", "View", options=TRAINING_VIEWS,
          labels=("Loss curves", "Per-layer diagnostics"), widget="segmented",
          help="the losses and accuracy over steps, or the per-layer statistics over steps"),
    Param("diag_layer", "int", 0, "Layer (0: every layer)", lo=0, hi=TRAINING_MAX_DEPTH * max(BRANCH_DEPTHS) + 2,
          step=1, when=(("view", ("layers",)),),
          help="the weight layer whose diagnostics are drawn (an MLP's hidden layers and output layer; a residual "
          "network's input layer, its blocks' branch layers and its readout); 0 draws every layer"),
    Param("hist_step", "int", HIST_STEP, "Histogram step", lo=0, hi=TRAINING_MAX_STEPS - 1, step=10,
          when=(("view", ("layers",)),),
          help="the step whose gradient and activation histograms are drawn beside step 0's (on the step's batch, "
          f"before its update; by default {HIST_STEP}, or the last step of a shorter run); changing it trains again"),
), _constrain_training)
"""The Training page's parameters, in display order."""
