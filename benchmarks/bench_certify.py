"""Certified gaps at scale: the partition (anticlustering) bound on the ``method="global"`` result.

Two sets, as in issue 13 item 3:

* ``blobs``: scikit-learn's ``make_blobs``, 20,000 points, 20 clusters in
  8 dimensions, ``cluster_std=3`` (they overlap: the global result's
  adjusted Rand index against the generating labels is about 0.94);
* ``rl5934x``: ``frontier/cg-dca/rl5934`` (5,934 planar points) replicated
  to 100,000 points with Gaussian noise of 1 % of its coordinates' spread,
  k = 5 by default (``--k`` to change it: with k = 20 a group of 200 rows
  holds 10 rows per cluster and its SDP bound is looser, about 0.87 of its
  share after 900 ADMM steps in a first trial). Here the groups' cut SDP
  bounds are nearly tight when they run to their stall (0.992 to 0.999 of
  the group's Hartigan partition at 150 rows), but a group's optimum is
  itself below its share (a small sample of a planar set can be clustered
  better than its share): the sum of the groups' optima (the best of four
  global searches on 8 groups) is 2.1 % below the whole's objective at 120
  rows a group, 0.7 % at 250, 0.15 % at 500 (dealt by cells; 3.3 %, 1.6 %,
  0.3 % dealt by distance to the cluster mean). The gap at this size is set
  by the group size, which the time limit sets.

For each: ``optimeans.fit(X, k, method="global")`` (timed apart), then the
partition bound with ``time_limit`` seconds: by default through
``optimeans.certify(X, r, time_limit=...)``, whose "auto" picks the
partition bound beyond 1,500 rows, each group bounded by the SDP with pair
and triangle cuts, warm-started from the first group; with ``--solver sdp``
or ``--group-size`` through ``partition_bound`` (plain SDP groups, or a
fixed group size).
It prints n, k, the incumbent objective, the certified bound, the gap, what
the bound could reach with exact group optima (``restr %``: the gap left by
the result's cost inside each group with the group's own means), the gap
split into the grouping's loss (``group %``: the objective minus the sum of
each group's partition after Hartigan moves from the result's clusters, at
most the true loss of the grouping) and the solver's (``solve %``: the rest,
at least the true loss of the group bounds), the group
count and size, the median group's ADMM steps and the seconds. Run on an
idle machine for figures; ``--quick`` runs small versions to check the
script.

    python benchmarks/bench_certify.py [--sets blobs rl5934x] [--time-limit 600] [--quick]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

import optimeans

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


def load(name: str, n: int, data_dir: Path) -> tuple[np.ndarray, int]:
    if name == "blobs":
        from sklearn.datasets import make_blobs

        X, _ = make_blobs(n_samples=n, centers=20, n_features=8, cluster_std=3.0, random_state=0)
        return X, 20
    if name == "rl5934x":
        path = data_dir / "frontier" / "cg-dca" / "rl5934.txt"
        base = np.loadtxt(path, skiprows=1)
        rng = np.random.default_rng(0)
        idx = rng.integers(0, base.shape[0], size=n)
        X = base[idx] + rng.normal(size=(n, base.shape[1])) * 0.01 * base.std(0)
        return X, 5
    raise ValueError(f"unknown set {name!r}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", nargs="+", default=["blobs", "rl5934x"])
    ap.add_argument("--n", type=int, nargs="+", default=None, help="sizes, one per set (default 20000 100000)")
    ap.add_argument("--k", type=int, default=None, help="override k")
    ap.add_argument("--time-limit", type=float, default=600.0, help="seconds for the bound")
    ap.add_argument("--group-size", type=int, default=None, help="rows per group (default: chosen from the time)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--solver", choices=("cuts", "sdp"), default="cuts",
                    help="group bound: SDP with pair and triangle cuts (default, what certify uses) or the plain SDP")
    ap.add_argument("--quick", action="store_true", help="small sizes and 30 s, to check the script")
    ap.add_argument("--data-dir", type=Path, default=DATA)
    a = ap.parse_args()
    sizes = a.n or ([3000, 5000] if a.quick else [20000, 100000])
    tl = 30.0 if a.quick else a.time_limit
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    print(f"{'set':>8} {'n':>7} {'k':>3} {'objective':>14} {'bound':>14} {'gap %':>7} {'restr %':>7} "
          f"{'group %':>7} {'solve %':>7} {'groups':>6} {'size':>5} {'steps':>5} {'fit s':>7} {'bound s':>7} {'stops'}")
    for name, n in zip(a.sets, sizes):
        X, k = load(name, n, a.data_dir)
        if a.k is not None:
            k = a.k
        t = time.perf_counter()
        r = optimeans.fit(X, k, method="global", random_state=0)
        t_fit = time.perf_counter() - t
        t = time.perf_counter()
        if a.group_size is None and a.solver == "cuts":
            # the public route: "auto" picks the partition bound (cut groups) at this size
            c = optimeans.certify(X, r, time_limit=tl, n_threads=a.threads)
            assert c.method == "partition" and c.info["solver"] == "sdp+cuts", (c.method, c.info.get("solver"))
            lb, info = c.lower_bound, c.info
        else:
            from optimeans.exact.bounds import partition_bound

            lb, info = partition_bound(X, k, r.labels, time_limit=tl, group_size=a.group_size, n_threads=a.threads,
                                       solver=a.solver)
        t_lb = time.perf_counter() - t
        gap = (r.objective - lb) / r.objective
        restr = (r.objective - info["restricted"]) / r.objective
        # the gap split: the grouping (objective - the groups' best partitions
        # found: at most the grouping's loss) and the group solver (the rest)
        grouping = (r.objective - info["local"]) / r.objective
        solver_loss = (info["local"] - lb) / r.objective
        steps = int(np.median([g["n_iter"] for g in info["groups"]]))  # ADMM steps of the median group
        stops: dict[str, int] = {}
        for g in info["groups"]:
            stops[g["stop_reason"]] = stops.get(g["stop_reason"], 0) + 1
        print(f"{name:>8} {n:>7} {k:>3} {r.objective:>14.8g} {lb:>14.8g} {100 * gap:>7.3f} {100 * restr:>7.3f} "
              f"{100 * grouping:>7.3f} {100 * solver_loss:>7.3f} {info['n_groups']:>6} {info['group_size']:>5} {steps:>5} {t_fit:>7.1f} {t_lb:>7.1f} {stops}", flush=True)
        assert lb <= r.objective * (1 + 1e-9)
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
