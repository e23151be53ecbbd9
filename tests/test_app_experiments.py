"""The Experiments page: presets are valid, budget-respecting links whose page shows the phenomenon
each one describes (checked on the app's charts and on propagate's numbers recomputed here), and the
deep linear Jacobian charts against initviz.jacobian."""

from urllib.parse import parse_qsl

import numpy as np
import pytest

from initviz import Network, propagate
from initviz.jacobian import jacobian_spectrum
from initviz.ui import experiments as page
from initviz.ui import links, nav
from test_app_support import all_finite, chart, open_page as _open, text_of, trace

PRESETS = {p.key: p for p in page.PRESETS}


def y_of(fig, name):
    return np.asarray(trace(fig, name)["y"], dtype=float)


@pytest.fixture(scope="module")
def experiments():
    return _open("experiments", {})


@pytest.mark.parametrize("preset", page.PRESETS, ids=lambda p: p.key)
def test_every_preset_is_a_valid_view_of_its_page_that_needs_no_notice(preset):
    assert preset.title and preset.text and preset.page in [e.path for e in nav.PAGES]
    settings = links.validate(preset.page, preset.full_settings())
    assert set(preset.settings) <= set(settings)
    constrained, notices = links.constrain(preset.page, settings)
    assert constrained == settings and notices == []  # within the compute budget as given
    parsed, notices = links.parse(preset.page, preset.query())
    assert parsed == settings and notices == []  # the link reproduces the settings exactly


def test_presets_are_data_with_unique_keys():
    assert len(PRESETS) == len(page.PRESETS) >= 7
    assert all(isinstance(p, page.Preset) for p in page.PRESETS)
    with pytest.raises(TypeError):
        page.PRESETS[0].settings["depth"] = 3  # read-only mapping


def test_the_page_links_every_preset_to_its_page_with_its_query(experiments):
    found = experiments.get("page_link")
    assert len(found) == len(page.PRESETS)
    for link, preset in zip(found, page.PRESETS):
        assert link.proto.page == preset.page
        assert dict(parse_qsl(link.proto.query_string, strict_parsing=True)) == preset.query()
    text = text_of(experiments)
    titles = [s.value for s in experiments.subheader]
    for preset in page.PRESETS:
        assert preset.title in titles and preset.text in text


def _run(key: str, index: int = 0):
    """The preset's run ``index`` (0: the configured scheme, then the comparisons) recomputed with the core."""
    from initviz.ui import propagation as prop

    settings = PRESETS[key].full_settings()
    scheme = links.compared_schemes(settings)[index]
    net = prop.network(settings, scheme, configured=index == 0)
    return propagate(net, batch=settings["batch"], seed=settings["seed"], dtype=settings["dtype"],
                     n_seeds=settings["n_seeds"])


def _open_preset(key: str, view: str | None = None):
    """The preset's link opened, in ``view`` of the Propagation page when given (else the preset's own)."""
    return _open("propagation", {**PRESETS[key].query(), **({"view": view} if view else {})})


def test_explosion_overflows_at_layer_28_and_one_over_root_n_holds():
    res = _run("explosion")
    # ‖a‖ grows by √512 ≈ 22.6 per layer from max|x| ≈ 4.5; float32 overflows at 3.4e38 ≈ 4.5·22.6^27.5
    assert res.first_nonfinite_layer in (28, 29)
    at = _open_preset("explosion")
    fig = chart(at, "act_var")
    assert all_finite(fig)
    assert max(trace(fig, "normal")["x"]) == res.first_nonfinite_layer - 1
    assert [s["x0"] for s in fig["layout"]["shapes"]] == [res.first_nonfinite_layer]
    xavier = y_of(fig, "xavier_normal")
    assert len(xavier) == 100 and np.all((xavier > 0.5) & (xavier < 2))  # variance 1/n: the scale holds


def test_vanishing_signal_falls_below_float32_near_layer_60():
    res = _run("vanishing")
    # max|a| ≈ 4.5·(√(512·1e-4))^l falls below float32's tiny 1.2e-38 at l ≈ ln(4.5/1.2e-38)/ln(4.42) ≈ 60
    assert 55 <= res.first_vanished_layer <= 65
    at = _open_preset("vanishing")
    fig = chart(at, "norm_ratio")
    assert max(trace(fig, "normal(std=0.01)")["x"]) == res.first_vanished_layer
    assert any(f"at layer {res.first_vanished_layer}" in a["text"] for a in fig["layout"]["annotations"])


def test_glorot_bengio_standard_init_shrinks_activations_and_skews_gradients():
    at = _open_preset("glorot_bengio")
    assert at.get("segmented_control")[0].value == "histograms"  # the preset opens on its histograms
    act = chart(_open_preset("glorot_bengio", "forward"), "act_var")
    grad = chart(_open_preset("glorot_bengio", "backward"), "grad_var")
    standard, normalised = y_of(act, "torch_default"), y_of(act, "xavier_uniform")
    assert np.all(np.diff(standard) < 0) and standard[-1] < standard[0] / 30  # ~×1/3 per layer
    assert normalised[-1] > standard[-1] * 10
    g_std, g_norm = y_of(grad, "torch_default"), y_of(grad, "xavier_uniform")
    # back-propagated gradients shrink towards the input ~×(1/3)E[φ'²] per layer with U[±1/√n]
    assert g_std[-1] / g_std[0] > 10 * (g_norm[-1] / g_norm[0])
    heat = chart(at, "hist_heatmap")
    assert [t["name"] for t in heat["data"] if t["type"] == "heatmap"] == ["xavier_uniform", "torch_default"]
    np.testing.assert_array_equal(standard, _run("glorot_bengio", 1).stats["act_var"][0])


