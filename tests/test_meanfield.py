"""Mean-field theory: REFERENCE values, closed forms vs quadrature vs Monte Carlo (the triangle),
and the per-network prediction against propagate's measurements."""

import math

import numpy as np
import pytest
from scipy import integrate

from initviz import InitvizError
from initviz.activations import get_activation
from initviz.meanfield import (chi1, correlation_map, fixed_point, hanin_rolnick_spread, kink_term,
                               mean_field_applies, moments, pair_moment, predict, qmap, relative_spread_constant)
from initviz.network import Network
from initviz.propagation import propagate


def _quad_moments(name, param, mean, var):
    """E[φ], E[φ²], E[φ′²] for X ~ N(mean, var) by adaptive scipy quadrature, split at 0 and the kinks."""
    act = get_activation(name, param)
    s = math.sqrt(var)
    pdf = lambda x: math.exp(-0.5 * ((x - mean) / s) ** 2) / (s * math.sqrt(2 * math.pi))  # noqa: E731
    lo, hi = mean - 14 * s, mean + 14 * s
    points = [x for x in {0.0, *act.spec.kinks} if lo < x < hi] or None
    out = []
    for f in (lambda x: float(act(np.array(x))), lambda x: float(act(np.array(x))) ** 2,
              lambda x: float(act.derivative(np.array(x))) ** 2):
        out.append(integrate.quad(lambda x: f(x) * pdf(x), lo, hi, points=points, limit=400,
                                  epsabs=1e-13, epsrel=1e-12)[0])
    return out


# --- REFERENCE.md values ---------------------------------------------------------------------
def test_reference_tanh_chaotic_fixed_point():
    q_star = fixed_point("tanh", 1.5, 0.05)
    assert q_star == pytest.approx(0.7984, abs=5e-5)  # REFERENCE gives 4 digits
    assert qmap(q_star, "tanh", 1.5, 0.05) == pytest.approx(q_star, rel=1e-13)
    assert chi1("tanh", 1.5, q_star) == pytest.approx(1.137, abs=5e-4)
    q_gain = fixed_point("tanh", 5 / 3, 0.0)
    assert chi1("tanh", 5 / 3, q_gain) == pytest.approx(1.21, abs=5e-3)  # torch's tanh gain is chaotic


def test_reference_critical_points():
    assert chi1("relu", math.sqrt(2), 1.0) == pytest.approx(1.0, rel=1e-15)  # E[1[z>0]] = 1/2
    assert chi1("tanh", 1.0, 0.0) == pytest.approx(1.0, rel=1e-15)  # tanh′(0) = 1
    assert qmap(3.7, "relu", math.sqrt(2)) == pytest.approx(3.7, rel=1e-15)  # every q is fixed
    assert fixed_point("relu", math.sqrt(2), 0.0, q0=2.5) == 2.5
    assert fixed_point("relu", 1.0, 0.1) == pytest.approx(0.01 / (1 - 0.5))  # q* = σ_b²/(1 − σ_w²/2)
    assert fixed_point("relu", 2.0, 0.1) == math.inf
    assert math.isnan(fixed_point("tanh", 1.0, 0.0))  # algebraic convergence to 0: not reached


# --- closed forms and quadrature against independent integration ---------------------------------
@pytest.mark.parametrize("name,param", [("relu", None), ("leaky_relu", 0.2), ("linear", None), ("tanh", None),
                                        ("sigmoid", None), ("elu", 0.7), ("selu", None), ("gelu", None),
                                        ("silu", None), ("softplus", None), ("hardtanh", None), ("erf", None)])
@pytest.mark.parametrize("mean,var", [(0.0, 1.0), (0.4, 2.5), (-0.3, 0.05)])
def test_moments_against_adaptive_quadrature(name, param, mean, var):
    ours = moments(get_activation(name, param), mean, var)
    np.testing.assert_allclose(ours, _quad_moments(name, param, mean, var), rtol=1e-9, atol=1e-12)


