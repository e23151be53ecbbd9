"""Figure builders of the Training page (initviz.figures.training): the seed and layer tables
against numbers recomputed here from initviz.train's results, and the figures' JSON (one colour,
dash and marker per scheme, the interquartile band, the labelled chance and guide lines, log axes,
no NaN/inf)."""

import numpy as np
import pandas as pd
import pytest

import initviz as iv
from initviz.figures import theme
from initviz.figures import training as ft
from test_app_support import all_finite, figure_json


@pytest.fixture(scope="module")
def results():
    """Two schemes on the spirals, 3 seeds, 20 steps, logged every 5 steps; zeros never breaks symmetry."""
    task = iv.tasks.get_task("spirals", n=200)
    out = {}
    for scheme in ("xavier_normal", "zeros"):
        net = iv.Network.mlp(2, [16, 16, 2], "tanh", scheme, layer_activations={3: "linear"})
        out[scheme] = iv.train(net, task, lr=0.1, steps=20, batch=20, n_seeds=3, log_every=5,
                               histogram_steps=(0, 15), histogram_bins=12)
    return out


@pytest.fixture(scope="module")
def frames(results):
    return {name: res.to_frame() for name, res in results.items()}


@pytest.fixture(scope="module")
def layer_frames(results):
    return {name: res.layer_frame() for name, res in results.items()}


def test_seed_table_is_the_median_and_quartiles_over_seeds(results, frames):
    table = ft.seed_table(frames, "train_loss")
    assert list(table.columns) == ["group", "step", "median", "q25", "q75"]
    assert list(dict.fromkeys(table["group"])) == ["xavier_normal", "zeros"]
    x = table[table["group"] == "xavier_normal"]
    loss = results["xavier_normal"].train_loss  # (seeds, steps)
    np.testing.assert_array_equal(x["step"], np.arange(20))  # the step after the last update has no batch
    np.testing.assert_allclose(x["median"], np.median(loss, axis=0), rtol=1e-12)
    np.testing.assert_allclose(x["q25"], np.quantile(loss, 0.25, axis=0), rtol=1e-12)
    np.testing.assert_allclose(x["q75"], np.quantile(loss, 0.75, axis=0), rtol=1e-12)


def test_test_loss_table_has_the_logged_steps_only(results, frames):
    table = ft.seed_table(frames, "test_loss")
    steps = table[table["group"] == "zeros"]["step"].tolist()
    assert steps == [0, 5, 10, 15, 19, 20]
    assert np.isfinite(table[["median", "q25", "q75"]].to_numpy()).all()


def test_layer_table_per_layer_and_one_layer(results, layer_frames):
    table = ft.layer_table(layer_frames, "distinct_units")
    assert list(table.columns) == ["group", "layer", "step", "median", "q25", "q75"]
    zeros = table[(table["group"] == "zeros") & (table["layer"] <= 2)]
    assert (zeros["median"] == 1).all() and len(zeros) == 2 * len(results["zeros"].logged)
    one = ft.layer_table(layer_frames, "grad_std", layer=2)
    assert set(one["layer"]) == {2}
    expected = np.median(results["xavier_normal"].layers["grad_std"][:, :, 1], axis=0)
    np.testing.assert_allclose(one[one["group"] == "xavier_normal"]["median"], expected, rtol=1e-12)


