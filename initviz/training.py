"""Does this initialization train? Mini-batch training of an initviz :class:`~initviz.Network` on a
:class:`~initviz.tasks.Task`, with per-step losses and per-layer early-training diagnostics.

**The network.** The same description propagation uses: layer l computes h^l = a^{l−1}W_lᵀ + b_l,
a^l = φ_l(h^l), and the network's output a^L is what the loss sees (the logits for cross-entropy:
give the last layer a linear activation, ``layer_activations={L: "linear"}``). Repeat r starts from
the weights propagation draws for the same seed — W_l from ``stream(seed, r, ROLE_WEIGHTS, l)``,
b_l from ``stream(seed, r, ROLE_BIASES, l)`` (zero when the bias rule gives none) — so the network
trained is the network measured on the Propagation page. Biases are trained parameters unless
``biases=False`` (then every b_l stays 0, like ``nn.Linear(bias=False)``).

**Residual networks** (``Network.residual_net``; give it ``in_features`` and ``out_features`` for
a task whose dimensions differ from the stream's width) train as :mod:`initviz.residual_training`
states: an input layer, the blocks and a readout, every weight and bias trained by the same
optimizer (the norms' γ = 1, β = 0 and the preset's α, s fixed), the same data, losses and records;
"layer" below is then each *weight layer* (input layer, every branch layer, readout: the labels of
:attr:`TrainingResult.layer_labels`) and a^l its outputs; a ``parametrisation`` scales them in that
order, α at the readout.

**The data.** Epoch e of repeat r visits the training set in the order
``stream(seed, r, ROLE_DATA, e).permutation(N)``; step t takes the next ``batch`` indices and a new
epoch starts when fewer than ``batch`` are left (torch's ``DataLoader(shuffle=True,
drop_last=True)``): the data order is part of the seed.

**A step** (t = 0 … steps − 1): forward on the batch, the loss (:mod:`initviz.losses`: mean over the
batch as torch's losses), the backward pass ∂L/∂W_l = δ_lᵀa^{l−1}, ∂L/∂b_l = Σ_b δ_l, δ_l =
∂L/∂h^l, then one optimizer update (:mod:`initviz.optimizers`, torch's semantics).
With a ``parametrisation`` (:mod:`initviz.parametrisation`: SP, NTK, μP), W_l starts at c_l times
its draw, W_l and b_l train at η·s_l and η·s_l^b (weight decay λ/s_l, λ/s_l^b), and the last layer
reads α·a^{L−1} (h^L = (α·a^{L−1})W_Lᵀ + b_L, so ∂L/∂W_L = α·δ_Lᵀa^{L−1} and ∂L/∂a^{L−1} =
α·δ_L W_L); without one (or with SP) every scale is 1 and nothing is multiplied.
``train_loss[r, t]`` is the batch loss before update t (what a torch loop prints); the test loss
and accuracy (classification) are measured on the whole test set at the logged steps and after the
last update (``step = steps``).

**Diagnostics** at the logged steps (every ``log_every`` steps, and the last), per layer, on the
step's batch before its update: ``weight_std`` std(W_l); ``grad_std`` std(∂L/∂W_l); ``update_ratio``
‖ΔW_l‖/‖W_l‖ of the update that follows (every optimizer); ``update_data`` log₁₀(lr·std(∂L/∂W_l)/
std(W_l)) (Karpathy's update:data ratio for SGD; ≈ −3 is the usual guide); ``act_var`` Var(a^l);
``saturated`` (tanh, sigmoid: the fraction within 1 % of a rail) and ``dead`` (relu-like: units
zero on the whole batch), as :mod:`initviz.activations` defines them; ``distinct_units``, the number
of units of the layer that differ on the batch — units whose outputs agree on every sample to within
√ε·max|a^l| (ε the dtype's machine epsilon) count as one: rounding makes a GEMM's columns differ by
a few ε per operation, and a few thousand updates stay far below √ε, while units that a random init
made different differ by O(max|a^l|). Zero or constant init keeps ``distinct_units`` = 1 for the
whole run (the symmetry gradient descent never breaks).

**Histograms** at the chosen ``histogram_steps`` (each 0 … steps − 1, on the step's batch before its
update, like the diagnostics), per repeat and layer, of every entry of the weight gradient ∂L/∂W_l
(``"grad"``) and of the activations a^l on the batch (``"act"``): ``histogram_bins`` uniform bins over
common edges per (repeat, layer) shared by all the chosen steps — from the smallest to the largest
finite value of that layer over those steps (±0.5 around it when they are equal) — so the steps
compare bin for bin and the counts of a step are exactly ``np.histogram(values, bins, range=(lo,
hi))``: they add up to the layer's number of finite entries. The chosen steps' arrays of one repeat
are kept until it ends (at most :data:`MAX_HISTOGRAM_VALUES` values), then binned.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from dataclasses import dataclass, field

import numpy as np

from .activations import Activation, get_activation
from .errors import invalid, one_of
from .laws import as_dtype
from .limits import MAX_BATCH, MAX_BINS, MAX_SEEDS, check_float, check_int
from .losses import accuracy, loss_function
from .network import Network
from .optimizers import make_optimizer
from .parametrisation import Parametrisation
from .residual_training import ResidualModel
from .engine.run import STOPPED, draw_layer
from .rng import ROLE_DATA, stream
from .tasks import Task

MAX_STEPS = 100_000
"""Most optimizer steps in one call."""

LAYER_STATS = ("weight_std", "grad_std", "update_ratio", "update_data", "act_var", "saturated", "dead",
               "distinct_units")
"""Per-layer diagnostics at the logged steps (module docstring)."""

HISTOGRAMS = ("grad", "act")
"""What :meth:`TrainingResult.histogram_frame` bins: the weight gradients ∂L/∂W_l, the activations a^l."""
HISTOGRAM_BINS = 40
"""Bins per layer of a training histogram by default."""
MAX_HISTOGRAM_STEPS = 8
"""Most chosen histogram steps in one call."""
MAX_HISTOGRAM_VALUES = 2 ** 25
"""Most values one repeat keeps for its histograms: chosen steps × (Σ weights + batch × Σ widths)."""


@dataclass(frozen=True, eq=False)
class TrainingResult:
    """What :func:`train` measured. ``train_loss`` (n_seeds, steps) and ``test_loss``,
    ``test_accuracy`` (n_seeds, steps + 1; NaN where not logged or not a classification task);
    ``logged`` the step numbers of the diagnostics; ``layers[name]`` (n_seeds, len(logged), L weight layers);
    ``params`` each repeat's final [(W_l, b_l), …], one pair per weight layer, named by
    ``layer_labels`` (``layer l`` in an MLP; ``input``, ``block l W_j``, ``readout`` in a residual
    network: :mod:`initviz.residual_training`); NaN = absent (past a non-finite loss or the
    deadline). Histograms (module docstring) at ``histogram_steps`` (k,): ``hist_counts[kind]``
    (n_seeds, k, L, bins) int64 over ``hist_edges[kind]`` (n_seeds, L, bins + 1), for each kind of
    :data:`HISTOGRAMS`; ``hist_recorded`` (n_seeds, k) says which steps were reached."""

    net: Network
    task: str
    optimizer: str
    lr: float
    steps: int
    batch: int
    seed: int
    dtype: str
    n_seeds: int
    baseline: float
    chance: float
    train_loss: np.ndarray = field(repr=False)
    test_loss: np.ndarray = field(repr=False)
    test_accuracy: np.ndarray = field(repr=False)
    logged: np.ndarray = field(repr=False)
    layers: dict = field(repr=False)
    params: list = field(repr=False)
    histogram_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int), repr=False)
    hist_counts: dict = field(default_factory=dict, repr=False)
    hist_edges: dict = field(default_factory=dict, repr=False)
    hist_recorded: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool), repr=False)
    layer_labels: tuple = ()
    truncated: bool = False
    reason: str | None = None

    def to_frame(self):
        """pandas DataFrame, one row per (seed, step) for step 0 … steps: ``seed, step, train_loss,
        test_loss, test_accuracy`` (train_loss NaN at step = steps: no batch is drawn after the last update)."""
        import pandas as pd

        n, steps = self.n_seeds, self.steps
        train = np.concatenate([self.train_loss, np.full((n, 1), np.nan)], axis=1)
        return pd.DataFrame({"seed": np.repeat(np.arange(n), steps + 1), "step": np.tile(np.arange(steps + 1), n),
                             "train_loss": train.ravel(), "test_loss": self.test_loss.ravel(),
                             "test_accuracy": self.test_accuracy.ravel()})

    def layer_frame(self):
        """pandas DataFrame, one row per (seed, logged step, layer) with the layer's ``label`` and
        every :data:`LAYER_STATS`."""
        import pandas as pd

        n, k, depth = self.layers["weight_std"].shape
        return pd.DataFrame({"seed": np.repeat(np.arange(n), k * depth),
                             "step": np.tile(np.repeat(self.logged, depth), n),
                             "layer": np.tile(np.arange(1, depth + 1), n * k),
                             "label": np.tile(np.array(self.layer_labels, dtype=object), n * k),
                             **{name: self.layers[name].ravel() for name in LAYER_STATS}})

    def histogram_frame(self, which: str = "grad"):
        """pandas DataFrame, one row per (seed, histogram step, layer, bin) of the steps reached:
        ``seed, step, layer, bin_lo, bin_hi, count, density`` (density = count / (entries × bin
        width), entries the layer's finite values at that step) of ``which`` in :data:`HISTOGRAMS`."""
        import pandas as pd

        if which not in HISTOGRAMS:
            raise one_of("which", HISTOGRAMS, which)
        counts, edges = self.hist_counts.get(which), self.hist_edges.get(which)
        if counts is None:
            return pd.DataFrame({c: [] for c in ("seed", "step", "layer", "bin_lo", "bin_hi", "count", "density")})
        depth, bins = counts.shape[2:]
        seed, step = np.nonzero(self.hist_recorded)
        c = counts[seed, step]  # (rows, L, bins)
        e = edges[seed]  # (rows, L, bins + 1)
        entries = np.maximum(c.sum(axis=2, keepdims=True), 1)
        rows = len(seed) * depth
        return pd.DataFrame({"seed": np.repeat(seed, depth * bins),
                             "step": np.repeat(self.histogram_steps[step], depth * bins),
                             "layer": np.tile(np.repeat(np.arange(1, depth + 1), bins), len(seed)),
                             "bin_lo": e[..., :-1].reshape(rows * bins), "bin_hi": e[..., 1:].reshape(rows * bins),
                             "count": c.reshape(rows * bins),
                             "density": (c / (entries * np.diff(e, axis=2))).reshape(rows * bins)})


def _initial_params(net: Network, seed: int, rep: int, dt: np.dtype, biases: bool = True,
                    init_scales: tuple = ()) -> list[list[np.ndarray]]:
    """[W_l, b_l] of every weight layer of repeat ``rep``: propagation's draws for the same seed
    (:func:`draw_layer`; a residual network's :meth:`ResidualModel.draws`; b_l zero without a bias
    law, or without ``biases``), W_l times ``init_scales[l − 1]`` when given."""
    draws = (draw_layer(net, seed, rep, layer, dt) for layer in range(1, net.depth + 1)) if net.residual is None \
        else ResidualModel(net).draws(seed, rep, dt)
    params = []
    for i, (W, b) in enumerate(draws):
        if init_scales and init_scales[i] != 1.0:
            W *= dt.type(init_scales[i])
        params.append([W, b if biases and b is not None else np.zeros(W.shape[0], dt)])
    return params


def _layer_input(a: np.ndarray, layer: int, depth: int, alpha: float) -> np.ndarray:
    """What layer ``layer`` multiplies by W_lᵀ: a^{l−1}, times α at the last layer (when α ≠ 1)."""
    return a * a.dtype.type(alpha) if layer == depth and alpha != 1.0 else a


@functools.lru_cache(maxsize=256)
def _activation(name: str, param: float | None) -> Activation:
    """φ of a layer, validated once per (name, parameter) rather than at every step."""
    return get_activation(name, param)


def _delta(act: Activation, h: np.ndarray, g: np.ndarray) -> np.ndarray:
    """δ = g·φ′(h). For φ(x) = x (x > 0), a·x (x ≤ 0) — linear, relu, leaky_relu — the product is
    taken without materialising φ′ ∈ {1, a}: g·1 = g and g·a are the same products, bit for bit."""
    slope = act.leaky_slope
    if slope is None:
        return g * act.derivative(h)
    if slope == 1.0:
        return g
    if slope == 0.0:
        return g * (h > 0)  # the bool mask is 1 or 0 in g's dtype: g·1, g·0
    return np.where(h > 0, g, g * g.dtype.type(slope))


def _forward(net: Network, params, x: np.ndarray, alpha: float = 1.0) -> tuple[list, list]:
    """Pre-activations h^1..h^L and activations a^0..a^L of a batch (α: the output multiplier)."""
    pres, acts = [], [x]
    for layer, (W, b) in enumerate(params, start=1):
        h = _layer_input(acts[-1], layer, len(params), alpha) @ W.T
        h += b
        pres.append(h)
        acts.append(_activation(*net.activations[layer - 1])(h))
    return pres, acts


def _backward(net: Network, params, pres, acts, grad_out: np.ndarray, alpha: float = 1.0) -> list[list[np.ndarray]]:
    """[∂L/∂W_l, ∂L/∂b_l] for every layer from ∂L/∂a^L (α: the output multiplier)."""
    grads, g, depth = [None] * len(params), grad_out, len(params)
    for layer in range(depth, 0, -1):
        delta = _delta(_activation(*net.activations[layer - 1]), pres[layer - 1], g)
        grads[layer - 1] = [delta.T @ _layer_input(acts[layer - 1], layer, depth, alpha), delta.sum(axis=0)]
        if layer > 1:
            g = delta @ params[layer - 1][0]
            if layer == depth and alpha != 1.0:
                g *= g.dtype.type(alpha)
    return grads


class _MLPModel:
    """An MLP as :func:`train` trains it (module docstring), with the interface of
    :class:`~initviz.residual_training.ResidualModel`: its weight layers are its layers, their
    units the columns of a^l."""

    def __init__(self, net: Network, alpha: float = 1.0):
        self.net, self.alpha, self.shapes = net, alpha, net.shapes
        self.labels = tuple(f"layer {layer}" for layer in range(1, net.depth + 1))
        self.activations = tuple(_activation(*pair) for pair in net.activations)

    def forward(self, params, x: np.ndarray) -> tuple[list, list]:
        return _forward(self.net, params, x, self.alpha)

    @staticmethod
    def output(values) -> np.ndarray:
        return values[1][-1]

    @staticmethod
    def outputs(values) -> list:
        return values[1][1:]

    def backward(self, params, values, grad_out: np.ndarray) -> list[list[np.ndarray]]:
        return _backward(self.net, params, *values, grad_out, self.alpha)


def _model(net: Network, alpha: float = 1.0):
    """What :func:`train` trains: an :class:`_MLPModel` or a :class:`ResidualModel`."""
    return _MLPModel(net, alpha) if net.residual is None else ResidualModel(net, alpha)


def distinct_units(a: np.ndarray) -> int:
    """Units (columns of a batch of outputs) that differ by more than √ε·max|a| on some sample
    (module docstring): 1 when every unit computes the same function of the input."""
    scale = float(np.abs(a).max()) if a.size else 0.0
    if scale == 0.0 or not math.isfinite(scale):
        return 1 if scale == 0.0 else 0
    tol = math.sqrt(float(np.finfo(a.dtype).eps)) * scale
    if float(np.abs(a - a[:, :1]).max()) <= tol:
        return 1
    keys = np.round(a.astype(np.float64) / tol) + 0.0  # (+ 0.0: −0 and 0 are one key)
    return len({column.tobytes() for column in np.ascontiguousarray(keys.T)})


def _diagnose(activations, params, grads, outputs, stats: dict, rep: int, k: int, lr: float) -> None:
    """The per-layer diagnostics of one logged step, before its update (module docstring), from each
    weight layer's function ``activations[i]`` and ``outputs[i]``."""
    for i, ((W, _), (gW, _), a, act) in enumerate(zip(params, grads, outputs, activations)):
        w_std, g_std = float(W.std(dtype=np.float64)), float(gW.std(dtype=np.float64))
        stats["weight_std"][rep, k, i], stats["grad_std"][rep, k, i] = w_std, g_std
        if lr > 0 and w_std > 0 and g_std > 0:  # (log₁₀ 0 is −∞: NaN, as for a zero W)
            stats["update_data"][rep, k, i] = math.log10(lr * g_std / w_std)
        stats["act_var"][rep, k, i] = float(a.var(dtype=np.float64))
        if act.rails is not None:
            stats["saturated"][rep, k, i] = act.saturated_fraction(a)
        if act.has_dead_units:
            stats["dead"][rep, k, i] = 1.0 - float((a != 0).any(axis=0).mean())
        stats["distinct_units"][rep, k, i] = distinct_units(a)


def _check(net, task, steps, batch, n_seeds, log_every, seed):
    if not isinstance(net, Network):
        raise invalid("net", "be an initviz Network (see Network.mlp)", type(net).__name__)
    if not isinstance(task, Task):
        raise invalid("task", "be an initviz.tasks.Task (see initviz.tasks.get_task)", type(task).__name__)
    if net.residual is None and net.norm != "none":
        raise invalid("net", "be a plain MLP (norm 'none') or a residual network: train() does not normalise "
                      "an MLP", net.norm)
    inputs, outputs = net.io_dims
    mlp, n = net.residual is None, net.input_dim
    if inputs != task.in_dim:
        where = "input_dim" if mlp else f"residual_net's in_features: an input layer to the stream's {n} units"
        raise invalid("net", f"take the task's {task.in_dim} inputs ({where})", inputs)
    if outputs != task.out_dim:
        where = "last width" if mlp else f"residual_net's out_features: a readout from the stream's {n} units"
        raise invalid("net", f"end in the task's {task.out_dim} outputs ({where})", outputs)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise invalid("seed", "be a non-negative int", seed)
    steps = check_int("steps", steps, 1, MAX_STEPS)
    batch = check_int("batch", batch, 1, min(MAX_BATCH, task.x_train.shape[0]))
    return steps, batch, check_int("n_seeds", n_seeds, 1, MAX_SEEDS), check_int("log_every", log_every, 1, steps)


def _check_histograms(shapes, steps: int, batch: int, histogram_steps, bins) -> tuple[np.ndarray, int]:
    """The chosen histogram steps, sorted and distinct, each in 0 … steps − 1, and the bins."""
    try:
        chosen = sorted({check_int("histogram_steps", t, 0, steps - 1) for t in histogram_steps})
    except TypeError:
        raise invalid("histogram_steps", "be a sequence of step numbers", histogram_steps) from None
    if len(chosen) > MAX_HISTOGRAM_STEPS:
        raise invalid("histogram_steps", f"hold at most {MAX_HISTOGRAM_STEPS} steps", len(chosen))
    kept = len(chosen) * sum(out * fan_in + batch * out for out, fan_in in shapes)
    if kept > MAX_HISTOGRAM_VALUES:
        raise invalid("histogram_steps", f"keep at most {MAX_HISTOGRAM_VALUES:,} values (steps × (Σ weights + "
                      "batch × Σ widths)): choose fewer steps", f"{kept:,}")
    return np.array(chosen, dtype=int), check_int("histogram_bins", bins, 1, MAX_BINS)


def train(net: Network, task: Task, optimizer: str = "sgd", lr: float = 0.1, momentum: float = 0.0,
          weight_decay: float | None = None, steps: int = 100, batch: int = 64, seed: int = 0, dtype="float32",
          n_seeds: int = 1, log_every: int = 1, biases: bool = True, optimizer_options: dict | None = None,
          deadline: float | None = None, parametrisation: Parametrisation | None = None,
          progress=None, histogram_steps=(), histogram_bins: int = HISTOGRAM_BINS) -> TrainingResult:
    """Train ``n_seeds`` fresh draws of ``net`` on ``task`` for ``steps`` optimizer steps (module
    docstring). ``optimizer`` is one of :data:`initviz.optimizers.OPTIMIZERS` with torch's defaults
    (``weight_decay`` None: 0, AdamW 0.01); ``optimizer_options`` its other arguments (``nesterov``,
    ``dampening``, ``betas``, ``eps``); ``deadline`` seconds, checked between steps, returns what
    was done with ``truncated=True``; ``parametrisation`` (:func:`initviz.parametrisation.parametrise`)
    scales the init, the per-layer learning rates and the output (module docstring);
    ``histogram_steps`` (at most :data:`MAX_HISTOGRAM_STEPS` steps) are binned in ``histogram_bins``
    bins (:meth:`TrainingResult.histogram_frame`). ``progress`` (a
    callable, or None) is called before each step as ``progress(done, total, partial)`` — ``done``
    steps finished of ``total`` = n_seeds·steps, increasing, then ``(total, total, partial)`` once at
    the end of a run that was not stopped (a repeat stopped by a non-finite loss skips its remaining
    steps) — where ``partial()`` returns the result so far (truncated, without the weights); when it
    returns True the run stops there as at its deadline.

    >>> import initviz as iv
    >>> task = iv.tasks.get_task("spirals", n=200)
    >>> net = iv.Network.mlp(2, [16, 2], "tanh", "xavier_normal", layer_activations={2: "linear"})
    >>> iv.train(net, task, steps=5, batch=20).train_loss.shape
    (1, 5)
    """
    steps, batch, n_seeds, log_every = _check(net, task, steps, batch, n_seeds, log_every, seed)
    dt = as_dtype(dtype)
    lr = check_float("lr", lr, 0.0)
    if not isinstance(biases, bool):
        raise invalid("biases", "be True or False", biases)
    if deadline is not None:
        deadline = check_float("deadline", deadline, 0.0)
    options = dict(optimizer_options or {})
    shapes = _model(net).shapes  # every weight layer's (its residual input layer and readout too)
    if parametrisation is not None:
        layers = len(shapes)
        if not isinstance(parametrisation, Parametrisation) or parametrisation.depth != layers:
            raise invalid("parametrisation", f"be an initviz Parametrisation of {layers} weight layers "
                          "(see parametrise)", parametrisation)
        options["lr_scales"] = parametrisation.param_lr_scales(biases)
        options["weight_decay_scales"] = parametrisation.param_weight_decay_scales(biases)
    make_optimizer(optimizer, lr, momentum, weight_decay, **options)  # validate once, early
    if progress is not None and not callable(progress):
        raise invalid("progress", "be a callable progress(done, total, partial) or None", progress)
    logged = np.array(sorted(set(range(0, steps, log_every)) | {steps - 1}))
    hsteps, bins = _check_histograms(shapes, steps, batch, histogram_steps, histogram_bins)
    run = _Training(net, task, dt, steps, batch, seed, n_seeds, logged, parametrisation, progress, optimizer, lr,
                    hsteps, bins)
    t_end = None if deadline is None else time.monotonic() + deadline
    for rep in range(n_seeds):
        opt = make_optimizer(optimizer, lr, momentum, weight_decay, **options)
        if not run.repeat(rep, opt, lr, biases, t_end):
            break
    else:
        if progress is not None:
            progress(n_seeds * steps, n_seeds * steps, run.snapshot(final=True))
    return run.result()


class _Training:
    """The state of one :func:`train` call: the task's arrays in the run's dtype and the records."""

    def __init__(self, net, task, dt, steps, batch, seed, n_seeds, logged, parametrisation=None, progress=None,
                 optimizer: str = "sgd", lr: float = 0.1, histogram_steps=np.zeros(0, dtype=int),
                 bins: int = HISTOGRAM_BINS):
        self.net, self.task, self.dt, self.steps, self.batch, self.seed = net, task, dt, steps, batch, seed
        self.n_seeds, self.logged_steps, self.progress = n_seeds, logged, progress
        self.optimizer, self.lr = optimizer, lr
        self.init_scales = () if parametrisation is None else parametrisation.init_scales
        self.alpha = 1.0 if parametrisation is None else parametrisation.output_multiplier
        self.model = _model(net, self.alpha)
        self.loss = loss_function(task.loss)
        self.classify = task.loss == "cross_entropy"
        self.x, self.x_test = task.x_train.astype(dt), task.x_test.astype(dt)
        self.y, self.y_test = (task.y_train, task.y_test) if self.classify else \
            (task.y_train.astype(dt), task.y_test.astype(dt))
        self.logged = {int(s): k for k, s in enumerate(logged)}
        self.train_loss = np.full((n_seeds, steps), np.nan)
        self.test_loss = np.full((n_seeds, steps + 1), np.nan)
        self.test_accuracy = np.full((n_seeds, steps + 1), np.nan)
        depth = len(self.model.shapes)
        self.stats = {name: np.full((n_seeds, len(logged), depth), np.nan) for name in LAYER_STATS}
        self.params, self.truncated, self.reason = [], False, None
        self.histogram_steps, self.bins = {int(s): k for k, s in enumerate(histogram_steps)}, bins
        k = len(histogram_steps)
        self.hist_counts = {q: np.zeros((n_seeds, k, depth, bins), dtype=np.int64) for q in HISTOGRAMS} if k else {}
        self.hist_edges = {q: np.full((n_seeds, depth, bins + 1), np.nan) for q in HISTOGRAMS} if k else {}
        self.hist_recorded = np.zeros((n_seeds, k), dtype=bool)

    def bin_histograms(self, rep: int, kept: dict) -> None:
        """Bin the arrays kept at the chosen steps of repeat ``rep`` (``kept[kind][k]``: one array per
        layer, or absent) over common edges per layer (module docstring)."""
        for q in self.hist_counts:
            steps = [k for k in range(len(self.histogram_steps)) if k in kept[q]]
            for i in range(len(self.model.shapes)):
                values = [kept[q][k][i][np.isfinite(kept[q][k][i])] for k in steps]
                sizes = [v for v in values if v.size]
                lo = min((float(v.min()) for v in sizes), default=0.0)
                hi = max((float(v.max()) for v in sizes), default=0.0)
                for k, v in zip(steps, values):  # the edges are numpy's, in the values' dtype: the same at every step
                    self.hist_counts[q][rep, k, i], self.hist_edges[q][rep, i] = np.histogram(v, self.bins,
                                                                                              range=(lo, hi))
        for k in kept["grad"]:
            self.hist_recorded[rep, k] = True

    def result(self, params: list | None = None) -> TrainingResult:
        """The records as a :class:`TrainingResult` (``params``: the weights kept, default all)."""
        return TrainingResult(net=self.net, task=self.task.name, optimizer=self.optimizer, lr=self.lr, steps=self.steps,
                              batch=self.batch, seed=self.seed, dtype=self.dt.name, n_seeds=self.n_seeds,
                              baseline=self.task.baseline, chance=self.task.chance, train_loss=self.train_loss,
                              test_loss=self.test_loss, test_accuracy=self.test_accuracy, logged=self.logged_steps,
                              layers=self.stats, params=self.params if params is None else params,
                              histogram_steps=np.array(sorted(self.histogram_steps), dtype=int),
                              hist_counts=self.hist_counts, hist_edges=self.hist_edges,
                              hist_recorded=self.hist_recorded, layer_labels=self.model.labels,
                              truncated=self.truncated, reason=self.reason)

    def snapshot(self, final: bool = False):
        """``partial`` of a progress report: a function giving a copy of the records so far, without
        the weights, truncated unless ``final``."""
        def partial() -> TrainingResult:
            return dataclasses.replace(
                self.result(params=[]), train_loss=self.train_loss.copy(), test_loss=self.test_loss.copy(),
                test_accuracy=self.test_accuracy.copy(), layers={k: v.copy() for k, v in self.stats.items()},
                hist_counts={k: v.copy() for k, v in self.hist_counts.items()},
                hist_edges={k: v.copy() for k, v in self.hist_edges.items()}, hist_recorded=self.hist_recorded.copy(),
                truncated=self.truncated or not final)
        return partial

    def batches(self, rep: int):
        """Index arrays of the steps of repeat ``rep``: epochs of a seeded permutation, drop_last."""
        n, epoch = self.x.shape[0], 0
        while True:
            order = stream(self.seed, rep, ROLE_DATA, epoch).permutation(n)
            for start in range(0, n - self.batch + 1, self.batch):
                yield order[start:start + self.batch]
            epoch += 1

    def evaluate(self, rep: int, t: int, params) -> None:
        z = self.model.output(self.model.forward(params, self.x_test))
        self.test_loss[rep, t] = self.loss(z, self.y_test)[0]
        if self.classify:
            self.test_accuracy[rep, t] = accuracy(z, self.y_test)

    def repeat(self, rep: int, opt, lr: float, biases: bool, t_end) -> bool:
        """Train repeat ``rep``; False when the deadline (or a ``progress`` asking to stop) stopped it."""
        params = _initial_params(self.net, self.seed, rep, self.dt, biases, self.init_scales)
        flat = [p for pair in params for p in (pair if biases else pair[:1])]
        kept = {q: {} for q in HISTOGRAMS}
        for t, idx in zip(range(self.steps), self.batches(rep)):
            if t_end is not None and time.monotonic() > t_end:
                self.truncated, self.reason = True, f"deadline reached at repeat {rep}, step {t}"
                self.params.append(params)
                self.bin_histograms(rep, kept)
                return False
            if self.progress is not None and self.progress(rep * self.steps + t, self.n_seeds * self.steps,
                                                           self.snapshot()):
                self.truncated, self.reason = True, f"{STOPPED} at repeat {rep}, step {t}"
                self.params.append(params)
                return False
            values = self.model.forward(params, self.x[idx])
            loss, grad_out = self.loss(self.model.output(values), self.y[idx])
            self.train_loss[rep, t] = loss
            if not math.isfinite(loss):
                break
            grads = self.model.backward(params, values, grad_out)
            h = self.histogram_steps.get(t)
            if h is not None:
                kept["grad"][h] = [gW.copy() for gW, _ in grads]
                kept["act"][h] = [a.copy() for a in self.model.outputs(values)]
            k = self.logged.get(t)
            if k is not None:
                self.evaluate(rep, t, params)
                _diagnose(self.model.activations, params, grads, self.model.outputs(values), self.stats, rep, k, lr)
                before = [W.copy() for W, _ in params]
            opt.step(flat, [g for pair in grads for g in (pair if biases else pair[:1])])
            if k is not None:
                for i, (W0, (W, _)) in enumerate(zip(before, params)):
                    norm = float(np.linalg.norm(W0))
                    if norm > 0:
                        self.stats["update_ratio"][rep, k, i] = float(np.linalg.norm(W - W0)) / norm
        else:
            self.evaluate(rep, self.steps, params)
        self.params.append(params)
        self.bin_histograms(rep, kept)
        return True


__all__ = ["train", "TrainingResult", "LAYER_STATS", "HISTOGRAMS", "HISTOGRAM_BINS", "MAX_HISTOGRAM_STEPS",
           "MAX_HISTOGRAM_VALUES", "distinct_units"]