def test_trapezoid_stays_accurate_where_gauss_hermite_fails():
    # REFERENCE: E[tanh(√q z)²] at q = 50 — 101-node Gauss–Hermite is off by ~2e-2
    ours = moments("tanh", 0.0, 50.0)[1]
    assert ours == pytest.approx(_quad_moments("tanh", None, 0.0, 50.0)[1], rel=1e-11)
    z, w = np.polynomial.hermite_e.hermegauss(101)
    gauss_hermite = float(w @ np.tanh(math.sqrt(50) * z) ** 2) / math.sqrt(2 * math.pi)
    assert abs(gauss_hermite - ours) > 1e-3


@pytest.mark.parametrize("name,mean,var,rho", [("tanh", 0.0, 0.8, 0.6), ("tanh", 0.2, 30.0, -0.4),
                                               ("gelu", 0.1, 2.0, 0.9), ("relu", 0.3, 1.5, 0.5),
                                               ("selu", 0.0, 1.0, 0.99), ("elu", -0.2, 0.7, 0.3),
                                               ("hardtanh", 0.0, 2.0, 0.5), ("hardtanh", 0.3, 0.8, -0.6),
                                               ("erf", 0.0, 1.5, 0.7), ("erf", 0.2, 3.0, 0.4)])
def test_pair_moment_against_scipy_dblquad(name, mean, var, rho):
    act = get_activation(name)
    s, t = math.sqrt(var), math.sqrt(var * (1 - rho * rho))
    pdf = lambda z: math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)  # noqa: E731
    f1 = lambda z1: float(act(np.array(mean + s * z1))) * pdf(z1)  # noqa: E731

    def inner(z1):
        centre = mean + s * rho * z1
        g = lambda z2: float(act(np.array(centre + t * z2))) * pdf(z2)  # noqa: E731
        kink = [z for z in ((x - centre) / t for x in (0.0, *act.spec.kinks)) if abs(z) < 10] or None
        return integrate.quad(g, -10, 10, points=kink, epsabs=1e-13, limit=200)[0]

    kink = [z for z in ((x - mean) / s for x in (0.0, *act.spec.kinks)) if abs(z) < 10] or None
    expected = integrate.quad(lambda z1: f1(z1) * inner(z1), -10, 10, points=kink, epsabs=1e-12, limit=200)[0]
    assert pair_moment(act, mean, var, rho) == pytest.approx(expected, rel=1e-7, abs=1e-10)


@pytest.mark.parametrize("slope", [0.0, 0.2, 1.0])
@pytest.mark.parametrize("rho", [-0.8, 0.0, 0.5, 0.97])
def test_arccos_closed_form_against_monte_carlo(slope, rho):
    # the triangle's third side: E[φ(u)φ(v)] by sampling 400k Gaussian pairs
    rng = np.random.default_rng(11)
    n = 400_000
    u = rng.standard_normal(n)
    v = rho * u + math.sqrt(1 - rho * rho) * rng.standard_normal(n)
    act = get_activation("leaky_relu", slope)
    prod = act(u) * act(v) * 1.7
    se = prod.std() / math.sqrt(n)
    assert abs(pair_moment(act, 0.0, 1.7, rho) - prod.mean()) < 5 * se  # 5 standard errors


def test_hardtanh_chi1_is_pennington_p_of_q():
    # Pennington, Schoenholz & Ganguli 2017: E[hardtanh′(√q z)²] = P(|z| < 1/√q) = erf(1/√(2q)),
    # so χ₁ = σ_w² p(q*); and the kink_term is the Dirac part of d/dq E[φ(√q z)²] (Stein's lemma:
    # d/dq E[φ²] = E[φ′²] + E[φφ″]), checked by a central difference (h = 1e−5·q: error ≲ 1e−9)
    for q in (0.01, 0.3, 1.0, 4.0, 50.0):
        assert chi1("hardtanh", 1.3, q) == pytest.approx(1.69 * math.erf(1 / math.sqrt(2 * q)), rel=1e-14)
        h = 1e-5 * q
        slope = (moments("hardtanh", 0.0, q + h)[1] - moments("hardtanh", 0.0, q - h)[1]) / (2 * h)
        assert moments("hardtanh", 0.0, q)[2] + float(kink_term("hardtanh", 0.0, math.sqrt(q))) == \
            pytest.approx(slope, rel=1e-8)
    assert float(kink_term("relu", 0.0, 1.0)) == 0.0  # the kink at 0 meets φ(0) = 0


