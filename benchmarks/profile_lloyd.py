"""Where the time of a Lloyd iteration goes, on one thread (the profile behind bench_lloyd's figures).

For one shape (same data and initial centers as ``bench_lloyd.py``) it reports,
in CPU milliseconds of the calling thread (best of ``--repeats`` where marked):

* ``scan``: one assignment pass in which no label changes (the distance scan,
  the best / second-best tracking and the exactness guard only; best of);
* ``stream``: reading the packed float32 copy of the data once (``numpy`` sum
  over it; the memory-bandwidth part of the scan; best of);
* per iteration of a real run: the assignment pass (scan plus the moves of
  the points that change cluster, with their number), the reduction of the
  per-chunk sums, the objective and the center update;
* the fixed costs of a run: building the workspace (mean, scale, packed copy)
  and ``optimeans.fit`` with ``max_iter=1`` (validation, work-space copy,
  final objective in float64).

Usage::

    PYTHONPATH=src python benchmarks/profile_lloyd.py --shape 1000000x8x16
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from optimeans._kernels.lloyd import Workspace, apply_moves, lloyd_chunks
from optimeans._numba import numba_threads


def make_data(n: int, d: int, k: int, seed: int = 0):
    """The data of bench_lloyd.py: overlapping Gaussian blobs and k random rows as centers."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=2.0, size=(k, d))
    X = means[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    return X, X[rng.choice(n, size=k, replace=False)]


def best_of(fn, repeats: int) -> float:
    fn()
    best = np.inf
    for _ in range(repeats):
        t = time.thread_time()
        fn()
        best = min(best, time.thread_time() - t)
    return best * 1e3


def chunks_pass(ws: Workspace) -> None:
    lloyd_chunks(
        ws.X, ws.w, ws.XT, ws.block_norm, ws.C2, ws.cn, ws.C64, ws.k, ws.cmax, ws.kappa, ws.mean, ws.labels,
        ws.chunk_S, ws.chunk_Q, ws.chunk_W, ws.chunk_N, ws.chunk_changed, True, ws.no_dist, ws.prefetch_rows,
    )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shape", default="1000000x8x16", help="n x d x k")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--repeats", type=int, default=7)
    args = p.parse_args(argv)
    import optimeans

    n, d, k = (int(v) for v in args.shape.split("x"))
    X64, C64 = make_data(n, d, k)
    X = np.ascontiguousarray(X64, dtype=args.dtype)
    C0 = np.ascontiguousarray(C64, dtype=args.dtype)
    with numba_threads(1):
        Workspace(X[: min(n, 5000)], k, np.ones(min(n, 5000)))  # load the kernels (JIT cache) first
        t = time.thread_time()
        ws = Workspace(X, k, np.ones(n))
        setup = (time.thread_time() - t) * 1e3
        ws.set_centers(C0)
        ws.assign()
        ws.assign()  # nothing moves: the prefetch is off, as in a real run
        scan = best_of(lambda: chunks_pass(ws), args.repeats)
        stream = best_of(lambda: ws.XT.sum(), args.repeats)
        print(f"# {args.shape} {args.dtype}, 1 thread, CPU ms")
        print(f"workspace setup      {setup:9.3f}")
        print(f"scan (no move)       {scan:9.3f}   floor at 115 GFLOP/s: {2 * n * k * d / 115e9 * 1e3:.3f}")
        print(f"stream packed copy   {stream:9.3f}   ({ws.XT.nbytes / 2**20:.0f} MB)")
        ws = Workspace(X, k, np.ones(n))
        centers = C0.copy()
        print("iter   moved   pass   reduce  objective  update")
        rows = []
        for it in range(1, args.iters + 1):
            ws.set_centers(centers)
            t0 = time.thread_time()
            chunks_pass(ws)
            t1 = time.thread_time()
            moved = apply_moves(ws.chunk_S, ws.chunk_Q, ws.chunk_W, ws.chunk_N, ws.chunk_changed,
                                ws.S, ws.Q, ws.W, ws.N)
            ws.prefetch_rows = moved * 1000 > n  # as Workspace.assign does
            t2 = time.thread_time()
            ws.objective()
            t3 = time.thread_time()
            ws.update_centers(centers)
            t4 = time.thread_time()
            rows.append((t1 - t0, t2 - t1, t3 - t2, t4 - t3))
            print(f"{it:4d} {moved:7d} {(t1 - t0) * 1e3:8.3f} {(t2 - t1) * 1e3:7.3f} {(t3 - t2) * 1e3:9.3f} "
                  f"{(t4 - t3) * 1e3:7.3f}")
        later = np.array(rows[1:]).mean(axis=0) * 1e3
        print(f"mean of iterations 2..{args.iters}: pass {later[0]:.3f}, reduce {later[1]:.3f}, "
              f"objective {later[2]:.3f}, update {later[3]:.3f}")
        for it in (1, args.iters + 1):
            optimeans.fit(X, k, init=C0, n_init=1, max_iter=it, tol=0.0, method="lloyd", n_threads=1)
        t = time.thread_time()
        optimeans.fit(X, k, init=C0, n_init=1, max_iter=1, tol=0.0, method="lloyd", n_threads=1)
        print(f"optimeans.fit, max_iter=1 (fixed costs + 1 pass): {(time.thread_time() - t) * 1e3:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
