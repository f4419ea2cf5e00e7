"""Mini-batch k-means: cost of one epoch against one Lloyd iteration, and the
objective reached at equal wall time against scikit-learn's MiniBatchKMeans.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_minibatch.py [--n 200000] [--d 32] [--k 64] [--repeats 5]

Everything starts from the same initial centers (k distinct random points,
drawn once). Kernels are
compiled (or loaded from the cache) before any timing; the compile time is
reported apart. Objectives are recomputed by optimeans.objective in float64
on the returned centers, for every library. Times are medians of
``--repeats`` runs. Prints a JSON document and a Markdown summary.
"""

from __future__ import annotations

import argparse
import json
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


def median_time(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--d", type=int, default=32)
    ap.add_argument("--k", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--epochs", default="1,2,3,5,10", help="epoch budgets of the optimeans curve")
    ap.add_argument("--sk-epochs", default="1,2,3", help="epoch budgets of the scikit-learn curve")
    args = ap.parse_args()

    import sklearn
    from sklearn.cluster import KMeans as SkKMeans
    from sklearn.cluster import MiniBatchKMeans

    X = make_blobs(args.n, args.d, args.k, cluster_std=4.0, dtype=np.float32, random_state=0)
    w = np.ones(args.n)
    C0 = random_points(X, args.k, w, np.random.default_rng(0))[0]
    X64 = X.astype(np.float64)

    def obj(C):
        return objective(X64, np.asarray(C, dtype=np.float64))

    log("data ready; compiling")
    # -- compile / warm up (reported apart) -------------------------------------
    t = time.perf_counter()
    lloyd.run(X[:5000], w[:5000], C0, max_iter=2, tol=0)
    run_minibatch(X[:5000], w[:5000], C0, max_iter=1, tol=0, monitor=False, batch_size=args.batch_size,
                  max_no_improvement=None)
    compile_s = time.perf_counter() - t

    # -- one Lloyd iteration ----------------------------------------------------
    iters = 5
    t_lloyd, _ = median_time(lambda: lloyd.run(X, w, C0, max_iter=iters, tol=0), args.repeats)
    # lloyd.run's time includes the final assignment of finalize (one more pass)
    lloyd_iter = t_lloyd / (iters + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_sk_lloyd, _ = median_time(
            lambda: SkKMeans(args.k, init=C0, n_init=1, max_iter=iters, tol=0, algorithm="lloyd").fit(X),
            args.repeats,
        )
    sk_lloyd_iter = t_sk_lloyd / iters

    # -- one mini-batch epoch (no objective monitoring, no early stopping) -------
    ep = 5
    t_mb, r = median_time(
        lambda: run_minibatch(X, w, C0, max_iter=ep, tol=0, monitor=False, batch_size=args.batch_size,
                              max_no_improvement=None, rng=np.random.default_rng(1)),
        args.repeats,
    )
    # the history's seconds are the epochs alone (finalize's assignment pass excluded)
    mb_epoch = float(r.history.seconds[-1]) / ep

    def sk_mbk(epochs):
        return MiniBatchKMeans(args.k, init=C0, n_init=1, batch_size=args.batch_size, max_iter=epochs,
                               max_no_improvement=None, tol=0.0, compute_labels=False,
                               random_state=1).fit(X)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk_ep = 2
        t_sk, _ = median_time(lambda: sk_mbk(sk_ep), max(1, args.repeats // 2))
    sk_epoch = t_sk / sk_ep

    log(f"lloyd iteration {lloyd_iter:.4f} s, sklearn {sk_lloyd_iter:.4f} s, "
        f"minibatch epoch {mb_epoch:.4f} s, sklearn {sk_epoch:.4f} s")

    # -- objective against wall time ----------------------------------------------
    reps = max(1, args.repeats // 2)
    curve_ours, curve_sk = [], []
    for e in [int(v) for v in args.epochs.split(",")]:
        t1, res = median_time(
            lambda: run_minibatch(X, w, C0, max_iter=e, tol=0, monitor=False, batch_size=args.batch_size,
                                  max_no_improvement=None, rng=np.random.default_rng(1)),
            reps,
        )
        curve_ours.append({"epochs": e, "seconds": t1, "objective": obj(res.centers)})
        log("optimeans", curve_ours[-1])
    for e in [int(v) for v in args.sk_epochs.split(",")]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t2, m = median_time(lambda: sk_mbk(e), reps)
        curve_sk.append({"epochs": e, "seconds": t2, "objective": obj(m.cluster_centers_)})
        log("sklearn", curve_sk[-1])

    def ours_at(seconds):
        """Our objective with the largest budget whose wall time is <= seconds."""
        ok = [p for p in curve_ours if p["seconds"] <= seconds]
        return min(ok, key=lambda p: p["objective"]) if ok else None

    equal_time = []
    for p in curve_sk:
        q = ours_at(p["seconds"])
        equal_time.append({
            "sklearn_epochs": p["epochs"], "sklearn_seconds": p["seconds"], "sklearn_objective": p["objective"],
            "optimeans_epochs": q["epochs"] if q else None,
            "optimeans_seconds": q["seconds"] if q else None,
            "optimeans_objective": q["objective"] if q else None,
        })

    doc = {
        "shape": [args.n, args.d], "k": args.k, "dtype": "float32", "batch_size": args.batch_size,
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version(),
                    "numpy": np.__version__, "numba": __import__("numba").__version__,
                    "sklearn": sklearn.__version__, "optimeans": optimeans.__version__},
        "compile_seconds": compile_s,
        "lloyd_iteration_seconds": lloyd_iter,
        "sklearn_lloyd_iteration_seconds": sk_lloyd_iter,
        "minibatch_epoch_seconds": mb_epoch,
        "sklearn_minibatch_epoch_seconds": sk_epoch,
        "epoch_over_lloyd_iteration": mb_epoch / lloyd_iter,
        "sklearn_epoch_over_sklearn_lloyd_iteration": sk_epoch / sk_lloyd_iter,
        "curve_optimeans": curve_ours, "curve_sklearn": curve_sk, "equal_time": equal_time,
        "initial_objective": obj(C0),
    }
    print(json.dumps(doc, indent=2))
    print()
    print(f"one Lloyd iteration (optimeans)      {lloyd_iter:8.4f} s")
    print(f"one Lloyd iteration (scikit-learn)   {sk_lloyd_iter:8.4f} s")
    print(f"one mini-batch epoch (optimeans)     {mb_epoch:8.4f} s  = {mb_epoch / lloyd_iter:.2f} x Lloyd iteration")
    print(f"one mini-batch epoch (scikit-learn)  {sk_epoch:8.4f} s  = {sk_epoch / sk_lloyd_iter:.2f} x its Lloyd iteration")
    print()
    print("| library | epochs | seconds | objective |")
    print("|---|---:|---:|---:|")
    for lib, curve in (("optimeans", curve_ours), ("scikit-learn", curve_sk)):
        for p in curve:
            print(f"| {lib} | {p['epochs']} | {p['seconds']:.3f} | {p['objective']:.6e} |")
    print()
    print("| scikit-learn epochs | its seconds | its objective | optimeans epochs in <= that time | optimeans objective |")
    print("|---:|---:|---:|---:|---:|")
    for q in equal_time:
        ours = "-" if q["optimeans_objective"] is None else f"{q['optimeans_objective']:.6e}"
        print(f"| {q['sklearn_epochs']} | {q['sklearn_seconds']:.3f} | {q['sklearn_objective']:.6e} | "
              f"{q['optimeans_epochs']} | {ours} |")


if __name__ == "__main__":
    main()
