"""Learning-rate transfer (μTransfer, Tensor Programs V Fig. 1): the training loss after T steps
against log₂ of the learning rate, for several widths of one family — an MLP or a residual network
(:class:`initviz.coordcheck.WidthFamily`) — under SP and under μP.

For every preset, width n (the family's member: :meth:`~initviz.coordcheck.WidthFamily.network`), learning rate
η = 2^k and seed, :func:`initviz.train` runs T steps (its batches and draws, biases off, the
parametrisation of :func:`initviz.parametrise` with ``base_width``), then the loss is measured on the
whole training set with the final weights; a run whose loss stops being finite scores +inf. The optimum
(:func:`lr_optimum`) is the η of the lowest mean loss over seeds. Under SP the optimal η of an MLP
shrinks as width grows (the output layer's update grows ∝ n: η* ∝ 1/n for SGD); under μP it stays
put — what lets a learning rate tuned on a narrow model transfer to a wide one.

**Limits.** The work (:func:`sweep_work`: T·batch·3 multiply–adds per weight for training, and the
evaluations — the test set at the first step, the last step and the end (:func:`initviz.train`'s
logged steps), the training set at the end — per seed, rate,
width and preset) must fit ``max_work`` (:data:`MAX_SWEEP_WORK` unless given); at most
:data:`MAX_SWEEP_RATES` rates.
"""

from __future__ import annotations

import math

import numpy as np

from .coordcheck import WidthFamily, check_sizes, coord_work
from .engine.run import STOPPED
from .errors import invalid
from .limits import MAX_WIDTH, check_float, check_int
from .losses import loss_function
from .parametrisation import PARAMETRISATIONS, parametrise
from .tasks import Task, get_task
from .training import MAX_STEPS, _model, train

MAX_SWEEP_WORK = 2 ** 38
"""Most multiply–adds of one sweep (~2.7e11: ~30 CPU-s at the 9.2e9 per CPU-second measured for
:data:`initviz.coordcheck.MAX_COORD_WORK`; training adds a test-set evaluation per run)."""

MAX_SWEEP_RATES = 32
"""Most learning rates in one sweep."""


def lr_sweep(presets=("sp", "mup"), optimizer: str = "sgd", log2_lrs=range(-8, 3), widths=(128, 256, 512, 1024),
             steps: int = 50, n_seeds: int = 2, depth: int = 3, activation: str = "tanh",
             task: Task | str = "digits", batch: int = 64, seed: int = 0, base_width: int = 128,
             readout_zero: bool = True, dtype="float32", max_work: int | None = None, progress=None,
             arch: str = "mlp", norm: str = "layernorm", branch_depth: int = 2, block_preset: str = "none"):
    """The sweep as a tidy pandas DataFrame: ``preset, width, log2_lr, lr, seed, loss`` (module
    docstring; ``readout_zero`` for μP's readout; the family :class:`~initviz.coordcheck.WidthFamily`
    of ``arch``, ``depth``, ``activation``, ``norm``, ``branch_depth``, ``block_preset``). ``progress``
    (a callable, or None) is called before each (preset, width) as ``progress(done, total)`` —
    ``done`` of ``total`` = presets·widths, then ``(total, total)`` at the end; when it returns True the sweep stops there and returns the (preset,
    width) pairs it completed (every rate: a width's curve over fewer rates would not compare), with
    ``frame.attrs["truncated"]`` True and ``frame.attrs["reason"]`` saying where.

    >>> df = lr_sweep(log2_lrs=[-4, -2], widths=[32, 64], steps=3, n_seeds=1, base_width=32, batch=16)
    >>> sorted(df.preset.unique()), len(df)
    (['mup', 'sp'], 8)
    """
    import pandas as pd

    task = get_task(task) if isinstance(task, str) else task
    if not isinstance(task, Task):
        raise invalid("task", "be a task name or an initviz.tasks.Task", type(task).__name__)
    try:
        presets = tuple(presets) if not isinstance(presets, str) else (presets,)
    except TypeError:
        raise invalid("presets", f"be a sequence of names of {PARAMETRISATIONS}", presets) from None
    for p in presets:
        if p not in PARAMETRISATIONS:
            raise invalid("presets", f"hold names of {PARAMETRISATIONS}", p)
    try:
        rates = tuple(sorted({check_float("log2_lrs", k, -40.0, 10.0) for k in log2_lrs}))
        widths = tuple(sorted({check_int("widths", w, 1, MAX_WIDTH) for w in widths}))
    except TypeError:
        raise invalid("log2_lrs", "and widths be sequences of numbers", (log2_lrs, widths)) from None
    if not 1 <= len(rates) <= MAX_SWEEP_RATES or not widths or not presets:
        raise invalid("log2_lrs", f"hold 1 to {MAX_SWEEP_RATES} rates, with at least one width and preset",
                      len(rates))
    steps = check_int("steps", steps, 1, MAX_STEPS)
    n_seeds, batch = check_sizes(task, n_seeds, batch, seed)
    family = WidthFamily(arch, depth, activation, norm, branch_depth, block_preset)
    max_work = MAX_SWEEP_WORK if max_work is None else check_int("max_work", max_work, 1, 2 ** 62)
    work = sweep_work(task, len(presets), len(rates), widths, steps, n_seeds, batch, family)
    if work > max_work:
        raise invalid("widths", f"fit the work limit max_work = {max_work:,} multiply–adds with these rates",
                      f"{work:,}")
    if progress is not None and not callable(progress):
        raise invalid("progress", "be a callable progress(done, total) or None", progress)
    loss_fn = loss_function(task.loss)
    rows, total, reason = [], len(presets) * len(widths), None
    for done, (preset, width) in enumerate((p, w) for p in presets for w in widths):
        if progress is not None and progress(done, total):
            reason = f"{STOPPED} at {preset}, width {width}"
            break
        net = family.network(task, width)
        param = parametrise(net, preset, optimizer, base_width, readout_zero=readout_zero)
        for k in rates:
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is a result here: it scores +inf
                rows += _runs(net, task, param, optimizer, k, steps, batch, seed, dtype, n_seeds, loss_fn)
    else:
        if progress is not None:
            progress(total, total)
    frame = pd.DataFrame(rows, columns=["preset", "width", "log2_lr", "lr", "seed", "loss"])
    frame.attrs.update(truncated=reason is not None, reason=reason)
    return frame


