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

**Cancelling.** A long step's calls are kept in the session (:class:`_Flight`, one view at a time).
A click on Cancel (or any control changed meanwhile) starts the rerun and stops the running script
at its next element update — the bar's —, which asks every call to stop (each returns its
truncated result within one unit of work). Cancel's callback marks the view cancelled
(:data:`CANCELLED_KEY`): its rerun shows the steps kept and what the stopped calls computed,
computes nothing more, and says where it stopped, with a button to compute it again. Any other view
stops the calls of the last one and forgets them. Complete results are kept as before; partial ones
(cancelled or cut by a deadline) never are."""

from __future__ import annotations

import functools
import time
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
FLIGHT_KEY = "progress_flight"
"""Session key of the worker calls of the last long view (:class:`_Flight`)."""
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
    """One worker call of a step: ``fn(*args, **kwargs)`` (``fn`` accepts ``progress=``), which will
    report ``units`` as its total (counted before it starts, so that the bar never goes back)."""

    fn: Callable
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    units: int = 0
    seconds: float = 0.0
    """Modelled seconds of the call: a step's calls are submitted longest first (equal ones in their
    order), so that on fewer workers than calls the longest does not start last."""


def truncated(result) -> bool:
    """Whether a result was cut short: its ``truncated`` field, or a frame's ``attrs["truncated"]``."""
    attrs = getattr(result, "attrs", None)
    return bool(attrs.get("truncated")) if isinstance(attrs, dict) else bool(getattr(result, "truncated", False))


def _cancel(view) -> None:
    st.session_state[CANCELLED_KEY] = view


def _again() -> None:
    st.session_state.pop(CANCELLED_KEY, None)
    st.session_state.pop(FLIGHT_KEY, None)


class _Flight:
    """A long view's worker calls, kept in the session (:data:`FLIGHT_KEY`) from the run that starts
    them to the reruns after it: ``calls`` and their ``units`` (:attr:`Job.units`) by step index. Streamlit (1.67) answers a click during a
    run by starting the rerun on a new thread at once and stopping the old run at its next element
    update, after which the old run may no longer touch the session — so the rerun, not the
    interrupted run, collects what the calls computed."""

    def __init__(self, view):
        self.view, self.calls, self.units = view, {}, {}

    def stop(self) -> None:
        """Ask every call to stop (without waiting)."""
        for calls in self.calls.values():
            for call in calls:
                call.stop()


