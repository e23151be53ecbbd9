"""The load test's client and scenarios, tiny (2 sessions × 2 reruns), so ``make loadtest`` cannot
rot: a real ``streamlit run app.py`` on 127.0.0.1, driven over its websocket like a browser tab."""

import pytest

from loadtest.client import Session, run_blocking
from loadtest.run import HEAVIEST, PAGE, Running, health_during, health_under_heavy, load, percentile, rerun_cost
from loadtest.server import _family, serve


@pytest.fixture(scope="module")
def server():
    with serve() as running:
        yield running


def test_two_sessions_two_reruns_are_all_served(server):
    result = run_blocking(load(server, 2, reruns=2, think=0.1, seed=1))
    summary = result.summary()
    assert summary["reruns"] == 4 and summary["served"] == 4 and summary["errors"] == 0
    assert all(r.charts > 0 for r in result.first_loads + result.reruns)  # each run drew the page's charts
    assert summary["p95_s"] > 0
    assert server.log_text().count("Traceback") == 0


def test_the_load_targets_a_server_running_elsewhere_by_its_url(server):
    """``--url``: the same load against a server the load test did not start (here: the module's, by URL)."""
    target = Running(server.base)
    assert target.stream_url == server.stream_url
    summary = run_blocking(load(target, 1, reruns=2, think=0.1, seed=2)).summary()
    assert summary["reruns"] == 2 and summary["served"] == 2 and summary["errors"] == 0


def test_a_changed_control_reaches_the_link_and_a_bad_link_gets_a_notice(server):
    async def scenario():
        s = await Session.connect(server.stream_url)
        try:
            first = await s.load(PAGE, "depth=1e3&seed=3")
            changed = await s.change("depth", 7)
            return first, changed, s.query
        finally:
            await s.close()

    first, changed, query = run_blocking(scenario())
    assert first.ok and first.notice  # depth=1e3 is not an integer
    assert changed.ok and not changed.notice
    assert query == "depth=7&seed=3"  # the canonical link the app wrote after the change


def test_health_is_polled_while_a_view_runs(server):
    figures = run_blocking(health_during(server, PAGE, "seed=11"))
    assert figures["run_ok"] and figures["polls"] >= 1 and figures["failed"] == 0


def test_the_heavy_phase_loops_tabs_over_the_heaviest_views_while_health_is_polled(server):
    figures = run_blocking(health_under_heavy(server, duration=0.5, sessions=2))
    # each tab loads at least one view (the loop checks the time before each), tab i starting at view i
    assert figures["views"] >= 2 and figures["views_ok"] == figures["views"] and len(HEAVIEST) >= 2
    assert figures["polls"] >= 1 and figures["failed"] == 0


def test_the_cost_of_a_rerun_counts_the_workers_cpu(server):
    cost = run_blocking(rerun_cost(server, 4))
    assert set(cost) == {"cached", "new"} and all(c["failed"] == 0 for c in cost.values())
    # a new seed is computed (in a worker) and drawn anew; a cached view is neither (CPU time comes in
    # 10-ms ticks: four reruns of each kind are ≥ 100 ms of it)
    assert 0 < cost["cached"]["cpu_ms"] < cost["new"]["cpu_ms"]
    assert len(_family(server.proc.pid)) > 1  # the workers are counted with the server


def test_percentile_interpolates_between_order_statistics():
    assert percentile([3.0, 1.0, 2.0, 4.0], 0.5) == 2.5
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.95) == pytest.approx(4.8)


def test_a_server_whose_port_was_taken_meanwhile_starts_again_on_another(monkeypatch):
    """Two test workers may be handed the same free port: the one whose Streamlit cannot bind it exits,
    and ``serve`` starts it again on a fresh port (``START_ATTEMPTS``)."""
    import socket

    from loadtest import server as srv

    taken = socket.socket()
    taken.bind((srv.HOST, 0))
    taken.listen()
    ports = iter([taken.getsockname()[1]])
    real = srv.free_port
    monkeypatch.setattr(srv, "free_port", lambda: next(ports, None) or real())
    try:
        with serve() as running:
            assert running.port != taken.getsockname()[1] and running.health(timeout=5.0)[1]
    finally:
        taken.close()
