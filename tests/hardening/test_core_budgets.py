"""The compute budget lives in the core, not only in the UI (issue 4): every request that would
ask for more than a named limit of the hosted budget (what the app passes on a public instance) is
refused *before* any work (in well under a second, whatever it asked), and a propagation past its
deadline returns what it has, with a message."""

import math
import time

import numpy as np
import pytest

from initviz import geometry as geo
from initviz import limits
from initviz.errors import InitvizError
from initviz.network import Network
from initviz.propagation import propagate

HOSTED = limits.Budget.hosted()

REFUSE_S = 0.5
"""A refused request must not have started computing: far below one layer of the work it asked for."""


def _refused(call) -> str:
    start = time.process_time()
    with pytest.raises(InitvizError) as err:
        call()
    assert time.process_time() - start < REFUSE_S
    return str(err.value)


def test_network_size_is_bounded_by_the_weight_budget():
    message = _refused(lambda: Network.mlp(input_dim=4096, widths=(4096,) * 20, activation="relu", init="xavier_normal",
                                            budget=HOSTED))
    assert "MAX_WEIGHTS" in message  # 20·4096² = 3.4e8 > 2^27


@pytest.mark.parametrize(("width", "depth", "kwargs", "limit"), [
    (512, 120, dict(batch=4096, n_seeds=32), "MAX_ACTIVATIONS"),  # 32·4096·(120·512) = 8.1e9 > 2^25
    (4096, 4, dict(batch=1024), "MAX_MACS"),                       # 1024·(4·4096²) = 6.9e10 > 2^33
])
def test_propagate_refuses_a_request_beyond_its_budget_before_computing(width, depth, kwargs, limit):
    net = Network.mlp(input_dim=width, widths=(width,) * depth, activation="tanh", init="xavier_normal")
    assert limit in _refused(lambda: propagate(net, **kwargs, budget=HOSTED))


def test_propagate_refuses_orthogonal_sampling_beyond_the_draw_budget():
    # one orthogonal 4096×4096 layer costs 4096²·(2 + 4096/60) ≈ 1.2e9 normal draws > MAX_WEIGHT_DRAWS = 2^26
    net = Network.mlp(input_dim=4096, widths=(4096,), activation="linear", init="orthogonal")
    assert "MAX_WEIGHT_DRAWS" in _refused(lambda: propagate(net, batch=2, budget=HOSTED))


def test_past_the_deadline_propagate_returns_partial_results_with_a_message():
    net = Network.mlp(input_dim=512, widths=(512,) * 100, activation="tanh", init="xavier_normal")
    deadline = 0.2
    start = time.perf_counter()
    res = propagate(net, batch=256, deadline=deadline, seed=3)
    elapsed = time.perf_counter() - start
    # the full run (100 layers of a 256×512 @ 512×512 product, forward and backward, ~1–2 s) is far past 0.2 s
    assert res.truncated and "deadline" in res.reason
    done = int(res.layers_done[0])
    assert 0 < done < net.depth
    # checked between layers: it stops within one more layer (a few tens of ms), with a wide margin for load
    assert elapsed < deadline + 5.0
    var = res.stats["preact_var"][0]
    assert np.isfinite(var[:done]).all() and np.isnan(var[done:]).all()  # absent past the stop, never garbage


@pytest.mark.parametrize(("call", "limit"), [
    (lambda: geo.norm_ratios(4096, 4096, "orthogonal", samples=16), "MAX_ORTHOGONAL_WORK"),
    (lambda: geo.norm_ratios(4096, 4096, "normal", samples=200_000), "MAX_NORM_WORK"),
    (lambda: geo.gram_spectrum(4096, 4096, "normal"), "SPECTRUM_MAX_WORK"),
    (lambda: geo.gram_sweep(dims=(4096,), ensembles=("orthogonal",)), "MAX_ORTHOGONAL_WORK"),
    (lambda: geo.sample_angles(100_000, pairs=100_000), "MAX_ANGLE_ENTRIES"),
    (lambda: geo.sample_matrix("normal", 16384, 16384), "MAX_MATRIX_ENTRIES"),
])
def test_geometry_refuses_work_beyond_its_named_limits(call, limit):
    assert limit in _refused(call)


def test_the_budgets_are_named_powers_of_two_where_the_docs_say_so():
    """The limits the README and the notices quote are the constants the core checks."""
    for value in (limits.MAX_WEIGHTS, limits.MAX_ACTIVATIONS, limits.MAX_MACS, limits.MAX_WEIGHT_DRAWS,
                  geo.MAX_NORM_WORK, geo.MAX_ORTHOGONAL_WORK, geo.SPECTRUM_MAX_WORK):
        assert value > 0 and math.log2(value).is_integer()
