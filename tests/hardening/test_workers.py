"""Heavy computations in worker processes (initviz.ui.workers): the same numbers as in the server's
own process, errors carried back, a dead worker replaced, and app.py inert as a worker's main module."""

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from initviz import Network, predict, propagate
from initviz.errors import InitvizError
from initviz.ui import workers
from test_app_support import APP, chart, open_page

NET = Network.mlp(input_dim=48, widths=(48,) * 5, activation="tanh", init="xavier_normal")


def _fails(width: int):
    return Network.mlp(input_dim=8, widths=(width,), activation="tanh", init="xavier_normal")


def _die() -> None:
    os._exit(3)  # what the host's out-of-memory killer does to a worker


def test_a_worker_computes_what_the_server_would():
    here = propagate(NET, batch=32, seed=5, backward=True)
    there = workers.run(propagate, NET, batch=32, seed=5, backward=True)
    assert there.stats.keys() == here.stats.keys()
    for name, values in here.stats.items():
        np.testing.assert_array_equal(there.stats[name], values, err_msg=name)
    theory, theory_there = predict(NET, batch=32), workers.run(predict, NET, batch=32)
    for name, values in vars(theory).items():
        np.testing.assert_array_equal(getattr(theory_there, name), values, err_msg=name)


def test_workers_are_other_processes_with_one_blas_thread():
    pids = {workers.run(os.getpid) for _ in range(4 * workers.WORKERS)}
    assert os.getpid() not in pids and 1 <= len(pids) <= workers.WORKERS
    from threadpoolctl import threadpool_info

    infos = workers.run(threadpool_info)
    assert infos and all(info["num_threads"] == 1 for info in infos if info["user_api"] == "blas")


def test_an_error_in_a_worker_is_raised_here_with_its_message():
    with pytest.raises(InitvizError, match="width"):
        workers.run(_fails, 0)


def test_a_dead_worker_gives_a_plain_message_and_the_next_call_works():
    with pytest.raises(InitvizError, match="worker process .* stopped"):
        workers.run(_die)
    assert workers.run(os.getpid) != os.getpid()


def test_app_py_is_inert_as_a_workers_main_module():
    """spawn runs the main module of the server — Streamlit's app.py — as "__mp_main__" in every worker."""
    code = ("import runpy, sys; runpy.run_path(sys.argv[1], run_name='__mp_main__'); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'initviz', 'plotly')))")
    out = subprocess.run([sys.executable, "-c", code, APP], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_the_page_sends_its_computations_to_the_workers(monkeypatch):
    sent = []
    submit = workers.submit  # every worker call, workers.run's too

    def recording(fn, *args, **kwargs):
        sent.append(fn)
        return submit(fn, *args, **kwargs)

    monkeypatch.setattr(workers, "submit", recording)
    at = open_page("propagation", {"seed": "424243", "depth": "4", "width": "16"})  # a seed no other test caches
    assert propagate in sent and predict in sent
    assert chart(at, "preact_var")["data"]


def test_a_call_past_the_timeout_gives_a_plain_message_and_a_fresh_pool(monkeypatch):
    with pytest.raises(InitvizError, match="did not finish within 0.2 s"):
        workers.run(time.sleep, 5, timeout=0.2)
    assert workers.run(os.getpid) != os.getpid()


def test_a_call_queued_past_its_timeout_is_cancelled_and_the_pool_kept():
    # every worker taken, and the calls the executor hands ahead to its call queue (they count as running)
    busy = [workers.submit(time.sleep, 0.4) for _ in range(2 * workers.WORKERS + 2)]
    queued = workers.submit(os.getpid, timeout=0.2)
    with pytest.raises(InitvizError, match="did not finish within 0.2 s"):
        queued.result()
    assert queued.future.cancelled()  # it never runs for nobody
    assert [call.result() for call in busy] == [None] * len(busy)
    assert busy[0].pool is workers._pool()  # no new workers spawned for a full queue


def test_a_replaced_pool_still_runs_the_calls_queued_in_it():
    runaway = workers.submit(time.sleep, 3.0, timeout=0.5)
    others = [workers.submit(time.sleep, 0.3) for _ in range(2 * workers.WORKERS + 1)]  # beyond the call queue
    queued = workers.submit(os.getpid)  # another session's call, waiting for a worker
    with pytest.raises(InitvizError, match="did not finish within 0.5 s"):
        runaway.result()
    assert workers._pool() is not runaway.pool
    assert queued.result() != os.getpid()  # computed by the old pool, not cancelled with it
    assert [call.result() for call in others] == [None] * len(others)


def test_replicas_sharing_the_cores_do_not_oversubscribe_them():
    for cores in range(1, 17):
        for replicas in range(1, 2 * cores + 1):
            per = workers.per_replica(replicas, cores)
            assert 1 <= per <= workers.MAX_WORKERS
            if replicas <= cores:  # the rule: replicas × workers ≤ cores, and no core left idle below the cap
                assert replicas * per <= cores and (per == workers.MAX_WORKERS or replicas * (per + 1) > cores)
    assert workers.per_replica(1, 2) == 2 and workers.per_replica(2, 2) == 1


def test_the_workers_setting_is_strict_and_falls_back_to_one_per_core(caplog):
    assert workers.pool_size(None, 2) == workers.per_replica(1, 2)
    assert workers.pool_size(" 3 ", 2) == 3  # an operator may choose more than the cores
    for bad in ("0", "5", "-1", "1.5", "two", "١", "", "1_0"):
        with caplog.at_level("WARNING", logger="initviz.ui"):
            assert workers.pool_size(bad, 8) == workers.per_replica(1, 8), bad
    assert "INITVIZ_WORKERS='two' is not an integer in 1..4" in caplog.text


def test_the_server_process_is_tuned_once_the_app_has_run():
    """What the app's first run sets for the whole server process (initviz.ui.main._tune_process)."""
    import gc
    import sys

    from initviz.ui import main

    open_page("propagation", {"depth": "2", "width": "8"})
    assert sys.getswitchinterval() == pytest.approx(main.SWITCH_INTERVAL_S)  # not Python's 5 ms
    assert gc.get_freeze_count() > 0
