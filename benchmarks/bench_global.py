"""``method="global"`` against scikit-learn and against plain restarts.

1. Classic small sets (Ruspini, German towns, Bavaria 1 and 2, Glass, Breast
   cancer Wisconsin): the objective reached by ``optimeans.fit(method="global")``
   with default settings over several seeds, beside scikit-learn's
   ``KMeans(n_init=10)`` and the optimum proven by ``branch_and_bound`` where it
   finishes (planar sets and small k).
2. Blobs with 50 to 200 clusters: objective and wall time of
   ``method="global"`` (default settings: 3 restarts, each seeded by
   ``optimeans.seeding.kmeans_plusplus``) against ``KMeans(n_init=10)``; and
   the same with ``init=optimeans.exact.search.plusplus`` (the same greedy
   k-means++ in one serial kernel), which separates the search from the cost
   of the package's seeding.
3. TSPLIB u1060 (1060 planar points, ``../shared/datasets/frontier/cg-dca``)
   with k = 40 and 50, whose optima column generation proved
   (benchmarks/README.md): per seed, the objective of the default
   ``method="global"``, its distance to the proven optimum and its time;
   other k print the value only. ``--population 1`` gives the search without
   its genetic phase (the search before session 7) for an A/B.
4. ``incumbent``: what the exact solvers start from on u1060,
   ``global_search(n_starts=5, time_limit=30)`` (5 % of a 600 s limit), per k
   and seed, against the best known values.

Usage::

    python benchmarks/bench_global.py classic [--seeds 5] [--prove]
    python benchmarks/bench_global.py classic --per-seed [--seeds 5] [--min-k 10] [--sets glass,breast]
    python benchmarks/bench_global.py blobs [--n 20000] [--d 2] [--repeats 3]
    python benchmarks/bench_global.py tsp [--seeds 3] [--ks 50,40] [--population 1]
    python benchmarks/bench_global.py incumbent [--seeds 3] [--ks 10,20,30,40,50] [--time-limit 30]

Run from the repository root. The kernels are compiled by a warm-up run first
(time reported apart). Timings are medians of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import optimeans  # noqa: E402
from optimeans.exact.search import plusplus  # noqa: E402

# the shared data folder sits beside the clone in CI, two levels up from a worktree
SHARED = next(
    (p for p in (ROOT.parent / "shared" / "datasets", ROOT.parent.parent / "shared" / "datasets") if p.exists()),
    ROOT.parent / "shared" / "datasets",
)
CLASSIC = {
    "ruspini": (None, (2, 4, 8, 10)),
    "german_towns_59": ("german_towns_59.txt", (2, 5, 10)),
    "bavaria1": ("bavaria1_89x3.txt", (2, 5, 10)),
    "bavaria2": ("bavaria2_89x4.txt", (2, 5, 10)),
    "glass": ("glass_scaled_pm1.txt", (2, 5, 10, 20)),
    "breast": ("breast_wisconsin_683x9.txt", (2, 5, 10, 20)),
}


def _load(name: str) -> np.ndarray | None:
    fname, _ = CLASSIC[name]
    if fname is None:
        return optimeans.datasets.load(name)
    path = SHARED / fname
    if not path.exists():
        return None
    return np.loadtxt(path, skiprows=1)


def _sklearn(X: np.ndarray, k: int, seed: int = 0) -> tuple[float, float]:
    from sklearn.cluster import KMeans

    t = time.perf_counter()
    km = KMeans(k, n_init=10, random_state=seed).fit(X)
    return float(km.inertia_), time.perf_counter() - t


def _warm_up() -> float:
    t = time.perf_counter()
    optimeans.fit(np.random.default_rng(0).normal(size=(200, 3)), 8, method="global", random_state=0)
    return time.perf_counter() - t


def classic_per_seed(seeds: int, min_k: int, sets: list[str] | None) -> None:
    """One row per instance and seed: objective, generations of the genetic search, seconds, load.

    Each instance is fitted once untimed first (a few kernels compile on first use
    with some shapes: the first glass k = 20 fit once took 100 s under load 5).
    """
    print("| data | k | seed | objective | generations | s | load |")
    print("|---|---|---|---|---|---|---|")
    for name, (_, ks) in CLASSIC.items():
        if sets and name not in sets:
            continue
        X = _load(name)
        if X is None:
            print(f"| {name} | missing (../shared/datasets) | | | | | |")
            continue
        for k in ks:
            if k < min_k:
                continue
            optimeans.fit(X, k, method="global", random_state=seeds)
            for s in range(seeds):
                t = time.perf_counter()
                r = optimeans.fit(X, k, method="global", random_state=s)
                secs = time.perf_counter() - t
                load = open("/proc/loadavg").read().split()[0] if Path("/proc/loadavg").exists() else ""
                print(f"| {name} | {k} | {s} | {r.objective:.10g} | {r.info.get('generations', 0)} | {secs:.2f} | {load} |",
                      flush=True)


def classic(seeds: int, prove: bool) -> None:
    print("| data | n x d | k | global: best | global: worst | runs at best | median s | sklearn n_init=10 | sklearn s | proven optimum |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, (_, ks) in CLASSIC.items():
        X = _load(name)
        if X is None:
            print(f"| {name} | missing (../shared/datasets) | | | | | | | | |")
            continue
        for k in ks:
            vals, secs = [], []
            for s in range(seeds):
                t = time.perf_counter()
                r = optimeans.fit(X, k, method="global", random_state=s)
                secs.append(time.perf_counter() - t)
                vals.append(r.objective)
            best, worst = min(vals), max(vals)
            at_best = sum(v <= best * (1 + 1e-9) for v in vals)
            sk, sks = _sklearn(X, k)
            proven = ""
            if prove and (X.shape[1] == 2 or k <= 3):
                from optimeans.exact import branch_and_bound

                bb = branch_and_bound(X, k, time_limit=60)
                proven = f"{bb.objective:.6g}" if bb.proven_optimal else f"(gap {bb.gap:.1e} after 60 s)"
            print(
                f"| {name} | {X.shape[0]} x {X.shape[1]} | {k} | {best:.9g} | {worst:.9g} | {at_best}/{seeds} "
                f"| {np.median(secs):.3f} | {sk:.9g} | {sks:.3f} | {proven} |",
                flush=True,
            )


def blobs(n: int, d: int, repeats: int, ks: list[int]) -> None:
    from sklearn.datasets import make_blobs

    print(f"blobs: n = {n}, d = {d}, cluster_std = 1, centers in a box of side 20 k^(1/d)\n")
    print(
        "| k | global objective | global s | global, serial seeding: objective | s "
        "| sklearn KMeans(n_init=10) objective | sklearn s | global / sklearn objective | time ratio (serial seeding) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for k in ks:
        side = 10.0 * k ** (1.0 / d)
        X, _ = make_blobs(n_samples=n, n_features=d, centers=k, cluster_std=1.0, center_box=(-side, side), random_state=k)
        g_obj, g_t, s_obj, s_t, p_obj, p_t = [], [], [], [], [], []
        for rep in range(repeats):
            t = time.perf_counter()
            r = optimeans.fit(X, k, method="global", random_state=rep)
            g_t.append(time.perf_counter() - t)
            g_obj.append(r.objective)
            t = time.perf_counter()
            r = optimeans.fit(X, k, method="global", random_state=rep, init=plusplus)
            p_t.append(time.perf_counter() - t)
            p_obj.append(r.objective)
            o, st = _sklearn(X, k, seed=rep)
            s_obj.append(o)
            s_t.append(st)
        go, gt, so, stt = np.median(g_obj), np.median(g_t), np.median(s_obj), np.median(s_t)
        po, pt = np.median(p_obj), np.median(p_t)
        print(
            f"| {k} | {go:.6g} | {gt:.2f} | {po:.6g} | {pt:.2f} | {so:.6g} | {stt:.2f} | {go / so:.4f} "
            f"| {gt / stt:.2f} ({pt / stt:.2f}) |",
            flush=True,
        )


#: Optima of u1060 proven by column generation (benchmarks/README.md: k = 30-50 sixth session, 20 eighth, 10 ninth).
U1060_PROVEN = {10: 1754840214.06, 20: 791794596.23, 30: 481251642.94, 40: 341342885.86, 50: 255509536.17}


def tsp(seeds: int, ks: list[int], population: int | None) -> None:
    path = SHARED / "frontier" / "cg-dca" / "u1060.txt"
    if not path.exists():
        print(f"missing: {path}")
        return
    X = np.loadtxt(path, skiprows=1)
    opts = {} if population is None else {"population": population}
    print(f"u1060: {X.shape[0]} x {X.shape[1]}, method='global', default settings {opts or ''}\n")
    print("| k | seed | objective | above proven optimum | generations | s | load |")
    print("|---|---|---|---|---|---|---|")
    for k in ks:
        for s in range(seeds):
            t = time.perf_counter()
            r = optimeans.fit(X, k, method="global", random_state=s, **opts)
            secs = time.perf_counter() - t
            proven = U1060_PROVEN.get(k)
            gap = "" if proven is None else f"{(r.objective / proven - 1) * 100:+.4f} %"
            load = open("/proc/loadavg").read().split()[0] if Path("/proc/loadavg").exists() else ""
            print(f"| {k} | {s} | {r.objective:.2f} | {gap} | {r.info.get('generations', 0)} | {secs:.1f} | {load} |", flush=True)


#: Best values known on u1060, all proven now (:data:`U1060_PROVEN`).
U1060_BEST = {10: 1754840214.06, 20: 791794596.23, 30: 481251642.94, 40: 341342885.86, 50: 255509536.17}


def incumbent(seeds: int, ks: list[int], time_limit: float) -> None:
    """The exact solvers' incumbent: ``global_search(n_starts=5, time_limit=...)`` on u1060, per k and seed."""
    from optimeans.exact.search import global_search

    path = SHARED / "frontier" / "cg-dca" / "u1060.txt"
    if not path.exists():
        print(f"missing: {path}")
        return
    X = np.loadtxt(path, skiprows=1)
    w = np.ones(len(X))
    print(f"u1060: global_search(X, w, k, default_rng(seed), n_starts=5, time_limit={time_limit})\n")
    print("| k | seed | objective | above best known | s | load |")
    print("|---|---|---|---|---|---|")
    for k in ks:
        for s in range(seeds):
            t = time.perf_counter()
            _, value = global_search(X, w, k, np.random.default_rng(s), n_starts=5, time_limit=time_limit)
            secs = time.perf_counter() - t
            best = U1060_BEST.get(k)
            gap = "" if best is None else f"{(value / best - 1) * 100:+.5f} %"
            load = open("/proc/loadavg").read().split()[0] if Path("/proc/loadavg").exists() else ""
            print(f"| {k} | {s} | {value:.2f} | {gap} | {secs:.1f} | {load} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["classic", "blobs", "tsp", "incumbent"])
    ap.add_argument("--seeds", type=int, default=5, help="classic: 5; tsp: give 3 for seeds 0-2")
    ap.add_argument("--prove", action="store_true", help="also run branch_and_bound (60 s each) where it may finish")
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--d", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--ks", default=None, help="blobs: 50,100,200; tsp: 50,40")
    ap.add_argument("--time-limit", type=float, default=30.0, help="incumbent: global_search's time_limit (5 %% of 600 s)")
    ap.add_argument("--population", type=int, default=None, help="tsp: the search's population option")
    ap.add_argument("--per-seed", action="store_true", help="classic: one row per seed (objective, generations, s)")
    ap.add_argument("--min-k", type=int, default=2, help="classic --per-seed: only k >= this")
    ap.add_argument("--sets", default=None, help="classic --per-seed: comma-separated names (default all)")
    args = ap.parse_args()
    import sklearn

    print(
        f"optimeans {optimeans.__version__}, scikit-learn {sklearn.__version__}, numpy {np.__version__}, "
        f"python {platform.python_version()}; compile + warm-up {_warm_up():.1f} s\n"
    )
    if args.what == "classic" and args.per_seed:
        classic_per_seed(args.seeds, args.min_k, args.sets.split(",") if args.sets else None)
    elif args.what == "classic":
        classic(args.seeds, args.prove)
    elif args.what == "incumbent":
        incumbent(args.seeds, [int(v) for v in (args.ks or "10,20,30,40,50").split(",")], args.time_limit)
    elif args.what == "tsp":
        tsp(args.seeds, [int(v) for v in (args.ks or "50,40").split(",")], args.population)
    else:
        blobs(args.n, args.d, args.repeats, [int(v) for v in (args.ks or "50,100,200").split(",")])


if __name__ == "__main__":
    main()
