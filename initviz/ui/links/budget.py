"""What every page's hosted compute budget shares (:mod:`.propagation`, :mod:`.training`,
:mod:`.geometry`): a view is computed as asked when it fits (or on a local instance); over the budget
a page may shrink its statistical sample, else it computes nothing and offers choices that fit — one
change each, as links — and never changes the question (the network, the schemes compared, the
shape asked about)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import deployment
from .grammar import Notice, Settings


FIT_PROBLEM = "the hosted demo computes for one view (a few seconds)"
"""The words every notice of a sample cut ends its problem with (tests and the page look for them)."""


@dataclass(frozen=True)
class Fit:
    """How a view meets the hosted compute budget (Propagation's :func:`fit`; Training's
    :func:`.training.fit_view`).

    ``asked``: the settings as asked (the controls and the link keep them). ``fits``: whether the view
    is computed. ``settings``: what is computed — ``asked`` with the statistical sample cut (batch, then
    seeds; never depth, widths, activation or schemes) when ``fits``, else ``asked``. ``cut``: one
    notice per cut parameter (its value actually used). ``over``: the asked view's cost over the
    budget (≤ 1: it fits as asked). ``choices``: when it does not fit even with the smallest sample,
    (label, settings) pairs that each fit — one change the user may choose."""

    asked: Settings
    fits: bool
    settings: Settings
    cut: tuple[Notice, ...] = ()
    over: float = 0.0
    choices: tuple[tuple[str, Settings], ...] = ()


def as_asked(settings: Mapping[str, Any], excess) -> Fit:
    """The view as asked, computed (``fits``) when no budget applies (a local instance) or when
    ``excess(settings) ≤ 1``; else not yet (its ``over`` says by how much)."""
    asked = dict(settings)
    if not deployment.current().page_budgets:
        return Fit(asked, True, asked)
    over = excess(asked)
    return Fit(asked, over <= 1, asked, over=over)


def fewer_compared(asked: Settings, fits) -> tuple[tuple[str, Settings], ...]:
    """The choice "compare fewer schemes": the most comparisons (dropping the last ones) whose view
    ``fits``; none when even none does."""
    compare = asked["compare"]
    for keep in range(len(compare) - 1, -1, -1):
        trial = {**asked, "compare": compare[:keep]}
        if fits(trial):
            return ((f"compare {1 + keep} scheme{'s' if keep else ''} (without {', '.join(compare[keep:])})", trial),)
    return ()


def largest(settings: Mapping[str, Any], name: str, lo: int, hi: int, excess, sample=lambda s: s) -> int | None:
    """The largest value of ``name`` in [lo, hi] whose view (through ``sample``) fits its budget
    (``excess(settings) ≤ 1``), or None. The work must grow with the value (a bisection)."""
    def fits(value: int) -> bool:
        return excess(sample({**settings, name: value})) <= 1

    if hi < lo or not fits(lo):
        return None
    while lo < hi:  # fits(lo)
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(mid) else (lo, mid - 1)
    return lo


def times(ratio: float) -> str:
    """A cost ratio in words: "about 3×", "about 40×"."""
    return f"about {ratio:.1f}×" if ratio < 10 else f"about {ratio:,.0f}×"
