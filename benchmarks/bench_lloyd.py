"""Seconds per Lloyd iteration: optimeans vs scikit-learn (lloyd, elkan) vs FAISS.

Every tool gets the same data and the same initial centers, runs a fixed
number of iterations with ``tol=0``, in the same process. The figure reported
is the *marginal* time of one iteration,

    (T(M iterations) - T(1 iteration)) / (iterations(M) - iterations(1)),

so fixed costs (validation, copies, the final assignment step, thread start-up)
cancel; each time is the median of ``--repeats`` runs. Each tool's final
objective is recomputed in float64 from its final centers (every point to its
nearest center), so the numbers are comparable. optimeans' JIT compile time is
measured apart, on a tiny problem, before anything is timed.

Peak memory (column ``peakMB``, off with ``--no-memory``): the extra resident
memory of one run of M iterations, measured in a fresh process per tool (so
the tools share no allocations): the peak resident set size during the run
(``VmHWM``, reset just before through ``/proc/self/clear_refs``) minus the
resident size before it, with the data already in memory and the tool warmed
up on a small slice. It counts everything the tool allocates (NumPy, Numba,
C++), not only NumPy arrays; Linux only.

Usage::

    PYTHONPATH=src python benchmarks/bench_lloyd.py                 # every shape
    PYTHONPATH=src python benchmarks/bench_lloyd.py --shapes 50000x2x10 --dtypes float32 --threads 1

Peers that are not installed (FAISS) are skipped. FAISS only handles float32.
"""

from __future__ import annotations

import argparse
import os
import platform
import json
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

SHAPES = ["200000x32x64", "100000x128x256", "1000000x8x16", "50000x2x10"]
#: The large-k shapes of issue 14 (``--shapes large``; benchmarks/bench_large_k.py splits
#: the first iteration from the marginal one, which matters for the bounded methods).
LARGE_K_SHAPES = ["100000x64x1024", "250000x2x6000", "50000x128x4096", "1000000x16x16384"]
#: Shapes whose iterations take well under a millisecond: more iterations and
#: repeats, so that the marginal time stands out of the fixed costs' noise.
SMALL_WORK = 1e7  # n k d below this


