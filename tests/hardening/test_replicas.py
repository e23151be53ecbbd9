"""Replicas behind nginx (issue 18, ``deploy/``): two ``streamlit run app.py`` servers with the hosted
limits behind Debian's nginx on 127.0.0.1, driven over the websocket by the load test's client as
browser tabs are.

Each tab loads a page through nginx (which gives it an affinity cookie), opens its websocket with
that cookie, and, before every other rerun, drops the socket and reconnects asking the server to
resume its session — the browser's reconnect, and the case where affinity matters: a session lives
in the memory of one replica. Every reconnect must reach the same replica (nginx's
``X-Initviz-Upstream`` header) and resume the same session (the server's session id), its widget state
with it. Then one replica is killed (server and workers, SIGKILL: a crash): its tabs reconnect through
nginx to the other replica, which draws their views again from their links, while the other
replica's tabs, on sockets that stay open, go on undisturbed. Without nginx the test is skipped, except
in CI (``CI=true``), where it fails: ``.ci/run`` installs nginx.
"""

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from deploy.replicas import nginx_binary, serve_replicas
from initviz.ui import workers
from loadtest.client import Session, run_blocking, visit
from loadtest.run import PAGE
from loadtest.server import _family

REPLICAS, TABS_PER_REPLICA, RERUNS = 2, 4, 5
VISITS_MAX = 64
"""Page loads tried to find 4 affinity cookies for each replica (a random cookie lands on either
replica with probability ~1/2 — consistent hashing splits the ring roughly evenly —: at exactly 1/2,
64 tries miss 4 of one with probability < 1e-13)."""
TIMEOUT_S = 30.0
"""Longest wait for one run (8 tabs on two shared cores) or for a killed replica's sockets to close."""


def _unavailable(reason: str):
    """As the browser tests do for Chromium: skipped on a developer's machine, a failure in CI."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the replicas test must run in CI, but {reason}")
    pytest.skip(f"replicas test skipped: {reason}")


LINK = {"depth": "3", "width": "32", "batch": "32", "seed": "7"}
"""Every tab's first link: a small view (the test is about routing, not computing)."""
CHANGES = (("depth", 4), ("width", 40), ("depth", 3), ("depth", 4), ("width", 32), ("depth", 3))
"""Every tab's control changes, the last one after the kill. They come back to views computed before,
which the replica's cache (shared by its sessions) serves: the three new views are what the two
shared cores compute, so the test stays short."""


def _link(changes) -> dict[str, str]:
    """The link's parameters after ``changes``."""
    return {**LINK, **{key: str(value) for key, value in changes}}


def _params(query: str) -> dict[str, str]:
    return dict(p.split("=", 1) for p in query.split("&") if p)


def _workers_of(pid: int) -> int:
    """The compute workers (multiprocessing spawn children) among ``pid``'s descendants."""
    count = 0
    for child in _family(pid)[1:]:
        try:
            count += b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            pass
    return count


async def _tab(balancer, cookie: str) -> tuple[Session, list]:
    """A tab on :data:`LINK`, then RERUNS control changes, every other one after a reconnect (a
    resumed session's first rerun sends the whole page again, ~4× the CPU of a rerun on an open
    socket); returns the open session and what every step saw: (upstream, session id, run)."""
    s = await Session.connect(balancer.stream_url, cookie=cookie)
    run = await s.load(PAGE, "&".join(f"{k}={v}" for k, v in LINK.items()), timeout=TIMEOUT_S)
    seen = [(s.upstream, s.session_id, run)]
    for rerun in range(RERUNS):
        if rerun % 2 == 0:  # reruns 1, 3, 5 after a reconnect, 2 and 4 on the open socket
            s = await s.reconnect(balancer.stream_url, cookie=cookie)
        run = await s.change(*CHANGES[rerun], timeout=TIMEOUT_S)
        seen.append((s.upstream, s.session_id, run))
    return s, seen


def _check_sticky(tabs: list, home: list[str]) -> None:
    """Every tab's runs were served, by its cookie's replica, in one server session holding its state."""
    for i, (s, seen) in enumerate(tabs):
        steps = [(upstream, sid, run.status, run.charts, round(run.seconds, 2)) for upstream, sid, run in seen]
        assert all(run.ok and run.charts > 0 for _, _, run in seen), (i, steps)
        assert {upstream for upstream, _, _ in seen} == {home[i]}, (i, steps)  # every reconnect, one replica
        assert len({sid for _, sid, _ in seen}) == 1 and seen[0][1], (i, steps)  # the session was resumed
        assert _params(s.query) == _link(CHANGES[:RERUNS]), (i, s.query)  # the link holds every change
    assert len({seen[0][1] for _, seen in tabs}) == len(tabs)  # a session per tab


