"""The Width page: microsoft/mup's coordinate check, live. A family of MLPs that differ only in width
trains a few steps on one fixed batch (:func:`initviz.coord_check`); the page draws, per step, how
large every layer's output is against log₂ width — the chosen parametrisation above the standard one
— the spread over widths per layer (:func:`initviz.coord_spread`), and the parametrisation's rules. Its
learning-rate transfer view (computed only when chosen) sweeps the learning rate of the same family
(:func:`initviz.lr_sweep`) and marks every width's best rate."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from .. import coordcheck
from ..coordcheck import coord_spread
from ..figures import width as fw
from . import links, progress, workers
from .frame import computed_view, control_notices, guard
from .links import width as plan
from .widgets import chart, control, control_row, file_name, offer_choices

CACHE = dict(max_entries=64, max_size=64 * 2 ** 20)
"""A check is ≤ 5 widths × 5 seeds × 6 steps × 3 layers × 3 statistics = 1,350 rows (~100 kB)."""
NAMES = {"sp": "SP (standard)", "ntk": "NTK", "mup": "μP (maximal update)"}
"""The parametrisations' names on the page."""
SHORT_NAMES = {"sp": "SP", "ntk": "NTK", "mup": "μP"}
"""Their names in the transfer chart's panel titles and its caption (side by side on a phone)."""
HIDDEN_FLAT = 1.1
"""A hidden layer's spread over widths below which a check reads as flat: seed noise at 3 seeds moves
a mean |x| by a few per cent (mup's correct checks report ~1.02)."""


SWEEP_CACHE = dict(max_entries=64, max_size=64 * 2 ** 20)
"""A sweep is ≤ 5 widths × 19 rates × 4 seeds = 380 rows (~20 kB)."""


@st.cache_data(**SWEEP_CACHE, show_spinner=False)
def sweeps(kwargs: tuple[tuple, ...], _result: tuple[pd.DataFrame, ...] | None = None) -> tuple[pd.DataFrame, ...]:
    """The kept ``initviz.lr_sweep`` frames of each item of ``kwargs`` (its keyword arguments' items) —
    a store (:func:`.progress.kept`), as :func:`checks`."""
    return progress.kept(_result)


@st.cache_data(**CACHE, show_spinner=False)
def checks(kwargs: tuple[tuple, ...], _result: tuple[pd.DataFrame, ...] | None = None) -> tuple[pd.DataFrame, ...]:
    """The kept ``initviz.coord_check`` frames of each item of ``kwargs`` (its keyword arguments'
    items) — a store (:func:`.progress.kept`): :func:`frames_of` runs them in the worker processes,
    all at once, and keeps them here."""
    return progress.kept(_result)


def _in_workers(store, fn, kwargs: tuple[tuple, ...], units, seconds: float, spinner: str, label) -> list:
    """``fn(**dict(k))`` for each ``k`` of ``kwargs``, all at once in the worker processes, kept in
    ``store`` — with a progress bar and Cancel when the view is long (:mod:`.progress`); a cancelled
    call's frame has what it completed (None: nothing)."""
    with progress.View(("width", kwargs), seconds / min(workers.WORKERS, len(kwargs)), spinner) as view:
        jobs = [progress.Job(fn, (), dict(k), units(dict(k))) for k in kwargs]
        frames = view.step(0, store, dict(kwargs=kwargs), jobs, timeout=workers.RESULT_TIMEOUT, label=label)
        view.notice()
    return list(frames or ())


def frames_of(settings: links.Settings) -> dict[str, pd.DataFrame]:
    """Each parametrisation drawn (:func:`.links.width.parametrisations`) → its coordinate-check frame
    (a cancelled view: the widths completed; fewer than two: left out)."""
    presets = plan.parametrisations(settings)
    kwargs = tuple(tuple(plan.check_kwargs(settings, p).items()) for p in presets)
    frames = _in_workers(checks, plan.check, kwargs, lambda k: len(k["widths"]) * k["n_seeds"],
                         plan.width_seconds(settings), "Training every width…", _runs)
    return {p: f for p, f in zip(presets, frames) if f is not None and f["width"].nunique() >= 2}


def _runs(done: int, total: int) -> str:
    """The bar's words: (width, seed) runs done over every check."""
    return f"run {done} of {total} (each width and seed of every parametrisation)"


