"""The Initializers page (AppTest) and its code snippets: table, sampled weight vs exact law, code."""

import math

import numpy as np
import pytest
from scipy import stats

import initviz as iv
from initviz.ui import links, snippets
from test_app_support import all_finite, chart, open_page, text_of, trace

TRUNC_STD_RATIO = 0.87962566103423978  # std of N(0, 1) truncated to [−2, 2] (Keras/JAX constant)


@pytest.fixture(scope="module")
def default():
    return open_page("initializers", {})


def _bins_of(bars):
    """Bin edges of a bar trace (centres ± half widths)."""
    left = bars["x"] - bars["width"] / 2
    return np.append(left, bars["x"][-1] + bars["width"][-1] / 2)


def test_default_histogram_is_the_public_sample_with_the_exact_normal_density(default):
    fig = chart(default, "weight_hist")
    assert all_finite(fig) and fig["config"]["toImageButtonOptions"]["filename"].startswith(
        "initializers-kaiming_normal-dense-256x512-seed0")
    bars, line = trace(fig, "sampled"), trace(fig, "exact")
    w = iv.sample("kaiming_normal", (256, 512), seed=0)
    edges = _bins_of(bars)
    counts, _ = np.histogram(w, bins=edges)
    np.testing.assert_allclose(bars["y"], counts / (w.size * np.diff(edges)), rtol=1e-9)
    # torch kaiming_normal_ defaults (a=0, leaky_relu, fan_in): std = √(2/(1+0²))/√512
    std = math.sqrt(2.0) / math.sqrt(512)
    np.testing.assert_allclose(line["y"], np.exp(-line["x"] ** 2 / (2 * std ** 2)) / (std * math.sqrt(2 * math.pi)),
                               rtol=1e-9)
    assert edges[0] == pytest.approx(-5 * std) and edges[-1] == pytest.approx(5 * std)


def test_scheme_table_values_follow_each_librarys_formula(default):
    table = default.dataframe[0].value.set_index("Scheme")
    fan_in, fan_out = 512, 256
    expected = {  # std (realised) and bound, from the libraries' documented formulas
        "Xavier uniform (Glorot)": (math.sqrt(2 / (fan_in + fan_out)), math.sqrt(6 / (fan_in + fan_out))),
        "Kaiming normal (He)": (math.sqrt(2 / fan_in), None),
        "PyTorch default (nn.Linear / nn.Conv)": (math.sqrt(1 / (3 * fan_in)), 1 / math.sqrt(fan_in)),
        "Keras He normal (truncated)": (math.sqrt(2 / fan_in), 2 * math.sqrt(2 / fan_in) / TRUNC_STD_RATIO),
        "Flax Dense default: LeCun normal (truncated)": (math.sqrt(1 / fan_in), 2 * math.sqrt(1 / fan_in) / TRUNC_STD_RATIO),
    }
    for label, (std, bound) in expected.items():
        row = table.loc[label]
        assert row["Std (realised)"] == f"{std:.4g}", label
        assert row["Bound ±"] == (f"{bound:.4g}" if bound else "—"), label
    assert table.loc["PyTorch default (nn.Linear / nn.Conv)", "Var × fan_in"] == f"{1 / 3:.4g}"
    assert table.loc["Keras He normal (truncated)", "Kurtosis"].startswith("2.36")
    assert "2 dimensions" in table.loc["Dirac (identity convolution)", "Note"] or \
        "dimensions" in table.loc["Dirac (identity convolution)", "Note"]


def test_default_code_in_three_libraries(default):
    # the layer's code in three libraries (the residual blocks' code below it is tests/test_snippets_residual.py's)
    torch_code, keras_code, jax_code = (c.value for c in default.code if "import" in c.value and "class Block" not in c.value)
    assert 'nn.init.kaiming_normal_(layer.weight, a=0.0, mode="fan_in", nonlinearity="leaky_relu")' in torch_code
    assert 'VarianceScaling(scale=2.0, mode="fan_in", distribution="untruncated_normal")' in keras_code
    assert 'jax.nn.initializers.variance_scaling(2.0, "fan_in", "normal")' in jax_code
    for code in (torch_code, keras_code, jax_code):
        compile(code, "<snippet>", "exec")


