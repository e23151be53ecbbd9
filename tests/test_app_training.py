"""The Training page (AppTest): the default view's charts (finite, exportable, the core's numbers),
a link round trip, the presets' known outcomes on the page, hostile values for every new parameter,
and the hosted budget's cut of the sample sizes."""

import numpy as np
import pytest

import initviz as iv
from initviz.ui import experiments, links
from initviz.ui.links import training as plan
from test_app_support import all_finite, assert_exportable, chart, export_caption, open_page, text_of, trace

CURVES = ("loss", "accuracy")
LAYERS = ("update_data", "grad_std", "dead", "distinct_units", "hist_grad", "hist_act")
PRESETS = {p.key: p for p in experiments.PRESETS}


def _open(query: dict):
    return open_page("training", query)


@pytest.fixture(scope="module")
def default():
    return {"curves": _open({}), "layers": _open({"view": "layers"})}


@pytest.mark.parametrize("view, keys", [("curves", CURVES), ("layers", LAYERS)])
def test_the_default_view_draws_its_charts_finite_and_exportable(default, view, keys):
    at = default[view]
    drawn = {c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")}
    assert drawn == set(keys)
    for key in keys:
        fig = chart(at, key)
        assert fig["data"] and all_finite(fig), key
        assert_exportable(fig, "training", {} if view == "curves" else {"view": view})
        assert fig["config"]["toImageButtonOptions"]["filename"].startswith(f"training-{key}")
    # (zeros has no update:data ratio nor a positive gradient std to draw: its weights stay 0 under ReLU)
    legend = chart(at, "loss" if view == "curves" else "distinct_units")
    names = [t["name"] for t in legend["data"] if t.get("showlegend", True) and t.get("name")]
    assert names == ["kaiming_normal", "keras_glorot_uniform", "torch_default", "zeros"]


def test_the_default_curves_are_the_cores_numbers_with_chance_labelled(default):
    fig = chart(default["curves"], "loss")
    net = iv.Network.mlp(64, [128, 128, 128, 10], "relu", "kaiming_normal", layer_activations={4: "linear"})
    res = iv.train(net, iv.tasks.get_task("digits"), lr=0.05, momentum=0.9, steps=300, batch=64, n_seeds=3,
                   log_every=plan.log_every(300))
    y = np.asarray(trace(fig, "kaiming_normal")["y"], dtype=float)
    np.testing.assert_allclose(y, np.median(res.train_loss, axis=0), rtol=1e-12)
    [shape] = fig["layout"]["shapes"]
    assert shape["y0"] == pytest.approx(np.log(10))
    assert any(a["text"] == "chance −log(1/10) = 2.30" for a in fig["layout"]["annotations"])
    assert fig["layout"]["yaxis"]["type"] == "log"  # log_y defaults to on
    text = text_of(default["curves"])
    assert f"kaiming_normal starts at {np.median(res.train_loss[:, 0]):.2f}" in text and "chance is 2.30" in text


def test_a_link_round_trips_and_sets_every_control():
    query = {"task": "spirals", "depth": "2", "width": "32", "activation": "tanh", "scheme": "orthogonal",
             "orthogonal_gain": "2.0", "compare": "", "optimizer": "adam", "lr": "0.01", "weight_decay": "0.001",
             "steps": "60", "batch": "32", "n_seeds": "2", "seed": "7", "dtype": "float64", "log_y": "false"}
    settings, notices = links.parse("training", query)
    assert notices == [] and links.parse("training", links.canonical("training", settings)) == (settings, [])
    at = _open(query)
    assert {k: v for k, v in at.query_params.items() if k in query} == query
    assert at.number_input(key="width").value == 32 and at.toggle(key="log_y").value is False
    fig = chart(at, "loss")
    assert [t["name"] for t in fig["data"] if t.get("mode") == "lines" and t.get("showlegend", True)] == \
        ["orthogonal(gain=2)"]
    assert fig["layout"]["yaxis"].get("type") != "log"
    assert all_finite(fig)


def test_the_histograms_are_the_cores_at_step_0_and_the_chosen_step_of_the_chosen_layer():
    query = {"view": "layers", "task": "spirals", "depth": "2", "width": "16", "compare": "zeros", "steps": "40",
             "n_seeds": "2", "hist_step": "30", "diag_layer": "2", "dtype": "float64"}
    # float64: the page's worker (one BLAS thread) and this process may round the products differently
    # (~1e-16), which moves an entry across a bin edge only if it lies within that of one
    at = _open(query)
    assert {k: at.query_params[k] for k in query} == query and at.number_input(key="hist_step").value == 30
    settings = links.parse("training", query)[0]
    for key, kind in (("hist_grad", "grad"), ("hist_act", "act")):
        fig = chart(at, key)
        assert [t["name"] for t in fig["data"] if t.get("showlegend", True)] == ["step 0", "step 30"]
        for run in plan.runs(settings):
            res = iv.train(iv.Network.mlp(**run.network), plan.task_of(run.task), **run.train)
            frame = res.histogram_frame(kind)
            for step in (0, 30):
                h = frame[(frame["seed"] == 0) & (frame["layer"] == 2) & (frame["step"] == step)]
                drawn = trace(fig, f"{run.name} · step {step}")
                np.testing.assert_allclose(np.asarray(drawn["y"][:-1], float), h["density"], rtol=1e-9)
                np.testing.assert_allclose(np.asarray(drawn["x"][:-1], float), h["bin_lo"], rtol=1e-9, atol=1e-15)
        assert_exportable(fig, "training", query)


def test_zeros_preset_keeps_hidden_units_identical_and_the_loss_at_chance():
    at = _open({**PRESETS["train_zeros_large_he"].query(), "view": "layers"})
    fig = chart(at, "distinct_units")
    zeros = [t for t in fig["data"] if t.get("name") == "zeros" and t["mode"] != "text"]
    assert len(zeros) == 4  # 3 hidden layers + the output layer
    hidden = [np.asarray(t["y"], dtype=float) for t in zeros[:3]]
    assert all((y == 1).all() for y in hidden)
    he = [np.asarray(t["y"], dtype=float) for t in fig["data"] if t.get("name") == "kaiming_normal" and t["mode"] != "text"]
    assert min(y.min() for y in he[:3]) > 100
    curves = _open(PRESETS["train_zeros_large_he"].query())
    loss = np.asarray(trace(chart(curves, "loss"), "zeros")["y"], dtype=float)
    assert np.all(np.abs(loss - np.log(10)) < 0.05)  # chance for the whole run
    assert "zeros starts at 2.30" in text_of(curves)


def test_overconfident_preset_starts_far_above_chance_and_xavier_near_it():
    at = _open(PRESETS["train_overconfident"].query())
    loss = chart(at, "loss")
    normal = np.asarray(trace(loss, "normal")["y"], dtype=float)
    xavier = np.asarray(trace(loss, "xavier_normal")["y"], dtype=float)
    assert normal[0] > 4 * np.log(10) and abs(xavier[0] - np.log(10)) < 0.5


RESIDUAL = {"arch": "pre", "width": "16", "norm": "layernorm", "branch_depth": "1", "preset": "gpt2",
            "final_norm": "true", "compare": "torch_default", "steps": "30", "n_seeds": "2", "dtype": "float64"}
"""A residual view: three pre-LN one-layer blocks (the default depth; weight layers: input, block 1–3 W_1,
readout)."""


def _residual_net(scheme):
    return iv.Network.residual_net(16, 3, "relu", scheme, norm="layernorm", placement="pre", branch_depth=1,
                                   preset="gpt2", final_norm=True, bias_value=0.05, in_features=64, out_features=10)


def test_a_residual_link_round_trips_sets_its_controls_and_trains_the_cores_network():
    settings, notices = links.parse("training", RESIDUAL)
    assert notices == [] and links.parse("training", links.canonical("training", settings)) == (settings, [])
    at = _open(RESIDUAL)
    assert {k: at.query_params[k] for k in RESIDUAL} == RESIDUAL
    assert at.selectbox(key="arch").value == "pre" and at.selectbox(key="norm").value == "layernorm"
    assert at.selectbox(key="preset").value == "gpt2" and at.toggle(key="final_norm").value is True
    fig = chart(at, "loss")
    # float64: the page's worker and this process may round the products differently (~1e-16 a step)
    res = iv.train(_residual_net("kaiming_normal"), iv.tasks.get_task("digits"), lr=0.05, momentum=0.9, steps=30,
                   n_seeds=2, dtype="float64", log_every=plan.log_every(30))
    np.testing.assert_allclose(np.asarray(trace(fig, "kaiming_normal")["y"], dtype=float),
                               np.median(res.train_loss, axis=0), rtol=1e-9)
    assert any(a["text"] == "chance −log(1/10) = 2.30" for a in fig["layout"]["annotations"])
    text = text_of(at)
    assert "residual pre-norm layernorm" in text and "A block: the stream plus a branch of 1 weight layer" in text
    assert "input layer Linear(64, 16)" in text and "readout Linear(16, 10)" in text
    mlp = _open({"steps": "20", "compare": ""})
    assert not [w for w in mlp.selectbox if w.key in ("norm", "preset")]  # an MLP has no block controls
    assert mlp.selectbox(key="arch").value == "mlp"


def test_residual_layers_are_named_by_their_labels_in_the_selector_and_the_charts():
    every = _open({**RESIDUAL, "view": "layers"})
    labels = ("input", "block 1 W_1", "block 2 W_1", "block 3 W_1", "readout")
    selector = every.select_slider(key="diag_layer")
    assert selector.value == 0 and list(selector.options) == ["every layer", *labels]
    fig = chart(every, "grad_std")  # every layer against its index, at the first and last logged steps
    lines = [t for t in fig["data"] if t.get("text") is not None]
    assert {t["name"] for t in lines} == {"kaiming_normal", "torch_default"} and len(lines) == 4
    for t in lines:
        assert list(np.asarray(t["x"], dtype=int)) == [1, 2, 3, 4, 5] and list(t["text"]) == list(labels)
    assert fig["layout"]["legend"]["title"]["text"] == "dotted: step 0 · solid: step 29"
    assert all_finite(fig)
    assert_exportable(fig, "training", {**RESIDUAL, "view": "layers"})
    dead = chart(every, "dead")  # the activation's units: the branches' W_1 only
    assert {int(x) for t in dead["data"] if t.get("text") for x in np.asarray(t["x"], dtype=int)} == {2, 3, 4}
    one = _open({**RESIDUAL, "view": "layers", "diag_layer": "3"})
    assert one.select_slider(key="diag_layer").value == 3
    fig = chart(one, "grad_std")  # the chosen layer over steps, named in the hover text
    assert all("block 2 W_1" in t["hovertemplate"] for t in fig["data"] if t.get("hovertemplate"))
    assert "Histograms of block 2 W_1: step 0 and step 29" in [h.value for h in one.subheader]
    assert "block 2 W_1 over steps" in text_of(one)


def test_the_plain_residual_preset_trains_only_the_small_branches():
    preset = PRESETS["train_resid_plain"]
    fig = chart(_open(preset.query()), "loss")
    he, small = (np.asarray(trace(fig, name)["y"], dtype=float) for name in ("kaiming_normal", "torch_default"))
    # the same outcome as the core's test (tests/test_training.py: its margins)
    assert he[0] > 5 * np.log(10) and small[-1] < np.log(10) / 2 and abs(small[0] - np.log(10)) < 0.5 * np.log(10)


HOSTILE = {"task": "mnist", "depth": "1e3", "width": "-5", "activation": "softmax", "scheme": "dirac",
           "compare": "bogus", "optimizer": "rmsprop", "lr": "nan", "momentum": "2", "weight_decay": "-1",
           "steps": "0x10", "batch": "", "n_seeds": "99", "seed": "-1", "dtype": "float16", "log_y": "maybe",
           "view": "sideways", "diag_layer": "x"}


def test_a_hostile_link_gives_notices_for_every_parameter_and_no_traceback():
    at = open_page("training", HOSTILE)
    shown = "\n".join(w.value for w in at.warning) + "\n".join(t.value for t in at.text)
    for name in HOSTILE:
        if name != "diag_layer":  # only applies in the layers view: ignored, and said so
            assert name in shown, name
    assert "Traceback" not in text_of(at)
    assert chart(at, "loss")["data"]


def test_a_view_over_the_budget_trains_fewer_seeds_and_keeps_the_link():
    """Seeds are the only sample size of a training view: cut under their control, the link kept."""
    asked = {"n_seeds": "8", "steps": "400"}
    at = open_page("training", asked)
    assert {k: at.query_params[k] for k in asked} == asked  # the link says what was asked
    fitted = plan.fit_view(links.parse("training", asked)[0])
    assert fitted.fits and 1 <= fitted.settings["n_seeds"] < 8 and fitted.settings["steps"] == 400
    assert plan.training_cost(fitted.settings)["page"] <= plan.PAGE_MAX_FLOPS
    notes = [w.value for w in at.warning]
    assert any(n.startswith("Networks (seeds): 8 networks would be") and n.endswith(
        f"using {fitted.settings['n_seeds']}.") for n in notes), notes
    assert len(chart(at, "loss")["data"]) and at.slider(key="n_seeds").value == 8
    # the chart exports what it shows: its caption's link is the view computed (fewer seeds), not the one asked
    link = export_caption(chart(at, "loss")).replace("&amp;", "&").replace("<br>", "").split(" · ")[-1]
    assert f"n_seeds={fitted.settings['n_seeds']}" in link and "n_seeds=8" not in link, link


def test_a_view_that_does_not_fit_with_one_seed_trains_nothing_and_offers_choices_that_fit():
    """Issue 12 item 1 / issue 13: the batch and the steps are part of the training asked — never
    cut behind the user's back; each choice is one change, and fits."""
    asked = {"depth": "20", "width": "512", "n_seeds": "8", "batch": "512", "steps": "2000", "compare": ""}
    at = open_page("training", asked)
    assert not at.get("plotly_chart") and {k: at.query_params[k] for k in asked} == asked
    fitted = plan.fit_view(links.parse("training", asked)[0])
    assert not fitted.fits and fitted.choices
    for label, choice in fitted.choices:
        changed = {k for k in choice if choice[k] != fitted.asked[k]}
        assert len(changed) == 1 and plan.fit_view(choice).fits, (label, changed)
    assert "nothing is trained" in text_of(at)
