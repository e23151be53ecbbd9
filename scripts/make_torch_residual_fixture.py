"""Write tests/fixtures/torch_residual_reference.json: what torch computes on initviz's residual and
normalised networks, forward and backward, block by block.

Run with a Python that has torch 2.13 and numpy/scipy (torch is never a dependency of initviz or of
its tests), from the repository root:

    python scripts/make_torch_residual_fixture.py

For every case the script takes from initviz what initviz documents as its inputs — the input batch
of repeat 0 (``stream(seed, 0, ROLE_INPUTS, 0)``, standard normal), the weights and biases of every
weight layer (:func:`initviz.engine.run.draw_layer`: the streams :func:`initviz.propagate` draws
from, the preset's multipliers included) and the probe g (``stream(seed, 0, ROLE_PROBE, 0)``) — and
builds the network from ``torch.nn.Linear``, ``nn.LayerNorm`` / ``nn.RMSNorm`` (torch's default
eps, γ = 1, β = 0) and torch's activations, in float64: an MLP with the norm after each activation,
or blocks x + α·F(N(x)) (pre-norm) / N(s·x + α·F(x)) (post-norm, DeepNorm's s), F = Linear → φ
(→ Linear). It runs the probe loss L = Σ_b ⟨g_b, output_b⟩ forward and backward (autograd) and
records per layer or block, as torch computes them: std of W_1, the variance of the branch's (or
layer's) pre-activation h and of the block's output x_l (entries pooled), the mean over samples of
‖x_l‖/‖x_0‖ and of ‖x_l‖²/‖x_0‖² (MLP: the per-unit mean square ratio), the variances of ∂L/∂x_l,
∂L/∂h, ∂L/∂W_1 (and, for blocks, of ∂L/∂W_m and of α·F). And directly, each norm's output and
∂L/∂x in float32 and float64 at unit scale and at 1e-7, where the eps decides. ``tests/test_residual_torch.py`` requires
:func:`initviz.propagate` in float64 to agree to 1e-9 relative.
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
from initviz.engine.run import draw_layer  # noqa: E402
from initviz.rng import ROLE_INPUTS, ROLE_PROBE, stream  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "torch_residual_reference.json"
SEED, BATCH = 3, 16

CASES = [  # name, kind, Network arguments
    ("mlp-layernorm-tanh", "mlp", {"input_dim": 24, "widths": [32, 32, 32, 32], "activation": "tanh",
                                   "init": "xavier_normal", "norm": "layernorm"}),
    ("mlp-rmsnorm-relu-bias", "mlp", {"input_dim": 32, "widths": [32, 40, 32], "activation": "relu",
                                      "init": "kaiming_normal", "norm": "rmsnorm", "bias": "normal",
                                      "bias_value": 0.1}),
    ("pre-ln-none-relu-final", "residual", {"width": 32, "depth": 6, "activation": "relu", "norm": "layernorm",
                                            "placement": "pre", "preset": "none", "final_norm": True}),
    ("pre-ln-gpt2-gelu-hidden", "residual", {"width": 32, "depth": 6, "activation": "gelu", "norm": "layernorm",
                                             "placement": "pre", "preset": "gpt2", "hidden": 48}),
    ("post-ln-none-tanh", "residual", {"width": 32, "depth": 6, "activation": "tanh", "init": "xavier_normal",
                                       "norm": "layernorm", "placement": "post", "preset": "none"}),
    ("post-ln-deepnorm-relu", "residual", {"width": 32, "depth": 6, "activation": "relu", "norm": "layernorm",
                                           "placement": "post", "preset": "deepnorm", "bias": "normal",
                                           "bias_value": 0.05}),
    ("fixup-relu-bias", "residual", {"width": 32, "depth": 6, "activation": "relu", "norm": "none",
                                     "placement": "pre", "preset": "fixup", "bias": "normal", "bias_value": 0.1}),
    ("rezero-rms-relu-m1", "residual", {"width": 32, "depth": 6, "activation": "relu", "norm": "rmsnorm",
                                        "placement": "pre", "preset": "rezero", "branch_depth": 1}),
    ("t-fixup-tanh", "residual", {"width": 32, "depth": 6, "activation": "tanh", "init": "xavier_normal",
                                  "norm": "none", "placement": "pre", "preset": "t_fixup"}),
    ("depth-mup-rms-post-m1", "residual", {"width": 32, "depth": 6, "activation": "tanh", "norm": "rmsnorm",
                                           "placement": "post", "preset": "depth_mup", "branch_depth": 1,
                                           "final_norm": True}),
]

ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu, "gelu": nn.functional.gelu}


def network(kind: str, args: dict) -> iv.Network:
    return iv.Network.mlp(**args) if kind == "mlp" else iv.Network.residual_net(**args)


def _norm(name: str, n: int):
    """torch's module for the norm (default eps, γ = 1, β = 0), or the identity."""
    if name == "none":
        return lambda t: t
    return (nn.LayerNorm(n) if name == "layernorm" else nn.RMSNorm(n)).double()