def test_conv_link_with_scheme_parameters():
    at = open_page("initializers", {"layer": "conv2d", "n_in": "16", "n_out": "32", "kernel": "5", "scheme": "orthogonal",
                "orthogonal_gain": "2", "seed": "3"})
    assert dict(at.query_params) == {"layer": "conv2d", "n_in": "16", "n_out": "32", "kernel": "5",
                                     "scheme": "orthogonal", "orthogonal_gain": "2.0", "seed": "3"}
    assert at.number_input(key="orthogonal_gain").value == 2.0
    fig = chart(at, "weight_hist")
    bars = trace(fig, "sampled")
    w = iv.sample("orthogonal", (32, 16, 5, 5), seed=3, gain=2.0)
    edges = _bins_of(bars)
    counts, _ = np.histogram(w, bins=edges)
    np.testing.assert_allclose(bars["y"], counts / (w.size * np.diff(edges)), rtol=1e-9)
    # rows (32) < numel/rows (400): every row is a Haar unit vector of R^400 times 2, so |w| ≤ 2
    assert edges[0] < -1.99 and edges[-1] > 1.99 and np.abs(w).max() <= 2.0 + 1e-12
    assert "fan_in = **400** · fan_out = **800**" in text_of(at)
    codes = "\n".join(c.value for c in at.code)
    assert "nn.Conv2d(16, 32, kernel_size=5)" in codes and "nn.init.orthogonal_(layer.weight, gain=2.0)" in codes
    assert "keras.initializers.Orthogonal(gain=2.0)" in codes and "orthogonal(scale=2.0)" in codes


def test_point_masses_are_drawn_as_atoms():
    at = open_page("initializers", {"scheme": "rademacher", "rademacher_std": "0.5"})
    fig = chart(at, "weight_hist")
    atoms = sorted(a["text"] for a in fig["layout"]["annotations"] if a["text"].startswith("atom"))
    assert atoms == ["atom: mass 0.5 at -0.5", "atom: mass 0.5 at 0.5"]


def test_delta_orthogonal_page_draws_the_centre_taps_law_and_its_atom_at_zero():
    at = open_page("initializers", {"layer": "conv2d", "n_in": "16", "n_out": "32", "kernel": "3",
                                    "scheme": "delta_orthogonal", "delta_orthogonal_scale": "2"})
    fig = chart(at, "weight_hist")
    atoms = [a["text"] for a in fig["layout"]["annotations"] if a["text"].startswith("atom")]
    assert atoms == [f"atom: mass {8 / 9:.3g} at 0"]  # the 8 off-centre taps of 9
    # the density line is 1/9 × the orthogonal (32, 16) law of the centre tap: coordinates of Haar unit
    # vectors of R^32 times 2, (w/2 + 1)/2 ~ Beta(31/2, 31/2)
    line = trace(fig, "exact")
    x = line["x"][np.abs(line["x"]) < 2]
    expected = stats.beta(15.5, 15.5).pdf((x / 2 + 1) / 2) / 4 / 9
    np.testing.assert_allclose(line["y"][np.abs(line["x"]) < 2], expected, rtol=1e-9, atol=1e-300)
    assert "delta_orthogonal(scale=2.0)" in "\n".join(c.value for c in at.code)


def test_delta_orthogonal_with_more_inputs_than_outputs_is_explained():
    # JAX refuses in > out channels; the page keeps the shape asked and says why there is no sample
    at = open_page("initializers", {"layer": "conv2d", "n_in": "64", "n_out": "32", "scheme": "delta_orthogonal"},
                   errors=True)
    assert any("could not be computed" in e.value for e in at.error)
    assert any("in_channels <= out_channels" in t.value for t in at.text)


def test_a_scheme_that_does_not_fit_the_shape_is_explained_and_the_page_goes_on():
    at = open_page("initializers", {"layer": "conv1d", "scheme": "eye"}, errors=True)
    assert any("could not be computed" in e.value for e in at.error)
    assert any("eye" in t.value and "2 dimensions" in t.value for t in at.text)
    assert len(at.code) >= 3  # the code section still renders


