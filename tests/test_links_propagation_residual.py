"""The Propagation link's residual parameters (issue 14): every combination of architecture, norm,
branch depth, preset and final norm comes out of the cross-field rules as a network the core builds,
changed only where the preset needs it (with a notice naming the field), and its canonical link parses
back to the same settings; links without the new parameters build the very MLP they always built."""

import itertools

import pytest

import initviz as iv
from initviz.norms import NORMS
from initviz.residual import BRANCH_DEPTHS, PRESETS
from initviz.ui import links
from initviz.ui.links import propagation as plan

COMBINATIONS = list(itertools.product(plan.ARCHITECTURES, NORMS, BRANCH_DEPTHS, PRESETS, (False, True)))


@pytest.mark.parametrize("arch, norm, branch_depth, preset, final_norm", COMBINATIONS)
def test_every_combination_is_constrained_to_a_network_the_core_builds(arch, norm, branch_depth, preset, final_norm):
    asked = {**links.SCHEMAS["propagation"].defaults(), "depth": 4, "width": 8, "arch": arch, "norm": norm,
             "branch_depth": branch_depth, "preset": preset, "final_norm": final_norm}
    settings, notices = links.constrain("propagation", asked)
    net = plan.runs(settings)[0].build()  # raises InitvizError if a rule let an invalid pair through
    changed = {k for k in asked if settings[k] != asked[k]}
    assert changed == {n.param for n in notices}  # every change is said, nothing else is
    if arch == "mlp":
        assert net.residual is None and net.norm == norm and not changed
        return
    need = PRESETS[preset]
    assert net.residual.preset == preset  # the preset asked is kept; the other fields give way
    assert net.residual.placement == (need.needs_placement or arch)
    assert net.norm == ("none" if need.no_norm else norm)
    assert net.residual.branch_depth == max(branch_depth, need.min_branch_depth)
    query = links.canonical("propagation", settings)
    parsed, again = links.parse("propagation", query)
    assert again == [] and {k: parsed[k] for k in query} == {k: settings[k] for k in query}
    assert plan.runs(parsed)[0].build() == net


def test_a_link_without_the_new_parameters_builds_the_mlp_it_always_did():
    query = {"depth": "7", "width": "40", "in_width": "24", "activation": "relu", "scheme": "kaiming_normal",
             "bias": "normal", "bias_value": "0.1"}
    [run] = plan.runs(links.parse("propagation", query)[0])
    assert "norm" not in run.network and "placement" not in run.network  # Network.mlp's arguments, as before
    assert run.build() == iv.Network.mlp(24, [40] * 7, "relu", "kaiming_normal", bias="normal", bias_value=0.1)


def test_the_cost_model_counts_every_branch_layer_of_a_residual_net():
    s = {**links.SCHEMAS["propagation"].defaults(), "arch": "pre", "depth": 10, "width": 32, "batch": 16}
    one = plan.propagation_cost({**s, "branch_depth": 1})
    two = plan.propagation_cost({**s, "branch_depth": 2})
    # float32; a block's branch: m weight layers of 32 × 32 (hidden = width)
    assert one["weights"] == 10 * 32 * 32 and two["weights"] == 2 * one["weights"]
    assert two["macs"] == 16 * two["weights"] and two["activations"] == 16 * 10 * 2 * 32
