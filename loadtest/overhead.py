"""What a load balancer adds to a rerun (issue 18): one tab straight to a replica, one through nginx.

Each tab draws two views of the default page, then the two tabs take turns rerunning between them
(views the replica has cached: the rerun is then mostly transport, which is what nginx touches):
``--reruns`` each, alternating (and alternating which goes first) so that both paths see the same
machine load. Reported: each path's
latency p50 and mean, and their difference — nginx's overhead per rerun.

    python -m loadtest.overhead --direct http://127.0.0.1:REPLICA_PORT --balanced http://127.0.0.1:8080
"""

from __future__ import annotations

import argparse
import asyncio
import statistics

from .client import Session, visit
from .run import PAGE, RERUN_TIMEOUT_S, Running, percentile


async def overhead(direct: str, balanced: str, reruns: int) -> dict:
    tabs = {}
    for name, base in (("direct", direct), ("balanced", balanced)):
        target = Running(base.rstrip("/"))
        cookie = (await asyncio.to_thread(visit, target.base)).cookie
        tabs[name] = await Session.connect(target.stream_url, cookie=cookie)
    seconds: dict[str, list[float]] = {name: [] for name in tabs}
    failed = 0
    try:
        for s in tabs.values():
            await s.load(PAGE, "depth=10&width=64")
            await s.change("depth", 11)  # both views drawn once
        for i in range(reruns):
            for name in ("direct", "balanced") if i % 4 < 2 else ("balanced", "direct"):  # neither always first
                s = tabs[name]
                run = await s.change("depth", 10 + i % 2, timeout=RERUN_TIMEOUT_S)
                failed += not run.ok
                seconds[name].append(run.seconds)
    finally:
        for s in tabs.values():
            await s.close()
    out = {name: {"p50_ms": 1e3 * percentile(xs, 0.5), "mean_ms": 1e3 * statistics.fmean(xs)}
           for name, xs in seconds.items()}
    out["overhead_p50_ms"] = out["balanced"]["p50_ms"] - out["direct"]["p50_ms"]
    out["overhead_mean_ms"] = out["balanced"]["mean_ms"] - out["direct"]["mean_ms"]
    out["reruns"], out["failed"] = reruns, failed
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--direct", required=True, help="a replica, http://127.0.0.1:PORT")
    parser.add_argument("--balanced", required=True, help="nginx in front of it, http://127.0.0.1:PORT")
    parser.add_argument("--reruns", type=int, default=100)
    args = parser.parse_args()
    for url in (args.direct, args.balanced):
        if not url.startswith(("http://127.0.0.1", "http://localhost")):
            parser.error("for servers on this machine only (http://127.0.0.1:PORT)")
    r = asyncio.run(overhead(args.direct, args.balanced, args.reruns))
    print(f"{r['reruns']} cached reruns on each path ({r['failed']} failed): direct p50 {r['direct']['p50_ms']:.1f} ms "
          f"(mean {r['direct']['mean_ms']:.1f}), through nginx p50 {r['balanced']['p50_ms']:.1f} ms "
          f"(mean {r['balanced']['mean_ms']:.1f}): nginx adds {r['overhead_p50_ms']:+.1f} ms at the median "
          f"({r['overhead_mean_ms']:+.1f} ms on average) per rerun")


if __name__ == "__main__":
    main()
