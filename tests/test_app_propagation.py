"""The Propagation page (AppTest): charts against the core's numbers recomputed here for the same
configuration, default and non-default links, faults, symmetry, an invalid link, a control change."""

from urllib.parse import parse_qsl

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import initviz as iv
from initviz.figures import theme
from initviz import Network, predict, propagate
from initviz.limits import Budget
from initviz.ui import deployment, links, propagation, widgets, workers
from initviz.ui.propagation_charts import layer_spec
from test_app_support import all_finite, assert_exportable, chart, open_page, text_of, trace

FORWARD = ("preact_var", "act_var", "norm_ratio", "layer_ratio", "unit_spread")
BACKWARD = ("grad_var", "grad_w_var", "grad_ratio", "grad_spread")
HISTOGRAMS = ("hist_heatmap", "hist_layers")
LINK = {"depth": "12", "width": "64", "in_width": "32", "activation": "relu", "scheme": "kaiming_normal",
        "kaiming_normal_nonlinearity": "relu", "bias": "normal", "bias_value": "0.1",
        "compare": "xavier_normal,torch_default", "inputs": "correlated", "input_corr": "0.8", "batch": "40",
        "n_seeds": "3", "seed": "5", "dtype": "float64", "hist_of": "preact"}
"""A non-default view: ReLU He with a normal bias, two comparisons, correlated inputs, 3 seeds, float64."""


def _open(query: dict) -> AppTest:
    return open_page("propagation", query)


def view_of(key: str) -> str:
    """The view that draws the chart ``key``."""
    return "backward" if key in BACKWARD else "histograms" if key in HISTOGRAMS else "forward"


def views_of(query: dict) -> dict:
    """The link ``query`` opened in each view: {view: AppTest}."""
    return {view: _open({**query, "view": view}) for view in links.PROPAGATION_VIEWS}


def y_of(fig, name):
    return np.asarray(trace(fig, name)["y"], dtype=float)


@pytest.fixture(scope="module")
def default():
    """The default link in each view: {view: AppTest}."""
    return {view: _open({} if view == "forward" else {"view": view}) for view in links.PROPAGATION_VIEWS}


@pytest.fixture(scope="module")
def default_run():
    """The default view recomputed with the core: 20 tanh layers of 256, Xavier normal, batch 256, float32."""
    net = Network.mlp(256, [256] * 20, "tanh", "xavier_normal")
    return net, propagate(net, batch=256, seed=0, dtype="float32"), predict(net, batch=256)


@pytest.fixture(scope="module")
def linked():
    """LINK in each view: {view: AppTest}."""
    return {view: _open(LINK if view == "forward" else {**LINK, "view": view}) for view in links.PROPAGATION_VIEWS}


@pytest.fixture(scope="module")
def linked_runs():
    """The LINK view recomputed: n0 = 32, widths 64 × 12, ReLU, N(0, 0.1²) bias, 3 seeds from 5."""
    common = dict(input_dim=32, widths=[64] * 12, activation="relu", bias="normal", bias_value=0.1)
    nets = {"kaiming_normal(nonlinearity=relu)": Network.mlp(**common, init="kaiming_normal",
                                                             init_params={"nonlinearity": "relu"}),
            "xavier_normal": Network.mlp(**common, init="xavier_normal"),
            "torch_default": Network.mlp(**common, init="torch_default")}
    return {name: (net, propagate(net, batch=40, seed=5, dtype="float64", n_seeds=3, inputs="correlated",
                                  input_corr=0.8), predict(net, input_corr=0.8, batch=40))
            for name, net in nets.items()}


@pytest.mark.parametrize("view, keys", [("forward", (*FORWARD, "saturated")), ("histograms", HISTOGRAMS),
                                        ("backward", BACKWARD)])
def test_each_view_draws_its_charts_finite_and_exportable_and_only_those(default, view, keys):
    at = default[view]
    for key in keys:
        fig = chart(at, key)
        assert fig["data"] and all_finite(fig), key
        assert_exportable(fig, "propagation", {} if view == "forward" else {"view": view})
        opts = fig["config"]["toImageButtonOptions"]
        what = {"hist_heatmap": "hist-act", "hist_layers": "hist-layers-act"}.get(key, key)
        assert opts["filename"] == f"propagation-{what}-xavier_normal-tanh-L20-n256-float32-seed0"
    assert len(at.get("plotly_chart")) == len(keys)
    assert len(at.get("download_button")) == len(keys) + 1  # a CSV per chart, the view's report
    assert at.get("segmented_control")[0].value == view
    assert dict(at.query_params) == ({} if view == "forward" else {"view": view})


