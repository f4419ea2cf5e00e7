"""Mini-batch k-means: cost of one epoch against one Lloyd iteration, and the
objective reached at equal wall time against scikit-learn's MiniBatchKMeans.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_minibatch.py [--n 200000] [--d 32] [--k 64] [--seeds 5]

Data: ``optimeans.datasets.make_blobs(n, d, k, cluster_std=4)`` in float32.
Every run starts from the same initial centers (k distinct random points,
drawn once; k-means++ would cost more than everything measured here). The
seeds vary the order of the batches only; objectives are the mean over the
seeds, recomputed by ``optimeans.objective`` in float64 on the returned
centers for every library; times are medians. Kernels are compiled (or
loaded from the cache) before any timing, and that time is reported apart.

Both the wall time and the CPU time of the process are reported: on a busy
machine the wall time of a multi-threaded run includes waiting for cores.
scikit-learn's MiniBatchKMeans is timed with its default threads and with
one thread (threadpoolctl); optimeans' mini-batch with batches of 1024
points runs on one thread (a batch is too small to share).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np

import optimeans
from optimeans.datasets import make_blobs
from optimeans.objective import objective
from optimeans.seeding import random_points
from optimeans.solvers import lloyd
from optimeans.solvers.stochastic import run_minibatch


def log(*msg):
    print(*msg, file=sys.stderr, flush=True)


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - w, time.process_time() - c, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--d", type=int, default=32)
    ap.add_argument("--k", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--seeds", type=int, default=5, help="batch orders averaged over")
    ap.add_argument("--epochs", default="1,2,3,5,10", help="epoch budgets of the optimeans curve")
    ap.add_argument("--sk-epochs", default="1,2,3", help="epoch budgets of the scikit-learn curves")
    ap.add_argument("--skip-sklearn-threads", action="store_true",
                    help="skip scikit-learn with its default threads (very slow on a loaded machine)")
    args = ap.parse_args()

    import numba
    import sklearn
    from sklearn.cluster import KMeans as SkKMeans
    from sklearn.cluster import MiniBatchKMeans
    from threadpoolctl import threadpool_limits

    X = make_blobs(args.n, args.d, args.k, cluster_std=4.0, dtype=np.float32, random_state=0)
    w = np.ones(args.n)
    C0 = random_points(X, args.k, w, np.random.default_rng(0))[0]
    X64 = X.astype(np.float64)
    seeds = list(range(1, args.seeds + 1))

    def obj(C):
        return objective(X64, np.asarray(C, dtype=np.float64))

    def ours(epochs, seed):
        return run_minibatch(X, w, C0, max_iter=epochs, tol=0, monitor=False, batch_size=args.batch_size,
                             max_no_improvement=None, rng=np.random.default_rng(seed))

    def sk(epochs, seed):
        return MiniBatchKMeans(args.k, init=C0, n_init=1, batch_size=args.batch_size, max_iter=epochs,
                               max_no_improvement=None, tol=0.0, compute_labels=False,
                               random_state=seed).fit(X)

    warnings.simplefilter("ignore")
    log("data ready; compiling")
    t = time.perf_counter()
    lloyd.run(X[:5000], w[:5000], C0, max_iter=2, tol=0)
    run_minibatch(X[:5000], w[:5000], C0, max_iter=1, tol=0, monitor=False, max_no_improvement=None)
    compile_s = time.perf_counter() - t

    # -- one Lloyd iteration: 5 iterations, plus the final assignment pass -------
    it = 5
    lloyd_runs = {}
    for threads in (1, None):
        runs = [timed(lambda: lloyd.run(X, w, C0, max_iter=it, tol=0, n_threads=threads)) for _ in range(3)]
        lloyd_runs["all" if threads is None else "1"] = {
            "wall": statistics.median(r[0] for r in runs) / (it + 1),
            "cpu": statistics.median(r[1] for r in runs) / (it + 1),
        }
    runs = [timed(lambda: SkKMeans(args.k, init=C0, n_init=1, max_iter=it, tol=0).fit(X)) for _ in range(3)]
    sk_lloyd = {"wall": statistics.median(r[0] for r in runs) / it, "cpu": statistics.median(r[1] for r in runs) / it}
    log("lloyd", lloyd_runs, "sklearn lloyd", sk_lloyd)

    # -- curves: objective (mean over seeds) against time (median over seeds) ----
    def curve(fn, epochs_list, label):
        out = []
        for e in epochs_list:
            runs = [timed(lambda: fn(e, s)) for s in seeds]
            objs = [obj(r[2].centers if hasattr(r[2], "centers") else r[2].cluster_centers_) for r in runs]
            out.append({
                "epochs": e, "wall": statistics.median(r[0] for r in runs),
                "cpu": statistics.median(r[1] for r in runs),
                "objective": float(np.mean(objs)), "objective_std": float(np.std(objs)),
            })
            log(label, out[-1])
        return out

    ours_epochs = [int(v) for v in args.epochs.split(",")]
    sk_epochs = [int(v) for v in args.sk_epochs.split(",")]
    curve_ours = curve(ours, ours_epochs, "optimeans")
    # per-epoch cost of optimeans from the history (the epochs alone, no final assignment)
    per_epoch = statistics.median(
        float(ours(2, s).history.seconds[-1]) / 2 for s in seeds[:3]
    )
    with threadpool_limits(1):
        curve_sk1 = curve(sk, sk_epochs, "sklearn 1 thread")
    curve_skn = [] if args.skip_sklearn_threads else curve(sk, sk_epochs[:1], "sklearn default threads")

    def best_within(points, seconds):
        ok = [p for p in points if p["wall"] <= seconds]
        return min(ok, key=lambda p: p["objective"]) if ok else None

    equal_time = []
    for label, pts in (("sklearn 1 thread", curve_sk1), ("sklearn default threads", curve_skn)):
        for p in pts:
            q = best_within(curve_ours, p["wall"])
            equal_time.append({"sklearn": label, "sklearn_epochs": p["epochs"], "seconds": p["wall"],
                               "sklearn_objective": p["objective"],
                               "optimeans_epochs": q["epochs"] if q else None,
                               "optimeans_objective": q["objective"] if q else None})

    doc = {
        "shape": [args.n, args.d], "k": args.k, "dtype": "float32", "batch_size": args.batch_size,
        "seeds": seeds,
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "python": platform.python_version(),
                    "numpy": np.__version__, "numba": numba.__version__, "sklearn": sklearn.__version__,
                    "optimeans": optimeans.__version__},
        "compile_seconds": compile_s, "initial_objective": obj(C0),
        "lloyd_iteration": lloyd_runs, "sklearn_lloyd_iteration": sk_lloyd,
        "minibatch_epoch_wall_from_history": per_epoch,
        "curve_optimeans": curve_ours, "curve_sklearn_1_thread": curve_sk1,
        "curve_sklearn_default_threads": curve_skn, "equal_time": equal_time,
    }
    print(json.dumps(doc, indent=2))
    print()
    e1 = curve_ours[0]
    print(f"one mini-batch epoch (optimeans): {per_epoch:.4f} s wall (history), "
          f"{e1['cpu'] / e1['epochs']:.4f} s CPU incl. final assignment")
    for key, v in lloyd_runs.items():
        print(f"one Lloyd iteration (optimeans, {key} threads): {v['wall']:.4f} s wall, {v['cpu']:.4f} s CPU")
    print(f"one Lloyd iteration (scikit-learn): {sk_lloyd['wall']:.4f} s wall, {sk_lloyd['cpu']:.4f} s CPU")
    print()
    print("| library | epochs | wall s | CPU s | objective (mean of seeds) |")
    print("|---|---:|---:|---:|---:|")
    for label, pts in (("optimeans", curve_ours), ("scikit-learn, 1 thread", curve_sk1),
                       ("scikit-learn, default threads", curve_skn)):
        for p in pts:
            print(f"| {label} | {p['epochs']} | {p['wall']:.3f} | {p['cpu']:.3f} | {p['objective']:.6e} |")
    print()
    print("| scikit-learn run | its wall s | its objective | optimeans within that time | optimeans objective |")
    print("|---|---:|---:|---:|---:|")
    for q in equal_time:
        ours_obj = "-" if q["optimeans_objective"] is None else f"{q['optimeans_objective']:.6e}"
        print(f"| {q['sklearn']}, {q['sklearn_epochs']} epoch(s) | {q['seconds']:.3f} | {q['sklearn_objective']:.6e} | "
              f"{q['optimeans_epochs']} epoch(s) | {ours_obj} |")


if __name__ == "__main__":
    main()
