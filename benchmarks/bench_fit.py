"""Whole fits to convergence: optimeans vs scikit-learn KMeans vs FAISS.

Every tool runs a complete fit as a user would: its own k-means++ seeding from
the given seed, ``n_init=1``, tol=1e-4 (scikit-learn: its default algorithm;
FAISS: ``early_stop_threshold=1e-4`` on the relative objective, up to 300
iterations, no subsampling), on Gaussian blobs with *separated* clusters
(means 10 standard deviations apart on average) and with *overlapping*
clusters (1.5 standard deviations). Reported per tool: the median wall time
over the seeds, the mean final objective recomputed in float64 from the
tool's centers (every point to its nearest center), the mean number of
iterations, and the peak extra memory of the fit (peak resident set size
during the fit minus the resident size before it, measured in a fresh
process per tool so the tools do not share allocations).

Usage::

    PYTHONPATH=src python benchmarks/bench_fit.py
    PYTHONPATH=src python benchmarks/bench_fit.py --shapes 200000x8x16 --kinds separated --threads 1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

SHAPES = ["200000x8x16", "100000x32x64", "50000x2x10", "20000x128x100"]
KINDS = {"separated": 10.0, "overlapping": 1.5}


def make_blobs(n: int, d: int, k: int, kind: str, dtype: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # two means are about KINDS[kind] standard deviations apart: ||m_a - m_b|| ~ spread * sqrt(2 d)
    spread = KINDS[kind] / np.sqrt(2.0 * d)
    means = rng.normal(scale=spread, size=(k, d))
    X = means[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    return np.ascontiguousarray(X, dtype=dtype)


def objective64(X: np.ndarray, C: np.ndarray) -> float:
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    total = 0.0
    for s in range(0, X.shape[0], 8192):
        D = ((X[s : s + 8192, None, :] - C[None, :, :]) ** 2).sum(axis=2)
        total += float(D.min(axis=1).sum())
    return total


def _status(key: str) -> int:
    """A field of /proc/self/status in bytes (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


# ------------------------------------------------------------------ children


def fit_optimeans(X, k, seed, threads):
    import optimeans

    r = optimeans.fit(X, k, n_init=1, tol=1e-4, random_state=seed, n_threads=threads)
    return r.centers, r.n_iter, r.method


def fit_sklearn(X, k, seed, threads):
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    with threadpool_limits(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = KMeans(k, n_init=1, tol=1e-4, random_state=seed).fit(X)
    return km.cluster_centers_, km.n_iter_, km._algorithm if hasattr(km, "_algorithm") else km.algorithm


def fit_faiss(X, k, seed, threads):
    import faiss

    faiss.omp_set_num_threads(threads)
    n, d = X.shape
    km = faiss.Kmeans(
        d, k, niter=300, seed=seed, max_points_per_centroid=n, min_points_per_centroid=1, verbose=False,
        early_stop_threshold=1e-4, init_method=faiss.ClusteringInitMethod_KMEANS_PLUS_PLUS,
    )
    km.train(np.ascontiguousarray(X, dtype=np.float32))
    return km.centroids, len(km.obj), "lloyd"


TOOLS = {"optimeans": fit_optimeans, "sklearn": fit_sklearn, "faiss": fit_faiss}


def child(tool: str, shape: str, kind: str, dtype: str, threads: int, seeds: list[int]) -> dict:
    n, d, k = (int(v) for v in shape.split("x"))
    X = make_blobs(n, d, k, kind, dtype)
    fn = TOOLS[tool]
    fn(X[: max(2000, 4 * k)], k, 0, threads)  # JIT, thread pools, BLAS warm-up
    times, objs, iters, peaks = [], [], [], []
    algo = ""
    for seed in seeds:
        base = _status("VmRSS")
        ok = _reset_peak()
        t = time.perf_counter()
        centers, n_iter, algo = fn(X, k, seed, threads)
        times.append(time.perf_counter() - t)
        peaks.append(max(_status("VmHWM") - base, 0) if ok else float("nan"))
        objs.append(objective64(X, centers))
        iters.append(n_iter)
    return {
        "seconds": statistics.median(times),
        "objective": float(np.mean(objs)),
        "iters": float(np.mean(iters)),
        "peak_mb": float(max(peaks)) / 2**20,
        "algorithm": str(algo),
    }


# ------------------------------------------------------------------ parent


def run_child(args, tool, shape, kind, dtype, threads) -> dict | None:
    cmd = [
        sys.executable, __file__, "--child", tool, "--shapes", shape, "--kinds", kind, "--dtypes", dtype,
        "--threads", str(threads), "--seeds", *map(str, args.seeds),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    if out.returncode != 0:
        print(f"# {tool} failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shapes", nargs="+", default=SHAPES)
    p.add_argument("--kinds", nargs="+", default=list(KINDS), choices=list(KINDS))
    p.add_argument("--dtypes", nargs="+", default=["float32"])
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--tools", nargs="+", default=list(TOOLS), choices=list(TOOLS))
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        res = child(args.child, args.shapes[0], args.kinds[0], args.dtypes[0], args.threads[0], args.seeds)
        print(json.dumps(res))
        return 0

    try:
        import faiss  # noqa: F401
    except ImportError:
        args.tools = [t for t in args.tools if t != "faiss"]
    print(f"# {platform.machine()} {os.cpu_count()} cores, python {platform.python_version()}")
    print(f"# load average before: {os.getloadavg()[0]:.2f}")
    print(f"# seeds {args.seeds}: median seconds, mean objective (float64), mean iterations, peak extra MB")
    print("shape            kind         dtype   thr tool        seconds   ratio  objective            rel.obj   iters  peakMB  algorithm")
    for shape in args.shapes:
        for kind in args.kinds:
            for dtype in args.dtypes:
                for threads in args.threads:
                    rows = {}
                    for tool in args.tools:
                        if tool == "faiss" and dtype != "float32":
                            continue
                        res = run_child(args, tool, shape, kind, dtype, threads)
                        if res is not None:
                            rows[tool] = res
                    base = rows.get("optimeans")
                    for tool, r in rows.items():
                        ratio = r["seconds"] / base["seconds"] if base else float("nan")
                        rel = (r["objective"] - base["objective"]) / base["objective"] if base else float("nan")
                        print(
                            f"{shape:<16} {kind:<12} {dtype:<7} {threads:>3} {tool:<10} {r['seconds']:>8.3f} {ratio:>7.2f}  "
                            f"{r['objective']:<20.10g} {rel:+.1e} {r['iters']:>6.1f} {r['peak_mb']:>7.1f}  {r['algorithm']}"
                        )
                    sys.stdout.flush()
    print(f"# load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