def test_loss_figure_styles_each_scheme_and_labels_chance(frames):
    fig = figure_json(ft.fig_steps(ft.seed_table(frames, "train_loss"), ft.seed_table(frames, "test_loss"),
                                   y_title="loss", title="Loss", reference=np.log(2), reference_label="chance 0.69"))
    assert all_finite(fig)
    lines = [t for t in fig["data"] if t.get("mode") == "lines" and t.get("showlegend") is not False]
    markers = [t for t in fig["data"] if t.get("mode") == "markers"]
    assert [t["name"] for t in lines] == ["xavier_normal", "zeros"]
    assert [t["line"]["color"] for t in lines] == [theme.PALETTE[0], theme.PALETTE[1]]
    assert [t["line"]["dash"] for t in lines] == list(ft.DASHES[:2])
    assert [t["marker"]["symbol"] for t in markers] == list(ft.SYMBOLS[:2])
    assert [t["marker"]["color"] for t in markers] == [theme.PALETTE[0], theme.PALETTE[1]]
    bands = [t for t in fig["data"] if t.get("fill") == "tonexty"]
    assert bands and all(t["showlegend"] is False for t in bands)
    [shape] = fig["layout"]["shapes"]
    assert shape["y0"] == shape["y1"] == pytest.approx(np.log(2)) and shape["line"]["dash"] == "dash"
    assert any(a["text"] == "chance 0.69" for a in fig["layout"]["annotations"])
    assert "markers: test" in fig["layout"]["legend"]["title"]["text"]


def test_log_axis_drops_non_positive_values_with_a_note():
    table = pd.DataFrame({"group": ["a"] * 3, "step": [0, 1, 2], "median": [1.0, 0.0, 0.1], "q25": [1.0, 0.0, 0.1],
                          "q75": [1.0, 0.0, 0.1]})
    fig = figure_json(ft.fig_steps(table, y_title="loss", log_y=True, reference=2.3, reference_label="chance"))
    assert fig["layout"]["yaxis"]["type"] == "log"
    [line] = [t for t in fig["data"] if t.get("name") == "a"]
    assert list(line["y"]) == [1.0, 0.1]
    assert any("1 value not drawn" in a["text"] for a in fig["layout"]["annotations"])


def test_layer_figure_one_legend_entry_per_scheme_and_the_guide(layer_frames):
    fig = figure_json(ft.fig_layer_steps(ft.layer_table(layer_frames, "grad_std"), y_title="std",
                                         reference=ft.GUIDE_UPDATE_DATA, reference_label="-3"))
    assert all_finite(fig)
    curves = [t for t in fig["data"] if t["mode"] != "text"]
    assert [t["name"] for t in curves if t["showlegend"]] == ["xavier_normal", "zeros"]
    assert len(curves) == 2 * 3
    assert {t["line"]["color"] for t in curves if t["name"] == "zeros"} == {theme.PALETTE[1]}
    assert {t["line"]["dash"] for t in curves if t["name"] == "xavier_normal"} == {ft.DASHES[0]}
    assert [s["y0"] for s in fig["layout"]["shapes"]] == [-3.0]
    labels = [t["text"][0] for t in fig["data"] if t["mode"] == "text"]
    assert labels[:3] == ["1", "2", "3"]
    # zeros: every weight stays 0 with tanh (std W = 0), so it has no update:data ratio at all
    ratio = figure_json(ft.fig_layer_steps(ft.layer_table(layer_frames, "update_data"), y_title="log10 ratio"))
    assert {t["name"] for t in ratio["data"] if t["mode"] != "text"} == {"xavier_normal"}


def test_histogram_table_and_figure_one_panel_per_scheme_steps_by_dash(results):
    frames = {name: res.histogram_frame("grad") for name, res in results.items()}
    table = ft.histogram_table(frames, layer=2, seed=1)
    for name, res in results.items():
        for k, step in enumerate((0, 15)):
            rows = table[(table["group"] == name) & (table["step"] == step)]
            np.testing.assert_array_equal(rows["count"], res.hist_counts["grad"][1, k, 1])
            np.testing.assert_array_equal(rows["bin_lo"], res.hist_edges["grad"][1, 1, :-1])
    fig = figure_json(ft.fig_step_histograms(table, x_title="dL/dW"))
    assert all_finite(fig)
    legend = [t for t in fig["data"] if t.get("showlegend", True)]
    assert [t["name"] for t in legend] == ["step 0", "step 15"] and {t["line"]["color"] for t in legend} == {theme.INK}
    curves = [t for t in fig["data"] if not t.get("showlegend", True)]
    assert [t["name"] for t in curves] == ["xavier_normal · step 0", "xavier_normal · step 15", "zeros · step 0",
                                           "zeros · step 15"]
    assert [(t["xaxis"], t["line"]["color"], t["line"]["dash"]) for t in curves] == [
        ("x", theme.PALETTE[0], ft.STEP_DASHES[0]), ("x", theme.PALETTE[0], ft.STEP_DASHES[1]),
        ("x2", theme.PALETTE[1], ft.STEP_DASHES[0]), ("x2", theme.PALETTE[1], ft.STEP_DASHES[1])]
    assert len(curves[0]["x"]) == 12 + 1 and curves[0]["y"][-1] == curves[0]["y"][-2]  # the last step drawn to its edge


