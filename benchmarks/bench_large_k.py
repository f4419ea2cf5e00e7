"""Large k (1,000 to 20,000 centers): optimeans' methods vs scikit-learn (lloyd) vs FAISS, per iteration.

Same data (``bench_lloyd.make_data``: Gaussian blobs, initial centers = k random
rows), same initial centers, ``tol=0``, in one process. Two figures per tool:

* ``first``: the first iteration, setup included (for optimeans the time from
  the call to the first callback: validation, packing, the first full scan and
  the center update; for the peers the time of a 1-iteration run);
* ``iter``: the marginal iteration. For the peers, whose every iteration costs
  the same full scan, ``(T(M) - T(1)) / (M - 1)``. optimeans' accelerated
  methods get cheaper as the centers settle, so they get two figures: ``iter``,
  the median of the per-iteration times (callback to callback) of iterations
  ``M/2 .. M`` ("after the first few"), and ``mean2..M``, the mean of iterations
  2 to M, the figure comparable to the peers' over the same iterations.

``peakMB`` is the peak extra resident memory of a run of M iterations in a
fresh process (bench_lloyd's method; off with ``--no-memory``). ``uptime`` is
printed beside every row: on a shared machine figures taken under load are
inflated and noisy.

Usage::

    PYTHONPATH=src python benchmarks/bench_large_k.py                       # the four shapes of issue 14
    PYTHONPATH=src python benchmarks/bench_large_k.py --shapes 20000x64x1024 --threads 1 --no-memory
    PYTHONPATH=src python benchmarks/bench_large_k.py --shapes 250000x2x6000 --methods auto kdtree --cpu
    PYTHONPATH=src python benchmarks/bench_large_k.py --shapes 50000x128x4096 --methods auto auto:scan lloyd lloyd:scan --iters 6
    PYTHONPATH=src python benchmarks/bench_large_k.py --shapes 1000000x16x16384 --methods lloyd ball --peers faiss --iters 6 --cpu
    PYTHONPATH=src python benchmarks/bench_large_k.py --shapes 200000x16x16384 --methods lloyd ball --iters 6 --cpu --no-memory --no-objective

``ball`` (:mod:`optimeans.solvers.ball`) prints, beside its row, the share of Lloyd's full scan its
last pass computed (``scanned``).

A method name ending in ``:scan`` runs without the BLAS products (the register-blocked
scans only): the A/B of the BLAS pass from 64 features and 512 centers on.

``--cpu`` times with the process's CPU time instead of the wall clock (both
optimeans and the peers): on a machine shared with other jobs the wall clock
counts the time spent waiting for a core.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lloyd import have_faiss, make_data, peak_memory_mb, versions  # noqa: E402

SHAPES = ["100000x64x1024", "250000x2x6000", "50000x128x4096", "1000000x16x16384"]
METHODS = ["auto", "lloyd", "hamerly", "yinyang", "kdtree", "ball"]


def objective64(X: np.ndarray, C: np.ndarray) -> float:
    """sum_i min_j ||x_i - c_j||^2 in float64 through ``||x||^2 - 2 x.c + ||c||^2`` (blocked: k may be 16384)."""
    C = np.asarray(C, dtype=np.float64)
    cc = (C * C).sum(axis=1)
    total = 0.0
    for s in range(0, X.shape[0], 2048):
        x = np.asarray(X[s : s + 2048], dtype=np.float64)
        D = (x * x).sum(axis=1)[:, None] - 2.0 * (x @ C.T) + cc[None, :]
        total += float(np.maximum(D.min(axis=1), 0.0).sum())
    return total


def load() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


#: The clock of every figure (``--cpu``: the process's CPU time).
clock = time.perf_counter


def run_optimeans(X, C0, iters, threads, method):
    """(first-iteration seconds, per-iteration seconds list, final centers, method actually run).

    ``METHOD:scan`` runs ``METHOD`` with the register-blocked Numba scans only (no BLAS
    products, :data:`optimeans._kernels.lloyd.GEMM_FROM`), for an A/B in one process.
    """
    import optimeans
    from optimeans._kernels import lloyd as K

    if method.endswith(":scan"):
        old = K.GEMM_FROM
        K.GEMM_FROM = 1 << 40
        try:
            return run_optimeans(X, C0, iters, threads, method[: -len(":scan")])
        finally:
            K.GEMM_FROM = old
    stamps = []

    def cb(it, obj):
        stamps.append(clock())
        return False

    t0 = clock()
    r = optimeans.fit(
        X, C0.shape[0], init=C0, n_init=1, max_iter=iters, tol=0.0, method=method, n_threads=threads, callback=cb,
    )
    steps = np.diff([t0, *stamps])
    if "scanned_fraction" in r.info:
        print(f"#   {method}: last pass scanned {r.info['scanned_fraction']:.3f} of the full scan", flush=True)
    return float(steps[0]), list(steps[1:]), r.centers, r.method


def run_sklearn(X, C0, iters, threads):
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    with threadpool_limits(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = KMeans(C0.shape[0], init=C0, n_init=1, max_iter=iters, tol=0.0, algorithm="lloyd").fit(X)
    return km.cluster_centers_


def run_faiss(X, C0, iters, threads):
    import faiss

    faiss.omp_set_num_threads(threads)
    n, d = X.shape
    km = faiss.Kmeans(d, C0.shape[0], niter=iters, max_points_per_centroid=n, min_points_per_centroid=1, seed=0)
    km.train(np.ascontiguousarray(X, dtype=np.float32), init_centroids=np.ascontiguousarray(C0, dtype=np.float32))
    return km.centroids


def peer(fn, X, C0, iters, threads):
    """(first seconds, marginal seconds per iteration, final centers) of a peer: T(1) and (T(M) - T(1)) / (M - 1)."""
    t = clock()
    fn(X, C0, 1, threads)
    t1 = clock() - t
    t = clock()
    centers = fn(X, C0, iters, threads)
    tm = clock() - t
    return t1, (tm - t1) / max(iters - 1, 1), centers


def warm(threads: int) -> float:
    """Compile (or load from the cache) optimeans' kernels on tiny data; seconds."""
    t = time.perf_counter()
    rng = np.random.default_rng(0)
    for dt in (np.float32,):
        for d in (2, 16, 64):
            X = rng.normal(size=(3000, d)).astype(dt)
            C0 = X[:300].copy()
            for m in METHODS[1:]:
                if m != "kdtree" or d <= 3:  # the tree is the method for few features only
                    run_optimeans(X, C0, 3, threads, m)
    # the BLAS products (512 padded centers or more, 64 features or more)
    X = rng.normal(size=(3000, 64)).astype(np.float32)
    for m in ("lloyd", "yinyang"):
        run_optimeans(X, X[:600].copy(), 3, threads, m)
    # the relocation of empty clusters (duplicate initial centers) past its filter's size
    X = rng.normal(size=(20000, 64)).astype(np.float32)
    run_optimeans(X, np.repeat(X[:150], 2, axis=0), 2, threads, "auto")
    return time.perf_counter() - t


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shapes", nargs="+", default=SHAPES, help="n x d x k")
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    p.add_argument("--iters", type=int, default=10, help="M, iterations of the run")
    p.add_argument("--methods", nargs="+", default=METHODS, help="optimeans methods")
    p.add_argument("--peers", nargs="*", default=["sklearn", "faiss"], help="none: optimeans only")
    p.add_argument("--no-memory", action="store_true")
    p.add_argument("--cpu", action="store_true", help="process CPU time instead of the wall clock")
    p.add_argument(
        "--no-objective", action="store_true",
        help="skip the float64 objective of every row (at 1000000x16x16384 it takes longer than the runs)",
    )
    p.add_argument(
        "--memory-tools", nargs="+", default=["optimeans-auto", "optimeans-lloyd", "sklearn-lloyd", "faiss"],
        help="rows that get the peak-memory column (each is one more run, in a fresh process)",
    )
    args = p.parse_args(argv)
    global clock
    clock = time.process_time if args.cpu else time.perf_counter
    peers = [q for q in args.peers if q != "faiss" or have_faiss()]
    # import the peers before any timing: the first T(1) would otherwise include the import of
    # sklearn.cluster (seconds under load) and make (T(M) - T(1)) / (M - 1) too small
    rng = np.random.default_rng(0)
    Xw = rng.normal(size=(500, 4)).astype(np.float32)
    for q in peers:
        (run_sklearn if q == "sklearn" else run_faiss)(Xw, Xw[:8].copy(), 1, 1)
    print(f"# {versions()}; float32; {args.iters} iterations, tol=0; times in ms ({'CPU' if args.cpu else 'wall'})")
    print(f"# optimeans JIT compile (or cache load): {warm(1):.1f} s; {load()}")
    print("shape              thr tool                 first     iter  mean2..M  objective(f64)      peakMB  uptime")
    for shape in args.shapes:
        n, d, k = (int(v) for v in shape.split("x"))
        X64, C64 = make_data(n, d, k)
        X = np.ascontiguousarray(X64, dtype=np.float32)
        C0 = np.ascontiguousarray(C64, dtype=np.float32)
        del X64
        for threads in args.threads:
            best_peer = np.inf
            rows = []
            for q in peers:
                fn = run_sklearn if q == "sklearn" else run_faiss
                first, it, centers = peer(fn, X, C0, args.iters, threads)
                best_peer = min(best_peer, it)
                tool = "sklearn-lloyd" if q == "sklearn" else "faiss"
                rows.append((tool, first, it, it, centers, load()))
            for m in args.methods:
                first, steps, centers, ran = run_optimeans(X, C0, args.iters, threads, m)
                late = statistics.median(steps[len(steps) // 2 :]) if steps else float("nan")
                mean = float(np.mean(steps)) if steps else float("nan")
                name = f"optimeans-{m}" + (f"({ran})" if m.startswith("auto") else "")
                rows.append((name, first, late, mean, centers, load()))
            for tool, first, it, mean, centers, ld in rows:
                mem = float("nan")
                if not args.no_memory and tool.split("(")[0] in args.memory_tools:
                    key = tool.split("(")[0]
                    key = "optimeans" if key == "optimeans-lloyd" else key
                    mem = peak_memory_mb(key, shape, "float32", threads, args.iters)
                print(
                    f"{shape:<18} {threads:>3} {tool:<20} {first * 1e3:>7.0f} {it * 1e3:>8.1f} {mean * 1e3:>8.1f}  "
                    f"{(float('nan') if args.no_objective else objective64(X, centers)):<19.10g} {mem:>6.0f}  {ld}",
                    flush=True,
                )
            ours = min(r[2] for r in rows if r[0].startswith("optimeans-auto(")) if "auto" in args.methods else None
            if ours is not None and best_peer < np.inf:
                print(f"#   auto 'iter' vs fastest peer: {best_peer / ours:.2f}x", flush=True)
    print(f"# {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