@pytest.mark.parametrize("view, hist_of, backward, kinds", [
    ("forward", "act", False, ()), ("histograms", "preact", False, ("preact",)), ("histograms", "grad", True, ("grad",)),
    ("backward", "act", True, ())])
def test_a_view_asks_the_core_for_what_it_draws_and_nothing_more(monkeypatch, view, hist_of, backward, kinds):
    calls = []
    submit = workers.submit  # every worker call, workers.run's too

    def recording(fn, *args, **kwargs):  # what the page sends to the worker processes
        if fn is propagate and kwargs["seed"] == seed:  # not the default page the app test opens first
            calls.append((kwargs["backward"], kwargs["weight_grad"], kwargs["histograms"]))
        return submit(fn, *args, **kwargs)

    monkeypatch.setattr(workers, "submit", recording)
    seed = 123457 + len(view) + len(hist_of)  # seeds no other test caches
    at = _open({"view": view, "hist_of": hist_of, "seed": str(seed), "depth": "6", "width": "32"})
    assert calls == [(backward, backward, kinds)]
    assert len(at.get("plotly_chart")) > 0


def test_only_the_views_that_show_the_backward_pass_compute_it(default):
    assert set(propagation.VIEWS) == set(links.PROPAGATION_VIEWS)
    settings = links.parse("propagation", {})[0]
    wanted = {(view, hist): propagation.needs_backward({**settings, "view": view, "hist_of": hist})
              for view in links.PROPAGATION_VIEWS for hist in ("act", "preact", "grad")}
    assert {k for k, v in wanted.items() if v} == {("backward", h) for h in ("act", "preact", "grad")} | {
        ("histograms", "grad")}
    assert "dead" not in [c.proto.id.rsplit("-", 1)[-1] for c in default["forward"].get("plotly_chart")]  # tanh


def test_default_charts_are_the_cores_numbers_and_the_mean_field(default, default_run):
    _, res, pred = default_run
    for key in ("preact_var", "act_var", "grad_var", "grad_w_var"):
        fig = chart(default[view_of(key)], key)
        np.testing.assert_array_equal(trace(fig, "measured")["x"], np.arange(1, 21))
        # one seed: the mean over seeds is the seed's own value, bit for bit through the JSON
        np.testing.assert_array_equal(y_of(fig, "measured"), res.stats[key][0])
        np.testing.assert_allclose(y_of(fig, "mean field"), getattr(pred, key), rtol=1e-12)
    fig = chart(default["forward"], "norm_ratio")
    measured = trace(fig, "measured (band: 5–95 % of samples, all seeds)")
    np.testing.assert_array_equal(measured["y"], res.stats["norm_ratio"][0])
    np.testing.assert_allclose(measured["y"] + measured["error_y"]["array"], res.stats["norm_ratio_p95"][0], rtol=1e-12)
    np.testing.assert_allclose(measured["y"] - measured["error_y"]["arrayminus"], res.stats["norm_ratio_p05"][0],
                               rtol=1e-12)
    fig = chart(default["forward"], "saturated")
    np.testing.assert_array_equal(y_of(fig, "measured"), res.stats["saturated"][0])
    # the variance falls from 1 to ~0.03 over 20 layers (tanh at σ_w = 1): a log axis
    assert chart(default["forward"], "preact_var")["layout"]["yaxis"]["type"] == "log"


def test_default_histogram_heatmap_is_the_cores_binned_activations(default, default_run):
    _, res, _ = default_run
    fig = chart(default["histograms"], "hist_heatmap")
    heat = fig["data"][0]
    counts = res.act_hist
    with np.errstate(divide="ignore"):
        expected = np.where(counts > 0, np.log10(counts / counts.sum(axis=1, keepdims=True)), np.nan)
    z = np.array([[np.nan if v is None else v for v in row] for row in heat["z"]], dtype=float)
    np.testing.assert_allclose(z, expected, rtol=1e-12, atol=1e-12)
    assert heat["x"][0] > -1 and heat["x"][-1] < 1  # tanh's rails bound the bins
    curves = chart(default["histograms"], "hist_layers")
    assert [t["name"] for t in curves["data"]] == ["layer 1", "layer 6", "layer 10", "layer 15", "layer 20"]