def test_sessions_stick_to_their_replica_and_move_when_it_dies():
    if nginx_binary() is None:
        _unavailable("no nginx (Debian: apt-get install -y nginx)")
    with serve_replicas(REPLICAS) as balancer:
        names = [balancer.upstream(r) for r in balancer.replicas]
        cookies: dict[str, list[str]] = {name: [] for name in names}
        for _ in range(VISITS_MAX):  # browsers' first page loads: each gets a cookie, nginx picks its replica
            if all(len(c) >= TABS_PER_REPLICA for c in cookies.values()):
                break
            v = visit(balancer.base)
            assert v.cookie and "initviz_affinity=" in v.cookie and v.upstream in names
            cookies[v.upstream].append(v.cookie)
        home = [name for name in names for _ in range(TABS_PER_REPLICA)]  # tab -> the replica of its cookie
        tab_cookies = [c for name in names for c in cookies[name][:TABS_PER_REPLICA]]

        dead, alive = balancer.replicas

        async def scenario():
            tabs = await asyncio.gather(*(_tab(balancer, cookie) for cookie in tab_cookies))
            _check_sticky(tabs, home)
            for replica in balancer.replicas:  # each replica's pool sized for the shared cores
                assert _workers_of(replica.proc.pid) == workers.per_replica(REPLICAS, len(os.sched_getaffinity(0)))
            doomed = _family(dead.proc.pid)
            for pid in doomed:  # the replica crashes: its server and its workers
                os.kill(pid, signal.SIGKILL)

            async def moved(i: int):
                s = tabs[i][0]
                end = time.monotonic() + TIMEOUT_S
                while not s.closed and time.monotonic() < end:  # nginx closes the tab's socket
                    await asyncio.sleep(0.05)
                closed, before = s.closed, s.query
                s = await s.reconnect(balancer.stream_url, cookie=tab_cookies[i])
                redraw = await s.load(PAGE, before, timeout=TIMEOUT_S)  # the browser's rerun after a reconnect
                after = (s.upstream, s.session_id)
                s = await s.reconnect(balancer.stream_url, cookie=tab_cookies[i])  # and now it sticks there
                again = await s.change(*CHANGES[RERUNS], timeout=TIMEOUT_S)
                await s.close()
                return closed, before, redraw, after, (s.upstream, s.session_id), again, s.query

            async def stayed(i: int):
                s = tabs[i][0]
                await asyncio.sleep(0.5)  # while the other tabs move
                open_during = not s.closed
                run = await s.change(*CHANGES[RERUNS], timeout=TIMEOUT_S)
                await s.close()
                return open_during, run, s.upstream, s.session_id

            first = TABS_PER_REPLICA
            return tabs, await asyncio.gather(*(moved(i) for i in range(first)),
                                              *(stayed(i) for i in range(first, len(tabs))))

        tabs, outcomes = run_blocking(scenario())
        name_alive = balancer.upstream(alive)
        for i, (closed, before, redraw, after, later, again, query) in enumerate(outcomes[:TABS_PER_REPLICA]):
            old_session = tabs[i][1][0][1]
            assert closed, i  # its replica died: the socket went away
            assert redraw.ok and redraw.charts > 0, (i, redraw)  # drawn again, by the other replica
            assert after[0] == name_alive and after[1] != old_session, (i, after)  # a new session there
            assert not redraw.notice, (i, redraw.warnings)  # its link, written by the dead replica, is valid here
            assert _params(before) == _link(CHANGES[:RERUNS]), (i, before)  # the view it had,
            assert _params(query) == _link(CHANGES), (i, query)  # then its next change
            assert later == after and again.ok and again.charts > 0, (i, later, again)  # and it stays there
        for i, (open_during, run, upstream, session) in enumerate(outcomes[TABS_PER_REPLICA:], TABS_PER_REPLICA):
            assert open_during and run.ok and run.charts > 0, (i, run)  # undisturbed: same socket, served
            assert upstream == name_alive and session == tabs[i][1][0][1], i

        assert "Traceback" not in alive.log_text() and "Traceback" not in dead.log_text()
        dead_name = balancer.upstream(dead)
        problems = [line for line in balancer.log_text().splitlines()
                    if any(f"[{level}]" in line for level in ("error", "crit", "alert", "emerg")) and dead_name not in line]
        assert not problems, problems  # nginx complained only about the replica that was killed
        everyone = [balancer.proc.pid, *(pid for r in balancer.replicas for pid in _family(r.proc.pid))]
        prefix = balancer.prefix
    # stopped cleanly: nginx, the replicas and their workers gone, the private directory removed
    time.sleep(0.5)
    assert not [pid for pid in everyone if Path(f"/proc/{pid}").exists()
                and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]]
    assert not prefix.exists()
