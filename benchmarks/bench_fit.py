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

With ``--defaults`` every tool runs with its *default* settings instead
(optimeans ``fit(X, k)``, i.e. ``n_init="auto"``; scikit-learn
``KMeans(k).fit(X)``, one k-means++ start; FAISS is left out: it has no
k-means++), seeds 0 to 4, on the shapes of issue 14: the four above with
separated clusters, 200000x32x64 with ``kind="std4"`` (centers uniform in
[-10, 10]^d, standard deviation 4, as ``optimeans.datasets.make_blobs`` in
``bench_minibatch.py``) and the large-k shapes 100000x64x1024, 250000x2x6000
and 50000x128x4096. This is the measurement behind the defaults
``n_init="auto"`` and ``refine="auto"`` (``optimeans._plan.resolve_refine``:
one k-means++ start refined by split-merge swaps). Besides the wall time, the
CPU time of the fit is reported (median): on a loaded machine the 1-thread CPU
time is the steadier figure.

With ``--defaults --interleaved`` the tools run in one process, seed by seed
in turn (scikit-learn, then each optimeans variant), so that a change of load
hits both alike; ``--variants`` adds optimeans variants beside the default:
``norefine`` (``refine=None``, ``n_init="auto"``), ``one`` (``n_init=1,
refine=None``).

Usage::

    PYTHONPATH=src python benchmarks/bench_fit.py
    PYTHONPATH=src python benchmarks/bench_fit.py --shapes 200000x8x16 --kinds separated --threads 1
    PYTHONPATH=src python benchmarks/bench_fit.py --defaults                 # issue 14's shapes, 1 and 2 threads
    PYTHONPATH=src python benchmarks/bench_fit.py --defaults --cases 50000x2x10:separated --threads 1
    PYTHONPATH=src python benchmarks/bench_fit.py --defaults --interleaved --variants one --threads 1 --cases 200000x8x16
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
KINDS = {"separated": 10.0, "overlapping": 1.5, "std4": 4.0}
#: ``--defaults``: issue 14's shapes (shape:kind)
DEFAULT_CASES = [
    "200000x8x16:separated", "100000x32x64:separated", "20000x128x100:separated", "50000x2x10:separated",
    "200000x32x64:std4", "100000x64x1024:separated", "250000x2x6000:separated", "50000x128x4096:separated",
]


def make_blobs(n: int, d: int, k: int, kind: str, dtype: str, seed: int = 0) -> np.ndarray:
    if kind == "std4":
        # optimeans.datasets.make_blobs(n, d, k, cluster_std=4, random_state=seed), restated so that
        # the scikit-learn child does not import optimeans
        rng = np.random.default_rng(seed)
        mu = rng.uniform(-10.0, 10.0, size=(k, d))
        labels = np.arange(n) % k
        rng.shuffle(labels)
        return np.ascontiguousarray(mu[labels] + 4.0 * rng.standard_normal((n, d)), dtype=dtype)
    rng = np.random.default_rng(seed)
    # two means are about KINDS[kind] standard deviations apart: ||m_a - m_b|| ~ spread * sqrt(2 d)
    spread = KINDS[kind] / np.sqrt(2.0 * d)
    means = rng.normal(scale=spread, size=(k, d))
    X = means[rng.integers(k, size=n)] + rng.normal(size=(n, d))
    return np.ascontiguousarray(X, dtype=dtype)


