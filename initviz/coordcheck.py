"""The μP coordinate check (microsoft/mup's ``coord_check``): train a family of networks that differ
only in width for a few steps on one fixed batch and record how large the coordinates of every layer's
output are; under a correct μP setup the curves over width are flat.

**The family** (:class:`WidthFamily`): an MLP (``arch="mlp"``) or a residual network (``"pre"`` /
``"post"``: where the norm sits). *MLP*: width n gives ``Network.mlp(d, [n]*(depth−1) + [k],
activation, init)``: the task's d inputs, depth − 1 hidden layers of n units, k outputs (the last
layer linear), no biases (as mup's MLP example), init ``kaiming_normal`` with the linear gain — W ~ N(0, 1/fan_in), mup's
``kaiming_normal_(a=1)`` — by default, parametrised by :func:`initviz.parametrisation.parametrise`
(preset, optimizer, base width n̄ = ``base_width``).
*Residual*: width n gives ``Network.residual_net(n, depth, activation, init, norm=…, placement=arch,
branch_depth=m, preset=block_preset, hidden=2n, in_features=d, out_features=k)`` — an input layer
Linear(d, n), ``depth`` blocks on the stream of n units whose branch is Linear(n, 2n) → φ →
Linear(2n, n) (m = 2; hidden 2n as the μP torch fixture's) or Linear(n, n) → φ (m = 1), and a readout
Linear(n, k); no biases, the same init, parametrised the same way (input layer *input*, every branch
layer *hidden*, readout *output*: :mod:`initviz.parametrisation`). Only the stream's width n varies.

**The data and the steps** (mup's defaults): one batch of ``batch`` training samples —
``stream(seed, 0, ROLE_DATA, 0).permutation(N)[:batch]``, the same for every width and seed —
repeated at every step; ``steps`` updates of SGD (lr 0.1) or Adam (lr 1e-3) on the task's loss.
Repeat r starts from :func:`initviz.train`'s draws for (``seed``, r), so the networks are
:func:`~initviz.train`'s, step for step.

**What is recorded**, for step t = 0 … ``steps`` (t = the number of updates done; mup's panel t is
our step t − 1: its hooks fire on the forward pass before update t) and every layer l, on the
layer's output x = h^l (the ``nn.Linear``'s output, mup's forward hook: the logits, α included, for
the output layer), B·n_l entries:

* ``mean_abs`` — (1/Bn)·Σ|x| (mup's ``l1``, ``x.abs().mean()``);
* ``rms`` — √((1/Bn)·Σx²);
* ``delta_rms`` — √((1/Bn)·Σ(x_t − x_0)²), the change since init on the same batch (0 at t = 0).

Layer labels: ``"input"`` (layer 1), ``"hidden k"`` (layer k + 1), ``"output"`` (layer L). In a
residual network the layers are its weight layers too — each ``nn.Linear``'s output, as mup's hook
sees it: the input layer's x_0 (``"input"``), then branch layer j of block l (``"block l W_j"``, a
*hidden* layer of :mod:`initviz.parametrisation`) — its pre-activation h = N(x)W_1ᵀ for the first,
its f = φ(h)W_2ᵀ before the preset's α for the second — and the readout's logits z (α included;
``"output"``); the stream x_l itself is not recorded (a block adds its branch to it: pre-norm,
x_l − x_{l−1} is α·f).

**The spread** (:func:`coord_spread`): per step, layer and statistic, the mean over seeds at each
width, then max/min over widths — the number practitioners quote (~1.02 for a correct μP hidden
layer) — and the exponent: the least-squares slope of log(value) against log(width). Theory for one
SGD step (Tensor Programs V §5): under SP the output's change grows like width (exponent 1) and a
hidden layer's like √width (½); under μP every exponent is 0.

**Limits.** The default widths are mup's 2^7 … 2^13 that a network may have (``MAX_WIDTH``) and whose
work — Σ_widths n_seeds·(steps + 1)·batch·3·(weights), forward and backward multiply–adds (a
norm's O(n) per sample is left out) — fits ``max_work`` (``MAX_COORD_WORK`` unless given); explicit
widths beyond either are refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import invalid, one_of
from .laws import as_dtype
from .limits import MAX_BATCH, MAX_DEPTH, MAX_SEEDS, MAX_WIDTH, check_float, check_int
from .losses import loss_function
from .network import Network
from .optimizers import make_optimizer
from .parametrisation import Parametrisation, layer_kinds, parametrise
from .residual import PLACEMENTS
from .rng import ROLE_DATA, stream
from .tasks import Task, get_task
from .engine.run import STOPPED
from .training import _initial_params, _model

MUP_WIDTHS = tuple(2 ** k for k in range(7, 14))
"""mup's coordinate-check widths for an MLP, 2^7 … 2^13."""

