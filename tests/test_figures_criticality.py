"""Figure builders of the Criticality page: valid plotly specs with finite numbers only, whatever the
core reports (masked points, a single critical point, an empty critical line, NaN measurements)."""

import math

import numpy as np
import pandas as pd
import pytest

import initviz as iv
from initviz.figures import criticality as fc
from initviz.figures import theme
from test_app_support import all_finite, decode

W2 = np.linspace(1, 5, 5) ** 2
B2 = np.linspace(0, 4, 4) ** 2


def _line(activation):
    return pd.DataFrame({"sigma_b2": B2, "sigma_w2": iv.critical_line(activation, B2)})


def _spec(fig):
    spec = decode(fig.to_dict())
    theme.validate(fig.to_dict())
    return spec


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear", "selu"])
@pytest.mark.parametrize("column", list(fc.MAPS))
def test_every_map_is_valid_and_finite(activation, column):
    table = iv.phase_diagram(activation, W2, B2)
    spec = _spec(fc.fig_phase_map(table, _line(activation), (2.0, 0.3), column, title="t"))
    assert all_finite(spec)
    heat = spec["data"][0]
    assert len(heat["z"]) == len(B2) and len(heat["z"][0]) == len(W2)  # rows σ_b, columns σ_w
    np.testing.assert_allclose(heat["x"], np.sqrt(W2))
    np.testing.assert_allclose(heat["y"], np.sqrt(B2))
    masked = ~np.isfinite(table.pivot(index="sigma_b2", columns="sigma_w2", values="q_star").to_numpy())
    names = [t.get("name") for t in spec["data"]]
    assert ("no stable finite q* (q* = ∞)" in names) == masked.any()


def test_log_colour_scales_label_the_values_not_their_logs():
    table = iv.phase_diagram("tanh", W2, B2)
    spec = _spec(fc.fig_phase_map(table, _line("tanh"), (2.0, 0.3), "xi_c"))
    bar = spec["data"][0]["colorbar"]
    assert [float(t) for t in bar["ticktext"]] == pytest.approx([10 ** v for v in bar["tickvals"]])
    chi = _spec(fc.fig_phase_map(table, _line("tanh"), (2.0, 0.3), "chi1"))["data"][0]
    assert [float(t) for t in chi["colorbar"]["ticktext"]] == pytest.approx(np.exp(chi["colorbar"]["tickvals"]))
    assert chi["zmid"] == 0 and chi["zmin"] == -chi["zmax"]  # χ₁ = 1 is the white middle


def test_a_diagram_entirely_masked_or_without_a_critical_line_still_draws():
    table = iv.phase_diagram("relu", [9.0, 16.0], [1.0, 4.0])  # all σ_w² > 2: q* = ∞ everywhere
    line = pd.DataFrame({"sigma_b2": [1.0, 4.0], "sigma_w2": [math.nan, math.nan]})
    spec = _spec(fc.fig_phase_map(table, line, (3.0, 1.0), "chi1"))
    assert all_finite(spec)
    assert all(v is None for row in spec["data"][0]["z"] for v in row)
    assert not any("critical" in str(t.get("name")) for t in spec["data"])


def test_layer_charts_drop_what_cannot_be_drawn():
    measured = iv.measure_maps("tanh", 0.0, 0.0, 3, 8, n_seeds=2)  # σ_w = σ_b = 0: q = 0, c undefined
    theory = iv.map_iterates("tanh", 0.0, 0.0, 3)
    for column in ("c", "q"):
        spec = _spec(fc.fig_layers(measured, theory, column, width=8, n_seeds=2))
        assert all_finite(spec)
    table, line = fc.layer_tables(iv.measure_maps("relu", 2.0, 0.0, 4, 50, n_seeds=3),
                                  iv.map_iterates("relu", 2.0, 0.0, 4), "q")
    assert (table["lo"] <= table["q"]).all() and (table["q"] <= table["hi"]).all()
    assert list(line["layer"]) == list(range(5))


