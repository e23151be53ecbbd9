"""Standard normals per second on one thread, by sampler: numpy's ziggurat (``standard_normal``, draw
version 1) and initviz's draw version 2 (:mod:`initviz.normals`: Box–Muller on float32 uniforms), in
float32 and float64, filling one array of ``--entries`` and in cache-sized chunks
(``initviz.limits.SAMPLE_CHUNK_ENTRIES``, as ``Law.sample`` does). BLAS plays no part; the kernel
numpy's BLAS would use is printed all the same (threadpoolctl), as every bench does. Then one
Haar-orthogonal draw of ``--haar`` × ``--haar`` float32 (:func:`initviz.draws.haar`: its Gaussian and
its QR, float64 LAPACK in version 1, float32 in version 2) per draw version, in alternation, one thread.

``--workload W1`` then times, in alternation (one call of each per round, median of the rounds, so
both see the same load on a shared machine) and with one BLAS thread: the workload's weight draws
alone (``draw_layer`` for every layer, as ``propagate`` draws them) and its whole ``propagate``
call, with draw versions 1 and 2, in CPU seconds of the process (all its threads) — what the sampler
changes in the workload's work, which other jobs on a shared machine disturb far less than wall time.

    python -m bench.normals [--entries 4194304] [--repeats 7] [--haar 512] [--workload W1]
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from initviz import normals
from initviz.limits import SAMPLE_CHUNK_ENTRIES

from .timing import time_calls, time_interleaved
from .workloads import WORKLOADS


def rates(entries: int, dtype: str, repeats: int) -> dict:
    """M draws/s of each draw version in ``dtype``: one call of ``entries`` and chunks of
    SAMPLE_CHUNK_ENTRIES (the better of the two is the version's rate)."""
    dt, gen = np.dtype(dtype), np.random.default_rng(0)
    out = np.empty(entries, dtype=dt)
    chunks = [out[i:i + SAMPLE_CHUNK_ENTRIES] for i in range(0, entries, SAMPLE_CHUNK_ENTRIES)]
    result = {}
    for draws in normals.DRAW_VERSIONS:
        fill = normals.filler(draws, dt)
        whole = time_calls(lambda: fill(out, gen), repeats)["median"]
        chunked = time_calls(lambda: [fill(c, gen) for c in chunks], repeats)["median"]
        result[draws] = {"whole": entries / whole / 1e6, "chunked": entries / chunked / 1e6}
    return result


def haar_times(n: int, repeats: int) -> dict:
    """Median seconds of one n×n float32 Haar draw per draw version, in alternation, one BLAS thread."""
    from initviz.draws import haar

    calls = {draws: (lambda d=draws: haar((n, n), np.random.default_rng(0), np.dtype("float32"), d))
             for draws in normals.DRAW_VERSIONS}
    with threadpool_limits(limits=1, user_api="blas"):
        return {d: t["median"] for d, t in time_interleaved(calls, repeats, warmup=1).items()}


def _cpu_timed(fn):
    """``fn`` as a call whose reported seconds are the process's CPU time (``SelfTimed``)."""
    from .timing import SelfTimed

    def call():
        start = time.process_time()
        fn()
        return SelfTimed(time.process_time() - start)
    return call


def workload_calls(name: str) -> dict:
    """{(what, draws): call} for workload ``name``: its weight draws alone and its propagate call."""
    import dataclasses

    import initviz as iv
    from initviz.engine.run import draw_layer

    out = {}
    for draws in normals.DRAW_VERSIONS:
        w = dataclasses.replace(WORKLOADS[name], draws=draws)
        net = iv.Network.mlp(**w.network_kwargs())
        dt = np.dtype(w.dtype)
        out[f"weights, draws={draws}"] = lambda net=net, dt=dt, d=draws: [
            draw_layer(net, 0, 0, layer, dt, d) for layer in range(1, net.depth + 1)]
        out[f"propagate, draws={draws}"] = lambda w=w: iv.propagate(iv.Network.mlp(**w.network_kwargs()),
                                                                     **w.propagate_kwargs())
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.normals", description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=2 ** 22)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--haar", type=int, default=512, help="side of the Haar draws timed (0: none)")
    parser.add_argument("--workload", choices=tuple(WORKLOADS), default=None,
                        help="also time this workload's weight draws and propagate call with each draw version")
    args = parser.parse_args(argv)
    blas = [f"{p['internal_api']} {p.get('version')} ({p.get('architecture')}, {p['num_threads']} threads)"
            for p in threadpool_info() if p["user_api"] == "blas"]
    print(f"numpy {np.__version__}; BLAS {', '.join(blas)}; load average {os.getloadavg()[0]:.2f}; "
          f"{args.entries} entries, median of {args.repeats}; one thread")
    for dtype in ("float32", "float64"):
        for draws, r in rates(args.entries, dtype, args.repeats).items():
            name = "Box–Muller on float32 uniforms" if draws == 2 and dtype == "float32" else \
                "numpy standard_normal (ziggurat)"
            print(f"  {dtype} draws={draws}: {r['whole']:6.0f} M/s in one call, {r['chunked']:6.0f} M/s in chunks "
                  f"of {SAMPLE_CHUNK_ENTRIES}  [{name}]")
    if args.haar:
        times = haar_times(args.haar, args.repeats)
        print(f"  Haar {args.haar}×{args.haar} float32, one thread: " + ", ".join(
            f"draws={d} {t * 1e3:.1f} ms" for d, t in times.items()) + f" ({times[1] / times[2]:.2f}×)")
    if args.workload:
        calls = workload_calls(args.workload)
        with threadpool_limits(limits=1, user_api="blas"):
            cpu = time_interleaved({k: _cpu_timed(fn) for k, fn in calls.items()}, args.repeats, warmup=1)
        print(f"{args.workload} ({WORKLOADS[args.workload].describe()}), one BLAS thread, in alternation, "
              f"median of {args.repeats}; load average now {os.getloadavg()[0]:.2f}:")
        for what, t in cpu.items():
            print(f"  {what}: {t['median'] * 1e3:.1f} ms of CPU (all threads; wall time suffers more from other jobs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
