"""Standard normals per second on one thread, by sampler: numpy's ziggurat (``standard_normal``, draw
version 1) and initviz's draw version 2 (:mod:`initviz.normals`: Box–Muller on float32 uniforms), in
float32 and float64, filling one array of ``--entries`` and in cache-sized chunks
(``initviz.limits.SAMPLE_CHUNK_ENTRIES``, as ``Law.sample`` does). BLAS plays no part; the kernel
numpy's BLAS would use is printed all the same (threadpoolctl), as every bench does.

    python -m bench.normals [--entries 4194304] [--repeats 7]
"""

from __future__ import annotations

import argparse
import os

import numpy as np
from threadpoolctl import threadpool_info

from initviz import normals
from initviz.limits import SAMPLE_CHUNK_ENTRIES

from .timing import time_calls


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.normals", description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=2 ** 22)
    parser.add_argument("--repeats", type=int, default=7)
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
