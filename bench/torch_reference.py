"""The PyTorch notebook a competent user would write instead of initviz — the bench's reference.

Runs under any interpreter that has torch (not the project venv): ``make bench`` starts it as a
subprocess (``bench.run.torch_python``) and asks it to time one call at a time (:func:`serve`),
alternating with initviz's calls.

Propagation (:func:`build_model` + :func:`layer_statistics`): an ``nn.Sequential`` of
``nn.Linear(n, n, bias=False)`` + ``nn.Tanh()`` initialised with ``nn.init.xavier_normal_(weight,
gain=calculate_gain("tanh"))``; forward hooks keep every pre-activation h^l (Linear outputs) and
activation a^l (Tanh outputs) with ``retain_grad()``; ``out.backward(g)`` with g ~ N(0, I) is the
probe loss L = Σ_b ⟨g_b, a^L_b⟩; autograd fills ∂L/∂h^l, ∂L/∂a^l and ∂L/∂W_l. Per layer it reports
the population (ddof 0) mean and variance of h^l and a^l, mean over samples of ‖a^l‖/‖x‖, and the
variances of ∂L/∂h^l, ∂L/∂a^l and ∂L/∂W_l — the statistics initviz calls ``preact_mean``,
``preact_var``, ``act_mean``, ``act_var``, ``norm_ratio``, ``grad_var``, ``grad_act_var`` and
``grad_w_var``. One timed run is what the user re-runs after changing a setting: build and
initialise the model (``nn.Linear``'s constructor first draws its own default init, as it does in
every notebook), draw x and g, forward, backward, statistics. float32, torch's default threads.

Geometry (:func:`gram_sweep`): for each i.i.d. distribution and n, the same number of matrices as
initviz draws; W (n×n, realised entry variance 1/n) from ``nn.init.normal_``/``uniform_``, ±1/√n
signs, or ``nn.init.trunc_normal_`` with parent std σ and cut points ±2σ rescaled so that the
truncated law has variance 1/n (:meth:`bench.workloads.GeometrySweep.trunc_normal_std`, initviz's
``law_with_variance("trunc_normal", 1/n)``); G = W.T @ W, D = G − I; the mean of D² over all
entries, over the diagonal and off it, and ‖G − I‖₂ = max|eigvalsh(G) − 1|.

Training (:func:`train_view`): the default Training view (:data:`bench.workloads.TRAINING`) as a
notebook trains it — per scheme and seed an ``nn.Sequential`` of ``nn.Linear`` + ``nn.ReLU`` with a
linear output layer, initialised by ``nn.init`` (``kaiming_normal_`` with its defaults,
``xavier_uniform_`` for Keras's Glorot uniform, the constructor's own for torch_default,
``zeros_``; biases zero, as the page's), ``torch.optim.SGD``, ``F.cross_entropy`` on batches of a
``torch.randperm`` per epoch (drop_last), ``loss.item()`` every step, and at the logged steps the
test set's loss and accuracy and per layer std(W), std(∂L/∂W) and ‖ΔW‖/‖W‖ (what initviz logs; initviz
also logs the activation variance, dead units, distinct units and two histograms, which the notebook
does not). The digits come from ``initviz.tasks`` (numpy only), loaded once outside the timing.

Command line::

    python -m bench.torch_reference serve [--threads N]   # timing requests as JSON lines (:func:`serve`)
    python -m bench.torch_reference stats A.npz [B.npz …]   # injected x, W_1..W_L, g → statistics

``stats`` reads ``x`` (B, n_0), ``probe`` (B, n_L), ``W1`` … ``WL`` (torch layout) and
``activation`` from each .npz, runs :func:`layer_statistics` in the arrays' dtype and prints
``{"cases": [[{statistic: value, …} per layer], …]}`` in the order given — the equivalence test
compares it with initviz.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import sys
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .workloads import GEOMETRY, SEED, TRAINING, TRAINING_VIEWS, WORKLOADS, GeometrySweep, TrainingView, Workload

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "linear": nn.Identity}
"""Activation modules the notebook knows (what the equivalence test may ask for)."""

STATS = ("preact_mean", "preact_var", "act_mean", "act_var", "norm_ratio", "grad_var", "grad_act_var",
         "grad_w_var")
"""Per-layer statistics of :func:`layer_statistics`, named as in ``initviz.propagation``."""


# --- the notebook: propagation -------------------------------------------------------------------

def build_model(shapes, activation: str, init_weight, dtype=torch.float32) -> nn.Sequential:
    """Linear (no bias) + activation per layer; ``init_weight(linear, layer_index)`` initialises
    each weight in place (torch layout (n_out, n_in))."""
    layers = []
    for index, (n_out, n_in) in enumerate(shapes):
        linear = nn.Linear(n_in, n_out, bias=False, dtype=dtype)
        init_weight(linear, index)
        layers += [linear, ACTIVATIONS[activation]()]
    return nn.Sequential(*layers)


def layer_statistics(model: nn.Sequential, x: torch.Tensor, probe: torch.Tensor) -> list[dict]:
    """Forward with hooks, backward of L = Σ⟨probe, output⟩, one dict of :data:`STATS` per layer."""
    pre, post = [], []

    def keep(store):
        def hook(module, inputs, output):
            output.retain_grad()
            store.append(output)
        return hook

    handles = [m.register_forward_hook(keep(pre if isinstance(m, nn.Linear) else post)) for m in model]
    out = model(x)
    out.backward(probe)
    for handle in handles:
        handle.remove()
    linears = [m for m in model if isinstance(m, nn.Linear)]
    x_norm = x.norm(dim=1)
    rows = []
    with torch.no_grad():
        for h, a, linear in zip(pre, post, linears):
            rows.append({
                "preact_mean": h.mean().item(), "preact_var": h.var(unbiased=False).item(),
                "act_mean": a.mean().item(), "act_var": a.var(unbiased=False).item(),
                "norm_ratio": (a.norm(dim=1) / x_norm).mean().item(),
                "grad_var": h.grad.var(unbiased=False).item(), "grad_act_var": a.grad.var(unbiased=False).item(),
                "grad_w_var": linear.weight.grad.var(unbiased=False).item(),
            })
    return rows


def notebook_model(w: Workload) -> nn.Sequential:
    """The notebook's model for workload ``w``, built and initialised."""
    gain = dict(w.init_params)["gain"]

    def init_weight(linear, index):
        nn.init.xavier_normal_(linear.weight, gain=gain)

    return build_model([(w.width, w.width)] * w.depth, w.activation, init_weight)


