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


# --- the Jacobian spectra view ---------------------------------------------------------------------------

JAC = {"view": "jacobian", "pt_sw": "1.12", "pt_sb": "0.05", "jac_depth": "12", "jac_width": "24", "n_seeds": "2",
       "seed": "3"}
JAC_CHARTS = ["jac_hist", "jac_log10_max", "jac_log10_var_sq", "jac_log10_mean_sq"]


def _core_spectra(activation, sw, sb, depth, width, n_seeds, seed):
    """The two laws' spectra computed here with the core, as the page's text describes them: weights
    N(0, σ_w²/n) (variance_scaling) or σ_w × orthogonal, biases N(0, σ_b²), every layer's depth a checkpoint."""
    bias = {"bias": "normal", "bias_value": sb} if sb > 0 else {}
    nets = {"Gaussian": iv.Network.mlp(width, [width] * depth, activation, "variance_scaling",
                                       {"scale": sw * sw, "mode": "fan_in", "distribution": "normal"}, **bias),
            "orthogonal": iv.Network.mlp(width, [width] * depth, activation, "orthogonal", {"gain": sw}, **bias)}
    return {g: iv.jacobian_spectrum(net, seed=seed, n_seeds=n_seeds) for g, net in nets.items()}


@pytest.fixture(scope="module")
def jac():
    return open_page("criticality", JAC)


def test_the_jacobian_view_draws_the_cores_singular_values_and_its_theory_lines(jac):
    assert [c.proto.id.rsplit("-", 1)[-1] for c in jac.get("plotly_chart")] == JAC_CHARTS
    spectra = _core_spectra("tanh", 1.12, 0.05, 12, 24, 2, 3)
    for key in JAC_CHARTS:
        fig = chart(jac, key)
        assert all_finite(fig)
        assert_exportable(fig, "criticality", JAC)
    hist = chart(jac, "jac_hist")
    low = min(s.log10_sigma[:, -1].min() for s in spectra.values())  # tanh: no exact zeros, all finite
    for group, spec in spectra.items():
        bars = trace(hist, f"{group} (sampled)")
        widths = np.asarray(bars["width"], float)
        assert np.sum(np.asarray(bars["y"], float) * widths) == pytest.approx(1.0)  # every σ > 0 is in a bar
        assert np.asarray(bars["x"], float)[0] - widths[0] / 2 == pytest.approx(low)  # one common range
    sigma_max = chart(jac, "jac_log10_max")
    for group, spec in spectra.items():
        np.testing.assert_allclose(np.asarray(trace(sigma_max, group)["y"], float), spec.log10_max.mean(axis=0),
                                   rtol=1e-9)
    assert [t for t in sigma_max["data"] if "theory" in t.get("name", "")] == []  # σ_max has no closed form
    assert "no closed form" in " ".join(a["text"] for a in sigma_max["layout"]["annotations"])
    for key, attr, log_attr in (("jac_log10_mean_sq", "theory_mean_sq", "log10_mean_sq"),
                                ("jac_log10_var_sq", "theory_var_sq", "log10_var_sq")):
        fig = chart(jac, key)
        for group, spec in spectra.items():
            line = trace(fig, f"{group} (theory)")
            np.testing.assert_allclose(np.asarray(line["y"], float), np.log10(getattr(spec, attr)), rtol=1e-9)
            measured = np.log10(np.mean(10.0 ** getattr(spec, log_attr), axis=0))  # the mean over networks
            np.testing.assert_allclose(np.asarray(trace(fig, group)["y"], float), measured, rtol=1e-9)
    text = text_of(jac)
    row = iv.phase_diagram("tanh", [1.12 ** 2], [0.05 ** 2]).iloc[0]
    assert f"q* = {row.q_star:.4g}" in text and f"χ₁ = {row.chi1:.4g}" in text


def test_a_linear_network_has_no_orthogonal_spread_line_and_says_why():
    at = open_page("criticality", {**JAC, "activation": "linear", "pt_sw": "1.0", "pt_sb": "0.0"})
    fig = chart(at, "jac_log10_var_sq")
    names = [t.get("name", "") for t in fig["data"]]
    assert "Gaussian (theory)" in names and "orthogonal (theory)" not in names
    note = " ".join(a["text"] for a in fig["layout"]["annotations"])
    assert "orthogonal: theory 0 (every σ equal)" in note and "Gaussian: free-probability line" in note
    mean = chart(at, "jac_log10_mean_sq")  # orthogonal: σ = 1 exactly, its line is log10 1 = 0
    np.testing.assert_allclose(np.asarray(trace(mean, "orthogonal (theory)")["y"], float), 0.0, atol=1e-12)


