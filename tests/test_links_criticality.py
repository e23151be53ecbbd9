"""The Criticality page's link rules and its links both ways with Propagation (pure: no app)."""

import math

import pytest

import initviz as iv
from initviz import jacobian
from initviz.ui import deployment, links
from initviz.ui.links import criticality as plan

DEFAULTS = links.SCHEMAS["criticality"].defaults()


def _network(prop):
    [run] = links.propagation.runs(prop)
    return iv.Network.mlp(**run.network)


@pytest.mark.parametrize("activation", ["tanh", "relu", "leaky_relu", "elu", "gelu"])
@pytest.mark.parametrize("sw,sb", [(0.5, 0.0), (1.0, 0.05), (math.sqrt(2), 0.0), (2.7, 1.9), (6.0, 6.0)])
def test_the_point_opens_as_the_network_with_those_variances_and_comes_back(activation, sw, sb):
    settings = {**DEFAULTS, "activation": activation, "pt_sw": sw, "pt_sb": sb, "depth": 7, "width": 64}
    prop = plan.propagation_settings(settings)
    assert links.parse("propagation", links.canonical("propagation", prop)) == (prop, [])
    net = _network(prop)
    for layer in range(1, 8):  # σ_w² = fan_in·Var W and σ_b² = Var b in every layer, fan_in the width
        assert net.dims[layer - 1] == 64
        assert net.dims[layer - 1] * net.weight_law(layer).var == pytest.approx(sw * sw, rel=1e-12)
        bias = net.bias_law(layer)
        assert (bias is None) if sb == 0 else bias.var == pytest.approx(sb * sb, rel=1e-12)
    assert plan.phase_point(prop) == pytest.approx((sw, sb), rel=1e-12)
    back = plan.settings_at(prop, plan.phase_point(prop))
    assert links.validate("criticality", back) == back
    assert (back["activation"], back["depth"], back["width"]) == (activation, 7, 64)
    assert back["sw_min"] <= back["pt_sw"] <= back["sw_max"] and back["sb_min"] <= back["pt_sb"] <= back["sb_max"]


@pytest.mark.parametrize("scheme,params,expected", [
    ("xavier_normal", {}, 1.0), ("kaiming_uniform", {}, math.sqrt(2)), ("torch_default", {}, math.sqrt(1 / 3)),
    ("normal", {"normal_std": 0.1}, 0.1 * 16), ("trunc_normal", {"trunc_normal_std": 0.05}, None),
    ("variance_scaling", {"variance_scaling_scale": 2.0}, math.sqrt(2))])
def test_iid_zero_mean_schemes_on_square_layers_have_a_point(scheme, params, expected):
    prop = {**links.SCHEMAS["propagation"].defaults(), "width": 256, "scheme": scheme, **params}
    sw, sb = plan.phase_point(prop)
    net = _network(prop)
    assert sw == pytest.approx(math.sqrt(256 * net.weight_law(1).var), rel=1e-9) and sb == 0
    if expected is not None:
        assert sw == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("change", [{"scheme": "orthogonal"}, {"scheme": "sparse"}, {"scheme": "constant"},
                                    {"scheme": "normal", "normal_mean": 0.1}, {"bias": "constant"},
                                    {"bias": "scheme"}, {"in_width": 64}, {"scheme": "normal"}])
def test_no_point_without_a_mean_field_one(change):
    # orthogonal/sparse: not i.i.d.; constant, a non-zero mean or bias: not the model; another first
    # fan_in: no single σ_w²; N(0, 1) at width 256: σ_w = 16, beyond the diagram
    prop = {**links.SCHEMAS["propagation"].defaults(), **change}
    assert plan.phase_point(prop) is None


def test_the_window_is_kept_in_order():
    settings, notices = links.parse("criticality", {"sw_min": "4", "sw_max": "2", "sb_min": "1", "sb_max": "1"})
    assert (settings["sw_min"], settings["sw_max"]) == (2.0, 4.0)
    assert (settings["sb_min"], settings["sb_max"]) == (DEFAULTS["sb_min"], DEFAULTS["sb_max"])
    assert [n.param for n in notices] == ["sw_min", "sb_min"]


