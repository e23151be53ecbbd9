"""The coordinate-check figure (initviz.figures.width): its table against the frame's numbers
recomputed here, and the figure's JSON (a panel per step, a line per layer in every panel with the
same look, log axes, no NaN/inf — a zero-readout output at init and the step-0 change, both 0, left out)."""

import numpy as np
import pytest

import initviz as iv
from initviz.figures import width as fw
from test_app_support import all_finite, figure_json


@pytest.fixture(scope="module")
def frame():
    task = iv.tasks.get_task("mixture", n=80, classes=3, dim=8)
    return iv.coord_check("mup", "sgd", widths=[32, 64, 128], steps=2, n_seeds=3, depth=4, task=task, batch=16,
                          base_width=32, dtype="float64")


def test_table_is_the_mean_and_quartiles_over_seeds(frame):
    table = fw.coord_table(frame, "rms")
    assert list(table.columns) == ["step", "layer_index", "layer", "width", "mean", "q25", "q75"]
    row = table[(table.step == 1) & (table.layer == "hidden 2") & (table.width == 64)].iloc[0]
    values = frame[(frame.step == 1) & (frame.layer == "hidden 2") & (frame.width == 64)
                   & (frame.statistic == "rms")].value.to_numpy()
    assert row["mean"] == pytest.approx(values.mean(), rel=1e-15)
    assert row.q25 == pytest.approx(np.quantile(values, 0.25), rel=1e-15) and row.q25 <= row["mean"] <= row.q75
    zeros = fw.coord_table(frame, "delta_rms")
    assert not (zeros.step == 0).any() and not ((zeros.layer == "output") & (zeros.step == 0)).any()
    assert not (fw.coord_table(frame, "mean_abs").query("step == 0 and layer == 'output'")).size  # zero readout


@pytest.mark.parametrize("statistic", ["mean_abs", "delta_rms"])
def test_figure_has_a_panel_per_step_and_a_line_per_layer(frame, statistic):
    fig = figure_json(fw.fig_coord_check(frame, statistic, title="μP, SGD"))
    assert all_finite(fig)
    layout, data = fig["layout"], fig["data"]
    assert [a["text"] for a in layout["annotations"]][:3] == ["t = 0", "t = 1", "t = 2"]
    assert layout["xaxis3"]["type"] == "log" and layout["yaxis"]["type"] == "log"
    by_panel = {}
    for trace in data:
        by_panel.setdefault(trace.get("xaxis", "x"), []).append(trace)
        assert list(trace["x"]) == [32, 64, 128]
    assert [t["name"] for t in by_panel["x3"]] == ["input", "hidden 1", "hidden 2", "output"]
    looks = {t["name"]: (t["line"]["color"], t["line"].get("dash"), t["marker"]["symbol"]) for t in by_panel["x3"]}
    assert len(set(looks.values())) == 4
    assert all(looks[t["name"]] == (t["line"]["color"], t["line"].get("dash"), t["marker"]["symbol"]) for t in data)
    assert sum(t.get("showlegend", True) for t in data) == len(by_panel["x3"])
    values = np.concatenate([np.asarray(t["y"], float) for t in data])
    decades = np.log10(values.max() / values.min())
    # a short panel: every digit labelled (plotly's default) overlaps; powers of ten, or 1-2-5
    assert layout["yaxis"]["dtick"] == (1 if decades > 1.5 else "D2"), decades


def test_steps_choose_the_panels(frame):
    fig = figure_json(fw.fig_coord_check(frame, "rms", steps=[2]))
    assert {t.get("xaxis", "x") for t in fig["data"]} == {"x"} and len(fig["data"]) == 4


# --- learning-rate transfer ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def sweep():
    """A small real sweep, with one rate high enough that SP's wide runs diverge (+inf)."""
    return iv.lr_sweep(("mup", "sp"), "sgd", log2_lrs=[-3, -1, 1, 6], widths=(32, 64), steps=6, n_seeds=2,
                       base_width=32, batch=16, activation="relu")


NAMES = {"mup": "μP", "sp": "SP"}


def test_transfer_table_is_the_mean_over_seeds_and_marks_each_widths_lowest(sweep):
    table = fw.transfer_table(sweep)
    assert list(table.columns) == ["preset", "width", "log2_lr", "mean", "q25", "q75", "best"]
    for (preset, width), part in table.groupby(["preset", "width"]):
        rows = sweep[(sweep.preset == preset) & (sweep.width == width)]
        means = rows.groupby("log2_lr").loss.mean()
        np.testing.assert_allclose(part.set_index("log2_lr")["mean"], means.loc[part.log2_lr], rtol=1e-15)
        assert part.best.sum() == 1 and part[part.best].log2_lr.iloc[0] == means.idxmin()


def test_transfer_figure_has_a_panel_per_preset_a_line_per_width_and_a_star_at_its_optimum(sweep):
    fig = figure_json(fw.fig_lr_transfer(sweep, NAMES, title="transfer"))
    assert all_finite(fig)
    assert [a["text"] for a in fig["layout"]["annotations"]][:2] == ["μP", "SP"]
    assert fig["layout"]["yaxis"]["type"] == "log"
    table = fw.transfer_table(sweep)
    for axis, preset in (("x", "mup"), ("x2", "sp")):
        lines = [t for t in fig["data"] if t["xaxis"] == axis and t["mode"] == "lines+markers"]
        stars = [t for t in fig["data"] if t["xaxis"] == axis and t["mode"] == "markers"]
        assert [t["name"] for t in lines] == ["width 2^5", "width 2^6"] and len(stars) == 2
        for width, line, star in zip((32, 64), lines, stars):
            part = table[(table.preset == preset) & (table.width == width)]
            finite = part[np.isfinite(part["mean"])]
            np.testing.assert_array_equal(line["x"], finite.log2_lr)  # a diverged rate (inf) is left out
            best = part[part.best].iloc[0]
            assert list(star["x"]) == [best.log2_lr] and star["marker"]["symbol"] == "star"
            assert f"best log₂ η = {int(best.log2_lr)}" in star["hovertemplate"]
            assert star["marker"]["color"] == line["line"]["color"]
    assert np.isinf(table[(table.preset == "sp") & (table.log2_lr == 6)]["mean"]).all()  # the fixture diverges


def test_optimum_text_names_every_widths_best_rate(sweep):
    text = fw.optimum_text(sweep, NAMES)
    best = iv.lr_optimum(sweep)
    for preset, name in NAMES.items():
        rows = best[best.preset == preset].sort_values("width")
        cells = ", ".join(f"2^{w.bit_length() - 1} → {k:d}".replace("-", "−") for w, k in
                          zip(rows.width.astype(int), rows.log2_lr.astype(int)))
        assert f"{name}: {cells}" in text
