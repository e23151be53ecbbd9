"""The order-to-chaos phase diagram (issue 15): closed forms, the scalar mean-field theory of
initviz.meanfield, Monte Carlo and brute-force roots against :mod:`initviz.criticality`.

Tolerances, from the mathematics:
* closed forms (leaky family) and exact special points — a few ulps (rel 1e−12);
* against meanfield's scalar quadrature (4001-node trapezoid / 48-node Gauss–Legendre) — both
  rules are ~1e−13 accurate in 1-D (up to q ~ 1e3; beyond, meanfield's 48-node pieces drift, so
  q = 1e4 is checked against adaptive quadrature), ~1e−10 in 2-D; a relative difference δ in the
  variance map moves its fixed point by δ/(1 − χ_q), and meanfield.fixed_point stops at a relative
  step of 1e−14;
* finite differences with step h — truncation h²·|f‴|/6 plus rounding ε·|f|/h;
* Monte Carlo — 5 standard errors, the SE computed from the sample itself (fixed seeds);
* the critical line against a brute-force root (scipy brentq on χ₁(σ_w, q*(σ_w)) − 1 with
  meanfield's scalar functions) — the root's own tolerance, 1e−12.
"""

import math

import numpy as np
import pytest
from scipy import integrate, optimize

import initviz as iv
from initviz import InitvizError
from initviz import criticality as cr
from initviz.activations import ACTIVATIONS, SELU_SCALE, get_activation
from initviz.meanfield import chi1, correlation_map, fixed_point, moments, pair_moment, qmap

DEEPCHAOS_W2 = np.linspace(1, 5, 41) ** 2  # σ_w from 1 to 5 in steps of 0.1 (ganguli-lab/deepchaos)
DEEPCHAOS_B2 = np.linspace(0, 4, 41) ** 2
SMOOTH = [name for name in ACTIVATIONS if get_activation(name).leaky_slope is None]


@pytest.fixture(scope="module")
def diagrams():
    """The deepchaos 41 × 41 diagram of every activation, computed once."""
    return {name: iv.phase_diagram(name, DEEPCHAOS_W2, DEEPCHAOS_B2) for name in ACTIVATIONS}


# --- φ″ -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_second_derivative_against_finite_differences(name):
    # central difference of φ′, h = 1e−5: truncation h²/6·|φ⁗| ≲ 1e−10, rounding ε/h ≈ 2e−11
    act = get_activation(name)
    x = np.concatenate([np.linspace(-7, -0.01, 60), np.linspace(0.01, 7, 60)])  # off the kink
    h = 1e-5
    fd = (act.derivative(x + h) - act.derivative(x - h)) / (2 * h)
    np.testing.assert_allclose(act.second_derivative(x), fd, atol=1e-8)
    assert act.second_derivative(np.float32(1.0)).dtype == np.float32


# --- the leaky family: closed forms ---------------------------------------------------------------
@pytest.mark.parametrize("name,param", [("relu", None), ("leaky_relu", 0.2), ("linear", None)])
def test_leaky_family_closed_forms(name, param):
    act = get_activation(name, param)
    a = act.leaky_slope
    gain = (1 + a * a) / 2  # E[φ′²] = E[φ²]/q
    w2 = np.array([0.25, 0.5, 0.75, 1.0, 1.25, 1.5]) / gain  # the fourth is the critical gain
    b2 = np.array([0.0, 0.01, 0.5, 2.0])
    df = iv.phase_diagram(act, w2, b2, q0=1.7)
    W, B = df.sigma_w2.to_numpy(), df.sigma_b2.to_numpy()
    np.testing.assert_allclose(df.chi1, W * gain, rtol=1e-12)  # χ₁ = σ_w²(1 + a²)/2 at every q
    ordered = W * gain < 1 - 1e-9
    np.testing.assert_allclose(df.q_star[ordered], B[ordered] / (1 - W[ordered] * gain), rtol=1e-12)
    assert (df.phase[ordered] == "ordered").all() and (df.c_star[ordered] == 1.0).all()
    xi = -1 / np.log(W[ordered] * gain)  # the q-map is linear: χ_q = χ_c = χ₁
    np.testing.assert_allclose(df.xi_q[ordered], xi, rtol=1e-12)
    np.testing.assert_allclose(df.xi_c[ordered], xi, rtol=1e-12)
    above = W * gain > 1 + 1e-9
    assert (df.phase[above] == "unbounded").all() and np.isinf(df.q_star[above]).all()
    assert df.c_star[above].isna().all() and df.xi_c[above].isna().all()
    at = np.isclose(W * gain, 1.0)
    critical = df[at & (B == 0)]  # the one critical point: the map is the identity, q* = q⁰
    assert list(critical.phase) == ["critical"] and critical.q_star.iloc[0] == 1.7
    assert np.isinf(critical.xi_q.iloc[0]) and np.isinf(critical.xi_c.iloc[0]) and critical.c_star.iloc[0] == 1.0
    assert (df.phase[at & (B > 0)] == "unbounded").all()  # q grows by σ_b² per layer
    line = iv.critical_line(act, [0.0, 0.05, 1.0])
    assert line[0] == pytest.approx(1 / gain, rel=1e-15) and np.isnan(line[1:]).all()