@pytest.mark.parametrize("name,var,rho", [("erf", 0.6, 0.0), ("erf", 2.0, 0.8), ("erf", 9.0, -0.5),
                                          ("hardtanh", 0.5, 0.3), ("hardtanh", 3.0, 0.9)])
def test_new_closed_forms_against_monte_carlo(name, var, rho):
    # the triangle's third side for the erf and hardtanh closed forms: 400k Gaussian pairs, 5 SE
    rng = np.random.default_rng(5)
    n = 400_000
    u = rng.standard_normal(n)
    v = rho * u + math.sqrt(1 - rho * rho) * rng.standard_normal(n)
    act, s = get_activation(name), math.sqrt(var)
    for sample, value in ((act(s * u) ** 2, moments(act, 0.0, var)[1]),
                          (act.derivative(s * u) ** 2, moments(act, 0.0, var)[2]),
                          (act(s * u) * act(s * v), pair_moment(act, 0.0, var, rho))):
        assert abs(sample.mean() - value) < 5 * sample.std() / math.sqrt(n)


def test_correlation_map_fixed_points():
    # c = 1 is always a fixed point; for relu at criticality c climbs towards it
    for name in ("tanh", "relu", "gelu"):
        q = 1.3
        assert correlation_map(1.0, q, name, 1.2, 0.0) == pytest.approx(1.0, rel=1e-12)
    c, q = 0.2, 2.0
    for _ in range(5):
        c_next = correlation_map(c, q, "relu", math.sqrt(2))
        assert c < c_next < 1
        c = c_next
    # relu, σ_w = √2: c ↦ (√(1−c²) + (π − arccos c)c)/π (Cho & Saul), computed here directly
    c0 = 0.3
    expected = (math.sqrt(1 - c0 ** 2) + (math.pi - math.acos(c0)) * c0) / math.pi
    assert correlation_map(c0, 2.0, "relu", math.sqrt(2)) == pytest.approx(expected, rel=1e-14)


# --- finite width -------------------------------------------------------------------------------
def test_relative_spread_constants():
    assert relative_spread_constant("relu") == pytest.approx(5.0)  # E[relu⁴]/E[relu²]² = (3/2)/(1/4) … − 1
    assert relative_spread_constant("linear") == pytest.approx(2.0)  # χ²: 3 − 1
    assert math.isnan(relative_spread_constant("tanh"))
    np.testing.assert_allclose(hanin_rolnick_spread([16, 16]), [5 / 16, (1 + 5 / 16) ** 2 - 1])


def test_hanin_rolnick_spread_against_monte_carlo():
    # 40k independent He/ReLU networks (Gaussian, no bias), width 16, depth 4, one input each
    rng = np.random.default_rng(5)
    nets, n, depth = 40_000, 16, 4
    x = rng.standard_normal((nets, n))
    h = x
    for _ in range(depth):
        W = rng.standard_normal((nets, n, n)) * math.sqrt(2.0 / n)
        h = np.maximum(np.einsum("kij,kj->ki", W, h), 0.0)
    m = (h ** 2).sum(axis=1) / (x ** 2).sum(axis=1)  # (‖a‖²/n)/(‖x‖²/n)
    rel = m / m.mean()
    relvar = rel.var()
    # SE of a sample variance: √((μ₄ − σ⁴)/N), with the sample's own 4th central moment
    se = math.sqrt((((rel - 1) ** 4).mean() - relvar ** 2) / nets)
    expected = (1 + 5 / n) ** depth - 1
    assert abs(relvar - expected) < 5 * se
    assert abs(m.mean() - 1) < 5 * m.std() / math.sqrt(nets)  # He keeps the mean


