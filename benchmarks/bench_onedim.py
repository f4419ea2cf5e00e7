"""Exact 1-D k-means: optimeans.exact.kmeans_1d against kmeans1d, same process, same data.

    python3 benchmarks/bench_onedim.py                      # n = 1e6, k = 16 and 256
    python3 benchmarks/bench_onedim.py --n 100000 --k 4 64  # other sizes
    python3 benchmarks/bench_onedim.py --big                # n = 1e7, k = 256: time and peak memory

Both libraries are timed through their public call (sorting and conversions
included). The JIT is warmed on a small input first and its compile time
reported apart. Each timing is the median of --repeats runs (kmeans1d at
k >= 128 runs once: it takes minutes); wall-clock and CPU (process) time are
both printed, and the speedup column gives wall / CPU ratios to kmeans1d.
On a machine shared with other jobs the CPU ratio of single-threaded runs is
the steadier figure. The objectives of both answers are printed: they must
agree (both are exact).
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, __file__.rsplit("/benchmarks/", 1)[0] + "/src")

import optimeans  # noqa: E402
from optimeans.exact import kmeans_1d  # noqa: E402


def make_data(n: int, seed: int = 0) -> np.ndarray:
    """A mixture of 10 Gaussians of different widths, plus 5 % uniform noise."""
    rng = np.random.default_rng(seed)
    means = rng.uniform(-50, 50, 10)
    sds = rng.uniform(0.5, 5, 10)
    comp = rng.integers(0, 10, n)
    x = rng.normal(means[comp], sds[comp])
    noise = rng.random(n) < 0.05
    x[noise] = rng.uniform(-80, 80, noise.sum())
    return x


def timed(fn, repeats: int) -> tuple[float, float, object]:
    """Median wall-clock and median CPU seconds (process time, all threads) of fn()."""
    walls, cpus = [], []
    out = None
    for _ in range(repeats):
        c = time.process_time()
        t = time.perf_counter()
        out = fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--k", type=int, nargs="+", default=[16, 256])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--no-kmeans1d", action="store_true", help="time optimeans only")
    ap.add_argument("--big", action="store_true", help="n = 10,000,000, k = 256, optimeans only, with peak memory")
    args = ap.parse_args()

    import numba

    print(f"# python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}, "
          f"optimeans {optimeans.__version__}, {platform.machine()} {numba.config.NUMBA_NUM_THREADS} cores")
    t = time.perf_counter()
    kmeans_1d(make_data(1000), 5)
    kmeans_1d(make_data(1000), 5, sample_weight=np.full(1000, 2.0))
    print(f"# JIT warm-up (compile or cache load): {time.perf_counter() - t:.2f} s")

    if args.big:
        n, k = 10_000_000, 256
        x = make_data(n)
        t = time.perf_counter()
        r = kmeans_1d(x, k)
        dt = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(f"n={n:,} k={k}: {dt:.1f} s, objective {r.objective:.10g}, peak RSS {peak:.2f} GiB")
        return 0

    x = make_data(args.n)
    try:
        import kmeans1d
    except ImportError:
        kmeans1d = None
    print(f"{'n':>10} {'k':>4} {'library':<22} {'wall s':>9} {'CPU s':>9} {'objective':>20} {'speedup':>16}")
    for k in args.k:
        rows = []
        for th in args.threads:
            sec, cpu, r = timed(lambda: kmeans_1d(x, k, n_threads=th), args.repeats)
            rows.append((f"optimeans {th} thread" + ("s" if th > 1 else ""), sec, cpu, r.objective))
        if kmeans1d is not None and not args.no_kmeans1d:
            reps = 1 if k >= 128 else args.repeats
            sec, cpu, out = timed(lambda: kmeans1d.cluster(x, k), reps)
            labels = np.asarray(out.clusters)
            centers = np.asarray(out.centroids).reshape(-1, 1)
            obj = optimeans.objective(x.reshape(-1, 1), centers, labels=labels)
            base = (sec, cpu)
            rows.append(("kmeans1d " + getattr(kmeans1d, "__version__", ""), sec, cpu, obj))
        else:
            base = None
        for name, sec, cpu, obj in rows:
            speed = f"{base[0] / sec:.1f}x / {base[1] / cpu:.1f}x" if base else ""
            print(f"{args.n:>10,} {k:>4} {name:<22} {sec:>9.3f} {cpu:>9.3f} {obj:>20.10g} {speed:>16}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