def sweep_of(settings: links.Settings) -> pd.DataFrame:
    """The view's learning-rate sweeps, every parametrisation drawn in one frame (its ``preset`` column;
    a cancelled view: the widths completed)."""
    presets = plan.parametrisations(settings)
    kwargs = tuple(tuple(plan.sweep_kwargs(settings, p).items()) for p in presets)
    frames = _in_workers(sweeps, plan.sweep, kwargs, lambda k: len(k["widths"]),
                         plan.transfer_seconds(settings), "Training every width at every learning rate…",
                         lambda done, total: f"width {done} of {total} (every rate, of every parametrisation)")
    return pd.concat([f for f in frames if f is not None], ignore_index=True) if any(
        f is not None for f in frames) else pd.DataFrame(columns=["preset", "width", "log2_lr", "lr", "seed", "loss"])


def spread_table(frames: dict[str, pd.DataFrame], statistic: str) -> pd.DataFrame:
    """Per layer, at the last step: each parametrisation's spread (max/min over widths of the mean over
    seeds) and exponent (slope of log value against log width), side by side."""
    parts = []
    for preset, frame in frames.items():
        s = coord_spread(frame)
        s = s[(s.statistic == statistic) & (s.step == s.step.max())]
        parts.append(s.set_index(["layer_index", "layer"])[["spread", "exponent"]]
                     .rename(columns={"spread": f"{NAMES[preset]} spread", "exponent": f"{NAMES[preset]} exponent"}))
    return pd.concat(parts, axis=1).reset_index().drop(columns="layer_index")


# --- the page ------------------------------------------------------------------------------------------

INTRO = (
    "How do a network's coordinates change with **width**? microsoft/mup's *coordinate check* trains networks "
    "that differ only in width (MLPs, or residual networks: Architecture in the sidebar) for a few steps on one "
    "fixed batch and records, per layer, how large the outputs are "
    "(mean |x| of every layer's output). Under a correct **μP** setup every line is **flat** in width at every step: "
    "the features move by Θ(1) whatever the width. Under the standard parametrisation the output (and, with larger "
    "learning rates, the hidden layers) blows up as the width grows once training starts — which is why the best "
    "learning rate of a narrow model does not transfer to a wide one.")
READING = (
    "**Reading a check.** Panel t is after t updates (t = 0: at initialisation; mup's panel t is our t − 1). A "
    "correct μP check has every hidden layer's spread ≈ 1.0× (mup's users report ~1.02) at every step, and the "
    "output's too after the first steps; a line that climbs with width (spread growing with t, exponent ≈ ½ or 1) "
    "is a layer whose updates are too large for wide models, a line that falls after t = 0 one that learns less "
    "and less as width grows (SP's input layer). A falling output line at t = 0 is only the readout's init "
    "(1/√width when not zeroed) and is harmless.")
RULES = {
    "sp": "Every weight W ~ N(0, σ²/fan_in) (PyTorch default / Kaiming); one learning rate η for every layer; "
          "output multiplier 1. Nothing depends on width except through fan_in.",
    "ntk": "Init as SP, but every weight is w/√fan_in with w trained: the same as SP weights trained at "
           "η·n̄/fan_in with SGD (η·√(n̄/fan_in) with Adam) — learning rates shrink with width, features freeze "
           "(the kernel regime).",
    "mup": "Tensor Programs V, Table 3, with width multiplier m = n/n̄ (n̄ = 128): input and hidden weights "
           "start at N(0, 1/fan_in); the **output** layer starts at **zero** (or variance 1/fan_in²) and is read "
           "through the multiplier α = 1/m. Learning rates — **SGD**: input layer and biases η·m, hidden η, output η/m "
           "(on the effective weight); **Adam**: input η, hidden η/m, output η/m. At width n̄ μP is SP.",
}
MISTAKE_TEXT = {
    "sp_lr": "**Mistake: μP's init with SP learning rates** (one η for every layer — the optimizer was not "
             "mup's MuSGD/MuAdam): the output's multiplier α = 1/m shrinks its effective update as 1/m, so the "
             "output line falls with width.",
    "coupled_wd": f"**Mistake: Adam with coupled weight decay** (λ = {plan.MISTAKE_WEIGHT_DECAY:g} added to the "
                  "gradient, torch's Adam(weight_decay=λ)): Adam normalises the L2 term with the gradient, so the "
                  "decay's strength depends on width — and the check still **looks flat** over a few steps (mup PR "
                  "#73): a coordinate check cannot catch every mistake. Use AdamW (decoupled decay).",
}


