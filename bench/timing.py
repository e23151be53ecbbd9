"""Wall-clock timing shared by every part of the bench (stdlib only: the torch subprocess uses it too).

A measurement is ``warmup`` untimed calls, then ``repeats`` timed calls with ``time.perf_counter``;
the figure reported is the median (robust to a neighbour's burst on a shared machine), with the
minimum and maximum beside it. Computations that are compared are timed in alternation
(:func:`time_interleaved`); a long computation gets fewer timed calls (``budget``).
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

QUICK_REPEATS = 3
"""Timed calls per measurement with ``--quick``."""

FULL_REPEATS = 7
"""Timed calls per measurement by default."""

BUDGET_S = 30.0
"""Default time budget of one measurement's timed calls (seconds)."""


class SelfTimed(float):
    """Seconds a call measured itself (e.g. in another process): :func:`time_interleaved` takes
    this instead of its own wall time, which would add the round trip."""


def _summary(times: list[float]) -> dict:
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "times": times}


def time_interleaved(fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 1,
                     budget: float | None = None) -> dict[str, dict]:
    """Time several computations in alternation, so that on a shared machine they all see the same
    load: each round calls every function once (in the given order). ``warmup`` rounds are not
    timed, then up to ``repeats`` rounds are; a function returning :class:`SelfTimed` reports its
    own seconds. Per function: ``median``, ``min``, ``max`` and every ``times`` value.

    With a ``budget`` (seconds): rounds stop once the timed seconds of all functions add up to it
    (at least one round is timed), and a warm-up round that alone takes longer than the budget is
    kept as the only sample (first-call effects are milliseconds; a second call of a minute-long
    computation buys nothing).
    """
    def one_round() -> dict[str, float]:
        out = {}
        for name, fn in fns.items():
            start = time.perf_counter()
            result = fn()
            out[name] = result if isinstance(result, SelfTimed) else time.perf_counter() - start
        return out

    rounds = []
    for _ in range(warmup):
        warm = one_round()
        if budget is not None and sum(warm.values()) >= budget:
            rounds.append(warm)
            break
    while len(rounds) < repeats and not (rounds and budget is not None
                                         and sum(sum(r.values()) for r in rounds) >= budget):
        rounds.append(one_round())
    return {name: _summary([r[name] for r in rounds]) for name in fns}


def time_calls(fn: Callable[[], object], repeats: int, warmup: int = 1, budget: float | None = None) -> dict:
    """:func:`time_interleaved` of one function."""
    return time_interleaved({"fn": fn}, repeats, warmup, budget)["fn"]
