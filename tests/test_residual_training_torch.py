"""initviz.train on residual networks against real torch 2.13
(tests/fixtures/torch_residual_training_reference.json, written by
scripts/make_torch_training_fixture.py): the same input layer, blocks (pre- and post-norm, LayerNorm
and RMSNorm, one- and two-layer branches, the gpt2, deepnorm and fixup presets), final norm and
readout, from the same initial weights, on the same batches, trained 40 steps in float64 by
torch.optim's SGD (momentum, Nesterov, weight decay), Adam and AdamW with nn.CrossEntropyLoss /
nn.MSELoss. Every loss, every weight and bias after the last step and every logged statistic agrees
to 1e-9 relative, for the reason tests/test_training_torch.py gives: both sides compute the same
float64 operations in possibly different orders (~1e-15 relative each, well under 1e-9 after 40
steps), while a wrong factor (a skip multiplier, a norm's backward, a missing bias gradient)
changes the weights by ~lr·|g| ≈ 1e-3 relative at the first step."""

import json
import math
import pathlib

import numpy as np
import pytest

import initviz as iv

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" /
                      "torch_residual_training_reference.json").read_text())
RTOL = 1e-9


def _train(case):
    task = iv.tasks.get_task(case["task"][0], **case["task"][1])
    net = iv.Network.residual_net(**case["network"])
    options = dict(case["optimizer_options"])
    momentum = options.pop("momentum", 0.0)
    weight_decay = options.pop("weight_decay", None)
    return iv.train(net, task, optimizer=case["optimizer"], lr=case["lr"], momentum=momentum,
                    weight_decay=weight_decay, steps=case["steps"], batch=case["batch"], seed=case["seed"],
                    dtype="float64", log_every=case["log_every"], biases=case["biases"], optimizer_options=options)


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=[c["name"] for c in FIXTURE["cases"]])
def test_residual_training_equals_torch(case):
    res = _train(case)
    np.testing.assert_allclose(res.train_loss[0], case["losses"], rtol=RTOL, atol=0)
    assert res.test_loss[0, -1] == pytest.approx(case["test_loss"], rel=RTOL)
    assert len(res.params[0]) == len(case["weights"]) == len(res.layer_labels)
    for (W, b), W_torch, b_torch in zip(res.params[0], case["weights"], case["biases_after"]):
        scale = max(np.abs(W_torch).max(), 1e-300)
        np.testing.assert_allclose(W, W_torch, rtol=RTOL, atol=RTOL * scale)
        if b_torch is None:
            assert not b.any()  # bias=False: no bias term at all
        else:
            np.testing.assert_allclose(b, b_torch, rtol=RTOL, atol=RTOL * max(np.abs(b_torch).max(), 1e-300))
    assert list(res.logged) == [entry["step"] for entry in case["logged"]]
    for k, entry in enumerate(case["logged"]):
        for i, layer in enumerate(entry["layers"]):
            for name in ("weight_std", "grad_std", "update_ratio", "act_var"):
                want = layer[name]
                if name == "update_ratio" and not math.isfinite(want):  # ‖W‖ = 0 (Fixup's last layers): NaN here
                    assert math.isnan(res.layers[name][0, k, i]), (name, entry["step"], i)
                    continue
                assert res.layers[name][0, k, i] == pytest.approx(want, rel=RTOL), (name, entry["step"], i)


def test_the_fixture_covers_the_blocks_the_optimizers_both_losses_and_bias_choices():
    cases = FIXTURE["cases"]
    nets = [iv.Network.residual_net(**c["network"]) for c in cases]
    assert FIXTURE["torch"].startswith("2.13")
    assert {c["optimizer"] for c in cases} == set(iv.optimizers.OPTIMIZERS)
    assert {iv.tasks.get_task(c["task"][0], **c["task"][1]).loss for c in cases} == {"cross_entropy", "mse"}
    assert {n.activations[0][0] for n in nets} >= {"tanh", "relu", "gelu"}
    assert {c["biases"] for c in cases} == {True, False}
    assert {n.residual.placement for n in nets} == {"pre", "post"} and {n.residual.branch_depth for n in nets} == {1, 2}
    assert {n.norm for n in nets} == {"layernorm", "rmsnorm", "none"} and any(n.residual.final_norm for n in nets)
    assert any(s.alpha != 1 or s.skip != 1 or set(s.weights) != {1.0} for s in (n.branch_scales for n in nets))
    assert any(n.io_shapes[0] is None for n in nets) and all(n.io_shapes[1] is not None for n in nets)
