"""The maps layer by layer (initviz.criticality.map_iterates) and their measurement on finite
networks (measure_maps).

Tolerances, from the mathematics:
* map_iterates against closed forms (ReLU's arc-cosine kernel) — rounding, rel 1e−12;
* map_iterates' deep iterates against the phase diagram's fixed points — the iterates approach q*
  and c* like χ^l, so after 400 layers at χ_c ≈ 0.6 the distance is far below the solvers' ~1e−9;
* measurement against theory — 5 standard errors of the mean over seeds (the SE from the seeds'
  own spread), plus the O(1/width) finite-width bias, q·4/width (≲ 1 % at width 500).
"""

import math

import numpy as np
import pytest

import initviz as iv
from initviz import InitvizError
from initviz import criticality as cr


def _relu_c(c):
    """ReLU's correlation map at σ_b = 0: 2·k(c), k the arc-cosine kernel (Cho & Saul 2009)."""
    c = min(max(c, -1.0), 1.0)
    return (math.sqrt(1 - c * c) + (math.pi - math.acos(c)) * c) / math.pi


def test_map_iterates_relu_closed_form():
    th = iv.map_iterates("relu", 2.0, 0.0, 6, q0=[0.7, 3.0], c0=0.1)
    for pair, q0 in enumerate([0.7, 3.0]):
        rows = th[th.pair == pair]
        np.testing.assert_allclose(rows.q, q0, rtol=1e-12)  # σ_w² = 2: E[relu²] = q/2, q is kept
        c = 0.1
        for got in rows.c.iloc[1:]:
            c = _relu_c(c)
            assert got == pytest.approx(c, rel=1e-12)


@pytest.mark.parametrize("name,w2,b2", [("tanh", 4.0, 0.09), ("tanh", 9.0, 1.0), ("sigmoid", 400.0, 0.5)])
def test_map_iterates_reach_the_phase_diagrams_fixed_points(name, w2, b2):
    row = iv.phase_diagram(name, [w2], [b2]).iloc[0]
    assert row.phase == "chaotic" and 0 < row.c_star < 1
    deep = iv.map_iterates(name, w2, b2, 400, q0=1.3, c0=0.6).iloc[-1]
    assert deep.q == pytest.approx(row.q_star, rel=1e-8)
    assert deep.c == pytest.approx(row.c_star, abs=1e-7)


@pytest.mark.parametrize("name,w2,b2,c0", [("tanh", 4.0, 0.09, 0.5), ("tanh", 1.0, 0.01, 0.8),
                                          ("relu", 2.0, 0.0, 0.3), ("gelu", 3.0, 0.2, 0.0)])
def test_measured_maps_match_theory_within_the_standard_error(name, w2, b2, c0):
    n_seeds, width, depth = 16, 500, 4
    measured = iv.measure_maps(name, w2, b2, depth, width, q0=[0.5, 2.0], c0=c0, n_seeds=n_seeds, seed=3)
    theory = iv.map_iterates(name, w2, b2, depth, q0=[0.5, 2.0], c0=c0).set_index(["pair", "layer"])
    stats = measured.groupby(["pair", "layer"])[["q", "c"]].agg(["mean", "std"])
    for col in ("q", "c"):
        mean, se = stats[(col, "mean")], stats[(col, "std")] / math.sqrt(n_seeds)
        bias = 4 * theory["q"] / width if col == "q" else 4.0 / width
        assert np.all(np.abs(mean - theory[col]) <= 5 * se + bias), col


def test_measurement_streams():
    a = iv.measure_maps("tanh", 2.0, 0.1, 5, 64, c0=0.3, n_seeds=2, seed=7)
    b = iv.measure_maps("tanh", 2.0, 0.1, 3, 64, c0=0.3, n_seeds=3, seed=7)
    # one stream per (repeat, role, layer): a shorter network has the same first layers, a repeat the same draws
    pd_a = a[(a.layer <= 3)].reset_index(drop=True)
    pd_b = b[b.seed < 2].reset_index(drop=True)
    np.testing.assert_array_equal(pd_a.to_numpy(), pd_b.to_numpy())
    c = iv.measure_maps("tanh", 2.0, 0.1, 5, 64, c0=0.3, n_seeds=2, seed=8)
    assert not np.allclose(a.q.to_numpy()[1:], c.q.to_numpy()[1:])


def test_measurement_rejects_what_it_cannot_do():
    with pytest.raises(InitvizError, match="width"):
        iv.measure_maps("tanh", 1.0, 0.0, 2, cr.MEASURE_MAX_WIDTH + 1)
    for bad in (0.0, -1.0, math.nan, [], [[1.0]], np.ones(cr.MEASURE_MAX_PAIRS + 1)):
        with pytest.raises(InitvizError, match="q0"):
            iv.map_iterates("tanh", 1.0, 0.0, 2, q0=bad)
    with pytest.raises(InitvizError, match="c0"):
        iv.measure_maps("tanh", 1.0, 0.0, 2, 10, c0=1.5)


def test_an_exploding_network_is_a_result():
    out = iv.measure_maps("linear", 100.0, 0.0, 200, 16, n_seeds=1)  # q grows like 100^l: past float64 at l ≈ 155
    assert np.isfinite(out.q.iloc[100]) and not np.isfinite(out.q.iloc[-1])


@pytest.mark.parametrize("name,w2,b2,c0", [("tanh", 4.0, 0.09, 0.5), ("relu", 2.0, 0.3, 0.9)])
def test_sampling_by_the_law_matches_networks_with_explicit_weights(name, w2, b2, c0):
    # measure_maps draws W^l a by its law given a; here W^l itself, width² normals a layer. At width 40
    # the finite-width fluctuations are large: over 416 networks each, the means of q^l and c^l agree
    # within 5 standard errors of their difference, and their spreads within 5 standard errors of a
    # sample standard deviation's ratio (√(1/(2(n−1))) each, √2 for the ratio).
    width, depth, n = 40, 3, 13 * 32
    act = iv.get_activation(name)
    rng = np.random.default_rng(11)
    q, c = np.empty((n, depth)), np.empty((n, depth))
    for r in range(n):
        z = rng.standard_normal((2, width))
        h = np.stack([z[0], c0 * z[0] + math.sqrt(1 - c0 * c0) * z[1]])
        for layer in range(depth):
            W = rng.standard_normal((width, width)) * math.sqrt(w2 / width)
            h = act(h) @ W.T + math.sqrt(b2) * rng.standard_normal(width)
            q[r, layer] = (h * h).sum() / (2 * width)
            c[r, layer] = (h[0] @ h[1]) / math.sqrt((h[0] @ h[0]) * (h[1] @ h[1]))
    runs = [iv.measure_maps(name, w2, b2, depth, width, c0=c0, n_seeds=32, seed=s) for s in range(13)]
    for col, explicit in (("q", q), ("c", c)):
        ours = np.concatenate([m[m.layer > 0].pivot(index="seed", columns="layer", values=col).to_numpy()
                               for m in runs])
        se = np.sqrt(ours.var(axis=0, ddof=1) / n + explicit.var(axis=0, ddof=1) / n)
        assert np.all(np.abs(ours.mean(axis=0) - explicit.mean(axis=0)) <= 5 * se), col
        ratio = ours.std(axis=0, ddof=1) / explicit.std(axis=0, ddof=1)
        assert np.all(np.abs(ratio - 1) <= 5 * math.sqrt(1 / (n - 1))), col
