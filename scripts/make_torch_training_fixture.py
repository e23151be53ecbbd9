"""Write tests/fixtures/torch_training_reference.json and torch_residual_training_reference.json: what
torch computes when it trains initviz's networks, MLPs and residual networks.

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

The residual cases (:data:`RESIDUAL_CASES`) build ``Network.residual_net``'s model as
:mod:`initviz.residual_training` states it — ``nn.Linear`` input layer, blocks x + α·F(N(x)) (pre-norm)
or N(s·x + α·F(x)) (post-norm) with F = Linear → φ (→ Linear), the final norm, the ``nn.Linear``
readout; norms ``nn.LayerNorm`` / ``nn.RMSNorm`` with ``elementwise_affine=False`` (not trained) —
from initviz's draws of every weight layer, and record the same, plus the variance of each weight
layer's outputs (its units) at the logged steps; ``tests/test_residual_training_torch.py`` compares.
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
RESIDUAL_OUT = ROOT / "tests" / "fixtures" / "torch_residual_training_reference.json"
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

RESIDUAL_STEPS = 40
RESIDUAL_CASES = [  # name, task (name, options), residual_net arguments, biases, optimizer, lr, optimizer kwargs
    ("pre-ln-final-tanh-ce-momentum", ("mixture", {"n": 160, "classes": 4, "dim": 8}),
     {"width": 16, "depth": 3, "activation": "tanh", "init": "xavier_normal", "norm": "layernorm",
      "placement": "pre", "final_norm": True, "bias": "normal", "bias_value": 0.1, "in_features": 8,
      "out_features": 4}, True, "sgd", 0.1, {"momentum": 0.9}),
    ("post-ln-deepnorm-relu-mse-adam-nobias", ("teacher", {"n": 160, "in_dim": 8, "out_dim": 3}),
     {"width": 16, "depth": 3, "activation": "relu", "norm": "layernorm", "placement": "post",
      "preset": "deepnorm", "in_features": 8, "out_features": 3}, False, "adam", 1e-2, {}),
    ("pre-rms-gpt2-gelu-hidden-adamw", ("spirals", {"n": 200}),
     {"width": 12, "depth": 3, "activation": "gelu", "init": "kaiming_uniform", "norm": "rmsnorm",
      "placement": "pre", "preset": "gpt2", "hidden": 20, "bias": "scheme", "in_features": 2, "out_features": 2},
     True, "adamw", 1e-2, {"weight_decay": 0.1}),
    ("post-ln-m1-tanh-mse-nesterov-no-input-layer", ("teacher", {"n": 160, "in_dim": 16, "out_dim": 3, "seed": 5}),
     {"width": 16, "depth": 4, "activation": "tanh", "init": "orthogonal", "norm": "layernorm", "placement": "post",
      "branch_depth": 1, "final_norm": True, "bias": "normal", "bias_value": 0.05, "out_features": 3}, True,
     "sgd", 0.05, {"momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    ("fixup-relu-ce-sgd-bias", ("mixture", {"n": 160, "classes": 3, "dim": 8, "seed": 11}),
     {"width": 16, "depth": 3, "activation": "relu", "norm": "none", "preset": "fixup", "bias": "normal",
      "bias_value": 0.1, "in_features": 8, "out_features": 3}, True, "sgd", 0.05, {"momentum": 0.5}),
]

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "gelu": nn.GELU, "linear": nn.Identity}


def network(widths, activation, init, bias, task):
    return iv.Network.mlp(task.in_dim, widths, activation, init, bias=bias[0], bias_value=bias[1],
                          layer_activations={len(widths): "linear"})


def linears(params, biases: bool) -> list:
    """``nn.Linear`` layers holding initviz's initial [W, b] (float64; no bias term without ``biases``)."""
    layers = []
    for W, b in params:
        linear = nn.Linear(W.shape[1], W.shape[0], bias=biases).double()
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            if biases:
                linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
    return layers


def torch_train(model, layers, task, net, biases, opt_name, lr, opt_kwargs, steps, outputs=None) -> dict:
    """Train ``model`` (whose weight layers are ``layers``) on initviz's batches of ``task`` for
    ``steps`` steps; ``outputs()`` (when given) the weight layers' outputs of the last forward pass,
    whose variances are logged as ``act_var``."""
    dt = np.dtype("float64")
    run = training._Training(net, task, dt, steps, BATCH, SEED, 1, np.arange(0, steps, LOG_EVERY))
    batches = [idx for _, idx in zip(range(steps), run.batches(0))]
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
        if t % LOG_EVERY == 0 or t == steps - 1:
            stats = [{"weight_std": w0.std(unbiased=False).item(),
                      "grad_std": lin.weight.grad.std(unbiased=False).item(),
                      "update_ratio": ((lin.weight.detach() - w0).norm() / w0.norm()).item()}
                     for lin, w0 in zip(layers, before)]
            for entry, out in zip(stats, outputs() if outputs else ()):
                entry["act_var"] = out.detach().var(unbiased=False).item()
            logged.append({"step": t, "layers": stats})
    with torch.no_grad():
        test_loss = loss_fn(model(torch.from_numpy(task.x_test)), torch.from_numpy(task.y_test)).item()
    return {"losses": losses, "test_loss": test_loss, "logged": logged, "grad_step": GRAD_STEP, "grads": grads,
            "weights": [lin.weight.detach().numpy().tolist() for lin in layers],
            "biases_after": [lin.bias.detach().numpy().tolist() if biases else None for lin in layers]}


