"""The progress channel across the process boundary (:func:`initviz.ui.workers.submit` with
``channel=True``): a real worker process reports its progress to this process, a stop asked here
stops it with its truncated result, and the pool keeps serving calls afterwards."""

import os

import numpy as np

import initviz as iv
from initviz.ui import workers

NET = iv.Network.mlp(256, [256] * 200, activation="tanh", init="xavier_normal")
"""A propagation of ~1.5 s with its backward pass at batch 256 on one core: long enough to be stopped
midway after its first reports (400 layer passes)."""
ARGS = dict(batch=256, histograms=(), deadline=60.0)


def _first_progress(call: workers.Call) -> dict:
    """Poll the call until it has reported some layers done (or finished)."""
    while not workers.wait([call], 0.05):
        seen = call.progress()
        if seen.get("done", 0) > 0:
            return seen
    return call.progress()


def test_the_channel_delivers_progress_from_a_worker_process():
    call = workers.submit(iv.propagate, NET, channel=True, **ARGS)
    seen = []
    while not workers.wait([call], 0.05):
        report = call.progress()
        if report:
            seen.append((report["done"], report["total"]))
    res = call.result()
    assert not res.truncated
    assert seen, "no report arrived while the worker computed"
    assert all(total == 400 for _, total in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)  # never backwards
    assert call.progress() == {"done": 400, "total": 400}  # the last report: every pass done


def test_a_stopped_call_returns_its_truncated_result_and_the_pool_stays_usable():
    call = workers.submit(iv.propagate, NET, channel=True, **ARGS)
    seen = _first_progress(call)
    assert 0 < seen["done"] < seen["total"]
    res = call.stopped_result()
    assert res is not None and res.truncated and "stopped" in res.reason
    assert np.isnan(res.stats["grad_var"][0, 0])  # layer 1's gradient, the last pass, was not reached
    assert workers.run(os.getpid) > 0  # the pool still serves calls
    small = workers.run(iv.propagate, iv.Network.mlp(16, [16] * 3), batch=8)
    assert not small.truncated


def test_a_call_without_a_channel_reports_nothing():
    call = workers.submit(iv.propagate, iv.Network.mlp(16, [16] * 3), batch=8)
    assert not call.result().truncated and call.progress() == {}
