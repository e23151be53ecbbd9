"""Write tests/fixtures/torch_init_reference.json: what torch.nn.init really does.

Run with the system python that has torch (torch is never a dependency of initviz or its tests):

    python3 scripts/make_torch_fixture.py

For every case the script calls torch's own code and records:

* fans (``_calculate_fan_in_and_fan_out``, ``_calculate_correct_fan``) and gains (``calculate_gain``);
* the distribution parameters torch *actually passes* to its samplers: ``Tensor.uniform_`` and
  ``Tensor.normal_`` are wrapped while ``torch.nn.init.*`` or a module's ``reset_parameters`` runs,
  so the recorded bound/std is torch's own arithmetic, not a re-derivation;
* summary statistics of real torch samples (≥ ``N_STATS`` entries, float64): n, min, max, mean,
  variance and quantiles at ``QUANTILES``; for orthogonal the deviation of WᵀW (or WWᵀ) from g²I;
  for sparse the zeros per column; eye and dirac tensors as their non-zero indices;
* the error type and message for invalid inputs.
"""

from __future__ import annotations

import contextlib
import json
import math
import pathlib

import torch
from torch import nn
from torch.nn import init

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "torch_init_reference.json"
SEED = 20240613
N_STATS = 100_000
QUANTILES = (0.001, 0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999)
DIGITS = 12  # significant digits kept for sample statistics (parameters are kept exactly)

DENSE = [(1, 1), (3, 5), (5, 3), (10, 10), (64, 32), (256, 512), (1000, 1)]
CONV = [(16, 3, 5), (64, 3, 3, 3), (128, 64, 3, 3), (32, 1, 3, 3), (8, 4, 3, 3, 3), (32, 16, 1, 5)]
CONV_TRANSPOSED = [(16, 8, 4), (64, 32, 3, 3), (6, 4, 3, 3), (8, 4, 2, 2, 2)]
SHAPES = DENSE + CONV + CONV_TRANSPOSED
STATS_SHAPES = [(64, 32), (1000, 1), (128, 64, 3, 3), (6, 4, 3, 3)]

GAINS = [1.0, 0.5, 5.0 / 3, math.sqrt(2.0)]
KAIMING = [(0.0, mode, nl) for mode in ("fan_in", "fan_out")
           for nl in ("relu", "leaky_relu", "linear", "tanh", "selu", "sigmoid", "conv2d")]
KAIMING += [(a, "fan_in", "leaky_relu") for a in (0.01, 0.2, math.sqrt(5.0), 1.0, -0.5, 3)]
KAIMING += [(0.2, "fan_out", "leaky_relu"), (0.2, "fan_in", "relu")]
KAIMING_STATS = [(0.0, "fan_in", "relu"), (math.sqrt(5.0), "fan_in", "leaky_relu"), (0.0, "fan_out", "tanh")]

MODULES = [  # (class name, in, out, kernel, groups)
    ("Linear", 1, 1, None, 1), ("Linear", 3, 10, None, 1), ("Linear", 64, 256, None, 1),
    ("Linear", 512, 512, None, 1), ("Linear", 784, 10, None, 1),
    ("Conv1d", 3, 16, (5,), 1), ("Conv2d", 3, 64, (3, 3), 1), ("Conv2d", 64, 128, (3, 3), 4),
    ("Conv2d", 32, 32, (3, 3), 32), ("Conv2d", 16, 32, (1, 5), 1), ("Conv3d", 4, 8, (3, 3, 3), 1),
    ("ConvTranspose1d", 16, 8, (4,), 1), ("ConvTranspose2d", 64, 32, (3, 3), 1),
    ("ConvTranspose2d", 6, 8, (3, 3), 2), ("ConvTranspose3d", 8, 4, (2, 2, 2), 1),
]

GAIN_CASES = [(nl, None) for nl in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                                    "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu",
                                    "leaky_relu", "selu")]
GAIN_CASES += [("leaky_relu", p) for p in (0, 0.01, 0.1, 0.2, 0.3, 0.5, 1, 2, 5.0, -0.1, 3, math.sqrt(5.0))]
GAIN_CASES += [("relu", 0.2), ("tanh", 7), ("selu", 0.5), ("linear", True)]  # param ignored by torch
GAIN_ERRORS = [("leaky_relu", True), ("leaky_relu", False), ("leaky_relu", "0.2"), ("gelu", None),
               ("ReLU", None), ("", None), ("swish", 0.1)]


