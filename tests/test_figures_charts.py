"""Figure builders and the template: traces, names, legend groups, axis titles, no NaN/inf."""

import numpy as np
import pandas as pd
import pytest

from initviz.figures import curve_table, fig_curves, fig_density, fig_heatmaps, hist_table, theme
from initviz.figures.charts import DODGE
from test_app_support import all_finite, figure_json, numbers, trace


as_json = figure_json


def _hist(group="a", density=(0.1, 0.5, 0.4)):
    edges = np.array([0.0, 1.0, 2.0, 3.0])
    return pd.DataFrame({"group": group, "left": edges[:-1], "right": edges[1:], "count": [1, 5, 4],
                         "density": list(density)})


# --- tables --------------------------------------------------------------------------------------

def test_hist_table_density_integrates_to_the_fraction_inside_and_drops_nonfinite():
    x = np.array([0.1, 0.2, 0.9, 1.5, 2.5, np.nan, np.inf, 7.0])
    t = hist_table(x, group="g", bins=3, range=(0.0, 3.0))
    assert list(t["count"]) == [3, 1, 1]  # 0.1 0.2 0.9 | 1.5 | 2.5; 7.0 outside; nan/inf dropped
    assert t.attrs == {"n": 6, "nonfinite": 2, "outside": 1}
    assert np.isclose(((t["right"] - t["left"]) * t["density"]).sum(), 5 / 6)
    assert set(t.columns) == {"group", "left", "right", "count", "density"}


def test_hist_table_of_a_constant_sample_has_a_nonempty_range():
    t = hist_table(np.full(10, 2.0), group="g", bins=4)
    assert t["left"].iloc[0] < 2.0 < t["right"].iloc[-1] and t["count"].sum() == 10


# --- fig_density ---------------------------------------------------------------------------------

def test_density_pairs_bars_with_theory_by_legend_group():
    theory = curve_table(np.linspace(0, 3, 5), np.full(5, 1 / 3), group="a")
    fig = as_json(fig_density(pd.concat([_hist("a"), _hist("b")]), theory, x_title="w", title="t"))
    bars = [t for t in fig["data"] if t["type"] == "bar"]
    lines = [t for t in fig["data"] if t["type"] == "scatter"]
    assert [t["name"] for t in bars] == ["a (sampled)", "b (sampled)"] and [t["name"] for t in lines] == ["a (exact)"]
    assert bars[0]["legendgroup"] == lines[0]["legendgroup"] == "a"
    assert bars[0]["marker"]["color"] == lines[0]["line"]["color"] == theme.PALETTE[0]
    assert bars[1]["marker"]["color"] == theme.PALETTE[1]
    assert np.allclose(bars[0]["x"], [0.5, 1.5, 2.5]) and np.allclose(bars[0]["width"], 1.0)
    assert np.allclose(bars[0]["y"], [0.1, 0.5, 0.4])
    assert fig["layout"]["xaxis"]["title"]["text"] == "w"
    assert fig["layout"]["yaxis"]["title"]["text"] == "probability density"
    assert all_finite(fig)


def test_single_series_legend_says_sampled_and_exact():
    theory = curve_table([0.0, 3.0], [0.3, 0.3], group="a")
    fig = as_json(fig_density(_hist("a"), theory, x_title="w"))
    assert trace(fig, "sampled")["type"] == "bar" and trace(fig, "exact")["type"] == "scatter"


def test_nonfinite_values_are_not_drawn_and_are_counted():
    hist = _hist("a", density=(0.1, np.nan, np.inf))
    theory = curve_table([0.0, 1.0, 2.0], [0.2, -np.inf, 0.3], group="a")
    fig = as_json(fig_density(hist, theory, x_title="w"))
    assert all_finite(fig)
    assert len(trace(fig, "sampled")["y"]) == 1 and len(trace(fig, "exact")["y"]) == 2
    notes = [a["text"] for a in fig["layout"]["annotations"]]
    assert any(n.startswith("3 values not drawn") for n in notes)


def test_atoms_are_stems_with_their_mass_and_the_axis_follows_the_density():
    theory = curve_table([0.0, 3.0], [0.3, 0.3], group="a")
    atoms = pd.DataFrame({"group": ["a"], "x": [0.0], "mass": [0.25]})
    fig = as_json(fig_density(_hist("a"), theory, atoms=atoms, x_title="w"))
    shapes = fig["layout"]["shapes"]
    assert len(shapes) == 1 and shapes[0]["x0"] == shapes[0]["x1"] == 0.0
    assert any("mass 0.25 at 0" in a["text"] for a in fig["layout"]["annotations"])
    assert fig["layout"]["yaxis"]["range"] == pytest.approx([0.0, 0.3 * 1.3])
    lo, hi = fig["layout"]["xaxis"]["range"]  # the atom at the data's left edge stands clear of the y axis
    assert lo < 0.0 < hi and shapes[0]["line"]["width"] > fig["data"][-1]["line"]["width"]


