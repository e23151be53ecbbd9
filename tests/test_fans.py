"""Fans and gains: torch 2.13's values from the committed fixture, Keras/JAX rules written out here."""

import json
import math
import pathlib

import pytest

from initviz import InitvizError, calculate_gain, compute_fans

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "torch_init_reference.json").read_text())
REL = 1e-12


@pytest.mark.parametrize("row", FIXTURE["fans"], ids=lambda r: str(r["shape"]))
def test_torch_fans_equal_torch(row):
    assert compute_fans(row["shape"]) == (row["fan_in"], row["fan_out"])
    assert (row["correct_fan_in"], row["correct_fan_out"]) == (row["fan_in"], row["fan_out"])


@pytest.mark.parametrize("row", FIXTURE["fan_errors"], ids=lambda r: str(r["shape"]))
def test_torch_fan_errors(row):
    assert row["raised"]
    if "mode" in row:  # torch's _calculate_correct_fan: only fan_in / fan_out (checked in test_initializers)
        return
    with pytest.raises(InitvizError, match="2 dimensions") as err:
        compute_fans(row["shape"])
    assert row["message"] in str(err.value)  # our message quotes torch's


@pytest.mark.parametrize("row", FIXTURE["modules"], ids=lambda r: f"{r['module']}-{r['in']}-{r['out']}-g{r['groups']}")
def test_module_weight_fans_and_connectivity(row):
    """torch reads fans from the weight shape; connectivity fans come from the layer itself."""
    shape = row["weight_shape"]
    assert compute_fans(shape) == tuple(row["fans"])
    taps = math.prod(row["kernel"])
    g = row["groups"]
    # each output unit sees in/g channels × taps; each input unit feeds out/g channels × taps
    expected = (row["in"] // g * taps, row["out"] // g * taps)
    assert compute_fans(shape, transposed=row["transposed"], groups=g) == expected
    if row["transposed"]:  # torch's "fan_in" of a ConvTranspose weight is the true fan_out
        assert row["fans"][0] == expected[1]


def keras_fans(kernel_shape):
    """Keras 3 ``compute_fans``, transcribed from its documentation."""
    if len(kernel_shape) == 0:
        return 1, 1
    if len(kernel_shape) == 1:
        return kernel_shape[0], kernel_shape[0]
    rf = math.prod(kernel_shape[:-2])
    return kernel_shape[-2] * rf, kernel_shape[-1] * rf


def to_keras_layout(torch_shape):
    """torch (out, in, *k) → Keras/JAX (*k, in, out)."""
    return (*torch_shape[2:], torch_shape[1], torch_shape[0])


@pytest.mark.parametrize("row", FIXTURE["fans"], ids=lambda r: str(r["shape"]))
@pytest.mark.parametrize("layout", ["keras", "jax"])
def test_keras_jax_layout_gives_same_fans_for_same_layer(row, layout):
    kernel = to_keras_layout(row["shape"])
    assert compute_fans(kernel, layout=layout) == keras_fans(kernel) == (row["fan_in"], row["fan_out"])


def test_layouts_differ_when_a_shape_is_read_in_the_wrong_layout():
    # a torch conv weight read with Keras's rule: rf = out·in, fan_in = kh·out·in
    assert compute_fans((128, 64, 3, 3), layout="keras") == (3 * 128 * 64, 3 * 128 * 64)
    assert compute_fans((128, 64, 3, 3)) == (64 * 9, 128 * 9)


def test_low_rank_shapes_by_layout():
    assert compute_fans((), layout="keras") == (1, 1)
    assert compute_fans((7,), layout="keras") == (7, 7)
    for layout in ("torch", "jax"):
        for shape in [(), (7,)]:
            with pytest.raises(InitvizError, match="at least 2 dimensions"):
                compute_fans(shape, layout=layout)


@pytest.mark.parametrize("kwargs, argument", [
    ({"layout": "tf"}, "layout"), ({"groups": 0}, "groups"), ({"groups": 3}, "groups"),
    ({"groups": True}, "groups"), ({"transposed": 1}, "transposed"),
])
def test_fan_argument_errors_name_the_argument(kwargs, argument):
    with pytest.raises(InitvizError, match=f"`{argument}`"):
        compute_fans((8, 4, 3, 3), **kwargs)


@pytest.mark.parametrize("shape", [(4, -1), (2.0, 3), "ab", 5, (True, 2)])
def test_bad_shapes(shape):
    with pytest.raises(InitvizError, match="`shape`"):
        compute_fans(shape)


@pytest.mark.parametrize("row", FIXTURE["gains"], ids=lambda r: f"{r['nonlinearity']}-{r['param']}")
def test_gains_equal_torch(row):
    assert calculate_gain(row["nonlinearity"], row["param"]) == pytest.approx(row["gain"], rel=REL)


def test_gain_formulas():
    # independent of torch: the table in torch's documentation
    assert calculate_gain("tanh") == 5 / 3
    assert calculate_gain("relu") == math.sqrt(2)
    assert calculate_gain("selu") == 0.75
    assert calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)), rel=REL)
    assert calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04), rel=REL)
    assert calculate_gain("leaky_relu", 0) == math.sqrt(2)


@pytest.mark.parametrize("row", FIXTURE["gain_errors"], ids=lambda r: f"{r['nonlinearity']}-{r['param']}")
def test_gain_errors_where_torch_errs(row):
    assert row["raised"] and row["type"] == "ValueError"
    argument = "param" if row["nonlinearity"] == "leaky_relu" else "nonlinearity"
    with pytest.raises(InitvizError, match=f"`{argument}`"):
        calculate_gain(row["nonlinearity"], row["param"])


def test_unknown_nonlinearity_lists_options():
    with pytest.raises(InitvizError, match="relu, leaky_relu, selu"):
        calculate_gain("gelu")


@pytest.mark.parametrize("param", [math.nan, math.inf])
def test_non_finite_slope_is_rejected(param):
    with pytest.raises(InitvizError, match="`param`"):
        calculate_gain("leaky_relu", param)
