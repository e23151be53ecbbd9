"""The Criticality page (AppTest): the default view's maps and measurements (finite, exportable, the
core's numbers), ReLU's mask and critical point, the links both ways with Propagation, a link round
trip and the variance-map view."""

import math
from urllib.parse import parse_qsl

import numpy as np
import pytest

import initviz as iv
from initviz.ui import links
from initviz.ui.links import criticality as plan
from test_app_support import all_finite, assert_exportable, chart, open_page, text_of, trace

MAPS = ("q_star", "chi1", "c_star", "xi_q", "xi_c")


@pytest.fixture(scope="module")
def default():
    return open_page("criticality", {})


@pytest.fixture(scope="module")
def relu():
    return open_page("criticality", {"activation": "relu", "pt_sw": "1.2", "pt_sb": "0.5"})


def _grid(settings):
    (w_lo, w_hi), (b_lo, b_hi) = plan.window(settings)
    return np.linspace(w_lo, w_hi, settings["res"]), np.linspace(b_lo, b_hi, settings["res"])


def _z(fig, name):
    return np.array([[np.nan if v is None else v for v in row] for row in trace(fig, name)["z"]], dtype=float)


def test_the_default_view_draws_every_map_and_both_measurements(default):
    drawn = {c.proto.id.rsplit("-", 1)[-1] for c in default.get("plotly_chart")}
    assert drawn == {f"map_{m}" for m in MAPS} | {"layers_c", "layers_q"}
    for key in drawn:
        fig = chart(default, key)
        assert fig["data"] and all_finite(fig), key
        assert_exportable(fig, "criticality", {})
        assert fig["config"]["toImageButtonOptions"]["filename"].startswith(f"criticality-{key.split('_', 1)[1]}")
    text = text_of(default)
    assert "6 ξ_c layers" in text and "You are here" in text


def test_the_maps_are_the_cores_numbers_with_the_critical_line_and_the_point(default):
    settings = links.SCHEMAS["criticality"].defaults()
    sw, sb = _grid(settings)
    table = iv.phase_diagram("tanh", sw ** 2, sb ** 2)
    chi = table.pivot(index="sigma_b2", columns="sigma_w2", values="chi1").to_numpy()
    fig = chart(default, "map_chi1")
    np.testing.assert_allclose(_z(fig, "χ₁"), np.log(chi), rtol=1e-12)  # drawn on a log scale centred at 1
    heat = trace(fig, "χ₁")
    assert heat["zmid"] == 0 and heat["zmin"] == -heat["zmax"]
    assert "ordered" in heat["colorbar"]["title"]["text"] and "chaotic" in heat["colorbar"]["title"]["text"]
    line = trace(fig, "critical line χ₁ = 1")
    b2 = np.asarray(line["y"], dtype=float) ** 2
    np.testing.assert_allclose(np.asarray(line["x"], dtype=float) ** 2, iv.critical_line("tanh", b2), rtol=1e-10)
    assert line["x"][0] == pytest.approx(1.0)  # tanh at σ_b = 0: σ_w² = 1
    here = trace(fig, "you are here")
    assert (here["x"][0], here["y"][0]) == (settings["pt_sw"], settings["pt_sb"])
    xi = chart(default, "map_xi_c")
    xi_core = table.pivot(index="sigma_b2", columns="sigma_w2", values="xi_c").to_numpy()
    shown = np.isfinite(xi_core)
    np.testing.assert_allclose(_z(xi, "ξ_c")[shown], np.log10(xi_core[shown]), rtol=1e-12)  # log colour