def test_the_variance_map_view_leaves_the_diagrams_parameters_out_of_its_link():
    s = {**DEFAULTS, "view": "qmap", "res": 9, "depth": 5, "c0": 0.1, "pt_sw": 1.3}
    assert links.canonical("criticality", s) == {"view": "qmap", "pt_sw": "1.3"}
    assert plan.qmap_sigmas(s) == plan.QMAP_SIGMAS  # the point's σ_w is one of them: three curves
    assert plan.qmap_sigmas({**s, "pt_sw": 2.0}) == (1.3, 2.0, 2.5, 4.0)


JAC_VIEW = {**DEFAULTS, "view": "jacobian"}


def test_the_jacobian_view_keeps_only_its_own_parameters_in_its_link():
    s = {**JAC_VIEW, "jac_depth": 40, "jac_width": 96, "depth": 5, "width": 99, "c0": 0.1}
    assert links.canonical("criticality", s) == {"view": "jacobian", "jac_depth": "40", "jac_width": "96"}
    settings, notices = links.parse("criticality", {"view": "diagram", "jac_depth": "40"})
    assert [n.param for n in notices] == ["jac_depth"] and "only applies" in notices[0].problem


def test_a_local_jacobian_view_is_computed_as_asked(monkeypatch):
    monkeypatch.setenv(deployment.SETTING, "local")
    s = {**JAC_VIEW, "jac_depth": 300, "jac_width": 512, "n_seeds": 16}
    fitted = plan.jacobian_fit(s)
    assert fitted.fits and fitted.n_seeds == 16 and fitted.cut == ()
    assert fitted.checkpoints == jacobian.default_checkpoints(300)


@pytest.mark.parametrize("depth,width,seeds", [(100, 128, 4), (100, 160, 16), (300, 96, 16), (30, 300, 5),
                                               (300, 200, 1), (1, 1024, 16), (300, 1024, 16)])
def test_a_hosted_jacobian_view_cuts_only_its_sample_to_fit(monkeypatch, depth, width, seeds):
    monkeypatch.setenv(deployment.SETTING, "hosted")
    s = {**JAC_VIEW, "jac_depth": depth, "jac_width": width, "n_seeds": seeds}
    fitted = plan.jacobian_fit(s)
    limit = plan.JACOBIAN_VIEW_MAX_WORK // len(plan.JACOBIAN_INITS)
    work = jacobian.jacobian_work(width, depth, len(fitted.checkpoints), fitted.n_seeds)
    asked = jacobian.jacobian_work(width, depth, len(jacobian.default_checkpoints(depth)), seeds)
    if fitted.fits:
        assert work <= limit and fitted.checkpoints[-1] == depth  # the depth asked is always reached
        assert len(fitted.checkpoints) >= min(depth, plan.JACOBIAN_MIN_CHECKPOINTS)
        assert (fitted.cut == ()) == (asked <= limit)
        if fitted.n_seeds < seeds:  # the most networks that fit
            more = jacobian.jacobian_work(width, depth, len(jacobian.default_checkpoints(depth)), fitted.n_seeds + 1)
            assert more > limit
    else:
        fewest = jacobian.default_checkpoints(depth, plan.JACOBIAN_MIN_CHECKPOINTS)
        assert jacobian.jacobian_work(width, depth, len(fewest), 1) > limit
        assert fitted.choices
        for label, choice in fitted.choices:  # one change each, the largest that fits
            changed = [k for k in ("jac_depth", "jac_width") if choice[k] != s[k]]
            assert len(changed) == 1 and plan.jacobian_fit(choice).fits and str(choice[changed[0]]) in label
            assert not plan.jacobian_fit({**choice, changed[0]: choice[changed[0]] + 1, "n_seeds": 1}).fits