TRANSFER_TEXT = (
    "**Learning-rate transfer** (μTransfer, Tensor Programs V, Fig. 1): every width of the family trains T steps "
    "at every learning rate η = 2^k of the range, then its loss on the whole training set is measured. Under the "
    "standard parametrisation the best η moves to smaller rates as the width grows (the output layer's update grows "
    "with width: η* ∝ 1/width for SGD in theory) and wide models diverge at rates narrow ones train well with; under "
    "μP the curves lie on top of each other and the best η stays put — a rate tuned on a narrow model transfers.")
UNFIT_KEY = "width_transfer_unfit"
"""Key of the box a transfer view over the budget shows instead of its chart (tests find it)."""


def render(settings: links.Settings) -> None:
    fitted = plan.fit_view(settings)
    transfer = settings["view"] == "transfer"
    _controls(settings, fitted)
    st.markdown(INTRO)
    control("view")
    if transfer:
        control("parametrisation")
    else:
        control_row("parametrisation", "statistic", widths=[3, 2])
    if not fitted.fits:
        offer_choices("width", UNFIT_KEY,
                      f"This view would be {plan.times(fitted.over)} the work one view may do here, even with one "
                      "seed: nothing is trained, and your settings stay as you set them. Each of these changes fits — "
                      "or change the controls yourself:", fitted.choices,
                      "No single change fits: lower several settings together.")
        return
    computed = fitted.settings
    if fitted.cut:  # what the charts show: the view with fewer seeds (a function of the link on this deployment)
        computed_view("width", computed)
    with guard("width: compute"):
        if transfer:
            frame = sweep_of(computed)
            if not frame.empty:  # empty: cancelled before a width was swept (the notice says so)
                _transfer(computed, frame)
            return
        frames = frames_of(computed)
        if not frames:  # cancelled before two widths were computed: the notice says so
            return
        _describe(computed)
        _grids(computed, frames)
        _spread(computed, frames)
        _rules(computed)


def _transfer(settings, frame: pd.DataFrame) -> None:
    st.header("Learning-rate transfer")
    st.markdown(TRANSFER_TEXT)
    ws = plan.widths(settings)
    rates = plan.log2_rates(settings)
    opt = {"sgd": "SGD", "adam": "Adam"}[settings["optimizer"]]
    readout = " (μP readout not zeroed)" if settings["parametrisation"] == "mup" and not settings["readout_zero"] else ""
    st.markdown(f"**Family:** {family_text(settings)}, widths {', '.join(fw.width_label(w) for w in ws)} · "
                f"**{opt}** η = 2^{rates[0]} … 2^{rates[-1]} (base width {plan.BASE_WIDTH}){readout} · "
                f"T = {settings['sweep_steps']} steps of batch {plan.SWEEP_BATCH} · mean over {settings['sweep_seeds']} seed(s) from seed {settings['seed']}")
    names = {p: SHORT_NAMES[p] for p in plan.parametrisations(settings)}
    best = fw.optimum_text(frame, names)
    file = file_name("width", "lr-transfer", settings["parametrisation"], settings["optimizer"],
                     f"lr2^{rates[0]}-2^{rates[-1]}", settings["activation"], f"n{settings['max_width']}",
                     f"T{settings['sweep_steps']}", f"seed{settings['seed']}")
    chart(lambda: fw.fig_lr_transfer(frame, names, title="Loss after T steps vs learning rate"),
          lambda: fw.transfer_table(frame), key="lr_transfer", name=file,
          caption=f"Best log₂ η per width — {best}. Stars: each width's best rate (lowest mean loss over seeds); "
                  "lines: the mean over seeds; a rate where a run diverged (loss not finite) is left out.")


