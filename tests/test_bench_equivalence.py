"""The bench compares like with like: its PyTorch notebook (``bench/torch_reference.py``, run by an
interpreter that has torch) computes the same per-layer statistics as ``initviz.propagate`` — and
initviz's numbers stay those of the straightforward computation whatever it is optimised into.

The torch side gets exactly the arrays initviz draws, reproduced here from the streams its module
docstring documents (``stream(seed, repeat, role, layer)``; role 0 inputs, 1 weights, 3 the output
probe), so the comparison is exact up to rounding; torch's autograd computes the gradients
independently of initviz's hand-written backward pass. Skipped, with the reason, when no
interpreter with torch is found (the project venv has none; ``python3`` usually has).
"""

import json
import subprocess

import numpy as np
import pytest

import initviz as iv
from bench import run
from bench.workloads import GEOMETRY, WORKLOADS
from initviz.normals import standard_normal
from initviz.rng import stream

ROLE_INPUTS, ROLE_WEIGHTS, ROLE_PROBE = 0, 1, 3
"""initviz.propagation's documented stream roles (restated here, not imported: the contract)."""

STATS = ("preact_mean", "preact_var", "act_mean", "act_var", "norm_ratio", "grad_var", "grad_act_var", "grad_w_var")

CASES = {
    # non-square layers (torch layout is exercised), tanh, float64: agreement to rounding. Sums here
    # run over ≤ 9·16 = 144 terms, rounding ~1e-14 relative; 1e-9 leaves room and still catches any
    # different formula (ddof, layout, a missing factor are all ≥ 1e-3 effects).
    "tanh-float64": dict(net=dict(input_dim=10, widths=[16, 12, 12, 8], activation="tanh", init="xavier_normal",
                                  init_params={"gain": 5 / 3}), batch=9, seed=7, dtype="float64", rtol=1e-9),
    # the interactive default float32, ReLU: BLAS may accumulate in a different order in torch (MKL)
    # and numpy (OpenBLAS): ~ depth·n·eps32 ≈ 5·32·6e-8 ≈ 1e-5 relative; 1e-4 bounds that.
    "relu-float32": dict(net=dict(input_dim=32, widths=[32] * 5, activation="relu", init="kaiming_normal",
                                  init_params={"nonlinearity": "relu"}), batch=16, seed=11, dtype="float32",
                         rtol=1e-4),
    # the same with draw version 2 (the bench's: Box–Muller float32 normals for x, g and every W)
    "relu-float32-draws2": dict(net=dict(input_dim=32, widths=[32] * 5, activation="relu", init="kaiming_normal",
                                         init_params={"nonlinearity": "relu"}), batch=16, seed=11, dtype="float32",
                                rtol=1e-4, draws=2),
}


def _initviz_arrays(net: iv.Network, batch: int, seed: int, dtype: str, draws: int) -> dict:
    """x, W_1..W_L and the probe g exactly as initviz.propagate draws them for repeat 0 (draw version
    ``draws``: standard normals of :mod:`initviz.normals`)."""
    arrays = {"x": standard_normal(stream(seed, 0, ROLE_INPUTS, 0), (batch, net.input_dim), dtype, draws),
              "probe": standard_normal(stream(seed, 0, ROLE_PROBE, 0), (batch, net.widths[-1]), dtype, draws),
              "activation": np.array(net.activations[0][0])}
    for layer in range(1, net.depth + 1):
        arrays[f"W{layer}"] = net.weight_law(layer).sample(net.shapes[layer - 1],
                                                           stream(seed, 0, ROLE_WEIGHTS, layer), dtype, draws)
    return arrays


