"""Heavy computations in worker processes, off the server's GIL.

One Streamlit process serves every session, and its Python — the scripts of all sessions, their
charts, the websocket — runs one thread at a time under the GIL. A propagation's per-layer
statistics are hundreds of small numpy calls that hold it: a 100-ms propagation stalled every
other session's rerun for 100 ms, and the server used one core of two however many users came
(measured: 108 % CPU under 20 sessions, the rest idle). :func:`run` sends such a call to a small
pool of worker processes; the script's thread waits without the GIL, so the other sessions' reruns
go on, and the computation uses a core of its own. What crosses the process boundary is small:
the call's arguments (a :class:`~initviz.Network` is a few hundred bytes) and its result (per-layer
statistics, ~100 kB), both pickled.

Workers are started with ``spawn`` (a clean interpreter: forking a threaded server is unsafe),
once (:func:`start`, when the app first runs), each with one BLAS thread (as the server's
sessions). They keep nothing between calls (the caches are the server's, bounded), so they live as
long as the server (``max_tasks_per_child`` was tried for periodic replacement: under load, on
Python 3.11, the pool stopped replacing its retired workers and every call waited). A pool whose
worker died (e.g. killed by the host for memory), or that did not answer within
``RESULT_TIMEOUT``, is replaced, and the call reports it as an
:class:`~initviz.errors.InitvizError` — a plain message, not a traceback.

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
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
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

T = TypeVar("T")
_LOCK = threading.Lock()
_POOL: list[ProcessPoolExecutor] = []


def _start_worker() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)  # one BLAS thread per worker, as the server's sessions
    importlib.import_module("initviz")  # imported once here, not on the first call


def _pool() -> ProcessPoolExecutor:
    with _LOCK:
        if not _POOL:
            _POOL.append(ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker))
        return _POOL[0]


def start() -> None:
    """Start every worker now (each imports numpy and initviz, ~0.5 s), not at the first calls."""
    pool = _pool()
    for future in [pool.submit(os.getpid) for _ in range(WORKERS)]:
        future.result(timeout=RESULT_TIMEOUT)


def _replace(broken: ProcessPoolExecutor) -> None:
    with _LOCK:
        if _POOL and _POOL[0] is broken:
            _POOL.clear()
    broken.shutdown(wait=False, cancel_futures=True)


def run(fn: Callable[..., T], *args, timeout: float = RESULT_TIMEOUT, **kwargs) -> T:
    """``fn(*args, **kwargs)`` in a worker process (``fn`` a module-level function, arguments and
    result picklable), abandoned after ``timeout`` seconds; its exceptions are raised here as they
    were raised there."""
    pool = _pool()
    try:
        return pool.submit(fn, *args, **kwargs).result(timeout=timeout)
    except BrokenProcessPool:
        _replace(pool)
        raise InitvizError("the worker process computing this stopped (the host may have run out of memory); "
                           "smaller settings may work") from None
    except TimeoutError:
        _replace(pool)
        raise InitvizError(f"the computation did not finish within {timeout:g} s; "
                           "smaller settings may work") from None


__all__ = ["run", "start", "per_replica", "pool_size", "WORKERS", "MAX_WORKERS", "SETTING", "RESULT_TIMEOUT"]
