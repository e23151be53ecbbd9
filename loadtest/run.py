"""Load and soak test of the app over Streamlit's websocket (issue 4): ``make loadtest``.

Starts ``streamlit run app.py`` on 127.0.0.1 (a free port, the project's own settings), then:

(a) **load** — ``--sessions`` (20) tabs on the default page, each, after a think time drawn
    uniformly from [0.5, 1.5]·``--think`` s (mean 1 s), changes one control to a new value and waits
    for the rerun, for ``--duration`` s, once per ``--scenario``: ``sliders`` — users moving the
    depth slider (2–60) or the width (64/128/256) of the default view, the issue's scenario, whose
    configurations the users share through the app's cache; ``new`` — also a random seed or another
    activation, so that almost every change is a configuration nobody computed yet. Reported:
    rerun latency (send → ``script_finished``) p50/p95/max, errors (exceptions, error boxes, closed
    sockets, tracebacks in the server log) and the fraction of reruns served (finished without
    error within ``RERUN_TIMEOUT_S``). Targets: p95 < 0.5 s, 0 errors, ≥ 95 % served.
(b) **soak** — ``--soak`` (1000) distinct configurations of the default page (seed = 0, 1, …),
    driven by ``--soak-sessions`` tabs; the resident memory of the server and its worker processes
    before (warm: after the load phase) and after. Target: growth < 100 MB.
(d) **cost** — one tab alone (before the load): ``--cost-reruns`` reruns back and forth between two
    views it has drawn (their results and charts cached) and as many new seeds (computed and drawn
    anew); per rerun, the CPU time of the server and its workers (/proc) and the latency.
(c) **health** — the heaviest allowed view of each page (:data:`HEAVIEST`) opened on a cold cache while ``/_stcore/health`` is polled every ``HEALTH_POLL_S``;
    then **heavy**: ``HEAVY_SESSIONS`` (4) tabs looping over those views (each load a new seed, the
    cache cold) for ``--heavy-duration`` s while it is polled. Target: every answer ``ok`` in < 100 ms.

Everything is bounded: every rerun by ``RERUN_TIMEOUT_S``, the load by ``--duration``, the soak by
``--soak-max-seconds``. It prints the machine (CPU model, cores, load average) with the figures;
``--json`` also writes them. A benchmark, not a unit test (``tests/hardening/test_loadtest_smoke.py``
keeps the client from rotting).

``--url`` targets a server that is already running instead — e.g. nginx in front of replicas
(``make serve-replicas``, ``deploy/``): each tab then loads the page first, as a browser does, and
sends the balancer's affinity cookie with its websocket. Only the load phase runs then (the others
measure the server's own processes).

    python -m loadtest.run [--sessions 20] [--duration 60] [--soak 1000] [--only cost,load,soak,health] [--json out.json]
    python -m loadtest.run --url http://127.0.0.1:8080 [--sessions 20] [--duration 60] [--scenario sliders,new]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .client import Run, Session, visit
from .server import Server, serve

PAGE = "propagation"
"""The default page (initviz.ui.nav.DEFAULT_PAGE)."""
RERUN_TIMEOUT_S = 10.0
"""A rerun that has not finished by then is not served."""
LOAD_TIMEOUT_S = 60.0
"""First load of a page (cold caches, several sessions at once)."""
THINK_SPREAD = (0.5, 1.5)
"""Think time = uniform(0.5, 1.5) × --think seconds."""
HEALTH_POLL_S = 0.05
TARGET_P95_S, TARGET_SERVED, TARGET_RSS_MB, TARGET_HEALTH_S = 0.5, 0.95, 100.0, 0.1
MB = 2 ** 20
HEAVIEST = (
    ("propagation", "depth=23&width=512&batch=64&compare=kaiming_normal,orthogonal,trunc_normal&seed={seed}"),
    ("propagation", "depth=200&width=64&batch=1024&n_seeds=8&compare=kaiming_normal,orthogonal,trunc_normal"
                    "&seed={seed}"),
    ("geometry", "angle_n=10000&gram_n=128&sweep_max=4096&sweep_dists=normal,uniform,rademacher,trunc_normal,"
                 "orthogonal&mp_m=1600&mp_ratio=1&mp_dist=orthogonal&rect_m=2048&rect_n=2048&rect_dist=orthogonal"
                 "&seed={seed}"),
)
"""The heaviest views a hosted instance computes, wide and narrow: a wide Propagation view that fits its
budget as asked (a wider one is not computed: the page offers choices instead), a narrow one at every
maximum whose sample the budget cuts, and Geometry at every maximum (its budget lowers it)."""


def change_for(session: Session, rng: random.Random, scenario: str = "new") -> tuple[str, object]:
    """One control change a user might make on the Propagation page.

    ``"sliders"`` (the issue's "users moving a slider"): the depth slider (2–60) or the width (64,
    128, 256), everything else at its default — 177 configurations, which the users share through
    the app's cache. ``"new"``: also a new random seed or another activation, so that almost every
    change is a configuration nobody computed yet (the cost of exploring, not of watching).
    """
    key = rng.choice(("depth", "depth", "width") if scenario == "sliders" else
                     ("depth", "depth", "seed", "width", "activation"))
    if key == "depth":
        return key, rng.randint(2, 60)
    if key == "seed":
        return key, rng.randrange(2 ** 31)
    if key == "width":
        return key, rng.choice((64, 128, 256))
    return key, rng.choice(list(session.widgets["activation"][1].options))


SCENARIOS = ("sliders", "new")


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0–1) by linear interpolation between order statistics."""
    if not values:
        return float("nan")
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