def test_relu_critical_point_and_unbounded_region(diagrams):
    df = diagrams["relu"]
    assert set(df.phase) == {"ordered", "unbounded"}  # σ_w² = 2 is not on the 0.1-step σ_w grid
    assert (df.phase[df.sigma_w2 > 2] == "unbounded").all() and (df.phase[df.sigma_w2 < 2] == "ordered").all()
    np.testing.assert_allclose(df.chi1, df.sigma_w2 / 2, rtol=1e-12)
    point = iv.phase_diagram("relu", [2.0], [0.0])
    assert point.phase.iloc[0] == "critical" and point.q_star.iloc[0] == 1.0
    line = iv.critical_line("relu", DEEPCHAOS_B2)
    assert line[0] == 2.0 and np.isnan(line[1:]).all()


# --- against the scalar theory of initviz.meanfield -----------------------------------------------
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_fixed_point_and_chi1_agree_with_meanfield(diagrams, name):
    df = diagrams[name]
    rows = df[np.isfinite(df.q_star) & (df.q_star > 0)].iloc[::7]
    assert len(rows) > 0
    for r in rows.itertuples():
        sw, sb = math.sqrt(r.sigma_w2), math.sqrt(r.sigma_b2)
        chi_q = math.exp(-1 / r.xi_q) if 0 < r.xi_q < math.inf else 0.0
        expected = fixed_point(name, sw, sb)
        if math.isfinite(expected):  # (meanfield gives up — NaN — on slow divergence and slow convergence)
            assert r.q_star == pytest.approx(expected, rel=1e-12 + 5e-13 / (1 - chi_q))
        assert r.chi1 == pytest.approx(chi1(name, sw, r.q_star), rel=1e-12)  # the same χ₁ at the same q*


