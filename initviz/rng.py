"""Randomness: every random draw in initviz comes from an explicit seed.

One spelling everywhere: ``seed=`` — an int, a :class:`numpy.random.SeedSequence` or a
:class:`numpy.random.Generator` (used as is, so successive calls continue its stream), or None for
fresh OS entropy (not reproducible). Global RNG state is never read or written.
:func:`initviz.propagate` and :func:`initviz.jacobian.jacobian_spectrum` take an int seed only:
each (repeat, role, layer) gets its own stream :func:`stream` ``(seed, repeat, role, layer)``, a
:class:`numpy.random.SeedSequence` spawn key, so adding a layer does not change the weights of the
layers before it and two init schemes compared with the same seed see the same inputs — a
Generator has no such keyed streams, only its one running state.

``rng=`` was the former name of ``seed=`` in :func:`initviz.sample`, the scheme functions,
:meth:`initviz.Law.sample`/:meth:`~initviz.Law.base` and :func:`as_generator`; it still works for one
release, with a :class:`DeprecationWarning` and the same numbers.
"""

from __future__ import annotations

import functools
import numbers
import warnings

import numpy as np

from .errors import invalid

SeedLike = "int | np.random.Generator | np.random.SeedSequence | None"
"""What a ``seed=`` argument accepts."""

RngLike = SeedLike
"""Former name of :data:`SeedLike`."""

ROLE_INPUTS, ROLE_WEIGHTS, ROLE_BIASES, ROLE_PROBE, ROLE_DATA = 0, 1, 2, 3, 4
"""Stream roles: ``stream(seed, repeat, role, layer)`` draws a propagation's input batch (layer 0),
the weights and biases of layer l, and the backward probe (layer 0) of one repeat;
:mod:`initviz.jacobian` draws its weights from the same ``ROLE_WEIGHTS`` streams, and
:func:`initviz.train` starts from them too, visiting the training data of epoch e in the order of
``stream(seed, repeat, ROLE_DATA, e)``."""

ROLE_IO_WEIGHTS, ROLE_IO_BIASES = 5, 6
"""The streams of a residual network's input layer (layer 0) and readout (layer 1):
``stream(seed, repeat, ROLE_IO_WEIGHTS, k)`` their weights, ``ROLE_IO_BIASES`` their biases
(:mod:`initviz.residual`) — none of the blocks' streams, so the blocks draw the same weights with or
without them."""

SEED_RULE = "be a non-negative int seed, a numpy Generator or SeedSequence"


def check_seed(seed, name: str = "seed") -> None:
    """InitvizError naming the argument ``name`` unless ``seed`` is a :data:`SeedLike`."""
    if seed is None or isinstance(seed, (np.random.Generator, np.random.SeedSequence)):
        return
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or int(seed) < 0:
        raise invalid(name, SEED_RULE, seed)


def rng_alias(func):
    """Let ``func`` (whose argument is ``seed``) accept the deprecated keyword ``rng=``: the value
    is passed on as ``seed`` (same numbers) with a DeprecationWarning; an invalid value names
    `rng`, as before; giving both is an InitvizError."""

    @functools.wraps(func)
    def accepting_rng(*args, **kwargs):
        if "rng" in kwargs:
            value = kwargs.pop("rng")
            if "seed" in kwargs:
                raise invalid("rng", "not be given with `seed` (rng is its deprecated name)", value)
            warnings.warn(f"{func.__qualname__}(rng=...) is deprecated: pass seed=... instead (an int, a "
                          "SeedSequence or a Generator; same numbers). rng= goes in the next release.",
                          DeprecationWarning, stacklevel=2)
            check_seed(value, "rng")
            kwargs["seed"] = value
        return func(*args, **kwargs)

    return accepting_rng


@rng_alias
def as_generator(seed=None) -> np.random.Generator:
    """Return a Generator from an int seed, a SeedSequence, a Generator (returned as is) or None.

    ``None`` draws fresh OS entropy (non-reproducible); it never touches numpy's global state.
    (``rng=`` is the deprecated name of ``seed``.)
    """
    if isinstance(seed, np.random.Generator):
        return seed
    check_seed(seed)
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return np.random.default_rng(seed)
    return np.random.default_rng(int(seed))


def stream(seed: int, *key: int) -> np.random.Generator:
    """The independent stream named by ``key`` under ``seed`` (a SeedSequence spawn key)."""
    if not isinstance(seed, numbers.Integral) or isinstance(seed, bool) or int(seed) < 0:
        raise invalid("seed", "be a non-negative int", seed)
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in key)))
