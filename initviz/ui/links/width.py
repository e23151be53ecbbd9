"""The Width page's link and run plan: a μP coordinate check (:func:`initviz.coord_check`) of the
chosen parametrisation beside the standard one, on one family (the digits task, widths 2^7 up to the
chosen largest width, mup's fixed batch of 64) — an MLP of depth 3, or (``arch`` pre/post, with
Propagation's ``norm``, ``branch_depth`` and branch ``preset``) a residual network of
:data:`WIDTH_BLOCKS` blocks between an input layer and a readout (:class:`initviz.coordcheck.WidthFamily`;
a link without ``arch`` is the MLP's) — with a deliberate mistake if asked; or,
in the learning-rate transfer view (``view=transfer``), the same two parametrisations' sweeps of the
learning rate (:func:`initviz.lr_sweep`: the training loss after T steps of batch
:data:`SWEEP_BATCH` for every power of two of η in the range asked, at every width).

**The hosted budget** (:func:`fit_view`): the work of a view is the two checks' multiply–adds
(:func:`initviz.coordcheck.coord_work`). Over :data:`PAGE_MAX_WORK` fewer seeds are drawn (each seed
is an independent repeat of the same check: the curves get noisier, the question stays); the widths,
steps, parametrisation and optimizer asked are never changed. Within the schema's bounds one seed
of an MLP always fits (the largest MLP view with one seed, 2^11 and 5 steps, is 0.8 of the budget); a
residual family has 2n² weights to the MLP's n² with one-layer branches (the page's default: its
default view computes with every seed) and 8n² with two-layer branches (hidden 2n), so when one seed
is still over nothing is computed and the page offers choices that fit (fewer steps, a smaller
largest width), one change each.

**The transfer view's budget** (:func:`fit_transfer`): its work is :func:`initviz.transfer.sweep_work`
of both sweeps, within :data:`TRANSFER_MAX_WORK` on a hosted instance and within the core's
:data:`initviz.transfer.MAX_SWEEP_WORK` anywhere. Over it fewer seeds are trained; the widths, the
rates and the parametrisations asked are never changed: when one seed is still over, nothing is
computed and the page offers choices that fit (fewer steps, a smaller largest width, fewer rates
around the middle of the range), one change each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ...coordcheck import COORD_STATISTICS, DEFAULT_LR, WidthFamily, coord_check, coord_work
from ...tasks import get_task
from ...transfer import MAX_SWEEP_WORK, lr_sweep, sweep_work
from .. import deployment
from .budget import FIT_PROBLEM, Fit, as_asked, largest, times
from .grammar import Notice, PageSchema, Param, Settings
from .common import seed
from .propagation import SCHEMA as _PROPAGATION
from .propagation import preset_rules
from .training import LR_LADDER

WIDTH_TASK = "digits"
"""The task every width trains on (mup's examples use a small image task)."""
WIDTH_DEPTH = 3
"""Layers of the family: input, one hidden (width × width), output — mup's MLP example has two hidden."""
WIDTH_BLOCKS = 2
"""Blocks of a residual family (each a branch of one or two weight layers; Tensor Programs V's
coordinate checks of transformers use 2 layers)."""
RESIDUAL = (("arch", ("pre", "post")),)
"""The ``when`` of the residual family's parameters."""
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


WIDTH_VIEWS = ("check", "transfer")
SWEEP_BATCH = 32
"""The transfer sweep's mini-batch (fresh batches every step, :func:`initviz.train`'s data order)."""
SWEEP_MAX_STEPS = 200
SWEEP_MIN_STEPS = 5
SWEEP_MAX_SEEDS = 4
SGD_SWEEP_RANGE = (-14, 4)
"""The log₂ learning rates an SGD sweep may cover (2^−14 … 16; at most 19 rates)."""
ADAM_SWEEP_RANGE = (-16, 0)
"""The log₂ learning rates an Adam sweep may cover (2^−16 … 1; at most 17 rates)."""
TRANSFER_MAX_WORK = 2 ** 37
"""Most multiply–adds (:func:`initviz.transfer.sweep_work`) of one hosted transfer view, both sweeps
together (1.4·10¹¹). Measured (``make bench``'s ``width``: each sweep in a worker with one BLAS thread,
its CPU seconds): the SGD default (widths 2^7…2^10, 7 rates, 10 steps, one seed: 7.4·10¹⁰) took
2.1 s and 2.2 s of CPU per sweep — 1.7·10¹⁰ a CPU-second — so a view at the budget waits ~4 s on two
idle cores (the wall time grows with the machine's load: 11 s at a load average of 7 on 2 cores)."""


def widths(settings: Mapping[str, Any]) -> tuple[int, ...]:
    """Every power of two from :data:`MIN_WIDTH` to the view's largest width."""
    return tuple(2 ** k for k in range(MIN_WIDTH.bit_length() - 1, settings["max_width"].bit_length()))


def lr(settings: Mapping[str, Any]) -> float:
    """The view's learning rate: ``lr`` for SGD, ``adam_lr`` for Adam."""
    return settings["lr"] if settings["optimizer"] == "sgd" else settings["adam_lr"]


def parametrisations(settings: Mapping[str, Any]) -> tuple[str, ...]:
    """The parametrisations drawn: the chosen one, then SP beside it (SP alone when SP is chosen)."""
    return tuple(dict.fromkeys((settings["parametrisation"], "sp")))


def family(settings: Mapping[str, Any]) -> WidthFamily:
    """The view's family: the MLP of depth :data:`WIDTH_DEPTH`, or the residual network of
    :data:`WIDTH_BLOCKS` blocks (module docstring)."""
    if settings["arch"] == "mlp":
        return WidthFamily("mlp", WIDTH_DEPTH, settings["activation"])
    return WidthFamily(settings["arch"], WIDTH_BLOCKS, settings["activation"], settings["norm"],
                       settings["branch_depth"], settings["preset"])


def family_kwargs(settings: Mapping[str, Any]) -> dict:
    """The family's keyword arguments of ``initviz.coord_check`` and ``initviz.lr_sweep``."""
    f = family(settings)
    return dict(arch=f.arch, depth=f.depth, activation=f.activation, norm=f.norm, branch_depth=f.branch_depth,
                block_preset=f.block_preset)


def check_kwargs(settings: Mapping[str, Any], preset: str) -> dict:
    """``initviz.coord_check`` keyword arguments of the view's check of ``preset``: the mistake and
    ``readout_zero`` apply to the chosen parametrisation, not to the SP beside it."""
    chosen = preset == settings["parametrisation"]
    mistake = settings["mistake"] if chosen else "none"
    coupled = mistake == "coupled_wd"
    return dict(preset=preset, optimizer=settings["optimizer"], lr=lr(settings), widths=widths(settings),
                steps=settings["steps"], n_seeds=settings["n_seeds"], **family_kwargs(settings), task=WIDTH_TASK,
                batch=WIDTH_BATCH, seed=settings["seed"],
                base_width=BASE_WIDTH, readout_zero=settings["readout_zero"] if chosen else True,
                learning_rates="sp" if mistake == "sp_lr" else None,
                weight_decay=MISTAKE_WEIGHT_DECAY if coupled else 0.0, dtype="float32")


def check(**kwargs):
    """``initviz.coord_check(**kwargs)`` (a module-level function: a worker process runs it)."""
    return coord_check(**kwargs)


def log2_rates(settings: Mapping[str, Any]) -> tuple[int, ...]:
    """The sweep's log₂ learning rates: every integer of the range of the view's optimizer."""
    prefix = "" if settings["optimizer"] == "sgd" else "adam_"
    return tuple(range(settings[f"{prefix}sweep_from"], settings[f"{prefix}sweep_to"] + 1))


def sweep_kwargs(settings: Mapping[str, Any], preset: str) -> dict:
    """``initviz.lr_sweep`` keyword arguments of the view's sweep of ``preset`` (``readout_zero``
    applies to the chosen parametrisation, as in :func:`check_kwargs`)."""
    chosen = preset == settings["parametrisation"]
    return dict(presets=(preset,), optimizer=settings["optimizer"], log2_lrs=log2_rates(settings),
                widths=widths(settings), steps=settings["sweep_steps"], n_seeds=settings["sweep_seeds"],
                **family_kwargs(settings), task=WIDTH_TASK, batch=SWEEP_BATCH,
                seed=settings["seed"], base_width=BASE_WIDTH,
                readout_zero=settings["readout_zero"] if chosen else True, dtype="float32")


def sweep(**kwargs):
    """``initviz.lr_sweep(**kwargs)`` (a module-level function: a worker process runs it)."""
    return lr_sweep(**kwargs)


def transfer_cost(settings: Mapping[str, Any]) -> int:
    """Multiply–adds of the transfer view: every sweep (:func:`parametrisations`)."""
    return sweep_work(get_task(WIDTH_TASK), len(parametrisations(settings)), len(log2_rates(settings)),
                      widths(settings), settings["sweep_steps"], settings["sweep_seeds"], SWEEP_BATCH,
                      family(settings))


TRANSFER_MACS_PER_SECOND = 2.9e10
"""Transfer-view multiply–adds one core does in a second: the default view's 7.4·10¹⁰ took 2.55 s one
sweep after the other with one BLAS thread (``make bench``'s ``width_transfer``, 2026-12-03, load ~1)."""


def transfer_seconds(settings: Mapping[str, Any]) -> float:
    """Modelled CPU seconds of a transfer view: its work over :data:`TRANSFER_MACS_PER_SECOND`."""
    return transfer_cost(settings) / TRANSFER_MACS_PER_SECOND


def transfer_limit() -> int:
    """The most work of one transfer view here: :data:`TRANSFER_MAX_WORK` on a hosted instance, the
    core's :data:`~initviz.transfer.MAX_SWEEP_WORK` anywhere."""
    return min(TRANSFER_MAX_WORK, MAX_SWEEP_WORK) if deployment.current().page_budgets else MAX_SWEEP_WORK


def _transfer_excess(settings: Mapping[str, Any]) -> float:
    return transfer_cost(settings) / transfer_limit()


def fit_transfer(settings: Mapping[str, Any]) -> Fit:
    """The transfer view of ``settings`` within :func:`transfer_limit`: as asked, with fewer seeds, or
    not computed with choices (module docstring)."""
    asked = dict(settings)
    over = _transfer_excess(asked)
    if over <= 1:
        return Fit(asked, True, asked, over=over)
    problem = FIT_PROBLEM if deployment.current().page_budgets else "initviz.lr_sweep computes at most"
    seeds = largest(asked, "sweep_seeds", 1, asked["sweep_seeds"], _transfer_excess)
    if seeds is not None:
        cut = Notice("sweep_seeds", f"{asked['sweep_seeds']} seeds would be {times(over)} the work {problem}",
                     f"using {seeds}")
        return Fit(asked, True, {**asked, "sweep_seeds": seeds}, (cut,), over)
    return Fit(asked, False, asked, over=over, choices=_transfer_choices({**asked, "sweep_seeds": 1}))


def _transfer_choices(one: Settings) -> tuple[tuple[str, Settings], ...]:
    """With one seed: the most steps, the largest width, and the most rates around the middle of the
    range asked that fit — each the one change from ``one``."""
    def fits(s) -> bool:
        return _transfer_excess(s) <= 1

    out = []
    steps = largest(one, "sweep_steps", SWEEP_MIN_STEPS, one["sweep_steps"] - 1, _transfer_excess)
    if steps is not None:
        out.append((f"{steps} steps (one seed)", {**one, "sweep_steps": steps}))
    for w in sorted((w for w in MAX_WIDTHS if w < one["max_width"]), reverse=True):
        if fits({**one, "max_width": w}):
            out.append((f"widths up to 2^{w.bit_length() - 1} (one seed)", {**one, "max_width": w}))
            break
    prefix = "" if one["optimizer"] == "sgd" else "adam_"
    lo, hi = one[f"{prefix}sweep_from"], one[f"{prefix}sweep_to"]
    for count in range(hi - lo, 1, -1):  # fewer rates, centred on the middle of the range
        start = lo + (hi - lo + 1 - count) // 2
        trial = {**one, f"{prefix}sweep_from": start, f"{prefix}sweep_to": start + count - 1}
        if fits(trial):
            out.append((f"{count} rates, 2^{start} … 2^{start + count - 1} (one seed)", trial))
            break
    return tuple(out)


def width_cost(settings: Mapping[str, Any]) -> int:
    """Multiply–adds of the view: every check (:func:`parametrisations`) at every width."""
    task, members = get_task(WIDTH_TASK), family(settings)
    weights = [members.weights(task, w) for w in widths(settings)]
    return len(parametrisations(settings)) * coord_work(weights, settings["n_seeds"], settings["steps"], WIDTH_BATCH)


WIDTH_MACS_PER_SECOND = 6.5e9
"""Coordinate-check multiply–adds one core does in a second: the default view's 7.1·10⁹ took 1.1 s
(:data:`PAGE_MAX_WORK`)."""


def width_seconds(settings: Mapping[str, Any]) -> float:
    """Modelled CPU seconds of a Width view: its work over :data:`WIDTH_MACS_PER_SECOND`."""
    return width_cost(settings) / WIDTH_MACS_PER_SECOND


def _excess(settings: Mapping[str, Any]) -> float:
    return width_cost(settings) / PAGE_MAX_WORK


def fit_view(settings: Mapping[str, Any]) -> Fit:
    """The view of ``settings`` within :data:`PAGE_MAX_WORK` on a hosted instance: as asked, with
    fewer seeds, or not computed with choices (module docstring); the transfer view's by
    :func:`fit_transfer`."""
    if settings["view"] == "transfer":
        return fit_transfer(settings)
    whole = as_asked(settings, _excess)
    if whole.fits:
        return whole
    asked = whole.asked
    seeds = largest(asked, "n_seeds", 1, asked["n_seeds"], _excess)
    if seeds is None:
        return Fit(asked, False, asked, over=whole.over, choices=_check_choices({**asked, "n_seeds": 1}))
    cut = Notice("n_seeds", f"{asked['n_seeds']} seeds would be {times(whole.over)} the work {FIT_PROBLEM}",
                 f"using {seeds}")
    return Fit(asked, True, {**asked, "n_seeds": seeds}, (cut,), whole.over)


def _check_choices(one: Settings) -> tuple[tuple[str, Settings], ...]:
    """With one seed: the most steps and the largest width that fit, each the one change from ``one``."""
    out = []
    steps = largest(one, "steps", 1, one["steps"] - 1, _excess)
    if steps is not None:
        out.append((f"{steps} steps (one seed)", {**one, "steps": steps}))
    for w in sorted((w for w in MAX_WIDTHS if w < one["max_width"]), reverse=True):
        if _excess({**one, "max_width": w}) <= 1:
            out.append((f"widths up to 2^{w.bit_length() - 1} (one seed)", {**one, "max_width": w}))
            break
    return tuple(out)


def _constrain(settings: Settings) -> tuple[Settings, list[Notice]]:
    """Coupled weight decay is Adam's mistake: with SGD (whose L2 term is its weight decay) it is
    dropped. A sweep's range in order: swapped when reversed, the defaults when it is one rate. A
    residual family's branch preset gets what it needs (Propagation's :func:`~.propagation.preset_rules`)."""
    notices = preset_rules(settings)
    if settings["mistake"] == "coupled_wd" and settings["optimizer"] != "adam":
        settings["mistake"] = "none"
        notices.append(Notice("mistake", "coupled weight decay is a mistake of Adam", "using none"))
    for lo, hi in (("sweep_from", "sweep_to"), ("adam_sweep_from", "adam_sweep_to")):
        if settings[lo] > settings[hi]:
            settings[lo], settings[hi] = settings[hi], settings[lo]
            notices.append(Notice(lo, f"above {hi}", f"swapped: {lo}={settings[lo]}, {hi}={settings[hi]}"))
        elif settings[lo] == settings[hi]:
            settings[lo], settings[hi] = SCHEMA.by_name[lo].default, SCHEMA.by_name[hi].default
            notices.append(Notice(lo, f"equal to {hi}: a sweep needs two rates or more",
                                  f"using {settings[lo]} to {settings[hi]}"))
    return settings, notices


CHECK = ("view", ("check",))
TRANSFER = ("view", ("transfer",))
MUP = (("parametrisation", ("mup",)),)
SGD, ADAM = ("optimizer", ("sgd",)), ("optimizer", ("adam",))


def _rate_end(name: str, default: int, span: tuple[int, int], when, end: str) -> Param:
    return Param(name, "int", default, f"{end} log₂ η", lo=span[0], hi=span[1], step=1, when=when,
                 help=f"the {'smallest' if end == 'From' else 'largest'} learning rate of the sweep, as a power of two "
                      f"({span[0]} … {span[1]}); every integer power in between is trained")

SCHEMA = PageSchema("width", (
    Param("view", "choice", "check", "View", options=WIDTH_VIEWS, labels=("Coordinate check", "Learning-rate transfer"),
          widget="segmented", help="the coordinate check (a few steps on one batch), or the training loss after T "
          "steps against the learning rate for every width (μTransfer)"),
    Param("parametrisation", "choice", "mup", "Parametrisation", options=WIDTH_PARAMETRISATIONS,
          labels=("standard (SP)", "NTK", "maximal update (μP)"), widget="segmented",
          help="how init, learning rates and the output scale change with width (Tensor Programs V, Table 3); "
          "drawn beside the standard parametrisation"),
    Param("optimizer", "choice", "sgd", "Optimizer", options=WIDTH_OPTIMIZERS, labels=("SGD", "Adam"),
          widget="radio", help="torch.optim's SGD or Adam with μP's per-layer learning rates (mup's MuSGD, MuAdam)"),
    Param("lr", "float", DEFAULT_LR["sgd"], "Learning rate η", options=LR_LADDER, when=(SGD, CHECK),
          help="SGD's base learning rate (at the base width 128); mup's coordinate check uses 0.1"),
    Param("adam_lr", "float", DEFAULT_LR["adam"], "Learning rate η", options=LR_LADDER,
          when=(ADAM, CHECK),
          help="Adam's base learning rate (at the base width 128); mup's coordinate check uses 0.001"),
    Param("steps", "int", 3, "Steps", lo=1, hi=WIDTH_MAX_STEPS, step=1, widget="slider",
          when=(CHECK,), help="optimizer steps on the one fixed batch; a panel per step t = 0 … steps"),
    Param("max_width", "int", 1024, "Largest width", options=MAX_WIDTHS, widget="select_slider",
          help=f"the widths are every power of two from {MIN_WIDTH} up to this one"),
    Param("n_seeds", "int", 3, "Seeds", lo=1, hi=WIDTH_MAX_SEEDS, step=1, widget="slider", when=(CHECK,),
          help="independent draws of every width's weights; the lines are their mean"),
    Param("activation", "choice", "tanh", "Activation φ", options=WIDTH_ACTIVATIONS,
          help="the hidden layers' activation (mup's example: tanh)"),
    replace(_PROPAGATION.by_name["arch"], help=f"an MLP (input, one hidden layer, output); or a residual network: "
            f"an input layer, {WIDTH_BLOCKS} blocks x_l = x_(l−1) + α·F(N(x_(l−1))) (pre-norm) or N(x_(l−1) + "
            "α·F(x_(l−1))) (post-norm) on a stream of n units, F of one layer or Linear(n, 2n) → φ → Linear(2n, n), "
            "and a readout"),
    replace(_PROPAGATION.by_name["norm"], default="layernorm", when=RESIDUAL,
            help="the blocks' norm: before the branch (pre-norm) or after the sum (post-norm). γ = 1, β = 0"),
    replace(_PROPAGATION.by_name["branch_depth"], default=1, when=RESIDUAL),
    replace(_PROPAGATION.by_name["preset"], when=RESIDUAL),
    Param("statistic", "choice", "mean_abs", "Statistic", options=COORD_STATISTICS,
          labels=("mean |x|", "rms x", "rms Δx"), widget="segmented",
          when=(CHECK,), help="what is measured on every layer's output: mup's mean |x|, the root mean square "
          "x, or that of Δx = x_t − x_0, the change since initialisation"),
    Param("readout_zero", "bool", True, "Zero-initialised readout", when=MUP,
          help="μP's output layer starts at zero (mup's recommendation); off, it starts at its 1/fan_in² draw"),
    Param("mistake", "choice", "none", "Deliberate mistake", options=MISTAKES,
          labels=("none", "μP init with SP learning rates", "Adam with coupled weight decay"), when=(*MUP, CHECK),
          help=f"a mistake people make setting μP up: one learning rate for every layer, or Adam's coupled L2 "
          f"weight decay λ = {MISTAKE_WEIGHT_DECAY:g} (mup PR #73)"),
    _rate_end("sweep_from", -5, SGD_SWEEP_RANGE, (SGD, TRANSFER), "From"),
    _rate_end("sweep_to", 1, SGD_SWEEP_RANGE, (SGD, TRANSFER), "To"),
    _rate_end("adam_sweep_from", -11, ADAM_SWEEP_RANGE, (ADAM, TRANSFER), "From"),
    _rate_end("adam_sweep_to", -4, ADAM_SWEEP_RANGE, (ADAM, TRANSFER), "To"),
    Param("sweep_steps", "int", 10, "Steps T", lo=SWEEP_MIN_STEPS, hi=SWEEP_MAX_STEPS, step=1, widget="slider",
          when=(TRANSFER,), help=f"training steps of every run (mini-batches of {SWEEP_BATCH}); the loss is then "
          "measured on the whole training set"),
    Param("sweep_seeds", "int", 1, "Seeds", lo=1, hi=SWEEP_MAX_SEEDS, step=1, widget="slider", when=(TRANSFER,),
          help="independent runs (weights and data order) per width and rate; the curves are their mean"),
    seed(),
), _constrain)
"""The Width page's parameters, in display order."""