@pytest.mark.parametrize("name", SMOOTH)
def test_grid_expectations_agree_with_meanfield_moments(name):
    # the 1-D grid rule against meanfield.moments (trapezoid / 48-node rule), variances 1e−3…900
    act = get_activation(name)
    q = np.array([1e-3, 0.1, 0.7, 3.0, 20.0, 150.0, 900.0])
    m2, p2, _ = cr._moments(act, q)
    expected = np.array([moments(act, 0.0, v) for v in q])
    np.testing.assert_allclose(m2, expected[:, 1], rtol=1e-12)
    np.testing.assert_allclose(p2, expected[:, 2], rtol=1e-11, atol=1e-13)
    # q = 1e4 against adaptive quadrature split at the rule's cuts (meanfield is off by up to 2e−8 there)
    s = 100.0
    edges = [-14 * s, -32, -8, -2, 0, 2, 8, 32, 14 * s]
    density = lambda x: math.exp(-0.5 * (x / s) ** 2) / (s * math.sqrt(2 * math.pi))  # noqa: E731
    expected = sum(integrate.quad(lambda x: float(act(np.array(x))) ** 2 * density(x), a, b, limit=200,
                                  epsabs=0, epsrel=1e-13)[0] for a, b in zip(edges[:-1], edges[1:]))
    assert cr._moments(act, np.array([s * s]))[0][0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", SMOOTH)
def test_pair_expectations_agree_with_meanfield_pair_moment(name):
    # E[φ(u₁)φ(u₂)] against meanfield.pair_moment; E[φ′(u₁)φ′(u₂)] against Price's theorem,
    # ∂/∂c E[φφ] = q E[φ′φ′], by a central difference in c (h = 1e−4, truncation ≲ 1e−8)
    act = get_activation(name)
    q = np.array([0.3, 2.0, 2.0, 9.0, 40.0])
    c = np.array([0.2, 0.5, 0.95, 0.7, 0.3])
    pair, pair_prime = cr._pair_moments(act, q, c, cr.PAIR_RULES[-1])
    expected = np.array([pair_moment(act, 0.0, v, r) for v, r in zip(q, c)])
    np.testing.assert_allclose(pair, expected, rtol=1e-9)
    h = 1e-4
    slope = np.array([(pair_moment(act, 0.0, v, r + h) - pair_moment(act, 0.0, v, r - h)) / (2 * h) / v
                      for v, r in zip(q, c)])
    np.testing.assert_allclose(pair_prime, slope, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", SMOOTH)
def test_xi_q_is_the_slope_of_the_variance_map(diagrams, name):
    # χ_q = χ₁ + σ_w² E[φφ″] (Schoenholz et al.) against a central difference of meanfield.qmap,
    # h = 1e−4·q*: truncation ~h²·|M‴|/6 ≲ 1e−9 relative
    df = diagrams[name]
    rows = df[np.isfinite(df.q_star) & (df.q_star > 0)].iloc[::11]
    for r in rows.itertuples():
        sw, sb = math.sqrt(r.sigma_w2), math.sqrt(r.sigma_b2)
        h = 1e-4 * r.q_star
        slope = (qmap(r.q_star + h, name, sw, sb) - qmap(r.q_star - h, name, sw, sb)) / (2 * h)
        assert math.exp(-1 / r.xi_q) == pytest.approx(slope, rel=1e-7)


@pytest.mark.parametrize("name", ["tanh", "elu", "selu", "hardtanh", "erf"])
def test_c_star_is_a_fixed_point_of_meanfield_correlation_map(diagrams, name):
    df = diagrams[name]
    rows = df[df.phase == "chaotic"]
    rows = rows.iloc[:: max(1, len(rows) // 12)]
    for r in rows.itertuples():
        sw, sb = math.sqrt(r.sigma_w2), math.sqrt(r.sigma_b2)
        assert r.c_star < 1
        assert correlation_map(r.c_star, r.q_star, name, sw, sb) == pytest.approx(r.c_star, abs=1e-9)
        if r.c_star < 0.99:  # χ_c = f′(c*): central difference, h = 1e−5 (truncation ≲ 1e−9)
            h = 1e-5
            slope = (correlation_map(r.c_star + h, r.q_star, name, sw, sb)
                     - correlation_map(r.c_star - h, r.q_star, name, sw, sb)) / (2 * h)
            assert math.exp(-1 / r.xi_c) == pytest.approx(slope, rel=1e-6)


def test_the_correlation_map_iterated_reaches_c_star_from_any_start():
    # ordered: c^l → 1 (χ₁ = 0.871: 250 maps leave 1e−15); chaotic: the same c* from 0.05 and 0.95
    ordered = iv.phase_diagram("tanh", [2.25], [0.5]).iloc[0]
    chaotic = iv.phase_diagram("tanh", [6.25], [1.0]).iloc[0]
    assert ordered.phase == "ordered" and ordered.c_star == 1.0 and chaotic.phase == "chaotic"
    for row, starts, layers in ((ordered, (0.2,), 250), (chaotic, (0.05, 0.95), 200)):
        sw, sb = math.sqrt(row.sigma_w2), math.sqrt(row.sigma_b2)
        for c in starts:
            for _ in range(layers):
                c = correlation_map(c, row.q_star, "tanh", sw, sb)
            # both 2-D rules are ~1e−11 in f; c* moves by that over 1 − χ_c ≈ 0.2
            assert c == pytest.approx(row.c_star, abs=1e-9)


def test_reference_values_and_c0_independence():
    # REFERENCE.md: tanh, σ_w = 1.5, σ_b = 0.05: q* ≈ 0.7984, χ₁ ≈ 1.137 (chaotic)
    df = iv.phase_diagram("tanh", [2.25, 6.25], [0.0025, 1.0])  # four points, σ_w² slowest
    assert df.q_star.iloc[0] == pytest.approx(0.7984, abs=5e-5) and df.chi1.iloc[0] == pytest.approx(1.137, abs=5e-4)
    assert list(df.phase) == ["chaotic", "ordered", "chaotic", "chaotic"]
    # by convexity every c⁰ in [0, 1) reaches the same c*; c⁰ = 1 (identical inputs) stays at 1
    np.testing.assert_allclose(iv.phase_diagram("tanh", [2.25, 6.25], [0.0025, 1.0], c0=0.9).c_star, df.c_star,
                               atol=1e-10)
    same = iv.phase_diagram("tanh", [2.25, 6.25], [0.0025, 1.0], c0=1.0)
    assert (same.c_star == 1.0).all()
    chaotic = (df.phase == "chaotic").to_numpy()
    assert same.xi_c[chaotic].isna().all()  # χ_c = χ₁ > 1: c = 1 is unstable — no depth scale
    assert same.xi_c[~chaotic].equals(df.xi_c[~chaotic])


# --- Monte Carlo ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name,w2,b2", [("tanh", 2.25, 0.0025), ("tanh", 6.25, 1.0), ("tanh", 2.25, 0.5),
                                        ("gelu", 1.8, 0.5), ("softplus", 1.5, 0.5), ("selu", 1.5, 0.5),
                                        ("elu", 1.8, 0.1)])
def test_q_star_and_chi1_against_monte_carlo(name, w2, b2):
    row = iv.phase_diagram(name, [w2], [b2]).iloc[0]
    act = get_activation(name)
    u = math.sqrt(row.q_star) * np.random.default_rng(15).standard_normal(1_000_000)
    for values, expected in ((w2 * act(u) ** 2 + b2, row.q_star), (w2 * act.derivative(u) ** 2, row.chi1)):
        se = values.std() / math.sqrt(values.size)
        assert abs(values.mean() - expected) < 5 * se


@pytest.mark.parametrize("name,w2,b2", [("tanh", 2.25, 0.0025), ("tanh", 6.25, 1.0), ("tanh", 16.0, 0.5),
                                        ("selu", 1.5, 0.5), ("elu", 1.8, 0.1)])
def test_c_star_against_monte_carlo(name, w2, b2):
    # f(c*) = (σ_w² E[φ(u₁)φ(u₂)] + σ_b²)/q* from 1M correlated pairs equals c* within 5 SE
    row = iv.phase_diagram(name, [w2], [b2]).iloc[0]
    assert row.phase == "chaotic" and 0 < row.c_star < 1
    act = get_activation(name)
    rng = np.random.default_rng(16)
    z1, z2 = rng.standard_normal((2, 1_000_000))
    s, c = math.sqrt(row.q_star), row.c_star
    values = (w2 * act(s * z1) * act(s * (c * z1 + math.sqrt(1 - c * c) * z2)) + b2) / row.q_star
    assert abs(values.mean() - c) < 5 * values.std() / math.sqrt(values.size)


# --- phases, critical line ------------------------------------------------------------------------
def test_phases_of_the_deepchaos_grid(diagrams):
    for name, df in diagrams.items():
        assert list(df.columns) == list(cr.PHASE_COLUMNS) and len(df) == 41 * 41, name
        assert df.phase.notna().all() and set(df.phase) <= set(cr.PHASES), name
        np.testing.assert_array_equal(df.sigma_w2.to_numpy().reshape(41, 41)[:, 0], DEEPCHAOS_W2)  # σ_w² slowest
        bounded = np.isfinite(df.q_star)
        ordered, chaotic = df.phase == "ordered", df.phase == "chaotic"
        assert (df.chi1[ordered] < 1).all() and (df.chi1[chaotic] > 1).all(), name
        assert (df.c_star[ordered] == 1.0).all() and (df.c_star[chaotic] < 1).all(), name
        assert np.isfinite(df.xi_c[ordered | chaotic]).all() and (df.xi_c[ordered | chaotic] > 0).all(), name
        assert np.isinf(df.xi_c[df.phase == "critical"]).all(), name
        assert (np.isfinite(df.xi_q[bounded]) | (df.phase[bounded] == "critical")).all(), name
    tanh = diagrams["tanh"]
    corner = tanh[(tanh.sigma_w2 == 1.0) & (tanh.sigma_b2 == 0.0)].iloc[0]  # the grid's corner is tanh's critical point
    assert corner.phase == "critical" and corner.q_star == 0.0 and corner.chi1 == 1.0
    assert (tanh.phase[tanh.sigma_b2 == 0][1:] == "chaotic").all()  # σ_b = 0, σ_w > 1: chaos
    assert set(diagrams["sigmoid"].phase) == {"ordered"}  # χ₁ ≤ σ_w²/16: the grid stops at 25
    for name in ("gelu", "silu", "softplus", "elu"):  # linear growth: M(q) ~ σ_w² q/2 for large q
        df = diagrams[name]
        above = df[df.sigma_w2 > 2]
        # beyond σ_w² = 2 the iterates from q⁰ = 1 diverge — unless they fall first to a stable fixed
        # point below 1 (GELU and SiLU, whose slope at q = 0 is σ_w²/4, with little bias)
        small = (above.phase == "ordered") & (above.q_star < 1.0)
        assert ((above.phase == "unbounded") | small).all(), name
        unbounded = above[above.phase == "unbounded"]
        np.testing.assert_allclose(unbounded.chi1, unbounded.sigma_w2 / 2, rtol=1e-12)


def test_tanh_critical_line_against_a_brute_force_root():
    b2 = np.array([0.0, 0.0025, 0.05, 0.5, 4.0])
    line = iv.critical_line("tanh", b2)
    assert line[0] == 1.0  # σ_b = 0: the line passes through σ_w² = 1, with q* = 0

    def excess(sw, sb):
        return chi1("tanh", sw, fixed_point("tanh", sw, sb)) - 1.0

    for w2, v in zip(line[1:], b2[1:]):
        sb = math.sqrt(v)
        root = optimize.brentq(excess, 1.0001, 5.0, args=(sb,), xtol=1e-14, rtol=1e-14)
        assert w2 == pytest.approx(root ** 2, rel=1e-11)
    point = iv.phase_diagram("tanh", [line[2]], [b2[2]]).iloc[0]  # σ_b² = 0.05 (σ_w² ≈ 1.761)
    assert point.phase == "critical" and np.isinf(point.xi_c) and 0 < point.xi_q < math.inf and point.c_star == 1.0
    near = iv.phase_diagram("tanh", [line[2] * (1 - 1e-3), line[2] * (1 + 1e-3)], [b2[2]])
    assert list(near.phase) == ["ordered", "chaotic"] and np.isfinite(near.xi_c).all()
    assert near.xi_c.min() > 100  # ξ_c diverges at the line: ~1/|χ_c − 1| a step of 1e−3 away


@pytest.mark.parametrize("name", SMOOTH)
def test_critical_line_points_are_critical(name):
    b2 = DEEPCHAOS_B2[::8]
    line = iv.critical_line(name, b2)
    found = np.isfinite(line)
    if name in ("tanh", "sigmoid", "elu", "selu"):
        assert found.all(), name
    if found.any():
        df = iv.phase_diagram(name, line[found][:1], b2[found][:1])
        assert df.phase.iloc[0] == "critical" and np.isinf(df.xi_c.iloc[0])
        for w2, v in zip(line[found], b2[found]):
            row = iv.phase_diagram(name, [w2], [v]).iloc[0]
            assert row.chi1 == pytest.approx(1.0, abs=cr.LINE_TOL)


# --- special points -------------------------------------------------------------------------------
def test_zero_fixed_point_and_bistable_maps():
    # tanh below σ_w² = 1 without bias: q → 0; χ₁ is the q → 0 limit σ_w² tanh′(0)², c* its σ_b → 0⁺ one
    row = iv.phase_diagram("tanh", [0.5], [0.0]).iloc[0]
    assert row.q_star == 0.0 and row.chi1 == 0.5 and row.c_star == 1.0 and row.phase == "ordered"
    assert row.xi_q == pytest.approx(-1 / math.log(0.5)) and row.xi_c == pytest.approx(-1 / math.log(0.5))
    # GELU, σ_w² = 3, σ_b = 0: 0 is stable (slope σ_w²/4) and the map grows like σ_w² q/2 — q⁰ decides
    for q0, phase in ((0.1, "ordered"), (100.0, "unbounded")):
        got = iv.phase_diagram("gelu", [3.0], [0.0], q0=q0).iloc[0]
        q = q0
        for _ in range(200):  # brute force: the plain iteration of meanfield.qmap
            q = qmap(q, "gelu", math.sqrt(3.0))
            if q > 1e12 or q < 1e-12:
                break
        assert got.phase == phase and (q < 1e-12 if phase == "ordered" else q > 1e12)
    assert iv.phase_diagram("gelu", [3.0], [0.0], q0=0.1).q_star.iloc[0] == 0.0
    # no weights: q* = σ_b², χ₁ = 0
    none = iv.phase_diagram("sigmoid", [0.0], [0.0, 0.7])
    np.testing.assert_array_equal(none.q_star, [0.0, 0.7])
    np.testing.assert_array_equal(none.chi1, [0.0, 0.0])


def test_unbounded_chi1_is_the_large_q_limit():
    df = iv.phase_diagram("selu", [1.9, 4.0], [0.0, 1.0])
    assert (df.phase == "unbounded").all()  # SELU diverges once σ_w²λ²/2 > 1
    np.testing.assert_allclose(df.chi1, df.sigma_w2 * SELU_SCALE ** 2 / 2, rtol=1e-12)
    assert np.isinf(df.q_star).all() and df[["c_star", "xi_q", "xi_c"]].isna().all().all()


# --- the API --------------------------------------------------------------------------------------
def test_invalid_arguments():
    for kwargs in ({"sigma_w2": [1.0, -1.0]}, {"sigma_w2": [[1.0]]}, {"sigma_w2": []}, {"sigma_w2": "abc"},
                   {"sigma_b2": [math.nan]}, {"c0": 1.5}, {"c0": -0.1}, {"q0": 0.0}, {"q0": math.inf},
                   {"sigma_w2": np.ones(300), "sigma_b2": np.ones(300)}):
        args = {"sigma_w2": [1.0], "sigma_b2": [0.0], **kwargs}
        with pytest.raises(InitvizError):
            iv.phase_diagram("tanh", **args)
    with pytest.raises(InitvizError):
        iv.phase_diagram("swish", [1.0], [0.0])
    with pytest.raises(InitvizError):
        iv.critical_line("tanh", [-1.0])
    frame = iv.phase_diagram("elu", 2.0, 0.5, activation_param=0.5)  # numbers are grids of one
    assert len(frame) == 1 and frame.phase.iloc[0] in cr.PHASES


def test_erf_and_hardtanh_critical_points_without_bias():
    # σ_b = 0: q* = 0 and χ₁ = σ_w² φ′(0)², so the line starts at σ_w² = 1/φ′(0)²: π/4 for erf
    # (erf′(0) = 2/√π), 1 for hardtanh; with a bias, χ₁ = σ_w² erf(1/√(2q*)) for hardtanh
    # (Pennington et al. 2017) and (4/π)σ_w²/√(1 + 4q*) for erf — the closed forms, evaluated here
    assert iv.critical_line("erf", [0.0])[0] == pytest.approx(math.pi / 4, rel=1e-12)
    assert iv.critical_line("hardtanh", [0.0])[0] == pytest.approx(1.0, rel=1e-12)
    for name, slope in (("hardtanh", lambda q: math.erf(1 / math.sqrt(2 * q))),
                        ("erf", lambda q: 4 / math.pi / math.sqrt(1 + 4 * q))):
        df = iv.phase_diagram(name, [1.5, 3.0, 6.0], [0.05, 0.5])
        for r in df.itertuples():
            assert r.chi1 == pytest.approx(r.sigma_w2 * slope(r.q_star), rel=1e-12)
