"""initviz.coord_check against real torch 2.13 (tests/fixtures/torch_mup_reference.json, written by
scripts/make_torch_mup_fixture.py): the μP MLP family at widths 128, 256, 512 written out by hand in
torch — per-layer parameter groups (MuSGD / MuAdam learning rates, weight decay λ/s), the readout's
α = 1/m and its zero or √m-scaled init — trained 3 steps in float64 by SGD, Adam and AdamW from
initviz's draws on its fixed batch. Every coordinate statistic of every layer, step, width and seed
agrees to 1e-9 relative: both sides do the same float64 operations in possibly different orders
(~1e-15 relative each, over 3 steps), while one wrong multiplier (a learning-rate scale of m instead
of 1, α applied to the bias-free output twice, λ unscaled) changes the statistics at the 1e-3 level
or more. ``delta_rms`` at step 0 is 0 on both sides; a zero-initialised readout's step-0 output is 0.
The same holds for iv.train with a μP parametrisation and biases (SGD with momentum, Adam, both with
weight decay), 12 steps on its own batches: every loss, the biases and the first weight rows; and
for the coordinate check of residual families (input layer, 2 pre- or post-LayerNorm blocks of branch
n → 2n → n, readout), torch's statistics taken by mup's forward hooks on every nn.Linear."""

import json
import pathlib

import numpy as np
import pytest

import initviz as iv

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "torch_mup_reference.json").read_text())
RTOL = 1e-9


@pytest.mark.parametrize("case", FIXTURE["cases"], ids=[c["name"] for c in FIXTURE["cases"]])
def test_coord_check_equals_torch(case):
    f = FIXTURE
    task = iv.tasks.get_task(f["task"][0], **f["task"][1])
    df = iv.coord_check("mup", case["optimizer"], case["lr"], widths=f["widths"], steps=f["steps"],
                        n_seeds=f["seeds"], depth=f["depth"], task=task, batch=f["batch"], seed=f["seed"],
                        base_width=f["base_width"], readout_zero=case["readout_zero"],
                        weight_decay=case["weight_decay"], dtype="float64")
    values = df.set_index(["width", "seed", "step", "layer_index", "statistic"])["value"]
    assert len(values) == len(f["widths"]) * f["seeds"] * (f["steps"] + 1) * f["depth"] * 3
    _check_equals(values, case["widths"])


def _check_equals(values, runs_by_width):
    """Every fixture statistic equals initviz's ``values`` (indexed width, seed, step, layer, statistic)."""
    for width, runs in runs_by_width.items():
        for rep, steps in enumerate(runs):
            for t, layers in enumerate(steps):
                for l, stats in enumerate(layers, start=1):
                    for name, expected in stats.items():
                        got = values[(int(width), rep, t, l, name)]
                        if expected == 0.0:
                            assert got == 0.0, (width, rep, t, l, name)
                        else:
                            assert got == pytest.approx(expected, rel=RTOL), (width, rep, t, l, name)


@pytest.mark.parametrize("case", FIXTURE["residual_checks"], ids=[c["name"] for c in FIXTURE["residual_checks"]])
def test_residual_coord_check_equals_torch(case):
    f = FIXTURE
    task = iv.tasks.get_task(f["task"][0], **f["task"][1])
    df = iv.coord_check("mup", case["optimizer"], case["lr"], widths=f["widths"], steps=f["steps"],
                        n_seeds=f["seeds"], task=task, batch=f["batch"], seed=f["seed"], base_width=f["base_width"],
                        readout_zero=case["readout_zero"], dtype="float64", arch=case["placement"],
                        depth=case["blocks"], norm="layernorm", branch_depth=2)
    values = df.set_index(["width", "seed", "step", "layer_index", "statistic"])["value"]
    layers = 2 * case["blocks"] + 2
    assert len(values) == len(f["widths"]) * f["seeds"] * (f["steps"] + 1) * layers * 3
    assert all(len(step) == layers for runs in case["widths"].values() for run in runs for step in run)
    _check_equals(values, case["widths"])
    last = case["widths"][str(f["widths"][-1])][0][-1]
    assert all(layer["delta_rms"] > 1e-6 for layer in last)  # every layer moved: the comparison is not vacuous


def test_the_fixture_covers_sgd_adam_adamw_decay_and_both_readouts():
    cases = FIXTURE["cases"]
    assert FIXTURE["torch"].startswith("2.13") and len(FIXTURE["widths"]) >= 3 and FIXTURE["steps"] >= 3
    assert {c["optimizer"] for c in cases} == {"sgd", "adam", "adamw"}
    assert {c["readout_zero"] for c in cases} == {True, False} and any(c["weight_decay"] for c in cases)
    # the updates move every layer: a statistic that stayed at its init would make the comparison vacuous
    for case in cases:
        last = case["widths"][str(FIXTURE["widths"][-1])][0][-1]
        assert all(layer["delta_rms"] > 1e-6 for layer in last), case["name"]


TRAIN_CASES = [("mlp", c) for c in FIXTURE["train"]["cases"]] + \
    [("residual", c) for c in FIXTURE["train"]["residual_cases"]]


def _train_network(kind, task, width):
    """The fixture's MLP, or its residual network (branch hidden 2·width, input layer and readout)."""
    if kind == "mlp":
        return iv.Network.mlp(task.in_dim, [width, width, task.out_dim], "tanh", "kaiming_normal",
                              {"nonlinearity": "linear"}, bias="normal", bias_value=0.1, layer_activations={3: "linear"})
    return iv.Network.residual_net(width, hidden=2 * width, in_features=task.in_dim, out_features=task.out_dim,
                                   **FIXTURE["train"]["residual_network"])


@pytest.mark.parametrize("kind, case", TRAIN_CASES, ids=[f"{kind}-{c['name']}" for kind, c in TRAIN_CASES])
def test_train_with_a_mup_parametrisation_equals_torch(kind, case):
    # iv.train with parametrise(...) and biases: per-parameter lr and weight-decay groups (biases of
    # width-sized layers at η·m under SGD), the output multiplier before the readout's bias, momentum;
    # of an MLP and of a residual network (input layer, branch layers W_1 (2n, n), W_2 (n, 2n), readout)
    f, spec = FIXTURE, FIXTURE["train"]
    task = iv.tasks.get_task(f["task"][0], **f["task"][1])
    options = dict(case["options"])
    momentum, weight_decay = options.pop("momentum", 0.0), options.pop("weight_decay", None)
    for width, expected in case["widths"].items():
        net = _train_network(kind, task, int(width))
        param = iv.parametrise(net, "mup", case["optimizer"], f["base_width"], readout_zero=False)
        res = iv.train(net, task, case["optimizer"], case["lr"], momentum, weight_decay, steps=spec["steps"],
                       batch=spec["batch"], seed=f["seed"], dtype="float64", optimizer_options=options,
                       parametrisation=param)
        np.testing.assert_allclose(res.train_loss[0], expected["losses"], rtol=RTOL, atol=0)
        assert len(res.params[0]) == len(expected["weight_rows"]) == len(expected["biases"])
        for (W, b), rows, b_torch in zip(res.params[0], expected["weight_rows"], expected["biases"]):
            rows = np.asarray(rows)
            np.testing.assert_allclose(W[:len(rows)], rows, rtol=RTOL, atol=RTOL * np.abs(rows).max())
            np.testing.assert_allclose(b, b_torch, rtol=RTOL, atol=RTOL * np.abs(b_torch).max())
