"""The Training link's architecture parameters (issue 13 on issue 14's blocks): the Propagation page's
names, defaults and cross-field rules; every combination comes out as a network the core trains on the
task (an input layer and a readout around the blocks); links without them train the very MLP they
always did; the cost model counts what the residual network really computes."""

import itertools

import pytest

import initviz as iv
from initviz.norms import NORMS
from initviz.residual import BRANCH_DEPTHS, PRESETS
from initviz.residual_training import ResidualModel
from initviz.ui import links
from initviz.ui.links import propagation
from initviz.ui.links import training as plan

ARCH_PARAMS = ("arch", "norm", "branch_depth", "preset", "final_norm")
COMBINATIONS = list(itertools.product(propagation.ARCHITECTURES, NORMS, BRANCH_DEPTHS, PRESETS, (False, True)))


def _settings(**changes):
    return {**links.SCHEMAS["training"].defaults(), "depth": 3, "width": 8, **changes}


def test_the_architecture_parameters_are_propagations():
    train, prop = links.SCHEMAS["training"].by_name, links.SCHEMAS["propagation"].by_name
    for name in ARCH_PARAMS:
        assert (train[name].kind, train[name].default, train[name].options) == \
            (prop[name].kind, prop[name].default, prop[name].options), name
    assert train["norm"].when == propagation.RESIDUAL_WHEN  # train() normalises no MLP


@pytest.mark.parametrize("arch, norm, branch_depth, preset, final_norm", COMBINATIONS)
def test_every_combination_is_constrained_as_on_propagation_to_a_network_that_fits_the_task(
        arch, norm, branch_depth, preset, final_norm):
    asked = _settings(arch=arch, norm=norm, branch_depth=branch_depth, preset=preset, final_norm=final_norm)
    settings, notices = links.constrain("training", dict(asked))
    prop_asked = {**links.SCHEMAS["propagation"].defaults(), **{k: asked[k] for k in ARCH_PARAMS}}
    prop, prop_notices = links.constrain("propagation", prop_asked)
    assert {k: settings[k] for k in ARCH_PARAMS} == {k: prop[k] for k in ARCH_PARAMS}  # the same rules
    assert notices == prop_notices
    net = plan.runs(settings)[0].build()  # raises InitvizError if a rule let an invalid pair through
    task = plan.task_of(settings["task"])
    if arch == "mlp":
        assert net.residual is None and net.norm == "none"
        return
    assert net.io_shapes == ((8, task.in_dim), (task.out_dim, 8)) and net.depth == 3
    assert (net.residual.placement, net.norm, net.residual.branch_depth, net.residual.preset) == \
        (settings["arch"], settings["norm"], settings["branch_depth"], preset)
    query = links.canonical("training", settings)
    parsed, again = links.parse("training", query)
    assert again == [] and {k: parsed[k] for k in query} == {k: settings[k] for k in query}
    assert plan.runs(parsed)[0].build() == net


def test_a_link_without_the_architecture_trains_the_mlp_it_always_did():
    query = {"depth": "2", "width": "24", "activation": "tanh", "scheme": "orthogonal", "compare": ""}
    settings = links.parse("training", query)[0]
    assert links.canonical("training", settings) == query
    [run] = plan.runs(settings)
    assert "placement" not in run.network and "norm" not in run.network
    assert run.build() == iv.Network.mlp(64, [24, 24, 10], "tanh", "orthogonal", bias_value=0.05,
                                         layer_activations={3: "linear"})
    # a norm without residual blocks is ignored, and said so
    settings, notices = links.parse("training", {**query, "norm": "layernorm"})
    assert [n.param for n in notices] == ["norm"] and plan.runs(settings)[0].build().norm == "none"


@pytest.mark.parametrize("branch_depth", BRANCH_DEPTHS)
def test_weights_and_activated_layers_are_the_trained_models(branch_depth):
    settings = _settings(arch="pre", depth=5, branch_depth=branch_depth, task="mixture")
    model = ResidualModel(plan.runs(settings)[0].build())
    assert plan.weights(settings) == sum(a * b for a, b in model.shapes)
    assert plan.weight_layers(settings) == len(model.labels)
    assert plan.activated_layers(settings) == tuple(
        k for k, act in enumerate(model.activations, start=1) if act.name != "linear")
    mlp = _settings(depth=5)
    assert plan.activated_layers(mlp) == tuple(range(1, 6)) and plan.weight_layers(mlp) == 6


def test_the_cost_of_a_residual_view_counts_its_layers_and_norms_and_an_mlps_is_unchanged():
    mlp = _settings()
    task = plan.task_of(mlp["task"])
    dims = (task.in_dim, 8, 8, 8, task.out_dim)
    one_seed_step = mlp["batch"] * sum(a * b for a, b in zip(dims, dims[1:])) * 3
    assert plan.training_cost(mlp)["run"] == mlp["n_seeds"] * mlp["steps"] * one_seed_step
    bare = _settings(arch="pre", norm="none")
    normed = {**bare, "norm": "layernorm"}
    final = {**normed, "final_norm": True}
    step = {name: plan.training_cost(s)["run"] // (s["n_seeds"] * s["steps"])
            for name, s in (("bare", bare), ("normed", normed), ("final", final))}
    entries = bare["batch"] * bare["width"]
    assert step["bare"] == bare["batch"] * plan.weights(bare) * 3 + (3 * 2 + 2) * plan.LAYER_STEP_MACS
    assert step["normed"] - step["bare"] == 3 * entries * plan.NORM_ENTRY_MACS
    assert step["final"] - step["normed"] == entries * plan.NORM_ENTRY_MACS


def test_a_layer_beyond_the_residual_networks_weight_layers_is_cut_with_a_notice():
    settings, notices = links.parse("training", {"arch": "pre", "depth": "2", "view": "layers", "diag_layer": "6"})
    assert notices == [] and settings["diag_layer"] == 6  # input, 2 × (W_1, W_2), readout
    settings, notices = links.parse("training", {"arch": "pre", "depth": "2", "view": "layers", "diag_layer": "7"})
    assert [n.param for n in notices] == ["diag_layer"] and settings["diag_layer"] == 0


def test_a_residual_view_over_the_hosted_budget_trains_fewer_seeds_of_the_same_network(monkeypatch):
    monkeypatch.setattr(plan.deployment, "current", lambda: plan.deployment.HOSTED)
    asked = _settings(arch="pre", depth=20, width=32, norm="layernorm", n_seeds=8, steps=150)
    fitted = plan.fit_view(asked)
    assert fitted.fits and 1 <= fitted.settings["n_seeds"] < 8 and [n.param for n in fitted.cut] == ["n_seeds"]
    assert {k: v for k, v in fitted.settings.items() if k != "n_seeds"} == {k: v for k, v in asked.items()
                                                                            if k != "n_seeds"}
    assert plan.training_cost(fitted.settings)["page"] <= plan.PAGE_MAX_FLOPS
    assert plan.training_cost({**fitted.settings, "n_seeds": fitted.settings["n_seeds"] + 1})["page"] > \
        plan.PAGE_MAX_FLOPS  # the most seeds that fit
    huge = plan.fit_view({**asked, "width": 128, "steps": 300, "n_seeds": 3})
    assert not huge.fits and huge.choices
    for label, choice in huge.choices:  # each one change, within the budget, the architecture kept
        assert plan.fit_view(choice).fits and choice["arch"] == "pre" and choice["norm"] == "layernorm", label
