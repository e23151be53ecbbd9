"""Activations: φ′ against finite differences, overflow-free extremes, exact GELU, SELU constants,
saturation and dead-unit definitions, torch gains."""

import math

import numpy as np
import pytest
from scipy import integrate

from initviz import InitvizError
from initviz.activations import ACTIVATIONS, SATURATION_TOL, SELU_ALPHA, SELU_SCALE, get_activation

# every activation, plus non-default parameters for the parametrised ones
CASES = [(name, None) for name in ACTIVATIONS] + [("leaky_relu", 0.2), ("leaky_relu", 0.0), ("elu", 0.5)]


@pytest.mark.parametrize("name,param", CASES)
def test_derivative_matches_central_difference(name, param):
    act = get_activation(name, param)
    x = np.linspace(-4.0, 4.0, 801)
    for kink in act.spec.kinks:  # away from the kinks (0 for relu-like functions, ±1 for hardtanh)
        x = x[np.abs(x - kink) > 1e-3]
    h = 1e-5
    numeric = (act(x + h) - act(x - h)) / (2 * h)
    # central difference: truncation h²/6·|φ‴| ≲ 1e-10, rounding ~ eps·|φ|/h ≲ 1e-10 on [-4, 4]
    np.testing.assert_allclose(act.derivative(x), numeric, rtol=0, atol=1e-7)


@pytest.mark.parametrize("name,param", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_derivative_from_the_known_output_is_the_derivative(name, param, dtype):
    """φ′(x) given φ(x) (the backward pass hands a^l down) is φ′(x) bit for bit: the same
    operations on the same φ(x) (tanh, sigmoid), or φ′(x) itself where φ′ is not taken from φ."""
    act = get_activation(name, param)
    x = (np.random.default_rng(2).standard_normal((64, 33)) * 3).astype(dtype)
    np.testing.assert_array_equal(act.derivative(x, act(x)), act.derivative(x))
    assert act.derivative(x, act(x)).dtype == dtype


@pytest.mark.parametrize("name,param", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_inputs_stay_finite_without_overflow(name, param, dtype):
    act = get_activation(name, param)
    x = np.array([-1e4, -100.0, 0.0, 100.0, 1e4], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        y, dy = act(x), act.derivative(x)
    assert y.dtype == dtype and dy.dtype == dtype
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(dy))


def test_sigmoid_limits_at_pm_1e4():
    sig = get_activation("sigmoid")
    x = np.array([-1e4, 1e4], dtype=np.float32)
    assert sig(x).tolist() == [0.0, 1.0]
    assert sig.derivative(x).tolist() == [0.0, 0.0]
    # and the lower tail keeps relative precision: σ(−50) = e^{−50}/(1 + e^{−50})
    assert sig(np.array(-50.0)) == pytest.approx(math.exp(-50.0) / (1 + math.exp(-50.0)), rel=1e-14)


def test_gelu_is_the_exact_erf_form():
    gelu = get_activation("gelu")
    x = np.linspace(-5.0, 5.0, 201)
    expected = np.array([0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))) for v in x])
    # 1 + erf cancels for x < 0: at x = −5 it is 5.7e-7 with absolute error ~1e-16, i.e. rel 2e-10
    np.testing.assert_allclose(gelu(x), expected, rtol=1e-9, atol=1e-300)
    assert gelu(np.array(1.0)) == pytest.approx(0.8413447460685429, rel=1e-15)  # Φ(1) to 16 digits


def test_selu_constants_give_zero_mean_unit_variance_fixed_point():
    # Klambauer et al. (2017) chose α, λ so that z ~ N(0, 1) maps to mean 0, variance 1
    selu = get_activation("selu")
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    f = lambda z: float(selu(np.array(z))) * pdf(z)  # noqa: E731
    f2 = lambda z: float(selu(np.array(z))) ** 2 * pdf(z)  # noqa: E731
    mean = integrate.quad(f, -40, 0)[0] + integrate.quad(f, 0, 40)[0]
    m2 = integrate.quad(f2, -40, 0)[0] + integrate.quad(f2, 0, 40)[0]
    assert abs(mean) < 1e-9 and m2 == pytest.approx(1.0, abs=1e-9)
    assert (SELU_ALPHA, SELU_SCALE) == pytest.approx((1.67326324, 1.05070099), abs=1e-8)


def test_elu_and_leaky_definitions_at_a_few_points():
    elu = get_activation("elu", 0.5)
    assert elu(np.array([-1.0, 2.0])).tolist() == pytest.approx([0.5 * (math.exp(-1) - 1), 2.0])
    leaky = get_activation("leaky_relu")
    assert leaky.param == 0.01  # torch's default negative_slope
    assert leaky(np.array([-3.0, 3.0])).tolist() == pytest.approx([-0.03, 3.0])
    # torch's autograd at the kink: relu'(0) = 0, leaky_relu'(0) = slope
    assert get_activation("relu").derivative(np.array([0.0])).tolist() == [0.0]
    assert leaky.derivative(np.array([0.0])).tolist() == [0.01]
    softplus = get_activation("softplus")
    assert softplus(np.array([0.0, 30.0])).tolist() == pytest.approx([math.log(2), 30.0 + math.exp(-30)])