def sweep_work(task: Task, n_presets: int, n_rates: int, widths, steps: int, n_seeds: int, batch: int,
               family: WidthFamily) -> int:
    """Multiply–adds of a sweep (module docstring): per width n, with W(n) the weights of the family's
    member (:meth:`~initviz.coordcheck.WidthFamily.weights`),
    n_presets·n_rates·n_seeds·W(n)·(3·T·batch + 3·n_test + n_train)."""
    evaluated = 3 * len(task.x_test) + len(task.x_train)
    weights = [family.weights(task, w) for w in widths]
    return n_presets * n_rates * (coord_work(weights, n_seeds, steps - 1, batch) + n_seeds * evaluated * sum(weights))


def _runs(net, task, param, optimizer, k, steps, batch, seed, dtype, n_seeds, loss_fn) -> list[tuple]:
    """The rows of one (preset, width, rate): train, then the loss on the whole training set per seed."""
    res = train(net, task, optimizer, lr=2.0 ** k, steps=steps, batch=batch, seed=seed, dtype=dtype,
                n_seeds=n_seeds, log_every=steps, biases=False, parametrisation=param)
    rows = []
    for rep, params in enumerate(res.params):
        x = task.x_train.astype(params[0][0].dtype)
        y = task.y_train if task.loss == "cross_entropy" else task.y_train.astype(x.dtype)
        finite = np.isfinite(res.train_loss[rep]).all()
        model = _model(net, param.output_multiplier)
        loss = loss_fn(model.output(model.forward(params, x)), y)[0] if finite else math.inf
        rows.append((param.name, net.widths[0], k, 2.0 ** k, rep, loss if math.isfinite(loss) else math.inf))
    return rows


def lr_optimum(frame):
    """Per preset and width: the ``log2_lr`` of the lowest mean loss over seeds, and that ``loss``."""
    means = frame.groupby(["preset", "width", "log2_lr"])["loss"].mean().reset_index()
    best = means.loc[means.groupby(["preset", "width"])["loss"].idxmin()]
    return best[["preset", "width", "log2_lr", "loss"]].reset_index(drop=True)


__all__ = ["lr_sweep", "lr_optimum", "sweep_work", "MAX_SWEEP_WORK", "MAX_SWEEP_RATES"]
