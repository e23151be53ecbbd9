"""initviz.train against real torch 2.13 (tests/fixtures/torch_training_reference.json, written by
scripts/make_torch_training_fixture.py): the same networks from the same initial weights, on the
same batches, trained 50 steps in float64 by torch.optim's SGD (momentum, dampening, Nesterov,
weight decay), Adam and AdamW with nn.CrossEntropyLoss / nn.MSELoss. Every loss, every weight and
bias after the last step and every logged statistic agrees to 1e-9 relative: both sides compute
the same float64 operations in possibly different orders (BLAS blocking, torch's fused kernels),
so they differ by rounding, ~1e-15 relative per operation, amplified over 50 steps of a
well-conditioned problem to well under 1e-9 — while one step of a wrong rule (a missing bias
correction, decay applied after momentum, dampening on the first step) changes the weights by
~lr·|g| ≈ 1e-3 relative."""

import json
import pathlib

import numpy as np
import pytest

import initviz as iv

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "torch_training_reference.json").read_text())
RTOL = 1e-9


def _train(case, **extra):
    task = iv.tasks.get_task(case["task"][0], **case["task"][1])
    widths = case["widths"]
    net = iv.Network.mlp(task.in_dim, widths, case["activation"], case["init"], bias=case["bias"][0],
                         bias_value=case["bias"][1], layer_activations={len(widths): "linear"})
    options = {k: tuple(v) if isinstance(v, list) else v for k, v in case["optimizer_options"].items()}
    momentum = options.pop("momentum", 0.0)
    weight_decay = options.pop("weight_decay", None)
    return iv.train(net, task, optimizer=case["optimizer"], lr=case["lr"], momentum=momentum,
                    weight_decay=weight_decay, steps=case["steps"], batch=case["batch"], seed=case["seed"],
                    dtype="float64", log_every=case["log_every"], biases=case["biases"], optimizer_options=options,
                    **extra)


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=[c["name"] for c in FIXTURE["cases"]])
def test_training_equals_torch(case):
    res = _train(case)
    np.testing.assert_allclose(res.train_loss[0], case["losses"], rtol=RTOL, atol=0)
    assert res.test_loss[0, -1] == pytest.approx(case["test_loss"], rel=RTOL)
    for (W, b), W_torch, b_torch in zip(res.params[0], case["weights"], case["biases_after"]):
        np.testing.assert_allclose(W, W_torch, rtol=RTOL, atol=RTOL * np.abs(W_torch).max())
        if b_torch is None:
            assert not b.any()  # bias=False: no bias term at all
        else:
            np.testing.assert_allclose(b, b_torch, rtol=RTOL, atol=RTOL * np.abs(b_torch).max())
    assert list(res.logged) == [entry["step"] for entry in case["logged"]]
    for k, entry in enumerate(case["logged"]):
        for i, layer in enumerate(entry["layers"]):
            for name in ("weight_std", "grad_std", "update_ratio"):
                assert res.layers[name][0, k, i] == pytest.approx(layer[name], rel=RTOL), (name, entry["step"], i)


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=[c["name"] for c in FIXTURE["cases"]])
def test_gradient_histogram_bins_torchs_gradient(case):
    # the histogram of ∂L/∂W_l at the fixture's gradient step is np.histogram of torch's gradient over
    # initviz's edges; an entry may change bins only if it lies within rounding (1e-9 relative, as
    # above) of an edge — each such entry moves one count, so the counts differ by at most twice their number
    bins = 16
    res = _train(case, histogram_steps=(0, case["grad_step"]), histogram_bins=bins)
    for i, g in enumerate(case["grads"]):
        g = np.asarray(g)
        edges = res.hist_edges["grad"][0, i]
        counts = res.hist_counts["grad"][0, 1, i]
        assert counts.sum() == g.size
        assert edges[0] <= g.min() + RTOL * np.abs(g).max() and edges[-1] >= g.max() - RTOL * np.abs(g).max()
        near = (np.abs(g[..., None] - edges) <= RTOL * np.abs(g).max()).any(axis=-1).sum()
        assert np.abs(counts - np.histogram(g, bins=edges)[0]).sum() <= 2 * near, i


def test_the_fixture_covers_every_optimizer_both_losses_and_bias_choices():
    cases = FIXTURE["cases"]
    assert FIXTURE["torch"].startswith("2.13")
    assert {c["optimizer"] for c in cases} == set(iv.optimizers.OPTIMIZERS)
    assert {iv.tasks.get_task(c["task"][0], **c["task"][1]).loss for c in cases} == {"cross_entropy", "mse"}
    assert {c["activation"] for c in cases} >= {"tanh", "relu", "gelu"} and {c["biases"] for c in cases} == {True, False}
    options = [c["optimizer_options"] for c in cases if c["optimizer"] == "sgd"]
    assert any(o.get("nesterov") for o in options) and any(o.get("dampening") for o in options)