def test_relu_masks_where_no_finite_fixed_point_exists_and_marks_its_critical_point(relu):
    settings = {**links.SCHEMAS["criticality"].defaults(), "activation": "relu"}
    sw, sb = _grid(settings)
    for key in (f"map_{m}" for m in MAPS):
        fig = chart(relu, key)
        assert all_finite(fig)
        heatmaps = [t for t in fig["data"] if t["type"] == "heatmap"]
        mask = np.array([[v is not None for v in row] for row in heatmaps[1]["z"]])
        # σ_w² > 2 with σ_b = 0, σ_w² ≥ 2 with σ_b > 0: q* = ∞ (ReLU's variance map has slope σ_w²/2)
        w2, b2 = np.meshgrid(sw ** 2, sb ** 2)
        np.testing.assert_array_equal(mask, (w2 > 2) | ((w2 >= 2) & (b2 > 0)))
        values = np.array([[v is not None for v in row] for row in heatmaps[0]["z"]])
        assert not (values & mask).any()  # a masked point has no colour of a number
        assert trace(fig, "no stable finite q* (q* = ∞)")
        point = trace(fig, "critical point χ₁ = 1")
        assert point["mode"] == "markers" and point["x"][0] == pytest.approx(math.sqrt(2)) and point["y"][0] == 0
    assert "**ordered**" in text_of(relu)


def test_the_point_opens_in_propagation_as_the_same_network(relu):
    [link] = [l for l in relu.get("page_link") if l.proto.page == "propagation"]
    query = dict(parse_qsl(link.proto.query_string))
    prop, notices = links.parse("propagation", query)
    assert notices == []
    [run] = links.propagation.runs(prop)
    net = iv.Network.mlp(**run.network)
    for layer in range(1, net.depth + 1):
        assert net.dims[layer - 1] * net.weight_law(layer).var == pytest.approx(1.2 ** 2, rel=1e-12)
        assert net.weight_law(layer).kind == "normal" and net.weight_law(layer).mean == 0
        assert net.bias_law(layer).var == pytest.approx(0.5 ** 2, rel=1e-12)
    assert net.activation(1).name == "relu" and prop["input_corr"] == 0.5 and prop["inputs"] == "correlated"


def test_propagation_links_back_to_its_point_when_it_has_one():
    at = open_page("propagation", {"activation": "relu", "scheme": "kaiming_normal", "bias": "normal",
                                   "bias_value": "0.3", "depth": "5", "batch": "32"})
    [link] = [l for l in at.get("page_link") if l.proto.page == "criticality"]
    settings, notices = links.parse("criticality", dict(parse_qsl(link.proto.query_string)))
    assert notices == []
    assert settings["pt_sw"] == pytest.approx(math.sqrt(2)) and settings["pt_sb"] == pytest.approx(0.3)
    assert settings["activation"] == "relu" and settings["depth"] == 5
    # no mean-field point: orthogonal weights, a constant bias, a first layer of another fan_in
    for query in ({"scheme": "orthogonal"}, {"bias": "constant"}, {"in_width": "64"}):
        at = open_page("propagation", {**query, "depth": "5", "batch": "32"})
        assert not [l for l in at.get("page_link") if l.proto.page == "criticality"], query


def test_the_measurement_is_the_cores(default):
    s = links.SCHEMAS["criticality"].defaults()
    measured = iv.measure_maps("tanh", s["pt_sw"] ** 2, s["pt_sb"] ** 2, s["depth"], s["width"], q0=s["q0"],
                               c0=s["c0"], n_seeds=s["n_seeds"], seed=s["seed"])
    theory = iv.map_iterates("tanh", s["pt_sw"] ** 2, s["pt_sb"] ** 2, s["depth"], q0=s["q0"], c0=s["c0"])
    fig = chart(default, "layers_c")
    lines = [t for t in fig["data"] if t.get("mode") == "lines"]
    marks = [t for t in fig["data"] if "markers" in t.get("mode", "")]
    np.testing.assert_allclose(np.asarray(marks[0]["y"], float), measured.groupby("layer")["c"].mean(), rtol=1e-12)
    np.testing.assert_allclose(np.asarray(lines[0]["y"], float), theory["c"], rtol=1e-12)