MAX_COORD_WORK = 2 ** 36
"""Most multiply–adds of one coordinate check (~6.9e10). Measured: 9.2e9 multiply–adds per CPU-second
(float32, OpenBLAS on one thread, widths 2048 and 4096, draws and statistics included), so ~7.5 CPU-s;
the default check (widths 2^7…2^12, 3 seeds, 3 steps, batch 64: 5.3e10) ~6 CPU-s."""

MAX_COORD_STEPS = 20
"""Most optimizer steps of a coordinate check (mup uses 3–5)."""

COORD_STATISTICS = ("mean_abs", "rms", "delta_rms")
"""The statistics recorded per layer and step (module docstring)."""

DEFAULT_LR = {"sgd": 0.1, "adam": 1e-3, "adamw": 1e-3}
"""mup's coordinate-check learning rates."""

ARCHITECTURES = ("mlp",) + PLACEMENTS
"""The families: an MLP, or a residual network with its norm before the branch (``"pre"``) or after
the sum (``"post"``)."""

BRANCH_HIDDEN = 2
"""A two-layer branch's hidden width in units of the stream's width n (module docstring)."""


def layer_labels(depth: int) -> tuple[str, ...]:
    """``("input", "hidden 1", …, "hidden L−2", "output")``."""
    return tuple("hidden %d" % (l - 1) if kind == "hidden" else kind for l, kind in enumerate(layer_kinds(depth), 1))


def width_family(task: Task, width: int, depth: int = 3, activation: str = "tanh") -> Network:
    """The MLP family's member of width ``width`` (module docstring)."""
    return WidthFamily("mlp", depth, activation).network(task, width)


@dataclass(frozen=True)
class WidthFamily:
    """What every width of a coordinate check or sweep shares (module docstring): the ``arch`` of
    :data:`ARCHITECTURES`, ``depth`` — the MLP's layers (≥ 2) or the residual network's blocks (≥ 1) —
    and ``activation``; a residual network's ``norm``, ``branch_depth`` m and ``block_preset`` (of
    :data:`initviz.residual.PRESETS`; the MLP ignores these three). Checked on construction."""

    arch: str = "mlp"
    depth: int = 3
    activation: str = "tanh"
    norm: str = "layernorm"
    branch_depth: int = 2
    block_preset: str = "none"

    def __post_init__(self):
        if not isinstance(self.arch, str) or self.arch not in ARCHITECTURES:
            raise one_of("arch", ARCHITECTURES, self.arch)
        object.__setattr__(self, "depth", check_int("depth", self.depth, 2 if self.arch == "mlp" else 1, MAX_DEPTH))
        self._network(1, 1, 2)  # an InitvizError for a bad activation, norm, branch depth or block preset

    @property
    def residual(self) -> bool:
        return self.arch != "mlp"

    def network(self, task: Task, width: int) -> Network:
        """The member of width ``width`` on ``task`` (module docstring)."""
        return self._network(task.in_dim, task.out_dim, width)

    def _network(self, d: int, k: int, width: int) -> Network:
        # W ~ N(0, 1/fan_in): mup's kaiming_normal_(a=1)
        init, init_params = "kaiming_normal", {"nonlinearity": "linear"}
        if not self.residual:
            return Network.mlp(d, [width] * (self.depth - 1) + [k], self.activation, init, init_params,
                               layer_activations={self.depth: "linear"})
        return Network.residual_net(width, self.depth, self.activation, init, init_params, norm=self.norm,
                                    placement=self.arch, branch_depth=self.branch_depth, preset=self.block_preset,
                                    hidden=BRANCH_HIDDEN * width if self.branch_depth == 2 else None,
                                    in_features=d, out_features=k)

    def weights(self, task: Task, width: int) -> int:
        """Σ fan_in·fan_out over the member's weight layers: d·n + (hidden layers) + n·k."""
        if not self.residual:
            inner = (self.depth - 2) * width * width
        else:
            inner = self.depth * (width * width if self.branch_depth == 1 else 2 * BRANCH_HIDDEN * width * width)
        return task.in_dim * width + inner + width * task.out_dim

    def labels(self) -> tuple[str, ...]:
        """The weight layers' labels: ``input``, ``hidden 1`` … ``hidden L−2`` (an MLP) or ``block l W_j``
        (a residual network's branch layer j of block l, as :attr:`initviz.TrainingResult.layer_labels`
        names it), ``output``."""
        if not self.residual:
            return layer_labels(self.depth)
        return ("input", *(f"block {l} W_{j}" for l in range(1, self.depth + 1)
                           for j in range(1, self.branch_depth + 1)), "output")


