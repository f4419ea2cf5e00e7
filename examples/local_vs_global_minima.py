"""Is this the global minimum? Local minima of k-means on a data set small enough to list them all.

With n points and k clusters there are S(n, k) partitions (a Stirling number
of the second kind: 9330 for n = 10, k = 3). For a set this small every one of
them can be scored, so the global minimum is known exactly, and so are

* the *Lloyd fixed points*: partitions in which every point is nearest to its
  own cluster's mean, where Lloyd's iteration stops;
* the *single-move local minima*: partitions that no transfer of one point to
  another cluster improves, where Hartigan's method stops (a subset of the
  Lloyd fixed points).

Then Lloyd and Hartigan are started from many random centers, and we count how
often each ends at the global minimum.

Run:  python examples/local_vs_global_minima.py [--n 10] [--k 3] [--starts 200] [--out figures]
"""

from __future__ import annotations

import argparse
import itertools
import os

import numpy as np

import optimeans


def all_partitions(X, k):
    """Every partition of X's rows into k non-empty clusters: (objective, lloyd_fixed, single_move_stable, labels)."""
    n = len(X)
    out = []
    for tail in itertools.product(range(k), repeat=n - 1):
        lab = np.array((0, *tail))
        # one labelling per partition: clusters numbered by first appearance, none empty
        seen = []
        for v in lab:
            if v not in seen:
                seen.append(v)
        if seen != list(range(k)):
            continue
        C = np.array([X[lab == j].mean(axis=0) for j in range(k)])
        D = ((X[:, None, :] - C[None, :, :]) ** 2).sum(axis=2)
        own = D[np.arange(n), lab]
        objective = float(own.sum())
        lloyd_fixed = bool(np.all(own <= D.min(axis=1) + 1e-12))
        size = np.bincount(lab, minlength=k)
        # Hartigan: moving x_i from a to b changes the objective by
        # n_b/(n_b+1) |x_i - c_b|^2 - n_a/(n_a-1) |x_i - c_a|^2
        single = True
        for i in range(n):
            a = lab[i]
            if size[a] == 1:
                continue
            gain = size[a] / (size[a] - 1) * D[i, a]
            cost = size / (size + 1.0) * D[i]
            cost[a] = np.inf
            if cost.min() < gain - 1e-12:
                single = False
                break
        out.append((objective, lloyd_fixed, single, lab))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10, help="points (default 10; the work grows as k^n)")
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--starts", type=int, default=200, help="random starts of each method (default 200)")
    ap.add_argument("--out", default="figures", help="directory for the figure (default: figures/)")
    args = ap.parse_args(argv)

    rng = np.random.default_rng(7)
    X = np.vstack([rng.normal(c, 0.7, size=(args.n, 2)) for c in [(0, 0), (3, 0), (1.5, 2.6)]])
    X = X[rng.permutation(len(X))[: args.n]]

    parts = all_partitions(X, args.k)
    obj = np.array([p[0] for p in parts])
    lloyd_fixed = np.array([p[1] for p in parts])
    single = np.array([p[2] for p in parts])
    best = obj.min()
    print(f"{args.n} points, k = {args.k}: {len(parts)} partitions")
    print(f"global minimum {best:.6f}; {lloyd_fixed.sum()} Lloyd fixed points, "
          f"{single.sum()} single-move local minima")
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
    # Every end point of Lloyd is one of the enumerated fixed points: a check of both sides.
    fixed_values = obj[lloyd_fixed]
    assert all(np.isclose(fixed_values, v, rtol=1e-9).any() for v in ends["lloyd"])

    from matplotlib.figure import Figure

    from optimeans.plotting import plot_landscape, save

    fig = Figure(figsize=(11, 4.2), dpi=100, layout="constrained")
    a, b = fig.subplots(1, 2)
    plot_landscape(list(zip(obj, lloyd_fixed, single)), ax=a,
                   title=f"all {len(parts)} partitions of {args.n} points into {args.k} clusters")
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
    return obj, lloyd_fixed, single, ends


if __name__ == "__main__":
    main()
