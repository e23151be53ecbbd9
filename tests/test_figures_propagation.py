"""Figure builders of the Propagation and Experiments pages (initviz.figures.propagation): tables
against numbers recomputed here from the core's results, figure JSON (traces, names, legend
groups, axis titles, fault marks, log axes) and no NaN/inf in any figure — overflow included."""

import math
import warnings

import numpy as np
import pytest

from initviz import Network, propagate
from initviz.figures import propagation as fp
from initviz.jacobian import jacobian_spectrum
from test_app_support import all_finite, figure_json


as_json = figure_json


def nanreduce(fn, a):
    """numpy's nan-reductions, silent on all-NaN columns (what the tables must leave out)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(a, axis=0)


@pytest.fixture(scope="module")
def tanh_runs():
    """Two schemes, 3 seeds each, same seed and inputs."""
    net = dict(input_dim=48, widths=[48] * 6, activation="tanh")
    return {"xavier_normal": propagate(Network.mlp(**net, init="xavier_normal"), batch=32, n_seeds=3, seed=4),
            "normal(std=0.5)": propagate(Network.mlp(**net, init="normal", init_params={"std": 0.5}),
                                         batch=32, n_seeds=3, seed=4)}


@pytest.fixture(scope="module")
def explosion():
    """N(0, 1) weights, linear, float32: overflows (a²·width grows ×width per layer)."""
    return {"normal": propagate(Network.mlp(256, [256] * 40, "linear", "normal"), batch=16),
            "xavier_normal": propagate(Network.mlp(256, [256] * 40, "linear", "xavier_normal"), batch=16)}


def test_stat_table_means_and_bands_over_seeds_and_samples(tanh_runs):
    table = fp.stat_table(tanh_runs, "act_var", "seeds")
    for group, res in tanh_runs.items():
        rows = table[table["group"] == group]
        values = res.stats["act_var"]
        np.testing.assert_array_equal(rows["layer"], np.arange(1, 7))
        np.testing.assert_allclose(rows["value"], values.mean(axis=0), rtol=1e-12)
        np.testing.assert_array_equal(rows["lo"], values.min(axis=0))
        np.testing.assert_array_equal(rows["hi"], values.max(axis=0))
    samples = fp.stat_table(tanh_runs, "norm_ratio", "samples")
    res = tanh_runs["xavier_normal"]
    rows = samples[samples["group"] == "xavier_normal"]
    np.testing.assert_array_equal(rows["lo"], res.stats["norm_ratio_p05"].min(axis=0))
    np.testing.assert_array_equal(rows["hi"], res.stats["norm_ratio_p95"].max(axis=0))
    assert (rows["lo"] <= rows["value"]).all() and (rows["value"] <= rows["hi"]).all()
    assert list(fp.stat_table(tanh_runs, "act_var").columns) == ["group", "layer", "value"]


def test_stat_table_leaves_out_layers_past_an_overflow(explosion):
    res = explosion["normal"]
    fault = res.first_nonfinite_layer
    # float32 max 3.4e38, |a| grows ~ √256 = 16 per layer from ~4: 16^l·4 ≈ 3.4e38 near l = 31
    assert fault is not None and 28 <= fault <= 34
    table = fp.stat_table(explosion, "act_var", "seeds")
    rows = table[table["group"] == "normal"]
    assert rows["layer"].max() == fault - 1
    assert np.isfinite(table[["value", "lo", "hi"]].to_numpy(float)).all()
    expected = nanreduce(np.nanmean, res.stats["act_var"])
    np.testing.assert_allclose(rows["value"], expected[:fault - 1], rtol=1e-12)
    assert (table["group"] == "xavier_normal").sum() == 40


def test_values_table_cuts_at_upto_and_drops_nonfinite_and_missing_series():
    v = np.array([1.0, np.inf, 3.0, np.nan, 5.0])
    table = fp.values_table({"a": v, "b": None, "c": np.arange(5.0)}, upto={"a": 3})
    assert table[table["group"] == "a"]["layer"].tolist() == [1, 3]
    assert table[table["group"] == "c"]["layer"].tolist() == [1, 2, 3, 4, 5]
    assert "b" not in set(table["group"])
    assert list(fp.values_table({"b": None}).columns) == ["group", "layer", "value"]


def test_theory_fault_table_marks_the_first_infinite_prediction_within_upto():
    v = np.array([1.0, 1e308, np.inf, np.inf, np.nan])
    faults = fp.theory_fault_table({"a": v, "b": None, "c": np.arange(5.0), "d": -v}, upto={"a": 5, "d": 2})
    assert faults[["group", "layer", "kind"]].values.tolist() == [["a", 3, "theory_overflow"]]
    assert "layer 3" in faults["label"].iloc[0]
    assert list(fp.theory_fault_table({}).columns) == ["group", "layer", "kind", "label"]


def test_fault_table_names_the_layer_dtype_and_kind(explosion):
    faults = fp.fault_table(explosion, backward=True)
    assert len(faults) == 1
    row = faults.iloc[0]
    assert (row["group"], row["kind"], row["layer"]) == ("normal", "overflow", explosion["normal"].first_nonfinite_layer)
    assert f"layer {row['layer']}" in row["label"] and "float32" in row["label"]
    zero = {"zeros": propagate(Network.mlp(16, [16] * 3, "tanh", "zeros"), batch=4)}
    faults = fp.fault_table(zero)
    assert faults[["kind", "layer"]].values.tolist() == [["vanished", 1]]
    # float32's smallest normal number, as the label says
    assert f"{float(np.finfo(np.float32).tiny):.3g}" in faults["label"].iloc[0]


def test_fig_layers_pairs_measurement_and_theory_and_marks_the_overflow(explosion):
    table = fp.stat_table(explosion, "act_var")
    # linear net, s² = 1 (normal) or 1/n (xavier): theory E[a²] = (n s²)^l
    theory = fp.values_table({"normal": 256.0 ** np.arange(1, 41), "xavier_normal": np.ones(40)},
                             upto={"normal": explosion["normal"].first_nonfinite_layer})
    faults = fp.fault_table(explosion)
    fig = as_json(fp.fig_layers(table, theory, y_title="Var a", depth=40, title="t", faults=faults))
    assert all_finite(fig)
    names = [(t["name"], t["legendgroup"], t.get("showlegend", True), t["mode"]) for t in fig["data"]]
    assert ("normal", "normal", True, "lines+markers") in names
    assert ("normal (mean field)", "normal", False, "lines") in names
    assert ("xavier_normal (mean field)", "xavier_normal", False, "lines") in names
    colours = {t["name"]: t.get("marker", {}).get("color") or t["line"]["color"] for t in fig["data"]}
    assert colours["normal"] == colours["normal (mean field)"] != colours["xavier_normal"]
    layout = fig["layout"]
    assert layout["yaxis"]["type"] == "log"  # 1 … 256^30: dozens of decades
    decades = math.log10(256.0 ** explosion["normal"].first_nonfinite_layer)
    assert layout["yaxis"]["dtick"] >= decades / fp.MAX_LOG_LABELS - 1  # labels every few decades
    assert layout["xaxis"]["range"] == [0.5, 40.5]
    assert layout["xaxis"]["title"]["text"] == "layer l" and layout["yaxis"]["title"]["text"] == "Var a"
    fault = explosion["normal"].first_nonfinite_layer
    lines = [s for s in layout["shapes"] if s["type"] == "line"]
    assert [s["x0"] for s in lines] == [fault] and lines[0]["line"]["color"] == colours["normal"]
    labels = [a["text"] for a in layout["annotations"]]
    assert any(f"overflow (float32) at layer {fault}" in text and text.startswith("normal:") for text in labels)


def test_fig_layers_axis_choice_never_drops_zeros():
    zeros = {"group": ["z"] * 3, "layer": [1, 2, 3], "value": [0.0, 0.0, 0.0]}
    import pandas as pd

    fig = as_json(fp.fig_layers(pd.DataFrame(zeros), y_title="spread", depth=3, log_y=False))
    assert fig["layout"]["yaxis"].get("type") != "log" and fig["layout"]["yaxis"]["rangemode"] == "tozero"
    assert list(fig["data"][0]["y"]) == [0.0, 0.0, 0.0]
    small = pd.DataFrame({"group": "s", "layer": [1, 2], "value": [6.0, 9.0]})  # < a decade: linear
    assert as_json(fp.fig_layers(small, y_title="v", depth=2))["layout"]["yaxis"].get("type") != "log"
    wide = pd.DataFrame({"group": "w", "layer": [1, 2], "value": [1.0, 100.0]})  # two decades: log
    assert as_json(fp.fig_layers(wide, y_title="v", depth=2))["layout"]["yaxis"]["type"] == "log"
    zero_in = pd.DataFrame({"group": "w", "layer": [1, 2], "value": [0.0, 100.0]})  # asked log, has a 0
    fig = as_json(fp.fig_layers(zero_in, y_title="v", depth=2, log_y=True))
    assert fig["layout"]["yaxis"].get("type") != "log" and len(fig["data"][0]["y"]) == 2


def test_depth_heatmap_colour_is_log_share_of_each_layers_values(tanh_runs, explosion):
    hist = fp.depth_hist_table(tanh_runs, "act")
    fig = as_json(fp.fig_depth_heatmap(hist, x_title="a", depth=6, groups=list(tanh_runs), title="h"))
    assert all_finite(fig)
    heat = [t for t in fig["data"] if t["type"] == "heatmap"]
    assert [t["name"] for t in heat] == list(tanh_runs)
    assert [a["text"] for a in fig["layout"]["annotations"][:2]] == list(tanh_runs)  # panel titles
    res = tanh_runs["xavier_normal"]
    counts = res.act_hist  # (layers, bins) of the first seed; tanh: the rails [-1, 1], nothing outside
    assert np.all(res.act_outside == 0)
    total = counts.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        expected = np.where(counts > 0, np.log10(counts / total), np.nan)
    z = np.array([[np.nan if v is None else v for v in row] for row in heat[0]["z"]], dtype=float)
    np.testing.assert_allclose(z, expected, rtol=1e-12, atol=1e-12)  # gaps exactly where counts are 0
    np.testing.assert_allclose(heat[0]["x"], 0.5 * (res.act_edges[1:] + res.act_edges[:-1]), rtol=1e-12)
    assert list(heat[0]["y"]) == [1, 2, 3, 4, 5, 6]
    assert heat[0]["coloraxis"] == heat[1]["coloraxis"] == "coloraxis"
    assert fig["layout"]["yaxis"]["title"]["text"] == "layer l"
    # an overflowing run: rows stop at the fault, which is marked; still nothing non-finite
    hist = fp.depth_hist_table(explosion, "preact")
    faults = fp.fault_table(explosion)
    fig = as_json(fp.fig_depth_heatmap(hist, x_title="h", depth=40, faults=faults))
    assert all_finite(fig)
    fault = explosion["normal"].first_nonfinite_layer
    assert max(fig["data"][0]["y"]) == fault - 1
    assert [s["y0"] for s in fig["layout"]["shapes"]] == [fault]


def test_layer_histograms_one_curve_per_layer_with_one_legend_entry_each(explosion):
    hist = fp.depth_hist_table(explosion, "act")
    layers = fp.pick_layers(40)
    assert layers == [1, 11, 20, 30, 40]
    fig = as_json(fp.fig_layer_histograms(hist, layers, x_title="a", groups=list(explosion)))
    assert all_finite(fig)
    fault = explosion["normal"].first_nonfinite_layer
    drawn_normal = [t["name"] for t in fig["data"] if t["xaxis"] == "x"]
    assert drawn_normal == [f"layer {l}" for l in layers if l < fault]
    shown = [t["name"] for t in fig["data"] if t.get("showlegend", True)]
    assert sorted(shown) == sorted(f"layer {l}" for l in layers)  # layers past the fault: legend from panel 2
    t = fig["data"][0]
    # a step curve: one more point than bins, the last density repeated
    assert len(t["x"]) == len(t["y"]) == 61 and t["y"][-1] == t["y"][-2]
    assert fp.pick_layers(3) == [1, 2, 3] and fp.pick_layers(1) == [1]


def test_jacobian_table_gaussian_spreads_and_orthogonal_stays_at_one():
    n, depth = 16, 12
    spectra = {"gauss": jacobian_spectrum(Network.mlp(n, [n] * depth, "linear", "xavier_normal"), n_seeds=2),
               "orth": jacobian_spectrum(Network.mlp(n, [n] * depth, "linear", "orthogonal"), n_seeds=2)}
    table = fp.jacobian_table(spectra)
    orth = table[table["group"] == "orth"]
    np.testing.assert_allclose(orth[["median", "q05", "q95"]].to_numpy(float), 0.0, atol=1e-12)
    np.testing.assert_allclose(orth["theory_log10_sigma"], 0.0, atol=0)
    gauss = table[table["group"] == "gauss"]
    spec = spectra["gauss"]
    np.testing.assert_allclose(gauss["median"], spec.quantiles[:, :, 2].mean(axis=0), rtol=1e-12)
    width = (gauss["q95"] - gauss["q05"]).to_numpy()
    assert width[-1] > width[0] > 0  # the spread of log σ grows with depth
    np.testing.assert_allclose(gauss["theory_var_sq"], spec.theory_var_sq, rtol=1e-12)


def test_log_ticks_label_plain_values_never_bare_mantissas():
    few = fp.log_ticks(0.027, 1.0)  # 1.6 decades: 1-2-5 steps, written out
    assert few["ticktext"] == ["0.02", "0.05", "0.1", "0.2", "0.5", "1"]
    np.testing.assert_allclose(few["tickvals"], [0.02, 0.05, 0.1, 0.2, 0.5, 1.0])
    assert fp.log_ticks(1.0, 1e80)["dtick"] == 10  # 80 decades: one label every 10, at most 8 labels
    assert fp.log_ticks(1e-9, 1.0)["dtick"] == 2
    assert "tickvals" not in fp.log_ticks(1e-9, 1.0)
    assert fp.log_ticks(1e-300, 1e300)["dtick"] == 75  # 600 decades: the ratio itself is beyond float64


def test_per_layer_tables_keep_series_names_as_object_columns(tanh_runs, explosion):
    """Not pandas' Arrow strings, whose every call releases the GIL (tables.text_column)."""
    tables = [fp.stat_table(tanh_runs, "act_var", "seeds"), fp.values_table({"a": np.ones(3)}),
              fp.fault_table(explosion), fp.depth_hist_table(tanh_runs, "act")]
    assert [t["group"].dtype for t in tables] == [object] * 4 and all(len(t) for t in tables)