def fixed_batch(task: Task, batch: int, seed: int) -> np.ndarray:
    """The indices of the coordinate check's one batch (module docstring)."""
    return stream(seed, 0, ROLE_DATA, 0).permutation(task.x_train.shape[0])[:batch]


def coord_work(weights, n_seeds: int, steps: int, batch: int) -> int:
    """Multiply–adds of a coordinate check over networks of ``weights`` weights each (a sequence, e.g.
    :meth:`WidthFamily.weights` per width): forward and two backward products per weight and step
    (module docstring)."""
    return sum(n_seeds * (steps + 1) * batch * 3 * w for w in weights)


def linear_outputs(net: Network, values) -> list[np.ndarray]:
    """Every weight layer's output (each ``nn.Linear``'s: module docstring) from a forward pass of
    :func:`initviz.training._model`: an MLP's h^1 … h^L; a residual network's x_0, each block's h (and
    f with a two-layer branch), z."""
    if net.residual is None:
        return values[0]
    m = net.residual.branch_depth
    return [values.x0] + [out for block in values.blocks for out in (block.h, block.f)[:m]] + [values.z]


def coordinates(net: Network, param: Parametrisation, task: Task, idx: np.ndarray, optimizer: str, lr: float,
                steps: int, seed: int, rep: int, dtype, weight_decay: float = 0.0) -> list[list[np.ndarray]]:
    """The weight layers' outputs (:func:`linear_outputs`) on the fixed batch ``idx`` after t = 0 …
    ``steps`` updates of repeat ``rep`` (list per step; fewer steps when the loss stops being finite)."""
    dt = as_dtype(dtype)
    loss_fn = loss_function(task.loss)
    x = task.x_train[idx].astype(dt)
    y = task.y_train[idx] if task.loss == "cross_entropy" else task.y_train[idx].astype(dt)
    params = _initial_params(net, seed, rep, dt, False, param.init_scales)
    opt = make_optimizer(optimizer, lr, weight_decay=weight_decay, lr_scales=param.param_lr_scales(False),
                         weight_decay_scales=param.param_weight_decay_scales(False))
    model, out = _model(net, param.output_multiplier), []
    for t in range(steps + 1):
        values = model.forward(params, x)
        out.append(linear_outputs(net, values))
        if t == steps:
            break
        loss, grad = loss_fn(model.output(values), y)
        if not math.isfinite(loss):
            break
        grads = model.backward(params, values, grad)
        opt.step([W for W, _ in params], [gW for gW, _ in grads])
    return out