# --- the network prediction -------------------------------------------------------------------
def test_prediction_columns_for_he_relu():
    net = Network.mlp(input_dim=100, widths=[200, 300, 100], activation="relu", init="kaiming_normal",
                      init_params={"nonlinearity": "relu"})
    p = predict(net, batch=64)
    # He: s² = 2/n_{l−1}; q^l = 2·E[(a^{l−1})²], E[a²] = q/2 → every pre-activation variance is 2
    np.testing.assert_allclose(p.preact_var, 2.0)
    np.testing.assert_allclose(p.act_m2, 1.0)
    np.testing.assert_allclose(p.forward_mult, 1.0)
    np.testing.assert_allclose(p.layer_ratio, np.sqrt([2 * 200 / 100, 2 * 300 / 200, 2 * 100 / 300]))
    np.testing.assert_allclose(p.norm_ratio, np.sqrt(np.array([200, 300, 100]) / 100))
    # backward: E[(∂L/∂h^L)²] = ½; E[(∂L/∂a^{l−1})²] = n_l·(2/n_{l−1})·E[(∂L/∂h^l)²]
    g3 = 0.5
    g2 = 0.5 * (100 * 2 / 300 * g3)
    g1 = 0.5 * (300 * 2 / 200 * g2)
    np.testing.assert_allclose(p.grad_var, [g1, g2, g3])
    np.testing.assert_allclose(p.grad_w_var, 64 * np.array([g1 * 1.0, g2 * 1.0, g3 * 1.0]))
    np.testing.assert_allclose(p.msq_ratio_relvar, hanin_rolnick_spread([200, 300, 100]))
    frame = p.to_frame()
    assert list(frame["layer"]) == [1, 2, 3] and frame["corr"].notna().all()


def test_prediction_refuses_deterministic_weights():
    net = Network.mlp(input_dim=8, widths=[8, 8], init="constant", init_params={"val": 0.1})
    assert "not random with mean 0" in mean_field_applies(net)
    with pytest.raises(InitvizError, match="Argument `net` must have random zero-mean weights"):
        predict(net)
    assert mean_field_applies(Network.mlp(input_dim=8, widths=[8], init="orthogonal")) is None


@pytest.mark.parametrize("activation,init,params,bias", [
    ("tanh", "normal", {"std": 1.5 / math.sqrt(512)}, ("normal", 0.05)),
    ("relu", "kaiming_normal", {"nonlinearity": "relu"}, ("constant", 0.1)),
    ("gelu", "xavier_uniform", {"gain": 1.5}, ("zeros", 0.0)),
    ("hardtanh", "normal", {"std": 1.3 / math.sqrt(512)}, ("constant", 0.2)),
    ("erf", "orthogonal", {"gain": 1.2}, ("normal", 0.1)),
])
def test_prediction_against_a_wide_network(activation, init, params, bias):
    """Theory vs Monte Carlo through a width-512 network, 6 repeats.

    Tolerance per layer: 5 standard errors of the mean over repeats (SE from the repeats' own
    spread) plus the O(1/n) finite-width bias of mean-field theory, allowed as 4/n relative."""
    net = Network.mlp(input_dim=512, widths=[512] * 8, activation=activation, init=init, init_params=params,
                      bias=bias[0], bias_value=bias[1])
    res = propagate(net, batch=64, seed=2, n_seeds=6, dtype="float64", inputs="correlated", input_corr=0.4)
    p = predict(net, input_corr=0.4, batch=64)
    for measured, theory in (("preact_var", p.preact_var), ("act_var", p.act_var), ("act_mean", p.act_mean),
                             ("grad_var", p.grad_var), ("grad_act_var", p.grad_act_var),
                             ("corr", p.corr), ("grad_w_var", p.grad_w_var)):
        values = res.stats[measured]
        se = values.std(axis=0, ddof=1) / math.sqrt(values.shape[0])
        tol = 5 * se + 4 / 512 * np.abs(theory) + 1e-12
        assert np.all(np.abs(values.mean(axis=0) - theory) < tol), measured


@pytest.mark.parametrize("name", ["gelu", "silu", "softplus", "tanh", "sigmoid"])
def test_the_two_rules_agree_where_they_meet(name):
    # smooth φ: trapezoid up to TRAPEZOID_MAX_VAR, piecewise Gauss–Legendre above; both are
    # accurate to ~1e-12 there, so the join is seamless
    from initviz.meanfield import TRAPEZOID_MAX_VAR

    below, above = TRAPEZOID_MAX_VAR, TRAPEZOID_MAX_VAR * (1 + 1e-12)
    np.testing.assert_allclose(moments(name, 0.3, above), moments(name, 0.3, below), rtol=1e-10)
    assert pair_moment(name, 0.3, above, 0.6) == pytest.approx(pair_moment(name, 0.3, below, 0.6), rel=1e-10)


