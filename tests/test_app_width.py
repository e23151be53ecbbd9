"""The Width page (AppTest): a small view draws the core's coordinate check for the chosen
parametrisation and SP (grids and spread table), a link round trips and sets the controls, and the
deliberate mistakes are named on the page."""

import numpy as np
import pytest

import initviz as iv
from initviz.figures import width as fw
from initviz.ui import links
from initviz.ui import width as width_page
from initviz.ui.links import width as plan
from test_app_support import all_finite, assert_exportable, chart, open_page, text_of

SMALL = {"max_width": "256", "n_seeds": "2", "steps": "2"}
"""A small view: widths 128 and 256, 2 seeds, 2 steps (~0.1 s a check)."""
RTOL = 1e-4
"""The page's check runs in a worker with one BLAS thread, the test's here (maybe more): float32 sums in
another order differ by a few ulps of float32 (~1e-7) per product, far below 1e-4 after 2 steps."""


@pytest.fixture(scope="module")
def small():
    return open_page("width", SMALL)


def _settings(query):
    return links.parse("width", query)[0]


def _lines(fig):
    """(panel axis, layer name) → (x, y) of every line of a coordinate-check grid."""
    return {(t["xaxis"], t["name"]): (np.asarray(t["x"], float), np.asarray(t["y"], float)) for t in fig["data"]}


@pytest.mark.parametrize("preset", ["mup", "sp"])
def test_the_grids_are_the_cores_coordinate_checks(small, preset):
    settings = _settings(SMALL)
    frame = iv.coord_check(**plan.check_kwargs(settings, preset))
    table = fw.coord_table(frame, settings["statistic"])
    fig = chart(small, f"coord_{preset}")
    assert all_finite(fig)
    assert_exportable(fig, "width", SMALL)
    lines = _lines(fig)
    steps = sorted(table.step.unique())
    assert len({axis for axis, _ in lines}) == len(steps) == settings["steps"] + 1
    for j, t in enumerate(steps, start=1):
        axis = "x" if j == 1 else f"x{j}"
        for layer, part in table[table.step == t].groupby("layer"):
            x, y = lines[(axis, layer)]
            np.testing.assert_array_equal(x, part.width.to_numpy(float))
            np.testing.assert_allclose(y, part["mean"].to_numpy(), rtol=RTOL)


def test_the_spread_table_is_the_cores_spread_at_the_last_step(small):
    settings = _settings(SMALL)
    shown = small.dataframe[0].value
    for preset, name in (("mup", "μP (maximal update)"), ("sp", "SP (standard)")):
        spread = iv.coord_spread(iv.coord_check(**plan.check_kwargs(settings, preset)))
        last = spread[(spread.statistic == "mean_abs") & (spread.step == settings["steps"])]
        assert list(shown.layer) == list(last.layer)
        np.testing.assert_allclose(shown[f"{name} spread"], last.spread, rtol=RTOL)
        np.testing.assert_allclose(shown[f"{name} exponent"], last.exponent, rtol=RTOL, atol=RTOL)
    assert "Tensor Programs V, Table 3" in text_of(small)


def test_a_link_round_trips_and_sets_every_control():
    query = {"parametrisation": "ntk", "optimizer": "adam", "adam_lr": "0.002", "steps": "1", "max_width": "256",
             "n_seeds": "1", "activation": "relu", "statistic": "rms", "seed": "7"}
    settings, notices = links.parse("width", query)
    assert notices == [] and links.parse("width", links.canonical("width", settings)) == (settings, [])
    at = open_page("width", query)
    assert dict(at.query_params.items()) == query
    assert at.selectbox(key="activation").value == "relu" and at.number_input(key="seed").value == 7
    ntk = chart(at, "coord_ntk")
    assert {t["name"] for t in ntk["data"]} == {"input", "hidden 1", "output"}
    assert "rms x" in ntk["layout"]["yaxis"]["title"]["text"]
    assert "NTK" in text_of(at) and "**Adam** η = 0.002" in text_of(at)


@pytest.mark.parametrize("mistake, words", [("sp_lr", "SP learning rates"), ("coupled_wd", "coupled weight decay")])
def test_a_deliberate_mistake_is_named_and_applied_to_the_mup_check_only(mistake, words):
    query = {**SMALL, "mistake": mistake, "optimizer": "adam"}
    at = open_page("width", query)
    assert any(words in w.value for w in at.warning)
    settings = _settings(query)
    mup = plan.check_kwargs(settings, "mup")
    sp = plan.check_kwargs(settings, "sp")
    assert (mup["learning_rates"], mup["weight_decay"] > 0) == ((("sp", False)) if mistake == "sp_lr"
                                                                 else (None, True))
    assert sp["learning_rates"] is None and sp["weight_decay"] == 0.0