class View:
    """The computations of one view (``key``: what it computes, compared with ==), expected to take
    ``seconds``; a context manager that clears its bar when the view is computed."""

    def __init__(self, key, seconds: float, spinner: str):
        self.key, self.spinner = key, spinner
        self.long = seconds >= PROGRESS_MIN_SECONDS
        flight = st.session_state.get(FLIGHT_KEY)
        self.cancelled = flight is not None and flight.view == key and st.session_state.get(CANCELLED_KEY) == key
        if flight is not None and not self.cancelled:  # another view (or this one computed again): stop it
            flight.stop()
            st.session_state.pop(FLIGHT_KEY, None)
            flight = None
        if st.session_state.get(CANCELLED_KEY) not in (None, key):
            st.session_state.pop(CANCELLED_KEY, None)
        self.flight, self.where = flight, None
        self.slot = st.empty()
        self.bar = self.live = None
        self.draws = 0

    def __enter__(self) -> "View":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None or issubclass(exc_type, Exception):  # not an interrupted run: it may draw
            self.slot.empty()
        if exc_type is None and not self.cancelled and self.flight is not None:  # computed: nothing to collect
            st.session_state.pop(FLIGHT_KEY, None)

    def step(self, index: int, store: Callable, store_kwargs: dict, jobs: Sequence[Job], *, timeout: float,
             label: Callable[[int, int], str], partial: Callable[[list], Any] | None = None) -> list | None:
        """The results of step ``index`` (one per job, None for a job that never ran): kept by
        ``store(**store_kwargs)``, or those of the cancelled calls when the view was cancelled (None
        when this step had not started), or computed now — and kept when none is truncated.
        ``label(done, total)`` words the bar; ``partial(results so far)`` (None for a job that sent
        none yet) makes the figure drawn under it as they arrive (None: nothing to draw yet)."""
        try:
            return list(store(**store_kwargs))
        except NotKept:
            pass
        if self.cancelled:
            return self._stopped(index, label)
        results = self._compute(index, jobs, timeout, label, partial)
        if not any(truncated(r) for r in results):
            store(**store_kwargs, _result=tuple(results))
        return results

    def each(self, index: int, items: Sequence[tuple[Callable, dict, Job]], *, timeout: float,
             label: Callable[[int, int, int], str]) -> list:
        """Step ``index`` made of independent parts, each ``(store, store_kwargs, job)`` kept by its own
        store: the result of each (None for one that never ran), those kept taken from their stores
        and the others computed **at once** — submitted together, so that they spread over the worker
        pool — each kept unless truncated (or, the view cancelled, what the stopped calls computed).
        ``label(done, total, parts=…)`` words the bar of ``parts`` parts computing."""
        results: list = [None] * len(items)
        pending = []
        for k, (store, kwargs, _) in enumerate(items):
            try:
                results[k] = store(**kwargs)[0]
            except NotKept:
                pending.append(k)
        if not pending:
            return results
        words = functools.partial(label, parts=len(pending))
        if self.cancelled:
            computed = self._stopped(index, words) or [None] * len(pending)
        else:
            computed = self._compute(index, [items[k][2] for k in pending], timeout, words, None)
            for k, result in zip(pending, computed):
                if not truncated(result):
                    items[k][0](**items[k][1], _result=(result,))
        for k, result in zip(pending, computed):
            results[k] = result
        return results

    def _compute(self, index: int, jobs: Sequence[Job], timeout: float, label, partial) -> list:
        """Every job of step ``index`` submitted at once, then watched (a long view: bar, Cancel, the
        calls kept in the session) or waited for under the spinner."""
        submitted = {k: workers.submit(jobs[k].fn, *jobs[k].args, timeout=timeout, channel=self.long, **jobs[k].kwargs)
                     for k in sorted(range(len(jobs)), key=lambda k: -jobs[k].seconds)}
        calls = [submitted[k] for k in range(len(jobs))]
        if not self.long:
            with st.spinner(self.spinner):
                return _collect(calls)
        if self.flight is None:
            self.flight = _Flight(self.key)
            st.session_state[FLIGHT_KEY] = self.flight
        self.flight.calls[index], self.flight.units[index] = calls, [job.units for job in jobs]
        return self._watch(calls, [job.units for job in jobs], label, partial)

    def _stopped(self, index: int, label) -> list | None:
        """What the calls of step ``index`` computed before Cancel stopped them (waiting for each to
        return its truncated result), noting where the first cut one stopped."""
        calls = self.flight.calls.get(index)
        if calls is None:
            return None
        results = [call.stopped_result() for call in calls]
        if self.where is None and any(r is None or truncated(r) for r in results):
            reports = [{"total": n, **call.progress()} for call, n in zip(calls, self.flight.units[index])]
            self.where = _words(label, reports, "its start")
        return results

    def _watch(self, calls: list, units: list[int], label, partial) -> list:
        """Poll ``calls`` until all have finished, updating the bar (and the partial results); an
        interruption (Cancel, or a control changed) stops them and goes on."""
        if self.bar is None:
            with self.slot.container():
                self.bar = st.empty()
                st.button("Cancel", key="progress_cancel", icon=":material/stop_circle:", on_click=_cancel,
                          args=(self.key,), help="Stop computing: the view shows what was computed so far.")
                self.live = st.empty()
        shown = None
        try:
            self.bar.progress(0.0, text="Starting…")
            t_end = max(call.t_end for call in calls)
            while not workers.wait(calls, POLL_SECONDS) and time.monotonic() < t_end:  # past it: _collect raises
                reports = [{"total": n, **call.progress()} for call, n in zip(calls, units)]
                done, total = sum(r.get("done", 0) for r in reports), sum(r["total"] for r in reports)
                self.bar.progress(min(1.0, done / total) if total else 0.0, text=_words(label, reports, "Starting…"))
                sent = [r.get("partials", 0) for r in reports]
                if partial is not None and any(sent) and sent != shown:  # new partial results
                    shown, fig = sent, partial([r.get("partial") for r in reports])
                    if fig is not None:
                        self.draws += 1
                        with self.live.container():
                            _live_chart(fig, self.draws)
        except BaseException:  # no Streamlit call here: an interrupted run may not use the session
            for call in calls:
                call.stop()
            raise
        return _collect(calls)

    def notice(self) -> None:
        """When the view was cancelled: where it stopped, and a button to compute it again."""
        if not self.cancelled or self.where is None:
            return
        with st.container(key=NOTICE_KEY):
            st.warning(f"Cancelled at {self.where}: the charts show what was computed until then (it is not kept).",
                       icon=":material/stop_circle:")
            st.button("Compute again", key="progress_again", icon=":material/refresh:", on_click=_again)


def _words(label, reports: list[dict], before: str) -> str:
    """``label(done, total)`` summed over the calls' reports, or ``before`` when none has reported."""
    total = sum(r["total"] for r in reports)
    return label(sum(r.get("done", 0) for r in reports), total) if total else before


def _collect(calls: list) -> list:
    """Every call's result; an interruption while waiting stops them and goes on."""
    try:
        return [call.result() for call in calls]
    except BaseException:
        for call in calls:
            call.stop()
        raise


def _live_chart(fig, n: int) -> None:
    """A partial chart drawn while a view computes (``n``: its draw number, which keys it)."""
    from ..figures import theme

    import plotly.graph_objects as go

    if st.context.theme.type == "dark":
        fig = go.Figure(theme.on_dark(fig.to_dict()))
    st.plotly_chart(fig, width="stretch", theme=None, key=f"progress_live_{n}", config={"displayModeBar": False})


__all__ = ["View", "Job", "NotKept", "kept", "truncated", "PROGRESS_MIN_SECONDS", "POLL_SECONDS",
           "FLIGHT_KEY", "CANCELLED_KEY", "NOTICE_KEY"]
