"""Write tests/fixtures/torch_mup_reference.json: the μP coordinate check computed by torch.

Run with a Python that has torch 2.13 (torch is never a dependency of initviz or of its tests), from
the repository root:

    python scripts/make_torch_mup_fixture.py

For every case and width the script takes from initviz only what it documents as inputs — the task's
arrays, the fixed batch (:func:`initviz.coordcheck.fixed_batch`) and each repeat's raw weight draws
(the streams of :func:`initviz.train`) — and writes the μP rules out by hand in torch (not the mup
package, nor initviz's parametrisation): width multiplier m = n/BASE; the output layer reads
α·a with α = 1/m (mup's ``MuReadout``) and starts at zero or at √m times its draw; one parameter group
per layer with learning rate η·s and weight decay λ/s, s = (m, 1, m) for SGD (``MuSGD``: input
fan_out, hidden m_out/m_in, readout m_in) and (1, 1/m, 1) for Adam/AdamW (``MuAdam``). It trains the
bias-free tanh MLP in float64 on the batch repeated and records, by torch, each ``nn.Linear``'s output
statistics at steps 0…STEPS: mean |x|, rms and rms of the change since step 0.
``tests/test_mup_torch.py`` requires :func:`initviz.coord_check` to agree to 1e-9 relative.

It also trains, as :func:`initviz.train` with a μP :class:`~initviz.Parametrisation` does, the same
family *with biases* (N(0, 0.1²)) on initviz's batches: SGD with momentum and weight decay, and Adam
with weight decay, one group per weight and per bias (biases of width-sized layers at η·m under
SGD), recording every batch loss, the final biases and the first rows of the final weights; and the
same for one residual network (:data:`RESIDUAL_NETWORK`, pre-LayerNorm blocks whose branch has 2n
hidden units, an input layer and a readout: the model of ``make_torch_training_fixture.Residual``)
with μP's rules for its weight layers written out by hand in :func:`residual_rules`.

Finally the coordinate check of two residual families (:data:`RESIDUAL_CHECKS`: input layer, 2 pre- or
post-LayerNorm blocks whose branch is Linear(n, 2n) → tanh → Linear(2n, n), readout; no biases), as
mup measures it: a forward hook on every ``nn.Linear`` records its output; the same μP rules by hand.
"""

from __future__ import annotations

import json
import math
import pathlib
import sys

import numpy as np
import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import initviz as iv  # noqa: E402  (the repository's initviz, numpy only)
from initviz import coordcheck, training  # noqa: E402
from make_torch_training_fixture import Residual  # noqa: E402  (this directory: the residual model in torch)

OUT = ROOT / "tests" / "fixtures" / "torch_mup_reference.json"
WIDTHS, STEPS, SEEDS, BASE, BATCH, SEED = (128, 256, 512), 3, 2, 128, 32, 5
TASK = ("mixture", {"n": 200, "classes": 4, "dim": 16, "seed": 2})
CASES = [  # name, optimizer, lr, weight decay, readout zero
    ("sgd-readout-drawn", "sgd", 0.1, 0.0, False),
    ("adam-readout-zero", "adam", 1e-3, 0.0, True),
    ("adamw-decay-readout-drawn", "adamw", 1e-2, 0.1, False),
]
DEPTH = 3


def mup_rules(optimizer: str, m: float) -> list[float]:
    """Learning-rate multipliers of (input, hidden, output) weights, by hand from MuSGD / MuAdam."""
    return [m, 1.0, m] if optimizer == "sgd" else [1.0, 1.0 / m, 1.0]


def initial_linears(net, rep: int, m: float, readout_zero: bool) -> list:
    """Bias-free nn.Linear layers holding initviz's float64 draws of repeat ``rep`` (the coordinate check
    draws no biases), the readout × √m (μP's readout from a standard draw) or zeroed."""
    draws = training._initial_params(net, SEED, rep, np.dtype("float64"), False)
    layers = []
    for layer, (W, _) in enumerate(draws, start=1):
        linear = nn.Linear(W.shape[1], W.shape[0], bias=False).double()
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            if layer == len(draws):
                linear.weight.mul_(0.0 if readout_zero else math.sqrt(m))
        layers.append(linear)
    return layers


def torch_case(case, task, idx) -> dict:
    name, opt_name, lr, wd, readout_zero = case
    x = torch.from_numpy(task.x_train[idx])
    y = torch.from_numpy(task.y_train[idx])
    out = {"name": name, "optimizer": opt_name, "lr": lr, "weight_decay": wd, "readout_zero": readout_zero,
           "widths": {}}
    for width in WIDTHS:
        m = width / BASE
        alpha = 1.0 / m
        net = coordcheck.width_family(task, width, DEPTH)
        runs = []
        for rep in range(SEEDS):
            layers = initial_linears(net, rep, m, readout_zero)
            scales = mup_rules(opt_name, m)
            groups = [{"params": [lin.weight], "lr": lr * s, "weight_decay": wd / s} for lin, s in zip(layers, scales)]
            optimizer = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[opt_name](
                groups, lr=lr)

            def forward(layers=layers, alpha=alpha):
                h1 = layers[0](x)
                h2 = layers[1](torch.tanh(h1))
                h3 = layers[2](alpha * torch.tanh(h2))
                return [h1.detach().clone(), h2.detach().clone(), h3.detach().clone()], h3

            runs.append(recorded_steps(forward, optimizer, y))
        out["widths"][str(width)] = runs
    return out


