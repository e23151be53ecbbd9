"""Write ``tests/fixtures/draws_v1_reference.json``: numbers drawn with draw version 1 (today's draws,
numpy's ziggurat), kept so that every later version of initviz can be checked to reproduce them.

Run once from the code before draw version 2 existed (commit 7bac979, generated 2026-12-03); it calls
only APIs that existed then, with their defaults (draw version 1), so running it again today writes the
same file up to BLAS rounding (tests/test_draws.py compares at 1e-12 relative, the samples exactly).

    .venv/bin/python scripts/make_draws_v1_fixture.py

Contents:

* ``samples``: ``Law.sample`` values (no BLAS: exact) — a small tensor drawn from the generator at once
  and a chunked one (more than ``SAMPLE_CHUNK_ENTRIES`` entries), float32 and float64, normal and
  truncated normal (its first and last entries and the sum, in float64).
* ``propagations``: per-layer statistics (the mean over repeats, ``PropagationResult.to_frame`` columns)
  of a few ``propagate`` calls.
* ``app``: the Propagation page's link :data:`APP_LINK` (no ``draws`` parameter: a link made before
  draw versions), the statistics of each of its runs as the page computes them.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import initviz as iv  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "draws_v1_reference.json"

SAMPLES = [
    {"law": {"kind": "normal", "scale": 0.5}, "shape": [7], "seed": 1, "dtype": "float32"},
    {"law": {"kind": "normal", "scale": 0.5}, "shape": [7], "seed": 1, "dtype": "float64"},
    {"law": {"kind": "normal", "loc": 0.1, "scale": 2.0}, "shape": [300, 301], "seed": 2, "dtype": "float32"},
    {"law": {"kind": "normal", "scale": 1.0}, "shape": [300, 301], "seed": 2, "dtype": "float64"},
    {"law": {"kind": "trunc_normal", "scale": 1.0, "a": -2.0, "b": 2.0}, "shape": [300, 301], "seed": 3,
     "dtype": "float32"},
]

PROPAGATIONS = [
    {"net": {"input_dim": 64, "widths": [64] * 6, "activation": "tanh", "init": "xavier_normal"},
     "run": {"batch": 64, "seed": 3, "dtype": "float32"}},
    {"net": {"input_dim": 32, "widths": [300] * 3, "activation": "relu", "init": "kaiming_normal",
             "init_params": {"nonlinearity": "relu"}, "bias": "normal", "bias_value": 0.1},
     "run": {"batch": 40, "seed": 7, "dtype": "float64", "n_seeds": 2, "inputs": "correlated", "input_corr": 0.8}},
]

STATS = ("preact_var", "act_var", "norm_ratio", "norm_ratio_p05", "norm_ratio_p95", "corr", "weight_std", "max_abs",
         "grad_var", "grad_w_var")
"""The statistics kept per layer."""

APP_LINK = {"depth": "8", "width": "96", "activation": "tanh", "scheme": "xavier_normal", "compare": "kaiming_normal",
            "batch": "48", "seed": "11"}
"""A Propagation link of today's app: MLP, two schemes, float32 (its default), forward and backward views."""


def _sample(case: dict) -> dict:
    x = iv.Law(**case["law"]).sample(tuple(case["shape"]), seed=case["seed"], dtype=case["dtype"]).ravel()
    return {**case, "head": x[:7].astype(float).tolist(), "tail": x[-3:].astype(float).tolist(),
            "sum": math.fsum(x.astype(float).tolist())}


def _stats(res) -> dict:
    return {name: res.over_seeds(name).tolist() for name in STATS}


def _propagation(case: dict) -> dict:
    net = iv.Network.mlp(**case["net"])
    return {**case, "stats": _stats(iv.propagate(net, **case["run"], histograms=()))}


def _app() -> dict:
    from initviz.ui import links

    settings, _ = links.constrain("propagation", links.SCHEMAS["propagation"].parse(APP_LINK)[0])
    runs = {}
    for view in ("forward", "backward"):
        for run in links.propagation.runs({**settings, "view": view}, budget=iv.Budget.local()):
            runs.setdefault(run.name, {}).update(
                {k: v for k, v in _stats(iv.propagate(run.build(), **run.propagate)).items()
                 if not math.isnan(v[0])})
    return {"link": APP_LINK, "runs": runs}


def main() -> None:
    data = {"note": __doc__.split("\n\n")[0], "numpy": np.__version__,
            "samples": [_sample(c) for c in SAMPLES], "propagations": [_propagation(c) for c in PROPAGATIONS],
            "app": _app()}
    OUT.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