def test_coupled_weight_decay_with_sgd_is_refused_with_a_notice():
    at = open_page("width", {**SMALL, "mistake": "coupled_wd"})
    assert "coupled weight decay is a mistake of Adam" in text_of(at)
    assert "mistake" not in at.query_params


# --- the Experiments presets of this page show what their text says --------------------------------
# Theory (Tensor Programs V §5; initviz.coordcheck's docstring): under μP every exponent is 0; under SP the
# output's change grows like width^½…1; a non-zero readout's init shrinks like width^−½; μP init with SP
# rates divides the output's update by m (width^−1). Measured spreads of correct μP layers are 1.01–1.13
# at these seeds (3 seeds: mean |x| moves by a few per cent), so the bounds below leave 2–3× that margin.

def _preset_page(key):
    from initviz.ui.experiments import PRESETS

    preset = {p.key: p for p in PRESETS}[key]
    assert preset.page == "width"
    return open_page("width", preset.query())


def _row(at, layer):
    table = at.dataframe[0].value
    return table[table.layer == layer].iloc[0]


MUP, SP = "μP (maximal update)", "SP (standard)"


def test_the_change_preset_is_flat_under_mup_and_not_under_sp():
    at = _preset_page("coord_check_change")
    for layer in ("input", "hidden 1", "output"):
        assert _row(at, layer)[f"{MUP} spread"] < 1.25
    assert _row(at, "output")[f"{SP} exponent"] > 0.25 and _row(at, "input")[f"{SP} exponent"] < -0.25


def test_the_adam_preset_blows_sps_output_up():
    at = _preset_page("coord_check_adam")
    assert _row(at, "output")[f"{SP} exponent"] > 0.5 and _row(at, "output")[f"{MUP} spread"] < 1.25


def test_the_readout_preset_falls_as_one_over_root_width_at_init():
    at = _preset_page("coord_check_readout")
    output = [t for t in chart(at, "coord_mup")["data"] if t["name"] == "output" and t["xaxis"] == "x"][0]
    slope = np.polyfit(np.log(np.asarray(output["x"], float)), np.log(np.asarray(output["y"], float)), 1)[0]
    assert slope == pytest.approx(-0.5, abs=0.1)  # 1/√fan_in up to seed noise (a few per cent per width)


def test_the_sp_rates_preset_shrinks_the_outputs_update_like_one_over_width():
    at = _preset_page("coord_check_sp_rates")
    assert _row(at, "output")[f"{MUP} exponent"] < -0.75 and _row(at, "hidden 1")[f"{MUP} spread"] < 1.25


def test_the_coupled_weight_decay_preset_passes_the_check():
    at = _preset_page("coord_check_coupled_wd")
    assert any("coupled weight decay" in w.value for w in at.warning)
    for layer in ("input", "hidden 1", "output"):
        assert _row(at, layer)[f"{MUP} spread"] < 1.25


# --- the learning-rate transfer view ------------------------------------------------------------------

TRANSFER = {"view": "transfer", "max_width": "256", "sweep_steps": "5", "sweep_from": "-3", "sweep_to": "0"}
"""A small sweep: widths 128 and 256, 4 rates, 5 steps, one seed (~1 s)."""