def rounded(x: float) -> float:
    return float(f"{x:.{DIGITS}g}")


@contextlib.contextmanager
def recorded_sampler_calls():
    """Record (method, args) of every Tensor.uniform_/normal_ call made inside the block."""
    calls: list[tuple[str, list[float]]] = []
    originals = {name: getattr(torch.Tensor, name) for name in ("uniform_", "normal_")}

    def wrapper(name):
        def call(self, *args, **kwargs):
            calls.append((name, [float(a) for a in args]
                          + [float(kwargs[k]) for k in ("mean", "std", "from", "to") if k in kwargs]))
            return originals[name](self, *args, **kwargs)
        return call

    for name in originals:
        setattr(torch.Tensor, name, wrapper(name))
    try:
        yield calls
    finally:
        for name, original in originals.items():
            setattr(torch.Tensor, name, original)


def captured(fill, shape) -> dict:
    """The single sampler call torch makes to fill a tensor of ``shape``."""
    with recorded_sampler_calls() as calls:
        fill(torch.empty(shape, dtype=torch.float64))
    (name, args), = calls
    return {"call": name, "args": args}


def sample_stats(fill, shape, gen) -> dict:
    """Statistics of ≥ N_STATS entries drawn by repeatedly filling float64 tensors of ``shape``."""
    numel = math.prod(shape)
    draws = [fill(torch.empty(shape, dtype=torch.float64), gen).flatten()
             for _ in range(math.ceil(N_STATS / numel))]
    x = torch.cat(draws)
    q = torch.quantile(x[:min(len(x), 10_000_000)], torch.tensor(QUANTILES, dtype=torch.float64))
    return {"n": len(x), "min": rounded(x.min().item()), "max": rounded(x.max().item()),
            "mean": rounded(x.mean().item()), "var": rounded(x.var(unbiased=False).item()),
            "quantiles": dict(zip(map(str, QUANTILES), map(rounded, q.tolist())))}


def error_of(fn) -> dict:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 — recording torch's own errors is the point
        return {"raised": True, "type": type(exc).__name__, "message": str(exc)}
    return {"raised": False}


def fans_section():
    rows = []
    for shape in SHAPES:
        t = torch.empty(shape)
        fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
        rows.append({"shape": list(shape), "fan_in": fan_in, "fan_out": fan_out,
                     "correct_fan_in": init._calculate_correct_fan(t, "fan_in"),
                     "correct_fan_out": init._calculate_correct_fan(t, "fan_out")})
    errors = [{"shape": list(s), **error_of(lambda s=s: init._calculate_fan_in_and_fan_out(torch.empty(s)))}
              for s in [(), (5,)]]
    errors.append({"shape": [5, 4], "mode": "fan_avg",
                   **error_of(lambda: init._calculate_correct_fan(torch.empty(5, 4), "fan_avg"))})
    return rows, errors


def gains_section():
    rows = [{"nonlinearity": nl, "param": p, "gain": init.calculate_gain(nl, p)} for nl, p in GAIN_CASES]
    errors = [{"nonlinearity": nl, "param": p, **error_of(lambda nl=nl, p=p: init.calculate_gain(nl, p))}
              for nl, p in GAIN_ERRORS]
    return rows, errors


def scheme_cases(gen):
    """(scheme, shape, params, fill) for every parametrised torch scheme; fill(t, g) fills t."""
    for shape in SHAPES:
        for gain in GAINS:
            yield "xavier_uniform", shape, {"gain": gain}, lambda t, g, gain=gain: init.xavier_uniform_(t, gain, g)
            yield "xavier_normal", shape, {"gain": gain}, lambda t, g, gain=gain: init.xavier_normal_(t, gain, g)
        for a, mode, nl in KAIMING:
            params = {"a": a, "mode": mode, "nonlinearity": nl}
            yield "kaiming_uniform", shape, params, lambda t, g, p=params: init.kaiming_uniform_(t, **p, generator=g)
            yield "kaiming_normal", shape, params, lambda t, g, p=params: init.kaiming_normal_(t, **p, generator=g)
    for a, b in [(0.0, 1.0), (-0.3, 0.7), (-2.5, -1.0), (1e-3, 2e-3)]:
        yield "uniform", (64, 32), {"a": a, "b": b}, lambda t, g, a=a, b=b: init.uniform_(t, a, b, g)
    for mean, std in [(0.0, 1.0), (0.5, 0.02), (-1.0, 3.0)]:
        yield "normal", (64, 32), {"mean": mean, "std": std}, lambda t, g, m=mean, s=std: init.normal_(t, m, s, g)