@pytest.mark.parametrize("name,var", [("gelu", 1e8), ("tanh", 1e6), ("silu", 1e12), ("elu", 1e10)])
def test_moments_at_huge_variance(name, var):
    # a wide Gaussian over a unit-scale non-linearity: against adaptive quadrature split at ±8, 0
    act = get_activation(name)
    s = math.sqrt(var)
    pdf = lambda x: math.exp(-0.5 * (x / s) ** 2) / (s * math.sqrt(2 * math.pi))  # noqa: E731
    expected = [sum(integrate.quad(lambda x, f=f: f(x) * pdf(x), a, b, epsabs=0, epsrel=1e-12, limit=400)[0]
                    for a, b in ((-14 * s, -8), (-8, 0), (0, 8), (8, 14 * s)))
                for f in (lambda x: float(act(np.array(x))), lambda x: float(act(np.array(x))) ** 2,
                          lambda x: float(act.derivative(np.array(x))) ** 2)]
    np.testing.assert_allclose(moments(name, 0.0, var), expected, rtol=1e-8, atol=1e-15)


def test_prediction_of_an_exploding_network_stops_where_float64_does():
    net = Network.mlp(input_dim=64, widths=[64] * 600, activation="gelu", init="xavier_normal",
                      init_params={"gain": 3.0})
    p = predict(net)
    # q grows ~σ_w²/2 = 4.5× per layer: past 1e308 after ~470 layers, then absent (NaN), never inf
    last = int(np.flatnonzero(np.isfinite(p.preact_var))[-1]) + 1
    assert 400 < last < 600 and np.isnan(p.preact_var[last:]).all()
    assert np.isnan(p.grad_var).all()  # the probe sits at the output, which has no prediction
    assert not np.isinf(p.to_frame()[["preact_var", "act_m2", "corr"]].to_numpy(dtype=float, na_value=np.nan)).any()


def test_a_prediction_beyond_float64_is_infinite_without_a_warning():
    """Issue 12 item 9: sigmoid, Xavier gain 1000, 200 layers. Backward, each layer multiplies the
    gradient variance by n·s²·E[φ′²] ≥ (gain²·n/(2n))·E[φ′²] ~ 10⁵·E[φ′²]; far beyond 1.8e308 over 200
    layers, so the input layer's prediction is +∞ — a result, not a RuntimeWarning."""
    import warnings
    net = Network.mlp(100, [100] * 200, "sigmoid", "xavier_normal", {"gain": 1000.0})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pred = predict(net)
    assert np.isinf(pred.grad_var[0]) and pred.grad_var[0] > 0
    assert np.isfinite(pred.grad_var[-1])


@pytest.mark.parametrize("name", ["hardtanh", "erf"])
def test_gaussian_mean_and_slope_closed_forms_against_quadrature(name):
    """The inner expectations of the criticality module's 2-D integrals, E[φ(X)] and E[φ′(X)] for
    X ~ N(m, s²), in closed form against adaptive quadrature (split at hardtanh's kinks; quad's
    epsrel 1e−12, so 1e−10 relative with an absolute floor for means near 0)."""
    from initviz.meanfield import GAUSSIAN_MEAN_SLOPE
    act = get_activation(name)
    means = np.array([-3.0, -0.7, 0.0, 0.4, 1.0, 2.5, 9.0])
    sds = np.array([0.05, 0.3, 1.0, 2.0, 0.01, 4.0, 1.5])
    got_mean, got_slope = GAUSSIAN_MEAN_SLOPE[name](means, sds)
    for m, s, gm, gs in zip(means, sds, got_mean, got_slope):
        density = lambda x: math.exp(-0.5 * ((x - m) / s) ** 2) / (s * math.sqrt(2 * math.pi))  # noqa: E731
        edges = sorted({*(m + k * s for k in range(-12, 13, 2)), *[k for k in (-1.0, 1.0) if abs(k - m) < 12 * s]})
        expect = [sum(integrate.quad(lambda x: float(f(np.array(x))) * density(x), a, b, epsabs=1e-15, epsrel=1e-12,
                                     limit=200)[0] for a, b in zip(edges[:-1], edges[1:]))
                  for f in (act, act.derivative)]
        assert gm == pytest.approx(expect[0], rel=1e-10, abs=1e-14)
        assert gs == pytest.approx(expect[1], rel=1e-10, abs=1e-14)
