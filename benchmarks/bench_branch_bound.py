"""Branch and bound against the proven optima.

1. Ruspini (75 x 2), k = 2..10: time to prove the optimum (target: each within
   60 s), checked against the proven assignments for k = 2, 4, 8.
2. The 906 proven optima of optkmeans (prefixes of linux{2..5}, k = 2, 3):
   how many branch and bound proves within the time limit, whether its value
   matches the published one (printed to 6 decimals or 6 significant digits),
   and whether ``fit(method="global")`` with default settings reaches the
   published value for each of ``--global-seeds`` seeds.

3. The frontier (issue 13): sets in general dimension and planar sets from
   ``--data-dir`` (default ``../shared/datasets`` next to the repository; the
   files are read there, never copied), each k: n, d, k, proven, gap, root
   bound, SDP nodes, seconds, the load average, and, when the comparison
   files of the CG+DCA repository (``frontier/cg-dca/comparison_*.csv``) list
   the instance, the published SOS-SDP and CG+DCA nodes and times beside it.
   With ``--global-seeds S`` each proven instance is also solved by
   ``fit(method="global")`` with seeds 0..S-1 and the seeds that end above
   the proven value are listed. ``--route sdp`` forces the SDP tree,
   ``--route lp`` column generation (planar data; the default route takes it
   for k >= 4 on at most 100 distinct rows and on at least 1000 with at most
   27 a cluster, such as u1060 with k >= 40; the SDP tree on other planar sets).
   ``iris`` is scikit-learn's; ``glass`` is ``glass_scaled_pm1.txt``; other
   names are looked up in ``frontier/sos-sdp/`` and ``frontier/cg-dca/``.

Usage::

    python benchmarks/bench_branch_bound.py ruspini [--time-limit 60]
    python benchmarks/bench_branch_bound.py optkmeans [--time-limit 60] [--max-n 300] [--global-seeds 3]
    python benchmarks/bench_branch_bound.py frontier --sets iris,glass --ks 2,3,4,5,6 [--time-limit 200]
        [--route {auto,sdp,lp}] [--global-seeds 3]

Run from the repository root (the data come from tests/data/). Prints a
markdown table. The first call compiles the kernels: a warm-up on a tiny set
runs first and its time is reported apart.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import optimeans  # noqa: E402
from optimeans.exact import branch_and_bound  # noqa: E402

DATA = ROOT / "tests" / "data"
RUSPINI_PROVEN = {2: 89337.832142857, 4: 12881.051236147, 8: 6149.639019314}


def _warm_up() -> float:
    t = time.perf_counter()
    branch_and_bound(np.random.default_rng(0).normal(size=(12, 2)), 3)
    return time.perf_counter() - t


def _same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


def ruspini(time_limit: float) -> None:
    X = optimeans.datasets.load("ruspini")
    print("| k | objective | proven | lower bound | gap | seconds | nodes | check |")
    print("|---|---|---|---|---|---|---|---|")
    for k in range(2, 11):
        t = time.perf_counter()
        r = branch_and_bound(X, k, time_limit=time_limit)
        sec = time.perf_counter() - t
        check = ""
        if k in RUSPINI_PROVEN:
            ref = np.loadtxt(DATA / f"ruspini_optimal_assignment_k{k}.txt", dtype=np.int64)
            same = _same_partition(r.labels, ref) and abs(r.objective - RUSPINI_PROVEN[k]) <= 1e-9 * RUSPINI_PROVEN[k]
            check = "= proven assignment" if same else "DIFFERS from proven assignment"
        nodes = sum(r.info.get("nodes", []))
        print(
            f"| {k} | {r.objective:.6f} | {r.proven_optimal} | {r.lower_bound:.6f} | {r.gap:.2e} "
            f"| {sec:.2f} | {nodes} | {check} |",
            flush=True,
        )


def optkmeans(time_limit: float, max_n: int, global_seeds: int, global_only: bool = False) -> None:
    rows = np.loadtxt(DATA / "optkmeans_results.csv", delimiter=",", comments="#")
    data = {d: np.loadtxt(DATA / f"optkmeans_linux{d}.txt", delimiter=",") for d in (2, 3, 4, 5)}
    stats: dict[tuple[int, int], dict[str, list]] = {}
    mismatches = []
    for k, d, n, value in rows:
        k, d, n = int(k), int(d), int(n)
        if n > max_n:
            continue
        t = time.perf_counter()
        if global_only:
            r = optimeans.fit(data[d][:n], k, method="global", random_state=0)
        else:
            r = branch_and_bound(data[d][:n], k, time_limit=time_limit)
        sec = time.perf_counter() - t
        tol = max(5.1e-7, 5.1e-6 * value)
        match = abs(r.objective - value) <= tol
        t = time.perf_counter()
        glob = [optimeans.fit(data[d][:n], k, method="global", random_state=seed).objective for seed in range(global_seeds)]
        gsec = (time.perf_counter() - t) / max(global_seeds, 1)
        s = stats.setdefault((k, d), {"n": [], "proven": [], "match": [], "sec": [], "global": [], "gsec": []})
        s["global"].append(sum(abs(g - value) <= tol for g in glob))
        s["gsec"].append(gsec)
        s["n"].append(n)
        s["proven"].append(r.proven_optimal)
        s["match"].append(match)
        s["sec"].append(sec)
        if not match:
            mismatches.append((k, d, n, value, r.objective, r.proven_optimal))
        print(f"k={k} d={d} n={n}: {r.objective:.6f} (published {value}) proven={r.proven_optimal} "
              f"{sec:.2f} s {r.info.get('proof', '')}; global {s['global'][-1]}/{global_seeds} {gsec:.2f} s",
              file=sys.stderr, flush=True)
    print(
        "| k | d | instances (n range) | proven | value matches | median s | max s | largest n proven "
        f"| global runs at the optimum (of {global_seeds} per instance) | global median s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    tot = [0, 0, 0, 0]
    for (k, d), s in sorted(stats.items()):
        proven_n = [n for n, p in zip(s["n"], s["proven"]) if p]
        print(
            f"| {k} | {d} | {len(s['n'])} ({min(s['n'])}..{max(s['n'])}) | {sum(s['proven'])} | {sum(s['match'])} "
            f"| {np.median(s['sec']):.2f} | {max(s['sec']):.2f} | {max(proven_n) if proven_n else '-'} "
            f"| {sum(s['global'])} / {global_seeds * len(s['n'])} | {np.median(s['gsec']):.3f} |",
            flush=True,
        )
        tot[0] += len(s["n"])
        tot[1] += sum(s["proven"])
        tot[2] += sum(s["match"])
        tot[3] += sum(s["global"])
    print(
        f"\ntotal: {tot[0]} instances, {tot[1]} proven optimal, {tot[2]} values equal to the published optimum; "
        f"method='global' reached it in {tot[3]} of {global_seeds * tot[0]} runs"
    )
    for m in mismatches:
        print("value differs:", m)


def _frontier_data(name: str, data_dir: Path) -> np.ndarray:
    if name == "iris":
        from sklearn.datasets import load_iris

        return load_iris().data.astype(np.float64)
    if name == "glass":
        return np.loadtxt(data_dir / "glass_scaled_pm1.txt", skiprows=1)
    for sub in ("frontier/sos-sdp", "frontier/cg-dca", "."):
        path = data_dir / sub / f"{name}.txt"
        if path.exists():
            return np.loadtxt(path, skiprows=1)
    raise SystemExit(f"no data file for {name!r} under {data_dir}")


def _published(data_dir: Path) -> dict[tuple[str, int], str]:
    """(name, k) -> 'SOS-SDP nodes/time | CG+DCA nodes/time' from the CG+DCA repository's comparison files."""
    import csv

    out = {}
    for fname, unit in (("comparison_sos_sdp_cg_dca.csv", "s"), ("comparison_sos_sdp_cg_dca_large.csv", "h")):
        path = data_dir / "frontier" / "cg-dca" / fname
        if not path.exists():
            continue
        with open(path, newline="") as fh:
            for row in csv.reader(fh):
                if not row or row[0] == "Data":
                    continue
                name, k = row[0], int(row[1])
                out[(name, k)] = f"{row[3]} / {row[4]} {unit} | {row[6]} / {row[7]} {unit}"
    return out