def wants_stats(name, shape, params) -> bool:
    if name in ("uniform", "normal"):
        return True
    if shape not in STATS_SHAPES:
        return False
    if name.startswith("xavier"):
        return params["gain"] in (1.0, math.sqrt(2.0))
    return (params["a"], params["mode"], params["nonlinearity"]) in KAIMING_STATS


def schemes_section(gen):
    rows = []
    for name, shape, params, fill in scheme_cases(gen):
        row = {"scheme": name, "shape": list(shape), "params": params,
               **captured(lambda t, fill=fill: fill(t, gen), shape)}
        if wants_stats(name, shape, params):
            row["stats"] = sample_stats(fill, shape, gen)
        rows.append(row)
    return rows


def trunc_normal_section(gen):
    rows = []
    for mean, std, a, b in [(0.0, 1.0, -2.0, 2.0), (0.0, 0.1, -2.0, 2.0), (0.0, 1.0, -0.5, 1.0),
                            (1.0, 2.0, 0.0, 4.0), (0.0, 1.0, 1.5, 3.0), (-1.0, 0.5, -3.0, -0.5)]:
        shape = (100, 50)
        fill = lambda t, g, m=mean, s=std, a=a, b=b: init.trunc_normal_(t, m, s, a, b, g)  # noqa: E731
        rows.append({"shape": list(shape), "params": {"mean": mean, "std": std, "a": a, "b": b},
                     "stats": sample_stats(fill, shape, gen)})
    return rows


def orthogonal_section(gen):
    rows = []
    for shape in [(5, 5), (10, 4), (4, 10), (16, 8, 3, 3), (8, 16, 3, 3), (1, 7), (7, 1), (64, 64)]:
        for gain in (1.0, 0.5, 2.0, -1.0):
            w = init.orthogonal_(torch.empty(shape, dtype=torch.float64), gain, gen)
            flat = w.reshape(shape[0], -1)
            rows_ge_cols = flat.shape[0] >= flat.shape[1]
            gram = flat.T @ flat if rows_ge_cols else flat @ flat.T
            dev = (gram - gain ** 2 * torch.eye(gram.shape[0], dtype=torch.float64)).abs().max().item()
            row = {"shape": list(shape), "gain": gain, "identity_side": "cols" if rows_ge_cols else "rows",
                   "max_gram_deviation": dev}
            if gain in (1.0, 2.0):
                row["stats"] = sample_stats(lambda t, g, gain=gain: init.orthogonal_(t, gain, g), shape, gen)
            rows.append(row)
    return rows


def sparse_section(gen):
    rows = []
    for shape in [(10, 20), (50, 30), (7, 3)]:
        for sparsity in (0.0, 0.1, 0.25, 0.5, 0.9, 1.0):
            for std in (0.01, 1.0):
                w = init.sparse_(torch.empty(shape, dtype=torch.float64), sparsity, std, gen)
                zeros = (w == 0).sum(dim=0).tolist()
                nonzero = w[w != 0]
                rows.append({"shape": list(shape), "sparsity": sparsity, "std": std,
                             "zeros_per_column": sorted(set(zeros)),
                             "nonzero_std": rounded(nonzero.std().item()) if nonzero.numel() > 1 else None})
    return rows