def notebook_run(w: Workload) -> list[dict]:
    """One run of workload ``w`` as the notebook does it (model built and initialised afresh)."""
    model = notebook_model(w)
    x = torch.randn(w.batch, w.width)
    probe = torch.randn(w.batch, w.width)
    return layer_statistics(model, x, probe)


# --- the notebook: geometry --------------------------------------------------------------------

def sample_square(kind: str, n: int, sweep: GeometrySweep = GEOMETRY) -> torch.Tensor:
    """An n×n W with i.i.d. entries of realised variance 1/n."""
    w = torch.empty(n, n)
    std = 1.0 / math.sqrt(n)
    if kind == "normal":
        return nn.init.normal_(w, 0.0, std)
    if kind == "uniform":
        return nn.init.uniform_(w, -math.sqrt(3.0) * std, math.sqrt(3.0) * std)
    if kind == "rademacher":
        return (torch.randint(0, 2, (n, n)) * 2 - 1).float() * std
    if kind == "trunc_normal":
        sigma = sweep.trunc_normal_std(n)
        return nn.init.trunc_normal_(w, 0.0, sigma, -sweep.trunc_cut * sigma, sweep.trunc_cut * sigma)
    raise ValueError(f"kind must be one of normal, uniform, rademacher, trunc_normal; got {kind!r}")


def gram_sweep(sweep: GeometrySweep) -> list[dict]:
    """Deviation of WᵀW from I for every (kind, n), averaged over ``sweep.repeats(n)`` matrices."""
    rows = []
    for kind in sweep.kinds:
        for n in sweep.dims:
            values = []
            for _ in range(sweep.repeats(n)):
                w = sample_square(kind, n, sweep)
                g = w.T @ w
                d = g - torch.eye(n)
                d2 = d.square()
                diag = d2.diagonal().sum().item()
                eig = torch.linalg.eigvalsh(g)
                values.append((d2.mean().item(), diag / n, (d2.sum().item() - diag) / max(n * (n - 1), 1),
                               max(abs(eig[-1].item() - 1.0), abs(eig[0].item() - 1.0))))
            means = np.mean(values, axis=0)
            rows.append({"kind": kind, "n": n, "repeats": len(values), **dict(zip(sweep.stats, map(float, means)))})
    return rows


# --- the notebook: training -------------------------------------------------------------------

INITS = {"kaiming_normal": lambda w: nn.init.kaiming_normal_(w), "keras_glorot_uniform": nn.init.xavier_uniform_,
         "torch_default": lambda w: w, "zeros": nn.init.zeros_}
"""How the notebook initialises a weight for each scheme of the view (torch_default: nn.Linear's own)."""


@functools.cache
def digits() -> tuple[torch.Tensor, ...]:
    """The digits' training and test inputs (float32) and labels (int64), as initviz ships them."""
    from initviz import tasks
    task = tasks.digits()
    return (torch.from_numpy(task.x_train.astype(np.float32)), torch.from_numpy(task.y_train.astype(np.int64)),
            torch.from_numpy(task.x_test.astype(np.float32)), torch.from_numpy(task.y_test.astype(np.int64)))