def _controls(settings: links.Settings, fitted) -> None:
    """The sidebar: the coordinate check's training settings, or the transfer view's rate range."""
    transfer = settings["view"] == "transfer"
    sample = "sweep_seeds" if transfer else "n_seeds"
    with st.sidebar.container(key="width_controls"):
        st.subheader("Training")
        control("optimizer")
        prefix = "" if settings["optimizer"] == "sgd" else "adam_"
        if transfer:
            control(f"{prefix}sweep_from")
            control(f"{prefix}sweep_to")
            control("sweep_steps")
        else:
            control(f"{prefix}lr")
            control("steps")
        st.subheader("Widths and network")
        control("max_width")
        control("activation")
        control("arch")
        if plan.family(settings).residual:
            control("norm")
            control("branch_depth")
            control("preset")
        if settings["parametrisation"] == "mup":
            st.subheader("μP setup")
            control("readout_zero")
            if not transfer:
                control("mistake")
        st.subheader("Sample")
        control(sample)
        control_notices(sample, list(fitted.cut))
        control("seed")
        st.divider()


def _name(settings, what: str) -> str:
    return file_name("width", what, settings["parametrisation"], settings["optimizer"], f"lr{plan.lr(settings):g}",
                     settings["activation"], f"n{settings['max_width']}", settings["statistic"],
                     f"seed{settings['seed']}")


def family_text(settings) -> str:
    """The family in words: the MLP's layers, or the residual network's blocks and what the charts'
    ``block l W_j`` lines are."""
    family = plan.family(settings)
    if not family.residual:
        return (f"{plan.WIDTH_TASK} → {plan.WIDTH_DEPTH} layers ({settings['activation']}, no biases, "
                "linear output)")
    hidden = f"{coordcheck.BRANCH_HIDDEN}n"
    branch = (f"Linear(n, {hidden}) → {family.activation} → Linear({hidden}, n)" if family.branch_depth == 2
              else f"Linear(n, n) → {family.activation}")
    return (f"{plan.WIDTH_TASK} → input layer, {family.depth} {family.arch}-norm blocks (norm {family.norm}, branch "
            f"{branch}, preset {family.block_preset}; line *block l W_j* = branch layer j of block l), readout; no "
            "biases")


def _describe(settings) -> None:
    ws = plan.widths(settings)
    opt = {"sgd": "SGD", "adam": "Adam"}[settings["optimizer"]]
    st.markdown(f"**Family:** {family_text(settings)}, widths {', '.join(f'2^{int(math.log2(w))}' for w in ws)} · "
                f"**{opt}** η = {plan.lr(settings):g} at the base width {plan.BASE_WIDTH} · "
                f"{settings['steps']} steps on one batch of {plan.WIDTH_BATCH} · mean over {settings['n_seeds']} seed(s) from seed {settings['seed']}")
    if settings["parametrisation"] == "mup" and settings["mistake"] != "none":
        st.warning(MISTAKE_TEXT[settings["mistake"]], icon=":material/bug_report:")


def _grids(settings, frames: dict[str, pd.DataFrame]) -> None:
    stat = settings["statistic"]
    st.header("Coordinate check")
    for preset, frame in frames.items():
        readout = (" (readout not zeroed)" if preset == "mup" and preset == settings["parametrisation"]
                   and not settings["readout_zero"] else "")
        title = f"{NAMES[preset]}{readout}: {fw.STAT_TITLES[stat]} per layer over width"
        chart(lambda frame=frame, title=title: fw.fig_coord_check(frame, stat, title=title),
              lambda frame=frame: fw.coord_table(frame, stat), key=f"coord_{preset}",
              name=_name(settings, f"coord-{preset}"),
              caption="One panel per step t (updates done); lines: the mean over seeds per layer. Zeros (the change "
                      "at t = 0, a zero readout at init) are left out of the log axis.")
    st.caption(READING)


def _spread(settings, frames: dict[str, pd.DataFrame]) -> None:
    st.subheader(f"Spread over widths at t = {settings['steps']}")
    table = spread_table(frames, settings["statistic"])
    st.dataframe(table, hide_index=True,
                 column_config={c: st.column_config.NumberColumn(c, format="%.3f") for c in table.columns[1:]})
    st.caption(f"Spread: the largest over the smallest value across widths (mean over seeds) — what practitioners "
               f"quote; exponent: the slope of log value against log width (0 = flat; under SP one SGD step grows the "
               f"output's change like width^1 and a hidden layer's like width^½). A correct μP check: hidden layers "
               f"within ~{HIDDEN_FLAT:g}×.")


def _rules(settings) -> None:
    st.subheader("The parametrisations' rules")
    for preset in plan.parametrisations(settings):
        st.markdown(f"**{NAMES[preset]}** — {RULES[preset]}")


__all__ = ["render", "frames_of", "checks", "sweeps", "sweep_of", "spread_table"]
