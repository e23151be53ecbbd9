"""Wall-clock timing shared by every part of the bench (stdlib only: the torch subprocess uses it too).

A measurement is ``warmup`` untimed calls, then ``repeats`` timed calls with ``time.perf_counter``;
the figure reported is the median (robust to a neighbour's burst on a shared machine), with the
minimum and maximum beside it. A long computation gets fewer timed calls: when the last warm-up
call times ``repeats`` would exceed ``budget`` seconds, only ``max(1, budget // warm-up)`` are made.
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


def time_calls(fn: Callable[[], object], repeats: int, warmup: int = 1, budget: float | None = None) -> dict:
    """Run ``fn`` ``warmup`` times untimed, then ``repeats`` times timed (fewer if over ``budget``,
    see the module docstring); seconds as a dict with ``median``, ``min``, ``max`` and every
    ``times`` value."""
    for _ in range(warmup):
        start = time.perf_counter()
        fn()
        warm = time.perf_counter() - start
        if budget is not None and warm * repeats > budget:
            repeats = max(1, int(budget // warm))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "times": times}
