"""Mini-batch k-means: cost of one epoch against one Lloyd iteration, and the
objective reached at equal wall time against scikit-learn's MiniBatchKMeans.

Run from the repository root:

    PYTHONPATH=src python benchmarks/bench_minibatch.py [--n 200000] [--d 32] [--k 64] [--seeds 5]

Data: ``optimeans.datasets.make_blobs(n, d, k, cluster_std=4)`` in float32.
Every run starts from the same initial centers, drawn once and not timed:
``--init random`` (k distinct random points) or ``--init k-means++`` (the
default). From random points the runs end in very different local minima
(the spread over seeds, ``objective_std``, is larger than the differences
between the libraries, so use many seeds); from k-means++ they are closer.
The seeds vary the order of the batches only; objectives are the mean over the
seeds, recomputed by ``optimeans.objective`` in float64 on the returned
centers for every library; times are medians. Kernels are compiled (or
loaded from the cache) before any timing, and that time is reported apart.

Both the wall time and the CPU time of the process are reported: on a busy
machine the wall time of a multi-threaded run includes waiting for cores.
scikit-learn's MiniBatchKMeans is timed with its default threads and with
one thread (threadpoolctl); so is optimeans (``n_threads=1`` and default): its
batches of 1024 points run on one thread (too small to share), the packing,
the final labels and the objective use the threads. Both return labels and
the objective (scikit-learn with ``compute_labels=True``, its ``inertia_``).

Cost of one epoch against one Lloyd iteration: marginal costs, i.e. the
difference between a long and a short run divided by the extra epochs
(iterations), so that the one-off work of a run (validation, packing, the
final assignment) is left out of both; the one-off work is reported apart.
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
from optimeans.seeding import kmeans_plusplus, random_points
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
    ap.add_argument("--shuffle", default="rows", choices=["rows", "blocks"])
    ap.add_argument("--init", default="k-means++", choices=["k-means++", "random"])
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
    if args.init == "random":
        C0 = random_points(X, args.k, w, np.random.default_rng(0))[0]
    else:
        C0 = kmeans_plusplus(X, args.k, w, np.random.default_rng(0))[0]
    X64 = X.astype(np.float64)
    seeds = list(range(1, args.seeds + 1))

    def obj(C):
        return objective(X64, np.asarray(C, dtype=np.float64))

    def ours(epochs, seed, threads=None):
        return run_minibatch(X, w, C0, max_iter=epochs, tol=0, monitor=False, batch_size=args.batch_size,
                             max_no_improvement=None, rng=np.random.default_rng(seed), n_threads=threads,
                             shuffle=args.shuffle)

    def ours1(epochs, seed):
        return ours(epochs, seed, 1)

    def sk(epochs, seed):
        return MiniBatchKMeans(args.k, init=C0, n_init=1, batch_size=args.batch_size, max_iter=epochs,
                               max_no_improvement=None, tol=0.0, compute_labels=True,
                               random_state=seed).fit(X)

    warnings.simplefilter("ignore")
    log("data ready; compiling")
    t = time.perf_counter()
    lloyd.run(X[:5000], w[:5000], C0, max_iter=2, tol=0)
    run_minibatch(X[:5000], w[:5000], C0, max_iter=1, tol=0, monitor=False, max_no_improvement=None)
    compile_s = time.perf_counter() - t

    # -- marginal cost of one Lloyd iteration and of one mini-batch epoch ---------
    def marginal(fn, short, long, reps=5):
        """Median (wall, CPU) of fn(long) - fn(short), per unit, over interleaved repetitions."""
        walls, cpus = [], []
        for _ in range(reps):
            a = timed(lambda: fn(short))
            b = timed(lambda: fn(long))
            walls.append((b[0] - a[0]) / (long - short))
            cpus.append((b[1] - a[1]) / (long - short))
        return {"wall": statistics.median(walls), "cpu": statistics.median(cpus)}

    lloyd_runs, epoch_runs, one_off = {}, {}, {}
    for threads in (1, None):
        key = "all" if threads is None else "1"
        lloyd_runs[key] = marginal(lambda m: lloyd.run(X, w, C0, max_iter=m, tol=0, n_threads=threads), 1, 11)
        epoch_runs[key] = marginal(lambda m: ours(m, 1, threads), 1, 6)
        runs = [timed(lambda: ours(1, 1, threads)) for _ in range(3)]
        one_off[key] = {"wall": statistics.median(r[0] for r in runs) - epoch_runs[key]["wall"],
                        "cpu": statistics.median(r[1] for r in runs) - epoch_runs[key]["cpu"],
                        "pack_seconds": statistics.median(r[2].info["pack_seconds"] for r in runs)}
    it = 5
    runs = [timed(lambda: SkKMeans(args.k, init=C0, n_init=1, max_iter=it, tol=0).fit(X)) for _ in range(3)]
    sk_lloyd = {"wall": statistics.median(r[0] for r in runs) / it, "cpu": statistics.median(r[1] for r in runs) / it}
    log("lloyd", lloyd_runs, "minibatch epoch", epoch_runs, "one-off", one_off, "sklearn lloyd", sk_lloyd)

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
    curve_ours1 = curve(ours1, ours_epochs, "optimeans 1 thread")
    with threadpool_limits(1):
        curve_sk1 = curve(sk, sk_epochs, "sklearn 1 thread")
    curve_skn = [] if args.skip_sklearn_threads else curve(sk, sk_epochs[:1], "sklearn default threads")

    def best_within(points, seconds):
        ok = [p for p in points if p["wall"] <= seconds]
        return min(ok, key=lambda p: p["objective"]) if ok else None

    equal_time = []
    for label, pts, mine in (("sklearn 1 thread", curve_sk1, curve_ours1),
                             ("sklearn default threads", curve_skn, curve_ours)):
        for p in pts:
            q = best_within(mine, p["wall"])
            equal_time.append({"sklearn": label, "sklearn_epochs": p["epochs"], "seconds": p["wall"],
                               "sklearn_objective": p["objective"],
                               "optimeans_epochs": q["epochs"] if q else None,
                               "optimeans_objective": q["objective"] if q else None})

    doc = {
        "shape": [args.n, args.d], "k": args.k, "dtype": "float32", "batch_size": args.batch_size,
        "init": args.init,
        "seeds": seeds,
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "python": platform.python_version(),
                    "numpy": np.__version__, "numba": numba.__version__, "sklearn": sklearn.__version__,
                    "optimeans": optimeans.__version__},
        "compile_seconds": compile_s, "initial_objective": obj(C0),
        "shuffle": args.shuffle,
        "lloyd_iteration": lloyd_runs, "minibatch_epoch": epoch_runs, "minibatch_one_off": one_off,
        "sklearn_lloyd_iteration": sk_lloyd,
        "curve_optimeans": curve_ours, "curve_optimeans_1_thread": curve_ours1, "curve_sklearn_1_thread": curve_sk1,
        "curve_sklearn_default_threads": curve_skn, "equal_time": equal_time,
    }
    print(json.dumps(doc, indent=2))
    print()
    for key in ("1", "all"):
        e, li, o = epoch_runs[key], lloyd_runs[key], one_off[key]
        print(f"{key} thread(s): one mini-batch epoch {e['wall']:.4f} s wall, {e['cpu']:.4f} s CPU; "
              f"one Lloyd iteration {li['wall']:.4f} s wall, {li['cpu']:.4f} s CPU; ratio "
              f"{e['wall'] / li['wall']:.2f} wall, {e['cpu'] / li['cpu']:.2f} CPU; mini-batch one-off "
              f"{o['wall']:.4f} s wall ({o['pack_seconds']:.4f} s packing), {o['cpu']:.4f} s CPU")
    print(f"one Lloyd iteration (scikit-learn): {sk_lloyd['wall']:.4f} s wall, {sk_lloyd['cpu']:.4f} s CPU")
    print()
    print("| library | epochs | wall s | CPU s | objective (mean of seeds) |")
    print("|---|---:|---:|---:|---:|")
    for label, pts in (("optimeans", curve_ours), ("optimeans, 1 thread", curve_ours1),
                       ("scikit-learn, 1 thread", curve_sk1),
                       ("scikit-learn, default threads", curve_skn)):
        for p in pts:
            print(f"| {label} | {p['epochs']} | {p['wall']:.3f} | {p['cpu']:.3f} | {p['objective']:.6e} |")
    print()
    print("| scikit-learn run | its wall s | its objective | optimeans (same threads) within that time | optimeans objective |")
    print("|---|---:|---:|---:|---:|")
    for q in equal_time:
        ours_obj = "-" if q["optimeans_objective"] is None else f"{q['optimeans_objective']:.6e}"
        print(f"| {q['sklearn']}, {q['sklearn_epochs']} epoch(s) | {q['seconds']:.3f} | {q['sklearn_objective']:.6e} | "
              f"{q['optimeans_epochs']} epoch(s) | {ours_obj} |")


if __name__ == "__main__":
    main()