# --- fig_curves ----------------------------------------------------------------------------------

def _points():
    return pd.DataFrame({"group": ["a", "a", "b", "b"], "n": [10, 100, 10, 100], "y": [0.1, 0.01, 0.2, 0.02],
                         "lo": [0.08, 0.009, 0.15, 0.018], "hi": [0.13, 0.012, 0.3, 0.021]})


def test_a_theory_whose_points_were_all_dropped_keeps_the_series_legend_entry():
    points = _points().assign(y=[0.1, 0.01, np.nan, -1.0])  # b: nothing drawable on a log axis
    theory = pd.DataFrame({"group": ["a", "b"], "n": [10, 10], "y": [0.1, 0.2]})
    fig = as_json(fig_curves(points, theory, x="n", y="y", x_title="n", y_title="y", log_y=True))
    assert [t["name"] for t in fig["data"]] == ["a", "a (theory)", "b (theory)"]
    assert trace(fig, "a (theory)")["showlegend"] is False and trace(fig, "b (theory)")["showlegend"] is True
    assert any("2 values not drawn" in a["text"] for a in fig["layout"]["annotations"])


def test_curves_band_is_asymmetric_error_bars_and_theory_shares_the_group():
    theory = pd.DataFrame({"group": ["a", "a", "b", "b"], "n": [10, 100, 10, 100], "y": [0.1, 0.01, 0.2, 0.02]})
    fig = as_json(fig_curves(_points(), theory, x="n", y="y", lo="lo", hi="hi", x_title="dimension n",
                             y_title="deviation", log_x=True, log_y=True))
    a = trace(fig, "a")
    assert np.allclose(a["error_y"]["array"], [0.03, 0.002]) and np.allclose(a["error_y"]["arrayminus"], [0.02, 0.001])
    a_theory = trace(fig, "a (theory)")
    assert a_theory["legendgroup"] == a["legendgroup"] == "a" and a_theory["showlegend"] is False
    assert a_theory["line"]["color"] == a["marker"]["color"]
    assert fig["layout"]["xaxis"]["type"] == fig["layout"]["yaxis"]["type"] == "log"
    assert "markers: measured" in fig["layout"]["legend"]["title"]["text"]
    assert all_finite(fig)


def test_curves_drop_nonpositive_values_on_log_axes():
    table = _points().assign(y=[0.1, 0.0, -1.0, 0.02])
    fig = as_json(fig_curves(table, x="n", y="y", lo="lo", hi="hi", x_title="n", y_title="y", log_y=True))
    assert len(trace(fig, "a")["y"]) == 1 and len(trace(fig, "b")["y"]) == 1
    assert any("2 values not drawn" in a["text"] for a in fig["layout"]["annotations"])


def test_marker_line_uses_data_x_and_its_label_log10_x():
    fig = as_json(fig_curves(_points()[:2], x="n", y="y", x_title="n", y_title="y", log_x=True,
                             mark_x=100, mark_label="n = 100"))
    assert fig["layout"]["shapes"][0]["x0"] == 100
    label = [a for a in fig["layout"]["annotations"] if a["text"] == "n = 100"][0]
    assert label["x"] == pytest.approx(2.0)


def test_log_axis_spanning_decades_is_labelled_at_powers_of_ten():
    table = pd.DataFrame({"group": "a", "n": [1, 10, 100, 1000], "y": [1.0, 0.1, 0.01, 0.001]})
    fig = as_json(fig_curves(table, x="n", y="y", x_title="n", y_title="y", log_x=True, log_y=True))
    assert fig["layout"]["xaxis"]["dtick"] == 1 and fig["layout"]["yaxis"]["dtick"] == 1
    narrow = as_json(fig_curves(table.assign(y=[1.0, 1.2, 1.4, 1.6]), x="n", y="y", x_title="n", y_title="y", log_y=True))
    assert "dtick" not in narrow["layout"]["yaxis"]
    huge = as_json(fig_curves(table.assign(y=[1e-300, 1.0, 1e10, 1e300]), x="n", y="y", x_title="n", y_title="y",
                              log_y=True))  # 600 decades: max/min is beyond float64
    assert huge["layout"]["yaxis"]["dtick"] == 1


# --- fig_heatmaps --------------------------------------------------------------------------------

def test_heatmaps_share_a_symmetric_colour_scale_and_leave_gaps_for_nonfinite():
    rows, cols = np.indices((2, 2))
    a = pd.DataFrame({"panel": "A", "row": rows.ravel(), "col": cols.ravel(), "value": [1.0, -3.0, np.nan, 0.5]})
    b = pd.DataFrame({"panel": "I", "row": rows.ravel(), "col": cols.ravel(), "value": [1.0, 0.0, 0.0, 1.0]})
    fig = as_json(fig_heatmaps(pd.concat([a, b]), title="t"))
    heat = [t for t in fig["data"] if t["type"] == "heatmap"]
    assert [t["name"] for t in heat] == ["A", "I"] and all(t["coloraxis"] == "coloraxis" for t in heat)
    assert fig["layout"]["coloraxis"]["cmin"] == -3.0 and fig["layout"]["coloraxis"]["cmax"] == 3.0
    z = heat[0]["z"]
    assert z[1][0] is None and z[0][1] == -3.0
    assert fig["layout"]["yaxis"]["autorange"] == "reversed"
    assert all_finite(fig)


