"""The Width page's link and run plan: a μP coordinate check (:func:`initviz.coord_check`) of the
chosen parametrisation beside the standard one, on one MLP family (the digits task, depth 3, widths
2^7 up to the chosen largest width, mup's fixed batch of 64), with a deliberate mistake if asked.

**The hosted budget** (:func:`fit_view`): the work of a view is the two checks' multiply–adds
(:func:`initviz.coordcheck.coord_work`). Over :data:`PAGE_MAX_WORK` fewer seeds are drawn (each seed
is an independent repeat of the same check: the curves get noisier, the question stays); the widths,
steps, parametrisation and optimizer asked are never changed. Within the schema's bounds one seed
always fits (the largest view with one seed, 2^11 and 5 steps, is 0.8 of the budget), so a view is
always computed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...coordcheck import COORD_STATISTICS, DEFAULT_LR, coord_check, coord_work
from ...tasks import get_task
from .budget import FIT_PROBLEM, Fit, as_asked, largest, times
from .grammar import Notice, PageSchema, Param, Settings
from .common import seed
from .training import LR_LADDER

WIDTH_TASK = "digits"
"""The task every width trains on (mup's examples use a small image task)."""
WIDTH_DEPTH = 3
"""Layers of the family: input, one hidden (width × width), output — mup's MLP example has two hidden."""
WIDTH_BATCH = 64
"""The fixed batch, repeated at every step (mup's coordinate-check default)."""
BASE_WIDTH = 128
"""μP's and NTK's base width n̄: at n = n̄ every parametrisation is SP."""
MIN_WIDTH = 2 ** 7
"""The narrowest width of every view (mup's)."""
MAX_WIDTHS = tuple(2 ** k for k in range(8, 12))
"""The largest widths a view may ask for: 2^8 … 2^11 (each view runs every power of two from
:data:`MIN_WIDTH` up to it)."""
WIDTH_MAX_STEPS = 5
"""Most optimizer steps (mup plots 3–5)."""
WIDTH_MAX_SEEDS = 5
WIDTH_PARAMETRISATIONS = ("sp", "ntk", "mup")
WIDTH_OPTIMIZERS = ("sgd", "adam")
WIDTH_ACTIVATIONS = ("tanh", "relu", "gelu", "linear")
MISTAKES = ("none", "sp_lr", "coupled_wd")
"""The deliberate mistakes beyond a readout not zeroed (``readout_zero``): μP's init with SP learning
rates, Adam with coupled weight decay (mup PR #73)."""
MISTAKE_WEIGHT_DECAY = 0.1
"""λ of the coupled-weight-decay mistake (Adam's L2 term λW added to the gradient)."""
PAGE_MAX_WORK = 2 ** 34
"""Most multiply–adds of one hosted view, both checks together (1.7e10). Measured with
``OPENBLAS_NUM_THREADS=1``, both checks one after the other in one process: the default view (widths
2^7…2^10, 3 seeds, 3 steps: 7.1e9) 1.1 s; widths up to 2^11 (2.7e10) 2.3 s with SGD, 3.5 s with Adam.
Each check runs in its own worker, so a view within the budget waits ~1 s on two idle cores (the
largest, widths to 2^11 with 5 steps and one seed, took 1.5 s of wall time in the AppTest of its link
while other jobs loaded the machine; with two seeds, 3.1 s)."""


def widths(settings: Mapping[str, Any]) -> tuple[int, ...]:
    """Every power of two from :data:`MIN_WIDTH` to the view's largest width."""
    return tuple(2 ** k for k in range(MIN_WIDTH.bit_length() - 1, settings["max_width"].bit_length()))


def lr(settings: Mapping[str, Any]) -> float:
    """The view's learning rate: ``lr`` for SGD, ``adam_lr`` for Adam."""
    return settings["lr"] if settings["optimizer"] == "sgd" else settings["adam_lr"]


def parametrisations(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The parametrisations drawn: the chosen one, then SP beside it (SP alone when SP is chosen)."""
    return tuple(dict.fromkeys((settings["parametrisation"], "sp")))


def check_kwargs(settings: Mapping[str, Any], preset: str) -> dict:
    """``initviz.coord_check`` keyword arguments of the view's check of ``preset``: the mistake and
    ``readout_zero`` apply to the chosen parametrisation, not to the SP beside it."""
    chosen = preset == settings["parametrisation"]
    mistake = settings["mistake"] if chosen else "none"
    coupled = mistake == "coupled_wd"
    return dict(preset=preset, optimizer=settings["optimizer"], lr=lr(settings), widths=widths(settings),
                steps=settings["steps"], n_seeds=settings["n_seeds"], depth=WIDTH_DEPTH,
                activation=settings["activation"], task=WIDTH_TASK, batch=WIDTH_BATCH, seed=settings["seed"],
                base_width=BASE_WIDTH, readout_zero=settings["readout_zero"] if chosen else True,
                learning_rates="sp" if mistake == "sp_lr" else None,
                weight_decay=MISTAKE_WEIGHT_DECAY if coupled else 0.0, dtype="float32")


def check(**kwargs):
    """``initviz.coord_check(**kwargs)`` (a module-level function: a worker process runs it)."""
    return coord_check(**kwargs)


def width_cost(settings: Mapping[str, Any]) -> int:
    """Multiply–adds of the view: every check (:func:`parametrisations`) at every width."""
    task = get_task(WIDTH_TASK)
    dims = [(task.in_dim, *(w,) * (WIDTH_DEPTH - 1), task.out_dim) for w in widths(settings)]
    return len(parametrisations(settings)) * coord_work(dims, settings["n_seeds"], settings["steps"], WIDTH_BATCH)


WIDTH_MACS_PER_SECOND = 6.5e9
"""Coordinate-check multiply–adds one core does in a second: the default view's 7.1·10⁹ took 1.1 s
(:data:`PAGE_MAX_WORK`)."""


def width_seconds(settings: Mapping[str, Any]) -> float:
    """Modelled CPU seconds of a Width view: its work over :data:`WIDTH_MACS_PER_SECOND`."""
    return width_cost(settings) / WIDTH_MACS_PER_SECOND


def _excess(settings: Mapping[str, Any]) -> float:
    return width_cost(settings) / PAGE_MAX_WORK


def fit_view(settings: Mapping[str, Any]) -> Fit:
    """The view of ``settings`` within :data:`PAGE_MAX_WORK` on a hosted instance: as asked, or with
    fewer seeds (module docstring)."""
    whole = as_asked(settings, _excess)
    if whole.fits:
        return whole
    asked = whole.asked
    seeds = largest(asked, "n_seeds", 1, asked["n_seeds"], _excess)
    cut = Notice("n_seeds", f"{asked['n_seeds']} seeds would be {times(whole.over)} the work {FIT_PROBLEM}",
                 f"using {seeds}")
    return Fit(asked, True, {**asked, "n_seeds": seeds}, (cut,), whole.over)


def _constrain(settings: Settings) -> tuple[Settings, list[Notice]]:
    """Coupled weight decay is Adam's mistake: with SGD (whose L2 term is its weight decay) it is dropped."""
    if settings["mistake"] == "coupled_wd" and settings["optimizer"] != "adam":
        settings["mistake"] = "none"
        return settings, [Notice("mistake", "coupled weight decay is a mistake of Adam", "using none")]
    return settings, []


MUP = (("parametrisation", ("mup",)),)

SCHEMA = PageSchema("width", (
    Param("parametrisation", "choice", "mup", "Parametrisation", options=WIDTH_PARAMETRISATIONS,
          labels=("standard (SP)", "NTK", "maximal update (μP)"), widget="segmented",
          help="how init, learning rates and the output scale change with width (Tensor Programs V, Table 3); "
          "drawn beside the standard parametrisation"),
    Param("optimizer", "choice", "sgd", "Optimizer", options=WIDTH_OPTIMIZERS, labels=("SGD", "Adam"),
          widget="radio", help="torch.optim's SGD or Adam with μP's per-layer learning rates (mup's MuSGD, MuAdam)"),
    Param("lr", "float", DEFAULT_LR["sgd"], "Learning rate η", options=LR_LADDER, when=(("optimizer", ("sgd",)),),
          help="SGD's base learning rate (at the base width 128); mup's coordinate check uses 0.1"),
    Param("adam_lr", "float", DEFAULT_LR["adam"], "Learning rate η", options=LR_LADDER,
          when=(("optimizer", ("adam",)),),
          help="Adam's base learning rate (at the base width 128); mup's coordinate check uses 0.001"),
    Param("steps", "int", 3, "Steps", lo=1, hi=WIDTH_MAX_STEPS, step=1, widget="slider",
          help="optimizer steps on the one fixed batch; a panel per step t = 0 … steps"),
    Param("max_width", "int", 1024, "Largest width", options=MAX_WIDTHS, widget="select_slider",
          help=f"the widths are every power of two from {MIN_WIDTH} up to this one"),
    Param("n_seeds", "int", 3, "Seeds", lo=1, hi=WIDTH_MAX_SEEDS, step=1, widget="slider",
          help="independent draws of every width's weights; the lines are their mean"),
    Param("activation", "choice", "tanh", "Activation φ", options=WIDTH_ACTIVATIONS,
          help="the hidden layers' activation (mup's example: tanh)"),
    Param("statistic", "choice", "mean_abs", "Statistic", options=COORD_STATISTICS,
          labels=("mean |x|", "rms x", "rms of the change since init"), widget="segmented",
          help="what is measured on every layer's output: mup's mean |x|, the root mean square, or the change "
          "since initialisation"),
    Param("readout_zero", "bool", True, "Zero-initialised readout", when=MUP,
          help="μP's output layer starts at zero (mup's recommendation); off, it starts at its 1/fan_in² draw"),
    Param("mistake", "choice", "none", "Deliberate mistake", options=MISTAKES,
          labels=("none", "μP init with SP learning rates", "Adam with coupled weight decay"), when=MUP,
          help=f"a mistake people make setting μP up: one learning rate for every layer, or Adam's coupled L2 "
          f"weight decay λ = {MISTAKE_WEIGHT_DECAY:g} (mup PR #73)"),
    seed(),
), _constrain)
"""The Width page's parameters, in display order."""
