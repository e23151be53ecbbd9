"""Write tests/fixtures/torch_training_reference.json: what torch computes when it trains initviz's networks.

Run with a Python that has torch 2.13 and numpy/scipy/pandas (torch is never a dependency of
initviz or of its tests), from the repository root:

    python scripts/make_torch_training_fixture.py

For every case the script takes from initviz what initviz documents as its inputs — the task's
arrays (:mod:`initviz.tasks`), each repeat's initial weights and biases (the streams of
:mod:`initviz.training`) and the batch indices of every step (its data-order streams) — builds the
same MLP from ``torch.nn.Linear`` layers and torch's activations, and trains it in float64 with
``torch.optim`` (SGD with momentum, dampening or Nesterov, Adam, AdamW) and ``nn.CrossEntropyLoss``
or ``nn.MSELoss``. It records the batch loss of every step, the test loss after the last step, every
weight and bias after the last step, at the logged steps std(W), std(∂L/∂W) and ‖ΔW‖/‖W‖ of
each layer, and every entry of ∂L/∂W at step ``GRAD_STEP`` (what initviz's gradient histogram of that
step bins) — all computed by torch. ``tests/test_training_torch.py`` requires initviz's
:func:`initviz.train` to agree to 1e-9 relative.
"""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np
import torch
from torch import nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import initviz as iv  # noqa: E402  (the repository's initviz, numpy only)
from initviz import training  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "torch_training_reference.json"
STEPS, LOG_EVERY, SEED = 50, 10, 7
GRAD_STEP = 30
"""The step whose weight gradients are written whole (the exactness test of the histograms)."""

CASES = [  # name, task (name, options), widths, activation, init, bias, biases, optimizer, lr, optimizer kwargs
    ("ce-tanh-sgd-momentum", ("mixture", {"n": 160, "classes": 4, "dim": 8}), [16, 16, 4], "tanh",
     "xavier_normal", ("normal", 0.1), True, "sgd", 0.1, {"momentum": 0.9}),
    ("ce-relu-nesterov-nobias", ("mixture", {"n": 160, "classes": 4, "dim": 8, "seed": 3}), [16, 16, 4], "relu",
     "kaiming_normal", ("zeros", 0.0), False, "sgd", 0.05, {"momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    ("ce-gelu-adam", ("spirals", {"n": 200}), [12, 12, 2], "gelu", "kaiming_uniform", ("scheme", 0.0), True,
     "adam", 1e-2, {}),
    ("mse-tanh-adamw", ("teacher", {"n": 160, "in_dim": 8, "out_dim": 3}), [16, 16, 3], "tanh", "orthogonal",
     ("normal", 0.05), True, "adamw", 1e-2, {"weight_decay": 0.1}),
    ("mse-relu-sgd-dampening", ("teacher", {"n": 160, "in_dim": 8, "out_dim": 3, "seed": 5}), [16, 3], "relu",
     "torch_default", ("scheme", 0.0), True, "sgd", 0.05, {"momentum": 0.5, "dampening": 0.1, "weight_decay": 1e-2}),
    ("ce-gelu-adamw-nobias", ("mixture", {"n": 160, "classes": 3, "dim": 8, "seed": 11}), [16, 3], "gelu",
     "lecun_normal", ("zeros", 0.0), False, "adamw", 3e-3, {"betas": (0.8, 0.99), "eps": 1e-6}),
]
BATCH = 16

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "gelu": nn.GELU, "linear": nn.Identity}


def network(widths, activation, init, bias, task):
    return iv.Network.mlp(task.in_dim, widths, activation, init, bias=bias[0], bias_value=bias[1],
                          layer_activations={len(widths): "linear"})


def torch_case(case) -> dict:
    name, (task_name, task_options), widths, activation, init, bias, biases, opt_name, lr, opt_kwargs = case
    task = iv.tasks.get_task(task_name, **task_options)
    net = network(widths, activation, init, bias, task)
    dt = np.dtype("float64")
    params = training._initial_params(net, SEED, 0, dt, biases)
    run = training._Training(net, task, dt, STEPS, BATCH, SEED, 1, np.arange(0, STEPS, LOG_EVERY))
    batches = [idx for _, idx in zip(range(STEPS), run.batches(0))]

    layers, modules = [], []
    for layer, (W, b) in enumerate(params, start=1):
        linear = nn.Linear(W.shape[1], W.shape[0], bias=biases).double()
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            if biases:
                linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        modules += [linear, ACTIVATIONS[net.activations[layer - 1][0]]()]
    model = nn.Sequential(*modules)
    optimizer = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[opt_name](
        model.parameters(), lr=lr, **opt_kwargs)
    classify = task.loss == "cross_entropy"
    loss_fn = nn.CrossEntropyLoss() if classify else nn.MSELoss()
    x = torch.from_numpy(task.x_train)
    y = torch.from_numpy(task.y_train if classify else task.y_train)
    losses, logged, grads = [], [], None
    for t, idx in enumerate(batches):
        index = torch.from_numpy(idx)
        optimizer.zero_grad()
        loss = loss_fn(model(x[index]), y[index])
        loss.backward()
        losses.append(loss.item())
        if t == GRAD_STEP:
            grads = [lin.weight.grad.detach().numpy().tolist() for lin in layers]
        before = [lin.weight.detach().clone() for lin in layers]
        optimizer.step()
        if t % LOG_EVERY == 0 or t == STEPS - 1:
            logged.append({"step": t, "layers": [
                {"weight_std": w0.std(unbiased=False).item(), "grad_std": lin.weight.grad.std(unbiased=False).item(),
                 "update_ratio": ((lin.weight.detach() - w0).norm() / w0.norm()).item()}
                for lin, w0 in zip(layers, before)]})
    with torch.no_grad():
        test_loss = loss_fn(model(torch.from_numpy(task.x_test)), torch.from_numpy(task.y_test)).item()
    return {
        "name": name, "task": [task_name, task_options], "widths": widths, "activation": activation, "init": init,
        "bias": list(bias), "biases": biases, "optimizer": opt_name, "lr": lr, "optimizer_options": opt_kwargs,
        "batch": BATCH, "steps": STEPS, "log_every": LOG_EVERY, "seed": SEED,
        "losses": losses, "test_loss": test_loss, "logged": logged, "grad_step": GRAD_STEP, "grads": grads,
        "weights": [lin.weight.detach().numpy().tolist() for lin in layers],
        "biases_after": [lin.bias.detach().numpy().tolist() if biases else None for lin in layers],
    }


def main() -> None:
    torch.set_num_threads(1)
    fixture = {"torch": torch.__version__, "cases": [torch_case(case) for case in CASES]}
    OUT.write_text(json.dumps(fixture, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, torch {torch.__version__})")


if __name__ == "__main__":
    main()
