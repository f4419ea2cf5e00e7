"""Seeding: greedy k-means++ against its arithmetic floor and scikit-learn; AFK-MC2 for large k.

For every shape (scikit-learn ``make_blobs`` with ``k`` centers, float32) and
thread count:

* the Lloyd kernel's rate on this machine and this shape: ``n k d`` divided by
  the best time of an assignment pass (:class:`optimeans._kernels.lloyd.Workspace`)
  at the greedy seeding's centers;
* the floor of greedy k-means++: ``m n d k`` multiply-adds (``m = 2 + floor(ln k)``
  candidates per step) at that rate, and the same at the best rate measured over
  all the shapes (the machine's peak for this kernel);
* the steps of greedy k-means++ whose choice the float32 bounds left undecided
  (they sum exact gains), over the seeds, the share of the packed blocks (one
  per step each) that the triangle-inequality pruning did not read, and the
  re-packs of the blocks by nearest center (over the seeds);
* the time of optimeans' greedy k-means++, of scikit-learn's ``kmeans_plusplus``
  (the same greedy rule, ``m`` trials) and of optimeans' AFK-MC2 (chain 200),
  median over the seeds;
* with ``--tools ... greedy-m1``: greedy k-means++ with one candidate per step, a
  diagnostic, not a seeding to use: the scan still reads every packed block once per
  step, so this time is the cost of streaming the data and of the per-step work, and
  ``greedy`` minus it the arithmetic of the other ``m - 1`` candidates;
* the objective of each seeding and after Lloyd from it (``fit(..., init=centers,
  method="lloyd", n_init=1, tol=1e-4)``, at most ``--lloyd-iter`` iterations),
  mean over the seeds, recomputed in float64 by optimeans.

The load average is printed before and after: figures taken on a loaded
machine are not comparable with idle ones.

Usage::

    PYTHONPATH=src python benchmarks/bench_seeding.py
    PYTHONPATH=src python benchmarks/bench_seeding.py --quick
    PYTHONPATH=src python benchmarks/bench_seeding.py --shapes 100000x64x1024 --threads 1 2 --seeds 0 1 2
    PYTHONPATH=src python benchmarks/bench_seeding.py --by-cluster --lloyd-iter 0 --tools greedy
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import statistics
import time

import numpy as np

BLOCK = 16  # rows per packed block (set from optimeans in main)
SHAPES = ["20000x128x100", "100000x64x1024", "250000x2x6000"]
QUICK = ["20000x128x100", "30000x64x256", "50000x2x1000"]


def _load() -> str:
    return "load average " + ", ".join(f"{v:.2f}" for v in os.getloadavg())


def _lloyd_rate(X: np.ndarray, centers: np.ndarray, repeats: int = 3) -> float:
    from optimeans._kernels.lloyd import Workspace

    ws = Workspace(X, centers.shape[0])
    ws.set_centers(centers)
    best = math.inf
    best_cpu = math.inf
    for _ in range(repeats + 1):  # the first pass sets the labels, the others are timed
        t = time.perf_counter()
        c = time.process_time()
        ws.assign(do_sums=False)
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    n, d = X.shape
    return n * d * centers.shape[0] / best, n * d * centers.shape[0] / best_cpu


def _objective(X: np.ndarray, centers: np.ndarray) -> float:
    """The objective with one BLAS thread: a threaded ``np.dot`` of ``n`` terms left OpenBLAS's
    workers spinning on the other core, and the next seeding's parallel regions waited for it
    (20000 x 128, k = 100, 2 threads: 50-112 ms against 29-36 ms with nothing in between)."""
    from threadpoolctl import threadpool_limits

    from optimeans.objective import objective

    with threadpool_limits(1, user_api="blas"):
        return float(objective(X, centers))


def run_shape(shape: str, threads: int, seeds: list[int], lloyd_iter: int, tools: list[str],
              by_cluster: bool = False) -> dict:
    from sklearn.cluster import kmeans_plusplus as sk_kmeans_plusplus
    from sklearn.datasets import make_blobs
    from threadpoolctl import threadpool_limits

    from optimeans import fit
    from optimeans._numba import numba_threads
    from optimeans.seeding import afkmc2, kmeans_plusplus

    n, d, k = (int(v) for v in shape.split("x"))
    X, y = make_blobs(n, d, centers=k, random_state=0)
    if by_cluster:
        X = X[np.argsort(y, kind="stable")]  # rows stored blob by blob (as files sorted by class are)
    X = np.ascontiguousarray(X, dtype=np.float32)
    w = np.ones(n)
    m = 2 + int(math.log(k))
    out: dict = {"shape": shape, "threads": threads, "m": m}
    stats = np.zeros(4, dtype=np.int64)  # decided steps, steps with exact gains, blocks not read, re-packs
    # the steps decided by the float32 bounds / by exact gains (versions of optimeans that count them)
    kw = {"stats": stats} if "stats" in inspect.signature(kmeans_plusplus).parameters else {}
    funcs = {
        "greedy": lambda s: kmeans_plusplus(X, k, w, np.random.default_rng(s), n_threads=threads, **kw)[0],
        "greedy-m1": lambda s: kmeans_plusplus(X, k, w, np.random.default_rng(s), n_local_trials=1,
                                               n_threads=threads)[0],
        "afkmc2": lambda s: afkmc2(X, k, w, np.random.default_rng(s), n_threads=threads)[0],
        "sklearn": lambda s: sk_kmeans_plusplus(X, k, random_state=s, n_local_trials=m)[0],
    }
    with numba_threads(threads), threadpool_limits(threads):
        for name in tools:
            times, cpus, objs, finals, iters = [], [], [], [], []
            for s in seeds:
                t = time.perf_counter()
                c = time.process_time()
                C = np.ascontiguousarray(funcs[name](s), dtype=np.float32)
                times.append(time.perf_counter() - t)
                cpus.append(time.process_time() - c)
                objs.append(_objective(X, C))
                if name == "greedy" and kw:
                    out["undecided"] = out.get("undecided", 0) + int(stats[1])
                    out["steps"] = out.get("steps", 0) + int(stats[:2].sum())
                    out["pruned"] = out.get("pruned", 0) + int(stats[2])
                    out["repacks"] = out.get("repacks", 0) + int(stats[3])
                if name == "greedy" and "rate" not in out:
                    out["rate"], out["rate_cpu"] = _lloyd_rate(X, C)
                if lloyd_iter > 0:
                    r = fit(X, k, init=C, n_init=1, method="lloyd", max_iter=lloyd_iter, tol=1e-4,
                            random_state=s, n_threads=threads)
                    finals.append(r.objective)
                    iters.append(r.n_iter)
            out[name] = {
                "time": statistics.median(times),
                "cpu": statistics.median(cpus),
                "seed_objective": statistics.fmean(objs),
                "final_objective": statistics.fmean(finals) if finals else float("nan"),
                "iters": statistics.fmean(iters) if iters else float("nan"),
            }
    out["floor"] = m * n * d * k / out["rate"]
    out["floor_cpu"] = m * n * d * k / out["rate_cpu"]
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shapes", nargs="+", default=None, help="n x d x k, e.g. 100000x64x1024")
    p.add_argument("--quick", action="store_true", help=f"smaller shapes: {' '.join(QUICK)}")
    p.add_argument("--threads", nargs="+", type=int, default=[1])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--lloyd-iter", type=int, default=100, help="Lloyd iterations after each seeding (0: none)")
    tools = ["greedy", "afkmc2", "sklearn"]
    p.add_argument("--tools", nargs="+", default=tools, choices=tools + ["greedy-m1"])
    p.add_argument("--by-cluster", action="store_true",
                   help="store the rows blob by blob (make_blobs' labels, stable order) instead of shuffled")
    args = p.parse_args(argv)
    shapes = args.shapes or (QUICK if args.quick else SHAPES)
    if "greedy" not in args.tools:
        args.tools = ["greedy"] + args.tools  # the Lloyd rate is measured at its centers

    from sklearn.datasets import make_blobs

    from optimeans.seeding import afkmc2, kmeans_plusplus

    global BLOCK
    from optimeans._kernels.lloyd import BLOCK

    Xw = np.ascontiguousarray(make_blobs(3000, 3, centers=5, random_state=0)[0], dtype=np.float32)
    t = time.perf_counter()
    kmeans_plusplus(Xw, 5, np.ones(3000), np.random.default_rng(0))
    afkmc2(Xw, 5, np.ones(3000), np.random.default_rng(0))
    print(f"# compile / load of the kernels: {time.perf_counter() - t:.1f} s")
    print(f"# {_load()} (before)")
    rows = [run_shape(s, th, args.seeds, args.lloyd_iter, args.tools, args.by_cluster)
            for s in shapes for th in args.threads]
    if args.by_cluster:
        print("# rows stored blob by blob (--by-cluster)")
    peak = max(r["rate"] for r in rows)
    print(f"# {_load()} (after); seeds {args.seeds}; Lloyd after seeding: at most {args.lloyd_iter} iterations")
    print(f"# best Lloyd-kernel rate over the shapes: {peak:.3g} multiply-adds/s")
    print()
    peak_cpu = max(r["rate_cpu"] for r in rows)
    print(f"# best Lloyd-kernel rate in process CPU time: {peak_cpu:.3g} multiply-adds/s")
    print("# CPU-time columns (process_time; meaningful on 1 thread) are less sensitive to the load than wall time")
    print()
    print("| shape n x d x k | threads | Lloyd rate (madd/s) | floor (this shape's rate) | floor (best rate) "
          "| greedy | greedy / floor | greedy / floor, CPU time | scikit-learn | AFK-MC2 "
          "| greedy: seed obj / after Lloyd (iters) | AFK-MC2: seed obj / after Lloyd (iters) "
          "| scikit-learn: after Lloyd | greedy: steps with exact gains | greedy: blocks pruned "
          "| greedy, 1 candidate per step |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|")
    for r in rows:
        n, d, k = (int(v) for v in r["shape"].split("x"))
        floor_peak = r["m"] * n * d * k / peak
        g = r["greedy"]
        a = r.get("afkmc2")
        sk = r.get("sklearn")
        g1 = r.get("greedy-m1")
        cells = [
            r["shape"], str(r["threads"]), f"{r['rate']:.3g}", f"{r['floor']:.3f} s", f"{floor_peak:.3f} s",
            f"{g['time']:.3f} s", f"{g['time'] / r['floor']:.2f}x ({g['time'] / floor_peak:.2f}x best)",
            f"{g['cpu'] / r['floor_cpu']:.2f}x ({g['cpu'] * peak_cpu / (r['m'] * n * d * k):.2f}x best)",
            f"{sk['time']:.3f} s (CPU {sk['cpu']:.3f} s)" if sk else "-",
            f"{a['time']:.3f} s (CPU {a['cpu']:.3f} s)" if a else "-",
            f"{g['seed_objective']:.6g} / {g['final_objective']:.6g} ({g['iters']:.0f})",
            f"{a['seed_objective']:.6g} / {a['final_objective']:.6g} ({a['iters']:.0f})" if a else "-",
            f"{sk['final_objective']:.6g}" if sk else "-",
            f"{r['undecided']} of {r['steps']}" if "steps" in r else "-",
            (f"{r['pruned'] / (r['steps'] * -(-n // BLOCK)):.1%} ({r['repacks']} re-packs)"
             if r.get("steps") else "-"),
            f"{g1['time']:.3f} s (CPU {g1['cpu']:.3f} s)" if g1 else "-",
        ]
        print("| " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
