"""Timing of the 2-D maps used by the plots: PCA, classical MDS, Sammon's mapping.

Sammon's mapping costs O(n^2) per iteration (one derivative pass and, usually,
one stress pass). The kernels are warmed up first (compile time reported
apart); each figure is the median of --repeats runs with a fixed iteration
count, so the times compare across n and thread counts. Stress is printed
beside the time.

Run:  python benchmarks/bench_projection.py [--sizes 500,1000,2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np

from optimeans import projection
from optimeans._numba import max_threads


def median_time(fn, repeats):
    times = []
    out = None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)), out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="500,1000,2000")
    ap.add_argument("--features", type=int, default=10)
    ap.add_argument("--iters", type=int, default=50, help="Sammon iterations per run (tol=0)")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    sizes = [int(v) for v in args.sizes.split(",")]
    print(f"python {platform.python_version()}, numpy {np.__version__}, {max_threads()} Numba threads")

    t = time.perf_counter()
    projection.sammon(np.random.default_rng(0).normal(size=(20, 3)), max_iter=2)
    projection.sammon(np.random.default_rng(0).normal(size=(20, 5)), 3, max_iter=2)
    print(f"warm-up (compile or load from cache): {time.perf_counter() - t:.2f} s\n")

    print(f"{'n':>6} {'method':<8} {'threads':>7} {'seconds':>9} {'ms/iter':>8} {'stress':>8}")
    for n in sizes:
        X = np.random.default_rng(n).normal(size=(n, args.features))
        for name, fn in [("pca", lambda: projection.pca(X)), ("mds", lambda: projection.classical_mds(X))]:
            sec, p = median_time(fn, args.repeats)
            print(f"{n:>6} {name:<8} {'-':>7} {sec:>9.3f} {'-':>8} {p.stress:>8.4f}")
        for threads in sorted({1, max_threads()}):
            sec, p = median_time(
                lambda: projection.sammon(X, max_iter=args.iters, tol=0, n_threads=threads), args.repeats
            )
            print(f"{n:>6} {'sammon':<8} {threads:>7} {sec:>9.3f} {1000 * sec / p.n_iter:>8.2f} {p.stress:>8.4f}")


if __name__ == "__main__":
    main()
