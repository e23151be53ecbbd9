"""The Geometry page (AppTest): every chart, with default and non-default links, against the core."""

import math

import numpy as np
import pytest

import initviz.geometry as geo
from initviz import randmat
from initviz.ui import geometry as page
from initviz.ui import frame, links
from test_app_support import all_finite, assert_exportable, chart, export_caption, open_page, trace

STEP_CHARTS = {"vectors": ("angle_hist", "angle_spread"), "gram": ("gram_heatmap",),
               "sweep": ("sweep_msq", "sweep_opnorm"), "spectrum": ("mp_hist",), "rectangular": ("norm_hist",)}
"""The charts each step of the page draws (and only those)."""
CHARTS = tuple(key for keys in STEP_CHARTS.values() for key in keys)
STEP_OF = {key: step for step, keys in STEP_CHARTS.items() for key in keys}
DEG = 180 / math.pi
LINK = {"angle_n": "1000", "gram_n": "16", "gram_dist": "uniform", "sweep_dists": "normal,orthogonal",
        "sweep_max": "512", "mp_ratio": "2.0", "mp_m": "200", "mp_dist": "normal", "rect_m": "300",
        "rect_n": "100", "rule": "fan_avg", "rect_dist": "rademacher", "seed": "7"}


def _steps(query: dict) -> dict:
    """The link ``query`` opened at each step: {step: AppTest}."""
    return {step: open_page("geometry", query if step == "vectors" else {**query, "step": step})
            for step in links.GEOMETRY_STEPS}


@pytest.fixture(scope="module")
def default_steps():
    return _steps({})


@pytest.fixture(scope="module")
def default(default_steps):
    return default_steps["vectors"]


@pytest.fixture(scope="module")
def linked_steps():
    return _steps(LINK)


@pytest.fixture(scope="module")
def linked(linked_steps):
    """The LINK view of the step that draws a chart: ``linked[key]``."""
    return {key: linked_steps[STEP_OF[key]] for key in CHARTS}


