"""How long each link of the hostile-link catalogue takes to open (issue 4: at most 3 s per link).

Runs every link of ``tests/hardening/links_catalogue.py`` through the real app with AppTest, opened
as the catalogue test opens them (``tests/hardening/catalogue_sessions.py``), and prints the CPU
and wall seconds of each run per class and page, the slowest links, and PASS/FAIL against
:data:`MAX_SECONDS` for the slowest. What each link *shows* is the test's business
(``tests/hardening/test_links_catalogue.py``); this is the benchmark of how long it takes.

    python -m bench.links [--only PAGE,...] [--top K]

Wall time counts whatever else the machine runs: the load average is printed with the result.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests" / "hardening"), str(ROOT / "tests")]

MAX_SECONDS = 3.0
"""Issue 4's bound on one link, in wall-clock seconds: what the user waits."""


def _summary(rows: list[dict], key: str) -> list[str]:
    lines = [f"{key:<13} {'links':>5} {'cpu median':>10} {'cpu max':>8} {'wall median':>11} {'wall max':>8}"]
    for name in sorted({r[key] for r in rows}):
        sel = [r for r in rows if r[key] == name]
        cpu, wall = [r["cpu"] for r in sel], [r["wall"] for r in sel]
        lines.append(f"{name:<13} {len(sel):>5} {statistics.median(cpu):>10.2f} {max(cpu):>8.2f} "
                     f"{statistics.median(wall):>11.2f} {max(wall):>8.2f}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.links", description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="comma-separated pages (default: every page)")
    parser.add_argument("--top", type=int, default=10, help="how many of the slowest links to list")
    args = parser.parse_args(argv)
    from catalogue_sessions import Sessions
    from links_catalogue import CATALOGUE

    pages = {p.strip() for p in args.only.split(",") if p.strip()}
    chosen = [link for link in CATALOGUE if not pages or link.page in pages]
    sessions, rows = Sessions(), []
    for i, link in enumerate(chosen):
        at, cpu, wall = sessions.open(link)
        rows.append({"cls": link.cls, "page": link.page, "id": link.id, "cpu": cpu, "wall": wall,
                     "failed": bool(at.exception)})
        if (i + 1) % 100 == 0:
            print(f"  {i + 1} of {len(chosen)} links", flush=True)
    print("\n".join(["", *_summary(rows, "cls"), "", *_summary(rows, "page"), "", f"slowest {args.top}:"]))
    for r in sorted(rows, key=lambda r: -r["wall"])[:args.top]:
        print(f"  {r['wall']:6.2f} s wall  {r['cpu']:6.2f} s cpu  {r['id']}")
    worst = max(r["wall"] for r in rows)
    print(f"\ntotal: {len(rows)} links, cpu {sum(r['cpu'] for r in rows):.1f} s, wall {sum(r['wall'] for r in rows):.1f} s;"
          f" load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"slowest link ≤ {MAX_SECONDS:g} s wall: {'PASS' if worst <= MAX_SECONDS else 'FAIL'} ({worst:.2f} s)")
    if any(r["failed"] for r in rows):
        print("some links raised in the app: run tests/hardening/test_links_catalogue.py")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