def test_relu_counts_its_exact_zeros_apart_from_the_bars():
    query = {**JAC, "activation": "relu", "pt_sw": str(math.sqrt(2)), "pt_sb": "0.0"}
    at = open_page("criticality", query)
    spectra = _core_spectra("relu", math.sqrt(2), 0.0, 12, 24, 2, 3)
    hist = chart(at, "jac_hist")
    for group, spec in spectra.items():
        values = spec.log10_sigma[:, -1]
        zeros = int(np.isneginf(values).sum())
        assert zeros > 0  # ReLU's φ′ = 0 units make J singular
        share = f"{100 * zeros / values.size:.3g} % exact zeros, not drawn"
        bars = trace(hist, f"{group} ({share}) (sampled)")
        assert sum(bars["y"][i] * bars["width"][i] for i in range(len(bars["y"]))) == pytest.approx(1.0)
        assert f"{group} {zeros:,} of {values.size:,}" in " ".join(a["text"] for a in hist["layout"]["annotations"])


@pytest.mark.parametrize("query,words", [
    ({"activation": "relu", "pt_sw": "2.0", "pt_sb": "0.0"}, "no finite fixed point"),
    ({"pt_sw": "0.0"}, "every weight is 0, so J = 0")])
def test_a_point_without_a_spectrum_says_so_plainly(query, words):
    at = open_page("criticality", {**JAC, **query})  # no error: a valid question without an answer
    assert not list(at.get("plotly_chart"))
    assert words in text_of(at)


def test_a_hosted_jacobian_view_cuts_networks_not_depth_or_width_and_offers_choices_when_even_one_is_too_much():
    cut = {**JAC, "jac_depth": "100", "jac_width": "96", "n_seeds": "8"}
    fitted = plan.jacobian_fit(links.parse("criticality", cut)[0])
    assert fitted.fits and 1 <= fitted.n_seeds < 8
    at = open_page("criticality", cut)
    assert at.number_input(key="jac_depth").value == 100 and at.number_input(key="jac_width").value == 96
    assert f"using {fitted.n_seeds}" in text_of(at)
    assert f"{fitted.n_seeds} network(s) per law, 100 layers of width 96" in text_of(at)
    over = {**JAC, "jac_depth": "300", "jac_width": "1024"}
    at = open_page("criticality", over)
    assert not list(at.get("plotly_chart"))
    choices = at.get("page_link")
    assert choices and all(c.proto.page == "criticality" for c in choices)
    for c in choices:
        settings, notices = links.parse("criticality", dict(parse_qsl(c.proto.query_string)))
        assert notices == [] and plan.jacobian_fit(settings).fits
        assert (settings["jac_depth"], settings["jac_width"]) != (300, 1024)


@pytest.mark.parametrize("key", ["jacobian_tanh_critical", "jacobian_qstar_small", "jacobian_relu"])
def test_the_jacobian_presets_are_what_their_text_says(key):
    from initviz.ui import experiments
    from initviz.jacobian import derivative_moments

    preset = next(p for p in experiments.PRESETS if p.key == key)
    s = preset.full_settings()
    row = iv.phase_diagram(s["activation"], [s["pt_sw"] ** 2], [s["pt_sb"] ** 2]).iloc[0]
    assert row.phase == "critical"  # on the critical line: |χ₁ − 1| within the core's CRITICAL_BAND
    assert f"σ_w = {s['pt_sw']:.5g}" in preset.text or f"σ_w² = {s['pt_sw'] ** 2:g}" in preset.text
    assert plan.jacobian_fit(s).fits and plan.jacobian_fit(s).cut == ()  # the hosted budget as given
    mu1, mu2 = derivative_moments(s["activation"], row.q_star)
    depth = s["jac_depth"]
    if key == "jacobian_tanh_critical":  # the spreads its text states: L(μ₂/μ₁² − 1 + s), s = 1 Gaussian, 0 orthogonal
        assert f"q* = {row.q_star:.3g}" in preset.text
        assert f"≈ {depth * (mu2 / mu1 ** 2):.0f}" in preset.text
        assert f"≈ {depth * (mu2 / mu1 ** 2 - 1):.0f}" in preset.text
    elif key == "jacobian_qstar_small":
        assert f"q* falls to {row.q_star:.2g}" in preset.text
        assert f"≈ {depth * (mu2 / mu1 ** 2 - 1):.2g}" in preset.text
    else:
        assert mu2 / mu1 ** 2 - 1 == pytest.approx(1.0)