@dataclass
class LoadResult:
    sessions: int
    scenario: str
    first_loads: list[Run] = field(default_factory=list)
    reruns: list[Run] = field(default_factory=list)

    def summary(self) -> dict:
        served = [r for r in self.reruns if r.ok and r.seconds <= RERUN_TIMEOUT_S]
        seconds = [r.seconds for r in served]
        errors = [r for r in self.first_loads + self.reruns
                  if r.status in ("closed", "compile_error") or r.exceptions or r.errors]
        return {"sessions": self.sessions, "scenario": self.scenario, "reruns": len(self.reruns), "served": len(served),
                "served_fraction": len(served) / len(self.reruns) if self.reruns else float("nan"),
                "errors": len(errors), "timeouts": sum(r.status == "timeout" for r in self.reruns),
                "p50_s": percentile(seconds, 0.5), "p95_s": percentile(seconds, 0.95),
                "max_s": max(seconds, default=float("nan")),
                "first_load_p50_s": percentile([r.seconds for r in self.first_loads], 0.5),
                "first_load_max_s": max((r.seconds for r in self.first_loads), default=float("nan")),
                "error_samples": [(r.status, r.exceptions[:1], r.errors[:1]) for r in errors[:3]]}


async def load(server: Server | Running, sessions: int, *, duration: float | None = None, reruns: int | None = None,
               think: float = 1.0, seed: int = 0, scenario: str = "new") -> LoadResult:
    """``sessions`` tabs changing controls (:func:`change_for` ``scenario``) until ``duration`` s have
    passed or each made ``reruns``."""
    result = LoadResult(sessions, scenario)
    end = None if duration is None else time.monotonic() + duration

    async def tab(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        await asyncio.sleep(rng.uniform(0, THINK_SPREAD[1] * think))  # tabs do not start in lockstep
        cookie = (await asyncio.to_thread(visit, server.base)).cookie  # a balancer's affinity cookie
        s = await Session.connect(server.stream_url, cookie=cookie)
        try:
            result.first_loads.append(await s.load(PAGE, timeout=LOAD_TIMEOUT_S))
            done = 0
            while (reruns is None or done < reruns) and (end is None or time.monotonic() < end):
                await asyncio.sleep(rng.uniform(*THINK_SPREAD) * think)
                key, value = change_for(s, rng, scenario)
                result.reruns.append(await s.change(key, value, timeout=RERUN_TIMEOUT_S))
                done += 1
        finally:
            await s.close()

    await asyncio.gather(*(tab(i) for i in range(sessions)))
    return result


@dataclass
class Running:
    """A server started elsewhere (``--url``): an app, or a load balancer in front of replicas."""

    base: str

    @property
    def stream_url(self) -> str:
        return self.base.replace("http", "ws", 1) + "/_stcore/stream"


async def soak(server: Server, configs: int, tabs: int, max_seconds: float) -> dict:
    """``configs`` distinct configurations (seed = 0, 1, …) through ``tabs`` tabs; RSS before/after."""
    before = server.rss_bytes()
    peak = before
    queue = list(range(configs))
    runs: list[Run] = []
    end = time.monotonic() + max_seconds

    async def tab() -> None:
        nonlocal peak
        s = await Session.connect(server.stream_url)
        try:
            await s.load(PAGE, timeout=LOAD_TIMEOUT_S)
            while queue and time.monotonic() < end:
                runs.append(await s.change("seed", 1_000_000 + queue.pop(0), timeout=LOAD_TIMEOUT_S))
                peak = max(peak, server.rss_bytes())
        finally:
            await s.close()

    start = time.monotonic()
    await asyncio.gather(*(tab() for _ in range(tabs)))
    after = server.rss_bytes()
    return {"configurations": len(runs), "failed": sum(not r.ok for r in runs), "seconds": time.monotonic() - start,
            "rss_before_mb": before / MB, "rss_after_mb": after / MB, "rss_peak_mb": peak / MB,
            "growth_mb": (after - before) / MB}


async def health_during(server: Server, page: str, query: str) -> dict:
    """Open ``page?query`` and poll the health endpoint until its run has finished."""
    samples: list[tuple[float, bool]] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            samples.append(server.health(timeout=5.0))
            stop.wait(HEALTH_POLL_S)

    s = await Session.connect(server.stream_url)
    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        run = await s.load(page, query, timeout=LOAD_TIMEOUT_S)
    finally:
        stop.set()
        poller.join()
        await s.close()
    seconds = [t for t, _ in samples]
    return {"page": page, "run_s": run.seconds, "run_status": run.status, "run_ok": run.ok, "notice": run.notice,
            "polls": len(samples), "failed": sum(not ok for _, ok in samples), "p50_s": percentile(seconds, 0.5),
            "p95_s": percentile(seconds, 0.95), "max_s": max(seconds, default=float("nan"))}


HEAVY_SESSIONS = 4
"""Tabs of the heavy phase (issue 12: "4 sessions looping over the heaviest allowed views")."""


async def health_under_heavy(server: Server, duration: float, sessions: int = HEAVY_SESSIONS) -> dict:
    """``sessions`` tabs loading the :data:`HEAVIEST` views in turn (tab i starts at view i, each load a
    new seed) for ``duration`` s, while the health endpoint is polled every :data:`HEALTH_POLL_S`."""
    samples: list[tuple[float, bool]] = []
    runs: list[Run] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            samples.append(server.health(timeout=5.0))
            stop.wait(HEALTH_POLL_S)

    end = time.monotonic() + duration
    seeds = itertools.count(int(time.time()) % 10 ** 6 * 1000)  # seeds no earlier run computed

    async def tab(i: int) -> None:
        s = await Session.connect(server.stream_url)
        try:
            k = i
            while time.monotonic() < end:
                page, query = HEAVIEST[k % len(HEAVIEST)]
                runs.append(await s.load(page, query.format(seed=next(seeds)), timeout=LOAD_TIMEOUT_S))
                k += 1
        finally:
            await s.close()

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        await asyncio.gather(*(tab(i) for i in range(sessions)))
    finally:
        stop.set()
        poller.join()
    seconds = [t for t, _ in samples]
    return {"sessions": sessions, "views": len(runs), "views_ok": sum(r.ok for r in runs),
            "view_p50_s": percentile([r.seconds for r in runs], 0.5), "polls": len(samples),
            "failed": sum(not ok for _, ok in samples), "p50_s": percentile(seconds, 0.5),
            "p95_s": percentile(seconds, 0.95), "p99_s": percentile(seconds, 0.99),
            "max_s": max(seconds, default=float("nan")), "over_target": sum(t >= TARGET_HEALTH_S for t in seconds)}


async def rerun_cost(server: Server, reruns: int) -> dict:
    """Server CPU (server + workers) and latency per rerun of one tab: cached views, then new seeds."""
    s = await Session.connect(server.stream_url)
    out = {}
    try:
        await s.load(PAGE, timeout=LOAD_TIMEOUT_S)
        for depth in (20, 21):  # draw both views once
            await s.change("depth", depth, timeout=RERUN_TIMEOUT_S)
        for kind in ("cached", "new"):
            cpu, runs = server.cpu_seconds(), []
            for i in range(reruns):
                key, value = ("depth", 20 + i % 2) if kind == "cached" else ("seed", 10 ** 6 + i)
                runs.append(await s.change(key, value, timeout=RERUN_TIMEOUT_S))
            seconds = [r.seconds for r in runs]
            out[kind] = {"reruns": reruns, "cpu_ms": 1e3 * (server.cpu_seconds() - cpu) / reruns,
                         "p50_s": percentile(seconds, 0.5), "failed": sum(not r.ok for r in runs)}
    finally:
        await s.close()
    return out


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    import streamlit

    return {"cpu": model, "nproc": len(os.sched_getaffinity(0)), "loadavg": os.getloadavg(),
            "python": platform.python_version(), "streamlit": streamlit.__version__,
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def tracebacks(server: Server) -> int:
    return server.log_text().count("Traceback (most recent call last)")


def report(figures: dict) -> str:
    m = figures["machine"]
    flags = " ".join(figures["args"]["flag"]) or "the project's .streamlit/config.toml"
    url = figures["args"].get("url")
    lines = [f"server: {url} (running elsewhere)" if url else f"server: streamlit run app.py with {flags}"]
    lines += [f"machine: {m['cpu']}, {m['nproc']} cores, load average {m['loadavg'][0]:.2f} at start "
             f"(end {figures['loadavg_end'][0]:.2f}); Python {m['python']}, Streamlit {m['streamlit']}; {m['date']}"]

    def mark(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    for a in figures.get("load", []):
        lines.append(f"(a) load, {a['scenario']}: {a['sessions']} sessions, {a['reruns']} reruns in "
                     f"{figures['args']['duration']:.0f} s: "
                     f"p50 {a['p50_s']:.3f} s, p95 {a['p95_s']:.3f} s [{mark(a['p95_s'] < TARGET_P95_S)} < 0.5 s], "
                     f"max {a['max_s']:.3f} s; served {a['served_fraction']:.1%} "
                     f"[{mark(a['served_fraction'] >= TARGET_SERVED)} >= 95 %]; errors {a['errors']} "
                     f"[{mark(a['errors'] == 0)}], timeouts {a['timeouts']}; first loads p50 "
                     f"{a['first_load_p50_s']:.2f} s, max {a['first_load_max_s']:.2f} s")
    if "soak" in figures:
        b = figures["soak"]
        lines.append(f"(b) soak: {b['configurations']} distinct configurations in {b['seconds']:.0f} s "
                     f"({b['failed']} failed): RSS (server + workers) {b['rss_before_mb']:.0f} MB warm -> {b['rss_after_mb']:.0f} MB "
                     f"(peak {b['rss_peak_mb']:.0f} MB), growth {b['growth_mb']:+.0f} MB "
                     f"[{mark(b['growth_mb'] < TARGET_RSS_MB)} < 100 MB]")
    for c in figures.get("health", []):
        lines.append(f"(c) health while a heaviest {c['page']} view runs ({c['run_s']:.1f} s, {c['run_status']}"
                     f"{', with budget notice' if c['notice'] else ''}): {c['polls']} polls, p50 {c['p50_s'] * 1e3:.0f} ms, "
                     f"p95 {c['p95_s'] * 1e3:.0f} ms, max {c['max_s'] * 1e3:.0f} ms, failed {c['failed']} "
                     f"[{mark(c['max_s'] < TARGET_HEALTH_S and not c['failed'])} < 100 ms]")
    if "heavy" in figures:
        h = figures["heavy"]
        lines.append(f"(c) health while {h['sessions']} tabs loop over the heaviest views ({h['views']} views, "
                     f"{h['views_ok']} ok, p50 {h['view_p50_s']:.1f} s each): {h['polls']} polls, p50 {h['p50_s'] * 1e3:.0f} ms, "
                     f"p95 {h['p95_s'] * 1e3:.0f} ms, p99 {h['p99_s'] * 1e3:.0f} ms, max {h['max_s'] * 1e3:.0f} ms, "
                     f"{h['over_target']} at or over 100 ms, failed {h['failed']} "
                     f"[{mark(h['max_s'] < TARGET_HEALTH_S and not h['failed'])} < 100 ms]")
    for kind, d in figures.get("cost", {}).items():
        lines.append(f"(d) cost of a rerun, one tab, {kind} view: CPU of the server and its workers "
                     f"{d['cpu_ms']:.1f} ms per rerun, latency p50 {d['p50_s'] * 1e3:.0f} ms "
                     f"({d['reruns']} reruns, {d['failed']} failed)")
    if "tracebacks" in figures:
        lines.append(f"server log: {figures['tracebacks']} tracebacks; RSS of the server and its workers at the end "
                     f"{figures['rss_end_mb']:.0f} MB")
    return "\n".join(lines)


async def load_running(args) -> dict:
    """The load phase against ``args.url``, a server started elsewhere."""
    figures: dict = {"machine": machine(), "args": vars(args)}
    target = Running(args.url.rstrip("/"))
    await load(target, 1, reruns=2, think=0.0)  # compile, import, first caches
    figures["load"] = [(await load(target, args.sessions, duration=args.duration, think=args.think,
                                   scenario=scenario)).summary() for scenario in args.scenario.split(",")]
    figures["loadavg_end"] = os.getloadavg()
    return figures


async def main_async(args) -> dict:
    if args.url:
        return await load_running(args)
    only = set(args.only.split(","))
    figures: dict = {"machine": machine(), "args": vars(args)}
    with serve(flags=tuple(args.flag)) as server:
        warm = await load(server, 1, reruns=2, think=0.0)  # compile, import, first caches
        figures["warmup_s"] = [r.seconds for r in warm.first_loads + warm.reruns]
        if "cost" in only:
            figures["cost"] = await rerun_cost(server, args.cost_reruns)
        if "load" in only:
            figures["load"] = [(await load(server, args.sessions, duration=args.duration, think=args.think,
                                           scenario=scenario)).summary() for scenario in args.scenario.split(",")]
        if "soak" in only:
            figures["soak"] = await soak(server, args.soak, args.soak_sessions, args.soak_max_seconds)
        if "health" in only:
            figures["health"] = [await health_during(server, page, query.format(seed=int(time.time())))
                                 for page, query in HEAVIEST]
            figures["heavy"] = await health_under_heavy(server, args.heavy_duration)
        figures["tracebacks"] = tracebacks(server)
        figures["rss_end_mb"] = server.rss_bytes() / MB
    figures["loadavg_end"] = os.getloadavg()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--heavy-duration", type=float, default=60.0, help="seconds of the heavy phase (health)")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time, seconds")
    parser.add_argument("--scenario", default=",".join(SCENARIOS), help="the load's kinds of change, in order: "
                        "sliders (depth and width, shared configurations), new (also seeds and activations)")
    parser.add_argument("--soak", type=int, default=1000, help="distinct configurations")
    parser.add_argument("--soak-sessions", type=int, default=2)
    parser.add_argument("--soak-max-seconds", type=float, default=1200.0)
    parser.add_argument("--cost-reruns", type=int, default=60, help="reruns of each kind in the cost phase")
    parser.add_argument("--only", default="cost,load,soak,health")
    parser.add_argument("--flag", action="append", default=[], help="a streamlit run option for the server, "
                        "e.g. --flag=--runner.postScriptGC=true (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--url", help="load a server already running there (e.g. nginx in front of replicas: "
                        "make serve-replicas) instead of starting one; the load phase only")
    args = parser.parse_args()
    if args.url and not args.url.startswith(("http://127.0.0.1", "http://localhost")):
        parser.error("--url is for a server on this machine (http://127.0.0.1:PORT)")
    figures = asyncio.run(main_async(args))
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
