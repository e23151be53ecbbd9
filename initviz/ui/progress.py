"""A long view's progress bar and its Cancel button, shared by the pages that compute in worker
processes (Propagation, Training, Width).

A view computes one or more **steps** (a Propagation run per scheme, one after the other; all of a
Training or Width view at once), each kept in a ``st.cache_data`` function used as a store
(:func:`kept`): called without ``_result`` it returns the kept result or raises :class:`NotKept`
(an exception is never cached), called with ``_result`` it keeps that. A step that is not kept is
computed in the workers (:mod:`.workers`) — quickly, under a spinner, when the view is expected to
take less than :data:`PROGRESS_MIN_SECONDS` (no bar flickers); else with a progress channel: the
script thread polls it every :data:`POLL_SECONDS` and updates a bar ("layer 312 of 1000"), beside a
Cancel button, and may draw partial results as they arrive (Training's curves).

**Cancelling.** A click on Cancel (or any control changed meanwhile) makes Streamlit interrupt the
script at its next element update: the bar's. The interruption stops every call of the step (each
returns its truncated result within one unit of work), keeps what they computed in the session
(:data:`STASH_KEY`, one view at a time) and lets the rerun go on. Cancel's callback marks the view
cancelled (:data:`CANCELLED_KEY`): its rerun shows the steps kept and the stashed partial ones,
computes nothing more, and says where it stopped with a button to compute again. A view that was
interrupted by a control change is simply the previous view, and its partial results are dropped.
Complete results are kept as before; partial ones (cancelled or cut by a deadline) never are."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from . import workers

PROGRESS_MIN_SECONDS = 1.0
"""Views expected (by their page's cost estimate) to take at least this long show a progress bar
and a Cancel button; quicker ones a spinner (shown after 0.5 s)."""
POLL_SECONDS = 0.2
"""How often the script thread reads the progress of a running step."""
STASH_KEY = "progress_stash"
"""Session key of the partial results of the last interrupted view: {"view", "steps", "where"}."""
CANCELLED_KEY = "progress_cancelled"
"""Session key of the view whose Cancel was clicked (until "Compute again" or another view)."""
NOTICE_KEY = "progress_notice"
"""Key of the cancelled view's notice (tests find it)."""


class NotKept(Exception):
    """Raised by a store (:func:`kept`) asked for a result it does not hold."""


def kept(result):
    """The body of a store function: ``result`` when given (then kept by ``st.cache_data``), else
    :class:`NotKept` (not cached: the function is called again with the result once computed)."""
    if result is None:
        raise NotKept
    return result


@dataclass(frozen=True)
class Job:
    """One worker call of a step: ``fn(*args, **kwargs)`` (``fn`` accepts ``progress=``)."""

    fn: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


def truncated(result) -> bool:
    """Whether a result was cut short: its ``truncated`` field, or a frame's ``attrs["truncated"]``."""
    attrs = getattr(result, "attrs", None)
    return bool(attrs.get("truncated")) if isinstance(attrs, dict) else bool(getattr(result, "truncated", False))


def _cancel(view) -> None:
    st.session_state[CANCELLED_KEY] = view


def _again(view) -> None:
    st.session_state.pop(CANCELLED_KEY, None)
    st.session_state.pop(STASH_KEY, None)


class View:
    """The computations of one view (``key``: the page and its canonical link), expected to take
    ``seconds``; a context manager that clears its bar when the view is computed."""

    def __init__(self, key, seconds: float, spinner: str):
        self.key, self.spinner = key, spinner
        self.long = seconds >= PROGRESS_MIN_SECONDS
        stash = st.session_state.get(STASH_KEY)
        if stash is not None and stash["view"] != key:  # another view's partial results: gone
            st.session_state.pop(STASH_KEY, None)
            stash = None
        self.cancelled = st.session_state.get(CANCELLED_KEY) == key and stash is not None
        if st.session_state.get(CANCELLED_KEY) not in (None, key):
            st.session_state.pop(CANCELLED_KEY, None)
        self.stash = stash if self.cancelled else None
        self.slot = st.empty()
        self.bar = self.live = None
        self.draws = 0

    def __enter__(self) -> "View":
        return self

    def __exit__(self, *exc) -> None:
        self.slot.empty()

    def step(self, index: int, store: Callable, store_kwargs: dict, jobs: Sequence[Job], *, timeout: float,
             label: Callable[[int, int], str], partial: Callable[[list], Any] | None = None) -> list | None:
        """The results of step ``index`` (one per job, None for a job that never ran): kept by
        ``store(**store_kwargs)``, or stashed when the view was cancelled (None when this step was
        not reached then), or computed now — and kept when none is truncated. ``label(done, total)``
        words the bar; ``partial(results so far)`` (None for a job that sent none yet) makes the figure
        drawn under it as they arrive (None: nothing to draw yet)."""
        try:
            return list(store(**store_kwargs))
        except NotKept:
            pass
        if self.cancelled:
            return self.stash["steps"].get(index)
        calls = [workers.submit(job.fn, *job.args, timeout=timeout, channel=self.long, **job.kwargs) for job in jobs]
        if self.long:
            results = self._watch(index, calls, label, partial)
        else:
            with st.spinner(self.spinner):
                results = self._collect(index, calls, "")
        if not any(truncated(r) for r in results):
            store(**store_kwargs, _result=tuple(results))
        return results

    def _collect(self, index: int, calls: list, where: str) -> list:
        """Every call's result; if waiting is interrupted (a Streamlit rerun), the calls are stopped and
        what they computed is stashed before the interruption goes on."""
        try:
            return [call.result() for call in calls]
        except BaseException:
            self._stop(index, calls, where)
            raise

    def _stop(self, index: int, calls: list, where: str) -> None:
        results = [call.stopped_result() for call in calls]
        stash = st.session_state.get(STASH_KEY)
        if stash is None or stash["view"] != self.key:
            stash = {"view": self.key, "steps": {}, "where": where}
        stash["steps"][index], stash["where"] = results, where
        st.session_state[STASH_KEY] = stash

    def _watch(self, index: int, calls: list, label, partial) -> list:
        """Poll ``calls`` until all have finished, updating the bar (and the partial results)."""
        if self.bar is None:
            with self.slot.container():
                self.bar = st.empty()
                st.button("Cancel", key="progress_cancel", icon=":material/stop_circle:", on_click=_cancel,
                          args=(self.key,), help="Stop computing: the view shows what was computed so far.")
                self.live = st.empty()
        where, shown = label(0, 0), None
        try:
            self.bar.progress(0.0, text=where)
            while not workers.wait(calls, POLL_SECONDS):
                reports = [call.progress() for call in calls]
                done, total = sum(r.get("done", 0) for r in reports), sum(r.get("total", 0) for r in reports)
                where = label(done, total)
                self.bar.progress(min(1.0, done / total) if total else 0.0, text=where)
                sent = [r.get("partials", 0) for r in reports]
                if partial is not None and any(sent) and sent != shown:  # new partial results
                    shown, fig = sent, partial([r.get("partial") for r in reports])
                    if fig is not None:
                        self.draws += 1
                        with self.live.container():
                            _live_chart(fig, self.draws)
        except BaseException:
            self._stop(index, calls, where)
            raise
        return self._collect(index, calls, where)

    def notice(self, what: str = "") -> None:
        """When the view was cancelled: where it stopped, and a button to compute it again."""
        if not self.cancelled:
            return
        with st.container(key=NOTICE_KEY):
            st.warning(f"Cancelled at {self.stash['where']}{what}: the charts show what was computed until then "
                       "(it is not kept).", icon=":material/stop_circle:")
            st.button("Compute again", key="progress_again", icon=":material/refresh:", on_click=_again,
                      args=(self.key,))


def _live_chart(fig, n: int) -> None:
    """A partial chart drawn while a view computes (``n``: its draw number, which keys it)."""
    from ..figures import theme

    import plotly.graph_objects as go

    if st.context.theme.type == "dark":
        fig = go.Figure(theme.on_dark(fig.to_dict()))
    st.plotly_chart(fig, width="stretch", theme=None, key=f"progress_live_{n}", config={"displayModeBar": False})


__all__ = ["View", "Job", "NotKept", "kept", "truncated", "PROGRESS_MIN_SECONDS", "POLL_SECONDS",
           "STASH_KEY", "CANCELLED_KEY", "NOTICE_KEY"]