def test_the_transfer_view_draws_the_cores_sweeps_and_names_each_widths_best_rate():
    at = open_page("width", TRANSFER)
    assert {c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")} == {"lr_transfer"}  # no check computed
    settings = _settings(TRANSFER)
    frame = __import__("pandas").concat([iv.lr_sweep(**plan.sweep_kwargs(settings, p)) for p in ("mup", "sp")],
                                        ignore_index=True)
    table = fw.transfer_table(frame)
    fig = chart(at, "lr_transfer")
    assert all_finite(fig)
    assert_exportable(fig, "width", TRANSFER)
    lines = {(t["xaxis"], t["name"]): t for t in fig["data"]}
    for axis, preset in (("x", "mup"), ("x2", "sp")):
        for width in (128, 256):
            part = table[(table.preset == preset) & (table.width == width)]
            line = lines[(axis, f"width {fw.width_label(width)}")]
            np.testing.assert_array_equal(line["x"], part.log2_lr)
            np.testing.assert_allclose(line["y"], part["mean"], rtol=RTOL)
            best = part[part.best].log2_lr.iloc[0]
            assert list(lines[(axis, f"best, width {fw.width_label(width)}")]["x"]) == [best]
    names = {p: width_page.SHORT_NAMES[p] for p in ("mup", "sp")}
    assert f"Best log₂ η per width — {fw.optimum_text(frame, names)}" in text_of(at)


def test_a_transfer_link_round_trips_and_sets_its_controls():
    query = {"view": "transfer", "parametrisation": "sp", "optimizer": "adam", "adam_sweep_from": "-9",
             "adam_sweep_to": "-7", "sweep_steps": "5", "max_width": "256", "activation": "relu", "seed": "3"}
    settings, notices = links.parse("width", query)
    assert notices == [] and links.parse("width", links.canonical("width", settings)) == (settings, [])
    at = open_page("width", query)
    assert dict(at.query_params.items()) == query
    assert at.number_input(key="adam_sweep_from").value == -9 and at.slider(key="sweep_steps").value == 5
    fig = chart(at, "lr_transfer")
    assert [a["text"] for a in fig["layout"]["annotations"]][0] == width_page.SHORT_NAMES["sp"]
    assert {t["xaxis"] for t in fig["data"]} == {"x"} and {list(t["x"])[0] for t in fig["data"]} >= {-9.0}


def test_a_transfer_view_over_the_budget_with_one_seed_trains_nothing_and_offers_choices_that_fit():
    asked = {"view": "transfer", "max_width": "2048", "sweep_steps": "200", "sweep_from": "-14", "sweep_to": "4"}
    at = open_page("width", asked)
    assert not at.get("plotly_chart") and {k: at.query_params[k] for k in asked} == asked
    assert "nothing is trained" in text_of(at)
    fitted = plan.fit_view(_settings(asked))
    assert not fitted.fits and fitted.choices
    for label, choice in fitted.choices:
        changed = {k for k in choice if choice[k] != fitted.asked[k]} - {"sweep_seeds"}
        assert len(changed) == 1 and plan.fit_view(choice).fits and choice["sweep_seeds"] == 1, (label, changed)


RESIDUAL = {"arch": "post", "norm": "rmsnorm", "branch_depth": "2", "preset": "depth_mup", **SMALL}
"""A residual family's link: post-norm blocks of a two-layer branch, RMSNorm, depth-μP's branch multiplier."""


def test_a_residual_link_draws_the_cores_residual_check_with_block_labels():
    settings, notices = links.parse("width", RESIDUAL)
    assert notices == [] and links.parse("width", links.canonical("width", settings)) == (settings, [])
    at = open_page("width", RESIDUAL)
    assert dict(at.query_params.items()) == RESIDUAL
    assert at.selectbox(key="preset").value == "depth_mup"
    frame = iv.coord_check(**plan.check_kwargs(settings, "mup"))
    assert frame.attrs["arch"] == "post"
    fig = chart(at, "coord_mup")
    assert all_finite(fig)
    assert {t["name"] for t in fig["data"]} == set(frame.layer) == {
        "input", "block 1 W_1", "block 1 W_2", "block 2 W_1", "block 2 W_2", "output"}
    table = fw.coord_table(frame, settings["statistic"])
    x, y = _lines(fig)[("x2", "block 2 W_1")]
    part = table[(table.step == 1) & (table.layer == "block 2 W_1")]
    np.testing.assert_allclose(y, part["mean"].to_numpy(), rtol=RTOL)
    assert "post-norm blocks" in text_of(at)


def test_a_link_without_arch_is_the_mlp_and_has_no_residual_controls():
    settings = _settings(SMALL)
    assert settings["arch"] == "mlp" and "arch" not in links.canonical("width", settings)
    assert plan.check_kwargs(settings, "mup")["arch"] == "mlp" and plan.check_kwargs(settings, "mup")["depth"] == 3
    at = open_page("width", {**SMALL, "norm": "rmsnorm"})  # a residual parameter of an MLP link is not used
    assert not [k for k in ("norm", "preset", "branch_depth") if k in {w.key for w in at.selectbox}]


def test_the_default_residual_view_computes_every_seed():
    settings = _settings({"arch": "pre"})
    fitted = plan.fit_view(settings)
    assert settings["branch_depth"] == 1 and fitted.fits and not fitted.cut


def test_a_residual_check_over_the_budget_with_one_seed_offers_choices_that_fit():
    asked = {"arch": "pre", "branch_depth": "2", "max_width": "2048", "steps": "5"}
    at = open_page("width", asked)
    assert not at.get("plotly_chart") and "nothing is trained" in text_of(at)
    fitted = plan.fit_view(_settings(asked))
    assert not fitted.fits and fitted.choices
    for label, choice in fitted.choices:
        changed = {k for k in choice if choice[k] != fitted.asked[k]} - {"n_seeds"}
        assert len(changed) == 1 and plan.fit_view(choice).fits and choice["n_seeds"] == 1, (label, changed)