def recorded_steps(forward, optimizer, y) -> list:
    """The coordinate statistics of steps 0 … STEPS: ``forward()`` gives (the layers' outputs, the
    logits); between them one optimizer step on the cross-entropy."""
    hs = []
    for t in range(STEPS + 1):
        outputs, logits = forward()
        hs.append(outputs)
        if t == STEPS:
            break
        optimizer.zero_grad()
        nn.functional.cross_entropy(logits, y).backward()
        optimizer.step()
    return coordinate_statistics(hs)


def coordinate_statistics(hs: list) -> list:
    """Per step and layer: mean |h|, rms h and the rms of h − h at step 0 (initviz's coord_check statistics)."""
    return [[{"mean_abs": h.abs().mean().item(), "rms": h.square().mean().sqrt().item(),
              "delta_rms": (h - h0).square().mean().sqrt().item()}
             for h, h0 in zip(step, hs[0])] for step in hs]


TRAIN_CASES = [  # name, optimizer, lr, optimizer kwargs (momentum, weight decay)
    ("train-sgd-momentum-biases", "sgd", 0.05, {"momentum": 0.9, "weight_decay": 1e-3}),
    ("train-adam-biases", "adam", 3e-3, {"weight_decay": 1e-3}),
]
TRAIN_WIDTHS, TRAIN_STEPS, TRAIN_BATCH = (128, 256), 12, 16
ROWS = 4  # the first rows of each final weight matrix are kept (the whole of them would be megabytes)


def bias_rules(optimizer: str, m: float) -> list[float]:
    """Learning-rate multipliers of (input, hidden, output) biases, by hand: MuSGD scales the vector-like
    (width-sized) biases by m, the output bias (classes-sized) not at all; MuAdam none."""
    return [m, m, 1.0] if optimizer == "sgd" else [1.0, 1.0, 1.0]


RESIDUAL_NETWORK = {"depth": 1, "activation": "tanh", "init": "kaiming_normal",
                    "init_params": {"nonlinearity": "linear"}, "norm": "layernorm", "placement": "pre", "bias": "normal", "bias_value": 0.1}
"""The residual network of the μP training cases: width n, branch hidden 2n (``residual_net`` arguments)."""


def residual_rules(optimizer: str, m: float, depth: int = RESIDUAL_NETWORK["depth"]
                   ) -> tuple[list[float], list[float]]:
    """Learning-rate multipliers of the weights and of the biases of the residual network's layers
    (input layer, W_1 (2n, n) and W_2 (n, 2n) of each block, readout), by hand: MuSGD input × m_out = m,
    hidden × m_out/m_in (W_1: 2m/m = 2, W_2: m/2m = 1/2), readout × m_in = m, biases × m_out (input m,
    b_1 2m, b_2 m, readout 1); MuAdam input 1, hidden 1/m_in (1/m, 1/(2m)), readout 1, biases 1."""
    if optimizer == "sgd":
        return [m] + [2.0, 0.5] * depth + [m], [m] + [2 * m, m] * depth + [1.0]
    return [1.0] + [1.0 / m, 1.0 / (2 * m)] * depth + [1.0], [1.0] * (2 * depth + 2)


def train_network(kind: str, task, width: int):
    """The MLP or the residual network of the μP training cases at ``width``."""
    if kind == "mlp":
        return iv.Network.mlp(task.in_dim, [width, width, task.out_dim], "tanh", "kaiming_normal",
                              {"nonlinearity": "linear"}, bias="normal", bias_value=0.1, layer_activations={3: "linear"})
    return iv.Network.residual_net(width, hidden=2 * width, in_features=task.in_dim, out_features=task.out_dim,
                                   **RESIDUAL_NETWORK)


