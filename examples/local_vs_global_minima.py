"""Is this the global minimum? Local minima of k-means on a data set small enough to list them all.

With n points and k clusters there are S(n, k) partitions (a Stirling number
of the second kind: 9330 for n = 10, k = 3). For a set this small every one of
them can be scored, so the global minimum is known exactly, and so are

* the *Lloyd fixed points*: partitions in which every point is nearest to its
  own cluster's mean, where Lloyd's iteration stops;
* the *single-move local minima*: partitions that no transfer of one point to
  another cluster improves, where Hartigan's method stops (a subset of the
  Lloyd fixed points).

``optimeans.exact.enumerate_partitions`` visits them all. Then Lloyd and
Hartigan are started from many random centers, and we count how often each
ends at the global minimum.

For data too large to enumerate, ``optimeans.certify`` bounds the distance to
the global minimum from below (the Peng-Wei SDP relaxation), and branch and
bound (``method="bnb"``) proves optimality outright on small sets: on
Ruspini's 75 points both confirm the usual k-means answer. On larger data,
where no proof is in reach, global search (``method="global"``) finds better
minima than many Lloyd restarts.

Run:  python examples/local_vs_global_minima.py [--n 10] [--k 3] [--starts 200] [--blobs 3000 --blob-k 25] [--out figures]
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import optimeans


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10, help="points (default 10; the work grows as k^n)")
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--starts", type=int, default=200, help="random starts of each method (default 200)")
    ap.add_argument("--blobs", type=int, default=3000, help="points of the global-search comparison (default 3000)")
    ap.add_argument("--blob-k", type=int, default=25, help="clusters of the global-search comparison (default 25)")
    ap.add_argument("--out", default="figures", help="directory for the figure (default: figures/)")
    args = ap.parse_args(argv)

    rng = np.random.default_rng(7)
    X = np.vstack([rng.normal(c, 0.7, size=(args.n, 2)) for c in [(0, 0), (3, 0), (1.5, 2.6)]])
    X = X[rng.permutation(len(X))[: args.n]]

    land = optimeans.exact.enumerate_partitions(X, args.k)
    obj, lloyd_fixed = land.objective, land.lloyd_fixed
    best = land.optimum
    print(f"{args.n} points, k = {args.k}: {land.n_partitions} partitions")
    print(f"global minimum {best:.6f}; {land.n_lloyd_fixed} Lloyd fixed points, "
          f"{land.n_hartigan_stable} single-move local minima")
    worst_lloyd = obj[lloyd_fixed].max()
    print(f"the worst partition Lloyd can stop at is {100 * (worst_lloyd / best - 1):.1f} % above the global minimum")

    ends = {}
    for method in ("lloyd", "hartigan"):
        found = []
        for s in range(args.starts):
            r = optimeans.fit(X, args.k, method=method, init="random", n_init=1, random_state=s, n_threads=1)
            found.append(r.objective)
        found = np.array(found)
        ends[method] = found
        hit = np.isclose(found, best, rtol=1e-9).mean()
        print(f"{method:<9} from {args.starts} random starts: global minimum reached in {100 * hit:.0f} % "
              f"of the runs, {len(np.unique(np.round(found, 9)))} distinct end points")
    # A check of both sides: Lloyd stops only at partitions the enumeration calls fixed points.
    fixed_values = obj[lloyd_fixed]
    ok = all(np.isclose(fixed_values, v, rtol=1e-9).any() for v in ends["lloyd"])
    print(f"every end point of Lloyd is one of the enumerated fixed points: {ok}")

    from matplotlib.figure import Figure

    from optimeans.plotting import plot_landscape, save

    fig = Figure(figsize=(11, 4.2), dpi=100, layout="constrained")
    a, b = fig.subplots(1, 2)
    plot_landscape(land, ax=a, title=f"all {land.n_partitions} partitions of {args.n} points into {args.k} clusters")
    bins = np.unique(np.round(np.concatenate(list(ends.values())), 6))
    width = 0.4
    for j, (method, found) in enumerate(ends.items()):
        counts = [np.isclose(found, v, rtol=1e-6).sum() for v in bins]
        b.bar(np.arange(len(bins)) + (j - 0.5) * width, counts, width=width, label=method)
    b.set_xticks(np.arange(len(bins)), [f"{v:.3f}" for v in bins], rotation=45, fontsize="small")
    b.set_xlabel("objective at the end of the run")
    b.set_ylabel(f"runs (of {args.starts})")
    b.set_title("where random starts end", fontsize="medium")
    b.legend(fontsize="small")
    os.makedirs(args.out, exist_ok=True)
    path = save(fig, os.path.join(args.out, "local_vs_global_minima.png"))
    print(f"figure: {path}")

    # Too many points to enumerate: certify instead.
    R = optimeans.datasets.load("ruspini")
    r = optimeans.fit(R, 4, random_state=0)
    cert = optimeans.certify(R, r, method="sdp")
    print(f"\nRuspini (75 points, k = 4): {cert}")
    bnb = optimeans.fit(R, 4, method="bnb")
    print(f"branch and bound: objective {bnb.objective:.10g}, proven optimal: {bnb.proven_optimal}")

    # Beyond proofs: global search against Lloyd restarts on many overlapping clusters.
    B = optimeans.datasets.make_blobs(args.blobs, 2, centers=args.blob_k, cluster_std=0.8, random_state=0)
    g = optimeans.fit(B, args.blob_k, method="global", random_state=0)
    lr = optimeans.fit(B, args.blob_k, n_init=10, random_state=0)
    print(f"\n{args.blobs} points, k = {args.blob_k}: best of 10 Lloyd restarts {lr.objective:.6g}, "
          f"global search {g.objective:.6g} ({100 * (lr.objective - g.objective) / lr.objective:.2f} % lower)")
    return land, ends, cert


if __name__ == "__main__":
    main()