def statistics(h: np.ndarray, h0: np.ndarray) -> tuple[float, float, float]:
    """(mean |h|, rms h, rms(h − h0)) in float64 (module docstring)."""
    h64, d = h.astype(np.float64), h.astype(np.float64) - h0.astype(np.float64)
    return float(np.abs(h64).mean()), math.sqrt(float(np.square(h64).mean())), math.sqrt(float(np.square(d).mean()))


def check_sizes(task: Task, n_seeds, batch, seed) -> tuple[int, int]:
    """``n_seeds`` and ``batch`` checked against their limits, and ``seed`` a non-negative int."""
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise invalid("seed", "be a non-negative int", seed)
    return (check_int("n_seeds", n_seeds, 1, MAX_SEEDS),
            check_int("batch", batch, 1, min(MAX_BATCH, task.x_train.shape[0])))


def coord_check(preset: str = "mup", optimizer: str = "sgd", lr: float | None = None, widths=None, steps: int = 3,
                n_seeds: int = 3, depth: int = 3, activation: str = "tanh", task: Task | str = "digits",
                batch: int = 64, seed: int = 0, base_width: int = 128, readout_zero: bool = True,
                output_mult: float = 1.0, learning_rates: str | None = None, weight_decay: float = 0.0,
                dtype="float32", max_work: int | None = None, progress=None, arch: str = "mlp",
                norm: str = "layernorm", branch_depth: int = 2, block_preset: str = "none"):
    """The coordinate check of ``preset`` (:data:`initviz.PARAMETRISATIONS`) trained by ``optimizer`` at
    ``lr`` (default :data:`DEFAULT_LR`) over ``widths`` (default :data:`MUP_WIDTHS` within the limits),
    as a tidy pandas DataFrame: ``width, step, layer, layer_index, statistic, value, seed`` (module
    docstring). The family is :class:`WidthFamily` (``arch``, ``depth``, ``activation``, ``norm``,
    ``branch_depth``, ``block_preset``): ``depth`` counts an MLP's layers, a residual network's
    blocks. ``readout_zero``, ``output_mult`` and ``learning_rates`` go to :func:`parametrise`;
    ``weight_decay`` to the optimizer (Adam's is coupled L2, AdamW's decoupled; scaled by the
    parametrisation as mup does). ``progress`` (a callable, or None) is called before each (width,
    seed) run as ``progress(done, total)`` — ``done`` runs finished of ``total`` = widths·n_seeds, then
    ``(total, total)`` at the end; when it returns True the check stops there and returns the widths
    it completed, with ``frame.attrs["truncated"]`` True and ``frame.attrs["reason"]`` saying where
    (both False/None for a complete check).

    >>> df = coord_check("mup", "sgd", widths=[128, 256], steps=2, n_seeds=1, dtype="float64")
    >>> sorted(df.layer.unique()), int(df.step.max())
    (['hidden 1', 'input', 'output'], 2)
    """
    import pandas as pd

    task = get_task(task) if isinstance(task, str) else task
    if not isinstance(task, Task):
        raise invalid("task", "be a task name or an initviz.tasks.Task", type(task).__name__)
    if lr is None:
        lr = DEFAULT_LR.get(optimizer, 0.1)
    lr, weight_decay = check_float("lr", lr, 0.0), check_float("weight_decay", weight_decay, 0.0)
    steps = check_int("steps", steps, 1, MAX_COORD_STEPS)
    n_seeds, batch = check_sizes(task, n_seeds, batch, seed)
    family = WidthFamily(arch, depth, activation, norm, branch_depth, block_preset)
    max_work = MAX_COORD_WORK if max_work is None else check_int("max_work", max_work, 1, 2 ** 62)
    widths = _widths(widths, task, family, n_seeds, steps, batch, max_work)
    idx = fixed_batch(task, batch, seed)
    labels = family.labels()
    if progress is not None and not callable(progress):
        raise invalid("progress", "be a callable progress(done, total) or None", progress)
    rows, total, reason = [], len(widths) * n_seeds, None
    for i, width in enumerate(widths):
        net = family.network(task, width)
        param = parametrise(net, preset, optimizer, base_width, readout_zero=readout_zero, output_mult=output_mult,
                            learning_rates=learning_rates)
        width_rows = []
        for rep in range(n_seeds):
            if progress is not None and progress(i * n_seeds + rep, total):
                reason = f"{STOPPED} at width {width}, seed {rep}"
                break
            hs = coordinates(net, param, task, idx, optimizer, lr, steps, seed, rep, dtype, weight_decay)
            for t, pres in enumerate(hs):
                for l, h in enumerate(pres):
                    for name, value in zip(COORD_STATISTICS, statistics(h, hs[0][l])):
                        width_rows.append((width, t, labels[l], l + 1, name, value, rep))
        if reason is not None:  # the widths completed only: a width's mean over fewer seeds would not compare
            break
        rows += width_rows
    else:
        if progress is not None:
            progress(total, total)
    frame = pd.DataFrame(rows, columns=["width", "step", "layer", "layer_index", "statistic", "value", "seed"])
    frame.attrs.update(preset=param.name, optimizer=optimizer, lr=lr, weight_decay=weight_decay, batch=batch,
                       arch=family.arch, truncated=reason is not None, reason=reason)
    return frame