def structured_section():
    eye = [{"shape": list(s), "ones": torch.nonzero(init.eye_(torch.empty(s))).tolist()}
           for s in [(3, 3), (3, 5), (5, 3), (1, 4)]]
    dirac = [{"shape": list(s), "groups": g, "ones": torch.nonzero(init.dirac_(torch.empty(s), g)).tolist(),
              "sum": init.dirac_(torch.empty(s), g).sum().item()}
             for s, g in [((4, 2, 3), 1), ((4, 4, 3, 3), 1), ((6, 2, 3, 3), 2), ((6, 2, 3, 3), 3),
                          ((2, 4, 3, 3, 3), 1), ((8, 2, 2, 2), 2), ((3, 5, 4), 1)]]
    constant = [{"scheme": name, "shape": [4, 3], "params": params, "value": fill(torch.empty(4, 3)).unique().tolist()}
                for name, params, fill in [("constant", {"val": 0.3}, lambda t: init.constant_(t, 0.3)),
                                           ("zeros", {}, init.zeros_), ("ones", {}, init.ones_)]]
    return eye, dirac, constant


def modules_section(gen):
    rows = []
    for cls_name, fan_in_ch, fan_out_ch, kernel, groups in MODULES:
        cls = getattr(nn, cls_name)
        make = (lambda: cls(fan_in_ch, fan_out_ch)) if kernel is None else \
            (lambda: cls(fan_in_ch, fan_out_ch, kernel, groups=groups))
        with recorded_sampler_calls() as calls:
            module = make()
        (w_call, w_args), (b_call, b_args) = calls
        weight_shape = tuple(module.weight.shape)

        def fill(t, g, module=module):
            with torch.no_grad():
                module.reset_parameters()
            return module.weight.detach().to(torch.float64).clone()

        rows.append({"module": cls_name, "in": fan_in_ch, "out": fan_out_ch, "kernel": list(kernel or ()),
                     "groups": groups, "transposed": "Transpose" in cls_name,
                     "weight_shape": list(weight_shape), "bias_shape": list(module.bias.shape),
                     "weight_call": w_call, "weight_args": w_args, "bias_call": b_call, "bias_args": b_args,
                     "fans": list(init._calculate_fan_in_and_fan_out(module.weight)),
                     "weight_stats": sample_stats(fill, weight_shape, gen)})
    return rows


def errors_section():
    def call(fn, shape, **kw):
        return lambda: fn(torch.empty(shape, dtype=torch.float64), **kw)

    cases = [
        ("xavier_uniform", (5,), {}), ("xavier_normal", (), {}), ("kaiming_uniform", (5,), {}),
        ("kaiming_normal", (5, 4), {"mode": "fan_avg"}), ("kaiming_normal", (5, 4), {"nonlinearity": "gelu"}),
        ("kaiming_uniform", (5, 4), {"a": True}), ("orthogonal", (5,), {}), ("sparse", (3, 4, 5), {"sparsity": 0.1}),
        ("sparse", (5,), {"sparsity": 0.1}), ("eye", (2, 3, 4), {}), ("eye", (4,), {}), ("dirac", (3, 3), {}),
        ("dirac", (2, 2, 2, 2, 2, 2), {}), ("dirac", (4, 2, 3, 3), {"groups": 3}), ("uniform", (5, 4), {"a": 1.0, "b": 0.0}),
        ("normal", (5, 4), {"std": -1.0}), ("trunc_normal", (5, 4), {"std": 0.0}),
        ("trunc_normal", (5, 4), {"a": 2.0, "b": -2.0}), ("xavier_uniform", (5, 4), {"gain": -1.0}),
        ("xavier_normal", (5, 4), {"gain": -1.0}),
    ]
    return [{"scheme": name, "shape": list(shape), "params": kw,
             **error_of(call(getattr(init, name + "_"), shape, **kw))} for name, shape, kw in cases]


def main():
    torch.manual_seed(SEED)
    gen = torch.Generator().manual_seed(SEED)
    fans, fan_errors = fans_section()
    gains, gain_errors = gains_section()
    eye, dirac, constant = structured_section()
    data = {
        "meta": {"torch": torch.__version__, "script": "scripts/make_torch_fixture.py", "seed": SEED,
                 "n_stats": N_STATS, "quantiles": list(QUANTILES)},
        "fans": fans, "fan_errors": fan_errors, "gains": gains, "gain_errors": gain_errors,
        "schemes": schemes_section(gen), "trunc_normal": trunc_normal_section(gen),
        "orthogonal": orthogonal_section(gen), "sparse": sparse_section(gen),
        "eye": eye, "dirac": dirac, "constant": constant, "modules": modules_section(gen),
        "errors": errors_section(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KB, {len(data['schemes'])} scheme cases)")


if __name__ == "__main__":
    main()