def make_data(n: int, d: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping Gaussian blobs (so Lloyd keeps moving) and k initial centers (random rows)."""
    rng = np.random.default_rng(seed)
    means = rng.normal(scale=2.0, size=(k, d))
    X = means[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    C0 = X[rng.choice(n, size=k, replace=False)]
    return X, C0


def objective64(X: np.ndarray, C: np.ndarray) -> float:
    """sum_i min_j ||x_i - c_j||^2, every difference in float64 (blocked).

    For large ``k d`` (the large-k shapes) the differences would take too long and
    too much memory: there ``||x||^2 - 2 x.c + ||c||^2`` in float64 instead.
    """
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    total = 0.0
    if C.shape[0] * X.shape[1] > 8192:
        cc = (C * C).sum(axis=1)
        for s in range(0, X.shape[0], 2048):
            x = X[s : s + 2048]
            D = (x * x).sum(axis=1)[:, None] - 2.0 * (x @ C.T) + cc[None, :]
            total += float(np.maximum(D.min(axis=1), 0.0).sum())
        return total
    for s in range(0, X.shape[0], 8192):
        D = ((X[s : s + 8192, None, :] - C[None, :, :]) ** 2).sum(axis=2)
        total += float(D.min(axis=1).sum())
    return total


# --------------------------------------------------------------------- runners
# Each runner: (X, C0, iters, threads) -> (final centers, iterations run)


def run_optimeans(X, C0, iters, threads, method="lloyd"):
    import optimeans

    r = optimeans.fit(X, C0.shape[0], init=C0, n_init=1, max_iter=iters, tol=0.0, method=method, n_threads=threads)
    return r.centers, r.n_iter


def run_sklearn(algorithm):
    def run(X, C0, iters, threads):
        from sklearn.cluster import KMeans
        from threadpoolctl import threadpool_limits

        with threadpool_limits(threads), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            km = KMeans(C0.shape[0], init=C0, n_init=1, max_iter=iters, tol=0.0, algorithm=algorithm).fit(X)
        return km.cluster_centers_, km.n_iter_

    return run


def run_faiss(X, C0, iters, threads):
    import faiss

    faiss.omp_set_num_threads(threads)
    n, d = X.shape
    k = C0.shape[0]
    km = faiss.Kmeans(d, k, niter=iters, max_points_per_centroid=n, min_points_per_centroid=1, seed=0, verbose=False)
    km.train(np.ascontiguousarray(X, dtype=np.float32), init_centroids=np.ascontiguousarray(C0, dtype=np.float32))
    return km.centroids, iters


def have_faiss() -> bool:
    try:
        import faiss  # noqa: F401
    except ImportError:
        return False
    return True


CLOCK = time.perf_counter
#: How the repeats are summarized: the median, or the minimum (steadier on a loaded machine,
#: where the noise only ever adds time; the fixed costs subtracted from the long run are
#: hundreds of milliseconds for a million points, so their spread can swamp the marginal).
STAT = statistics.median


def timed(fn, *args):
    t = CLOCK()
    out = fn(*args)
    return CLOCK() - t, out


def per_iteration(fn, X, C0, iters, threads, repeats):
    """Median marginal seconds per iteration, iterations counted, final centers."""
    fn(X, C0, 1, threads)  # warm caches, thread pools, JIT
    t1s, tms = [], []
    for _ in range(repeats):
        t1, (_, n1) = timed(fn, X, C0, 1, threads)
        tm, (centers, nm) = timed(fn, X, C0, iters, threads)
        t1s.append(t1)
        tms.append(tm)
    dt = STAT(tms) - STAT(t1s)
    return dt / max(nm - n1, 1), nm, centers


def jit_compile_seconds() -> float:
    """Compile (or load from the cache) every Lloyd kernel on tiny data, both dtypes."""
    import optimeans

    t = time.perf_counter()
    for dt in (np.float32, np.float64):
        for d in (2, 8, 40):
            X = np.random.default_rng(0).normal(size=(300, d)).astype(dt)
            optimeans.fit(X, 3, n_init=1, max_iter=2, random_state=0, method="lloyd")
    return time.perf_counter() - t


def versions() -> str:
    import numba
    import sklearn

    parts = [
        f"python {platform.python_version()}",
        f"numpy {np.__version__}",
        f"numba {numba.__version__}",
        f"scikit-learn {sklearn.__version__}",
    ]
    if have_faiss():
        import faiss

        parts.append(f"faiss {faiss.__version__}")
    return ", ".join(parts)


TOOLS = {
    "optimeans": run_optimeans,
    "optimeans-hamerly": lambda *a: run_optimeans(*a, method="hamerly"),
    "optimeans-elkan": lambda *a: run_optimeans(*a, method="elkan"),
    "optimeans-yinyang": lambda *a: run_optimeans(*a, method="yinyang"),
    "optimeans-auto": lambda *a: run_optimeans(*a, method="auto"),
    "sklearn-lloyd": run_sklearn("lloyd"),
    "sklearn-elkan": run_sklearn("elkan"),
    "faiss": run_faiss,
}


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


def memory_child(tool: str, shape: str, dtype: str, threads: int, iters: int) -> float:
    """Peak extra resident MB of one run of ``tool`` (in this fresh process); NaN when not measurable."""
    n, d, k = (int(v) for v in shape.split("x"))
    X64, C64 = make_data(n, d, k)
    X = np.ascontiguousarray(X64, dtype=dtype)
    C0 = np.ascontiguousarray(C64, dtype=dtype)
    del X64
    fn = TOOLS[tool]
    m = min(n, max(2000, 4 * k))
    fn(np.ascontiguousarray(X[:m]), C0, 2, threads)  # imports, JIT cache, thread pools
    base = _status("VmRSS")
    if not _reset_peak():
        return float("nan")
    fn(X, C0, iters, threads)
    return max(_status("VmHWM") - base, 0) / 2**20


def peak_memory_mb(tool: str, shape: str, dtype: str, threads: int, iters: int) -> float:
    cmd = [sys.executable, __file__, "--_memory-child", tool, shape, dtype, str(threads), str(iters)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    if out.returncode != 0:
        return float("nan")
    return float(json.loads(out.stdout.strip().splitlines()[-1]))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--shapes", nargs="+", default=SHAPES,
        help="n x d x k, e.g. 200000x32x64; 'large' stands for the large-k shapes " + " ".join(LARGE_K_SHAPES),
    )
    p.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    p.add_argument("--iters", type=int, default=20, help="M, iterations of the long run")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument(
        "--tools", nargs="+", default=["optimeans", "optimeans-elkan", "sklearn-lloyd", "sklearn-elkan", "faiss"],
        help="optimeans is its Lloyd; optimeans-{hamerly,elkan,yinyang,auto} the other methods",
    )
    p.add_argument(
        "--clock", choices=["wall", "cpu"], default="wall",
        help="wall: elapsed time; cpu: CPU time of the calling thread, steadier on a loaded machine "
        "(1-thread runs only: the work must run on the calling thread)",
    )
    p.add_argument("--no-memory", action="store_true", help="skip the peak-memory column (one process per tool)")
    p.add_argument("--_memory-child", nargs=5, default=None, help=argparse.SUPPRESS)
    p.add_argument("--stat", choices=["median", "min"], default="median", help="summary of the repeats")
    args = p.parse_args(argv)
    if args._memory_child:
        tool, shape, dtype, threads, iters = args._memory_child
        print(json.dumps(memory_child(tool, shape, dtype, int(threads), int(iters))))
        return 0
    global CLOCK, STAT
    args.shapes = [s for shape in args.shapes for s in (LARGE_K_SHAPES if shape == "large" else [shape])]
    CLOCK = time.perf_counter if args.clock == "wall" else time.thread_time
    STAT = statistics.median if args.stat == "median" else min

    if args.clock == "cpu" and args.threads != [1]:
        p.error("--clock cpu measures the calling thread only: use it with --threads 1")
    if "faiss" in args.tools and not have_faiss():
        args.tools.remove("faiss")

    print(f"# {platform.machine()} {os.cpu_count()} cores, {platform.platform()}")
    print(f"# {versions()}")
    print(f"# load average before: {os.getloadavg()[0]:.2f}")
    print(f"# optimeans JIT compile (or cache load): {jit_compile_seconds():.2f} s")
    print(
        f"# {args.iters} iterations vs 1, tol=0, {args.stat} of {args.repeats} (3x both when n k d < {SMALL_WORK:.0e}); "
        f"{args.clock} ms per iteration; ratio = peer / optimeans"
    )
    print("shape            dtype   thr tool            ms/iter   ratio  iters  objective(f64)        rel.diff   peakMB")
    for shape in args.shapes:
        n, d, k = (int(v) for v in shape.split("x"))
        X64, C64 = make_data(n, d, k)
        small = n * k * d < SMALL_WORK
        iters = args.iters * 3 if small else args.iters
        repeats = args.repeats * 3 if small else args.repeats
        for dtype in args.dtypes:
            X = np.ascontiguousarray(X64, dtype=dtype)
            C0 = np.ascontiguousarray(C64, dtype=dtype)
            for threads in args.threads:
                rows = []
                for name in args.tools:
                    if name == "faiss" and dtype != "float32":
                        continue
                    sec, n_it, centers = per_iteration(TOOLS[name], X, C0, iters, threads, repeats)
                    mem = float("nan") if args.no_memory else peak_memory_mb(name, shape, dtype, threads, iters)
                    rows.append((name, sec, n_it, objective64(X, centers), mem))
                base = next((r for r in rows if r[0] == "optimeans"), rows[0])
                for name, sec, n_iter, obj, mem in rows:
                    ratio = sec / base[1] if base[1] > 0 else float("nan")
                    rel = (obj - base[3]) / base[3]
                    print(
                        f"{shape:<16} {dtype:<7} {threads:>3} {name:<15} {sec * 1e3:>8.3f} {ratio:>7.2f} "
                        f"{n_iter:>5}  {obj:<20.10g} {rel:+.1e} {mem:>8.1f}"
                    )
                sys.stdout.flush()
    print(f"# load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