@pytest.fixture(scope="module")
def both_sides(tmp_path_factory):
    """{case: (net, initviz result, arrays, torch statistics per layer)}; one torch subprocess."""
    python, why = run.torch_python()
    if python is None:
        pytest.skip(why)
    folder = tmp_path_factory.mktemp("bench-equivalence")
    cases, paths = {}, []
    for name, spec in sorted(CASES.items()):
        net = iv.Network.mlp(**spec["net"])
        draws = spec.get("draws", 1)
        res = iv.propagate(net, batch=spec["batch"], seed=spec["seed"], dtype=spec["dtype"], draws=draws)
        arrays = _initviz_arrays(net, spec["batch"], spec["seed"], spec["dtype"], draws)
        paths.append(folder / f"{name}.npz")
        np.savez(paths[-1], **arrays)
        cases[name] = (net, res, arrays)
    done = subprocess.run([python, "-m", "bench.torch_reference", "stats", *map(str, paths)], cwd=run.ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    torch_rows = json.loads(done.stdout)["cases"]
    return {name: (*cases[name], rows) for name, rows in zip(sorted(CASES), torch_rows)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_torch_notebook_statistics_equal_initviz(case, both_sides):
    spec = CASES[case]
    net, res, arrays, layers = both_sides[case]
    # the draws first: if initviz changed how it uses its streams, say so rather than blame a statistic
    for layer in range(1, net.depth + 1):
        assert res.weight_std[0, layer - 1] == pytest.approx(float(np.std(arrays[f"W{layer}"], dtype=np.float64)),
                                                             rel=spec["rtol"]), \
            f"layer {layer}: initviz no longer draws W from stream(seed, 0, {ROLE_WEIGHTS}, layer)"
    assert len(layers) == net.depth
    for i, row in enumerate(layers):
        for name in STATS:
            ours = float(getattr(res, name)[0, i])
            # means can be ~0 while their summands are O(1): compare them on the scale of the spread
            scale = np.sqrt(row[name.replace("mean", "var")]) if name.endswith("_mean") else abs(row[name])
            assert abs(ours - row[name]) <= spec["rtol"] * scale, (case, i + 1, name, ours, row[name])


def test_torch_absence_is_reported_with_the_way_to_fix_it(monkeypatch, tmp_path):
    missing = tmp_path / "no-such-python"
    monkeypatch.setenv(run.TORCH_ENV, str(missing))
    python, why = run.torch_python()
    assert python is None
    assert run.TORCH_ENV in why and str(missing) in why and "torch" in why


def test_workload_work_counts():
    # W1: 50 layers of 512×512, batch 512, forward + backward + weight gradient = 3 products of
    # 2·512·512·512 flops per layer; 50·512² weights drawn
    w1 = WORKLOADS["W1"]
    assert w1.flops == 50 * 3 * 2 * 512 ** 3
    assert w1.weight_entries == 50 * 512 * 512
    assert [shape[1:] for shape in w1.gemm_shapes] == [(512, 512, 512)] * 3
    # W3: batch 256 ≠ width 128: the weight-gradient product contracts over the batch
    assert [shape[1:] for shape in WORKLOADS["W3"].gemm_shapes] == [(256, 128, 128), (256, 128, 128),
                                                                     (128, 256, 128)]


def test_geometry_repeats_are_initviz_sweep_repeats():
    # the notebook's sweep draws as many matrices per n as initviz's gram_sweep does
    from initviz import geometry
    dims = (8, 256, 512, 1024)
    sweep = geometry.gram_sweep(dims=dims, ensembles=("normal",), repeats=GEOMETRY.max_repeats, seed=0)
    assert list(sweep.data["repeats"]) == [GEOMETRY.repeats(n) for n in dims] == [8, 8, 8, 2]


def test_bare_numpy_runs_the_workloads_products_and_nothing_else():
    from dataclasses import replace

    from bench.limits import bare_numpy
    small = replace(WORKLOADS["W3"], depth=3, width=8, batch=4)
    # forward only: a tanh output of the batch's shape; with backward: ∂L/∂a¹ of that shape, finite
    out = bare_numpy(replace(small, backward=False))()
    assert out.shape == (4, 8) and out.dtype == np.float32 and np.all(np.abs(out) <= 1)
    grad = bare_numpy(small)()
    assert grad.shape == (4, 8) and np.all(np.isfinite(grad)) and np.any(grad != 0)
    with pytest.raises(ValueError, match="tanh"):
        bare_numpy(replace(small, activation="relu"))