def test_layer_profile_one_line_per_scheme_and_step_named_by_the_layers_labels(layer_frames):
    table = ft.layer_table(layer_frames, "weight_std")
    table = table[table["step"].isin((0, 15))]
    labels = ("first", "second", "output")
    fig = figure_json(ft.fig_layer_profile(table, labels, y_title="std W"))
    assert all_finite(fig)
    legend = [t for t in fig["data"] if t.get("showlegend", True)]
    assert [t["name"] for t in legend] == ["xavier_normal", "zeros"]
    assert fig["layout"]["legend"]["title"]["text"] == "dotted: step 0 · solid: step 15"
    curves = fig["data"]
    assert [(t["name"], t["line"]["color"], t["line"]["dash"]) for t in curves] == [
        ("xavier_normal", theme.PALETTE[0], ft.STEP_DASHES[0]), ("xavier_normal", theme.PALETTE[0], ft.STEP_DASHES[1]),
        ("zeros", theme.PALETTE[1], ft.STEP_DASHES[0]), ("zeros", theme.PALETTE[1], ft.STEP_DASHES[1])]
    for t, (name, step) in zip(curves, [(n, s) for n in ("xavier_normal", "zeros") for s in (0, 15)]):
        rows = table[(table["group"] == name) & (table["step"] == step)]
        assert list(np.asarray(t["x"], dtype=int)) == list(rows["layer"]) == [1, 2, 3]
        assert list(t["text"]) == list(labels) and f"step {step}" in t["hovertemplate"]
        np.testing.assert_array_equal(np.asarray(t["y"], dtype=float), rows["median"])
    assert fig["layout"]["xaxis"]["title"]["text"] == "weight layer (1: first, 3: output)"


def test_layer_profile_names_a_scheme_whose_run_stopped_before_the_last_step(layer_frames):
    """A diverged run (its curves stop at the first non-finite loss) has no line at the last step: its
    first step's line carries the legend entry, so its colour is still named."""
    table = ft.layer_table(layer_frames, "weight_std")
    table = table[table["step"].isin((0, 15)) & ~((table["group"] == "zeros") & (table["step"] == 15))]
    fig = figure_json(ft.fig_layer_profile(table, ("first", "second", "output"), y_title="std W"))
    legend = [t for t in fig["data"] if t.get("showlegend", True)]
    assert [t["name"] for t in legend] == ["xavier_normal", "zeros"] and all(len(t["x"]) for t in legend)


def test_empty_tables_give_an_empty_valid_figure():
    empty = ft.seed_table({}, "train_loss")
    fig = figure_json(ft.fig_steps(empty, y_title="loss"))
    assert fig["data"] == []
    fig = figure_json(ft.fig_layer_steps(ft.layer_table({}, "grad_std"), y_title="std"))
    assert fig["data"] == []
    fig = figure_json(ft.fig_step_histograms(ft.histogram_table({}, 1), x_title="x"))
    assert fig["data"] == []
    fig = figure_json(ft.fig_layer_profile(ft.layer_table({}, "grad_std"), (), y_title="std"))
    assert fig["data"] == []