def train_one(view: TrainingView, scheme: str, seed: int) -> dict:
    """One network of the view trained as a notebook does (module docstring)."""
    x, y, x_test, y_test = digits()
    torch.manual_seed(seed)
    dims = [x.shape[1]] + [view.width] * view.depth + [10]
    layers = []
    for i, (n_in, n_out) in enumerate(zip(dims, dims[1:])):
        linear = nn.Linear(n_in, n_out)
        with torch.no_grad():
            INITS[scheme](linear.weight)
            linear.bias.zero_()
        layers += [linear, nn.ReLU()] if i < view.depth else [linear]
    model = nn.Sequential(*layers)
    linears = [m for m in model if isinstance(m, nn.Linear)]
    opt = torch.optim.SGD(model.parameters(), lr=view.lr, momentum=view.momentum)
    losses, logged, order, pos = [], [], torch.randperm(x.shape[0]), 0
    for t in range(view.steps):
        if pos + view.batch > x.shape[0]:
            order, pos = torch.randperm(x.shape[0]), 0
        idx = order[pos:pos + view.batch]
        pos += view.batch
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        losses.append(loss.item())
        log = t % view.log_every == 0 or t == view.steps - 1
        if log:
            with torch.no_grad():
                out = model(x_test)
                entry = {"step": t, "test_loss": F.cross_entropy(out, y_test).item(),
                         "accuracy": (out.argmax(1) == y_test).float().mean().item(),
                         "weight_std": [m.weight.std().item() for m in linears],
                         "grad_std": [m.weight.grad.std().item() for m in linears]}
                before = [m.weight.detach().clone() for m in linears]
        opt.step()
        if log:
            with torch.no_grad():
                entry["update_ratio"] = [((m.weight - w0).norm() / w0.norm()).item() for m, w0 in zip(linears, before)]
            logged.append(entry)
    return {"losses": losses, "logged": logged}


def train_view(view: TrainingView = TRAINING) -> list[dict]:
    """Every network of the view, one after another, as a notebook's loop over schemes and seeds."""
    return [train_one(view, scheme, seed) for scheme in view.schemes for seed in range(view.n_seeds)]


# --- command line ---------------------------------------------------------------------------------

OPS = {"run": lambda name: gram_sweep(GEOMETRY) if name == GEOMETRY.name else
       train_view(TRAINING_VIEWS[name]) if name in TRAINING_VIEWS else notebook_run(WORKLOADS[name]),
       "build": lambda name: notebook_model(WORKLOADS[name])}
"""What ``serve`` can time: a whole run of a workload (or the sweep, or the training view), or
building a workload's model alone."""


def serve(requests, replies, threads: int | None = None) -> None:
    """Answer timing requests, one JSON object per line: first a greeting ``{"torch", "threads",
    "python"}``, then for each ``{"op": "run" | "build", "name": <workload>}`` the seconds of one
    call, ``{"seconds": s}`` (or ``{"error": message}``), until the input ends. The caller
    alternates these calls with initviz's, so both see the same load on a shared machine.
    ``threads`` sets torch's intra-op threads (default: torch's own choice, one per core)."""
    torch.manual_seed(SEED)
    if threads:
        torch.set_num_threads(threads)

    def reply(obj):
        replies.write(json.dumps(obj) + "\n")
        replies.flush()

    reply({"torch": torch.__version__, "threads": torch.get_num_threads(), "python": sys.version.split()[0]})
    for line in requests:
        try:
            request = json.loads(line)
            op = OPS[request["op"]]
            start = time.perf_counter()
            op(request["name"])
            reply({"seconds": time.perf_counter() - start})
        except Exception as exc:  # noqa: BLE001 — reported to the caller, who shows it in the table
            reply({"error": f"{type(exc).__name__}: {exc}"})


def _stats(paths: list[str]) -> dict:
    return {"torch": torch.__version__, "cases": [_case_stats(path) for path in paths]}


def _case_stats(path: str) -> list[dict]:
    arrays = np.load(path)
    depth = sum(1 for key in arrays.files if key.startswith("W"))
    weights = [arrays[f"W{layer}"] for layer in range(1, depth + 1)]
    dtype = torch.float64 if weights[0].dtype == np.float64 else torch.float32

    def init_weight(linear, index):
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weights[index]))

    model = build_model([w.shape for w in weights], str(arrays["activation"]), init_weight, dtype)
    return layer_statistics(model, torch.from_numpy(arrays["x"]), torch.from_numpy(arrays["probe"]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.torch_reference", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serving = sub.add_parser("serve", help="time notebook calls on request (JSON lines on stdin/stdout)")
    serving.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    stats = sub.add_parser("stats", help="statistics of injected arrays (.npz files); JSON on stdout")
    stats.add_argument("arrays", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(sys.stdin, sys.stdout, args.threads)
        return 0
    json.dump(_stats(args.arrays), sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