def frontier(sets: list[str], ks: list[int], time_limit: float, data_dir: Path, route: str = "auto",
             global_seeds: int = 0) -> None:
    pub = _published(data_dir)
    kw = {"auto": {}, "sdp": {"sdp": True, "lp": False}, "lp": {"sdp": False, "lp": True}}[route]
    print("| data | n | d | k | objective | proven | gap | proof | root bound | SDP nodes | seconds | load (1 min) "
          f"| global seeds at the value (of {global_seeds}) "
          "| SOS-SDP nodes / time (published) | CG+DCA nodes / time (published) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in sets:
        X = _frontier_data(name, data_dir)
        n, d = X.shape
        for k in ks:
            t = time.perf_counter()
            r = branch_and_bound(X, k, time_limit=time_limit, **kw)
            sec = time.perf_counter() - t
            load = os.getloadavg()[0]
            info = r.info
            glob = "-"
            if global_seeds and r.proven_optimal:
                # the proven value (within gap_tol) is the reference: a seed counts when it is no worse
                miss = [seed for seed in range(global_seeds)
                        if optimeans.fit(X, k, method="global", random_state=seed).objective
                        > r.objective * (1.0 + 1e-9)]
                glob = f"{global_seeds - len(miss)}" + (f" (misses seeds {miss})" if miss else "")
            root = info.get("sdp_root_bound", info.get("lp_value"))
            root_s = "-" if root is None else f"{root:.6g}"
            p = pub.get((name, k), "- | -")
            print(
                f"| {name} | {n} | {d} | {k} | {r.objective:.6f} | {'yes' if r.proven_optimal else 'no'} | {r.gap:.2e} "
                f"| {info.get('proof', '-')} | {root_s} | {info.get('sdp_nodes', '-')} | {sec:.1f} | {load:.1f} "
                f"| {glob} | {p} |",
                flush=True,
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["ruspini", "optkmeans", "frontier"])
    ap.add_argument("--sets", default="iris,glass", help="frontier: comma-separated data sets")
    ap.add_argument("--ks", default="2,3,4,5,6", help="frontier: comma-separated numbers of clusters")
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "datasets",
                    help="frontier: folder holding glass_scaled_pm1.txt and frontier/")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--max-n", type=int, default=10**9)
    ap.add_argument("--global-seeds", type=int, default=3, help="method='global' runs per optkmeans instance")
    ap.add_argument("--route", choices=["auto", "sdp", "lp"], default="auto",
                    help="frontier: 'sdp' forces the SDP tree (sdp=True, lp=False), 'lp' column generation "
                         "(lp=True, sdp=False; planar data only)")
    ap.add_argument("--global-only", action="store_true", help="optkmeans: skip branch and bound (its columns then show seed 0 of the search)")
    args = ap.parse_args()
    print(
        f"optimeans {optimeans.__version__}, numpy {np.__version__}, python {platform.python_version()}, "
        f"{platform.machine()}; compile + warm-up {_warm_up():.1f} s\n"
    )
    if args.what == "ruspini":
        ruspini(args.time_limit)
    elif args.what == "frontier":
        frontier(args.sets.split(","), [int(k) for k in args.ks.split(",")], args.time_limit, args.data_dir,
                 args.route, args.global_seeds)
    else:
        optkmeans(args.time_limit, args.max_n, args.global_seeds, args.global_only)


if __name__ == "__main__":
    main()
