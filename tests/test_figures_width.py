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


def test_steps_choose_the_panels(frame):
    fig = figure_json(fw.fig_coord_check(frame, "rms", steps=[2]))
    assert {t.get("xaxis", "x") for t in fig["data"]} == {"x"} and len(fig["data"]) == 4