def torch_train_case(case, task, kind: str = "mlp") -> dict:
    """iv.train's μP run with biases, by hand in torch: its initial weights and biases and its batches."""
    name, opt_name, lr, kwargs = case
    out = {"name": name, "optimizer": opt_name, "lr": lr, "options": kwargs, "widths": {}}
    for width in TRAIN_WIDTHS:
        m = width / BASE
        net = train_network(kind, task, width)
        dt = np.dtype("float64")
        params = training._initial_params(net, SEED, 0, dt, True)
        run = training._Training(net, task, dt, TRAIN_STEPS, TRAIN_BATCH, SEED, 1, np.array([0]))
        batches = [idx for _, idx in zip(range(TRAIN_STEPS), run.batches(0))]
        layers = []
        for layer, (W, b) in enumerate(params, start=1):
            linear = nn.Linear(W.shape[1], W.shape[0]).double()
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(W) * (math.sqrt(m) if layer == len(params) else 1.0))
                linear.bias.copy_(torch.from_numpy(b))
            layers.append(linear)
        wd = kwargs.get("weight_decay", 0.0)
        groups = []
        rules = (mup_rules(opt_name, m), bias_rules(opt_name, m)) if kind == "mlp" else residual_rules(opt_name, m)
        for lin, s, sb in zip(layers, *rules):
            groups += [{"params": [lin.weight], "lr": lr * s, "weight_decay": wd / s},
                       {"params": [lin.bias], "lr": lr * sb, "weight_decay": wd / sb}]
        extra = {k: v for k, v in kwargs.items() if k != "weight_decay"}
        optimizer = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[opt_name](groups, lr=lr, **extra)
        x, y = torch.from_numpy(task.x_train), torch.from_numpy(task.y_train)
        losses = []
        model = Residual(net, layers, readout_multiplier=1.0 / m) if kind == "residual" else None
        for idx in batches:
            index = torch.from_numpy(idx)
            if model is None:
                a = torch.tanh(layers[1](torch.tanh(layers[0](x[index]))))
                logits = layers[2](a / m)
            else:
                logits = model(x[index])
            loss = nn.functional.cross_entropy(logits, y[index])
            optimizer.zero_grad()
            loss.backward()
            losses.append(loss.item())
            optimizer.step()
        out["widths"][str(width)] = {"losses": losses,
                                     "weight_rows": [lin.weight.detach()[:ROWS].numpy().tolist() for lin in layers],
                                     "biases": [lin.bias.detach().numpy().tolist() for lin in layers]}
    return out


RESIDUAL_CHECKS = [  # name, placement, optimizer, lr, readout zero
    ("residual-pre-sgd-readout-drawn", "pre", "sgd", 0.1, False),
    ("residual-post-adam-readout-zero", "post", "adam", 1e-3, True),
]
RESIDUAL_BLOCKS = 2


def torch_residual_check(case, task, idx) -> dict:
    """The coordinate check of a residual family in torch: mup's forward hooks on every nn.Linear."""
    name, placement, opt_name, lr, readout_zero = case
    x, y = torch.from_numpy(task.x_train[idx]), torch.from_numpy(task.y_train[idx])
    out = {"name": name, "placement": placement, "optimizer": opt_name, "lr": lr, "readout_zero": readout_zero,
           "blocks": RESIDUAL_BLOCKS, "widths": {}}
    for width in WIDTHS:
        m = width / BASE
        net = iv.Network.residual_net(width, RESIDUAL_BLOCKS, "tanh", "kaiming_normal", {"nonlinearity": "linear"},
                                      norm="layernorm", placement=placement, hidden=2 * width,
                                      in_features=task.in_dim, out_features=task.out_dim)
        runs = []
        for rep in range(SEEDS):
            layers = initial_linears(net, rep, m, readout_zero)
            model = Residual(net, layers, readout_multiplier=1.0 / m)
            seen = []
            for linear in layers:
                linear.register_forward_hook(lambda module, inputs, output: seen.append(output.detach().clone()))
            scales = residual_rules(opt_name, m, RESIDUAL_BLOCKS)[0]
            groups = [{"params": [lin.weight], "lr": lr * s} for lin, s in zip(layers, scales)]
            optimizer = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[opt_name](groups, lr=lr)

            def forward(model=model, seen=seen):
                seen.clear()
                logits = model(x)
                return list(seen), logits

            runs.append(recorded_steps(forward, optimizer, y))
        out["widths"][str(width)] = runs
    return out


def main() -> None:
    torch.set_num_threads(1)
    task = iv.tasks.get_task(TASK[0], **TASK[1])
    idx = coordcheck.fixed_batch(task, BATCH, SEED)
    fixture = {"torch": torch.__version__, "task": list(TASK), "widths": list(WIDTHS), "steps": STEPS,
               "seeds": SEEDS, "base_width": BASE, "batch": BATCH, "seed": SEED, "depth": DEPTH,
               "cases": [torch_case(case, task, idx) for case in CASES],
               "train": {"widths": list(TRAIN_WIDTHS), "steps": TRAIN_STEPS, "batch": TRAIN_BATCH,
                         "cases": [torch_train_case(case, task) for case in TRAIN_CASES],
                         "residual_network": RESIDUAL_NETWORK,
                         "residual_cases": [torch_train_case(case, task, "residual") for case in TRAIN_CASES]},
               "residual_checks": [torch_residual_check(case, task, idx) for case in RESIDUAL_CHECKS]}
    OUT.write_text(json.dumps(fixture, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, torch {torch.__version__})")


if __name__ == "__main__":
    main()