def _widths(widths, task, family: WidthFamily, n_seeds, steps, batch, max_work) -> tuple[int, ...]:
    """The widths to run: the given ones (each checked), or mup's that fit the limits."""
    def work(ws):
        return coord_work([family.weights(task, w) for w in ws], n_seeds, steps, batch)

    if widths is None:
        chosen = []
        for w in MUP_WIDTHS:
            if w <= MAX_WIDTH and work(chosen + [w]) <= max_work:
                chosen.append(w)
        if len(chosen) < 2:
            raise invalid("max_work", "allow at least two of mup's widths", max_work)
        return tuple(chosen)
    try:
        chosen = tuple(sorted({check_int("widths", w, 1, MAX_WIDTH) for w in widths}))
    except TypeError:
        raise invalid("widths", "be a sequence of ints", widths) from None
    if len(chosen) < 2:
        raise invalid("widths", "hold at least two distinct widths", widths)
    if work(chosen) > max_work:
        raise invalid("widths", f"fit the work limit max_work = {max_work:,} multiply–adds", f"{work(chosen):,}")
    return chosen


def coord_spread(frame):
    """Per (step, layer, statistic): the mean over seeds at each width, its ``spread`` max/min over widths
    and ``exponent`` (slope of log value against log width), as a DataFrame (module docstring);
    NaN where a value is 0 or absent (``delta_rms`` at step 0)."""
    import pandas as pd

    means = frame.groupby(["step", "layer_index", "layer", "statistic", "width"], sort=True)["value"].mean()
    rows = []
    for (step, index, layer, stat), values in means.groupby(level=[0, 1, 2, 3], sort=True):
        w = values.index.get_level_values("width").to_numpy(float)
        v = values.to_numpy()
        ok = bool(np.all(np.isfinite(v)) and np.all(v > 0) and len(v) >= 2)
        spread = float(v.max() / v.min()) if ok else math.nan
        exponent = float(np.polyfit(np.log(w), np.log(v), 1)[0]) if ok else math.nan
        rows.append((step, index, layer, stat, spread, exponent))
    return pd.DataFrame(rows, columns=["step", "layer_index", "layer", "statistic", "spread", "exponent"])


__all__ = ["coord_check", "coord_spread", "coordinates", "width_family", "WidthFamily", "linear_outputs",
           "fixed_batch", "layer_labels", "check_sizes", "statistics", "coord_work", "ARCHITECTURES", "BRANCH_HIDDEN",
           "MUP_WIDTHS", "MAX_COORD_WORK", "MAX_COORD_STEPS", "COORD_STATISTICS", "DEFAULT_LR"]
