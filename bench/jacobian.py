"""Cost of one Jacobian spectrum of a deep nonlinear network (issue 15), outside ``make bench``.

    python -m bench.jacobian [--depth 100] [--width 512] [--repeats 3]

A tanh network on the critical line at σ_b² = 0.05 (:func:`initviz.critical_line`), Gaussian and
orthogonal weights, one seed: :func:`initviz.jacobian_spectrum` at its final depth only and at its
default checkpoints (each checkpoint adds a Jacobi SVD). Prints the median wall and CPU seconds of
``--repeats`` calls; run it with ``OPENBLAS_NUM_THREADS=1`` for the one-core figure. The work is
≈ 3 n³ flops per layer (the product W·Q, its QR, the graded update) plus one SVD per checkpoint.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import initviz as iv

SIGMA_B2 = 0.05
"""Bias variance of the benchmarked network; σ_w² is the tanh critical value there."""


def measure(depth: int, width: int, repeats: int) -> list[tuple[str, int, float, float]]:
    """(init, checkpoints, median wall s, median CPU s) per case."""
    w2 = float(iv.critical_line("tanh", [SIGMA_B2])[0])
    rows = []
    for init, params in (("normal", {"std": math.sqrt(w2 / width)}), ("orthogonal", {"gain": math.sqrt(w2)})):
        net = iv.Network.mlp(width, [width] * depth, "tanh", init, params, bias="normal",
                             bias_value=math.sqrt(SIGMA_B2))
        for checkpoints in ([depth], None):
            walls, cpus = [], []
            for _ in range(repeats):
                wall, cpu = time.perf_counter(), time.process_time()
                spec = iv.jacobian_spectrum(net, seed=0, n_seeds=1, checkpoints=checkpoints)
                walls.append(time.perf_counter() - wall)
                cpus.append(time.process_time() - cpu)
            rows.append((init, len(spec.depths), statistics.median(walls), statistics.median(cpus)))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=100)
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"jacobian_spectrum, tanh at criticality (σ_b² = {SIGMA_B2}), depth {args.depth}, "
          f"width {args.width}, 1 seed")
    for init, checkpoints, wall, cpu in measure(args.depth, args.width, args.repeats):
        print(f"  {init:<10} {checkpoints:>3} checkpoint(s): wall {wall:6.2f} s  cpu {cpu:6.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