@pytest.mark.parametrize("step", links.GEOMETRY_STEPS)
def test_each_step_draws_its_charts_finite_and_exportable_with_a_descriptive_name(default_steps, step):
    at = default_steps[step]
    assert set(page.STEPS) == set(links.GEOMETRY_STEPS) == set(STEP_CHARTS)
    for key in STEP_CHARTS[step]:
        fig = chart(at, key)
        assert fig["data"] and all_finite(fig), key
        assert_exportable(fig, "geometry", {} if step == "vectors" else {"step": step})
        assert fig["layout"]["xaxis"]["title"]["text"] and fig["layout"]["yaxis"]["title"]["text"]
    assert [c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")] == list(STEP_CHARTS[step])
    assert len(at.get("download_button")) == len(STEP_CHARTS[step]) + 1  # a CSV per chart, the view's report
    assert at.get("segmented_control")[0].value == step
    assert dict(at.query_params) == ({} if step == "vectors" else {"step": step})


def test_angle_histogram_is_the_cores_sample_with_the_exact_density(default):
    fig = chart(default, "angle_hist")
    bars, line = trace(fig, "sampled"), trace(fig, "exact")
    ang = geo.sample_angles(100, kinds=("normal",), pairs=page.ANGLE_PAIRS, seed=0)
    hist = ang.histogram("normal", bins=page.BINS)
    centres = 0.5 * (hist.edges[1:] + hist.edges[:-1]) * DEG
    # same draws, same bins; only the radian → degree conversion may round differently (1e-15)
    np.testing.assert_allclose(bars["x"], centres, rtol=1e-13)
    np.testing.assert_allclose(bars["y"], hist.counts / (hist.total * np.diff(hist.edges) * DEG), rtol=1e-13)
    # the line is p_n(θ) = Γ(n/2)/(√π Γ((n−1)/2)) sin^{n−2}θ per radian, written per degree
    th = line["x"] / DEG
    norm = math.exp(math.lgamma(50) - math.lgamma(49.5)) / math.sqrt(math.pi)
    np.testing.assert_allclose(line["y"], norm * np.sin(th) ** 98 / DEG, rtol=1e-9)


def test_spread_points_shrink_like_the_exact_std(default):
    fig = chart(default, "angle_spread")
    pts = trace(fig, "measured ± 2 SE")
    assert list(pts["x"]) == list(page.links.ANGLE_DIMS)
    exact = np.array([randmat.angle_moments(int(n)).theta_std * DEG for n in pts["x"]])
    # each point is a sample std of ≥ 20 pairs: within 5 of its standard errors (SE ≈ std/√(2(pairs−1)))
    z = (pts["y"] - exact) / (exact / np.sqrt(2 * 19))
    assert np.all(np.abs(z) < 5)


def test_gram_heatmap_is_the_cores_w_transpose_w_beside_the_identity(linked):
    fig = chart(linked["gram_heatmap"], "gram_heatmap")
    g, eye = (t["z"] for t in fig["data"] if t["type"] == "heatmap")
    np.testing.assert_array_equal(np.asarray(g, dtype=float), geo.gram_matrix(16, 16, "uniform", seed=7))
    np.testing.assert_array_equal(np.asarray(eye, dtype=float), np.eye(16))


def test_sweep_reflects_the_link_and_matches_the_core(linked):
    msq = chart(linked["sweep_msq"], "sweep_msq")
    normal = trace(msq, "normal")
    ref = geo.gram_sweep(dims=(8, 16, 32, 64, 128, 256, 512), ensembles=("normal",), repeats=page.SWEEP_REPEATS,
                         seed=7).to_frame()
    np.testing.assert_array_equal(normal["x"], ref["n"])
    np.testing.assert_array_equal(normal["y"], ref["msq_mean"])
    # the theory line is (n + κ − 2)/(m n) with m = n, κ = 3 for the normal law
    theory = trace(msq, "normal (theory)")
    n = theory["x"].astype(float)
    np.testing.assert_allclose(theory["y"], (n + 1.0) / n ** 2, rtol=1e-12)
    opnorm = chart(linked["sweep_opnorm"], "sweep_opnorm")
    orth = trace(opnorm, "orthogonal")
    assert max(orth["x"]) == 512 and np.all(np.abs(orth["y"]) < 1e-5)  # float32 rounding only
    assert {t["name"] for t in opnorm["data"]} == {"normal", "normal (theory)", "orthogonal", "orthogonal (theory)"}


def test_marchenko_pastur_with_its_atom_for_a_wide_matrix(linked):
    fig = chart(linked["mp_hist"], "mp_hist")
    atoms = [a["text"] for a in fig["layout"]["annotations"] if a["text"].startswith("atom")]
    assert atoms == ["atom: mass 0.5 at 0"]  # 1 − 1/λ with λ = 400/200
    line = trace(fig, "Marchenko–Pastur")
    lo, hi = (1 - math.sqrt(2)) ** 2, (1 + math.sqrt(2)) ** 2
    assert line["x"][0] == pytest.approx(lo) and line["x"][-1] == pytest.approx(hi)
    x = line["x"][1:-1]
    np.testing.assert_allclose(line["y"][1:-1], np.sqrt((hi - x) * (x - lo)) / (2 * math.pi * 2 * x), rtol=1e-9)
    bars = trace(fig, "sampled")
    spec = geo.gram_spectrum(200, 400, "normal", repeats=10, seed=7)
    hist = spec.histogram(bins=page.BINS)
    np.testing.assert_array_equal(bars["y"], hist.counts / (hist.total * np.diff(hist.edges)))


def test_norm_ratio_histogram_for_the_chosen_rule(linked):
    fig = chart(linked["norm_hist"], "norm_hist")
    ref = geo.norm_ratios(300, 100, geo.Ensemble("rademacher", rule="2/(m+n)"), samples=geo.NORM_SAMPLES, seed=7)
    hist = ref.histogram(bins=page.BINS)
    np.testing.assert_array_equal(trace(fig, "sampled")["y"], hist.counts / (hist.total * np.diff(hist.edges)))
    assert not [t for t in fig["data"] if t.get("name") == "exact"]  # no closed form for Rademacher W
    # E‖Wx‖²/‖x‖² = m s² = 300 · 2/400 = 1.5: the histogram centres on √1.5
    centre = np.sum(trace(fig, "sampled")["x"] * trace(fig, "sampled")["y"]) / np.sum(trace(fig, "sampled")["y"])
    assert centre == pytest.approx(math.sqrt(1.5), rel=0.01)


def test_link_round_trips_and_reproduces_the_numbers_bit_for_bit(linked):
    canonical = {k: v for k, v in LINK.items() if k != "mp_dist"}  # normal is the default: left out
    assert dict(linked["angle_hist"].query_params) == canonical
    for key in CHARTS:
        first = linked[key]
        again = open_page("geometry", dict(first.query_params))
        a, b = chart(first, key), chart(again, key)
        for ta, tb in zip(a["data"], b["data"]):
            for field in ("x", "y", "z"):
                if field in ta:
                    np.testing.assert_array_equal(np.asarray(ta[field], dtype=float), np.asarray(tb[field], dtype=float))


def test_the_angle_axis_can_stay_at_0_to_180_degrees_for_every_n():
    """Issue 12 item 7: by default the axis zooms on the sample; fixed, it spans 0–180° at any n."""
    for n in (10, 10000):
        fixed = chart(open_page("geometry", {"angle_n": str(n), "angle_fixed": "true"}), "angle_hist")
        assert fixed["layout"]["xaxis"]["range"] == [0.0, 180.0]
    zoomed = chart(open_page("geometry", {"angle_n": "10000"}), "angle_hist")
    assert "range" not in zoomed["layout"]["xaxis"]


def test_largest_n_offers_only_the_sizes_the_hosted_budget_computes():
    """Issue 12 item 7: with orthogonal and the truncated normal chosen, the hosted budget cuts larger
    sweeps — the control does not offer them (every rung of the ladder on a local instance)."""
    dists = ("normal", "uniform", "rademacher", "trunc_normal", "orthogonal")
    at = open_page("geometry", {"step": "sweep", "sweep_dists": ",".join(dists)})
    offered = tuple(at.select_slider(key="sweep_max").options)
    fits = [n for n in links.SWEEP_MAX if geo.sweep_seconds(n, dists) <= links.GEOMETRY_MAX_SECONDS]
    assert offered == tuple(str(n) for n in fits) and len(fits) < len(links.SWEEP_MAX)


@pytest.mark.parametrize("step", links.GEOMETRY_STEPS)
def test_the_run_records_every_chart_and_formula_it_shows_for_the_views_report(default_steps, step):
    at = default_steps[step]
    record = at.session_state[frame.REPORT_KEY]
    drawn = [c.proto.id.rsplit("-", 1)[-1] for c in at.get("plotly_chart")]
    assert [c.key for c in record.charts] == drawn
    assert [f"$$\n{tex}\n$$" for tex in record.formulas] == [e.value for e in at.latex]
    assert all(export_caption(c.spec) for c in record.charts)  # the report's charts carry their caption
    assert [b for b in at.get("download_button") if b.proto.id.endswith(frame.REPORT_BUTTON)]


def test_a_step_over_the_hosted_budget_keeps_its_size_and_offers_choices_that_fit():
    """The sizes are the question: a hosted instance computes nothing rather than a smaller n, and
    offers one change each that fits (a smaller largest n, or the cheapest distributions at n asked)."""
    dists = "normal,uniform,rademacher,trunc_normal,orthogonal"
    at = open_page("geometry", {"step": "sweep", "sweep_max": "4096", "sweep_dists": dists})
    assert at.query_params["sweep_max"] == "4096" and not at.get("plotly_chart")
    fitted = links.geometry.fit_view(links.parse("geometry", {"step": "sweep", "sweep_max": "4096",
                                                              "sweep_dists": dists})[0])
    assert not fitted.fits and fitted.choices
    for label, choice in fitted.choices:
        changed = {k for k in choice if choice[k] != fitted.asked[k]}
        assert len(changed) == 1 and links.geometry.fit_view(choice).fits, label
    assert "nothing is computed" in " ".join(w.value for w in at.warning)
