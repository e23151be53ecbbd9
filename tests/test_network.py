"""Network: the issue's constructor, frozen/hashable/canonical, per-layer laws, validation via limits."""

import dataclasses
import math
import pickle

import pytest

from initviz import InitvizError
from initviz.limits import MAX_DEPTH, MAX_WEIGHTS, MAX_WIDTH, Budget
from initviz.network import Network


def test_issue_constructor_and_structure():
    net = Network.mlp(input_dim=512, widths=[512] * 30, activation="relu", init="kaiming_normal",
                      init_params={"nonlinearity": "relu"}, bias="zeros", bias_value=0.0)
    assert net.depth == 30 and net.dims == (512,) * 31
    assert net.shapes[0] == (512, 512) and net.n_weights == 30 * 512 * 512
    assert all(pair == ("relu", None) for pair in net.activations)
    law = net.weight_law(1)
    assert law.kind == "normal" and law.std == pytest.approx(math.sqrt(2.0 / 512))  # He: gain √2 / √fan_in
    assert net.bias_law(1) is None


def test_torch_layout_shapes_with_varying_widths():
    net = Network.mlp(input_dim=10, widths=[20, 30, 5], init="xavier_uniform")
    assert net.shapes == ((20, 10), (30, 20), (5, 30))  # (fan_out, fan_in)
    # xavier_uniform bound √6/√(fan_in + fan_out), variance bound²/3
    assert net.weight_law(2).var == pytest.approx(6.0 / (20 + 30) / 3)


def test_frozen_hashable_and_canonical():
    a = Network.mlp(init="kaiming_normal", init_params={"mode": "fan_in", "nonlinearity": "relu"})
    b = Network.mlp(init="kaiming_normal", init_params={"nonlinearity": "relu"})  # mode defaults to fan_in
    c = Network.mlp(init="kaiming_normal", init_params={"nonlinearity": "relu", "mode": "fan_in"})
    assert a == b == c and hash(a) == hash(b) == hash(c) and len({a, b, c}) == 1
    assert a != Network.mlp(init="kaiming_normal", init_params={"nonlinearity": "tanh"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.input_dim = 3
    again = pickle.loads(pickle.dumps(a))
    assert again == a and hash(again) == hash(a) and again.weight_law(3) == a.weight_law(3)
    assert Network.from_dict(a.to_dict()) == a


def test_per_layer_activation_override():
    net = Network.mlp(input_dim=8, widths=[8, 8, 8], activation="tanh",
                      layer_activations={3: "linear", 2: ("leaky_relu", 0.2)})
    assert net.activations == (("tanh", None), ("leaky_relu", 0.2), ("linear", None))
    assert net.activation(2)(-1.0) == pytest.approx(-0.2)
    # an override equal to the default gives the same network (same cache key)
    assert Network.mlp(input_dim=8, widths=[8], activation="tanh", layer_activations={1: "tanh"}) == \
        Network.mlp(input_dim=8, widths=[8], activation="tanh")


def test_bias_rules():
    shape_in = 256
    plain = dict(input_dim=shape_in, widths=[64, 32])
    assert Network.mlp(**plain, bias="zeros").bias_law(1) is None
    const = Network.mlp(**plain, bias="constant", bias_value=0.1).bias_law(2)
    assert (const.mean, const.var) == (pytest.approx(0.1), 0.0)
    normal = Network.mlp(**plain, bias="normal", bias_value=0.05).bias_law(1)
    assert normal.kind == "normal" and (normal.mean, normal.var) == (0.0, pytest.approx(0.0025))
    # torch nn.Linear: bias ~ U(±1/√fan_in), from the weight's fan_in
    torch_bias = Network.mlp(**plain, init="torch_default", bias="scheme")
    assert torch_bias.bias_law(1).support == pytest.approx((-1 / math.sqrt(256), 1 / math.sqrt(256)))
    assert torch_bias.bias_law(2).support == pytest.approx((-1 / math.sqrt(64), 1 / math.sqrt(64)))
    assert Network.mlp(**plain, init="kaiming_normal", bias="scheme").bias_law(1) is None  # no own rule


def test_depth_500_and_the_limits():
    assert MAX_DEPTH >= 500
    assert Network.mlp(input_dim=64, widths=[64] * 500).depth == 500
    width = int(math.isqrt(MAX_WEIGHTS // 10)) + 1  # ten square layers just over the hosted weight budget
    if width <= MAX_WIDTH:
        with pytest.raises(InitvizError, match="MAX_WEIGHTS"):
            Network.mlp(input_dim=width, widths=[width] * 10, budget=Budget.hosted())
        assert Network.mlp(input_dim=width, widths=[width] * 10).n_weights > MAX_WEIGHTS  # the local default


@pytest.mark.parametrize("kwargs,fragment", [
    (dict(widths=[]), "Argument `widths` must have between 1 and MAX_DEPTH"),
    (dict(widths=[512] * (MAX_DEPTH + 1)), "Argument `widths` must have between 1 and MAX_DEPTH"),
    (dict(widths=[0]), "Argument `widths` must be an int in [1, 4096]"),
    (dict(widths=[MAX_WIDTH + 1]), "Argument `widths` must be an int"),
    (dict(widths=[1.5]), "Argument `widths` must be an int"),
    (dict(widths=[True]), "Argument `widths` must be an int"),
    (dict(input_dim=0), "Argument `input_dim` must be an int"),
    (dict(init="glorot"), "Argument `init` must be one of uniform, normal"),
    (dict(init_params={"mode": "fan_sideways"}), "Argument `mode` must be one of fan_in, fan_out"),
    (dict(init_params={"a": float("inf")}), "must be finite"),
    (dict(init_params={"a": [1]}), "Argument `init_params` must map str names"),
    (dict(bias="uniform"), "Argument `bias` must be one of zeros, constant, normal, scheme"),
    (dict(bias="normal", bias_value=-0.1), "Argument `bias_value` must be a finite number in [0.0, inf]"),
    (dict(bias="constant", bias_value=float("nan")), "Argument `bias_value` must be a finite number"),
    (dict(activation="swish"), "Argument `activation` must be one of"),
    (dict(layer_activations={31: "tanh"}), "Argument `layer_activations` must be an int in [1, 30]"),
])
def test_invalid_networks_raise_initviz_errors(kwargs, fragment):
    with pytest.raises(InitvizError) as err:
        Network.mlp(**kwargs)
    assert fragment in str(err.value)