# --- the template --------------------------------------------------------------------------------

def test_template_is_colour_blind_safe_and_readable():
    okabe_ito = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"}
    assert set(theme.PALETTE) <= okabe_ito and len(theme.PALETTE) == len(set(theme.PALETTE))
    fig = as_json(fig_density(_hist(), x_title="w"))
    tpl = fig["layout"]["template"]["layout"]
    assert tpl["font"]["size"] >= 14 and tpl["xaxis"]["title"]["font"]["size"] >= 16
    assert [c.upper() for c in tpl["colorway"]] == [c.upper() for c in theme.PALETTE]
    assert list(numbers(fig["data"]))  # the figure carries its data


def test_table_builders_keep_series_names_as_object_columns():
    """Not pandas' Arrow strings, whose every call releases the GIL (tables.text_column)."""
    assert hist_table([0.1, 0.2], group="a", bins=2)["group"].dtype == object
    assert curve_table([0.0, 1.0], [1.0, 2.0], group="a")["group"].dtype == object


# --- several series: each one visible (issue 12 item 2) ------------------------------------------

def test_equal_series_are_drawn_side_by_side_with_distinct_marks_and_a_note():
    base = pd.DataFrame({"layer": [1, 2, 3], "value": [0.5, 0.4, 0.3]})
    table = pd.concat([base.assign(group="kaiming"), base.assign(group="xavier"),
                       base.assign(group="lecun", value=[0.5, 0.41, 0.3]),
                       base.assign(group="orthogonal", value=base["value"] * (1 + 1e-12))])
    fig = as_json(fig_curves(table, x="layer", y="value", x_title="l", y_title="v", lines=True))
    traces = {t["name"]: t for t in fig["data"]}
    assert len({t["marker"]["symbol"] for t in traces.values()}) == 4
    assert len({t["line"]["dash"] for t in traces.values()}) == 4
    x = {g: np.asarray(traces[g]["x"], dtype=float) for g in traces}
    np.testing.assert_array_equal(x["kaiming"], [1, 2, 3])
    np.testing.assert_array_equal(x["lecun"], [1, 2, 3])  # differs at layer 2: not moved
    shifts = sorted({float(np.unique(x[g] - x["kaiming"])[0]) for g in ("xavier", "orthogonal")})
    assert 0 < shifts[0] < shifts[1] <= DODGE * (1 + 1e-12)  # two followers of kaiming, each its own offset
    assert fig["layout"]["legend"]["title"]["text"] == "equal values: kaiming = xavier = orthogonal<br>(drawn side by side)"
    single = as_json(fig_curves(base.assign(group="a"), x="layer", y="value", x_title="l", y_title="v"))
    assert "title" not in single["layout"].get("legend", {})


def test_nearly_equal_series_are_drawn_side_by_side_too_and_named_so_on_linear_and_log_axes():
    """Equal up to float32 rounding (1e-6 relative) hides a series as surely as equality: moved and named
    "nearly equal"; a difference of 5 % of the axis's span (5× OVERLAP_FRACTION) is seen: left alone."""
    base = pd.DataFrame({"layer": [1, 2, 3], "value": [1.0, 10.0, 100.0]})
    table = pd.concat([base.assign(group="he"), base.assign(group="xavier", value=base["value"] * (1 + 1e-6)),
                       base.assign(group="lecun", value=base["value"] * 10 ** (0.05 * 2))])  # 5 % of 2 decades
    for log_y in (False, True):
        fig = as_json(fig_curves(table, x="layer", y="value", x_title="l", y_title="v", log_y=log_y))
        x = {t["name"]: np.asarray(t["x"], dtype=float) for t in fig["data"]}
        assert np.all(x["xavier"] > x["he"]) and np.array_equal(x["lecun"], x["he"])
        assert fig["layout"]["legend"]["title"]["text"] == "nearly equal: he ≈ xavier<br>(drawn side by side)"


def test_numbers_are_written_as_a_reader_writes_them():
    assert theme.number(8.453e270) == "8.453 × 10²⁷⁰"
    assert theme.number(-2.5e-7) == "-2.5 × 10⁻⁷"
    assert theme.number(1e5) == "1 × 10⁵" and theme.number(99999.7) == "1 × 10⁵"
    assert theme.number(12345.6) == "12350" and theme.number(0.001) == "0.001"
    assert theme.number(0.0123) == "0.0123" and theme.number(0.0) == "0"
    assert theme.number(float("inf")) == "∞" and theme.number(float("nan")) == "—"