def test_saturation_thresholds_and_tanh_sigmoid_agree():
    tanh, sig = get_activation("tanh"), get_activation("sigmoid")
    assert tanh.saturated(np.array([-0.99, -0.97, 0.0, 0.97, 0.99])).tolist() == [True, False, False, False, True]
    assert sig.saturated(np.array([0.005, 0.02, 0.5, 0.98, 0.995])).tolist() == [True, False, False, False, True]
    # tanh(x) = 2σ(2x) − 1, so saturation within 1 % of the range selects the same x for both
    x = np.linspace(-6, 6, 2401)
    x = x[np.abs(np.abs(np.tanh(x)) - (1 - 2 * SATURATION_TOL)) > 1e-9]
    assert np.array_equal(tanh.saturated(tanh(x)), sig.saturated(sig(2 * x)))
    for act, out in ((tanh, tanh(x)), (sig, sig(2 * x))):
        assert act.saturated_fraction(out) == act.saturated(out).mean()  # exactly: the same count
    assert get_activation("relu").rails is None and get_activation("elu").rails is None


def test_dead_units_only_for_half_line_zero_activations():
    dead = {label: get_activation(*label).has_dead_units for label in CASES}
    assert dead[("relu", None)] and dead[("leaky_relu", 0.0)]
    assert not dead[("leaky_relu", None)] and not dead[("leaky_relu", 0.2)]
    assert not any(dead[(n, None)] for n in ("linear", "tanh", "sigmoid", "elu", "selu", "gelu", "silu", "softplus"))


def test_torch_gains_through_calculate_gain():
    assert get_activation("tanh").gain() == pytest.approx(5 / 3)
    assert get_activation("relu").gain() == pytest.approx(math.sqrt(2))
    assert get_activation("leaky_relu", 0.2).gain() == pytest.approx(math.sqrt(2 / (1 + 0.2 ** 2)))
    assert get_activation("leaky_relu").gain() == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert get_activation("selu").gain() == pytest.approx(0.75)
    assert get_activation("sigmoid").gain() == 1 and get_activation("linear").gain() == 1
    assert all(get_activation(n).gain() is None for n in ("elu", "gelu", "silu", "softplus", "hardtanh", "erf"))


def test_hardtanh_is_torchs_with_zero_slope_at_and_beyond_the_rails():
    # nn.Hardtanh(min_val=-1, max_val=1): clip to [−1, 1]; autograd passes the gradient only where
    # min_val < x < max_val, so the derivative is 0 at x = ±1 exactly
    ht = get_activation("hardtanh")
    x = np.array([-3.0, -1.0, -0.999, 0.0, 0.5, 1.0, 1.0 + 1e-12, 7.0])
    assert ht(x).tolist() == [-1.0, -1.0, -0.999, 0.0, 0.5, 1.0, 1.0, 1.0]
    assert ht.derivative(x).tolist() == [0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    assert ht.spec.kinks == (-1.0, 1.0) and ht.rails == (-1.0, 1.0)
    assert ht.saturated_fraction(ht(x)) == pytest.approx(6 / 8)  # |φ| ≥ 0.98: all but 0 and 0.5
    assert not ht.has_dead_units


def test_erf_and_its_derivatives_against_math_erf():
    act = get_activation("erf")
    x = np.linspace(-4.0, 4.0, 81)
    np.testing.assert_allclose(act(x), [math.erf(v) for v in x], rtol=1e-15, atol=1e-16)
    # erf′ = 2/√π e^{−x²}: its integral from 0 to x is erf x (adaptive quadrature, 1e−13)
    for v in (0.3, 1.7, -2.5):
        assert integrate.quad(lambda t: float(act.derivative(np.array(t))), 0.0, v, epsabs=1e-14)[0] == \
            pytest.approx(math.erf(v), abs=1e-13)


@pytest.mark.parametrize("name,param,fragment", [
    ("swish", None, "Argument `activation` must be one of linear, tanh"),
    ("tanh", 0.3, "Argument `param` must be None"),
    ("leaky_relu", float("nan"), "Argument `negative_slope` must be a finite number"),
    ("elu", -1.0, "Argument `alpha` must be a finite number in [0.0, inf]"),
    ("elu", True, "Argument `alpha`"),
])
def test_invalid_activation_errors_name_the_argument(name, param, fragment):
    with pytest.raises(InitvizError, match=None) as err:
        get_activation(name, param)
    assert fragment in str(err.value)