def objective64(X: np.ndarray, C: np.ndarray) -> float:
    X = np.asarray(X, dtype=np.float64)
    C = np.asarray(C, dtype=np.float64)
    # nearest center from a float64 product (memory: rows x k, never rows x k x d),
    # then each point's squared distance to it computed directly
    c2 = (C * C).sum(axis=1)
    step = max(1, min(8192, 2**24 // max(1, C.shape[0])))
    total = 0.0
    for s in range(0, X.shape[0], step):
        x = X[s : s + step]
        near = (c2[None, :] - 2.0 * (x @ C.T)).argmin(axis=1)
        total += float(((x - C[near]) ** 2).sum())
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


def fit_optimeans_default(X, k, seed, threads):
    import optimeans

    r = optimeans.fit(X, k, random_state=seed, n_threads=threads)
    return r.centers, r.n_iter, f"{r.method} n_init={r.n_init}"


def fit_sklearn_default(X, k, seed, threads):
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    with threadpool_limits(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = KMeans(k, random_state=seed).fit(X)
    return km.cluster_centers_, km.n_iter_, f"{km._algorithm if hasattr(km, '_algorithm') else km.algorithm} n_init=1"


TOOLS = {"optimeans": fit_optimeans, "sklearn": fit_sklearn, "faiss": fit_faiss}
DEFAULT_TOOLS = {"optimeans": fit_optimeans_default, "sklearn": fit_sklearn_default}


def child(tool: str, shape: str, kind: str, dtype: str, threads: int, seeds: list[int], defaults: bool = False) -> dict:
    n, d, k = (int(v) for v in shape.split("x"))
    X = make_blobs(n, d, k, kind, dtype)
    fn = (DEFAULT_TOOLS if defaults else TOOLS)[tool]
    fn(X[: max(2000, 4 * k)], k, 0, threads)  # JIT, thread pools, BLAS warm-up
    times, cpus, objs, iters, peaks = [], [], [], [], []
    algo = ""
    for seed in seeds:
        base = _status("VmRSS")
        ok = _reset_peak()
        t, c = time.perf_counter(), time.process_time()
        centers, n_iter, algo = fn(X, k, seed, threads)
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        peaks.append(max(_status("VmHWM") - base, 0) if ok else float("nan"))
        objs.append(objective64(X, centers))
        iters.append(n_iter)
    return {
        "seconds": statistics.median(times),
        "cpu": statistics.median(cpus),
        "objective": float(np.mean(objs)),
        "objectives": [float(v) for v in objs],
        "iters": float(np.mean(iters)),
        "peak_mb": float(max(peaks)) / 2**20,
        "algorithm": str(algo),
    }


# ------------------------------------------------------------------ parent


def run_child(args, tool, shape, kind, dtype, threads) -> dict | None:
    cmd = [
        sys.executable, __file__, "--child", tool, "--shapes", shape, "--kinds", kind, "--dtypes", dtype,
        "--threads", str(threads), "--seeds", *map(str, args.seeds),
    ] + (["--defaults"] if args.defaults else [])
    out = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    if out.returncode != 0:
        print(f"# {tool} failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shapes", nargs="+", default=SHAPES)
    p.add_argument("--kinds", nargs="+", default=["separated", "overlapping"], choices=list(KINDS))
    p.add_argument("--dtypes", nargs="+", default=["float32"])
    p.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--tools", nargs="+", default=list(TOOLS), choices=list(TOOLS))
    p.add_argument("--defaults", action="store_true", help="each tool's default settings, issue 14's shapes")
    p.add_argument("--cases", nargs="+", default=None, help="with --defaults: shape:kind, e.g. 50000x2x10:separated")
    p.add_argument("--interleaved", action="store_true", help="with --defaults: every tool in one process, seed by seed")
    p.add_argument("--variants", nargs="*", default=[], choices=list(VARIANTS),
                   help="with --interleaved: optimeans variants beside the default")
    p.add_argument("--per-seed", action="store_true", help="with --interleaved: a line per seed and tool as it ends")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        res = child(args.child, args.shapes[0], args.kinds[0], args.dtypes[0], args.threads[0], args.seeds, args.defaults)
        print(json.dumps(res))
        return 0
    if args.defaults and args.interleaved:
        return main_interleaved(args)
    if args.defaults:
        return main_defaults(args)

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


def main_defaults(args) -> int:
    """Each tool's defaults, one row per case and thread count: time and mean objective over the seeds."""
    if args.seeds == [0, 1, 2]:
        args.seeds = [0, 1, 2, 3, 4]
    tools = [t for t in args.tools if t in DEFAULT_TOOLS]
    print(f"# {platform.machine()} {os.cpu_count()} cores, python {platform.python_version()}")
    print(f"# load average before: {os.getloadavg()[0]:.2f}")
    print(f"# defaults, seeds {args.seeds}: median wall and CPU seconds, mean objective (float64), mean iterations")
    print("shape            kind       thr tool        wall s   cpu s   sk/ours(wall) sk/ours(cpu)  objective          vs sklearn  iters  settings  load")
    for case in args.cases or DEFAULT_CASES:
        shape, _, kind = case.partition(":")
        kind = kind or "separated"
        for threads in args.threads:
            rows = {}
            for tool in tools:
                res = run_child(args, tool, shape, kind, "float32", threads)
                if res is not None:
                    rows[tool] = res
            sk, ours = rows.get("sklearn"), rows.get("optimeans")
            for tool, r in rows.items():
                tw = sk["seconds"] / r["seconds"] if sk else float("nan")
                tc = sk["cpu"] / r["cpu"] if sk else float("nan")
                rel = (r["objective"] - sk["objective"]) / sk["objective"] if sk else float("nan")
                print(
                    f"{shape:<16} {kind:<10} {threads:>3} {tool:<10} {r['seconds']:>8.3f} {r['cpu']:>7.3f} "
                    f"{tw:>13.2f} {tc:>12.2f}  {r['objective']:<18.10g} {rel:+.2e} {r['iters']:>6.1f}  "
                    f"{r['algorithm']}  {os.getloadavg()[0]:.1f}"
                )
            if sk and ours:
                win_t = ours["seconds"] < sk["seconds"]
                win_o = ours["objective"] <= sk["objective"]
                print(f"# {shape} {kind} {threads} thread(s): optimeans default {'faster' if win_t else 'SLOWER'} "
                      f"(wall), objective {'no higher' if win_o else 'HIGHER'} than scikit-learn's default")
            sys.stdout.flush()
    print(f"# load average after: {os.getloadavg()[0]:.2f}")
    return 0


#: ``--variants``: optimeans fits beside the default one (keyword arguments of ``optimeans.fit``)
VARIANTS = {"norefine": {"refine": None}, "one": {"n_init": 1, "refine": None}}


def main_interleaved(args) -> int:
    """Defaults side by side in this process: per seed, scikit-learn then each optimeans variant."""
    from threadpoolctl import threadpool_limits

    import optimeans

    if args.seeds == [0, 1, 2]:
        args.seeds = [0, 1, 2, 3, 4]
    print(f"# {platform.machine()} {os.cpu_count()} cores, python {platform.python_version()}, interleaved in one process")
    print(f"# defaults, seeds {args.seeds}: median wall seconds, mean objective (float64) and its change vs scikit-learn")
    print("shape            kind       thr tool                 wall s  sk/ours  objective          vs sklearn  per seed (%)                     settings  load")
    for case in args.cases or DEFAULT_CASES:
        shape, _, kind = case.partition(":")
        kind = kind or "separated"
        n, d, k = (int(v) for v in shape.split("x"))
        X = make_blobs(n, d, k, kind, "float32")
        for threads in args.threads:
            def ours(kw, seed):
                r = optimeans.fit(X, k, random_state=seed, n_threads=threads, **kw)
                return r.centers, f"{r.method} n_init={r.n_init} swaps={r.info.get('swaps', '-')}"

            def sk(seed):
                return fit_sklearn_default(X, k, seed, threads)[0], "lloyd n_init=1"

            tools = {"sklearn": sk, "optimeans": lambda seed: ours({}, seed)}
            for v in args.variants:
                tools[f"optimeans-{v}"] = lambda seed, kw=VARIANTS[v]: ours(kw, seed)
            small = X[: max(2000, 4 * k)]
            fit_sklearn_default(small, k, 0, threads)  # JIT, thread pools, BLAS warm-up
            optimeans.fit(small, k, random_state=0, n_threads=threads)
            rows = {t: ([], [], "") for t in tools}
            loads = []
            for seed in args.seeds:
                for name, fn in tools.items():
                    t = time.perf_counter()
                    centers, settings = fn(seed)
                    rows[name][0].append(time.perf_counter() - t)
                    # the float64 objective uses NumPy's BLAS, whose threads then spin for up to
                    # ~0.1 s and took the cores from the next timed fit (optimeans on 2 threads,
                    # 200000x8x16: 115 ms after it against 70 ms): evaluated on one BLAS thread
                    with threadpool_limits(1):
                        rows[name][1].append(objective64(X, centers))
                    rows[name] = (rows[name][0], rows[name][1], settings)
                    if args.per_seed:
                        print(f"#   {shape} {threads} thr seed {seed} {name}: {rows[name][0][-1]:.3f} s, "
                              f"objective {rows[name][1][-1]:.10g}, {settings}, load {os.getloadavg()[0]:.2f}", flush=True)
                loads.append(os.getloadavg()[0])
            sk_t = statistics.median(rows["sklearn"][0])
            sk_o = float(np.mean(rows["sklearn"][1]))
            for name, (times, objs, settings) in rows.items():
                per = " ".join(f"{(o - sk_o) / sk_o * 100:+.2f}" for o in objs)
                print(
                    f"{shape:<16} {kind:<10} {threads:>3} {name:<20} {statistics.median(times):>7.3f} "
                    f"{sk_t / statistics.median(times):>7.2f}  {np.mean(objs):<18.10g} "
                    f"{(np.mean(objs) - sk_o) / sk_o * 100:+.3f}%    {per:<32} {settings}  {np.mean(loads):.1f}"
                )
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