def torch_case(case) -> dict:
    name, (task_name, task_options), widths, activation, init, bias, biases, opt_name, lr, opt_kwargs = case
    task = iv.tasks.get_task(task_name, **task_options)
    net = network(widths, activation, init, bias, task)
    layers = linears(training._initial_params(net, SEED, 0, np.dtype("float64"), biases), biases)
    modules = []
    for layer, linear in enumerate(layers, start=1):
        modules += [linear, ACTIVATIONS[net.activations[layer - 1][0]]()]
    trained = torch_train(nn.Sequential(*modules), layers, task, net, biases, opt_name, lr, opt_kwargs, STEPS)
    return {
        "name": name, "task": [task_name, task_options], "widths": widths, "activation": activation, "init": init,
        "bias": list(bias), "biases": biases, "optimizer": opt_name, "lr": lr, "optimizer_options": opt_kwargs,
        "batch": BATCH, "steps": STEPS, "log_every": LOG_EVERY, "seed": SEED, **trained,
    }


def _norm(name: str, n: int):
    """torch's norm module, γ = 1 and β = 0 not trained (``elementwise_affine=False``), or the identity."""
    if name == "none":
        return nn.Identity()
    return nn.LayerNorm(n, elementwise_affine=False) if name == "layernorm" else nn.RMSNorm(n, elementwise_affine=False)


class Residual(nn.Module):
    """The residual network of initviz.residual_training: input layer, blocks, final norm, readout
    (reading ``readout_multiplier``·o: μP's α); ``outs`` the weight layers' outputs of the last
    forward pass, in the parameters' order."""

    def __init__(self, net, layers, readout_multiplier: float = 1.0):
        super().__init__()
        self.net, self.layers, self.readout_multiplier = net, nn.ModuleList(layers), readout_multiplier
        shape_in, shape_out = net.io_shapes
        self.has_input, self.has_readout = shape_in is not None, shape_out is not None
        self.norm = _norm(net.norm, net.input_dim)
        self.phi = ACTIVATIONS[net.activations[0][0]]()
        self.outs = []

    def forward(self, x):
        net, res, scales = self.net, self.net.residual, self.net.branch_scales
        m, layers, outs = res.branch_depth, list(self.layers), []
        if self.has_input:
            x = layers.pop(0)(x)
            outs.append(x)
        for block in range(net.depth):
            first, *second = layers[block * m:(block + 1) * m]
            u = self.norm(x) if res.placement == "pre" else x
            f = self.phi(first(u))
            outs.append(f)
            if second:
                f = second[0](f)
                outs.append(f)
            t = scales.skip * x + scales.alpha * f
            x = self.norm(t) if res.placement == "post" else t
        z = self.norm(x) if res.final_norm else x
        if self.has_readout:
            z = layers[-1](z * self.readout_multiplier if self.readout_multiplier != 1.0 else z)
            outs.append(z)
        self.outs = outs
        return z


def residual_case(case) -> dict:
    name, (task_name, task_options), args, biases, opt_name, lr, opt_kwargs = case
    task = iv.tasks.get_task(task_name, **task_options)
    net = iv.Network.residual_net(**args)
    layers = linears(training._initial_params(net, SEED, 0, np.dtype("float64"), biases), biases)
    model = Residual(net, layers)
    trained = torch_train(model, layers, task, net, biases, opt_name, lr, opt_kwargs, RESIDUAL_STEPS,
                          outputs=lambda: model.outs)
    del trained["grads"], trained["grad_step"]  # (the histograms' binning is the MLP cases' test)
    return {"name": name, "task": [task_name, task_options], "network": args, "biases": biases, "optimizer": opt_name,
            "lr": lr, "optimizer_options": opt_kwargs, "batch": BATCH, "steps": RESIDUAL_STEPS,
            "log_every": LOG_EVERY, "seed": SEED, **trained}


def main() -> None:
    torch.set_num_threads(1)
    for out, cases in ((OUT, [torch_case(case) for case in CASES]),
                       (RESIDUAL_OUT, [residual_case(case) for case in RESIDUAL_CASES])):
        fixture = {"torch": torch.__version__, "cases": cases}
        out.write_text(json.dumps(fixture, indent=None, separators=(",", ":")) + "\n")
        print(f"wrote {out} ({out.stat().st_size:,} bytes, torch {torch.__version__})")


if __name__ == "__main__":
    main()
