"""Heavy computations in worker processes, off the server's GIL.

One Streamlit process serves every session, and its Python — the scripts of all sessions, their
charts, the websocket — runs one thread at a time under the GIL. A propagation's per-layer
statistics are hundreds of small numpy calls that hold it: a 100-ms propagation stalled every
other session's rerun for 100 ms, and the server used one core of two however many users came
(measured: 108 % CPU under 20 sessions, the rest idle). :func:`run` sends such a call to a small
pool of worker processes; the script's thread waits without the GIL, so the other sessions' reruns
go on, and the computation uses a core of its own. What crosses the process boundary is small:
the call's arguments (a :class:`~initviz.Network` is a few hundred bytes) and its result (per-layer
statistics, ~100 kB), both pickled. Charts are built there too, from those results
(:func:`.widgets.chart_in_worker`): the server's GIL then only forwards them.

Workers are started with ``spawn`` (a clean interpreter: forking a threaded server is unsafe),
once (:func:`start`, when the app first runs), each with one BLAS thread (as the server's
sessions). They keep nothing between calls (the caches are the server's, bounded), so they live as
long as the server (``max_tasks_per_child`` was tried for periodic replacement: under load, on
Python 3.11, the pool stopped replacing its retired workers and every call waited). A pool whose
worker died (e.g. killed by the host for memory) is replaced; so is the pool of a call that ran past
its timeout (its worker may stay busy to the end; a call still queued at its timeout is cancelled
instead, and another session's calls queued in a replaced pool run there as submitted). The call
reports either as an :class:`~initviz.errors.InitvizError` — a plain message, not a traceback.

**Progress and cancellation** (:func:`submit` with ``channel=True``): the computation gets a
``progress`` argument (:class:`Reporter`, the protocol of :func:`initviz.propagate`,
:func:`initviz.train` and :func:`initviz.coord_check`) that writes ``(done, total)`` — and, for a
training, its partial result — into a dict held by a :mod:`multiprocessing` manager process, and
reads a stop flag from it; the server's script thread polls the dict (:meth:`Call.progress`) and sets
the flag (:meth:`Call.stop`), after which the computation returns its truncated result at its next
report. A manager (one process, started with the first such call and kept) because what crosses is
small but of any shape — a partial training result is a pickled dataclass of arrays — and its proxies
travel inside a call's arguments to whichever worker takes it; a pipe or a shared array would have to
be inherited when the pool starts and demultiplexed per call. The worker reports at most every
:data:`REPORT_INTERVAL` seconds (a partial result every :data:`PARTIAL_INTERVAL`), two round trips to
the manager (~0.1 ms measured) each, so reporting costs nothing measurable; a manager that died
leaves the computation running to its deadline, without progress.

How many workers is a deployment setting, ``INITVIZ_WORKERS`` (an environment variable): by default
one per core, at most 4 — right for one server on a machine. Several servers on one machine (replicas
behind a load balancer, ``deploy/``) would each start that many and oversubscribe the cores: each
CPU-bound computation would then take several times its time, and the page deadlines cut views
short. The rule: N replicas on C cores each run ``INITVIZ_WORKERS = max(1, C // N)`` workers
(:func:`per_replica`), so that N · workers ≤ C whenever N ≤ C.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, CancelledError, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from ..errors import InitvizError

SETTING = "INITVIZ_WORKERS"
"""Name of the environment variable that sets the number of worker processes."""
MAX_WORKERS = 4
"""Worker processes of one server at most (each holds its own numpy, ~60 MB resident)."""
LOG = logging.getLogger("initviz.ui")


def per_replica(replicas: int, cores: int) -> int:
    """Workers of each of ``replicas`` servers sharing ``cores`` cores: ⌊cores / replicas⌋, at least
    1 and at most :data:`MAX_WORKERS` — the total, replicas × workers, is then ≤ cores whenever there
    are no more replicas than cores (beyond that, one worker each is the least a replica needs)."""
    return max(1, min(MAX_WORKERS, cores // max(1, replicas)))


def pool_size(value: str | None, cores: int) -> int:
    """Worker processes of this server: ``value`` (``INITVIZ_WORKERS``: an ASCII integer in
    1…:data:`MAX_WORKERS`) if given, else one per core (:func:`per_replica` of one replica). Another
    value is logged for the operator and the default applies."""
    default = per_replica(1, cores)
    if value is None:
        return default
    text = value.strip()
    if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_WORKERS:
        return int(text)
    LOG.warning("%s=%r is not an integer in 1..%d: running %d workers", SETTING, value[:40], MAX_WORKERS, default)
    return default


WORKERS = pool_size(os.environ.get(SETTING), os.cpu_count() or 1)
"""Worker processes of this server (:func:`pool_size` of ``INITVIZ_WORKERS`` and the cores)."""
RESULT_TIMEOUT = 60.0
"""Seconds a call may take by default (the computations' own deadlines stop them long before: a
propagation of a hosted instance gets at most 5 s); a caller with a longer deadline passes
``timeout``."""

REPORT_INTERVAL = 0.1
"""Seconds between a computation's progress reports (and its reads of the stop flag) at most: a stop
asked is seen within this and one unit of work (a layer, a training step)."""
PARTIAL_INTERVAL = 0.5
"""Seconds between a computation's partial results (a training's curves so far) at most."""
STOP_WAIT = 10.0
"""Seconds a stopped call is waited for before its result is given up (it then ends at its deadline)."""

T = TypeVar("T")
_LOCK = threading.Lock()
_POOL: list[ProcessPoolExecutor] = []
_MANAGER: list = []


WORKER_IMPORTS = ("initviz", "initviz.ui.propagation_charts")
"""What every worker imports when it starts: the core, and the chart builders the pages send it
(:func:`.widgets.chart_in_worker`; with pandas and plotly, ~80 MB more per worker, ~0.5 s)."""


def _start_worker() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)  # one BLAS thread per worker, as the server's sessions
    for module in WORKER_IMPORTS:  # imported once here, not on the first call
        importlib.import_module(module)


def _pool() -> ProcessPoolExecutor:
    with _LOCK:
        if not _POOL:
            _POOL.append(ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker))
        return _POOL[0]


def start() -> None:
    """Start every worker now (each imports :data:`WORKER_IMPORTS`, ~1 s), not at the first calls."""
    pool = _pool()
    for future in [pool.submit(os.getpid) for _ in range(WORKERS)]:
        future.result(timeout=RESULT_TIMEOUT)


def _replace(old: ProcessPoolExecutor) -> None:
    """Take a new pool for the next calls. The old one is shut down without cancelling the calls it
    still holds: other sessions' calls queued in it run there as submitted (in a broken pool they have
    already failed), and its workers exit once it is drained."""
    with _LOCK:
        if _POOL and _POOL[0] is old:
            _POOL.clear()
    old.shutdown(wait=False, cancel_futures=False)


class Reporter:
    """The worker's end of a call's channel, given to the computation as its ``progress``:
    ``reporter(done, total, partial=None)`` writes ``done``, ``total`` (and ``partial()``, the result
    so far) into the call's dict at most every :data:`REPORT_INTERVAL` (:data:`PARTIAL_INTERVAL`)
    seconds, and returns True once the server asked the call to stop."""

    def __init__(self, state):
        self.state, self.stop, self.partials = state, False, 0
        self.next_report = self.next_partial = 0.0

    def __call__(self, done: int, total: int, partial: Callable[[], object] | None = None) -> bool:
        now = time.monotonic()
        if self.state is None or (now < self.next_report and done < total):
            return self.stop
        self.next_report = now + REPORT_INTERVAL
        update = {"done": done, "total": total}
        if partial is not None and done < total and now >= self.next_partial:
            self.next_partial, self.partials = now + PARTIAL_INTERVAL, self.partials + 1
            update.update(partial=partial(), partials=self.partials)
        try:
            self.state.update(update)
            self.stop = bool(self.state.get("stop", False))
        except (OSError, EOFError) as err:  # the manager is gone: compute on, to the deadline
            LOG.warning("progress channel lost (%s): the computation runs on without it", err)
            self.state = None
        return self.stop


def _channel():
    """A new dict in the manager process (started on first use; replaced once if it died)."""
    for _ in range(2):
        with _LOCK:
            if not _MANAGER:
                _MANAGER.append(multiprocessing.get_context("spawn").Manager())
            manager = _MANAGER[0]
        try:
            return manager.dict()
        except (OSError, EOFError):  # the manager process died: start another
            with _LOCK:
                if _MANAGER and _MANAGER[0] is manager:
                    _MANAGER.clear()
    raise InitvizError("the progress channel of the workers could not be opened")


class Call:
    """A computation submitted to a worker (:func:`submit`): its future, its channel (None without
    one) and its timeout."""

    def __init__(self, pool: ProcessPoolExecutor, future: Future, state, timeout: float):
        self.pool, self.future, self.state, self.timeout = pool, future, state, timeout
        self.t_end = time.monotonic() + timeout

    def progress(self) -> dict:
        """The latest report: ``done``, ``total`` and ``partial`` (the result so far, if the
        computation sends one; ``partials`` counts them) — each present once reported; {} before the
        first report or without a channel."""
        if self.state is None:
            return {}
        try:
            return self.state.copy()
        except (OSError, EOFError):
            return {}

    def stop(self) -> None:
        """Ask the computation to stop (it returns its truncated result at its next report); a call
        still waiting for a worker is cancelled."""
        if self.future.cancel() or self.state is None:
            return
        try:
            self.state["stop"] = True
        except (OSError, EOFError):
            pass

    def result(self) -> T:
        """The computation's result, waiting up to the rest of the call's timeout; its exceptions are
        raised here as they were raised there, a worker that died or a timeout as an InitvizError
        (the pool replaced)."""
        try:
            return self.future.result(timeout=max(0.0, self.t_end - time.monotonic()))
        except BrokenProcessPool:
            _replace(self.pool)
            raise InitvizError("the worker process computing this stopped (the host may have run out of memory); "
                               "smaller settings may work") from None
        except TimeoutError:
            running = self.future.running()
            self.stop()  # a queued call is cancelled; a running one with a channel stops at its next report
            if running:  # its worker may stay busy to the end: the next calls get fresh workers
                _replace(self.pool)
            raise InitvizError(f"the computation did not finish within {self.timeout:g} s; "
                               "smaller settings may work") from None
        except CancelledError:
            raise InitvizError("the computation was cancelled before it ran; computing again may work") from None

    def stopped_result(self, wait: float = STOP_WAIT):
        """Stop the call (:meth:`stop`) and return what it computed — its truncated result — or None
        when it never started, failed, or does not answer within ``wait`` seconds (it then ends at its
        own deadline)."""
        self.stop()
        try:
            return self.future.result(timeout=wait)
        except Exception:  # cancelled, failed, broken or too slow: nothing to show of it
            return None


def submit(fn: Callable[..., T], *args, timeout: float = RESULT_TIMEOUT, channel: bool = False, **kwargs) -> Call:
    """Start ``fn(*args, **kwargs)`` in a worker process (``fn`` a module-level function, arguments and
    result picklable); with ``channel``, ``fn`` also gets ``progress=`` a :class:`Reporter`, read by
    :meth:`Call.progress` and stopped by :meth:`Call.stop`."""
    state = _channel() if channel else None
    if state is not None:
        kwargs["progress"] = Reporter(state)
    pool = _pool()
    try:
        future = pool.submit(fn, *args, **kwargs)
    except (BrokenProcessPool, RuntimeError):  # broken or replaced since it was taken: one more try on a new pool
        _replace(pool)
        pool = _pool()
        future = pool.submit(fn, *args, **kwargs)
    return Call(pool, future, state, timeout)


def wait(calls: Sequence[Call], seconds: float) -> bool:
    """Wait up to ``seconds`` for every call to finish (or one to fail); True when all have finished."""
    pending = [c.future for c in calls if not c.future.done()]
    if pending:
        wait_futures(pending, timeout=seconds, return_when=FIRST_EXCEPTION)
    return all(c.future.done() for c in calls)


def run(fn: Callable[..., T], *args, timeout: float = RESULT_TIMEOUT, **kwargs) -> T:
    """``fn(*args, **kwargs)`` in a worker process (``fn`` a module-level function, arguments and
    result picklable), abandoned after ``timeout`` seconds; its exceptions are raised here as they
    were raised there."""
    return submit(fn, *args, timeout=timeout, **kwargs).result()


__all__ = ["run", "submit", "wait", "Call", "Reporter", "REPORT_INTERVAL", "PARTIAL_INTERVAL", "STOP_WAIT", "start", "per_replica", "pool_size", "WORKERS", "MAX_WORKERS", "SETTING", "RESULT_TIMEOUT"]