def test_he_keeps_relu_variance_and_xavier_halves_it_per_layer():
    at = _open_preset("he_vs_xavier")
    fig = chart(at, "act_var")
    he, xavier = y_of(fig, "kaiming_normal(nonlinearity=relu)"), y_of(fig, "xavier_normal")
    assert 0.2 < he[-1] / he[0] < 5
    # halving for 29 layers: 2^-29 ≈ 1.9e-9, up to finite-width noise
    assert 1e-10 < xavier[-1] / xavier[0] < 1e-7
    assert fig["layout"]["yaxis"]["type"] == "log"
    assert chart(at, "dead")["data"]  # ReLU: the dead-unit chart


def test_pytorch_default_shrinks_the_signal_until_the_bias_floor():
    at = _open_preset("torch_default")
    fig = chart(at, "preact_var")
    default, kaiming = y_of(fig, "torch_default"), y_of(fig, "kaiming_uniform")
    # weight variance 1/(3n) on ReLU: q shrinks ×1/6 per layer, until the bias variance 1/(3n) dominates
    assert default[1] / default[0] == pytest.approx(1 / 6, rel=0.25)
    assert default[-1] < default[0] / 100
    assert default[-1] == pytest.approx(1 / (3 * 512) / (1 - 1 / 6), rel=0.25)  # q* = σ_b²/(1 − σ_w²/2)
    assert 0.5 < kaiming[-1] / kaiming[0] < 2


def test_constant_init_keeps_units_identical_and_zeros_vanish():
    at = _open_preset("symmetry")
    spread = chart(at, "unit_spread")
    assert list(y_of(spread, "constant(val=0.01)")) == [0.0] * 10
    assert min(y_of(spread, "xavier_normal")) > 0.5
    grads = y_of(chart(_open_preset("symmetry", "backward"), "grad_spread"), "constant(val=0.01)")
    assert list(grads[:-1]) == [0.0] * 9
    zeros = _run("symmetry", 1)
    assert zeros.first_vanished_layer == 1
    assert "zeros — all |a| < 1.18e-38 at layer 1." in text_of(at)


def test_orthogonal_preserves_every_norm_and_gaussian_spreads_them():
    at = _open_preset("orthogonal")
    fig = chart(at, "norm_ratio")
    orth = trace(fig, "orthogonal")
    # float32 rounding of 50 products: relative error ≲ 50·√256·6e-8 ≈ 5e-5
    assert np.all(np.abs(np.asarray(orth["y"]) - 1) < 1e-4)
    assert np.all(np.asarray(orth["error_y"]["array"]) < 1e-4)
    gauss = trace(fig, "xavier_normal")
    band = np.asarray(gauss["error_y"]["array"]) + np.asarray(gauss["error_y"]["arrayminus"])
    assert band[-1] > 0.3 and band[-1] > 3 * band[0]


def test_jacobian_charts_are_the_cores_spectra(experiments):
    sigma, spread = chart(experiments, "jacobian_sigma"), chart(experiments, "jacobian_spread")
    assert all_finite(sigma) and all_finite(spread)
    n, depth, seeds = 64, 50, page.JACOBIAN_SEEDS
    gauss = jacobian_spectrum(Network.mlp(n, [n] * depth, "linear", "xavier_normal"), seed=0, n_seeds=seeds)
    np.testing.assert_allclose(y_of(sigma, "Gaussian N(0, 1/n)"), gauss.quantiles[:, :, 2].mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(trace(sigma, "Gaussian N(0, 1/n)")["x"], gauss.depths)
    np.testing.assert_allclose(y_of(sigma, "orthogonal"), 0.0, atol=1e-10)
    theory = y_of(spread, "Gaussian N(0, 1/n) (exact (Gaussian; orthogonal 0))")
    np.testing.assert_allclose(theory, gauss.theory_var_sq, rtol=1e-12)
    # the spectral variance of σ² grows roughly like the depth (→ L as n → ∞)
    measured = y_of(spread, "Gaussian N(0, 1/n)")
    assert measured[-1] > 10 * measured[0]


def test_experiments_link_changes_the_jacobian_and_bad_values_are_noticed():
    at = _open("experiments", {"jac_width": "32", "jac_depth": "20", "seed": "3"})
    fig = chart(at, "jacobian_sigma")
    assert max(trace(fig, "orthogonal")["x"]) == 20
    assert fig["config"]["toImageButtonOptions"]["filename"] == "experiments-jacobian-n32-L20-seed3-sigma"
    at = _open("experiments", {"jac_width": "63", "jac_depth": "x"})
    text = text_of(at)
    assert "jac_width: 63 is not one of the allowed values" in text and "jac_depth: 'x' is not an integer" in text
    assert at.select_slider(key="jac_width").value == 64