def test_gradient_histograms_are_the_cores_binned_dl_dh():
    """Glorot & Bengio's Fig. 7 view: the torch default's gradient histograms narrow towards the input."""
    at = _open({"depth": "5", "width": "200", "batch": "64", "scheme": "torch_default", "hist_of": "grad",
                "view": "histograms"})
    res = propagate(Network.mlp(200, [200] * 5, "tanh", "torch_default"), batch=64, seed=0)
    heat = chart(at, "hist_heatmap")["data"][0]
    values = res.grad_hist.sum(axis=1, keepdims=True) / (1 - res.grad_outside[:, None])  # incl. those outside
    with np.errstate(divide="ignore"):
        expected = np.where(res.grad_hist > 0, np.log10(res.grad_hist / values), np.nan)
    z = np.array([[np.nan if v is None else v for v in row] for row in heat["z"]], dtype=float)
    np.testing.assert_allclose(z, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(heat["x"], 0.5 * (res.grad_edges[1:] + res.grad_edges[:-1]), rtol=1e-12)
    assert "strided subsample of 12,800" in text_of(at)  # 64 × 200 values: all of them
    assert chart(at, "hist_layers")["config"]["toImageButtonOptions"]["filename"].startswith(
        "propagation-hist-layers-grad-torch_default")


def test_summary_states_network_and_regime(default):
    text = text_of(default["forward"])
    assert "20 × tanh, widths 256…256 (in 256), xavier_normal(gain=1.0)" in text
    assert "gradients shrink" in text  # tanh, σ_w = 1: χ = E[φ'(h)²] < 1 at q > 0


def test_a_link_sets_every_control_and_each_scheme_is_the_core_run(linked, linked_runs):
    linked = linked["forward"]
    assert dict(linked.query_params) == LINK  # every value differs from its default: all stay
    assert linked.slider(key="depth").value == 12 and linked.number_input(key="in_width").value == 32
    assert linked.multiselect(key="compare").value == ["xavier_normal", "torch_default"]
    fig = chart(linked, "act_var")
    assert [t["name"] for t in fig["data"] if t.get("showlegend", True)] == list(linked_runs)
    for name, (_, res, pred) in linked_runs.items():
        t = trace(fig, name)
        values = res.stats["act_var"]
        np.testing.assert_allclose(t["y"], values.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(t["y"] + t["error_y"]["array"], values.max(axis=0), rtol=1e-12)
        np.testing.assert_allclose(t["y"] - t["error_y"]["arrayminus"], values.min(axis=0), rtol=1e-12)
        np.testing.assert_allclose(y_of(fig, f"{name} (mean field)"), pred.act_var, rtol=1e-12)
    norms = chart(linked, "norm_ratio")
    for name, (_, res, _) in linked_runs.items():
        t = trace(norms, name)
        # band over samples and seeds: lowest 5th percentile and highest 95th of the three seeds
        np.testing.assert_allclose(t["y"] + t["error_y"]["array"], res.stats["norm_ratio_p95"].max(axis=0), rtol=1e-12)
        np.testing.assert_allclose(t["y"] - t["error_y"]["arrayminus"], res.stats["norm_ratio_p05"].min(axis=0),
                                   rtol=1e-12)


def test_a_link_with_correlated_relu_inputs_draws_correlations_dead_units_and_preactivations(linked, linked_runs):
    corr = chart(linked["forward"], "corr")
    for name, (_, res, pred) in linked_runs.items():
        np.testing.assert_allclose(y_of(corr, name), res.stats["corr"].mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(y_of(corr, f"{name} (mean field)"), pred.corr, rtol=1e-12)
    dead = chart(linked["forward"], "dead")
    _, res, _ = linked_runs["torch_default"]
    np.testing.assert_allclose(y_of(dead, "torch_default"), res.stats["dead"].mean(axis=0), rtol=1e-12)
    assert "saturated" not in [c.proto.id.rsplit("-", 1)[-1] for c in linked["forward"].get("plotly_chart")]
    heat = chart(linked["histograms"], "hist_heatmap")
    assert [t["name"] for t in heat["data"] if t["type"] == "heatmap"] == list(linked_runs)
    _, res, _ = linked_runs["xavier_normal"]
    np.testing.assert_allclose(heat["data"][1]["x"], 0.5 * (res.preact_edges[1:] + res.preact_edges[:-1]), rtol=1e-12)
    own = [a for a in heat["layout"]["annotations"] if a.get("name") != "export_caption"]
    assert "pre-activation" in own[-1]["text"]  # the shared x title
    ratio = chart(linked["backward"], "grad_ratio")
    net, res, pred = linked_runs["xavier_normal"]
    std = np.array([net.weight_law(layer).std for layer in range(1, 13)])
    np.testing.assert_allclose(y_of(ratio, "xavier_normal (mean field)"), np.sqrt(pred.grad_w_var) / std, rtol=1e-12)


def test_the_link_reproduces_the_numbers_bit_for_bit(linked):
    for key in ("preact_var", "norm_ratio", "grad_w_var", "hist_heatmap"):
        first = linked[view_of(key)]
        again = _open(dict(first.query_params))
        a, b = chart(first, key), chart(again, key)
        for ta, tb in zip(a["data"], b["data"]):
            for field in ("x", "y", "z"):
                if field in ta:
                    assert np.array_equal(np.asarray(ta[field], dtype=float), np.asarray(tb[field], dtype=float),
                                          equal_nan=True)


def test_overflow_is_marked_at_its_layer_and_nothing_past_it_is_drawn():
    ats = views_of({"depth": "40", "width": "256", "activation": "linear", "scheme": "normal", "batch": "16",
                    "compare": "xavier_normal"})
    at = ats["forward"]
    res = propagate(Network.mlp(256, [256] * 40, "linear", "normal"), batch=16, seed=0)
    fault = res.first_nonfinite_layer
    assert fault is not None
    for key in ("preact_var", "act_var", "norm_ratio", "unit_spread"):
        fig = chart(at, key)
        assert all_finite(fig), key
        assert max(trace(fig, "normal")["x"]) == fault - 1
        assert max(trace(fig, "xavier_normal")["x"]) == 40
        assert [s["x0"] for s in fig["layout"]["shapes"]] == [fault]
        assert any(f"overflow (float32) at layer {fault}" in a["text"] for a in fig["layout"]["annotations"])
    grads = chart(ats["backward"], "grad_var")
    assert all_finite(grads) and "normal" not in [t["name"] for t in grads["data"]]
    assert f"normal (forward stopped at layer {fault})" in text_of(ats["backward"])
    assert all_finite(chart(ats["histograms"], "hist_heatmap"))


def test_a_theory_beyond_float64_is_marked_infinite_where_it_leaves_float64():
    """Issue 12 item 9: sigmoid, Xavier gain 1000, depth 200: the mean-field gradient variance is +∞
    below some layer (a result, marked on the chart; no server warning)."""
    at = _open({"depth": "200", "width": "64", "activation": "sigmoid", "scheme": "xavier_normal",
                "xavier_normal_gain": "1000", "batch": "16", "view": "backward"})
    pred = predict(Network.mlp(64, [64] * 200, "sigmoid", "xavier_normal", {"gain": 1000.0}))
    last = int(np.flatnonzero(np.isinf(pred.grad_var))[-1]) + 1  # backward: ∞ from layer 1 up to here
    fig = chart(at, "grad_var")
    assert all_finite(fig)
    marks = [a["text"] for a in fig["layout"]["annotations"] if "mean field ∞" in a["text"]]
    assert len(marks) == 1 and marks[0].startswith("xavier_normal")
    assert marks[0].endswith(": mean field ∞ (beyond float64) from layer 1") and last > 1


def test_he_and_xavier_on_relu_stay_visible_and_the_page_says_why_they_coincide():
    """Issue 12 item 2: on a zero-bias ReLU net, He and Xavier normal from one seed differ by a scale
    (ReLU is positively homogeneous), so dead units and symmetry are equal: the second series is drawn
    side by side, with distinct marks, the chart names the equal series and the caption says why."""
    at = _open({"depth": "6", "width": "32", "activation": "relu", "scheme": "kaiming_normal",
                "compare": "xavier_normal", "batch": "16"})
    for key in ("dead", "unit_spread"):
        fig = chart(at, key)
        he, xavier = (trace(fig, name) for name in ("kaiming_normal", "xavier_normal"))
        np.testing.assert_allclose(xavier["y"], he["y"], rtol=1e-9)  # equal values (the fact shown)...
        assert min(np.asarray(xavier["x"], float) - np.asarray(he["x"], float)) > 0  # ...drawn beside
        assert he["marker"]["symbol"] != xavier["marker"]["symbol"]
        named = fig["layout"]["legend"]["title"]["text"]
        assert "kaiming_normal = xavier_normal" in named or "kaiming_normal ≈ xavier_normal" in named
    assert "positively homogeneous" in text_of(at)
    biased = _open({"depth": "6", "width": "32", "activation": "relu", "scheme": "kaiming_normal",
                    "compare": "xavier_normal", "batch": "16", "bias": "normal", "bias_value": "0.5"})
    assert "positively homogeneous" not in text_of(biased)


def test_compare_shows_scheme_names_and_stops_at_its_maximum_and_the_summary_writes_numbers_plainly():
    """Issue 12 items 1 and 6: the compare box uses the sidebar's scheme names, lets a user pick at
    most MAX_COMPARED (no "Select all"), and the summary writes 8.453 × 10²⁷⁰, not q^L = 8.453e+270."""
    at = _open({"depth": "20", "width": "64", "activation": "linear", "scheme": "normal", "batch": "16"})
    box = at.multiselect(key="compare")
    assert box.proto.max_selections == links.MAX_COMPARED
    assert list(box.options) == [iv.SCHEMES[s].label for s in links.SCHEMAS["propagation"].by_name["compare"].options]
    text = text_of(at)
    q = predict(Network.mlp(64, [64] * 20, "linear", "normal")).preact_var[-1]  # 64²⁰: beyond 1e36
    assert f"qᴸ = {theme.number(q)}" in text and "× 10³⁶" in theme.number(q) and "q^L" not in text


def test_constant_init_keeps_units_identical_and_has_no_mean_field_line():
    ats = views_of({"depth": "6", "width": "32", "scheme": "constant", "constant_val": "0.02", "batch": "16"})
    at = ats["forward"]
    res = propagate(Network.mlp(32, [32] * 6, "tanh", "constant", {"val": 0.02}), batch=16, seed=0)
    fig = chart(at, "unit_spread")
    assert list(y_of(fig, "measured")) == [0.0] * 6 == list(res.stats["unit_spread"][0])
    spread = y_of(chart(ats["backward"], "grad_spread"), "measured")
    assert list(spread[:-1]) == [0.0] * 5 and spread[-1] > 0  # the output layer gets the random probe
    assert "mean field" not in [t["name"] for t in chart(at, "act_var")["data"]]
    assert "no mean-field prediction" in text_of(at)


def _links_offered(at) -> list[tuple[str, dict]]:
    """(label, query) of every page link the page offers."""
    return [(link.proto.label, dict(parse_qsl(link.proto.query_string, strict_parsing=True)))
            for link in at.get("page_link")]


def test_invalid_link_shows_a_notice_and_what_was_used():
    query = {"depth": "abc", "width": "99999", "compare": "normal,bogus", "activation": "Tanh ", "dtype": "float16"}
    at = _open(query)
    notice = text_of(at)
    assert "Some settings could not be used as given" in notice
    assert "depth: 'abc' is not an integer — using the default 20." in notice
    assert "width: '99999' is above the maximum — using 2048." in notice
    assert "compare: dropped 'bogus' — using normal." in notice
    assert "dtype: 'float16' is not one of float32, float64 — using the default float32." in notice
    assert at.selectbox(key="activation").value == "tanh"  # "Tanh " is tanh after strip().lower()
    # two schemes of 20 layers of 2048² weights exceed the weight-draw budget at any batch: the page used to
    # lower the depth (a different network); now it keeps depth 20 and width 2048, draws nothing and offers choices
    assert at.slider(key="depth").value == 20 and at.number_input(key="width").value == 2048
    assert not at.get("plotly_chart") and "more work than" not in notice
    assert "nothing is computed, and your settings stay as you set them" in notice
    offered = dict(_links_offered(at))
    assert offered and all(links.fit(links.parse("propagation", q)[0]).fits for q in offered.values())


def test_a_link_over_the_compute_budget_cuts_the_sample_only_next_to_its_control():
    query = {"batch": "1024", "n_seeds": "8"}
    settings, notices = links.parse("propagation", query)
    assert notices == [] and settings["batch"] == 1024  # the link keeps what was asked
    fitted = links.fit(settings)
    used = fitted.settings
    assert fitted.fits and links.batch_floor(256) <= used["batch"] < 1024 and used["n_seeds"] == 8
    cost = links.propagation_cost(used)
    assert cost["page_macs"] <= links.PAGE_MAX_MACS and cost["page_draws"] <= links.PAGE_MAX_DRAWS
    at = _open(query)
    side = [w.value for w in at.sidebar.warning]
    assert side == [f"Batch (inputs per seed): 1024 would be about {fitted.over:.1f}× the work the hosted demo "
                    f"computes for one view (a few seconds) — using batch {used['batch']}."]
    assert at.number_input(key="batch").value == 1024 and dict(at.query_params) == query
    assert f"batch {used['batch']} × 8 seed(s)" in text_of(at)
    assert chart(at, "act_var")["layout"]["xaxis"]["range"] == [0.5, 20.5]
    at = _open({"batch": "99999", "n_seeds": "8"})  # clamped, then cut: one line, with the value used
    assert [w.value for w in at.sidebar.warning] == [
        f"Batch (inputs per seed): '99999' is above the maximum; then 1024 would be about {fitted.over:.1f}× the "
        f"work the hosted demo computes for one view (a few seconds) — using batch {used['batch']}."]
    assert "batch:" not in text_of(at)


PRESET_PLUS_ORTHOGONAL = {"depth": "30", "width": "512", "activation": "relu", "scheme": "kaiming_normal",
                          "kaiming_normal_nonlinearity": "relu", "compare": "xavier_normal,orthogonal", "batch": "128"}
ISSUE_EXAMPLES = [
    PRESET_PLUS_ORTHOGONAL,  # (a) the He-vs-Xavier preset with orthogonal added to compare
    {"depth": "50", "width": "1024", "compare": "kaiming_normal,orthogonal,lecun_normal"},  # (b)
    {"depth": "200", "width": "2048", "compare": "kaiming_normal,orthogonal,lecun_normal"},  # (c)
    {"width": "2048"},  # (d) width 2048 typed on the default view
]


def test_the_issues_examples_draw_the_network_asked_or_offer_choices_that_fit():
    """Issue 12, item 1: depth, width and the compared schemes are never changed without the user choosing."""
    from initviz.ui.experiments import PRESETS

    preset = next(p for p in PRESETS if p.key == "he_vs_xavier")
    assert {**preset.query(), "compare": "xavier_normal,orthogonal"} == PRESET_PLUS_ORTHOGONAL
    for query in ISSUE_EXAMPLES:
        asked = links.parse("propagation", query)[0]
        at = _open(query)
        assert dict(at.query_params) == query, query  # the link stays as asked
        assert at.slider(key="depth").value == asked["depth"] and at.number_input(key="width").value == asked["width"]
        assert tuple(at.multiselect(key="compare").value) == asked["compare"]
        fitted = links.fit(asked)
        charts = at.get("plotly_chart")
        if fitted.fits:  # the network drawn is the one asked
            fig = chart(at, "act_var")
            assert fig["layout"]["xaxis"]["range"] == [0.5, asked["depth"] + 0.5]
            names = {t.get("name") for t in fig["data"]}
            assert all(any(n and n.startswith(s) for n in names) for s in links.compared_schemes(asked))
            continue
        assert not charts, query
        offered = _links_offered(at)
        assert offered and [label for label, _ in offered] == [label for label, _ in fitted.choices]
        for label, link in offered:
            chosen, notices = links.parse("propagation", link)
            assert notices == [] and links.fit(chosen).fits, (query, label)
            changed = {k for k in chosen if chosen[k] != asked[k]}
            assert len(changed) == 1, (label, changed)  # one change each, the user's to choose
        assert f"{fitted.over:.0f}" in text_of(at) or f"{fitted.over:.1f}" in text_of(at)
    labels = [label for label, _ in links.fit(links.parse("propagation", ISSUE_EXAMPLES[0])[0]).choices]
    assert labels[0] == "compare 2 schemes (without orthogonal)" and any(l.startswith("depth ") for l in labels)
    assert [label for label, _ in links.fit(links.parse("propagation", {"width": "2048"})[0]).choices] == [
        "depth 16", "width 1831"]


def test_on_a_local_instance_the_view_asked_is_the_view_computed(monkeypatch):
    monkeypatch.setenv(deployment.SETTING, "local")
    query = {"depth": "50", "width": "1024", "compare": "kaiming_normal", "batch": "16", "seed": "424242"}
    at = _open(query)
    assert not [l for l in at.get("page_link") if l.proto.page == "propagation"]  # no choices offered: it fits
    assert chart(at, "act_var")["layout"]["xaxis"]["range"] == [0.5, 50.5]


def test_changing_a_control_redraws_with_the_new_network(default):
    at = _open({})
    at.slider(key="depth").set_value(7).run()
    assert not at.exception
    fig = chart(at, "act_var")
    res = propagate(Network.mlp(256, [256] * 7, "tanh", "xavier_normal"), batch=256, seed=0)
    np.testing.assert_array_equal(y_of(fig, "measured"), res.stats["act_var"][0])
    assert dict(at.query_params) == {"depth": "7"}
    at.get("segmented_control")[0].set_value("backward").run()  # another view of the same network
    assert not at.exception and dict(at.query_params) == {"depth": "7", "view": "backward"}
    assert [c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")] == list(BACKWARD)
    np.testing.assert_array_equal(y_of(chart(at, "grad_var"), "measured"), res.stats["grad_var"][0])
    assert at.slider(key="depth").value == 7


BUDGET_LINKS = [
    {"depth": "200", "width": "1024", "batch": "1024", "n_seeds": "8"},
    {"depth": "200", "width": "2048", "batch": "1024", "n_seeds": "8", "dtype": "float64", "scheme": "orthogonal",
     "compare": "trunc_normal,keras_he_normal,normal"},
    {"depth": "200", "width": "1", "batch": "1024", "n_seeds": "8", "dtype": "float64"},
    {"depth": "200", "width": "2048", "in_width": "1", "batch": "2", "scheme": "orthogonal"},
    {"depth": "150", "width": "700", "in_width": "2048", "batch": "900", "n_seeds": "5", "scheme": "sparse",
     "compare": "trunc_normal,constant,eye"},
]


@pytest.mark.parametrize("query", BUDGET_LINKS, ids=range(len(BUDGET_LINKS)))
def test_the_budget_keeps_every_run_within_the_cores_limits(query):
    """propagate() validates its budgets before any work; deadline=0 stops it right after."""
    from initviz.ui import propagation as page

    fitted = links.fit(links.parse("propagation", query)[0])
    computed = [fitted.settings] if fitted.fits else [links.fit(s).settings for _, s in fitted.choices]
    assert computed
    for settings in computed:  # what the page computes: the view, or each choice it offers
        for i, scheme in enumerate(links.compared_schemes(settings)):
            net = page.network(settings, scheme, configured=i == 0)
            res = propagate(net, batch=settings["batch"], n_seeds=settings["n_seeds"], dtype=settings["dtype"],
                            deadline=0.0, budget=Budget.hosted())
            assert res.truncated  # it passed validation and stopped at the deadline


def test_a_view_past_its_deadline_shows_the_partial_result_marked_and_says_so(monkeypatch):
    assert propagation.run_deadline() * (1 + links.MAX_COMPARED) == deployment.HOSTED.view_deadline
    monkeypatch.setattr(propagation, "run_deadline", lambda: 0.0)  # every run stops at its first check
    at = _open({"seed": "987654", "depth": "30", "view": "backward"})  # a seed no other test caches
    text = text_of(at)
    assert "partial result" in text and "deadline" in text
    fig = chart(at, "grad_var")
    assert all_finite(fig) and any("time limit" in a["text"] for a in fig["layout"]["annotations"])


def _spec(at, key: str) -> str:
    """The JSON the browser gets for chart ``key``."""
    return next(c.proto.spec for c in at.get("plotly_chart") if c.proto.id.endswith(f"-{key}"))


def _counting(monkeypatch, depth: int) -> list:
    """The layer charts the page builds (``layer_spec`` calls sent to the workers) for networks of
    ``depth`` layers."""
    built = []
    submit = widgets.workers.submit

    def counting(fn, *args, **kwargs):
        if fn is layer_spec and args[0].depth == depth:
            built.append(args[0].title)
        return submit(fn, *args, **kwargs)

    monkeypatch.setattr(widgets.workers, "submit", counting)
    return built


def test_a_view_shown_again_draws_its_stored_charts_which_equal_fresh_ones(monkeypatch):
    built = _counting(monkeypatch, depth=7)
    link = {"seed": "771177", "depth": "7", "width": "24"}  # a seed no other test caches
    first = _open(link)
    keys = FORWARD + ("saturated",)  # tanh
    assert len(built) == len(keys)
    again = _open(link)  # another session, the same view
    assert len(built) == len(keys)  # nothing rebuilt
    widgets._built.clear()
    fresh = _open(link)  # built again from the (cached) results
    assert len(built) == 2 * len(keys)
    for key in keys:
        chart(first, key)  # valid
        assert _spec(again, key) == _spec(first, key) == _spec(fresh, key)
    _open({**link, "seed": "771179"})  # another view: its own charts
    assert len(built) == 3 * len(keys)


def test_a_view_cut_short_by_its_deadline_is_not_stored(monkeypatch):
    monkeypatch.setattr(propagation, "run_deadline", lambda: 0.0)  # every run stops at its first check
    built = _counting(monkeypatch, depth=7)
    calls = []
    submit = workers.submit  # every worker call, workers.run's too
    monkeypatch.setattr(workers, "submit", lambda fn, *a, **k: calls.append(fn) or submit(fn, *a, **k))
    link = {"seed": "771178", "depth": "7", "width": "24"}  # a seed no other test caches
    at = _open(link)
    assert "partial result" in text_of(at)
    _open(link)
    assert len(built) == 2 * (len(FORWARD) + 1)  # drawn again: the charts were not kept
    assert calls.count(propagate) >= 2  # nor the results: computed again (each time, the default view too)


def test_a_networks_cache_key_is_its_whole_description():
    """The pages' cache keys (Propagation, Training) name a network by network_key: equal networks share it, and a network
    differing in any one field (here the least visible ones) gets its own."""
    from initviz import Network
    from initviz.ui.caching import network_key

    base = dict(width=16, depth=3, norm="layernorm", placement="pre")
    net = Network.residual_net(**base)
    assert network_key(net) == network_key(Network.residual_net(**base))
    others = [Network.residual_net(**base, in_features=4), Network.residual_net(**base, preset="gpt2"),
              Network.residual_net(**base, init_params={"a": 0.1}), Network.residual_net(**base, bias_value=0.1)]
    assert len({network_key(n) for n in [net, *others]}) == 1 + len(others)
    from initviz.ui import propagation, training
    assert all(cache["hash_funcs"][Network] is network_key for cache in (propagation.CACHE, training.CACHE))


def _spec_failing_for_norm_ratio(spec, runs):
    """``layer_spec`` except for the norm-ratio chart, whose build fails (run in a worker process,
    which imports this module by name)."""
    if spec.stat == "norm_ratio":
        raise RuntimeError("a chart build that fails")
    return layer_spec(spec, runs)


def test_a_chart_whose_build_fails_says_so_in_its_place_and_the_others_draw(monkeypatch):
    monkeypatch.setattr(propagation.charts, "layer_spec", _spec_failing_for_norm_ratio)
    at = open_page("propagation", {"seed": "661166", "depth": "5", "width": "16"}, errors=True)  # not cached
    assert not at.exception
    drawn = {c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")}
    assert "norm_ratio" not in drawn and set(FORWARD) - {"norm_ratio"} <= drawn
    assert any("Something went wrong while drawing this part" in e.value for e in at.error)
    record = at.session_state[widgets.REPORT_KEY]
    assert None in record.charts  # the failed chart's place in the report stays empty
    assert [c.key for c in record.charts if c] == [k for k in ("preact_var", "act_var", "layer_ratio", "saturated",
                                                                 "unit_spread") if k in drawn]  # page order
    assert at.get("download_button")  # the report is still offered, of the charts drawn
