"""initviz.propagate on residual and normalised networks against real torch 2.13
(tests/fixtures/torch_residual_reference.json, written by scripts/make_torch_residual_fixture.py): the
same weights, inputs and probe, run forward and backward by torch's nn.Linear, nn.LayerNorm,
nn.RMSNorm and autograd in float64. Every per-layer / per-block statistic agrees to 1e-9 relative:
both sides compute the same float64 operations in possibly different orders (BLAS blocking, torch's
fused norm kernels), ~1e-15 relative per operation over a few dozen operations, while a wrong eps
(LayerNorm's 1e-5 against RMSNorm's finfo.eps), a missing term of a norm's backward, a preset's
multiplier on the wrong layer or the norm on the wrong side of the sum changes them by far more
than 1e-9."""

import json
import pathlib

import numpy as np
import pytest

import initviz as iv

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "torch_residual_reference.json").read_text())
RTOL = 1e-9


def _network(case):
    return iv.Network.mlp(**case["args"]) if case["kind"] == "mlp" else iv.Network.residual_net(**case["args"])


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=[c["name"] for c in FIXTURE["cases"]])
def test_propagate_equals_torch(case):
    res = iv.propagate(_network(case), batch=case["batch"], seed=case["seed"], dtype="float64")
    for name, values in case["stats"].items():
        np.testing.assert_allclose(res.stats[name][0], values, rtol=RTOL, atol=0, err_msg=name)


def test_the_fixture_covers_every_norm_placement_and_preset():
    cases = FIXTURE["cases"]
    assert FIXTURE["torch"].startswith("2.13")
    nets = [_network(c) for c in cases]
    assert {n.norm for n in nets if n.residual is None} == {"layernorm", "rmsnorm"}
    blocks = [n.residual for n in nets if n.residual is not None]
    assert {b.preset for b in blocks} == set(iv.PRESETS)
    assert {b.placement for b in blocks} == set(iv.residual.PLACEMENTS)
    assert {b.branch_depth for b in blocks} == {1, 2} and {b.final_norm for b in blocks} == {True, False}


@pytest.mark.parametrize("case", FIXTURE["norms"], ids=[f"{c['norm']}-{c['dtype']}-{abs(c['x'][0][0]):.0e}"
                                                         for c in FIXTURE["norms"]])
def test_norms_equal_torch_modules(case):
    """normalise / normalise_backward against nn.LayerNorm / nn.RMSNorm, including inputs of scale
    1e-7 whose mean square is below the eps (a wrong eps changes y by O(1) there). float64: 1e-9 as
    above; float32: both sides round each of ~n = 32 terms of the means at 2^-24 ≈ 6e-8, so 2e-5
    relative (plus that much of the row's largest value, for entries near 0)."""
    x, g = np.array(case["x"], dtype=case["dtype"]), np.array(case["g"], dtype=case["dtype"])
    rtol = RTOL if case["dtype"] == "float64" else 2e-5
    y, grad_x = np.array(case["y"]), np.array(case["grad_x"])
    np.testing.assert_allclose(iv.norms.normalise(case["norm"], x), y, rtol=rtol, atol=rtol * np.abs(y).max())
    np.testing.assert_allclose(iv.norms.normalise_backward(case["norm"], x, g), grad_x, rtol=rtol,
                               atol=rtol * np.abs(grad_x).max())