def test_the_variance_map_has_one_group_per_sigma_and_the_identity():
    q0 = np.linspace(1, 15, 5)
    measured = {f"σ_w = {s}": iv.measure_maps("tanh", s * s, 0.09, 1, 100, q0=q0, n_seeds=2) for s in (1.3, 4.0)}
    theory = {f"σ_w = {s}": iv.map_iterates("tanh", s * s, 0.09, 1, q0=q0) for s in (1.3, 4.0)}
    table, line = fc.qmap_tables(measured, theory)
    assert set(table["group"]) == set(measured) and len(table) == 10
    np.testing.assert_allclose(table["q_in"][:5], measured["σ_w = 1.3"].query("layer == 0").groupby("pair")["q"].mean())
    spec = _spec(fc.fig_qmap(measured, theory))
    assert all_finite(spec) and any(t.get("name") == "q^l = q^(l−1)" for t in spec["data"])


def _jacobian_stats(theory_var):
    depths = np.array([1, 2, 4])
    frames = [pd.DataFrame({"group": g, "depth": depths, "log10_max": [0.1, 0.2, 0.4], "log10_max_sd": 0.05,
                            "log10_var_sq": [-1.0, -0.5, 0.0], "theory_log10_var_sq": t})
              for g, t in (("Gaussian", [-1.0, -0.6, 0.1]), ("orthogonal", theory_var))]
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("theory_var,words", [([np.nan] * 3, "orthogonal: no closed form"),
                                               ([-np.inf] * 3, "orthogonal: theory 0 (every σ equal)"),
                                               ([-1.1, -0.7, 0.0], "orthogonal: free-probability line")])
def test_a_jacobian_depth_chart_draws_theory_only_where_it_is_finite_and_says_so(theory_var, words):
    stats = _jacobian_stats(theory_var)
    spec = _spec(fc.fig_jacobian_depth(stats, "log10_var_sq", y_title="y", theory="theory_log10_var_sq"))
    assert all_finite(spec)
    lines = [t["name"] for t in spec["data"] if t.get("mode") == "lines"]
    assert ("orthogonal (theory)" in lines) == bool(np.isfinite(theory_var).all())
    assert "Gaussian (theory)" in lines
    notes = " ".join(a["text"] for a in spec["layout"]["annotations"])
    assert words in notes and "Gaussian: free-probability line" in notes
    bare = _spec(fc.fig_jacobian_depth(stats, "log10_max", y_title="y", lo="log10_max", hi="log10_max"))
    assert not [t for t in bare["data"] if t.get("mode") == "lines"]
    assert "no closed form: measured only" in " ".join(a["text"] for a in bare["layout"]["annotations"])


def test_the_jacobian_histogram_counts_exact_zeros_and_never_draws_minus_infinity():
    values = pd.DataFrame({"group": ["Gaussian"] * 6 + ["orthogonal"] * 4,
                           "log10_sigma": [-np.inf, -np.inf, -3.0, -1.0, 0.0, 0.5, -0.2, -0.1, 0.0, 0.1]})
    spec = _spec(fc.fig_jacobian_hist(values, depth=7))
    assert all_finite(spec)
    bars = {t["name"]: t for t in spec["data"] if t["type"] == "bar"}
    assert set(bars) == {"Gaussian (33.3 % exact zeros, not drawn) (sampled)", "orthogonal (sampled)"}
    for t in bars.values():  # density over the non-zero values: each group's bars integrate to 1
        assert np.sum(np.asarray(t["y"], float) * np.asarray(t["width"], float)) == pytest.approx(1.0)
    left = [np.asarray(t["x"], float)[0] - np.asarray(t["width"], float)[0] / 2 for t in bars.values()]
    assert left == pytest.approx([-3.0, -3.0])  # one common range, from the smallest non-zero value
    notes = " ".join(a["text"] for a in spec["layout"]["annotations"])
    assert "Gaussian 2 of 6" in notes and "orthogonal" not in notes.split("not drawn:")[1]
    assert "depth 7" in spec["layout"]["xaxis"]["title"]["text"]