@pytest.mark.parametrize("query, shape", [
    ({"layer": "conv2d", "n_in": "512", "n_out": "512"}, (512, 512, 3, 3)),  # issue 12 item 3's example
    ({"layer": "conv3d", "n_in": "4096", "n_out": "4096", "kernel": "9"}, (4096, 4096, 9, 9, 9)),
])
def test_a_large_layer_keeps_its_shape_and_only_the_histogram_samples_part_of_it(query, shape):
    """The table, the fans, the laws and the code describe the shape asked; only the histogram's
    sample is a part of the weight (:meth:`Law.entries`), and its title says how much."""
    at = open_page("initializers", {**query, "scheme": "xavier_normal"})
    assert (at.number_input(key="n_in").value, at.number_input(key="n_out").value) == shape[1::-1]
    fan_in, fan_out = iv.compute_fans(shape)
    assert f"fan_in = **{fan_in}** · fan_out = **{fan_out}**" in text_of(at)
    assert not [n for n in text_of(at).splitlines() if n.startswith("n_in:") or n.startswith("n_out:")]
    layer = {4: "Conv2d", 5: "Conv3d"}[len(shape)]
    assert f"nn.{layer}({shape[1]}, {shape[0]}, kernel_size={shape[2]})" in at.code[0].value
    fig = chart(at, "weight_hist")
    total = math.prod(shape)
    assert f"{links.MAX_SAMPLED_WEIGHTS:,} of its {total:,} weights sampled" in fig["layout"]["title"]["text"]
    law = iv.law("xavier_normal", shape)
    assert any(f"Exact law: std {law.std:.4g}" in c.value for c in at.caption)


# --- snippets (pure) -------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", sorted(iv.SCHEMES))
@pytest.mark.parametrize("layer", ["dense", "conv2d"])
def test_every_snippet_compiles(scheme, layer):
    params = links.scheme_settings(links.SCHEMAS["initializers"].defaults(), scheme)
    for make in (snippets.torch_code, snippets.keras_code, snippets.jax_code):
        try:
            code = make(scheme, params, layer, 64, 32, 3)
        except iv.InitvizError:
            continue  # the scheme does not fit this shape (eye, dirac, sparse): the page says so
        compile(code, "<snippet>", "exec")


def test_delta_orthogonal_snippets_build_jaxs_kernel_in_each_library():
    # in ≤ out channels (JAX refuses the rest); torch has no built-in: the snippet zeroes the kernel
    # and writes an orthogonal_ tap at JAX's centre (k−1)//2; JAX names its own initializer
    torch_code = snippets.torch_code("delta_orthogonal", {"scale": 1.5}, "conv2d", 16, 32, 4)
    compile(torch_code, "<snippet>", "exec")
    assert "nn.init.orthogonal_(tap, gain=1.5)" in torch_code and "(s - 1) // 2" in torch_code
    jax_code = snippets.jax_code("delta_orthogonal", {"scale": 1.5}, "conv2d", 16, 32, 4)
    compile(jax_code, "<snippet>", "exec")
    assert "jax.nn.initializers.delta_orthogonal(scale=1.5)" in jax_code
    compile(snippets.keras_code("delta_orthogonal", {"scale": 1.5}, "conv2d", 16, 32, 4), "<snippet>", "exec")


VARIANCE_SCALINGS = [s for s in iv.SCHEMES if s in snippets.PRESET_BASES or s in (
    "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "torch_default", "variance_scaling")]


@pytest.mark.parametrize("scheme", VARIANCE_SCALINGS)
def test_variance_spec_agrees_with_the_core_law(scheme):
    """The (scale, mode) a snippet passes to Keras/JAX gives the core's variance: var = scale / fan_mode."""
    params = links.scheme_settings(links.SCHEMAS["initializers"].defaults(), scheme)
    shape = (48, 80, 3)  # fan_in 240, fan_out 144
    fan_in, fan_out = 240, 144
    scale, mode, _ = snippets.variance_spec(scheme, params)
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2,
           "fan_geo_avg": math.sqrt(fan_in * fan_out)}[mode]
    assert iv.law(scheme, shape, **params).var == pytest.approx(scale / fan, rel=1e-12)
