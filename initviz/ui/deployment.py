"""Which limits the app applies: a deployment setting, read from the environment, never from a link.

``INITVIZ_LIMITS`` (an environment variable, else a Streamlit secret of the same name) is one of

* ``hosted`` (the default: what ``streamlit run app.py`` on a hosting service gets) — a public
  instance shared by many anonymous users: the core checks every call against
  :meth:`initviz.limits.Budget.hosted`, each page keeps a view within its compute budget (Propagation
  cuts only its statistical sample, else computes nothing and offers choices that fit —
  :func:`initviz.ui.links.propagation.fit`; other pages reduce a view, with a notice), and a view's runs stop at
  :data:`HOSTED`'s deadline;
* ``local`` (``make run``: someone on their own machine) — :meth:`~initviz.limits.Budget.local`
  (the structural limits of the link schema and the core only, memory bounded), no page compute
  budget: the view asked for is the view computed, however long it takes, up to
  :data:`LOCAL`'s deadline.

An unknown value falls back to ``hosted`` (the safe side) and is logged for the operator.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from ..limits import Budget

SETTING = "INITVIZ_LIMITS"
"""Name of the environment variable (or Streamlit secret) that chooses the limits."""

LOG = logging.getLogger("initviz.ui")


@dataclass(frozen=True)
class Limits:
    """What one deployment setting applies: the core's ``budget``, whether each page enforces its
    compute budget (``page_budgets``), and the seconds one view's computations may take together
    (``view_deadline``; a worker call is abandoned ``worker_grace`` seconds after it)."""

    name: str
    budget: Budget
    page_budgets: bool
    view_deadline: float
    worker_grace: float = 40.0


HOSTED = Limits("hosted", Budget.hosted(), page_budgets=True, view_deadline=20.0)
LOCAL = Limits("local", Budget.local(), page_budgets=False, view_deadline=600.0)
CHOICES = {limits.name: limits for limits in (HOSTED, LOCAL)}


def _secret() -> str | None:
    """``INITVIZ_LIMITS`` from Streamlit's secrets, or None (no secrets file, or not set)."""
    try:
        import streamlit as st

        value = st.secrets.get(SETTING)
    except Exception:  # no secrets.toml (Streamlit raises), or a malformed one: the environment decides
        return None
    return None if value is None else str(value)


def current() -> Limits:
    """The limits of this process: ``INITVIZ_LIMITS`` from the environment, else the secret, else hosted."""
    value = os.environ.get(SETTING)
    if value is None:
        value = _secret()
    if value is None:
        return HOSTED
    choice = CHOICES.get(value.strip().lower())
    if choice is None:
        LOG.warning("%s=%r is not one of %s: applying the hosted limits", SETTING, value[:40], ", ".join(CHOICES))
        return HOSTED
    return choice


__all__ = ["Limits", "HOSTED", "LOCAL", "CHOICES", "SETTING", "current"]