def _var(t: torch.Tensor) -> float:
    return t.detach().var(unbiased=False).item()


def torch_case(name: str, kind: str, args: dict) -> dict:
    net = network(kind, args)
    dt = np.dtype("float64")
    params = [draw_layer(net, SEED, 0, k, dt) for k in range(1, len(net.shapes) + 1)]
    linears = []
    for W, b in params:
        linear = nn.Linear(W.shape[1], W.shape[0], bias=b is not None).double()
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            if b is not None:
                linear.bias.copy_(torch.from_numpy(b))
        linears.append(linear)
    x0 = torch.from_numpy(stream(SEED, 0, ROLE_INPUTS, 0).standard_normal((BATCH, net.input_dim)))
    probe = torch.from_numpy(stream(SEED, 0, ROLE_PROBE, 0).standard_normal((BATCH, net.widths[-1])))
    phi = ACTIVATIONS[net.activations[0][0]]
    outs, pres, branches = [], [], []
    x = x0
    if kind == "mlp":
        norms = [_norm(net.norm, n) for n in net.widths]
        for linear, norm in zip(linears, norms):
            h = linear(x)
            x = norm(phi(h))
            pres.append(h)
            outs.append(x)
        output = x
        first, last = linears, linears
    else:
        res, scales = net.residual, net.branch_scales
        m = res.branch_depth
        norms = [_norm(net.norm, net.input_dim) for _ in range(net.depth)]
        for block in range(net.depth):
            branch_layers = linears[block * m:(block + 1) * m]
            u = norms[block](x) if res.placement == "pre" else x
            h = branch_layers[0](u)
            f = phi(h)
            if m == 2:
                f = branch_layers[1](f)
            branch = scales.alpha * f
            t = scales.skip * x + branch
            x = norms[block](t) if res.placement == "post" else t
            pres.append(h)
            outs.append(x)
            branches.append(branch)
        output = _norm(net.norm, net.input_dim)(x) if res.final_norm else x
        first, last = linears[0::m], linears[m - 1::m]
    for t in pres + outs:
        t.retain_grad()
    (output * probe).sum().backward()
    x0_norm = x0.norm(dim=1)
    units = [o.shape[1] for o in outs]
    stats = {
        "weight_std": [lin.weight.detach().std(unbiased=False).item() for lin in first],
        "preact_var": [_var(h) for h in pres],
        "act_var": [_var(o) for o in outs],
        "norm_ratio": [(o.detach().norm(dim=1) / x0_norm).mean().item() for o in outs],
        "msq_ratio": [((o.detach().norm(dim=1) / x0_norm) ** 2 * (net.input_dim / n)).mean().item()
                      for o, n in zip(outs, units)],
        "grad_act_var": [_var(o.grad) for o in outs],
        "grad_var": [_var(h.grad) for h in pres],
        "grad_w_var": [_var(lin.weight.grad) for lin in first],
    }
    if kind == "residual":
        stats["grad_w_out_var"] = [_var(lin.weight.grad) for lin in last]
        stats["branch_var"] = [_var(b) for b in branches]
    return {"name": name, "kind": kind, "args": args, "seed": SEED, "batch": BATCH, "stats": stats}


NORM_SCALES = (1.0, 1e-7)
"""Input scales of the direct norm checks: at 1e-7 the mean square (~1e-14) is below RMSNorm's
float32 eps (1.2e-7) and near LayerNorm's 1e-5 only through it, so the eps decides the output."""


def norm_case(norm: str, dtype: str, scale: float) -> dict:
    """torch's norm module on a (4, 32) batch x·scale and its backward for a probe g."""
    gen = stream(SEED, 9, 0, 0)
    x = gen.standard_normal((4, 32)).astype(dtype) * np.dtype(dtype).type(scale)
    g = gen.standard_normal((4, 32)).astype(dtype)
    module = (nn.LayerNorm(32) if norm == "layernorm" else nn.RMSNorm(32)).to(getattr(torch, dtype))
    xt = torch.from_numpy(x).requires_grad_(True)
    y = module(xt)
    (y * torch.from_numpy(g)).sum().backward()
    return {"norm": norm, "dtype": dtype, "x": x.tolist(), "g": g.tolist(), "y": y.detach().numpy().tolist(),
            "grad_x": xt.grad.numpy().tolist()}


def main() -> None:
    torch.set_num_threads(1)
    fixture = {"torch": torch.__version__, "cases": [torch_case(*case) for case in CASES],
               "norms": [norm_case(norm, dtype, scale) for norm in ("layernorm", "rmsnorm")
                         for dtype in ("float32", "float64") for scale in NORM_SCALES]}
    OUT.write_text(json.dumps(fixture, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes, torch {torch.__version__})")


if __name__ == "__main__":
    main()
