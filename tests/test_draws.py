"""Draw versions: version 1 reproduces the numbers drawn before draw versions existed (the fixture
``tests/fixtures/draws_v1_reference.json``, written by ``scripts/make_draws_v1_fixture.py`` from the
code of commit 7bac979), in the core and through an old Propagation link; version 2 is a different
draw of the same law, covering a propagation's inputs, probe and normal weights and biases.

Tolerances: sampled values, with no BLAS in the way, are equal exactly (the same calls); statistics of
a propagation pass through BLAS products, whose rounding depends on the kernel (``.ci/run`` runs other
OpenBLAS kernels), so they are compared at 1e-10 relative in float64 (a few ulp per product, grown
over ≤ 8 layers) and 1e-5 in float32 (float32 products round at 6e-8, summed over ≤ 300 terms and
8 layers), both far below the ~1e-2 relative change that another draw of the weights makes."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

import initviz as iv
from initviz.ui import links
from test_app_support import chart, open_page, text_of, trace

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "draws_v1_reference.json").read_text())
RTOL = {"float64": 1e-10, "float32": 1e-5}
ATOL = 1e-9  # statistics that are ~0 (a correlation, a mean) where a relative tolerance means nothing


def _close(got, want, dtype):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float), rtol=RTOL[dtype],
                               atol=ATOL)


@pytest.mark.parametrize("case", FIXTURE["samples"], ids=lambda c: f"{c['law']['kind']}-{c['dtype']}-{c['shape']}")
def test_version_1_samples_are_the_numbers_drawn_before_draw_versions(case):
    law = iv.Law(**case["law"])
    for x in (law.sample(tuple(case["shape"]), seed=case["seed"], dtype=case["dtype"]),
              law.sample(tuple(case["shape"]), seed=case["seed"], dtype=case["dtype"], draws=1)):
        x = x.ravel()
        assert x[:7].astype(float).tolist() == case["head"] and x[-3:].astype(float).tolist() == case["tail"]
        assert math.fsum(x.astype(float).tolist()) == case["sum"]


@pytest.mark.parametrize("case", FIXTURE["propagations"], ids=lambda c: f"{c['net']['activation']}-{c['run']['dtype']}")
def test_version_1_propagations_are_the_statistics_computed_before_draw_versions(case):
    net = iv.Network.mlp(**case["net"])
    for kwargs in ({}, {"draws": 1}):
        res = iv.propagate(net, **case["run"], histograms=(), **kwargs)
        assert res.draws == 1
        for name, values in case["stats"].items():
            _close(res.over_seeds(name), values, case["run"]["dtype"])


@pytest.mark.parametrize("case", FIXTURE["propagations"], ids=lambda c: f"{c['net']['activation']}-{c['run']['dtype']}")
def test_version_2_draws_float32_runs_anew_and_float64_runs_as_version_1(case):
    net = iv.Network.mlp(**case["net"])
    res = iv.propagate(net, **case["run"], histograms=(), draws=2)
    assert res.draws == 2
    stats = res.over_seeds("preact_var")
    if case["run"]["dtype"] == "float64":
        _close(stats, case["stats"]["preact_var"], "float64")
    else:  # other weights and inputs: the same law, other numbers (well beyond the BLAS tolerance)
        assert np.max(np.abs(stats / np.asarray(case["stats"]["preact_var"]) - 1)) > 100 * RTOL["float32"]


def test_version_2_covers_the_inputs_the_probe_and_normal_weights_and_biases_only():
    """Each stream of a version-2 run is version 2's draw of it: the inputs and probe (standard normals),
    normal weights and biases; a uniform law draws as in version 1 (the layer's weight_std equal)."""
    from initviz.engine.run import Run, draw_layer
    net = iv.Network.mlp(8, [8, 8], "tanh", "xavier_normal", bias="normal", bias_value=0.1)
    for draws in (1, 2):
        run = Run(net, 4, 3, np.dtype("float32"), 1, "normal", 0.5, True, True, 10, None, draw_version=draws)
        gen = lambda role, layer: iv.stream(3, 0, role, layer)  # noqa: E731
        expect = lambda role, layer, shape: iv.normals.standard_normal(gen(role, layer), shape, "float32", draws)  # noqa: E731
        np.testing.assert_array_equal(run.draw_inputs(0), expect(0, 0, (4, 8)))
        np.testing.assert_array_equal(run.probe(0, 8), expect(3, 0, (4, 8)))
        W, b = draw_layer(net, 3, 0, 2, np.dtype("float32"), draws)
        law = net.weight_law(2)
        np.testing.assert_array_equal(W, law.sample((8, 8), gen(1, 2), "float32", draws))
        np.testing.assert_array_equal(b, net.bias_law(2).sample((8,), gen(2, 2), "float32", draws))
    uniform = iv.Network.mlp(64, [64] * 3, "tanh", "xavier_uniform")
    a, b = (iv.propagate(uniform, batch=16, seed=1, histograms=(), draws=d).over_seeds("weight_std") for d in (1, 2))
    np.testing.assert_array_equal(a, b)


def test_propagate_refuses_a_draw_version_it_does_not_have():
    net = iv.Network.mlp(4, [4], "tanh", "normal")
    with pytest.raises(iv.InitvizError, match="`draws`"):
        iv.propagate(net, batch=4, draws=3)


# --- the app: an old link keeps its numbers, a link with draws=2 draws version 2 -------------------------

def _traces(at, key: str, names) -> dict:
    fig = chart(at, key)
    return {name: np.asarray(trace(fig, name)["y"], dtype=float) for name in names}


@pytest.fixture(scope="module")
def old_link():
    """The fixture's Propagation link (made before draw versions: no ``draws``) in its two views."""
    link = FIXTURE["app"]["link"]
    return {view: open_page("propagation", {**link, "view": view}) for view in ("forward", "backward")}


def test_a_link_made_before_draw_versions_shows_the_numbers_it_showed_then(old_link):
    runs = FIXTURE["app"]["runs"]
    assert "draws" not in dict(old_link["forward"].query_params)  # absent: version 1, not written back
    for view, keys in (("forward", ("preact_var", "act_var")), ("backward", ("grad_var", "grad_w_var"))):
        for key in keys:
            for name, y in _traces(old_link[view], key, runs).items():
                _close(y, runs[name][key], "float32")
    assert "draws v1" in text_of(old_link["forward"])


def test_a_link_with_draws_2_draws_version_2_and_says_so():
    link = {**FIXTURE["app"]["link"], "draws": "2"}
    at = open_page("propagation", link)
    assert dict(at.query_params)["draws"] == "2"  # the canonical link keeps it
    assert "draws v2" in text_of(at)
    settings, _ = links.constrain("propagation", links.SCHEMAS["propagation"].parse(link)[0])
    for run in links.propagation.runs(settings, budget=iv.Budget.local()):
        assert run.propagate["draws"] == 2
        res = iv.propagate(run.build(), **run.propagate)
        y = _traces(at, "preact_var", [run.name])[run.name]
        _close(y, res.over_seeds("preact_var"), "float32")
        assert np.max(np.abs(y / np.asarray(FIXTURE["app"]["runs"][run.name]["preact_var"]) - 1)) > 1e-3


def test_choosing_version_2_on_the_page_writes_draws_2_into_the_link_and_back_to_1_drops_it():
    at = open_page("propagation", FIXTURE["app"]["link"])
    at.radio(key="draws").set_value("2").run()
    assert dict(at.query_params)["draws"] == "2" and "draws v2" in text_of(at)
    at.radio(key="draws").set_value("1").run()
    assert "draws" not in dict(at.query_params) and "draws v1" in text_of(at)
