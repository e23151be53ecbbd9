"""Randomness: every random draw in initviz comes from an explicit seed or Generator.

Global RNG state is never read or written. A seed is turned into independent streams with
:class:`numpy.random.SeedSequence` spawn keys, so each (repeat, role, layer) has its own stream:
adding a layer does not change the weights of the layers before it, and two init schemes compared
with the same seed see the same inputs.
"""

from __future__ import annotations

import numbers

import numpy as np

from .errors import invalid

RngLike = "int | np.random.Generator | np.random.SeedSequence | None"

ROLE_INPUTS, ROLE_WEIGHTS, ROLE_BIASES, ROLE_PROBE = 0, 1, 2, 3
"""Stream roles of a propagation: ``stream(seed, repeat, role, layer)`` draws the input batch
(layer 0), the weights and biases of layer l, and the backward probe (layer 0) of one repeat;
:mod:`initviz.jacobian` draws its weights from the same ``ROLE_WEIGHTS`` streams."""


def as_generator(rng=None) -> np.random.Generator:
    """Return a Generator from an int seed, a SeedSequence, a Generator (returned as is) or None.

    ``None`` draws fresh OS entropy (non-reproducible); it never touches numpy's global state.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and int(rng) >= 0:
        return np.random.default_rng(int(rng))
    raise invalid("rng", "be a non-negative int seed, a numpy Generator or SeedSequence", rng)


def stream(seed: int, *key: int) -> np.random.Generator:
    """The independent stream named by ``key`` under ``seed`` (a SeedSequence spawn key)."""
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or int(seed) < 0:
        raise invalid("seed", "be a non-negative int", seed)
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in key)))