def test_a_link_round_trips_and_sets_every_control():
    query = {"activation": "leaky_relu", "leaky_relu_negative_slope": "0.2", "pt_sw": "1.5", "pt_sb": "0.1",
             "sw_min": "0.5", "sw_max": "3.0", "sb_min": "0.0", "sb_max": "1.0", "res": "9", "depth": "12",
             "width": "64", "c0": "0.25", "q0": "2.0", "n_seeds": "3", "seed": "9"}
    settings, notices = links.parse("criticality", query)
    assert notices == [] and links.parse("criticality", links.canonical("criticality", settings)) == (settings, [])
    at = open_page("criticality", query)
    expected = {k: v for k, v in query.items() if k != "sb_min"}  # the default is left out of the link
    assert {k: v for k, v in at.query_params.items() if k in query} == expected
    assert at.number_input(key="pt_sw").value == 1.5 and at.number_input(key="res").value == 9
    fig = chart(at, "map_q_star")
    assert len(trace(fig, "q*")["x"]) == 9 and trace(fig, "q*")["x"][-1] == pytest.approx(3.0)


def test_the_variance_map_view_is_deepchaos_figure_1():
    at = open_page("criticality", {"view": "qmap", "pt_sw": "2.5", "width": "1000", "n_seeds": "2"})
    assert [c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")] == ["qmap"]
    fig = chart(at, "qmap")
    assert all_finite(fig)
    names = {t.get("legendgroup") or t.get("name") for t in fig["data"]}
    for sw in plan.QMAP_SIGMAS:  # 2.5 is one of them: three σ_w
        assert any(f"σ_w = {sw:g}" in str(n) for n in names)
    curve = [t for t in fig["data"] if t.get("mode") == "lines" and "1.3" in str(t.get("legendgroup", t.get("name")))]
    q_in = np.asarray(curve[0]["x"], float)
    theory = iv.map_iterates("tanh", 1.3 ** 2, 0.3 ** 2, 1, q0=q_in)
    np.testing.assert_allclose(np.asarray(curve[0]["y"], float), theory[theory.layer == 1]["q"], rtol=1e-12)
    assert q_in.max() == pytest.approx(plan.QMAP_MAX)


def test_the_figure_1_preset_opens_the_variance_map_with_the_fixed_points_its_text_states():
    from initviz.ui import experiments

    preset = next(p for p in experiments.PRESETS if p.key == "poole_qmap")
    at = open_page("criticality", preset.query())
    assert not at.warning  # a valid view: nothing to notice
    fig = chart(at, "qmap")
    table = iv.phase_diagram("tanh", [1.3 ** 2, 2.5 ** 2, 4.0 ** 2], [0.09])
    for q_star, stated in zip(table["q_star"], ("0.61", "4.1", "12.6")):
        assert f"{q_star:.2g}" == stated or f"{q_star:.3g}" == stated
        assert stated in preset.text
    assert f"χ₁ = {table['chi1'][0]:.2f}" in preset.text and list(table["phase"]) == ["ordered", "chaotic", "chaotic"]
    assert f"{math.sqrt(iv.critical_line('tanh', [0.09])[0]):.4g}" in preset.text
    marks = [t for t in fig["data"] if "markers" in t.get("mode", "")]
    assert len(marks) == 3 and all(len(t["x"]) == plan.QMAP_POINTS for t in marks)


def test_the_relu_preset_is_at_the_critical_point_with_an_infinite_depth_scale():
    from initviz.ui import experiments

    preset = next(p for p in experiments.PRESETS if p.key == "relu_critical")
    at = open_page("criticality", preset.query())
    assert not at.warning
    text = text_of(at)
    assert "**critical**" in text and "ξ_c = ∞" in text
    row = iv.phase_diagram("relu", [2.0], [0.0]).iloc[0]
    assert row.phase == "critical" and row.xi_c == math.inf
    assert iv.phase_diagram("relu", [2.0, 2.5], [0.01]).phase.tolist() == ["unbounded", "unbounded"]
    point = trace(chart(at, "map_chi1"), "critical point χ₁ = 1")
    assert point["x"][0] == pytest.approx(math.sqrt(2))
    # c^l creeps towards 1 at criticality: the theory's c^l increases, more slowly than any geometric rate
    c = iv.map_iterates("relu", 2.0, 0.0, 30, c0=0.5)["c"].to_numpy()
    assert (c[1:] > c[:-1]).all() and (1 - c[-1]) / (1 - c[-2]) > 0.9
